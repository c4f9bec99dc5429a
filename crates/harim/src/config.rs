//! Configuration: defaults, then an optional TOML file, then `HARIM_*` environment variables,
//! then command-line flags; validated once at startup.

use std::{net::SocketAddr, path::PathBuf, time::Duration};

use anyhow::{Context, bail};
use figment::{
    Figment,
    providers::{Env, Format, Serialized, Toml},
};
use harim_store::retention::Periods;
use secrecy::SecretString;
use serde::{Deserialize, Serialize};

/// Every configuration key; each is also `HARIM_<KEY>` in the environment.
pub const KEYS: &[&str] = &[
    "listen",
    "data_dir",
    "database_url",
    "object_store_url",
    "keyring",
    "log_format",
    "session_ttl_secs",
    "login_attempts_per_minute",
    "request_timeout_secs",
    "body_limit_bytes",
    "auto_migrate",
    "kyc_upload_limit_bytes",
    "kyc_max_concurrent_uploads",
    "retention_interval_secs",
    "outbox_worker",
    "background_jobs",
    "root_rotation_min_interval_secs",
    "kyc_max_image_pixels",
    "metrics_public",
    "export_ttl_secs",
    "backup_retention_days",
    "api_key_unused_days",
    "after_account_deletion_days",
    "audit_retention_days",
    "root_rotation_period_days",
    "account_request_response_days",
    "data_request_lease_secs",
    "pkcs11_module",
    "pkcs11_token",
    "pkcs11_pin_file",
    "pkcs11_sessions",
    "shutdown_grace_secs",
    "trusted_proxies",
    "root_rotation_batch",
    "database_pool_size",
];

/// The PIN of the PKCS#11 token, when it is not in `pkcs11_pin_file`: read once at start-up and
/// never part of the configuration (so never printed with it).
pub const ENV_PKCS11_PIN: &str = "HARIM_PKCS11_PIN";

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    listen: String,
    data_dir: PathBuf,
    database_url: Option<String>,
    object_store_url: Option<String>,
    keyring: Option<PathBuf>,
    log_format: String,
    session_ttl_secs: u64,
    login_attempts_per_minute: u32,
    request_timeout_secs: u64,
    body_limit_bytes: usize,
    auto_migrate: Option<bool>,
    kyc_upload_limit_bytes: u64,
    kyc_max_concurrent_uploads: usize,
    retention_interval_secs: u64,
    outbox_worker: bool,
    background_jobs: bool,
    root_rotation_min_interval_secs: u64,
    kyc_max_image_pixels: u64,
    metrics_public: bool,
    export_ttl_secs: u64,
    backup_retention_days: u32,
    api_key_unused_days: u32,
    after_account_deletion_days: u32,
    audit_retention_days: u32,
    root_rotation_period_days: u32,
    account_request_response_days: u32,
    data_request_lease_secs: u64,
    pkcs11_module: Option<PathBuf>,
    pkcs11_token: String,
    pkcs11_pin_file: Option<PathBuf>,
    pkcs11_sessions: usize,
    shutdown_grace_secs: u64,
    trusted_proxies: Vec<String>,
    root_rotation_batch: u64,
    database_pool_size: u32,
    /// The operator's facts (`[platform]` in the file, `HARIM_PLATFORM_<KEY>` for its plain
    /// values). Absent: the development facts, with a warning at start-up.
    platform: Option<PlatformSection>,
}

/// `[platform]`: what every policy says about the platform itself. `backup_retention_days`
/// stays a top-level key (erasure receipts use it too); the rest is here.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct PlatformSection {
    name: String,
    operator: String,
    #[serde(default)]
    registration_number: Option<String>,
    country: harim_policy::Country,
    contact_email: String,
    #[serde(default)]
    dpo_email: Option<String>,
    hosting_provider: String,
    hosting_country: harim_policy::Country,
    #[serde(default)]
    processors: Vec<harim_policy::Processor>,
    #[serde(default)]
    storefront_collects: Vec<harim_policy::platform::StorefrontCollection>,
    log_retention_days: u32,
}

