//! Data-subject rights through the router, on SQLite and PostgreSQL, against the real S3 server in
//! CI: exports, erasure by crypto-shredding, signed receipts, deadlines, and the schema against
//! the data map.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Read;

use axum::http::{Method, StatusCode};
use harim_store::{datamap, rights::receipt};
use sea_orm::{ConnectionTrait, Statement};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::{
    db_test,
    helpers::{PASSWORD, TestApp},
};

/// A shop with everything: identity, a document, settings and a published policy, a staff member.
async fn full_shop(app: &TestApp, tag: &str) -> (String, String, String) {
    let (owner, shop) = app.merchant_with_identity(tag).await;
    let doc = crate::kyc::upload_jpeg(app, &owner, &shop).await;
    crate::policies::put_and_publish(app, &owner, &shop, crate::policies::valid_settings()).await;
    app.staff(&owner, &shop, &format!("staff-{tag}@example.com"))
        .await;
    (owner, shop, doc)
}

/// Runs the worker until nothing is left to do.
async fn run_worker(app: &TestApp) {
    for _ in 0..5 {
        if harim_store::rights::run_due(&app.rights).await.unwrap() == 0 {
            break;
        }
    }
}

async fn download(app: &TestApp, token: &str, path: &str) -> (StatusCode, Vec<u8>) {
    let req = axum::http::Request::builder()
        .uri(path)
        .header("authorization", format!("Bearer {token}"))
        .body(axum::body::Body::empty())
        .unwrap();
    let (status, headers, body) = app.raw(req).await;
    if status == StatusCode::OK {
        assert_eq!(headers["content-type"], "application/zip");
        assert_eq!(headers["cache-control"], "no-store");
    }
    (status, body)
}

/// The files of a zip, by name, in archive order.
fn unzip(bytes: &[u8]) -> Vec<(String, Vec<u8>)> {
    let mut z = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
    (0..z.len())
        .map(|i| {
            let mut f = z.by_index(i).unwrap();
            let mut out = Vec::new();
            f.read_to_end(&mut out).unwrap();
            (f.name().unwrap().to_string(), out)
        })
        .collect()
}

/// Exports the shop and returns its files, checked against the manifest.
pub(crate) async fn export_shop(
    app: &TestApp,
    owner: &str,
    shop: &str,
) -> BTreeMap<String, Vec<u8>> {
    let r = app.request_export(owner, shop).await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{:?}", r.json);
    assert_eq!(r.json["state"], "pending");
    assert!(r.json["due_at"].is_string());
    let id = r.json["id"].as_str().unwrap().to_string();
    let (status, _) = download(
        app,
        owner,
        &format!("/v1/shops/{shop}/exports/{id}/download"),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT, "not ready yet");
    run_worker(app).await;
    let r = app
        .get(&format!("/v1/shops/{shop}/exports/{id}"), owner)
        .await;
    assert_eq!(r.json["state"], "ready", "{:?}", r.json);
    let (status, body) = download(
        app,
        owner,
        &format!("/v1/shops/{shop}/exports/{id}/download"),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        r.json["sha256"].as_str().unwrap(),
        hex::encode(Sha256::digest(&body))
    );
    let files = unzip(&body);
    assert_eq!(files[0].0, "manifest.json", "the manifest comes first");
    let manifest: Value = serde_json::from_slice(&files[0].1).unwrap();
    assert_eq!(manifest["data_map_version"], datamap::version());
    let listed: Vec<&Value> = manifest["files"].as_array().unwrap().iter().collect();
    assert_eq!(listed.len(), files.len() - 1);
    for (f, (name, bytes)) in listed.iter().zip(&files[1..]) {
        assert_eq!(f["path"], *name);
        assert_eq!(f["size"], bytes.len());
        assert_eq!(f["sha256"], hex::encode(Sha256::digest(bytes)), "{name}");
    }
    files.into_iter().collect()
}

fn rows_in_export(files: &BTreeMap<String, Vec<u8>>) -> BTreeMap<String, usize> {
    let mut out = BTreeMap::new();
    for (name, bytes) in files {
        if !name.starts_with("data/") {
            continue;
        }
        let v: Value = serde_json::from_slice(bytes).unwrap();
        for t in v["tables"].as_array().unwrap() {
            out.insert(
                t["table"].as_str().unwrap().to_string(),
                t["rows"].as_array().unwrap().len(),
            );
        }
    }
    out
}

