//! The vault seen from outside: after a full write/reveal cycle through the real binary, no
//! file under the data directory and no log line holds any plaintext value.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

use harim_e2e::harim_bin;

use std::{
    io::{BufRead, BufReader},
    path::{Path, PathBuf},
    process::{Command, Stdio},
    sync::{Arc, Mutex},
};

use harim_e2e::call;
use serde_json::json;

fn files_under(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let p = entry.unwrap().path();
        if p.is_dir() {
            files_under(&p, out)
        } else {
            out.push(p)
        }
    }
}

#[tokio::test]
async fn no_plaintext_reaches_the_data_directory_or_the_logs() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(harim_bin())
        .current_dir(dir.path())
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("RUST_LOG", "debug")
        .args(["serve", "--listen", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let log = Arc::new(Mutex::new(Vec::<u8>::new()));
    let sink = log.clone();
    let err = child.stderr.take().unwrap();
    let log_thread = std::thread::spawn(move || {
        let mut r = BufReader::new(err);
        let mut buf = Vec::new();
        while r.read_until(b'\n', &mut buf).unwrap_or(0) > 0 {
            sink.lock().unwrap().extend_from_slice(&buf);
            buf.clear();
        }
    });
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let base = line
        .trim()
        .strip_prefix("harim listening on ")
        .unwrap()
        .to_string();

    use reqwest::Method;
    let pw = "another long passphrase";
    call(
        &base,
        Method::POST,
        "/v1/accounts",
        None,
        Some(json!({"email": "owner@example.com", "password": pw})),
    )
    .await;
    let (_, s) = call(
        &base,
        Method::POST,
        "/v1/sessions",
        None,
        Some(json!({"email": "owner@example.com", "password": pw})),
    )
    .await;
    let token = s["token"].as_str().unwrap().to_string();
    let (_, shop) = call(
        &base,
        Method::POST,
        "/v1/shops",
        Some(&token),
        Some(json!({"name": "Leak test", "slug": "leak-test", "default_locale": "en"})),
    )
    .await;
    let shop = shop["id"].as_str().unwrap().to_string();
    let identity = json!({
        "full_name": "Zahra Plaintextova",
        "national_id": "0499370899",
        "iban": "IR062960000000100324200001",
        "birth_date": "1985-07-13",
        "phone": "+989121234567",
        "email": "zahra.plaintextova@example.org",
        "address": "Unmistakable Lane 987, Shiraz",
        "postal_code": "7134567891",
        "country": "IR"
    });
    let (st, v) = harim_e2e::put_identity(&base, &token, &shop, identity).await;
    assert_eq!(st, 200, "{v}");
    let (st, v) = call(&base, Method::POST, &format!("/v1/shops/{shop}/identity/reveal"), Some(&token),
        Some(json!({"fields": ["full_name", "national_id", "iban", "birth_date", "phone", "email", "address", "postal_code"], "purpose": "data_subject_request"}))).await;
    assert_eq!(st, 200, "{v}");
    assert_eq!(v["fields"]["address"], "Unmistakable Lane 987, Shiraz");

    // Stop the server abruptly (like a crash): the WAL and journal stay on disk to be searched.
    child.kill().unwrap();
    child.wait().unwrap();
    log_thread.join().unwrap();

    let secrets = [
        "Plaintextova",
        "0499370899",
        "IR062960000000100324200001",
        "1985-07-13",
        "9121234567",
        "zahra.plaintextova",
        "Unmistakable Lane",
        "7134567891",
    ];
    let mut files = Vec::new();
    files_under(&dir.path().join("harim-data"), &mut files);
    assert!(files.iter().any(|f| f.ends_with("harim.db")), "{files:?}");
    assert!(
        files.iter().any(|f| f.ends_with("keyring.json")),
        "{files:?}"
    );
    for f in &files {
        let bytes = std::fs::read(f).unwrap();
        for s in secrets {
            assert!(
                !bytes.windows(s.len()).any(|w| w == s.as_bytes()),
                "{s} found in {}",
                f.display()
            );
        }
    }
    let log = log.lock().unwrap().clone();
    assert!(log.len() > 100, "the server logged nothing at debug level");
    for s in secrets {
        assert!(
            !log.windows(s.len()).any(|w| w == s.as_bytes()),
            "{s} found in the logs"
        );
    }
    assert!(
        !log.windows(3).any(|w| w == b"hs_"),
        "a session token reached the logs"
    );
}
