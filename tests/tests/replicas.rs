//! Three replicas on one PostgreSQL database behind HAProxy (`infra/replicas.sh`), driven from
//! outside: a session made through one works on every other; a policy published through one is
//! served by all at once, also right after their event listeners lost their connections; an
//! erased shop is gone on every replica before the erasure's answer arrives; the sign-in limit
//! holds across replicas; a root rotation started through the load balancer is worked by all
//! three and re-wraps every key exactly once although one replica is SIGKILLed mid-job.
//!
//! Needs PostgreSQL (`HARIM_TEST_DATABASE_URL`, as `.ci/run` sets); skipped without it.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

use std::{
    io::{BufRead, BufReader},
    path::PathBuf,
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use harim_e2e::call;
use serde_json::{Value, json};

struct Cluster {
    script: Child,
    lb: String,
    replicas: Vec<(u32, String)>,
    admin_url: String,
    db: String,
    db_url: String,
    _dir: tempfile::TempDir,
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.script.id().to_string()])
            .status();
        let _ = self.script.wait();
        psql(
            &self.admin_url,
            &format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.db),
        );
    }
}

fn psql(url: &str, sql: &str) -> String {
    let out = Command::new("psql")
        .args([url, "-At", "-v", "ON_ERROR_STOP=1", "-c", sql])
        .output()
        .expect("psql runs");
    assert!(out.status.success(), "psql {sql}: {out:?}");
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn start() -> Option<Cluster> {
    let Ok(admin_url) = std::env::var("HARIM_TEST_DATABASE_URL") else {
        eprintln!("SKIPPED: HARIM_TEST_DATABASE_URL is not set (needs PostgreSQL)");
        return None;
    };
    let db = format!("harim_replicas_{}", uuid::Uuid::new_v4().simple());
    psql(&admin_url, &format!("CREATE DATABASE {db}"));
    let db_url = match admin_url.rsplit_once('/') {
        Some((base, _)) => format!("{base}/{db}"),
        None => panic!("unexpected database URL"),
    };
    let dir = tempfile::tempdir().unwrap();
    let mut script = Command::new(repo().join("infra/replicas.sh"))
        .env("HARIM_BIN", harim_e2e::harim_bin())
        .env("HARIM_DATABASE_URL", &db_url)
        .env("HARIM_REPLICA_DIR", dir.path())
        .env("HARIM_ROOT_ROTATION_BATCH", "1")
        .env_remove("HARIM_OBJECT_STORE_URL")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let out = BufReader::new(script.stdout.take().unwrap());
    let mut replicas = Vec::new();
    let mut lb = None;
    for line in out.lines() {
        let line = line.unwrap();
        let parts: Vec<&str> = line.split_whitespace().collect();
        match parts[..] {
            ["replica", _, "pid", pid, "url", url] => {
                replicas.push((pid.parse().unwrap(), url.to_string()));
            }
            ["ready", url] => {
                lb = Some(url.to_string());
                break;
            }
            _ => {}
        }
    }
    let lb = lb.expect("infra/replicas.sh printed no ready line");
    assert_eq!(replicas.len(), 3);
    Some(Cluster {
        script,
        lb,
        replicas,
        admin_url,
        db,
        db_url,
        _dir: dir,
    })
}

fn example(name: &str) -> Value {
    serde_json::from_str(&std::fs::read_to_string(repo().join("docs/examples").join(name)).unwrap())
        .unwrap()
}

async fn published_version(base: &str, slug: &str) -> Option<i64> {
    let (st, b) = call(
        base,
        reqwest::Method::GET,
        &format!("/shops/{slug}/privacy.json"),
        None,
        None,
    )
    .await;
    (st == 200).then(|| b["version"].as_i64()).flatten()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn three_replicas_behind_a_load_balancer_behave_as_one() {
    let Some(c) = start() else { return };
    use reqwest::Method;

    // A session made through the load balancer works on every replica.
    let creds = json!({"email": "many@example.ir", "password": "correct horse battery staple"});
    let (st, _) = call(
        &c.lb,
        Method::POST,
        "/v1/accounts",
        None,
        Some(creds.clone()),
    )
    .await;
    assert_eq!(st, 201);
    let (_, b) = call(&c.lb, Method::POST, "/v1/sessions", None, Some(creds)).await;
    let token = b["token"].as_str().unwrap().to_string();
    for (_, r) in &c.replicas {
        let (st, b) = call(r, Method::GET, "/v1/shops", Some(&token), None).await;
        assert_eq!(st, 200, "{r}: {b}");
    }

    // A published policy is served by every replica at once.
    let (st, b) = call(
        &c.lb,
        Method::POST,
        "/v1/shops",
        Some(&token),
        Some(json!({"name": "Many", "slug": "many-replicas", "default_locale": "fa"})),
    )
    .await;
    assert_eq!(st, 201, "{b}");
    let shop = b["id"].as_str().unwrap().to_string();
    let (st, b) = call(
        &c.lb,
        Method::PUT,
        &format!("/v1/shops/{shop}/identity"),
        Some(&token),
        Some(example("identity.json")),
    )
    .await;
    assert_eq!(st, 200, "{b}");
    let (st, b) = call(
        &c.lb,
        Method::PUT,
        &format!("/v1/shops/{shop}/privacy-settings"),
        Some(&token),
        Some(example("privacy-settings.json")),
    )
    .await;
    assert_eq!(st, 200, "{b}");
    let r1 = c.replicas[0].1.clone();
    let publish = |expect: i64| {
        let (r1, shop, token) = (r1.clone(), shop.clone(), token.clone());
        async move {
            // Each version needs a change: the response period, by a day each time.
            let mut settings = example("privacy-settings.json");
            settings["response_days"] = json!(10 + expect);
            let (st, b) = call(
                &r1,
                Method::PUT,
                &format!("/v1/shops/{shop}/privacy-settings"),
                Some(&token),
                Some(settings),
            )
            .await;
            assert_eq!(st, 200, "{b}");
            let (st, b) = call(
                &r1,
                Method::POST,
                &format!("/v1/shops/{shop}/policies"),
                Some(&token),
                None,
            )
            .await;
            assert_eq!(st, 201, "{b}");
            assert_eq!(b["version"].as_i64(), Some(expect), "{b}");
        }
    };
    publish(1).await;
    for (_, r) in &c.replicas {
        // Warms each replica's page cache with version 1.
        assert_eq!(published_version(r, "many-replicas").await, Some(1), "{r}");
    }
    publish(2).await;
    for (_, r) in &c.replicas[1..] {
        assert_eq!(
            published_version(r, "many-replicas").await,
            Some(2),
            "{r} served a stale version right after the publish returned"
        );
    }
    // Listeners cut off (their PostgreSQL backends terminated): a replica that cannot hear
    // the others must not serve from its cache, so a publish is still seen at once.
    for (_, r) in &c.replicas {
        assert_eq!(published_version(r, "many-replicas").await, Some(2));
    }
    let killed = psql(
        &c.db_url,
        "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE query LIKE 'LISTEN%' AND datname = current_database()",
    );
    assert_eq!(killed, "3", "one listener per replica");
    publish(3).await;
    for (_, r) in &c.replicas[1..] {
        assert_eq!(published_version(r, "many-replicas").await, Some(3), "{r}");
    }

    // The sign-in limit is shared: attempts spread over three replicas still stop at 10 a
    // minute (per-process limits would allow 30). Started at the top of a minute's window.
    let sec = time::OffsetDateTime::now_utc().second();
    if sec > 45 {
        tokio::time::sleep(Duration::from_secs(u64::from(61 - sec))).await;
    }
    let wrong = json!({"email": "limit@example.ir", "password": "not the password at all"});
    let mut refused_at = None;
    for i in 1..=14 {
        let (st, _) = call(
            &c.lb,
            Method::POST,
            "/v1/sessions",
            None,
            Some(wrong.clone()),
        )
        .await;
        if st == 429 {
            refused_at = Some(i);
            break;
        }
        assert_eq!(st, 401);
    }
    // The e-mail's bucket refuses its 11th; the client address's (this test's sign-in above
    // may share its window) refuses no later.
    assert!(
        matches!(refused_at, Some(n) if n <= 11),
        "refused at attempt {refused_at:?}: the limit is 10 a minute whichever replica answers"
    );

    // A root rotation started through the load balancer: every replica's worker joins (batches
    // of one key), one replica is SIGKILLed part-way, and every key is re-wrapped exactly once.
    let mut set = tokio::task::JoinSet::new();
    for w in 0..6 {
        let (lb, token) = (c.lb.clone(), token.clone());
        set.spawn(async move {
            for i in 0..40 {
                let (st, b) = call(
                    &lb,
                    Method::POST,
                    "/v1/shops",
                    Some(&token),
                    Some(json!({"name": "R", "slug": format!("rep-{w}-{i}"), "default_locale": "fa"})),
                )
                .await;
                assert_eq!(st, 201, "{b}");
            }
        });
    }
    while let Some(r) = set.join_next().await {
        r.unwrap();
    }
    let admin = {
        let out = harim_e2e::harim_command("warn")
            .args(["admin", "create-token", "--role", "admin"])
            .env("HARIM_DATABASE_URL", &c.db_url)
            .env("HARIM_KEYRING", c._dir.path().join("keyring.json"))
            .output()
            .unwrap();
        assert!(out.status.success(), "{out:?}");
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .last()
            .unwrap()
            .trim()
            .to_string()
    };
    let (st, b) = call(
        &c.lb,
        Method::POST,
        "/v1/admin/keys/rotate",
        Some(&admin),
        Some(json!({"force": true})),
    )
    .await;
    assert_eq!(st, 202, "{b}");
    let job = b["job_id"].as_str().unwrap().to_string();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let victim = c.replicas[2].0;
    let _ = Command::new("kill")
        .args(["-KILL", &victim.to_string()])
        .status();
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let state = psql(
            &c.db_url,
            &format!("SELECT state FROM key_rotation_jobs WHERE id = '{job}'"),
        );
        if state == "done" {
            break;
        }
        assert!(state != "failed", "the rotation failed");
        assert!(Instant::now() < deadline, "the rotation did not finish");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let counts = psql(
        &c.db_url,
        &format!("SELECT done || '/' || total FROM key_rotation_jobs WHERE id = '{job}'"),
    );
    let (done, total) = counts.split_once('/').unwrap();
    assert_eq!(done, total, "every key re-wrapped exactly once ({counts})");
    assert_eq!(
        psql(
            &c.db_url,
            "SELECT count(*) FROM tenant_keys WHERE kek_version <> 2"
        ),
        "0"
    );
    let workers = psql(
        &c.db_url,
        "SELECT count(DISTINCT actor) FROM audit_log WHERE action = 'keys.rotation_batch'",
    );
    eprintln!("rotation: {counts} keys, batches by {workers} processes");
    assert_eq!(workers, "3", "all three replicas worked the job");

    // An erasure through one replica: gone on the others before its answer arrived.
    let (st, b) = call(
        &r1,
        Method::DELETE,
        &format!("/v1/shops/{shop}"),
        Some(&token),
        Some(json!({"confirm": "many-replicas", "password": "correct horse battery staple"})),
    )
    .await;
    assert_eq!(st, 202, "{b}");
    let r2 = &c.replicas[1].1;
    let (st, _) = call(
        r2,
        Method::POST,
        &format!("/v1/shops/{shop}/identity/reveal"),
        Some(&token),
        Some(json!({"fields": ["iban"], "purpose": "payout"})),
    )
    .await;
    assert!(st == 404 || st == 410, "reveal on another replica: {st}");
    assert_eq!(published_version(r2, "many-replicas").await, None);
}
