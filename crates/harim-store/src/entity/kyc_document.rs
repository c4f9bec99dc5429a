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
    pub kind: StoredKind,
    pub status: StoredStatus,
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

/// `harim_kyc::DocumentKind` as stored (its name). The domain crate knows nothing of the
/// database, so the column type lives here and converts both ways.
#[derive(Debug, Clone, Copy, PartialEq, Eq, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "Text")]
pub enum StoredKind {
    #[sea_orm(string_value = "national_id_front")]
    NationalIdFront,
    #[sea_orm(string_value = "national_id_back")]
    NationalIdBack,
    #[sea_orm(string_value = "selfie")]
    Selfie,
    #[sea_orm(string_value = "business_license")]
    BusinessLicense,
}

/// `harim_kyc::DocumentStatus` as stored (its name).
#[derive(Debug, Clone, Copy, PartialEq, Eq, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "Text")]
pub enum StoredStatus {
    #[sea_orm(string_value = "pending")]
    Pending,
    #[sea_orm(string_value = "approved")]
    Approved,
    #[sea_orm(string_value = "rejected")]
    Rejected,
}

impl From<harim_kyc::DocumentKind> for StoredKind {
    fn from(k: harim_kyc::DocumentKind) -> Self {
        use harim_kyc::DocumentKind as K;
        match k {
            K::NationalIdFront => Self::NationalIdFront,
            K::NationalIdBack => Self::NationalIdBack,
            K::Selfie => Self::Selfie,
            K::BusinessLicense => Self::BusinessLicense,
        }
    }
}

impl From<StoredKind> for harim_kyc::DocumentKind {
    fn from(k: StoredKind) -> Self {
        match k {
            StoredKind::NationalIdFront => Self::NationalIdFront,
            StoredKind::NationalIdBack => Self::NationalIdBack,
            StoredKind::Selfie => Self::Selfie,
            StoredKind::BusinessLicense => Self::BusinessLicense,
        }
    }
}

impl From<harim_kyc::DocumentStatus> for StoredStatus {
    fn from(s: harim_kyc::DocumentStatus) -> Self {
        use harim_kyc::DocumentStatus as S;
        match s {
            S::Pending => Self::Pending,
            S::Approved => Self::Approved,
            S::Rejected => Self::Rejected,
        }
    }
}

impl From<StoredStatus> for harim_kyc::DocumentStatus {
    fn from(s: StoredStatus) -> Self {
        match s {
            StoredStatus::Pending => Self::Pending,
            StoredStatus::Approved => Self::Approved,
            StoredStatus::Rejected => Self::Rejected,
        }
    }
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
