//! Online, resumable root-key rotation (no HTTP here: `routes::keys` and the CLI call this).
//!
//! `start` adds a new root version to the key provider (it becomes active at once, so new
//! tenant keys are wrapped under it) and records a job in `key_rotation_jobs`. A worker
//! ([`run`]) then re-wraps, batch by batch, every tenant key still wrapped under an older
//! version, and recomputes every identity's blind indexes under the new version:
//!
//! - A batch is one transaction: claim rows (PostgreSQL: `SELECT ... FOR UPDATE SKIP LOCKED`,
//!   so several workers share one job without waiting on each other; SQLite: the transaction
//!   takes the write lock first, one writer at a time), re-wrap them, write them back with a
//!   guard on the old version (`... AND kek_version = <old>`), bump the job's `done` and append
//!   to the audit log, then commit. A worker killed at any instant loses at most its
//!   uncommitted batch, which the next worker claims again; a row is never re-wrapped twice
//!   because the claim and the guard only match rows still under an old version.
//! - Reads and writes keep working throughout: until retirement both versions unwrap.
//! - Rotation steps are recorded in a platform-level audit chain under the reserved tenant id
//!   [`PLATFORM_TENANT`] (`Uuid::nil()`, never a shop id).
//!
//! [`retire`] destroys an old version for good, refusing while it is active or while any tenant
//! key or blind index still references it.

use std::collections::BTreeMap;
use std::time::Duration;

use harim_vault::{BlindIndexKind, FieldContext, KeyState, Vault, VaultError, WrappedTenantKey};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseBackend, DatabaseConnection,
    EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Set, Statement,
    TransactionTrait, sea_query::Expr,
};
use secrecy::ExposeSecret;
use serde::Serialize;
use time::OffsetDateTime;

use uuid::Uuid;

use crate::{
    audit,
    db::statement,
    entity::{merchant_identity, rotation_job, tenant_key},
    error::StoreError,
};

/// The audit chain of platform-level key operations. No shop has this id (shop ids are v7).
pub const PLATFORM_TENANT: Uuid = Uuid::nil();
/// Rows per batch (one transaction each).
pub const DEFAULT_BATCH: u64 = 500;

/// Job kinds and states as stored.
pub const KIND_ROOT: &str = "root";
pub const KIND_RETIRE: &str = "retire";
pub const STATE_PENDING: &str = "pending";
pub const STATE_RUNNING: &str = "running";
pub const STATE_DONE: &str = "done";
pub const STATE_FAILED: &str = "failed";

