//! End-to-end root-key rotation with the real binary: `harim keys rotate --wait` is SIGKILLed
//! part-way several times, then finishes; every tenant key ends up wrapped exactly once under
//! the new version and every identity stays readable, also after retiring the old version and
//! restarting.
//!
//! 2,000 shops by default; `HARIM_ROTATION_STRESS=1` uses 10,000 (slow: every shop is created
//! over HTTP).
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

use std::{
    io::{BufRead, BufReader},
    path::Path,
    process::{Child, Command, Output, Stdio},
    time::Duration,
};

use harim_e2e::{Server, assert_failure_saying, assert_success, call_with, sign_up_with};

use serde_json::{Value, json};

fn harim(dir: &Path) -> Command {
    let mut c = harim_e2e::harim_command("warn");
    c.current_dir(dir);
    c
}

fn start(dir: &Path) -> Server {
    let mut c = harim(dir);
    c.stderr(Stdio::null());
    Server::start(c)
}

fn identity() -> Value {
    json!({
        "full_name": "Shirin Rotation-Test",
        "national_id": "0499370899",
        "iban": "IR06 2960 0000 0010 0324 2000 01",
        "birth_date": "1991-04-04",
        "phone": "09121234567",
        "email": "shirin.rotation@example.ir",
        "address": "Tehran, Vali-Asr Street, No. 4711",
        "postal_code": "1417614418",
        "country": "IR"
    })
}

fn run(dir: &Path, args: &[&str]) -> Output {
    harim(dir).args(args).output().unwrap()
}

/// A data directory with `harim serve` running on it, a client (long timeout: thousands of
/// requests on a busy machine) and the session of a merchant signed up as `email`.
struct Served {
    dir: tempfile::TempDir,
    client: reqwest::Client,
    server: Server,
    token: String,
}

async fn served_with_merchant(email: &str) -> Served {
    let dir = tempfile::tempdir().unwrap();
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(60))
        .build()
        .unwrap();
    let server = start(dir.path());
    let token = sign_up_with(&client, &server.base, email).await;
    Served {
        dir,
        client,
        server,
        token,
    }
}

/// Opens a shop `slug` for the merchant `token`: its id.
async fn create_shop(
    client: &reqwest::Client,
    base: &str,
    token: &str,
    name: &str,
    slug: &str,
) -> String {
    let (st, b) = call_with(
        client,
        base,
        reqwest::Method::POST,
        "/v1/shops",
        Some(token),
        Some(json!({"name": name, "slug": slug, "default_locale": "fa"})),
    )
    .await;
    assert_eq!(st, 201, "{b:?}");
    b["id"].as_str().unwrap().to_string()
}

/// Writes the test identity of `shop`.
async fn write_identity(client: &reqwest::Client, base: &str, token: &str, shop: &str) {
    let (st, b) = call_with(
        client,
        base,
        reqwest::Method::PUT,
        &format!("/v1/shops/{shop}/identity"),
        Some(token),
        Some(identity()),
    )
    .await;
    assert_eq!(st, 200, "{b:?}");
}

/// Reads `shop`'s (masked) identity, asserting it reads.
async fn read_identity(client: &reqwest::Client, base: &str, token: &str, shop: &str) -> Value {
    let (st, b) = call_with(
        client,
        base,
        reqwest::Method::GET,
        &format!("/v1/shops/{shop}/identity"),
        Some(token),
        None,
    )
    .await;
    assert_eq!(st, 200, "{b:?}");
    b
}

/// `(version, state, tenant_keys)` rows and the rotation line of `harim keys status`.
fn status(dir: &Path) -> (Vec<(u32, String, u64)>, String) {
    let out = run(dir, &["keys", "status"]);
    assert_success(&out);
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let mut rows = Vec::new();
    let mut rotation = String::new();
    for line in text.lines() {
        let parts: Vec<&str> = line.split_whitespace().collect();
        if let [v, state, tk, _bi] = parts[..]
            && let (Ok(v), Ok(tk)) = (v.parse(), tk.parse())
        {
            rows.push((v, state.to_string(), tk));
        }
        if line.starts_with("rotation ") {
            rotation = line.to_string();
        }
    }
    (rows, rotation)
}

