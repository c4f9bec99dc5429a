//! End-to-end: the real `harim` binary, started as a process, driven over HTTP.
//! Runs on the embedded default always, and against PostgreSQL when `HARIM_TEST_DATABASE_URL`
//! is set.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

use std::{
    io::{BufRead, BufReader},
    process::{Child, Command, Stdio},
    time::Duration,
};

use harim_e2e::upload_document;
use serde_json::{Value, json};

fn harim() -> Command {
    harim_e2e::harim_command("info")
}

struct Server {
    child: Child,
    base: String,
    stderr: std::sync::Arc<std::sync::Mutex<String>>,
    _dir: tempfile::TempDir,
    pg: Option<(String, String)>,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if let Some((admin, name)) = self.pg.take() {
            let _ = Command::new("psql")
                .args([
                    admin.as_str(),
                    "-qc",
                    &format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"),
                ])
                .output();
        }
    }
}

fn pg_database() -> Option<(String, String, String)> {
    let admin = std::env::var("HARIM_TEST_DATABASE_URL").ok()?;
    let name = format!("harim_e2e_{}", uuid::Uuid::new_v4().simple());
    let out = Command::new("psql")
        .args([
            admin.as_str(),
            "-qc",
            &format!("CREATE DATABASE \"{name}\""),
        ])
        .output()
        .unwrap();
    harim_e2e::assert_success(&out);
    let (base, _) = admin.rsplit_once('/').unwrap();
    Some((format!("{base}/{name}"), admin, name))
}

fn start(env: &[(&str, &str)], pg: Option<(String, String)>) -> Server {
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = harim();
    cmd.current_dir(dir.path())
        .args(["serve", "--listen", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().unwrap();
    let stderr = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
    let sink = stderr.clone();
    let err = child.stderr.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(err).lines().map_while(Result::ok) {
            sink.lock().unwrap().push_str(&line);
            sink.lock().unwrap().push('\n');
        }
    });
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    out.read_line(&mut line).unwrap();
    let base = line
        .trim()
        .strip_prefix("harim listening on ")
        .unwrap_or_else(|| {
            panic!(
                "unexpected first line {line:?}; stderr: {}",
                stderr.lock().unwrap()
            )
        })
        .to_string();
    Server {
        child,
        base,
        stderr,
        _dir: dir,
        pg,
    }
}

