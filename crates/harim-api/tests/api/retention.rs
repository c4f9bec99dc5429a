//! The retention job (`harim_store::retention::run`) on SQLite and PostgreSQL, with a test
//! clock: for each rule a period is set, the data made, and the job run at `now` just before
//! the period ends (nothing goes) and just after (it goes). The audit chain is checked after
//! pruning, and against edits, deletions, reordering and forged pruning of what remains.

use axum::http::{Method, StatusCode};
use harim_store::{
    login_limit,
    retention::{self, Periods, Report},
};
use sea_orm::Value as SqlValue;
use serde_json::json;
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

use crate::{
    db_test,
    helpers::{PASSWORD, TestApp},
};

/// No bind values.
const NONE: [SqlValue; 0] = [];

/// Every period long enough that no rule but the one under test fires.
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

async fn run(app: &TestApp, periods: &Periods, now: OffsetDateTime) -> Report {
    let r = retention::run(&app.db, &app.vault, &app.documents, periods, now)
        .await
        .unwrap();
    assert!(r.failed.is_empty(), "{r:?}");
    r
}

async fn time_of(
    app: &TestApp,
    sql: &str,
    values: impl IntoIterator<Item = SqlValue>,
) -> OffsetDateTime {
    app.row(sql, values).await.try_get("", "t").unwrap()
}

/// The platform policy (English Markdown) rendered from `periods`: the text the job's periods
/// must appear in.
fn platform_policy_text(periods: &Periods) -> String {
    use harim_policy::platform::examples;
    use harim_store::{platform_policy, policies::DocumentFormat};
    let ctx = platform_policy::Context {
        platform: examples::iranian_platform().platform,
        periods: *periods,
        response_days: 30,
        keys_in_hsm: false,
        routes: examples::routes(),
    };
    let date = time::macros::date!(2026 - 12 - 01);
    let meta = harim_policy::PolicyMeta {
        version: 1,
        effective_at: date,
        history: vec![harim_policy::HistoryEntry {
            version: 1,
            effective_at: date,
            changes: vec![],
        }],
        alternates: platform_policy::LOCALES.to_vec(),
        previous_hash: None,
    };
    let docs = platform_policy::render(&platform_policy::inputs(&ctx).unwrap(), &meta).unwrap();
    docs.into_iter()
        .find(|(l, f, _)| *l == harim_policy::Locale::En && *f == DocumentFormat::Markdown)
        .map(|(_, _, text)| text)
        .unwrap()
}

/// The policy rendered from `periods` prints `period` (`"30 days"`) more often than the one
/// rendered from the defaults: the period under test is printed, whatever the wording around it.
#[track_caller]
fn policy_prints(periods: &Periods, period: &str) {
    // A whole word: " two hours" is not in "twelve hours"; numbers up to nine are spelled out.
    let whole = format!(" {period}");
    let text = platform_policy_text(periods);
    let default = platform_policy_text(&Periods::DEFAULT);
    assert!(
        text.matches(&whole).count() > default.matches(&whole).count(),
        "the platform policy does not print {period:?} for the period under test:\n{text}"
    );
}

db_test!(
    sessions_go_when_their_period_ends,
    |app: TestApp| async move {
        let (account, token) = app.account("ttl@example.com").await;
        let account = Uuid::parse_str(&account).unwrap();
        let created = time_of(
            &app,
            "SELECT created_at AS t FROM sessions WHERE account_id = $1",
            [account.into()],
        )
        .await;
        let periods = Periods {
            session_ttl_secs: 7200,
            ..quiet()
        };
        policy_prints(&periods, "two hours");
        let sessions = "SELECT COUNT(*) AS n FROM sessions WHERE account_id = $1";
        let r = run(&app, &periods, created + Duration::seconds(7199)).await;
        assert_eq!(r.expired_sessions, 0);
        assert_eq!(app.count(sessions, [account.into()]).await, 1);
        let r = run(&app, &periods, created + Duration::seconds(7200)).await;
        assert_eq!(r.expired_sessions, 1);
        assert_eq!(app.count(sessions, [account.into()]).await, 0);
        app.get("/v1/shops", &token)
            .await
            .assert_problem(StatusCode::UNAUTHORIZED, "unauthorized");
    }
);

