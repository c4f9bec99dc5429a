use sea_orm::entity::prelude::*;

/// A published, frozen version of the platform's own policy for merchants. Rows are only ever
/// inserted.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "platform_policy_versions")]
pub struct Model {
    /// 1, 2, 3, ...
    #[sea_orm(primary_key, auto_increment = false)]
    pub version: i32,
    /// `harim_policy::version_hash` over the previous hash, the inputs and every document.
    pub hash: String,
    pub previous_hash: Option<String>,
    /// Canonical JSON of the `harim_policy::platform::PlatformPolicyInputs` that were published.
    #[sea_orm(column_type = "Text")]
    pub inputs: String,
    /// JSON array of `harim_policy::Change` against the previous version.
    #[sea_orm(column_type = "Text")]
    pub changes: String,
    /// Comma-separated locale tags, in `Locale::ALL` order.
    pub locales: String,
    pub default_locale: String,
    pub effective_at: TimeDateTimeWithTimeZone,
    pub published_at: TimeDateTimeWithTimeZone,
    pub published_by: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
