//! KYC documents on the persistence side: document keys wrapped under tenant keys, the metadata
//! rows, the retention purge and the orphan sweep. The bytes themselves go through `harim-kyc`.

use std::collections::HashMap;

use std::sync::Arc;

use harim_kyc::{
    BodyError, Decision, DocumentBinding, DocumentKey, DocumentKind, DocumentStatus, DocumentStore,
};
use harim_vault::{FieldContext, Vault, WrappedTenantKey};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, Set,
};
use time::{Duration, OffsetDateTime};
use uuid::Uuid;
use zeroize::Zeroizing;

use crate::{
    audit,
    entity::{kyc_document, policy_version, privacy_settings, redacted::RedactedBytes},
    error::StoreError,
    ids::{DocumentId, ShopId},
    roles::PlatformRole,
    scope::{PlatformScope, ShopAccess, ShopScope},
    tenant_keys,
    tx::{self, Finish},
};

/// The `table` a document key's ciphertext is bound to.
pub const TABLE: &str = "kyc_documents";
/// The `field` a document key's ciphertext is bound to.
pub const KEY_FIELD: &str = "document_key";
/// Retention when a shop has stated none (the policy crate's default).
pub const DEFAULT_RETENTION_DAYS: u32 = 365;
/// An object younger than this with no row may be an upload still writing its row.
pub const ORPHAN_GRACE: Duration = Duration::hours(1);

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
pub(crate) async fn wrap_key(
    txn: &impl ConnectionTrait,
    vault: &Vault,
    tenant_id: Uuid,
    document_id: Uuid,
    key: &DocumentKey,
) -> Result<Vec<u8>, StoreError> {
    let wk = tenant_keys::current(txn, vault, tenant_id).await?;
    let wrapped = vault.encrypt_field(&wk, &key_ctx(tenant_id, document_id), key.expose())?;
    tenant_keys::count_encryptions(txn, &wk, 1).await?;
    Ok(wrapped)
}

/// Unwraps a document key with the tenant-key version its ciphertext names.
pub(crate) async fn unwrap_key(
    txn: &impl ConnectionTrait,
    vault: &Vault,
    row: &kyc_document::Model,
) -> Result<DocumentKey, StoreError> {
    let wrapped = row
        .wrapped_key
        .as_ref()
        .map(|w| w.0.as_slice())
        .ok_or(StoreError::Gone("This document was purged."))?;
    let version = harim_vault::field_tk_version(wrapped)?;
    let wk = tenant_keys::version(
        txn,
        row.tenant_id,
        i32::try_from(version).map_err(|e| StoreError::internal("tk_version", e))?,
    )
    .await?;
    let key = vault.decrypt_field(&wk, &key_ctx(row.tenant_id, row.id), wrapped)?;
    Ok(DocumentKey::from_bytes(&key)?)
}

/// Re-encrypts every live document key of a shop from `old` to `new` (tenant-key rotation; run
/// inside the rotation's transaction). Returns the number of encryptions made.
pub(crate) async fn reencrypt_keys(
    txn: &impl ConnectionTrait,
    vault: &Vault,
    old: &WrappedTenantKey,
    new: &WrappedTenantKey,
) -> Result<i64, StoreError> {
    let rows = kyc_document::Entity::find()
        .filter(kyc_document::Column::TenantId.eq(old.tenant_id))
        .filter(kyc_document::Column::WrappedKey.is_not_null())
        .all(txn)
        .await?;
    let mut n = 0;
    for row in rows {
        let Some(ct) = row.wrapped_key.as_ref().map(|w| w.0.clone()) else {
            continue;
        };
        let fresh = vault.reencrypt_field(old, new, &key_ctx(row.tenant_id, row.id), &ct)?;
        let mut am: kyc_document::ActiveModel = row.into();
        am.wrapped_key = Set(Some(RedactedBytes(fresh)));
        am.update(txn).await?;
        n += 1;
    }
    Ok(n)
}

/// The retention a shop has promised for KYC documents: its latest published policy's setting,
/// else its working settings, else [`DEFAULT_RETENTION_DAYS`].
pub(crate) async fn retention_days(
    db: &impl ConnectionTrait,
    tenant_id: Uuid,
) -> Result<u32, StoreError> {
    // Read through the typed settings: a renamed field fails to compile, not silently to match.
    let days = |json: &str| {
        serde_json::from_str::<harim_policy::PrivacySettings>(json)
            .ok()
            .map(|s| s.retention.kyc_documents_after_decision_days)
    };
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
) -> Result<RetentionReport, StoreError> {
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
) -> Result<bool, StoreError> {
    store.delete(row.tenant_id, row.id).await?;
    let (tenant_id, id) = (row.tenant_id, row.id);
    let event = audit::Event {
        actor: "system:retention".into(),
        action: audit::Action::KycPurge,
        fields: vec![format!("{}:{id}", DocumentKind::from(row.kind).as_str())],
        purpose: None,
        request_id: None,
    };
    tx::audited(db, vault, tenant_id, event, move |txn| {
        Box::pin(async move {
            let fresh = kyc_document::Entity::find_by_id((tenant_id, id))
                .one(txn)
                .await?;
            let Some(fresh) = fresh.filter(|f| f.purged_at.is_none()) else {
                // Gone, or another worker won: our audit entry goes with the rollback.
                return Ok(Finish::Rollback(false));
            };
            let mut am: kyc_document::ActiveModel = fresh.into();
            am.purged_at = Set(Some(now));
            am.wrapped_key = Set(None);
            am.update(txn).await?;
            Ok(Finish::Commit(true))
        })
    })
    .await
}