/// The `[platform]` keys that can also come from the environment (`HARIM_PLATFORM_<KEY>`).
const PLATFORM_ENV_KEYS: &[&str] = &[
    "name",
    "operator",
    "registration_number",
    "country",
    "contact_email",
    "dpo_email",
    "hosting_provider",
    "hosting_country",
    "log_retention_days",
];

impl Default for Raw {
    fn default() -> Self {
        Self {
            listen: "127.0.0.1:8080".into(),
            data_dir: "./harim-data".into(),
            database_url: None,
            object_store_url: None,
            keyring: None,
            log_format: "text".into(),
            session_ttl_secs: 12 * 3600,
            login_attempts_per_minute: 10,
            request_timeout_secs: 30,
            body_limit_bytes: 64 * 1024,
            auto_migrate: None,
            kyc_upload_limit_bytes: 10 * 1024 * 1024,
            kyc_max_concurrent_uploads: 16,
            retention_interval_secs: 3600,
            outbox_worker: true,
            background_jobs: true,
            root_rotation_min_interval_secs: 3600,
            kyc_max_image_pixels: harim_kyc::sanitize::MAX_IMAGE_PIXELS,
            metrics_public: false,
            export_ttl_secs: 24 * 3600,
            backup_retention_days: 30,
            api_key_unused_days: Periods::DEFAULT.api_key_unused_days,
            after_account_deletion_days: Periods::DEFAULT.after_account_deletion_days,
            audit_retention_days: Periods::DEFAULT.audit_days,
            root_rotation_period_days: 90,
            account_request_response_days: 30,
            data_request_lease_secs: 60,
            pkcs11_module: None,
            pkcs11_token: "harim".into(),
            pkcs11_pin_file: None,
            pkcs11_sessions: 4,
            shutdown_grace_secs: 30,
            trusted_proxies: Vec::new(),
            root_rotation_batch: harim_store::rotation::DEFAULT_BATCH,
            database_pool_size: 0,
            platform: None,
        }
    }
}

/// Where the PKCS#11 token is (used when `keyring = "pkcs11"`). The PIN comes from
/// `pin_file` or else [`ENV_PKCS11_PIN`].
#[derive(Debug, Clone)]
pub struct Pkcs11Settings {
    pub module: Option<PathBuf>,
    pub token: String,
    pub pin_file: Option<PathBuf>,
    pub sessions: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    Json,
}

/// Validated configuration. `Debug` is derived only over non-secret fields.
pub struct Config {
    pub listen: SocketAddr,
    pub data_dir: PathBuf,
    /// `sqlite://<data_dir>/harim.db` on the embedded default.
    pub database_url: SecretString,
    /// True when no database URL was configured.
    pub embedded: bool,
    /// `file://<data_dir>/objects` when none was configured.
    pub object_store_url: String,
    /// True when the object store is the default local directory.
    pub object_store_default: bool,
    /// How often `serve` runs the KYC retention purge and orphan sweep.
    pub retention_interval: Duration,
    /// Whether `serve` sends what the outbox holds (messages, privacy events) and runs the
    /// customer-request sweep; `false` makes an API-only replica (another one must send).
    pub outbox_worker: bool,
    /// Whether `serve` runs any background job (root rotation, retention, rights, the outbox);
    /// `false` makes a replica that only answers requests, which is what a Citus deployment's
    /// API replicas are: the jobs read across every shard, requests never do.
    pub background_jobs: bool,
    /// Largest KYC image accepted, in declared pixels.
    pub kyc_max_image_pixels: u64,
    /// A keyring file, `env`, or `pkcs11` (then [`Config::pkcs11`] says where the token is).
    pub keyring: Option<PathBuf>,
    pub pkcs11: Pkcs11Settings,
    /// How long SIGTERM waits for in-flight requests and the rotation batch in flight.
    pub shutdown_grace: Duration,
    /// Connections in the database pool; `None`: [`harim_store::db::connect`]'s default.
    pub database_pool_size: Option<u32>,
    pub log_format: LogFormat,
    pub auto_migrate: bool,
    pub api: harim_api::ApiConfig,
    /// Exports, erasure receipts and deadlines.
    pub rights: harim_store::rights::RightsConfig,
    /// False when `[platform]` was not configured and the development facts stand in.
    pub platform_configured: bool,
    /// What the retention job enforces (see [`Config::retention_periods`]).
    retention: Periods,
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("listen", &self.listen)
            .field("data_dir", &self.data_dir)
            .field("embedded", &self.embedded)
            .field("log_format", &self.log_format)
            .finish_non_exhaustive()
    }
}

