//! Tenant isolation, walked over every shop-scoped route the OpenAPI document lists: routes
//! added later are covered without touching this test.

use std::collections::BTreeMap;

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};

use crate::{db_test, helpers::TestApp};

/// Plausible bodies, so a broken scope would make the request succeed and change data.
fn sample_body(method: &Method, template: &str) -> Option<Value> {
    let body = match (method.as_str(), template) {
        ("POST", "/v1/shops/{shop_id}/members") => {
            json!({"email": "victim-staff@example.com", "role": "staff"})
        }
        ("POST", "/v1/shops/{shop_id}/api-keys") => json!({"name": "stolen", "role": "owner"}),
        ("PUT", "/v1/shops/{shop_id}/privacy-settings") => crate::policies::valid_settings(),
        ("PUT", "/v1/shops/{shop_id}/identity") => crate::identity::iranian_identity(),
        ("DELETE", "/v1/shops/{shop_id}") => {
            json!({"confirm": "shop-victim", "password": crate::helpers::PASSWORD})
        }
        ("POST", "/v1/shops/{shop_id}/identity/reveal") => {
            json!({"fields": ["national_id", "iban"], "purpose": "support"})
        }
        ("POST", "/v1/admin/identities") => json!({"iban": "DE89370400440532013000"}),
        ("POST", "/v1/admin/kyc/documents/{doc_id}/decision") => {
            json!({"decision": "approved", "reason": "looks fine"})
        }
        ("POST", "/v1/shops/{shop_id}/customers")
        | ("PUT", "/v1/shops/{shop_id}/customers/{customer_id}") => crate::customers::sample(),
        ("POST", "/v1/shops/{shop_id}/customers/{customer_id}/reveal") => {
            json!({"fields": ["phone", "addresses"], "purpose": "shipping"})
        }
        ("POST", "/v1/shops/{shop_id}/customers/{customer_id}/orders") => {
            crate::customers::sample_order()
        }
        ("POST", "/v1/shops/{shop_id}/consents") => json!({
            "visitor_id": "v_0123456789abcdef0123456789abcdef", "purpose": "order_email",
            "state": "refused", "policy_version": 1, "language": "en", "collection": "api"
        }),
        ("POST", "/v1/shops/{shop_id}/customers/{customer_id}/visitors") => {
            json!({"visitor_id": "v_0123456789abcdef0123456789abcdef"})
        }
        ("POST", "/v1/shops/{shop_id}/customer-requests/{request_id}/extend") => {
            json!({"reason": "We need more time to gather the records."})
        }
        ("POST", "/v1/shops/{shop_id}/notifications") => json!({
            "customer_id": "cus_00000000000000000000000000000000", "channel": "email",
            "kind": "order", "template": "order_placed", "values": {"order_ref": "A-1"}
        }),
        ("GET" | "DELETE", _) => return None,
        _ => json!({}),
    };
    Some(body)
}

/// Every (method, path template) under `/v1/shops/{shop_id}`.
pub fn shop_routes() -> Vec<(Method, String)> {
    let doc = harim_api::openapi();
    let mut out = Vec::new();
    for (path, item) in &doc.paths.paths {
        if !path.contains("{shop_id}") {
            continue;
        }
        for (m, present) in [
            (Method::GET, item.get.is_some()),
            (Method::POST, item.post.is_some()),
            (Method::PUT, item.put.is_some()),
            (Method::PATCH, item.patch.is_some()),
            (Method::DELETE, item.delete.is_some()),
        ] {
            if present {
                out.push((m, path.clone()));
            }
        }
    }
    out
}

fn fill(template: &str, shop: &str, ids: &BTreeMap<&str, String>) -> String {
    let mut p = template.replace("{shop_id}", shop);
    while let Some(start) = p.find('{') {
        let end = p[start..].find('}').map_or(p.len(), |e| start + e + 1);
        let name = &p[start + 1..end - 1];
        let value = ids
            .get(name)
            .cloned()
            .unwrap_or_else(|| uuid::Uuid::now_v7().to_string());
        p.replace_range(start..end, &value);
    }
    p
}

/// Everything the victim's owner can read, to compare before and after the attack.
async fn snapshot(
    app: &TestApp,
    owner: &str,
    shop: &str,
    ids: &BTreeMap<&str, String>,
) -> Vec<(String, Value)> {
    let mut out = Vec::new();
    for (m, t) in shop_routes() {
        // A download is itself audited: reading it would change the log being compared.
        if m == Method::GET && !t.ends_with("/download") {
            let path = fill(&t, shop, ids);
            let r = app.get(&path, owner).await;
            out.push((path, json!({"status": r.status.as_u16(), "body": r.json})));
        }
    }
    let r = app.get("/v1/shops", owner).await;
    out.push(("/v1/shops".into(), r.json));
    out
}

db_test!(
    another_tenant_gets_404_on_every_shop_route_and_changes_nothing,
    walk
);

