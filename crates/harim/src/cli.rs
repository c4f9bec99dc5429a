//! The command line: every subcommand and its flags (`harim --help` is generated from here).

use std::path::PathBuf;

use clap::{Parser, Subcommand};

use crate::config::Overrides;

#[derive(Parser)]
#[command(
    name = "harim",
    version,
    about = "Privacy and compliance module for a multi-tenant storefront platform"
)]
pub struct Cli {
    /// Optional TOML configuration file (keys as in the README's configuration table).
    #[arg(long, env = "HARIM_CONFIG", global = true)]
    pub config: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand)]
pub enum Command {
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
pub enum KeysCommand {
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
pub enum ReceiptsCommand {
    /// Check an erasure or consent receipt's signature offline; exit 0 if valid, 1 if not.
    Verify {
        /// The receipt as served (`{receipt, signature, key_id}`).
        file: PathBuf,
        /// The public keys as served at `/.well-known/harim/receipt-keys`. Without it, every key
        /// this installation ever signed with, from its configured key provider and database.
        #[arg(long)]
        keys: Option<PathBuf>,
        #[arg(long)]
        data_dir: Option<PathBuf>,
    },
}

#[derive(Subcommand)]
pub enum JobsCommand {
    /// Run a job once and print what it did as JSON.
    Run {
        #[arg(value_parser = ["retention"])]
        job: String,
    },
}

#[derive(Subcommand)]
pub enum AuditCommand {
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
pub enum AdminCommand {
    /// Create a platform token; the token is printed on the last line, once.
    CreateToken {
        #[arg(long, value_parser = ["admin", "reviewer"])]
        role: String,
        #[arg(long, default_value = "cli")]
        name: String,
        /// Days until the token stops working (1 to 366).
        #[arg(long, default_value_t = harim_store::auth::PLATFORM_TOKEN_DEFAULT_TTL_DAYS,
              value_parser = clap::value_parser!(u32).range(1..=i64::from(harim_store::auth::PLATFORM_TOKEN_MAX_TTL_DAYS)))]
        ttl_days: u32,
        #[arg(long)]
        data_dir: Option<PathBuf>,
    },
    /// Revoke a platform token by its id (printed by create-token): it stops working at once.
    RevokeToken {
        /// The token's id.
        id: uuid::Uuid,
        #[arg(long)]
        data_dir: Option<PathBuf>,
    },
}

impl Command {
    /// What the command line overrides of the configuration: the listen address (`serve` only)
    /// and the data directory.
    pub fn overrides(&self) -> Overrides {
        match self {
            Command::Serve { listen, data_dir } => Overrides {
                listen: listen.clone(),
                data_dir: data_dir.clone(),
            },
            Command::Migrate { data_dir }
            | Command::Audit {
                command: AuditCommand::Verify { data_dir, .. } | AuditCommand::Heads { data_dir },
            }
            | Command::Admin {
                command:
                    AdminCommand::CreateToken { data_dir, .. }
                    | AdminCommand::RevokeToken { data_dir, .. },
            }
            | Command::Keys { data_dir, .. }
            | Command::Receipts {
                command: ReceiptsCommand::Verify { data_dir, .. },
            }
            | Command::Jobs { data_dir, .. } => Overrides {
                listen: None,
                data_dir: data_dir.clone(),
            },
        }
    }
}
