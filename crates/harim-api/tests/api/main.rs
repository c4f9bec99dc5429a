//! In-process API tests. Each runs on its own fresh database, on SQLite and (when
//! `HARIM_TEST_DATABASE_URL` is set) on PostgreSQL.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

mod citus;
mod consent;
mod customers;
mod events;
mod evidence;
mod headers;
mod helpers;
mod identity;
mod invitations;
mod isolation;
mod kyc;
mod platform_policy;
mod policies;
mod races;
mod requests;
mod retention;
mod rights;
mod rotation;
mod text;
mod tokens;

use axum::{
    body::Body,
    http::{Method, Request, StatusCode},
};
use helpers::TestApp;
use serde_json::json;

db_test!(
    signing_up_and_in_gives_a_session_that_signing_out_revokes,
    |app: TestApp| async move {
        let (_, token) = app.account("ana@example.com").await;
        let r = app.get("/v1/shops", &token).await;
        assert_eq!(r.status, StatusCode::OK);
        assert_eq!(r.json, json!([]));
        let r = app
            .call(Method::DELETE, "/v1/sessions/current", Some(&token), None)
            .await;
        assert_eq!(r.status, StatusCode::NO_CONTENT);
        app.get("/v1/shops", &token)
            .await
            .assert_problem(StatusCode::UNAUTHORIZED, "unauthorized");
    }
);

db_test!(
    a_duplicate_email_is_a_conflict_and_case_does_not_matter,
    |app: TestApp| async move {
        app.account("dup@example.com").await;
        let r = app
            .sign_up("DUP@example.com", "another long password")
            .await;
        r.assert_problem(StatusCode::CONFLICT, "conflict");
    }
);

db_test!(
    wrong_password_and_unknown_email_get_the_same_401,
    |app: TestApp| async move {
        app.account("bob@example.com").await;
        let a = app.sign_in("bob@example.com", "wrong password!!").await;
        let b = app.sign_in("nobody@example.com", "wrong password!!").await;
        a.assert_problem(StatusCode::UNAUTHORIZED, "unauthorized");
        b.assert_problem(StatusCode::UNAUTHORIZED, "unauthorized");
        assert_eq!(a.json, b.json);
    }
);

db_test!(
    every_bad_field_is_named_and_no_value_is_echoed,
    |app: TestApp| async move {
        let r = app
            .post(
                "/v1/accounts",
                None,
                json!({"email": "not-an-email", "password": "short", "display_name": "\u{7}"}),
            )
            .await;
        r.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation");
        assert_eq!(r.error_fields(), ["email", "password", "display_name"]);
        assert!(!r.json.to_string().contains("not-an-email"));
    }
);

db_test!(
    malformed_json_unknown_fields_and_wrong_types_are_problems,
    |app: TestApp| async move {
        let req = Request::post("/v1/accounts")
            .header("content-type", "application/json")
            .body(Body::from("{not json"))
            .unwrap();
        let (status, headers, _) = app.raw(req).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_eq!(headers["content-type"], "application/problem+json");

        let r = app
            .post(
                "/v1/accounts",
                None,
                json!({"email": "a@b.io", "password": "long enough pw", "admin": true}),
            )
            .await;
        r.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation");
        assert_eq!(r.json["errors"][0]["field"], "admin");

        let r = app
            .post(
                "/v1/accounts",
                None,
                json!({"email": 42, "password": "long enough pw"}),
            )
            .await;
        r.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation");
        assert_eq!(r.json["errors"][0]["field"], "email");

        let r = app
            .post("/v1/accounts", None, json!({"password": "long enough pw"}))
            .await;
        assert_eq!(r.json["errors"][0]["field"], "email");

        let req = Request::post("/v1/accounts")
            .header("content-type", "text/plain")
            .body(Body::from("{}"))
            .unwrap();
        let (status, headers, _) = app.raw(req).await;
        assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
        assert_eq!(headers["content-type"], "application/problem+json");
    }
);

