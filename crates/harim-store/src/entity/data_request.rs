use sea_orm::entity::prelude::*;

/// A data-subject request: an export or an erasure, with its deadline, its progress and (for
/// erasures) the signed receipt. Exports keep their archive encrypted in the object store;
/// `wrapped_key` is the archive's key under the tenant key of `tenant_id` (the platform's for
/// account exports).
#[derive(Clone, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "data_requests")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub tenant_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub kind: RequestKind,
    pub subject_account: Option<Uuid>,
    pub state: RequestState,
    pub requested_at: TimeDateTimeWithTimeZone,
    pub due_at: TimeDateTimeWithTimeZone,
    pub completed_at: Option<TimeDateTimeWithTimeZone>,
    pub expires_at: Option<TimeDateTimeWithTimeZone>,
    pub lease_until: Option<TimeDateTimeWithTimeZone>,
    pub attempts: i32,
    pub object_size: Option<i64>,
    pub object_sha256: Option<Vec<u8>>,
    pub wrapped_key: Option<super::redacted::RedactedBytes>,
    pub tk_version: Option<i32>,
    pub progress: Option<String>,
    pub receipt: Option<String>,
    pub signature: Option<String>,
    pub key_id: Option<String>,
    pub error: Option<String>,
    /// MAC under the audit key over what the row was created with ([`crate::rights::seal`]).
    pub mac: Option<Vec<u8>>,
}

impl std::fmt::Debug for Model {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DataRequest")
            .field("tenant_id", &self.tenant_id)
            .field("id", &self.id)
            .field("kind", &self.kind)
            .field("state", &self.state)
            .finish_non_exhaustive()
    }
}

/// What was asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "Text")]
pub enum RequestKind {
    /// Everything about one shop, asked by its owner.
    #[sea_orm(string_value = "export_shop")]
    ExportShop,
    /// Everything about one person across their shops.
    #[sea_orm(string_value = "export_account")]
    ExportAccount,
    /// Erase one shop.
    #[sea_orm(string_value = "erase_shop")]
    EraseShop,
    /// Erase an account (and every shop it solely owns).
    #[sea_orm(string_value = "erase_account")]
    EraseAccount,
    /// Erase one customer of a shop (done in its own transaction: the row is completed at once).
    #[sea_orm(string_value = "erase_customer")]
    EraseCustomer,
}

impl RequestKind {
    pub fn is_export(self) -> bool {
        matches!(self, Self::ExportShop | Self::ExportAccount)
    }
}

/// Where a request stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "Text")]
pub enum RequestState {
    /// Waiting for a worker.
    #[sea_orm(string_value = "pending")]
    Pending,
    /// A worker holds its lease.
    #[sea_orm(string_value = "running")]
    Running,
    /// An export whose archive can be downloaded.
    #[sea_orm(string_value = "ready")]
    Ready,
    /// An export whose archive was deleted after its time.
    #[sea_orm(string_value = "expired")]
    Expired,
    /// An erasure whose every step is done.
    #[sea_orm(string_value = "completed")]
    Completed,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
