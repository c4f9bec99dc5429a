//! Evidence that survives a database writer (issue 24): someone who can write the database but
//! cannot unwrap the audit key (a DBA, a leaked application credential, SQL injection elsewhere)
//! backdates an entry, plants a fence, deletes an erased shop's chain or inserts a request row,
//! and each is refused or reported, on SQLite and PostgreSQL. Also what a shred leaves in the
//! database's own files.

use axum::http::StatusCode;
use harim_store::{
    audit,
    ids::PLATFORM_TENANT,
    retention::{self, Periods},
    testkit::entity::{
        data_request::{self, RequestKind, RequestState},
        erasure_fence,
    },
};
use sea_orm::{ActiveModelTrait, ConnectionTrait, DatabaseBackend, IntoActiveModel};
use serde_json::json;
use sha2::{Digest, Sha256};
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

use crate::{db_test, helpers::TestApp};

/// Every period long enough that no rule fires on its own.
fn quiet() -> Periods {
    Periods {
        session_ttl_secs: 30 * 24 * 3600,
        api_key_unused_days: 3650,
        export_ttl_secs: 30 * 24 * 3600,
        after_account_deletion_days: 3650,
        audit_days: 3650,
        ..Periods::DEFAULT
    }
}

async fn retention_at(app: &TestApp, periods: &Periods, now: OffsetDateTime) -> retention::Report {
    retention::run(&app.db, &app.vault, &app.documents, periods, now)
        .await
        .unwrap()
}

async fn broken_chains(app: &TestApp, heads: Option<&audit::SignedHeads>) -> Vec<(Uuid, i64)> {
    audit::verify(&app.db, &app.vault, heads)
        .await
        .unwrap()
        .broken
        .into_iter()
        .map(|b| (b.tenant_id, b.seq))
        .collect()
}

async fn run_worker(app: &TestApp) {
    for _ in 0..5 {
        if harim_store::rights::run_due(&app.rights).await.unwrap() == 0 {
            break;
        }
    }
}

/// A request row as a database writer would insert it (no MAC, or whatever they copy).
fn planted_request(tenant_id: Uuid, kind: RequestKind, state: RequestState) -> data_request::Model {
    let at = OffsetDateTime::now_utc() - Duration::days(400);
    data_request::Model {
        tenant_id,
        id: Uuid::now_v7(),
        kind,
        subject_account: None,
        state,
        requested_at: at,
        due_at: at,
        completed_at: None,
        expires_at: None,
        lease_until: None,
        attempts: 0,
        object_size: None,
        object_sha256: None,
        wrapped_key: None,
        tk_version: None,
        progress: None,
        receipt: None,
        signature: None,
        key_id: None,
        error: None,
        mac: None,
    }
}

// High 1: an entry backdated with SQL is not pruned (which would replace its failing link check
// by a passing mark check); the rule fails and the chain stays broken.
db_test!(
    pruning_refuses_an_entry_backdated_with_sql,
    |app: TestApp| async move {
        let (_, shop) = app.merchant_with_identity("backdate").await;
        let shop_id = Uuid::parse_str(&shop).unwrap();
        let now = OffsetDateTime::now_utc();
        app.exec(
            "UPDATE audit_log SET at = $1 WHERE tenant_id = $2 AND seq = 1",
            [(now - Duration::days(3000)).into(), shop_id.into()],
        )
        .await;
        assert_eq!(broken_chains(&app, None).await, [(shop_id, 1)]);

        let periods = Periods {
            audit_days: 730,
            ..quiet()
        };
        let r = retention_at(&app, &periods, now).await;
        assert!(r.failed.contains(&"old_audit_entries"), "{r:?}");
        assert_eq!(r.old_audit_entries, 0);
        let unpruned = "SELECT COUNT(*) AS n FROM audit_log \
            WHERE tenant_id = $1 AND seq = 1 AND pruned_mac IS NULL AND actor <> ''";
        assert_eq!(app.count(unpruned, [shop_id.into()]).await, 1);
        assert_eq!(broken_chains(&app, None).await, [(shop_id, 1)]);
    }
);

