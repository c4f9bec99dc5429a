//! The merchant identity vault over HTTP: validation, masking, reveal rights, audit.

use axum::http::StatusCode;
use harim_store::roles::PlatformRole;
use harim_vault::pii::IDENTITY_FIELDS;
use sea_orm::{ConnectionTrait, EntityTrait};
use serde_json::{Value, json};

use crate::{
    db_test,
    helpers::{Resp, TestApp},
};

pub fn iranian_identity() -> Value {
    harim_store::testkit::iranian_identity()
}

/// A reveal request: the IBAN, for a payout.
fn iban_for_payout() -> Value {
    json!({"fields": ["iban"], "purpose": "payout"})
}

/// A reviewer's identity search `r` succeeded and found exactly the shops `want`, in any order.
#[track_caller]
pub fn assert_shops_found(r: &Resp, want: &[&String], context: &str) {
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.json);
    let mut found: Vec<&str> = r
        .json
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["shop_id"].as_str().unwrap())
        .collect();
    found.sort_unstable();
    let mut want: Vec<&str> = want.iter().map(|s| s.as_str()).collect();
    want.sort_unstable();
    assert_eq!(found, want, "{context}");
}

db_test!(
    an_identity_is_stored_encrypted_and_read_back_masked,
    |app: TestApp| async move {
        let (owner, shop) = app.merchant("vault").await;
        let r = app.put_identity(&owner, &shop, iranian_identity()).await;
        assert_eq!(r.status, StatusCode::OK, "{:?}", r.json);
        let body = r.json.to_string();
        for secret in [
            "0499370899",
            "IR062960000000100324200001",
            "9121234567",
            "Ghasemabadi",
            "Vali-Asr",
            "1417614418",
        ] {
            assert!(!body.contains(secret), "{secret} leaked in {body}");
        }
        assert!(r.json["national_id"].as_str().unwrap().ends_with("0899"));
        assert_eq!(r.json["country"], "IR");
        let g = app.get(&format!("/v1/shops/{shop}/identity"), &owner).await;
        assert_eq!(g.status, StatusCode::OK);
        assert_eq!(g.json["iban"], r.json["iban"]);
        assert_eq!(g.json["phone"], r.json["phone"]);

        // The row holds ciphertext only.
        let row = harim_store::testkit::entity::merchant_identity::Entity::find_by_id(
            uuid::Uuid::parse_str(&shop).unwrap(),
        )
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
        for (ct, plain) in [
            (&row.national_id, "0499370899"),
            (&row.iban, "IR062960000000100324200001"),
            (&row.phone, "+989121234567"),
        ] {
            assert!(!ct.windows(plain.len()).any(|w| w == plain.as_bytes()));
        }
    }
);

