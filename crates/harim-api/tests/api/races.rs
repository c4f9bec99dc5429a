//! Races in key handling and in the audit chain, each reproduced by construction: a checkpoint
//! stops one use case between two of its steps, the test runs the rival to completion (or until
//! the database makes it wait), then lets the first one go on. Every test here failed on the
//! code before the fix (see the issue "Rotation must never lose a shop").

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use axum::http::StatusCode;
use harim_store::{
    checkpoint::Pause,
    roles::PlatformRole,
    rotation, tenant_rotation,
    testkit::entity::{audit_entry, audit_head, rotation_job},
};
use harim_vault::{FileKeyring, Vault};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::helpers::cli_operator;
use crate::{
    db_test,
    helpers::{TestApp, assert_chains_verify},
    identity::{assert_shops_found, iranian_identity},
    rotation::{
        assert_all_readable, file_vault, rig, root_job, rotate_root_to_the_end, router_over,
    },
};

/// Sessions of this database waiting for a lock (PostgreSQL); `None` where it cannot be seen.
async fn lock_waiters(app: &TestApp) -> Option<u64> {
    harim_store::testkit::lock_waiters(&app.db).await.unwrap()
}

/// Runs `rival` while `pause` holds the first use case at its checkpoint, until the rival is
/// done (nothing stops it: the race is open) or waits for a lock the first one holds (the race
/// is closed), then releases the first one and finishes the rival.
///
/// PostgreSQL shows the wait in `pg_stat_activity`. SQLite's lock wait happens inside its busy
/// handler and cannot be seen, so there the rival gets a bounded head start instead; the test's
/// verdict never depends on it (a rival that has not finished simply runs after the first).
async fn rival_then_release<F: Future>(app: &TestApp, pause: Pause, rival: F) -> F::Output {
    tokio::pin!(rival);
    let blocked = async {
        let mut waited = Duration::ZERO;
        loop {
            match lock_waiters(app).await {
                Some(n) if n > 0 => return,
                None if waited >= Duration::from_millis(500) => return,
                _ => {}
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
            waited += Duration::from_millis(10);
        }
    };
    tokio::select! {
        out = &mut rival => {
            pause.release().await;
            out
        }
        () = blocked => {
            pause.release().await;
            rival.await
        }
    }
}

/// Retires and destroys a root version at once (no grace period: nothing else runs here).
async fn retire_now(r: &crate::rotation::Rig, version: u32) {
    rotation::retire(
        &r.app.db,
        &r.vault,
        version,
        &cli_operator("admin"),
        Duration::ZERO,
    )
    .await
    .unwrap();
}

fn other_identity() -> Value {
    let mut v = iranian_identity();
    v["full_name"] = json!("Second Writer-Test");
    v
}

/// Rotates the shop's tenant key now, as `harim keys rotate-tenant` would.
async fn rotate_tenant_key(app: &TestApp, shop: Uuid) -> tenant_rotation::Outcome {
    tenant_rotation::rotate_shop(&app.db, &app.vault, &cli_operator("t"), shop.into(), soon())
        .await
        .unwrap()
}

fn soon() -> OffsetDateTime {
    OffsetDateTime::now_utc() + Duration::from_secs(1)
}

/// `verify` reports a broken link in `shop`'s chain.
async fn assert_chain_reported(app: &TestApp, shop: Uuid) {
    let v = harim_store::audit::verify(&app.db, &app.vault, None)
        .await
        .unwrap();
    assert!(
        v.broken.iter().any(|b| b.tenant_id == shop),
        "{:?}",
        v.broken
    );
}

// Finding 1: an identity write loaded the tenant key before its transaction, so a tenant
// rotation committed in between left the row under a deleted key.
db_test!(
    an_identity_write_never_lands_under_a_key_that_rotation_deleted,
    |app: TestApp| async move {
        let (owner, shop) = app.merchant_with_identity("race-write").await;
        let shop_id: Uuid = shop.parse().unwrap();

        let pause = Pause::arm("identity.write.before_transaction", shop_id);
        let (put, ()) = tokio::join!(app.put_identity(&owner, &shop, other_identity()), async {
            pause.reached().await;
            let out = rotate_tenant_key(&app, shop_id).await;
            assert_eq!(out, tenant_rotation::Outcome::Rotated(2));
            pause.release().await;
        });
        assert_eq!(put.status, StatusCode::OK, "{:?}", put.json);
        let r = app
            .reveal(
                &owner,
                &shop,
                json!({"fields": ["full_name", "national_id"], "purpose": "payout"}),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{:?}", r.json);
        assert_eq!(r.json["fields"]["full_name"], "Second Writer-Test");
        // The shop's next rotation works too (it failed on the orphaned row).
        let out = rotate_tenant_key(&app, shop_id).await;
        assert_eq!(out, tenant_rotation::Outcome::Rotated(3));
        app.assert_chains_verify().await;
    }
);

// Finding 2 (database half): two starts could both see "no unfinished job" and each add a root
// version. At most one unfinished root job now exists, and the database enforces it.
db_test!(
    the_database_admits_one_unfinished_root_rotation,
    |app: TestApp| async move {
        use rotation::JobState as S;
        let job = root_job;
        job(S::Done).insert(&app.db).await.unwrap();
        job(S::Pending).insert(&app.db).await.unwrap();
        job(S::Done).insert(&app.db).await.unwrap();
        assert!(job(S::Running).insert(&app.db).await.is_err());
        assert!(job(S::Failed).insert(&app.db).await.is_err());
    }
);

db_test!(
    two_concurrent_root_rotation_starts_add_one_version,
    |app: TestApp| async move {
        let r = rig(app, 2, 0).await;
        // The second starter is another process: its own vault over the same keyring file.
        let other = file_vault(&r.keyring);
        // The pause is armed for this actor name only: the SQLite and PostgreSQL variants run
        // side by side, and a shared name let one take the other's barrier and wait forever.
        let first = format!("first-{}", uuid::Uuid::new_v4().simple());
        let pause = Pause::arm("rotation.start.before_create", &first);
        let first_operator = cli_operator(&first);
        let (a, b) = tokio::join!(
            rotation::start(
                &r.app.db,
                &r.vault,
                &first_operator,
                None,
                rotation::Brake::NONE
            ),
            async {
                pause.reached().await;
                let b = rotation::start(
                    &r.app.db,
                    &other,
                    &cli_operator("second"),
                    None,
                    rotation::Brake::NONE,
                )
                .await;
                pause.release().await;
                b
            }
        );
        let ((a, a_new), (b, b_new)) = (a.unwrap(), b.unwrap());
        assert_eq!(a.id, b.id, "both starters must end up on one job");
        assert!(a_new != b_new, "exactly one of them created it");
        let unfinished = rotation_job::Entity::find()
            .filter(rotation_job::Column::State.ne(rotation::JobState::Done))
            .all(&r.app.db)
            .await
            .unwrap();
        assert_eq!(unfinished.len(), 1, "{unfinished:?}");
        let fresh = FileKeyring::open(&r.keyring).unwrap();
        assert_eq!(
            harim_vault::KeyProvider::versions(&fresh).len(),
            2,
            "one new root version"
        );
        rotation::run(&r.app.db, &r.vault, a.id.into(), 100, None)
            .await
            .unwrap();
        assert_all_readable(&r).await;
        assert_chains_verify(&r.app.db, &r.vault).await;
    }
);

// Finding 3: a process with an old copy of the keyring (a replica between two reloads) went on
// wrapping new tenant keys under a version another process had retired and destroyed.
db_test!(
    a_stale_process_never_wraps_under_a_retired_root_version,
    |app: TestApp| async move {
        let mut r = rig(app, 1, 0).await;
        // A replica that loaded the keyring before the rotation and has not re-read it since.
        let stale = Arc::new(Vault::new(
            Arc::new(FileKeyring::open(&r.keyring).unwrap()),
            Default::default(),
        ));
        let stale_router = router_over(&r.app, stale);
        rotate_root_to_the_end(&r.app.db, &r.vault, "admin", 100).await;
        retire_now(&r, 1).await;
        // A merchant signs up on the stale replica: the new shop's key must be readable later.
        let fresh_router = std::mem::replace(&mut r.app.router, stale_router);
        let (owner, shop) = r.app.merchant("late").await;
        r.app
            .write_identity(&owner, &shop, iranian_identity())
            .await;
        r.app.router = fresh_router;
        r.shops.push((owner, shop));
        assert_all_readable(&r).await;
    }
);

// Finding 4: the blind-index search appended to shops' chains outside a transaction, so a
// rival append could read the same head: a forked chain and a head that moved backwards.
db_test!(
    a_search_and_a_write_of_one_shop_never_fork_its_chain,
    |app: TestApp| async move {
        let (owner, shop) = app.merchant_with_identity("race-audit").await;
        let reviewer = app.platform_token(PlatformRole::Reviewer).await;
        let shop_id: Uuid = shop.parse().unwrap();

        let pause = Pause::arm("audit.append.head_read", shop_id);
        let (search, put) = tokio::join!(
            app.search_identities(
                &reviewer,
                json!({"national_id": "0499370899", "country": "IR"})
            ),
            async {
                pause.reached().await;
                rival_then_release(
                    &app,
                    pause,
                    app.put_identity(&owner, &shop, other_identity()),
                )
                .await
            }
        );
        assert_eq!(search.status, StatusCode::OK, "{:?}", search.json);
        assert_eq!(put.status, StatusCode::OK, "{:?}", put.json);
        app.assert_chains_verify().await;
    }
);

// Finding 5: a missing head was not treated as broken, so deleting a shop's whole chain passed.
db_test!(
    deleting_a_shops_whole_chain_is_reported,
    |app: TestApp| async move {
        let (_, shop) = app.merchant_with_identity("race-chain").await;
        let shop_id: Uuid = shop.parse().unwrap();
        audit_entry::Entity::delete_many()
            .filter(audit_entry::Column::TenantId.eq(shop_id))
            .exec(&app.db)
            .await
            .unwrap();
        audit_head::Entity::delete_by_id(shop_id)
            .exec(&app.db)
            .await
            .unwrap();
        assert_chain_reported(&app, shop_id).await;
    }
);

/// The link an attacker with write access to the database computes: unkeyed SHA-256 over the
/// canonical entry, exactly as harim wrote it before links were keyed.
fn unkeyed_link(prev: &[u8], e: &audit_entry::Model) -> Vec<u8> {
    use sha2::{Digest, Sha256};
    let body = json!({
        "tenant_id": e.tenant_id, "seq": e.seq, "id": e.id,
        "at": e.at.unix_timestamp_nanos() / 1_000,
        "actor": e.actor, "action": e.action, "fields": e.fields,
        "purpose": e.purpose, "request_id": e.request_id,
    });
    // serde_json's map keeps insertion order only with preserve_order; write it by hand.
    let body = format!(
        "{{\"tenant_id\":{},\"seq\":{},\"id\":{},\"at\":{},\"actor\":{},\"action\":{},\"fields\":{},\"purpose\":{},\"request_id\":{}}}",
        body["tenant_id"],
        body["seq"],
        body["id"],
        body["at"],
        body["actor"],
        body["action"],
        body["fields"],
        body["purpose"],
        body["request_id"]
    );
    let mut h = Sha256::new();
    h.update(b"harim-audit-v1");
    h.update((prev.len() as u32).to_be_bytes());
    h.update(prev);
    h.update(body.as_bytes());
    h.finalize().to_vec()
}

// Finding 5: links were unkeyed, so rewriting an entry and recomputing every later link passed.
db_test!(
    a_rewritten_and_recomputed_chain_is_reported,
    |app: TestApp| async move {
        let (owner, shop) = app.merchant("race-rewrite").await;
        for body in [iranian_identity(), other_identity()] {
            app.write_identity(&owner, &shop, body).await;
        }
        let shop_id: Uuid = shop.parse().unwrap();
        let mut entries = harim_store::testkit::audit_list(&app.db, shop_id, 100)
            .await
            .unwrap();
        entries.sort_by_key(|e| e.seq);
        // The attacker hides who wrote the identity, then re-links the chain and its head.
        let mut prev = vec![0u8; 32];
        for mut e in entries {
            if e.action == "identity.write" {
                e.actor = "nobody".into();
            }
            e.prev_hash = prev.clone();
            e.hash = unkeyed_link(&prev, &e);
            prev = e.hash.clone();
            let am: audit_entry::ActiveModel = e.into();
            am.reset_all().update(&app.db).await.unwrap();
        }
        audit_head::Entity::update_many()
            .col_expr(
                audit_head::Column::Hash,
                sea_orm::sea_query::Expr::value(prev),
            )
            .filter(audit_head::Column::TenantId.eq(shop_id))
            .exec(&app.db)
            .await
            .unwrap();
        assert_chain_reported(&app, shop_id).await;
    }
);

// Finding 6: the national-ID index covered the declared country, so a number declared under
// another country escaped duplicate detection.
db_test!(
    a_national_id_is_found_whatever_country_it_was_declared_under,
    |app: TestApp| async move {
        let (o1, s1) = app.merchant("bidx-ir").await;
        let (o2, s2) = app.merchant("bidx-de").await;
        app.write_identity(&o1, &s1, iranian_identity()).await;
        let mut de = iranian_identity();
        de["country"] = json!("DE");
        de["phone"] = json!("+49 30 1234567");
        de["postal_code"] = json!("10115");
        de["iban"] = json!("DE89 3704 0044 0532 0130 00");
        app.write_identity(&o2, &s2, de).await;
        let reviewer = app.platform_token(PlatformRole::Reviewer).await;
        for country in ["IR", "DE"] {
            let s = app
                .search_identities(
                    &reviewer,
                    json!({"national_id": "0499370899", "country": country}),
                )
                .await;
            assert_shops_found(&s, &[&s1, &s2], &format!("searching as {country}"));
        }
    }
);

// All of it at once: identity writes, masked reads and reveals on every shop; tenant rotations by
// a second process; a root rotation and the retirement of the old version by a third. Bounded
// by iterations, not time. Afterwards every identity reads and every chain verifies.
db_test!(
    writes_reveals_and_both_rotations_at_once_lose_nothing,
    |app: TestApp| async move {
        let r = Arc::new(rig(app, 4, 0).await);
        let mut load = Vec::new();
        for (owner, shop) in r.shops.clone() {
            let r = r.clone();
            load.push(tokio::spawn(async move {
                let mut failures = Vec::new();
                for i in 0..12 {
                    let mut body = iranian_identity();
                    body["full_name"] = json!(format!("Writer {i}-Test"));
                    let path = format!("/v1/shops/{shop}/identity");
                    let p = r.app.put_identity(&owner, &shop, body).await;
                    if p.status != StatusCode::OK {
                        failures.push(format!("PUT {}: {:?}", p.status, p.json));
                    }
                    let g = r.app.get(&path, &owner).await;
                    if g.status != StatusCode::OK {
                        failures.push(format!("GET {}: {:?}", g.status, g.json));
                    }
                    let v = r
                        .app
                        .reveal(
                            &owner,
                            &shop,
                            json!({"fields": ["full_name", "iban"], "purpose": "payout"}),
                        )
                        .await;
                    if v.status != StatusCode::OK {
                        failures.push(format!("reveal {}: {:?}", v.status, v.json));
                    }
                }
                failures
            }));
        }
        let tenants = {
            let r = r.clone();
            tokio::spawn(async move {
                // `harim keys rotate-tenant --all` in another process, started before the root
                // rotation: its copy of the keyring is re-read only on an unknown version.
                let cli = file_vault(&r.keyring);
                let mut failures = Vec::new();
                for _ in 0..3 {
                    for (_, shop) in &r.shops {
                        let shop: Uuid = shop.parse().unwrap();
                        if let Err(e) = tenant_rotation::rotate_shop(
                            &r.app.db,
                            &cli,
                            &cli_operator("stress"),
                            shop.into(),
                            soon(),
                        )
                        .await
                        {
                            failures.push(format!("rotate-tenant: {e}"));
                        }
                    }
                }
                failures
            })
        };
        let root = {
            let r = r.clone();
            tokio::spawn(async move {
                let admin = file_vault(&r.keyring);
                let (job, _) = rotation::start(
                    &r.app.db,
                    &admin,
                    &cli_operator("stress"),
                    None,
                    rotation::Brake::NONE,
                )
                .await
                .unwrap();
                rotation::run(&r.app.db, &admin, job.id.into(), 2, None)
                    .await
                    .unwrap();
                rotation::retire(
                    &r.app.db,
                    &admin,
                    1,
                    &cli_operator("stress"),
                    Duration::ZERO,
                )
                .await
            })
        };
        root.await.unwrap().unwrap();
        let mut failures = tenants.await.unwrap();
        for l in load {
            failures.extend(l.await.unwrap());
        }
        assert!(failures.is_empty(), "{failures:#?}");
        assert_all_readable(&r).await;
        for (owner, shop) in &r.shops {
            let v = r
                .app
                .reveal(
                    owner,
                    shop,
                    json!({"fields": ["national_id"], "purpose": "payout"}),
                )
                .await;
            assert_eq!(v.status, StatusCode::OK, "{:?}", v.json);
        }
        assert_chains_verify(&r.app.db, &r.vault).await;
    }
);

// Finding 5: deleting the tail of a chain together with its head passes every check the
// database alone can make; exported heads, kept elsewhere, catch it, and a forged export is
// refused.
db_test!(
    exported_heads_catch_a_deleted_tail,
    |app: TestApp| async move {
        let (owner, shop) = app.merchant("race-heads").await;
        for body in [iranian_identity(), other_identity()] {
            app.write_identity(&owner, &shop, body).await;
        }
        let heads = harim_store::audit::export_heads(&app.db, &app.vault)
            .await
            .unwrap();
        let shop_id: Uuid = shop.parse().unwrap();
        let last = harim_store::testkit::audit_list(&app.db, shop_id, 1)
            .await
            .unwrap();
        let last = last.first().unwrap().clone();
        // The attacker removes the last entry and moves the head back onto the one before.
        audit_entry::Entity::delete_many()
            .filter(audit_entry::Column::TenantId.eq(shop_id))
            .filter(audit_entry::Column::Seq.eq(last.seq))
            .exec(&app.db)
            .await
            .unwrap();
        audit_head::Entity::update_many()
            .col_expr(
                audit_head::Column::Seq,
                sea_orm::sea_query::Expr::value(last.seq - 1),
            )
            .col_expr(
                audit_head::Column::Hash,
                sea_orm::sea_query::Expr::value(last.prev_hash.clone()),
            )
            .filter(audit_head::Column::TenantId.eq(shop_id))
            .exec(&app.db)
            .await
            .unwrap();
        let alone = harim_store::audit::verify(&app.db, &app.vault, None)
            .await
            .unwrap();
        assert!(alone.broken.is_empty(), "the database alone cannot tell");
        let with = harim_store::audit::verify(&app.db, &app.vault, Some(&heads))
            .await
            .unwrap();
        assert_eq!(with.heads_authentic, Some(true));
        assert!(
            with.broken
                .iter()
                .any(|b| b.tenant_id == shop_id && b.seq == last.seq),
            "{:?}",
            with.broken
        );
        // An export edited to match the shortened chain no longer carries a valid MAC.
        let mut forged = heads.clone();
        for h in &mut forged.heads {
            if h.tenant_id == shop_id {
                h.seq -= 1;
                h.hash = hex::encode(&last.prev_hash);
            }
        }
        let v = harim_store::audit::verify(&app.db, &app.vault, Some(&forged))
            .await
            .unwrap();
        assert_eq!(v.heads_authentic, Some(false));
    }
);
