//! Per-subject data keys: one AES-256 key per data subject inside a shop (a customer), stored
//! only wrapped by the shop's tenant key, so erasing one person is deleting one small row.
//!
//! The wrap *is* a field ciphertext (format 0x01, [`Vault::encrypt_field`]) of the 32 key bytes,
//! bound to (tenant, `table`, subject id, `field`) and to the tenant-key version: tenant-key
//! rotation re-wraps it with [`Vault::reencrypt_field`] (O(subjects), no field re-encryption),
//! root rotation never touches it (it re-wraps the tenant key above), and erasing the shop
//! shreds every subject key with the tenant key. Fields under a subject key use format 0x02
//! (see `FORMAT.md`, section 4b): its own AAD domain, so a 0x01 ciphertext can never be opened
//! as a 0x02 one or the other way round.

use rand::RngCore;
use rand::rngs::OsRng;
use zeroize::Zeroizing;

use crate::aead::{Cipher, NONCE_LEN, TAG_LEN};
use crate::error::{Result, VaultError};
use crate::vault::{FieldContext, Vault, WrappedTenantKey};

/// Format byte of a field sealed under a subject key.
pub const SUBJECT_FIELD_FORMAT: u8 = 0x02;
/// Overhead of a subject-key field over its plaintext: format byte + nonce + tag (29 bytes).
pub const SUBJECT_FIELD_OVERHEAD: usize = 1 + NONCE_LEN + TAG_LEN;

const SUBJECT_AAD_DOMAIN: &[u8] = b"harim/subject-field/v1";

/// An unwrapped subject key. Lives only as long as one request needs it; never cached, so a
/// deleted wrapped key stops every read at once on every replica. `Debug` shows nothing.
pub struct SubjectKey {
    cipher: Cipher,
}

impl std::fmt::Debug for SubjectKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SubjectKey(redacted)")
    }
}

impl Vault {
    /// A new subject key for the subject `at.record_id`, and its wrap under `wk` (to store).
    /// `at` names where the wrap lives (`table`, `field`), which its AAD binds.
    pub fn create_subject_key(
        &self,
        wk: &WrappedTenantKey,
        at: &FieldContext<'_>,
    ) -> Result<(Vec<u8>, SubjectKey)> {
        let mut key = Zeroizing::new([0u8; 32]);
        OsRng
            .try_fill_bytes(key.as_mut())
            .map_err(|_| VaultError::Rng)?;
        let wrapped = self.encrypt_field(wk, at, key.as_ref())?;
        Ok((
            wrapped,
            SubjectKey {
                cipher: Cipher::new(&key),
            },
        ))
    }

    /// Unwraps a subject key made by [`Vault::create_subject_key`] at `at` under `wk`.
    pub fn open_subject_key(
        &self,
        wk: &WrappedTenantKey,
        at: &FieldContext<'_>,
        wrapped: &[u8],
    ) -> Result<SubjectKey> {
        let bytes = self.decrypt_field(wk, at, wrapped)?;
        let key: &[u8; 32] = bytes
            .as_slice()
            .try_into()
            .map_err(|_| VaultError::MalformedCiphertext)?;
        Ok(SubjectKey {
            cipher: Cipher::new(key),
        })
    }
}

impl SubjectKey {
    /// Seals one field: `0x02 || nonce(12) || ciphertext || tag(16)`, the AAD binding the
    /// header, tenant, table, record and field.
    pub fn seal(&self, ctx: &FieldContext<'_>, plaintext: &[u8]) -> Result<Vec<u8>> {
        let header = [SUBJECT_FIELD_FORMAT];
        self.cipher
            .seal_random(&header, &aad(&header, ctx), plaintext)
    }

    /// Opens a field sealed by [`SubjectKey::seal`] at the same `ctx`; an error (never garbage)
    /// for a value moved to another place, made under another key, or altered.
    pub fn open(&self, ctx: &FieldContext<'_>, ciphertext: &[u8]) -> Result<Zeroizing<Vec<u8>>> {
        match ciphertext {
            [SUBJECT_FIELD_FORMAT, body @ ..] if body.len() >= NONCE_LEN + TAG_LEN => self
                .cipher
                .open_combined(&aad(&[SUBJECT_FIELD_FORMAT], ctx), body),
            _ => Err(VaultError::MalformedCiphertext),
        }
    }

    /// [`SubjectKey::open`] as UTF-8 text in a `SecretString`.
    pub fn open_string(
        &self,
        ctx: &FieldContext<'_>,
        ciphertext: &[u8],
    ) -> Result<secrecy::SecretString> {
        let bytes = self.open(ctx, ciphertext)?;
        let s = std::str::from_utf8(&bytes).map_err(|_| VaultError::DecryptFailed)?;
        Ok(secrecy::SecretString::from(s))
    }
}

