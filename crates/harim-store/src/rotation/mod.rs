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
    ids::{JobId, PLATFORM_TENANT},
    scope::PlatformScope,
};

/// Rows per batch (one transaction each).
pub const DEFAULT_BATCH: u64 = 500;

pub use crate::entity::rotation_job::{JobKind, JobState};

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
        "a root rotation ran less than the minimum interval ago; rotate again after {next_allowed}, or force it"
    )]
    TooSoon { next_allowed: OffsetDateTime },
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
            RotationError::TooSoon { .. } => StoreError::Conflict(
                "A root rotation ran recently; send {\"force\": true} to rotate again now.",
            ),
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
            state: m.state.as_str().to_string(),
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

/// What the status says of a root key version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum VersionState {
    /// The provider's active version: wraps new keys.
    Active,
    /// Known to the provider, not active: unwraps only.
    DecryptOnly,
    /// Destroyed by a retirement.
    Retired,
    /// Referenced by rows but unknown to the key provider: investigate.
    Missing,
}

impl VersionState {
    /// `active`, `decrypt_only`, `retired` or `missing`.
    pub fn as_str(self) -> &'static str {
        match self {
            VersionState::Active => "active",
            VersionState::DecryptOnly => "decrypt_only",
            VersionState::Retired => "retired",
            VersionState::Missing => "missing",
        }
    }
}

impl std::fmt::Display for VersionState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One root key version in the status.
#[derive(Debug, Clone, Serialize)]
pub struct VersionStatus {
    pub version: u32,
    pub state: VersionState,
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
        .filter(rotation_job::Column::Kind.eq(JobKind::Retire))
        .into_tuple()
        .all(db)
        .await?;
    let mut states: BTreeMap<u32, VersionState> = BTreeMap::new();
    for v in retired {
        if let Ok(v) = u32::try_from(v) {
            states.insert(v, VersionState::Retired);
        }
    }
    let active = provider.active_version();
    for info in provider.versions() {
        let s = if info.version == active {
            VersionState::Active
        } else {
            VersionState::DecryptOnly
        };
        states.insert(info.version, s);
    }
    for v in tk.keys().chain(bi.keys()) {
        if provider.state(*v).is_none() {
            states.insert(*v, VersionState::Missing);
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
                .filter(rotation_job::Column::Kind.eq(JobKind::Root))
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
    unfinished_of(db, JobKind::Root).await
}

/// The oldest unfinished (pending, running or failed) job of `kind`.
pub(crate) async fn unfinished_of(
    db: &impl ConnectionTrait,
    kind: JobKind,
) -> Result<Option<rotation_job::Model>, StoreError> {
    Ok(rotation_job::Entity::find()
        .filter(rotation_job::Column::Kind.eq(kind))
        .filter(rotation_job::Column::State.is_in([
            JobState::Pending,
            JobState::Running,
            JobState::Failed,
        ]))
        .order_by_asc(rotation_job::Column::CreatedAt)
        .one(db)
        .await?)
}

/// One job by id.
pub async fn job(db: &impl ConnectionTrait, id: JobId) -> Result<rotation_job::Model, StoreError> {
    let id = id.uuid();
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

/// How often a new root rotation may start: a runaway script or a double click must not grow
/// the keyring by a version a second. `force` overrides the interval (never the one-unfinished
/// rule).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Brake {
    pub min_interval: Duration,
    pub force: bool,
}

impl Brake {
    /// No interval (tests, and operators who pass `--force`).
    pub const NONE: Brake = Brake {
        min_interval: Duration::ZERO,
        force: false,
    };
}

/// Starts a root rotation (refused within `brake.min_interval` of the last one unless forced),
/// or returns the unfinished one (so a killed `rotate --wait` resumes
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
    operator: &PlatformScope,
    request_id: Option<String>,
    brake: Brake,
) -> Result<(rotation_job::Model, bool), RotationError> {
    operator.require_admin()?;
    let actor = &operator.actor();
    if let Some(j) = unfinished(db).await? {
        return Ok((j, false));
    }
    if !brake.force
        && let Some(last) = rotation_job::Entity::find()
            .filter(rotation_job::Column::Kind.eq(JobKind::Root))
            .order_by_desc(rotation_job::Column::CreatedAt)
            .one(db)
            .await?
    {
        let next_allowed = last.created_at + brake.min_interval;
        if OffsetDateTime::now_utc() < next_allowed {
            return Err(RotationError::TooSoon { next_allowed });
        }
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
        kind: Set(JobKind::Root),
        target_kek_version: Set(0),
        state: Set(JobState::Pending),
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
    crate::tenant_keys::record_new_version(&txn, version).await?;
    crate::tenant_keys::check_wrappable(&txn, version).await?;
    // The new version's provider identifier (CKA_ID), recorded with its row.
    crate::tenant_keys::bind_key_ids(&txn, vault).await?;
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
            action: audit::Action::KeysRotationStarted,
            fields: vec![format!("job:{id}"), format!("kek_version:{target}")],
            purpose: None,
            request_id,
        },
    )
    .await?;
    // Every replica re-reads its key provider and its rotation worker joins the job.
    crate::events::notify(&txn, crate::events::Event::Keyring).await?;
    txn.commit().await?;
    tracing::info!(job = %id, kek_version = version, total, "root key rotation started");
    Ok(job)
}

