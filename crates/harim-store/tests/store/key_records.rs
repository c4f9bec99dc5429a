//! What the database records about keys (issue 24): a missing platform key is refused, never
//! made anew, once the database has used it; every receipt key that ever signed is published;
//! a root version is bound to its provider identifier (a PKCS#11 CKA_ID).

use std::sync::{Arc, Mutex};

use harim_store::{
    StoreError,
    audit::{Action, Event},
    ids::PLATFORM_TENANT,
    rights::receipt::{self, ReceiptSigner},
    testkit::entity::tenant_key,
};
use harim_vault::{BlindIndexKind, EnvKeyring, KeyProvider, KeyVersionInfo, Vault, VaultError};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, TransactionTrait};
use secrecy::SecretBox;
use zeroize::Zeroizing;

use crate::{db_test, harness::Store};

fn event() -> Event<'static> {
    Event {
        actor: "test".into(),
        action: Action::KeysRotationStarted,
        fields: vec![],
        purpose: None,
        request_id: None,
    }
}

/// Another process's view of the same keys: nothing derived in memory yet.
fn fresh_vault(store: &Store) -> Vault {
    Vault::new(store.vault.provider().clone(), Default::default())
}

db_test!(a_missing_platform_key_fails_closed, |s: Store| async move {
    // A fresh database makes it on first use, and an audited write uses it.
    let signer = ReceiptSigner::load(&s.db, &s.vault).await.unwrap();
    let txn = s.db.begin().await.unwrap();
    harim_store::testkit::append_many(&txn, &s.vault, PLATFORM_TENANT, vec![event()])
        .await
        .unwrap();
    txn.commit().await.unwrap();

    // The row is lost (a bad restore, a stray DELETE).
    tenant_key::Entity::delete_many()
        .filter(tenant_key::Column::TenantId.eq(PLATFORM_TENANT))
        .exec(&s.db)
        .await
        .unwrap();

    // Another process (no key in memory) neither signs nor writes an audited entry: before,
    // it made a new platform key, so receipts and audit MACs silently changed key.
    let other = fresh_vault(&s);
    assert!(matches!(
        ReceiptSigner::load(&s.db, &other).await,
        Err(StoreError::PlatformKeyMissing)
    ));
    let txn = s.db.begin().await.unwrap();
    let r = harim_store::testkit::append_many(&txn, &other, PLATFORM_TENANT, vec![event()]).await;
    assert!(matches!(r, Err(StoreError::PlatformKeyMissing)), "{r:?}");
    drop(txn);
    let left = tenant_key::Entity::find()
        .filter(tenant_key::Column::TenantId.eq(PLATFORM_TENANT))
        .all(&s.db)
        .await
        .unwrap();
    assert!(left.is_empty(), "no platform key was made anew");

    // The process that still holds the derived key signs with the very same key.
    let again = ReceiptSigner::load(&s.db, &s.vault).await.unwrap();
    assert_eq!(again.public_key(), signer.public_key());
});

db_test!(
    every_receipt_key_that_signed_is_published,
    |s: Store| async move {
        let signer = ReceiptSigner::load(&s.db, &s.vault).await.unwrap();
        let keys = receipt::published_keys(&s.db, &s.vault).await.unwrap();
        assert_eq!(keys, vec![signer.public_key()]);
        // A key that signed earlier (kept in the history) stays listed before the current one.
        s.db.execute_unprepared(
            "INSERT INTO receipt_keys (key_id, alg, public_key, first_used_at) VALUES \
         ('ed25519:0000000000000000', 'Ed25519', 'AAAA', '2020-01-01 00:00:00+00:00')",
        )
        .await
        .unwrap();
        let keys = receipt::published_keys(&s.db, &s.vault).await.unwrap();
        assert_eq!(keys.len(), 2);
        assert_eq!(keys[0].key_id, "ed25519:0000000000000000");
        assert_eq!(keys[1], signer.public_key());
        // A receipt verifies against the published list.
        let signed = signer.sign(serde_json::json!({"kind": "test"}));
        receipt::verify(&signed, &keys).unwrap();
    }
);