db_test!(
    an_export_holds_every_category_decrypted_and_the_original_documents,
    |app: TestApp| async move {
        let (owner, shop, doc) = full_shop(&app, "exp").await;
        let files = export_shop(&app, &owner, &shop).await;
        let identity: Value = serde_json::from_slice(&files["data/identity.json"]).unwrap();
        let row = &identity["tables"][0]["rows"][0];
        assert_eq!(row["national_id"], "0499370899", "decrypted");
        assert!(row["national_id_bidx"]["described"].is_string());
        let doc_file = files
            .keys()
            .find(|k| k.starts_with("documents/") && k.contains(&doc))
            .expect("the document is in the export");
        assert!(files[doc_file].starts_with(&[0xff, 0xd8]), "a JPEG");
        assert!(files.contains_key("data/policy_versions.json"));
        assert!(files.contains_key("data/audit_log.json"));
        let audit: Value = serde_json::from_slice(&files["data/audit_log.json"]).unwrap();
        assert!(
            audit.to_string().contains("export.reveal"),
            "the export is audited as a reveal before it is built"
        );
        assert!(audit.to_string().contains("data_subject_request"));

        // Staff may not export.
        let (staff_id, staff_token) = app.account("exp-staff2@example.com").await;
        let _ = staff_id;
        app.request_export(&staff_token, &shop)
            .await
            .assert_problem(StatusCode::NOT_FOUND, "not-found");
    }
);

db_test!(
    an_account_export_carries_the_account_and_every_owned_shop,
    |app: TestApp| async move {
        let (owner, shop, _) = full_shop(&app, "acc").await;
        let r = app
            .post("/v1/account/exports", Some(&owner), json!({}))
            .await;
        assert_eq!(r.status, StatusCode::ACCEPTED, "{:?}", r.json);
        let id = r.json["id"].as_str().unwrap().to_string();
        // Another person cannot see or download it.
        let (_, other) = app.account("acc-other@example.com").await;
        app.get(&format!("/v1/account/exports/{id}"), &other)
            .await
            .assert_problem(StatusCode::NOT_FOUND, "not-found");
        run_worker(&app).await;
        let (status, _) =
            download(&app, &other, &format!("/v1/account/exports/{id}/download")).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        let (status, body) =
            download(&app, &owner, &format!("/v1/account/exports/{id}/download")).await;
        assert_eq!(status, StatusCode::OK);
        let files: BTreeMap<String, Vec<u8>> = unzip(&body).into_iter().collect();
        let account: Value = serde_json::from_slice(&files["data/account.json"]).unwrap();
        assert_eq!(account["tables"][0]["rows"][0]["email"], "acc@example.com");
        assert!(files.contains_key(&format!("shops/{shop}/data/identity.json")));
    }
);

/// Every tenant key row, wrapped, as the database holds it.
async fn all_tenant_keys(app: &TestApp) -> Vec<harim_vault::WrappedTenantKey> {
    use sea_orm::EntityTrait;
    harim_store::testkit::entity::tenant_key::Entity::find()
        .all(&app.db)
        .await
        .unwrap()
        .iter()
        .map(|r| harim_store::testkit::tenant_keys::wrapped(r).unwrap())
        .collect()
}