/// Flags given on the command line; `None` leaves the lower layers in charge.
#[derive(Debug, Default, Serialize)]
pub struct Overrides {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub listen: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data_dir: Option<PathBuf>,
}

impl Config {
    /// Every retention period harim enforces, as configured: what the retention job runs with
    /// and what the platform policy prints.
    pub fn retention_periods(&self) -> Periods {
        self.retention
    }

    pub fn load(file: Option<&std::path::Path>, overrides: &Overrides) -> anyhow::Result<Self> {
        let mut fig = Figment::from(Serialized::defaults(Raw::default()));
        if let Some(path) = file {
            if !path.exists() {
                bail!("configuration file {} does not exist", path.display());
            }
            fig = fig.merge(Toml::file(path));
        }
        let raw: Raw = fig
            .merge(Env::prefixed("HARIM_").only(KEYS))
            .merge(
                Env::prefixed("HARIM_PLATFORM_")
                    .only(PLATFORM_ENV_KEYS)
                    .map(|k| format!("platform.{k}").into()),
            )
            .merge(Serialized::defaults(overrides))
            .extract()
            .context("invalid configuration")?;
        Self::validate(raw)
    }

    fn validate(raw: Raw) -> anyhow::Result<Self> {
        let listen: SocketAddr = raw.listen.parse().with_context(|| {
            format!(
                "listen: {:?} is not an address like 127.0.0.1:8080",
                raw.listen
            )
        })?;
        let log_format = match raw.log_format.as_str() {
            "text" => LogFormat::Text,
            "json" => LogFormat::Json,
            other => bail!("log_format: {other:?} is not one of text, json"),
        };
        check_request_limits(&raw)?;
        let (database_url, embedded) = database_url(&raw)?;
        let is_sqlite = database_url.starts_with("sqlite:");
        check_job_limits(&raw)?;
        let (object_store_url, object_store_default) = object_store_url(&raw)?;
        let pkcs11 = Pkcs11Settings {
            module: raw.pkcs11_module.clone(),
            token: raw.pkcs11_token.clone(),
            pin_file: raw.pkcs11_pin_file.clone(),
            sessions: raw.pkcs11_sessions,
        };
        if raw.keyring.as_deref() == Some(std::path::Path::new("pkcs11")) && pkcs11.module.is_none()
        {
            bail!(
                "pkcs11_module: keyring = \"pkcs11\" needs the path of the token's PKCS#11 module"
            );
        }
        check_process_limits(&raw)?;
        let trusted_proxies = raw
            .trusted_proxies
            .iter()
            .map(|a| {
                a.parse::<std::net::IpAddr>()
                    .map_err(|_| anyhow::anyhow!("trusted_proxies: {a:?} is not an IP address"))
            })
            .collect::<anyhow::Result<Vec<_>>>()?;
        let platform_configured = raw.platform.is_some();
        let platform = platform(&raw)?;
        let work_dir = raw.data_dir.join("tmp");
        let retention = Periods {
            session_ttl_secs: raw.session_ttl_secs,
            api_key_unused_days: raw.api_key_unused_days,
            export_ttl_secs: raw.export_ttl_secs,
            after_account_deletion_days: raw.after_account_deletion_days,
            audit_days: raw.audit_retention_days,
            backup_retention_days: raw.backup_retention_days,
            ..Periods::DEFAULT
        };
        Ok(Self {
            listen,
            data_dir: raw.data_dir,
            database_url: SecretString::from(database_url),
            embedded,
            object_store_url,
            object_store_default,
            retention_interval: Duration::from_secs(raw.retention_interval_secs),
            outbox_worker: raw.outbox_worker,
            background_jobs: raw.background_jobs,
            kyc_max_image_pixels: raw.kyc_max_image_pixels,
            keyring: raw.keyring,
            pkcs11,
            shutdown_grace: Duration::from_secs(raw.shutdown_grace_secs),
            database_pool_size: (raw.database_pool_size > 0).then_some(raw.database_pool_size),
            log_format,
            // Several replicas migrating PostgreSQL at once is a race: there it is an explicit step.
            auto_migrate: raw.auto_migrate.unwrap_or(is_sqlite),
            api: harim_api::ApiConfig {
                session_ttl: Duration::from_secs(raw.session_ttl_secs),
                login_attempts_per_minute: raw.login_attempts_per_minute,
                request_timeout: Duration::from_secs(raw.request_timeout_secs),
                body_limit_bytes: raw.body_limit_bytes,
                kyc_upload_limit_bytes: raw.kyc_upload_limit_bytes,
                kyc_max_concurrent_uploads: raw.kyc_max_concurrent_uploads,
                root_rotation_min_interval: Duration::from_secs(
                    raw.root_rotation_min_interval_secs,
                ),
                metrics_public: raw.metrics_public,
                trusted_proxies,
                root_rotation_batch: raw.root_rotation_batch,
                platform,
                retention,
                account_response_days: raw.account_request_response_days,
                ..harim_api::ApiConfig::default()
            },
            rights: harim_store::rights::RightsConfig {
                export_ttl: time::Duration::seconds(
                    i64::try_from(raw.export_ttl_secs).unwrap_or(86_400),
                ),
                backup_retention_days: raw.backup_retention_days,
                after_account_deletion_days: raw.after_account_deletion_days,
                root_rotation_period_days: raw.root_rotation_period_days,
                default_response_days: raw.account_request_response_days,
                work_dir,
                lease: time::Duration::seconds(
                    i64::try_from(raw.data_request_lease_secs).unwrap_or(60),
                ),
            },
            retention,
            platform_configured,
        })
    }
}

