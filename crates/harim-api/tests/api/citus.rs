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
