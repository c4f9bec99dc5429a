//! `harim-migrations`: every table harim uses, for SQLite and PostgreSQL.
//!
//! Owns the schema. Rules: a migration that has shipped is never edited (expand, then contract,
//! in new migrations); every tenant-owned table leads its primary key with `tenant_id` so the
//! schema can be distributed by tenant (Citus) without rewriting keys.

pub use sea_orm_migration::prelude::*;

mod m20261121_000001_foundation;
mod m20261121_000002_vault;
mod m20261121_000003_policies;
mod m20261121_000004_rotation;
mod m20261122_000005_kyc;
mod m20261201_000006_key_safety;
mod m20261201_000007_invitations;
mod m20261201_000008_data_rights;
mod m20261201_000009_login_attempts;
mod m20261201_000010_citus_keys;
mod m20261201_000011_policy_encodings;
mod m20261201_000012_retention;
mod m20261201_000013_platform_policy;
mod m20261207_000014_evidence_macs;
mod m20261207_000015_key_records;
mod m20261207_000016_platform_token_expiry;
mod m20261207_000017_customers;
mod m20261207_000018_api_key_limits;
mod m20261207_000019_consent_and_notifications;
mod m20261207_000020_privacy_events;
mod m20261207_000021_customer_requests;

/// Applies harim's migrations in order.
#[derive(Debug)]
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261121_000001_foundation::Migration),
            Box::new(m20261121_000002_vault::Migration),
            Box::new(m20261121_000003_policies::Migration),
            Box::new(m20261121_000004_rotation::Migration),
            Box::new(m20261122_000005_kyc::Migration),
            Box::new(m20261201_000006_key_safety::Migration),
            Box::new(m20261201_000007_invitations::Migration),
            Box::new(m20261201_000008_data_rights::Migration),
            Box::new(m20261201_000009_login_attempts::Migration),
            Box::new(m20261201_000010_citus_keys::Migration),
            Box::new(m20261201_000011_policy_encodings::Migration),
            Box::new(m20261201_000012_retention::Migration),
            Box::new(m20261201_000013_platform_policy::Migration),
            Box::new(m20261207_000014_evidence_macs::Migration),
            Box::new(m20261207_000015_key_records::Migration),
            Box::new(m20261207_000016_platform_token_expiry::Migration),
            Box::new(m20261207_000017_customers::Migration),
            Box::new(m20261207_000018_api_key_limits::Migration),
            Box::new(m20261207_000019_consent_and_notifications::Migration),
            Box::new(m20261207_000020_privacy_events::Migration),
            Box::new(m20261207_000021_customer_requests::Migration),
        ]
    }
}
