//! The SMS adapters against local servers that check each request as Kavenegar's and
//! Unifonic's APIs would: path, method, form fields, and that the answer's message id is read.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

use std::collections::BTreeMap;

use harim_notify::{
    Channel, Outgoing, Provider, SendError,
    providers::{Kavenegar, Unifonic},
};
use secrecy::SecretString;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// One request as the server saw it.
#[derive(Debug)]
struct Seen {
    method: String,
    path: String,
    content_type: String,
    form: BTreeMap<String, String>,
}

/// Serves one request on a free port: answers `status` with `body`, hands back what it saw.
async fn one_request(status: u16, body: &'static str) -> (String, tokio::task::JoinHandle<Seen>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let task = tokio::spawn(async move {
        let (mut sock, _) = listener.accept().await.unwrap();
        let mut buf = Vec::new();
        let mut chunk = [0u8; 4096];
        let (head_end, length) = loop {
            let n = sock.read(&mut chunk).await.unwrap();
            buf.extend_from_slice(&chunk[..n]);
            if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                let head = String::from_utf8_lossy(&buf[..i]).to_lowercase();
                let length = head
                    .lines()
                    .find_map(|l| l.strip_prefix("content-length:"))
                    .map(|v| v.trim().parse::<usize>().unwrap())
                    .unwrap_or(0);
                break (i + 4, length);
            }
        };
        while buf.len() < head_end + length {
            let n = sock.read(&mut chunk).await.unwrap();
            buf.extend_from_slice(&chunk[..n]);
        }
        let head = String::from_utf8_lossy(&buf[..head_end]).to_string();
        let mut lines = head.lines();
        let mut first = lines.next().unwrap().split(' ');
        let method = first.next().unwrap().to_string();
        let path = first.next().unwrap().to_string();
        let content_type = lines
            .find_map(|l| {
                l.to_lowercase()
                    .strip_prefix("content-type:")
                    .map(|v| v.trim().to_string())
            })
            .unwrap_or_default();
        let form = url::form_urlencoded::parse(&buf[head_end..head_end + length])
            .into_owned()
            .collect();
        let answer = format!(
            "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
            body.len()
        );
        sock.write_all(answer.as_bytes()).await.unwrap();
        Seen {
            method,
            path,
            content_type,
            form,
        }
    });
    (base, task)
}

fn message() -> Outgoing {
    Outgoing {
        id: "0b9f3c1e-0000-4000-8000-000000000001".into(),
        channel: Channel::Sms,
        to: SecretString::from("+989121234567"),
        from: "10004346".into(),
        subject: None,
        body: SecretString::from("گل سرخ: حراج یلدا\nلغو۱۱"),
    }
}

#[tokio::test]
async fn kavenegar_gets_its_form_with_the_key_in_the_path_and_the_outbox_id_as_localid() {
    let (base, seen) = one_request(
        200,
        r#"{"return":{"status":200,"message":"تایید شد"},"entries":[{"messageid":8792343,"status":1}]}"#,
    )
    .await;
    let k = Kavenegar::new(&base, SecretString::from("KEY-123")).unwrap();
    let id = k.send(&message()).await.unwrap();
    assert_eq!(id, "8792343");
    let seen = seen.await.unwrap();
    assert_eq!(seen.method, "POST");
    assert_eq!(seen.path, "/v1/KEY-123/sms/send.json");
    assert!(
        seen.content_type
            .starts_with("application/x-www-form-urlencoded")
    );
    assert_eq!(seen.form["receptor"], "989121234567");
    assert_eq!(seen.form["sender"], "10004346");
    assert_eq!(seen.form["message"], "گل سرخ: حراج یلدا\nلغو۱۱");
    assert_eq!(seen.form["localid"], "0b9f3c1e-0000-4000-8000-000000000001");
}

#[tokio::test]
async fn unifonic_gets_its_form_and_its_message_id_is_read() {
    let (base, seen) = one_request(
        200,
        r#"{"success":true,"message":"","errorCode":"ER-00","data":{"MessageID":"42117","Status":"Sent"}}"#,
    )
    .await;
    let u = Unifonic::new(&base, SecretString::from("APPSID-9")).unwrap();
    let mut m = message();
    m.to = SecretString::from("+966501234567");
    m.from = "GolSorkh-AD".into();
    assert_eq!(u.send(&m).await.unwrap(), "42117");
    let seen = seen.await.unwrap();
    assert_eq!(seen.method, "POST");
    assert_eq!(seen.path, "/rest/SMS/messages");
    assert_eq!(seen.form["AppSid"], "APPSID-9");
    assert_eq!(seen.form["SenderID"], "GolSorkh-AD");
    assert_eq!(seen.form["Recipient"], "966501234567");
    assert_eq!(
        seen.form["CorrelationID"],
        "0b9f3c1e-0000-4000-8000-000000000001"
    );
}

#[tokio::test]
async fn a_server_error_is_temporary_a_refusal_permanent_and_neither_names_the_key() {
    let (base, _) = one_request(503, "{}").await;
    let k = Kavenegar::new(&base, SecretString::from("KEY-SECRET")).unwrap();
    match k.send(&message()).await {
        Err(SendError::Temporary(e)) => assert!(!e.contains("KEY-SECRET"), "{e}"),
        other => panic!("{other:?}"),
    }
    let (base, _) = one_request(200, r#"{"success":false,"errorCode":"ER-01"}"#).await;
    let u = Unifonic::new(&base, SecretString::from("APPSID-9")).unwrap();
    assert!(matches!(
        u.send(&message()).await,
        Err(SendError::Permanent(_))
    ));
    // Nothing listens: unreachable is temporary, and the URL (with the key) is not in the text.
    let k = Kavenegar::new("http://127.0.0.1:9", SecretString::from("KEY-SECRET")).unwrap();
    match k.send(&message()).await {
        Err(SendError::Temporary(e)) => assert!(!e.contains("KEY-SECRET"), "{e}"),
        other => panic!("{other:?}"),
    }
}