async fn call(
    s: &Server,
    method: reqwest::Method,
    path: &str,
    token: Option<&str>,
    body: Option<Value>,
) -> (u16, String, Value) {
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap();
    let mut req = client.request(method, format!("{}{path}", s.base));
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    if let Some(b) = body {
        req = req.json(&b);
    }
    let resp = req.send().await.unwrap();
    let status = resp.status().as_u16();
    let ctype = resp
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    let text = resp.text().await.unwrap();
    (
        status,
        ctype,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

/// A small, valid PDF with a recognisable sentence in it.
const PDF: &[u8] = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n2 0 obj\n<< /Type /Pages /Kids [] /Count 0 >>\nendobj\n% Business licence of Harim Test Trading Co, number 4711-0815\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n";

/// Uploads [`PDF`] over real HTTP, downloads it back, and returns the document id.
async fn kyc_round_trip(s: &Server, token: &str, shop: &str) -> String {
    let client = reqwest::Client::new();
    let resp = upload_document(
        &client,
        &s.base,
        token,
        shop,
        "business_license",
        "application/pdf",
        PDF,
    )
    .await;
    assert_eq!(resp.status().as_u16(), 201);
    let v: Value = resp.json().await.unwrap();
    let id = v["id"].as_str().unwrap().to_string();
    let resp = client
        .get(format!(
            "{}/v1/shops/{shop}/kyc/documents/{id}/content?purpose=support",
            s.base
        ))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    assert_eq!(&resp.bytes().await.unwrap()[..], PDF);
    // An executable claiming to be a JPEG.
    let elf = b"\x7fELF\x02\x01\x01\0\0\0\0\0\0\0\0\0".to_vec();
    let resp = upload_document(&client, &s.base, token, shop, "selfie", "image/jpeg", elf).await;
    assert_eq!(resp.status().as_u16(), 415);
    id
}

async fn onboarding_and_isolation(s: &Server) -> (String, String) {
    use reqwest::Method;
    let pw = "a long enough passphrase";
    let mut tokens = Vec::new();
    let mut shops = Vec::new();
    for who in ["one", "two"] {
        let creds = json!({"email": format!("{who}@example.com"), "password": pw});
        let post_creds = |path| call(s, Method::POST, path, None, Some(creds.clone()));
        let (st, _, _) = post_creds("/v1/accounts").await;
        assert_eq!(st, 201);
        let (st, _, v) = post_creds("/v1/sessions").await;
        assert_eq!(st, 201);
        let token = v["token"].as_str().unwrap().to_string();
        let (st, _, v) = call(
            s,
            Method::POST,
            "/v1/shops",
            Some(&token),
            Some(json!({"name": "فروشگاه", "slug": format!("shop-{who}"), "default_locale": "fa"})),
        )
        .await;
        assert_eq!(st, 201, "{v}");
        assert_eq!(v["role"], "owner");
        shops.push(v["id"].as_str().unwrap().to_string());
        tokens.push(token);
    }
    let first = format!("/v1/shops/{}", shops[0]);
    let (st, _, v) = call(s, Method::GET, &first, Some(&tokens[0]), None).await;
    assert_eq!((st, v["name"].as_str()), (200, Some("فروشگاه")));
    let (st, ctype, v) = call(s, Method::GET, &first, Some(&tokens[1]), None).await;
    assert_eq!(st, 404);
    assert_eq!(ctype, "application/problem+json");
    assert!(v["type"].as_str().unwrap().ends_with("/not-found"));
    let (st, ctype, _) = call(
        s,
        Method::POST,
        "/v1/shops",
        Some(&tokens[0]),
        Some(json!({"name": 1})),
    )
    .await;
    assert_eq!((st, ctype.as_str()), (422, "application/problem+json"));
    let (st, _, _) = call(s, Method::GET, "/readyz", None, None).await;
    assert_eq!(st, 200);
    (tokens[0].clone(), shops[0].clone())
}

#[tokio::test]
async fn the_embedded_default_serves_the_api_and_warns_it_is_not_for_production() {
    let s = start(&[], None);
    let (token, shop) = onboarding_and_isolation(&s).await;
    let data = s._dir.path().join("harim-data");
    assert!(data.join("harim.db").exists());
    // KYC documents go to the local object directory, encrypted, under ids only.
    let doc = kyc_round_trip(&s, &token, &shop).await;
    let objects = harim_e2e::files_under(&data.join("objects")).unwrap();
    assert_eq!(objects.len(), 1, "{objects:?}");
    assert!(objects[0].ends_with(format!("t/{shop}/d/{doc}")));
    let stored = std::fs::read(&objects[0]).unwrap();
    assert!(!stored.windows(12).any(|w| PDF.windows(12).any(|p| p == w)));
    // The retention job runs on demand and has nothing to purge yet.
    let out = harim()
        .current_dir(s._dir.path())
        .args(["jobs", "run", "retention"])
        .output()
        .unwrap();
    harim_e2e::assert_success(&out);
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["kyc_documents"]["purged"], 0);
    assert_eq!(report["failed"], serde_json::json!([]));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            std::fs::metadata(&data).unwrap().permissions().mode() & 0o777,
            0o700
        );
        // The database and its WAL files hold ciphertexts, blind indexes and hashes: owner only.
        for name in ["harim.db", "harim.db-wal", "harim.db-shm", "keyring.json"] {
            let path = data.join(name);
            if path.exists() {
                let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
                assert_eq!(mode, 0o600, "{name} is {mode:o}");
            }
        }
        assert!(
            data.join("harim.db-wal").exists(),
            "WAL mode, so the check above saw it"
        );
    }
    let log = s.stderr.lock().unwrap().clone();
    assert!(log.contains("NOT FOR PRODUCTION"), "{log}");
    assert_eq!(log.matches("NOT FOR PRODUCTION").count(), 1);
}