db_test!(
    api_keys_unused_for_their_period_go_and_use_keeps_them,
    |app: TestApp| async move {
        let (owner, shop) = app.merchant("keys").await;
        let (used, used_key) = app.api_key(&owner, &shop, "staff").await;
        let (idle, _) = app.api_key(&owner, &shop, "staff").await;
        let (used, idle) = (
            Uuid::parse_str(&used).unwrap(),
            Uuid::parse_str(&idle).unwrap(),
        );
        // Creation counts as the first use.
        let created = time_of(
            &app,
            "SELECT created_at AS t FROM api_keys WHERE id = $1",
            [idle.into()],
        )
        .await;
        let first = time_of(
            &app,
            "SELECT last_used_at AS t FROM api_keys WHERE id = $1",
            [idle.into()],
        )
        .await;
        assert_eq!(first, created);
        // A key created before `last_used_at` existed counts from its creation.
        app.exec(
            "UPDATE api_keys SET last_used_at = NULL WHERE id = $1",
            [idle.into()],
        )
        .await;
        // A use refreshes a last use older than a day (and only then: one write a day).
        let stale = created - Duration::days(2);
        app.exec(
            "UPDATE api_keys SET last_used_at = $1 WHERE id = $2",
            [stale.into(), used.into()],
        )
        .await;
        let r = app.get(&format!("/v1/shops/{shop}/audit"), &used_key).await;
        assert_ne!(r.status, StatusCode::UNAUTHORIZED, "{:?}", r.json);
        let last = time_of(
            &app,
            "SELECT last_used_at AS t FROM api_keys WHERE id = $1",
            [used.into()],
        )
        .await;
        assert!(last >= created, "{last} < {created}");

        let periods = Periods {
            api_key_unused_days: 30,
            ..quiet()
        };
        policy_prints(&periods, "30 days");
        let keys = "SELECT COUNT(*) AS n FROM api_keys WHERE id = $1";
        let period = Duration::days(30);
        let r = run(&app, &periods, created + period - Duration::seconds(1)).await;
        assert_eq!(r.unused_api_keys, 0);
        assert_eq!(app.count(keys, [idle.into()]).await, 1);
        let r = run(&app, &periods, created + period).await;
        assert_eq!(r.unused_api_keys, 1, "the idle key, not the one just used");
        assert_eq!(app.count(keys, [idle.into()]).await, 0);
        assert_eq!(app.count(keys, [used.into()]).await, 1);
        let r = run(&app, &periods, last + period).await;
        assert_eq!(r.unused_api_keys, 1);
        assert_eq!(app.count(keys, [used.into()]).await, 0);
        // Each deletion is in the shop's chain.
        let n = app
            .count(
                "SELECT COUNT(*) AS n FROM audit_log WHERE tenant_id = $1 \
             AND action = 'api_key.expire' AND actor = 'system:retention'",
                [Uuid::parse_str(&shop).unwrap().into()],
            )
            .await;
        assert_eq!(n, 2);
        app.assert_chains_verify().await;
    }
);

db_test!(
    export_archives_go_when_their_period_ends,
    |app: TestApp| async move {
        let (owner, shop) = app.merchant("exp").await;
        let r = app.request_export(&owner, &shop).await;
        assert_eq!(r.status, StatusCode::ACCEPTED, "{:?}", r.json);
        let id = Uuid::parse_str(r.json["id"].as_str().unwrap()).unwrap();
        while harim_store::rights::run_due(&app.rights).await.unwrap() > 0 {}
        let ready = time_of(
            &app,
            "SELECT completed_at AS t FROM data_requests WHERE id = $1",
            [id.into()],
        )
        .await;
        let prefix = harim_kyc::DocumentStore::shop_prefix(Uuid::parse_str(&shop).unwrap());
        assert_eq!(app.documents.list_prefix(&prefix).await.unwrap().len(), 1);
        let periods = Periods {
            export_ttl_secs: 7200,
            ..quiet()
        };
        policy_prints(&periods, "two hours");
        let r = run(&app, &periods, ready + Duration::seconds(7199)).await;
        assert_eq!(r.expired_exports, 0);
        let state = "SELECT COUNT(*) AS n FROM data_requests WHERE id = $1 AND state = $2";
        assert_eq!(app.count(state, [id.into(), "ready".into()]).await, 1);
        let download = format!("/v1/shops/{shop}/exports/{id}/download");
        let r = app.call(Method::GET, &download, Some(&owner), None).await;
        assert_eq!(r.status, StatusCode::OK);
        // Past its stated expiry the archive is refused even before the job has run.
        let past = OffsetDateTime::now_utc() - Duration::seconds(1);
        app.exec(
            "UPDATE data_requests SET expires_at = $1 WHERE id = $2",
            [past.into(), id.into()],
        )
        .await;
        app.call(Method::GET, &download, Some(&owner), None)
            .await
            .assert_problem(StatusCode::GONE, "gone");
        let r = run(&app, &periods, ready + Duration::seconds(7200)).await;
        assert_eq!(r.expired_exports, 1);
        assert_eq!(app.count(state, [id.into(), "expired".into()]).await, 1);
        assert!(app.documents.list_prefix(&prefix).await.unwrap().is_empty());
        let r = app
            .get(&format!("/v1/shops/{shop}/exports/{id}"), &owner)
            .await;
        assert_eq!(r.json["state"], "expired", "{:?}", r.json);
    }
);

