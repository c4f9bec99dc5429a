//! The key-provider abstraction: who holds the root key-encryption keys (KEKs).
//!
//! Callers (the [`crate::Vault`]) only ask a provider to *wrap* or *unwrap* a 32-byte tenant key
//! under a given root-key version, to say which versions exist and which is active, and for the
//! blind-index key of a version. Root key bytes never cross this trait, so a PKCS#11 HSM or a
//! cloud KMS can implement it (wrap/unwrap become HSM calls; the blind-index key becomes an
//! HKDF-derived, exportable secret object, or [`KeyProvider::blind_index`] is overridden to
//! compute the HMAC inside the HSM).

use secrecy::{ExposeSecret, SecretBox};
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::error::Result;

/// The lifecycle state of a root key version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum KeyState {
    /// May wrap new tenant keys and unwrap existing ones.
    Active,
    /// May only unwrap: kept so old wrapped keys stay readable until they are all re-wrapped.
    DecryptOnly,
}

/// Public facts about one root key version (never the key).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KeyVersionInfo {
    /// The version number (>= 1).
    pub version: u32,
    /// Whether it may still wrap.
    pub state: KeyState,
    /// When it was created, if the provider knows.
    #[serde(with = "time::serde::rfc3339::option")]
    pub created_at: Option<time::OffsetDateTime>,
    /// Whether this is the version new tenant keys are wrapped under.
    pub active: bool,
}

/// What a blind index is computed over; each kind has its own derived key, so equal strings of
/// different kinds never collide.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BlindIndexKind {
    /// A normalised national identifier, `CC:value` (see [`crate::pii::NationalId`]).
    NationalId,
    /// A normalised IBAN (electronic format, uppercase, no spaces).
    Iban,
}

impl BlindIndexKind {
    /// The label appended to the HKDF info string.
    pub fn label(self) -> &'static str {
        match self {
            Self::NationalId => "national_id",
            Self::Iban => "iban",
        }
    }
}

/// Holder of the versioned root keys. See the module docs.
///
/// Implementations must be cheap to call concurrently (`&self` everywhere) and must never log or
/// print key bytes; their `Debug` shows versions only.
pub trait KeyProvider: Send + Sync + std::fmt::Debug {
    /// A short name for logs and the admin API, e.g. `"file"`, `"env"`, `"pkcs11"`.
    fn kind(&self) -> &'static str;

    /// The version new tenant keys are wrapped under.
    fn active_version(&self) -> u32;

    /// Every version the provider holds, ascending.
    fn versions(&self) -> Vec<KeyVersionInfo>;

    /// The state of one version, or `None` if the provider does not hold it.
    fn state(&self, kek_version: u32) -> Option<KeyState> {
        self.versions()
            .into_iter()
            .find(|v| v.version == kek_version)
            .map(|v| v.state)
    }

    /// Wraps a 32-byte tenant key under root version `kek_version`, authenticating `aad`.
    /// Returns `nonce(12) || ciphertext(32) || tag(16)`. Fails for an unknown or decrypt-only
    /// version.
    fn wrap(&self, kek_version: u32, aad: &[u8], key: &[u8; 32]) -> Result<Vec<u8>>;

    /// Reverses [`KeyProvider::wrap`]; fails on any mismatch of version, `aad` or bytes.
    fn unwrap(&self, kek_version: u32, aad: &[u8], wrapped: &[u8]) -> Result<Zeroizing<[u8; 32]>>;

    /// The HMAC-SHA256 key for blind indexes of `kind` under root version `kek_version`:
    /// HKDF-SHA256(root key, salt = none, info = `"harim blind-index v1/" + kind label`).
    fn blind_index_key(
        &self,
        kek_version: u32,
        kind: BlindIndexKind,
    ) -> Result<SecretBox<[u8; 32]>>;

    /// HMAC-SHA256 of `data` under [`KeyProvider::blind_index_key`]. Override to keep the key
    /// inside an HSM.
    fn blind_index(&self, kek_version: u32, kind: BlindIndexKind, data: &[u8]) -> Result<[u8; 32]> {
        use hmac::{Hmac, Mac};
        let key = self.blind_index_key(kek_version, kind)?;
        let mut mac = <Hmac<sha2::Sha256> as Mac>::new_from_slice(key.expose_secret())
            .map_err(|_| crate::error::VaultError::EncryptFailed)?;
        mac.update(data);
        Ok(mac.finalize().into_bytes().into())
    }

    /// An identifier the provider's backend keeps for root version `kek_version`'s key object
    /// (a PKCS#11 CKA_ID), recorded in the database when the version is made so that another
    /// object later put under the same name is refused ([`KeyProvider::pin_key_id`]). `None`
    /// (the default): the provider has no such identifier.
    fn key_id(&self, _kek_version: u32) -> Option<Vec<u8>> {
        None
    }

    /// Binds root version `kek_version` to the identifier the database recorded for it: from
    /// now on an object of that version with another identifier is refused, and if the one the
    /// provider holds differs it answers [`crate::VaultError::KeyIdMismatch`] and stops
    /// offering the version. The default (no identifiers) accepts anything.
    fn pin_key_id(&self, _kek_version: u32, _id: &[u8]) -> Result<()> {
        Ok(())
    }

    /// Root-key rotation: adds a new random root key as the next version and makes it the
    /// active one; returns it. Read-only providers (the default) answer
    /// [`crate::VaultError::ReadOnlyProvider`].
    fn add_version(&self) -> Result<u32> {
        Err(crate::error::VaultError::ReadOnlyProvider)
    }

    /// Marks a version decrypt-only (never the active one). Read-only providers answer
    /// [`crate::VaultError::ReadOnlyProvider`].
    fn retire_version(&self, _kek_version: u32) -> Result<()> {
        Err(crate::error::VaultError::ReadOnlyProvider)
    }

    /// Removes a version for good (never the active one): every key it wrapped becomes
    /// unreadable. The caller must first prove no wrapped key references it. Read-only
    /// providers answer [`crate::VaultError::ReadOnlyProvider`].
    fn destroy_version(&self, _kek_version: u32) -> Result<()> {
        Err(crate::error::VaultError::ReadOnlyProvider)
    }

    /// Re-reads the provider's backing store (another process rotated it). Returns whether
    /// there was anything to re-read; the default (a provider fixed at start-up) is `Ok(false)`.
    fn reload(&self) -> Result<bool> {
        Ok(false)
    }

    /// Whether the backing store may hold something a [`KeyProvider::reload`] would pick up,
    /// cheaply (a file provider compares one `stat`). The default, a provider fixed at
    /// start-up, never changes.
    fn changed(&self) -> bool {
        false
    }

    /// Whether a call that uses a key or changes the store ([`KeyProvider::wrap`],
    /// [`KeyProvider::unwrap`], the blind-index calls, [`KeyProvider::pin_key_id`], the
    /// version changes, [`KeyProvider::reload`]) may wait on something outside the process (a
    /// token, a network KMS): [`crate::ReloadingProvider`] then runs it where waiting stalls no
    /// async worker. The default, `false`, is for providers that answer from memory (file and
    /// environment keyrings), which are called directly. Whatever this says,
    /// [`KeyProvider::kind`], [`KeyProvider::active_version`], [`KeyProvider::versions`],
    /// [`KeyProvider::state`], [`KeyProvider::key_id`] and [`KeyProvider::changed`] must answer
    /// from memory: every request asks them, and they are always called directly.
    fn blocks(&self) -> bool {
        false
    }
}
