//! The store's one error type. It says what went wrong in domain terms; `harim-api` maps it to
//! HTTP in one place (`From<StoreError> for ApiError`), the CLI prints it.

use harim_kyc::KycError;
use harim_vault::VaultError;

/// Why a use case did not complete. `Display` never holds a value, a key or SQL text.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The thing asked for does not exist in this scope (also: exists but is another tenant's).
    #[error("not found")]
    NotFound,
    /// The caller is known but may not do this; the text is for the client.
    #[error("forbidden: {0}")]
    Forbidden(&'static str),
    /// A caller that proved no identity (a callback whose signature matches no secret).
    #[error("unauthenticated: {0}")]
    Unauthenticated(&'static str),
    /// The input breaks domain rules; every broken rule is named.
    #[error("{} rule(s) broken", .0.len())]
    Rejected(Vec<Violation>),
    /// The request contradicts the current state; the text is for the client.
    #[error("conflict: {0}")]
    Conflict(&'static str),
    /// A dependency is unavailable or the request must wait; the text is for the client.
    #[error("unavailable: {0}")]
    Unavailable(&'static str),
    /// The thing existed and was deliberately removed (a purged document).
    #[error("gone: {0}")]
    Gone(&'static str),
    /// Too many attempts (a password re-entered too often); try again after the seconds given.
    #[error("rate limited")]
    RateLimited { retry_after_secs: u64 },
    /// A KYC document was refused, or its object store failed.
    #[error("document: {0}")]
    Document(#[from] KycError),
    /// The vault refused (keys, encryption budget, authentication failure).
    #[error("vault: {0}")]
    Vault(#[from] VaultError),
    /// The database failed. Its text can quote bound values, so it is logged by kind only.
    #[error("database error")]
    Db(#[source] sea_orm::DbErr),
    /// A broken invariant; the text is for the log only.
    /// The platform's tenant key (audit MAC and receipt key) is gone from a database that has
    /// used it; it is never made anew there (restore it from a backup).
    #[error(
        "the platform key is missing from a database that has used it (audit entries or receipt keys exist); restore it from a backup"
    )]
    PlatformKeyMissing,
    #[error("internal: {0}")]
    Internal(String),
}

/// One broken rule of an input: where, a stable code, and an explanation that never quotes the
/// submitted value. The one type every layer reports with (`harim_violation`).
pub use harim_violation::Violation;

impl StoreError {
    /// A single broken rule.
    pub fn rejected(field: &str, code: &str, message: &str) -> Self {
        Self::Rejected(vec![Violation::new(field, code, message)])
    }

    /// A broken invariant, with where it broke.
    pub fn internal(context: &str, err: impl std::fmt::Display) -> Self {
        Self::Internal(format!("{context}: {err}"))
    }

    /// True for a unique-constraint violation (a concurrent insert won).
    pub fn is_unique_violation(&self) -> bool {
        matches!(self, StoreError::Db(e) if matches!(e.sql_err(), Some(sea_orm::SqlErr::UniqueConstraintViolation(_))))
    }

    /// True for a foreign-key violation (the referenced row went meanwhile).
    pub fn is_foreign_key_violation(&self) -> bool {
        matches!(self, StoreError::Db(e) if matches!(e.sql_err(), Some(sea_orm::SqlErr::ForeignKeyConstraintViolation(_))))
    }

    /// The database error's kind, for logs (never its text).
    pub fn db_kind(&self) -> Option<&'static str> {
        let StoreError::Db(e) = self else {
            return None;
        };
        Some(kind_of(e))
    }
}

fn kind_of(e: &sea_orm::DbErr) -> &'static str {
    use sea_orm::DbErr::*;
    if transient(e) {
        return "connection";
    }
    match e {
        ConnectionAcquire(_) | Conn(_) => "connection",
        Exec(_) => "exec",
        Query(_) => "query",
        RecordNotFound(_) => "record_not_found",
        RecordNotInserted => "record_not_inserted",
        RecordNotUpdated => "record_not_updated",
        Migration(_) => "migration",
        _ => "other",
    }
}

/// The database's own primary message and SQLSTATE (`could not run distributed query with FOR
/// UPDATE/SHARE commands (SQLSTATE 0A000)`), for an operator-facing record such as a failed
/// rotation job. PostgreSQL's primary message names statements and constraints, never row
/// values (those are in its DETAIL, left out here); anything that is not a database error says
/// only its kind.
pub fn db_message(e: &sea_orm::DbErr) -> String {
    use sea_orm::{DbErr, RuntimeErr, sqlx};
    match e {
        DbErr::Exec(RuntimeErr::SqlxError(sqlx::Error::Database(d)))
        | DbErr::Query(RuntimeErr::SqlxError(sqlx::Error::Database(d))) => match d.code() {
            Some(code) => format!("{} (SQLSTATE {code})", d.message()),
            None => d.message().to_string(),
        },
        DbErr::Custom(m) => m.clone(),
        other => format!("database error ({})", kind_of(other)),
    }
}

/// Whether a database error says "the database is away or busy, try again" rather than "this
/// statement is wrong": a lost or refused connection, an exhausted pool, PostgreSQL's connection
/// exceptions (SQLSTATE class 08), operator intervention (57: shutdown, restart), insufficient
/// resources (53), serialization failures and deadlocks (40001, 40P01), SQLite busy/locked.
/// These are answered 503 with `Retry-After`, never 500.
fn transient(e: &sea_orm::DbErr) -> bool {
    use sea_orm::{DbErr, RuntimeErr, sqlx};
    let sqlx_err = match e {
        DbErr::ConnectionAcquire(_) | DbErr::Conn(_) => return true,
        DbErr::Exec(RuntimeErr::SqlxError(se)) | DbErr::Query(RuntimeErr::SqlxError(se)) => se,
        _ => return false,
    };
    match sqlx_err {
        sqlx::Error::Io(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::WorkerCrashed
        | sqlx::Error::Protocol(_)
        | sqlx::Error::Tls(_) => true,
        sqlx::Error::Database(d) => d.code().is_some_and(|c| {
            c.starts_with("08")
                || c.starts_with("57")
                || c.starts_with("53")
                || c == "40001"
                || c == "40P01"
                // SQLite: SQLITE_BUSY, SQLITE_LOCKED and their extended codes.
                || c == "5"
                || c == "6"
                || c == "517"
                || c == "261"
        }),
        _ => false,
    }
}

impl From<sea_orm::DbErr> for StoreError {
    fn from(e: sea_orm::DbErr) -> Self {
        StoreError::Db(e)
    }
}

impl From<sea_orm::TransactionError<StoreError>> for StoreError {
    fn from(e: sea_orm::TransactionError<StoreError>) -> Self {
        match e {
            sea_orm::TransactionError::Connection(db) => db.into(),
            sea_orm::TransactionError::Transaction(e) => e,
        }
    }
}

#[cfg(test)]
mod transient_tests {
    use super::*;
    use sea_orm::{DbErr, RuntimeErr, sqlx};

    fn exec(e: sqlx::Error) -> StoreError {
        StoreError::Db(DbErr::Exec(RuntimeErr::SqlxError(e)))
    }

    /// A connection lost mid-statement is "try again" (503), not a broken statement (500).
    #[test]
    fn lost_connections_and_pool_timeouts_are_transient() {
        let io = std::io::Error::new(std::io::ErrorKind::ConnectionReset, "reset");
        assert_eq!(exec(sqlx::Error::Io(io)).db_kind(), Some("connection"));
        assert_eq!(
            exec(sqlx::Error::PoolTimedOut).db_kind(),
            Some("connection")
        );
        assert_eq!(
            StoreError::Db(DbErr::Query(RuntimeErr::SqlxError(sqlx::Error::PoolClosed))).db_kind(),
            Some("connection")
        );
        assert_eq!(exec(sqlx::Error::RowNotFound).db_kind(), Some("exec"));
        assert_eq!(StoreError::NotFound.db_kind(), None);
    }
}
