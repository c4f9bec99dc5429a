//! A customer erasure killed with SIGKILL in the middle of its transaction, against the real
//! binary on the embedded default: after the restart the customer is whole (every field reveals
//! as it was), never half; erased again, they are unreadable (every route 404) and the receipt
//! verifies offline with `harim receipts verify`.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

use std::{
    path::Path,
    process::{Command, Stdio},
    time::Duration,
};

use harim_e2e::Server;
use reqwest::Method;
use serde_json::json;

fn harim(dir: &Path) -> Command {
    let mut c = harim_e2e::harim_command("info");
    c.current_dir(dir);
    c
}

fn start(dir: &Path, kill_at: Option<&str>) -> Server {
    let mut cmd = harim(dir);
    cmd.stderr(Stdio::null());
    if let Some(point) = kill_at {
        cmd.env("HARIM_TEST_KILL_AT", point);
    }
    Server::start(cmd)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_customer_erasure_killed_mid_transaction_leaves_the_customer_whole() {
    let dir = tempfile::tempdir().unwrap();
    let s = start(dir.path(), Some("customers.erase.after_key"));
    let token = harim_e2e::sign_up(&s.base, "shop@example.com").await;
    let (st, shop) = s
        .call(
            Method::POST,
            "/v1/shops",
            Some(&token),
            Some(json!({"name": "Golsorkh", "slug": "golsorkh", "default_locale": "fa"})),
        )
        .await;
    assert_eq!(st, 201, "{shop}");
    let shop = shop["id"].as_str().unwrap().to_string();
    let (st, c) = s
        .call(
            Method::POST,
            &format!("/v1/shops/{shop}/customers"),
            Some(&token),
            Some(json!({"name": "Maryam Rezaei", "phone": "09121234567",
                "addresses": [{"line": "No. 4, Golestan St.", "city": "Tehran",
                               "postal_code": "1417614418", "country": "IR"}]})),
        )
        .await;
    assert_eq!(st, 201, "{c}");
    let id = c["id"].as_str().unwrap().to_string();

    // The erasure dies after deleting the key, before its transaction commits.
    let mut s = s;
    let erase = reqwest::Client::new()
        .delete(format!("{}/v1/shops/{shop}/customers/{id}", s.base))
        .bearer_auth(&token)
        .timeout(Duration::from_secs(10))
        .send()
        .await;
    assert!(erase.is_err(), "the erasure answered: {erase:?}");
    for _ in 0..50 {
        if s.child.try_wait().unwrap().is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    {
        use std::os::unix::process::ExitStatusExt;
        assert_eq!(
            s.child.wait().unwrap().signal(),
            Some(9),
            "killed by SIGKILL"
        );
    }
    drop(s);

    // Restarted: the customer is whole.
    let s = start(dir.path(), None);
    let reveal = json!({"fields": ["name", "phone", "addresses"], "purpose": "support"});
    let (st, r) = s
        .call(
            Method::POST,
            &format!("/v1/shops/{shop}/customers/{id}/reveal"),
            Some(&token),
            Some(reveal.clone()),
        )
        .await;
    assert_eq!(st, 200, "{r}");
    assert_eq!(r["fields"]["name"], "Maryam Rezaei");
    assert_eq!(r["fields"]["phone"], "+989121234567");
    assert_eq!(r["fields"]["addresses"][0]["postal_code"], "1417614418");

    // Erased for real: unreadable, and the receipt verifies offline.
    let (st, receipt) = s
        .call(
            Method::DELETE,
            &format!("/v1/shops/{shop}/customers/{id}"),
            Some(&token),
            None,
        )
        .await;
    assert_eq!(st, 202, "{receipt}");
    let (st, r) = s
        .call(
            Method::POST,
            &format!("/v1/shops/{shop}/customers/{id}/reveal"),
            Some(&token),
            Some(reveal),
        )
        .await;
    assert_eq!(st, 404, "{r}");
    std::fs::write(dir.path().join("receipt.json"), receipt.to_string()).unwrap();
    let out = harim(dir.path())
        .args(["receipts", "verify", "receipt.json"])
        .output()
        .unwrap();
    harim_e2e::assert_success(&out);
}