// High 1: a completed account erasure inserted with SQL, naming a live account, prunes none of
// that account's entries: only an authentic `account.erase` entry makes retention act.
db_test!(
    a_planted_account_erasure_prunes_no_live_accounts_entries,
    |app: TestApp| async move {
        let (_, shop) = app.merchant_with_identity("alive").await;
        let shop_id = Uuid::parse_str(&shop).unwrap();
        let actor: String = app
            .row(
                "SELECT actor FROM audit_log WHERE tenant_id = $1 AND seq = 1",
                [shop_id.into()],
            )
            .await
            .try_get("", "actor")
            .unwrap();
        let account = actor.strip_prefix("account:").unwrap().to_string();
        let mut row = planted_request(
            PLATFORM_TENANT,
            RequestKind::EraseAccount,
            RequestState::Completed,
        );
        row.progress = Some(json!({"members": [account]}).to_string());
        row.into_active_model().insert(&app.db).await.unwrap();
        let named = "SELECT COUNT(*) AS n FROM audit_log WHERE actor = $1 AND pruned_mac IS NULL";
        let before = app.count(named, [actor.clone().into()]).await;
        assert!(before > 0);

        let periods = Periods {
            after_account_deletion_days: 30,
            ..quiet()
        };
        let r = retention_at(&app, &periods, OffsetDateTime::now_utc()).await;
        assert!(r.failed.contains(&"account_residue"), "{r:?}");
        assert_eq!(r.account_residue.audit_entries_pruned, 0);
        assert_eq!(app.count(named, [actor.into()]).await, before);
        app.assert_chains_verify().await;
    }
);

// High 2: a fence planted with SQL on a live shop deletes none of its chain, and its owner's
// own erasure still works (it answered 500 before).
db_test!(
    a_planted_fence_deletes_no_chain_and_the_owner_can_still_erase,
    |app: TestApp| async move {
        let (owner, shop) = app.merchant_with_identity("planted").await;
        let shop_id = Uuid::parse_str(&shop).unwrap();
        let heads = audit::export_heads(&app.db, &app.vault).await.unwrap();
        erasure_fence::Model {
            tenant_id: shop_id,
            erased_at: OffsetDateTime::now_utc() - Duration::days(400),
            request_id: Uuid::now_v7(),
            slug_digest: Sha256::digest(b"shop-planted").to_vec(),
            mac: Some(vec![7; 32]),
        }
        .into_active_model()
        .insert(&app.db)
        .await
        .unwrap();
        let chain = "SELECT COUNT(*) AS n FROM audit_log WHERE tenant_id = $1";
        let entries = app.count(chain, [shop_id.into()]).await;

        let r = retention_at(&app, &quiet(), OffsetDateTime::now_utc()).await;
        assert!(r.failed.contains(&"erased_shop_audit_chains"), "{r:?}");
        assert_eq!(r.erased_shop_audit_chains, 0);
        assert_eq!(app.count(chain, [shop_id.into()]).await, entries);
        assert_eq!(broken_chains(&app, Some(&heads)).await, []);

        let r = app.delete_shop(&owner, &shop, "shop-planted").await;
        assert_eq!(r.status, StatusCode::ACCEPTED, "{:?}", r.json);
        assert_eq!(r.json["receipt"]["subject"]["id"], shop.as_str());
        run_worker(&app).await;
        let done = "SELECT COUNT(*) AS n FROM data_requests \
            WHERE tenant_id = $1 AND kind = 'erase_shop' AND state = 'completed'";
        assert_eq!(app.count(done, [shop_id.into()]).await, 1);
        app.assert_chains_verify().await;
    }
);

