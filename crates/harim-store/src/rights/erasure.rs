//! Erasure by crypto-shredding, driven by the data map, with a signed receipt.
//!
//! **At once, in one transaction** (the shop's audited transaction, so no write of the shop can
//! interleave): the shop's tenant keys are deleted (every ciphertext of the shop, in the database,
//! in the object store and in any backup made from now on, is noise); an *erasure fence* row makes
//! the shop id unusable for new keys and its slug answer 410; then every row the map says to
//! delete or shred is deleted, table by table in the map's order, and counted; what the map says to
//! retain (the audit chain) is counted and kept with its reason and end date. Memberships, API
//! keys and invitations go with the rest, so no session or key reaches the shop any more. The
//! request row carries the first signed receipt. After commit the process forgets the shop's
//! unwrapped keys.
//!
//! **Then a job** ([`finish_shop`], resumable, idempotent) deletes every object under the shop's
//! prefix (documents, export archives, anything left behind) and lists again until the store says
//! none remain, deletes the archives of account exports that carried the shop's data, and
//! re-signs the receipt as completed. On SQLite it truncates the write-ahead log, so no page
//! image of a deleted row survives in the data directory (`secure_delete` is on for the same
//! reason: freed pages are zeroed).

use harim_kyc::DocumentStore;
use harim_vault::Vault;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, QueryFilter,
    Set,
};
use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use time::{Duration, OffsetDateTime};
use uuid::Uuid;

use super::{
    Rights,
    receipt::{self as receipts, ReceiptSigner, SignedReceipt},
};
use crate::{
    StoreError, audit,
    auth::{Passwords, Principal},
    datamap::{self, Erasure, Until},
    db::statement,
    entity::{
        account,
        data_request::{self, RequestKind, RequestState},
        erasure_fence, membership, shop,
    },
    error::Violation,
    fence::Fence,
    ids::{AccountId, DataRequestId, PLATFORM_TENANT},
    policies,
    roles::ShopRole,
    scope::ShopScope,
    tx::{self, Finish},
};

/// The progress of an erasure job, kept on its request row.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
struct Progress {
    /// Accounts that were members: their account exports carried the shop's data.
    members: Vec<Uuid>,
    /// Objects deleted so far (kept across restarts).
    objects_deleted: u64,
    /// Shop erasures an account erasure caused.
    shop_requests: Vec<Uuid>,
    /// Hex of the MAC of `members` under the audit key ([`MEMBERS_LABEL`]), made when the
    /// erasure starts: the job deletes the account-export archives of exactly these accounts, so
    /// a database writer who edited the list could otherwise make it delete anyone's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    members_mac: Option<String>,
}

/// Domain separation of the MAC over a shop erasure's former members.
const MEMBERS_LABEL: &[u8] = b"harim-erasure-members-v1";

fn members_parts<'a>(request_id: &'a Uuid, members: &'a [Uuid]) -> Vec<&'a [u8]> {
    let mut parts: Vec<&[u8]> = Vec::with_capacity(members.len() + 1);
    parts.push(request_id.as_bytes());
    parts.extend(members.iter().map(|m| m.as_bytes().as_slice()));
    parts
}

fn seal_members(
    key: &crate::evidence::AuditKey,
    request_id: Uuid,
    members: &[Uuid],
) -> Result<String, StoreError> {
    Ok(hex::encode(crate::evidence::tag(
        key,
        MEMBERS_LABEL,
        &members_parts(&request_id, members),
    )?))
}

fn members_hold(
    key: &crate::evidence::AuditKey,
    request_id: Uuid,
    p: &Progress,
) -> Result<bool, StoreError> {
    let Some(tag) = p.members_mac.as_deref().and_then(|h| hex::decode(h).ok()) else {
        return Ok(false);
    };
    crate::evidence::holds(
        key,
        MEMBERS_LABEL,
        &members_parts(&request_id, &p.members),
        &tag,
    )
}

fn rfc3339(t: OffsetDateTime) -> String {
    t.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

/// Until when a backup taken just before the erasure can bring the shop back: the root key
/// version active now wrapped the shop's tenant key in every backup taken since it became active;
/// it stops wrapping at the next rotation (at most the rotation period after it became active)
/// and can be destroyed once the last backup taken under it has expired.
async fn recoverable_until(
    db: &impl ConnectionTrait,
    rights: &Rights,
    now: OffsetDateTime,
) -> Result<OffsetDateTime, StoreError> {
    let active = rights.vault.provider().active_version();
    let row = db
        .query_one(statement(
            db,
            "SELECT changed_at FROM root_key_versions WHERE version = $1",
            [i32::try_from(active).unwrap_or(i32::MAX).into()],
        ))
        .await?;
    let since: OffsetDateTime = match row {
        Some(r) => r.try_get("", "changed_at")?,
        None => now,
    };
    let period = Duration::days(i64::from(rights.config.root_rotation_period_days));
    let next_rotation = (since + period).max(now);
    Ok(next_rotation + Duration::days(i64::from(rights.config.backup_retention_days)))
}

/// What erasure did to one map entry.
#[derive(Debug, Clone, Serialize)]
struct EntryOutcome {
    entry: &'static str,
    action: &'static str,
    rows: u64,
}

/// Whose rows an erasure removes: the map names, per table, the column that holds each.
#[derive(Debug, Clone, Copy)]
enum Subject {
    Shop(Uuid),
    Account(Uuid),
}

impl Subject {
    fn kind(self) -> &'static str {
        match self {
            Subject::Shop(_) => "shop",
            Subject::Account(_) => "account",
        }
    }

    fn id(self) -> Uuid {
        match self {
            Subject::Shop(id) | Subject::Account(id) => id,
        }
    }

    fn column(self, table: &datamap::Table) -> Option<&'static str> {
        match self {
            Subject::Shop(_) => table.shop_column(),
            Subject::Account(_) => table.account_column(),
        }
    }
}

