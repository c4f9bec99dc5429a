//! `harim`: the one binary. Configuration, command line, wiring, telemetry.
//!
//! `harim serve` with nothing configured runs the embedded default (SQLite file, local object
//! directory, generated development keyring under `./harim-data`); production points the same
//! binary at PostgreSQL, S3 and a key provider through configuration.

mod config;

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
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Recompute every tenant's hash chain; names the first broken link and exits 1 if any.
    Verify {
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
            command: AuditCommand::Verify { data_dir },
        }
        | Command::Admin {
            command: AdminCommand::CreateToken { data_dir, .. },
        } => Overrides {
            listen: None,
            data_dir: data_dir.clone(),
        },
    };
    let config = Config::load(cli.config.as_deref(), &overrides)?;
    init_tracing(config.log_format);

    match cli.command {
        Command::Serve { .. } => serve(config).await,
        Command::Audit {
            command: AuditCommand::Verify { .. },
        } => audit_verify(config).await,
        Command::Migrate { .. } => {
            let db = open_db(&config).await?;
            harim_api::db::migrate(&db)
                .await
                .context("applying migrations")?;
            println!("migrations applied");
            Ok(())
        }
        Command::Admin {
            command: AdminCommand::CreateToken { role, name, .. },
        } => {
            let db = open_db(&config).await?;
            ensure_schema(&config, &db).await?;
            let role = harim_api::auth::PlatformRole::parse(&role)
                .context("role must be admin or reviewer")?;
            let token = harim_api::routes::admin::create_platform_token(&db, role, &name).await?;
            println!(
                "created a platform {} token named {name:?}; it is shown once:",
                role.as_str()
            );
            println!("{}", token.expose_secret());
            Ok(())
        }
    }
}

async fn audit_verify(config: Config) -> anyhow::Result<()> {
    let db = open_db(&config).await?;
    ensure_schema(&config, &db).await?;
    let report = harim_api::audit::verify(&db)
        .await
        .map_err(|e| anyhow::anyhow!("reading the audit log: {e}"))?;
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
    println!(
        "checked {} entries in {} chains: {verdict}",
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
    }
    harim_api::db::connect(&config.database_url)
        .await
        .context("connecting to the database")
}

async fn ensure_schema(config: &Config, db: &sea_orm::DatabaseConnection) -> anyhow::Result<()> {
    if config.auto_migrate {
        harim_api::db::migrate(db)
            .await
            .context("applying migrations")?;
    } else {
        let pending = harim_api::db::pending_migrations(db)
            .await
            .context("reading migrations")?;
        if pending > 0 {
            anyhow::bail!("{pending} database migration(s) pending: run `harim migrate` first");
        }
    }
    Ok(())
}

/// The embedded default's directory holds the database and the development keyring: owner only.
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

fn vault(config: &Config) -> anyhow::Result<Arc<harim_vault::Vault>> {
    Ok(Arc::new(harim_vault::Vault::new(
        key_provider(config)?,
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
    let state = harim_api::AppState::new(db, config.api.clone(), vault)
        .map_err(|e| anyhow::anyhow!("building the application: {e}"))?;
    let app = harim_api::app(state);
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .with_context(|| format!("binding {}", config.listen))?;
    let addr = listener.local_addr()?;
    tracing::info!(%addr, "listening");
    // Tests and scripts read this line to find the port when listening on :0.
    println!("harim listening on http://{addr}");
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown())
    .await
    .context("serving")?;
    Ok(())
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
