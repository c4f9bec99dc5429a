//! Tenant keys (wrapped under a root key version), the unwrapped-key cache, field encryption
//! and blind indexes. See `FORMAT.md` for every byte layout.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use rand::RngCore;
use rand::rngs::OsRng;
use uuid::Uuid;
use zeroize::Zeroizing;

use crate::aead::{Cipher, NONCE_LEN, TAG_LEN};
use crate::error::{Result, VaultError};
use crate::provider::{BlindIndexKind, KeyProvider, KeyState};

/// Hard limit of field encryptions under one tenant-key version.
///
/// NIST SP 800-38D §8.3 caps random-nonce GCM at 2^32 invocations per key (collision
/// probability ≤ 2^-32). We stop at 2^28 (about 268 million), 16× below, so the nonce-collision
/// probability stays below 2^-41 even if counts from several replicas are under-reported.
/// Beyond it [`Vault::encrypt_field`] fails with [`VaultError::EncryptionLimitReached`].
pub const MAX_ENCRYPTIONS_PER_TENANT_KEY: u64 = 1 << 28;

/// Count at which rotation of the tenant key is due (half of the hard limit), reported by
/// [`KeyUsage::rotation_due`].
pub const ROTATION_DUE_AT: u64 = MAX_ENCRYPTIONS_PER_TENANT_KEY / 2;

/// Length of [`WrappedTenantKey::wrapped`]: nonce (12) + encrypted key (32) + tag (16).
pub const WRAPPED_KEY_LEN: usize = NONCE_LEN + 32 + TAG_LEN;

/// Field ciphertext format byte (first byte of every field ciphertext).
pub const FIELD_FORMAT_V1: u8 = 0x01;
/// Length of the field ciphertext header: format byte + tk_version (u32 big-endian).
pub const FIELD_HEADER_LEN: usize = 5;
/// Overhead of a field ciphertext over its plaintext: header + nonce + tag (33 bytes).
pub const FIELD_OVERHEAD: usize = FIELD_HEADER_LEN + NONCE_LEN + TAG_LEN;

const WRAP_AAD_DOMAIN: &[u8] = b"harim/tk-wrap/v1";
const FIELD_AAD_DOMAIN: &[u8] = b"harim/field/v1";

/// A tenant key as stored by the API crate: only ever wrapped.
///
/// `Debug` shows ids and versions, never the wrapped bytes.
#[derive(Clone, PartialEq, Eq)]
pub struct WrappedTenantKey {
    /// The tenant (shop) the key belongs to; bound into the wrap AAD.
    pub tenant_id: Uuid,
    /// Tenant-key version, 1 for the first key; bound into the wrap AAD and every field.
    pub tk_version: u32,
    /// Root key version that wrapped it; bound into the wrap AAD.
    pub kek_version: u32,
    /// `nonce(12) || AES-256-GCM(tenant key)(32) || tag(16)`.
    pub wrapped: Vec<u8>,
}

impl std::fmt::Debug for WrappedTenantKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WrappedTenantKey")
            .field("tenant_id", &self.tenant_id)
            .field("tk_version", &self.tk_version)
            .field("kek_version", &self.kek_version)
            .field("wrapped", &format_args!("<{} bytes>", self.wrapped.len()))
            .finish()
    }
}

impl WrappedTenantKey {
    /// AAD of the wrap: `"harim/tk-wrap/v1" || tenant_id(16) || tk_version(u32 BE) ||
    /// kek_version(u32 BE)`.
    fn aad(tenant_id: Uuid, tk_version: u32, kek_version: u32) -> [u8; 16 + 16 + 4 + 4] {
        let mut aad = [0u8; 40];
        aad[..16].copy_from_slice(WRAP_AAD_DOMAIN);
        aad[16..32].copy_from_slice(tenant_id.as_bytes());
        aad[32..36].copy_from_slice(&tk_version.to_be_bytes());
        aad[36..40].copy_from_slice(&kek_version.to_be_bytes());
        aad
    }
}

