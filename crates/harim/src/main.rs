//! `harim`: the one binary. Configuration, command line, process and telemetry; the
//! application itself is wired by `harim_api::startup`.
//!
//! `harim serve` with nothing configured runs the embedded default (SQLite file, local object
//! directory, generated development keyring under `./harim-data`); production points the same
//! binary at PostgreSQL, S3 and a key provider through configuration.

mod cli;
mod commands;
mod config;
mod open;
mod serve;

/// mimalloc instead of glibc malloc: the request path allocates many small short-lived buffers
/// (query building, JSON, ciphertexts), where it measured faster (docs/benchmarks.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use clap::Parser;

use cli::{AdminCommand, AuditCommand, Cli, Command, JobsCommand, ReceiptsCommand};
use config::{Config, LogFormat};

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
    let config = Config::load(cli.config.as_deref(), &cli.command.overrides())?;
    init_tracing(config.log_format);

    match cli.command {
        Command::Serve { .. } => serve::serve(config).await,
        Command::Audit {
            command: AuditCommand::Verify { heads, .. },
        } => commands::audit::verify(config, heads).await,
        Command::Audit {
            command: AuditCommand::Heads { .. },
        } => commands::audit::heads(config).await,
        Command::Migrate { .. } => commands::admin::migrate(config).await,
        Command::Keys { command, .. } => commands::keys::run(config, command).await,
        Command::Receipts {
            command: ReceiptsCommand::Verify { file, keys, .. },
        } => commands::receipts::verify(config, &file, keys.as_deref()).await,
        Command::Jobs {
            command: JobsCommand::Run { job },
            ..
        } => commands::jobs::run(config, &job).await,
        Command::Admin {
            command:
                AdminCommand::CreateToken {
                    role,
                    name,
                    ttl_days,
                    ..
                },
        } => commands::admin::create_token(config, &role, &name, ttl_days).await,
        Command::Admin {
            command: AdminCommand::RevokeToken { id, .. },
        } => commands::admin::revoke_token(config, id).await,
    }
}
