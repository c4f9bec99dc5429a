//! The platform's own privacy policy for merchants: published, frozen, hash-chained versions
//! and their rendered documents, like a shop's (`m20261121_000003_policies`) but platform-wide,
//! so without a `tenant_id` (Citus reference tables). Append-only.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum PlatformPolicyVersions {
    Table,
    Version,
    Hash,
    PreviousHash,
    Inputs,
    Changes,
    Locales,
    DefaultLocale,
    EffectiveAt,
    PublishedAt,
    PublishedBy,
}

#[derive(DeriveIden)]
enum PlatformPolicyDocuments {
    Table,
    Version,
    Locale,
    Format,
    Body,
    BodyGzip,
    BodyBr,
}

fn ts(col: impl IntoIden) -> ColumnDef {
    ColumnDef::new(col)
        .timestamp_with_time_zone()
        .not_null()
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(PlatformPolicyVersions::Table)
                .col(
                    ColumnDef::new(PlatformPolicyVersions::Version)
                        .integer()
                        .not_null()
                        .primary_key(),
                )
                .col(
                    ColumnDef::new(PlatformPolicyVersions::Hash)
                        .string()
                        .not_null(),
                )
                .col(
                    ColumnDef::new(PlatformPolicyVersions::PreviousHash)
                        .string()
                        .null(),
                )
                .col(
                    ColumnDef::new(PlatformPolicyVersions::Inputs)
                        .text()
                        .not_null(),
                )
                .col(
                    ColumnDef::new(PlatformPolicyVersions::Changes)
                        .text()
                        .not_null(),
                )
                .col(
                    ColumnDef::new(PlatformPolicyVersions::Locales)
                        .string()
                        .not_null(),
                )
                .col(
                    ColumnDef::new(PlatformPolicyVersions::DefaultLocale)
                        .string()
                        .not_null(),
                )
                .col(ts(PlatformPolicyVersions::EffectiveAt))
                .col(ts(PlatformPolicyVersions::PublishedAt))
                .col(
                    ColumnDef::new(PlatformPolicyVersions::PublishedBy)
                        .string()
                        .not_null(),
                )
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(PlatformPolicyDocuments::Table)
                .col(
                    ColumnDef::new(PlatformPolicyDocuments::Version)
                        .integer()
                        .not_null(),
                )
                .col(
                    ColumnDef::new(PlatformPolicyDocuments::Locale)
                        .string()
                        .not_null(),
                )
                .col(
                    ColumnDef::new(PlatformPolicyDocuments::Format)
                        .string()
                        .not_null(),
                )
                .col(
                    ColumnDef::new(PlatformPolicyDocuments::Body)
                        .text()
                        .not_null(),
                )
                .col(
                    ColumnDef::new(PlatformPolicyDocuments::BodyGzip)
                        .binary()
                        .null(),
                )
                .col(
                    ColumnDef::new(PlatformPolicyDocuments::BodyBr)
                        .binary()
                        .null(),
                )
                .primary_key(
                    Index::create()
                        .col(PlatformPolicyDocuments::Version)
                        .col(PlatformPolicyDocuments::Locale)
                        .col(PlatformPolicyDocuments::Format),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from(
                            PlatformPolicyDocuments::Table,
                            PlatformPolicyDocuments::Version,
                        )
                        .to(
                            PlatformPolicyVersions::Table,
                            PlatformPolicyVersions::Version,
                        ),
                )
                .to_owned(),
        )
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in [
            PlatformPolicyDocuments::Table.into_iden(),
            PlatformPolicyVersions::Table.into_iden(),
        ] {
            m.drop_table(Table::drop().table(t).to_owned()).await?;
        }
        Ok(())
    }
}