db_test!(
    erasure_shreds_at_once_finishes_in_the_background_and_signs_its_receipt,
    |app: TestApp| async move {
        let (owner, shop, _doc) = full_shop(&app, "era").await;
        let (other_owner, other_shop, _) = full_shop(&app, "bystander").await;
        let files = export_shop(&app, &owner, &shop).await;
        let shop_id = uuid::Uuid::parse_str(&shop).unwrap();

        // The identity's ciphertexts, kept aside as a backup would keep them.
        let before = app
            .row(
                "SELECT national_id FROM merchant_identities WHERE tenant_id = $1",
                [shop_id.into()],
            )
            .await;
        let national_id_ct: Vec<u8> = before.try_get("", "national_id").unwrap();

        // Wrong confirmation: refused, nothing changes.
        let r = app.delete_shop(&owner, &shop, "nope").await;
        r.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation");
        assert_eq!(
            app.get(&format!("/v1/shops/{shop}"), &owner).await.status,
            StatusCode::OK
        );

        let r = app.delete_shop(&owner, &shop, "shop-era").await;
        assert_eq!(r.status, StatusCode::ACCEPTED, "{:?}", r.json);
        let signed: receipt::SignedReceipt = serde_json::from_value(r.json.clone()).unwrap();
        let keys: Value = app
            .call(Method::GET, "/.well-known/harim/receipt-keys", None, None)
            .await
            .json;
        let keys: Vec<receipt::PublicKey> = serde_json::from_value(keys["keys"].clone()).unwrap();
        receipt::verify(&signed, &keys).unwrap();
        let rc = &signed.receipt;
        assert_eq!(rc["state"], "shredded");
        assert_eq!(rc["subject"]["id"], shop);
        assert_eq!(rc["tenant_key_versions_destroyed"], json!([1]));
        assert!(rc["recoverable_from_backups_until"].is_string());
        let receipt_text = rc.to_string();
        for pii in ["0499370899", "era@example.com", "Shop era", "shop-era"] {
            assert!(!receipt_text.contains(pii), "the receipt holds {pii}");
        }

        // At once: no key, no access, public pages gone.
        assert!(
            all_tenant_keys(&app)
                .await
                .iter()
                .all(|k| k.tenant_id != shop_id)
        );
        {
            let ct = &national_id_ct;
            for wk in all_tenant_keys(&app).await {
                let ctx = harim_vault::FieldContext {
                    tenant_id: wk.tenant_id,
                    table: "merchant_identities",
                    record_id: wk.tenant_id,
                    field: "national_id",
                };
                assert!(app.vault.decrypt_field(&wk, &ctx, ct).is_err());
            }
        }
        for path in [
            format!("/v1/shops/{shop}"),
            format!("/v1/shops/{shop}/identity"),
            format!("/v1/shops/{shop}/audit"),
        ] {
            app.get(&path, &owner)
                .await
                .assert_problem(StatusCode::NOT_FOUND, "not-found");
        }
        let r = app
            .call(Method::GET, "/shops/shop-era/privacy", None, None)
            .await;
        r.assert_problem(StatusCode::GONE, "gone");
        app.create_shop(&other_owner, "Squatter", "shop-era", "en")
            .await
            .assert_problem(StatusCode::CONFLICT, "conflict");
        // Erasing again: the shop is gone, so 404; the receipt stays public.
        let r = app.delete_shop(&owner, &shop, "shop-era").await;
        r.assert_problem(StatusCode::NOT_FOUND, "not-found");

        // Symmetry: everything erasure deleted or shredded was in the export; the rest is
        // retained with a reason.
        let exported = rows_in_export(&files);
        for e in rc["entries"].as_array().unwrap() {
            let table = e["entry"].as_str().unwrap();
            match e["action"].as_str().unwrap() {
                "delete" | "shred" => assert_eq!(
                    exported.get(table).copied().unwrap_or(0) as u64,
                    e["rows"].as_u64().unwrap(),
                    "{table}: erased rows differ from exported rows"
                ),
                "retain" => assert!(
                    rc["retained"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .any(|r| r["entry"] == table && r["reason"].is_string()),
                    "{table} retained without a reason"
                ),
                other => panic!("unexpected action {other}"),
            }
        }

        // The background part: objects, then the completed receipt.
        run_worker(&app).await;
        let id = rc["receipt_id"].as_str().unwrap();
        let r = app
            .call(Method::GET, &format!("/v1/receipts/{id}"), None, None)
            .await;
        assert_eq!(r.status, StatusCode::OK);
        let done: receipt::SignedReceipt = serde_json::from_value(r.json).unwrap();
        receipt::verify(&done, &keys).unwrap();
        assert_eq!(done.receipt["state"], "completed");
        assert_eq!(
            done.receipt["objects"]["deleted"], 2,
            "the document and the export archive"
        );
        let left = app
            .documents
            .list_prefix(&harim_kyc::DocumentStore::shop_prefix(shop_id))
            .await
            .unwrap();
        assert!(
            left.is_empty(),
            "objects left under the erased shop: {left:?}"
        );

        // A tampered receipt fails.
        let mut forged = done.clone();
        forged.receipt["tenant_key_versions_destroyed"] = json!([1, 2]);
        assert!(receipt::verify(&forged, &keys).is_err());

        // The bystander is untouched.
        let r = app
            .get(&format!("/v1/shops/{other_shop}/identity"), &other_owner)
            .await;
        assert_eq!(r.status, StatusCode::OK);
        let r = app
            .call(Method::GET, "/shops/shop-bystander/privacy", None, None)
            .await;
        assert_eq!(r.status, StatusCode::OK);
        // And the audit chains still verify, the erased shop's retained one included.
        app.assert_chains_verify().await;

        // What erasure retained goes when its time is over, and the chains still verify.
        harim_store::testkit::backdate_fence(
            &app.db,
            &app.vault,
            shop_id,
            time::Duration::days(i64::from(datamap::AUDIT_DAYS_AFTER_ERASURE) + 1),
        )
        .await
        .unwrap();
        let purged = harim_store::rights::erasure::purge_retained(
            &app.db,
            &app.vault,
            datamap::AUDIT_DAYS_AFTER_ERASURE,
            time::OffsetDateTime::now_utc(),
        )
        .await
        .unwrap();
        assert_eq!(purged, 1);
        let left = app
            .count(
                "SELECT COUNT(*) AS n FROM audit_log WHERE tenant_id = $1",
                [shop_id.into()],
            )
            .await;
        assert_eq!(left, 0);
        app.assert_chains_verify().await;
    }
);

db_test!(
    account_erasure_needs_the_password_and_erases_solely_owned_shops,
    |app: TestApp| async move {
        let (owner, shop, _) = full_shop(&app, "acct").await;
        let r = app.delete_account(&owner, "wrong password").await;
        r.assert_problem(StatusCode::FORBIDDEN, "forbidden");
        assert_eq!(app.get("/v1/shops", &owner).await.status, StatusCode::OK);
        let r = app.delete_account(&owner, PASSWORD).await;
        assert_eq!(r.status, StatusCode::ACCEPTED, "{:?}", r.json);
        assert_eq!(r.json["receipt"]["subject"]["kind"], "account");
        assert_eq!(
            r.json["receipt"]["shop_receipts"].as_array().unwrap().len(),
            1
        );
        app.get("/v1/shops", &owner)
            .await
            .assert_problem(StatusCode::UNAUTHORIZED, "unauthorized");
        let r = app
            .call(Method::GET, "/shops/shop-acct/privacy", None, None)
            .await;
        r.assert_problem(StatusCode::GONE, "gone");
        let shop_id = uuid::Uuid::parse_str(&shop).unwrap();
        assert!(
            all_tenant_keys(&app)
                .await
                .iter()
                .all(|k| k.tenant_id != shop_id)
        );
        run_worker(&app).await;
        let id = request_id_of(&app, "erase_account").await;
        let r = app
            .call(Method::GET, &format!("/v1/receipts/{id}"), None, None)
            .await;
        assert_eq!(r.json["receipt"]["state"], "completed");
        // The e-mail address can sign up again: nothing of the old account is left to clash.
        app.account("acct@example.com").await;
    }
);

/// The id of the (only) request of `kind`.
async fn request_id_of(app: &TestApp, kind: &str) -> String {
    let row = app
        .db
        .query_one(Statement::from_string(
            app.db.get_database_backend(),
            format!("SELECT id FROM data_requests WHERE kind = '{kind}'"),
        ))
        .await
        .unwrap()
        .unwrap();
    row.try_get::<uuid::Uuid>("", "id").unwrap().to_string()
}

db_test!(
    admins_see_open_requests_with_their_due_dates,
    |app: TestApp| async move {
        let (owner, shop) = app.merchant("due").await;
        let r = app.request_export(&owner, &shop).await;
        assert_eq!(r.status, StatusCode::ACCEPTED);
        let admin = app
            .platform_token(harim_store::roles::PlatformRole::Admin)
            .await;
        let reviewer = app
            .platform_token(harim_store::roles::PlatformRole::Reviewer)
            .await;
        app.get("/v1/admin/requests", &reviewer)
            .await
            .assert_problem(StatusCode::FORBIDDEN, "forbidden");
        app.get("/v1/admin/requests", &owner)
            .await
            .assert_problem(StatusCode::FORBIDDEN, "forbidden");
        let r = app.get("/v1/admin/requests", &admin).await;
        assert_eq!(r.status, StatusCode::OK);
        let open = r.json.as_array().unwrap();
        assert_eq!(open.len(), 1);
        assert_eq!(open[0]["kind"], "export_shop");
        assert_eq!(
            open[0]["due_at"],
            r_due(&app, &owner, &shop, open[0]["id"].as_str().unwrap()).await
        );
        assert_eq!(open[0]["overdue"], false);
        run_worker(&app).await;
        let r = app.get("/v1/admin/requests", &admin).await;
        assert_eq!(r.json, json!([]));
    }
);

async fn r_due(app: &TestApp, owner: &str, shop: &str, id: &str) -> Value {
    app.get(&format!("/v1/shops/{shop}/exports/{id}"), owner)
        .await
        .json["due_at"]
        .clone()
}

/// The migrated schema, as the database itself describes it: table -> columns.
async fn schema(app: &TestApp) -> BTreeMap<String, BTreeSet<String>> {
    let backend = app.db.get_database_backend();
    let mut out: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let rows = match backend {
        sea_orm::DatabaseBackend::Sqlite => {
            let tables = app
                .db
                .query_all(Statement::from_string(
                    backend,
                    "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'",
                ))
                .await
                .unwrap();
            let mut rows = Vec::new();
            for t in tables {
                let name: String = t.try_get("", "name").unwrap();
                for c in app
                    .db
                    .query_all(Statement::from_string(backend, format!("PRAGMA table_info({name})")))
                    .await
                    .unwrap()
                {
                    rows.push((name.clone(), c.try_get::<String>("", "name").unwrap()));
                }
            }
            rows
        }
        _ => app
            .db
            .query_all(Statement::from_string(
                backend,
                "SELECT table_name::text AS t, column_name::text AS c FROM information_schema.columns WHERE table_schema = current_schema()",
            ))
            .await
            .unwrap()
            .into_iter()
            .map(|r| (r.try_get("", "t").unwrap(), r.try_get("", "c").unwrap()))
            .collect(),
    };
    for (t, c) in rows {
        out.entry(t).or_default().insert(c);
    }
    out
}

db_test!(
    every_table_and_column_of_the_schema_is_in_the_data_map,
    |app: TestApp| async move {
        let have = schema(&app).await;
        let mapped: BTreeMap<String, BTreeSet<String>> = datamap::TABLES
            .iter()
            .map(|t| {
                (
                    t.name.to_string(),
                    t.columns.iter().map(|c| c.name.to_string()).collect(),
                )
            })
            .collect();
        let mut missing = Vec::new();
        for (table, cols) in &have {
            match mapped.get(table) {
                None => missing.push(format!("table {table}")),
                Some(m) => {
                    for c in cols.difference(m) {
                        missing.push(format!("column {table}.{c}"));
                    }
                }
            }
        }
        assert!(
            missing.is_empty(),
            "not in the data map (crates/harim-store/src/datamap.rs): {missing:?}"
        );
        for (table, cols) in &mapped {
            let Some(h) = have.get(table) else {
                panic!("the data map names table {table}, which the schema lacks");
            };
            assert_eq!(h, cols, "{table}: the map names columns the schema lacks");
        }
    }
);

db_test!(
    two_erasures_of_one_shop_at_once_answer_one_receipt,
    |app: TestApp| async move {
        let (owner, shop, _) = full_shop(&app, "twice").await;
        let path = format!("/v1/shops/{shop}");
        let body = json!({"confirm": "shop-twice", "password": PASSWORD});
        let (a, b) = tokio::join!(
            app.call(Method::DELETE, &path, Some(&owner), Some(body.clone())),
            app.call(Method::DELETE, &path, Some(&owner), Some(body.clone())),
        );
        let ids: Vec<&Value> = [&a, &b]
            .iter()
            .filter(|r| r.status == StatusCode::ACCEPTED)
            .map(|r| &r.json["receipt"]["receipt_id"])
            .collect();
        assert!(!ids.is_empty(), "{:?} / {:?}", a.json, b.json);
        assert!(
            ids.iter().all(|i| *i == ids[0]),
            "two receipts for one erasure"
        );
        for r in [&a, &b] {
            assert!(
                r.status == StatusCode::ACCEPTED || r.status == StatusCode::NOT_FOUND,
                "{:?}",
                r.json
            );
        }
        let n = app
            .count(
                "SELECT COUNT(*) AS n FROM data_requests WHERE kind = 'erase_shop'",
                [],
            )
            .await;
        assert_eq!(n, 1);
        // The overdue gauge's count: nothing is overdue now, the erasure is 30 days later.
        let now = time::OffsetDateTime::now_utc();
        assert_eq!(harim_store::rights::overdue(&app.db, now).await.unwrap(), 0);
        assert_eq!(
            harim_store::rights::overdue(&app.db, now + time::Duration::days(32))
                .await
                .unwrap(),
            1
        );
    }
);

/// Waits, if needed, until at least `needed` seconds of the current minute are left: the
/// re-authentication limit counts in fixed one-minute windows, and a test that makes six
/// attempts must not have them split across two.
async fn room_in_this_minute(needed: i64) {
    let left = 60
        - time::OffsetDateTime::now_utc()
            .unix_timestamp()
            .rem_euclid(60);
    if left < needed {
        tokio::time::sleep(std::time::Duration::from_secs(
            u64::try_from(left).unwrap() + 1,
        ))
        .await;
    }
}

/// Whether the shop is still all there: its page, its identity, its keys.
async fn shop_intact(app: &TestApp, owner: &str, shop: &str) {
    assert_eq!(
        app.get(&format!("/v1/shops/{shop}"), owner).await.status,
        StatusCode::OK
    );
    let r = app.get(&format!("/v1/shops/{shop}/identity"), owner).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.json);
    let erasures = app
        .count(
            "SELECT COUNT(*) AS n FROM data_requests WHERE kind IN ('erase_shop', 'erase_account')",
            [],
        )
        .await;
    assert_eq!(erasures, 0);
}

