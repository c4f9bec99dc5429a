//! One audited transaction: the audit entry is the first write, the work follows, and both
//! commit or roll back together. Every audited write goes through [`audited`]; reveals and
//! downloads, which must not happen unrecorded, through [`audited_or_refuse`].
//!
//! Why the entry comes first: on SQLite a deferred transaction that *reads* before its first
//! write fails with `SQLITE_BUSY_SNAPSHOT` (no retry, no busy handler) when another writer
//! commits in between. The append's first statement is a write (`UPDATE audit_heads ...`), so
//! the transaction takes the write lock before it reads anything; on PostgreSQL the same
//! statement takes the tenant's audit-head row lock, which serialises every audited use case of
//! one tenant (an identity write and a tenant rotation cannot interleave).

use std::{
    collections::HashMap,
    future::Future,
    path::PathBuf,
    pin::Pin,
    sync::{
        Arc, Mutex, OnceLock,
        atomic::{AtomicUsize, Ordering},
    },
};

use harim_vault::Vault;
use sea_orm::{ConnectionTrait, DatabaseConnection, DatabaseTransaction, TransactionTrait};
use uuid::Uuid;

use crate::{StoreError, audit};

/// How the work ends: commit, or roll back (with the audit entry) and still answer `T`, for
/// "nothing to do after all" outcomes that are not errors.
#[derive(Debug)]
pub(crate) enum Finish<T> {
    Commit(T),
    Rollback(T),
}

/// The work of an audited transaction. It gets the transaction and returns a boxed future
/// borrowing it; captured values must be owned (clone `Arc`s in).
pub(crate) type Work<'t, T> =
    Pin<Box<dyn Future<Output = Result<Finish<T>, StoreError>> + Send + 't>>;

/// SQLite has one writer at a time, and a second one waits in SQLite's busy handler, which
/// sleeps in growing steps (1, 2, 5, 10, 20, 50 ms ...) instead of queueing: at four concurrent
/// writers a few writes per hundred waited a whole step (p99 55 ms, docs/benchmarks.md). Audited
/// transactions on one SQLite file therefore queue here first, in order and without sleeping;
/// the guard is dropped with the transaction (also when the request is cancelled). No audited
/// transaction opens another one, so a task never waits for a gate it holds. PostgreSQL has
/// row locks and needs none.
fn sqlite_gate(db: &DatabaseConnection) -> Option<Arc<Gate>> {
    if db.get_database_backend() != sea_orm::DatabaseBackend::Sqlite {
        return None;
    }
    static GATES: OnceLock<Mutex<HashMap<PathBuf, Arc<Gate>>>> = OnceLock::new();
    let file = db
        .get_sqlite_connection_pool()
        .connect_options()
        .get_filename()
        .to_path_buf();
    let mut gates = GATES.get_or_init(Default::default).lock().ok()?;
    Some(gates.entry(file).or_default().clone())
}

/// One SQLite file's writer queue, and how many writers wait in it (what a test watches to see
/// that a writer is queued rather than done).
#[derive(Debug, Default)]
struct Gate {
    lock: Arc<tokio::sync::Mutex<()>>,
    waiting: AtomicUsize,
}

async fn enter(db: &DatabaseConnection) -> Option<tokio::sync::OwnedMutexGuard<()>> {
    let gate = sqlite_gate(db)?;
    gate.waiting.fetch_add(1, Ordering::SeqCst);
    let guard = gate.lock.clone().lock_owned().await;
    gate.waiting.fetch_sub(1, Ordering::SeqCst);
    Some(guard)
}

/// Audited writers waiting in `db`'s SQLite writer queue (0 on PostgreSQL, which has none).
#[cfg(feature = "testkit")]
pub(crate) fn sqlite_writers_waiting(db: &DatabaseConnection) -> usize {
    sqlite_gate(db).map_or(0, |g| g.waiting.load(Ordering::SeqCst))
}

/// Appends `event` to `chain`'s audit chain, then runs `work`, in one transaction.
pub(crate) async fn audited<T, F>(
    db: &DatabaseConnection,
    vault: &Vault,
    chain: Uuid,
    event: audit::Event<'_>,
    work: F,
) -> Result<T, StoreError>
where
    F: for<'t> FnOnce(&'t DatabaseTransaction) -> Work<'t, T>,
{
    run(db, vault, vec![(chain, event)], None, work).await
}