/// Sessions, request timeout and body size within their ranges.
fn check_request_limits(raw: &Raw) -> anyhow::Result<()> {
    if raw.session_ttl_secs == 0 || raw.session_ttl_secs > 30 * 24 * 3600 {
        bail!("session_ttl_secs: must be between 1 and 2592000 (30 days)");
    }
    if raw.request_timeout_secs == 0 {
        bail!("request_timeout_secs: must be at least 1");
    }
    if raw.body_limit_bytes < 1024 {
        bail!("body_limit_bytes: must be at least 1024");
    }
    Ok(())
}

/// The database URL, and whether it is the embedded default's SQLite file.
fn database_url(raw: &Raw) -> anyhow::Result<(String, bool)> {
    Ok(match raw.database_url.clone() {
        Some(url) if url.starts_with("postgres://") || url.starts_with("postgresql://") => {
            (url, false)
        }
        Some(url) if url.starts_with("sqlite:") => (url, false),
        Some(_) => bail!("database_url: must start with postgres://, postgresql:// or sqlite:"),
        None => {
            let path = raw.data_dir.join("harim.db");
            (format!("sqlite://{}?mode=rwc", path.display()), true)
        }
    })
}

/// KYC, retention, export and data-request settings within their ranges.
fn check_job_limits(raw: &Raw) -> anyhow::Result<()> {
    if raw.kyc_upload_limit_bytes < 1024 || raw.kyc_upload_limit_bytes > 1024 * 1024 * 1024 {
        bail!("kyc_upload_limit_bytes: must be between 1024 and 1073741824");
    }
    if raw.kyc_max_concurrent_uploads == 0 || raw.kyc_max_concurrent_uploads > 4096 {
        bail!("kyc_max_concurrent_uploads: must be between 1 and 4096");
    }
    if raw.kyc_max_image_pixels == 0 {
        bail!("kyc_max_image_pixels: must be at least 1");
    }
    if raw.retention_interval_secs == 0 {
        bail!("retention_interval_secs: must be at least 1");
    }
    if raw.export_ttl_secs < 60 || raw.export_ttl_secs > 30 * 24 * 3600 {
        bail!("export_ttl_secs: must be between 60 and 2592000 (30 days)");
    }
    if raw.root_rotation_period_days == 0 || raw.root_rotation_period_days > 3650 {
        bail!("root_rotation_period_days: must be between 1 and 3650");
    }
    if raw.backup_retention_days > 3650 {
        bail!("backup_retention_days: must be at most 3650");
    }
    // Zero would delete keys, residue and audit content as soon as they exist.
    for (key, v) in [
        ("api_key_unused_days", raw.api_key_unused_days),
        (
            "after_account_deletion_days",
            raw.after_account_deletion_days,
        ),
        ("audit_retention_days", raw.audit_retention_days),
    ] {
        if v == 0 || v > 3650 {
            bail!("{key}: must be between 1 and 3650");
        }
    }
    if raw.data_request_lease_secs == 0 || raw.data_request_lease_secs > 3600 {
        bail!("data_request_lease_secs: must be between 1 and 3600");
    }
    if raw.account_request_response_days == 0 || raw.account_request_response_days > 365 {
        bail!("account_request_response_days: must be between 1 and 365");
    }
    Ok(())
}

