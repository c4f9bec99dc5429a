//! The public policy pages are served precompressed: each frozen document also keeps its gzip
//! and brotli forms, made once when the version is published. Nullable, because documents
//! published before this migration have none; those are compressed when first read and kept in
//! memory, never written back (a frozen version's rows are not rewritten). Expand only: nothing
//! is dropped.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum PolicyDocuments {
    Table,
    BodyGzip,
    BodyBr,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite's ALTER TABLE takes one change at a time.
        for col in [PolicyDocuments::BodyGzip, PolicyDocuments::BodyBr] {
            m.alter_table(
                Table::alter()
                    .table(PolicyDocuments::Table)
                    .add_column(ColumnDef::new(col).binary().null())
                    .to_owned(),
            )
            .await?;
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for col in [PolicyDocuments::BodyBr, PolicyDocuments::BodyGzip] {
            m.alter_table(
                Table::alter()
                    .table(PolicyDocuments::Table)
                    .drop_column(col)
                    .to_owned(),
            )
            .await?;
        }
        Ok(())
    }
}
