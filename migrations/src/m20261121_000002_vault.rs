//! Tenant keys, the encrypted merchant identity, and the hash-chained audit log.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum TenantKeys {
    Table,
    TenantId,
    TkVersion,
    KekVersion,
    Wrapped,
    Encryptions,
    CreatedAt,
}

#[derive(DeriveIden)]
enum MerchantIdentities {
    Table,
    TenantId,
    TkVersion,
    FullName,
    NationalId,
    Iban,
    BirthDate,
    Phone,
    Email,
    Address,
    PostalCode,
    Country,
    NationalIdBidx,
    IbanBidx,
    BidxVersion,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum AuditHeads {
    Table,
    TenantId,
    Seq,
    Hash,
}

#[derive(DeriveIden)]
enum AuditLog {
    Table,
    TenantId,
    Seq,
    Id,
    At,
    Actor,
    Action,
    Fields,
    Purpose,
    RequestId,
    PrevHash,
    Hash,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // A tenant key is stored only wrapped by a root key version; AAD binds tenant and versions.
        m.create_table(
            Table::create()
                .table(TenantKeys::Table)
                .col(ColumnDef::new(TenantKeys::TenantId).uuid().not_null())
                .col(ColumnDef::new(TenantKeys::TkVersion).integer().not_null())
                .col(ColumnDef::new(TenantKeys::KekVersion).integer().not_null())
                .col(ColumnDef::new(TenantKeys::Wrapped).binary().not_null())
                .col(
                    ColumnDef::new(TenantKeys::Encryptions)
                        .big_integer()
                        .not_null()
                        .default(0),
                )
                .col(
                    ColumnDef::new(TenantKeys::CreatedAt)
                        .timestamp_with_time_zone()
                        .not_null(),
                )
                .primary_key(
                    Index::create()
                        .col(TenantKeys::TenantId)
                        .col(TenantKeys::TkVersion),
                )
                .to_owned(),
        )
        .await?;
        // Root-key rotation looks for keys still wrapped by an old version.
        m.create_index(
            Index::create()
                .name("tenant_keys_kek_version")
                .table(TenantKeys::Table)
                .col(TenantKeys::KekVersion)
                .to_owned(),
        )
        .await?;

        // One identity per shop; every value column is an AES-256-GCM ciphertext.
        let ct = |c: MerchantIdentities| ColumnDef::new(c).binary().not_null().to_owned();
        m.create_table(
            Table::create()
                .table(MerchantIdentities::Table)
                .col(
                    ColumnDef::new(MerchantIdentities::TenantId)
                        .uuid()
                        .not_null()
                        .primary_key(),
                )
                .col(
                    ColumnDef::new(MerchantIdentities::TkVersion)
                        .integer()
                        .not_null(),
                )
                .col(ct(MerchantIdentities::FullName))
                .col(ct(MerchantIdentities::NationalId))
                .col(ct(MerchantIdentities::Iban))
                .col(ct(MerchantIdentities::BirthDate))
                .col(ct(MerchantIdentities::Phone))
                .col(ct(MerchantIdentities::Email))
                .col(ct(MerchantIdentities::Address))
                .col(
                    ColumnDef::new(MerchantIdentities::PostalCode)
                        .binary()
                        .null(),
                )
                .col(ct(MerchantIdentities::Country))
                .col(ct(MerchantIdentities::NationalIdBidx))
                .col(ct(MerchantIdentities::IbanBidx))
                .col(
                    ColumnDef::new(MerchantIdentities::BidxVersion)
                        .integer()
                        .not_null(),
                )
                .col(
                    ColumnDef::new(MerchantIdentities::UpdatedAt)
                        .timestamp_with_time_zone()
                        .not_null(),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from(MerchantIdentities::Table, MerchantIdentities::TenantId)
                        .to(Alias::new("shops"), Alias::new("id"))
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        for (name, col) in [
            (
                "merchant_identities_national_id_bidx",
                MerchantIdentities::NationalIdBidx,
            ),
            (
                "merchant_identities_iban_bidx",
                MerchantIdentities::IbanBidx,
            ),
        ] {
            m.create_index(
                Index::create()
                    .name(name)
                    .table(MerchantIdentities::Table)
                    .col(col)
                    .to_owned(),
            )
            .await?;
        }

        // The head of each tenant's audit chain: updating it first serialises appends per
        // tenant on PostgreSQL (row lock) and SQLite (the write lock) alike.
        m.create_table(
            Table::create()
                .table(AuditHeads::Table)
                .col(
                    ColumnDef::new(AuditHeads::TenantId)
                        .uuid()
                        .not_null()
                        .primary_key(),
                )
                .col(ColumnDef::new(AuditHeads::Seq).big_integer().not_null())
                .col(ColumnDef::new(AuditHeads::Hash).binary().not_null())
                .to_owned(),
        )
        .await?;

        // Append-only; no foreign key to shops, so the record of access outlives an erased shop.
        m.create_table(
            Table::create()
                .table(AuditLog::Table)
                .col(ColumnDef::new(AuditLog::TenantId).uuid().not_null())
                .col(ColumnDef::new(AuditLog::Seq).big_integer().not_null())
                .col(ColumnDef::new(AuditLog::Id).uuid().not_null())
                .col(
                    ColumnDef::new(AuditLog::At)
                        .timestamp_with_time_zone()
                        .not_null(),
                )
                .col(ColumnDef::new(AuditLog::Actor).string().not_null())
                .col(ColumnDef::new(AuditLog::Action).string().not_null())
                .col(ColumnDef::new(AuditLog::Fields).string().not_null())
                .col(ColumnDef::new(AuditLog::Purpose).string().null())
                .col(ColumnDef::new(AuditLog::RequestId).string().null())
                .col(ColumnDef::new(AuditLog::PrevHash).binary().not_null())
                .col(ColumnDef::new(AuditLog::Hash).binary().not_null())
                .primary_key(Index::create().col(AuditLog::TenantId).col(AuditLog::Seq))
                .to_owned(),
        )
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in [
            AuditLog::Table.into_iden(),
            AuditHeads::Table.into_iden(),
            MerchantIdentities::Table.into_iden(),
            TenantKeys::Table.into_iden(),
        ] {
            m.drop_table(Table::drop().table(t).to_owned()).await?;
        }
        Ok(())
    }
}