db_test!(
    login_windows_go_when_their_period_ends,
    |app: TestApp| async move {
        // A window that starts on a minute and so ends a minute later.
        let start = OffsetDateTime::from_unix_timestamp(
            OffsetDateTime::now_utc().unix_timestamp().div_euclid(60) * 60,
        )
        .unwrap();
        let end = start + Duration::minutes(1);
        login_limit::attempt(
            &app.db,
            &[login_limit::Bucket::Email("w@example.com")],
            10,
            start,
        )
        .await
        .unwrap()
        .unwrap();
        let periods = quiet();
        let after = Duration::seconds(i64::try_from(periods.login_window_secs).unwrap());
        let windows = "SELECT COUNT(*) AS n FROM login_attempts";
        let r = run(&app, &periods, end + after - Duration::seconds(1)).await;
        assert_eq!(r.login_windows, 0);
        assert_eq!(app.count(windows, NONE).await, 1);
        let r = run(&app, &periods, end + after).await;
        assert_eq!(r.login_windows, 1);
        assert_eq!(app.count(windows, NONE).await, 0);
    }
);

/// The shop's newest audit entry: (seq, at).
async fn newest_entry(app: &TestApp, shop: Uuid) -> (i64, OffsetDateTime) {
    let row = app
        .row(
            "SELECT seq, at FROM audit_log WHERE tenant_id = $1 ORDER BY seq DESC LIMIT 1",
            [shop.into()],
        )
        .await;
    (
        row.try_get("", "seq").unwrap(),
        row.try_get("", "at").unwrap(),
    )
}

/// The first broken link `verify` reports for `shop`.
async fn broken(app: &TestApp, shop: Uuid) -> Option<(i64, &'static str)> {
    harim_store::audit::verify(&app.db, &app.vault, None)
        .await
        .unwrap()
        .broken
        .into_iter()
        .find(|b| b.tenant_id == shop)
        .map(|b| (b.seq, b.reason))
}

/// Tampers with `shop`'s audit log by `sql` (`$1` is the shop) and asserts that `verify` names
/// `seq` as the first broken link, for `reason`.
async fn assert_tampering_caught(
    app: &TestApp,
    shop: Uuid,
    sql: &str,
    more: impl IntoIterator<Item = SqlValue>,
    (seq, reason): (i64, &str),
) {
    app.exec(sql, std::iter::once(shop.into()).chain(more))
        .await;
    assert_eq!(broken(app, shop).await, Some((seq, reason)), "after {sql}");
}

/// Swaps the places of the shop's entries `a` and `b` in its chain.
async fn swap_entries(app: &TestApp, shop: Uuid, a: i64, b: i64) {
    for (from, to) in [(a, 1_000_001), (b, a), (1_000_001, b)] {
        app.exec(
            "UPDATE audit_log SET seq = $3 WHERE tenant_id = $1 AND seq = $2",
            [shop.into(), from.into(), to.into()],
        )
        .await;
    }
}

