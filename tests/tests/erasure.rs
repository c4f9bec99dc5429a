//! Erasure end to end with the real binary on the embedded default: the process is SIGKILLed in
//! the middle of the erasure job, restarted, finishes the job with the counts it promised; the
//! signed receipt verifies offline with `harim receipts verify` (and a tampered one does not);
//! and afterwards no file of the data directory (database, WAL, objects) holds any plaintext the
//! shop stored.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

use std::{
    path::Path,
    process::{Command, Stdio},
    time::Duration,
};

use harim_e2e::Server;
use serde_json::{Value, json};

fn harim(dir: &Path) -> Command {
    let mut c = harim_e2e::harim_command("info");
    c.current_dir(dir);
    c
}

fn start(dir: &Path, env: &[(&str, &str)], base_env: &[(String, String)]) -> Server {
    let mut cmd = harim(dir);
    for (k, v) in base_env {
        cmd.env(k, v);
    }
    cmd.env("HARIM_DATA_REQUEST_LEASE_SECS", "1")
        .stderr(Stdio::null());
    for (k, v) in env {
        cmd.env(k, v);
    }
    Server::start(cmd)
}

fn example(name: &str) -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../docs/examples")
        .join(name);
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

const PDF: &[u8] = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n2 0 obj\n<< /Type /Pages /Kids [] /Count 0 >>\nendobj\n% Licence of Golsorkh Carpet Atelier, number 88-4471-XQ\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_erasure_killed_mid_job_finishes_after_restart_and_leaves_no_plaintext() {
    let dir = tempfile::tempdir().unwrap();
    scenario(dir.path(), &[]).await;
}

/// The same on PostgreSQL (objects in the data directory, root keys from the environment).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_postgres_too() {
    let Ok(admin) = std::env::var("HARIM_TEST_DATABASE_URL") else {
        eprintln!("HARIM_TEST_DATABASE_URL unset: PostgreSQL variant skipped");
        return;
    };
    let name = format!("harim_e2e_{}", uuid::Uuid::new_v4().simple());
    let psql = |sql: String| {
        let out = Command::new("psql")
            .args([admin.as_str(), "-qc", &sql])
            .output()
            .unwrap();
        harim_e2e::assert_success(&out);
    };
    psql(format!("CREATE DATABASE \"{name}\""));
    let (base, _) = admin.rsplit_once('/').unwrap();
    let env = vec![
        ("HARIM_DATABASE_URL".to_string(), format!("{base}/{name}")),
        ("HARIM_KEYRING".to_string(), "env".to_string()),
        (
            "HARIM_ROOT_KEYS".to_string(),
            "1:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=".to_string(),
        ),
        ("HARIM_DATA_DIR".to_string(), "harim-data".to_string()),
    ];
    let dir = tempfile::tempdir().unwrap();
    let mut m = harim(dir.path());
    m.arg("migrate");
    for (k, v) in &env {
        m.env(k, v);
    }
    assert!(m.output().unwrap().status.success());
    scenario(dir.path(), &env).await;
    psql(format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"));
}