/// Where a field value lives; every part is bound into the ciphertext's AAD, so a value moved to
/// another tenant, table, record or field fails to decrypt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FieldContext<'a> {
    /// The owning tenant; must equal the tenant key's tenant.
    pub tenant_id: Uuid,
    /// Table name, e.g. `"merchant_identity"`.
    pub table: &'a str,
    /// Primary key of the row.
    pub record_id: Uuid,
    /// Column / field name, e.g. `"iban"`.
    pub field: &'a str,
}

/// Encryption count of one tenant-key version as this process knows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct KeyUsage {
    /// Encryptions counted (seeded by [`Vault::record_persisted_count`] plus this process).
    pub encryptions: u64,
    /// At or past [`ROTATION_DUE_AT`]: schedule a tenant-key rotation.
    pub rotation_due: bool,
    /// At or past [`MAX_ENCRYPTIONS_PER_TENANT_KEY`]: encryption is refused.
    pub exhausted: bool,
}

impl KeyUsage {
    fn from_count(encryptions: u64) -> Self {
        Self {
            encryptions,
            rotation_due: encryptions >= ROTATION_DUE_AT,
            exhausted: encryptions >= MAX_ENCRYPTIONS_PER_TENANT_KEY,
        }
    }
}

/// Bounds of the unwrapped-tenant-key cache.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CacheConfig {
    /// Most tenant keys held unwrapped at once; least recently used is evicted first.
    /// 0 disables caching (every operation unwraps through the provider).
    pub max_entries: usize,
    /// An entry older than this is dropped and unwrapped again through the provider.
    pub max_age: Duration,
}

impl Default for CacheConfig {
    fn default() -> Self {
        Self {
            max_entries: 10_000,
            max_age: Duration::from_secs(15 * 60),
        }
    }
}

/// Cache key: tenant and both versions. The entry also holds the exact wrapped bytes it was
/// unwrapped from, and a hit requires them to be equal, so a re-wrapped, rotated, replaced or
/// corrupted key never hits a stale entry. (Comparing the 60 bytes is exact and cheaper than
/// hashing them on every call; wrapped bytes are not secret.)
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
struct CacheKey {
    tenant_id: Uuid,
    tk_version: u32,
    kek_version: u32,
}

struct CacheEntry {
    wrapped: Vec<u8>,
    /// The keyed cipher; its key schedule is zeroized when the last `Arc` drops.
    cipher: Arc<Cipher>,
    /// Shared with `Vault::counters`, so a hit needs no second lock.
    counter: Arc<AtomicU64>,
    inserted: Instant,
    last_used: Instant,
}

/// Keys derived from tenant keys, by (tenant, HKDF info).
type DerivedKeys = HashMap<(Uuid, &'static [u8]), Arc<secrecy::SecretBox<[u8; 32]>>>;
/// Keys derived from one tenant-key version, by (tenant, tk_version, HKDF info).
type VersionedKeys = HashMap<(Uuid, u32, &'static [u8]), Arc<secrecy::SecretBox<[u8; 32]>>>;

/// Envelope encryption for tenant data. Cheap to share: wrap it in an `Arc`.
pub struct Vault {
    provider: Arc<dyn KeyProvider>,
    config: CacheConfig,
    cache: Mutex<HashMap<CacheKey, CacheEntry>>,
    /// Keys derived with [`Vault::derive_key_cached`], by (tenant, info). They do not depend on
    /// the root version (re-wrapping does not change a tenant key), so root changes keep them.
    derived: Mutex<DerivedKeys>,
    /// Keys derived with [`Vault::derive_versioned_key`]: of rotating tenant keys, so kept per
    /// tenant-key version.
    versioned: Mutex<VersionedKeys>,
    /// Per (tenant, tk_version) encryption counters. Kept apart from the cache so that evicting
    /// a key does not reset its count; removed by [`Vault::forget_tenant`].
    counters: Mutex<HashMap<(Uuid, u32), Arc<AtomicU64>>>,
}

impl std::fmt::Debug for Vault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Vault")
            .field("provider", &self.provider)
            .field("config", &self.config)
            .field("cached_keys", &lock(&self.cache).len())
            .finish()
    }
}

