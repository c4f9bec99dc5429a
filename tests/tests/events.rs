//! Privacy events end to end, against the real binary: a receiver on this host gets the events
//! of a publish, a consent and an erasure; their signatures are checked by the Standard Webhooks
//! reference library for Python (`standardwebhooks`, PyPI, from `infra/webhooks.sh`), not by
//! harim's own code; a tampered body fails that check; a process killed before it delivers loses
//! nothing (the event was written with the change); an endpoint that is down gets the event
//! when it is back.
//!
//! Skips (with a message) without `HARIM_WEBHOOKS_PYTHON`, unless `HARIM_REQUIRE_WEBHOOKS=1`.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

use std::{path::Path, process::Stdio, sync::atomic::Ordering, time::Duration};

use harim_e2e::Server;
use reqwest::Method;
use serde_json::{Value, json};

/// The reference library's verdict on one delivery.
fn verified_by_the_reference_library(
    python: &str,
    dir: &Path,
    secret: &str,
    headers: &[(String, String)],
    body: &[u8],
) -> bool {
    std::fs::write(dir.join("body"), body).unwrap();
    let h: serde_json::Map<String, Value> = headers
        .iter()
        .filter(|(k, _)| k.starts_with("webhook-"))
        .map(|(k, v)| (k.clone(), json!(v)))
        .collect();
    std::fs::write(dir.join("headers.json"), Value::Object(h).to_string()).unwrap();
    let script = "import json, sys\n\
from standardwebhooks.webhooks import Webhook\n\
body = open(sys.argv[2], 'rb').read()\n\
headers = json.load(open(sys.argv[3]))\n\
Webhook(sys.argv[1]).verify(body, headers)\n\
print('verified')\n";
    let out = std::process::Command::new(python)
        .args(["-c", script, secret])
        .arg(dir.join("body"))
        .arg(dir.join("headers.json"))
        .output()
        .unwrap();
    out.status.success() && String::from_utf8_lossy(&out.stdout).contains("verified")
}

fn harim(dir: &Path, kill_at: Option<&str>) -> Server {
    let mut c = harim_e2e::harim_command("info");
    c.current_dir(dir).stderr(Stdio::null());
    if let Some(p) = kill_at {
        c.env("HARIM_TEST_KILL_AT", p);
    }
    Server::start(c)
}

async fn until(what: &str, secs: u64, mut done: impl FnMut() -> bool) {
    for _ in 0..secs * 10 {
        if done() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("timed out waiting for {what}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_are_signed_for_any_standard_webhooks_library_and_never_lost() {
    let Ok(python) = std::env::var("HARIM_WEBHOOKS_PYTHON") else {
        if std::env::var("HARIM_REQUIRE_WEBHOOKS").as_deref() == Ok("1") {
            panic!(
                "HARIM_WEBHOOKS_PYTHON is unset and HARIM_REQUIRE_WEBHOOKS=1 (run infra/webhooks.sh)"
            );
        }
        eprintln!("SKIP: HARIM_WEBHOOKS_PYTHON unset; run infra/webhooks.sh to enable this test");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let (url, status, seen) = harim_e2e::receiver::start().await;

    // The first process dies when it is about to deliver its first event.
    let s = harim(dir.path(), Some("events.before_delivery"));
    let admin = {
        let out = harim_e2e::harim_command("warn")
            .current_dir(dir.path())
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
    };
    let (st, ep) = s
        .call(
            Method::POST,
            "/v1/admin/webhook-endpoints",
            Some(&admin),
            Some(json!({"url": url, "topics": ["policy.published", "consent.changed", "customer.redact"]})),
        )
        .await;
    assert_eq!(st, 201, "{ep}");
    let secret = ep["secret"].as_str().unwrap().to_string();
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
            Some(json!(harim_policy::examples::iranian_shop().0)),
        )
        .await;
    assert_eq!(st, 200, "{b}");
    // The publish commits with its event; the delivery of it kills the process.
    let _ = reqwest::Client::new()
        .post(format!("{}/v1/shops/{shop}/policies", s.base))
        .bearer_auth(&token)
        .timeout(Duration::from_secs(5))
        .send()
        .await;
    let mut s = s;
    for _ in 0..50 {
        if s.child.try_wait().unwrap().is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        s.child.try_wait().unwrap().is_some(),
        "the process did not die"
    );
    assert!(seen.lock().unwrap().is_empty());

    // Restarted: the event was not lost; it arrives, once.
    let s = harim(dir.path(), None);
    until("the policy.published event", 10, || {
        seen.lock().unwrap().len() == 1
    })
    .await;

    // The endpoint goes down; a consent's event waits and arrives when it is back (first retry
    // after 10 s).
    status.store(503, Ordering::SeqCst);
    let (st, c) = s
        .call(
            Method::POST,
            &format!("/v1/shops/{shop}/customers"),
            Some(&token),
            Some(json!({"name": "Maryam Rezaei", "phone": "+989121234567"})),
        )
        .await;
    assert_eq!(st, 201, "{c}");
    let customer = c["id"].as_str().unwrap().to_string();
    let (st, b) = s
        .call(
            Method::POST,
            &format!("/v1/shops/{shop}/consents"),
            Some(&token),
            Some(
                json!({"customer_id": customer, "purpose": "order_sms", "state": "given",
                        "policy_version": 1, "language": "fa", "collection": "checkout"}),
            ),
        )
        .await;
    assert_eq!(st, 201, "{b}");
    tokio::time::sleep(Duration::from_millis(1500)).await;
    status.store(200, Ordering::SeqCst);
    until(
        "the consent.changed event after the endpoint is back",
        20,
        || seen.lock().unwrap().len() == 2,
    )
    .await;
    let (st, b) = s
        .call(
            Method::DELETE,
            &format!("/v1/shops/{shop}/customers/{customer}"),
            Some(&token),
            None,
        )
        .await;
    assert_eq!(st, 202, "{b}");
    until("the customer.redact event", 10, || {
        seen.lock().unwrap().len() == 3
    })
    .await;

    // Every delivery verifies with the reference library; a changed byte does not.
    let got = seen.lock().unwrap().clone();
    let topics: Vec<String> = got
        .iter()
        .map(|(_, b)| {
            serde_json::from_slice::<Value>(b).unwrap()["topic"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    assert_eq!(
        topics,
        ["policy.published", "consent.changed", "customer.redact"]
    );
    for (headers, body) in &got {
        assert!(
            verified_by_the_reference_library(&python, dir.path(), &secret, headers, body),
            "standardwebhooks refused harim's signature"
        );
    }
    let (headers, body) = &got[2];
    let mut tampered = body.clone();
    let at = tampered.len() / 2;
    tampered[at] ^= 1;
    assert!(!verified_by_the_reference_library(
        &python,
        dir.path(),
        &secret,
        headers,
        &tampered
    ));
    let (st, deliveries) = s
        .call(
            Method::GET,
            &format!(
                "/v1/admin/webhook-endpoints/{}/deliveries",
                ep["id"].as_str().unwrap()
            ),
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(st, 200);
    let d = deliveries.as_array().unwrap();
    assert_eq!(d.len(), 3);
    assert!(d.iter().all(|d| d["state"] == "delivered"), "{deliveries}");
}
