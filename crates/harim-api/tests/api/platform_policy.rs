//! The platform's own privacy policy for merchants: published by an admin only, served at
//! `/privacy` in four languages with its hash chain, naming routes that exist.

use axum::{
    body::Body,
    http::{Method, Request, StatusCode},
};
use serde_json::{Value, json};

use crate::{db_test, helpers::TestApp};

async fn public(app: &TestApp, path: &str) -> (StatusCode, String) {
    let (status, _, body) = app
        .raw(Request::get(path).body(Body::empty()).unwrap())
        .await;
    (status, String::from_utf8(body).unwrap())
}

db_test!(
    only_an_admin_publishes_and_the_pages_serve_every_locale,
    |app: TestApp| async move {
        let (status, body) = public(&app, "/privacy").await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{body}");

        let (merchant, _) = app.merchant("pp").await;
        let reviewer = app
            .platform_token(harim_store::roles::PlatformRole::Reviewer)
            .await;
        for who in [&merchant, &reviewer] {
            app.post("/v1/admin/platform-policy", Some(who), json!({}))
                .await
                .assert_problem(StatusCode::FORBIDDEN, "forbidden");
        }
        app.call(
            Method::POST,
            "/v1/admin/platform-policy",
            None,
            Some(json!({})),
        )
        .await
        .assert_problem(StatusCode::UNAUTHORIZED, "unauthorized");

        let admin = app
            .platform_token(harim_store::roles::PlatformRole::Admin)
            .await;
        let v1 = app
            .post("/v1/admin/platform-policy", Some(&admin), json!({}))
            .await;
        assert_eq!(v1.status, StatusCode::CREATED, "{:?}", v1.json);
        assert_eq!(v1.json["version"], 1);
        assert_eq!(v1.json["previous_hash"], Value::Null);
        assert_eq!(
            v1.json["locales"],
            json!(["en", "fa", "ar", "sq"]),
            "{:?}",
            v1.json
        );
        // Nothing changed: nothing to publish.
        app.post("/v1/admin/platform-policy", Some(&admin), json!({}))
            .await
            .assert_problem(StatusCode::CONFLICT, "conflict");
        app.post(
            "/v1/admin/platform-policy",
            Some(&admin),
            json!({"effective_at": "2001-01-01T00:00:00Z"}),
        )
        .await
        .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation");

        // Persian by default, every locale on request, each linking to the others.
        let (status, fa) = public(&app, "/privacy").await;
        assert_eq!(status, StatusCode::OK);
        assert!(fa.contains("lang=\"fa\""), "{fa}");
        for l in ["en", "ar", "sq"] {
            let (status, page) = public(&app, &format!("/privacy?lang={l}")).await;
            assert_eq!(status, StatusCode::OK);
            assert!(page.contains(&format!("lang=\"{l}\"")));
            assert!(page.contains("hreflang=\"fa\""));
        }
        let (_, en) = public(&app, "/privacy?lang=en").await;
        // The rights name the real requests, which the OpenAPI document lists.
        for (m, p) in harim_api::routes::policies::platform::RIGHTS_ROUTES {
            let named = format!("{} {p}", m.to_ascii_uppercase());
            assert!(en.contains(&named), "{named} not named");
        }
        // Every category of the data map is stated, with the configured numbers.
        assert!(en.contains("national ID number"), "{en}");
        assert!(en.contains("12 hours after creation"), "{en}");

        let (status, md) = public(&app, "/privacy.md?lang=en").await;
        assert_eq!(status, StatusCode::OK);
        assert!(
            md.starts_with("# Harim privacy policy for merchants"),
            "{md}"
        );
        let (status, json) = public(&app, "/privacy.json?lang=ar").await;
        assert_eq!(status, StatusCode::OK);
        let j: Value = serde_json::from_str(&json).unwrap();
        assert_eq!(j["version"], 1);
        assert_eq!(j["hash"], v1.json["hash"]);
        assert_eq!(j["previous_hash"], Value::Null);
        assert_eq!(j["language"], "ar");

        let (status, _) = public(&app, "/privacy/versions/1").await;
        assert_eq!(status, StatusCode::OK);
        for bad in [
            "/privacy/versions/2",
            "/privacy/versions/0",
            "/privacy/versions/x",
        ] {
            let (status, body) = public(&app, bad).await;
            assert_eq!(status, StatusCode::NOT_FOUND, "{bad}: {body}");
        }

        // A changed fact is a new version with its change list, chained to the first.
        let mut config = harim_api::ApiConfig::default();
        config.platform.backup_retention_days = 45;
        let ctx = harim_store::platform_policy::Context {
            platform: config.platform.clone(),
            periods: config.retention,
            response_days: config.account_response_days,
            keys_in_hsm: false,
            routes: harim_api::routes::policies::platform::rights_routes(),
        };
        let scope = crate::helpers::cli_operator("test");
        let v2 = harim_store::platform_policy::publish(&app.db, &scope, &ctx, None)
            .await
            .unwrap();
        assert_eq!(v2.version, 2);
        assert_eq!(v2.previous_hash.as_deref(), v1.json["hash"].as_str());
        assert_eq!(
            v2.changes,
            vec![harim_policy::Change::Platform {
                change: harim_policy::platform::PlatformChange::BackupsChanged { from: 30, to: 45 }
            }]
        );
        let (status, page) = public(&app, "/privacy/versions/2?lang=en").await;
        assert_eq!(status, StatusCode::OK);
        assert!(page.contains("overwritten after 45 days"), "{page}");
        assert!(page.contains("instead of 30 days"), "{page}");

        let list = app.get("/v1/admin/platform-policy", &admin).await;
        assert_eq!(list.status, StatusCode::OK);
        assert_eq!(list.json.as_array().unwrap().len(), 2);
        app.get("/v1/admin/platform-policy", &merchant)
            .await
            .assert_problem(StatusCode::FORBIDDEN, "forbidden");
    }
);

