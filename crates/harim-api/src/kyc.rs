//! KYC documents on the persistence side: document keys wrapped under tenant keys, the metadata
//! rows, the retention purge and the orphan sweep. The bytes themselves go through `harim-kyc`.

use std::collections::HashMap;

use harim_kyc::{DocumentKey, DocumentStore, KycError, SanitizeError};
use harim_vault::{FieldContext, Vault, WrappedTenantKey};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, Set, TransactionTrait,
};
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

use crate::{
    audit,
    entity::{kyc_document, policy_version, privacy_settings},
    error::ApiError,
    keys,
};

/// The `table` a document key's ciphertext is bound to.
pub const TABLE: &str = "kyc_documents";
/// The `field` a document key's ciphertext is bound to.
pub const KEY_FIELD: &str = "document_key";
/// Retention when a shop has stated none (the policy crate's default).
pub const DEFAULT_RETENTION_DAYS: u32 = 365;
/// An object younger than this with no row may be an upload still writing its row.
pub const ORPHAN_GRACE: Duration = Duration::hours(1);

impl From<KycError> for ApiError {
    fn from(e: KycError) -> Self {
        match e {
            KycError::TooLarge { .. } => ApiError::PayloadTooLarge,
            KycError::UnsupportedType => ApiError::UnsupportedMediaType(
                "Only JPEG, PNG and PDF documents are accepted; the type is read from the bytes."
                    .into(),
            ),
            KycError::Refused(SanitizeError::Malformed { kind, reason }) => {
                ApiError::DocumentRefused {
                    slug: "malformed-document",
                    detail: format!("The file is not a well-formed {kind}: {reason}."),
                }
            }
            KycError::Refused(SanitizeError::ActivePdf(what)) => ApiError::DocumentRefused {
                slug: "unsafe-document",
                detail: format!("PDFs with active content are refused; this one contains {what}."),
            },
            KycError::Body(_) => ApiError::BadRequest("The upload body could not be read.".into()),
            KycError::Corrupt(why) => {
                tracing::error!(reason = why, "KYC object failed to decrypt or verify");
                ApiError::DocumentCorrupt
            }
            KycError::ObjectMissing => {
                tracing::error!("KYC object missing for a live document row");
                ApiError::DocumentCorrupt
            }
            KycError::Store(e) => {
                tracing::error!(error = %e, "object store failure");
                ApiError::Unavailable("The document store is unavailable; retry later.")
            }
            e @ (KycError::Crypto(_) | KycError::Config(_)) => ApiError::internal("kyc", e),
        }
    }
}

fn key_ctx(tenant_id: Uuid, document_id: Uuid) -> FieldContext<'static> {
    FieldContext {
        tenant_id,
        table: TABLE,
        record_id: document_id,
        field: KEY_FIELD,
    }
}

/// Wraps a document key under the shop's current tenant key (an ordinary vault field, bound to
/// the document's id), counting the encryption in the same transaction.
pub async fn wrap_key(
    txn: &impl ConnectionTrait,
    vault: &Vault,
    tenant_id: Uuid,
    document_id: Uuid,
    key: &DocumentKey,
) -> Result<Vec<u8>, ApiError> {
    let wk = keys::current(txn, vault, tenant_id).await?;
    let wrapped = vault.encrypt_field(&wk, &key_ctx(tenant_id, document_id), key.expose())?;
    keys::count_encryptions(txn, &wk, 1).await?;
    Ok(wrapped)
}

/// Unwraps a document key with the tenant-key version its ciphertext names.
pub async fn unwrap_key(
    txn: &impl ConnectionTrait,
    vault: &Vault,
    row: &kyc_document::Model,
) -> Result<DocumentKey, ApiError> {
    let wrapped = row
        .wrapped_key
        .as_deref()
        .ok_or(ApiError::Gone("This document was purged."))?;
    let version = harim_vault::field_tk_version(wrapped)?;
    let wk = keys::version(
        txn,
        row.tenant_id,
        i32::try_from(version).map_err(|e| ApiError::internal("tk_version", e))?,
    )
    .await?;
    let key = vault.decrypt_field(&wk, &key_ctx(row.tenant_id, row.id), wrapped)?;
    Ok(DocumentKey::from_bytes(&key)?)
}

/// Re-encrypts every live document key of a shop from `old` to `new` (tenant-key rotation; run
/// inside the rotation's transaction). Returns the number of encryptions made.
pub async fn reencrypt_keys(
    txn: &impl ConnectionTrait,
    vault: &Vault,
    old: &WrappedTenantKey,
    new: &WrappedTenantKey,
) -> Result<i64, ApiError> {
    let rows = kyc_document::Entity::find()
        .filter(kyc_document::Column::TenantId.eq(old.tenant_id))
        .filter(kyc_document::Column::WrappedKey.is_not_null())
        .all(txn)
        .await?;
    let mut n = 0;
    for row in rows {
        let Some(ct) = row.wrapped_key.as_deref() else {
            continue;
        };
        let fresh = vault.reencrypt_field(old, new, &key_ctx(row.tenant_id, row.id), ct)?;
        let mut am: kyc_document::ActiveModel = row.into();
        am.wrapped_key = Set(Some(fresh));
        am.update(txn).await?;
        n += 1;
    }
    Ok(n)
}