/// `"harim/subject-field/v1" || header(1) || lp(tenant_id) || lp(table) || lp(record_id) ||
/// lp(field)`, where `lp(x)` = `len(x) as u32 BE || x`.
fn aad(header: &[u8], ctx: &FieldContext<'_>) -> Vec<u8> {
    let mut aad = Vec::with_capacity(
        SUBJECT_AAD_DOMAIN.len() + header.len() + 16 + 32 + ctx.table.len() + ctx.field.len(),
    );
    aad.extend_from_slice(SUBJECT_AAD_DOMAIN);
    aad.extend_from_slice(header);
    for part in [
        ctx.tenant_id.as_bytes().as_slice(),
        ctx.table.as_bytes(),
        ctx.record_id.as_bytes().as_slice(),
        ctx.field.as_bytes(),
    ] {
        let len = u32::try_from(part.len()).unwrap_or(u32::MAX);
        aad.extend_from_slice(&len.to_be_bytes());
        aad.extend_from_slice(part);
    }
    aad
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use std::sync::Arc;

    use secrecy::ExposeSecret;
    use uuid::Uuid;

    use super::*;
    use crate::{CacheConfig, EnvKeyring};

    fn vault() -> Vault {
        let ring = EnvKeyring::from_values("1:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=", None)
            .unwrap();
        Vault::new(Arc::new(ring), CacheConfig::default())
    }

    fn at(tenant_id: Uuid, record_id: Uuid, field: &str) -> FieldContext<'_> {
        FieldContext {
            tenant_id,
            table: "customers",
            record_id,
            field,
        }
    }

    #[test]
    fn a_field_round_trips_and_binds_its_place_and_key() {
        let v = vault();
        let shop = Uuid::now_v7();
        let wk = v.create_tenant_key(shop).unwrap();
        let (alice, bob) = (Uuid::now_v7(), Uuid::now_v7());
        let key_at = |c| FieldContext {
            tenant_id: shop,
            table: "customer_keys",
            record_id: c,
            field: "key",
        };
        let (wrapped, ck) = v.create_subject_key(&wk, &key_at(alice)).unwrap();
        let ct = ck
            .seal(&at(shop, alice, "phone"), b"+989121234567")
            .unwrap();
        assert_eq!(ct.len(), 13 + SUBJECT_FIELD_OVERHEAD);
        let reopened = v.open_subject_key(&wk, &key_at(alice), &wrapped).unwrap();
        assert_eq!(
            reopened
                .open_string(&at(shop, alice, "phone"), &ct)
                .unwrap()
                .expose_secret(),
            "+989121234567"
        );
        // Another field, another customer, another key, a flipped bit: errors.
        assert!(reopened.open(&at(shop, alice, "email"), &ct).is_err());
        assert!(reopened.open(&at(shop, bob, "phone"), &ct).is_err());
        let (_, other) = v.create_subject_key(&wk, &key_at(bob)).unwrap();
        assert!(other.open(&at(shop, alice, "phone"), &ct).is_err());
        let mut flipped = ct.clone();
        *flipped.last_mut().unwrap() ^= 1;
        assert!(reopened.open(&at(shop, alice, "phone"), &flipped).is_err());
        // The wrap is bound to its subject: alice's wrapped key does not open as bob's.
        assert!(v.open_subject_key(&wk, &key_at(bob), &wrapped).is_err());
    }

    #[test]
    fn a_tenant_rotation_rewraps_the_key_and_the_fields_still_open() {
        let v = vault();
        let shop = Uuid::now_v7();
        let old = v.create_tenant_key(shop).unwrap();
        let c = Uuid::now_v7();
        let key_at = FieldContext {
            tenant_id: shop,
            table: "customer_keys",
            record_id: c,
            field: "key",
        };
        let (wrapped, ck) = v.create_subject_key(&old, &key_at).unwrap();
        let ct = ck.seal(&at(shop, c, "name"), b"Maryam").unwrap();
        let new = v.rotate_tenant_key(&old).unwrap();
        let rewrapped = v.reencrypt_field(&old, &new, &key_at, &wrapped).unwrap();
        let ck = v.open_subject_key(&new, &key_at, &rewrapped).unwrap();
        assert_eq!(&*ck.open(&at(shop, c, "name"), &ct).unwrap(), b"Maryam");
        assert!(format!("{ck:?}").contains("redacted"));
    }

    #[test]
    fn a_tenant_field_is_not_a_subject_field() {
        let v = vault();
        let shop = Uuid::now_v7();
        let wk = v.create_tenant_key(shop).unwrap();
        let c = Uuid::now_v7();
        let (_, ck) = v.create_subject_key(&wk, &at(shop, c, "key")).unwrap();
        let tenant_ct = v.encrypt_field(&wk, &at(shop, c, "name"), b"x").unwrap();
        assert!(ck.open(&at(shop, c, "name"), &tenant_ct).is_err());
    }
}
