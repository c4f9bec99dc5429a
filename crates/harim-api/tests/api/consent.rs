//! Consent records and the notification gate: every purpose given, refused and withdrawn; the
//! consent stream's chain and a forged event; renewal after a policy change for the touched
//! purpose only; the banner (script, CORS, Global Privacy Control); the gate's four refusals and
//! a send; reply keywords; erasure and export.

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use harim_store::rights::receipt;
use serde_json::{Value, json};

use crate::{db_test, helpers::TestApp};

/// The Iranian example with marketing by SMS and e-mail and one analytics service.
pub fn marketing_settings() -> Value {
    let mut s = crate::policies::valid_settings();
    s["notifications"]["marketing_sms"] = json!(true);
    s["notifications"]["marketing_email"] = json!(true);
    s["analytics"] = json!(["google_analytics"]);
    s
}

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

async fn consent(
    app: &TestApp,
    owner: &str,
    shop: &str,
    customer: &str,
    purpose: &str,
    state: &str,
    version: i64,
) -> crate::helpers::Resp {
    app.post(
        &format!("/v1/shops/{shop}/consents"),
        Some(owner),
        json!({"customer_id": customer, "purpose": purpose, "state": state,
               "policy_version": version, "language": "fa", "collection": "checkout"}),
    )
    .await
}

async fn current(app: &TestApp, owner: &str, shop: &str, customer: &str) -> Value {
    let r = app
        .get(
            &format!("/v1/shops/{shop}/customers/{customer}/consents"),
            owner,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.json);
    r.json
}

async fn receipt_keys(app: &TestApp) -> Vec<receipt::PublicKey> {
    let keys = app
        .call(Method::GET, "/.well-known/harim/receipt-keys", None, None)
        .await
        .json;
    serde_json::from_value(keys["keys"].clone()).unwrap()
}

async fn verify_stream(app: &TestApp, shop: &str) -> harim_store::consent::Verified {
    harim_store::consent::verify(&app.db, &app.vault, uuid::Uuid::parse_str(shop).unwrap())
        .await
        .unwrap()
}

