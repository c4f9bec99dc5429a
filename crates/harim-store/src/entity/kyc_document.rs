use sea_orm::entity::prelude::*;

/// A KYC document's metadata. The bytes live, encrypted, in the object store under
/// `t/{tenant_id}/d/{id}`; `wrapped_key` is the document key encrypted under the tenant key
/// (NULL once purged: the object is gone and so is the means to read any copy of it).
#[derive(Clone, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "kyc_documents")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub tenant_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub kind: String,
    pub status: String,
    pub content_type: String,
    pub size: i64,
    pub stored_size: i64,
    pub sha256: Vec<u8>,
    pub wrapped_key: Option<super::redacted::RedactedBytes>,
    pub uploaded_by: String,
    pub uploaded_at: TimeDateTimeWithTimeZone,
    pub decided_at: Option<TimeDateTimeWithTimeZone>,
    pub decided_by: Option<String>,
    pub reason: Option<String>,
    pub purged_at: Option<TimeDateTimeWithTimeZone>,
}

impl std::fmt::Debug for Model {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KycDocument")
            .field("tenant_id", &self.tenant_id)
            .field("id", &self.id)
            .field("kind", &self.kind)
            .field("status", &self.status)
            .finish_non_exhaustive()
    }
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