/// The one map-driven erase loop (shops and accounts): applies each table's [`Erasure`] to the
/// subject's rows inside `txn`; returns the per-entry outcomes and the retained entries (each
/// with its reason and end date, so a receipt never says "retain" without saying why).
async fn erase_rows(
    txn: &DatabaseTransaction,
    subject: Subject,
    now: OffsetDateTime,
) -> Result<(Vec<EntryOutcome>, Vec<Value>), StoreError> {
    let id = subject.id();
    let mut outcomes = Vec::new();
    let mut retained = Vec::new();
    for t in datamap::TABLES {
        let (Some(erasure), Some(column)) = (t.erasure(), subject.column(t)) else {
            continue;
        };
        let (action, rows) = match erasure {
            Erasure::Shred | Erasure::Delete => {
                let sql = format!("DELETE FROM {} WHERE {column} = $1", t.name);
                let n = txn.execute(statement(txn, &sql, [id.into()])).await?;
                let action = if erasure == Erasure::Shred {
                    "shred"
                } else {
                    "delete"
                };
                (action, n.rows_affected())
            }
            Erasure::Anonymise => {
                let sql = format!("UPDATE {} SET {column} = NULL WHERE {column} = $1", t.name);
                let n = txn.execute(statement(txn, &sql, [id.into()])).await?;
                ("anonymise", n.rows_affected())
            }
            Erasure::Retain { reason, until } => {
                let sql = format!("SELECT COUNT(*) AS n FROM {} WHERE {column} = $1", t.name);
                let n = super::count(txn, &sql, [id.into()]).await?;
                let until = match until {
                    Until::DaysAfterErasure { days } => {
                        json!(rfc3339(now + Duration::days(i64::from(days))))
                    }
                    Until::Forever => Value::Null,
                };
                retained.push(json!({
                    "entry": t.name, "rows": n, "reason": reason, "until": until,
                }));
                ("retain", u64::try_from(n).unwrap_or(0))
            }
        };
        outcomes.push(EntryOutcome {
            entry: t.name,
            action,
            rows,
        });
    }
    Ok((outcomes, retained))
}

/// What goes into an erasure receipt beyond what [`erase_rows`] found.
struct ReceiptParts {
    id: Uuid,
    subject: Subject,
    now: OffsetDateTime,
    entries: Vec<EntryOutcome>,
    retained: Vec<Value>,
    objects_planned: i64,
    tenant_key_versions_destroyed: Vec<i32>,
    recoverable_until: OffsetDateTime,
}

/// The one receipt builder (format `harim-erasure-receipt/1`) for shop and account erasure;
/// `extra` adds the members only one kind has (`backups`, `shop_receipts`).
fn erasure_receipt(p: ReceiptParts, extra: serde_json::Map<String, Value>) -> Value {
    let mut receipt = json!({
        "format": "harim-erasure-receipt/1",
        "receipt_id": p.id.to_string(),
        "subject": {"kind": p.subject.kind(), "id": p.subject.id().to_string()},
        "requested_at": rfc3339(p.now),
        "shredded_at": rfc3339(p.now),
        "completed_at": null,
        "state": "shredded",
        "data_map_version": datamap::version(),
        "entries": p.entries,
        "objects": {"planned": p.objects_planned, "deleted": null},
        "tenant_key_versions_destroyed": p.tenant_key_versions_destroyed,
        "retained": p.retained,
        "recoverable_from_backups_until": rfc3339(p.recoverable_until),
    });
    if let Value::Object(map) = &mut receipt {
        map.extend(extra);
    }
    receipt
}

fn violation(field: &str, code: &str, message: &str) -> StoreError {
    StoreError::Rejected(vec![Violation {
        field: field.into(),
        code: code.into(),
        message: message.into(),
    }])
}

/// Stores (or replaces) the signed receipt of a request.
async fn save_receipt(
    db: &impl ConnectionTrait,
    row: &data_request::Model,
    signed: &SignedReceipt,
    state: RequestState,
    completed_at: Option<OffsetDateTime>,
    progress: Option<String>,
) -> Result<(), StoreError> {
    let mut am: data_request::ActiveModel = row.clone().into();
    am.receipt = Set(Some(
        serde_json::to_string(&signed.receipt).map_err(|e| StoreError::internal("receipt", e))?,
    ));
    am.signature = Set(Some(signed.signature.clone()));
    am.key_id = Set(Some(signed.key_id.clone()));
    am.state = Set(state);
    am.completed_at = Set(completed_at);
    if progress.is_some() {
        am.progress = Set(progress);
    }
    if state == RequestState::Completed {
        am.lease_until = Set(None);
        am.error = Set(None);
    }
    am.update(db).await?;
    Ok(())
}

/// Folds what the systems told of an erasure answered (`shop.redact`, `customer.redact`) into
/// its receipt, signed again: one `subscribers` entry per endpoint the event went to, with its
/// status, what it removed and what it kept (reason, until), or `pending`. Answers whether
/// `request` is such an erasure of shop `t`.
pub(crate) async fn fold_answers(
    db: &impl ConnectionTrait,
    vault: &Vault,
    t: Uuid,
    request: Uuid,
    event: Uuid,
) -> Result<bool, StoreError> {
    let Some(row) = super::find(db, t, request)
        .await?
        .filter(|r| matches!(r.kind, RequestKind::EraseShop | RequestKind::EraseCustomer))
    else {
        return Ok(false);
    };
    let key = crate::evidence::audit_key(db, vault).await?;
    if !super::authentic(&key, &row)? {
        crate::evidence::tampering(
            "data_request",
            &format!("erasure {} answered: its row is not one harim made", row.id),
        );
        return Err(StoreError::NotFound);
    }
    let Some(mut signed) = stored_receipt(&row)? else {
        return Ok(false);
    };
    signed.receipt["subscribers"] = crate::customer_requests::subscribers(db, t, event).await?;
    let signer = ReceiptSigner::load(db, vault).await?;
    let s = signer.sign(signed.receipt);
    save_receipt(db, &row, &s, row.state, row.completed_at, None).await?;
    Ok(true)
}