db_test!(
    unknown_routes_wrong_methods_and_huge_bodies_are_problems,
    |app: TestApp| async move {
        let (_, token) = app.account("c@example.com").await;
        app.get("/nope", &token)
            .await
            .assert_problem(StatusCode::NOT_FOUND, "not-found");
        let r = app.call(Method::PATCH, "/v1/accounts", None, None).await;
        r.assert_problem(StatusCode::METHOD_NOT_ALLOWED, "method-not-allowed");
        assert_eq!(
            r.headers.get("allow").map(|v| v.to_str().unwrap()),
            Some("POST")
        );
        let big = "x".repeat(200 * 1024);
        let r = app
            .post(
                "/v1/accounts",
                None,
                json!({"email": "a@b.io", "password": big}),
            )
            .await;
        r.assert_problem(StatusCode::PAYLOAD_TOO_LARGE, "payload-too-large");
        app.get("/v1/shops/not-a-uuid", &token)
            .await
            .assert_problem(StatusCode::NOT_FOUND, "not-found");
    }
);

db_test!(garbage_tokens_are_401_not_500, |app: TestApp| async move {
    for t in [
        "x",
        "hs_",
        "hs_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "hk_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "ha_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "zz_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "ش",
    ] {
        app.get("/v1/shops", t)
            .await
            .assert_problem(StatusCode::UNAUTHORIZED, "unauthorized");
    }
    let r = app.call(Method::GET, "/v1/shops", None, None).await;
    r.assert_problem(StatusCode::UNAUTHORIZED, "unauthorized");
});

// Shop routes authenticate and resolve the scope in one statement: a token that is unknown,
// revoked or expired is 401 whatever the shop; a valid one that may not act there is 404.
db_test!(
    shop_routes_answer_401_for_bad_tokens_and_404_for_strangers,
    |app: TestApp| async move {
        use sea_orm::{EntityTrait, sea_query::Expr};
        let (owner, shop) = app.merchant("gamma").await;
        let (_, other_shop) = app.merchant("delta").await;
        let (_, key) = app.api_key(&owner, &shop, "owner").await;
        let (_, stranger) = app.account("stranger@example.com").await;
        let operator = app
            .platform_token(harim_store::roles::PlatformRole::Reviewer)
            .await;
        let here = format!("/v1/shops/{shop}");
        let identity = format!("/v1/shops/{shop}/identity");
        let missing = format!("/v1/shops/{}", uuid::Uuid::now_v7());
        let elsewhere = format!("/v1/shops/{other_shop}");

        for (token, path, status) in [
            (&owner, &here, StatusCode::OK),
            (&key, &here, StatusCode::OK),
            (&operator, &here, StatusCode::OK),
            // Valid tokens, shops they may not act in.
            (&stranger, &here, StatusCode::NOT_FOUND),
            (&stranger, &identity, StatusCode::NOT_FOUND),
            (&owner, &elsewhere, StatusCode::NOT_FOUND),
            (&key, &elsewhere, StatusCode::NOT_FOUND),
            (&owner, &missing, StatusCode::NOT_FOUND),
            (&key, &missing, StatusCode::NOT_FOUND),
            (&operator, &missing, StatusCode::NOT_FOUND),
        ] {
            let r = app.get(path, token).await;
            assert_eq!(r.status, status, "{path}: {:?}", r.json);
        }
        let bad_path = "/v1/shops/not-a-uuid".to_string();
        for t in [
            "hs_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
            "hk_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
            "ha_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
            "zz_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        ] {
            for path in [&here, &identity, &missing, &bad_path] {
                app.get(path, t)
                    .await
                    .assert_problem(StatusCode::UNAUTHORIZED, "unauthorized");
            }
        }
        app.call(Method::GET, &here, None, None)
            .await
            .assert_problem(StatusCode::UNAUTHORIZED, "unauthorized");

        // Expired sessions: 401 even in the shop the account owns, and for a stranger too.
        harim_store::testkit::entity::session::Entity::update_many()
            .col_expr(
                harim_store::testkit::entity::session::Column::ExpiresAt,
                Expr::value(time::OffsetDateTime::now_utc() - time::Duration::minutes(1)),
            )
            .exec(&app.db)
            .await
            .unwrap();
        for (token, path) in [
            (&owner, &here),
            (&owner, &identity),
            (&owner, &missing),
            (&stranger, &here),
        ] {
            app.get(path, token)
                .await
                .assert_problem(StatusCode::UNAUTHORIZED, "unauthorized");
        }
        // Keys and operators do not expire.
        assert_eq!(app.get(&here, &key).await.status, StatusCode::OK);
        assert_eq!(app.get(&here, &operator).await.status, StatusCode::OK);
    }
);

