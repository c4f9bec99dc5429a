//! One rule for free text (issue "Hostile input", finding 6): controls, bidi overrides and
//! isolates and invisible characters are refused in shop names and in policy settings, as the
//! identity fields already refused them ("Shop \u{202E}exe.fdp" reads as "Shop pdf.exe").

use axum::http::{Method, StatusCode};
use serde_json::json;

use crate::{db_test, helpers::TestApp, policies::valid_settings};

db_test!(
    bidi_and_invisible_characters_are_refused_in_every_free_text_field,
    |app: TestApp| async move {
        let (owner, shop) = app.merchant("text-rule").await;
        for name in [
            "Shop \u{202E}exe.fdp",
            "Shop\u{2066}x\u{2069}",
            "Sh\u{200B}op",
            "\u{FEFF}Shop",
        ] {
            let r = app
                .post(
                    "/v1/shops",
                    Some(&owner),
                    json!({"name": name, "slug": "text-rule-two", "default_locale": "en"}),
                )
                .await;
            r.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation");
            assert_eq!(
                r.json["errors"][0]["field"], "name",
                "{name:?}: {:?}",
                r.json
            );
        }
        // Persian needs ZWNJ: still accepted.
        let r = app
            .post(
                "/v1/shops",
                Some(&owner),
                json!({"name": "فروشگاه می‌خواهم", "slug": "text-rule-three", "default_locale": "fa"}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.json);

        let path = format!("/v1/shops/{shop}/privacy-settings");
        let mut settings = valid_settings();
        settings["contact"]["address"] = json!("Tehran \u{202E}1 teertS");
        let r = app
            .call(Method::PUT, &path, Some(&owner), Some(settings))
            .await;
        r.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation");
        assert!(
            r.json["errors"]
                .as_array()
                .unwrap()
                .iter()
                .any(|e| e["field"] == "contact.address"),
            "{:?}",
            r.json
        );
    }
);

// Finding 8: a declared charset other than UTF-8 was read as UTF-8 anyway, and a `null` body
// was reported as a field named "invalid type".
db_test!(
    a_foreign_charset_is_refused_and_a_null_body_names_the_body,
    |app: TestApp| async move {
        use axum::{body::Body, http::Request};
        let body = json!({"email": "charset@example.com", "password": "a long passphrase"});
        for ct in [
            "application/json; charset=utf-16",
            "application/json;charset=\"latin1\"",
        ] {
            let req = Request::builder()
                .method("POST")
                .uri("/v1/accounts")
                .header("content-type", ct)
                .body(Body::from(body.to_string()))
                .unwrap();
            let (status, _, bytes) = app.raw(req).await;
            assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE, "{ct}");
            let problem: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
            assert_eq!(
                problem["type"],
                "https://harim.dev/problems/unsupported-media-type"
            );
        }
        let req = Request::builder()
            .method("POST")
            .uri("/v1/accounts")
            .header("content-type", "application/json; charset=UTF-8")
            .body(Body::from(body.to_string()))
            .unwrap();
        assert_eq!(app.raw(req).await.0, StatusCode::CREATED);

        let req = Request::builder()
            .method("POST")
            .uri("/v1/sessions")
            .header("content-type", "application/json")
            .body(Body::from("null"))
            .unwrap();
        let (status, _, bytes) = app.raw(req).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        let problem: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
        assert_eq!(problem["errors"][0]["field"], "body", "{problem}");
    }
);
