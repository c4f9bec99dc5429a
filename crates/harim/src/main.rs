//! `harim`: the one binary. Configuration, command line, wiring, telemetry.
//!
//! `harim serve` with nothing configured runs the embedded default (SQLite file, local object
//! directory, generated development keyring under `./harim-data`); production points the same
//! binary at PostgreSQL, S3 and a key provider through configuration.

mod config;

/// mimalloc instead of glibc malloc: the request path allocates many small short-lived buffers
/// (query building, JSON, ciphertexts), where it measured faster (docs/benchmarks.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::{net::SocketAddr, path::PathBuf, sync::Arc};

use anyhow::Context;
use clap::{Parser, Subcommand};
use secrecy::ExposeSecret;

use config::{Config, LogFormat, Overrides};

#[derive(Parser)]
#[command(
    name = "harim",
    version,
    about = "Privacy and compliance module for a multi-tenant storefront platform"
)]
struct Cli {
    /// Optional TOML configuration file (keys as in the README's configuration table).
    #[arg(long, env = "HARIM_CONFIG", global = true)]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the HTTP API.
    Serve {
        /// Address to listen on [env: HARIM_LISTEN] [default: 127.0.0.1:8080]
        #[arg(long)]
        listen: Option<String>,
        /// Directory of the embedded default [env: HARIM_DATA_DIR] [default: ./harim-data]
        #[arg(long)]
        data_dir: Option<PathBuf>,
    },
    /// Apply database migrations and exit.
    Migrate {
        #[arg(long)]
        data_dir: Option<PathBuf>,
    },
    /// The audit log.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
    /// Platform administration.
    Admin {
        #[command(subcommand)]
        command: AdminCommand,
    },
    /// Scheduled jobs, run once on demand.
    Jobs {
        #[command(subcommand)]
        command: JobsCommand,
        #[arg(long, global = true)]
        data_dir: Option<PathBuf>,
    },
    /// Erasure receipts.
    Receipts {
        #[command(subcommand)]
        command: ReceiptsCommand,
    },
    /// Root keys: status, online rotation, retirement.
    Keys {
        #[command(subcommand)]
        command: KeysCommand,
        #[arg(long, global = true)]
        data_dir: Option<PathBuf>,
    },
}

#[derive(Subcommand)]
enum KeysCommand {
    /// Root key versions, the tenant keys each wraps, and the current or last rotation.
    Status,
    /// Add a new root key version (active at once) and re-wrap every tenant key under it.
    /// Resumes an unfinished rotation instead of starting another.
    Rotate {
        /// Run the re-wrap here, with a progress bar, until it is done (otherwise a running
        /// `harim serve` picks the job up).
        #[arg(long)]
        wait: bool,
        /// Rows per transaction.
        #[arg(long, default_value_t = harim_store::rotation::DEFAULT_BATCH)]
        batch: u64,
        /// Start a new rotation even within `root_rotation_min_interval_secs` of the last one.
        #[arg(long)]
        force: bool,
    },
    /// Give shops a new tenant key and re-encrypt their data under it; the old key is destroyed.
    /// `--all` is resumable: run it again after an interruption.
    #[command(group(clap::ArgGroup::new("which").required(true).args(["shop", "all"])))]
    RotateTenant {
        /// One shop (its id).
        #[arg(long)]
        shop: Option<uuid::Uuid>,
        /// Every shop whose tenant key predates this run.
        #[arg(long)]
        all: bool,
    },
    /// Destroy an old root key version for good (refused while active or referenced).
    Retire {
        #[arg(long)]
        version: u32,
        /// How long the version stays decrypt-only before it is destroyed; shorten only when
        /// every process is known to have re-read the keyring.
        #[arg(long, default_value_t = harim_store::rotation::RETIRE_GRACE.as_secs())]
        grace_secs: u64,
    },
}

