//! Citus: the schema spread over worker nodes, decided by one rule. Every table with a
//! `tenant_id` is distributed by it (except the few of `db::REFERENCE_TENANT_TABLES`, looked up
//! before their shop is known), colocated with [`ANCHOR`] (so all of one shop's rows share a
//! node and a request's transaction never spans two); every table without one is a reference
//! table (a copy on every node, so a tenant query may join it locally); `seaql_migrations` stays
//! on the coordinator. [`distribute`] applies the rule to whatever is not yet distributed: after
//! `harim migrate` on a fresh database that is every table, on a running cluster only the tables a
//! new migration created. On plain PostgreSQL and SQLite it does nothing.
//!
//! What a tenant request may not do on Citus (fan out to every shard) is tested against a real
//! cluster (`crates/harim-api/tests/api/citus.rs`); the platform jobs that must fan out are
//! listed in [`FAN_OUT`].

use std::collections::{BTreeMap, BTreeSet};

use sea_orm::{ConnectionTrait, DatabaseBackend, DbErr, Statement};

/// The table every tenant table is colocated with: every shop has a tenant key, and it is the
/// first tenant row a shop gets.
pub const ANCHOR: &str = "tenant_keys";

/// Tables that stay local to the coordinator.
const LOCAL: &[&str] = &["seaql_migrations"];

/// Work that reads across every shard by design, with the reason; everything else a request
/// does names one shop (`tenant_id = $1`) and runs on one node.
pub const FAN_OUT: &[(&str, &str)] = &[
    (
        "root-key rotation batches",
        "they re-wrap every shop's tenant key and blind indexes; claimed by tenant-id slice under an advisory lock on the coordinator, not by a row lock",
    ),
    (
        "retention sweeps",
        "each rule deletes expired rows of every shop in one statement per table",
    ),
    (
        "the consistency report and `harim audit verify --all`",
        "they read every shop's chain and data by design",
    ),
    (
        "operator routes under /v1/admin (KYC queue, identity search, document decisions by id)",
        "an operator acts on the platform, not on one shop",
    ),
    (
        "GET /v1/receipts/{id} (public) and POST /v1/privacy-events/{id}/completion",
        "found by an id that names no shop (a receipt handed to a person, an event handed to another system); one indexed lookup per shard, read once or a few times per request of a person; run them on the job replicas or accept the fan-out",
    ),
    (
        "the first use of a fresh database",
        "before the platform's key is made, whether any audit entry or receipt key exists (a missing key is refused, never made anew); once per database",
    ),
    (
        "the background workers' claims (rights jobs, notification outbox, privacy-event deliveries, customer-request sweep)",
        "one claim serves every shop's due work",
    ),
];

/// Whether `db` is a PostgreSQL database with the Citus extension.
pub async fn is_citus(db: &impl ConnectionTrait) -> Result<bool, DbErr> {
    if db.get_database_backend() != DatabaseBackend::Postgres {
        return Ok(false);
    }
    Ok(db
        .query_one(Statement::from_string(
            DatabaseBackend::Postgres,
            "SELECT 1 AS one FROM pg_extension WHERE extname = 'citus'",
        ))
        .await?
        .is_some())
}

/// How one table is (to be) placed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Placement {
    /// Sharded by `tenant_id`, colocated with [`ANCHOR`].
    Distributed,
    /// A full copy on every node.
    Reference,
}

