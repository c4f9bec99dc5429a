//! Citus-ready keys (expand, then contract, in one step since nothing reads these indexes by
//! name): a distributed table may only have unique constraints that contain its distribution
//! column (`tenant_id`). Four tenant tables had a globally unique lookup column; each gets a
//! unique `(tenant_id, column)` (expand) and a plain index on the column for the lookups that
//! arrive without a tenant (an API key, an invitation token, an admin's document decision, a
//! receipt), and the global unique index goes (contract). Global uniqueness of those columns
//! never rested on the index: each is a random 128- or 256-bit value (a key hash, a token hash,
//! a UUID). Which tables are distributed and which are reference tables:
//! `harim_store::db::REFERENCE_TABLES` and docs/operations.md.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// (table, column, old unique index).
const KEYS: [(&str, &str, &str); 4] = [
    ("api_keys", "key_hash", "api_keys_hash"),
    ("data_requests", "id", "data_requests_id"),
    ("invitations", "token_hash", "invitations_token_hash"),
    ("kyc_documents", "id", "kyc_documents_id"),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for (table, column, old) in KEYS {
            // Expand: the tenant-scoped unique key and the lookup index.
            m.create_index(
                Index::create()
                    .name(format!("{table}_tenant_{column}"))
                    .table(Alias::new(table))
                    .col(Alias::new("tenant_id"))
                    .col(Alias::new(column))
                    .unique()
                    .to_owned(),
            )
            .await?;
            m.create_index(
                Index::create()
                    .name(format!("{table}_{column}_lookup"))
                    .table(Alias::new(table))
                    .col(Alias::new(column))
                    .to_owned(),
            )
            .await?;
            // Contract: the global unique index.
            m.drop_index(Index::drop().name(old).table(Alias::new(table)).to_owned())
                .await?;
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for (table, column, old) in KEYS {
            m.create_index(
                Index::create()
                    .name(old)
                    .table(Alias::new(table))
                    .col(Alias::new(column))
                    .unique()
                    .to_owned(),
            )
            .await?;
            for name in [
                format!("{table}_{column}_lookup"),
                format!("{table}_tenant_{column}"),
            ] {
                m.drop_index(Index::drop().name(name).table(Alias::new(table)).to_owned())
                    .await?;
            }
        }
        Ok(())
    }
}
