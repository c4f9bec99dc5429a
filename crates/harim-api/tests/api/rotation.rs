//! Root-key rotation: the job re-wraps every tenant key exactly once, is shared by workers,
//! keeps requests working, and retirement refuses what it must.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use axum::http::{Method, StatusCode};
use harim_api::AppState;
use harim_store::{
    roles::PlatformRole,
    rotation,
    testkit::entity::{rotation_job, tenant_key},
};
use harim_vault::{FileKeyring, ReloadingProvider, Vault};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter,
    TransactionTrait,
};

use crate::helpers::cli_operator;
use crate::{
    db_test,
    helpers::{TestApp, assert_chains_verify},
    identity::iranian_identity,
};

/// Tenant keys added directly (no shop needed) on top of the HTTP-created shops.
const EXTRA_KEYS: usize = 2_000;

/// A vault over a keyring file, as `serve` and the CLI build it.
pub(crate) fn file_vault(path: &std::path::Path) -> Arc<Vault> {
    let (ring, _) = FileKeyring::open_or_create_dev(path).unwrap();
    Arc::new(Vault::new(
        Arc::new(ReloadingProvider::with_interval(
            Arc::new(ring),
            Duration::from_millis(0),
        )),
        Default::default(),
    ))
}

/// The app's router over `vault` instead of the app's own (another process's view of the keys).
pub(crate) fn router_over(app: &TestApp, vault: Arc<Vault>) -> axum::Router {
    harim_api::app(
        AppState::new(
            app.db.clone(),
            crate::helpers::test_config(),
            vault,
            app.documents.clone(),
        )
        .unwrap(),
    )
}

/// A root rotation job (to version 2, nothing done) in `state`, as a row to insert directly.
pub(crate) fn root_job(state: rotation::JobState) -> rotation_job::ActiveModel {
    let now = time::OffsetDateTime::now_utc();
    let job = rotation_job::Model {
        id: uuid::Uuid::now_v7(),
        kind: rotation::JobKind::Root,
        target_kek_version: 2,
        state,
        total: 0,
        done: 0,
        error: None,
        created_at: now,
        updated_at: now,
        finished_at: None,
    };
    // Every column set: a new row, not an update of a loaded one.
    rotation_job::ActiveModel::from(job).reset_all()
}

/// Starts a root rotation as `actor` (or joins the unfinished one) and runs it to the end in
/// batches of `batch`.
pub(crate) async fn rotate_root_to_the_end(
    db: &DatabaseConnection,
    vault: &Vault,
    actor: &str,
    batch: u64,
) -> rotation_job::Model {
    let (job, _) = rotation::start(db, vault, &cli_operator(actor), None, rotation::Brake::NONE)
        .await
        .unwrap();
    rotation::run(db, vault, job.id.into(), batch, None)
        .await
        .unwrap()
}

pub(crate) struct Rig {
    pub(crate) app: TestApp,
    pub(crate) vault: Arc<Vault>,
    pub(crate) keyring: std::path::PathBuf,
    _dir: tempfile::TempDir,
    pub(crate) admin: String,
    pub(crate) shops: Vec<(String, String)>,
}

impl Rig {
    /// Starts a rotation job as the CLI would, without a brake: (job, created).
    async fn start(&self) -> (rotation_job::Model, bool) {
        rotation::start(
            &self.app.db,
            &self.vault,
            &cli_operator("test"),
            None,
            rotation::Brake::NONE,
        )
        .await
        .unwrap()
    }
}

/// Re-points the app at a file-keyring vault, creates `shops` shops with identities and
/// `extra` bare tenant keys.
pub(crate) async fn rig(mut app: TestApp, shops: usize, extra: usize) -> Rig {
    let dir = tempfile::tempdir().unwrap();
    let keyring = dir.path().join("keyring.json");
    let vault = file_vault(&keyring);
    app.router = router_over(&app, vault.clone());
    // The platform's key under this vault's root, before any request (on Citus a request must
    // not be its first use).
    app.make_platform_key(&vault).await;
    let mut out = Vec::new();
    for i in 0..shops {
        out.push(app.merchant_with_identity(&format!("rot{i}")).await);
    }
    let txn = app.db.begin().await.unwrap();
    for _ in 0..extra {
        harim_store::testkit::tenant_keys::create(&txn, &vault, uuid::Uuid::now_v7())
            .await
            .unwrap();
    }
    txn.commit().await.unwrap();
    let admin = app.platform_token(PlatformRole::Admin).await;
    Rig {
        app,
        vault,
        keyring,
        _dir: dir,
        admin,
        shops: out,
    }
}

