//! The shop's customers in the vault (issue 25), on SQLite and PostgreSQL: create and read
//! masked, reveal (audited, with its purpose), lookup by phone and e-mail, cross-shop
//! isolation, a batch reveal, an order's contact, erasure of one customer (nothing of theirs
//! decrypts with any remaining key, the others untouched, the receipt verifies), a tenant-key
//! rotation that keeps every customer readable and findable, and the shop export.

use axum::http::{Method, StatusCode};
use harim_store::rights::receipt;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::{db_test, helpers::TestApp};

/// A plausible Iranian customer.
pub fn sample() -> Value {
    json!({
        "name": "Maryam Rezaei",
        "email": "Maryam.Rezaei@Example.IR",
        "phone": "09121234567",
        "addresses": [{"line": "No. 4, Golestan St.", "city": "Tehran",
                       "postal_code": "1417614418", "country": "IR"}],
        "locale": "fa",
        "external_ref": "cust-1001"
    })
}

pub fn sample_order() -> Value {
    json!({
        "order_ref": "ORD-2026-0042",
        "placed_at": "2026-12-07T09:30:00Z",
        "total": {"amount": "1250000", "currency": "IRR"},
        "shipping_address": {"line": "No. 9, Azadi Ave.", "city": "Shiraz",
                             "postal_code": "7134845794", "country": "IR"},
        "phone": "+989351112233"
    })
}

async fn create(app: &TestApp, token: &str, shop: &str, body: Value) -> Value {
    let r = app
        .post(&format!("/v1/shops/{shop}/customers"), Some(token), body)
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.json);
    r.json
}

