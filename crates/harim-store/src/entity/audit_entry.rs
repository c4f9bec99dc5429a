use sea_orm::entity::prelude::*;

/// One audit record. Holds who, what, which fields, why and when; never a value.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "audit_log")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub tenant_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub seq: i64,
    pub id: Uuid,
    pub at: TimeDateTimeWithTimeZone,
    pub actor: String,
    pub action: String,
    /// JSON array of field names.
    pub fields: String,
    pub purpose: Option<String>,
    pub request_id: Option<String>,
    pub prev_hash: Vec<u8>,
    pub hash: Vec<u8>,
    /// Set when retention removed the content: a MAC under the audit key over what is kept.
    pub pruned_mac: Option<Vec<u8>>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