// A write counts its encryptions in the tenant key's row and in the vault's memory alike (the
// count is raised in the statement that takes the key, the vault seeded from the count before
// it); a replacement replaces every column, an absent postal code included; and at the nonce
// budget a write is refused and leaves the count as it was.
db_test!(
    a_write_counts_each_encryption_once_and_replaces_the_whole_identity,
    |app: TestApp| async move {
        use harim_store::testkit::entity::tenant_key;
        use sea_orm::{ColumnTrait, QueryFilter, sea_query::Expr};
        let (owner, shop) = app.merchant("counted").await;
        let t = uuid::Uuid::parse_str(&shop).unwrap();
        let stored = || async {
            tenant_key::Entity::find()
                .filter(tenant_key::Column::TenantId.eq(t))
                .one(&app.db)
                .await
                .unwrap()
                .unwrap()
                .encryptions
        };
        let r = app.put_identity(&owner, &shop, iranian_identity()).await;
        assert_eq!(r.status, StatusCode::OK, "{:?}", r.json);
        // The UAE has no postal codes: the second identity has one field fewer.
        let mut without_postal_code = iranian_identity();
        without_postal_code["country"] = "AE".into();
        without_postal_code["phone"] = "+971 50 123 4567".into();
        without_postal_code["iban"] = "AE070331234567890123456".into();
        without_postal_code["national_id"] = "784-1990-1234567-6".into();
        without_postal_code
            .as_object_mut()
            .unwrap()
            .remove("postal_code");
        let r = app.put_identity(&owner, &shop, without_postal_code).await;
        assert_eq!(r.status, StatusCode::OK, "{:?}", r.json);
        assert_eq!(stored().await, 9 + 8);
        assert_eq!(app.vault.key_usage(t, 1).encryptions, 9 + 8);
        let g = app.get(&format!("/v1/shops/{shop}/identity"), &owner).await;
        assert_eq!(g.status, StatusCode::OK);
        assert_eq!(g.json["postal_code"], Value::Null, "{:?}", g.json);
        assert!(g.json["national_id"].as_str().unwrap().ends_with("5676"));
        assert_eq!(g.json["country"], "AE");

        let nearly = i64::try_from(harim_vault::MAX_ENCRYPTIONS_PER_TENANT_KEY).unwrap() - 1;
        tenant_key::Entity::update_many()
            .col_expr(tenant_key::Column::Encryptions, Expr::value(nearly))
            .filter(tenant_key::Column::TenantId.eq(t))
            .exec(&app.db)
            .await
            .unwrap();
        app.put_identity(&owner, &shop, iranian_identity())
            .await
            .assert_problem(StatusCode::SERVICE_UNAVAILABLE, "unavailable");
        assert_eq!(stored().await, nearly);
        let again = app.get(&format!("/v1/shops/{shop}/identity"), &owner).await;
        assert_eq!(again.json, g.json);
    }
);

db_test!(
    every_invalid_identity_field_is_named_without_its_value,
    |app: TestApp| async move {
        let (owner, shop) = app.merchant("badid").await;
        let r = app.put_identity(
            &owner,
            &shop,
            json!({
                "full_name": "", "national_id": "0499370898", "iban": "IR062960000000100324200002",
                "birth_date": "2015-01-01", "phone": "12", "email": "nope", "address": "x",
                "postal_code": "12", "country": "IR"
            }),
        )
        .await;
        r.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation");
        let fields = r.error_fields();
        // Every field but the address ("x" is one) and the country (valid).
        for f in IDENTITY_FIELDS
            .into_iter()
            .filter(|f| !["address", "country"].contains(f))
        {
            assert!(fields.contains(&f), "{f} not named in {fields:?}");
        }
        assert!(!r.json.to_string().contains("0499370898"));
        let r = app
            .put_identity(&owner, &shop, json!({"country": "IR"}))
            .await;
        assert_eq!(
            r.json["errors"].as_array().unwrap().len(),
            8,
            "{:?}",
            r.json
        );
        let r = app
            .put_identity(&owner, &shop, json!({"national_id": 5}))
            .await;
        r.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation");
        app.get(&format!("/v1/shops/{shop}/identity"), &owner)
            .await
            .assert_problem(StatusCode::NOT_FOUND, "not-found");
    }
);