db_test!(
    old_audit_entries_lose_their_content_and_the_chain_still_verifies,
    |app: TestApp| async move {
        let (owner, shop) = app.merchant("audit").await;
        let put = |n: &'static str| {
            let mut id = crate::identity::iranian_identity();
            id["full_name"] = json!(n);
            id
        };
        for n in ["Sara One", "Sara Two", "Sara Four"] {
            app.write_identity(&owner, &shop, put(n)).await;
        }
        let shop_id = Uuid::parse_str(&shop).unwrap();
        let (last, at) = newest_entry(&app, shop_id).await;
        assert!(last >= 3);
        let periods = Periods {
            audit_days: 10,
            ..quiet()
        };
        policy_prints(&periods, "10 days");
        let pruned = "SELECT COUNT(*) AS n FROM audit_log WHERE tenant_id = $1 AND seq = $2 \
                      AND pruned_mac IS NOT NULL AND actor = '' AND action = ''";
        run(
            &app,
            &periods,
            at + Duration::days(10) - Duration::seconds(1),
        )
        .await;
        assert_eq!(app.count(pruned, [shop_id.into(), last.into()]).await, 0);
        let r = run(&app, &periods, at + Duration::days(10)).await;
        assert!(r.old_audit_entries >= u64::try_from(last).unwrap(), "{r:?}");
        assert_eq!(app.count(pruned, [shop_id.into(), last.into()]).await, 1);
        let left = "SELECT COUNT(*) AS n FROM audit_log WHERE tenant_id = $1 \
                    AND (actor <> '' OR action <> '' OR fields <> '[]' OR request_id IS NOT NULL)";
        assert_eq!(app.count(left, [shop_id.into()]).await, 0);
        let v = app.assert_chains_verify().await;
        assert!(v.pruned >= usize::try_from(last).unwrap());
        // Pruning again changes nothing.
        let r = run(&app, &periods, at + Duration::days(10)).await;
        assert_eq!(r.old_audit_entries, 0);

        // New entries follow the pruned ones and link to them (signed in again: the job at
        // that clock also ended the session).
        let owner = app.session("audit@example.com").await;
        for n in ["Sara Three", "Sara Five"] {
            app.write_identity(&owner, &shop, put(n)).await;
        }
        let (newest, _) = newest_entry(&app, shop_id).await;
        // The first entry after the pruned ones, and the one after it.
        let (first, second) = (last + 1, last + 2);
        assert!(newest >= second);
        let unpruned = "SELECT COUNT(*) AS n FROM audit_log WHERE tenant_id = $1 \
                        AND pruned_mac IS NULL AND seq <= $2";
        assert_eq!(app.count(unpruned, [shop_id.into(), last.into()]).await, 0);
        app.assert_chains_verify().await;

        // An edit of what remains is caught.
        let fields: String = app
            .row(
                "SELECT fields FROM audit_log WHERE tenant_id = $1 AND seq = $2",
                [shop_id.into(), first.into()],
            )
            .await
            .try_get("", "fields")
            .unwrap();
        assert_tampering_caught(
            &app,
            shop_id,
            "UPDATE audit_log SET fields = '[\"edited\"]' WHERE tenant_id = $1 AND seq = $2",
            [first.into()],
            (first, "the entry's content does not match its link"),
        )
        .await;
        app.exec(
            "UPDATE audit_log SET fields = $3 WHERE tenant_id = $1 AND seq = $2",
            [shop_id.into(), first.into(), fields.into()],
        )
        .await;
        app.assert_chains_verify().await;

        // Reordering what remains is caught.
        swap_entries(&app, shop_id, first, second).await;
        assert_eq!(
            broken(&app, shop_id).await,
            Some((first, "prev_hash does not match the previous entry"))
        );
        swap_entries(&app, shop_id, first, second).await;
        app.assert_chains_verify().await;

        // Each further tampering is caught, in turn, on top of the ones before it.
        let pruning_without_the_key = "UPDATE audit_log SET actor = '', action = '', \
            fields = '[]', purpose = NULL, request_id = NULL, pruned_mac = (SELECT pruned_mac \
            FROM audit_log WHERE tenant_id = $1 AND seq = 1) WHERE tenant_id = $1 AND seq = $2";
        let missing = "an entry is missing before this one";
        let out_of_order = "prev_hash does not match the previous entry";
        for (sql, more, caught) in [
            // Pruning an entry without the audit key (to hide an edit): a mark copied from
            // another entry does not fit.
            (
                pruning_without_the_key,
                Some(second),
                (second, "the entry's pruning mark does not match"),
            ),
            // Deleting an entry that remains.
            (
                "DELETE FROM audit_log WHERE tenant_id = $1 AND seq = $2",
                Some(first),
                (second, missing),
            ),
            // Giving a pruned entry content back.
            (
                "UPDATE audit_log SET actor = 'someone' WHERE tenant_id = $1 AND seq = 1",
                None,
                (1, "a pruned entry has content"),
            ),
        ] {
            let more = more.map(SqlValue::from);
            assert_tampering_caught(&app, shop_id, sql, more, caught).await;
        }
        app.exec(
            "UPDATE audit_log SET actor = '' WHERE tenant_id = $1 AND seq = 1",
            [shop_id.into()],
        )
        .await;

        // Deleting a pruned entry is caught.
        assert_tampering_caught(
            &app,
            shop_id,
            "UPDATE audit_log SET seq = 1000000 WHERE tenant_id = $1 AND seq = 2",
            NONE,
            (3, missing),
        )
        .await;
        // Reordering pruned entries is caught.
        app.exec(
            "UPDATE audit_log SET seq = 2 WHERE tenant_id = $1 AND seq = 1",
            [shop_id.into()],
        )
        .await;
        assert_tampering_caught(
            &app,
            shop_id,
            "UPDATE audit_log SET seq = 1 WHERE tenant_id = $1 AND seq = 1000000",
            NONE,
            (1, out_of_order),
        )
        .await;
    }
);

