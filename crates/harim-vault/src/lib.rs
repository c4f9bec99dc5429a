//! `harim-vault`: keys and personal data.
//!
//! Owns the key providers (root key-encryption keys), per-tenant data keys and their wrapping,
//! AES-256-GCM field encryption with a versioned header and a context-binding AAD, blind indexes
//! for equality search, and the validated PII types (`NationalId`, `Iban`, `Phone`, ...) whose
//! `Debug`, `Display` and `Serialize` are masked.
//!
//! Must never: depend on HTTP crates, touch a database, or log a plaintext value or key byte.
//! The API crate persists what this crate returns (wrapped keys, ciphertexts, blind indexes,
//! encryption counts).
//!
//! # Key hierarchy
//!
//! ```text
//! KeyProvider (FileKeyring | EnvKeyring | later PKCS#11 / KMS)
//!   root key v1, v2, ...   32 random bytes each; never leave the provider
//!     ├─ wrap key  = HKDF-SHA256(root, info "harim tk-wrap v1")
//!     │    └─ WrappedTenantKey (tenant_id, tk_version, kek_version, nonce||ct||tag)
//!     │         ├─ field ciphertexts: 0x01 || tk_version || nonce || ct || tag
//!     │         └─ subject keys (one per shop customer), wrapped as 0x01 fields
//!     │              └─ subject fields: 0x02 || nonce || ct || tag
//!     └─ blind-index key = HKDF-SHA256(root, info "harim blind-index v1/<kind>")
//!          └─ HMAC-SHA256(normalised national ID / IBAN)
//! ```
//!
//! Byte layouts are specified in `FORMAT.md` next to this crate's `Cargo.toml`.
//!
//! # Design
//!
//! - [`KeyProvider`] is the seam for HSMs and KMSs: callers ask it to wrap/unwrap a tenant key
//!   under a root version and for blind-index keys; they never see root key bytes.
//! - [`Vault`] creates, re-wraps ([`Vault::rewrap`], for root-key rotation: O(tenants)) and
//!   rotates ([`Vault::rotate_tenant_key`]) tenant keys, caches unwrapped tenant keys (bounded
//!   size and age, keyed by tenant, versions *and* a hash of the wrapped bytes, zeroized on
//!   eviction; [`Vault::forget_tenant`] for crypto-shredding), encrypts and decrypts fields, and
//!   computes blind indexes. The cache is a small hand-rolled map (no cache crate).
//! - Field ciphertexts are bound to (tenant, table, record, field, tk_version) through the AAD:
//!   moved anywhere else, or altered in any bit, they fail with an error, never garbage.
//! - GCM with random nonces is limited to 2^32 encryptions per key (NIST SP 800-38D §8.3); we
//!   stop at [`MAX_ENCRYPTIONS_PER_TENANT_KEY`] = 2^28 and report rotation due at
//!   [`ROTATION_DUE_AT`]. The API persists the counts; [`Vault::record_persisted_count`] seeds
//!   the in-memory counter, which is the per-process backstop.
//! - [`ReloadingProvider`], which every caller's provider calls pass through, runs the calls of
//!   a provider that [`KeyProvider::blocks`] (a PKCS#11 token) under tokio's `block_in_place`
//!   on a multi-thread runtime, so a slow token never stalls an async worker; the only use of
//!   tokio here (`rt-multi-thread`, no IO).
//! - [`pii`] holds the validated types; [`pii::MerchantIdentity::parse`] reports every bad
//!   field at once and never echoes a value.
//! - [`VaultError`]'s `Display` never contains key bytes or plaintext.

pub mod aead;
mod error;
mod keyring;
pub mod pii;
mod provider;
mod reload;
mod subject;
mod vault;

pub use error::{Result, VaultError};
pub use keyring::{
    BLIND_INDEX_INFO, ENV_ROOT_KEY_ACTIVE, ENV_ROOT_KEYS, EnvKeyring, FileKeyring, KEYRING_FORMAT,
    WRAP_KEY_INFO,
};
pub use provider::{BlindIndexKind, KeyProvider, KeyState, KeyVersionInfo};
pub use reload::ReloadingProvider;
pub use subject::{SUBJECT_FIELD_FORMAT, SUBJECT_FIELD_OVERHEAD, SubjectKey};
pub use vault::{
    CacheConfig, FIELD_FORMAT_V1, FIELD_HEADER_LEN, FIELD_OVERHEAD, FieldContext, KeyUsage,
    MAX_ENCRYPTIONS_PER_TENANT_KEY, ROTATION_DUE_AT, Vault, WRAPPED_KEY_LEN, WrappedTenantKey,
    field_tk_version,
};
