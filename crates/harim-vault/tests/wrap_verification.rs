//! Every wrap the vault hands out has been unwrapped once (issue 24, high item 4): a provider
//! whose wraps do not unwrap (as the PKCS#11 provider's did on tokens that write their own GCM
//! IV: it stored the IV it proposed, not the one the token used) is refused at the wrap, so no
//! caller can store a key that is lost.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use harim_vault::{
    BlindIndexKind, CacheConfig, FileKeyring, KeyProvider, KeyVersionInfo, Vault, VaultError,
};
use secrecy::SecretBox;
use uuid::Uuid;
use zeroize::Zeroizing;

/// A real keyring whose wraps, while `broken`, carry another nonce than the one sealed with:
/// what a token that chose its own IV returned through the old PKCS#11 provider.
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
        if self.broken.load(Ordering::SeqCst) {
            // The IV the provider proposed, not the one the token wrote back.
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
}

fn rig() -> (tempfile::TempDir, Arc<DroppedIv>, Vault) {
    let dir = tempfile::tempdir().unwrap();
    let (inner, _) = FileKeyring::open_or_create_dev(dir.path().join("keyring.json")).unwrap();
    let p = Arc::new(DroppedIv {
        inner,
        broken: AtomicBool::new(false),
    });
    let vault = Vault::new(p.clone(), CacheConfig::default());
    (dir, p, vault)
}

#[test]
fn a_wrap_that_does_not_unwrap_is_never_returned() {
    let (_dir, p, vault) = rig();
    let tenant = Uuid::new_v4();
    let good = vault.create_tenant_key(tenant).unwrap();

    p.broken.store(true, Ordering::SeqCst);
    assert!(matches!(
        vault.create_tenant_key(Uuid::new_v4()),
        Err(VaultError::WrapVerificationFailed(1))
    ));
    assert!(matches!(
        vault.rotate_tenant_key(&good),
        Err(VaultError::WrapVerificationFailed(1))
    ));
    // A root rotation's re-wrap: the new version's wrap is refused, the caller keeps the old.
    assert_eq!(p.add_version().unwrap(), 2);
    assert!(matches!(
        vault.rewrap(&good, 2),
        Err(VaultError::WrapVerificationFailed(2))
    ));
    assert!(matches!(
        vault.rewrap_to_active(&good),
        Err(VaultError::WrapVerificationFailed(2))
    ));

    // A sound provider passes the same checks.
    p.broken.store(false, Ordering::SeqCst);
    let moved = vault.rewrap(&good, 2).unwrap();
    assert_eq!(moved.kek_version, 2);
    vault.clear_cache();
    let ctx = harim_vault::FieldContext {
        tenant_id: tenant,
        table: "t",
        record_id: tenant,
        field: "f",
    };
    let ct = vault.encrypt_field(&good, &ctx, b"x").unwrap();
    assert_eq!(
        vault.decrypt_field(&moved, &ctx, &ct).unwrap().as_slice(),
        b"x"
    );
}
