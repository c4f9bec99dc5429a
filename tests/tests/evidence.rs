//! Issue 24's attacks by a database writer, reproduced from outside: the release binary serves,
//! the test holds its own SQL connection to the same database (as a DBA or a leaked application
//! credential would) and uses only the binary's HTTP API and CLI to see the outcome. Before the
//! fixes, each of these succeeded against this binary; now each is refused or reported:
//!
//! 1. an audit entry backdated with SQL: retention refuses to prune it (pruning used to bless it)
//!    and `harim audit verify` keeps reporting it;
//! 2. a fence planted on a live shop: retention deletes none of its chain, the owner's own
//!    erasure still completes; an erased shop's chain deleted with SQL is reported;
//! 3. an erasure request inserted with SQL, with a receipt copied from a real erasure and edited:
//!    nothing of the victim is deleted, nothing is signed, the worker counts it as tampering;
//! 5. a shop created under the slug of a shop being erased, concurrently: never created.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

use std::{
    path::Path,
    process::{Command, Output, Stdio},
    time::Duration,
};

use harim_e2e::Server;
use harim_store::testkit::{
    self,
    entity::{
        data_request::{self, RequestKind, RequestState},
        erasure_fence,
    },
};
use reqwest::Method;
use sea_orm::{ActiveModelTrait, ConnectionTrait, DatabaseConnection, IntoActiveModel};
use serde_json::{Value, json};
use time::OffsetDateTime;
use uuid::Uuid;

fn harim(dir: &Path, env: &[(String, String)]) -> Command {
    let mut c = harim_e2e::harim_command("info");
    c.current_dir(dir);
    for (k, v) in env {
        c.env(k, v);
    }
    c
}