// High 2: an erased shop's chain deleted with SQL (entries and head) is reported: its fence no
// longer excuses a missing chain, only a purge record retention wrote does.
db_test!(
    an_erased_shops_chain_deleted_with_sql_is_reported,
    |app: TestApp| async move {
        let (owner, shop) = app.merchant("gone").await;
        let shop_id = Uuid::parse_str(&shop).unwrap();
        let r = app.delete_shop(&owner, &shop, "shop-gone").await;
        assert_eq!(r.status, StatusCode::ACCEPTED, "{:?}", r.json);
        run_worker(&app).await;
        app.assert_chains_verify().await;
        app.exec(
            "DELETE FROM audit_log WHERE tenant_id = $1",
            [shop_id.into()],
        )
        .await;
        app.exec(
            "DELETE FROM audit_heads WHERE tenant_id = $1",
            [shop_id.into()],
        )
        .await;
        assert_eq!(broken_chains(&app, None).await, [(shop_id, 0)]);
    }
);

// High 2: a purge record is what lets a purged chain be absent, and exported heads are compared
// with it.
db_test!(
    a_purged_chain_verifies_by_its_purge_record_and_exported_heads_match_it,
    |app: TestApp| async move {
        let (owner, shop) = app.merchant("purged").await;
        let shop_id = Uuid::parse_str(&shop).unwrap();
        let r = app.delete_shop(&owner, &shop, "shop-purged").await;
        assert_eq!(r.status, StatusCode::ACCEPTED, "{:?}", r.json);
        run_worker(&app).await;
        let heads = audit::export_heads(&app.db, &app.vault).await.unwrap();
        let days = i64::from(Periods::DEFAULT.audit_days_after_erasure);
        harim_store::testkit::backdate_fence(
            &app.db,
            &app.vault,
            shop_id,
            Duration::days(days + 1),
        )
        .await
        .unwrap();
        let r = retention_at(&app, &quiet(), OffsetDateTime::now_utc()).await;
        assert!(r.failed.is_empty(), "{r:?}");
        assert_eq!(r.erased_shop_audit_chains, 1);
        assert_eq!(broken_chains(&app, Some(&heads)).await, []);
        let record = "SELECT COUNT(*) AS n FROM audit_log \
            WHERE tenant_id = $1 AND action = 'audit.chain_purged' AND fields LIKE $2";
        let like = format!("%tenant:{shop_id}%");
        assert_eq!(
            app.count(record, [PLATFORM_TENANT.into(), like.into()])
                .await,
            1
        );
        // Deleting the purge record itself breaks the platform chain.
        app.exec(
            "DELETE FROM audit_log WHERE tenant_id = $1 AND action = 'audit.chain_purged'",
            [PLATFORM_TENANT.into()],
        )
        .await;
        let broken = broken_chains(&app, Some(&heads)).await;
        assert!(
            broken.iter().any(|(t, _)| *t == PLATFORM_TENANT),
            "{broken:?}"
        );
        assert!(broken.iter().any(|(t, _)| *t == shop_id), "{broken:?}");
    }
);