/// [`audited`] for reads of secrets (reveals, document downloads): if the access cannot be
/// recorded, nothing is read and the answer is [`StoreError::Unavailable`] with `refusal`.
pub(crate) async fn audited_or_refuse<T, F>(
    db: &DatabaseConnection,
    vault: &Vault,
    chain: Uuid,
    event: audit::Event<'_>,
    refusal: &'static str,
    work: F,
) -> Result<T, StoreError>
where
    F: for<'t> FnOnce(&'t DatabaseTransaction) -> Work<'t, T>,
{
    run(db, vault, vec![(chain, event)], Some(refusal), work).await
}

/// [`audited_or_refuse`] with several entries in one chain, linked in memory and written by one
/// head bump, one multi-row insert and one head move (a batch reveal records one entry per
/// customer without a round trip per entry).
pub(crate) async fn audited_many_or_refuse<T, F>(
    db: &DatabaseConnection,
    vault: &Vault,
    chain: Uuid,
    events: Vec<audit::Event<'_>>,
    refusal: &'static str,
    work: F,
) -> Result<T, StoreError>
where
    F: for<'t> FnOnce(&'t DatabaseTransaction) -> Work<'t, T>,
{
    run_many(db, vault, vec![(chain, events)], Some(refusal), work).await
}

/// [`audited_or_refuse`] with one entry in each of several chains (an account export is
/// recorded in the platform's chain and in every shop the person owns), appended in the order
/// given, all before the work.
pub(crate) async fn audited_in_each_or_refuse<T, F>(
    db: &DatabaseConnection,
    vault: &Vault,
    entries: Vec<(Uuid, audit::Event<'_>)>,
    refusal: &'static str,
    work: F,
) -> Result<T, StoreError>
where
    F: for<'t> FnOnce(&'t DatabaseTransaction) -> Work<'t, T>,
{
    run(db, vault, entries, Some(refusal), work).await
}

/// A transaction through the SQLite writer queue with no audit entry, for writes that keep
/// their own chain of evidence (consent events). Its first statement must be a write (see the
/// module's note on `SQLITE_BUSY_SNAPSHOT`).
pub(crate) async fn gated<T, F>(db: &DatabaseConnection, work: F) -> Result<T, StoreError>
where
    F: for<'t> FnOnce(&'t DatabaseTransaction) -> Work<'t, T>,
{
    let _writer = enter(db).await;
    let txn = db.begin().await?;
    finish(txn, work).await
}

async fn run<T, F>(
    db: &DatabaseConnection,
    vault: &Vault,
    entries: Vec<(Uuid, audit::Event<'_>)>,
    refusal: Option<&'static str>,
    work: F,
) -> Result<T, StoreError>
where
    F: for<'t> FnOnce(&'t DatabaseTransaction) -> Work<'t, T>,
{
    let entries = entries.into_iter().map(|(c, e)| (c, vec![e])).collect();
    run_many(db, vault, entries, refusal, work).await
}

async fn run_many<T, F>(
    db: &DatabaseConnection,
    vault: &Vault,
    entries: Vec<(Uuid, Vec<audit::Event<'_>>)>,
    refusal: Option<&'static str>,
    work: F,
) -> Result<T, StoreError>
where
    F: for<'t> FnOnce(&'t DatabaseTransaction) -> Work<'t, T>,
{
    let _writer = enter(db).await;
    let txn = db.begin().await?;
    for (chain, events) in entries {
        match (
            audit::append_many(&txn, vault, chain, events).await,
            refusal,
        ) {
            (Ok(()), _) => {}
            (Err(e), None) => return Err(e),
            (Err(e), Some(refusal)) => {
                tracing::error!(error = %e, kind = e.db_kind().unwrap_or("-"), "audit append failed; access refused");
                return Err(StoreError::Unavailable(refusal));
            }
        }
    }
    finish(txn, work).await
}

async fn finish<T, F>(txn: DatabaseTransaction, work: F) -> Result<T, StoreError>
where
    F: for<'t> FnOnce(&'t DatabaseTransaction) -> Work<'t, T>,
{
    // On error the transaction is dropped, which rolls it back.
    match work(&txn).await? {
        Finish::Commit(v) => {
            txn.commit().await?;
            Ok(v)
        }
        Finish::Rollback(v) => {
            txn.rollback().await?;
            Ok(v)
        }
    }
}