#[derive(Subcommand)]
enum ReceiptsCommand {
    /// Check an erasure receipt's signature offline; exit 0 if valid, 1 if not.
    Verify {
        /// The receipt as served (`{receipt, signature, key_id}`).
        file: PathBuf,
        /// The public keys as served at `/.well-known/harim/receipt-keys`. Without it, the key
        /// is derived from this installation's configured key provider and database.
        #[arg(long)]
        keys: Option<PathBuf>,
        #[arg(long)]
        data_dir: Option<PathBuf>,
    },
}

#[derive(Subcommand)]
enum JobsCommand {
    /// Run a job once and print what it did as JSON.
    Run {
        #[arg(value_parser = ["retention"])]
        job: String,
    },
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Recompute every tenant's keyed hash chain; names the first broken link and exits 1 if
    /// any. With `--heads FILE` (from `harim audit heads`), also checks that every exported head
    /// is still in its chain (catches a deleted tail or chain).
    Verify {
        #[arg(long)]
        heads: Option<PathBuf>,
        #[arg(long)]
        data_dir: Option<PathBuf>,
    },
    /// Print every chain's head as JSON with a MAC under the audit key, to keep outside the
    /// database for `harim audit verify --heads`.
    Heads {
        #[arg(long)]
        data_dir: Option<PathBuf>,
    },
}

#[derive(Subcommand)]
enum AdminCommand {
    /// Create a platform token; the token is printed on the last line, once.
    CreateToken {
        #[arg(long, value_parser = ["admin", "reviewer"])]
        role: String,
        #[arg(long, default_value = "cli")]
        name: String,
        #[arg(long)]
        data_dir: Option<PathBuf>,
    },
}