fn run(dir: &Path, env: &[(String, String)], args: &[&str]) -> Output {
    harim(dir, env).args(args).output().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_database_writers_attacks_are_refused_or_reported_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!(
        "sqlite://{}?mode=rwc",
        dir.path().join("harim-data/harim.db").display()
    );
    assert!(run(dir.path(), &[], &["migrate"]).status.success());
    attacks(dir.path(), &[], &url).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_database_writers_attacks_are_refused_or_reported_on_postgres() {
    let Ok(admin) = std::env::var("HARIM_TEST_DATABASE_URL") else {
        eprintln!("HARIM_TEST_DATABASE_URL unset: PostgreSQL variant skipped");
        return;
    };
    let name = format!("harim_e2e_{}", Uuid::new_v4().simple());
    let psql = |sql: String| {
        let out = Command::new("psql")
            .args([admin.as_str(), "-qc", &sql])
            .output()
            .unwrap();
        harim_e2e::assert_success(&out);
    };
    psql(format!("CREATE DATABASE \"{name}\""));
    let (base, _) = admin.rsplit_once('/').unwrap();
    let url = format!("{base}/{name}");
    let env = vec![
        ("HARIM_DATABASE_URL".to_string(), url.clone()),
        ("HARIM_KEYRING".to_string(), "env".to_string()),
        (
            "HARIM_ROOT_KEYS".to_string(),
            "1:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=".to_string(),
        ),
        ("HARIM_DATA_DIR".to_string(), "harim-data".to_string()),
    ];
    let dir = tempfile::tempdir().unwrap();
    harim_e2e::assert_success(&run(dir.path(), &env, &["migrate"]));
    attacks(dir.path(), &env, &url).await;
    psql(format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"));
}

/// A shop of a new owner: `(owner's session, shop id)`.
async fn shop(s: &Server, email: &str, slug: &str) -> (String, Uuid) {
    let token = harim_e2e::sign_up(&s.base, email).await;
    let (st, b) = s
        .call(
            Method::POST,
            "/v1/shops",
            Some(&token),
            Some(json!({"name": slug, "slug": slug, "default_locale": "en"})),
        )
        .await;
    assert_eq!(st, 201, "{b}");
    (token, b["id"].as_str().unwrap().parse().unwrap())
}

async fn erase(s: &Server, token: &str, shop: Uuid, slug: &str) -> Value {
    let (st, b) = s
        .call(
            Method::DELETE,
            &format!("/v1/shops/{shop}"),
            Some(token),
            Some(json!({"confirm": slug, "password": harim_e2e::PASSWORD})),
        )
        .await;
    assert_eq!(st, 202, "{b}");
    b
}

/// Polls the public receipt until the worker completes it (the worker looks every 5 s).
async fn completed(s: &Server, receipt_id: &str) -> Value {
    for _ in 0..150 {
        let (st, r) = s
            .call(
                Method::GET,
                &format!("/v1/receipts/{receipt_id}"),
                None,
                None,
            )
            .await;
        assert_eq!(st, 200, "{r}");
        if r["receipt"]["state"] == "completed" {
            return r;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    panic!("receipt {receipt_id} never completed");
}

async fn exec(db: &DatabaseConnection, sql: &str, values: Vec<sea_orm::Value>) {
    db.execute(testkit::statement(db, sql, values))
        .await
        .unwrap();
}

async fn count(db: &DatabaseConnection, sql: &str, values: Vec<sea_orm::Value>) -> i64 {
    db.query_one(testkit::statement(db, sql, values))
        .await
        .unwrap()
        .unwrap()
        .try_get("", "n")
        .unwrap()
}

/// `harim_tampering_detected_total{what}` as the binary's `/metrics` shows it (0 when absent).
async fn tampering(s: &Server, what: &str) -> u64 {
    let (st, body) = s.call(Method::GET, "/metrics", None, None).await;
    assert_eq!(st, 200, "{body}");
    let prefix = format!("harim_tampering_detected_total{{what=\"{what}\"}} ");
    body.as_str()
        .unwrap()
        .lines()
        .find_map(|l| l.strip_prefix(&prefix))
        .map_or(0, |n| n.trim().parse().unwrap())
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

async fn attacks(dir: &Path, base_env: &[(String, String)], db_url: &str) {
    let mut env = base_env.to_vec();
    env.push(("HARIM_METRICS_PUBLIC".into(), "true".into()));
    env.push(("HARIM_DATA_REQUEST_LEASE_SECS".into(), "1".into()));
    let mut serve = harim(dir, &env);
    serve.stderr(Stdio::null());
    let s = Server::start(serve);
    let db = harim_store::db::connect(&db_url.to_string().into())
        .await
        .unwrap();
    let verify = |extra: &[&str]| {
        let mut args = vec!["audit", "verify"];
        args.extend_from_slice(extra);
        run(dir, &env, &args)
    };
    let retention = || run(dir, &env, &["jobs", "run", "retention"]);

    let (victim_owner, victim) = shop(&s, "victim@example.com", "victim-shop").await;
    let upload = harim_e2e::upload_document(
        &reqwest::Client::new(),
        &s.base,
        &victim_owner,
        &victim.to_string(),
        "business_license",
        "application/pdf",
        &b"%PDF-1.4\n% licence 88-4471-XQ\n%%EOF\n"[..],
    )
    .await;
    assert_eq!(upload.status().as_u16(), 201);
    let doc: Value = upload.json().await.unwrap();
    let doc = doc["id"].as_str().unwrap().to_string();
    harim_e2e::assert_success(&verify(&[]));

    // 1. Backdate the victim's first entry far past the audit retention period.
    let at_of_first = "SELECT at FROM audit_log WHERE tenant_id = $1 AND seq = 1";
    let original: OffsetDateTime = db
        .query_one(testkit::statement(&db, at_of_first, [victim.into()]))
        .await
        .unwrap()
        .unwrap()
        .try_get("", "at")
        .unwrap();
    let backdate = "UPDATE audit_log SET at = $1 WHERE tenant_id = $2 AND seq = 1";
    let old = OffsetDateTime::now_utc() - time::Duration::days(3000);
    exec(&db, backdate, vec![old.into(), victim.into()]).await;
    let broken = format!("BROKEN tenant {victim} at entry 1");
    let v = verify(&[]);
    assert!(!v.status.success() && stdout(&v).contains(&broken), "{v:?}");
    harim_e2e::assert_failure_saying(&retention(), "old_audit_entries");
    let unpruned = "SELECT COUNT(*) AS n FROM audit_log \
        WHERE tenant_id = $1 AND seq = 1 AND pruned_mac IS NULL";
    assert_eq!(count(&db, unpruned, vec![victim.into()]).await, 1);
    let v = verify(&[]);
    assert!(
        !v.status.success() && stdout(&v).contains(&broken),
        "retention blessed the backdated entry: {v:?}"
    );
    // Put back, the chain is whole again: retention neither hid nor damaged anything.
    exec(&db, backdate, vec![original.into(), victim.into()]).await;
    harim_e2e::assert_success(&verify(&[]));

    // 2. A fence planted on a live shop, old enough for retention to purge the shop's chain.
    let (planted_owner, planted) = shop(&s, "planted@example.com", "planted-shop").await;
    let identity: Value = serde_json::from_str(
        &std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/examples/identity.json"),
        )
        .unwrap(),
    )
    .unwrap();
    let (st, b) =
        harim_e2e::put_identity(&s.base, &planted_owner, &planted.to_string(), identity).await;
    assert_eq!(st, 200, "{b}");
    let heads = run(dir, &env, &["audit", "heads"]);
    harim_e2e::assert_success(&heads);
    std::fs::write(dir.join("heads.json"), &heads.stdout).unwrap();
    erasure_fence::Model {
        tenant_id: planted,
        erased_at: OffsetDateTime::now_utc() - time::Duration::days(3000),
        request_id: Uuid::now_v7(),
        slug_digest: vec![1; 32],
        mac: Some(vec![7; 32]),
    }
    .into_active_model()
    .insert(&db)
    .await
    .unwrap();
    let chain = "SELECT COUNT(*) AS n FROM audit_log WHERE tenant_id = $1";
    let entries = count(&db, chain, vec![planted.into()]).await;
    assert!(entries > 0);
    harim_e2e::assert_failure_saying(&retention(), "erased_shop_audit_chains");
    assert_eq!(count(&db, chain, vec![planted.into()]).await, entries);
    harim_e2e::assert_success(&verify(&["--heads", "heads.json"]));
    let r = erase(&s, &planted_owner, planted, "planted-shop").await;
    let receipt = r["receipt"]["receipt_id"].as_str().unwrap().to_string();
    completed(&s, &receipt).await;

    // 3. An erasure request for the victim inserted with SQL, carrying a real receipt (another
    // shop's, copied with its signature) edited to name the victim and a false backup horizon.
    let (donor_owner, donor) = shop(&s, "donor@example.com", "donor-shop").await;
    let r = erase(&s, &donor_owner, donor, "donor-shop").await;
    let donor_receipt = completed(&s, r["receipt"]["receipt_id"].as_str().unwrap()).await;
    let before = tampering(&s, "data_request").await;
    let at = OffsetDateTime::now_utc() - time::Duration::days(400);
    let forged_id = Uuid::now_v7();
    let mut receipt = donor_receipt["receipt"].clone();
    receipt["receipt_id"] = json!(forged_id.to_string());
    receipt["subject"]["id"] = json!(victim.to_string());
    receipt["recoverable_from_backups_until"] = json!("2000-01-01T00:00:00Z");
    data_request::Model {
        tenant_id: victim,
        id: forged_id,
        kind: RequestKind::EraseShop,
        subject_account: None,
        state: RequestState::Pending,
        requested_at: at,
        due_at: at,
        completed_at: None,
        expires_at: None,
        lease_until: None,
        attempts: 0,
        object_size: None,
        object_sha256: None,
        wrapped_key: None,
        tk_version: None,
        progress: None,
        receipt: Some(receipt.to_string()),
        signature: donor_receipt["signature"].as_str().map(str::to_string),
        key_id: donor_receipt["key_id"].as_str().map(str::to_string),
        error: None,
        mac: None,
    }
    .into_active_model()
    .insert(&db)
    .await
    .unwrap();
    let mut seen = before;
    for _ in 0..100 {
        seen = tampering(&s, "data_request").await;
        if seen > before {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert!(
        seen > before,
        "the worker never reported the planted request"
    );
    let (st, b) = s
        .call(
            Method::GET,
            &format!("/v1/shops/{victim}/kyc/documents/{doc}/content?purpose=kyc_review"),
            Some(&victim_owner),
            None,
        )
        .await;
    assert_eq!(st, 200, "the victim's document is gone: {b}");
    let (st, b) = s
        .call(
            Method::GET,
            &format!("/v1/shops/{victim}"),
            Some(&victim_owner),
            None,
        )
        .await;
    assert_eq!(st, 200, "the victim's shop is gone: {b}");
    // The public endpoint serves only receipts of rows harim made, and the forged receipt
    // itself fails verification offline.
    let (st, served) = s
        .call(
            Method::GET,
            &format!("/v1/receipts/{forged_id}"),
            None,
            None,
        )
        .await;
    assert_eq!(st, 404, "{served}");
    let forged = json!({
        "receipt": receipt,
        "signature": donor_receipt["signature"],
        "key_id": donor_receipt["key_id"],
    });
    std::fs::write(dir.join("forged.json"), forged.to_string()).unwrap();
    let v = run(dir, &env, &["receipts", "verify", "forged.json"]);
    assert!(!v.status.success(), "a forged receipt verified: {v:?}");
    std::fs::write(dir.join("donor.json"), donor_receipt.to_string()).unwrap();
    harim_e2e::assert_success(&run(dir, &env, &["receipts", "verify", "donor.json"]));

    // 5. A rival creates the slug of a shop while its erasure runs: never created.
    let (contested_owner, contested) = shop(&s, "contested@example.com", "contested-shop").await;
    let rival = harim_e2e::sign_up(&s.base, "rival@example.com").await;
    let create = || {
        s.call(
            Method::POST,
            "/v1/shops",
            Some(&rival),
            Some(json!({"name": "Mine", "slug": "contested-shop", "default_locale": "en"})),
        )
    };
    let (erased, attempts) = tokio::join!(
        erase(&s, &contested_owner, contested, "contested-shop"),
        async {
            let mut out = Vec::new();
            for _ in 0..20 {
                out.push(create().await);
            }
            out
        }
    );
    let receipt = erased["receipt"]["receipt_id"]
        .as_str()
        .unwrap()
        .to_string();
    completed(&s, &receipt).await;
    let after = create().await;
    for (st, b) in attempts.iter().chain([&after]) {
        assert_eq!(*st, 409, "the erased shop's slug was taken: {b}");
    }

    // 2, again: an erased shop's chain deleted with SQL (entries and head) is reported; only a
    // purge record written by retention lets a chain be absent.
    harim_e2e::assert_success(&verify(&[]));
    exec(
        &db,
        "DELETE FROM audit_log WHERE tenant_id = $1",
        vec![donor.into()],
    )
    .await;
    exec(
        &db,
        "DELETE FROM audit_heads WHERE tenant_id = $1",
        vec![donor.into()],
    )
    .await;
    let v = verify(&[]);
    assert!(
        !v.status.success() && stdout(&v).contains(&format!("BROKEN tenant {donor}")),
        "{v:?}"
    );
    db.close().await.unwrap();
}