/// The walk: a victim shop with one of everything, then an attacker's session, owner key and
/// staff key on every shop route with the victim's ids; the victim's view before and after must
/// match. Also run on Citus (`citus.rs`), where any query that fans out fails the request.
pub async fn walk(app: TestApp) {
    {
        let (victim, shop_a) = app.merchant("victim").await;
        let (victim_key_id, _) = app.api_key(&victim, &shop_a, "staff").await;
        app.account("victim-staff@example.com").await;
        let doc = crate::kyc::upload_jpeg(&app, &victim, &shop_a).await;
        let export = app
            .post(
                &format!("/v1/shops/{shop_a}/exports"),
                Some(&victim),
                json!({}),
            )
            .await;
        assert_eq!(export.status, StatusCode::ACCEPTED, "{:?}", export.json);
        harim_store::rights::run_due(&app.rights).await.unwrap();
        let customer = app
            .post(
                &format!("/v1/shops/{shop_a}/customers"),
                Some(&victim),
                crate::customers::sample(),
            )
            .await;
        assert_eq!(customer.status, StatusCode::CREATED, "{:?}", customer.json);
        // A verified request of the victim's customer (from the privacy page).
        crate::policies::put_and_publish(&app, &victim, &shop_a, crate::policies::valid_settings())
            .await;
        let (request, _) = crate::requests::verified(&app, "shop-victim", "rectification").await;
        let ids: BTreeMap<&str, String> = [
            ("request_id", request),
            (
                "customer_id",
                customer.json["id"].as_str().unwrap().to_string(),
            ),
            ("key_id", victim_key_id),
            ("doc_id", doc),
            ("export_id", export.json["id"].as_str().unwrap().to_string()),
            // A notification id nobody has: the same path in both snapshots.
            ("id", uuid::Uuid::now_v7().to_string()),
        ]
        .into_iter()
        .collect();

        let (attacker, shop_b) = app.merchant("attacker").await;
        let (_, attacker_owner_key) = app.api_key(&attacker, &shop_b, "owner").await;
        let (_, attacker_staff_key) = app.api_key(&attacker, &shop_b, "staff").await;

        let routes = shop_routes();
        assert!(
            routes.len() >= 4,
            "the walker found too few routes: {routes:?}"
        );
        let before = snapshot(&app, &victim, &shop_a, &ids).await;
        for cred in [&attacker, &attacker_owner_key, &attacker_staff_key] {
            for (method, template) in &routes {
                let path = fill(template, &shop_a, &ids);
                let r = app
                    .call(
                        method.clone(),
                        &path,
                        Some(cred),
                        sample_body(method, template),
                    )
                    .await;
                assert_eq!(
                    r.status,
                    StatusCode::NOT_FOUND,
                    "{method} {template} answered {:?}",
                    r.json
                );
                r.assert_problem(StatusCode::NOT_FOUND, "not-found");
            }
        }
        let after = snapshot(&app, &victim, &shop_a, &ids).await;
        assert_eq!(
            before, after,
            "an attacker's request changed the victim's data"
        );
    }
}

/// Every (method, path template) under `/v1/admin`.
pub fn admin_routes() -> Vec<(Method, String)> {
    let doc = harim_api::openapi();
    let mut out = Vec::new();
    for (path, item) in &doc.paths.paths {
        if !path.starts_with("/v1/admin/") {
            continue;
        }
        for (m, present) in [
            (Method::GET, item.get.is_some()),
            (Method::POST, item.post.is_some()),
            (Method::PUT, item.put.is_some()),
            (Method::PATCH, item.patch.is_some()),
            (Method::DELETE, item.delete.is_some()),
        ] {
            if present {
                out.push((m, path.clone()));
            }
        }
    }
    out
}

db_test!(
    merchants_and_their_keys_get_403_on_every_admin_route_and_change_nothing,
    |app: TestApp| async move {
        let (owner, shop) = app.merchant("not-an-operator").await;
        let (_, owner_key) = app.api_key(&owner, &shop, "owner").await;
        let (_, staff_key) = app.api_key(&owner, &shop, "staff").await;
        // Real ids where a route names one, so a broken check would act on something real.
        let (admin_id, admin) = app
            .platform_token_with_id(harim_store::roles::PlatformRole::Admin)
            .await;
        let doc = crate::kyc::upload_jpeg(&app, &owner, &shop).await;
        let ids: BTreeMap<&str, String> = [("token_id", admin_id), ("doc_id", doc)]
            .into_iter()
            .collect();
        let routes = admin_routes();
        assert!(
            routes
                .iter()
                .any(|(m, t)| m == Method::DELETE && t == "/v1/admin/platform-tokens/{token_id}"),
            "the walker misses the token revocation: {routes:?}"
        );
        let audit_before = app.count("SELECT COUNT(*) AS n FROM audit_log", []).await;
        for cred in [&owner, &owner_key, &staff_key] {
            for (method, template) in &routes {
                let path = fill(template, &shop, &ids);
                let r = app
                    .call(
                        method.clone(),
                        &path,
                        Some(cred),
                        sample_body(method, template),
                    )
                    .await;
                r.assert_problem(StatusCode::FORBIDDEN, "forbidden");
            }
        }
        for (method, template) in &routes {
            let path = fill(template, &shop, &ids);
            let r = app
                .call(method.clone(), &path, None, sample_body(method, template))
                .await;
            r.assert_problem(StatusCode::UNAUTHORIZED, "unauthorized");
        }
        assert_eq!(
            app.count("SELECT COUNT(*) AS n FROM audit_log", []).await,
            audit_before,
            "a refused admin request wrote an audit entry"
        );
        // The admin token the walker aimed at still works.
        assert_eq!(
            app.get("/v1/admin/requests", &admin).await.status,
            StatusCode::OK
        );
    }
);