/// An environment keyring that reports a settable identifier for version 1 and refuses a pin
/// that differs, as the PKCS#11 provider does with CKA_IDs.
#[derive(Debug)]
struct WithIds {
    inner: EnvKeyring,
    id: Mutex<Vec<u8>>,
}

impl KeyProvider for WithIds {
    fn kind(&self) -> &'static str {
        "with-ids"
    }
    fn active_version(&self) -> u32 {
        self.inner.active_version()
    }
    fn versions(&self) -> Vec<KeyVersionInfo> {
        self.inner.versions()
    }
    fn wrap(&self, v: u32, aad: &[u8], key: &[u8; 32]) -> harim_vault::Result<Vec<u8>> {
        self.inner.wrap(v, aad, key)
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
    fn key_id(&self, _v: u32) -> Option<Vec<u8>> {
        Some(self.id.lock().unwrap().clone())
    }
    fn pin_key_id(&self, v: u32, id: &[u8]) -> harim_vault::Result<()> {
        if *self.id.lock().unwrap() == id {
            Ok(())
        } else {
            Err(VaultError::KeyIdMismatch(v))
        }
    }
}

db_test!(
    a_root_version_is_bound_to_its_key_id,
    |s: Store| async move {
        use base64::Engine;
        let keys = format!(
            "1:{}",
            base64::engine::general_purpose::STANDARD.encode([5u8; 32])
        );
        let p = Arc::new(WithIds {
            inner: EnvKeyring::from_values(&keys, Some("1")).unwrap(),
            id: Mutex::new(vec![1; 16]),
        });
        let vault = Vault::new(p.clone(), Default::default());
        // A fresh database records the active version with its id.
        harim_store::rotation::bind_key_ids(&s.db, &vault)
            .await
            .unwrap();
        let row =
            s.db.query_one(harim_store::testkit::statement(
                &s.db,
                "SELECT state, key_id_hex FROM root_key_versions WHERE version = 1",
                [],
            ))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(row.try_get::<String>("", "state").unwrap(), "active");
        assert_eq!(
            row.try_get::<Option<String>>("", "key_id_hex").unwrap(),
            Some(hex::encode([1u8; 16]))
        );
        harim_store::rotation::bind_key_ids(&s.db, &vault)
            .await
            .unwrap();
        // The provider's object was replaced (another id under the same version): refused.
        *p.id.lock().unwrap() = vec![2; 16];
        let r = harim_store::rotation::bind_key_ids(&s.db, &vault).await;
        assert!(
            matches!(r, Err(StoreError::Vault(VaultError::KeyIdMismatch(1)))),
            "{r:?}"
        );
    }
);

db_test!(
    a_root_version_unknown_to_the_database_never_wraps,
    |s: Store| async move {
        use base64::Engine;
        let b64 = |k: [u8; 32]| base64::engine::general_purpose::STANDARD.encode(k);
        // The database knows version 1 (the fresh database's first wrap recorded it).
        harim_store::testkit::tenant_keys::create(&s.db, &s.vault, uuid::Uuid::now_v7())
            .await
            .unwrap();
        // A provider whose active version 2 no rotation made (a keyring edited by hand, an object
        // put in the token): before, the first wrap recorded it as active and used it.
        let keys = format!("1:{},2:{}", b64([1; 32]), b64([2; 32]));
        let vault = Vault::new(
            Arc::new(EnvKeyring::from_values(&keys, Some("2")).unwrap()),
            Default::default(),
        );
        let r =
            harim_store::testkit::tenant_keys::create(&s.db, &vault, uuid::Uuid::now_v7()).await;
        assert!(matches!(r, Err(StoreError::Unavailable(_))), "{r:?}");
        let n =
            s.db.query_one(harim_store::testkit::statement(
                &s.db,
                "SELECT count(*) AS n FROM root_key_versions WHERE version = 2",
                [],
            ))
            .await
            .unwrap()
            .unwrap()
            .try_get::<i64>("", "n")
            .unwrap();
        assert_eq!(n, 0);
    }
);
