//! Test harness: a fresh database per test (SQLite file, or a new PostgreSQL database when
//! `HARIM_TEST_DATABASE_URL` points at a server), the app driven in-process.

use axum::{
    Router,
    body::Body,
    http::{HeaderMap, Method, Request, StatusCode},
};
use harim_api::{
    ApiConfig,
    startup::{Application, Parts, Workers},
};
use harim_store::{audit::Verification, testkit::TestDatabase};
use harim_vault::Vault;
use http_body_util::BodyExt;
use sea_orm::{ConnectionTrait, DatabaseConnection, QueryResult, Value as SqlValue};
use secrecy::ExposeSecret;
use serde_json::{Value, json};
use tower::ServiceExt;

/// Runs a test body once on SQLite and, when configured, once on PostgreSQL.
#[macro_export]
macro_rules! db_test {
    ($name:ident, $body:expr) => {
        harim_store::dual_database_test!($crate::helpers::TestApp, $name, $body);
    };
}

pub struct TestApp {
    pub router: Router,
    pub db: DatabaseConnection,
    /// The app's vault (same root keys), for tests that drive domain code directly.
    pub vault: std::sync::Arc<harim_vault::Vault>,
    /// The app's document store (S3 in CI), for tests that read objects back directly.
    pub documents: harim_kyc::DocumentStore,
    /// The rights use cases of the app (a test runs their worker with `run_due`).
    pub rights: harim_store::rights::Rights,
    /// The app's shutdown flag (what SIGTERM sets in the binary).
    pub draining: std::sync::Arc<std::sync::atomic::AtomicBool>,
    /// What the app's message providers were handed, in order.
    pub sent: std::sync::Arc<std::sync::Mutex<Vec<SentMessage>>>,
    /// The notification gate's clock: `None` is the real time.
    pub clock: std::sync::Arc<std::sync::Mutex<Option<time::OffsetDateTime>>>,
    /// The app's state (the outbox sender runs over it in tests).
    pub state: harim_api::AppState,
    _objects_dir: Option<tempfile::TempDir>,
    _database: TestDatabase,
}

/// One message a provider was handed.
#[derive(Debug, Clone)]
pub struct SentMessage {
    pub channel: &'static str,
    pub to: String,
    /// The sender name (an SMS) or address (an e-mail), after the country's marks.
    pub from: String,
    pub subject: Option<String>,
    pub body: String,
}

/// A provider that records what it is handed (API tests; the end-to-end tests use real servers).
#[derive(Debug)]
struct Recorder {
    channel: &'static str,
    sent: std::sync::Arc<std::sync::Mutex<Vec<SentMessage>>>,
}

impl harim_notify::Provider for Recorder {
    fn name(&self) -> &'static str {
        "recorder"
    }

    fn send<'a>(
        &'a self,
        m: &'a harim_notify::Outgoing,
    ) -> std::pin::Pin<
        Box<dyn std::future::Future<Output = Result<String, harim_notify::SendError>> + Send + 'a>,
    > {
        use secrecy::ExposeSecret;
        let mut sent = self.sent.lock().unwrap();
        sent.push(SentMessage {
            channel: self.channel,
            to: m.to.expose_secret().to_string(),
            from: m.from.clone(),
            subject: m.subject.clone(),
            body: m.body.expose_secret().to_string(),
        });
        let id = format!("rec-{}", sent.len());
        Box::pin(async move { Ok(id) })
    }
}

impl TestApp {
    /// Runs the outbox sender once; answers how many messages went to a provider.
    pub async fn send_outbox(&self) -> usize {
        harim_store::notify::run_outbox(&self.db, &self.vault, &self.state.notify, 100)
            .await
            .unwrap()
    }
}

// A `Drop` of its own, so a test body's `async move` takes the whole app: without one it would
// capture only the fields it names (disjoint capture) and drop the rest, the database with them,
// before the test's first statement.
impl Drop for TestApp {
    fn drop(&mut self) {}
}

/// The password every test account signs up with.
pub const PASSWORD: &str = "correct horse battery staple";

pub fn test_config() -> ApiConfig {
    ApiConfig {
        login_attempts_per_minute: 1000,
        hash_concurrency: 4,
        ..ApiConfig::default()
    }
}