db_test!(
    only_owner_and_reviewers_reveal_and_each_reveal_is_audited_first,
    |app: TestApp| async move {
        let (owner, shop) = app.merchant("reveal").await;
        assert_eq!(
            app.put_identity(&owner, &shop, iranian_identity())
                .await
                .status,
            StatusCode::OK
        );
        let staff = app.staff(&owner, &shop, "reveal-staff@example.com").await;
        let (_, staff_key) = app.api_key(&owner, &shop, "staff").await;
        let reviewer = app.platform_token(PlatformRole::Reviewer).await;
        let admin = app.platform_token(PlatformRole::Admin).await;
        let path = format!("/v1/shops/{shop}/identity/reveal");
        let ask = json!({"fields": ["national_id", "iban", "phone"], "purpose": "payout"});

        for denied in [&staff, &staff_key, &admin] {
            let m = app.get(&format!("/v1/shops/{shop}/identity"), denied).await;
            assert_eq!(m.status, StatusCode::OK);
            assert!(!m.json.to_string().contains("0499370899"));
            app.post(&path, Some(denied), ask.clone())
                .await
                .assert_problem(StatusCode::FORBIDDEN, "forbidden");
        }
        let r = app.post(&path, Some(&owner), ask.clone()).await;
        assert_eq!(r.status, StatusCode::OK, "{:?}", r.json);
        assert_eq!(r.json["fields"]["national_id"], "0499370899");
        assert_eq!(r.json["fields"]["iban"], "IR062960000000100324200001");
        assert_eq!(r.json["fields"]["phone"], "+989121234567");
        let r = app
            .post(
                &path,
                Some(&reviewer),
                json!({"fields": ["birth_date"], "purpose": "kyc_review"}),
            )
            .await;
        assert_eq!(r.json["fields"]["birth_date"], "1991-04-04");

        app.post(
            &path,
            Some(&owner),
            json!({"fields": [], "purpose": "payout"}),
        )
        .await
        .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation");
        app.post(
            &path,
            Some(&owner),
            json!({"fields": ["password"], "purpose": "payout"}),
        )
        .await
        .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation");
        app.post(&path, Some(&owner), json!({"fields": ["iban"]}))
            .await
            .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation");
        app.post(
            &path,
            Some(&owner),
            json!({"fields": ["iban"], "purpose": "curiosity"}),
        )
        .await
        .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation");

        let log = app.get(&format!("/v1/shops/{shop}/audit"), &owner).await;
        assert_eq!(log.status, StatusCode::OK);
        let entries = log.json.as_array().unwrap();
        let reveals: Vec<&Value> = entries
            .iter()
            .filter(|e| e["action"] == "identity.reveal")
            .collect();
        assert_eq!(reveals.len(), 2);
        assert_eq!(reveals[0]["purpose"], "kyc_review");
        assert!(
            reveals[0]["actor"]
                .as_str()
                .unwrap()
                .starts_with("platform_reviewer:")
        );
        assert_eq!(
            reveals[1]["fields"],
            json!(["national_id", "iban", "phone"])
        );
        assert!(reveals[1]["request_id"].is_string());
        assert!(!log.json.to_string().contains("0499370899"));
        app.get(&format!("/v1/shops/{shop}/audit"), &staff)
            .await
            .assert_problem(StatusCode::FORBIDDEN, "forbidden");
    }
);

db_test!(
    a_reveal_fails_closed_when_the_audit_log_cannot_be_written,
    |app: TestApp| async move {
        let (owner, shop) = app.merchant("closed").await;
        assert_eq!(
            app.put_identity(&owner, &shop, iranian_identity())
                .await
                .status,
            StatusCode::OK
        );
        app.db
            .execute_unprepared("DROP TABLE audit_log")
            .await
            .unwrap();
        let r = app.reveal(&owner, &shop, iban_for_payout()).await;
        r.assert_problem(StatusCode::SERVICE_UNAVAILABLE, "unavailable");
        assert!(!r.json.to_string().contains("IR06"));
    }
);

db_test!(
    the_audit_chain_verifies_and_a_tampered_entry_is_named,
    |app: TestApp| async move {
        let (owner, shop) = app.merchant("chain").await;
        app.put_identity(&owner, &shop, iranian_identity()).await;
        for _ in 0..3 {
            app.reveal(&owner, &shop, iban_for_payout()).await;
        }
        let ok = app.assert_chains_verify().await;
        assert_eq!(ok.entries, 4);
        app.db
            .execute_unprepared("UPDATE audit_log SET purpose = 'support' WHERE seq = 3")
            .await
            .unwrap();
        let bad = harim_store::audit::verify(&app.db, &app.vault, None)
            .await
            .unwrap();
        assert_eq!(bad.broken.len(), 1);
        assert_eq!(bad.broken[0].seq, 3);
        assert_eq!(bad.broken[0].tenant_id.to_string(), shop);
    }
);

