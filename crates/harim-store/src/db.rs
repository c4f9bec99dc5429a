//! Opening the database: SQLite for the embedded default, PostgreSQL in production.

use std::time::Duration;

use harim_migrations::MigratorTrait;
use sea_orm::{ConnectOptions, Database, DatabaseConnection, DbErr};

/// The database handle every use case takes (a pool; cheap to clone).
pub type Db = DatabaseConnection;
use secrecy::{ExposeSecret, SecretString};

/// Connects to `url` (`sqlite://...` or `postgres://...`) with the default pool size
/// ([`DEFAULT_POOL_SQLITE`], [`default_pool_postgres`]).
pub async fn connect(url: &SecretString) -> Result<DatabaseConnection, DbErr> {
    connect_sized(url, None).await
}

/// Pool size on SQLite: one writer at a time anyway; readers share the WAL.
pub const DEFAULT_POOL_SQLITE: u32 = 8;
/// Pool size on PostgreSQL: four connections per core of this machine, at least 8. Measured
/// (docs/benchmarks.md, "Database pool size"): on the 2-core reference machine with 32 clients,
/// 8 connections gave the most throughput and the lowest p99 for both the masked read and the
/// write, 32 and 64 less (more backends than cores only add context switches; the pool queues
/// requests more cheaply than PostgreSQL does). About 2-4 connections per database core is
/// also PostgreSQL's own rule of thumb; set `database_pool_size` when the database runs on
/// other hardware.
pub fn default_pool_postgres() -> u32 {
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    u32::try_from(cores * 4).unwrap_or(u32::MAX).max(8)
}

/// [`connect`] with `max` connections (`None`: the default). SQLite gets WAL and a busy
/// timeout so concurrent requests wait for the writer instead of failing with "database is
/// locked". Statements are prepared once per connection and cached (sqlx's statement cache).
pub async fn connect_sized(
    url: &SecretString,
    max: Option<u32>,
) -> Result<DatabaseConnection, DbErr> {
    let mut opts = ConnectOptions::new(url.expose_secret().to_string());
    let default = if is_sqlite(url) {
        DEFAULT_POOL_SQLITE
    } else {
        default_pool_postgres()
    };
    opts.sqlx_logging(false)
        .connect_timeout(Duration::from_secs(10))
        .acquire_timeout(Duration::from_secs(10))
        .max_connections(max.unwrap_or(default).max(1))
        .map_sqlx_sqlite_opts(|o| {
            o.journal_mode(sea_orm::sqlx::sqlite::SqliteJournalMode::Wal)
                .busy_timeout(Duration::from_secs(10))
                .foreign_keys(true)
                .create_if_missing(true)
                // Freed pages are zeroed: an erased shop's rows leave no bytes in the file.
                .pragma("secure_delete", "on")
        });
    Database::connect(opts).await
}

pub fn is_sqlite(url: &SecretString) -> bool {
    url.expose_secret().starts_with("sqlite:")
}

/// Applies every pending migration, then, on a Citus database, places every table not yet
/// placed (`crate::citus::distribute`: tenant tables distributed by `tenant_id`, the rest
/// reference tables). Nothing more on plain PostgreSQL and SQLite.
pub async fn migrate(db: &DatabaseConnection) -> Result<(), DbErr> {
    harim_migrations::Migrator::up(db, None).await?;
    crate::citus::distribute(db).await?;
    Ok(())
}

/// Number of migrations not yet applied.
pub async fn pending_migrations(db: &DatabaseConnection) -> Result<usize, DbErr> {
    Ok(harim_migrations::Migrator::get_pending_migrations(db)
        .await?
        .len())
}

/// A raw statement written once, in PostgreSQL's dialect, for whichever database `db` is:
/// SQLite numbers its parameters `?1` where PostgreSQL writes `$1`, and has no row locks
/// (`FOR SHARE`, `FOR UPDATE`: its writers are serialised by the database lock instead).
pub(crate) fn statement(
    db: &impl sea_orm::ConnectionTrait,
    pg: &str,
    values: impl IntoIterator<Item = sea_orm::Value>,
) -> sea_orm::Statement {
    let backend = db.get_database_backend();
    let sql = match backend {
        sea_orm::DatabaseBackend::Sqlite => pg
            .replace(" FOR SHARE", "")
            .replace(" FOR UPDATE", "")
            .replace('$', "?"),
        _ => pg.to_string(),
    };
    sea_orm::Statement::from_sql_and_values(backend, sql, values)
}

/// Whether the database answers (for readiness checks).
pub async fn ping(db: &Db) -> Result<(), crate::StoreError> {
    Ok(db.ping().await?)
}

/// Tables without a `tenant_id`: in a Citus cluster each is a reference table
/// (`create_reference_table`, a copy on every node), every other table is distributed by
/// `tenant_id` (`create_distributed_table(..., 'tenant_id', colocate_with => ...)`). `shops` is
/// here because its own id is the tenant id and its slug must be unique across all tenants;
/// the rest are platform-wide (accounts and their sessions, operators, root-key
/// administration, sign-in counters, the migration ledger). A test
/// (`crates/harim-api/tests/api/citus.rs`, through [`citus_problems`]) fails when the migrated
/// schema disagrees.
pub const REFERENCE_TABLES: &[&str] = &[
    "accounts",
    "key_rotation_jobs",
    "login_attempts",
    "platform_policy_documents",
    "platform_policy_versions",
    "platform_tokens",
    "receipt_keys",
    "root_key_versions",
    "seaql_migrations",
    "sessions",
    "shops",
    "webhook_endpoints",
];

