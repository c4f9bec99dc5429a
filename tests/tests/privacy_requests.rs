//! Customers' requests end to end, against the real binary, a real SMTP server (aiosmtpd) and
//! the Standard Webhooks reference library for Python: every kind from the page's form or its
//! JSON (code mailed, verified, due date by the controller's country), the privacy event signed
//! for the platform's other systems, their completion callbacks signed by the same library (a
//! forged one refused), the answers folded into the copy or the erasure receipt (checked by
//! `harim receipts verify`); and a walk through the page in Persian in headless Chromium
//! (request a copy, the code from the mail, download the zip), with `HARIM_UPDATE_SCREENSHOTS=1`
//! writing `docs/screenshots/privacy-requests-fa-*.png`.
//!
//! Skips (with a message) without `HARIM_SMTP_PYTHON` / `HARIM_WEBHOOKS_PYTHON` / Chromium,
//! unless the matching `HARIM_REQUIRE_*=1`.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

use std::{io::Read, path::Path, process::Stdio, time::Duration};

use harim_e2e::{Server, smtp::Smtp};
use reqwest::Method;
use serde_json::{Value, json};

/// The environment of every harim command of a test: nothing (the embedded default, SQLite),
/// or a fresh PostgreSQL database with root keys from the environment.
type Env = Vec<(String, String)>;

/// A fresh database on the PostgreSQL of `HARIM_TEST_DATABASE_URL`, migrated; `None` to skip.
fn postgres(dir: &Path) -> Option<Env> {
    let Ok(admin) = std::env::var("HARIM_TEST_DATABASE_URL") else {
        eprintln!("HARIM_TEST_DATABASE_URL unset: PostgreSQL variant skipped");
        return None;
    };
    let name = format!("harim_e2e_{}", uuid::Uuid::new_v4().simple());
    let out = std::process::Command::new("psql")
        .args([
            admin.as_str(),
            "-qc",
            &format!("CREATE DATABASE \"{name}\""),
        ])
        .output()
        .unwrap();
    harim_e2e::assert_success(&out);
    let (base, _) = admin.rsplit_once('/').unwrap();
    let env: Env = vec![
        ("HARIM_DATABASE_URL".into(), format!("{base}/{name}")),
        ("HARIM_KEYRING".into(), "env".into()),
        (
            "HARIM_ROOT_KEYS".into(),
            "1:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=".into(),
        ),
    ];
    let mut m = command(dir, &env);
    m.arg("migrate");
    harim_e2e::assert_success(&m.output().unwrap());
    Some(env)
}

fn command(dir: &Path, env: &Env) -> std::process::Command {
    let mut c = harim_e2e::harim_command("warn");
    c.current_dir(dir).envs(env.iter().map(|(k, v)| (k, v)));
    c
}

fn harim(dir: &Path, env: &Env, smtp: u16) -> Server {
    let mut c = command(dir, env);
    c.stderr(Stdio::null())
        .env("HARIM_SMTP_URL", format!("smtp://127.0.0.1:{smtp}"))
        .env("HARIM_EMAIL_FROM", "Gol Sorkh <shop@golsorkh.example>");
    Server::start(c)
}