/// The request's receipt as stored.
pub fn stored_receipt(row: &data_request::Model) -> Result<Option<SignedReceipt>, StoreError> {
    match (&row.receipt, &row.signature, &row.key_id) {
        (Some(r), Some(s), Some(k)) => Ok(Some(SignedReceipt {
            receipt: serde_json::from_str(r).map_err(|e| StoreError::internal("receipt", e))?,
            signature: s.clone(),
            key_id: k.clone(),
        })),
        _ => Ok(None),
    }
}

/// The latest signed receipt of request `id` (public: it holds no personal data). Only of a
/// row harim made: a row inserted with SQL, carrying a copied and edited receipt, is not found
/// (and counted as tampering), so the public endpoint never serves a receipt harim did not
/// issue, whatever its signature.
pub async fn receipt(
    db: &impl ConnectionTrait,
    vault: &Vault,
    id: DataRequestId,
) -> Result<SignedReceipt, StoreError> {
    let rows = data_request::Entity::find()
        .filter(data_request::Column::Id.eq(id.uuid()))
        .filter(data_request::Column::Kind.is_in([
            RequestKind::EraseShop,
            RequestKind::EraseAccount,
            RequestKind::EraseCustomer,
        ]))
        .all(db)
        .await?;
    let key = crate::evidence::audit_key(db, vault).await?;
    for row in rows {
        if super::authentic(&key, &row)? {
            return stored_receipt(&row)?.ok_or(StoreError::NotFound);
        }
        crate::evidence::tampering(
            "data_request",
            &format!(
                "receipt {} asked for: its row is not one harim made",
                row.id
            ),
        );
    }
    Err(StoreError::NotFound)
}

/// Erases a shop: its owner, signed in, confirming with the shop's slug and re-entering the
/// account's password (a session left open is not enough to destroy a shop; attempts limited
/// per account, [`crate::accounts::reauthenticate`]). Answers the first signed receipt; the
/// worker finishes the job ([`finish_shop`]).
pub async fn erase_shop(
    rights: &Rights,
    passwords: &Passwords,
    scope: &ShopScope,
    confirm: &str,
    password: SecretString,
    request_id: Option<String>,
) -> Result<SignedReceipt, StoreError> {
    scope.require_owner_session()?;
    let shop = shop::Entity::find_by_id(scope.tenant_id())
        .one(&rights.db)
        .await?
        .ok_or(StoreError::NotFound)?;
    if confirm != shop.slug {
        return Err(violation(
            "confirm",
            "mismatch",
            "Type the shop's slug exactly to confirm that it is to be erased.",
        ));
    }
    crate::accounts::reauthenticate(
        &rights.db,
        passwords,
        scope.principal().account_id()?,
        password,
        "The password is not this account's: the shop was not erased.",
    )
    .await?;
    let days = policies::settings(&rights.db, scope).await?.response_days;
    let signed = shred_shop(
        rights,
        &shop,
        scope.principal().account_id().ok().map(AccountId::uuid),
        scope.actor(),
        days,
        request_id,
    )
    .await?;
    rights.wake.notify_one();
    Ok(signed)
}

/// The transactional part of a shop erasure (also used by account erasure). Returns the signed
/// receipt; on a shop already fenced, the receipt of that erasure.
async fn shred_shop(
    rights: &Rights,
    shop: &shop::Model,
    subject: Option<Uuid>,
    actor: String,
    response_days: u32,
    request_id: Option<String>,
) -> Result<SignedReceipt, StoreError> {
    let tenant_id = shop.id;
    let signer = ReceiptSigner::load(&rights.db, &rights.vault).await?;
    let event = audit::Event {
        actor,
        action: audit::Action::ShopErase,
        fields: vec![],
        purpose: Some("data_subject_request"),
        request_id,
    };
    let (r, shop) = (rights.clone(), shop.clone());
    let (signed, erased_now) =
        tx::audited(&rights.db, &rights.vault, tenant_id, event, move |txn| {
            Box::pin(async move {
                // Every replica drops the shop's pages and tenant keys when this commits.
                crate::events::notify(txn, crate::events::Event::Tenant(tenant_id)).await?;
                // The shop's lock is held from here: a rival erasure of the same shop waits,
                // then sees the fence and answers that erasure's receipt.
                crate::checkpoint::reached("erasure.shred.locked", tenant_id).await;
                match crate::fence::verified(txn, &r.vault, tenant_id).await? {
                    Fence::Verified(f) => {
                        let row = super::find(txn, tenant_id, f.request_id)
                            .await?
                            .ok_or_else(|| {
                                StoreError::internal("erasure", "fence without its request")
                            })?;
                        let signed = stored_receipt(&row)?.ok_or_else(|| {
                            StoreError::internal("erasure", "request without a receipt")
                        })?;
                        return Ok(Finish::Rollback((signed, false)));
                    }
                    // Planted with SQL on a live shop (counted and logged by `verified`): it
                    // stands for no erasure, so the owner's erasure replaces it with a real one.
                    Fence::Forged => {
                        erasure_fence::Entity::delete_by_id(tenant_id)
                            .exec(txn)
                            .await?;
                    }
                    Fence::None => {}
                }
                let signed = shred_in(txn, &r, &shop, subject, response_days, &signer).await?;
                Ok(Finish::Commit((signed, true)))
            })
        })
        .await?;
    if erased_now {
        rights.vault.forget_tenant(tenant_id);
        metrics::counter!("harim_erasures_total", "kind" => "shop").increment(1);
    }
    Ok(signed)
}