/// Why a key operation was refused or failed. `Display` is the operator-facing message.
#[derive(Debug, thiserror::Error)]
pub enum RotationError {
    #[error("key provider is read-only: add a root key version in the provider itself")]
    ReadOnly,
    #[error("root key version {0} is the active version; rotate to a new version first")]
    Active(u32),
    #[error("root key version {0} is unknown to the key provider")]
    Unknown(u32),
    #[error(
        "root key version {version} is still referenced by {tenant_keys} tenant key(s) and {blind_indexes} identity blind index(es); run `harim keys rotate --wait` first"
    )]
    Referenced {
        version: u32,
        tenant_keys: u64,
        blind_indexes: u64,
    },
    #[error("no rotation job {0}")]
    NoSuchJob(Uuid),
    #[error("root key version {0} is being retired and may not wrap; start a new rotation")]
    NotWrappable(u32),
    #[error(
        "root key version {version} is decrypt-only; it is destroyed once every process has seen that, after {destroy_after}"
    )]
    GracePeriod {
        version: u32,
        destroy_after: OffsetDateTime,
    },
    #[error("key provider: {0}")]
    Vault(#[from] VaultError),
    #[error("{0}")]
    Store(#[from] StoreError),
}

impl From<sea_orm::DbErr> for RotationError {
    fn from(e: sea_orm::DbErr) -> Self {
        Self::Store(StoreError::from(e))
    }
}

impl From<RotationError> for StoreError {
    fn from(e: RotationError) -> Self {
        match e {
            RotationError::ReadOnly => StoreError::Conflict(
                "The key provider is read-only (key provider is read-only): add a root key version in the provider itself.",
            ),
            RotationError::Active(_) => {
                StoreError::Conflict("That root key version is the active version.")
            }
            RotationError::Referenced { .. } => StoreError::Conflict(
                "That root key version still wraps tenant keys or blind indexes; rotate first.",
            ),
            RotationError::Unknown(_) | RotationError::NoSuchJob(_) => StoreError::NotFound,
            RotationError::NotWrappable(_) | RotationError::GracePeriod { .. } => {
                StoreError::Conflict("That root key version is being retired.")
            }
            RotationError::Vault(v) => StoreError::from(v),
            RotationError::Store(a) => a,
        }
    }
}

fn vault_err(e: VaultError) -> RotationError {
    match e {
        VaultError::ReadOnlyProvider => RotationError::ReadOnly,
        VaultError::KeyVersionActive(v) => RotationError::Active(v),
        VaultError::UnknownKeyVersion(v) => RotationError::Unknown(v),
        other => RotationError::Vault(other),
    }
}

fn i32_of(v: u32) -> Result<i32, StoreError> {
    i32::try_from(v).map_err(|_| StoreError::internal("rotation", "version overflow"))
}

/// Progress of a job as the API shows it.
#[derive(Debug, Clone, Serialize)]
pub struct JobView {
    pub id: Uuid,
    /// `pending`, `running`, `done` or `failed`.
    pub state: String,
    pub target_kek_version: i32,
    pub done: i64,
    pub total: i64,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339::option")]
    pub finished_at: Option<OffsetDateTime>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl From<rotation_job::Model> for JobView {
    fn from(m: rotation_job::Model) -> Self {
        Self {
            id: m.id,
            state: m.state,
            target_kek_version: m.target_kek_version,
            done: m.done,
            total: m.total,
            created_at: m.created_at,
            updated_at: m.updated_at,
            finished_at: m.finished_at,
            error: m.error,
        }
    }
}

/// One root key version in the status.
#[derive(Debug, Clone, Serialize)]
pub struct VersionStatus {
    pub version: u32,
    /// `active`, `decrypt_only`, `retired` (destroyed) or `missing` (referenced by rows but
    /// unknown to the key provider: investigate).
    pub state: String,
    /// Tenant keys wrapped under this version.
    pub tenant_keys: u64,
    /// Identities whose blind indexes are under this version.
    pub blind_indexes: u64,
}

/// `GET /v1/admin/keys` and `harim keys status`.
#[derive(Debug, Clone, Serialize)]
pub struct KeysStatus {
    /// `file`, `env`, ...
    pub provider: String,
    pub active_version: u32,
    pub versions: Vec<VersionStatus>,
    /// The running job, or else the most recent one.
    pub rotation: Option<JobView>,
}

async fn count_by_version(
    db: &impl ConnectionTrait,
) -> Result<(BTreeMap<u32, u64>, BTreeMap<u32, u64>), StoreError> {
    let tk: Vec<(i32, i64)> = tenant_key::Entity::find()
        .select_only()
        .column(tenant_key::Column::KekVersion)
        .column_as(Expr::col(tenant_key::Column::TenantId).count(), "n")
        .group_by(tenant_key::Column::KekVersion)
        .into_tuple()
        .all(db)
        .await?;
    let bi: Vec<(i32, i64)> = merchant_identity::Entity::find()
        .select_only()
        .column(merchant_identity::Column::BidxVersion)
        .column_as(Expr::col(merchant_identity::Column::TenantId).count(), "n")
        .group_by(merchant_identity::Column::BidxVersion)
        .into_tuple()
        .all(db)
        .await?;
    let conv = |v: Vec<(i32, i64)>| {
        v.into_iter()
            .map(|(k, n)| (u32::try_from(k).unwrap_or(0), u64::try_from(n).unwrap_or(0)))
            .collect::<BTreeMap<_, _>>()
    };
    Ok((conv(tk), conv(bi)))
}

/// The key status: versions, what each wraps, and the current or last rotation.
pub async fn status(db: &DatabaseConnection, vault: &Vault) -> Result<KeysStatus, StoreError> {
    let provider = vault.provider();
    let _ = provider.reload();
    let (tk, bi) = count_by_version(db).await?;
    let retired: Vec<i32> = rotation_job::Entity::find()
        .select_only()
        .column(rotation_job::Column::TargetKekVersion)
        .filter(rotation_job::Column::Kind.eq(KIND_RETIRE))
        .into_tuple()
        .all(db)
        .await?;
    let mut states: BTreeMap<u32, String> = BTreeMap::new();
    for v in retired {
        if let Ok(v) = u32::try_from(v) {
            states.insert(v, "retired".into());
        }
    }
    let active = provider.active_version();
    for info in provider.versions() {
        let s = if info.version == active {
            "active"
        } else {
            "decrypt_only"
        };
        states.insert(info.version, s.into());
    }
    for v in tk.keys().chain(bi.keys()) {
        if provider.state(*v).is_none() {
            states.insert(*v, "missing".into());
        }
    }
    let versions = states
        .into_iter()
        .map(|(version, state)| VersionStatus {
            version,
            state,
            tenant_keys: tk.get(&version).copied().unwrap_or(0),
            blind_indexes: bi.get(&version).copied().unwrap_or(0),
        })
        .collect();
    let rotation = match unfinished(db).await? {
        Some(j) => Some(j),
        None => {
            rotation_job::Entity::find()
                .filter(rotation_job::Column::Kind.eq(KIND_ROOT))
                .order_by_desc(rotation_job::Column::CreatedAt)
                .one(db)
                .await?
        }
    };
    Ok(KeysStatus {
        provider: provider.kind().to_string(),
        active_version: active,
        versions,
        rotation: rotation.map(JobView::from),
    })
}

/// The unfinished (pending, running or failed) root rotation job, if any. A failed job is
/// resumed, not replaced: its rows still need re-wrapping.
pub async fn unfinished(
    db: &impl ConnectionTrait,
) -> Result<Option<rotation_job::Model>, StoreError> {
    Ok(rotation_job::Entity::find()
        .filter(rotation_job::Column::Kind.eq(KIND_ROOT))
        .filter(rotation_job::Column::State.is_in([STATE_PENDING, STATE_RUNNING, STATE_FAILED]))
        .order_by_asc(rotation_job::Column::CreatedAt)
        .one(db)
        .await?)
}

/// One job by id.
pub async fn job(db: &impl ConnectionTrait, id: Uuid) -> Result<rotation_job::Model, StoreError> {
    rotation_job::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(StoreError::NotFound)
}

async fn remaining(db: &impl ConnectionTrait, target: i32) -> Result<u64, StoreError> {
    let tk = tenant_key::Entity::find()
        .filter(tenant_key::Column::KekVersion.lt(target))
        .count(db)
        .await?;
    let bi = merchant_identity::Entity::find()
        .filter(merchant_identity::Column::BidxVersion.lt(target))
        .count(db)
        .await?;
    Ok(tk + bi)
}

/// Starts a root rotation, or returns the unfinished one (so a killed `rotate --wait` resumes
/// instead of adding yet another version). Returns the job and whether it was created now.
///
/// The job row is inserted *before* the new root version exists: a unique index admits one
/// unfinished root job, so of two concurrent starters (two replicas, a replica and the CLI) one
/// waits on the other's insert (PostgreSQL) or write lock (SQLite), fails, and returns the
/// winner's job; only the winner asks the provider for a version, under the keyring's file
/// lock. If the transaction fails after that, the extra version is harmless: it is in the
/// provider, so anything wrapped under it stays readable.
pub async fn start(
    db: &DatabaseConnection,
    vault: &Vault,
    actor: &str,
    request_id: Option<String>,
) -> Result<(rotation_job::Model, bool), RotationError> {
    if let Some(j) = unfinished(db).await? {
        return Ok((j, false));
    }
    crate::checkpoint::reached("rotation.start.before_create", actor).await;
    match create_job(db, vault, actor, request_id).await {
        Ok(job) => Ok((job, true)),
        // The unique index refused a second job (or, on SQLite, the loser's transaction lost
        // the write lock to the winner's commit): join the job that won.
        Err(RotationError::Store(e)) => match unfinished(db).await? {
            Some(j) => Ok((j, false)),
            None => Err(RotationError::Store(e)),
        },
        Err(e) => Err(e),
    }
}

async fn create_job(
    db: &DatabaseConnection,
    vault: &Vault,
    actor: &str,
    request_id: Option<String>,
) -> Result<rotation_job::Model, RotationError> {
    let now = OffsetDateTime::now_utc();
    let id = Uuid::now_v7();
    let txn = db.begin().await?;
    // The claim: the transaction's first write.
    let job = rotation_job::ActiveModel {
        id: Set(id),
        kind: Set(KIND_ROOT.into()),
        target_kek_version: Set(0),
        state: Set(STATE_PENDING.into()),
        total: Set(0),
        done: Set(0),
        error: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        finished_at: Set(None),
    }
    .insert(&txn)
    .await?;
    let version = vault.provider().add_version().map_err(vault_err)?;
    let target = i32_of(version)?;
    crate::keys::check_wrappable(&txn, version).await?;
    let total = i64::try_from(remaining(&txn, target).await?).unwrap_or(i64::MAX);
    let mut am: rotation_job::ActiveModel = job.into();
    am.target_kek_version = Set(target);
    am.total = Set(total);
    let job = am.update(&txn).await?;
    audit::append(
        &txn,
        vault,
        PLATFORM_TENANT,
        audit::Event {
            actor: actor.to_string(),
            action: "keys.rotation_started",
            fields: vec![format!("job:{id}"), format!("kek_version:{target}")],
            purpose: None,
            request_id,
        },
    )
    .await?;
    txn.commit().await?;
    tracing::info!(job = %id, kek_version = version, total, "root key rotation started");
    Ok(job)
}

/// Progress callback: `(done, total)` after each committed batch.
pub type Progress<'a> = &'a (dyn Fn(u64, u64) + Send + Sync);

/// Worker: runs job `id` to completion (or until a batch fails), batch by batch. Safe to run
/// in several processes at once on PostgreSQL, and to kill at any instant.
pub async fn run(
    db: &DatabaseConnection,
    vault: &Vault,
    id: Uuid,
    batch: u64,
    progress: Option<Progress<'_>>,
) -> Result<rotation_job::Model, RotationError> {
    let job = job(db, id).await?;
    if job.state == STATE_DONE {
        return Ok(job);
    }
    let target = job.target_kek_version;
    let target_u = u32::try_from(target).map_err(|_| RotationError::Unknown(0))?;
    // The job may have been started by another process: make sure we hold its version.
    if vault.provider().state(target_u).is_none() {
        let _ = vault.provider().reload();
        if vault.provider().state(target_u).is_none() {
            return Err(RotationError::Unknown(target_u));
        }
    }
    let pg = db.get_database_backend() == DatabaseBackend::Postgres;
    let batch = batch.max(1);
    let mut transient = 0;
    loop {
        let step = match batch_tenant_keys(db, vault, id, target, batch, pg).await {
            Ok(0) => batch_blind_indexes(db, vault, id, target, batch, pg).await,
            other => other,
        };
        let n = match step {
            Ok(n) => {
                transient = 0;
                n
            }
            // A batch is one transaction and idempotent: a database error (on SQLite, another
            // worker's commit beating this one to the write lock) is retried a few times
            // before the job is marked failed.
            Err(RotationError::Store(StoreError::Db(e))) if transient < 5 => {
                transient += 1;
                tracing::warn!(job = %id, error = %StoreError::Db(e), attempt = transient, "rotation batch retried");
                tokio::time::sleep(Duration::from_millis(20 * transient)).await;
                continue;
            }
            Err(e) => {
                fail(db, id, &e).await;
                return Err(e);
            }
        };
        if n == 0 {
            // Nothing left that we could claim. Rows may still be locked by another worker
            // (PostgreSQL): wait for them to commit, or for their worker to die.
            if remaining(db, target).await? > 0 {
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
            // Nothing may wrap under an older version from now on, whatever copy of the key
            // provider a process holds (see `keys::check_wrappable`). A wrapper that was in
            // flight has committed once the marks are in: look again before finishing.
            for info in vault.provider().versions() {
                if info.version < target_u {
                    mark_decrypt_only(db, i32_of(info.version)?).await?;
                }
            }
            if remaining(db, target).await? > 0 {
                continue;
            }
            return finish(db, vault, id).await;
        }
        if let Some(p) = progress {
            let j = self::job(db, id).await?;
            p(
                u64::try_from(j.done).unwrap_or(0),
                u64::try_from(j.total.max(j.done)).unwrap_or(0),
            );
        }
    }
}

async fn fail(db: &DatabaseConnection, id: Uuid, e: &RotationError) {
    tracing::error!(job = %id, error = %e, "key rotation batch failed");
    let _ = rotation_job::Entity::update_many()
        .col_expr(rotation_job::Column::State, Expr::value(STATE_FAILED))
        .col_expr(rotation_job::Column::Error, Expr::value(e.to_string()))
        .col_expr(
            rotation_job::Column::UpdatedAt,
            Expr::value(OffsetDateTime::now_utc()),
        )
        .filter(rotation_job::Column::Id.eq(id))
        .filter(rotation_job::Column::State.ne(STATE_DONE))
        .exec(db)
        .await;
}

async fn finish(
    db: &DatabaseConnection,
    vault: &Vault,
    id: Uuid,
) -> Result<rotation_job::Model, RotationError> {
    {
        let owned = db.begin().await?;
        let txn = &owned;
        let result: Result<(), StoreError> = async {
            // Write first: on SQLite a read-then-write transaction fails (BUSY_SNAPSHOT) when
            // another writer commits in between.
            let now = OffsetDateTime::now_utc();
            let res = rotation_job::Entity::update_many()
                .col_expr(rotation_job::Column::State, Expr::value(STATE_DONE))
                .col_expr(rotation_job::Column::UpdatedAt, Expr::value(now))
                .col_expr(rotation_job::Column::FinishedAt, Expr::value(Some(now)))
                .filter(rotation_job::Column::Id.eq(id))
                .filter(rotation_job::Column::State.ne(STATE_DONE))
                .exec(txn)
                .await?;
            // Exactly one worker flips the state, and only it writes the audit entry.
            if res.rows_affected == 1 {
                let j = self::job(txn, id).await?;
                if j.done > j.total {
                    // Rows created under an old version after the job started.
                    rotation_job::Entity::update_many()
                        .col_expr(rotation_job::Column::Total, Expr::value(j.done))
                        .filter(rotation_job::Column::Id.eq(id))
                        .exec(txn)
                        .await?;
                }
                audit::append(
                    txn,
                    vault,
                    PLATFORM_TENANT,
                    audit::Event {
                        actor: "rotation-worker".into(),
                        action: "keys.rotation_finished",
                        fields: vec![
                            format!("job:{id}"),
                            format!("kek_version:{}", j.target_kek_version),
                            format!("rows:{}", j.done),
                        ],
                        purpose: None,
                        request_id: None,
                    },
                )
                .await?;
                tracing::info!(job = %id, rows = j.done, "root key rotation finished");
            }
            Ok(())
        }
        .await;
        result?;
        owned.commit().await?;
    }
    Ok(job(db, id).await?)
}

/// Bumps the job's progress (and heartbeat) inside the batch's transaction. On SQLite this is
/// the batch's first statement, so the transaction holds the write lock before it reads.
async fn bump(db: &impl ConnectionTrait, id: Uuid, n: u64) -> Result<(), StoreError> {
    let n = i64::try_from(n).unwrap_or(i64::MAX);
    rotation_job::Entity::update_many()
        .col_expr(
            rotation_job::Column::Done,
            Expr::col(rotation_job::Column::Done).add(n),
        )
        .col_expr(rotation_job::Column::State, Expr::value(STATE_RUNNING))
        .col_expr(
            rotation_job::Column::UpdatedAt,
            Expr::value(OffsetDateTime::now_utc()),
        )
        .filter(rotation_job::Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(())
}

async fn audit_batch(
    txn: &sea_orm::DatabaseTransaction,
    vault: &Vault,
    id: Uuid,
    what: &str,
    n: u64,
) -> Result<(), StoreError> {
    audit::append(
        txn,
        vault,
        PLATFORM_TENANT,
        audit::Event {
            actor: "rotation-worker".into(),
            action: "keys.rotation_batch",
            fields: vec![format!("job:{id}"), format!("{what}:{n}")],
            purpose: None,
            request_id: None,
        },
    )
    .await
}

/// One batch of tenant keys; returns how many were re-wrapped (0: none left to claim).
async fn batch_tenant_keys(
    db: &DatabaseConnection,
    vault: &Vault,
    id: Uuid,
    target: i32,
    batch: u64,
    pg: bool,
) -> Result<u64, RotationError> {
    let txn = db.begin().await?;
    if !pg {
        bump(&txn, id, 0).await?;
    }
    // No ORDER BY: any `batch` rows under an old version will do, found through the
    // `tenant_keys_kek_version` index. (Ordering by the primary key made every batch sort all
    // remaining rows: 5x slower at 100,000 keys.)
    let mut q = tenant_key::Entity::find()
        .filter(tenant_key::Column::KekVersion.lt(target))
        .limit(batch);
    if pg {
        q = q.lock_with_behavior(
            sea_orm::sea_query::LockType::Update,
            sea_orm::sea_query::LockBehavior::SkipLocked,
        );
    }
    let rows = q.all(&txn).await?;
    if rows.is_empty() {
        txn.rollback().await?;
        return Ok(0);
    }
    let target_u = u32::try_from(target).map_err(|_| RotationError::Unknown(0))?;
    // Never wrap under a version another process has started to retire.
    if !crate::keys::check_wrappable(&txn, target_u).await? {
        return Err(RotationError::NotWrappable(target_u));
    }
    let mut rewrapped = Vec::with_capacity(rows.len());
    for row in &rows {
        let wk = crate::keys::wrapped(row)?;
        let new = vault.rewrap(&wk, target_u).map_err(vault_err)?;
        rewrapped.push((row.kek_version, new));
    }
    let n = if pg {
        update_bulk_pg(&txn, target, &rewrapped).await?
    } else {
        let mut n = 0;
        for (old, new) in &rewrapped {
            n += update_one(&txn, *old, new).await?;
        }
        n
    };
    bump(&txn, id, n).await?;
    audit_batch(&txn, vault, id, "tenant_keys", n).await?;
    txn.commit().await?;
    metrics::counter!("harim_tenant_keys_rewrapped_total").increment(n);
    Ok(n)
}

/// The idempotent single-row re-wrap: only a row still under `old` changes.
async fn update_one(
    db: &impl ConnectionTrait,
    old: i32,
    new: &WrappedTenantKey,
) -> Result<u64, StoreError> {
    let res = tenant_key::Entity::update_many()
        .col_expr(
            tenant_key::Column::Wrapped,
            Expr::value(new.wrapped.clone()),
        )
        .col_expr(
            tenant_key::Column::KekVersion,
            Expr::value(i32_of(new.kek_version)?),
        )
        .filter(tenant_key::Column::TenantId.eq(new.tenant_id))
        .filter(tenant_key::Column::TkVersion.eq(i32_of(new.tk_version)?))
        .filter(tenant_key::Column::KekVersion.eq(old))
        .exec(db)
        .await?;
    Ok(res.rows_affected)
}

/// The same guarded update for a whole batch in one statement (PostgreSQL):
/// `UPDATE tenant_keys t SET wrapped = v.wrapped, kek_version = $1 FROM (VALUES ...) v
///  WHERE t.tenant_id = v.tenant_id AND t.tk_version = v.tk_version AND t.kek_version = v.old`.
pub async fn update_bulk_pg(
    db: &impl ConnectionTrait,
    target: i32,
    rows: &[(i32, WrappedTenantKey)],
) -> Result<u64, StoreError> {
    if rows.is_empty() {
        return Ok(0);
    }
    let mut sql = String::from(
        "UPDATE tenant_keys AS t SET wrapped = v.wrapped, kek_version = $1 FROM (VALUES ",
    );
    let mut values: Vec<sea_orm::Value> = Vec::with_capacity(1 + rows.len() * 4);
    values.push(target.into());
    for (i, (old, new)) in rows.iter().enumerate() {
        let b = 2 + i * 4;
        if i > 0 {
            sql.push(',');
        }
        sql.push_str(&format!("(${}, ${}, ${}, ${})", b, b + 1, b + 2, b + 3));
        values.push(new.tenant_id.into());
        values.push(i32_of(new.tk_version)?.into());
        values.push((*old).into());
        values.push(new.wrapped.clone().into());
    }
    sql.push_str(
        ") AS v(tenant_id, tk_version, old, wrapped) \
         WHERE t.tenant_id = v.tenant_id AND t.tk_version = v.tk_version AND t.kek_version = v.old",
    );
    let res = db
        .execute(Statement::from_sql_and_values(
            DatabaseBackend::Postgres,
            sql,
            values,
        ))
        .await?;
    Ok(res.rows_affected())
}

/// One batch of identities whose blind indexes are under an old version: decrypt the two
/// indexed fields, recompute both indexes under `target`, write them with a version guard.
async fn batch_blind_indexes(
    db: &DatabaseConnection,
    vault: &Vault,
    id: Uuid,
    target: i32,
    batch: u64,
    pg: bool,
) -> Result<u64, RotationError> {
    let txn = db.begin().await?;
    if !pg {
        bump(&txn, id, 0).await?;
    }
    let mut q = merchant_identity::Entity::find()
        .filter(merchant_identity::Column::BidxVersion.lt(target))
        .limit(batch);
    if pg {
        q = q.lock_with_behavior(
            sea_orm::sea_query::LockType::Update,
            sea_orm::sea_query::LockBehavior::SkipLocked,
        );
    }
    let rows = q.all(&txn).await?;
    if rows.is_empty() {
        txn.rollback().await?;
        return Ok(0);
    }
    let target_u = u32::try_from(target).map_err(|_| RotationError::Unknown(0))?;
    let mut n = 0;
    for row in rows {
        let wk = crate::keys::version(&txn, row.tenant_id, row.tk_version).await?;
        let ctx = |field: &'static str| FieldContext {
            tenant_id: row.tenant_id,
            table: "merchant_identities",
            record_id: row.tenant_id,
            field,
        };
        let dec = |field: &'static str, ct: &[u8]| {
            vault
                .decrypt_field_string(&wk, &ctx(field), ct)
                .map_err(vault_err)
        };
        let nid = dec("national_id", &row.national_id)?;
        let iban = dec("iban", &row.iban)?;
        let nid_input = harim_vault::pii::national_id_index_input(nid.expose_secret());
        let nid_bidx = vault
            .blind_index(target_u, BlindIndexKind::NationalId, &nid_input)
            .map_err(vault_err)?;
        let iban_bidx = vault
            .blind_index(target_u, BlindIndexKind::Iban, iban.expose_secret())
            .map_err(vault_err)?;
        let res = merchant_identity::Entity::update_many()
            .col_expr(
                merchant_identity::Column::NationalIdBidx,
                Expr::value(nid_bidx.to_vec()),
            )
            .col_expr(
                merchant_identity::Column::IbanBidx,
                Expr::value(iban_bidx.to_vec()),
            )
            .col_expr(merchant_identity::Column::BidxVersion, Expr::value(target))
            .filter(merchant_identity::Column::TenantId.eq(row.tenant_id))
            .filter(merchant_identity::Column::BidxVersion.eq(row.bidx_version))
            .exec(&txn)
            .await?;
        n += res.rows_affected;
    }
    bump(&txn, id, n).await?;
    audit_batch(&txn, vault, id, "blind_indexes", n).await?;
    txn.commit().await?;
    metrics::counter!("harim_blind_indexes_rewritten_total").increment(n);
    Ok(n)
}

/// Tenant keys and identities' blind indexes under root version `v`.
async fn references(db: &DatabaseConnection, v: i32) -> Result<(u64, u64), sea_orm::DbErr> {
    let tk = tenant_key::Entity::find()
        .filter(tenant_key::Column::KekVersion.eq(v))
        .count(db)
        .await?;
    let bi = merchant_identity::Entity::find()
        .filter(merchant_identity::Column::BidxVersion.eq(v))
        .count(db)
        .await?;
    Ok((tk, bi))
}

/// How long a retired version stays decrypt-only before [`retire`] destroys it: longer than
/// any process goes without re-reading the key provider (`serve` re-reads it every 5 s, and on
/// any unknown version at most once a second) and than a wrapping transaction lasts.
pub const RETIRE_GRACE: Duration = Duration::from_secs(30);

/// Marks `version` decrypt-only in the database (once: a second call keeps the first time) and
/// returns since when. On PostgreSQL the upsert waits for every transaction that holds the
/// version's row `FOR SHARE` while wrapping under it (see `keys::check_wrappable`); every later
/// one sees the new state and refuses. On SQLite writers are serialised anyway.
async fn mark_decrypt_only(
    db: &DatabaseConnection,
    version: i32,
) -> Result<OffsetDateTime, StoreError> {
    let txn = db.begin().await?;
    txn.execute(statement(
        &txn,
        "INSERT INTO root_key_versions (version, state, changed_at) VALUES ($1, $2, $3) \
         ON CONFLICT (version) DO UPDATE SET state = $2, changed_at = $3 \
         WHERE root_key_versions.state = $4",
        [
            version.into(),
            crate::keys::ROOT_DECRYPT_ONLY.into(),
            OffsetDateTime::now_utc().into(),
            crate::keys::ROOT_ACTIVE.into(),
        ],
    ))
    .await?;
    let row = txn
        .query_one(statement(
            &txn,
            "SELECT changed_at FROM root_key_versions WHERE version = $1",
            [version.into()],
        ))
        .await?
        .ok_or_else(|| StoreError::internal("root key", "version row missing"))?;
    let since: OffsetDateTime = row.try_get("", "changed_at")?;
    txn.commit().await?;
    Ok(since)
}

/// Retires root version `version`: refuses while it is active or referenced by any tenant key
/// or blind index; otherwise marks it decrypt-only (database first, then the provider) and, once
/// it has been decrypt-only for `grace`, checks the references again and destroys it for good,
/// recording the retirement (audit + a `retire` job row). Before that it answers
/// [`RotationError::GracePeriod`] with the instant to call again (`harim keys retire` waits).
pub async fn retire(
    db: &DatabaseConnection,
    vault: &Vault,
    version: u32,
    actor: &str,
    grace: Duration,
) -> Result<(), RotationError> {
    let provider = vault.provider();
    provider.reload().map_err(vault_err)?;
    if provider.active_version() == version {
        return Err(RotationError::Active(version));
    }
    if provider.state(version).is_none() {
        return Err(RotationError::Unknown(version));
    }
    let v = i32_of(version)?;
    let (tk, bi) = references(db, v).await?;
    if tk > 0 || bi > 0 {
        return Err(RotationError::Referenced {
            version,
            tenant_keys: tk,
            blind_indexes: bi,
        });
    }
    let since = mark_decrypt_only(db, v).await?;
    if provider.state(version) == Some(KeyState::Active) {
        provider.retire_version(version).map_err(vault_err)?;
    }
    let destroy_after = since + grace;
    if OffsetDateTime::now_utc() < destroy_after {
        return Err(RotationError::GracePeriod {
            version,
            destroy_after,
        });
    }
    // Anything that wrapped under it before it became decrypt-only has committed by now.
    let (tk, bi) = references(db, v).await?;
    if tk > 0 || bi > 0 {
        return Err(RotationError::Referenced {
            version,
            tenant_keys: tk,
            blind_indexes: bi,
        });
    }
    provider.destroy_version(version).map_err(vault_err)?;
    vault.clear_cache();
    let now = OffsetDateTime::now_utc();
    let id = Uuid::now_v7();
    let txn = db.begin().await?;
    rotation_job::ActiveModel {
        id: Set(id),
        kind: Set(KIND_RETIRE.into()),
        target_kek_version: Set(v),
        state: Set(STATE_DONE.into()),
        total: Set(0),
        done: Set(0),
        error: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        finished_at: Set(Some(now)),
    }
    .insert(&txn)
    .await?;
    txn.execute(statement(
        &txn,
        "UPDATE root_key_versions SET state = $1, changed_at = $2 WHERE version = $3",
        [crate::keys::ROOT_DESTROYED.into(), now.into(), v.into()],
    ))
    .await?;
    audit::append(
        &txn,
        vault,
        PLATFORM_TENANT,
        audit::Event {
            actor: actor.to_string(),
            action: "keys.version_retired",
            fields: vec![format!("kek_version:{version}")],
            purpose: None,
            request_id: None,
        },
    )
    .await?;
    txn.commit().await?;
    tracing::info!(
        kek_version = version,
        "root key version retired (destroyed)"
    );
    Ok(())
}

/// Background worker for `serve`: every `every`, re-reads the keyring and runs any pending
/// job, or a running one whose heartbeat is older than `stale` (its worker died).
pub async fn background_worker(
    db: DatabaseConnection,
    vault: std::sync::Arc<Vault>,
    every: Duration,
    stale: Duration,
) {
    loop {
        tokio::time::sleep(every).await;
        let _ = vault.provider().reload();
        let job = match unfinished(&db).await {
            Ok(Some(j)) => j,
            Ok(None) => continue,
            Err(e) => {
                tracing::warn!(error = %e, "rotation worker: reading jobs failed");
                continue;
            }
        };
        let age = OffsetDateTime::now_utc() - job.updated_at;
        // A failed job waits for an operator (`harim keys rotate --wait` resumes it).
        if job.state == STATE_FAILED || (job.state == STATE_RUNNING && age < stale) {
            continue;
        }
        tracing::info!(job = %job.id, "rotation worker: running job");
        if let Err(e) = run(&db, &vault, job.id, DEFAULT_BATCH, None).await {
            tracing::error!(job = %job.id, error = %e, "rotation worker: job failed");
        }
    }
}