/// The command line's operator scope, acting as `actor` (what `harim keys ...` uses).
pub fn cli_operator(actor: impl Into<String>) -> harim_store::scope::PlatformScope {
    harim_store::scope::PlatformScope::command_line(actor)
}

/// A vault over an in-memory (environment-format) keyring with a random root key.
pub fn test_vault() -> std::sync::Arc<harim_vault::Vault> {
    use base64::Engine;
    let key: [u8; 32] = rand::random();
    let keys = format!(
        "1:{}",
        base64::engine::general_purpose::STANDARD.encode(key)
    );
    let provider = harim_vault::EnvKeyring::from_values(&keys, Some("1")).unwrap();
    std::sync::Arc::new(harim_vault::Vault::new(
        std::sync::Arc::new(provider),
        Default::default(),
    ))
}

/// The document store of a test app: the real S3 server when `HARIM_TEST_S3_URL` is set (each
/// app under its own random prefix), else a temporary local directory. `HARIM_REQUIRE_S3=1`
/// (set by `.ci/run`) makes a missing S3 server a failure instead of a fallback.
pub fn test_documents() -> (harim_kyc::DocumentStore, Option<tempfile::TempDir>) {
    match std::env::var("HARIM_TEST_S3_URL") {
        Ok(url) => {
            let url = format!("{}/run-{}", url.trim_end_matches('/'), uuid::Uuid::new_v4());
            (harim_kyc::DocumentStore::from_url(&url).unwrap(), None)
        }
        Err(_) => {
            assert!(
                std::env::var("HARIM_REQUIRE_S3").is_err(),
                "HARIM_REQUIRE_S3 is set but HARIM_TEST_S3_URL is not: run infra/garage.sh"
            );
            let dir = tempfile::tempdir().unwrap();
            (
                harim_kyc::DocumentStore::local(&dir.path().join("objects")).unwrap(),
                Some(dir),
            )
        }
    }
}

impl TestApp {
    pub async fn sqlite() -> Self {
        Self::sqlite_with(test_config()).await
    }

    pub async fn sqlite_with(config: ApiConfig) -> Self {
        Self::finish(TestDatabase::sqlite().await.unwrap(), config).await
    }

    pub async fn postgres() -> Option<Self> {
        let database = TestDatabase::postgres().await.unwrap()?;
        Some(Self::finish(database, test_config()).await)
    }

    /// The app on a fresh database of the Citus cluster (`TestDatabase::citus`): requests run on
    /// the pool where a query that fans out to every shard fails, fixtures and jobs on the
    /// unrestricted one. `None` when no cluster is configured.
    pub async fn citus() -> Option<Self> {
        let database = TestDatabase::citus().await.unwrap()?;
        // No platform key yet: a test that swaps the vault (the rotation rig) makes it under its
        // own; the others call `make_platform_key` first.
        Some(Self::finish(database, test_config()).await)
    }

    /// Makes the platform's key under `vault`'s root, as a fresh deployment's first job does. On
    /// Citus a request must not be the first use: that checks every shard
    /// (`harim_store::citus::FAN_OUT`) and the request path refuses multi-shard queries.
    pub async fn make_platform_key(&self, vault: &harim_vault::Vault) {
        harim_store::rights::receipt::ReceiptSigner::load(&self.db, vault)
            .await
            .unwrap();
    }

    async fn finish(database: TestDatabase, config: ApiConfig) -> Self {
        let db = database.db().clone();
        let request_db = database.single_shard().clone();
        let vault = test_vault();
        let (documents, objects_dir) = test_documents();
        let sent = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let clock = std::sync::Arc::new(std::sync::Mutex::new(None));
        // Wired as `harim serve` wires it, without its workers: each test runs the jobs itself.
        let app = Application::build(
            Parts {
                db: request_db,
                vault: vault.clone(),
                documents: documents.clone(),
                config,
                rights: harim_store::rights::RightsConfig::default(),
                notify: harim_notify::providers::Providers {
                    email: Box::new(Recorder {
                        channel: "email",
                        sent: sent.clone(),
                    }),
                    sms: Box::new(Recorder {
                        channel: "sms",
                        sent: sent.clone(),
                    }),
                    email_from: "shop@example.com".into(),
                    sms_sender: "GolSorkh".into(),
                    inbound_token: Some(secrecy::SecretString::from("hook-token")),
                    inbound_country: None,
                },
            },
            Workers::none(),
        )
        .unwrap();
        let c = clock.clone();
        let state = app
            .state()
            .clone()
            .with_clock(harim_api::Clock(std::sync::Arc::new(move || {
                c.lock()
                    .unwrap()
                    .unwrap_or_else(time::OffsetDateTime::now_utc)
            })));
        // Jobs are the platform's, not a request's: on Citus they may fan out.
        let mut rights = app.state().rights.clone();
        rights.db = db.clone();
        Self {
            rights,
            draining: app.state().draining.clone(),
            router: harim_api::startup::app(state.clone()),
            sent,
            clock,
            state,
            db,
            vault,
            documents,
            _objects_dir: objects_dir,
            _database: database,
        }
    }