/// `(done, total)` from the rotation line, e.g. `rotation <id> to version 2: running (40/2003)`.
fn progress(rotation: &str) -> (u64, u64) {
    let inner = rotation
        .rsplit_once('(')
        .and_then(|(_, r)| r.strip_suffix(')'))
        .unwrap();
    let (d, t) = inner.split_once('/').unwrap();
    (d.parse().unwrap(), t.parse().unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_rotation_killed_part_way_resumes_and_rewraps_every_key_once() {
    let shops: usize = if std::env::var("HARIM_ROTATION_STRESS").is_ok_and(|v| v == "1") {
        10_000
    } else {
        2_000
    };
    // Populate: one merchant with many shops, three of them with an identity.
    let Served {
        dir,
        client,
        server,
        token,
    } = served_with_merchant("rot@example.com").await;
    let base = server.base.clone();
    let mut set = tokio::task::JoinSet::new();
    let per = shops.div_ceil(8);
    for w in 0..8 {
        let (client, base, token) = (client.clone(), base.clone(), token.clone());
        set.spawn(async move {
            let mut ids = Vec::new();
            for i in (w * per)..((w + 1) * per).min(shops) {
                let (name, slug) = (format!("Shop {i}"), format!("rot-{i}"));
                ids.push(create_shop(&client, &base, &token, &name, &slug).await);
            }
            ids
        });
    }
    let mut ids = Vec::new();
    while let Some(r) = set.join_next().await {
        ids.extend(r.unwrap());
    }
    assert_eq!(ids.len(), shops);
    let with_identity: Vec<String> = ids.iter().take(3).cloned().collect();
    for shop in &with_identity {
        write_identity(&client, &base, &token, shop).await;
    }
    drop(server);

    // Kill the worker part-way, several times.
    // Every shop's tenant key, the platform's own (the audit key derives from it), and the three
    // identities' blind indexes.
    let expected = (shops + 1 + with_identity.len()) as u64;
    let mut last_done = 0;
    let mut part_way = 0;
    for delay_ms in [150u64, 250, 200, 300, 350] {
        let mut child = harim(dir.path())
            // One row per transaction: slow enough to be killed part-way every time.
            .args(["keys", "rotate", "--wait", "--batch", "1"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut out = BufReader::new(child.stdout.take().unwrap());
        let mut first = String::new();
        out.read_line(&mut first).unwrap();
        assert!(
            first.starts_with("rotation ") || first.starts_with("resuming rotation "),
            "{first:?}"
        );
        std::thread::sleep(Duration::from_millis(delay_ms));
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        let (_, rotation) = status(dir.path());
        let (done, total) = progress(&rotation);
        assert!(done >= last_done, "{rotation}");
        assert!(done <= total, "{rotation}");
        assert!(rotation.contains("to version 2:"), "{rotation}");
        last_done = done;
        if rotation.contains(": done") {
            break; // finished before the kill: another `rotate` would start a new rotation
        }
        part_way += 1;
    }
    assert!(part_way >= 2, "the worker was never killed part-way");

    // Finish (resumes the unfinished job).
    let (_, rotation) = status(dir.path());
    if !rotation.contains(": done") {
        let out = run(dir.path(), &["keys", "rotate", "--wait"]);
        assert_success(&out);
        assert!(
            String::from_utf8_lossy(&out.stdout).contains("resuming rotation"),
            "{}",
            String::from_utf8_lossy(&out.stdout)
        );
    }
    let (rows, rotation) = status(dir.path());
    assert!(rotation.contains(": done"), "{rotation}");
    // Every row re-wrapped exactly once: `done` is bumped in each batch's transaction.
    assert_eq!(progress(&rotation), (expected, expected), "{rotation}");
    assert_eq!(rows[0], (1, "decrypt_only".into(), 0), "{rows:?}");
    assert_eq!(rows[1], (2, "active".into(), shops as u64 + 1), "{rows:?}");

    // Retirement: the active version is refused with a clear message; the old one goes.
    let out = run(dir.path(), &["keys", "retire", "--version", "2"]);
    assert_failure_saying(&out, "is the active version");
    // A short grace period, so the wait before destruction is exercised without slowing CI.
    let out = run(
        dir.path(),
        &["keys", "retire", "--version", "1", "--grace-secs", "2"],
    );
    assert_success(&out);
    let (rows, _) = status(dir.path());
    assert_eq!(rows[0], (1, "retired".into(), 0), "{rows:?}");

    // After a restart every identity reads, and new shops work.
    let server = start(dir.path());
    for shop in &with_identity {
        let b = read_identity(&client, &server.base, &token, shop).await;
        assert!(b["iban"].as_str().unwrap().ends_with("0001"), "{b:?}");
    }
    create_shop(&client, &server.base, &token, "After", "rot-after").await;
}

/// The reported data loss, from outside: three `harim keys rotate --wait` processes started at
/// the same moment against one database and one keyring file, several rounds in a row. Each
/// round adds exactly one root version, and every shop reads afterwards.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_rotate_processes_add_one_version_each_round_and_lose_nothing() {
    let Served {
        dir,
        client,
        server,
        token,
    } = served_with_merchant("race@example.com").await;
    let base = server.base.clone();
    let mut shops = Vec::new();
    for i in 0..8 {
        let (name, slug) = (format!("Race {i}"), format!("race-{i}"));
        let shop = create_shop(&client, &base, &token, &name, &slug).await;
        write_identity(&client, &base, &token, &shop).await;
        shops.push(shop);
    }
    const ROUNDS: usize = 4;
    let mut versions = 1;
    for round in 1..=ROUNDS {
        let children: Vec<Child> = (0..3)
            .map(|_| {
                harim(dir.path())
                    // --force: each round is a deliberate new rotation within the brake's
                    // interval (the brake itself is checked after the rounds).
                    .args(["keys", "rotate", "--wait", "--force"])
                    .stdout(Stdio::null())
                    .stderr(Stdio::piped())
                    .spawn()
                    .unwrap()
            })
            .collect();
        for c in children {
            let out = c.wait_with_output().unwrap();
            assert!(
                out.status.success(),
                "round {round}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        let (rows, rotation) = status(dir.path());
        assert!(rotation.contains(": done"), "round {round}: {rotation}");
        // Processes that start while a job is unfinished join it; one that starts after the
        // job has finished is a new request and starts a new rotation. So a round adds one to
        // three versions, never a version the keyring file lost (`missing`).
        let added = rows.len() - versions;
        assert!((1..=3).contains(&added), "round {round}: {rows:?}");
        assert!(
            rows.iter().all(|(_, state, _)| state != "missing"),
            "round {round}: {rows:?}"
        );
        versions = rows.len();
        // The running server re-reads the keyring: every shop still reads and reveals.
        for shop in &shops {
            let (st, b) = call_with(
                &client,
                &base,
                reqwest::Method::POST,
                &format!("/v1/shops/{shop}/identity/reveal"),
                Some(&token),
                Some(json!({"fields": ["national_id"], "purpose": "payout"})),
            )
            .await;
            assert_eq!(st, 200, "round {round}: {b:?}");
        }
    }
    // The brake: another rotation right away, without --force, is refused with the reason.
    let out = run(dir.path(), &["keys", "rotate"]);
    assert_failure_saying(&out, "minimum interval");
    drop(server);
    // After a restart too, and the audit chains verify.
    let server = start(dir.path());
    for shop in &shops {
        read_identity(&client, &server.base, &token, shop).await;
    }
    let out = run(dir.path(), &["audit", "verify"]);
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}
