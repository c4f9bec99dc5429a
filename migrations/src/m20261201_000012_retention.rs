//! Retention the job enforces itself. `api_keys.last_used_at`: when a key last authenticated
//! (refreshed at most daily, so the request path does not write on every call), so a key
//! unused for `api_key_unused_days` can be deleted; NULL for keys created before this
//! migration, which count from `created_at`. `audit_log.pruned_mac`: set when an entry's
//! content was removed by retention, a MAC under the audit key over what is kept (seq, time,
//! links), so only the key holder can prune and the chain still verifies. Expand only.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ApiKeys {
    Table,
    LastUsedAt,
}

#[derive(DeriveIden)]
enum AuditLog {
    Table,
    PrunedMac,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // One change per statement: SQLite's ALTER TABLE takes one at a time.
        m.alter_table(
            Table::alter()
                .table(ApiKeys::Table)
                .add_column(
                    ColumnDef::new(ApiKeys::LastUsedAt)
                        .timestamp_with_time_zone()
                        .null(),
                )
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table(AuditLog::Table)
                .add_column(ColumnDef::new(AuditLog::PrunedMac).binary().null())
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(AuditLog::Table)
                .drop_column(AuditLog::PrunedMac)
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table(ApiKeys::Table)
                .drop_column(ApiKeys::LastUsedAt)
                .to_owned(),
        )
        .await
    }
}