async fn count_at(app: &TestApp, version: i32) -> u64 {
    tenant_key::Entity::find()
        .filter(tenant_key::Column::KekVersion.eq(version))
        .count(&app.db)
        .await
        .unwrap()
}

pub(crate) async fn assert_all_readable(r: &Rig) {
    for (owner, shop) in &r.shops {
        let g = r
            .app
            .get(&format!("/v1/shops/{shop}/identity"), owner)
            .await;
        assert_eq!(g.status, StatusCode::OK, "{:?}", g.json);
        assert!(g.json["iban"].as_str().unwrap().ends_with("0001"));
    }
    // Blind-index search still finds every shop (the indexes were re-computed under v2).
    let s = r
        .app
        .search_identities(
            &r.admin,
            serde_json::json!({"national_id": "0499370899", "country": "IR"}),
        )
        .await;
    assert_eq!(s.status, StatusCode::OK, "{:?}", s.json);
    assert_eq!(
        s.json.as_array().unwrap().len(),
        r.shops.len(),
        "{:?}",
        s.json
    );
}

db_test!(
    rotation_rewraps_every_tenant_key_exactly_once_over_http,
    |app: TestApp| async move {
        let r = rig(app, 3, EXTRA_KEYS).await;
        // Every shop's key, the bare ones, and the platform's own (the audit key derives from it).
        let rows = (EXTRA_KEYS + 3 + 1) as i64;
        let reviewer = r.app.platform_token(PlatformRole::Reviewer).await;
        r.app
            .call(Method::POST, "/v1/admin/keys/rotate", Some(&reviewer), None)
            .await
            .assert_problem(StatusCode::FORBIDDEN, "forbidden");
        r.app
            .get("/v1/admin/keys", &reviewer)
            .await
            .assert_problem(StatusCode::FORBIDDEN, "forbidden");

        let st = r.app.get("/v1/admin/keys", &r.admin).await;
        assert_eq!(st.status, StatusCode::OK, "{:?}", st.json);
        assert_eq!(st.json["active_version"], 1);
        assert_eq!(st.json["versions"][0]["tenant_keys"], rows);

        let start = r
            .app
            .call(Method::POST, "/v1/admin/keys/rotate", Some(&r.admin), None)
            .await;
        assert_eq!(start.status, StatusCode::ACCEPTED, "{:?}", start.json);
        let job = start.json["job_id"].as_str().unwrap().to_string();
        assert_eq!(start.json["target_kek_version"], 2);
        let mut last = serde_json::Value::Null;
        for _ in 0..600 {
            last = r
                .app
                .get(&format!("/v1/admin/keys/rotations/{job}"), &r.admin)
                .await
                .json;
            if last["state"] == "done" {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert_eq!(last["state"], "done", "{last:?}");
        // Tenant keys plus the three identities' blind indexes, each counted once.
        assert_eq!(last["done"], rows + 3, "{last:?}");
        assert_eq!(last["total"], rows + 3, "{last:?}");
        assert_eq!(count_at(&r.app, 1).await, 0);
        assert_eq!(count_at(&r.app, 2).await, rows as u64);
        assert_all_readable(&r).await;

        let st = r.app.get("/v1/admin/keys", &r.admin).await.json;
        assert_eq!(st["active_version"], 2);
        assert_eq!(st["versions"][0]["tenant_keys"], 0);
        assert_eq!(st["versions"][0]["state"], "decrypt_only");
        assert_eq!(st["versions"][1]["tenant_keys"], rows);
        assert_eq!(st["rotation"]["state"], "done");

        // Every step is in the platform chain, and the chains verify.
        let steps =
            harim_store::testkit::audit_list(&r.app.db, harim_store::ids::PLATFORM_TENANT, 10_000)
                .await
                .unwrap();
        assert!(steps.iter().any(|e| e.action == "keys.rotation_started"));
        assert!(steps.iter().any(|e| e.action == "keys.rotation_batch"));
        assert_eq!(
            steps
                .iter()
                .filter(|e| e.action == "keys.rotation_finished")
                .count(),
            1
        );
        assert_chains_verify(&r.app.db, &r.vault).await;

        let m = r
            .app
            .call(Method::GET, "/metrics", Some(&r.admin), None)
            .await
            .json
            .to_string();
        assert!(m.contains("harim_tenant_keys_rewrapped_total"), "{m}");

        // The brake (issue "Hostile input", finding 5): another rotation right after this one
        // is refused; `force` overrides the interval; while that one runs, a third is refused.
        let again = r
            .app
            .call(Method::POST, "/v1/admin/keys/rotate", Some(&r.admin), None)
            .await;
        again.assert_problem(StatusCode::CONFLICT, "conflict");
        assert!(
            again.json["detail"].as_str().unwrap().contains("force"),
            "{:?}",
            again.json
        );
        // While a rotation is unfinished, even a forced start is refused (it would resume it).
        let pending = root_job(rotation::JobState::Pending)
            .insert(&r.app.db)
            .await
            .unwrap();
        let force = serde_json::json!({"force": true});
        r.app
            .call(
                Method::POST,
                "/v1/admin/keys/rotate",
                Some(&r.admin),
                Some(force.clone()),
            )
            .await
            .assert_problem(StatusCode::CONFLICT, "conflict");
        rotation_job::Entity::delete_by_id(pending.id)
            .exec(&r.app.db)
            .await
            .unwrap();
        let forced = r
            .app
            .call(
                Method::POST,
                "/v1/admin/keys/rotate",
                Some(&r.admin),
                Some(force),
            )
            .await;
        assert_eq!(forced.status, StatusCode::ACCEPTED, "{:?}", forced.json);
        assert_eq!(forced.json["target_kek_version"], 3);
    }
);

db_test!(
    two_workers_share_one_job_without_doing_a_row_twice,
    two_workers_share_one_job_without_doing_a_row_twice_on
);

/// The body of `two_workers_share_one_job_without_doing_a_row_twice`, also run on Citus (`citus.rs`).
pub(crate) async fn two_workers_share_one_job_without_doing_a_row_twice_on(app: TestApp) {
    let r = rig(app, 2, EXTRA_KEYS).await;
    let rows = (EXTRA_KEYS + 2 + 1) as i64; // + the platform's key
    let (job, created) = r.start().await;
    assert!(created);
    // A second worker process: its own vault over the same keyring file.
    let other = file_vault(&r.keyring);
    let (a, b) = tokio::join!(
        rotation::run(&r.app.db, &r.vault, job.id.into(), 50, None),
        rotation::run(&r.app.db, &other, job.id.into(), 50, None),
    );
    let (a, b) = (a.unwrap(), b.unwrap());
    assert_eq!(a.state, rotation::JobState::Done);
    assert_eq!(b.state, rotation::JobState::Done);
    let j = rotation::job(&r.app.db, job.id.into()).await.unwrap();
    assert_eq!(j.done, rows + 2, "{j:?}");
    assert_eq!(count_at(&r.app, 1).await, 0);
    assert_eq!(count_at(&r.app, 2).await, rows as u64);
    // Every row unwraps under the new version.
    for row in tenant_key::Entity::find().all(&r.app.db).await.unwrap() {
        let wk = harim_store::testkit::tenant_keys::wrapped(&row).unwrap();
        r.vault.rewrap(&wk, 2).unwrap();
    }
    assert_all_readable(&r).await;
}

db_test!(
    reads_and_writes_never_fail_during_a_rotation,
    reads_and_writes_never_fail_during_a_rotation_on
);

/// The body of `reads_and_writes_never_fail_during_a_rotation`, also run on Citus (`citus.rs`).
pub(crate) async fn reads_and_writes_never_fail_during_a_rotation_on(app: TestApp) {
    let r = Arc::new(rig(app, 3, EXTRA_KEYS).await);
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let ok = Arc::new(AtomicU64::new(0));
    let mut load = Vec::new();
    for i in 0..3 {
        let (r, stop, ok) = (r.clone(), stop.clone(), ok.clone());
        load.push(tokio::spawn(async move {
            let (owner, shop) = r.shops[i].clone();
            let mut failures = Vec::new();
            while !stop.load(Ordering::Relaxed) {
                let g = r
                    .app
                    .get(&format!("/v1/shops/{shop}/identity"), &owner)
                    .await;
                if g.status != StatusCode::OK {
                    failures.push(format!("GET {}: {:?}", g.status, g.json));
                }
                let p = r.app.put_identity(&owner, &shop, iranian_identity()).await;
                if p.status != StatusCode::OK {
                    failures.push(format!("PUT {}: {:?}", p.status, p.json));
                }
                ok.fetch_add(2, Ordering::Relaxed);
            }
            failures
        }));
    }
    // Meanwhile the root key is rotated: the job is started and run to completion in
    // batches of 100, re-wrapping the shops' keys and the extra keys under the new version.
    let j = rotate_root_to_the_end(&r.app.db, &r.vault, "test", 100).await;
    assert_eq!(j.state, rotation::JobState::Done);
    stop.store(true, Ordering::Relaxed);
    for l in load {
        let failures = l.await.unwrap();
        assert!(failures.is_empty(), "{failures:?}");
    }
    assert!(ok.load(Ordering::Relaxed) > 0);
    assert_eq!(count_at(&r.app, 1).await, 0);
    assert_all_readable(&r).await;
}

db_test!(
    retiring_is_refused_while_active_or_referenced_and_survives_a_restart,
    |app: TestApp| async move {
        let r = rig(app, 2, 50).await;
        // A separate process (the CLI) with its own copy of the keyring.
        let cli = file_vault(&r.keyring);
        let e = rotation::retire(&r.app.db, &cli, 1, &cli_operator("test"), Duration::ZERO)
            .await
            .unwrap_err();
        assert!(e.to_string().contains("is the active version"), "{e}");
        let (job, _) = rotation::start(
            &r.app.db,
            &cli,
            &cli_operator("test"),
            None,
            rotation::Brake::NONE,
        )
        .await
        .unwrap();
        let e = rotation::retire(&r.app.db, &cli, 1, &cli_operator("test"), Duration::ZERO)
            .await
            .unwrap_err();
        assert!(
            e.to_string()
                .contains("still referenced by 53 tenant key(s)"),
            "{e}"
        );
        let e = rotation::retire(&r.app.db, &cli, 2, &cli_operator("test"), Duration::ZERO)
            .await
            .unwrap_err();
        assert!(e.to_string().contains("is the active version"), "{e}");
        let e = rotation::retire(&r.app.db, &cli, 9, &cli_operator("test"), Duration::ZERO)
            .await
            .unwrap_err();
        assert!(e.to_string().contains("unknown"), "{e}");
        rotation::run(&r.app.db, &cli, job.id.into(), 500, None)
            .await
            .unwrap();
        rotation::retire(&r.app.db, &cli, 1, &cli_operator("test"), Duration::ZERO)
            .await
            .unwrap();

        // The server process still runs with its old copy: it reloads on the unknown version.
        assert_all_readable(&r).await;
        // After a restart (fresh vault from the file), everything still reads.
        let fresh = file_vault(&r.keyring);
        assert!(fresh.provider().state(1).is_none());
        let mut r = r;
        r.app.router = router_over(&r.app, fresh);
        assert_all_readable(&r).await;
        let st = r.app.get("/v1/admin/keys", &r.admin).await.json;
        assert_eq!(st["versions"][0]["version"], 1);
        assert_eq!(st["versions"][0]["state"], "retired");
        let steps =
            harim_store::testkit::audit_list(&r.app.db, harim_store::ids::PLATFORM_TENANT, 10_000)
                .await
                .unwrap();
        assert!(steps.iter().any(|e| e.action == "keys.version_retired"));
    }
);

db_test!(
    a_read_only_key_provider_refuses_rotation_with_409,
    |app: TestApp| async move {
        let admin = app.platform_token(PlatformRole::Admin).await;
        let r = app
            .call(Method::POST, "/v1/admin/keys/rotate", Some(&admin), None)
            .await;
        r.assert_problem(StatusCode::CONFLICT, "conflict");
        assert!(
            r.json["detail"]
                .as_str()
                .unwrap()
                .contains("key provider is read-only"),
            "{:?}",
            r.json
        );
        let st = app.get("/v1/admin/keys", &admin).await;
        assert_eq!(st.status, StatusCode::OK);
        assert_eq!(st.json["provider"], "env");
        assert!(st.json["rotation"].is_null());
    }
);

db_test!(
    a_failed_job_says_what_the_database_said,
    |app: TestApp| async move {
        // PostgreSQL: a constraint no re-wrapped row can meet makes every batch fail.
        if app.db.get_database_backend() != sea_orm::DatabaseBackend::Postgres {
            return;
        }
        let r = rig(app, 1, 10).await;
        use sea_orm::ConnectionTrait;
        r.app
            .db
            .execute_unprepared(
                "ALTER TABLE tenant_keys ADD CONSTRAINT test_no_rewrap CHECK (kek_version < 2) NOT VALID",
            )
            .await
            .unwrap();
        let (job, _) = r.start().await;
        rotation::run(&r.app.db, &r.vault, job.id.into(), 50, None)
            .await
            .unwrap_err();
        let j = rotation::job(&r.app.db, job.id.into()).await.unwrap();
        assert_eq!(j.state, rotation::JobState::Failed);
        let error = j.error.unwrap_or_default();
        assert!(
            error.contains("violates check constraint \"test_no_rewrap\"")
                && error.contains("SQLSTATE 23514"),
            "the admin reads {error:?}"
        );
        // The admin route shows the same words.
        let v = r
            .app
            .get(&format!("/v1/admin/keys/rotations/{}", job.id), &r.admin)
            .await;
        assert_eq!(v.json["error"], error.as_str(), "{:?}", v.json);
    }
);
