use sea_orm::entity::prelude::*;

/// One rendered document of a published version (frozen at publish time).
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "policy_documents")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub tenant_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub version: i32,
    /// `en`, `fa`, `ar`, `sq`.
    #[sea_orm(primary_key, auto_increment = false)]
    pub locale: String,
    /// `html`, `md` or `json`.
    #[sea_orm(primary_key, auto_increment = false)]
    pub format: String,
    #[sea_orm(column_type = "Text")]
    pub body: String,
    /// `body` gzip-compressed at publish time; NULL for documents published before these
    /// columns existed (compressed when read, never written back).
    pub body_gzip: Option<Vec<u8>>,
    /// `body` brotli-compressed at publish time; NULL as for `body_gzip`.
    pub body_br: Option<Vec<u8>>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
