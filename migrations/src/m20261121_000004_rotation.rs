//! Root-key rotation jobs: the state of an online, resumable re-wrap of every tenant key.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum KeyRotationJobs {
    Table,
    Id,
    Kind,
    TargetKekVersion,
    State,
    Total,
    Done,
    Error,
    CreatedAt,
    UpdatedAt,
    FinishedAt,
}

#[derive(DeriveIden)]
enum MerchantIdentities {
    Table,
    BidxVersion,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // One row per job; `done` is bumped in the same transaction as each batch of re-wraps,
        // so a killed worker resumes exactly where it was.
        m.create_table(
            Table::create()
                .table(KeyRotationJobs::Table)
                .col(
                    ColumnDef::new(KeyRotationJobs::Id)
                        .uuid()
                        .not_null()
                        .primary_key(),
                )
                .col(ColumnDef::new(KeyRotationJobs::Kind).string().not_null())
                .col(
                    ColumnDef::new(KeyRotationJobs::TargetKekVersion)
                        .integer()
                        .not_null(),
                )
                .col(ColumnDef::new(KeyRotationJobs::State).string().not_null())
                .col(
                    ColumnDef::new(KeyRotationJobs::Total)
                        .big_integer()
                        .not_null(),
                )
                .col(
                    ColumnDef::new(KeyRotationJobs::Done)
                        .big_integer()
                        .not_null(),
                )
                .col(ColumnDef::new(KeyRotationJobs::Error).string().null())
                .col(
                    ColumnDef::new(KeyRotationJobs::CreatedAt)
                        .timestamp_with_time_zone()
                        .not_null(),
                )
                .col(
                    ColumnDef::new(KeyRotationJobs::UpdatedAt)
                        .timestamp_with_time_zone()
                        .not_null(),
                )
                .col(
                    ColumnDef::new(KeyRotationJobs::FinishedAt)
                        .timestamp_with_time_zone()
                        .null(),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("key_rotation_jobs_state")
                .table(KeyRotationJobs::Table)
                .col(KeyRotationJobs::State)
                .to_owned(),
        )
        .await?;
        // The blind-index phase of a rotation looks for identities indexed under an old version.
        m.create_index(
            Index::create()
                .name("merchant_identities_bidx_version")
                .table(MerchantIdentities::Table)
                .col(MerchantIdentities::BidxVersion)
                .to_owned(),
        )
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_index(
            Index::drop()
                .name("merchant_identities_bidx_version")
                .table(MerchantIdentities::Table)
                .to_owned(),
        )
        .await?;
        m.drop_table(Table::drop().table(KeyRotationJobs::Table).to_owned())
            .await
    }
}