db_test!(
    shop_erasure_needs_the_owners_password_and_its_attempts_are_limited,
    |app: TestApp| async move {
        let (owner, shop) = app.merchant_with_identity("reauth").await;
        // The contract's body alone no longer erases: the password is named as missing.
        let r = app
            .delete_shop_with(&owner, &shop, json!({"confirm": "shop-reauth"}))
            .await;
        r.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation");
        assert_eq!(r.error_fields(), ["password"]);
        shop_intact(&app, &owner, &shop).await;

        room_in_this_minute(30).await;
        let wrong = json!({"confirm": "shop-reauth", "password": "not the password at all"});
        for _ in 0..5 {
            app.delete_shop_with(&owner, &shop, wrong.clone())
                .await
                .assert_problem(StatusCode::FORBIDDEN, "forbidden");
        }
        shop_intact(&app, &owner, &shop).await;
        // The sixth attempt in the minute is refused before the password is even checked,
        // the right one included.
        let r = app.delete_shop(&owner, &shop, "shop-reauth").await;
        r.assert_problem(StatusCode::TOO_MANY_REQUESTS, "rate-limited");
        let retry: u64 = r.headers["retry-after"].to_str().unwrap().parse().unwrap();
        assert!((1..=60).contains(&retry), "{retry}");
        shop_intact(&app, &owner, &shop).await;
        // The account's limit is one: its own erasure is held back too.
        app.delete_account(&owner, PASSWORD)
            .await
            .assert_problem(StatusCode::TOO_MANY_REQUESTS, "rate-limited");
        shop_intact(&app, &owner, &shop).await;
    }
);

