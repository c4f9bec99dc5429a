//! Typed identifiers: a `ShopId` is not a `DocumentId`, though both are UUIDs underneath.
//! Stored columns stay `uuid` (no data migration); the types live at the use-case boundary.

use std::fmt;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(Uuid);

        impl $name {
            /// A fresh, time-ordered id (UUID v7).
            pub fn new() -> Self {
                Self(Uuid::now_v7())
            }
            /// The id as stored.
            pub fn uuid(self) -> Uuid {
                self.0
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl From<Uuid> for $name {
            fn from(u: Uuid) -> Self {
                Self(u)
            }
        }

        impl From<$name> for Uuid {
            fn from(id: $name) -> Self {
                id.0
            }
        }

        // So a typed id goes into a query as its column's value: `Column::AccountId.eq(id)`.
        impl From<$name> for sea_orm::Value {
            fn from(id: $name) -> Self {
                id.0.into()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }
    };
}

id_type!(
    /// A shop, which is a tenant.
    ShopId
);
id_type!(
    /// A person's account.
    AccountId
);
id_type!(
    /// A KYC document.
    DocumentId
);
id_type!(
    /// An API key of a shop.
    ApiKeyId
);
id_type!(
    /// A platform operator's token.
    PlatformTokenId
);
id_type!(
    /// A data-subject request (an export or an erasure); an erasure's receipt has the same id.
    DataRequestId
);
id_type!(
    /// A key rotation job (root or tenant).
    JobId
);
id_type!(
    /// A customer of a shop. Random (v4), never sequential: its public form `cus_<32 hex>`
    /// says nothing about when or in which order customers were made.
    CustomerId
);

impl CustomerId {
    /// A fresh random id.
    pub fn random() -> Self {
        Self::from(Uuid::new_v4())
    }

    /// `cus_` and the 32 hex digits.
    pub fn public(&self) -> String {
        format!("cus_{}", self.uuid().simple())
    }

    /// Parses [`CustomerId::public`]'s form; `None` for anything else.
    pub fn parse_public(s: &str) -> Option<Self> {
        let hex = s.strip_prefix("cus_")?;
        if hex.len() != 32 {
            return None;
        }
        Uuid::try_parse(hex).ok().map(Self::from)
    }
}

/// The platform's own chain and key scope (`Uuid::nil()`, never a shop id: shop ids are v7). The
/// platform chain records operator actions (searches, root rotations, account erasures) and the
/// `tenant_keys` row of this id holds the platform's derived keys (audit MAC, receipt signing).
pub const PLATFORM_TENANT: Uuid = Uuid::nil();