db_test!(
    shops_have_one_owner_slugs_are_unique_and_staff_cannot_administer,
    |app: TestApp| async move {
        let (owner, shop) = app.merchant("alpha").await;
        app.create_shop(&owner, "Other", "shop-alpha", "en")
            .await
            .assert_problem(StatusCode::CONFLICT, "conflict");
        app.create_shop(&owner, "", "Bad Slug", "de")
            .await
            .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation");

        let staff = app.staff(&owner, &shop, "staff@example.com").await;

        let r = app.get(&format!("/v1/shops/{shop}"), &staff).await;
        assert_eq!(r.status, StatusCode::OK);
        assert_eq!(r.json["role"], "staff");
        app.create_api_key(&staff, &shop, "owner")
            .await
            .assert_problem(StatusCode::FORBIDDEN, "forbidden");
        let r = app.get("/v1/shops", &staff).await;
        assert_eq!(r.json[0]["id"], shop.as_str());
    }
);

db_test!(
    api_keys_act_for_their_shop_only_and_stop_when_revoked,
    |app: TestApp| async move {
        let (owner, shop) = app.merchant("beta").await;
        let (key_id, key) = app.api_key(&owner, &shop, "staff").await;
        assert!(key.starts_with("hk_"));
        let r = app.get(&format!("/v1/shops/{shop}"), &key).await;
        assert_eq!(r.status, StatusCode::OK);
        assert_eq!(r.json["role"], "staff");
        // A key cannot mint keys, even an owner key.
        let (_, owner_key) = app.api_key(&owner, &shop, "owner").await;
        app.create_api_key(&owner_key, &shop, "owner")
            .await
            .assert_problem(StatusCode::FORBIDDEN, "forbidden");
        let r = app.revoke_api_key(&owner, &shop, &key_id).await;
        assert_eq!(r.status, StatusCode::NO_CONTENT);
        app.get(&format!("/v1/shops/{shop}"), &key)
            .await
            .assert_problem(StatusCode::UNAUTHORIZED, "unauthorized");
        app.revoke_api_key(&owner, &shop, &key_id)
            .await
            .assert_problem(StatusCode::NOT_FOUND, "not-found");
    }
);

db_test!(
    sign_in_is_rate_limited_with_retry_after,
    |_unused: TestApp| async move {
        let app = TestApp::sqlite_with(harim_api::ApiConfig {
            login_attempts_per_minute: 3,
            hash_concurrency: 4,
            ..Default::default()
        })
        .await;
        let body = json!({"email": "flood@example.com", "password": "whatever whatever"});
        for _ in 0..3 {
            assert_eq!(
                app.post("/v1/sessions", None, body.clone()).await.status,
                StatusCode::UNAUTHORIZED
            );
        }
        let r = app.post("/v1/sessions", None, body).await;
        r.assert_problem(StatusCode::TOO_MANY_REQUESTS, "rate-limited");
        assert!(r.headers.contains_key("retry-after"));
    }
);

db_test!(operations_endpoints_answer, |app: TestApp| async move {
    let r = app.call(Method::GET, "/healthz", None, None).await;
    assert_eq!(r.status, StatusCode::OK);
    let r = app.call(Method::GET, "/readyz", None, None).await;
    assert_eq!(r.status, StatusCode::OK);
    // Draining (SIGTERM in the binary): not ready, so a load balancer stops sending; alive.
    app.draining
        .store(true, std::sync::atomic::Ordering::Relaxed);
    app.call(Method::GET, "/readyz", None, None)
        .await
        .assert_problem(StatusCode::SERVICE_UNAVAILABLE, "unavailable");
    assert_eq!(
        app.call(Method::GET, "/healthz", None, None).await.status,
        StatusCode::OK
    );
    app.draining
        .store(false, std::sync::atomic::Ordering::Relaxed);
    // /metrics needs a platform token (issue "Hostile input", finding 3).
    app.call(Method::GET, "/metrics", None, None)
        .await
        .assert_problem(StatusCode::UNAUTHORIZED, "unauthorized");
    let (_, merchant) = app.account("metrics-merchant@example.com").await;
    app.call(Method::GET, "/metrics", Some(&merchant), None)
        .await
        .assert_problem(StatusCode::FORBIDDEN, "forbidden");
    let operator = app
        .platform_token(harim_store::roles::PlatformRole::Reviewer)
        .await;
    let r = app
        .call(Method::GET, "/metrics", Some(&operator), None)
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let text = r.json.as_str().unwrap().to_string();
    assert!(text.contains("http_requests_total"), "{text}");
    assert!(text.contains("route=\"/healthz\""), "{text}");
    let r = app.call(Method::GET, "/openapi.json", None, None).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.json["paths"]["/v1/shops/{shop_id}"]["get"].is_object());
    let r = app.call(Method::GET, "/docs", None, None).await;
    assert!(r.json.as_str().unwrap().contains("rapi-doc"));
    assert!(r.headers.contains_key("x-request-id"));
});

