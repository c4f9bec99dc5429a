use sea_orm::entity::prelude::*;

/// One rendered document of a published platform policy version (frozen at publish time).
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "platform_policy_documents")]
pub struct Model {
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
    pub body_gzip: Option<Vec<u8>>,
    pub body_br: Option<Vec<u8>>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
