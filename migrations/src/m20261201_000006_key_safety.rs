//! Key safety across processes: the database admits one unfinished rotation job per kind, and
//! records each root key version's state, so every process shares one answer to "may this
//! version still wrap?" whatever copy of the key provider it holds.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum RootKeyVersions {
    Table,
    Version,
    State,
    ChangedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // A partial unique index: two starters racing both insert a job, one of them fails.
        // The same statement is valid on SQLite and PostgreSQL.
        m.get_connection()
            .execute_unprepared(
                "CREATE UNIQUE INDEX key_rotation_jobs_one_unfinished ON key_rotation_jobs (kind) \
                 WHERE state IN ('pending', 'running', 'failed')",
            )
            .await?;
        // `active` (may wrap), `decrypt_only` (since `changed_at`), `destroyed`. A version with
        // no row is treated as active; a wrapping transaction inserts its row if missing and
        // holds it FOR SHARE, so retirement waits for wrappers in flight.
        m.create_table(
            Table::create()
                .table(RootKeyVersions::Table)
                .col(
                    ColumnDef::new(RootKeyVersions::Version)
                        .integer()
                        .not_null()
                        .primary_key(),
                )
                .col(ColumnDef::new(RootKeyVersions::State).string().not_null())
                .col(
                    ColumnDef::new(RootKeyVersions::ChangedAt)
                        .timestamp_with_time_zone()
                        .not_null(),
                )
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(RootKeyVersions::Table).to_owned())
            .await?;
        m.get_connection()
            .execute_unprepared("DROP INDEX key_rotation_jobs_one_unfinished")
            .await
            .map(|_| ())
    }
}
