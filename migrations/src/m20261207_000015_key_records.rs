//! Records that bind keys to what the database has seen (issue 24): the CKA_ID (or other
//! provider identifier) of each root key version, so an object later put under its name is
//! refused, and every receipt-signing public key that ever signed, so receipts signed before a
//! change still verify and a missing platform key is known to be missing rather than new.
//! Both are platform tables (Citus reference tables). Expand only: a nullable column and a new
//! table, so a binary from before still runs against it.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum RootKeyVersions {
    Table,
    KeyIdHex,
}

#[derive(DeriveIden)]
enum ReceiptKeys {
    Table,
    KeyId,
    Alg,
    PublicKey,
    FirstUsedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(RootKeyVersions::Table)
                .add_column(ColumnDef::new(RootKeyVersions::KeyIdHex).string().null())
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(ReceiptKeys::Table)
                .col(
                    ColumnDef::new(ReceiptKeys::KeyId)
                        .string()
                        .not_null()
                        .primary_key(),
                )
                .col(ColumnDef::new(ReceiptKeys::Alg).string().not_null())
                .col(ColumnDef::new(ReceiptKeys::PublicKey).string().not_null())
                .col(
                    ColumnDef::new(ReceiptKeys::FirstUsedAt)
                        .timestamp_with_time_zone()
                        .not_null(),
                )
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(ReceiptKeys::Table).to_owned())
            .await?;
        m.alter_table(
            Table::alter()
                .table(RootKeyVersions::Table)
                .drop_column(RootKeyVersions::KeyIdHex)
                .to_owned(),
        )
        .await
    }
}