// High 3: an erasure request inserted with SQL, carrying a receipt copied from a real erasure
// and edited (another shop, a false backup horizon), deletes none of the victim's objects and
// is never signed; nor is a real row copied onto another shop.
db_test!(
    an_erasure_request_inserted_with_sql_is_neither_run_nor_signed,
    |app: TestApp| async move {
        let (victim_owner, victim) = app.merchant("victim").await;
        crate::kyc::upload_jpeg(&app, &victim_owner, &victim).await;
        let victim_id = Uuid::parse_str(&victim).unwrap();
        let (donor_owner, donor) = app.merchant("donor").await;
        let r = app.delete_shop(&donor_owner, &donor, "shop-donor").await;
        assert_eq!(r.status, StatusCode::ACCEPTED, "{:?}", r.json);
        run_worker(&app).await;
        let donor_id = Uuid::parse_str(&donor).unwrap();

        // A forged receipt with a copied signature.
        let mut forged = planted_request(victim_id, RequestKind::EraseShop, RequestState::Pending);
        let mut receipt = r.json["receipt"].clone();
        receipt["receipt_id"] = json!(forged.id.to_string());
        receipt["subject"]["id"] = json!(victim);
        receipt["recoverable_from_backups_until"] = json!("2000-01-01T00:00:00Z");
        forged.receipt = Some(receipt.to_string());
        forged.signature = r.json["signature"].as_str().map(str::to_string);
        forged.key_id = r.json["key_id"].as_str().map(str::to_string);
        let forged_id = forged.id;
        forged.into_active_model().insert(&app.db).await.unwrap();
        // The donor's real row (receipt, signature, MAC) copied onto the victim.
        use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
        let mut copy = data_request::Entity::find()
            .filter(data_request::Column::TenantId.eq(donor_id))
            .filter(data_request::Column::Kind.eq(RequestKind::EraseShop))
            .one(&app.db)
            .await
            .unwrap()
            .unwrap();
        copy.tenant_id = victim_id;
        copy.state = RequestState::Pending;
        copy.completed_at = None;
        copy.into_active_model().insert(&app.db).await.unwrap();

        run_worker(&app).await;
        let objects = app
            .documents
            .list_prefix(&harim_kyc::DocumentStore::shop_prefix(victim_id))
            .await
            .unwrap();
        assert!(!objects.is_empty(), "the victim's objects were deleted");
        let open = "SELECT COUNT(*) AS n FROM data_requests \
            WHERE tenant_id = $1 AND state IN ('pending', 'running')";
        assert_eq!(app.count(open, [victim_id.into()]).await, 2);
        let signed = "SELECT COUNT(*) AS n FROM data_requests WHERE id = $1 AND receipt LIKE '%completed_at\":null%'";
        assert_eq!(app.count(signed, [forged_id.into()]).await, 1);
        // The victim is alive.
        let r = app.get(&format!("/v1/shops/{victim}"), &victim_owner).await;
        assert_eq!(r.status, StatusCode::OK);
    }
);

// High 3: the former members whose account-export archives a shop erasure deletes are the
// ones it started with; a list edited with SQL (to name a bystander) deletes nothing.
db_test!(
    an_erasures_members_edited_with_sql_delete_no_bystanders_archive,
    |app: TestApp| async move {
        let (bystander, by_token) = app.account("bystander@example.com").await;
        let r = app
            .post("/v1/account/exports", Some(&by_token), json!({}))
            .await;
        assert_eq!(r.status, StatusCode::ACCEPTED, "{:?}", r.json);
        let export = r.json["id"].as_str().unwrap().to_string();
        run_worker(&app).await;
        let r = app
            .get(&format!("/v1/account/exports/{export}"), &by_token)
            .await;
        assert_eq!(r.json["state"], "ready", "{:?}", r.json);

        let (owner, shop) = app.merchant("members").await;
        let shop_id = Uuid::parse_str(&shop).unwrap();
        let r = app.delete_shop(&owner, &shop, "shop-members").await;
        assert_eq!(r.status, StatusCode::ACCEPTED, "{:?}", r.json);
        let of_erasure = "SELECT progress FROM data_requests \
            WHERE tenant_id = $1 AND kind = 'erase_shop'";
        let progress: String = app
            .row(of_erasure, [shop_id.into()])
            .await
            .try_get("", "progress")
            .unwrap();
        let mut progress: serde_json::Value = serde_json::from_str(&progress).unwrap();
        assert!(progress["members_mac"].is_string(), "{progress}");
        progress["members"] = json!([bystander]);
        app.exec(
            "UPDATE data_requests SET progress = $1 WHERE tenant_id = $2 AND kind = 'erase_shop'",
            [progress.to_string().into(), shop_id.into()],
        )
        .await;
        run_worker(&app).await;

        let r = app
            .get(&format!("/v1/account/exports/{export}"), &by_token)
            .await;
        assert_eq!(
            r.json["state"], "ready",
            "the bystander's export went: {:?}",
            r.json
        );
        let done = "SELECT COUNT(*) AS n FROM data_requests \
            WHERE tenant_id = $1 AND kind = 'erase_shop' AND state = 'completed'";
        assert_eq!(app.count(done, [shop_id.into()]).await, 0);
    }
);