    pub async fn raw(&self, req: Request<Body>) -> (StatusCode, HeaderMap, Vec<u8>) {
        let resp = self.router.clone().oneshot(req).await.unwrap();
        let status = resp.status();
        let headers = resp.headers().clone();
        let body = resp
            .into_body()
            .collect()
            .await
            .unwrap()
            .to_bytes()
            .to_vec();
        (status, headers, body)
    }

    /// Sends JSON (or nothing) and returns status, headers and the body parsed as JSON (or
    /// `Value::String` for a non-JSON body).
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Resp {
        let mut req = Request::builder().method(method).uri(path);
        if let Some(t) = token {
            req = req.header("authorization", format!("Bearer {t}"));
        }
        let req = match body {
            Some(b) => req
                .header("content-type", "application/json")
                .body(Body::from(b.to_string())),
            None => req.body(Body::empty()),
        }
        .unwrap();
        let (status, headers, bytes) = self.raw(req).await;
        let json = serde_json::from_slice(&bytes)
            .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()));
        Resp {
            status,
            headers,
            json,
        }
    }

    pub async fn get(&self, path: &str, token: &str) -> Resp {
        self.call(Method::GET, path, Some(token), None).await
    }

    pub async fn post(&self, path: &str, token: Option<&str>, body: Value) -> Resp {
        self.call(Method::POST, path, token, Some(body)).await
    }

    /// `POST /v1/accounts`: signs up `email` with `password`.
    pub async fn sign_up(&self, email: &str, password: &str) -> Resp {
        self.post(
            "/v1/accounts",
            None,
            json!({"email": email, "password": password}),
        )
        .await
    }

    /// `POST /v1/sessions`: signs in `email` with `password`.
    pub async fn sign_in(&self, email: &str, password: &str) -> Resp {
        self.post(
            "/v1/sessions",
            None,
            json!({"email": email, "password": password}),
        )
        .await
    }

    /// Signs in `email` with [`PASSWORD`] and returns the new session token.
    pub async fn session(&self, email: &str) -> String {
        let r = self.sign_in(email, PASSWORD).await;
        assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.json);
        r.json["token"].as_str().unwrap().to_string()
    }

    /// Signs up and signs in a fresh account; returns (account id, session token).
    pub async fn account(&self, email: &str) -> (String, String) {
        let r = self.sign_up(email, PASSWORD).await;
        assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.json);
        let id = r.json["id"].as_str().unwrap().to_string();
        (id, self.session(email).await)
    }

    /// A merchant with a shop: (session token, shop id).
    pub async fn merchant(&self, tag: &str) -> (String, String) {
        let (_, token) = self.account(&format!("{tag}@example.com")).await;
        let r = self
            .create_shop(&token, &format!("Shop {tag}"), &format!("shop-{tag}"), "fa")
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.json);
        (token, r.json["id"].as_str().unwrap().to_string())
    }

    /// `POST /v1/shops`: opens a shop (`name`, `slug`, `default_locale`).
    pub async fn create_shop(&self, token: &str, name: &str, slug: &str, locale: &str) -> Resp {
        self.post(
            "/v1/shops",
            Some(token),
            json!({"name": name, "slug": slug, "default_locale": locale}),
        )
        .await
    }

    /// `POST /v1/shops/{shop}/api-keys`: asks for a key with `role`.
    pub async fn create_api_key(&self, token: &str, shop: &str, role: &str) -> Resp {
        self.post(
            &format!("/v1/shops/{shop}/api-keys"),
            Some(token),
            json!({"name": "k", "role": role}),
        )
        .await
    }

    /// `DELETE /v1/shops/{shop}/api-keys/{key}`: revokes a key.
    pub async fn revoke_api_key(&self, token: &str, shop: &str, key: &str) -> Resp {
        self.call(
            Method::DELETE,
            &format!("/v1/shops/{shop}/api-keys/{key}"),
            Some(token),
            None,
        )
        .await
    }

    /// A new API key of `shop` with `role`: (key id, key).
    pub async fn api_key(&self, owner: &str, shop: &str, role: &str) -> (String, String) {
        let r = self.create_api_key(owner, shop, role).await;
        assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.json);
        (
            r.json["id"].as_str().unwrap().to_string(),
            r.json["key"].as_str().unwrap().to_string(),
        )
    }

    /// Signs up `email`, invites it to `shop` as staff and accepts: the staff member's session.
    pub async fn staff(&self, owner: &str, shop: &str, email: &str) -> String {
        let (_, staff) = self.account(email).await;
        self.join_as_staff(owner, shop, email, &staff).await;
        staff
    }

    /// The owner invites the account `email` (signed in as `member`) to `shop` as staff, and it
    /// accepts.
    pub async fn join_as_staff(&self, owner: &str, shop: &str, email: &str, member: &str) {
        let inv = self
            .post(
                &format!("/v1/shops/{shop}/members"),
                Some(owner),
                json!({"email": email, "role": "staff"}),
            )
            .await;
        assert_eq!(inv.status, StatusCode::ACCEPTED, "{:?}", inv.json);
        let ok = self
            .post(
                "/v1/invitations/accept",
                Some(member),
                json!({"token": inv.json["token"]}),
            )
            .await;
        assert_eq!(ok.status, StatusCode::OK, "{:?}", ok.json);
    }

    pub async fn platform_token(&self, role: harim_store::roles::PlatformRole) -> String {
        self.platform_token_with_id(role).await.1
    }

    /// A new platform token of `role`: (its id, the token).
    pub async fn platform_token_with_id(
        &self,
        role: harim_store::roles::PlatformRole,
    ) -> (String, String) {
        let made = harim_store::auth::create_platform_token(
            &self.db,
            role,
            "test",
            harim_store::auth::PLATFORM_TOKEN_DEFAULT_TTL_DAYS,
        )
        .await
        .unwrap();
        (made.id.to_string(), made.token.expose_secret().to_string())
    }
}

