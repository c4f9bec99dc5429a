//! `harim-api`: the HTTP face of harim (axum + tower).
//!
//! Owns authentication (`auth`), the shop scope (`scope`), the routes, the OpenAPI document,
//! the mapping of every error to `application/problem+json` (`error`), request telemetry and the
//! persistence of domain values through sea-orm (`entity`). [`startup`] assembles state, router
//! and background workers, for the binary and the tests alike.
//!
//! Invariants: handlers reach tenant data only through a [`scope::ShopCtx`]; no handler
//! returns a database error's text; domain crates never see an HTTP type.

pub mod auth;
pub mod error;
mod middleware;
mod openapi;
pub mod routes;
pub mod scope;
pub mod startup;
pub mod validate;

use std::{sync::Arc, time::Duration};

use harim_store::db::Db;

pub use error::{ApiError, Problem, Violation};
pub use openapi::openapi;
pub use startup::app;

/// Tunables of the HTTP layer; the binary fills them from its configuration.
#[derive(Debug, Clone)]
pub struct ApiConfig {
    pub session_ttl: Duration,
    /// Sign-in attempts allowed per minute, per client address and per e-mail address.
    pub login_attempts_per_minute: u32,
    pub request_timeout: Duration,
    /// Limit for JSON bodies.
    pub body_limit_bytes: usize,
    /// How many argon2id computations may run at once.
    pub hash_concurrency: usize,
    /// Largest KYC document accepted, enforced while the upload streams.
    pub kyc_upload_limit_bytes: u64,
    /// KYC uploads processed at once; more wait their turn. Each holds at most
    /// `harim_kyc::MAX_BUFFERED_PER_UPLOAD` (10 MiB + 64 KiB), so this bounds the memory all
    /// uploads together can take.
    pub kyc_max_concurrent_uploads: usize,
    /// A new root rotation within this long of the last one needs `{"force": true}`.
    pub root_rotation_min_interval: Duration,
    /// Serve `/metrics` without a platform token (for a scraper on a private network only).
    pub metrics_public: bool,
    /// Load balancers whose `X-Forwarded-For` is believed: for a request from one of these,
    /// the client address (for the sign-in limit) is the last address that header names.
    pub trusted_proxies: Vec<std::net::IpAddr>,
    /// Tenant keys re-wrapped per transaction when this process works a root rotation.
    pub root_rotation_batch: u64,
    /// The operator's facts (`[platform]`): every policy's statements about the platform.
    pub platform: harim_policy::platform::Platform,
    /// The retention periods the retention job enforces, which the platform policy prints.
    pub retention: harim_store::retention::Periods,
    /// Days to answer a merchant's own request (`account_request_response_days`).
    pub account_response_days: u32,
}

impl Default for ApiConfig {
    fn default() -> Self {
        Self {
            session_ttl: Duration::from_secs(12 * 3600),
            login_attempts_per_minute: 10,
            request_timeout: Duration::from_secs(30),
            body_limit_bytes: 64 * 1024,
            // Half the cores: a sign-in flood can never occupy every core (logins isolation,
            // docs/benchmarks.md); the hashing threads also run at a lowered priority.
            hash_concurrency: std::thread::available_parallelism()
                .map_or(1, |n| (n.get() / 2).max(1)),
            kyc_upload_limit_bytes: 10 * 1024 * 1024,
            kyc_max_concurrent_uploads: 16,
            root_rotation_min_interval: Duration::from_secs(3600),
            metrics_public: false,
            trusted_proxies: Vec::new(),
            root_rotation_batch: harim_store::rotation::DEFAULT_BATCH,
            platform: harim_store::platform_policy::development_platform(),
            retention: harim_store::retention::Periods::DEFAULT,
            account_response_days: 30,
        }
    }
}

