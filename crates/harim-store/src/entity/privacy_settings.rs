use sea_orm::entity::prelude::*;

/// The owner's working copy of a shop's privacy settings (canonical JSON).
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "privacy_settings")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub tenant_id: Uuid,
    /// `harim_policy::canonical_json` of the settings.
    #[sea_orm(column_type = "Text")]
    pub settings: String,
    pub updated_at: TimeDateTimeWithTimeZone,
    /// `Principal::actor()` of the last writer.
    pub updated_by: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