db_test!(
    account_erasure_password_attempts_are_limited,
    |app: TestApp| async move {
        let (owner, shop) = app.merchant_with_identity("reauth-acct").await;
        room_in_this_minute(30).await;
        for _ in 0..5 {
            app.delete_account(&owner, "not the password at all")
                .await
                .assert_problem(StatusCode::FORBIDDEN, "forbidden");
        }
        let r = app.delete_account(&owner, "not the password at all").await;
        r.assert_problem(StatusCode::TOO_MANY_REQUESTS, "rate-limited");
        assert!(r.headers.contains_key("retry-after"));
        shop_intact(&app, &owner, &shop).await;
        assert_eq!(app.get("/v1/shops", &owner).await.status, StatusCode::OK);
    }
);

db_test!(
    exports_need_the_owner_signed_in_not_an_api_key,
    |app: TestApp| async move {
        let (owner, shop) = app.merchant_with_identity("keyed-export").await;
        let (_, owner_key) = app.api_key(&owner, &shop, "owner").await;
        // One call would otherwise hand every national ID, IBAN and ID image to a leaked key.
        app.request_export(&owner_key, &shop)
            .await
            .assert_problem(StatusCode::FORBIDDEN, "forbidden");
        let r = app.request_export(&owner, &shop).await;
        assert_eq!(r.status, StatusCode::ACCEPTED, "{:?}", r.json);
        let id = r.json["id"].as_str().unwrap().to_string();
        run_worker(&app).await;
        let path = format!("/v1/shops/{shop}/exports/{id}/download");
        let r = app.get(&path, &owner_key).await;
        r.assert_problem(StatusCode::FORBIDDEN, "forbidden");
        let (status, _) = download(&app, &owner, &path).await;
        assert_eq!(status, StatusCode::OK);
        // Only the session's download was recorded.
        let downloads = app
            .count(
                "SELECT COUNT(*) AS n FROM audit_log WHERE action = 'export.download'",
                [],
            )
            .await;
        assert_eq!(downloads, 1);
    }
);

