//! Platform tokens expire (issue 24, low item 2). `platform_tokens.expires_at`: after it the
//! token authenticates nothing. Tokens made before this migration had no end; they get one
//! now, `EXISTING_TOKEN_DAYS` from the migration, so operators have time to mint replacements
//! instead of being locked out at once. Nullable only because SQLite cannot add a NOT NULL
//! column without a constant default; harim always writes it and reads a NULL as expired.
//! Expand only.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum PlatformTokens {
    Table,
    ExpiresAt,
}

/// The grace the tokens that existed before expiry get (the default lifetime of a new one).
const EXISTING_TOKEN_DAYS: u32 = 90;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(PlatformTokens::Table)
                .add_column(
                    ColumnDef::new(PlatformTokens::ExpiresAt)
                        .timestamp_with_time_zone()
                        .null(),
                )
                .to_owned(),
        )
        .await?;
        // The database's own clock and date arithmetic; the SQLite form is RFC 3339, which is
        // how harim's timestamps are stored and read there.
        let sql = match m.get_database_backend() {
            sea_orm::DatabaseBackend::Sqlite => format!(
                "UPDATE platform_tokens SET expires_at = \
                 strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '+{EXISTING_TOKEN_DAYS} days') \
                 WHERE expires_at IS NULL"
            ),
            _ => format!(
                "UPDATE platform_tokens SET expires_at = now() + interval '{EXISTING_TOKEN_DAYS} days' \
                 WHERE expires_at IS NULL"
            ),
        };
        m.get_connection().execute_unprepared(&sql).await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(PlatformTokens::Table)
                .drop_column(PlatformTokens::ExpiresAt)
                .to_owned(),
        )
        .await
    }
}