/// Tables that carry a `tenant_id` yet are reference tables on Citus, each with the reason: a
/// request finds their rows before it knows the shop, so a distributed copy would make that
/// request ask every shard. Each is small and written rarely (a write to a reference table
/// goes to every node in one two-phase commit).
pub const REFERENCE_TENANT_TABLES: &[(&str, &str)] = &[
    (
        "api_keys",
        "every request with an API key finds it by its digest, before the key's shop is known; a few keys per shop",
    ),
    (
        "memberships",
        "a signed-in account's shop list, and its export and erasure, find its memberships by account, before any shop is chosen; a few rows per shop, written when a shop is made or a member joins or leaves",
    ),
    (
        "invitations",
        "accepting an invitation finds it by its token's digest, before its shop is known; short-lived",
    ),
    (
        "erasure_fences",
        "a new shop's slug and the public pages of an erased one are checked against the fences by the slug's digest, before any shop is known; one row per erased shop",
    ),
];

/// Whether `table` is distributed by `tenant_id` on Citus (it has one and is not in
/// [`REFERENCE_TENANT_TABLES`]).
pub fn distributed_by_tenant(table: &str, has_tenant_id: bool) -> bool {
    has_tenant_id && !REFERENCE_TENANT_TABLES.iter().any(|(t, _)| *t == table)
}

/// What stops the migrated PostgreSQL schema from being distributed with Citus, one sentence per
/// problem (empty: ready). A table with a `tenant_id` (distributed by it) must have `tenant_id`
/// leading its primary key and inside every unique index, and every foreign key between two
/// such tables must carry it on both sides; every other table must be in [`REFERENCE_TABLES`].
/// Also returns how many tenant tables and foreign keys it looked at, so a caller can tell an
/// empty schema from a ready one. PostgreSQL only.
pub async fn citus_problems(
    db: &sea_orm::DatabaseConnection,
) -> Result<(Vec<String>, usize, usize), crate::error::StoreError> {
    use std::collections::BTreeSet;
    async fn rows(
        db: &sea_orm::DatabaseConnection,
        sql: &str,
    ) -> Result<Vec<(String, String)>, crate::error::StoreError> {
        use sea_orm::ConnectionTrait;
        db.query_all(sea_orm::Statement::from_string(
            db.get_database_backend(),
            sql,
        ))
        .await?
        .into_iter()
        .map(|r| Ok((r.try_get("", "a")?, r.try_get("", "b")?)))
        .collect()
    }
    let tables: BTreeSet<String> = rows(
        db,
        "SELECT table_name::text AS a, '' AS b FROM information_schema.tables \
         WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'",
    )
    .await?
    .into_iter()
    .map(|(t, _)| t)
    .collect();
    let tenant: BTreeSet<String> = rows(
        db,
        "SELECT table_name::text AS a, '' AS b FROM information_schema.columns \
         WHERE table_schema = current_schema() AND column_name = 'tenant_id'",
    )
    .await?
    .into_iter()
    .map(|(t, _)| t)
    .collect();
    let mut problems = Vec::new();
    for (t, _) in REFERENCE_TENANT_TABLES {
        if !tenant.contains(*t) {
            problems.push(format!(
                "REFERENCE_TENANT_TABLES names {t}, which has no tenant_id or does not exist"
            ));
        }
    }
    // From here on, "tenant table" means distributed by tenant_id.
    let tenant: BTreeSet<String> = tenant
        .into_iter()
        .filter(|t| distributed_by_tenant(t, true))
        .collect();

    // Every table is either distributed by tenant_id or a declared reference table, not both.
    for t in &tables {
        let declared = REFERENCE_TABLES.contains(&t.as_str())
            || REFERENCE_TENANT_TABLES.iter().any(|(r, _)| r == t);
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
        db,
        "SELECT c.relname::text AS a, \
                (CASE WHEN i.indisprimary THEN 'primary:' ELSE 'unique:' END) || i.indexrelid::regclass::text || ':' || \
                array_to_string(ARRAY(SELECT a.attname::text FROM unnest(i.indkey) WITH ORDINALITY k(n, o) \
                  JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.n ORDER BY k.o), ',') AS b \
         FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid \
         JOIN pg_namespace s ON s.oid = c.relnamespace \
         WHERE s.nspname = current_schema() AND i.indisunique",
    )
    .await?;
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
        db,
        "SELECT conrelid::regclass::text AS a, \
                confrelid::regclass::text || ':' || \
                array_to_string(ARRAY(SELECT a.attname::text FROM unnest(conkey) k(n) JOIN pg_attribute a ON a.attrelid = conrelid AND a.attnum = k.n), ',') || ':' || \
                array_to_string(ARRAY(SELECT a.attname::text FROM unnest(confkey) k(n) JOIN pg_attribute a ON a.attrelid = confrelid AND a.attnum = k.n), ',') AS b \
         FROM pg_constraint WHERE contype = 'f' AND connamespace = current_schema()::regnamespace",
    )
    .await?;
    for (from, spec) in &fks {
        let mut parts = spec.splitn(3, ':');
        let (to, cols, ref_cols) = (
            parts.next().unwrap_or(""),
            parts.next().unwrap_or(""),
            parts.next().unwrap_or(""),
        );
        // A reference table is on every node; a distributed row is on one: Citus refuses a
        // foreign key from the first to the second.
        if !tenant.contains(from) && tenant.contains(to) {
            problems.push(format!(
                "foreign key {from}({cols}) -> {to}({ref_cols}) points from a reference table into a distributed one"
            ));
        }
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

    Ok((problems, tenant.len(), fks.len()))
}
