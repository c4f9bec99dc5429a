//! Opening the database: SQLite for the embedded default, PostgreSQL in production.

use std::time::Duration;

use harim_migrations::MigratorTrait;
use sea_orm::{ConnectOptions, Database, DatabaseConnection, DbErr};

/// The database handle every use case takes (a pool; cheap to clone).
pub type Db = DatabaseConnection;
use secrecy::{ExposeSecret, SecretString};

/// Connects to `url` (`sqlite://...` or `postgres://...`). SQLite gets WAL and a busy timeout so
/// concurrent requests wait for the writer instead of failing with "database is locked".
pub async fn connect(url: &SecretString) -> Result<DatabaseConnection, DbErr> {
    let mut opts = ConnectOptions::new(url.expose_secret().to_string());
    opts.sqlx_logging(false)
        .connect_timeout(Duration::from_secs(10))
        .acquire_timeout(Duration::from_secs(10))
        .max_connections(if is_sqlite(url) { 8 } else { 32 })
        .map_sqlx_sqlite_opts(|o| {
            o.journal_mode(sea_orm::sqlx::sqlite::SqliteJournalMode::Wal)
                .busy_timeout(Duration::from_secs(10))
                .foreign_keys(true)
                .create_if_missing(true)
                // Freed pages are zeroed: an erased shop's rows leave no bytes in the file.
                .pragma("secure_delete", "on")
        });
    Database::connect(opts).await
}

pub fn is_sqlite(url: &SecretString) -> bool {
    url.expose_secret().starts_with("sqlite:")
}

/// Applies every pending migration.
pub async fn migrate(db: &DatabaseConnection) -> Result<(), DbErr> {
    harim_migrations::Migrator::up(db, None).await
}

/// Number of migrations not yet applied.
pub async fn pending_migrations(db: &DatabaseConnection) -> Result<usize, DbErr> {
    Ok(harim_migrations::Migrator::get_pending_migrations(db)
        .await?
        .len())
}

/// A raw statement written once, in PostgreSQL's dialect, for whichever database `db` is:
/// SQLite numbers its parameters `?1` where PostgreSQL writes `$1`, and has no row locks
/// (`FOR SHARE`, `FOR UPDATE`: its writers are serialised by the database lock instead).
pub fn statement(
    db: &impl sea_orm::ConnectionTrait,
    pg: &str,
    values: impl IntoIterator<Item = sea_orm::Value>,
) -> sea_orm::Statement {
    let backend = db.get_database_backend();
    let sql = match backend {
        sea_orm::DatabaseBackend::Sqlite => pg
            .replace(" FOR SHARE", "")
            .replace(" FOR UPDATE", "")
            .replace('$', "?"),
        _ => pg.to_string(),
    };
    sea_orm::Statement::from_sql_and_values(backend, sql, values)
}

/// Whether the database answers (for readiness checks).
pub async fn ping(db: &Db) -> Result<(), crate::StoreError> {
    Ok(db.ping().await?)
}

/// Tables without a `tenant_id`: in a Citus cluster each is a reference table
/// (`create_reference_table`, a copy on every node), every other table is distributed by
/// `tenant_id` (`create_distributed_table(..., 'tenant_id', colocate_with => ...)`). `shops` is
/// here because its own id is the tenant id and its slug must be unique across all tenants;
/// the rest are platform-wide (accounts and their sessions, operators, root-key
/// administration, sign-in counters, the migration ledger). A test
/// (`crates/harim-api/tests/api/citus.rs`) fails when the migrated schema disagrees.
pub const REFERENCE_TABLES: &[&str] = &[
    "accounts",
    "key_rotation_jobs",
    "login_attempts",
    "platform_tokens",
    "root_key_versions",
    "seaql_migrations",
    "sessions",
    "shops",
];
