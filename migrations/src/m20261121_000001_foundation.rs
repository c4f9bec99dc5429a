//! Accounts, sessions, shops (tenants), memberships, API keys and platform tokens.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Accounts {
    Table,
    Id,
    Email,
    PasswordHash,
    DisplayName,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Sessions {
    Table,
    TokenHash,
    AccountId,
    CreatedAt,
    ExpiresAt,
}

#[derive(DeriveIden)]
enum Shops {
    Table,
    Id,
    Name,
    Slug,
    DefaultLocale,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Memberships {
    Table,
    TenantId,
    AccountId,
    Role,
    CreatedAt,
}

#[derive(DeriveIden)]
enum ApiKeys {
    Table,
    TenantId,
    Id,
    KeyHash,
    Name,
    Role,
    CreatedAt,
}

#[derive(DeriveIden)]
enum PlatformTokens {
    Table,
    Id,
    TokenHash,
    Name,
    Role,
    CreatedAt,
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
                .table(Accounts::Table)
                .col(ColumnDef::new(Accounts::Id).uuid().not_null().primary_key())
                .col(
                    ColumnDef::new(Accounts::Email)
                        .string()
                        .not_null()
                        .unique_key(),
                )
                .col(ColumnDef::new(Accounts::PasswordHash).string().not_null())
                .col(ColumnDef::new(Accounts::DisplayName).string().null())
                .col(ts(Accounts::CreatedAt))
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(Sessions::Table)
                .col(
                    ColumnDef::new(Sessions::TokenHash)
                        .binary()
                        .not_null()
                        .primary_key(),
                )
                .col(ColumnDef::new(Sessions::AccountId).uuid().not_null())
                .col(ts(Sessions::CreatedAt))
                .col(ts(Sessions::ExpiresAt))
                .foreign_key(
                    ForeignKey::create()
                        .from(Sessions::Table, Sessions::AccountId)
                        .to(Accounts::Table, Accounts::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("sessions_account")
                .table(Sessions::Table)
                .col(Sessions::AccountId)
                .to_owned(),
        )
        .await?;

        // A shop is a tenant: its id is the tenant_id of every row it owns.
        m.create_table(
            Table::create()
                .table(Shops::Table)
                .col(ColumnDef::new(Shops::Id).uuid().not_null().primary_key())
                .col(ColumnDef::new(Shops::Name).string().not_null())
                .col(ColumnDef::new(Shops::Slug).string().not_null().unique_key())
                .col(ColumnDef::new(Shops::DefaultLocale).string().not_null())
                .col(ts(Shops::CreatedAt))
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(Memberships::Table)
                .col(ColumnDef::new(Memberships::TenantId).uuid().not_null())
                .col(ColumnDef::new(Memberships::AccountId).uuid().not_null())
                .col(ColumnDef::new(Memberships::Role).string().not_null())
                .col(ts(Memberships::CreatedAt))
                .primary_key(
                    Index::create()
                        .col(Memberships::TenantId)
                        .col(Memberships::AccountId),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from(Memberships::Table, Memberships::TenantId)
                        .to(Shops::Table, Shops::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from(Memberships::Table, Memberships::AccountId)
                        .to(Accounts::Table, Accounts::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        // "Which shops do I belong to" is asked on every login; tenant-first PK cannot serve it.
        m.create_index(
            Index::create()
                .name("memberships_account")
                .table(Memberships::Table)
                .col(Memberships::AccountId)
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(ApiKeys::Table)
                .col(ColumnDef::new(ApiKeys::TenantId).uuid().not_null())
                .col(ColumnDef::new(ApiKeys::Id).uuid().not_null())
                .col(ColumnDef::new(ApiKeys::KeyHash).binary().not_null())
                .col(ColumnDef::new(ApiKeys::Name).string().not_null())
                .col(ColumnDef::new(ApiKeys::Role).string().not_null())
                .col(ts(ApiKeys::CreatedAt))
                .primary_key(Index::create().col(ApiKeys::TenantId).col(ApiKeys::Id))
                .foreign_key(
                    ForeignKey::create()
                        .from(ApiKeys::Table, ApiKeys::TenantId)
                        .to(Shops::Table, Shops::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("api_keys_hash")
                .table(ApiKeys::Table)
                .col(ApiKeys::KeyHash)
                .unique()
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(PlatformTokens::Table)
                .col(
                    ColumnDef::new(PlatformTokens::Id)
                        .uuid()
                        .not_null()
                        .primary_key(),
                )
                .col(
                    ColumnDef::new(PlatformTokens::TokenHash)
                        .binary()
                        .not_null()
                        .unique_key(),
                )
                .col(ColumnDef::new(PlatformTokens::Name).string().not_null())
                .col(ColumnDef::new(PlatformTokens::Role).string().not_null())
                .col(ts(PlatformTokens::CreatedAt))
                .to_owned(),
        )
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in [
            PlatformTokens::Table.into_iden(),
            ApiKeys::Table.into_iden(),
            Memberships::Table.into_iden(),
            Shops::Table.into_iden(),
            Sessions::Table.into_iden(),
            Accounts::Table.into_iden(),
        ] {
            m.drop_table(Table::drop().table(t).to_owned()).await?;
        }
        Ok(())
    }
}
