//! The job engine: a worker runs a job batch by batch, one transaction per batch (claim with
//! `FOR UPDATE SKIP LOCKED` on PostgreSQL, re-wrap, guarded update, progress and audit), and
//! finishes it once nothing is left under an older version.

use super::retire::mark_decrypt_only;
use super::sql::update_one;
use super::*;

/// Progress callback: `(done, total)` after each committed batch.
pub type Progress<'a> = &'a (dyn Fn(u64, u64) + Send + Sync);

/// Worker: runs job `id` to completion (or until a batch fails), batch by batch. Safe to run
/// in several processes at once on PostgreSQL, and to kill at any instant.
pub async fn run(
    db: &DatabaseConnection,
    vault: &Vault,
    id: JobId,
    batch: u64,
    progress: Option<Progress<'_>>,
) -> Result<rotation_job::Model, RotationError> {
    run_until(db, vault, id, batch, progress, &|| false).await
}

/// [`run`], stopping after the batch in flight once `stop()` is true (a server that is shutting
/// down): every batch is its own transaction, so the job is left consistent and `running`, and
/// another process resumes it once it is stale.
pub async fn run_until(
    db: &DatabaseConnection,
    vault: &Vault,
    id: JobId,
    batch: u64,
    progress: Option<Progress<'_>>,
    stop: &(dyn Fn() -> bool + Sync),
) -> Result<rotation_job::Model, RotationError> {
    let job = job(db, id).await?;
    let id = id.uuid();
    if job.state == JobState::Done {
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
    let citus = crate::citus::is_citus(db).await?;
    let batch = batch.max(1);
    let mut transient = 0;
    loop {
        let b = Batch {
            db,
            vault,
            job: id,
            target,
            limit: batch,
            pg,
            citus,
        };
        let step = match batch_tenant_keys(b).await {
            Ok(0) => batch_blind_indexes(b).await,
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
            // provider a process holds (see `tenant_keys::check_wrappable`). A wrapper that was in
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
        if stop() {
            tracing::info!(job = %id, "rotation stopped after a batch: shutting down");
            return Ok(self::job(db, id.into()).await?);
        }
        if let Some(p) = progress {
            let j = self::job(db, id.into()).await?;
            p(
                u64::try_from(j.done).unwrap_or(0),
                u64::try_from(j.total.max(j.done)).unwrap_or(0),
            );
        }
    }
}

pub(super) async fn fail(db: &DatabaseConnection, id: Uuid, e: &RotationError) {
    tracing::error!(job = %id, error = %e, "key rotation batch failed");
    // The admin reads this on the job: the database's own words, not "database error".
    let message = match e {
        RotationError::Store(StoreError::Db(d)) => {
            format!("database: {}", crate::error::db_message(d))
        }
        other => other.to_string(),
    };
    let _ = rotation_job::Entity::update_many()
        .col_expr(rotation_job::Column::State, Expr::value(JobState::Failed))
        .col_expr(rotation_job::Column::Error, Expr::value(message))
        .col_expr(
            rotation_job::Column::UpdatedAt,
            Expr::value(OffsetDateTime::now_utc()),
        )
        .filter(rotation_job::Column::Id.eq(id))
        .filter(rotation_job::Column::State.ne(JobState::Done))
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
                .col_expr(rotation_job::Column::State, Expr::value(JobState::Done))
                .col_expr(rotation_job::Column::UpdatedAt, Expr::value(now))
                .col_expr(rotation_job::Column::FinishedAt, Expr::value(Some(now)))
                .filter(rotation_job::Column::Id.eq(id))
                .filter(rotation_job::Column::State.ne(JobState::Done))
                .exec(txn)
                .await?;
            // Exactly one worker flips the state, and only it writes the audit entry.
            if res.rows_affected == 1 {
                let j = self::job(txn, id.into()).await?;
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
                        action: audit::Action::KeysRotationFinished,
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
        crate::events::notify(&owned, crate::events::Event::Keyring).await?;
        owned.commit().await?;
    }
    Ok(job(db, id.into()).await?)
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
        .col_expr(rotation_job::Column::State, Expr::value(JobState::Running))
        .col_expr(
            rotation_job::Column::UpdatedAt,
            Expr::value(OffsetDateTime::now_utc()),
        )
        .filter(rotation_job::Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(())
}

/// Ends a batch: its progress and its audit entry, then commit.
async fn commit_batch(
    txn: sea_orm::DatabaseTransaction,
    vault: &Vault,
    id: Uuid,
    what: &str,
    n: u64,
) -> Result<(), StoreError> {
    bump(&txn, id, n).await?;
    audit::append(
        &txn,
        vault,
        PLATFORM_TENANT,
        audit::Event {
            // The process, so a job worked by several replicas shows who did which batch.
            actor: format!("rotation-worker:{}", std::process::id()),
            action: audit::Action::KeysRotationBatch,
            fields: vec![format!("job:{id}"), format!("{what}:{n}")],
            purpose: None,
            request_id: None,
        },
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// What every batch of a root rotation job works with: the database (`pg`: whether it has row
/// locks; `citus`: whether its tenant tables are sharded, so a row lock may only name one
/// shop), the vault, the job, its target root version and the most rows one batch takes.
#[derive(Clone, Copy)]
struct Batch<'a> {
    db: &'a DatabaseConnection,
    vault: &'a Vault,
    job: Uuid,
    target: i32,
    limit: u64,
    pg: bool,
    citus: bool,
}

/// On Citus, a batch claims one slice of the tenant-id space (the top six bits of the id) under
/// a transaction-scoped advisory lock on the coordinator, since Citus refuses `FOR UPDATE` in a
/// query that spans shards. Two workers never hold one slice at once, so they never claim the
/// same rows, as `SKIP LOCKED` guarantees on one server; the version guard of the write-back
/// stays the safety net.
const SLICES: u32 = 64;

/// The advisory-lock key space of rotation slices (the first of the two `int4` keys), so no
/// other advisory lock of harim's collides with them.
const SLICE_LOCK_SPACE: i32 = 0x6872_6f74; // "hrot"

/// The tenant ids of slice `k`: `[lo, hi)`, `hi` `None` for the last.
fn slice_bounds(k: u32) -> (Uuid, Option<Uuid>) {
    let shift = 128 - SLICES.trailing_zeros();
    let lo = Uuid::from_u128(u128::from(k) << shift);
    let hi = (k + 1 < SLICES).then(|| Uuid::from_u128(u128::from(k + 1) << shift));
    (lo, hi)
}

/// A claimed batch: its open transaction, its rows, and the target root version.
struct Claimed<M> {
    txn: sea_orm::DatabaseTransaction,
    rows: Vec<M>,
    target: u32,
}

/// The one batch claim of both rotation batches: opens the batch's transaction (on SQLite its
/// first statement is the progress bump, so it holds the write lock before it reads), takes up
/// to `q`'s limit of rows (on PostgreSQL `FOR UPDATE SKIP LOCKED`, so replicas working one job
/// never claim the same rows), and refuses to go on under a version another process has started
/// to retire: neither a wrap (tenant keys) nor an index (blind indexes, keyed by the same root
/// version) would survive that version's destruction. `None`: nothing left to claim.
async fn claim<E: EntityTrait>(
    b: Batch<'_>,
    q: sea_orm::Select<E>,
) -> Result<Option<Claimed<E::Model>>, RotationError> {
    let Batch {
        db,
        job: id,
        target,
        pg,
        citus,
        ..
    } = b;
    let txn = db.begin().await?;
    if !pg {
        bump(&txn, id, 0).await?;
    }
    if citus {
        return claim_slice(b, txn, q).await;
    }
    let q = if pg {
        q.lock_with_behavior(
            sea_orm::sea_query::LockType::Update,
            sea_orm::sea_query::LockBehavior::SkipLocked,
        )
    } else {
        q
    };
    let rows = q.all(&txn).await?;
    if rows.is_empty() {
        txn.rollback().await?;
        return Ok(None);
    }
    let target = u32::try_from(target).map_err(|_| RotationError::Unknown(0))?;
    if !crate::tenant_keys::check_wrappable(&txn, target).await? {
        return Err(RotationError::NotWrappable(target));
    }
    Ok(Some(Claimed { txn, rows, target }))
}

/// [`claim`] on Citus: the first slice, from a random one on, that this transaction can lock
/// and that still has rows. Empty slices stay locked until the transaction ends, which only
/// keeps other workers from looking at them again meanwhile.
async fn claim_slice<E: EntityTrait>(
    b: Batch<'_>,
    txn: sea_orm::DatabaseTransaction,
    q: sea_orm::Select<E>,
) -> Result<Option<Claimed<E::Model>>, RotationError> {
    use rand::Rng;
    let first = rand::thread_rng().gen_range(0..SLICES);
    // The job's own lock space: two jobs never share slices (only one runs at a time anyway).
    let job_key = i32::from_be_bytes(
        b.job.as_bytes()[12..16]
            .try_into()
            .map_err(|_| RotationError::Unknown(0))?,
    ) ^ SLICE_LOCK_SPACE;
    let tenant = || Expr::col(sea_orm::sea_query::Alias::new("tenant_id"));
    for i in 0..SLICES {
        let k = (first + i) % SLICES;
        let got = txn
            .query_one(Statement::from_sql_and_values(
                DatabaseBackend::Postgres,
                "SELECT pg_try_advisory_xact_lock($1, $2) AS got",
                [job_key.into(), i32::try_from(k).unwrap_or(0).into()],
            ))
            .await?
            .map(|r| r.try_get::<bool>("", "got"))
            .transpose()?
            .unwrap_or(false);
        if !got {
            continue;
        }
        let (lo, hi) = slice_bounds(k);
        let mut sq = q.clone().filter(tenant().gte(lo));
        if let Some(hi) = hi {
            sq = sq.filter(tenant().lt(hi));
        }
        let rows = sq.all(&txn).await?;
        if rows.is_empty() {
            continue;
        }
        let target = u32::try_from(b.target).map_err(|_| RotationError::Unknown(0))?;
        if !crate::tenant_keys::check_wrappable(&txn, target).await? {
            return Err(RotationError::NotWrappable(target));
        }
        return Ok(Some(Claimed { txn, rows, target }));
    }
    txn.rollback().await?;
    Ok(None)
}

/// One batch of tenant keys; returns how many were re-wrapped (0: none left to claim).
async fn batch_tenant_keys(b: Batch<'_>) -> Result<u64, RotationError> {
    let Batch {
        vault,
        job: id,
        target,
        limit: batch,
        pg,
        ..
    } = b;
    // No ORDER BY: any `batch` rows under an old version will do, found through the
    // `tenant_keys_kek_version` index. (Ordering by the primary key made every batch sort all
    // remaining rows: 5x slower at 100,000 keys.)
    let q = tenant_key::Entity::find()
        .filter(tenant_key::Column::KekVersion.lt(target))
        .limit(batch);
    let Some(Claimed {
        txn,
        rows,
        target: target_u,
    }) = claim(b, q).await?
    else {
        return Ok(0);
    };
    let mut rewrapped = Vec::with_capacity(rows.len());
    for row in &rows {
        let wk = crate::tenant_keys::wrapped(row)?;
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
    commit_batch(txn, vault, id, "tenant_keys", n).await?;
    metrics::counter!("harim_tenant_keys_rewrapped_total").increment(n);
    Ok(n)
}

/// One batch of identities whose blind indexes are under an old version: decrypt the two
/// indexed fields, recompute both indexes under `target`, write them with a version guard.
async fn batch_blind_indexes(b: Batch<'_>) -> Result<u64, RotationError> {
    let Batch {
        vault,
        job: id,
        target,
        limit: batch,
        ..
    } = b;
    let q = merchant_identity::Entity::find()
        .filter(merchant_identity::Column::BidxVersion.lt(target))
        .limit(batch);
    let Some(Claimed {
        txn,
        rows,
        target: target_u,
    }) = claim(b, q).await?
    else {
        return Ok(0);
    };
    let mut n = 0;
    for row in rows {
        let wk = crate::tenant_keys::version(&txn, row.tenant_id, row.tk_version).await?;
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
    commit_batch(txn, vault, id, "blind_indexes", n).await?;
    metrics::counter!("harim_blind_indexes_rewritten_total").increment(n);
    Ok(n)
}
