use sea_orm::entity::prelude::*;

/// One consent event of a shop's stream (`seq` from 1), linked to the one before by `hash`
/// (HMAC under the audit key, label `harim-consent-link-v1`). An erased customer's event keeps
/// `seq`, `prev_hash`, `hash` and `at`; every other column is NULL and `erased_mac` (label
/// `harim-consent-erased-v1`) vouches that harim, not a database writer, emptied it.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "consent_events")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub tenant_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub seq: i64,
    pub id: Uuid,
    /// The receipt that answered the request which recorded this event (shared by its events).
    pub receipt_id: Option<Uuid>,
    pub customer_id: Option<Uuid>,
    /// SHA-256 of the visitor's random first-party id.
    pub visitor_hash: Option<Vec<u8>>,
    pub purpose: Option<String>,
    pub state: Option<String>,
    pub policy_version: Option<i32>,
    /// Hex SHA-256 of the policy version's canonical document.
    pub policy_hash: Option<String>,
    pub language: Option<String>,
    pub collection: Option<String>,
    /// Who recorded it (`api_key:<id>`, `user:<id>`, `banner`, `sms_reply`, `policy`).
    pub actor: Option<String>,
    pub at: TimeDateTimeWithTimeZone,
    pub valid_until: Option<TimeDateTimeWithTimeZone>,
    pub prev_hash: Vec<u8>,
    pub hash: Vec<u8>,
    pub erased_mac: Option<Vec<u8>>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
