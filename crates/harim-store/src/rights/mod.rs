//! Data-subject rights, driven by the [`crate::datamap`]: exports ([`export`]), erasure by
//! crypto-shredding ([`erasure`]) and signed receipts ([`receipt`]).
//!
//! Every request is a `data_requests` row with the time it was made and the time it is due
//! (the shop's `response_days`, in calendar days, ending at the end of the last day, UTC). The
//! slow part of each runs in a worker ([`run_due`]): a request is *leased* by one worker at a
//! time (a conditional `UPDATE`, so replicas never run one twice), every step is idempotent,
//! and a worker that dies leaves a lease that runs out, after which another picks the request
//! up where its recorded progress says.

pub use crate::entity::data_request::{RequestKind, RequestState};

pub mod erasure;
pub mod export;
pub mod receipt;

use std::{path::PathBuf, sync::Arc};

use harim_kyc::DocumentStore;
use harim_vault::Vault;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder,
};
use time::{Duration, OffsetDateTime, Time};
use uuid::Uuid;

use crate::{
    StoreError,
    db::statement,
    entity::data_request,
    evidence::{self, AuditKey},
};

/// Domain separation of a request row's MAC input.
const REQUEST_LABEL: &[u8] = b"harim-data-request-v1";

/// Tunables, from the binary's configuration.
#[derive(Debug, Clone)]
pub struct RightsConfig {
    /// How long a ready export archive stays downloadable (then it is deleted).
    pub export_ttl: Duration,
    /// How long the operator keeps database backups (for `recoverable_from_backups_until`).
    pub backup_retention_days: u32,
    /// How long what an account erasure keeps is kept (the account receipt's `retained.until`;
    /// the retention job then removes it).
    pub after_account_deletion_days: u32,
    /// How often the root key is rotated (same).
    pub root_rotation_period_days: u32,
    /// The deadline of requests no shop setting governs (account requests).
    pub default_response_days: u32,
    /// Where export archives are assembled (sealed: never plaintext on disk).
    pub work_dir: PathBuf,
    /// How long a worker holds a request before another may take it over; a worker renews it
    /// while it works (after each exported document), so it only runs out when the worker died.
    pub lease: Duration,
}

impl Default for RightsConfig {
    fn default() -> Self {
        Self {
            export_ttl: Duration::hours(24),
            backup_retention_days: 30,
            after_account_deletion_days: crate::datamap::AFTER_ACCOUNT_DELETION_DAYS,
            root_rotation_period_days: 90,
            default_response_days: 30,
            work_dir: std::env::temp_dir(),
            lease: Duration::seconds(60),
        }
    }
}

/// What the rights use cases need, shared by the API and the worker. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Rights {
    pub db: DatabaseConnection,
    pub vault: Arc<Vault>,
    pub documents: DocumentStore,
    pub config: Arc<RightsConfig>,
    /// Wakes the worker when a request is made (it also polls).
    pub wake: Arc<tokio::sync::Notify>,
}

/// A request as its subject sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestView {
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub kind: RequestKind,
    pub state: RequestState,
    pub requested_at: OffsetDateTime,
    pub due_at: OffsetDateTime,
    pub completed_at: Option<OffsetDateTime>,
    pub expires_at: Option<OffsetDateTime>,
    pub size: Option<i64>,
    pub sha256: Option<Vec<u8>>,
}

impl From<&data_request::Model> for RequestView {
    fn from(m: &data_request::Model) -> Self {
        Self {
            id: m.id,
            tenant_id: m.tenant_id,
            kind: m.kind,
            state: m.state,
            requested_at: m.requested_at,
            due_at: m.due_at,
            completed_at: m.completed_at,
            expires_at: m.expires_at,
            size: m.object_size,
            sha256: m.object_sha256.clone(),
        }
    }
}

/// The deadline of a request made at `at` with `days` to answer: the end (23:59:59 UTC) of the
/// `days`-th calendar day after it.
pub fn due_date(at: OffsetDateTime, days: u32) -> OffsetDateTime {
    let date = at
        .date()
        .checked_add(Duration::days(i64::from(days)))
        .unwrap_or(at.date());
    date.with_time(Time::from_hms(23, 59, 59).unwrap_or(Time::MIDNIGHT))
        .assume_utc()
}

/// A new pending request of `kind` about `tenant_id`, made `now` (kept to the microsecond, as
/// both databases store it, so the row's MAC recomputes) and due in `days`.
pub(crate) fn new_request(
    tenant_id: Uuid,
    kind: RequestKind,
    subject_account: Option<Uuid>,
    now: OffsetDateTime,
    days: u32,
) -> data_request::Model {
    let now = now
        .replace_nanosecond(now.nanosecond() / 1_000 * 1_000)
        .unwrap_or(now);
    data_request::Model {
        tenant_id,
        id: Uuid::now_v7(),
        kind,
        subject_account,
        state: RequestState::Pending,
        requested_at: now,
        due_at: due_date(now, days),
        completed_at: None,
        expires_at: None,
        lease_until: None,
        attempts: 0,
        object_size: None,
        object_sha256: None,
        wrapped_key: None,
        tk_version: None,
        progress: None,
        receipt: None,
        signature: None,
        key_id: None,
        error: None,
        mac: None,
    }
}