fn init_tracing(format: LogFormat) {
    use tracing_subscriber::{EnvFilter, fmt};
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,sea_orm=warn,tower_http=info"));
    let builder = fmt().with_env_filter(filter).with_writer(std::io::stderr);
    match format {
        LogFormat::Json => builder.json().init(),
        LogFormat::Text => builder.init(),
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let overrides = match &cli.command {
        Command::Serve { listen, data_dir } => Overrides {
            listen: listen.clone(),
            data_dir: data_dir.clone(),
        },
        Command::Migrate { data_dir }
        | Command::Audit {
            command: AuditCommand::Verify { data_dir, .. } | AuditCommand::Heads { data_dir },
        }
        | Command::Admin {
            command: AdminCommand::CreateToken { data_dir, .. },
        }
        | Command::Keys { data_dir, .. }
        | Command::Receipts {
            command: ReceiptsCommand::Verify { data_dir, .. },
        }
        | Command::Jobs { data_dir, .. } => Overrides {
            listen: None,
            data_dir: data_dir.clone(),
        },
    };
    let config = Config::load(cli.config.as_deref(), &overrides)?;
    init_tracing(config.log_format);

    match cli.command {
        Command::Serve { .. } => serve(config).await,
        Command::Audit {
            command: AuditCommand::Verify { heads, .. },
        } => audit_verify(config, heads).await,
        Command::Audit {
            command: AuditCommand::Heads { .. },
        } => audit_heads(config).await,
        Command::Migrate { .. } => {
            let db = open_db(&config).await?;
            harim_store::db::migrate(&db)
                .await
                .context("applying migrations")?;
            println!("migrations applied");
            Ok(())
        }
        Command::Keys { command, .. } => keys(config, command).await,
        Command::Receipts {
            command: ReceiptsCommand::Verify { file, keys, .. },
        } => verify_receipt(config, &file, keys.as_deref()).await,
        Command::Jobs {
            command: JobsCommand::Run { job },
            ..
        } => run_job(config, &job).await,
        Command::Admin {
            command: AdminCommand::CreateToken { role, name, .. },
        } => {
            let db = open_db(&config).await?;
            ensure_schema(&config, &db).await?;
            let role = harim_store::roles::PlatformRole::parse(&role)
                .context("role must be admin or reviewer")?;
            let token = harim_store::auth::create_platform_token(&db, role, &name).await?;
            println!(
                "created a platform {} token named {name:?}; it is shown once:",
                role.as_str()
            );
            println!("{}", token.expose_secret());
            Ok(())
        }
    }
}

async fn keys(config: Config, command: KeysCommand) -> anyhow::Result<()> {
    use harim_store::rotation;
    let db = open_db(&config).await?;
    ensure_schema(&config, &db).await?;
    let vault = vault(&config)?;
    let operator = harim_store::scope::PlatformScope::command_line(format!(
        "cli:{}",
        std::env::var("USER").unwrap_or_else(|_| "unknown".into())
    ));
    match command {
        KeysCommand::Status => {
            let s = rotation::status(&db, &vault)
                .await
                .map_err(|e| anyhow::anyhow!("reading key status: {e}"))?;
            println!(
                "provider {}, active root key version {}",
                s.provider, s.active_version
            );
            println!(
                "{:>8}  {:<13} {:>12} {:>14}",
                "version", "state", "tenant_keys", "blind_indexes"
            );
            for v in &s.versions {
                println!(
                    "{:>8}  {:<13} {:>12} {:>14}",
                    v.version, v.state, v.tenant_keys, v.blind_indexes
                );
            }
            match &s.rotation {
                Some(j) => println!(
                    "rotation {} to version {}: {} ({}/{})",
                    j.id, j.target_kek_version, j.state, j.done, j.total
                ),
                None => println!("no rotation yet"),
            }
            Ok(())
        }
        KeysCommand::Rotate { wait, batch, force } => {
            let brake = rotation::Brake {
                min_interval: config.api.root_rotation_min_interval,
                force,
            };
            let (job, created) = rotation::start(&db, &vault, &operator, None, brake)
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            if created {
                println!(
                    "rotation {} started: new root key version {} is active",
                    job.id, job.target_kek_version
                );
            } else {
                println!(
                    "resuming rotation {} to version {} ({}/{} done)",
                    job.id, job.target_kek_version, job.done, job.total
                );
            }
            if !wait {
                println!(
                    "a running `harim serve` re-wraps the tenant keys; follow with `harim keys status`"
                );
                return Ok(());
            }
            let bar =
                indicatif::ProgressBar::new(u64::try_from(job.total.max(job.done)).unwrap_or(0));
            bar.set_style(
                indicatif::ProgressStyle::with_template(
                    "{bar:40} {pos}/{len} rows  {per_sec}  ETA {eta}",
                )
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
            );
            bar.set_position(u64::try_from(job.done).unwrap_or(0));
            bar.reset_eta();
            let progress = |done: u64, total: u64| {
                bar.set_length(total);
                bar.set_position(done);
            };
            let done = rotation::run(&db, &vault, job.id.into(), batch, Some(&progress))
                .await
                .map_err(|e| anyhow::anyhow!("rotation {}: {e}", job.id))?;
            bar.finish();
            println!(
                "rotation {} done: {} rows re-wrapped under version {}",
                done.id, done.done, done.target_kek_version
            );
            Ok(())
        }
        KeysCommand::RotateTenant {
            shop: Some(shop), ..
        } => {
            use harim_store::tenant_rotation::{Outcome, rotate_shop};
            let now = time::OffsetDateTime::now_utc();
            match rotate_shop(&db, &vault, &operator, shop.into(), now).await {
                Ok(Outcome::Rotated(v)) => println!("shop {shop}: now on tenant key version {v}"),
                Ok(Outcome::AlreadyFresh) => {
                    println!("shop {shop}: its key is newer than this run")
                }
                Err(harim_store::StoreError::NotFound) => anyhow::bail!("no shop {shop}"),
                Err(e) => anyhow::bail!("shop {shop}: {e}"),
            }
            Ok(())
        }
        KeysCommand::RotateTenant { .. } => {
            use harim_store::tenant_rotation::{run_all, start_all};
            let job = start_all(&db, &operator)
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            println!(
                "tenant-key rotation {} ({}/{} shops done)",
                job.id, job.done, job.total
            );
            let bar = indicatif::ProgressBar::new(u64::try_from(job.total).unwrap_or(0));
            bar.set_style(
                indicatif::ProgressStyle::with_template(
                    "{bar:40} {pos}/{len} shops  {per_sec}  ETA {eta}",
                )
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
            );
            let progress = |done: u64, total: u64| {
                bar.set_length(total.max(done));
                bar.set_position(done);
            };
            let done = run_all(&db, &vault, &operator, job, &progress)
                .await
                .map_err(|e| anyhow::anyhow!("tenant-key rotation: {e}"))?;
            bar.finish();
            println!(
                "tenant-key rotation {} done: {} shops rotated",
                done.id, done.done
            );
            Ok(())
        }
        KeysCommand::Retire {
            version,
            grace_secs,
        } => loop {
            let grace = std::time::Duration::from_secs(grace_secs);
            match rotation::retire(&db, &vault, version, &operator, grace).await {
                Ok(()) => {
                    println!("root key version {version} destroyed");
                    return Ok(());
                }
                // Decrypt-only now; every process must see that before the key goes.
                Err(rotation::RotationError::GracePeriod { destroy_after, .. }) => {
                    let wait = destroy_after - time::OffsetDateTime::now_utc();
                    println!(
                        "root key version {version} is decrypt-only; destroying it in {}s",
                        wait.whole_seconds().max(0)
                    );
                    tokio::time::sleep(wait.try_into().unwrap_or_default()).await;
                }
                Err(e) => anyhow::bail!("refused: {e}"),
            }
        },
    }
}

async fn audit_heads(config: Config) -> anyhow::Result<()> {
    let db = open_db(&config).await?;
    ensure_schema(&config, &db).await?;
    let vault = vault(&config)?;
    let heads = harim_store::audit::export_heads(&db, &vault)
        .await
        .map_err(|e| anyhow::anyhow!("reading the audit heads: {e}"))?;
    println!("{}", serde_json::to_string_pretty(&heads)?);
    Ok(())
}

async fn audit_verify(config: Config, heads: Option<PathBuf>) -> anyhow::Result<()> {
    let db = open_db(&config).await?;
    ensure_schema(&config, &db).await?;
    let vault = vault(&config)?;
    let heads: Option<harim_store::audit::SignedHeads> = match heads {
        None => None,
        Some(path) => {
            let text = std::fs::read_to_string(&path)
                .with_context(|| format!("reading {}", path.display()))?;
            Some(
                serde_json::from_str(&text)
                    .with_context(|| format!("{} is not an audit heads export", path.display()))?,
            )
        }
    };
    let report = harim_store::audit::verify(&db, &vault, heads.as_ref())
        .await
        .map_err(|e| anyhow::anyhow!("reading the audit log: {e}"))?;
    if report.heads_authentic == Some(false) {
        println!(
            "BROKEN the heads file's MAC does not hold: it was altered or is from another deployment"
        );
        std::process::exit(1);
    }
    for b in &report.broken {
        println!(
            "BROKEN tenant {} at entry {}: {}",
            b.tenant_id, b.seq, b.reason
        );
    }
    let verdict = if report.broken.is_empty() {
        "all intact".to_string()
    } else {
        format!("{} broken", report.broken.len())
    };
    // Pruned entries are checked by their place in the chain and their pruning mark.
    let pruned = if report.pruned > 0 {
        format!(" ({} with content removed by retention)", report.pruned)
    } else {
        String::new()
    };
    println!(
        "checked {} entries{pruned} in {} chains: {verdict}",
        report.entries, report.tenants
    );
    if !report.broken.is_empty() {
        std::process::exit(1);
    }
    Ok(())
}

async fn open_db(config: &Config) -> anyhow::Result<sea_orm::DatabaseConnection> {
    if config.embedded {
        create_private_dir(&config.data_dir)?;
        restrict_database_files(&config.data_dir.join("harim.db"))?;
    }
    harim_store::db::connect_sized(&config.database_url, config.database_pool_size)
        .await
        .context("connecting to the database")
}

async fn ensure_schema(config: &Config, db: &sea_orm::DatabaseConnection) -> anyhow::Result<()> {
    if config.auto_migrate {
        harim_store::db::migrate(db)
            .await
            .context("applying migrations")?;
    } else {
        let pending = harim_store::db::pending_migrations(db)
            .await
            .context("reading migrations")?;
        if pending > 0 {
            anyhow::bail!("{pending} database migration(s) pending: run `harim migrate` first");
        }
    }
    Ok(())
}

/// The embedded default's directory holds the database and the development keyring: owner only.
/// The embedded database file, created empty with mode 0600 before SQLite opens it (SQLite then
/// gives its `-wal` and `-shm` files the same mode), and any of the three left more open by an
/// older version narrowed to 0600.
fn restrict_database_files(db: &std::path::Path) -> anyhow::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
        if !db.exists() {
            std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .open(db)
                .or_else(|e| match e.kind() {
                    // Another process created it first: narrowed below.
                    std::io::ErrorKind::AlreadyExists => std::fs::File::open(db),
                    _ => Err(e),
                })
                .with_context(|| format!("creating {}", db.display()))?;
        }
        let name = db
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        for suffix in ["", "-wal", "-shm"] {
            let path = db.with_file_name(format!("{name}{suffix}"));
            if path.exists() {
                std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))
                    .with_context(|| format!("restricting {}", path.display()))?;
            }
        }
    }
    #[cfg(not(unix))]
    let _ = db;
    Ok(())
}

