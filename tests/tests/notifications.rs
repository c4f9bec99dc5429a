//! The notification gate end to end: the real binary sends e-mail to a real SMTP server
//! (aiosmtpd, from `infra/smtp.sh`, writing a Maildir) and SMS to a local server shaped like
//! Kavenegar's API that checks every request. The servers receive exactly the allowed messages
//! (the Iranian opt-out line on marketing only); a process killed between queueing and sending
//! sends once after its restart; a "stop" reply suppresses marketing at once.
//!
//! Skips (with a message) without `HARIM_SMTP_PYTHON` (the interpreter `infra/smtp.sh` prints),
//! unless `HARIM_REQUIRE_SMTP=1`.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

use std::{
    path::Path,
    process::Stdio,
    sync::{Arc, Mutex},
    time::Duration,
};

use harim_e2e::Server;
use reqwest::Method;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// A request the SMS server accepted: the form fields Kavenegar's `sms/send.json` takes.
type Sms = std::collections::BTreeMap<String, String>;

/// A local server with Kavenegar's request shape: `POST /v1/<key>/sms/send.json`, form fields
/// `receptor`, `sender`, `message`, `localid`; anything else is answered 400 and recorded as a
/// failure of the test.
async fn kavenegar(key: &'static str) -> (String, Arc<Mutex<Vec<Sms>>>, Arc<Mutex<Vec<String>>>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let seen = Arc::new(Mutex::new(Vec::new()));
    let wrong = Arc::new(Mutex::new(Vec::new()));
    let (s, w) = (seen.clone(), wrong.clone());
    tokio::spawn(async move {
        loop {
            let (mut sock, _) = listener.accept().await.unwrap();
            let (s, w) = (s.clone(), w.clone());
            tokio::spawn(async move {
                let mut buf = Vec::new();
                let mut chunk = [0u8; 4096];
                let (head_end, length) = loop {
                    let n = sock.read(&mut chunk).await.unwrap_or(0);
                    if n == 0 {
                        return;
                    }
                    buf.extend_from_slice(&chunk[..n]);
                    if let Some(i) = buf.windows(4).position(|x| x == b"\r\n\r\n") {
                        let head = String::from_utf8_lossy(&buf[..i]).to_lowercase();
                        let len = head
                            .lines()
                            .find_map(|l| l.strip_prefix("content-length:"))
                            .map_or(0, |v| v.trim().parse::<usize>().unwrap());
                        break (i + 4, len);
                    }
                };
                while buf.len() < head_end + length {
                    let n = sock.read(&mut chunk).await.unwrap_or(0);
                    if n == 0 {
                        break;
                    }
                    buf.extend_from_slice(&chunk[..n]);
                }
                let head = String::from_utf8_lossy(&buf[..head_end]).to_string();
                let first = head.lines().next().unwrap_or_default().to_string();
                let form: Sms =
                    url::form_urlencoded::parse(&buf[head_end..(head_end + length).min(buf.len())])
                        .into_owned()
                        .collect();
                let ok = first.starts_with(&format!("POST /v1/{key}/sms/send.json "))
                    && head
                        .to_lowercase()
                        .contains("content-type: application/x-www-form-urlencoded")
                    && ["receptor", "sender", "message", "localid"]
                        .iter()
                        .all(|k| form.contains_key(*k));
                let (status, body) = if ok {
                    let mut seen = s.lock().unwrap();
                    seen.push(form);
                    (
                        200,
                        format!(
                            r#"{{"return":{{"status":200,"message":"ok"}},"entries":[{{"messageid":{}}}]}}"#,
                            1000 + seen.len()
                        ),
                    )
                } else {
                    w.lock().unwrap().push(first);
                    (400, "{}".to_string())
                };
                let answer = format!(
                    "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = sock.write_all(answer.as_bytes()).await;
            });
        }
    });
    (base, seen, wrong)
}

fn harim(dir: &Path, smtp: u16, sms: &str, kill_at: Option<&str>) -> Server {
    let mut c = harim_e2e::harim_command("info");
    c.current_dir(dir)
        .stderr(Stdio::null())
        .env("HARIM_SMTP_URL", format!("smtp://127.0.0.1:{smtp}"))
        .env("HARIM_EMAIL_FROM", "Gol Sorkh <shop@golsorkh.example>")
        .env("HARIM_SMS_PROVIDER", "kavenegar")
        .env("HARIM_SMS_URL", sms)
        .env("HARIM_SMS_API_KEY", "TEST-KEY")
        .env("HARIM_SMS_SENDER", "10004346")
        .env("HARIM_SMS_INBOUND_TOKEN", "inbound-secret");
    if let Some(p) = kill_at {
        c.env("HARIM_TEST_KILL_AT", p);
    }
    Server::start(c)
}

async fn until(what: &str, mut done: impl FnMut() -> bool) {
    for _ in 0..100 {
        if done() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("timed out waiting for {what}");
}

fn marketing_settings() -> Value {
    let mut s = json!(harim_policy::examples::iranian_shop().0);
    s["notifications"]["marketing_sms"] = json!(true);
    s
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_gate_sends_exactly_the_allowed_messages_once_across_a_restart() {
    let Some(python) = harim_e2e::smtp::python() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let smtp = harim_e2e::smtp::Smtp::start(&python, dir.path());
    let (sms_url, sms, wrong) = kavenegar("TEST-KEY").await;

    // The first process dies right after the gate's transaction commits, before it answers.
    let s = harim(dir.path(), smtp.port, &sms_url, Some("notify.queued"));
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
    let (st, b) = s
        .call(
            Method::PUT,
            &format!("/v1/shops/{shop}/privacy-settings"),
            Some(&token),
            Some(marketing_settings()),
        )
        .await;
    assert_eq!(st, 200, "{b}");
    let (st, b) = s
        .call(
            Method::POST,
            &format!("/v1/shops/{shop}/policies"),
            Some(&token),
            Some(json!({})),
        )
        .await;
    assert_eq!(st, 201, "{b}");
    let (st, c) = s
        .call(
            Method::POST,
            &format!("/v1/shops/{shop}/customers"),
            Some(&token),
            Some(json!({"name": "Maryam Rezaei", "phone": "+989121234567",
                        "email": "maryam@example.ir", "locale": "fa"})),
        )
        .await;
    assert_eq!(st, 201, "{c}");
    let customer = c["id"].as_str().unwrap().to_string();
    let order_email = json!({"customer_id": customer, "channel": "email", "kind": "order",
        "template": "order_placed", "values": {"order_ref": "GS-1001"}, "request_id": "order-GS-1001-email"});
    let r = reqwest::Client::new()
        .post(format!("{}/v1/shops/{shop}/notifications", s.base))
        .bearer_auth(&token)
        .json(&order_email)
        .timeout(Duration::from_secs(10))
        .send()
        .await;
    assert!(r.is_err(), "the process answered: {r:?}");
    let mut s = s;
    let _ = s.child.wait();
    assert!(smtp.messages().is_empty(), "sent before the restart");

    // After the restart the queued message goes, once; the client's retry with the same
    // request id answers the same notification and sends nothing more.
    let s = harim(dir.path(), smtp.port, &sms_url, None);
    until("the queued e-mail", || smtp.messages().len() == 1).await;
    let (st, again) = s
        .call(
            Method::POST,
            &format!("/v1/shops/{shop}/notifications"),
            Some(&token),
            Some(order_email),
        )
        .await;
    assert_eq!(st, 202, "{again}");
    let mail = &smtp.messages()[0];
    assert!(mail.contains("To: maryam@example.ir"), "{mail}");
    assert!(mail.contains("shop@golsorkh.example"), "{mail}");

    // Marketing SMS: refused without consent, sent with it (with the opt-out line); an order
    // SMS goes without the line.
    let notifications = format!("/v1/shops/{shop}/notifications");
    let send = |body: Value| s.call(Method::POST, &notifications, Some(&token), Some(body));
    let marketing = json!({"customer_id": customer, "channel": "sms", "kind": "marketing",
        "template": "marketing", "values": {"text": "حراج شب یلدا: ۲۰٪ تخفیف"}});
    let (st, b) = send(marketing.clone()).await;
    assert_eq!((st, b["code"].as_str()), (409, Some("no-consent")), "{b}");
    let (st, b) = s
        .call(
            Method::POST,
            &format!("/v1/shops/{shop}/consents"),
            Some(&token),
            Some(
                json!({"customer_id": customer, "purpose": "marketing_sms", "state": "given",
                        "policy_version": 1, "language": "fa", "collection": "checkout"}),
            ),
        )
        .await;
    assert_eq!(st, 201, "{b}");
    // The consent receipt verifies offline, with the served keys only.
    std::fs::write(dir.path().join("receipt.json"), b["receipt"].to_string()).unwrap();
    let (_, keys) = s
        .call(Method::GET, "/.well-known/harim/receipt-keys", None, None)
        .await;
    std::fs::write(dir.path().join("keys.json"), keys.to_string()).unwrap();
    let out = harim_e2e::harim_command("warn")
        .current_dir(dir.path())
        .args(["receipts", "verify", "receipt.json", "--keys", "keys.json"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let (st, m) = send(marketing.clone()).await;
    assert_eq!(st, 202, "{m}");
    let (st, o) = send(
        json!({"customer_id": customer, "channel": "sms", "kind": "order",
        "template": "order_shipped", "values": {"order_ref": "GS-1001"}}),
    )
    .await;
    assert_eq!(st, 202, "{o}");
    until("two SMS", || sms.lock().unwrap().len() == 2).await;
    let got = sms.lock().unwrap().clone();
    let marketing_sms = got
        .iter()
        .find(|f| f["localid"] == m["id"].as_str().unwrap())
        .expect("the marketing SMS, by its outbox id");
    assert_eq!(marketing_sms["receptor"], "989121234567");
    assert_eq!(marketing_sms["sender"], "10004346");
    assert!(
        marketing_sms["message"].ends_with("لغو۱۱"),
        "{marketing_sms:?}"
    );
    let order_sms = got
        .iter()
        .find(|f| f["localid"] == o["id"].as_str().unwrap())
        .unwrap();
    assert!(!order_sms["message"].contains("لغو۱۱"), "{order_sms:?}");
    assert!(order_sms["message"].contains("GS-1001"));

    // "لغو۱۱" from the customer's phone: marketing stops at once.
    let wrong_token = reqwest::Client::new()
        .post(format!("{}/v1/hooks/sms/kavenegar?token=wrong", s.base))
        .form(&[("from", "09121234567"), ("message", "لغو۱۱")])
        .send()
        .await
        .unwrap();
    assert_eq!(wrong_token.status(), 401);
    let r = reqwest::Client::new()
        .post(format!(
            "{}/v1/hooks/sms/kavenegar?token=inbound-secret",
            s.base
        ))
        .form(&[
            ("from", "09121234567"),
            ("message", "لغو ۱۱"),
            ("to", "10004346"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let (st, b) = send(marketing).await;
    assert_eq!(st, 409, "{b}");
    assert!(
        b["code"] == "suppressed" || b["code"] == "no-consent",
        "{b}"
    );

    // Nothing more arrives, and nothing arrived in a wrong shape.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(smtp.messages().len(), 1, "e-mail sent twice");
    assert_eq!(
        sms.lock().unwrap().len(),
        2,
        "SMS sent twice or refused sent"
    );
    assert!(
        wrong.lock().unwrap().is_empty(),
        "{:?}",
        wrong.lock().unwrap()
    );
    let (st, n) = s
        .call(
            Method::GET,
            &format!(
                "/v1/shops/{shop}/notifications/{}",
                m["id"].as_str().unwrap()
            ),
            Some(&token),
            None,
        )
        .await;
    assert_eq!(st, 200);
    assert_eq!(n["state"], "sent", "{n}");
    assert_eq!(
        n["provider_message_id"].as_str().map(|s| !s.is_empty()),
        Some(true)
    );
}
