use sea_orm::entity::prelude::*;

/// One message through the notification gate, and the outbox row its sender works from.
/// `payload` (the template's values, sealed under the customer's key) exists only until the
/// message is sent or given up; afterwards the row keeps the template id, the SHA-256 of the
/// body and the provider's message id, never the body.
#[derive(Clone, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "notifications")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub tenant_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub customer_id: Option<Uuid>,
    pub channel: String,
    pub kind: String,
    pub template: String,
    pub request_id: Option<String>,
    pub payload: Option<Vec<u8>>,
    pub body_sha256: Option<Vec<u8>>,
    /// Platform-keyed digest of the recipient (routes an inbound "stop" to the shops that wrote).
    pub recipient_index: Option<Vec<u8>>,
    pub state: String,
    pub attempts: i32,
    pub next_attempt_at: TimeDateTimeWithTimeZone,
    pub provider: Option<String>,
    pub provider_message_id: Option<String>,
    pub last_error: Option<String>,
    pub created_at: TimeDateTimeWithTimeZone,
    pub sent_at: Option<TimeDateTimeWithTimeZone>,
}

impl std::fmt::Debug for Model {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Notification")
            .field("tenant_id", &self.tenant_id)
            .field("id", &self.id)
            .field("state", &self.state)
            .finish_non_exhaustive()
    }
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