// Medium 9: a shred leaves no copy of the wrapped tenant key in the database's own files. On
// PostgreSQL the deleted row stayed in its page as a dead tuple (no page of the table may hold
// its bytes); on SQLite a checkpoint blocked by a reader failed silently (the erasure is now
// completed only once the log is truncated).
db_test!(
    a_shred_leaves_no_copy_of_the_wrapped_key_in_the_database_files,
    |app: TestApp| async move {
        let (owner, shop) = app.merchant_with_identity("pages").await;
        let shop_id = Uuid::parse_str(&shop).unwrap();
        let wrapped: Vec<u8> = app
            .row(
                "SELECT wrapped FROM tenant_keys WHERE tenant_id = $1",
                [shop_id.into()],
            )
            .await
            .try_get("", "wrapped")
            .unwrap();
        let done = "SELECT COUNT(*) AS n FROM data_requests \
            WHERE tenant_id = $1 AND kind = 'erase_shop' AND state = 'completed'";
        match app.db.get_database_backend() {
            DatabaseBackend::Postgres => {
                app.exec("CREATE EXTENSION IF NOT EXISTS pageinspect", [])
                    .await;
                let r = app.delete_shop(&owner, &shop, "shop-pages").await;
                assert_eq!(r.status, StatusCode::ACCEPTED, "{:?}", r.json);
                run_worker(&app).await;
                assert_eq!(app.count(done, [shop_id.into()]).await, 1);
                let pages = "SELECT COUNT(*) AS n FROM generate_series(0, \
                    (pg_relation_size('tenant_keys') / 8192)::int - 1) AS b \
                    WHERE position($1::bytea in get_raw_page('tenant_keys', b)) > 0";
                assert_eq!(app.count(pages, [wrapped.into()]).await, 0);
                let r: serde_json::Value = serde_json::from_str(
                    &app.row(
                        "SELECT receipt FROM data_requests WHERE tenant_id = $1 AND kind = 'erase_shop'",
                        [shop_id.into()],
                    )
                    .await
                    .try_get::<String>("", "receipt")
                    .unwrap(),
                )
                .unwrap();
                assert_eq!(r["database"]["engine"], "postgresql", "{r}");
                assert!(r["database"]["settings"]["checkpoint_timeout"].is_string());
            }
            _ => {
                use sea_orm::TransactionTrait;
                // A reader whose snapshot predates the erasure holds the write-ahead log.
                let reader = app.db.begin().await.unwrap();
                reader
                    .query_one(harim_store::testkit::statement(
                        &reader,
                        "SELECT COUNT(*) AS n FROM tenant_keys",
                        [],
                    ))
                    .await
                    .unwrap();
                let r = app.delete_shop(&owner, &shop, "shop-pages").await;
                assert_eq!(r.status, StatusCode::ACCEPTED, "{:?}", r.json);
                run_worker(&app).await;
                assert_eq!(app.count(done, [shop_id.into()]).await, 0);
                let error: Option<String> = app
                    .row(
                        "SELECT error FROM data_requests WHERE tenant_id = $1 AND kind = 'erase_shop'",
                        [shop_id.into()],
                    )
                    .await
                    .try_get("", "error")
                    .unwrap();
                assert!(error.unwrap_or_default().contains("write-ahead log"));
                reader.rollback().await.unwrap();
                // The lease runs out and the next pass finishes.
                app.exec(
                    "UPDATE data_requests SET lease_until = NULL WHERE tenant_id = $1",
                    [shop_id.into()],
                )
                .await;
                run_worker(&app).await;
                assert_eq!(app.count(done, [shop_id.into()]).await, 1);
            }
        }
    }
);