/// Requests a test makes of many routes, and direct reads and writes of the database.
impl TestApp {
    /// `PUT /v1/shops/{shop}/identity` with `body`.
    pub async fn put_identity(&self, token: &str, shop: &str, body: Value) -> Resp {
        self.call(
            Method::PUT,
            &format!("/v1/shops/{shop}/identity"),
            Some(token),
            Some(body),
        )
        .await
    }

    /// Writes `body` as the shop's identity and asserts it was stored.
    pub async fn write_identity(&self, token: &str, shop: &str, body: Value) {
        let r = self.put_identity(token, shop, body).await;
        assert_eq!(r.status, StatusCode::OK, "{:?}", r.json);
    }

    /// A merchant (see [`TestApp::merchant`]) whose shop has the Iranian test identity.
    pub async fn merchant_with_identity(&self, tag: &str) -> (String, String) {
        let (owner, shop) = self.merchant(tag).await;
        self.write_identity(&owner, &shop, crate::identity::iranian_identity())
            .await;
        (owner, shop)
    }

    /// `POST /v1/shops/{shop}/identity/reveal` with `body` (fields and purpose).
    pub async fn reveal(&self, token: &str, shop: &str, body: Value) -> Resp {
        self.post(
            &format!("/v1/shops/{shop}/identity/reveal"),
            Some(token),
            body,
        )
        .await
    }

    /// `POST /v1/admin/identities` with `query` (`national_id` with `country`, or `iban`) as
    /// its body.
    pub async fn search_identities(&self, token: &str, query: Value) -> Resp {
        self.post("/v1/admin/identities", Some(token), query).await
    }

