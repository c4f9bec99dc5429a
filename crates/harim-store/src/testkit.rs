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

/// Moves shop `tenant_id`'s erasure `by` into the past, re-sealed with the audit key as harim
/// would have sealed it then: what a test needs to see retention's time limits run out without
/// waiting a year (a database writer without the key cannot do this; see `fence`).
pub async fn backdate_fence(
    db: &impl ConnectionTrait,
    vault: &Vault,
    tenant_id: Uuid,
    by: time::Duration,
) -> Result<(), StoreError> {
    use sea_orm::EntityTrait;
    let f = crate::entity::erasure_fence::Entity::find_by_id(tenant_id)
        .one(db)
        .await?
        .ok_or(StoreError::NotFound)?;
    let key = crate::evidence::audit_key(db, vault).await?;
    let sealed = crate::fence::seal(
        &key,
        tenant_id,
        f.erased_at - by,
        f.request_id,
        f.slug_digest,
    )?;
    db.execute(statement(
        db,
        "UPDATE erasure_fences SET erased_at = $1, mac = $2 WHERE tenant_id = $3",
        [sealed.erased_at.into(), sealed.mac.into(), tenant_id.into()],
    ))
    .await?;
    Ok(())
}

/// Audited writers queued behind another in `db`'s SQLite writer queue (0 on PostgreSQL).
pub fn sqlite_writers_waiting(db: &sea_orm::DatabaseConnection) -> usize {
    crate::tx::sqlite_writers_waiting(db)
}

/// Sessions of `db`'s database waiting for a lock (PostgreSQL). `None` on SQLite, whose lock
/// waits happen inside its busy handler and cannot be seen (its writer queue can:
/// [`sqlite_writers_waiting`]).
pub async fn lock_waiters(db: &sea_orm::DatabaseConnection) -> Result<Option<u64>, StoreError> {
    if db.get_database_backend() != sea_orm::DatabaseBackend::Postgres {
        return Ok(None);
    }
    let row = db
        .query_one(sea_orm::Statement::from_string(
            sea_orm::DatabaseBackend::Postgres,
            "SELECT count(*) AS n FROM pg_stat_activity \
             WHERE datname = current_database() AND wait_event_type = 'Lock'",
        ))
        .await?;
    let n: i64 = match row {
        Some(r) => r.try_get("", "n")?,
        None => 0,
    };
    Ok(Some(u64::try_from(n).unwrap_or(0)))
}

/// A fresh, migrated database for one test: a SQLite file in a temporary directory, or a new
/// PostgreSQL database on the server `HARIM_TEST_DATABASE_URL` names, dropped (its connections
/// ended) when this is. The store's and the API's test harnesses both stand on it.
#[derive(Debug)]
pub struct TestDatabase {
    db: sea_orm::DatabaseConnection,
    _dir: Option<tempfile::TempDir>,
    server: Option<(String, String)>,
    /// A Citus database: its name (dropped on every node by `infra/citus.sh --drop`) and a
    /// second pool on which any query that would fan out to every shard fails.
    citus: Option<(String, sea_orm::DatabaseConnection)>,
}

impl TestDatabase {
    /// A SQLite file of its own.
    pub async fn sqlite() -> Result<Self, StoreError> {
        let dir = tempfile::tempdir().map_err(|e| StoreError::internal("test directory", e))?;
        let url = secrecy::SecretString::from(format!(
            "sqlite://{}?mode=rwc",
            dir.path().join("t.db").display()
        ));
        let db = crate::db::connect(&url).await?;
        crate::db::migrate(&db).await?;
        Ok(Self {
            db,
            _dir: Some(dir),
            server: None,
            citus: None,
        })
    }

    /// A PostgreSQL database of its own, or `None` when `HARIM_TEST_DATABASE_URL` is unset
    /// (the variant is skipped, and says so).
    pub async fn postgres() -> Result<Option<Self>, StoreError> {
        let Ok(admin_url) = std::env::var("HARIM_TEST_DATABASE_URL") else {
            eprintln!("HARIM_TEST_DATABASE_URL unset: PostgreSQL variant skipped");
            return Ok(None);
        };
        let name = format!("harim_test_{}", Uuid::new_v4().simple());
        let admin = sea_orm::Database::connect(&admin_url).await?;
        admin
            .execute_unprepared(&format!("CREATE DATABASE \"{name}\""))
            .await?;
        drop(admin);
        let base = admin_url
            .rsplit_once('/')
            .map(|(base, _)| base)
            .ok_or_else(|| StoreError::internal("HARIM_TEST_DATABASE_URL", "no database name"))?;
        let url = secrecy::SecretString::from(format!("{base}/{name}"));
        let db = crate::db::connect(&url).await?;
        crate::db::migrate(&db).await?;
        Ok(Some(Self {
            db,
            _dir: None,
            server: Some((admin_url, name)),
            citus: None,
        }))
    }

