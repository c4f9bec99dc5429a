//! The roles a principal can hold: inside one shop ([`ShopRole`]) or on the platform
//! ([`PlatformRole`]). Stored by name; a leaf, so entities and `auth` both import it.

/// A role enum stored and serialised by its name: one list of (variant, name) per role, from
/// which the database mapping, serde and `as_str`/`parse` all come.
macro_rules! role {
    ($(#[$doc:meta])* $name:ident { $($(#[$vdoc:meta])* $variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(
            Debug,
            Clone,
            Copy,
            PartialEq,
            Eq,
            serde::Serialize,
            serde::Deserialize,
            sea_orm::EnumIter,
            sea_orm::DeriveActiveEnum,
        )]
        #[sea_orm(rs_type = "String", db_type = "Text")]
        pub enum $name {
            $(
                $(#[$vdoc])*
                #[sea_orm(string_value = $text)]
                #[serde(rename = $text)]
                $variant,
            )+
        }

        impl $name {
            /// The stored name.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text,)+
                }
            }

            /// The role named `s`, if any.
            pub fn parse(s: &str) -> Option<Self> {
                match s {
                    $($text => Some($name::$variant),)+
                    _ => None,
                }
            }
        }
    };
}

role!(
    /// Platform roles, held by operators rather than merchants.
    PlatformRole {
        /// Administers keys and the platform policy.
        Admin = "admin",
        /// Reviews KYC documents.
        Reviewer = "reviewer",
    }
);

role!(
    /// A role inside one shop.
    ShopRole {
        /// Sees and changes everything of the shop, reveals, administers members and keys.
        Owner = "owner",
        /// Sees masked values; cannot reveal or administer.
        Staff = "staff",
    }
);
