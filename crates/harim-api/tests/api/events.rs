//! Privacy events: an endpoint registered by an admin gets the events of the changes that cause
//! them (policy published, consent changed, customer erased), signed as Standard Webhooks says,
//! naming subjects by opaque ids only; an endpoint that is down gets them when it is back; the
//! last failed try dead-letters; a replay sends again.

use std::sync::{
    Arc, Mutex,
    atomic::{AtomicU16, Ordering},
};

use axum::http::{Method, StatusCode};
use harim_store::roles::PlatformRole;
use secrecy::SecretString;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::{db_test, helpers::TestApp};

/// One request the receiver saw: its headers (lower-case names) and body.
#[derive(Debug, Clone)]
pub struct Seen {
    pub headers: std::collections::BTreeMap<String, String>,
    pub body: Vec<u8>,
}

/// A receiver on a free port answering `status` (changeable); what it saw.
pub async fn receiver() -> (String, Arc<AtomicU16>, Arc<Mutex<Vec<Seen>>>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hooks/harim", listener.local_addr().unwrap());
    let status = Arc::new(AtomicU16::new(200));
    let seen = Arc::new(Mutex::new(Vec::new()));
    let (st, sn) = (status.clone(), seen.clone());
    tokio::spawn(async move {
        loop {
            let Ok((mut sock, _)) = listener.accept().await else {
                return;
            };
            let (st, sn) = (st.clone(), sn.clone());
            tokio::spawn(async move {
                let mut buf = Vec::new();
                let mut chunk = [0u8; 8192];
                let (head_end, len) = loop {
                    let n = sock.read(&mut chunk).await.unwrap_or(0);
                    if n == 0 {
                        return;
                    }
                    buf.extend_from_slice(&chunk[..n]);
                    if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                        let head = String::from_utf8_lossy(&buf[..i]).to_string();
                        let len = head
                            .lines()
                            .find_map(|l| {
                                l.to_lowercase()
                                    .strip_prefix("content-length:")
                                    .map(|v| v.trim().parse::<usize>().unwrap())
                            })
                            .unwrap_or(0);
                        break (i + 4, len);
                    }
                };
                while buf.len() < head_end + len {
                    let n = sock.read(&mut chunk).await.unwrap_or(0);
                    if n == 0 {
                        break;
                    }
                    buf.extend_from_slice(&chunk[..n]);
                }
                let head = String::from_utf8_lossy(&buf[..head_end]).to_string();
                let headers = head
                    .lines()
                    .skip(1)
                    .filter_map(|l| l.split_once(':'))
                    .map(|(k, v)| (k.trim().to_lowercase(), v.trim().to_string()))
                    .collect();
                let code = st.load(Ordering::SeqCst);
                if code == 200 {
                    sn.lock().unwrap().push(Seen {
                        headers,
                        body: buf[head_end..head_end + len].to_vec(),
                    });
                }
                let answer =
                    format!("HTTP/1.1 {code} X\r\ncontent-length: 0\r\nconnection: close\r\n\r\n");
                let _ = sock.write_all(answer.as_bytes()).await;
            });
        }
    });
    (url, status, seen)
}

async fn deliver(app: &TestApp) -> usize {
    harim_store::privacy_events::run_deliveries(&app.db, &app.vault, &app.state.webhooks, 100)
        .await
        .unwrap()
}

