//! Evidence a database writer cannot forge (issue 24). `erasure_fences.mac`: a MAC under the
//! audit key over the fence (shop id, time, request id, slug digest), so only harim can fence
//! a shop, and retention deletes a chain and `audit verify` accepts its absence only for a
//! fence whose MAC holds. `data_requests.mac`: the same over what a request row was created
//! with (tenant, id, kind, subject, times), so the worker runs only requests harim made. NULL
//! on rows written before this migration: they are treated as unauthenticated (nothing is
//! purged or run on their word). `audit_heads.at`: the time of the head entry, so an append
//! dates its entry no earlier than the one before (replicas' clocks differ; `verify` requires
//! times to be monotonic along a chain). Expand only.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ErasureFences {
    Table,
    Mac,
}

#[derive(DeriveIden)]
enum AuditHeads {
    Table,
    At,
}

#[derive(DeriveIden)]
enum DataRequests {
    Table,
    Mac,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // One change per statement: SQLite's ALTER TABLE takes one at a time.
        m.alter_table(
            Table::alter()
                .table(ErasureFences::Table)
                .add_column(ColumnDef::new(ErasureFences::Mac).binary().null())
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table(DataRequests::Table)
                .add_column(ColumnDef::new(DataRequests::Mac).binary().null())
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table(AuditHeads::Table)
                .add_column(
                    ColumnDef::new(AuditHeads::At)
                        .timestamp_with_time_zone()
                        .null(),
                )
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(AuditHeads::Table)
                .drop_column(AuditHeads::At)
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table(DataRequests::Table)
                .drop_column(DataRequests::Mac)
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table(ErasureFences::Table)
                .drop_column(ErasureFences::Mac)
                .to_owned(),
        )
        .await
    }
}