#[tokio::test]
async fn postgres_needs_migrate_first_then_serves_the_same_api() {
    let Some((url, admin, name)) = pg_database() else {
        eprintln!("HARIM_TEST_DATABASE_URL unset: PostgreSQL end-to-end skipped");
        return;
    };
    let refused = harim()
        .args(["serve", "--listen", "127.0.0.1:0"])
        .env("HARIM_DATABASE_URL", &url)
        .output()
        .unwrap();
    harim_e2e::assert_failure_saying(&refused, "harim migrate");
    let out = harim()
        .arg("migrate")
        .env("HARIM_DATABASE_URL", &url)
        .output()
        .unwrap();
    harim_e2e::assert_success(&out);
    let no_keys = harim()
        .args(["serve", "--listen", "127.0.0.1:0"])
        .env("HARIM_DATABASE_URL", &url)
        .output()
        .unwrap();
    harim_e2e::assert_failure_saying(&no_keys, "HARIM_KEYRING");
    // A production-shaped key provider: root keys from the environment; documents on the real
    // S3 server when the CI started one.
    let key = "1:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
    let mut env: Vec<(String, String)> = vec![
        ("HARIM_DATABASE_URL".into(), url.clone()),
        ("HARIM_KEYRING".into(), "env".into()),
        ("HARIM_ROOT_KEYS".into(), key.into()),
        ("HARIM_ROOT_KEY_ACTIVE".into(), "1".into()),
    ];
    if let Ok(s3) = std::env::var("HARIM_TEST_S3_URL") {
        env.push((
            "HARIM_OBJECT_STORE_URL".into(),
            format!("{s3}/e2e-{}", uuid::Uuid::new_v4()),
        ));
        env.extend(std::env::vars().filter(|(k, _)| k.starts_with("AWS_")));
    }
    let env_refs: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let s = start(&env_refs, Some((admin, name)));
    let (token, shop) = onboarding_and_isolation(&s).await;
    kyc_round_trip(&s, &token, &shop).await;
    let log = s.stderr.lock().unwrap().clone();
    assert!(!log.contains("NOT FOR PRODUCTION"));

    // An identity write and a reveal leave two audit entries; `harim audit verify` checks the
    // chain, then finds an entry edited behind its back.
    use reqwest::Method;
    let identity = json!({"full_name": "Audit Person", "national_id": "0499370899",
        "iban": "IR062960000000100324200001", "birth_date": "1980-01-01", "phone": "09121234567",
        "email": "audit@example.ir", "address": "Somewhere 1", "postal_code": "1417614418", "country": "IR"});
    let (st, v) = harim_e2e::put_identity(&s.base, &token, &shop, identity).await;
    assert_eq!(st, 200, "{v}");
    let (st, _, _) = call(
        &s,
        Method::POST,
        &format!("/v1/shops/{shop}/identity/reveal"),
        Some(&token),
        Some(json!({"fields": ["iban"], "purpose": "payout"})),
    )
    .await;
    assert_eq!(st, 200);
    // The links are keyed: verifying needs the key provider the server used.
    let verify = || {
        harim()
            .args(["audit", "verify"])
            .env("HARIM_DATABASE_URL", &url)
            .env("HARIM_KEYRING", "env")
            .env("HARIM_ROOT_KEYS", key)
            .env("HARIM_ROOT_KEY_ACTIVE", "1")
            .output()
            .unwrap()
    };
    let ok = verify();
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stdout)
    );
    assert!(String::from_utf8_lossy(&ok.stdout).contains("all intact"));
    let admin = &s.pg.as_ref().unwrap().0;
    let tamper = Command::new("psql")
        .args([
            url.as_str(),
            "-qc",
            "UPDATE audit_log SET purpose = 'legal_obligation' WHERE seq = 2",
        ])
        .output()
        .unwrap();
    assert!(
        tamper.status.success(),
        "{admin}: {}",
        String::from_utf8_lossy(&tamper.stderr)
    );
    let bad = verify();
    assert!(!bad.status.success());
    let out = String::from_utf8_lossy(&bad.stdout);
    assert!(
        out.contains(&format!("BROKEN tenant {shop} at entry 2")),
        "{out}"
    );
    assert!(
        !log.contains("postgres://"),
        "the database URL leaked into logs"
    );
}