/// The maps hold no invariant a panic could break half-way, so a poisoned lock is still usable.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl Vault {
    /// A vault over `provider` with the given cache bounds.
    pub fn new(provider: Arc<dyn KeyProvider>, config: CacheConfig) -> Self {
        Self {
            provider,
            config,
            cache: Mutex::new(HashMap::new()),
            derived: Mutex::new(HashMap::new()),
            versioned: Mutex::new(HashMap::new()),
            counters: Mutex::new(HashMap::new()),
        }
    }

    /// The key provider (for the admin API: versions, active version).
    pub fn provider(&self) -> &Arc<dyn KeyProvider> {
        &self.provider
    }

    /// Generates a random AES-256 tenant key (version 1) and wraps it under the active root
    /// version.
    pub fn create_tenant_key(&self, tenant_id: Uuid) -> Result<WrappedTenantKey> {
        self.new_tenant_key(tenant_id, 1)
    }

    /// Generates the next tenant-key version (`tk_version + 1`) for the same tenant, wrapped
    /// under the active root version. The caller then re-encrypts the tenant's fields with
    /// [`Vault::reencrypt_field`] and deletes the old wrapped key when none references it.
    pub fn rotate_tenant_key(&self, current: &WrappedTenantKey) -> Result<WrappedTenantKey> {
        let next = current
            .tk_version
            .checked_add(1)
            .ok_or(VaultError::VersionOverflow)?;
        self.new_tenant_key(current.tenant_id, next)
    }

    /// [`Vault::create_tenant_key`] under a root version the caller has checked may wrap (the
    /// store checks it against the database, which every process shares, rather than against
    /// this process's copy of the provider).
    pub fn create_tenant_key_at(
        &self,
        tenant_id: Uuid,
        kek_version: u32,
    ) -> Result<WrappedTenantKey> {
        self.new_tenant_key_at(tenant_id, 1, kek_version)
    }

    /// [`Vault::rotate_tenant_key`] under a root version the caller has checked may wrap.
    pub fn rotate_tenant_key_at(
        &self,
        current: &WrappedTenantKey,
        kek_version: u32,
    ) -> Result<WrappedTenantKey> {
        let next = current
            .tk_version
            .checked_add(1)
            .ok_or(VaultError::VersionOverflow)?;
        self.new_tenant_key_at(current.tenant_id, next, kek_version)
    }

    /// A 32-byte key for another use of a tenant key (e.g. the audit chain's MAC key):
    /// HKDF-SHA256(tenant key, salt = none, info). The tenant key itself never leaves the vault.
    pub fn derive_key(
        &self,
        wk: &WrappedTenantKey,
        info: &[u8],
    ) -> Result<secrecy::SecretBox<[u8; 32]>> {
        let key = self.unwrap_key(wk)?;
        let hk = hkdf::Hkdf::<sha2::Sha256>::new(None, &*key);
        let mut failed = false;
        let out = secrecy::SecretBox::init_with_mut(|okm: &mut [u8; 32]| {
            failed = hk.expand(info, okm).is_err();
        });
        if failed {
            return Err(VaultError::EncryptFailed);
        }
        Ok(out)
    }

    /// A key derived earlier by [`Vault::derive_key_cached`] for this tenant and use.
    pub fn cached_derived_key(
        &self,
        tenant_id: Uuid,
        info: &'static [u8],
    ) -> Option<Arc<secrecy::SecretBox<[u8; 32]>>> {
        lock(&self.derived).get(&(tenant_id, info)).cloned()
    }

    /// [`Vault::derive_key`], kept in memory (zeroized on drop) for later calls.
    pub fn derive_key_cached(
        &self,
        wk: &WrappedTenantKey,
        info: &'static [u8],
    ) -> Result<Arc<secrecy::SecretBox<[u8; 32]>>> {
        let key = Arc::new(self.derive_key(wk, info)?);
        lock(&self.derived).insert((wk.tenant_id, info), key.clone());
        Ok(key)
    }

    /// [`Vault::derive_key`] of one tenant-key version, kept in memory (zeroized on drop): for
    /// derived keys of a shop's rotating tenant key (the customers' lookup key), which change
    /// with it, unlike the platform's never-rotated derived keys of
    /// [`Vault::derive_key_cached`].
    pub fn derive_versioned_key(
        &self,
        wk: &WrappedTenantKey,
        info: &'static [u8],
    ) -> Result<Arc<secrecy::SecretBox<[u8; 32]>>> {
        let at = (wk.tenant_id, wk.tk_version, info);
        if let Some(k) = lock(&self.versioned).get(&at) {
            return Ok(k.clone());
        }
        let key = Arc::new(self.derive_key(wk, info)?);
        lock(&self.versioned).insert(at, key.clone());
        Ok(key)
    }

    fn new_tenant_key(&self, tenant_id: Uuid, tk_version: u32) -> Result<WrappedTenantKey> {
        self.new_tenant_key_at(tenant_id, tk_version, self.provider.active_version())
    }

    fn new_tenant_key_at(
        &self,
        tenant_id: Uuid,
        tk_version: u32,
        kek_version: u32,
    ) -> Result<WrappedTenantKey> {
        let mut key = Zeroizing::new([0u8; 32]);
        OsRng
            .try_fill_bytes(&mut *key)
            .map_err(|_| VaultError::Rng)?;
        let aad = WrappedTenantKey::aad(tenant_id, tk_version, kek_version);
        let wrapped = self.wrap_verified(kek_version, &aad, &key)?;
        Ok(WrappedTenantKey {
            tenant_id,
            tk_version,
            kek_version,
            wrapped,
        })
    }

    /// Re-wraps a tenant key under root version `to_kek_version` (for root-key rotation: O(shops),
    /// the field ciphertexts are untouched). Returns a clone if it is already at that version.
    pub fn rewrap(&self, wk: &WrappedTenantKey, to_kek_version: u32) -> Result<WrappedTenantKey> {
        if wk.kek_version == to_kek_version {
            // Still prove the key unwraps, so a corrupt row is caught by the rotation job.
            self.unwrap_key(wk)?;
            return Ok(wk.clone());
        }
        let key = self.unwrap_key(wk)?;
        let aad = WrappedTenantKey::aad(wk.tenant_id, wk.tk_version, to_kek_version);
        let wrapped = self.wrap_verified(to_kek_version, &aad, &key)?;
        Ok(WrappedTenantKey {
            tenant_id: wk.tenant_id,
            tk_version: wk.tk_version,
            kek_version: to_kek_version,
            wrapped,
        })
    }

    /// Wraps `key` through the provider and unwraps the result before anyone may store it.
    ///
    /// A wrap that does not unwrap to the very key is a key lost the moment its row is written
    /// (and, in a root rotation, the good wrapping it replaced is gone with it). That happens
    /// with a provider bug no test token shows: a PKCS#11 token that writes its own GCM IV
    /// (AWS CloudHSM always, Luna in FIPS mode) while the provider kept the IV it proposed. So
    /// every provider's every wrap is checked here, where all of them pass; it costs one unwrap
    /// per new or re-wrapped tenant key, which are rare next to field operations.
    fn wrap_verified(&self, kek_version: u32, aad: &[u8], key: &[u8; 32]) -> Result<Vec<u8>> {
        use subtle::ConstantTimeEq;
        let wrapped = self.provider.wrap(kek_version, aad, key)?;
        let back = match self.provider.unwrap(kek_version, aad, &wrapped) {
            Ok(back) => back,
            // The provider could not be asked: not a verdict on the wrap, retry later.
            Err(e @ VaultError::ProviderUnavailable { .. }) => return Err(e),
            Err(_) => return Err(VaultError::WrapVerificationFailed(kek_version)),
        };
        if bool::from(back.as_slice().ct_eq(key.as_slice())) {
            Ok(wrapped)
        } else {
            Err(VaultError::WrapVerificationFailed(kek_version))
        }
    }

    /// [`Vault::rewrap`] to the active root version.
    pub fn rewrap_to_active(&self, wk: &WrappedTenantKey) -> Result<WrappedTenantKey> {
        self.rewrap(wk, self.provider.active_version())
    }

    fn unwrap_key(&self, wk: &WrappedTenantKey) -> Result<Zeroizing<[u8; 32]>> {
        if wk.wrapped.len() != WRAPPED_KEY_LEN {
            return Err(VaultError::MalformedWrappedKey);
        }
        let aad = WrappedTenantKey::aad(wk.tenant_id, wk.tk_version, wk.kek_version);
        self.provider.unwrap(wk.kek_version, &aad, &wk.wrapped)
    }

    fn cache_key(wk: &WrappedTenantKey) -> CacheKey {
        CacheKey {
            tenant_id: wk.tenant_id,
            tk_version: wk.tk_version,
            kek_version: wk.kek_version,
        }
    }

    /// The cipher of an unwrapped tenant key and its encryption counter, from the cache or
    /// through the provider.
    fn cipher(&self, wk: &WrappedTenantKey) -> Result<(Arc<Cipher>, Arc<AtomicU64>)> {
        // A destroyed root version must not keep serving keys it wrapped.
        if self.provider.state(wk.kek_version).is_none() {
            self.evict_kek_version(wk.kek_version);
            return Err(VaultError::UnknownKeyVersion(wk.kek_version));
        }
        if self.config.max_entries == 0 {
            let key = self.unwrap_key(wk)?;
            let counter = self.counter(wk.tenant_id, wk.tk_version);
            return Ok((Arc::new(Cipher::new(&key)), counter));
        }
        let ck = Self::cache_key(wk);
        let now = Instant::now();
        {
            let mut cache = lock(&self.cache);
            if let Some(entry) = cache.get_mut(&ck) {
                if entry.wrapped == wk.wrapped
                    && now.duration_since(entry.inserted) <= self.config.max_age
                {
                    entry.last_used = now;
                    return Ok((entry.cipher.clone(), entry.counter.clone()));
                }
                cache.remove(&ck);
            }
        }
        // Unwrap outside the lock: a provider may be a slow HSM or network KMS.
        let key = self.unwrap_key(wk)?;
        let cipher = Arc::new(Cipher::new(&key));
        drop(key);
        let counter = self.counter(wk.tenant_id, wk.tk_version);
        let mut cache = lock(&self.cache);
        if cache.len() >= self.config.max_entries && !cache.contains_key(&ck) {
            self.evict(&mut cache, now);
        }
        cache.insert(
            ck,
            CacheEntry {
                wrapped: wk.wrapped.clone(),
                cipher: cipher.clone(),
                counter: counter.clone(),
                inserted: now,
                last_used: now,
            },
        );
        Ok((cipher, counter))
    }

    /// Drops expired entries; if none expired, the least recently used one. O(n) per miss on a
    /// full cache, which is bounded and rare next to an unwrap.
    fn evict(&self, cache: &mut HashMap<CacheKey, CacheEntry>, now: Instant) {
        let before = cache.len();
        cache.retain(|_, e| now.duration_since(e.inserted) <= self.config.max_age);
        if cache.len() < before {
            return;
        }
        if let Some(oldest) = cache
            .iter()
            .min_by_key(|(_, e)| e.last_used)
            .map(|(k, _)| *k)
        {
            cache.remove(&oldest);
        }
    }

    fn evict_kek_version(&self, kek_version: u32) {
        lock(&self.cache).retain(|k, _| k.kek_version != kek_version);
    }

    /// Crypto-shredding support: drops every cached key and counter of `tenant_id`. Call after
    /// deleting the tenant's wrapped keys, on every replica (the cache also expires by age).
    pub fn forget_tenant(&self, tenant_id: Uuid) {
        lock(&self.cache).retain(|k, _| k.tenant_id != tenant_id);
        lock(&self.derived).retain(|(t, _), _| *t != tenant_id);
        lock(&self.versioned).retain(|(t, _, _), _| *t != tenant_id);
        lock(&self.counters).retain(|(t, _), _| *t != tenant_id);
    }

    /// Drops every cached unwrapped key (e.g. after a root version was destroyed).
    pub fn clear_cache(&self) {
        lock(&self.cache).clear();
    }

    /// Number of unwrapped keys currently cached.
    pub fn cached_keys(&self) -> usize {
        lock(&self.cache).len()
    }

    fn counter(&self, tenant_id: Uuid, tk_version: u32) -> Arc<AtomicU64> {
        lock(&self.counters)
            .entry((tenant_id, tk_version))
            .or_default()
            .clone()
    }

    /// Seeds the in-memory counter with the count the API persisted (taking the maximum), e.g.
    /// when it loads the tenant's key row. The database count is the authority across replicas;
    /// this counter is each process's backstop.
    pub fn record_persisted_count(
        &self,
        tenant_id: Uuid,
        tk_version: u32,
        persisted: u64,
    ) -> KeyUsage {
        let c = self.counter(tenant_id, tk_version);
        let prev = c.fetch_max(persisted, Ordering::Relaxed);
        KeyUsage::from_count(prev.max(persisted))
    }

    /// Encryption count of a tenant-key version as this process knows it.
    pub fn key_usage(&self, tenant_id: Uuid, tk_version: u32) -> KeyUsage {
        KeyUsage::from_count(self.counter(tenant_id, tk_version).load(Ordering::Relaxed))
    }

    /// Encrypts one field value. Output: `0x01 || tk_version(u32 BE) || nonce(12) ||
    /// ciphertext || tag(16)`; AAD binds the header, tenant, table, record and field.
    ///
    /// Counts the encryption against the tenant key; at [`MAX_ENCRYPTIONS_PER_TENANT_KEY`] it
    /// fails with [`VaultError::EncryptionLimitReached`]. The API should add the number of
    /// fields it encrypted to its persisted count in the same transaction as the write.
    pub fn encrypt_field(
        &self,
        wk: &WrappedTenantKey,
        ctx: &FieldContext<'_>,
        plaintext: &[u8],
    ) -> Result<Vec<u8>> {
        self.encrypt_field_with_usage(wk, ctx, plaintext)
            .map(|(ct, _)| ct)
    }

    /// [`Vault::encrypt_field`], also returning the key usage after this encryption.
    pub fn encrypt_field_with_usage(
        &self,
        wk: &WrappedTenantKey,
        ctx: &FieldContext<'_>,
        plaintext: &[u8],
    ) -> Result<(Vec<u8>, KeyUsage)> {
        if ctx.tenant_id != wk.tenant_id {
            return Err(VaultError::TenantMismatch);
        }
        let (cipher, counter) = self.cipher(wk)?;
        // Reserve the slot first; never go past the limit, even under concurrency.
        let count = counter
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| {
                (n < MAX_ENCRYPTIONS_PER_TENANT_KEY).then_some(n + 1)
            })
            .map_err(|_| VaultError::EncryptionLimitReached {
                tk_version: wk.tk_version,
            })?
            + 1;
        let header = field_header(wk.tk_version);
        let aad = field_aad(&header, ctx);
        let ct = cipher.seal_random(&header, &aad, plaintext)?;
        Ok((ct, KeyUsage::from_count(count)))
    }

    /// Decrypts one field value. Fails (never returns garbage) if the ciphertext was made for
    /// another tenant, table, record or field, under another tenant key, or was altered.
    pub fn decrypt_field(
        &self,
        wk: &WrappedTenantKey,
        ctx: &FieldContext<'_>,
        ciphertext: &[u8],
    ) -> Result<Zeroizing<Vec<u8>>> {
        if ctx.tenant_id != wk.tenant_id {
            return Err(VaultError::TenantMismatch);
        }
        let found = field_tk_version(ciphertext)?;
        if ciphertext.len() < FIELD_OVERHEAD {
            return Err(VaultError::MalformedCiphertext);
        }
        if found != wk.tk_version {
            return Err(VaultError::TenantKeyVersionMismatch {
                expected: wk.tk_version,
                found,
            });
        }
        let (cipher, _) = self.cipher(wk)?;
        let (header, body) = ciphertext.split_at(FIELD_HEADER_LEN);
        let aad = field_aad(header, ctx);
        cipher.open_combined(&aad, body)
    }

    /// Decrypts a field and returns it as UTF-8 text in a `SecretString`.
    pub fn decrypt_field_string(
        &self,
        wk: &WrappedTenantKey,
        ctx: &FieldContext<'_>,
        ciphertext: &[u8],
    ) -> Result<secrecy::SecretString> {
        let bytes = self.decrypt_field(wk, ctx, ciphertext)?;
        let s = std::str::from_utf8(&bytes).map_err(|_| VaultError::DecryptFailed)?;
        Ok(secrecy::SecretString::from(s))
    }

    /// Decrypts under `old` and encrypts under `new` (tenant-key rotation). If the ciphertext is
    /// already under `new.tk_version`, it is returned unchanged (idempotent batches).
    pub fn reencrypt_field(
        &self,
        old: &WrappedTenantKey,
        new: &WrappedTenantKey,
        ctx: &FieldContext<'_>,
        ciphertext: &[u8],
    ) -> Result<Vec<u8>> {
        if field_tk_version(ciphertext)? == new.tk_version {
            // Authenticate it anyway so the job never blesses a corrupt value.
            self.decrypt_field(new, ctx, ciphertext)?;
            return Ok(ciphertext.to_vec());
        }
        let pt = self.decrypt_field(old, ctx, ciphertext)?;
        self.encrypt_field(new, ctx, &pt)
    }

    /// Blind index: HMAC-SHA256 of an already normalised value under the blind-index key of
    /// `kind` for root version `kek_version`. Equal inputs give equal outputs (for "already
    /// registered?" lookups); see [`crate::pii::NationalId::blind_index_input`] and
    /// [`crate::pii::Iban::blind_index_input`].
    pub fn blind_index(
        &self,
        kek_version: u32,
        kind: BlindIndexKind,
        normalized: &str,
    ) -> Result<[u8; 32]> {
        self.provider
            .blind_index(kek_version, kind, normalized.as_bytes())
    }

    /// [`Vault::blind_index`] under the active root version; returns `(version, index)` so the
    /// caller can store which version produced it.
    pub fn blind_index_active(
        &self,
        kind: BlindIndexKind,
        normalized: &str,
    ) -> Result<(u32, [u8; 32])> {
        let v = self.provider.active_version();
        Ok((v, self.blind_index(v, kind, normalized)?))
    }

    /// Whether root version `kek_version` can still wrap (for the rotation job).
    pub fn kek_state(&self, kek_version: u32) -> Option<KeyState> {
        self.provider.state(kek_version)
    }
}