/// What a request row's MAC covers: what it was created with and never changes while it is
/// open (its subject is anonymised only once it is finished).
fn request_parts(row: &data_request::Model) -> [Vec<u8>; 6] {
    let kind = match row.kind {
        RequestKind::ExportShop => "export_shop",
        RequestKind::ExportAccount => "export_account",
        RequestKind::EraseShop => "erase_shop",
        RequestKind::EraseAccount => "erase_account",
        RequestKind::EraseCustomer => "erase_customer",
    };
    [
        row.tenant_id.as_bytes().to_vec(),
        row.id.as_bytes().to_vec(),
        kind.as_bytes().to_vec(),
        row.subject_account
            .map(|a| a.as_bytes().to_vec())
            .unwrap_or_default(),
        evidence::micros(row.requested_at).to_vec(),
        evidence::micros(row.due_at).to_vec(),
    ]
}

/// The MAC a request row is created with.
fn seal(key: &AuditKey, row: &data_request::Model) -> Result<Vec<u8>, StoreError> {
    let parts = request_parts(row);
    let parts: Vec<&[u8]> = parts.iter().map(Vec::as_slice).collect();
    evidence::tag(key, REQUEST_LABEL, &parts)
}

/// Whether harim created this request row (its MAC holds).
fn authentic(key: &AuditKey, row: &data_request::Model) -> Result<bool, StoreError> {
    let Some(mac) = &row.mac else {
        return Ok(false);
    };
    let parts = request_parts(row);
    let parts: Vec<&[u8]> = parts.iter().map(Vec::as_slice).collect();
    evidence::holds(key, REQUEST_LABEL, &parts, mac)
}

/// Inserts a new request row with its MAC: every request row is made here.
pub(crate) async fn insert(
    txn: &impl ConnectionTrait,
    vault: &Vault,
    mut row: data_request::Model,
) -> Result<(), StoreError> {
    let key = evidence::audit_key(txn, vault).await?;
    row.mac = Some(seal(&key, &row)?);
    data_request::Entity::insert(data_request::ActiveModel::from(row))
        .exec_without_returning(txn)
        .await?;
    Ok(())
}

/// `SELECT COUNT(*) AS n ...` written once for both databases.
pub(crate) async fn count(
    db: &impl ConnectionTrait,
    sql: &str,
    values: impl IntoIterator<Item = sea_orm::Value>,
) -> Result<i64, StoreError> {
    Ok(match db.query_one(statement(db, sql, values)).await? {
        Some(r) => r.try_get("", "n")?,
        None => 0,
    })
}

/// Open requests (not finished), soonest due first: the admin's list.
pub async fn open_requests(db: &impl ConnectionTrait) -> Result<Vec<RequestView>, StoreError> {
    Ok(data_request::Entity::find()
        .filter(data_request::Column::State.is_in([RequestState::Pending, RequestState::Running]))
        .order_by_asc(data_request::Column::DueAt)
        .all(db)
        .await?
        .iter()
        .map(RequestView::from)
        .collect())
}

/// Open requests past their due date.
pub async fn overdue(db: &impl ConnectionTrait, now: OffsetDateTime) -> Result<u64, StoreError> {
    let n = count(
        db,
        "SELECT COUNT(*) AS n FROM data_requests WHERE state IN ('pending', 'running') AND due_at < $1",
        [now.into()],
    )
    .await?;
    Ok(u64::try_from(n).unwrap_or(0))
}

/// Takes the lease of one request; `false` if another worker holds it or it is finished.
async fn claim(
    db: &impl ConnectionTrait,
    row: &data_request::Model,
    lease: Duration,
) -> Result<bool, StoreError> {
    let now = OffsetDateTime::now_utc();
    let res = db
        .execute(statement(
            db,
            "UPDATE data_requests SET state = 'running', lease_until = $1, attempts = attempts + 1 \
             WHERE tenant_id = $2 AND id = $3 AND state IN ('pending', 'running') \
             AND (lease_until IS NULL OR lease_until < $4)",
            [
                (now + lease).into(),
                row.tenant_id.into(),
                row.id.into(),
                now.into(),
            ],
        ))
        .await?;
    Ok(res.rows_affected() == 1)
}

