//! A root rotation whose new wraps do not unwrap (issue 24, high item 4: the PKCS#11 provider
//! stored the IV it proposed, not the one a CloudHSM-like token used) fails its batch and
//! writes nothing: every tenant key keeps its old, good wrapping.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use harim_store::{rotation, scope::PlatformScope, testkit::TestDatabase};
use harim_vault::{BlindIndexKind, FileKeyring, KeyProvider, KeyVersionInfo, Vault};
use sea_orm::{EntityTrait, TransactionTrait};
use secrecy::SecretBox;
use zeroize::Zeroizing;

use crate::harness::Store;

/// A file keyring whose wraps under any version above 1 carry a zeroed nonce: the bytes a
/// token that wrote its own IV made the old provider return.
#[derive(Debug)]
struct DroppedIv {
    inner: FileKeyring,
    broken: AtomicBool,
}

impl KeyProvider for DroppedIv {
    fn kind(&self) -> &'static str {
        "dropped-iv"
    }
    fn active_version(&self) -> u32 {
        self.inner.active_version()
    }
    fn versions(&self) -> Vec<KeyVersionInfo> {
        self.inner.versions()
    }
    fn wrap(&self, v: u32, aad: &[u8], key: &[u8; 32]) -> harim_vault::Result<Vec<u8>> {
        let mut w = self.inner.wrap(v, aad, key)?;
        if v > 1 && self.broken.load(Ordering::SeqCst) {
            w[..12].fill(0);
        }
        Ok(w)
    }
    fn unwrap(&self, v: u32, aad: &[u8], w: &[u8]) -> harim_vault::Result<Zeroizing<[u8; 32]>> {
        self.inner.unwrap(v, aad, w)
    }
    fn blind_index_key(
        &self,
        v: u32,
        k: BlindIndexKind,
    ) -> harim_vault::Result<SecretBox<[u8; 32]>> {
        self.inner.blind_index_key(v, k)
    }
    fn add_version(&self) -> harim_vault::Result<u32> {
        self.inner.add_version()
    }
    fn retire_version(&self, v: u32) -> harim_vault::Result<()> {
        self.inner.retire_version(v)
    }
}

/// The store over that provider, and the provider.
pub struct Shim {
    store: Store,
    provider: Arc<DroppedIv>,
    _dir: tempfile::TempDir,
}

impl Shim {
    fn over(database: TestDatabase) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let (inner, _) = FileKeyring::open_or_create_dev(dir.path().join("keyring.json")).unwrap();
        let provider = Arc::new(DroppedIv {
            inner,
            broken: AtomicBool::new(true),
        });
        let vault = Arc::new(Vault::new(provider.clone(), Default::default()));
        Self {
            store: Store::with_vault(database, vault),
            provider,
            _dir: dir,
        }
    }
    pub async fn sqlite() -> Self {
        Self::over(TestDatabase::sqlite().await.unwrap())
    }
    pub async fn postgres() -> Option<Self> {
        Some(Self::over(TestDatabase::postgres().await.unwrap()?))
    }
}

harim_store::dual_database_test!(
    Shim,
    a_rotation_whose_wraps_do_not_unwrap_writes_nothing,
    |s: Shim| async move {
        let Shim {
            store, provider, ..
        } = &s;
        let (_, _scope) = store.merchant("wrapcheck").await;
        // The platform's key (the audit key derives from it) under version 1, before version 2
        // exists: otherwise the rotation's own first audit entry would meet the broken wrap.
        harim_store::rights::receipt::ReceiptSigner::load(&store.db, &store.vault)
            .await
            .unwrap();
        let txn = store.db.begin().await.unwrap();
        for _ in 0..5 {
            harim_store::testkit::tenant_keys::create(&txn, &store.vault, uuid::Uuid::now_v7())
                .await
                .unwrap();
        }
        txn.commit().await.unwrap();
        let before = harim_store::testkit::entity::tenant_key::Entity::find()
            .all(&store.db)
            .await
            .unwrap();
        assert!(before.len() >= 6);

        let (job, _) = rotation::start(
            &store.db,
            &store.vault,
            &PlatformScope::command_line("cli:test"),
            None,
            rotation::Brake::NONE,
        )
        .await
        .unwrap();
        let err = rotation::run(&store.db, &store.vault, job.id.into(), 2, None)
            .await
            .unwrap_err();
        assert!(
            err.to_string().contains("did not unwrap"),
            "a clear error: {err}"
        );

        // Not one row moved: the old wrappings, byte for byte, and all still unwrap.
        let after = harim_store::testkit::entity::tenant_key::Entity::find()
            .all(&store.db)
            .await
            .unwrap();
        let key = |m: &harim_store::testkit::entity::tenant_key::Model| {
            (
                m.tenant_id,
                m.tk_version,
                m.kek_version,
                m.wrapped.0.clone(),
            )
        };
        let mut b: Vec<_> = before.iter().map(key).collect();
        let mut a: Vec<_> = after.iter().map(key).collect();
        b.sort();
        a.sort();
        assert_eq!(a, b);
        for row in &after {
            let wk = harim_store::testkit::tenant_keys::wrapped(row).unwrap();
            store
                .vault
                .derive_key(&wk, b"harim test: still unwraps")
                .unwrap();
        }
        // With the provider mended, the same job resumes and moves every key.
        provider.broken.store(false, Ordering::SeqCst);
        rotation::run(&store.db, &store.vault, job.id.into(), 2, None)
            .await
            .unwrap();
        let moved = harim_store::testkit::entity::tenant_key::Entity::find()
            .all(&store.db)
            .await
            .unwrap();
        assert!(moved.iter().all(|m| m.kek_version == 2));
    }
);