/// Distributes every table of the current schema that is not yet placed, by the rule of this
/// module, and returns what it did (`(table, placement)`, in order). Referenced tables go before
/// the tables whose foreign keys point at them, as Citus requires. Nothing on a database
/// without Citus.
pub async fn distribute(db: &impl ConnectionTrait) -> Result<Vec<(String, Placement)>, DbErr> {
    if !is_citus(db).await? {
        return Ok(Vec::new());
    }
    let pairs = |sql: &'static str| async move {
        db.query_all(Statement::from_string(DatabaseBackend::Postgres, sql))
            .await?
            .into_iter()
            .map(|r| Ok((r.try_get::<String>("", "a")?, r.try_get::<String>("", "b")?)))
            .collect::<Result<Vec<_>, DbErr>>()
    };
    let tables: BTreeSet<String> = pairs(
        "SELECT table_name::text AS a, '' AS b FROM information_schema.tables \
         WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'",
    )
    .await?
    .into_iter()
    .map(|(t, _)| t)
    .filter(|t| !LOCAL.contains(&t.as_str()))
    .collect();
    let tenant: BTreeSet<String> = pairs(
        "SELECT table_name::text AS a, '' AS b FROM information_schema.columns \
         WHERE table_schema = current_schema() AND column_name = 'tenant_id'",
    )
    .await?
    .into_iter()
    .map(|(t, _)| t)
    .filter(|t| crate::db::distributed_by_tenant(t, true))
    .collect();
    // Placed already: distributed ('h') or reference (replication model 't'). A table Citus
    // turned into a "Citus local" table (a local table with a foreign key to a reference table)
    // is not placed yet.
    let placed: BTreeSet<String> = pairs(
        "SELECT c.relname::text AS a, p.partmethod::text AS b FROM pg_dist_partition p \
         JOIN pg_class c ON c.oid = p.logicalrelid \
         JOIN pg_namespace n ON n.oid = c.relnamespace \
         WHERE n.nspname = current_schema() AND (p.partmethod = 'h' OR p.repmodel = 't')",
    )
    .await?
    .into_iter()
    .map(|(t, _)| t)
    .collect();
    let mut needs: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (from, to) in pairs(
        "SELECT cl.relname::text AS a, rf.relname::text AS b FROM pg_constraint c \
         JOIN pg_class cl ON cl.oid = c.conrelid JOIN pg_class rf ON rf.oid = c.confrelid \
         JOIN pg_namespace n ON n.oid = cl.relnamespace \
         WHERE c.contype = 'f' AND n.nspname = current_schema() AND c.conrelid <> c.confrelid",
    )
    .await?
    {
        needs.entry(from).or_default().insert(to);
    }

    // Reference tables first (a distributed table may point at them, never the reverse), the
    // anchor before the other tenant tables, each after the tables it references.
    let order = |t: &String| {
        (
            tenant.contains(t),
            t.as_str() != ANCHOR,
            // Depth in the foreign-key graph: referenced tables have the smaller depth.
            depth(t, &needs, &mut BTreeSet::new()),
            t.clone(),
        )
    };
    let mut todo: Vec<&String> = tables.iter().filter(|t| !placed.contains(*t)).collect();
    todo.sort_by_key(|t| order(t));
    let mut done = Vec::with_capacity(todo.len());
    for t in todo {
        let (sql, placement) = if tenant.contains(t) {
            if t == ANCHOR {
                (
                    format!("SELECT create_distributed_table('{t}', 'tenant_id')"),
                    Placement::Distributed,
                )
            } else {
                (
                    format!(
                        "SELECT create_distributed_table('{t}', 'tenant_id', colocate_with => '{ANCHOR}')"
                    ),
                    Placement::Distributed,
                )
            }
        } else {
            (
                format!("SELECT create_reference_table('{t}')"),
                Placement::Reference,
            )
        };
        db.execute_unprepared(&sql).await.map_err(|e| {
            DbErr::Custom(format!(
                "distributing {t} on Citus ({sql}): {}",
                crate::error::db_message(&e)
            ))
        })?;
        tracing::info!(table = %t, ?placement, "citus: table placed");
        done.push((t.clone(), placement));
    }
    Ok(done)
}

/// The longest chain of foreign keys from `t` (0: references nothing). Cycles count once.
fn depth(
    t: &String,
    needs: &BTreeMap<String, BTreeSet<String>>,
    seen: &mut BTreeSet<String>,
) -> usize {
    if !seen.insert(t.clone()) {
        return 0;
    }
    let d = needs
        .get(t)
        .map(|to| {
            to.iter()
                .map(|n| 1 + depth(n, needs, seen))
                .max()
                .unwrap_or(0)
        })
        .unwrap_or(0);
    seen.remove(t);
    d
}

/// How every table of the current schema is placed on Citus (`pg_dist_partition`): table →
/// (`partmethod`, colocation id). For tests and `harim doctor`-style reports.
pub async fn placements(
    db: &impl ConnectionTrait,
) -> Result<BTreeMap<String, (String, i32)>, DbErr> {
    let rows = db
        .query_all(Statement::from_string(
            DatabaseBackend::Postgres,
            "SELECT c.relname::text AS t, p.partmethod::text AS m, p.colocationid AS c \
             FROM pg_dist_partition p JOIN pg_class c ON c.oid = p.logicalrelid \
             JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = current_schema()",
        ))
        .await?;
    rows.into_iter()
        .map(|r| {
            Ok((
                r.try_get::<String>("", "t")?,
                (r.try_get::<String>("", "m")?, r.try_get::<i32>("", "c")?),
            ))
        })
        .collect()
}
