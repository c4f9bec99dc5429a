//! Customers' requests from the privacy page: the code (sent for a real customer, the same
//! answer for an unknown address), five wrong tries, rate limits; each kind's part; deadlines by
//! the controller's country and the one extension the law allows; privacy events answered by
//! completion callbacks (a forged one refused) folded into the copy or the signed receipt; the
//! erasure hold; the due-date sweep.

use std::io::Read;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use harim_store::{rights::receipt, roles::PlatformRole};
use secrecy::SecretString;
use serde_json::{Value, json};
use time::OffsetDateTime;

use crate::{db_test, helpers::TestApp};

const EMAIL: &str = "maryam.rezaei@example.ir";

async fn customer(app: &TestApp, owner: &str, shop: &str) -> String {
    let r = app
        .post(
            &format!("/v1/shops/{shop}/customers"),
            Some(owner),
            crate::customers::sample(),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.json);
    r.json["id"].as_str().unwrap().to_string()
}

/// A shop with `settings` published and the sample customer; answers (owner, shop, slug, customer).
async fn shop_with_customer(
    app: &TestApp,
    tag: &str,
    settings: Value,
) -> (String, String, String, String) {
    let (owner, shop) = app.merchant(tag).await;
    crate::policies::put_and_publish(app, &owner, &shop, settings).await;
    let c = customer(app, &owner, &shop).await;
    (owner, shop, format!("shop-{tag}"), c)
}

pub async fn ask(app: &TestApp, slug: &str, body: Value) -> crate::helpers::Resp {
    app.post(&format!("/shops/{slug}/privacy/requests"), None, body)
        .await
}

/// The code of the last message the outbox sent.
fn last_code(app: &TestApp) -> String {
    let sent = app.sent.lock().unwrap();
    let body = &sent.last().expect("a message was sent").body;
    let digits: String = body
        .split(|c: char| !c.is_ascii_digit())
        .find(|w| w.len() == 6)
        .unwrap_or_default()
        .to_string();
    assert_eq!(digits.len(), 6, "no code in {body}");
    digits
}

async fn code_of(app: &TestApp) -> String {
    app.send_outbox().await;
    last_code(app)
}

async fn verify(app: &TestApp, slug: &str, id: &str, code: &str) -> crate::helpers::Resp {
    app.post(
        &format!("/shops/{slug}/privacy/requests/{id}/verify"),
        None,
        json!({"code": code}),
    )
    .await
}

/// A verified request of `kind` by the sample customer; answers its id and the verify body.
pub async fn verified(app: &TestApp, slug: &str, kind: &str) -> (String, Value) {
    let r = ask(app, slug, json!({"kind": kind, "email": EMAIL})).await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{:?}", r.json);
    let id = r.json["request_id"].as_str().unwrap().to_string();
    let code = code_of(app).await;
    let r = verify(app, slug, &id, &code).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.json);
    (id, r.json)
}

