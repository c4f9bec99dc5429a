//! The migrated PostgreSQL schema is ready for Citus (`harim_store::db::citus_problems`: every
//! table with a `tenant_id` has it leading its primary key and inside every unique index, foreign
//! keys between tenant tables carry it, every other table is declared in `REFERENCE_TABLES`).
//! PostgreSQL only (Citus is a PostgreSQL extension); skipped without one.

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_schema_is_ready_for_citus() {
    let Some(app) = crate::helpers::TestApp::postgres().await else {
        return;
    };
    let (problems, tenant_tables, foreign_keys) =
        harim_store::db::citus_problems(&app.db).await.unwrap();
    assert!(
        problems.is_empty(),
        "the schema is not ready for Citus (see docs/operations.md):\n{}",
        problems.join("\n")
    );
    // The check itself sees what it checks.
    assert!(tenant_tables >= 10, "{tenant_tables} tenant tables");
    assert!(foreign_keys > 0);
}

/// On a real Citus cluster (`infra/citus.sh`), `harim migrate` placed every table by the rule
/// of `harim_store::citus`: tenant tables hash-distributed by `tenant_id` and colocated with
/// `tenant_keys`, every other table a reference table, `seaql_migrations` on the coordinator.
/// A table a later migration adds is held to the same rule by this test.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn migrate_places_every_table_on_citus() {
    let Some(app) = crate::helpers::TestApp::citus().await else {
        return;
    };
    let placed = harim_store::citus::placements(&app.db).await.unwrap();
    let anchor = placed
        .get(harim_store::citus::ANCHOR)
        .expect("tenant_keys is distributed")
        .1;
    let (problems, tenant_tables, _) = harim_store::db::citus_problems(&app.db).await.unwrap();
    assert!(problems.is_empty(), "{problems:?}");
    let mut distributed = 0;
    for (table, (method, colocation)) in &placed {
        if harim_store::db::REFERENCE_TABLES.contains(&table.as_str())
            || harim_store::db::REFERENCE_TENANT_TABLES
                .iter()
                .any(|(t, _)| t == table)
        {
            assert_eq!(method, "n", "{table} should be a reference table");
        } else {
            assert_eq!(method, "h", "{table} should be distributed by tenant_id");
            assert_eq!(
                *colocation, anchor,
                "{table} is not colocated with tenant_keys"
            );
            distributed += 1;
        }
    }
    assert_eq!(
        distributed, tenant_tables,
        "a tenant table was left local: {placed:?}"
    );
    assert_eq!(
        placed.len(),
        tenant_tables
            + harim_store::db::REFERENCE_TABLES.len()
            + harim_store::db::REFERENCE_TENANT_TABLES.len()
            - 1,
        "a table was left local: {placed:?}"
    );
    assert!(!placed.contains_key("seaql_migrations"));
}

/// Every shop route, with the owner's ids and an attacker's (the isolation walk), on a Citus
/// cluster where the request path's connections refuse any query that would run on more than
/// one shard: a tenant request never fans out, whatever ids it carries.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_shop_route_stays_on_one_shard() {
    let Some(app) = crate::helpers::TestApp::citus().await else {
        return;
    };
    app.make_platform_key(&app.vault).await;
    crate::isolation::walk(app).await;
}

/// Root rotation on Citus: two workers share one job (tenant-id slices under advisory locks,
/// not `FOR UPDATE`), no row is done twice, every key and identity reads afterwards.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_rotation_workers_share_one_job_on_citus() {
    let Some(app) = crate::helpers::TestApp::citus().await else {
        return;
    };
    crate::rotation::two_workers_share_one_job_without_doing_a_row_twice_on(app).await;
}

/// Reads and writes on one shard each while a rotation walks every shard.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_never_fail_during_a_rotation_on_citus() {
    let Some(app) = crate::helpers::TestApp::citus().await else {
        return;
    };
    crate::rotation::reads_and_writes_never_fail_during_a_rotation_on(app).await;
}

/// Shops made at once on the cluster: `shops`, `memberships` and `accounts` are reference tables,
/// whose writes Citus serialises with shard-wide locks; a row lock taken on one of them inside
/// the creation deadlocked two creations (the benchmark's 64 shops found it).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shops_created_at_once_on_citus_all_succeed() {
    let Some(app) = crate::helpers::TestApp::citus().await else {
        return;
    };
    app.make_platform_key(&app.vault).await;
    let (_, token) = app.account("many@example.com").await;
    let made = futures::future::join_all((0..16).map(|i| {
        let token = token.clone();
        let app = &app;
        async move {
            app.create_shop(&token, &format!("Shop {i}"), &format!("at-once-{i}"), "fa")
                .await
        }
    }))
    .await;
    for r in made {
        assert_eq!(r.status, axum::http::StatusCode::CREATED, "{:?}", r.json);
    }
}