/// Advisory-lock key of the first root version's creation (PostgreSQL): "harim-r1".
const FIRST_VERSION_LOCK: i64 = 0x6861_7269_6d2d_7231;

/// Makes the key provider's first root version if it has none, once for every process that
/// shares the database: a fresh PKCS#11 token opened by two replicas starting together would
/// otherwise get version 1 twice (two objects under one label, which every later scan refuses,
/// so neither replica could serve). Under a database lock (an advisory lock on PostgreSQL, the
/// write lock on SQLite) the provider is read again and, if still empty, given its version,
/// whose row is recorded in the same transaction. Providers that always hold a version (the
/// keyring file, the environment) return at once.
pub async fn first_version(db: &DatabaseConnection, vault: &Vault) -> Result<(), StoreError> {
    if !vault.provider().versions().is_empty() {
        return Ok(());
    }
    let txn = db.begin().await?;
    let lock = match db.get_database_backend() {
        DatabaseBackend::Postgres => "SELECT pg_advisory_xact_lock($1)",
        // A write, so the transaction holds SQLite's write lock from here to commit.
        _ => "DELETE FROM root_key_versions WHERE version < $1",
    };
    let arg = match db.get_database_backend() {
        DatabaseBackend::Postgres => FIRST_VERSION_LOCK,
        _ => 0,
    };
    txn.execute(statement(&txn, lock, [arg.into()])).await?;
    vault.provider().reload()?;
    if vault.provider().versions().is_empty() {
        crate::checkpoint::delay_point("keys.first_version.before_generate").await;
        let version = vault.provider().add_version()?;
        crate::tenant_keys::record_new_version(&txn, version).await?;
        crate::tenant_keys::bind_key_ids(&txn, vault).await?;
        tracing::info!(
            kek_version = version,
            "made the key provider's first root version"
        );
    }
    txn.commit().await?;
    Ok(())
}

/// Binds each root version to the provider identifier the database recorded (see
/// `tenant_keys::bind_key_ids`): `serve` runs it at start-up, so a token whose key object was
/// replaced under a recorded version refuses to serve, and the rotation worker after each
/// re-read of the provider.
pub async fn bind_key_ids(db: &DatabaseConnection, vault: &Vault) -> Result<(), StoreError> {
    crate::tenant_keys::bind_key_ids(db, vault).await
}

mod engine;
mod retire;
mod sql;
mod worker;

pub use engine::{Progress, run, run_until};
pub use retire::{RETIRE_GRACE, retire};
pub use sql::update_bulk_pg;
pub use worker::background_worker;
