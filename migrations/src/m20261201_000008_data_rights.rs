//! Data-subject rights: the requests (exports and erasures, with their deadlines, progress and
//! signed receipts) and the erasure fence that keeps an erased shop id from ever being keyed again.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum DataRequests {
    Table,
    TenantId,
    Id,
    Kind,
    SubjectAccount,
    State,
    RequestedAt,
    DueAt,
    CompletedAt,
    ExpiresAt,
    LeaseUntil,
    Attempts,
    ObjectSize,
    ObjectSha256,
    WrappedKey,
    TkVersion,
    Progress,
    Receipt,
    Signature,
    KeyId,
    Error,
}

#[derive(DeriveIden)]
enum ErasureFences {
    Table,
    TenantId,
    ErasedAt,
    RequestId,
    SlugDigest,
}

fn ts(col: impl IntoIden) -> ColumnDef {
    ColumnDef::new(col)
        .timestamp_with_time_zone()
        .not_null()
        .to_owned()
}

fn ts_null(col: impl IntoIden) -> ColumnDef {
    ColumnDef::new(col)
        .timestamp_with_time_zone()
        .null()
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(DataRequests::Table)
                // The shop a request is about; the nil id for requests about an account.
                .col(ColumnDef::new(DataRequests::TenantId).uuid().not_null())
                .col(ColumnDef::new(DataRequests::Id).uuid().not_null())
                .col(ColumnDef::new(DataRequests::Kind).string().not_null())
                .col(ColumnDef::new(DataRequests::SubjectAccount).uuid().null())
                .col(ColumnDef::new(DataRequests::State).string().not_null())
                .col(ts(DataRequests::RequestedAt))
                .col(ts(DataRequests::DueAt))
                .col(ts_null(DataRequests::CompletedAt))
                .col(ts_null(DataRequests::ExpiresAt))
                .col(ts_null(DataRequests::LeaseUntil))
                .col(
                    ColumnDef::new(DataRequests::Attempts)
                        .integer()
                        .not_null()
                        .default(0),
                )
                .col(
                    ColumnDef::new(DataRequests::ObjectSize)
                        .big_integer()
                        .null(),
                )
                .col(ColumnDef::new(DataRequests::ObjectSha256).binary().null())
                .col(ColumnDef::new(DataRequests::WrappedKey).binary().null())
                .col(ColumnDef::new(DataRequests::TkVersion).integer().null())
                .col(ColumnDef::new(DataRequests::Progress).text().null())
                .col(ColumnDef::new(DataRequests::Receipt).text().null())
                .col(ColumnDef::new(DataRequests::Signature).string().null())
                .col(ColumnDef::new(DataRequests::KeyId).string().null())
                .col(ColumnDef::new(DataRequests::Error).string().null())
                // Tenant-owned: the key leads with tenant_id (Citus distribution column).
                .primary_key(
                    Index::create()
                        .col(DataRequests::TenantId)
                        .col(DataRequests::Id),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("data_requests_state")
                .table(DataRequests::Table)
                .col(DataRequests::State)
                .col(DataRequests::DueAt)
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("data_requests_id")
                .table(DataRequests::Table)
                .col(DataRequests::Id)
                .unique()
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(ErasureFences::Table)
                .col(
                    ColumnDef::new(ErasureFences::TenantId)
                        .uuid()
                        .not_null()
                        .primary_key(),
                )
                .col(ts(ErasureFences::ErasedAt))
                .col(ColumnDef::new(ErasureFences::RequestId).uuid().not_null())
                // SHA-256 of the erased shop's slug: its public pages answer 410 and the slug is
                // never handed to another shop, without the slug itself being kept.
                .col(
                    ColumnDef::new(ErasureFences::SlugDigest)
                        .binary()
                        .not_null(),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("erasure_fences_slug")
                .table(ErasureFences::Table)
                .col(ErasureFences::SlugDigest)
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(ErasureFences::Table).to_owned())
            .await?;
        m.drop_table(Table::drop().table(DataRequests::Table).to_owned())
            .await
    }
}
