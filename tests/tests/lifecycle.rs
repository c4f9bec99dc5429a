//! Graceful life cycle of `harim serve`, from outside: SIGTERM while an upload is half sent. The
//! listener stops taking connections at once, the upload in flight still finishes (201), and
//! the process exits 0.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

use std::{
    io::{Read, Write},
    net::TcpStream,
    process::Stdio,
    time::{Duration, Instant},
};

use serde_json::json;

const PDF: &[u8] = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n2 0 obj\n<< /Type /Pages /Kids [] /Count 0 >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n";

#[tokio::test]
async fn sigterm_stops_accepting_finishes_the_request_in_flight_and_exits_zero() {
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = harim_e2e::harim_command("warn");
    cmd.current_dir(dir.path())
        .env("HARIM_SHUTDOWN_GRACE_SECS", "20")
        .stderr(Stdio::null());
    let mut s = harim_e2e::Server::start(cmd);
    let token = harim_e2e::sign_up(&s.base, "drain@example.ir").await;
    let (st, b) = s
        .call(
            reqwest::Method::POST,
            "/v1/shops",
            Some(&token),
            Some(json!({"name": "Drain", "slug": "drain-shop", "default_locale": "fa"})),
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