fn create_private_dir(dir: &std::path::Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
            .with_context(|| format!("restricting {}", dir.display()))?;
    }
    Ok(())
}

/// The root key provider: a keyring file, the environment (`HARIM_KEYRING=env`), or on the
/// embedded default a development keyring generated in the data directory.
fn key_provider(config: &Config) -> anyhow::Result<Arc<dyn harim_vault::KeyProvider>> {
    match &config.keyring {
        Some(p) if p.as_os_str() == "env" => Ok(Arc::new(
            harim_vault::EnvKeyring::from_env().context("reading HARIM_ROOT_KEYS")?,
        )),
        Some(p) if p.as_os_str() == "pkcs11" => {
            let settings = &config.pkcs11;
            let pin = match &settings.pin_file {
                Some(file) => std::fs::read_to_string(file)
                    .with_context(|| format!("reading pkcs11_pin_file {}", file.display()))?
                    .trim_end_matches(['\r', '\n'])
                    .to_owned(),
                None => std::env::var(config::ENV_PKCS11_PIN).with_context(|| {
                    format!(
                        "keyring = \"pkcs11\": set pkcs11_pin_file or {}",
                        config::ENV_PKCS11_PIN
                    )
                })?,
            };
            let module = settings
                .module
                .clone()
                .context("keyring = \"pkcs11\" needs pkcs11_module")?;
            let provider = harim_pkcs11::Pkcs11Provider::open(&harim_pkcs11::Pkcs11Config {
                module,
                token_label: settings.token.clone(),
                pin: secrecy::SecretString::from(pin),
                sessions: settings.sessions,
            })
            .context("opening the PKCS#11 token")?;
            Ok(Arc::new(provider))
        }
        Some(path) => Ok(Arc::new(
            harim_vault::FileKeyring::open(path)
                .with_context(|| format!("opening keyring {}", path.display()))?,
        )),
        None if config.embedded => {
            let path = config.data_dir.join("keyring.json");
            let (ring, created) = harim_vault::FileKeyring::open_or_create_dev(&path)
                .with_context(|| format!("opening development keyring {}", path.display()))?;
            if created {
                tracing::info!(path = %path.display(), "generated a development keyring");
            }
            Ok(Arc::new(ring))
        }
        None => anyhow::bail!(
            "keyring: a database is configured but no key provider; set HARIM_KEYRING to a keyring file or to `env`"
        ),
    }
}