fn field_header(tk_version: u32) -> [u8; FIELD_HEADER_LEN] {
    let mut h = [0u8; FIELD_HEADER_LEN];
    h[0] = FIELD_FORMAT_V1;
    h[1..].copy_from_slice(&tk_version.to_be_bytes());
    h
}

/// Reads the tenant-key version from a field ciphertext header (to pick the right wrapped key
/// during a tenant-key rotation). Does not authenticate anything.
pub fn field_tk_version(ciphertext: &[u8]) -> Result<u32> {
    match ciphertext {
        [FIELD_FORMAT_V1, a, b, c, d, ..] => Ok(u32::from_be_bytes([*a, *b, *c, *d])),
        _ => Err(VaultError::MalformedCiphertext),
    }
}

/// AAD of a field: `"harim/field/v1" || header(5) || lp(tenant_id) || lp(table) ||
/// lp(record_id) || lp(field) || tk_version(u32 BE)`, where `lp(x)` = `len(x) as u32 BE || x`.
fn field_aad(header: &[u8], ctx: &FieldContext<'_>) -> Vec<u8> {
    let mut aad = Vec::with_capacity(
        FIELD_AAD_DOMAIN.len() + header.len() + 4 * 4 + 32 + ctx.table.len() + ctx.field.len() + 4,
    );
    aad.extend_from_slice(FIELD_AAD_DOMAIN);
    aad.extend_from_slice(header);
    for part in [
        ctx.tenant_id.as_bytes().as_slice(),
        ctx.table.as_bytes(),
        ctx.record_id.as_bytes().as_slice(),
        ctx.field.as_bytes(),
    ] {
        // Table and field names are code constants far below 4 GiB; saturate rather than panic.
        let len = u32::try_from(part.len()).unwrap_or(u32::MAX);
        aad.extend_from_slice(&len.to_be_bytes());
        aad.extend_from_slice(part);
    }
    aad.extend_from_slice(&header[1..FIELD_HEADER_LEN]);
    aad
}