db_test!(
    an_erased_accounts_residue_goes_when_its_period_ends,
    |app: TestApp| async move {
        let (owner, shop) = app.merchant_with_identity("stay").await;
        let (leaver_id, leaver) = app.account("leaver@example.com").await;
        let leaver_id = Uuid::parse_str(&leaver_id).unwrap();
        // The leaver works in a shop it does not own, exports its data, then erases itself.
        app.join_as_staff(&owner, &shop, "leaver@example.com", &leaver)
            .await;
        let r = app
            .post("/v1/account/exports", Some(&leaver), json!({}))
            .await;
        assert_eq!(r.status, StatusCode::ACCEPTED, "{:?}", r.json);
        while harim_store::rights::run_due(&app.rights).await.unwrap() > 0 {}
        let r = app.delete_account(&leaver, PASSWORD).await;
        assert_eq!(r.status, StatusCode::ACCEPTED, "{:?}", r.json);
        while harim_store::rights::run_due(&app.rights).await.unwrap() > 0 {}
        let erased = time_of(
            &app,
            "SELECT requested_at AS t FROM data_requests WHERE kind = 'erase_account'",
            NONE,
        )
        .await;

        let actor = format!("account:{leaver_id}");
        let named_in_audit =
            "SELECT COUNT(*) AS n FROM audit_log WHERE actor = $1 AND pruned_mac IS NULL";
        let named_in_requests = "SELECT COUNT(*) AS n FROM data_requests \
            WHERE subject_account = $1 OR progress LIKE $2";
        let like = format!("%{leaver_id}%");
        assert!(app.count(named_in_audit, [actor.clone().into()]).await > 0);
        assert!(
            app.count(named_in_requests, [leaver_id.into(), like.clone().into()])
                .await
                > 0
        );

        let periods = Periods {
            after_account_deletion_days: 30,
            ..quiet()
        };
        policy_prints(&periods, "30 days");
        let period = Duration::days(30);
        let r = run(&app, &periods, erased + period - Duration::seconds(1)).await;
        assert_eq!(r.account_residue.accounts, 0);
        assert!(app.count(named_in_audit, [actor.clone().into()]).await > 0);
        let r = run(&app, &periods, erased + period).await;
        assert_eq!(r.account_residue.accounts, 1, "{r:?}");
        assert!(r.account_residue.audit_entries_pruned > 0);
        assert!(r.account_residue.data_requests_anonymised > 0);
        // Only the account's `account.erase` entry still names it: the proof retention acted
        // on, naming a random id that leads to no one.
        assert_eq!(app.count(named_in_audit, [actor.clone().into()]).await, 1);
        let erase_entry = "SELECT COUNT(*) AS n FROM audit_log WHERE actor = $1 \
            AND action = 'account.erase' AND pruned_mac IS NULL";
        assert_eq!(app.count(erase_entry, [actor.clone().into()]).await, 1);
        assert_eq!(
            app.count(named_in_requests, [leaver_id.into(), like.into()])
                .await,
            0
        );
        // The receipt, the proof, is still there and still verifies; so do the chains.
        let v = app.assert_chains_verify().await;
        assert!(v.pruned > 0);
        let id = r#"SELECT COUNT(*) AS n FROM data_requests WHERE kind = 'erase_account' AND receipt IS NOT NULL"#;
        assert_eq!(app.count(id, NONE).await, 1);
        // Done once: the next run finds nothing.
        let r = run(&app, &periods, erased + period).await;
        assert_eq!(r.account_residue, Default::default());
        // The owner's entries in the same shop are untouched.
        let shop_id = Uuid::parse_str(&shop).unwrap();
        let kept =
            "SELECT COUNT(*) AS n FROM audit_log WHERE tenant_id = $1 AND pruned_mac IS NULL";
        assert!(app.count(kept, [shop_id.into()]).await > 0);
    }
);

