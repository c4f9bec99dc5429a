//! Scopes: the only way a use case reaches data. A [`TenantScope`] is a verified (principal,
//! shop) pair and can be made only by [`TenantScope::resolve`]; every tenant use case takes one,
//! so no query can run for a shop the caller may not act in. The few platform-wide operations
//! (review queue, decisions, blind-index search, key administration) take a [`PlatformScope`].
//!
//! Every failure to resolve a tenant scope, including "the shop exists but belongs to someone
//! else", is [`StoreError::NotFound`], so a caller cannot learn which ids exist.

use sea_orm::{ConnectionTrait, EntityTrait};
use uuid::Uuid;

use crate::{
    StoreError,
    auth::{PlatformRole, Principal, ShopRole},
    entity::{membership, shop},
    ids::ShopId,
};

/// What the caller is inside this shop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TenantRole {
    /// A person with the owner role, or an owner-role API key.
    Owner,
    /// A staff member or staff-role API key: sees masks, cannot reveal or administer.
    Staff,
    /// A platform operator reaching into the shop for review or operations.
    Platform(PlatformRole),
}

impl TenantRole {
    /// `owner`, `staff` or `platform`.
    pub fn as_str(self) -> &'static str {
        match self {
            TenantRole::Owner => "owner",
            TenantRole::Staff => "staff",
            TenantRole::Platform(_) => "platform",
        }
    }
}

/// A verified (principal, shop) pair. Fields are private: only [`TenantScope::resolve`] makes one.
#[derive(Debug, Clone)]
pub struct TenantScope {
    shop: ShopId,
    principal: Principal,
    role: TenantRole,
}

impl TenantScope {
    /// The scope of `principal` in shop `shop`, if it may act there.
    pub async fn resolve(
        db: &impl ConnectionTrait,
        principal: Principal,
        shop: ShopId,
    ) -> Result<Self, StoreError> {
        let role = match &principal {
            Principal::Account { account_id, .. } => {
                let m = membership::Entity::find_by_id((shop.uuid(), *account_id))
                    .one(db)
                    .await?
                    .ok_or(StoreError::NotFound)?;
                match m.role {
                    ShopRole::Owner => TenantRole::Owner,
                    ShopRole::Staff => TenantRole::Staff,
                }
            }
            Principal::ApiKey {
                tenant_id, role, ..
            } => {
                if *tenant_id != shop.uuid() {
                    return Err(StoreError::NotFound);
                }
                match role {
                    ShopRole::Owner => TenantRole::Owner,
                    ShopRole::Staff => TenantRole::Staff,
                }
            }
            Principal::Platform { role, .. } => {
                shop::Entity::find_by_id(shop.uuid())
                    .one(db)
                    .await?
                    .ok_or(StoreError::NotFound)?;
                TenantRole::Platform(*role)
            }
        };
        Ok(Self {
            shop,
            principal,
            role,
        })
    }

    /// The shop.
    pub fn shop(&self) -> ShopId {
        self.shop
    }

    /// The shop's id as stored (`tenant_id` columns).
    pub fn tenant_id(&self) -> Uuid {
        self.shop.uuid()
    }

    pub fn principal(&self) -> &Principal {
        &self.principal
    }

    pub fn role(&self) -> TenantRole {
        self.role
    }

    /// True when the caller is a signed-in person (not an API key or platform token).
    pub fn via_session(&self) -> bool {
        matches!(self.principal, Principal::Account { .. })
    }

    /// Who acts, for audit records.
    pub fn actor(&self) -> String {
        self.principal.actor()
    }

    /// Owner-only actions are refused to staff (who can already see the shop exists).
    pub fn require_owner(&self) -> Result<(), StoreError> {
        match self.role {
            TenantRole::Owner => Ok(()),
            _ => Err(StoreError::Forbidden("Only the shop owner may do this.")),
        }
    }

    /// Owner acting through a session (not an API key): managing members and keys.
    pub fn require_owner_session(&self) -> Result<(), StoreError> {
        self.require_owner()?;
        if !self.via_session() {
            return Err(StoreError::Forbidden(
                "API keys cannot manage members or keys.",
            ));
        }
        Ok(())
    }
}

/// A platform operator, for the platform-wide use cases.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PlatformScope {
    pub token_id: Uuid,
    pub role: PlatformRole,
}

impl PlatformScope {
    /// The operator behind `principal`, if it is one.
    pub fn of(principal: &Principal) -> Option<Self> {
        match principal {
            Principal::Platform { token_id, role } => Some(Self {
                token_id: *token_id,
                role: *role,
            }),
            _ => None,
        }
    }

    /// Who acts, for audit records.
    pub fn actor(&self) -> String {
        Principal::Platform {
            token_id: self.token_id,
            role: self.role,
        }
        .actor()
    }

    /// Refused unless the operator has `role`.
    pub fn require(&self, role: PlatformRole, why: &'static str) -> Result<(), StoreError> {
        if self.role == role {
            Ok(())
        } else {
            Err(StoreError::Forbidden(why))
        }
    }
}
