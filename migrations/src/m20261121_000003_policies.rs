//! Privacy settings (one row per shop) and published, frozen policy versions with their
//! rendered documents.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Shops {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum PrivacySettings {
    Table,
    TenantId,
    Settings,
    UpdatedAt,
    UpdatedBy,
}

#[derive(DeriveIden)]
enum PolicyVersions {
    Table,
    TenantId,
    Version,
    Hash,
    PreviousHash,
    Settings,
    Changes,
    Locales,
    DefaultLocale,
    EffectiveAt,
    PublishedAt,
    PublishedBy,
}

#[derive(DeriveIden)]
enum PolicyDocuments {
    Table,
    TenantId,
    Version,
    Locale,
    Format,
    Body,
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
        // The owner's working copy; publishing copies it into policy_versions.
        m.create_table(
            Table::create()
                .table(PrivacySettings::Table)
                .col(
                    ColumnDef::new(PrivacySettings::TenantId)
                        .uuid()
                        .not_null()
                        .primary_key(),
                )
                .col(ColumnDef::new(PrivacySettings::Settings).text().not_null())
                .col(ts(PrivacySettings::UpdatedAt))
                .col(
                    ColumnDef::new(PrivacySettings::UpdatedBy)
                        .string()
                        .not_null(),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from(PrivacySettings::Table, PrivacySettings::TenantId)
                        .to(Shops::Table, Shops::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;

        // Append-only: a published version is never updated.
        m.create_table(
            Table::create()
                .table(PolicyVersions::Table)
                .col(ColumnDef::new(PolicyVersions::TenantId).uuid().not_null())
                .col(ColumnDef::new(PolicyVersions::Version).integer().not_null())
                .col(ColumnDef::new(PolicyVersions::Hash).string().not_null())
                .col(ColumnDef::new(PolicyVersions::PreviousHash).string().null())
                .col(ColumnDef::new(PolicyVersions::Settings).text().not_null())
                .col(ColumnDef::new(PolicyVersions::Changes).text().not_null())
                .col(ColumnDef::new(PolicyVersions::Locales).string().not_null())
                .col(
                    ColumnDef::new(PolicyVersions::DefaultLocale)
                        .string()
                        .not_null(),
                )
                .col(ts(PolicyVersions::EffectiveAt))
                .col(ts(PolicyVersions::PublishedAt))
                .col(
                    ColumnDef::new(PolicyVersions::PublishedBy)
                        .string()
                        .not_null(),
                )
                .primary_key(
                    Index::create()
                        .col(PolicyVersions::TenantId)
                        .col(PolicyVersions::Version),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from(PolicyVersions::Table, PolicyVersions::TenantId)
                        .to(Shops::Table, Shops::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;

        // Frozen rendered documents: served as stored, never re-rendered.
        m.create_table(
            Table::create()
                .table(PolicyDocuments::Table)
                .col(ColumnDef::new(PolicyDocuments::TenantId).uuid().not_null())
                .col(
                    ColumnDef::new(PolicyDocuments::Version)
                        .integer()
                        .not_null(),
                )
                .col(ColumnDef::new(PolicyDocuments::Locale).string().not_null())
                .col(ColumnDef::new(PolicyDocuments::Format).string().not_null())
                .col(ColumnDef::new(PolicyDocuments::Body).text().not_null())
                .primary_key(
                    Index::create()
                        .col(PolicyDocuments::TenantId)
                        .col(PolicyDocuments::Version)
                        .col(PolicyDocuments::Locale)
                        .col(PolicyDocuments::Format),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from(PolicyDocuments::Table, PolicyDocuments::TenantId)
                        .to(Shops::Table, Shops::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in [
            PolicyDocuments::Table.into_iden(),
            PolicyVersions::Table.into_iden(),
            PrivacySettings::Table.into_iden(),
        ] {
            m.drop_table(Table::drop().table(t).to_owned()).await?;
        }
        Ok(())
    }
}
