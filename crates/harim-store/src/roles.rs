//! The roles a principal can hold: inside one shop ([`ShopRole`]) or on the platform
//! ([`PlatformRole`]). Stored by name; a leaf, so entities and `auth` both import it.

/// Platform roles, held by operators rather than merchants.
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
#[serde(rename_all = "lowercase")]
#[sea_orm(rs_type = "String", db_type = "Text")]
pub enum PlatformRole {
    #[sea_orm(string_value = "admin")]
    Admin,
    #[sea_orm(string_value = "reviewer")]
    Reviewer,
}

impl PlatformRole {
    pub fn as_str(self) -> &'static str {
        match self {
            PlatformRole::Admin => "admin",
            PlatformRole::Reviewer => "reviewer",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "admin" => Some(Self::Admin),
            "reviewer" => Some(Self::Reviewer),
            _ => None,
        }
    }
}

/// A role inside one shop.
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
#[serde(rename_all = "lowercase")]
#[sea_orm(rs_type = "String", db_type = "Text")]
pub enum ShopRole {
    #[sea_orm(string_value = "owner")]
    Owner,
    #[sea_orm(string_value = "staff")]
    Staff,
}

impl ShopRole {
    pub fn as_str(self) -> &'static str {
        match self {
            ShopRole::Owner => "owner",
            ShopRole::Staff => "staff",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "owner" => Some(Self::Owner),
            "staff" => Some(Self::Staff),
            _ => None,
        }
    }
}
