use sea_orm::entity::prelude::*;

use super::redacted::RedactedBytes;

/// A customer's request from the shop's privacy page, from its one-time code to its answer.
/// `address_index` is the platform's keyed digest of the address the customer typed (for the
/// rate limits; emptied when the customer is erased); `customer_id` is `None` when no customer
/// of the shop has that address (the page answers the same, and no code is sent); `export` is
/// the access request's zip sealed under the customer's key, removed once downloaded.
#[derive(Clone, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "customer_requests")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub tenant_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub kind: String,
    pub channel: String,
    pub address_index: Option<Vec<u8>>,
    pub ip_index: Option<Vec<u8>>,
    pub customer_id: Option<Uuid>,
    pub language: String,
    pub code_hash: Option<RedactedBytes>,
    pub code_sent_at: Option<TimeDateTimeWithTimeZone>,
    pub codes_sent: i32,
    pub tries: i32,
    pub state: String,
    pub created_at: TimeDateTimeWithTimeZone,
    pub verified_at: Option<TimeDateTimeWithTimeZone>,
    pub due_at: Option<TimeDateTimeWithTimeZone>,
    pub extended_at: Option<TimeDateTimeWithTimeZone>,
    pub extension_reason: Option<String>,
    pub hold_until: Option<TimeDateTimeWithTimeZone>,
    pub event_id: Option<Uuid>,
    pub erasure_request_id: Option<Uuid>,
    pub export: Option<RedactedBytes>,
    pub export_sha256: Option<Vec<u8>>,
    pub downloaded_at: Option<TimeDateTimeWithTimeZone>,
    pub receipt: Option<String>,
    pub signature: Option<String>,
    pub key_id: Option<String>,
    pub completed_at: Option<TimeDateTimeWithTimeZone>,
    pub error: Option<String>,
}

impl std::fmt::Debug for Model {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CustomerRequest")
            .field("tenant_id", &self.tenant_id)
            .field("id", &self.id)
            .field("kind", &self.kind)
            .field("state", &self.state)
            .finish_non_exhaustive()
    }
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