/// Inside the shop's audited transaction: fence, map-driven erasure, receipt, request row.
async fn shred_in(
    txn: &DatabaseTransaction,
    rights: &Rights,
    shop: &shop::Model,
    subject: Option<Uuid>,
    response_days: u32,
    signer: &ReceiptSigner,
) -> Result<SignedReceipt, StoreError> {
    let tenant_id = shop.id;
    let now = crate::evidence::now_micros();
    let id = Uuid::now_v7();
    let versions: Vec<i32> = txn
        .query_all(statement(
            txn,
            "SELECT tk_version FROM tenant_keys WHERE tenant_id = $1 ORDER BY tk_version",
            [tenant_id.into()],
        ))
        .await?
        .iter()
        .map(|r| r.try_get("", "tk_version"))
        .collect::<Result<_, _>>()?;
    let members: Vec<Uuid> = membership::Entity::find()
        .filter(membership::Column::TenantId.eq(tenant_id))
        .all(txn)
        .await?
        .into_iter()
        .map(|m| m.account_id)
        .collect();
    let documents: i64 = super::count(
        txn,
        "SELECT COUNT(*) AS n FROM kyc_documents WHERE tenant_id = $1 AND purged_at IS NULL",
        [tenant_id.into()],
    )
    .await?;
    // Exports of the shop: their archives go with the shop's prefix.
    let archives: i64 = super::count(
        txn,
        "SELECT COUNT(*) AS n FROM data_requests \
         WHERE tenant_id = $1 AND kind = 'export_shop' AND state = 'ready'",
        [tenant_id.into()],
    )
    .await?;
    txn.execute(statement(
        txn,
        "UPDATE data_requests SET state = 'expired', wrapped_key = NULL \
         WHERE tenant_id = $1 AND kind = 'export_shop'",
        [tenant_id.into()],
    ))
    .await?;
    let key = crate::evidence::audit_key(txn, &rights.vault).await?;
    let fence = crate::fence::seal(
        &key,
        tenant_id,
        now,
        id,
        crate::fence::slug_digest(&shop.slug),
    )?;
    erasure_fence::Entity::insert(erasure_fence::ActiveModel::from(fence))
        .exec_without_returning(txn)
        .await?;
    let (entries, retained) = erase_rows(txn, Subject::Shop(tenant_id), now).await?;
    // After the rows are gone (so the event outlives them): the platform's other systems erase
    // the shop too, and their answers are folded into this receipt ([`fold_answers`]).
    crate::privacy_events::emit(
        txn,
        tenant_id,
        crate::privacy_events::Topic::ShopRedact,
        Some(id),
        Some(super::due_date(now, response_days)),
        json!({"shop_id": tenant_id.to_string()}),
    )
    .await?;
    let until = recoverable_until(txn, rights, now).await?;
    let backups = format!(
        "a database backup taken before {} still holds the shop's wrapped tenant key; it can be \
         unwrapped only while the root key version that wrapped it exists, which ends at the \
         latest on {} (next root rotation plus backup retention)",
        rfc3339(now),
        rfc3339(until)
    );
    let receipt = erasure_receipt(
        ReceiptParts {
            id,
            subject: Subject::Shop(tenant_id),
            now,
            entries,
            retained,
            objects_planned: documents + archives,
            tenant_key_versions_destroyed: versions,
            recoverable_until: until,
        },
        serde_json::Map::from_iter([("backups".to_string(), json!(backups))]),
    );
    let signed = signer.sign(receipt);
    let key = crate::evidence::audit_key(txn, &rights.vault).await?;
    let progress = Progress {
        members_mac: Some(seal_members(&key, id, &members)?),
        members,
        ..Progress::default()
    };
    let row = erasure_request(
        data_request::Model {
            id,
            ..super::new_request(
                tenant_id,
                RequestKind::EraseShop,
                subject,
                now,
                response_days,
            )
        },
        &progress,
        &signed,
    )?;
    super::insert(txn, &rights.vault, row).await?;
    Ok(signed)
}

/// An erasure's request row with its progress and its first signed receipt.
fn erasure_request(
    row: data_request::Model,
    progress: &Progress,
    signed: &SignedReceipt,
) -> Result<data_request::Model, StoreError> {
    Ok(data_request::Model {
        progress: Some(
            serde_json::to_string(progress).map_err(|e| StoreError::internal("progress", e))?,
        ),
        receipt: Some(
            serde_json::to_string(&signed.receipt)
                .map_err(|e| StoreError::internal("receipt", e))?,
        ),
        signature: Some(signed.signature.clone()),
        key_id: Some(signed.key_id.clone()),
        ..row
    })
}

fn progress_of(row: &data_request::Model) -> Progress {
    row.progress
        .as_deref()
        .and_then(|p| serde_json::from_str(p).ok())
        .unwrap_or_default()
}

async fn save_progress(
    db: &impl ConnectionTrait,
    row: &data_request::Model,
    p: &Progress,
) -> Result<(), StoreError> {
    db.execute(statement(
        db,
        "UPDATE data_requests SET progress = $1 WHERE tenant_id = $2 AND id = $3",
        [
            serde_json::to_string(p)
                .map_err(|e| StoreError::internal("progress", e))?
                .into(),
            row.tenant_id.into(),
            row.id.into(),
        ],
    ))
    .await?;
    Ok(())
}

