//! Responses that carry secrets are never cached or sniffed (issue "Hostile input", finding 3):
//! one layer sets `Cache-Control: no-store` and `X-Content-Type-Options: nosniff` on every API
//! response, `/docs` gets a CSP, and routes that chose their own caching keep it.

use axum::http::{Method, StatusCode};
use harim_store::roles::PlatformRole;
use serde_json::json;

use crate::{db_test, helpers::TestApp, identity::iranian_identity};

fn assert_private(r: &crate::helpers::Resp, what: &str) {
    assert_eq!(
        r.headers.get("cache-control").map(|v| v.to_str().unwrap()),
        Some("no-store"),
        "{what}: {:?}",
        r.headers
    );
    assert_eq!(
        r.headers
            .get("x-content-type-options")
            .map(|v| v.to_str().unwrap()),
        Some("nosniff"),
        "{what}"
    );
}

db_test!(
    responses_that_carry_secrets_are_never_cached_or_sniffed,
    |app: TestApp| async move {
        let creds = json!({"email": "cache-check@example.com", "password": "a long passphrase"});
        let r = app.post("/v1/accounts", None, creds.clone()).await;
        assert_private(&r, "new account");
        let r = app.post("/v1/sessions", None, creds).await;
        assert_eq!(r.status, StatusCode::CREATED);
        assert_private(&r, "new session token");
        let (owner, shop) = app.merchant("headers").await;
        let path = format!("/v1/shops/{shop}/identity");
        let r = app
            .call(Method::PUT, &path, Some(&owner), Some(iranian_identity()))
            .await;
        assert_private(&r, "masked identity");
        let r = app
            .post(
                &format!("{path}/reveal"),
                Some(&owner),
                json!({"fields": ["national_id"], "purpose": "payout"}),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK);
        assert_private(&r, "reveal");
        let r = app.create_api_key(&owner, &shop, "staff").await;
        assert_private(&r, "new API key");
        assert_private(
            &app.get(&format!("/v1/shops/{shop}/audit"), &owner).await,
            "audit",
        );
        let reviewer = app.platform_token(PlatformRole::Reviewer).await;
        assert_private(
            &app.search_identities(
                &reviewer,
                json!({"national_id": "0499370899", "country": "IR"}),
            )
            .await,
            "admin search",
        );
        // Problems too.
        assert_private(&app.get("/v1/nothing-here", &owner).await, "problem");

        let r = app.call(Method::GET, "/docs", None, None).await;
        assert_private(&r, "docs");
        let csp = r.headers.get("content-security-policy").unwrap();
        assert!(
            csp.to_str().unwrap().contains("script-src 'self'"),
            "{csp:?}"
        );
        // The vendored script keeps its own long caching.
        let r = app
            .call(Method::GET, "/docs/rapidoc-min.js", None, None)
            .await;
        assert_eq!(
            r.headers.get("cache-control").unwrap(),
            "public, max-age=86400"
        );
        assert_eq!(r.headers.get("x-content-type-options").unwrap(), "nosniff");
    }
);

/// A request with `Accept-Encoding: gzip, br` (a browser's), optionally authenticated and with
/// a JSON body; returns (status, headers, body bytes as sent).
async fn accepting_compression(
    app: &TestApp,
    method: Method,
    path: &str,
    token: Option<&str>,
    body: Option<serde_json::Value>,
) -> (StatusCode, axum::http::HeaderMap, Vec<u8>) {
    let mut req = axum::http::Request::builder()
        .method(method)
        .uri(path)
        .header("accept-encoding", "gzip, br");
    if let Some(t) = token {
        req = req.header("authorization", format!("Bearer {t}"));
    }
    let req = match body {
        Some(b) => req
            .header("content-type", "application/json")
            .body(axum::body::Body::from(b.to_string())),
        None => req.body(axum::body::Body::empty()),
    }
    .unwrap();
    app.raw(req).await
}

#[track_caller]
fn assert_identity(h: &axum::http::HeaderMap, body: &[u8], what: &str) {
    assert!(h.get("content-encoding").is_none(), "{what}: {h:?}");
    if let Some(ct) = h.get("content-type").and_then(|v| v.to_str().ok())
        && ct.contains("json")
    {
        serde_json::from_slice::<serde_json::Value>(body)
            .unwrap_or_else(|e| panic!("{what}: not plain JSON: {e}"));
    }
}

