//! KYC documents: metadata rows for encrypted objects in the object store.
//!
//! The object holds the (encrypted) bytes; this row holds what the object cannot say about
//! itself: whose it is, its review state, its SHA-256 and its document key, wrapped under the
//! shop's tenant key. A purged document keeps its row as a tombstone (`purged_at`) with the
//! wrapped key erased.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Shops {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum KycDocuments {
    Table,
    TenantId,
    Id,
    Kind,
    Status,
    ContentType,
    Size,
    StoredSize,
    Sha256,
    WrappedKey,
    UploadedBy,
    UploadedAt,
    DecidedAt,
    DecidedBy,
    Reason,
    PurgedAt,
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
                .table(KycDocuments::Table)
                .col(ColumnDef::new(KycDocuments::TenantId).uuid().not_null())
                .col(ColumnDef::new(KycDocuments::Id).uuid().not_null())
                .col(ColumnDef::new(KycDocuments::Kind).string().not_null())
                .col(ColumnDef::new(KycDocuments::Status).string().not_null())
                .col(
                    ColumnDef::new(KycDocuments::ContentType)
                        .string()
                        .not_null(),
                )
                .col(ColumnDef::new(KycDocuments::Size).big_integer().not_null())
                .col(
                    ColumnDef::new(KycDocuments::StoredSize)
                        .big_integer()
                        .not_null(),
                )
                .col(ColumnDef::new(KycDocuments::Sha256).binary().not_null())
                .col(ColumnDef::new(KycDocuments::WrappedKey).binary().null())
                .col(ColumnDef::new(KycDocuments::UploadedBy).string().not_null())
                .col(ts(KycDocuments::UploadedAt))
                .col(ts_null(KycDocuments::DecidedAt))
                .col(ColumnDef::new(KycDocuments::DecidedBy).string().null())
                .col(ColumnDef::new(KycDocuments::Reason).text().null())
                .col(ts_null(KycDocuments::PurgedAt))
                .primary_key(
                    Index::create()
                        .col(KycDocuments::TenantId)
                        .col(KycDocuments::Id),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from(KycDocuments::Table, KycDocuments::TenantId)
                        .to(Shops::Table, Shops::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        // The review queue and the retention job scan by status and age across tenants.
        m.create_index(
            Index::create()
                .name("kyc_documents_status_uploaded")
                .table(KycDocuments::Table)
                .col(KycDocuments::Status)
                .col(KycDocuments::UploadedAt)
                .to_owned(),
        )
        .await?;
        // Document ids are unique on their own too (the admin decision route names only the id).
        m.create_index(
            Index::create()
                .name("kyc_documents_id")
                .table(KycDocuments::Table)
                .col(KycDocuments::Id)
                .unique()
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(KycDocuments::Table).to_owned())
            .await
    }
}