/// Deletes the archives of account exports of `accounts` (they may hold an erased shop's data).
async fn delete_account_archives(rights: &Rights, accounts: &[Uuid]) -> Result<u64, StoreError> {
    let mut n = 0;
    for a in accounts {
        let rows = data_request::Entity::find()
            .filter(data_request::Column::TenantId.eq(PLATFORM_TENANT))
            .filter(data_request::Column::Kind.eq(RequestKind::ExportAccount))
            .filter(data_request::Column::SubjectAccount.eq(*a))
            .all(&rights.db)
            .await?;
        for row in rows {
            if row.state != RequestState::Expired {
                super::export::delete_archive(rights, &row).await?;
            }
        }
        n += rights
            .documents
            .delete_prefix(&DocumentStore::account_prefix(*a))
            .await?;
    }
    Ok(n)
}

/// Removes what the database's own files keep of the shredded rows, as far as the engine
/// allows, and says what is left (the completed receipt's `database`).
///
/// On SQLite, moves every committed page into the database file (zeroed where rows were
/// deleted, `secure_delete` being on) and truncates the write-ahead log; a reader holding the
/// log makes the checkpoint report `busy`, which is retried and then answered as an error (the
/// worker tries again when the lease runs out), never ignored. On PostgreSQL a deleted row
/// stays in its page as a dead tuple, and even a plain `VACUUM` leaves its bytes in the page's
/// free space, so `tenant_keys` is rewritten (`VACUUM FULL`: a new file, the old one unlinked)
/// under a lock timeout, so a long rotation batch makes the step wait and retry rather than
/// queue every key read behind it. The write-ahead log written before that keeps the rows until
/// its segments are overwritten; the receipt names the settings that bound it.
async fn scrub(db: &sea_orm::DatabaseConnection) -> Result<Value, StoreError> {
    use sea_orm::DatabaseBackend;
    match db.get_database_backend() {
        DatabaseBackend::Sqlite => {
            use sea_orm::sqlx::Row;
            // One connection, with a short busy wait of its own: the pool's (10 s) is for
            // writers, and a reader that holds the log for longer is waited for by retrying.
            let pool = db.get_sqlite_connection_pool();
            let mut conn = pool.acquire().await.map_err(sqlx_error)?;
            sea_orm::sqlx::query("PRAGMA busy_timeout = 200")
                .execute(&mut *conn)
                .await
                .map_err(sqlx_error)?;
            let mut truncated = false;
            for attempt in 0..5u64 {
                let row = sea_orm::sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
                    .fetch_one(&mut *conn)
                    .await
                    .map_err(sqlx_error)?;
                let busy: i64 = row.try_get(0).map_err(sqlx_error)?;
                if busy == 0 {
                    truncated = true;
                    break;
                }
                tokio::time::sleep(std::time::Duration::from_millis(50 * (attempt + 1))).await;
            }
            sea_orm::sqlx::query("PRAGMA busy_timeout = 10000")
                .execute(&mut *conn)
                .await
                .map_err(sqlx_error)?;
            if !truncated {
                return Err(StoreError::Unavailable(
                    "A reader held the SQLite write-ahead log, so it could not be truncated; the erasure is retried.",
                ));
            }
            Ok(json!({
                "engine": "sqlite",
                "write_ahead_log": "truncated: every page of the deleted rows was written back zeroed (secure_delete) and the log emptied",
            }))
        }
        _ => {
            use sea_orm::sqlx::Row;
            let pool = db.get_postgres_connection_pool();
            let mut conn = pool.acquire().await.map_err(sqlx_error)?;
            sea_orm::sqlx::query("SET lock_timeout = '5s'")
                .execute(&mut *conn)
                .await
                .map_err(sqlx_error)?;
            let vacuumed = sea_orm::sqlx::query("VACUUM (FULL) tenant_keys")
                .execute(&mut *conn)
                .await;
            sea_orm::sqlx::query("RESET lock_timeout")
                .execute(&mut *conn)
                .await
                .map_err(sqlx_error)?;
            if vacuumed.is_err() {
                return Err(StoreError::Unavailable(
                    "The tenant key table could not be rewritten (a lock was held); the erasure is retried.",
                ));
            }
            let mut settings = serde_json::Map::new();
            for name in [
                "checkpoint_timeout",
                "max_wal_size",
                "wal_keep_size",
                "archive_mode",
            ] {
                let row = sea_orm::sqlx::query(&format!("SHOW {name}"))
                    .fetch_one(&mut *conn)
                    .await
                    .map_err(sqlx_error)?;
                let v: String = row.try_get(0).map_err(sqlx_error)?;
                settings.insert(name.to_string(), json!(v));
            }
            Ok(json!({
                "engine": "postgresql",
                "tenant_keys": format!("rewritten at {} (VACUUM FULL): no page of the table's file holds the shop's wrapped keys", rfc3339(OffsetDateTime::now_utc())),
                "write_ahead_log": "segments written before the rewrite hold the wrapped keys until they are overwritten: on this server at most max_wal_size of log after the next checkpoint, plus archived segments for as long as the operator's archive keeps them (archive_mode); each streaming replica applies the rewrite and its own log follows the same rule",
                "settings": settings,
            }))
        }
    }
}

fn sqlx_error(e: sea_orm::sqlx::Error) -> StoreError {
    StoreError::Db(sea_orm::DbErr::Custom(format!("scrub: {e}")))
}

