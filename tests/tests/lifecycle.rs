//! Graceful life cycle of `harim serve`, from outside: SIGTERM while an upload is half sent. The
//! listener stops taking connections at once, the upload in flight still finishes (201), and
//! the process exits 0.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

use std::{
    io::{BufRead, BufReader, Read, Write},
    net::TcpStream,
    process::{Child, Stdio},
    time::{Duration, Instant},
};

use serde_json::{Value, json};

const PDF: &[u8] = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n2 0 obj\n<< /Type /Pages /Kids [] /Count 0 >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n";

struct Server {
    child: Child,
    base: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn post(base: &str, path: &str, token: Option<&str>, body: Value) -> (u16, Value) {
    let mut req = reqwest::Client::new()
        .post(format!("{base}{path}"))
        .json(&body);
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    let resp = req.send().await.unwrap();
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn sigterm_stops_accepting_finishes_the_request_in_flight_and_exits_zero() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = harim_e2e::harim_command("warn")
        .current_dir(dir.path())
        .args(["serve", "--listen", "127.0.0.1:0"])
        .env("HARIM_SHUTDOWN_GRACE_SECS", "20")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let base = line
        .trim()
        .strip_prefix("harim listening on ")
        .unwrap()
        .to_string();
    let mut s = Server { child, base };
    let creds = json!({"email": "drain@example.ir", "password": "correct horse battery staple"});
    assert_eq!(
        post(&s.base, "/v1/accounts", None, creds.clone()).await.0,
        201
    );
    let (_, b) = post(&s.base, "/v1/sessions", None, creds).await;
    let token = b["token"].as_str().unwrap().to_string();
    let (st, b) = post(
        &s.base,
        "/v1/shops",
        Some(&token),
        json!({"name": "Drain", "slug": "drain-shop", "default_locale": "fa"}),
    )
    .await;
    assert_eq!(st, 201, "{b}");
    let shop = b["id"].as_str().unwrap().to_string();

    // Half an upload, on a raw connection so the rest can be sent after the signal.
    let addr = s.base.trim_start_matches("http://").to_string();
    let mut conn = TcpStream::connect(&addr).unwrap();
    conn.set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    write!(
        conn,
        "POST /v1/shops/{shop}/kyc/documents?kind=business_license HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\nContent-Type: application/pdf\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        PDF.len()
    )
    .unwrap();
    let (first, rest) = PDF.split_at(PDF.len() / 2);
    conn.write_all(first).unwrap();
    conn.flush().unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;

    let pid = s.child.id().to_string();
    let killed = std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap();
    assert!(killed.success());

    // No new connection is taken once draining started.
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        if TcpStream::connect(&addr).is_err() {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "still accepting connections 5 s after SIGTERM"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(
        s.child.try_wait().unwrap().is_none(),
        "exited with a request in flight"
    );

    // The request in flight completes.
    conn.write_all(rest).unwrap();
    let mut answer = String::new();
    conn.read_to_string(&mut answer).unwrap();
    assert!(answer.starts_with("HTTP/1.1 201"), "{answer}");

    // And the process exits 0 soon after.
    let deadline = Instant::now() + Duration::from_secs(20);
    let status = loop {
        if let Some(st) = s.child.try_wait().unwrap() {
            break st;
        }
        assert!(Instant::now() < deadline, "did not exit after draining");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(status.success(), "{status:?}");
}
