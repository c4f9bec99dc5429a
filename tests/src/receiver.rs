//! An HTTP receiver on this host for the platform's other systems' side of privacy events: it
//! records every request (headers with lower-case names, body) and answers the status it is
//! told (200 until changed; only 200s are recorded).
#![allow(clippy::unwrap_used, clippy::expect_used)] // test support: fail loudly

use std::sync::{
    Arc, Mutex,
    atomic::{AtomicU16, Ordering},
};

use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// One request the receiver accepted.
pub type Request = (Vec<(String, String)>, Vec<u8>);
/// What the receiver accepted so far.
pub type Seen = Arc<Mutex<Vec<Request>>>;

/// Starts a receiver; answers its URL, the status it answers, and what it saw.
pub async fn start() -> (String, Arc<AtomicU16>, Seen) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/privacy-events", listener.local_addr().unwrap());
    let status = Arc::new(AtomicU16::new(200));
    let seen: Seen = Arc::new(Mutex::new(Vec::new()));
    let (st, sn) = (status.clone(), seen.clone());
    tokio::spawn(async move {
        loop {
            let (mut sock, _) = listener.accept().await.unwrap();
            let (st, sn) = (st.clone(), sn.clone());
            tokio::spawn(async move {
                let mut buf = Vec::new();
                let mut chunk = [0u8; 8192];
                let (end, len) = loop {
                    let n = sock.read(&mut chunk).await.unwrap_or(0);
                    if n == 0 {
                        return;
                    }
                    buf.extend_from_slice(&chunk[..n]);
                    if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                        let head = String::from_utf8_lossy(&buf[..i]).to_lowercase();
                        let len = head
                            .lines()
                            .find_map(|l| l.strip_prefix("content-length:"))
                            .map_or(0, |v| v.trim().parse::<usize>().unwrap());
                        break (i + 4, len);
                    }
                };
                while buf.len() < end + len {
                    let n = sock.read(&mut chunk).await.unwrap_or(0);
                    if n == 0 {
                        break;
                    }
                    buf.extend_from_slice(&chunk[..n]);
                }
                let headers = String::from_utf8_lossy(&buf[..end])
                    .lines()
                    .skip(1)
                    .filter_map(|l| l.split_once(':'))
                    .map(|(k, v)| (k.trim().to_lowercase(), v.trim().to_string()))
                    .collect();
                let code = st.load(Ordering::SeqCst);
                if code == 200 {
                    sn.lock()
                        .unwrap()
                        .push((headers, buf[end..end + len].to_vec()));
                }
                let answer =
                    format!("HTTP/1.1 {code} X\r\ncontent-length: 0\r\nconnection: close\r\n\r\n");
                let _ = sock.write_all(answer.as_bytes()).await;
            });
        }
    });
    (url, status, seen)
}