db_test!(
    invalid_platform_facts_are_refused_naming_each,
    |_app: TestApp| async move {
        let mut config = harim_api::ApiConfig::default();
        config.platform.contact_email = "not-an-address".into();
        config.platform.backup_retention_days = 0;
        let app = TestApp::sqlite_with(config).await;
        let admin = app
            .platform_token(harim_store::roles::PlatformRole::Admin)
            .await;
        let r = app
            .post("/v1/admin/platform-policy", Some(&admin), json!({}))
            .await;
        r.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation");
        assert_eq!(
            r.error_fields(),
            vec!["platform.contact_email", "platform.backup_retention_days"]
        );
        let (status, _) = public(&app, "/privacy").await;
        assert_eq!(status, StatusCode::NOT_FOUND);
    }
);

db_test!(
    a_shop_policy_that_promises_less_than_the_platform_keeps_is_found_and_refused,
    |app: TestApp| async move {
        let (owner, shop) = app.merchant("logs").await;
        let settings = crate::policies::valid_settings();
        let logs = settings["retention"]["server_logs_days"].as_u64().unwrap();
        app.save_settings(&owner, &shop, settings).await;
        let r = app
            .post(
                &format!("/v1/shops/{shop}/policies"),
                Some(&owner),
                json!({}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.json);

        // True under the configured facts.
        let admin = app
            .platform_token(harim_store::roles::PlatformRole::Admin)
            .await;
        let r = app.get("/v1/admin/policy-consistency", &admin).await;
        assert_eq!(r.status, StatusCode::OK, "{:?}", r.json);
        assert_eq!(r.json["checked"], 1);
        assert_eq!(r.json["inconsistent"], json!([]));
        app.get("/v1/admin/policy-consistency", &owner)
            .await
            .assert_problem(StatusCode::FORBIDDEN, "forbidden");

        // The operator now keeps server logs longer than the shop promises.
        let mut platform = harim_api::ApiConfig::default().platform;
        for c in &mut platform.storefront_collects {
            if c.category == harim_policy::CustomerDataCategory::IpAddress {
                c.days = Some(u32::try_from(logs).unwrap() + 30);
            }
        }
        let (checked, found) = harim_store::policies::contradictions(&app.db, &platform)
            .await
            .unwrap();
        assert_eq!(checked, 1);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].tenant_id.to_string(), shop);
        assert_eq!(found[0].violations.len(), 1);
        assert_eq!(
            found[0].violations[0].field,
            "settings.retention.server_logs_days"
        );
        assert_eq!(found[0].violations[0].code, "shorter_than_platform");
    }
);
