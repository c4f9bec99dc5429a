//! Opening the database: SQLite for the embedded default, PostgreSQL in production.

use std::time::Duration;

use harim_migrations::MigratorTrait;
use sea_orm::{ConnectOptions, Database, DatabaseConnection, DbErr};
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