/// The object store URL, and whether it is the default directory under `data_dir`.
fn object_store_url(raw: &Raw) -> anyhow::Result<(String, bool)> {
    Ok(match raw.object_store_url.clone() {
        Some(url)
            if url.starts_with("s3://")
                || url.starts_with("file:///")
                || url.starts_with("memory://") =>
        {
            (url, false)
        }
        Some(_) => bail!("object_store_url: must start with s3://, file:/// or memory://"),
        None => {
            let dir = std::path::absolute(raw.data_dir.join("objects"))
                .context("object_store_url: cannot resolve data_dir")?;
            (format!("file://{}", dir.display()), true)
        }
    })
}

/// Pool, rotation batch, shutdown grace and PKCS#11 sessions within their ranges.
fn check_process_limits(raw: &Raw) -> anyhow::Result<()> {
    if raw.database_pool_size > 1000 {
        bail!("database_pool_size: must be at most 1000 (0 = the default)");
    }
    if raw.root_rotation_batch == 0 || raw.root_rotation_batch > 100_000 {
        bail!("root_rotation_batch: must be between 1 and 100000");
    }
    if raw.shutdown_grace_secs == 0 || raw.shutdown_grace_secs > 3600 {
        bail!("shutdown_grace_secs: must be between 1 and 3600");
    }
    if raw.pkcs11_sessions == 0 || raw.pkcs11_sessions > 256 {
        bail!("pkcs11_sessions: must be between 1 and 256");
    }
    Ok(())
}

/// The operator's facts from `[platform]` (the development operator without it), validated.
fn platform(raw: &Raw) -> anyhow::Result<harim_policy::platform::Platform> {
    let platform = match raw.platform.clone() {
        None => harim_store::platform_policy::development_platform(),
        Some(p) => harim_policy::platform::Platform {
            name: p.name,
            operator: p.operator,
            registration_number: p.registration_number,
            country: p.country,
            contact_email: p.contact_email,
            dpo_email: p.dpo_email,
            hosting_provider: p.hosting_provider,
            hosting_country: p.hosting_country,
            processors: p.processors,
            storefront_collects: p.storefront_collects,
            backup_retention_days: raw.backup_retention_days,
            log_retention_days: p.log_retention_days,
        },
    };
    if let Err(errs) = platform.validate() {
        let list: Vec<String> = errs
            .iter()
            .map(|e| format!("{}: {}", e.field, e.message))
            .collect();
        bail!("[platform]: {}", list.join("; "));
    }
    Ok(platform)
}

#[cfg(test)]
#[allow(clippy::result_large_err)] // figment::Jail's closure type, not ours
mod tests {
    use super::*;

    #[test]
    fn nothing_set_gives_the_embedded_default() {
        figment::Jail::expect_with(|_jail| {
            let c = Config::load(None, &Overrides::default()).unwrap();
            assert!(c.embedded);
            assert_eq!(c.listen.to_string(), "127.0.0.1:8080");
            assert!(c.auto_migrate);
            Ok(())
        });
    }

