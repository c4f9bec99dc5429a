//! The migrated PostgreSQL schema is ready for Citus: every table with a `tenant_id` (to be
//! distributed by it) has `tenant_id` leading its primary key and inside every unique
//! constraint, every foreign key between two such tables carries `tenant_id` on both sides, and
//! every other table is declared a reference table in `harim_store::db::REFERENCE_TABLES`.
//! PostgreSQL only (Citus is a PostgreSQL extension); skipped without one.

use std::collections::BTreeSet;

use harim_store::db::REFERENCE_TABLES;
use sea_orm::{ConnectionTrait, Statement};

async fn rows(app: &crate::helpers::TestApp, sql: &str) -> Vec<(String, String)> {
    app.db
        .query_all(Statement::from_string(app.db.get_database_backend(), sql))
        .await
        .unwrap()
        .into_iter()
        .map(|r| (r.try_get("", "a").unwrap(), r.try_get("", "b").unwrap()))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_schema_is_ready_for_citus() {
    let Some(app) = crate::helpers::TestApp::postgres().await else {
        return;
    };
    let tables: BTreeSet<String> = rows(
        &app,
        "SELECT table_name::text AS a, '' AS b FROM information_schema.tables \
         WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'",
    )
    .await
    .into_iter()
    .map(|(t, _)| t)
    .collect();
    let tenant: BTreeSet<String> = rows(
        &app,
        "SELECT table_name::text AS a, '' AS b FROM information_schema.columns \
         WHERE table_schema = current_schema() AND column_name = 'tenant_id'",
    )
    .await
    .into_iter()
    .map(|(t, _)| t)
    .collect();
    let mut problems = Vec::new();

    // Every table is either distributed by tenant_id or a declared reference table, not both.
    for t in &tables {
        let declared = REFERENCE_TABLES.contains(&t.as_str());
        match (tenant.contains(t), declared) {
            (true, true) => problems.push(format!(
                "{t} has tenant_id but is declared a reference table"
            )),
            (false, false) => problems.push(format!(
                "{t} has no tenant_id and is not in REFERENCE_TABLES"
            )),
            _ => {}
        }
    }
    for r in REFERENCE_TABLES {
        if !tables.contains(*r) {
            problems.push(format!(
                "REFERENCE_TABLES names {r}, which the schema lacks"
            ));
        }
    }

    // Primary keys and unique constraints (and unique indexes) of tenant tables: tenant_id
    // leads the primary key and is inside every unique key.
    let keys = rows(
        &app,
        "SELECT c.relname::text AS a, \
                (CASE WHEN i.indisprimary THEN 'primary:' ELSE 'unique:' END) || i.indexrelid::regclass::text || ':' || \
                array_to_string(ARRAY(SELECT a.attname::text FROM unnest(i.indkey) WITH ORDINALITY k(n, o) \
                  JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.n ORDER BY k.o), ',') AS b \
         FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid \
         JOIN pg_namespace s ON s.oid = c.relnamespace \
         WHERE s.nspname = current_schema() AND i.indisunique",
    )
    .await;
    for (table, key) in &keys {
        if !tenant.contains(table) {
            continue;
        }
        let mut parts = key.splitn(3, ':');
        let (kind, name, cols) = (
            parts.next().unwrap_or(""),
            parts.next().unwrap_or(""),
            parts.next().unwrap_or(""),
        );
        let cols: Vec<&str> = cols.split(',').collect();
        if kind == "primary" && cols.first() != Some(&"tenant_id") {
            problems.push(format!(
                "{table}: primary key ({}) does not lead with tenant_id",
                cols.join(", ")
            ));
        }
        if !cols.contains(&"tenant_id") {
            problems.push(format!(
                "{table}: unique {name} ({}) lacks tenant_id",
                cols.join(", ")
            ));
        }
    }
    for t in &tenant {
        if !keys
            .iter()
            .any(|(table, k)| table == t && k.starts_with("primary:"))
        {
            problems.push(format!("{t}: no primary key"));
        }
    }

    // Foreign keys between tenant tables carry tenant_id on both sides (`shops.id` is the
    // tenant id itself, and shops is a reference table, so references to it are fine).
    let fks = rows(
        &app,
        "SELECT conrelid::regclass::text AS a, \
                confrelid::regclass::text || ':' || \
                array_to_string(ARRAY(SELECT a.attname::text FROM unnest(conkey) k(n) JOIN pg_attribute a ON a.attrelid = conrelid AND a.attnum = k.n), ',') || ':' || \
                array_to_string(ARRAY(SELECT a.attname::text FROM unnest(confkey) k(n) JOIN pg_attribute a ON a.attrelid = confrelid AND a.attnum = k.n), ',') AS b \
         FROM pg_constraint WHERE contype = 'f' AND connamespace = current_schema()::regnamespace",
    )
    .await;
    for (from, spec) in &fks {
        let mut parts = spec.splitn(3, ':');
        let (to, cols, ref_cols) = (
            parts.next().unwrap_or(""),
            parts.next().unwrap_or(""),
            parts.next().unwrap_or(""),
        );
        if tenant.contains(from)
            && tenant.contains(to)
            && !(cols.split(',').any(|c| c == "tenant_id")
                && ref_cols.split(',').any(|c| c == "tenant_id"))
        {
            problems.push(format!(
                "foreign key {from}({cols}) -> {to}({ref_cols}) between tenant tables lacks tenant_id"
            ));
        }
    }

    assert!(
        problems.is_empty(),
        "the schema is not ready for Citus (see docs/operations.md):\n{}",
        problems.join("\n")
    );
    // The test itself sees what it checks.
    assert!(tenant.len() >= 10, "{tenant:?}");
    assert!(!fks.is_empty());
}
