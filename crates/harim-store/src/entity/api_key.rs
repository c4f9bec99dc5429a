use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "api_keys")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub tenant_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// SHA-256 of the key; the key itself is shown once and never stored.
    pub key_hash: Vec<u8>,
    pub name: String,
    /// Stored as its name (`owner`, `admin`, ...).
    pub role: crate::roles::ShopRole,
    pub created_at: TimeDateTimeWithTimeZone,
    /// When the key last authenticated, to a day (NULL: never since this column exists).
    pub last_used_at: Option<TimeDateTimeWithTimeZone>,
    /// `customers`: the key reaches only the customer routes; NULL: every route of its role.
    pub scopes: Option<String>,
    /// Comma-separated customer reveal purposes the key may use; NULL: all of them.
    pub reveal_purposes: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