db_test!(
    every_purpose_is_given_refused_and_withdrawn_with_a_signed_receipt_naming_the_policy,
    |app: TestApp| async move {
        let (owner, shop) = app.merchant("consent").await;
        let published =
            crate::policies::put_and_publish(&app, &owner, &shop, marketing_settings()).await;
        let hash = published["hash"].as_str().unwrap().to_string();
        let c = customer(&app, &owner, &shop).await;
        let keys = receipt_keys(&app).await;
        let purposes = [
            "order_sms",
            "order_email",
            "marketing_sms",
            "marketing_email",
            "analytics",
            "analytics:google_analytics",
        ];
        for p in purposes {
            for state in ["given", "refused", "withdrawn"] {
                let r = consent(&app, &owner, &shop, &c, p, state, 1).await;
                assert_eq!(r.status, StatusCode::CREATED, "{p} {state}: {:?}", r.json);
                assert_eq!(r.json["record"]["purpose"], p);
                assert_eq!(r.json["record"]["state"], state);
                assert_eq!(r.json["record"]["policy_hash"], hash.as_str());
                let signed: receipt::SignedReceipt =
                    serde_json::from_value(r.json["receipt"].clone()).unwrap();
                receipt::verify(&signed, &keys).unwrap();
                let body = &signed.receipt;
                assert_eq!(body["header"]["pii_principal_id"], c.as_str());
                assert_eq!(body["processing"]["privacy_notice"]["version"], 1);
                assert_eq!(body["processing"]["privacy_notice"]["hash"], hash.as_str());
                assert_eq!(body["processing"]["privacy_notice"]["language"], "fa");
                assert_eq!(body["events"][0]["event_state"], state);
                assert!(body["parties"][0]["name"].is_string());
            }
        }
        let now = current(&app, &owner, &shop, &c).await;
        for p in purposes {
            assert_eq!(now["current"][p], "withdrawn", "{p}");
        }
        // The customer's page of a receipt, in the language they chose in, and its signed copy.
        let r = consent(&app, &owner, &shop, &c, "marketing_email", "given", 1).await;
        let url = r.json["receipt_url"].as_str().unwrap().to_string();
        let (status, headers, body) = app
            .raw(Request::get(url.as_str()).body(Body::empty()).unwrap())
            .await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(headers["cache-control"], "no-store");
        assert_eq!(headers["referrer-policy"], "no-referrer");
        let page = String::from_utf8(body).unwrap();
        assert!(page.contains(r#"<html lang="fa" dir="rtl">"#), "{page}");
        assert!(
            page.contains("رسید رضایت")
                && page.contains("ایمیل تبلیغاتی")
                && page.contains("داده شد"),
            "{page}"
        );
        assert!(
            page.contains(&hash),
            "the page does not name the policy's hash"
        );
        let (_, _, en) = app
            .raw(
                Request::get(format!("{url}?lang=en"))
                    .body(Body::empty())
                    .unwrap(),
            )
            .await;
        assert!(String::from_utf8(en).unwrap().contains("Consent receipt"));
        let again = app
            .call(Method::GET, &format!("{url}.json"), None, None)
            .await;
        assert_eq!(
            again.json, r.json["receipt"],
            "the signed copy is not the one answered"
        );
        let signed: receipt::SignedReceipt = serde_json::from_value(again.json).unwrap();
        receipt::verify(&signed, &keys).unwrap();
        let (status, _, _) = app
            .raw(
                Request::get(format!(
                    "/shops/shop-consent/consent/receipts/{}",
                    uuid::Uuid::new_v4()
                ))
                .body(Body::empty())
                .unwrap(),
            )
            .await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert_eq!(now["events"].as_array().unwrap().len(), purposes.len() * 3);
        // Given again: the last event decides.
        let r = consent(&app, &owner, &shop, &c, "marketing_sms", "given", 1).await;
        assert_eq!(r.status, StatusCode::CREATED);
        assert_eq!(
            current(&app, &owner, &shop, &c).await["current"]["marketing_sms"],
            "given"
        );
        let v = verify_stream(&app, &shop).await;
        assert_eq!(v.broken_at, None, "{v:?}");
        assert_eq!(v.events, purposes.len() as u64 * 3 + 2);
    }
);

db_test!(
    what_the_policy_does_not_name_cannot_be_consented_to,
    |app: TestApp| async move {
        let (owner, shop) = app.merchant("consent-bad").await;
        // Nothing published yet.
        let c = customer(&app, &owner, &shop).await;
        let r = consent(&app, &owner, &shop, &c, "analytics", "given", 1).await;
        r.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation");
        crate::policies::put_and_publish(&app, &owner, &shop, crate::policies::valid_settings())
            .await;
        for (purpose, state, version, field) in [
            ("analytics", "given", 1, "purpose"), // no analytics in this policy
            ("marketing_sms", "given", 1, "purpose"), // marketing is off
            ("no_such_purpose", "given", 1, "purpose"), // not a purpose at all
            ("order_sms", "expired", 1, "state"), // harim's state, not the client's
            ("order_sms", "given", 2, "policy_version"), // no version 2
        ] {
            let r = consent(&app, &owner, &shop, &c, purpose, state, version).await;
            assert!(
                r.status == StatusCode::UNPROCESSABLE_ENTITY,
                "{purpose} {state} {version}: {:?}",
                r.json
            );
            assert!(
                r.json["errors"]
                    .as_array()
                    .map(|e| e.iter().any(|e| e["field"] == field))
                    .unwrap_or(false)
                    || r.json["type"].as_str().unwrap().ends_with("validation"),
                "{:?}",
                r.json
            );
        }
        let r = app
            .post(
                &format!("/v1/shops/{shop}/consents"),
                Some(&owner),
                json!({"customer_id": c, "purpose": "order_sms", "state": "given",
                       "policy_version": 1, "language": "de", "collection": "api"}),
            )
            .await;
        r.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation");
        assert_eq!(
            app.count("SELECT COUNT(*) AS n FROM consent_events", [])
                .await,
            0,
            "a refused record wrote something"
        );
        // An unknown customer is a 404, not a record.
        let r = consent(
            &app,
            &owner,
            &shop,
            "cus_0123456789abcdef0123456789abcdef",
            "order_sms",
            "refused",
            1,
        )
        .await;
        r.assert_problem(StatusCode::NOT_FOUND, "not-found");
    }
);

db_test!(
    the_consent_stream_verifies_and_a_database_writer_is_caught,
    |app: TestApp| async move {
        let (owner, shop) = app.merchant("consent-chain").await;
        crate::policies::put_and_publish(&app, &owner, &shop, marketing_settings()).await;
        let c = customer(&app, &owner, &shop).await;
        for state in ["refused", "given", "withdrawn"] {
            let r = consent(&app, &owner, &shop, &c, "marketing_email", state, 1).await;
            assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.json);
        }
        assert_eq!(verify_stream(&app, &shop).await.broken_at, None);
        let t = uuid::Uuid::parse_str(&shop).unwrap();
        // A refusal turned into a consent.
        app.exec(
            "UPDATE consent_events SET state = 'given' WHERE tenant_id = $1 AND seq = 1",
            [t.into()],
        )
        .await;
        let v = verify_stream(&app, &shop).await;
        assert_eq!(v.broken_at, Some(1), "{v:?}");
        app.exec(
            "UPDATE consent_events SET state = 'refused' WHERE tenant_id = $1 AND seq = 1",
            [t.into()],
        )
        .await;
        assert_eq!(verify_stream(&app, &shop).await.broken_at, None);
        // The withdrawal deleted (and the head moved back to hide it).
        app.exec(
            "DELETE FROM consent_events WHERE tenant_id = $1 AND seq = 3",
            [t.into()],
        )
        .await;
        let v = verify_stream(&app, &shop).await;
        assert!(v.broken_at.is_some(), "{v:?}");
        app.exec(
            "UPDATE consent_heads SET seq = 2, hash = (SELECT hash FROM consent_events WHERE tenant_id = $1 AND seq = 2) WHERE tenant_id = $1",
            [t.into()],
        )
        .await;
        // Without the key no writer can forge the next link, so the stream verifies only as the
        // prefix it now is; a forged erasure mark is caught.
        app.exec(
            "UPDATE consent_events SET erased_mac = hash, customer_id = NULL, purpose = NULL, state = NULL WHERE tenant_id = $1 AND seq = 2",
            [t.into()],
        )
        .await;
        let v = verify_stream(&app, &shop).await;
        assert_eq!(v.broken_at, Some(2), "{v:?}");
    }
);

db_test!(
    a_new_analytics_service_renews_only_the_analytics_consents,
    |app: TestApp| async move {
        let (owner, shop) = app.merchant("consent-renew").await;
        crate::policies::put_and_publish(&app, &owner, &shop, marketing_settings()).await;
        let c = customer(&app, &owner, &shop).await;
        for p in [
            "marketing_sms",
            "analytics",
            "analytics:google_analytics",
            "order_sms",
        ] {
            let r = consent(&app, &owner, &shop, &c, p, "given", 1).await;
            assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.json);
        }
        let mut s = marketing_settings();
        s["analytics"] = json!(["google_analytics", "hotjar"]);
        let v2 = crate::policies::put_and_publish(&app, &owner, &shop, s).await;
        assert_eq!(
            app.count("SELECT COUNT(*) AS n FROM consent_renewals", [])
                .await,
            2,
            "{v2:?}"
        );
        let now = current(&app, &owner, &shop, &c).await;
        assert_eq!(now["current"]["analytics"], "renewal_needed", "{now:?}");
        // Consent to Google Analytics itself covers what it covered before.
        assert_eq!(now["current"]["analytics:google_analytics"], "given");
        assert_eq!(now["current"]["marketing_sms"], "given");
        assert_eq!(now["current"]["order_sms"], "given");
        // Renewed under version 2.
        let r = consent(&app, &owner, &shop, &c, "analytics", "given", 2).await;
        assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.json);
        assert_eq!(
            current(&app, &owner, &shop, &c).await["current"]["analytics"],
            "given"
        );
    }
);