/// Everything a handler may use. Cheap to clone.
#[derive(Clone, Debug)]
pub struct AppState {
    pub db: Db,
    pub passwords: harim_store::auth::Passwords,
    pub config: Arc<ApiConfig>,
    /// Keys and field encryption; the only holder of key material.
    pub vault: Arc<harim_vault::Vault>,
    /// Encrypted KYC documents (local directory, S3 or memory).
    pub documents: harim_kyc::DocumentStore,
    /// Permits for KYC uploads in flight (`ApiConfig::kyc_max_concurrent_uploads`).
    pub upload_permits: Arc<tokio::sync::Semaphore>,
    /// Exports, erasures and receipts (shares db, vault and documents; its worker is one of
    /// [`startup::Workers`], or in a test `harim_store::rights::run_due`).
    pub rights: harim_store::rights::Rights,
    /// Set when the process starts shutting down: `/readyz` answers 503 from then on, so a load
    /// balancer stops sending while in-flight requests finish.
    pub draining: Arc<std::sync::atomic::AtomicBool>,
    /// The public pages' read cache (one per process). Publishing and erasure drop a shop from
    /// it here at once and, through `harim_store::events`, on every other replica.
    pub pages: Arc<routes::policies::DocCache>,
    /// The receipt keys document, made once per process: `/.well-known/harim/receipt-keys` is
    /// unauthenticated, so without it every request would read the database and unwrap the
    /// platform key through the key provider (an HSM call). The first request fills it and
    /// the concurrent ones wait for that one (single flight). Never invalidated: the platform
    /// key is never rotated (a root rotation re-wraps it unchanged).
    pub receipt_keys: Arc<tokio::sync::OnceCell<Vec<harim_store::rights::receipt::PublicKey>>>,
    /// Where messages to customers leave (SMTP, an SMS API; a directory in development).
    pub notify: Arc<harim_notify::providers::Providers>,
    /// Wakes the outbox sender when the gate queues a message.
    pub outbox_wake: Arc<tokio::sync::Notify>,
    /// The HTTP client privacy events go out through.
    pub webhooks: harim_notify::webhooks::Sender,
    /// The time the notification gate decides at (the country rules' hours); a test sets it.
    pub clock: Clock,
}

/// A source of the current time.
#[derive(Clone)]
pub struct Clock(pub Arc<dyn Fn() -> time::OffsetDateTime + Send + Sync>);

impl std::fmt::Debug for Clock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Clock")
    }
}

impl Clock {
    pub fn now(&self) -> time::OffsetDateTime {
        (self.0)()
    }
}

impl AppState {
    pub fn new(
        db: Db,
        config: ApiConfig,
        vault: Arc<harim_vault::Vault>,
        documents: harim_kyc::DocumentStore,
    ) -> Result<Self, ApiError> {
        Ok(Self {
            draining: Arc::new(std::sync::atomic::AtomicBool::new(false)),
            pages: Arc::new(routes::policies::DocCache::default()),
            receipt_keys: Arc::new(tokio::sync::OnceCell::new()),
            notify: Arc::new(harim_notify::providers::Providers::directory(
                std::env::temp_dir().join("harim-outbox"),
            )),
            outbox_wake: Arc::new(tokio::sync::Notify::new()),
            clock: Clock(Arc::new(time::OffsetDateTime::now_utc)),
            webhooks: harim_notify::webhooks::Sender::new().map_err(ApiError::Internal)?,
            rights: harim_store::rights::Rights {
                db: db.clone(),
                vault: vault.clone(),
                documents: documents.clone(),
                config: Arc::new(harim_store::rights::RightsConfig::default()),
                wake: Arc::new(tokio::sync::Notify::new()),
            },
            vault,
            documents,
            upload_permits: Arc::new(tokio::sync::Semaphore::new(
                config.kyc_max_concurrent_uploads.max(1),
            )),
            db,
            passwords: harim_store::auth::Passwords::new(config.hash_concurrency)?,
            config: Arc::new(config),
        })
    }
}

impl AppState {
    /// Replaces the rights configuration (export lifetime, backup horizon, deadlines).
    pub fn with_rights_config(mut self, config: harim_store::rights::RightsConfig) -> Self {
        self.rights.config = Arc::new(config);
        self
    }

    /// Replaces the clock (tests of time-dependent rules).
    pub fn with_clock(mut self, clock: Clock) -> Self {
        self.clock = clock;
        self
    }

    /// Replaces the message providers.
    pub fn with_providers(mut self, providers: harim_notify::providers::Providers) -> Self {
        self.notify = Arc::new(providers);
        self
    }
}