db_test!(
    many_entries_appended_at_once_link_like_single_appends,
    |app: TestApp| async move {
        use sea_orm::TransactionTrait;
        let (owner, shop) = app.merchant("batch").await;
        app.put_identity(&owner, &shop, iranian_identity()).await;
        let tenant: uuid::Uuid = shop.parse().unwrap();
        let events = |n: usize| {
            (0..n)
                .map(|i| harim_store::audit::Event {
                    actor: format!("bench:{i}"),
                    action: harim_store::audit::Action::IdentityReveal,
                    fields: vec!["iban".into()],
                    purpose: Some("payout"),
                    request_id: None,
                })
                .collect::<Vec<_>>()
        };
        let txn = app.db.begin().await.unwrap();
        harim_store::testkit::append_many(&txn, &app.vault, tenant, events(1203))
            .await
            .unwrap();
        // A chain that did not exist before gets its head.
        harim_store::testkit::append_many(&txn, &app.vault, uuid::Uuid::new_v4(), events(3))
            .await
            .unwrap();
        txn.commit().await.unwrap();
        // A single append after the batch continues the same chain.
        app.reveal(&owner, &shop, iban_for_payout()).await;
        let v = app.assert_chains_verify().await;
        assert_eq!(v.entries, 1 + 1203 + 3 + 1);
    }
);

db_test!(
    reviewers_find_shops_sharing_a_national_id_through_the_blind_index,
    |app: TestApp| async move {
        let (o1, s1) = app.merchant("twin-one").await;
        let (o2, s2) = app.merchant("twin-two").await;
        let (o3, s3) = app.merchant("other").await;
        app.put_identity(&o1, &s1, iranian_identity()).await;
        app.put_identity(&o2, &s2, iranian_identity()).await;
        let mut other = iranian_identity();
        other["national_id"] = json!("0013542419");
        other["iban"] = json!("DE89370400440532013000");
        let r = app.put_identity(&o3, &s3, other).await;
        assert_eq!(r.status, StatusCode::OK, "{:?}", r.json);
        let reviewer = app.platform_token(PlatformRole::Reviewer).await;
        let r = app
            .search_identities(
                &reviewer,
                json!({"national_id": "۰۴۹۹۳۷۰۸۹۹", "country": "IR"}),
            )
            .await;
        assert_shops_found(
            &r,
            &[&s1, &s2],
            "searching by a national ID in Persian digits",
        );
        let r = app
            .search_identities(&reviewer, json!({"iban": "DE89 3704 0044 0532 0130 00"}))
            .await;
        assert_eq!(r.json.as_array().unwrap().len(), 1);
        assert_eq!(r.json[0]["shop_id"], s3.as_str());
        app.search_identities(&reviewer, json!({"national_id": "123"}))
            .await
            .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation");
        app.search_identities(&o1, json!({"iban": "DE89370400440532013000"}))
            .await
            .assert_problem(StatusCode::FORBIDDEN, "forbidden");
    }
);

db_test!(
    concurrent_identity_writes_never_fail,
    |app: TestApp| async move {
        let (owner, shop) = app.merchant("busy").await;
        let app = std::sync::Arc::new(app);
        let mut tasks = Vec::new();
        for i in 0..12 {
            let (app, owner, shop) = (app.clone(), owner.clone(), shop.clone());
            tasks.push(tokio::spawn(async move {
                let reveal = i % 3 == 2;
                let r = if reveal {
                    app.reveal(&owner, &shop, iban_for_payout()).await
                } else {
                    app.put_identity(&owner, &shop, iranian_identity()).await
                };
                (reveal, r)
            }));
        }
        let (mut writes, mut revealed) = (0, 0);
        for t in tasks {
            let (reveal, r) = t.await.unwrap();
            if !reveal {
                // The owner writes its own shop's identity: every write succeeds, whether it
                // inserts the row or replaces it.
                assert_eq!(r.status, StatusCode::OK, "write: {:?}", r.json);
                writes += 1;
            } else if r.status == StatusCode::OK {
                assert_eq!(r.json["fields"]["iban"], "IR062960000000100324200001");
                revealed += 1;
            } else {
                // A reveal that runs before the first write has committed finds no identity yet;
                // that is its only allowed failure.
                r.assert_problem(StatusCode::NOT_FOUND, "not-found");
            }
        }
        assert_eq!(writes, 8);
        // Each write is audited once; a reveal only when it revealed (a 404 rolls its entry back).
        let log = app.get(&format!("/v1/shops/{shop}/audit"), &owner).await;
        assert_eq!(log.status, StatusCode::OK, "{:?}", log.json);
        let count = |action: &str| {
            log.json
                .as_array()
                .unwrap()
                .iter()
                .filter(|e| e["action"] == action)
                .count()
        };
        assert_eq!(count("identity.write"), writes);
        assert_eq!(count("identity.reveal"), revealed);
        app.assert_chains_verify().await;
    }
);

