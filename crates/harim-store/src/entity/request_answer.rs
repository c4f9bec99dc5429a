use sea_orm::entity::prelude::*;

use super::redacted::RedactedBytes;

/// What one subscribed endpoint reported for one privacy event (its completion callback):
/// `items_retained` is a JSON array of `{category, reason, until}`; `file` (a data request's
/// answer) is sealed under the customer's own key (erasing the customer destroys it).
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "request_answers")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub tenant_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub event_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub endpoint_id: Uuid,
    pub status: String,
    pub items_removed: i64,
    pub items_retained: String,
    pub file_name: Option<String>,
    pub file: Option<RedactedBytes>,
    pub file_sha256: Option<Vec<u8>>,
    pub received_at: TimeDateTimeWithTimeZone,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