async fn banner_post(
    app: &TestApp,
    slug: &str,
    body: Value,
    gpc: bool,
) -> (StatusCode, axum::http::HeaderMap, Value) {
    let mut req = Request::post(format!("/shops/{slug}/consent"))
        .header("content-type", "application/json")
        .header("origin", "https://golsorkh.example");
    if gpc {
        req = req.header("sec-gpc", "1");
    }
    let (status, headers, bytes) = app
        .raw(req.body(Body::from(body.to_string())).unwrap())
        .await;
    (
        status,
        headers,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

db_test!(
    the_banner_asks_what_the_policy_names_and_records_a_visitor_who_becomes_a_customer,
    |app: TestApp| async move {
        let (owner, shop) = app.merchant("banner").await;
        crate::policies::put_and_publish(&app, &owner, &shop, marketing_settings()).await;
        let (status, headers, js) = app
            .raw(
                Request::get("/shops/shop-banner/consent.js")
                    .header("host", "harim.example")
                    .body(Body::empty())
                    .unwrap(),
            )
            .await;
        assert_eq!(status, StatusCode::OK);
        assert!(
            headers["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/javascript")
        );
        let js = String::from_utf8(js).unwrap();
        let first = js.lines().next().unwrap();
        let config: Value = serde_json::from_str(
            first
                .strip_prefix("var HARIM_CONSENT = ")
                .unwrap()
                .strip_suffix(';')
                .unwrap(),
        )
        .unwrap();
        assert_eq!(
            config["purposes"],
            json!([
                "marketing_sms",
                "marketing_email",
                "analytics",
                "analytics:google_analytics"
            ])
        );
        assert_eq!(config["policy_version"], 1);
        assert_eq!(
            config["endpoint"],
            "http://harim.example/shops/shop-banner/consent"
        );
        assert_eq!(config["texts"]["fa"]["accept"], "می‌پذیرم");
        assert_eq!(
            config["texts"]["ar"]["purpose.analytics:google_analytics"],
            "Google Analytics"
        );
        // CORS preflight, then the post.
        let (status, headers, _) = app
            .raw(
                Request::builder()
                    .method(Method::OPTIONS)
                    .uri("/shops/shop-banner/consent")
                    .header("origin", "https://golsorkh.example")
                    .header("access-control-request-method", "POST")
                    .body(Body::empty())
                    .unwrap(),
            )
            .await;
        assert_eq!(status, StatusCode::NO_CONTENT);
        assert_eq!(headers["access-control-allow-origin"], "*");
        let visitor = "v_00112233445566778899aabbccddeeff";
        let choices = json!({"marketing_sms": true, "marketing_email": true,
                             "analytics": true, "analytics:google_analytics": false});
        let (status, headers, body) = banner_post(
            &app,
            "shop-banner",
            json!({"visitor_id": visitor, "choices": choices, "policy_version": 1, "language": "ar"}),
            true,
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{body:?}");
        assert_eq!(headers["access-control-allow-origin"], "*");
        let states: std::collections::BTreeMap<String, String> = body["records"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| {
                (
                    e["purpose"].as_str().unwrap().to_string(),
                    e["state"].as_str().unwrap().to_string(),
                )
            })
            .collect();
        // Global Privacy Control refuses marketing whatever was clicked.
        assert_eq!(states["marketing_sms"], "refused");
        assert_eq!(states["marketing_email"], "refused");
        assert_eq!(states["analytics"], "given");
        assert_eq!(states["analytics:google_analytics"], "refused");
        let signed: receipt::SignedReceipt =
            serde_json::from_value(body["receipt"].clone()).unwrap();
        receipt::verify(&signed, &receipt_keys(&app).await).unwrap();
        // A purpose the banner does not ask about, a bad visitor id, an unknown shop.
        let (status, _, body) = banner_post(
            &app,
            "shop-banner",
            json!({"visitor_id": visitor, "choices": {"order_sms": true}, "policy_version": 1, "language": "ar"}),
            false,
        )
        .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body:?}");
        let (status, _, _) = banner_post(
            &app,
            "shop-banner",
            json!({"visitor_id": "1234", "choices": {"analytics": true}, "policy_version": 1, "language": "ar"}),
            false,
        )
        .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        let (status, _, _) = banner_post(
            &app,
            "no-such-shop",
            json!({"visitor_id": visitor, "choices": {"analytics": true}, "policy_version": 1, "language": "ar"}),
            false,
        )
        .await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        // The visitor becomes a customer: their banner choices are the customer's.
        let c = customer(&app, &owner, &shop).await;
        let r = app
            .post(
                &format!("/v1/shops/{shop}/customers/{c}/visitors"),
                Some(&owner),
                json!({"visitor_id": visitor}),
            )
            .await;
        assert_eq!(r.status, StatusCode::NO_CONTENT, "{:?}", r.json);
        let now = current(&app, &owner, &shop, &c).await;
        assert_eq!(now["current"]["analytics"], "given", "{now:?}");
        assert_eq!(now["current"]["marketing_sms"], "refused");
        assert_eq!(now["events"][0]["recorded_as"], "visitor");
    }
);

async fn notify(app: &TestApp, owner: &str, shop: &str, body: Value) -> crate::helpers::Resp {
    app.post(
        &format!("/v1/shops/{shop}/notifications"),
        Some(owner),
        body,
    )
    .await
}

fn message(c: &str, channel: &str, kind: &str) -> Value {
    let (template, values) = if kind == "order" {
        ("order_placed", json!({"order_ref": "A-1001"}))
    } else {
        (
            "marketing",
            json!({"text": "Yalda sale: 20% off until Sunday."}),
        )
    };
    json!({"customer_id": c, "channel": channel, "kind": kind, "template": template, "values": values})
}

db_test!(
    the_gate_refuses_each_of_its_four_codes_and_sends_what_is_allowed,
    |app: TestApp| async move {
        let (owner, shop) = app.merchant("gate").await;
        let c = customer(&app, &owner, &shop).await;
        // Nothing published: nothing is enabled.
        let r = notify(&app, &owner, &shop, message(&c, "sms", "order")).await;
        r.assert_problem(StatusCode::CONFLICT, "not-enabled");
        assert_eq!(r.json["code"], "not-enabled");
        let mut s = marketing_settings();
        s["notifications"]["marketing_email"] = json!(false);
        crate::policies::put_and_publish(&app, &owner, &shop, s).await;
        // Marketing e-mail is off in this policy.
        let r = notify(&app, &owner, &shop, message(&c, "email", "marketing")).await;
        assert_eq!(r.json["code"], "not-enabled", "{:?}", r.json);
        // Marketing SMS without consent.
        let r = notify(&app, &owner, &shop, message(&c, "sms", "marketing")).await;
        assert_eq!(r.json["code"], "no-consent", "{:?}", r.json);
        // An order SMS goes (the customer did not refuse it).
        let r = notify(&app, &owner, &shop, message(&c, "sms", "order")).await;
        assert_eq!(r.status, StatusCode::ACCEPTED, "{:?}", r.json);
        let order_id = r.json["id"].as_str().unwrap().to_string();
        // Refused order SMS: no-consent.
        let r = consent(&app, &owner, &shop, &c, "order_sms", "refused", 1).await;
        assert_eq!(r.status, StatusCode::CREATED);
        let r = notify(&app, &owner, &shop, message(&c, "sms", "order")).await;
        assert_eq!(r.json["code"], "no-consent", "{:?}", r.json);
        // Marketing SMS with consent goes, with Iran's opt-out line.
        let r = consent(&app, &owner, &shop, &c, "marketing_sms", "given", 1).await;
        assert_eq!(r.status, StatusCode::CREATED);
        let mut m = message(&c, "sms", "marketing");
        m["request_id"] = json!("campaign-7-customer-1");
        let r = notify(&app, &owner, &shop, m.clone()).await;
        assert_eq!(r.status, StatusCode::ACCEPTED, "{:?}", r.json);
        let marketing_id = r.json["id"].as_str().unwrap().to_string();
        // The same request id again: the same notification, nothing new queued.
        let r = notify(&app, &owner, &shop, m).await;
        assert_eq!(r.json["id"], marketing_id.as_str());
        assert_eq!(app.send_outbox().await, 2);
        assert_eq!(app.send_outbox().await, 0, "a message was sent twice");
        let sent = app.sent.lock().unwrap().clone();
        assert_eq!(sent.len(), 2, "{sent:?}");
        assert!(
            sent.iter()
                .all(|m| m.channel == "sms" && m.to == "+989121234567")
        );
        assert!(sent[0].body.contains("A-1001"), "{:?}", sent[0].body);
        assert!(
            !sent[0].body.contains("لغو۱۱"),
            "an order message got the opt-out line"
        );
        assert!(sent[1].body.ends_with("لغو۱۱"), "{:?}", sent[1].body);
        let r = app
            .get(
                &format!("/v1/shops/{shop}/notifications/{order_id}"),
                &owner,
            )
            .await;
        assert_eq!(r.json["state"], "sent", "{:?}", r.json);
        assert!(r.json["provider_message_id"].is_string());
        // Kept: the hash of the body, never the body or the values.
        assert_eq!(
            app.count(
                "SELECT COUNT(*) AS n FROM notifications WHERE payload IS NULL AND body_sha256 IS NOT NULL",
                [],
            )
            .await,
            2
        );
        // A "stop" reply suppresses marketing SMS to the number at once.
        let (status, _, _) = app
            .raw(
                Request::post("/v1/hooks/sms/kavenegar?token=hook-token")
                    .header("content-type", "application/x-www-form-urlencoded")
                    .body(Body::from(
                        "from=09121234567&message=%D9%84%D8%BA%D9%88%DB%B1%DB%B1",
                    ))
                    .unwrap(),
            )
            .await;
        assert_eq!(status, StatusCode::OK);
        let r = notify(&app, &owner, &shop, message(&c, "sms", "marketing")).await;
        assert!(
            r.json["code"] == "suppressed" || r.json["code"] == "no-consent",
            "{:?}",
            r.json
        );
        assert_eq!(
            current(&app, &owner, &shop, &c).await["current"]["marketing_sms"],
            "withdrawn"
        );
        // Consent again: still suppressed (the number said stop).
        let r = consent(&app, &owner, &shop, &c, "marketing_sms", "given", 1).await;
        assert_eq!(r.status, StatusCode::CREATED);
        let r = notify(&app, &owner, &shop, message(&c, "sms", "marketing")).await;
        assert_eq!(r.json["code"], "suppressed", "{:?}", r.json);
        // A hook without the token is refused.
        let (status, _, _) = app
            .raw(
                Request::post("/v1/hooks/sms/kavenegar?token=wrong")
                    .header("content-type", "application/x-www-form-urlencoded")
                    .body(Body::from("from=09121234567&message=STOP"))
                    .unwrap(),
            )
            .await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert_eq!(app.send_outbox().await, 0);
    }
);

db_test!(
    uae_advertising_waits_for_its_hours,
    |app: TestApp| async move {
        let (owner, shop) = app.merchant("gate-ae").await;
        let mut s = marketing_settings();
        s["controller"]["country"] = json!("AE");
        // eNamad and Moadian are Iranian duties; the settings refuse them elsewhere.
        s["practices"]["enamad"] = json!(false);
        s["practices"]["tax_e_invoices"] = json!(false);
        crate::policies::put_and_publish(&app, &owner, &shop, s).await;
        let c = customer(&app, &owner, &shop).await;
        let r = consent(&app, &owner, &shop, &c, "marketing_email", "given", 1).await;
        assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.json);
        // 22:30 in Dubai.
        *app.clock.lock().unwrap() = Some(time::macros::datetime!(2026-12-07 18:30 UTC));
        let r = notify(&app, &owner, &shop, message(&c, "email", "marketing")).await;
        r.assert_problem(StatusCode::CONFLICT, "quiet-hours");
        assert_eq!(r.json["code"], "quiet-hours");
        // An order e-mail is not advertising: it goes at night too.
        let r = notify(&app, &owner, &shop, message(&c, "email", "order")).await;
        assert_eq!(r.status, StatusCode::ACCEPTED, "{:?}", r.json);
        // 10:00 in Dubai.
        *app.clock.lock().unwrap() = Some(time::macros::datetime!(2026-12-07 06:00 UTC));
        let r = notify(&app, &owner, &shop, message(&c, "email", "marketing")).await;
        assert_eq!(r.status, StatusCode::ACCEPTED, "{:?}", r.json);
        assert_eq!(app.send_outbox().await, 2);
        let sent = app.sent.lock().unwrap().clone();
        assert!(sent.iter().all(|m| m.channel == "email"
            && m.to.eq_ignore_ascii_case("Maryam.Rezaei@Example.IR")
            && m.subject.is_some()));
    }
);

db_test!(
    bad_messages_are_named_and_queue_nothing,
    |app: TestApp| async move {
        let (owner, shop) = app.merchant("gate-bad").await;
        crate::policies::put_and_publish(&app, &owner, &shop, marketing_settings()).await;
        let c = customer(&app, &owner, &shop).await;
        for (body, field) in [
            (
                json!({"customer_id": c, "channel": "sms", "kind": "order", "template": "nope"}),
                "template",
            ),
            (
                json!({"customer_id": c, "channel": "sms", "kind": "order", "template": "order_placed"}),
                "values.order_ref",
            ),
            (
                json!({"customer_id": c, "channel": "sms", "kind": "order", "template": "order_placed",
                    "values": {"order_ref": "A\u{0}1"}}),
                "values.order_ref",
            ),
            (
                json!({"customer_id": c, "channel": "sms", "kind": "order", "template": "marketing",
                    "values": {"text": "hi"}}),
                "template",
            ),
        ] {
            let r = notify(&app, &owner, &shop, body).await;
            r.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation");
            assert!(
                r.json["errors"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|e| e["field"] == field),
                "{field}: {:?}",
                r.json
            );
        }
        let r = notify(
            &app,
            &owner,
            &shop,
            json!({"customer_id": c, "channel": "fax", "kind": "order", "template": "order_placed"}),
        )
        .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{:?}", r.json);
        let r = notify(
            &app,
            &owner,
            &shop,
            message("cus_0123456789abcdef0123456789abcdef", "sms", "order"),
        )
        .await;
        r.assert_problem(StatusCode::NOT_FOUND, "not-found");
        assert_eq!(
            app.count("SELECT COUNT(*) AS n FROM notifications", [])
                .await,
            0
        );
    }
);

db_test!(
    an_erased_customer_takes_their_consents_and_messages_and_the_stream_still_verifies,
    |app: TestApp| async move {
        let (owner, shop) = app.merchant("consent-erase").await;
        crate::policies::put_and_publish(&app, &owner, &shop, marketing_settings()).await;
        let gone = customer(&app, &owner, &shop).await;
        let stays = customer(&app, &owner, &shop).await;
        let mut receipt_urls = Vec::new();
        for c in [&gone, &stays] {
            let r = consent(&app, &owner, &shop, c, "marketing_sms", "given", 1).await;
            assert_eq!(r.status, StatusCode::CREATED);
            receipt_urls.push(r.json["receipt_url"].as_str().unwrap().to_string());
        }
        let visitor = "v_ffeeddccbbaa99887766554433221100";
        let (status, _, _) = banner_post(
            &app,
            "shop-consent-erase",
            json!({"visitor_id": visitor, "choices": {"analytics": true}, "policy_version": 1, "language": "fa"}),
            false,
        )
        .await;
        assert_eq!(status, StatusCode::CREATED);
        let r = app
            .post(
                &format!("/v1/shops/{shop}/customers/{gone}/visitors"),
                Some(&owner),
                json!({"visitor_id": visitor}),
            )
            .await;
        assert_eq!(r.status, StatusCode::NO_CONTENT);
        let r = notify(&app, &owner, &shop, message(&gone, "sms", "marketing")).await;
        assert_eq!(r.status, StatusCode::ACCEPTED, "{:?}", r.json);
        let r = app
            .call(
                Method::DELETE,
                &format!("/v1/shops/{shop}/customers/{gone}"),
                Some(&owner),
                None,
            )
            .await;
        assert_eq!(r.status, StatusCode::ACCEPTED, "{:?}", r.json);
        let entries = r.json["receipt"]["entries"].as_array().unwrap().clone();
        assert!(
            entries
                .iter()
                .any(|e| e["entry"] == "consent_events" && e["rows"] == 2),
            "{entries:?}"
        );
        let v = verify_stream(&app, &shop).await;
        assert_eq!(v.broken_at, None, "{v:?}");
        assert_eq!(v.erased, 2);
        let t = uuid::Uuid::parse_str(&shop).unwrap();
        assert_eq!(
            app.count(
                "SELECT COUNT(*) AS n FROM consent_events WHERE tenant_id = $1 AND (purpose IS NOT NULL OR visitor_hash IS NOT NULL OR customer_id IS NOT NULL) AND erased_mac IS NOT NULL",
                [t.into()],
            )
            .await,
            0
        );
        assert_eq!(
            app.count(
                "SELECT COUNT(*) AS n FROM notifications WHERE tenant_id = $1 AND (customer_id IS NOT NULL OR payload IS NOT NULL OR recipient_index IS NOT NULL)",
                [t.into()],
            )
            .await,
            0
        );
        // The queued message to the erased customer is not sent.
        assert_eq!(app.send_outbox().await, 0);
        // The erased customer's receipt page is gone; the other's stays.
        let (status, _, _) = app
            .raw(
                Request::get(receipt_urls[0].as_str())
                    .body(Body::empty())
                    .unwrap(),
            )
            .await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        let (status, _, _) = app
            .raw(
                Request::get(receipt_urls[1].as_str())
                    .body(Body::empty())
                    .unwrap(),
            )
            .await;
        assert_eq!(status, StatusCode::OK);
        // The other customer is untouched.
        assert_eq!(
            current(&app, &owner, &shop, &stays).await["current"]["marketing_sms"],
            "given"
        );
        let r = app
            .get(
                &format!("/v1/shops/{shop}/customers/{gone}/consents"),
                &owner,
            )
            .await;
        r.assert_problem(StatusCode::NOT_FOUND, "not-found");
    }
);

db_test!(
    saudi_advertising_sms_carries_the_ad_sender_mark,
    |app: TestApp| async move {
        let (owner, shop) = app.merchant("gate-sa").await;
        let mut s = marketing_settings();
        s["controller"]["country"] = json!("SA");
        // eNamad and Moadian are Iranian duties; the settings refuse them elsewhere.
        s["practices"]["enamad"] = json!(false);
        s["practices"]["tax_e_invoices"] = json!(false);
        crate::policies::put_and_publish(&app, &owner, &shop, s).await;
        let c = customer(&app, &owner, &shop).await;
        let r = consent(&app, &owner, &shop, &c, "marketing_sms", "given", 1).await;
        assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.json);
        for kind in ["marketing", "order"] {
            let r = notify(&app, &owner, &shop, message(&c, "sms", kind)).await;
            assert_eq!(r.status, StatusCode::ACCEPTED, "{:?}", r.json);
        }
        assert_eq!(app.send_outbox().await, 2);
        let sent = app.sent.lock().unwrap().clone();
        assert_eq!(sent[0].from, "GolSorkh-AD");
        assert_eq!(
            sent[1].from, "GolSorkh",
            "an order message was marked as advertising"
        );
        assert!(!sent[0].body.contains("لغو۱۱"));
    }
);