/// Extends the lease of a request this worker holds.
pub(crate) async fn renew(
    db: &impl ConnectionTrait,
    row: &data_request::Model,
    lease: Duration,
) -> Result<(), StoreError> {
    db.execute(statement(
        db,
        "UPDATE data_requests SET lease_until = $1 WHERE tenant_id = $2 AND id = $3",
        [
            (OffsetDateTime::now_utc() + lease).into(),
            row.tenant_id.into(),
            row.id.into(),
        ],
    ))
    .await?;
    Ok(())
}

/// Records a failed attempt; the lease runs out and the request is tried again.
async fn record_error(
    db: &impl ConnectionTrait,
    row: &data_request::Model,
    e: &StoreError,
) -> Result<(), StoreError> {
    db.execute(statement(
        db,
        "UPDATE data_requests SET error = $1 WHERE tenant_id = $2 AND id = $3",
        [
            e.to_string().chars().take(200).collect::<String>().into(),
            row.tenant_id.into(),
            row.id.into(),
        ],
    ))
    .await?;
    Ok(())
}

/// Runs every request that is due for work (pending, or running with a lapsed lease). Returns
/// how many were finished. Errors of one request are recorded on it and do not stop the rest.
pub async fn run_due(rights: &Rights) -> Result<usize, StoreError> {
    let now = OffsetDateTime::now_utc();
    let rows = data_request::Entity::find()
        .filter(data_request::Column::State.is_in([RequestState::Pending, RequestState::Running]))
        .order_by_asc(data_request::Column::RequestedAt)
        .all(&rights.db)
        .await?;
    let mut done = 0;
    let key = evidence::audit_key(&rights.db, &rights.vault).await?;
    for row in rows {
        if row.lease_until.is_some_and(|l| l >= now) {
            continue;
        }
        // A row someone inserted or edited with SQL is never run: it could name any shop's
        // objects for deletion, or carry a receipt for the worker to sign. It stays open, so
        // the admin's list shows it, and every pass counts it as tampering.
        if !authentic(&key, &row)? {
            evidence::tampering(
                "data_request",
                &format!("request {} ({:?}) is not one harim made", row.id, row.kind),
            );
            continue;
        }
        if !claim(&rights.db, &row, rights.config.lease).await? {
            continue;
        }
        let result = match row.kind {
            RequestKind::ExportShop | RequestKind::ExportAccount => {
                export::build(rights, &row).await
            }
            RequestKind::EraseShop => erasure::finish_shop(rights, &row).await,
            RequestKind::EraseAccount => erasure::finish_account(rights, &row).await,
            // Completed in the transaction that made it: an open one was not made by harim.
            RequestKind::EraseCustomer => Err(StoreError::Internal(format!(
                "customer erasure {} is open: harim completes them when it makes them",
                row.id
            ))),
        };
        match result {
            Ok(()) => done += 1,
            Err(e) => {
                tracing::warn!(request = %row.id, kind = ?row.kind, error = %e, "data request failed; retried when its lease runs out");
                let _ = record_error(&rights.db, &row, &e).await;
            }
        }
    }
    Ok(done)
}

/// The worker of `serve`: runs due requests when woken and every `every` and keeps the overdue
/// gauge current. Expired export archives are the retention job's ([`crate::retention::run`]).
pub async fn worker(rights: Rights, every: std::time::Duration) {
    loop {
        if let Err(e) = run_due(&rights).await {
            tracing::warn!(error = %e, "data request run failed; retried next interval");
        }
        let now = OffsetDateTime::now_utc();
        // Customers' requests from the privacy page are data requests too: one gauge.
        let counted = match overdue(&rights.db, now).await {
            Ok(n) => crate::customer_requests::overdue(&rights.db, now)
                .await
                .map(|m| n + m),
            Err(e) => Err(e),
        };
        match counted {
            Ok(n) => metrics::gauge!("harim_data_requests_overdue").set(n as f64),
            Err(e) => tracing::warn!(error = %e, "counting overdue requests failed"),
        }
        tokio::select! {
            () = rights.wake.notified() => {}
            () = tokio::time::sleep(every) => {}
        }
    }
}

/// The request `id` of `tenant_id`, if it exists.
pub(crate) async fn find(
    db: &impl ConnectionTrait,
    tenant_id: Uuid,
    id: Uuid,
) -> Result<Option<data_request::Model>, StoreError> {
    Ok(data_request::Entity::find_by_id((tenant_id, id))
        .one(db)
        .await?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn a_deadline_is_the_end_of_the_last_calendar_day() {
        assert_eq!(
            due_date(datetime!(2026-01-31 10:00 UTC), 30),
            datetime!(2026-03-02 23:59:59 UTC)
        );
        // Across a leap day.
        assert_eq!(
            due_date(datetime!(2028-02-28 00:00 UTC), 1),
            datetime!(2028-02-29 23:59:59 UTC)
        );
        assert_eq!(
            due_date(datetime!(2026-12-01 23:59:59 UTC), 0),
            datetime!(2026-12-01 23:59:59 UTC)
        );
    }
}
