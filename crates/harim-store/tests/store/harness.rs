//! A fresh database per test (a SQLite file, or a new PostgreSQL database when
//! `HARIM_TEST_DATABASE_URL` points at a server), the store's use cases over it, and shortcuts
//! to the states most tests start from (a merchant with a shop).

use std::sync::Arc;

use harim_store::{
    accounts,
    auth::{Passwords, Principal},
    ids::AccountId,
    rights::{Rights, RightsConfig},
    scope::ShopScope,
    shops,
    testkit::TestDatabase,
};
use harim_vault::{
    EnvKeyring, Vault,
    pii::{IdentityInput, MerchantIdentity},
};
use sea_orm::DatabaseConnection;
use secrecy::SecretString;

/// Runs a test body once on SQLite and, when configured, once on PostgreSQL.
#[macro_export]
macro_rules! db_test {
    ($name:ident, $body:expr) => {
        harim_store::dual_database_test!($crate::harness::Store, $name, $body);
    };
}

/// The store of one test: its database, vault, object directory and the rights use cases.
pub struct Store {
    pub db: DatabaseConnection,
    pub vault: Arc<Vault>,
    pub rights: Rights,
    pub passwords: Passwords,
    _dir: tempfile::TempDir,
    _database: TestDatabase,
}

// A `Drop` of its own, so a test body's `async move` takes the whole store: without one it would
// capture only the fields it names (disjoint capture) and drop the rest, the database with them.
impl Drop for Store {
    fn drop(&mut self) {}
}

/// An Iranian merchant's identity, valid (`testkit::iranian_identity`, parsed).
pub fn identity() -> MerchantIdentity {
    let input: IdentityInput =
        serde_json::from_value(harim_store::testkit::iranian_identity()).unwrap();
    MerchantIdentity::parse(input, time::OffsetDateTime::now_utc().date()).unwrap()
}

/// The password of every account [`Store::merchant`] makes.
pub fn password() -> SecretString {
    SecretString::from("a long passphrase".to_string())
}

/// A vault over an in-memory (environment-format) keyring with a random root key.
fn test_vault() -> Arc<Vault> {
    use base64::Engine;
    let key: [u8; 32] = rand::random();
    let keys = format!(
        "1:{}",
        base64::engine::general_purpose::STANDARD.encode(key)
    );
    let provider = EnvKeyring::from_values(&keys, Some("1")).unwrap();
    Arc::new(Vault::new(Arc::new(provider), Default::default()))
}

impl Store {
    pub async fn sqlite() -> Self {
        Self::finish(TestDatabase::sqlite().await.unwrap())
    }

    pub async fn postgres() -> Option<Self> {
        Some(Self::finish(TestDatabase::postgres().await.unwrap()?))
    }

    fn finish(database: TestDatabase) -> Self {
        Self::with_vault(database, test_vault())
    }

    /// A store over `database` whose vault is `vault` (a test's own key provider).
    pub fn with_vault(database: TestDatabase, vault: Arc<Vault>) -> Self {
        let db = database.db().clone();
        let dir = tempfile::tempdir().unwrap();
        let documents = harim_kyc::DocumentStore::local(&dir.path().join("objects")).unwrap();
        let rights = Rights {
            db: db.clone(),
            vault: vault.clone(),
            documents,
            config: Arc::new(RightsConfig {
                work_dir: dir.path().to_path_buf(),
                ..RightsConfig::default()
            }),
            wake: Arc::new(tokio::sync::Notify::new()),
        };
        Self {
            db,
            vault,
            rights,
            passwords: Passwords::new(2).unwrap(),
            _dir: dir,
            _database: database,
        }
    }

    /// A signed-up merchant owning a new shop `slug`: the owner's session principal and the
    /// owner's scope in the shop.
    pub async fn merchant(&self, slug: &str) -> (Principal, ShopScope) {
        let email = format!("{slug}@example.com");
        let account: AccountId =
            accounts::create_account(&self.db, &self.passwords, &email, password(), None)
                .await
                .unwrap();
        let shop = shops::create(
            &self.db,
            &self.vault,
            account,
            format!("Shop {slug}"),
            slug.to_string(),
            harim_policy::Locale::En,
        )
        .await
        .unwrap();
        let session = accounts::sign_in(
            &self.db,
            &self.passwords,
            &email,
            password(),
            std::time::Duration::from_secs(3600),
        )
        .await
        .unwrap()
        .unwrap();
        use secrecy::ExposeSecret;
        let principal = harim_store::auth::authenticate(&self.db, session.token.expose_secret())
            .await
            .unwrap()
            .unwrap();
        let scope = ShopScope::resolve(&self.db, principal.clone(), shop.id)
            .await
            .unwrap();
        (principal, scope)
    }

    /// Every audit chain verifies.
    pub async fn assert_chains_verify(&self) {
        let v = harim_store::audit::verify(&self.db, &self.vault, None)
            .await
            .unwrap();
        assert!(v.broken.is_empty(), "{:?}", v.broken);
    }

    /// Writes `identity()` as the scope's owner.
    pub async fn write_identity(&self, scope: &ShopScope) {
        harim_store::identity::write(&self.db, &self.vault, scope, identity(), None)
            .await
            .unwrap();
    }

    /// The shop's IBAN, revealed by its owner.
    pub async fn reveal_iban(&self, scope: &ShopScope) -> String {
        use secrecy::ExposeSecret;
        let fields = harim_store::identity::reveal(
            &self.db,
            &self.vault,
            scope,
            vec!["iban".to_string()],
            "payout",
            None,
        )
        .await
        .unwrap();
        fields["iban"].expose_secret().to_string()
    }
}