fn admin_token(dir: &Path, env: &Env) -> String {
    let out = command(dir, env)
        .args(["admin", "create-token", "--role", "admin"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .last()
        .unwrap()
        .trim()
        .to_string()
}

/// A shop "golsorkh" with the Iranian example policy published and one customer; answers
/// (owner token, shop id, customer id).
async fn shop(s: &Server) -> (String, String, String) {
    let token = harim_e2e::sign_up(&s.base, "owner@golsorkh.example").await;
    let (st, shop) = s
        .call(
            Method::POST,
            "/v1/shops",
            Some(&token),
            Some(json!({"name": "Gol Sorkh", "slug": "golsorkh", "default_locale": "fa"})),
        )
        .await;
    assert_eq!(st, 201, "{shop}");
    let shop = shop["id"].as_str().unwrap().to_string();
    for (m, path, body) in [
        (
            Method::PUT,
            format!("/v1/shops/{shop}/privacy-settings"),
            json!(harim_policy::examples::iranian_shop().0),
        ),
        (
            Method::POST,
            format!("/v1/shops/{shop}/policies"),
            json!({}),
        ),
    ] {
        let (st, b) = s.call(m, &path, Some(&token), Some(body)).await;
        assert!(st == 200 || st == 201, "{path}: {b}");
    }
    let (st, c) = s
        .call(
            Method::POST,
            &format!("/v1/shops/{shop}/customers"),
            Some(&token),
            Some(json!({"name": "Maryam Rezaei", "email": "maryam@example.ir", "locale": "fa"})),
        )
        .await;
    assert_eq!(st, 201, "{c}");
    (token, shop, c["id"].as_str().unwrap().to_string())
}

async fn until(what: &str, mut done: impl FnMut() -> bool) {
    for _ in 0..150 {
        if done() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("timed out waiting for {what}");
}

/// Signs `body` for `secret` with the reference library; answers (id, timestamp, signature).
fn signed_by_the_reference_library(
    python: &str,
    secret: &str,
    body: &str,
) -> (String, String, String) {
    let script = "import sys, datetime\n\
from standardwebhooks.webhooks import Webhook\n\
now = datetime.datetime.now(tz=datetime.timezone.utc)\n\
msg = 'msg_' + str(int(now.timestamp() * 1000))\n\
print(msg)\n\
print(int(now.timestamp()))\n\
print(Webhook(sys.argv[1]).sign(msg, now, sys.argv[2]))\n";
    let out = std::process::Command::new(python)
        .args(["-c", script, secret, body])
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    let mut lines = text.lines().map(str::to_string);
    (
        lines.next().unwrap(),
        lines.next().unwrap(),
        lines.next().unwrap(),
    )
}

async fn complete(
    s: &Server,
    event: &str,
    signed: (String, String, String),
    body: &str,
) -> (u16, Value) {
    let r = reqwest::Client::new()
        .post(format!("{}/v1/privacy-events/{event}/completion", s.base))
        .header("content-type", "application/json")
        .header("webhook-id", signed.0)
        .header("webhook-timestamp", signed.1)
        .header("webhook-signature", signed.2)
        .body(body.to_string())
        .send()
        .await
        .unwrap();
    let st = r.status().as_u16();
    (st, r.json().await.unwrap_or(Value::Null))
}

fn event(seen: &harim_e2e::receiver::Seen, topic: &str) -> Option<Value> {
    seen.lock()
        .unwrap()
        .iter()
        .map(|(_, b)| serde_json::from_slice::<Value>(b).unwrap())
        .find(|b| b["topic"] == topic)
}

async fn ask(s: &Server, kind: &str, email: &str) -> (u16, Value) {
    s.call(
        Method::POST,
        "/shops/golsorkh/privacy/requests",
        None,
        Some(json!({"kind": kind, "email": email})),
    )
    .await
}

async fn verify(s: &Server, id: String, code: String) -> (u16, Value) {
    s.call(
        Method::POST,
        &format!("/shops/golsorkh/privacy/requests/{id}/verify"),
        None,
        Some(json!({"code": code})),
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_request_kind_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    every_request_kind(dir.path(), Env::new()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_request_kind_on_postgres() {
    let dir = tempfile::tempdir().unwrap();
    if let Some(env) = postgres(dir.path()) {
        every_request_kind(dir.path(), env).await;
    }
}

/// Every kind over real mail, with completions signed by the reference library.
async fn every_request_kind(dir: &Path, env: Env) {
    let Some(smtp_python) = harim_e2e::smtp::python() else {
        return;
    };
    let Ok(python) = std::env::var("HARIM_WEBHOOKS_PYTHON") else {
        assert!(
            std::env::var("HARIM_REQUIRE_WEBHOOKS").as_deref() != Ok("1"),
            "HARIM_WEBHOOKS_PYTHON is unset and HARIM_REQUIRE_WEBHOOKS=1 (run infra/webhooks.sh)"
        );
        eprintln!("SKIP: HARIM_WEBHOOKS_PYTHON unset; run infra/webhooks.sh to enable this test");
        return;
    };
    let smtp = Smtp::start(&smtp_python, dir);
    let s = harim(dir, &env, smtp.port);
    let (url, _, seen) = harim_e2e::receiver::start().await;
    let admin = admin_token(dir, &env);
    let (st, ep) = s
        .call(
            Method::POST,
            "/v1/admin/webhook-endpoints",
            Some(&admin),
            Some(json!({"url": url, "topics": ["customer.data_request", "customer.redact"]})),
        )
        .await;
    assert_eq!(st, 201, "{ep}");
    let secret = ep["secret"].as_str().unwrap().to_string();
    let (owner, shop, customer) = shop(&s).await;
    let mut mails = 0;

    // An unknown address: the same answer, and no mail.
    let (st, unknown) = ask(&s, "access", "nobody@example.ir").await;
    assert_eq!(st, 202, "{unknown}");
    assert!(unknown["request_id"].is_string());

    // Access: a code by mail, verified, the platform asked, its file folded into the copy.
    let (st, r) = ask(&s, "access", "Maryam@Example.IR").await;
    assert_eq!(st, 202, "{r}");
    let id = r["request_id"].as_str().unwrap().to_string();
    mails += 1;
    let code = smtp.code(mails).await;
    assert_eq!(smtp.messages().len(), 1, "a mail for the unknown address");
    assert!(smtp.messages()[0].contains("To: maryam@example.ir"));
    // Four wrong codes are refused one by one (the right one still works after them).
    for _ in 0..4 {
        let wrong = if code == "000000" { "111111" } else { "000000" };
        let (st, b) = verify(&s, id.clone(), wrong.into()).await;
        assert_eq!(st, 422, "{b}");
    }
    let (st, v) = verify(&s, id.clone(), code).await;
    assert_eq!(st, 200, "{v}");
    assert_eq!(v["state"], "in_progress");
    until("the data request event", || {
        event(&seen, "customer.data_request").is_some()
    })
    .await;
    let ev = event(&seen, "customer.data_request").unwrap();
    assert_eq!(ev["data"]["customer_id"], customer.as_str());
    assert_eq!(ev["request_id"], id.as_str());
    let event_id = ev["event_id"].as_str().unwrap().to_string();
    let answer = json!({"status": "done", "items_removed": 0, "items_retained": [],
        "file": {"name": "loyalty.json", "content_base64": "eyJwb2ludHMiOiA0MH0="}})
    .to_string();
    // Signed with another secret: refused.
    let forged =
        signed_by_the_reference_library(&python, "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", &answer);
    let (st, b) = complete(&s, &event_id, forged, &answer).await;
    assert_eq!(st, 401, "{b}");
    let signed = signed_by_the_reference_library(&python, &secret, &answer);
    let (st, b) = complete(&s, &event_id, signed, &answer).await;
    assert_eq!(st, 200, "{b}");
    // "Ready" by mail, then a fresh code downloads the copy once.
    mails += 1;
    until("the ready mail", || smtp.messages().len() >= mails).await;
    let (st, b) = s
        .call(
            Method::POST,
            &format!("/shops/golsorkh/privacy/requests/{id}/code"),
            None,
            Some(json!({})),
        )
        .await;
    assert_eq!(st, 202, "{b}");
    mails += 1;
    let fresh = smtp.code(mails).await;
    let zip = reqwest::Client::new()
        .post(format!(
            "{}/shops/golsorkh/privacy/requests/{id}/download",
            s.base
        ))
        .json(&json!({"code": fresh}))
        .send()
        .await
        .unwrap();
    assert_eq!(zip.status(), 200);
    assert_eq!(zip.headers()["cache-control"], "no-store");
    let bytes = zip.bytes().await.unwrap().to_vec();
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
    let mut loyalty = String::new();
    archive
        .by_name(&format!(
            "systems/{}/loyalty.json",
            ep["id"].as_str().unwrap()
        ))
        .unwrap()
        .read_to_string(&mut loyalty)
        .unwrap();
    assert_eq!(loyalty, r#"{"points": 40}"#);

    // Rectification: open for the merchant, due in the shop's 30 days; no extension in Iran.
    let (_, r) = ask(&s, "rectification", "maryam@example.ir").await;
    let rid = r["request_id"].as_str().unwrap().to_string();
    mails += 1;
    let (st, v) = verify(&s, rid.clone(), smtp.code(mails).await).await;
    assert_eq!(st, 200, "{v}");
    assert_eq!(v["state"], "open");
    let (st, list) = s
        .call(
            Method::GET,
            &format!("/v1/shops/{shop}/customer-requests"),
            Some(&owner),
            None,
        )
        .await;
    assert_eq!(st, 200, "{list}");
    assert!(
        list.as_array()
            .unwrap()
            .iter()
            .any(|r| r["id"] == rid.as_str() && r["due_at"].is_string())
    );
    let (st, b) = s
        .call(
            Method::POST,
            &format!("/v1/shops/{shop}/customer-requests/{rid}/extend"),
            Some(&owner),
            Some(json!({"reason": "We are waiting for the courier's records."})),
        )
        .await;
    assert_eq!(st, 409, "{b}");

    // Erasure: at once (no hold set), the platform told, its answer in the signed receipt.
    let (_, r) = ask(&s, "erasure", "maryam@example.ir").await;
    let eid = r["request_id"].as_str().unwrap().to_string();
    mails += 1;
    let (st, v) = verify(&s, eid.clone(), smtp.code(mails).await).await;
    assert_eq!(st, 200, "{v}");
    until("the redact event", || {
        event(&seen, "customer.redact").is_some()
    })
    .await;
    let ev = event(&seen, "customer.redact").unwrap();
    let answer = json!({"status": "partial", "items_removed": 3,
        "items_retained": [{"category": "invoices", "reason": "tax law", "until": "2031-12-31"}]})
    .to_string();
    let signed = signed_by_the_reference_library(&python, &secret, &answer);
    let (st, b) = complete(&s, ev["event_id"].as_str().unwrap(), signed, &answer).await;
    assert_eq!(st, 200, "{b}");
    let (st, receipt) = s
        .call(
            Method::GET,
            &format!("/shops/golsorkh/privacy/requests/{eid}/receipt"),
            None,
            None,
        )
        .await;
    assert_eq!(st, 200, "{receipt}");
    assert_eq!(
        receipt["receipt"]["subscribers"][0]["items_retained"][0]["reason"],
        "tax law"
    );
    let file = dir.join("receipt.json");
    std::fs::write(&file, receipt.to_string()).unwrap();
    let out = command(dir, &env)
        .args(["receipts", "verify"])
        .arg(&file)
        .output()
        .unwrap();
    harim_e2e::assert_success(&out);
    // The customer is gone: their address gets the same answer as a stranger's, and no mail.
    let before = smtp.messages().len();
    let (st, _) = ask(&s, "access", "maryam@example.ir").await;
    assert_eq!(st, 202);
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(smtp.messages().len(), before, "mail to an erased customer");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_privacy_page_is_walked_in_persian_in_chromium() {
    if !harim_e2e::cdp::available() {
        return;
    }
    let Some(smtp_python) = harim_e2e::smtp::python() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let smtp = Smtp::start(&smtp_python, dir.path());
    let s = harim(dir.path(), &Env::new(), smtp.port);
    shop(&s).await;
    let downloads = dir.path().join("downloads");
    std::fs::create_dir_all(&downloads).unwrap();
    let mut b =
        harim_e2e::cdp::Browser::start(&dir.path().join("profile"), &downloads, 820, 900).await;
    let shots = std::env::var("HARIM_UPDATE_SCREENSHOTS").as_deref() == Ok("1");
    let shot = |name: &str, png: Vec<u8>| {
        if shots {
            let path = Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("../docs/screenshots")
                .join(format!("privacy-requests-fa-{name}.png"));
            std::fs::write(path, png).unwrap();
        }
    };

    b.goto(&format!(
        "{}/shops/golsorkh/privacy/requests?lang=fa",
        s.base
    ))
    .await;
    assert_eq!(b.eval("document.documentElement.dir").await, "rtl");
    assert_eq!(
        b.eval("document.querySelectorAll('input[name=kind]').length")
            .await,
        5
    );
    b.eval("document.getElementById('address').value = 'maryam@example.ir'")
        .await;
    shot("form", b.screenshot().await);
    b.submit("document.querySelector('form').submit()").await;
    assert!(
        b.eval("document.body.innerText")
            .await
            .as_str()
            .unwrap()
            .contains("ده دقیقه")
    );
    let code = smtp.code(1).await;
    b.eval(&format!("document.getElementById('code').value = '{code}'"))
        .await;
    shot("code", b.screenshot().await);
    b.submit("document.querySelector('form').submit()").await;
    // No system subscribes here: harim's own copy is ready at once.
    assert_eq!(
        b.eval("document.getElementById('state').dataset.state")
            .await,
        "ready"
    );
    shot("ready", b.screenshot().await);
    b.submit("document.querySelector('form').submit()").await;
    let fresh = smtp.code(2).await;
    b.eval(&format!(
        "document.getElementById('code').value = '{fresh}'"
    ))
    .await;
    let name = b.download("document.querySelector('form').submit()").await;
    assert!(name.ends_with(".zip"), "{name}");
    let zip = std::fs::read(downloads.join(&name)).unwrap();
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(zip)).unwrap();
    let mut readme = String::new();
    archive
        .by_name("README.txt")
        .unwrap()
        .read_to_string(&mut readme)
        .unwrap();
    assert!(
        readme.contains("گل سرخ") || readme.contains("Gol Sorkh"),
        "{readme}"
    );
    assert!(
        readme.contains("رونوشت"),
        "the copy speaks the customer's language: {readme}"
    );
}