/// The state and attempt count of request `id`.
async fn request_state(app: &TestApp, id: &str) -> (String, i32) {
    let id: uuid::Uuid = id.parse().unwrap();
    let row = app
        .row(
            "SELECT state, attempts FROM data_requests WHERE id = $1",
            [id.into()],
        )
        .await;
    (
        row.try_get("", "state").unwrap(),
        row.try_get("", "attempts").unwrap(),
    )
}

db_test!(
    a_shop_export_built_across_its_shops_erasure_ends_and_leaves_no_object,
    |app: TestApp| async move {
        let (owner, shop, _) = full_shop(&app, "exp-erased").await;
        let r = app.request_export(&owner, &shop).await;
        assert_eq!(r.status, StatusCode::ACCEPTED, "{:?}", r.json);
        let id = r.json["id"].as_str().unwrap().to_string();

        // The worker has built the archive and waits before storing it.
        let pause = harim_store::checkpoint::Pause::arm("export.build.before_store", &id);
        let rights = app.rights.clone();
        let building = tokio::spawn(async move { harim_store::rights::run_due(&rights).await });
        pause.reached().await;
        // Meanwhile the shop is erased, and its erasure's job empties the shop's prefix.
        let r = app.delete_shop(&owner, &shop, "shop-exp-erased").await;
        assert_eq!(r.status, StatusCode::ACCEPTED, "{:?}", r.json);
        harim_store::rights::run_due(&app.rights).await.unwrap();
        pause.release().await;
        building.await.unwrap().unwrap();

        // The archive of an erased shop is not left behind, and the export has ended.
        let shop_id: uuid::Uuid = shop.parse().unwrap();
        let left = app
            .documents
            .list_prefix(&harim_kyc::DocumentStore::shop_prefix(shop_id))
            .await
            .unwrap();
        assert!(left.is_empty(), "objects outlived the erasure: {left:?}");
        let (state, attempts) = request_state(&app, &id).await;
        assert_eq!(state, "expired");
        // Nothing is retried.
        harim_store::rights::run_due(&app.rights).await.unwrap();
        assert_eq!(request_state(&app, &id).await, (state, attempts));
    }
);