/// The receipt of a request the worker is about to finish, checked: it verifies under this
/// installation's key and names this request and its subject, and a shop's fence verifies and
/// points at this request. Anything else is a row someone wrote with SQL (the worker would
/// otherwise delete whatever prefix it names and sign what it says), so it is refused, counted
/// and logged, and the request stays unfinished.
async fn verified_receipt(
    rights: &Rights,
    row: &data_request::Model,
    signer: &ReceiptSigner,
) -> Result<Value, StoreError> {
    let refuse = |why: &str| {
        crate::evidence::tampering("erasure_receipt", &format!("request {}: {why}", row.id));
        Err(StoreError::Internal(format!(
            "erasure {} refused: {why}",
            row.id
        )))
    };
    let Some(signed) = stored_receipt(row)? else {
        return refuse("it has no receipt");
    };
    if receipts::verify(&signed, &[signer.public_key()]).is_err() {
        return refuse("its receipt's signature does not verify");
    }
    let r = &signed.receipt;
    if r["receipt_id"].as_str() != Some(row.id.to_string().as_str()) {
        return refuse("its receipt is another request's");
    }
    match row.kind {
        RequestKind::EraseShop => {
            if r["subject"]["kind"] != "shop"
                || r["subject"]["id"].as_str() != Some(row.tenant_id.to_string().as_str())
            {
                return refuse("its receipt is about another subject");
            }
            match crate::fence::verified(&rights.db, &rights.vault, row.tenant_id).await? {
                Fence::Verified(f) if f.request_id == row.id => {}
                _ => return refuse("the shop has no fence of this erasure"),
            }
        }
        RequestKind::EraseAccount => {
            if r["subject"]["kind"] != "account" || row.tenant_id != PLATFORM_TENANT {
                return refuse("its receipt is about another subject");
            }
        }
        RequestKind::ExportShop | RequestKind::ExportAccount | RequestKind::EraseCustomer => {
            return refuse("it is not an erasure the worker finishes");
        }
    }
    Ok(signed.receipt)
}

/// The job of a shop erasure: objects, then the completed receipt.
pub(super) async fn finish_shop(
    rights: &Rights,
    row: &data_request::Model,
) -> Result<(), StoreError> {
    let signer = ReceiptSigner::load(&rights.db, &rights.vault).await?;
    let receipt = verified_receipt(rights, row, &signer).await?;
    let mut progress = progress_of(row);
    let key = crate::evidence::audit_key(&rights.db, &rights.vault).await?;
    if !members_hold(&key, row.id, &progress)? {
        let why = "its list of former members is not the one it was created with";
        crate::evidence::tampering("erasure_members", &format!("request {}: {why}", row.id));
        return Err(StoreError::Internal(format!(
            "erasure {} refused: {why}",
            row.id
        )));
    }
    crate::checkpoint::reached("erasure.job.before_objects", row.tenant_id).await;
    crate::checkpoint::kill_point("erasure.objects");
    let deleted = rights
        .documents
        .delete_prefix(&DocumentStore::shop_prefix(row.tenant_id))
        .await?;
    crate::checkpoint::kill_point("erasure.after_objects");
    progress.objects_deleted += deleted;
    save_progress(&rights.db, row, &progress).await?;
    crate::checkpoint::kill_point("erasure.archives");
    delete_account_archives(rights, &progress.members).await?;
    let database = scrub(&rights.db).await?;
    complete(rights, row, &progress, receipt, database, &signer).await
}

/// The request completed: its receipt re-signed as completed and saved with the state.
async fn complete(
    rights: &Rights,
    row: &data_request::Model,
    progress: &Progress,
    mut receipt: Value,
    database: Value,
    signer: &ReceiptSigner,
) -> Result<(), StoreError> {
    receipt["state"] = json!("completed");
    receipt["database"] = database;
    receipt["completed_at"] = json!(rfc3339(OffsetDateTime::now_utc()));
    // The prefix is confirmed empty, so every object known at shredding is gone, whichever
    // attempt deleted it (a crash between a delete and the saved count loses no object).
    let planned = receipt["objects"]["planned"].as_u64().unwrap_or(0);
    receipt["objects"]["deleted"] = json!(planned);
    receipt["objects"]["unlisted_deleted"] =
        json!(progress.objects_deleted.saturating_sub(planned));
    receipt["objects"]["remaining"] = json!(0);
    let signed = signer.sign(receipt);
    save_receipt(
        &rights.db,
        row,
        &signed,
        RequestState::Completed,
        Some(OffsetDateTime::now_utc()),
        None,
    )
    .await
}

/// A crash-test hook: with `HARIM_TEST_KILL_AT=<point>` in the environment, the process sends
/// itself SIGKILL when the erasure job reaches `<point>` (the end-to-end suite's crash test:
/// no destructor, no flush, no graceful anything). Costs one environment lookup per job step.
/// Erases the signed-in person's account (re-authenticated with the password): every shop they
/// solely own is erased as by `DELETE /v1/shops/{id}`, they leave every other shop, and their
/// sessions, invitations and account row are deleted. Answers one signed receipt naming the
/// shop receipts.
pub async fn erase_account(
    rights: &Rights,
    passwords: &Passwords,
    principal: &Principal,
    password: SecretString,
    request_id: Option<String>,
) -> Result<SignedReceipt, StoreError> {
    let account_id = principal.account_id()?.uuid();
    let acct = crate::accounts::reauthenticate(
        &rights.db,
        passwords,
        principal.account_id()?,
        password,
        "The password is not this account's: the account was not erased.",
    )
    .await?;
    // Shops where this person is the only owner.
    let mut shop_receipts = Vec::new();
    let mut shop_requests = Vec::new();
    let owned = membership::Entity::find()
        .filter(membership::Column::AccountId.eq(account_id))
        .filter(membership::Column::Role.eq(ShopRole::Owner))
        .all(&rights.db)
        .await?;
    for m in owned {
        let owners = membership::Entity::find()
            .filter(membership::Column::TenantId.eq(m.tenant_id))
            .filter(membership::Column::Role.eq(ShopRole::Owner))
            .all(&rights.db)
            .await?
            .len();
        if owners > 1 {
            continue;
        }
        let Some(shop) = shop::Entity::find_by_id(m.tenant_id)
            .one(&rights.db)
            .await?
        else {
            continue;
        };
        let signed = shred_shop(
            rights,
            &shop,
            Some(account_id),
            principal.actor(),
            rights.config.default_response_days,
            request_id.clone(),
        )
        .await?;
        if let Some(id) = signed.receipt["receipt_id"]
            .as_str()
            .and_then(|s| Uuid::parse_str(s).ok())
        {
            shop_requests.push(id);
        }
        shop_receipts.push(signed.receipt["receipt_id"].clone());
    }
    // Shops the person opened from here on are found again inside the transaction below.
    crate::checkpoint::reached("erasure.account.before_transaction", account_id).await;
    let signer = ReceiptSigner::load(&rights.db, &rights.vault).await?;
    let actor = principal.actor();
    let late_request_id = request_id.clone();
    let event = audit::Event {
        actor: actor.clone(),
        action: audit::Action::AccountErase,
        fields: vec![],
        purpose: Some("data_subject_request"),
        request_id,
    };
    let r = rights.clone();
    let (signed, late) = tx::audited(
        &rights.db,
        &rights.vault,
        PLATFORM_TENANT,
        event,
        move |txn| {
            Box::pin(async move {
                let late =
                    erase_late_shops(txn, &r, account_id, &actor, late_request_id, &signer).await?;
                for (_, signed) in &late {
                    if let Some(id) = signed.receipt["receipt_id"]
                        .as_str()
                        .and_then(|s| Uuid::parse_str(s).ok())
                    {
                        shop_requests.push(id);
                    }
                    shop_receipts.push(signed.receipt["receipt_id"].clone());
                }
                let erased = AccountErasure {
                    account: acct,
                    actor,
                    shop_receipts,
                    shop_requests,
                };
                let signed = erase_account_in(txn, &r, erased, &signer).await?;
                Ok(Finish::Commit((signed, late)))
            })
        },
    )
    .await?;
    for (shop, _) in &late {
        rights.vault.forget_tenant(*shop);
        metrics::counter!("harim_erasures_total", "kind" => "shop").increment(1);
    }
    metrics::counter!("harim_erasures_total", "kind" => "account").increment(1);
    rights.wake.notify_one();
    Ok(signed)
}