async fn endpoint(
    app: &TestApp,
    topics: &[&str],
) -> (
    String,
    SecretString,
    std::sync::Arc<std::sync::Mutex<Vec<crate::events::Seen>>>,
) {
    let admin = app.platform_token(PlatformRole::Admin).await;
    let (url, _, seen) = crate::events::receiver().await;
    let r = app
        .post(
            "/v1/admin/webhook-endpoints",
            Some(&admin),
            json!({"url": url, "topics": topics}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.json);
    (
        r.json["id"].as_str().unwrap().to_string(),
        SecretString::from(r.json["secret"].as_str().unwrap().to_string()),
        seen,
    )
}

async fn deliver(app: &TestApp) -> usize {
    harim_store::privacy_events::run_deliveries(&app.db, &app.vault, &app.state.webhooks, 100)
        .await
        .unwrap()
}

/// Posts a completion for `event`, signed with `secret` as Standard Webhooks says.
async fn complete(
    app: &TestApp,
    event: &str,
    secret: &SecretString,
    body: Value,
) -> (StatusCode, Value) {
    let raw = body.to_string();
    let ts = OffsetDateTime::now_utc().unix_timestamp();
    let msg = format!("msg_{}", uuid::Uuid::new_v4().simple());
    let sig = harim_notify::webhooks::sign(secret, &msg, ts, raw.as_bytes()).unwrap();
    let req = Request::post(format!("/v1/privacy-events/{event}/completion"))
        .header("content-type", "application/json")
        .header("webhook-id", msg)
        .header("webhook-timestamp", ts.to_string())
        .header("webhook-signature", sig)
        .body(Body::from(raw))
        .unwrap();
    let (status, _, bytes) = app.raw(req).await;
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

fn event_of(seen: &[crate::events::Seen], topic: &str) -> Value {
    seen.iter()
        .map(|s| serde_json::from_slice::<Value>(&s.body).unwrap())
        .find(|b| b["topic"] == topic)
        .unwrap_or_else(|| panic!("no {topic} event"))
}

db_test!(
    an_access_request_is_verified_asked_of_the_platform_answered_and_downloaded_once,
    |app: TestApp| async move {
        let (owner, shop, slug, c) =
            shop_with_customer(&app, "access", crate::policies::valid_settings()).await;
        let (ep, secret, seen) = endpoint(&app, &["customer.data_request"]).await;

        // The page itself: Persian, right to left, a form that needs no script.
        let (status, headers, body) = app
            .raw(
                Request::get(format!("/shops/{slug}/privacy/requests?lang=fa"))
                    .body(Body::empty())
                    .unwrap(),
            )
            .await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(headers["cache-control"], "no-store");
        let page = String::from_utf8(body).unwrap();
        assert!(
            page.contains(r#"dir="rtl""#) && page.contains("<form method=\"post\""),
            "{page}"
        );
        assert!(!page.contains("<script"), "the page needs no script");

        let sent_before = app.sent.lock().unwrap().len();
        let r = ask(
            &app,
            &slug,
            json!({"kind": "access", "email": "Maryam.Rezaei@Example.IR"}),
        )
        .await;
        assert_eq!(r.status, StatusCode::ACCEPTED, "{:?}", r.json);
        assert_eq!(r.headers["cache-control"], "no-store");
        let id = r.json["request_id"].as_str().unwrap().to_string();
        app.send_outbox().await;
        {
            let sent = app.sent.lock().unwrap();
            assert_eq!(sent.len(), sent_before + 1, "one code went out");
            assert_eq!(sent.last().unwrap().to.to_lowercase(), EMAIL);
            assert!(
                sent.last().unwrap().body.contains("ده دقیقه"),
                "in the page's language"
            );
        }
        let code = last_code(&app);
        let verified_at = OffsetDateTime::now_utc();
        let r = verify(&app, &slug, &id, &code).await;
        assert_eq!(r.status, StatusCode::OK, "{:?}", r.json);
        assert_eq!(r.json["state"], "in_progress");
        // Iran: the shop's response_days (30), to the end of that day.
        let due = OffsetDateTime::parse(
            r.json["due_at"].as_str().unwrap(),
            &time::format_description::well_known::Rfc3339,
        )
        .unwrap();
        assert_eq!(due.date(), (verified_at + time::Duration::days(30)).date());
        // The code is used up.
        verify(&app, &slug, &id, &code)
            .await
            .assert_problem(StatusCode::CONFLICT, "conflict");

        // The merchant sees it with its deadline.
        let list = app
            .get(&format!("/v1/shops/{shop}/customer-requests"), &owner)
            .await;
        assert_eq!(list.status, StatusCode::OK, "{:?}", list.json);
        assert_eq!(list.json[0]["id"], id.as_str());
        assert_eq!(list.json[0]["kind"], "access");
        assert_eq!(list.json[0]["due_at"], r.json["due_at"]);

        // The platform is asked, by the customer's opaque id only.
        assert_eq!(deliver(&app).await, 1);
        let event = event_of(&seen.lock().unwrap(), "customer.data_request");
        assert_eq!(event["request_id"], id.as_str());
        assert_eq!(event["data"]["customer_id"], c.as_str());
        assert!(event["due_at"].is_string());
        let text = event.to_string();
        assert!(
            !text.contains("maryam") && !text.contains("Maryam") && !text.contains("912123"),
            "{text}"
        );
        let event_id = event["event_id"].as_str().unwrap().to_string();

        // A forged completion (another secret, or none) is refused and changes nothing.
        let forged = SecretString::from("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw".to_string());
        let answer = json!({"status": "done", "items_removed": 0, "items_retained": [],
            "file": {"name": "orders.csv", "content_base64": "b3JkZXIscGxhY2VkCkEtMSwyMDI2LTEyLTA3Cg=="}});
        let (status, body) = complete(&app, &event_id, &forged, answer.clone()).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
        assert_eq!(body["type"], "https://harim.dev/problems/bad-signature");
        let req = Request::post(format!("/v1/privacy-events/{event_id}/completion"))
            .header("content-type", "application/json")
            .body(Body::from(answer.to_string()))
            .unwrap();
        assert_eq!(app.raw(req).await.0, StatusCode::UNAUTHORIZED);
        let s = app
            .get(&format!("/v1/shops/{shop}/customer-requests"), &owner)
            .await;
        assert_eq!(s.json[0]["state"], "in_progress");

        // A bad answer is named; the right one completes the request.
        let (status, body) =
            complete(&app, &event_id, &secret, json!({"status": "finished"})).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        let (status, body) = complete(&app, &event_id, &secret, answer).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let s = app
            .get(&format!("/v1/shops/{shop}/customer-requests"), &owner)
            .await;
        assert_eq!(s.json[0]["state"], "ready");
        // The customer hears the copy is ready; downloading needs a fresh code.
        app.send_outbox().await;
        let dl = |code: String| {
            let slug = slug.clone();
            let id = id.clone();
            let app = &app;
            async move {
                let req = Request::post(format!("/shops/{slug}/privacy/requests/{id}/download"))
                    .header("content-type", "application/json")
                    .body(Body::from(json!({"code": code}).to_string()))
                    .unwrap();
                app.raw(req).await
            }
        };
        let (status, _, _) = dl(code.clone()).await;
        assert_eq!(
            status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "the verification code does not download"
        );
        let r = app
            .post(
                &format!("/shops/{slug}/privacy/requests/{id}/code"),
                None,
                json!({}),
            )
            .await;
        assert_eq!(r.status, StatusCode::ACCEPTED, "{:?}", r.json);
        let fresh = code_of(&app).await;
        let (status, headers, zip) = dl(fresh.clone()).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(headers["content-type"], "application/zip");
        assert_eq!(headers["cache-control"], "no-store");
        let mut archive = zip::ZipArchive::new(std::io::Cursor::new(zip)).unwrap();
        assert_eq!(
            archive.by_index(0).unwrap().name().unwrap(),
            "manifest.json"
        );
        let mut manifest = String::new();
        archive
            .by_name("manifest.json")
            .unwrap()
            .read_to_string(&mut manifest)
            .unwrap();
        let manifest: Value = serde_json::from_str(&manifest).unwrap();
        assert_eq!(manifest["customer_id"], c.as_str());
        assert_eq!(manifest["language"], "fa");
        for f in manifest["files"].as_array().unwrap() {
            let mut bytes = Vec::new();
            archive
                .by_name(f["path"].as_str().unwrap())
                .unwrap()
                .read_to_end(&mut bytes)
                .unwrap();
            use sha2::Digest;
            assert_eq!(
                f["sha256"],
                hex::encode(sha2::Sha256::digest(&bytes)),
                "{}",
                f["path"]
            );
        }
        let mut data = String::new();
        archive
            .by_name("data/customer.json")
            .unwrap()
            .read_to_string(&mut data)
            .unwrap();
        assert!(
            data.to_lowercase().contains(EMAIL) && data.contains("Maryam Rezaei"),
            "{data}"
        );
        let mut file = String::new();
        archive
            .by_name(&format!("systems/{ep}/orders.csv"))
            .unwrap()
            .read_to_string(&mut file)
            .unwrap();
        assert!(file.starts_with("order,placed"), "{file}");
        // Once.
        let (status, _, _) = dl(fresh).await;
        assert_eq!(status, StatusCode::CONFLICT);
        let s = app
            .get(&format!("/v1/shops/{shop}/customer-requests"), &owner)
            .await;
        assert_eq!(s.json[0]["state"], "done");
        app.assert_chains_verify().await;
    }
);

db_test!(
    an_unknown_address_gets_the_same_answer_and_wrong_codes_lock_after_five,
    |app: TestApp| async move {
        let (_, _, slug, _) =
            shop_with_customer(&app, "codes", crate::policies::valid_settings()).await;
        let sent_before = app.sent.lock().unwrap().len();
        let known = ask(&app, &slug, json!({"kind": "erasure", "email": EMAIL})).await;
        let unknown = ask(
            &app,
            &slug,
            json!({"kind": "erasure", "email": "nobody@example.ir"}),
        )
        .await;
        assert_eq!(known.status, unknown.status);
        let keys = |v: &Value| v.as_object().unwrap().keys().cloned().collect::<Vec<_>>();
        assert_eq!(keys(&known.json), keys(&unknown.json));
        // Their status pages do not tell them apart either.
        let page = |id: &Value| {
            let req = Request::get(format!(
                "/shops/{slug}/privacy/requests/{}",
                id.as_str().unwrap()
            ))
            .header("accept", "application/json")
            .body(Body::empty())
            .unwrap();
            app.raw(req)
        };
        let (_, _, a) = page(&known.json["request_id"]).await;
        let (_, _, b) = page(&unknown.json["request_id"]).await;
        let (a, b): (Value, Value) = (
            serde_json::from_slice(&a).unwrap(),
            serde_json::from_slice(&b).unwrap(),
        );
        assert_eq!(keys(&a), keys(&b), "{a} {b}");
        assert_eq!(
            known.headers.get("content-type"),
            unknown.headers.get("content-type")
        );
        app.send_outbox().await;
        assert_eq!(
            app.sent.lock().unwrap().len(),
            sent_before + 1,
            "a code only for the customer"
        );
        // The unknown address's request cannot be verified: every code is wrong, as it would be.
        let u = unknown.json["request_id"].as_str().unwrap();
        verify(&app, &slug, u, "123456")
            .await
            .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation");
        // Five wrong codes: four 422, the fifth 429, and then the right one is refused too.
        let id = known.json["request_id"].as_str().unwrap().to_string();
        let code = last_code(&app);
        let wrong = if code == "000000" { "111111" } else { "000000" };
        for i in 1..=5 {
            let r = verify(&app, &slug, &id, wrong).await;
            if i < 5 {
                r.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation");
                assert_eq!(r.json["errors"][0]["code"], "wrong_code");
            } else {
                r.assert_problem(StatusCode::TOO_MANY_REQUESTS, "rate-limited");
            }
        }
        verify(&app, &slug, &id, &code)
            .await
            .assert_problem(StatusCode::TOO_MANY_REQUESTS, "rate-limited");
        // A new code works again (three per request).
        let r = app
            .post(
                &format!("/shops/{slug}/privacy/requests/{id}/code"),
                None,
                json!({}),
            )
            .await;
        assert_eq!(r.status, StatusCode::ACCEPTED, "{:?}", r.json);
        let fresh = code_of(&app).await;
        let r = verify(&app, &slug, &id, &fresh).await;
        assert_eq!(r.status, StatusCode::OK, "{:?}", r.json);
        // Bad input is named; an address may ask three times an hour.
        ask(&app, &slug, json!({"kind": "everything", "email": EMAIL}))
            .await
            .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation");
        ask(
            &app,
            &slug,
            json!({"kind": "access", "email": "not an address"}),
        )
        .await
        .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation");
        ask(&app, &slug, json!({"kind": "access"}))
            .await
            .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation");
        for _ in 0..2 {
            let r = ask(
                &app,
                &slug,
                json!({"kind": "access", "email": "nobody@example.ir"}),
            )
            .await;
            assert_eq!(r.status, StatusCode::ACCEPTED, "{:?}", r.json);
        }
        ask(
            &app,
            &slug,
            json!({"kind": "access", "email": "nobody@example.ir"}),
        )
        .await
        .assert_problem(StatusCode::TOO_MANY_REQUESTS, "rate-limited");
        // Another shop's request id under this slug is unknown.
        let (_, _, other, _) =
            shop_with_customer(&app, "codes-other", crate::policies::valid_settings()).await;
        verify(&app, &other, &id, &fresh)
            .await
            .assert_problem(StatusCode::NOT_FOUND, "not-found");
        let r = app
            .call(
                axum::http::Method::GET,
                &format!("/shops/{other}/privacy/requests/{id}"),
                None,
                None,
            )
            .await;
        r.assert_problem(StatusCode::NOT_FOUND, "not-found");
    }
);

db_test!(
    deadlines_follow_the_controllers_law_and_the_one_extension_is_told_to_the_customer,
    |app: TestApp| async move {
        let saudi = json!(harim_policy::examples::saudi_shop().0);
        let (owner, shop, slug, _) = shop_with_customer(&app, "riyadh", saudi).await;
        let now = OffsetDateTime::now_utc();
        let (id, v) = verified(&app, &slug, "rectification").await;
        assert_eq!(v["state"], "open");
        let rfc = &time::format_description::well_known::Rfc3339;
        let due = OffsetDateTime::parse(v["due_at"].as_str().unwrap(), rfc).unwrap();
        assert_eq!(due.date(), (now + time::Duration::days(30)).date());
        let path = format!("/v1/shops/{shop}/customer-requests/{id}/extend");
        app.post(&path, Some(&owner), json!({"reason": "short"}))
            .await
            .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation");
        let r = app
            .post(
                &path,
                Some(&owner),
                json!({"reason": "We are gathering records from our courier."}),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{:?}", r.json);
        let extended = OffsetDateTime::parse(r.json["due_at"].as_str().unwrap(), rfc).unwrap();
        assert_eq!(extended.date(), (due + time::Duration::days(30)).date());
        assert_eq!(r.json["extended_until"], r.json["due_at"]);
        app.send_outbox().await;
        {
            let sent = app.sent.lock().unwrap();
            let told = &sent.last().unwrap().body;
            assert!(
                told.contains("courier") && told.contains(&extended.date().to_string()),
                "{told}"
            );
        }
        app.post(
            &path,
            Some(&owner),
            json!({"reason": "We need a second extension now."}),
        )
        .await
        .assert_problem(StatusCode::CONFLICT, "conflict");
        // A staff member cannot extend; the overdue gauge's count sees it after the new date.
        assert_eq!(
            harim_store::customer_requests::overdue(&app.db, now)
                .await
                .unwrap(),
            0
        );
        assert_eq!(
            harim_store::customer_requests::overdue(&app.db, extended + time::Duration::days(1))
                .await
                .unwrap(),
            1
        );

        // Albania: one calendar month, extension of two.
        let albanian = json!(harim_policy::examples::albanian_shop().0);
        let (owner, shop, slug, _) = shop_with_customer(&app, "tirana", albanian).await;
        let (id, v) = verified(&app, &slug, "rectification").await;
        let due = OffsetDateTime::parse(v["due_at"].as_str().unwrap(), rfc).unwrap();
        let month = harim_store::customer_requests::deadlines::after(
            now,
            harim_store::customer_requests::deadlines::Span::Months(1),
        );
        assert_eq!(due.date(), month.date());
        let r = app
            .post(
                &format!("/v1/shops/{shop}/customer-requests/{id}/extend"),
                Some(&owner),
                json!({"reason": "Të dhënat janë në arkivin e magazinës."}),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{:?}", r.json);

        // Iran: the shop's own days, no extension in law.
        let (owner, shop, slug, _) =
            shop_with_customer(&app, "tehran", crate::policies::valid_settings()).await;
        let (id, _) = verified(&app, &slug, "rectification").await;
        app.post(
            &format!("/v1/shops/{shop}/customer-requests/{id}/extend"),
            Some(&owner),
            json!({"reason": "We need more time for this request."}),
        )
        .await
        .assert_problem(StatusCode::CONFLICT, "conflict");
    }
);

db_test!(
    an_erasure_waits_out_the_hold_then_its_receipt_carries_each_systems_answer,
    |app: TestApp| async move {
        let mut s = crate::policies::valid_settings();
        s["erasure_hold_days"] = json!(30);
        let (owner, shop, slug, c) = shop_with_customer(&app, "erase", s).await;
        let order = app
            .post(
                &format!("/v1/shops/{shop}/customers/{c}/orders"),
                Some(&owner),
                {
                    let mut o = crate::customers::sample_order();
                    o["placed_at"] = json!(
                        OffsetDateTime::now_utc()
                            .format(&time::format_description::well_known::Rfc3339)
                            .unwrap()
                    );
                    o
                },
            )
            .await;
        assert_eq!(order.status, StatusCode::CREATED, "{:?}", order.json);
        let (_, secret, seen) = endpoint(&app, &["customer.redact"]).await;
        let (id, v) = verified(&app, &slug, "erasure").await;
        assert_eq!(v["state"], "scheduled", "{v}");
        let hold = OffsetDateTime::parse(
            v["hold_until"].as_str().unwrap(),
            &time::format_description::well_known::Rfc3339,
        )
        .unwrap();
        app.send_outbox().await;
        assert!(
            app.sent
                .lock()
                .unwrap()
                .last()
                .unwrap()
                .body
                .contains(&hold.date().to_string()),
            "the customer is told the date"
        );
        // Before the hold ends nothing happens; after it, the erasure runs and asks the platform.
        let swept =
            harim_store::customer_requests::sweep(&app.db, &app.vault, OffsetDateTime::now_utc())
                .await
                .unwrap();
        assert_eq!(swept.erased, 0);
        let swept = harim_store::customer_requests::sweep(
            &app.db,
            &app.vault,
            hold + time::Duration::minutes(1),
        )
        .await
        .unwrap();
        assert_eq!(swept.erased, 1);
        let r = app
            .get(&format!("/v1/shops/{shop}/customers/{c}"), &owner)
            .await;
        r.assert_problem(StatusCode::NOT_FOUND, "not-found");
        assert_eq!(deliver(&app).await, 1);
        let event = event_of(&seen.lock().unwrap(), "customer.redact");
        assert_eq!(event["data"]["orders_to_redact"][0], "ORD-2026-0042");
        let event_id = event["event_id"].as_str().unwrap().to_string();
        let (status, body) = complete(&app, &event_id, &secret, json!({
            "status": "partial", "items_removed": 12,
            "items_retained": [{"category": "invoices", "reason": "tax law: invoices are kept ten years", "until": "2036-12-31"}]
        })).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        // The signed receipt: harim's own entries and the system's answer.
        let r = app
            .call(
                axum::http::Method::GET,
                &format!("/shops/{slug}/privacy/requests/{id}/receipt"),
                None,
                None,
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{:?}", r.json);
        let signed: receipt::SignedReceipt = serde_json::from_value(r.json.clone()).unwrap();
        let keys = app
            .call(
                axum::http::Method::GET,
                "/.well-known/harim/receipt-keys",
                None,
                None,
            )
            .await
            .json;
        let keys: Vec<receipt::PublicKey> = serde_json::from_value(keys["keys"].clone()).unwrap();
        receipt::verify(&signed, &keys).unwrap();
        assert_eq!(signed.receipt["format"], "harim-erasure-receipt/2");
        assert_eq!(signed.receipt["subject"]["id"], c.as_str());
        assert_eq!(signed.receipt["subscribers"][0]["status"], "partial");
        assert_eq!(signed.receipt["subscribers"][0]["items_removed"], 12);
        assert_eq!(
            signed.receipt["subscribers"][0]["items_retained"][0]["until"],
            "2036-12-31"
        );
        assert!(
            signed.receipt["entries"]
                .as_array()
                .unwrap()
                .iter()
                .any(|e| e["entry"] == "customer_keys")
        );
        // A second answer after completion is refused.
        let (status, _) = complete(&app, &event_id, &secret, json!({"status": "done"})).await;
        assert_eq!(status, StatusCode::CONFLICT);
        app.assert_chains_verify().await;
    }
);

db_test!(
    stop_marketing_and_consents_act_at_once_and_a_silent_system_fails_the_request_at_its_date,
    |app: TestApp| async move {
        let (owner, shop, slug, c) =
            shop_with_customer(&app, "stop", crate::consent::marketing_settings()).await;
        for p in ["marketing_sms", "marketing_email", "analytics"] {
            let r = app
                .post(
                    &format!("/v1/shops/{shop}/consents"),
                    Some(&owner),
                    json!({
                "customer_id": c, "purpose": p, "state": "given", "policy_version": 1,
                "language": "fa", "collection": "checkout"}),
                )
                .await;
            assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.json);
        }
        let (_, v) = verified(&app, &slug, "stop_marketing").await;
        assert_eq!(v["state"], "done");
        let now = app
            .get(&format!("/v1/shops/{shop}/customers/{c}/consents"), &owner)
            .await
            .json;
        assert_eq!(now["current"]["marketing_sms"], "withdrawn");
        assert_eq!(now["current"]["marketing_email"], "withdrawn");
        assert_eq!(now["current"]["analytics"], "given");
        let (id, v) = verified(&app, &slug, "consents").await;
        assert_eq!(v["consents"]["current"]["analytics"], "given");
        let r = app
            .post(
                &format!("/shops/{slug}/privacy/requests/{id}/withdraw"),
                None,
                json!({"purposes": ["analytics"]}),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{:?}", r.json);
        assert_eq!(r.json["current"]["analytics"], "withdrawn");
        app.post(
            &format!("/shops/{slug}/privacy/requests/{id}/withdraw"),
            None,
            json!({"purposes": ["everything"]}),
        )
        .await
        .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation");

        // An access request whose subscriber never answers fails at its due date, visibly.
        let (_, _, _) = endpoint(&app, &["customer.data_request"]).await;
        let (id, v) = verified(&app, &slug, "access").await;
        let due = OffsetDateTime::parse(
            v["due_at"].as_str().unwrap(),
            &time::format_description::well_known::Rfc3339,
        )
        .unwrap();
        let swept = harim_store::customer_requests::sweep(
            &app.db,
            &app.vault,
            due + time::Duration::seconds(1),
        )
        .await
        .unwrap();
        assert_eq!(swept.failed, 1);
        let list = app
            .get(&format!("/v1/shops/{shop}/customer-requests"), &owner)
            .await;
        let failed = list
            .json
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["id"] == id.as_str())
            .unwrap()
            .clone();
        assert_eq!(failed["state"], "failed");
        assert!(failed["error"].as_str().unwrap().contains("not answered"));
    }
);

db_test!(
    the_page_works_as_html_forms_in_the_policys_languages,
    |app: TestApp| async move {
        let (_, _, slug, _) =
            shop_with_customer(&app, "forms", crate::policies::valid_settings()).await;
        let form = |path: String, body: &str| {
            Request::post(path)
                .header("content-type", "application/x-www-form-urlencoded")
                .body(Body::from(body.to_string()))
                .unwrap()
        };
        let (status, headers, body) = app
            .raw(form(
                format!("/shops/{slug}/privacy/requests?lang=fa"),
                "kind=access&address=Maryam.Rezaei%40Example.IR&lang=fa",
            ))
            .await;
        assert_eq!(status, StatusCode::ACCEPTED);
        assert!(
            headers["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/html")
        );
        let page = String::from_utf8(body).unwrap();
        let action = page
            .split("action=\"")
            .nth(1)
            .unwrap()
            .split('"')
            .next()
            .unwrap()
            .replace("&amp;", "&");
        assert!(action.contains("/verify"), "{page}");
        let (status, _, body) = app.raw(form(action.clone(), "code=000000")).await;
        // A form gets the form again with the reason, as a page (errors with error statuses
        // are problem documents, for JSON clients).
        assert_eq!(
            status,
            StatusCode::OK,
            "{action} {}",
            String::from_utf8_lossy(&body)
        );
        assert!(String::from_utf8(body).unwrap().contains("کد درست نیست"));
        // The code typed in Persian digits is read.
        let code = code_of(&app).await;
        let persian: String = code
            .chars()
            .map(|c| char::from_u32('۰' as u32 + c.to_digit(10).unwrap()).unwrap())
            .collect();
        let (status, _, body) = app
            .raw(form(action, &format!("code={}", urlencoding(&persian))))
            .await;
        let page = String::from_utf8(body).unwrap();
        assert_eq!(status, StatusCode::OK, "{page}");
        assert!(page.contains(r#"data-state="ready""#), "{page}");
        // A bad address comes back as the form with the reason.
        let (status, _, body) = app
            .raw(form(
                format!("/shops/{slug}/privacy/requests"),
                "kind=access&address=nope",
            ))
            .await;
        assert_eq!(status, StatusCode::OK, "{}", String::from_utf8_lossy(&body));
        assert!(
            String::from_utf8(body)
                .unwrap()
                .contains(r#"class="error""#)
        );
        // English for a shop that publishes it; an unknown shop is a problem document.
        let r = app
            .call(
                axum::http::Method::GET,
                "/shops/no-such-shop/privacy/requests",
                None,
                None,
            )
            .await;
        r.assert_problem(StatusCode::NOT_FOUND, "not-found");
    }
);

fn urlencoding(s: &str) -> String {
    s.bytes().map(|b| format!("%{b:02X}")).collect()
}
