//! Responses that carry secrets are never cached or sniffed (issue "Hostile input", finding 3):
//! one layer sets `Cache-Control: no-store` and `X-Content-Type-Options: nosniff` on every API
//! response, `/docs` gets a CSP, and routes that chose their own caching keep it.

use axum::http::{Method, StatusCode};
use harim_store::auth::PlatformRole;
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
        let r = app
            .post(
                &format!("/v1/shops/{shop}/api-keys"),
                Some(&owner),
                json!({"name": "k", "role": "staff"}),
            )
            .await;
        assert_private(&r, "new API key");
        assert_private(
            &app.get(&format!("/v1/shops/{shop}/audit"), &owner).await,
            "audit",
        );
        let reviewer = app.platform_token(PlatformRole::Reviewer).await;
        assert_private(
            &app.get(
                "/v1/admin/identities?national_id=0499370899&country=IR",
                &reviewer,
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