/// Inside the account erasure's transaction, before the account's rows go: locks the account's
/// row, then erases, in this same transaction, every shop the account solely owns that the
/// erasures before the transaction did not (one a `POST /v1/shops` of the same person created
/// meanwhile). The owner's membership that `shops::create` inserts takes a key-share lock on the
/// same row (its foreign key's check), so a creation either commits before this lock (and its shop
/// is found here) or waits for it and finds the account gone (and is refused): no shop is left
/// without an owner. On SQLite the database's one writer orders the two transactions the same
/// way. Returns each shop erased here with its receipt.
async fn erase_late_shops(
    txn: &DatabaseTransaction,
    rights: &Rights,
    account_id: Uuid,
    actor: &str,
    request_id: Option<String>,
    signer: &ReceiptSigner,
) -> Result<Vec<(Uuid, SignedReceipt)>, StoreError> {
    if txn
        .query_one(statement(
            txn,
            "SELECT id FROM accounts WHERE id = $1 FOR UPDATE",
            [account_id.into()],
        ))
        .await?
        .is_none()
    {
        // A rival erasure of the same account committed first.
        return Err(StoreError::NotFound);
    }
    let rows = txn
        .query_all(statement(
            txn,
            "SELECT m.tenant_id FROM memberships m \
             WHERE m.account_id = $1 AND m.role = 'owner' AND NOT EXISTS \
             (SELECT 1 FROM memberships o WHERE o.tenant_id = m.tenant_id \
              AND o.role = 'owner' AND o.account_id <> $1)",
            [account_id.into()],
        ))
        .await?;
    let mut out = Vec::new();
    for row in rows {
        let tenant_id: Uuid = row.try_get("", "tenant_id")?;
        let Some(shop) = shop::Entity::find_by_id(tenant_id).one(txn).await? else {
            continue;
        };
        // What `shred_shop`'s own transaction does first: the shop's entry, the replicas told.
        audit::append(
            txn,
            &rights.vault,
            tenant_id,
            audit::Event {
                actor: actor.to_string(),
                action: audit::Action::ShopErase,
                fields: vec![],
                purpose: Some("data_subject_request"),
                request_id: request_id.clone(),
            },
        )
        .await?;
        crate::events::notify(txn, crate::events::Event::Tenant(tenant_id)).await?;
        match crate::fence::verified(txn, &rights.vault, tenant_id).await? {
            // Erased meanwhile by its own erasure (which deleted the memberships it waited on).
            Fence::Verified(_) => continue,
            Fence::Forged => {
                erasure_fence::Entity::delete_by_id(tenant_id)
                    .exec(txn)
                    .await?;
            }
            Fence::None => {}
        }
        let signed = shred_in(
            txn,
            rights,
            &shop,
            Some(account_id),
            rights.config.default_response_days,
            signer,
        )
        .await?;
        out.push((tenant_id, signed));
    }
    Ok(out)
}

/// What an account erasure carries into its transaction.
struct AccountErasure {
    account: account::Model,
    actor: String,
    shop_receipts: Vec<Value>,
    shop_requests: Vec<Uuid>,
}