db_test!(
    events_reach_an_endpoint_signed_by_opaque_ids_and_survive_its_downtime,
    |app: TestApp| async move {
        let admin = app.platform_token(PlatformRole::Admin).await;
        let (url, status, seen) = receiver().await;
        // Bad endpoints are named.
        for (body, field) in [
            (
                json!({"url": "ftp://example.com/x", "topics": ["shop.redact"]}),
                "url",
            ),
            (
                json!({"url": "http://example.com/x", "topics": ["shop.redact"]}),
                "url",
            ),
            (json!({"url": url, "topics": []}), "topics"),
            (
                json!({"url": url, "topics": ["customer.deleted"]}),
                "topics[0]",
            ),
        ] {
            let r = app
                .post("/v1/admin/webhook-endpoints", Some(&admin), body)
                .await;
            r.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation");
            assert!(
                r.json["errors"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|e| e["field"] == field),
                "{:?}",
                r.json
            );
        }
        let r = app
            .post(
                "/v1/admin/webhook-endpoints",
                Some(&admin),
                json!({"url": url, "topics": ["policy.published", "consent.changed", "customer.redact"]}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.json);
        let secret = SecretString::from(r.json["secret"].as_str().unwrap().to_string());
        assert!(r.json["secret"].as_str().unwrap().starts_with("whsec_"));
        let endpoint = r.json["id"].as_str().unwrap().to_string();
        let listed = app.get("/v1/admin/webhook-endpoints", &admin).await;
        assert!(
            !listed.json.to_string().contains("whsec_"),
            "the secret is shown again"
        );

        // Three changes that emit: a publish, a consent, an erasure.
        let (owner, shop) = app.merchant("events").await;
        crate::policies::put_and_publish(&app, &owner, &shop, crate::consent::marketing_settings())
            .await;
        let c = app
            .post(
                &format!("/v1/shops/{shop}/customers"),
                Some(&owner),
                crate::customers::sample(),
            )
            .await
            .json["id"]
            .as_str()
            .unwrap()
            .to_string();
        let r = app
            .post(
                &format!("/v1/shops/{shop}/customers/{c}/orders"),
                Some(&owner),
                crate::customers::sample_order(),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.json);
        let r = app
            .post(
                &format!("/v1/shops/{shop}/consents"),
                Some(&owner),
                json!({"customer_id": c, "purpose": "marketing_sms", "state": "given",
                       "policy_version": 1, "language": "fa", "collection": "checkout"}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.json);
        let r = app
            .call(
                Method::DELETE,
                &format!("/v1/shops/{shop}/customers/{c}"),
                Some(&owner),
                None,
            )
            .await;
        assert_eq!(r.status, StatusCode::ACCEPTED, "{:?}", r.json);
        assert_eq!(deliver(&app).await, 3);
        assert_eq!(deliver(&app).await, 0, "delivered twice");
        let got = seen.lock().unwrap().clone();
        assert_eq!(got.len(), 3);
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        let mut topics = Vec::new();
        for s in &got {
            let id = &s.headers["webhook-id"];
            let ts: i64 = s.headers["webhook-timestamp"].parse().unwrap();
            assert!(harim_notify::webhooks::verify(
                &secret,
                id,
                ts,
                &s.body,
                &s.headers["webhook-signature"],
                now,
                300
            ));
            let v: Value = serde_json::from_slice(&s.body).unwrap();
            assert_eq!(&v["event_id"], id.as_str());
            assert_eq!(v["shop_id"], shop.as_str());
            topics.push(v["topic"].as_str().unwrap().to_string());
            let text = String::from_utf8_lossy(&s.body);
            for pii in [
                "9121234567",
                "Maryam",
                "example.ir",
                "Golestan",
                "1417614418",
            ] {
                assert!(!text.contains(pii), "{pii} in an event: {text}");
            }
        }
        // Deliveries go out concurrently: no order is promised (`occurred_at` tells it).
        topics.sort();
        assert_eq!(
            topics,
            ["consent.changed", "customer.redact", "policy.published"]
        );
        let redact: Value = got
            .iter()
            .map(|s| serde_json::from_slice::<Value>(&s.body).unwrap())
            .find(|v| v["topic"] == "customer.redact")
            .unwrap();
        assert_eq!(redact["data"]["customer_id"], c.as_str());
        assert_eq!(redact["data"]["orders_to_redact"], json!(["ORD-2026-0042"]));
        assert!(redact["due_at"].is_string() && redact["request_id"].is_string());

        // Down: the next event waits and goes when the endpoint is back.
        status.store(503, Ordering::SeqCst);
        let c2 = app
            .post(
                &format!("/v1/shops/{shop}/customers"),
                Some(&owner),
                crate::customers::sample(),
            )
            .await
            .json["id"]
            .as_str()
            .unwrap()
            .to_string();
        let r = app
            .post(
                &format!("/v1/shops/{shop}/consents"),
                Some(&owner),
                json!({"customer_id": c2, "purpose": "analytics", "state": "refused",
                       "policy_version": 1, "language": "fa", "collection": "api"}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED);
        assert_eq!(deliver(&app).await, 0);
        let d = app
            .get(
                &format!("/v1/admin/webhook-endpoints/{endpoint}/deliveries"),
                &admin,
            )
            .await;
        assert_eq!(d.status, StatusCode::OK, "{:?}", d.json);
        let pending = d
            .json
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["state"] == "pending")
            .unwrap()
            .clone();
        assert_eq!(pending["attempts"], 1);
        assert_eq!(pending["last_status"], 503);
        status.store(200, Ordering::SeqCst);
        app.exec(
            "UPDATE event_deliveries SET next_attempt_at = $1",
            [(time::OffsetDateTime::now_utc() - time::Duration::seconds(1)).into()],
        )
        .await;
        assert_eq!(deliver(&app).await, 1);
        assert_eq!(seen.lock().unwrap().len(), 4);

        // The last try fails: dead-lettered; a replay sends it.
        status.store(500, Ordering::SeqCst);
        let r = app
            .post(
                &format!("/v1/shops/{shop}/consents"),
                Some(&owner),
                json!({"customer_id": c2, "purpose": "analytics", "state": "given",
                       "policy_version": 1, "language": "fa", "collection": "api"}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED);
        app.exec(
            "UPDATE event_deliveries SET attempts = 7 WHERE state = 'pending'",
            [],
        )
        .await;
        assert_eq!(deliver(&app).await, 0);
        assert_eq!(
            app.count(
                "SELECT COUNT(*) AS n FROM event_deliveries WHERE state = 'dead'",
                []
            )
            .await,
            1
        );
        status.store(200, Ordering::SeqCst);
        let r = app
            .post(
                &format!("/v1/admin/webhook-endpoints/{endpoint}/replay"),
                Some(&admin),
                json!({}),
            )
            .await;
        assert_eq!(r.status, StatusCode::ACCEPTED, "{:?}", r.json);
        assert_eq!(r.json["replayed"], 1);
        assert_eq!(deliver(&app).await, 1);
        assert_eq!(seen.lock().unwrap().len(), 5);
        // A merchant cannot register, list or replay.
        let r = app
            .post(
                "/v1/admin/webhook-endpoints",
                Some(&owner),
                json!({"url": url, "topics": ["shop.redact"]}),
            )
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{:?}", r.json);
    }
);

db_test!(no_endpoint_no_event_rows, |app: TestApp| async move {
    let (owner, shop) = app.merchant("events-none").await;
    crate::policies::put_and_publish(&app, &owner, &shop, crate::consent::marketing_settings())
        .await;
    assert_eq!(
        app.count("SELECT COUNT(*) AS n FROM privacy_events", [])
            .await,
        0
    );
    assert_eq!(
        app.count("SELECT COUNT(*) AS n FROM event_deliveries", [])
            .await,
        0
    );
});