    /// A fresh database on the Citus cluster of `infra/citus.sh` (created on every node with the
    /// extension, workers added, migrated, so every table is placed), or `None` unless
    /// `HARIM_TEST_CITUS=1` (`.ci/run` sets it once the cluster runs; `HARIM_REQUIRE_CITUS=1`
    /// turns the skip into a failure). Four shards per table instead of 32: distributing forty
    /// tables stays quick, and four shards on two workers still put every query's shard choice
    /// to the test. [`TestDatabase::db`] is unrestricted (jobs and fixtures);
    /// [`TestDatabase::single_shard`] is the request path's pool.
    pub async fn citus() -> Result<Option<Self>, StoreError> {
        if std::env::var("HARIM_TEST_CITUS").as_deref() != Ok("1") {
            assert!(
                std::env::var("HARIM_REQUIRE_CITUS").as_deref() != Ok("1"),
                "HARIM_REQUIRE_CITUS=1 but HARIM_TEST_CITUS is not 1 (run infra/citus.sh)"
            );
            eprintln!("HARIM_TEST_CITUS unset: Citus variant skipped");
            return Ok(None);
        }
        let name = format!("harim_test_{}", Uuid::new_v4().simple());
        let out = std::process::Command::new(citus_script())
            .arg(&name)
            .output()
            .map_err(|e| StoreError::internal("infra/citus.sh", e))?;
        if !out.status.success() {
            return Err(StoreError::internal(
                "infra/citus.sh",
                String::from_utf8_lossy(&out.stderr),
            ));
        }
        let url = String::from_utf8_lossy(&out.stdout)
            .lines()
            .last()
            .unwrap_or_default()
            .to_string();
        let with = |options: &str| secrecy::SecretString::from(format!("{url}?options={options}"));
        let db = crate::db::connect(&with("-c%20citus.shard_count%3D4")).await?;
        crate::db::migrate(&db).await?;
        let single =
            crate::db::connect(&with("-c%20citus.multi_task_query_log_level%3Derror")).await?;
        Ok(Some(Self {
            db,
            _dir: None,
            server: None,
            citus: Some((name, single)),
        }))
    }

    /// The request path's pool: on Citus, a query that would run on more than one shard fails
    /// (`citus.multi_task_query_log_level = error`); elsewhere the same pool as [`Self::db`].
    pub fn single_shard(&self) -> &sea_orm::DatabaseConnection {
        self.citus.as_ref().map_or(&self.db, |(_, s)| s)
    }

    /// The database.
    pub fn db(&self) -> &sea_orm::DatabaseConnection {
        &self.db
    }
}

/// `infra/citus.sh` of this checkout.
fn citus_script() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../infra/citus.sh")
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        if let Some((name, _)) = self.citus.take() {
            let _ = std::process::Command::new(citus_script())
                .args(["--drop", &name])
                .output();
            return;
        }
        let Some((admin_url, name)) = self.server.take() else {
            return;
        };
        // Its own thread and runtime: a test's runtime may be shutting down around this drop.
        let _ = std::thread::spawn(move || {
            let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            else {
                return;
            };
            rt.block_on(async move {
                if let Ok(admin) = sea_orm::Database::connect(&admin_url).await {
                    let _ = admin
                        .execute_unprepared(&format!(
                            "DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"
                        ))
                        .await;
                }
            });
        })
        .join();
    }
}

/// Runs a test body once on SQLite and, when configured, once on PostgreSQL: each crate's
/// `db_test!` names its own fixture (`$fixture::sqlite()` and `$fixture::postgres()`).
#[macro_export]
macro_rules! dual_database_test {
    ($fixture:path, $name:ident, $body:expr) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                use $fixture as Fixture;
                let fixture = Fixture::sqlite().await;
                ($body)(fixture).await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                use $fixture as Fixture;
                let Some(fixture) = Fixture::postgres().await else {
                    return;
                };
                ($body)(fixture).await;
            }
        }
    };
}

/// A valid Iranian merchant identity as a client sends it (`PUT .../identity`): the one fixture
/// the store's and the API's tests write. Test values only (the national ID and IBAN pass their
/// checksums and belong to nobody).
pub fn iranian_identity() -> serde_json::Value {
    serde_json::json!({
        "full_name": "Shirin Ghasemabadi-Test",
        "national_id": "0499370899",
        "iban": "IR06 2960 0000 0010 0324 2000 01",
        "birth_date": {"calendar": "persian", "date": "1370-01-15"},
        "phone": "09121234567",
        "email": "shirin.vault-test@example.ir",
        "address": "Tehran, Vali-Asr Street, No. 4711",
        "postal_code": "1417614418",
        "country": "IR"
    })
}