#[test]
fn the_openapi_document_lists_every_route_of_the_contract() {
    let doc = harim_api::openapi();
    let have: Vec<(String, String)> = doc
        .paths
        .paths
        .iter()
        .flat_map(|(p, item)| {
            [
                ("get", item.get.is_some()),
                ("post", item.post.is_some()),
                ("put", item.put.is_some()),
                ("delete", item.delete.is_some()),
            ]
            .into_iter()
            .filter(|(_, on)| *on)
            .map(move |(m, _)| (m.to_string(), p.clone()))
        })
        .collect();
    for (m, p) in [
        ("post", "/v1/accounts"),
        ("post", "/v1/sessions"),
        ("delete", "/v1/sessions/current"),
        ("post", "/v1/shops"),
        ("get", "/v1/shops"),
        ("get", "/v1/shops/{shop_id}"),
        ("post", "/v1/shops/{shop_id}/members"),
        ("post", "/v1/invitations/accept"),
        ("post", "/v1/shops/{shop_id}/api-keys"),
        ("delete", "/v1/shops/{shop_id}/api-keys/{key_id}"),
        ("get", "/healthz"),
        ("get", "/readyz"),
        ("get", "/metrics"),
        ("get", "/openapi.json"),
        ("get", "/docs"),
        ("get", "/assets/fonts/{name}"),
        ("get", "/privacy"),
        ("get", "/privacy.json"),
        ("get", "/privacy.md"),
        ("get", "/privacy/versions/{n}"),
        ("post", "/v1/admin/platform-policy"),
        ("get", "/v1/admin/platform-policy"),
        ("get", "/v1/admin/policy-consistency"),
    ]
    .into_iter()
    .chain(harim_api::routes::policies::platform::RIGHTS_ROUTES)
    {
        assert!(
            have.contains(&(m.to_string(), p.to_string())),
            "{m} {p} missing from OpenAPI"
        );
    }
}

db_test!(
    platform_tokens_reach_shops_but_are_not_merchants,
    |app: TestApp| async move {
        let (_, shop) = app.merchant("gamma").await;
        let reviewer = app
            .platform_token(harim_store::roles::PlatformRole::Reviewer)
            .await;
        let r = app.get(&format!("/v1/shops/{shop}"), &reviewer).await;
        assert_eq!(r.status, StatusCode::OK);
        assert_eq!(r.json["role"], "platform");
        app.get("/v1/shops", &reviewer)
            .await
            .assert_problem(StatusCode::FORBIDDEN, "forbidden");
        let missing = uuid::Uuid::now_v7();
        app.get(&format!("/v1/shops/{missing}"), &reviewer)
            .await
            .assert_problem(StatusCode::NOT_FOUND, "not-found");
    }
);

/// Query parameters are declared `in: query` (generated clients and contract testers put them
/// where the document says), and every parameter a path template names is a path parameter.
#[test]
fn the_openapi_document_declares_real_parameter_locations() {
    let doc = serde_json::to_value(harim_api::openapi()).unwrap();
    let mut checked = 0;
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let Some(params) = op["parameters"].as_array() else {
                continue;
            };
            for p in params {
                let name = p["name"].as_str().unwrap();
                let place = p["in"].as_str().unwrap();
                let templated = path.contains(&format!("{{{name}}}"));
                if place == "path" {
                    assert!(templated, "{method} {path}: {name} is not in the path");
                } else {
                    assert!(
                        !templated,
                        "{method} {path}: {name} should be a path parameter"
                    );
                }
                checked += 1;
            }
        }
    }
    assert!(checked > 10, "{checked}");
    // The identity search takes its values in a body: a URL reaches access logs.
    let search = &doc["paths"]["/v1/admin/identities"];
    assert!(search["get"].is_null(), "{search}");
    assert!(search["post"]["parameters"].is_null(), "{search}");
    assert!(search["post"]["requestBody"].is_object(), "{search}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_can_be_made_public_for_a_private_scraper() {
    let app = helpers::TestApp::sqlite_with(harim_api::ApiConfig {
        metrics_public: true,
        ..helpers::test_config()
    })
    .await;
    let r = app.call(Method::GET, "/metrics", None, None).await;
    assert_eq!(r.status, StatusCode::OK);
}