    /// `PUT /v1/shops/{shop}/privacy-settings` with `settings`.
    pub async fn put_settings(&self, token: &str, shop: &str, settings: Value) -> Resp {
        self.call(
            Method::PUT,
            &format!("/v1/shops/{shop}/privacy-settings"),
            Some(token),
            Some(settings),
        )
        .await
    }

    /// Puts the shop's privacy settings and asserts they were stored.
    pub async fn save_settings(&self, token: &str, shop: &str, settings: Value) {
        let r = self.put_settings(token, shop, settings).await;
        assert_eq!(r.status, StatusCode::OK, "{:?}", r.json);
    }

    /// `POST /v1/shops/{shop}/exports`: asks for an export of the shop.
    pub async fn request_export(&self, token: &str, shop: &str) -> Resp {
        self.post(&format!("/v1/shops/{shop}/exports"), Some(token), json!({}))
            .await
    }

    /// `DELETE /v1/account`, confirmed with `password`.
    pub async fn delete_account(&self, token: &str, password: &str) -> Resp {
        self.call(
            Method::DELETE,
            "/v1/account",
            Some(token),
            Some(json!({"password": password})),
        )
        .await
    }

    /// `DELETE /v1/shops/{shop}`, confirmed with `confirm` (the shop's slug to go through) and
    /// the owner's password ([`PASSWORD`]).
    pub async fn delete_shop(&self, token: &str, shop: &str, confirm: &str) -> Resp {
        self.delete_shop_with(
            token,
            shop,
            json!({"confirm": confirm, "password": PASSWORD}),
        )
        .await
    }

    /// `DELETE /v1/shops/{shop}` with `body` as it is.
    pub async fn delete_shop_with(&self, token: &str, shop: &str, body: Value) -> Resp {
        self.call(
            Method::DELETE,
            &format!("/v1/shops/{shop}"),
            Some(token),
            Some(body),
        )
        .await
    }

    /// The one row `sql` (PostgreSQL placeholders, see [`harim_store::db::statement`]) selects.
    pub async fn row(&self, sql: &str, values: impl IntoIterator<Item = SqlValue>) -> QueryResult {
        self.db
            .query_one(harim_store::testkit::statement(&self.db, sql, values))
            .await
            .unwrap()
            .expect("a row")
    }

    /// The number `sql` selects as `n` (`SELECT COUNT(*) AS n ...`).
    pub async fn count(&self, sql: &str, values: impl IntoIterator<Item = SqlValue>) -> i64 {
        self.row(sql, values).await.try_get("", "n").unwrap()
    }

    /// Runs `sql` (a direct write: tampering, back-dating).
    pub async fn exec(&self, sql: &str, values: impl IntoIterator<Item = SqlValue>) {
        self.db
            .execute(harim_store::testkit::statement(&self.db, sql, values))
            .await
            .unwrap();
    }

    /// Verifies every audit chain under the app's vault and asserts none is broken.
    pub async fn assert_chains_verify(&self) -> Verification {
        assert_chains_verify(&self.db, &self.vault).await
    }
}

/// Verifies every audit chain under `vault` and asserts none is broken.
pub async fn assert_chains_verify(db: &DatabaseConnection, vault: &Vault) -> Verification {
    let v = harim_store::audit::verify(db, vault, None).await.unwrap();
    assert!(v.broken.is_empty(), "{:?}", v.broken);
    v
}

#[derive(Debug)]
pub struct Resp {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub json: Value,
}

impl Resp {
    /// The `field` of each entry in a validation problem's `errors`, in order.
    pub fn error_fields(&self) -> Vec<&str> {
        self.json["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["field"].as_str().unwrap())
            .collect()
    }

    /// Asserts an RFC 9457 problem with the given status and type slug.
    #[track_caller]
    pub fn assert_problem(&self, status: StatusCode, slug: &str) {
        assert_eq!(self.status, status, "{:?}", self.json);
        assert_eq!(
            self.headers
                .get("content-type")
                .map(|v| v.to_str().unwrap()),
            Some("application/problem+json"),
            "{:?}",
            self.json
        );
        assert_eq!(
            self.json["type"],
            format!("{}{slug}", harim_api::error::PROBLEM_BASE),
            "{:?}",
            self.json
        );
        assert_eq!(self.json["status"], status.as_u16());
        assert!(self.json["title"].is_string() && self.json["detail"].is_string());
    }
}