async fn scenario(dir: &Path, base_env: &[(String, String)]) {
    let on_sqlite = base_env.is_empty();
    let s = start(
        dir,
        &[("HARIM_TEST_KILL_AT", "erasure.after_objects")],
        base_env,
    );
    let token = harim_e2e::sign_up(&s.base, "owner@example.com").await;
    let (st, shop) = s.call(reqwest::Method::POST, "/v1/shops", Some(&token), Some(json!({"name": "Golsorkh Carpet Atelier", "slug": "golsorkh-atelier", "default_locale": "fa"}))).await;
    assert_eq!(st, 201, "{shop}");
    let shop = shop["id"].as_str().unwrap().to_string();
    let (st, r) = s
        .call(
            reqwest::Method::PUT,
            &format!("/v1/shops/{shop}/identity"),
            Some(&token),
            Some(example("identity.json")),
        )
        .await;
    assert_eq!(st, 200, "{r}");
    let (st, r) = s
        .call(
            reqwest::Method::PUT,
            &format!("/v1/shops/{shop}/privacy-settings"),
            Some(&token),
            Some(example("privacy-settings.json")),
        )
        .await;
    assert_eq!(st, 200, "{r}");
    let (st, r) = s
        .call(
            reqwest::Method::POST,
            &format!("/v1/shops/{shop}/policies"),
            Some(&token),
            Some(json!({})),
        )
        .await;
    assert_eq!(st, 201, "{r}");
    let resp = harim_e2e::upload_document(
        &reqwest::Client::new(),
        &s.base,
        &token,
        &shop,
        "business_license",
        "application/pdf",
        PDF,
    )
    .await;
    assert_eq!(resp.status().as_u16(), 201);

    let (st, first) = s
        .call(
            reqwest::Method::DELETE,
            &format!("/v1/shops/{shop}"),
            Some(&token),
            Some(json!({"confirm": "golsorkh-atelier", "password": harim_e2e::PASSWORD})),
        )
        .await;
    assert_eq!(st, 202, "{first}");
    assert_eq!(first["receipt"]["objects"]["planned"], 1);
    let receipt_id = first["receipt"]["receipt_id"].as_str().unwrap().to_string();

    // The worker reaches the kill point right after deleting the objects, before it records so.
    let mut s = s;
    let mut died = false;
    for _ in 0..100 {
        if s.child.try_wait().unwrap().is_some() {
            died = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        died,
        "the process was not killed at the erasure job's kill point"
    );
    {
        use std::os::unix::process::ExitStatusExt;
        assert_eq!(
            s.child.wait().unwrap().signal(),
            Some(9),
            "killed by SIGKILL"
        );
    }
    drop(s);

    // Restarted: the lease runs out, the job finishes, the counts are the ones promised.
    let s = start(dir, &[], base_env);
    let mut done = Value::Null;
    for _ in 0..150 {
        let (st, r) = s
            .call(
                reqwest::Method::GET,
                &format!("/v1/receipts/{receipt_id}"),
                None,
                None,
            )
            .await;
        assert_eq!(st, 200, "{r}");
        if r["receipt"]["state"] == "completed" {
            done = r;
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(
        done["receipt"]["state"], "completed",
        "the job did not finish after restart"
    );
    assert_eq!(done["receipt"]["objects"]["deleted"], 1);
    assert_eq!(done["receipt"]["objects"]["remaining"], 0);
    assert_eq!(done["receipt"]["entries"], first["receipt"]["entries"]);
    assert_eq!(done["receipt"]["tenant_key_versions_destroyed"], json!([1]));

    // Offline verification: with the installation's own key, and with the published key file.
    let receipt_file = dir.join("receipt.json");
    std::fs::write(&receipt_file, done.to_string()).unwrap();
    let (_, keys) = s
        .call(
            reqwest::Method::GET,
            "/.well-known/harim/receipt-keys",
            None,
            None,
        )
        .await;
    let keys_file = dir.join("keys.json");
    std::fs::write(&keys_file, keys.to_string()).unwrap();
    let verify = |file: &Path, keys: Option<&Path>| {
        let mut c = harim(dir);
        for (k, v) in base_env {
            c.env(k, v);
        }
        c.args(["receipts", "verify"]).arg(file);
        if let Some(k) = keys {
            c.arg("--keys").arg(k);
        }
        c.output().unwrap()
    };
    let out = verify(&receipt_file, Some(&keys_file));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let out = verify(&receipt_file, None);
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let mut tampered = done.clone();
    tampered["receipt"]["objects"]["deleted"] = json!(0);
    let tampered_file = dir.join("tampered.json");
    std::fs::write(&tampered_file, tampered.to_string()).unwrap();
    let out = verify(&tampered_file, Some(&keys_file));
    assert_eq!(out.status.code(), Some(1), "a tampered receipt verified");

    // The shop is gone for its owner and the public; the slug stays taken.
    let (st, _) = s
        .call(
            reqwest::Method::GET,
            &format!("/v1/shops/{shop}/identity"),
            Some(&token),
            None,
        )
        .await;
    assert_eq!(st, 404);
    let (st, _) = s
        .call(
            reqwest::Method::GET,
            "/shops/golsorkh-atelier/privacy",
            None,
            None,
        )
        .await;
    assert_eq!(st, 410);
    drop(s);

    // No file of the data directory holds anything the shop stored, in any encoding it was stored in.
    let identity = example("identity.json");
    let mut needles: Vec<String> = [
        "full_name",
        "national_id",
        "phone",
        "email",
        "address",
        "postal_code",
    ]
    .iter()
    .map(|k| identity[k].as_str().unwrap().to_string())
    .collect();
    needles.push(identity["iban"].as_str().unwrap().replace(' ', ""));
    needles.push("Golsorkh Carpet Atelier".into());
    needles.push("golsorkh-atelier".into());
    needles.push("88-4471-XQ".into());
    needles.push("info@golsorkh.example".into());
    needles.push("مریم احمدی".into());
    let data = dir.join("harim-data");
    let files = harim_e2e::files_under(&data).unwrap();
    if on_sqlite {
        assert!(files.iter().any(|f| f.ends_with("harim.db")), "{files:?}");
    }
    for f in files {
        let bytes = std::fs::read(&f).unwrap();
        for n in &needles {
            assert!(
                !bytes.windows(n.len()).any(|w| w == n.as_bytes()),
                "{} still holds {n:?}",
                f.display()
            );
        }
    }
}