/// Deletes objects that have no live document row and are older than [`ORPHAN_GRACE`].
pub async fn sweep_orphans(
    db: &DatabaseConnection,
    store: &DocumentStore,
    now: OffsetDateTime,
) -> Result<u64, StoreError> {
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

/// A document's metadata (never its bytes, never its key).
#[derive(Debug, Clone)]
pub struct Document {
    pub id: DocumentId,
    pub shop: ShopId,
    pub kind: DocumentKind,
    pub status: DocumentStatus,
    pub content_type: String,
    pub size: i64,
    pub sha256: Vec<u8>,
    pub uploaded_at: OffsetDateTime,
    pub decided_at: Option<OffsetDateTime>,
    pub reason: Option<String>,
    pub purged_at: Option<OffsetDateTime>,
}

impl From<kyc_document::Model> for Document {
    fn from(r: kyc_document::Model) -> Self {
        Self {
            id: r.id.into(),
            shop: r.tenant_id.into(),
            kind: r.kind.into(),
            status: r.status.into(),
            content_type: r.content_type,
            size: r.size,
            sha256: r.sha256,
            uploaded_at: r.uploaded_at,
            decided_at: r.decided_at,
            reason: r.reason,
            purged_at: r.purged_at,
        }
    }
}

/// What an upload is, besides its bytes.
#[derive(Debug, Clone)]
pub struct Upload {
    pub kind: DocumentKind,
    /// Largest accepted document, enforced while the body streams.
    pub limit: u64,
    pub request_id: Option<String>,
}

/// Stores a document (the owner): the body is sniffed, stripped, hashed and encrypted under a
/// fresh document key while it streams (`harim-kyc`), then the row is written in one audited
/// transaction with the key wrapped under the shop's current tenant key. If the row cannot be
/// written, the object is deleted (the orphan sweep catches a crash in between).
pub async fn upload<S, E>(
    db: &DatabaseConnection,
    vault: &Arc<Vault>,
    documents: &DocumentStore,
    scope: &ShopScope,
    upload: Upload,
    body: S,
) -> Result<Document, StoreError>
where
    S: futures::Stream<Item = Result<bytes::Bytes, E>> + Send,
    E: Into<BodyError>,
{
    let Upload {
        kind,
        limit,
        request_id,
    } = upload;
    scope.require_owner()?;
    let tenant_id = scope.tenant_id();
    let document_id = Uuid::new_v4();
    let binding = DocumentBinding {
        tenant_id,
        document_id,
    };
    let key = DocumentKey::generate()?;
    let stored = documents.upload(binding, &key, body, limit).await?;
    let row = kyc_document::Model {
        tenant_id,
        id: document_id,
        kind: kind.into(),
        status: DocumentStatus::Pending.into(),
        content_type: stored.document_type.media_type().into(),
        size: i64::try_from(stored.size).map_err(|e| StoreError::internal("size", e))?,
        stored_size: i64::try_from(stored.stored_size)
            .map_err(|e| StoreError::internal("size", e))?,
        sha256: stored.sha256.to_vec(),
        wrapped_key: None,
        uploaded_by: scope.actor(),
        uploaded_at: OffsetDateTime::now_utc(),
        decided_at: None,
        decided_by: None,
        reason: None,
        purged_at: None,
    };
    let event = audit::Event {
        actor: scope.actor(),
        action: audit::Action::KycUpload,
        fields: vec![format!("{}:{document_id}", kind.as_str())],
        purpose: None,
        request_id,
    };
    let v = vault.clone();
    let saved = tx::audited(db, vault, tenant_id, event, move |txn| {
        Box::pin(async move {
            let wrapped = wrap_key(txn, &v, tenant_id, document_id, &key).await?;
            let mut am: kyc_document::ActiveModel = row.into();
            am.wrapped_key = Set(Some(RedactedBytes(wrapped)));
            Ok(Finish::Commit(am.insert(txn).await?))
        })
    })
    .await;
    match saved {
        Ok(saved) => {
            metrics::counter!("harim_kyc_documents_uploaded_total").increment(1);
            Ok(saved.into())
        }
        Err(e) => {
            if let Err(del) = documents.delete(tenant_id, document_id).await {
                tracing::warn!(error = %del, "could not delete the object of a failed upload; the orphan sweep will");
            }
            Err(e)
        }
    }
}

/// The scope's documents, newest first (any member and platform operators; metadata only).
pub async fn list(
    db: &impl ConnectionTrait,
    scope: &ShopScope,
) -> Result<Vec<Document>, StoreError> {
    Ok(kyc_document::Entity::find()
        .filter(kyc_document::Column::TenantId.eq(scope.tenant_id()))
        .order_by_desc(kyc_document::Column::UploadedAt)
        .limit(500)
        .all(db)
        .await?
        .into_iter()
        .map(Document::from)
        .collect())
}

/// One document of the scope's shop.
pub async fn get(
    db: &impl ConnectionTrait,
    scope: &ShopScope,
    id: DocumentId,
) -> Result<Document, StoreError> {
    Ok(
        kyc_document::Entity::find_by_id((scope.tenant_id(), id.uuid()))
            .one(db)
            .await?
            .ok_or(StoreError::NotFound)?
            .into(),
    )
}

/// Reads a document (the owner or a platform reviewer, with a purpose). The access is written
/// to the shop's chain before the document key is unwrapped; if it cannot be, nothing is read.
/// The plaintext is checked against its recorded SHA-256 before it is returned.
pub async fn download(
    db: &DatabaseConnection,
    vault: &Arc<Vault>,
    documents: &DocumentStore,
    scope: &ShopScope,
    id: DocumentId,
    purpose: &str,
    request_id: Option<String>,
) -> Result<(Document, Zeroizing<Vec<u8>>), StoreError> {
    match scope.role() {
        ShopAccess::Owner | ShopAccess::Platform(PlatformRole::Reviewer) => {}
        _ => {
            return Err(StoreError::Forbidden(
                "Only the shop owner or a platform reviewer may download documents.",
            ));
        }
    }
    let tenant_id = scope.tenant_id();
    let event = audit::Event {
        actor: scope.actor(),
        action: audit::Action::KycDownload,
        fields: vec![format!("document:{id}")],
        purpose: Some(purpose),
        request_id,
    };
    let v = vault.clone();
    let (row, key) = tx::audited_or_refuse(
        db,
        vault,
        tenant_id,
        event,
        "The access could not be recorded, so nothing was served.",
        move |txn| {
            Box::pin(async move {
                // A missing document rolls the audit entry back with the 404.
                let row = kyc_document::Entity::find_by_id((tenant_id, id.uuid()))
                    .one(txn)
                    .await?
                    .ok_or(StoreError::NotFound)?;
                if row.purged_at.is_some() {
                    return Err(StoreError::Gone(
                        "This document was purged when its retention ran out.",
                    ));
                }
                let key = unwrap_key(txn, &v, &row).await?;
                Ok(Finish::Commit((row, key)))
            })
        },
    )
    .await?;
    let binding = DocumentBinding {
        tenant_id,
        document_id: row.id,
    };
    let bytes = documents.download(binding, key, &row.sha256).await?;
    Ok((row.into(), bytes))
}

/// Pending documents across all shops, oldest first (platform operators).
pub async fn review_queue(
    db: &impl ConnectionTrait,
    _operator: &PlatformScope,
    limit: u64,
) -> Result<Vec<Document>, StoreError> {
    Ok(kyc_document::Entity::find()
        .filter(kyc_document::Column::Status.eq(kyc_document::StoredStatus::Pending))
        .order_by_asc(kyc_document::Column::UploadedAt)
        .limit(limit)
        .all(db)
        .await?
        .into_iter()
        .map(Document::from)
        .collect())
}

/// Approves or rejects a pending document (platform reviewers); a decision is final.
pub async fn decide(
    db: &DatabaseConnection,
    vault: &Arc<Vault>,
    operator: &PlatformScope,
    id: DocumentId,
    decision: Decision,
    request_id: Option<String>,
) -> Result<Document, StoreError> {
    operator.require(
        PlatformRole::Reviewer,
        "Only KYC reviewers decide on documents.",
    )?;
    // The document's shop never changes, so reading it outside the transaction is safe; the
    // transaction then writes first (audit) and re-reads under the shop's lock.
    let tenant_id = kyc_document::Entity::find()
        .filter(kyc_document::Column::Id.eq(id.uuid()))
        .one(db)
        .await?
        .ok_or(StoreError::NotFound)?
        .tenant_id;
    let actor = operator.actor();
    let event = audit::Event {
        actor: actor.clone(),
        action: match decision.status() {
            DocumentStatus::Approved => audit::Action::KycApprove,
            _ => audit::Action::KycReject,
        },
        fields: vec![format!("document:{id}")],
        purpose: None,
        request_id,
    };
    tx::audited(db, vault, tenant_id, event, move |txn| {
        Box::pin(async move {
            let row = kyc_document::Entity::find_by_id((tenant_id, id.uuid()))
                .one(txn)
                .await?
                .ok_or(StoreError::NotFound)?;
            if !Decision::applies_to(row.status.into()) || row.purged_at.is_some() {
                return Err(StoreError::Conflict(
                    "This document was already decided; the merchant can upload a new one.",
                ));
            }
            let mut am: kyc_document::ActiveModel = row.into();
            am.status = Set(decision.status().into());
            am.reason = Set(decision.reason().map(str::to_string));
            am.decided_at = Set(Some(OffsetDateTime::now_utc()));
            am.decided_by = Set(Some(actor));
            Ok(Finish::Commit(am.update(txn).await?.into()))
        })
    })
    .await
}