db_test!(
    a_customer_is_stored_sealed_read_masked_and_revealed_with_a_purpose,
    |app: TestApp| async move {
        let (owner, shop) = app.merchant("cust").await;
        let c = create(&app, &owner, &shop, sample()).await;
        let id = c["id"].as_str().unwrap().to_string();
        assert!(id.starts_with("cus_") && id.len() == 36, "{id}");
        assert_eq!(c["phone"], "+98******4567");
        assert_eq!(c["email"], "M***@example.ir");
        assert_eq!(c["addresses"][0]["line"], "********");
        assert_eq!(c["addresses"][0]["country"], "IR");
        assert_eq!(c["external_ref"], "cust-1001");
        // Nothing in plaintext in the database.
        let plain = "SELECT COUNT(*) AS n FROM customers WHERE tenant_id = $1 AND \
            (name LIKE '%Maryam%' OR phone LIKE '%4567%')";
        let t = Uuid::parse_str(&shop).unwrap();
        assert_eq!(app.count(plain, [t.into()]).await, 0);

        let r = app
            .get(&format!("/v1/shops/{shop}/customers/{id}"), &owner)
            .await;
        assert_eq!(r.status, StatusCode::OK);
        assert_eq!(r.json["name"], c["name"]);

        let r = app
            .post(
                &format!("/v1/shops/{shop}/customers/{id}/reveal"),
                Some(&owner),
                json!({"fields": ["phone", "addresses", "email"], "purpose": "shipping"}),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{:?}", r.json);
        assert_eq!(r.headers["cache-control"], "no-store");
        assert_eq!(r.json["fields"]["phone"], "+989121234567");
        assert_eq!(r.json["fields"]["email"], "Maryam.Rezaei@example.ir");
        assert_eq!(
            r.json["fields"]["addresses"][0]["postal_code"],
            "1417614418"
        );
        let audited = "SELECT COUNT(*) AS n FROM audit_log WHERE tenant_id = $1 \
            AND action = 'customer.reveal' AND purpose = 'shipping' AND fields LIKE $2";
        let like = format!("%customer:{id}%");
        assert_eq!(app.count(audited, [t.into(), like.into()]).await, 1);

        // A purpose outside the list, an unknown field: 422, nothing audited.
        let r = app
            .post(
                &format!("/v1/shops/{shop}/customers/{id}/reveal"),
                Some(&owner),
                json!({"fields": ["phone"], "purpose": "marketing"}),
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{:?}", r.json);
        let r = app
            .post(
                &format!("/v1/shops/{shop}/customers/{id}/reveal"),
                Some(&owner),
                json!({"fields": ["password"], "purpose": "support"}),
            )
            .await;
        r.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation");
        let all = "SELECT COUNT(*) AS n FROM audit_log WHERE tenant_id = $1 AND action = 'customer.reveal'";
        assert_eq!(app.count(all, [t.into()]).await, 1);
    }
);

db_test!(
    bad_customer_input_names_every_field_and_writes_nothing,
    |app: TestApp| async move {
        let (owner, shop) = app.merchant("badcust").await;
        let r = app
            .post(
                &format!("/v1/shops/{shop}/customers"),
                Some(&owner),
                json!({"email": "not-an-address", "phone": "12345",
                       "addresses": [{"line": "x", "city": "Riyadh", "postal_code": "1", "country": "SA"}]}),
            )
            .await;
        r.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation");
        let fields: Vec<&str> = r.json["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["field"].as_str().unwrap())
            .collect();
        assert_eq!(
            fields,
            ["name", "email", "addresses[0].postal_code", "phone"]
        );
        assert!(!r.json.to_string().contains("not-an-address"));
        let t = Uuid::parse_str(&shop).unwrap();
        let n = "SELECT COUNT(*) AS n FROM customers WHERE tenant_id = $1";
        assert_eq!(app.count(n, [t.into()]).await, 0);
        // Unknown members are refused, not ignored.
        let mut body = sample();
        body["is_admin"] = json!(true);
        let r = app
            .post(&format!("/v1/shops/{shop}/customers"), Some(&owner), body)
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{:?}", r.json);
    }
);

db_test!(
    lookup_by_phone_and_email_finds_only_the_shops_own_customers,
    |app: TestApp| async move {
        let (a_owner, shop_a) = app.merchant("look-a").await;
        let (b_owner, shop_b) = app.merchant("look-b").await;
        let a = create(&app, &a_owner, &shop_a, sample()).await;
        create(&app, &b_owner, &shop_b, sample()).await;
        for q in [
            "phone=%2B989121234567",
            "phone=%2B98%20912%20123%204567",
            "email=maryam.rezaei%40example.ir",
            "email=MARYAM.REZAEI%40EXAMPLE.IR",
        ] {
            let r = app
                .get(&format!("/v1/shops/{shop_a}/customers?{q}"), &a_owner)
                .await;
            assert_eq!(r.status, StatusCode::OK, "{q}: {:?}", r.json);
            let ids: Vec<&str> = r
                .json
                .as_array()
                .unwrap()
                .iter()
                .map(|c| c["id"].as_str().unwrap())
                .collect();
            assert_eq!(ids, [a["id"].as_str().unwrap()], "{q}");
        }
        let r = app
            .get(
                &format!("/v1/shops/{shop_a}/customers?phone=%2B989129999999"),
                &a_owner,
            )
            .await;
        assert_eq!(r.json, json!([]));
        // Shop B's owner cannot reach shop A's customer through B's path either.
        let id = a["id"].as_str().unwrap();
        app.get(&format!("/v1/shops/{shop_b}/customers/{id}"), &b_owner)
            .await
            .assert_problem(StatusCode::NOT_FOUND, "not-found");
        let r = app
            .post(
                &format!("/v1/shops/{shop_b}/customers/{id}/reveal"),
                Some(&b_owner),
                json!({"fields": ["phone"], "purpose": "support"}),
            )
            .await;
        r.assert_problem(StatusCode::NOT_FOUND, "not-found");
        let r = app
            .call(
                Method::DELETE,
                &format!("/v1/shops/{shop_b}/customers/{id}"),
                Some(&b_owner),
                None,
            )
            .await;
        r.assert_problem(StatusCode::NOT_FOUND, "not-found");
        app.get(&format!("/v1/shops/{shop_a}/customers/{id}"), &a_owner)
            .await;
        let r = app
            .get(&format!("/v1/shops/{shop_a}/customers/{id}"), &a_owner)
            .await;
        assert_eq!(r.status, StatusCode::OK);
    }
);

db_test!(
    a_batch_reveal_writes_one_entry_per_customer_and_an_unknown_id_reveals_nothing,
    |app: TestApp| async move {
        let (owner, shop) = app.merchant("batch").await;
        let mut ids = Vec::new();
        for i in 0..3 {
            let mut body = sample();
            body["external_ref"] = json!(format!("c-{i}"));
            ids.push(
                create(&app, &owner, &shop, body).await["id"]
                    .as_str()
                    .unwrap()
                    .to_string(),
            );
        }
        let r = app
            .post(
                &format!("/v1/shops/{shop}/customers/reveal"),
                Some(&owner),
                json!({"customer_ids": ids, "fields": ["name", "addresses"], "purpose": "shipping"}),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{:?}", r.json);
        assert_eq!(r.json["customers"].as_array().unwrap().len(), 3);
        assert_eq!(r.json["customers"][2]["fields"]["name"], "Maryam Rezaei");
        let t = Uuid::parse_str(&shop).unwrap();
        let n = "SELECT COUNT(*) AS n FROM audit_log WHERE tenant_id = $1 AND action = 'customer.reveal'";
        assert_eq!(app.count(n, [t.into()]).await, 3);
        let mut with_unknown = ids.clone();
        with_unknown.push(format!("cus_{}", Uuid::new_v4().simple()));
        let r = app
            .post(
                &format!("/v1/shops/{shop}/customers/reveal"),
                Some(&owner),
                json!({"customer_ids": with_unknown, "fields": ["name"], "purpose": "shipping"}),
            )
            .await;
        r.assert_problem(StatusCode::NOT_FOUND, "not-found");
        assert_eq!(app.count(n, [t.into()]).await, 3);
        let r = app
            .post(
                &format!("/v1/shops/{shop}/customers/reveal"),
                Some(&owner),
                json!({"customer_ids": vec!["cus_x"; 501], "fields": ["name"], "purpose": "shipping"}),
            )
            .await;
        r.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation");
    }
);

db_test!(
    erasing_a_customer_destroys_their_key_keeps_the_tax_record_and_answers_a_receipt,
    |app: TestApp| async move {
        let (owner, shop) = app.merchant("erase-c").await;
        let gone = create(&app, &owner, &shop, sample()).await;
        let mut other = sample();
        other["phone"] = json!("+989351112233");
        let kept = create(&app, &owner, &shop, other).await;
        let gone_id = gone["id"].as_str().unwrap().to_string();
        let r = app
            .post(
                &format!("/v1/shops/{shop}/customers/{gone_id}/orders"),
                Some(&owner),
                sample_order(),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.json);
        assert_eq!(r.json["phone"], "+98******2233");
        assert_eq!(
            r.json["total"],
            json!({"amount": "1250000", "currency": "IRR"})
        );

        // Staff may not erase.
        let (_, staff_key) = app.api_key(&owner, &shop, "staff").await;
        let r = app
            .call(
                Method::DELETE,
                &format!("/v1/shops/{shop}/customers/{gone_id}"),
                Some(&staff_key),
                None,
            )
            .await;
        r.assert_problem(StatusCode::FORBIDDEN, "forbidden");

        let r = app
            .call(
                Method::DELETE,
                &format!("/v1/shops/{shop}/customers/{gone_id}"),
                Some(&owner),
                None,
            )
            .await;
        assert_eq!(r.status, StatusCode::ACCEPTED, "{:?}", r.json);
        let signed: receipt::SignedReceipt = serde_json::from_value(r.json.clone()).unwrap();
        let keys: Value = app
            .call(Method::GET, "/.well-known/harim/receipt-keys", None, None)
            .await
            .json;
        let keys: Vec<receipt::PublicKey> = serde_json::from_value(keys["keys"].clone()).unwrap();
        receipt::verify(&signed, &keys).unwrap();
        assert_eq!(signed.receipt["subject"]["kind"], "customer");
        assert_eq!(signed.receipt["subject"]["id"], gone_id.as_str());
        assert_eq!(signed.receipt["state"], "completed");
        let receipt_id = signed.receipt["receipt_id"].as_str().unwrap().to_string();
        let r = app
            .call(
                Method::GET,
                &format!("/v1/receipts/{receipt_id}"),
                None,
                None,
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{:?}", r.json);

        // Every route of the erased customer answers 404, twice erased included.
        for (m, path, body) in [
            (
                Method::GET,
                format!("/v1/shops/{shop}/customers/{gone_id}"),
                None,
            ),
            (
                Method::PUT,
                format!("/v1/shops/{shop}/customers/{gone_id}"),
                Some(sample()),
            ),
            (
                Method::POST,
                format!("/v1/shops/{shop}/customers/{gone_id}/reveal"),
                Some(json!({"fields": ["phone"], "purpose": "support"})),
            ),
            (
                Method::POST,
                format!("/v1/shops/{shop}/customers/{gone_id}/orders"),
                Some(sample_order()),
            ),
            (
                Method::DELETE,
                format!("/v1/shops/{shop}/customers/{gone_id}"),
                None,
            ),
        ] {
            app.call(m, &path, Some(&owner), body)
                .await
                .assert_problem(StatusCode::NOT_FOUND, "not-found");
        }
        let t = Uuid::parse_str(&shop).unwrap();
        let c = Uuid::parse_str(gone_id.strip_prefix("cus_").unwrap()).unwrap();
        for sql in [
            "SELECT COUNT(*) AS n FROM customer_keys WHERE tenant_id = $1 AND customer_id = $2",
            "SELECT COUNT(*) AS n FROM customers WHERE tenant_id = $1 AND id = $2",
            "SELECT COUNT(*) AS n FROM customer_orders WHERE tenant_id = $1 AND customer_id = $2",
        ] {
            assert_eq!(app.count(sql, [t.into(), c.into()]).await, 0, "{sql}");
        }
        let tax = "SELECT COUNT(*) AS n FROM customer_orders WHERE tenant_id = $1 \
            AND customer_id IS NULL AND contact IS NULL AND order_ref = 'ORD-2026-0042' AND currency = 'IRR'";
        assert_eq!(app.count(tax, [t.into()]).await, 1);
        let fence =
            "SELECT COUNT(*) AS n FROM customer_fences WHERE tenant_id = $1 AND customer_id = $2";
        assert_eq!(app.count(fence, [t.into(), c.into()]).await, 1);
        // The other customer is untouched and still found.
        let kept_id = kept["id"].as_str().unwrap();
        let r = app
            .post(
                &format!("/v1/shops/{shop}/customers/{kept_id}/reveal"),
                Some(&owner),
                json!({"fields": ["phone"], "purpose": "support"}),
            )
            .await;
        assert_eq!(r.json["fields"]["phone"], "+989351112233");
        let r = app
            .get(
                &format!("/v1/shops/{shop}/customers?phone=%2B989121234567"),
                &owner,
            )
            .await;
        assert_eq!(r.json, json!([]));
    }
);

db_test!(
    a_tenant_key_rotation_keeps_every_customer_readable_and_findable,
    |app: TestApp| async move {
        let (owner, shop) = app.merchant("rot-c").await;
        let c = create(&app, &owner, &shop, sample()).await;
        let id = c["id"].as_str().unwrap();
        let operator = harim_store::scope::PlatformScope::command_line("test");
        let shop_id = harim_store::ids::ShopId::from(Uuid::parse_str(&shop).unwrap());
        let out = harim_store::tenant_rotation::rotate_shop(
            &app.db,
            &app.vault,
            &operator,
            shop_id,
            time::OffsetDateTime::now_utc() + time::Duration::seconds(1),
        )
        .await
        .unwrap();
        assert_eq!(out, harim_store::tenant_rotation::Outcome::Rotated(2));
        let t = Uuid::parse_str(&shop).unwrap();
        let v2 = "SELECT COUNT(*) AS n FROM customer_keys WHERE tenant_id = $1 AND tk_version = 2";
        assert_eq!(app.count(v2, [t.into()]).await, 1);
        let r = app
            .post(
                &format!("/v1/shops/{shop}/customers/{id}/reveal"),
                Some(&owner),
                json!({"fields": ["phone"], "purpose": "support"}),
            )
            .await;
        assert_eq!(r.json["fields"]["phone"], "+989121234567", "{:?}", r.json);
        let r = app
            .get(
                &format!("/v1/shops/{shop}/customers?phone=%2B989121234567"),
                &owner,
            )
            .await;
        assert_eq!(r.json.as_array().map(Vec::len), Some(1), "{:?}", r.json);
    }
);

db_test!(
    platform_operators_do_not_read_customers,
    |app: TestApp| async move {
        let (owner, shop) = app.merchant("plat-c").await;
        let c = create(&app, &owner, &shop, sample()).await;
        let id = c["id"].as_str().unwrap();
        let reviewer = app
            .platform_token(harim_store::roles::PlatformRole::Reviewer)
            .await;
        app.get(&format!("/v1/shops/{shop}/customers/{id}"), &reviewer)
            .await
            .assert_problem(StatusCode::FORBIDDEN, "forbidden");
        let r = app
            .post(
                &format!("/v1/shops/{shop}/customers/{id}/reveal"),
                Some(&reviewer),
                json!({"fields": ["phone"], "purpose": "legal_obligation"}),
            )
            .await;
        r.assert_problem(StatusCode::FORBIDDEN, "forbidden");
    }
);

db_test!(
    retention_erases_inactive_customers_and_drops_old_order_contacts_at_their_edges,
    |app: TestApp| async move {
        let (owner, shop) = app.merchant("ret-c").await;
        let settings = crate::policies::valid_settings();
        let r = app.put_settings(&owner, &shop, settings.clone()).await;
        assert_eq!(r.status, StatusCode::OK, "{:?}", r.json);
        let accounts_days = settings["retention"]["customer_accounts_days"]
            .as_i64()
            .unwrap();
        // The example keeps orders for years, counted by the calendar.
        let parsed: harim_policy::PrivacySettings =
            serde_json::from_value(settings.clone()).unwrap();
        let orders_kept = parsed.retention.period(harim_policy::RetentionKind::Orders);
        let t = Uuid::parse_str(&shop).unwrap();
        let now = time::OffsetDateTime::now_utc();
        let mut ids = Vec::new();
        for i in 0..2 {
            let mut body = sample();
            body["external_ref"] = json!(format!("r-{i}"));
            let c = create(&app, &owner, &shop, body).await;
            let id = c["id"].as_str().unwrap().to_string();
            let r = app
                .post(
                    &format!("/v1/shops/{shop}/customers/{id}/orders"),
                    Some(&owner),
                    sample_order(),
                )
                .await;
            assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.json);
            ids.push(Uuid::parse_str(id.strip_prefix("cus_").unwrap()).unwrap());
        }
        // Customer 0 just past the period, customer 1 just inside it.
        let edge = now - time::Duration::days(accounts_days);
        for (c, at) in [
            (ids[0], edge - time::Duration::seconds(1)),
            (ids[1], edge + time::Duration::hours(1)),
        ] {
            app.exec(
                "UPDATE customers SET last_active_at = $1 WHERE tenant_id = $2 AND id = $3",
                [at.into(), t.into(), c.into()],
            )
            .await;
        }
        // Customer 1's order just past the orders period.
        let order_edge = orders_kept.cutoff(now) - time::Duration::seconds(1);
        app.exec(
            "UPDATE customer_orders SET placed_at = $1 WHERE tenant_id = $2 AND customer_id = $3",
            [order_edge.into(), t.into(), ids[1].into()],
        )
        .await;
        let report = harim_store::retention::run(
            &app.db,
            &app.vault,
            &app.documents,
            &harim_store::retention::Periods::DEFAULT,
            now,
        )
        .await
        .unwrap();
        assert!(report.failed.is_empty(), "{report:?}");
        assert_eq!(report.inactive_customers, 1, "{report:?}");
        assert_eq!(report.order_contacts, 1, "{report:?}");
        let alive =
            "SELECT COUNT(*) AS n FROM customer_keys WHERE tenant_id = $1 AND customer_id = $2";
        assert_eq!(app.count(alive, [t.into(), ids[0].into()]).await, 0);
        assert_eq!(app.count(alive, [t.into(), ids[1].into()]).await, 1);
        let contact = "SELECT COUNT(*) AS n FROM customer_orders WHERE tenant_id = $1 AND contact IS NOT NULL";
        assert_eq!(app.count(contact, [t.into()]).await, 0);
        let orders = "SELECT COUNT(*) AS n FROM customer_orders WHERE tenant_id = $1";
        assert_eq!(app.count(orders, [t.into()]).await, 2);
        app.assert_chains_verify().await;
    }
);

db_test!(
    a_courier_key_reaches_only_customers_and_reveals_only_for_shipping,
    |app: TestApp| async move {
        let (owner, shop) = app.merchant("courier").await;
        let c = create(&app, &owner, &shop, sample()).await;
        let id = c["id"].as_str().unwrap();
        let r = app
            .post(
                &format!("/v1/shops/{shop}/api-keys"),
                Some(&owner),
                json!({"name": "courier", "role": "staff", "scopes": ["customers"],
                       "reveal_purposes": ["shipping"]}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.json);
        assert_eq!(r.json["scopes"], json!(["customers"]));
        let key = r.json["key"].as_str().unwrap().to_string();
        let reveal_path = format!("/v1/shops/{shop}/customers/{id}/reveal");
        let reveal = |purpose: &str| {
            app.post(
                &reveal_path,
                Some(&key),
                json!({"fields": ["addresses"], "purpose": purpose}),
            )
        };
        let r = reveal("shipping").await;
        assert_eq!(r.status, StatusCode::OK, "{:?}", r.json);
        reveal("support")
            .await
            .assert_problem(StatusCode::FORBIDDEN, "forbidden");
        let r = app
            .get(
                &format!("/v1/shops/{shop}/customers?phone=%2B989121234567"),
                &key,
            )
            .await;
        assert_eq!(r.status, StatusCode::OK);
        for path in [
            format!("/v1/shops/{shop}"),
            format!("/v1/shops/{shop}/identity"),
            format!("/v1/shops/{shop}/kyc/documents"),
            format!("/v1/shops/{shop}/privacy-settings"),
        ] {
            app.get(&path, &key)
                .await
                .assert_problem(StatusCode::FORBIDDEN, "forbidden");
        }
        // Limits are checked at creation.
        for body in [
            json!({"name": "x", "role": "staff", "scopes": ["identity"]}),
            json!({"name": "x", "role": "staff", "reveal_purposes": ["marketing"]}),
            json!({"name": "x", "role": "staff", "scopes": []}),
        ] {
            app.post(&format!("/v1/shops/{shop}/api-keys"), Some(&owner), body)
                .await
                .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation");
        }
    }
);

db_test!(
    a_policy_silent_about_data_the_shop_holds_is_refused_and_reported,
    |app: TestApp| async move {
        let (owner, shop) = app.merchant("silent").await;
        let mut settings = crate::policies::valid_settings();
        // A policy that says nothing about e-mail addresses.
        let kept: Vec<Value> = settings["customer_data"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|d| d["category"] != "email")
            .cloned()
            .collect();
        settings["customer_data"] = json!(kept);
        let r = app.put_settings(&owner, &shop, settings).await;
        assert_eq!(r.status, StatusCode::OK, "{:?}", r.json);
        let policies = format!("/v1/shops/{shop}/policies");
        let publish = || app.post(&policies, Some(&owner), json!({}));
        let r = publish().await;
        assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.json);

        // The shop now holds customers' e-mail addresses: its published policy is untrue.
        create(&app, &owner, &shop, sample()).await;
        let admin = app
            .platform_token(harim_store::roles::PlatformRole::Admin)
            .await;
        let r = app.get("/v1/admin/policy-consistency", &admin).await;
        assert_eq!(r.status, StatusCode::OK, "{:?}", r.json);
        let this: Vec<&Value> = r.json["inconsistent"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|c| c["shop_id"] == shop.as_str())
            .collect();
        assert_eq!(this.len(), 1, "{:?}", r.json);
        assert_eq!(this[0]["errors"][0]["code"], "undeclared_data");
        assert!(
            this[0]["errors"][0]["message"]
                .as_str()
                .unwrap()
                .contains("email")
        );

        // And a new version saying nothing more is refused, naming the category.
        let r = publish().await;
        r.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation");
        let codes: Vec<&str> = r.json["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["code"].as_str().unwrap())
            .collect();
        assert_eq!(codes, ["undeclared_data"], "{:?}", r.json);
    }
);

db_test!(
    no_remaining_key_opens_an_erased_customers_fields,
    |app: TestApp| async move {
        use harim_store::testkit::entity::tenant_key;
        use harim_vault::FieldContext;
        use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
        let (owner, shop) = app.merchant("nokey").await;
        let gone = create(&app, &owner, &shop, sample()).await;
        let mut other = sample();
        other["phone"] = json!("+989351112233");
        let kept = create(&app, &owner, &shop, other).await;
        let t = Uuid::parse_str(&shop).unwrap();
        let uuid_of = |c: &Value| {
            Uuid::parse_str(c["id"].as_str().unwrap().strip_prefix("cus_").unwrap()).unwrap()
        };
        let (g, k) = (uuid_of(&gone), uuid_of(&kept));
        // What a backup or a dead tuple keeps of the erased customer: their phone ciphertext.
        let phone: Vec<u8> = app
            .row(
                "SELECT phone FROM customers WHERE tenant_id = $1 AND id = $2",
                [t.into(), g.into()],
            )
            .await
            .try_get("", "phone")
            .unwrap();
        let r = app
            .call(
                Method::DELETE,
                &format!(
                    "/v1/shops/{shop}/customers/{}",
                    gone["id"].as_str().unwrap()
                ),
                Some(&owner),
                None,
            )
            .await;
        assert_eq!(r.status, StatusCode::ACCEPTED, "{:?}", r.json);
        let at = FieldContext {
            tenant_id: t,
            table: "customers",
            record_id: g,
            field: "phone",
        };
        // Every key the shop still has: each tenant-key version, and each remaining customer key.
        let tks = tenant_key::Entity::find()
            .filter(tenant_key::Column::TenantId.eq(t))
            .all(&app.db)
            .await
            .unwrap();
        assert!(!tks.is_empty());
        let wrapped: Vec<u8> = app
            .row(
                "SELECT wrapped FROM customer_keys WHERE tenant_id = $1 AND customer_id = $2",
                [t.into(), k.into()],
            )
            .await
            .try_get("", "wrapped")
            .unwrap();
        let remaining = "SELECT COUNT(*) AS n FROM customer_keys WHERE tenant_id = $1";
        assert_eq!(app.count(remaining, [t.into()]).await, 1);
        for row in &tks {
            let wk = harim_store::testkit::tenant_keys::wrapped(row).unwrap();
            assert!(app.vault.decrypt_field(&wk, &at, &phone).is_err());
            let key_at = FieldContext {
                tenant_id: t,
                table: "customer_keys",
                record_id: k,
                field: "key",
            };
            let ck = app.vault.open_subject_key(&wk, &key_at, &wrapped).unwrap();
            assert!(
                ck.open(&at, &phone).is_err(),
                "another customer's key opened it"
            );
            // Not even under the other customer's own place.
            let theirs = FieldContext { record_id: k, ..at };
            assert!(ck.open(&theirs, &phone).is_err());
        }
    }
);