db_test!(
    the_shop_export_carries_each_customers_consents_and_messages,
    |app: TestApp| async move {
        let (owner, shop) = app.merchant("consent-export").await;
        crate::policies::put_and_publish(&app, &owner, &shop, marketing_settings()).await;
        let c = customer(&app, &owner, &shop).await;
        let r = consent(&app, &owner, &shop, &c, "marketing_sms", "given", 1).await;
        assert_eq!(r.status, StatusCode::CREATED);
        let r = notify(&app, &owner, &shop, message(&c, "sms", "marketing")).await;
        assert_eq!(r.status, StatusCode::ACCEPTED, "{:?}", r.json);
        let files = crate::rights::export_shop(&app, &owner, &shop).await;
        let consents: Value = serde_json::from_slice(&files["data/consents.json"]).unwrap();
        let events = consents["tables"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["table"] == "consent_events")
            .expect("the consent events are exported");
        let row = &events["rows"][0];
        assert_eq!(row["purpose"], "marketing_sms", "{consents}");
        assert_eq!(row["state"], "given");
        assert_eq!(row["policy_version"], 1);
        assert_eq!(
            row["customer_id"],
            harim_store::ids::CustomerId::parse_public(&c)
                .unwrap()
                .uuid()
                .to_string()
        );
        let messages: Value = serde_json::from_slice(&files["data/messages.json"]).unwrap();
        assert!(
            messages.to_string().contains("Yalda sale"),
            "a queued message's values are exported decrypted: {messages}"
        );
    }
);