/// The vault over the configured provider. The provider re-reads its keyring when it meets a
/// root version it does not know (another process rotated the shared file).
fn vault(config: &Config) -> anyhow::Result<Arc<harim_vault::Vault>> {
    Ok(Arc::new(harim_vault::Vault::new(
        Arc::new(harim_vault::ReloadingProvider::new(key_provider(config)?)),
        Default::default(),
    )))
}

async fn serve(config: Config) -> anyhow::Result<()> {
    let db = open_db(&config).await?;
    ensure_schema(&config, &db).await?;
    let vault = vault(&config)?;
    if config.embedded {
        tracing::warn!(
            data_dir = %config.data_dir.display(),
            "EMBEDDED DEFAULT: SQLite, local object directory and a generated development keyring. NOT FOR PRODUCTION."
        );
    }
    if !config.platform_configured {
        tracing::warn!(
            "NO [platform] SECTION: every privacy policy names a development operator (\"Harim development installation\"). Set [platform] before publishing anything real."
        );
    }
    // Picks up rotation jobs started by the CLI (or left by a dead worker) and re-reads the
    // keyring every few seconds.
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let rotation_wake = Arc::new(tokio::sync::Notify::new());
    let rotation_worker = tokio::spawn(harim_store::rotation::background_worker(
        db.clone(),
        vault.clone(),
        std::time::Duration::from_secs(5),
        std::time::Duration::from_secs(30),
        config.root_rotation_batch,
        rotation_wake.clone(),
        stop_rx,
    ));
    let documents = document_store(&config)?;
    // Every retention rule of the data map, every `retention_interval_secs`.
    tokio::spawn(retention_worker(
        db.clone(),
        vault.clone(),
        documents.clone(),
        config.retention_periods(),
        config.retention_interval,
    ));
    let state = harim_api::AppState::new(db, config.api.clone(), vault, documents)
        .map_err(|e| anyhow::anyhow!("building the application: {e}"))?
        .with_rights_config(config.rights.clone());
    // Exports and the background part of erasures; also keeps the overdue-requests gauge
    // current.
    tokio::spawn(harim_store::rights::worker(
        state.rights.clone(),
        std::time::Duration::from_secs(5),
    ));
    // Other replicas' publishes, erasures and rotations reach this process's caches here; on
    // PostgreSQL the page cache is bypassed until the listener is up.
    if !config.database_url.expose_secret().starts_with("sqlite:") {
        state.pages.set_coherent(false);
    }
    tokio::spawn(harim_store::events::listen(
        state.db.clone(),
        Arc::new(Caches {
            pages: state.pages.clone(),
            vault: state.vault.clone(),
            rotation: rotation_wake,
        }),
    ));
    let draining = state.draining.clone();
    let app = harim_api::app(state);
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .with_context(|| format!("binding {}", config.listen))?;
    let addr = listener.local_addr()?;
    tracing::info!(%addr, "listening");
    // Tests and scripts read this line to find the port when listening on :0.
    println!("harim listening on http://{addr}");
    // SIGTERM or Ctrl-C: /readyz turns 503 at once, the listener stops accepting, in-flight
    // requests get `shutdown_grace_secs` to finish, the rotation worker finishes the batch it is
    // in, and the process exits 0.
    let (signalled_tx, signalled_rx) = tokio::sync::oneshot::channel::<()>();
    let server = axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(async move {
        shutdown().await;
        draining.store(true, std::sync::atomic::Ordering::Relaxed);
        let _ = stop_tx.send(true);
        let _ = signalled_tx.send(());
    });
    let grace = config.shutdown_grace;
    let mut server = std::pin::pin!(server.into_future());
    tokio::select! {
        r = &mut server => r.context("serving")?,
        Ok(()) = signalled_rx => {
            match tokio::time::timeout(grace, &mut server).await {
                Ok(r) => r.context("serving")?,
                Err(_) => tracing::warn!(grace_secs = grace.as_secs(), "requests still in flight after the grace period; exiting"),
            }
        }
    }
    match tokio::time::timeout(grace, rotation_worker).await {
        Ok(_) => {}
        Err(_) => tracing::warn!("the rotation batch did not finish within the grace period"),
    }
    tracing::info!("stopped");
    Ok(())
}