    #[test]
    fn flags_beat_environment_which_beats_the_file() {
        figment::Jail::expect_with(|jail| {
            jail.create_file(
                "h.toml",
                "listen = \"127.0.0.1:1\"\nsession_ttl_secs = 60\nlog_format = \"json\"",
            )?;
            jail.set_env("HARIM_LISTEN", "127.0.0.1:2");
            jail.set_env("HARIM_DATABASE_URL", "postgres://u:secret@db/harim");
            let o = Overrides {
                listen: Some("127.0.0.1:3".into()),
                data_dir: None,
            };
            let c = Config::load(Some(std::path::Path::new("h.toml")), &o).unwrap();
            assert_eq!(c.listen.to_string(), "127.0.0.1:3");
            assert_eq!(c.api.session_ttl, Duration::from_secs(60));
            assert_eq!(c.log_format, LogFormat::Json);
            assert!(!c.embedded && !c.auto_migrate);
            assert!(!format!("{c:?}").contains("secret"));
            Ok(())
        });
    }

    #[test]
    fn retention_periods_come_from_the_configuration() {
        figment::Jail::expect_with(|jail| {
            let c = Config::load(None, &Overrides::default()).unwrap();
            assert_eq!(c.retention_periods(), Periods::default());
            jail.set_env("HARIM_API_KEY_UNUSED_DAYS", "90");
            jail.set_env("HARIM_AFTER_ACCOUNT_DELETION_DAYS", "30");
            jail.set_env("HARIM_AUDIT_RETENTION_DAYS", "400");
            jail.set_env("HARIM_SESSION_TTL_SECS", "600");
            let p = Config::load(None, &Overrides::default())
                .unwrap()
                .retention_periods();
            assert_eq!(
                (
                    p.api_key_unused_days,
                    p.after_account_deletion_days,
                    p.audit_days,
                    p.session_ttl_secs
                ),
                (90, 30, 400, 600)
            );
            jail.set_env("HARIM_AUDIT_RETENTION_DAYS", "0");
            let e = Config::load(None, &Overrides::default()).err().unwrap();
            assert!(format!("{e:#}").contains("audit_retention_days"));
            Ok(())
        });
    }

    #[test]
    fn platform_facts_come_from_the_file_and_the_environment() {
        figment::Jail::expect_with(|jail| {
            let c = Config::load(None, &Overrides::default()).unwrap();
            assert!(!c.platform_configured);
            assert_eq!(
                c.api.platform,
                harim_store::platform_policy::development_platform()
            );
            // The production example parses and validates as it is shipped.
            let example = concat!(env!("CARGO_MANIFEST_DIR"), "/../../infra/deploy/harim.toml");
            let shipped = std::fs::read_to_string(example).unwrap();
            let platform_only = &shipped[shipped.find("[platform]").unwrap()..];
            jail.create_file(
                "h.toml",
                &format!("backup_retention_days = 21\n{platform_only}"),
            )?;
            jail.set_env("HARIM_PLATFORM_OPERATOR", "Harim Shpk");
            jail.set_env("HARIM_PLATFORM_HOSTING_COUNTRY", "DE");
            let c =
                Config::load(Some(std::path::Path::new("h.toml")), &Overrides::default()).unwrap();
            assert!(c.platform_configured);
            let p = &c.api.platform;
            assert_eq!(p.operator, "Harim Shpk");
            assert_eq!(p.hosting_country, harim_policy::Country::De);
            assert_eq!(p.backup_retention_days, 21);
            assert_eq!(p.storefront_collects.len(), 2);
            jail.set_env("HARIM_PLATFORM_CONTACT_EMAIL", "nope");
            let e = Config::load(Some(std::path::Path::new("h.toml")), &Overrides::default())
                .err()
                .unwrap();
            assert!(format!("{e:#}").contains("platform.contact_email"), "{e:#}");
            Ok(())
        });
    }

    #[test]
    fn bad_values_are_refused_with_the_key_named() {
        figment::Jail::expect_with(|jail| {
            jail.set_env("HARIM_LISTEN", "not an address");
            let e = Config::load(None, &Overrides::default()).err().unwrap();
            assert!(format!("{e:#}").contains("listen"));
            jail.set_env("HARIM_LISTEN", "127.0.0.1:1");
            jail.set_env("HARIM_DATABASE_URL", "mysql://x");
            let e = Config::load(None, &Overrides::default()).err().unwrap();
            assert!(format!("{e:#}").contains("database_url"));
            Ok(())
        });
    }
}