/// Inside the platform chain's audited transaction: invitations, the map-driven erasure, the
/// receipt and the request row.
async fn erase_account_in(
    txn: &DatabaseTransaction,
    rights: &Rights,
    erased: AccountErasure,
    signer: &ReceiptSigner,
) -> Result<SignedReceipt, StoreError> {
    let account_id = erased.account.id;
    let now = OffsetDateTime::now_utc();
    let id = Uuid::now_v7();
    // Invitations addressed to the person: matched by address, which the map cannot name.
    let n = txn
        .execute(statement(
            txn,
            "DELETE FROM invitations WHERE email = $1",
            [erased.account.email.clone().into()],
        ))
        .await?
        .rows_affected();
    let mut entries = vec![EntryOutcome {
        entry: "invitations",
        action: "delete",
        rows: n,
    }];
    let (outcomes, mut retained) = erase_rows(txn, Subject::Account(account_id), now).await?;
    entries.extend(outcomes);
    let audit_rows: i64 = super::count(
        txn,
        "SELECT COUNT(*) AS n FROM audit_log WHERE actor = $1",
        [erased.actor.into()],
    )
    .await?;
    let archives: i64 = super::count(
        txn,
        "SELECT COUNT(*) AS n FROM data_requests \
         WHERE kind = 'export_account' AND subject_account = $1 AND state = 'ready'",
        [account_id.into()],
    )
    .await?;
    let until = recoverable_until(txn, rights, now).await?;
    retained.push(json!({
        "entry": "audit_log", "rows": audit_rows,
        "reason": "entries this account is the actor of, in shops it did not solely own and in the platform chain: they name a random account id that no longer leads to anyone",
        "until": rfc3339(now + Duration::days(i64::from(rights.config.after_account_deletion_days))),
    }));
    let receipt = erasure_receipt(
        ReceiptParts {
            id,
            subject: Subject::Account(account_id),
            now,
            entries,
            retained,
            objects_planned: archives,
            tenant_key_versions_destroyed: Vec::new(),
            recoverable_until: until,
        },
        serde_json::Map::from_iter([("shop_receipts".to_string(), json!(erased.shop_receipts))]),
    );
    let signed = signer.sign(receipt);
    let progress = Progress {
        members: vec![account_id],
        objects_deleted: 0,
        shop_requests: erased.shop_requests,
        // Its archives are the ones of the receipt's subject, never this list.
        members_mac: None,
    };
    let row = erasure_request(
        data_request::Model {
            id,
            ..super::new_request(
                PLATFORM_TENANT,
                RequestKind::EraseAccount,
                None,
                now,
                rights.config.default_response_days,
            )
        },
        &progress,
        &signed,
    )?;
    super::insert(txn, &rights.vault, row).await?;
    Ok(signed)
}

/// The job of an account erasure: the account's archives, then the completed receipt.
pub(super) async fn finish_account(
    rights: &Rights,
    row: &data_request::Model,
) -> Result<(), StoreError> {
    let signer = ReceiptSigner::load(&rights.db, &rights.vault).await?;
    let receipt = verified_receipt(rights, row, &signer).await?;
    let mut progress = progress_of(row);
    // Whose archives go is what the signed receipt says, not the (unsigned) progress.
    let account = receipt["subject"]["id"]
        .as_str()
        .and_then(|s| Uuid::parse_str(s).ok())
        .ok_or_else(|| StoreError::internal("erasure", "account receipt without its subject"))?;
    progress.members = vec![account];
    let deleted = delete_account_archives(rights, &progress.members).await?;
    progress.objects_deleted += deleted;
    save_progress(&rights.db, row, &progress).await?;
    let database = scrub(&rights.db).await?;
    complete(rights, row, &progress, receipt, database, &signer).await
}

/// Purges what shop erasure retained once its time is over: audit chains of shops erased at
/// least `days` ([`datamap::AUDIT_DAYS_AFTER_ERASURE`]) ago. Returns the number of chains
/// purged. Run by the retention job ([`crate::retention::run`]).
///
/// Only on a fence whose MAC holds, and only a chain that verifies: a planted fence would
/// otherwise delete a live shop's evidence, and purging a broken chain would destroy the proof
/// that it was broken. Each purge writes its purge record (the chain's final sequence number
/// and link) into the platform chain in the same transaction, which is what lets `audit
/// verify` accept the chain's absence afterwards.
pub async fn purge_retained(
    db: &sea_orm::DatabaseConnection,
    vault: &Vault,
    days: u32,
    now: OffsetDateTime,
) -> Result<u64, StoreError> {
    let cutoff = now - Duration::days(i64::from(days));
    let key = crate::evidence::audit_key(db, vault).await?;
    let fences = erasure_fence::Entity::find()
        .filter(erasure_fence::Column::ErasedAt.lte(cutoff))
        .all(db)
        .await?;
    let mut n = 0;
    let mut refused = 0;
    for f in fences {
        let tenant_id = f.tenant_id;
        if !crate::fence::authentic(&key, &f)? {
            crate::evidence::tampering("erasure_fence", &format!("shop {tenant_id}: chain kept"));
            refused += 1;
            continue;
        }
        let Some((seq, hash)) = audit::head(db, tenant_id).await? else {
            continue; // purged already
        };
        if let Some(b) = audit::check_chain(db, vault, tenant_id).await? {
            crate::evidence::tampering(
                "audit_entry",
                &format!(
                    "shop {tenant_id}: chain kept, broken at {}: {}",
                    b.seq, b.reason
                ),
            );
            refused += 1;
            continue;
        }
        let event = audit::PurgeRecord::event(tenant_id, seq, &hash);
        let purged = tx::audited(db, vault, PLATFORM_TENANT, event, move |txn| {
            Box::pin(async move {
                // Only the head that was checked: an entry appended since makes this a no-op.
                let gone = txn
                    .execute(statement(
                        txn,
                        "DELETE FROM audit_heads WHERE tenant_id = $1 AND seq = $2 AND hash = $3",
                        [tenant_id.into(), seq.into(), hash.into()],
                    ))
                    .await?
                    .rows_affected();
                if gone != 1 {
                    return Ok(Finish::Rollback(false));
                }
                txn.execute(statement(
                    txn,
                    "DELETE FROM audit_log WHERE tenant_id = $1",
                    [tenant_id.into()],
                ))
                .await?;
                Ok(Finish::Commit(true))
            })
        })
        .await?;
        n += u64::from(purged);
    }
    if refused > 0 {
        return Err(StoreError::Internal(format!(
            "{refused} erased shops' chains were kept: their fence or chain does not verify"
        )));
    }
    Ok(n)
}