db_test!(
    an_account_export_built_across_an_owned_shops_erasure_is_rebuilt_without_it,
    |app: TestApp| async move {
        let (owner, shop, _) = full_shop(&app, "acc-erased").await;
        let r = app
            .post("/v1/account/exports", Some(&owner), json!({}))
            .await;
        assert_eq!(r.status, StatusCode::ACCEPTED, "{:?}", r.json);
        let id = r.json["id"].as_str().unwrap().to_string();

        let pause = harim_store::checkpoint::Pause::arm("export.build.before_store", &id);
        let rights = app.rights.clone();
        let building = tokio::spawn(async move { harim_store::rights::run_due(&rights).await });
        pause.reached().await;
        // The shop the archive carries is erased before the archive is marked ready (its
        // erasure's job, which sweeps account archives, has not run yet).
        let r = app.delete_shop(&owner, &shop, "shop-acc-erased").await;
        assert_eq!(r.status, StatusCode::ACCEPTED, "{:?}", r.json);
        pause.release().await;
        building.await.unwrap().unwrap();

        assert_eq!(request_state(&app, &id).await.0, "ready");
        let (status, body) =
            download(&app, &owner, &format!("/v1/account/exports/{id}/download")).await;
        assert_eq!(status, StatusCode::OK);
        let files: BTreeMap<String, Vec<u8>> = unzip(&body).into_iter().collect();
        assert!(files.contains_key("data/account.json"));
        let erased: Vec<&String> = files
            .keys()
            .filter(|f| f.starts_with(&format!("shops/{shop}/")))
            .collect();
        assert!(
            erased.is_empty(),
            "the erased shop is in the archive: {erased:?}"
        );
        let manifest = String::from_utf8(files["manifest.json"].clone()).unwrap();
        assert!(
            !manifest.contains(&shop),
            "the manifest names the erased shop"
        );
    }
);