/// The retention a shop has promised for KYC documents: its latest published policy's setting,
/// else its working settings, else [`DEFAULT_RETENTION_DAYS`].
pub async fn retention_days(db: &impl ConnectionTrait, tenant_id: Uuid) -> Result<u32, ApiError> {
    fn days(settings_json: &str) -> Option<u32> {
        let v: serde_json::Value = serde_json::from_str(settings_json).ok()?;
        let d = v
            .get("retention")?
            .get("kyc_documents_after_decision_days")?
            .as_u64()?;
        u32::try_from(d).ok()
    }
    if let Some(v) = policy_version::Entity::find()
        .filter(policy_version::Column::TenantId.eq(tenant_id))
        .order_by_desc(policy_version::Column::Version)
        .one(db)
        .await?
        && let Some(d) = days(&v.settings)
    {
        return Ok(d);
    }
    if let Some(s) = privacy_settings::Entity::find_by_id(tenant_id)
        .one(db)
        .await?
        && let Some(d) = days(&s.settings)
    {
        return Ok(d);
    }
    Ok(DEFAULT_RETENTION_DAYS)
}

/// What one retention run did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct RetentionReport {
    /// Documents whose object was deleted and whose row became a tombstone.
    pub purged: u64,
    /// Objects with no live row (a crash between object and row, or a purge cut short) removed.
    pub orphans_removed: u64,
    /// Documents that were due but could not be purged this time (retried next run).
    pub failed: u64,
}

/// Purges every decided document whose retention has run out at `now`, then sweeps orphans.
/// Safe to run concurrently and to kill at any point: the object is deleted first, and a
/// missing object is not an error, so a run that dies between the two steps is finished by the
/// next one.
pub async fn run_retention(
    db: &DatabaseConnection,
    vault: &std::sync::Arc<Vault>,
    store: &DocumentStore,
    now: OffsetDateTime,
) -> Result<RetentionReport, ApiError> {
    let mut report = RetentionReport::default();
    let decided = kyc_document::Entity::find()
        .filter(kyc_document::Column::PurgedAt.is_null())
        .filter(kyc_document::Column::DecidedAt.is_not_null())
        .order_by_asc(kyc_document::Column::DecidedAt)
        .all(db)
        .await?;
    let mut days_by_tenant: HashMap<Uuid, u32> = HashMap::new();
    for row in decided {
        let Some(decided_at) = row.decided_at else {
            continue;
        };
        let days = match days_by_tenant.get(&row.tenant_id) {
            Some(d) => *d,
            None => {
                let d = retention_days(db, row.tenant_id).await?;
                days_by_tenant.insert(row.tenant_id, d);
                d
            }
        };
        if decided_at + Duration::days(i64::from(days)) > now {
            continue;
        }
        match purge_one(db, vault, store, &row, now).await {
            Ok(true) => report.purged += 1,
            Ok(false) => {}
            Err(e) => {
                tracing::warn!(document = %row.id, error = %e, "purge failed; retried next run");
                report.failed += 1;
            }
        }
    }
    report.orphans_removed = sweep_orphans(db, store, now).await?;
    if report.purged > 0 || report.orphans_removed > 0 {
        tracing::info!(
            purged = report.purged,
            orphans = report.orphans_removed,
            "KYC retention run"
        );
    }
    metrics::counter!("harim_kyc_documents_purged_total").increment(report.purged);
    Ok(report)
}

async fn purge_one(
    db: &DatabaseConnection,
    vault: &std::sync::Arc<Vault>,
    store: &DocumentStore,
    row: &kyc_document::Model,
    now: OffsetDateTime,
) -> Result<bool, ApiError> {
    let vault = vault.clone();
    store.delete(row.tenant_id, row.id).await?;
    let (tenant_id, id) = (row.tenant_id, row.id);
    let kind = row.kind.clone();
    let purged = db
        .transaction::<_, bool, ApiError>(|txn| {
            Box::pin(async move {
                audit::append(
                    txn,
                    &vault,
                    tenant_id,
                    audit::Event {
                        actor: "system:retention".into(),
                        action: "kyc.purge",
                        fields: vec![format!("{kind}:{id}")],
                        purpose: None,
                        request_id: None,
                    },
                )
                .await?;
                let Some(fresh) = kyc_document::Entity::find_by_id((tenant_id, id))
                    .one(txn)
                    .await?
                else {
                    return Err(ApiError::Conflict("gone"));
                };
                if fresh.purged_at.is_some() {
                    // Another worker won; roll our audit entry back.
                    return Err(ApiError::Conflict("gone"));
                }
                let mut am: kyc_document::ActiveModel = fresh.into();
                am.purged_at = Set(Some(now));
                am.wrapped_key = Set(None);
                am.update(txn).await?;
                Ok(true)
            })
        })
        .await
        .map_err(ApiError::from);
    match purged {
        Err(ApiError::Conflict("gone")) => Ok(false),
        other => other,
    }
}

/// Deletes objects that have no live document row and are older than [`ORPHAN_GRACE`].
pub async fn sweep_orphans(
    db: &DatabaseConnection,
    store: &DocumentStore,
    now: OffsetDateTime,
) -> Result<u64, ApiError> {
    let mut removed = 0;
    for obj in store.list_objects().await? {
        if obj.last_modified + ORPHAN_GRACE > now {
            continue;
        }
        let live = kyc_document::Entity::find_by_id((obj.tenant_id, obj.document_id))
            .one(db)
            .await?
            .is_some_and(|r| r.purged_at.is_none());
        if !live {
            store.delete(obj.tenant_id, obj.document_id).await?;
            removed += 1;
        }
    }
    Ok(removed)
}