/// Every log event (all levels, all targets) written on this thread while the guard lives.
struct LogCapture {
    buf: std::sync::Arc<std::sync::Mutex<Vec<u8>>>,
    _guard: tracing::subscriber::DefaultGuard,
}

struct LogSink(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for LogSink {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl LogCapture {
    fn start() -> Self {
        let buf = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let sink = buf.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_ansi(false)
            .with_writer(move || LogSink(sink.clone()))
            .finish();
        Self {
            buf,
            _guard: tracing::subscriber::set_default(subscriber),
        }
    }

    fn text(self) -> String {
        String::from_utf8_lossy(&self.buf.lock().unwrap()).into_owned()
    }
}

/// Issue 24, low item 1: a national ID or an IBAN in a URL lands in every access log, browser
/// history and `Referer` on its way. The search takes them in a POST body; a GET with them in
/// the query string is refused (405) before anything runs, and neither the logs nor the audit
/// log ever hold them.
async fn identity_search_values_never_travel_in_a_url(app: TestApp) {
    let (_, shop) = app.merchant_with_identity("searched").await;
    let reviewer = app.platform_token(PlatformRole::Reviewer).await;
    let (national_id, iban) = ("0499370899", "IR062960000000100324200001");
    let logs = LogCapture::start();
    let r = app
        .get(
            &format!("/v1/admin/identities?national_id={national_id}&country=IR&iban={iban}"),
            &reviewer,
        )
        .await;
    r.assert_problem(StatusCode::METHOD_NOT_ALLOWED, "method-not-allowed");
    let r = app
        .search_identities(
            &reviewer,
            json!({"national_id": national_id, "country": "IR"}),
        )
        .await;
    assert_shops_found(&r, &[&shop], "searching with a body");
    let r = app
        .search_identities(&reviewer, json!({"iban": iban}))
        .await;
    assert_shops_found(&r, &[&shop], "searching by IBAN with a body");
    let logs = logs.text();
    assert!(
        logs.contains("/v1/admin/identities"),
        "the capture saw no request: {logs}"
    );
    for value in [national_id, iban] {
        assert!(!logs.contains(value), "{value} reached the logs:\n{logs}");
    }
    // Only the two POSTs were audited, and the entries name fields, never values.
    let searches = app
        .count(
            "SELECT COUNT(*) AS n FROM audit_log WHERE action = 'identity.search'",
            [],
        )
        .await;
    assert_eq!(searches, 2);
    for value in [national_id, iban] {
        let pattern = format!("%{value}%");
        let n = app
            .count(
                "SELECT COUNT(*) AS n FROM audit_log WHERE fields LIKE $1 OR actor LIKE $1 \
                 OR purpose LIKE $1 OR request_id LIKE $1",
                [pattern.into()],
            )
            .await;
        assert_eq!(n, 0, "{value} reached the audit log");
    }
}

// On one thread, so the thread's log capture sees every task the requests run.
#[tokio::test(flavor = "current_thread")]
async fn identity_search_values_never_travel_in_a_url_sqlite() {
    identity_search_values_never_travel_in_a_url(TestApp::sqlite().await).await;
}

#[tokio::test(flavor = "current_thread")]
async fn identity_search_values_never_travel_in_a_url_postgres() {
    if let Some(app) = TestApp::postgres().await {
        identity_search_values_never_travel_in_a_url(app).await;
    }
}