db_test!(
    the_retention_job_deletes_export_archives_no_request_stands_behind,
    |app: TestApp| async move {
        use harim_kyc::{ArchiveOwner, DocumentStore};
        let (owner, shop) = app.merchant_with_identity("orphans").await;
        let r = app.request_export(&owner, &shop).await;
        let live = r.json["id"].as_str().unwrap().to_string();
        run_worker(&app).await;
        let shop_id: uuid::Uuid = shop.parse().unwrap();
        let account = uuid::Uuid::now_v7();
        let orphans = [
            DocumentStore::archive_path(ArchiveOwner::Shop(shop_id), uuid::Uuid::now_v7()),
            DocumentStore::archive_path(ArchiveOwner::Account(account), uuid::Uuid::now_v7()),
        ];
        for path in &orphans {
            app.documents
                .object_store()
                .put(path, b"sealed bytes".to_vec().into())
                .await
                .unwrap();
        }
        let n = harim_store::rights::export::expire(
            &app.db,
            &app.documents,
            time::Duration::hours(24),
            time::OffsetDateTime::now_utc(),
        )
        .await
        .unwrap();
        assert_eq!(n, 2, "only the two orphans go");
        for path in &orphans {
            let left = app.documents.list_prefix(path).await.unwrap();
            assert!(left.is_empty(), "{path} is still there");
        }
        // The live export's archive stays, and downloads.
        let (status, _) = download(
            &app,
            &owner,
            &format!("/v1/shops/{shop}/exports/{live}/download"),
        )
        .await;
        assert_eq!(status, StatusCode::OK);
    }
);

/// The app's provider, counting unwraps (each one an HSM call with PKCS#11).
#[derive(Debug)]
struct CountingUnwraps {
    inner: std::sync::Arc<dyn harim_vault::KeyProvider>,
    unwraps: std::sync::atomic::AtomicUsize,
}

impl harim_vault::KeyProvider for CountingUnwraps {
    fn kind(&self) -> &'static str {
        "counting"
    }
    fn active_version(&self) -> u32 {
        self.inner.active_version()
    }
    fn versions(&self) -> Vec<harim_vault::KeyVersionInfo> {
        self.inner.versions()
    }
    fn wrap(&self, v: u32, aad: &[u8], key: &[u8; 32]) -> harim_vault::Result<Vec<u8>> {
        self.inner.wrap(v, aad, key)
    }
    fn unwrap(
        &self,
        v: u32,
        aad: &[u8],
        w: &[u8],
    ) -> harim_vault::Result<zeroize::Zeroizing<[u8; 32]>> {
        self.unwraps
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        self.inner.unwrap(v, aad, w)
    }
    fn blind_index_key(
        &self,
        v: u32,
        k: harim_vault::BlindIndexKind,
    ) -> harim_vault::Result<secrecy::SecretBox<[u8; 32]>> {
        self.inner.blind_index_key(v, k)
    }
}

// Issue 24, medium item 7: the unauthenticated receipt-keys document costs the key provider at
// most one unwrap per process, however many requests arrive at once (before: one per request).
db_test!(
    a_flood_of_receipt_key_requests_unwraps_once,
    |app: TestApp| async move {
        use tower::ServiceExt;
        // The platform key exists (made through the app's own vault).
        let first = app
            .call(Method::GET, "/.well-known/harim/receipt-keys", None, None)
            .await;
        assert_eq!(first.status, StatusCode::OK);

        // A second process over the same keys: nothing derived or cached yet.
        let counting = std::sync::Arc::new(CountingUnwraps {
            inner: app.vault.provider().clone(),
            unwraps: Default::default(),
        });
        let vault = std::sync::Arc::new(harim_vault::Vault::new(
            counting.clone(),
            Default::default(),
        ));
        let router = harim_api::app(
            harim_api::AppState::new(
                app.db.clone(),
                crate::helpers::test_config(),
                vault,
                app.documents.clone(),
            )
            .unwrap(),
        );
        let mut set = tokio::task::JoinSet::new();
        for _ in 0..200 {
            let router = router.clone();
            set.spawn(async move {
                let req = axum::http::Request::get("/.well-known/harim/receipt-keys")
                    .body(axum::body::Body::empty())
                    .unwrap();
                let resp = router.oneshot(req).await.unwrap();
                let status = resp.status();
                let body = http_body_util::BodyExt::collect(resp.into_body())
                    .await
                    .unwrap()
                    .to_bytes();
                (status, body)
            });
        }
        let mut bodies = BTreeSet::new();
        while let Some(r) = set.join_next().await {
            let (status, body) = r.unwrap();
            assert_eq!(status, StatusCode::OK);
            bodies.insert(body.to_vec());
        }
        assert_eq!(bodies.len(), 1, "one document for all");
        let doc: Value = serde_json::from_slice(bodies.iter().next().unwrap()).unwrap();
        assert_eq!(doc, first.json);
        assert_eq!(
            counting.unwraps.load(std::sync::atomic::Ordering::SeqCst),
            1,
            "the platform key was unwrapped once for 200 requests"
        );
    }
);
