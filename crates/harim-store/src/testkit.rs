//! Below the use cases, for tests and benchmarks only (feature `testkit`): the entities, raw
//! statements, tenant keys and the audit append, so a test can tamper with a row, seed keys or
//! lengthen a chain the way only a database writer could. Production code never names this
//! module (`.ci/check-deps` refuses `harim_store::testkit` outside tests and benches).

use harim_vault::Vault;
use sea_orm::{ConnectionTrait, DatabaseTransaction};
use uuid::Uuid;

use crate::StoreError;

/// The sea-orm entities, to read and tamper with rows as stored.
pub mod entity {
    pub use crate::entity::{
        account, api_key, audit_entry, audit_head, data_request, erasure_fence, invitation,
        kyc_document, membership, merchant_identity, platform_policy_document,
        platform_policy_version, platform_token, policy_document, policy_version, privacy_settings,
        redacted, rotation_job, session, shop, tenant_key,
    };
}

/// A raw statement in PostgreSQL's dialect, for whichever database `db` is.
pub fn statement(
    db: &impl ConnectionTrait,
    pg: &str,
    values: impl IntoIterator<Item = sea_orm::Value>,
) -> sea_orm::Statement {
    crate::db::statement(db, pg, values)
}

/// Tenant keys as stored.
pub mod tenant_keys {
    pub use crate::tenant_keys::{create, wrapped};
}

/// Appends `events` to `tenant_id`'s chain inside `txn`, as the use cases do.
pub async fn append_many(
    txn: &DatabaseTransaction,
    vault: &Vault,
    tenant_id: Uuid,
    events: Vec<crate::audit::Event<'_>>,
) -> Result<(), StoreError> {
    crate::audit::append_many(txn, vault, tenant_id, events).await
}

/// The newest `limit` entries of `tenant_id`'s chain, as stored.
pub async fn audit_list(
    db: &impl ConnectionTrait,
    tenant_id: Uuid,
    limit: u64,
) -> Result<Vec<entity::audit_entry::Model>, StoreError> {
    crate::audit::list(db, tenant_id, limit).await
}

/// Audited writers queued behind another in `db`'s SQLite writer queue (0 on PostgreSQL).
pub fn sqlite_writers_waiting(db: &sea_orm::DatabaseConnection) -> usize {
    crate::tx::sqlite_writers_waiting(db)
}
