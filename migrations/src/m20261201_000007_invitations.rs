//! Staff invitations: an owner invites an e-mail address; the person behind it joins only by
//! accepting, signed in as that address, with the invitation's token.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Invitations {
    Table,
    TenantId,
    Id,
    Email,
    Role,
    TokenHash,
    InvitedBy,
    CreatedAt,
    ExpiresAt,
    AcceptedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(Invitations::Table)
                .col(ColumnDef::new(Invitations::TenantId).uuid().not_null())
                .col(ColumnDef::new(Invitations::Id).uuid().not_null())
                .col(ColumnDef::new(Invitations::Email).string().not_null())
                .col(ColumnDef::new(Invitations::Role).string().not_null())
                .col(ColumnDef::new(Invitations::TokenHash).binary().not_null())
                .col(ColumnDef::new(Invitations::InvitedBy).string().not_null())
                .col(
                    ColumnDef::new(Invitations::CreatedAt)
                        .timestamp_with_time_zone()
                        .not_null(),
                )
                .col(
                    ColumnDef::new(Invitations::ExpiresAt)
                        .timestamp_with_time_zone()
                        .not_null(),
                )
                .col(
                    ColumnDef::new(Invitations::AcceptedAt)
                        .timestamp_with_time_zone()
                        .null(),
                )
                // Tenant-owned: the key leads with tenant_id (Citus distribution column).
                .primary_key(
                    Index::create()
                        .col(Invitations::TenantId)
                        .col(Invitations::Id),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("invitations_token_hash")
                .table(Invitations::Table)
                .col(Invitations::TokenHash)
                .unique()
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(Invitations::Table).to_owned())
            .await
    }
}