fn document_store(config: &Config) -> anyhow::Result<harim_kyc::DocumentStore> {
    let store = harim_kyc::DocumentStore::from_url(&config.object_store_url)
        .map_err(|e| anyhow::anyhow!("object store: {e}"))?
        .with_max_image_pixels(config.kyc_max_image_pixels);
    if config.object_store_default && !config.embedded {
        tracing::warn!(
            store = store.describe(),
            "a database is configured but no object store: KYC documents go to a local directory; set HARIM_OBJECT_STORE_URL=s3://bucket for production"
        );
    }
    Ok(store)
}

async fn retention_worker(
    db: sea_orm::DatabaseConnection,
    vault: std::sync::Arc<harim_vault::Vault>,
    documents: harim_kyc::DocumentStore,
    periods: harim_store::retention::Periods,
    every: std::time::Duration,
) {
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        let now = time::OffsetDateTime::now_utc();
        // Each failed rule is logged by the job itself and retried next interval.
        if let Err(e) = harim_store::retention::run(&db, &vault, &documents, &periods, now).await {
            tracing::warn!(error = %e, "retention run failed; retried next interval");
        }
    }
}

/// `harim receipts verify`: exit 0 when the signature holds, 1 when it does not.
async fn verify_receipt(
    config: Config,
    file: &std::path::Path,
    keys: Option<&std::path::Path>,
) -> anyhow::Result<()> {
    use harim_store::rights::receipt;
    let text =
        std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))?;
    let signed: receipt::SignedReceipt = serde_json::from_str(&text).with_context(|| {
        format!(
            "{} is not a signed receipt ({{receipt, signature, key_id}})",
            file.display()
        )
    })?;
    let keys: Vec<receipt::PublicKey> = match keys {
        Some(path) => {
            #[derive(serde::Deserialize)]
            struct Keys {
                keys: Vec<receipt::PublicKey>,
            }
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("reading {}", path.display()))?;
            serde_json::from_str::<Keys>(&text)
                .with_context(|| format!("{} is not a receipt-keys document", path.display()))?
                .keys
        }
        None => {
            let db = open_db(&config).await?;
            ensure_schema(&config, &db).await?;
            let vault = vault(&config)?;
            vec![
                receipt::ReceiptSigner::load(&db, &vault)
                    .await?
                    .public_key(),
            ]
        }
    };
    match receipt::verify(&signed, &keys) {
        Ok(()) => {
            println!("valid: signed by {}", signed.key_id);
            Ok(())
        }
        Err(e) => {
            println!("INVALID: {e}");
            std::process::exit(1);
        }
    }
}

