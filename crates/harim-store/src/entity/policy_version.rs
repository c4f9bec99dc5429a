use sea_orm::entity::prelude::*;

/// A published, frozen policy version. Rows are only ever inserted.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "policy_versions")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub tenant_id: Uuid,
    /// 1, 2, 3, ... per shop.
    #[sea_orm(primary_key, auto_increment = false)]
    pub version: i32,
    /// `harim_policy::version_hash` over the previous hash, the settings and every document.
    pub hash: String,
    pub previous_hash: Option<String>,
    /// Canonical JSON of the settings that were published.
    #[sea_orm(column_type = "Text")]
    pub settings: String,
    /// JSON array of `harim_policy::Change` against the previous version.
    #[sea_orm(column_type = "Text")]
    pub changes: String,
    /// Comma-separated locale tags the documents were rendered in, in `Locale::ALL` order.
    pub locales: String,
    pub default_locale: String,
    pub effective_at: TimeDateTimeWithTimeZone,
    pub published_at: TimeDateTimeWithTimeZone,
    pub published_by: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::shop::Entity",
        from = "Column::TenantId",
        to = "super::shop::Column::Id"
    )]
    Shop,
}

impl ActiveModelBehavior for ActiveModel {}
