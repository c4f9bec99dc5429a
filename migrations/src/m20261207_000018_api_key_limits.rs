//! API keys limited to some routes and reveal purposes (issue 25, item 8): `api_keys.scopes`
//! (`customers`: the key reaches only the customer routes) and `api_keys.reveal_purposes`
//! (comma-separated customer reveal purposes it may use). NULL is "no limit", which is what
//! every key made before this migration keeps. Expand only.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ApiKeys {
    Table,
    Scopes,
    RevealPurposes,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // SQLite adds one column per ALTER TABLE.
        for col in [ApiKeys::Scopes, ApiKeys::RevealPurposes] {
            m.alter_table(
                Table::alter()
                    .table(ApiKeys::Table)
                    .add_column(ColumnDef::new(col).string().null())
                    .to_owned(),
            )
            .await?;
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for col in [ApiKeys::Scopes, ApiKeys::RevealPurposes] {
            m.alter_table(
                Table::alter()
                    .table(ApiKeys::Table)
                    .drop_column(col)
                    .to_owned(),
            )
            .await?;
        }
        Ok(())
    }
}