async fn run_job(config: Config, job: &str) -> anyhow::Result<()> {
    let db = open_db(&config).await?;
    ensure_schema(&config, &db).await?;
    let documents = document_store(&config)?;
    let vault = vault(&config)?;
    match job {
        "retention" => {
            let report = harim_store::retention::run(
                &db,
                &vault,
                &documents,
                &config.retention_periods(),
                time::OffsetDateTime::now_utc(),
            )
            .await
            .map_err(|e| anyhow::anyhow!("retention: {e}"))?;
            println!("{}", serde_json::to_string(&report)?);
            if !report.failed.is_empty() {
                anyhow::bail!("retention rules failed: {}", report.failed.join(", "));
            }
            Ok(())
        }
        other => anyhow::bail!("unknown job {other}"),
    }
}

/// The process's caches, as the event listener sees them (see `harim_store::events`).
struct Caches {
    pages: Arc<harim_api::routes::policies::DocCache>,
    vault: Arc<harim_vault::Vault>,
    /// Wakes the root-rotation worker: another replica started or finished a rotation.
    rotation: Arc<tokio::sync::Notify>,
}

impl harim_store::events::Listener for Caches {
    fn event(&self, event: harim_store::events::Event) {
        use harim_store::events::Event;
        match event {
            Event::Tenant(t) => {
                self.pages.forget_tenant(t);
                self.vault.forget_tenant(t);
            }
            Event::Keyring => {
                if let Err(e) = self.vault.provider().reload() {
                    tracing::warn!(error = %e, "re-reading the key provider failed");
                }
                self.vault.clear_cache();
                self.rotation.notify_one();
            }
        }
    }

    fn connected(&self, up: bool) {
        self.pages.set_coherent(up);
        if up {
            // Whatever was sent while nobody listened is lost: start from nothing.
            self.vault.clear_cache();
        }
    }
}

async fn shutdown() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { () = ctrl_c => {}, () = term => {} }
    tracing::info!("shutting down");
}