db_test!(
    decided_kyc_documents_go_when_the_shops_period_ends,
    |app: TestApp| async move {
        let (owner, shop) = app.merchant("kycret").await;
        let doc = crate::kyc::upload_jpeg(&app, &owner, &shop).await;
        let reviewer = app
            .platform_token(harim_store::roles::PlatformRole::Reviewer)
            .await;
        let r = app
            .post(
                &format!("/v1/admin/kyc/documents/{doc}/decision"),
                Some(&reviewer),
                json!({"decision": "approved"}),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{:?}", r.json);
        let doc = Uuid::parse_str(&doc).unwrap();
        let decided = time_of(
            &app,
            "SELECT decided_at AS t FROM kyc_documents WHERE id = $1",
            [doc.into()],
        )
        .await;
        // No policy published: the default the platform policy also states.
        let days = Duration::days(i64::from(harim_store::kyc::DEFAULT_RETENTION_DAYS));
        let periods = quiet();
        let purged =
            "SELECT COUNT(*) AS n FROM kyc_documents WHERE id = $1 AND purged_at IS NOT NULL";
        let r = run(&app, &periods, decided + days - Duration::seconds(1)).await;
        assert_eq!(r.kyc_documents.purged, 0);
        assert_eq!(app.count(purged, [doc.into()]).await, 0);
        let r = run(&app, &periods, decided + days).await;
        assert_eq!(r.kyc_documents.purged, 1, "{r:?}");
        assert_eq!(app.count(purged, [doc.into()]).await, 1);
    }
);

db_test!(
    an_erased_shops_audit_chain_goes_when_its_period_ends,
    |app: TestApp| async move {
        let (owner, shop) = app.merchant("chain").await;
        let r = app.delete_shop(&owner, &shop, "shop-chain").await;
        assert_eq!(r.status, StatusCode::ACCEPTED, "{:?}", r.json);
        let shop_id = Uuid::parse_str(&shop).unwrap();
        let periods = quiet();
        let after = Duration::days(i64::from(periods.audit_days_after_erasure));
        // The erasure happened a period and a minute ago: `audit verify` checks the purge
        // record's own (real) time against the fence's, so the fence is what moves back.
        harim_store::testkit::backdate_fence(
            &app.db,
            &app.vault,
            shop_id,
            after + Duration::minutes(1),
        )
        .await
        .unwrap();
        let erased = time_of(
            &app,
            "SELECT erased_at AS t FROM erasure_fences WHERE tenant_id = $1",
            [shop_id.into()],
        )
        .await;
        let chain = "SELECT COUNT(*) AS n FROM audit_log WHERE tenant_id = $1";
        let r = run(&app, &periods, erased + after - Duration::seconds(1)).await;
        assert_eq!(r.erased_shop_audit_chains, 0);
        assert!(app.count(chain, [shop_id.into()]).await > 0);
        let r = run(&app, &periods, erased + after).await;
        assert_eq!(r.erased_shop_audit_chains, 1);
        assert_eq!(app.count(chain, [shop_id.into()]).await, 0);
        app.assert_chains_verify().await;
    }
);
