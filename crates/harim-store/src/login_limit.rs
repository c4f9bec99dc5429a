//! The sign-in rate limit, counted in the database so it holds across every replica: one
//! fixed one-minute window per bucket (the client address, the e-mail address, or the account
//! re-entering its password), one upsert per bucket and attempt. Buckets are stored as SHA-256
//! digests, never as addresses.

use sea_orm::{ConnectionTrait, DatabaseConnection};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;

use crate::error::StoreError;

/// One bucket an attempt counts against.
#[derive(Debug, Clone, Copy)]
pub enum Bucket<'a> {
    Ip(std::net::IpAddr),
    Email(&'a str),
    /// A signed-in account re-entering its password (before an erasure): a stolen session
    /// must not be a password oracle.
    Reauth(uuid::Uuid),
}

/// Password re-entries allowed per account and minute: the sixth in a minute is refused. Lower
/// than sign-in's default (10) because what it guards cannot be undone; the same number as the
/// contract's wrong-code limit of customer requests ("429 after 5").
pub const REAUTH_ATTEMPTS_PER_MINUTE: u32 = 5;

impl Bucket<'_> {
    fn digest(&self) -> Vec<u8> {
        let mut h = Sha256::new();
        match self {
            Self::Ip(ip) => {
                h.update(b"ip:");
                h.update(ip.to_string().as_bytes());
            }
            Self::Email(e) => {
                h.update(b"email:");
                h.update(e.as_bytes());
            }
            Self::Reauth(account) => {
                h.update(b"reauth:");
                h.update(account.as_bytes());
            }
        }
        h.finalize().to_vec()
    }
}

/// Counts one attempt against every bucket; `Ok(Err(seconds))` when any is over `per_minute`
/// (the seconds until its window ends).
pub async fn attempt(
    db: &DatabaseConnection,
    buckets: &[Bucket<'_>],
    per_minute: u32,
    now: OffsetDateTime,
) -> Result<Result<(), u64>, StoreError> {
    let secs = now.unix_timestamp();
    let window = secs.div_euclid(60);
    let mut over = false;
    for b in buckets {
        let row = db
            .query_one(crate::db::statement(
                db,
                "INSERT INTO login_attempts (bucket, window_start, attempts) VALUES ($1, $2, 1) \
                 ON CONFLICT (bucket, window_start) \
                 DO UPDATE SET attempts = login_attempts.attempts + 1 RETURNING attempts",
                [b.digest().into(), window.into()],
            ))
            .await?
            .ok_or_else(|| StoreError::internal("login limit", "upsert returned no row"))?;
        let n: i32 = row.try_get("", "attempts")?;
        if i64::from(n) > i64::from(per_minute) {
            over = true;
        }
    }
    if over {
        let left = 60 - secs.rem_euclid(60);
        return Ok(Err(u64::try_from(left).unwrap_or(60).max(1)));
    }
    Ok(Ok(()))
}

/// Deletes the counters of windows that ended at least `secs` before `now` (the retention job,
/// [`crate::retention::run`]). A window `w` ends at `60 * (w + 1)`.
pub async fn purge(
    db: &DatabaseConnection,
    secs: u64,
    now: OffsetDateTime,
) -> Result<u64, StoreError> {
    let secs = i64::try_from(secs).map_err(|e| StoreError::internal("login_window_secs", e))?;
    let window = now.unix_timestamp().saturating_sub(secs).div_euclid(60);
    let r = db
        .execute(crate::db::statement(
            db,
            "DELETE FROM login_attempts WHERE window_start < $1",
            [window.into()],
        ))
        .await?;
    Ok(r.rows_affected())
}