db_test!(
    no_store_answers_are_never_compressed_and_public_json_is,
    |app: TestApp| async move {
        // Tokens and personal data are no-store: never compressed (BREACH), however the client
        // asks.
        let creds =
            json!({"email": "squeeze-session@example.com", "password": "a long passphrase"});
        let (s, h, b) = accepting_compression(
            &app,
            Method::POST,
            "/v1/accounts",
            None,
            Some(creds.clone()),
        )
        .await;
        assert_eq!(s, StatusCode::CREATED);
        assert_identity(&h, &b, "new account");
        let (s, h, b) =
            accepting_compression(&app, Method::POST, "/v1/sessions", None, Some(creds)).await;
        assert_eq!(s, StatusCode::CREATED);
        assert_identity(&h, &b, "new session token");
        let (owner, shop) = app.merchant("squeeze").await;
        let path = format!("/v1/shops/{shop}/identity");
        let r = app
            .call(Method::PUT, &path, Some(&owner), Some(iranian_identity()))
            .await;
        assert_eq!(r.status, StatusCode::OK, "{:?}", r.json);
        let (s, h, b) = accepting_compression(
            &app,
            Method::POST,
            &format!("{path}/reveal"),
            Some(&owner),
            Some(json!({"fields": ["national_id", "iban", "full_name"], "purpose": "payout"})),
        )
        .await;
        assert_eq!(s, StatusCode::OK);
        assert_identity(&h, &b, "reveal");
        // Large no-store JSON too: size is not why.
        let settings = json!(harim_policy::examples::iranian_shop().0);
        app.save_settings(&owner, &shop, settings).await;
        let (s, h, b) = accepting_compression(
            &app,
            Method::GET,
            &format!("/v1/shops/{shop}/privacy-settings"),
            Some(&owner),
            None,
        )
        .await;
        assert_eq!(s, StatusCode::OK);
        assert!(b.len() > 1024, "{}", b.len());
        assert_identity(&h, &b, "privacy settings");
        // Problems, and a streamed download (no-store, not JSON).
        let (s, h, b) =
            accepting_compression(&app, Method::GET, "/v1/nothing-here", Some(&owner), None).await;
        assert_eq!(s, StatusCode::NOT_FOUND);
        assert_identity(&h, &b, "problem");
        let doc = crate::kyc::upload_jpeg(&app, &owner, &shop).await;
        let (s, h, b) = accepting_compression(
            &app,
            Method::GET,
            &format!("/v1/shops/{shop}/kyc/documents/{doc}/content?purpose=kyc_review"),
            Some(&owner),
            None,
        )
        .await;
        assert_eq!(s, StatusCode::OK);
        assert_identity(&h, &b, "KYC download");
        assert_eq!(h["content-type"], "image/jpeg");
        assert!(b.starts_with(&[0xFF, 0xD8]));

        // The OpenAPI document is public and large: compressed, by Accept-Encoding.
        let (s, h, plain) = app
            .raw(
                axum::http::Request::get("/openapi.json")
                    .body(axum::body::Body::empty())
                    .unwrap(),
            )
            .await;
        assert_eq!(s, StatusCode::OK);
        assert!(h.get("content-encoding").is_none());
        assert_eq!(h["cache-control"], "no-cache");
        assert!(plain.len() > 50_000, "{}", plain.len());
        for (accept, coding) in [
            ("gzip", "gzip"),
            ("gzip, br", "br"),
            ("br;q=0, gzip", "gzip"),
        ] {
            let (s, h, body) = app
                .raw(
                    axum::http::Request::get("/openapi.json")
                        .header("accept-encoding", accept)
                        .body(axum::body::Body::empty())
                        .unwrap(),
                )
                .await;
            assert_eq!(s, StatusCode::OK);
            assert_eq!(h["content-encoding"], coding, "{accept}");
            assert!(
                h.get_all("vary")
                    .iter()
                    .any(|v| v.to_str().unwrap().contains("accept-encoding")),
                "{h:?}"
            );
            assert!(body.len() < plain.len() / 4, "{accept}: {}", body.len());
            let mut decoded = Vec::new();
            use std::io::Read;
            match coding {
                "gzip" => flate2::read::GzDecoder::new(&body[..])
                    .read_to_end(&mut decoded)
                    .unwrap(),
                _ => brotli::Decompressor::new(&body[..], 4096)
                    .read_to_end(&mut decoded)
                    .unwrap(),
            };
            assert_eq!(decoded, plain, "{accept}");
        }
    }
);

// Issue "Evidence that survives a database writer", low item 1: a client-chosen `x-request-id`
// was stored verbatim in audit entries. Only one bounded token is kept; anything else is
// replaced by a UUID, in the answer and in the audit entry alike.
db_test!(
    only_a_bounded_request_id_reaches_the_audit_log,
    |app: TestApp| async move {
        let (owner, shop) = app.merchant_with_identity("request-id").await;
        let long = "a".repeat(65);
        let cases: [(&[&str], bool); 6] = [
            (&["client-7f3a.retry:2"], true),
            (&["<script>alert(1)</script>"], false),
            (&["two words"], false),
            (&[long.as_str()], false),
            (&["%E2%80%AE-rtl"], false),
            (&["a-1", "b-2"], false),
        ];
        for (sent, kept) in cases {
            let mut req = axum::http::Request::builder()
                .method(Method::POST)
                .uri(format!("/v1/shops/{shop}/identity/reveal"))
                .header("authorization", format!("Bearer {owner}"))
                .header("content-type", "application/json");
            for v in sent {
                req = req.header("x-request-id", *v);
            }
            let body = json!({"fields": ["iban"], "purpose": "payout"}).to_string();
            let (status, headers, _) = app
                .raw(req.body(axum::body::Body::from(body)).unwrap())
                .await;
            assert_eq!(status, StatusCode::OK, "{sent:?}");
            let answered = headers["x-request-id"].to_str().unwrap().to_string();
            if kept {
                assert_eq!(answered, sent[0]);
            } else {
                assert!(
                    uuid::Uuid::parse_str(&answered).is_ok(),
                    "{sent:?} -> {answered}"
                );
            }
            let audit = app.get(&format!("/v1/shops/{shop}/audit"), &owner).await;
            assert_eq!(audit.status, StatusCode::OK);
            let newest = &audit.json.as_array().unwrap()[0];
            assert_eq!(newest["action"], "identity.reveal");
            assert_eq!(newest["request_id"], answered.as_str(), "{sent:?}");
        }
    }
);
