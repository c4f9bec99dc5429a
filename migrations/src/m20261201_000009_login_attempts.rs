//! Sign-in attempts counted in the database, so the limit holds across every replica (a
//! per-process limiter lets N replicas take N times the attempts).

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum LoginAttempts {
    Table,
    Bucket,
    WindowStart,
    Attempts,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(LoginAttempts::Table)
                // SHA-256 of `ip:<address>` or `email:<address>`: neither is stored as such.
                .col(ColumnDef::new(LoginAttempts::Bucket).binary().not_null())
                // Unix time / 60: a fixed one-minute window.
                .col(
                    ColumnDef::new(LoginAttempts::WindowStart)
                        .big_integer()
                        .not_null(),
                )
                .col(ColumnDef::new(LoginAttempts::Attempts).integer().not_null())
                // Platform-wide (a reference table for Citus): no tenant owns a sign-in.
                .primary_key(
                    Index::create()
                        .col(LoginAttempts::Bucket)
                        .col(LoginAttempts::WindowStart),
                )
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(LoginAttempts::Table).to_owned())
            .await
    }
}
