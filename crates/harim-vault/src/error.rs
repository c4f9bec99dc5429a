//! The crate's one error type.
//!
//! Invariant: no variant carries key bytes, plaintext, or a user-supplied value. Variants carry
//! only versions, identifiers chosen by the operator (paths), counts and static reasons, so an
//! error can be logged and mapped to a response without leaking anything.

use std::path::PathBuf;

/// Every failure `harim-vault` reports.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum VaultError {
    /// Reading or writing the keyring file failed.
    #[error("keyring file {path}: {source}")]
    KeyringIo {
        /// The keyring file (or its temporary sibling).
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The keyring file is readable or writable by group or others.
    #[error(
        "keyring file {path} has mode {mode:04o}: it must not be accessible by group or others (chmod 600)"
    )]
    KeyringPermissions {
        /// The keyring file.
        path: PathBuf,
        /// Its permission bits.
        mode: u32,
    },
    /// The keyring (file or environment) is malformed.
    #[error("keyring {source_name} is invalid: {reason}")]
    KeyringInvalid {
        /// Which keyring: a path or an environment variable name.
        source_name: String,
        /// What is wrong (never contains key bytes).
        reason: String,
    },
    /// A keyring file already exists where one was to be created.
    #[error("keyring file {path} already exists")]
    KeyringExists {
        /// The keyring file.
        path: PathBuf,
    },
    /// The keyring file changed while a mutation held the keyring lock: between being read and
    /// being replaced (or while being read). Something wrote it without taking `<path>.lock`
    /// (an older binary, an editor, a restore). Nothing was written; re-read and retry.
    #[error(
        "keyring file {path} was changed by another writer during an update; nothing was written, retry"
    )]
    KeyringChanged {
        /// The keyring file.
        path: PathBuf,
    },
    /// The keyring is read-only (for example the environment keyring).
    #[error("this key provider is read-only")]
    ReadOnlyProvider,
    /// No root key of this version is held by the provider.
    #[error("root key version {0} is unknown to the key provider")]
    UnknownKeyVersion(u32),
    /// The root key version may only decrypt; it cannot wrap new keys.
    #[error("root key version {0} is decrypt-only and cannot wrap keys")]
    KeyVersionDecryptOnly(u32),
    /// The active root key version cannot be retired or destroyed.
    #[error("root key version {0} is the active version")]
    KeyVersionActive(u32),
    /// Unwrapping a tenant key failed: wrong root key, wrong tenant/version binding, or tampering.
    #[error("tenant key could not be unwrapped (wrong key version, tenant binding or tampered)")]
    UnwrapFailed,
    /// A fresh wrap under this root version did not unwrap to the key it wrapped, so it was not
    /// returned (and nothing stored it): the key provider is broken or misconfigured (for
    /// PKCS#11, a token whose GCM IV handling the provider does not match).
    #[error(
        "a new wrap under root key version {0} did not unwrap to its key; it was not stored (key provider fault)"
    )]
    WrapVerificationFailed(u32),
    /// An object of the key provider's backend carries a harim name but is not what a harim
    /// key must be (imported, extractable, of another type or size, usable to wrap or derive,
    /// or one of several under that name). Nothing under that name is used.
    #[error("key object {label:?} refused: {reason}")]
    KeyObjectRefused {
        /// The object's label (chosen by harim's naming, never secret).
        label: String,
        /// Which requirement it fails.
        reason: &'static str,
    },
    /// The provider's object for this root version is not the one the database recorded
    /// (its identifier differs): it was replaced, so it is not used.
    #[error(
        "root key version {0}: the key object's identifier differs from the one the database recorded; refused"
    )]
    KeyIdMismatch(u32),
    /// A wrapped tenant key has the wrong length.
    #[error("wrapped tenant key is malformed")]
    MalformedWrappedKey,
    /// Decrypting a field failed: wrong context (tenant, table, record, field), wrong key, or
    /// tampering. Deliberately one opaque variant.
    #[error("field ciphertext could not be decrypted (wrong context or key, or tampered)")]
    DecryptFailed,
    /// The field ciphertext is too short or has an unknown format byte.
    #[error("field ciphertext is malformed")]
    MalformedCiphertext,
    /// The field ciphertext was made under another tenant-key version than the one supplied.
    #[error(
        "field ciphertext uses tenant key version {found}, but version {expected} was supplied"
    )]
    TenantKeyVersionMismatch {
        /// The version of the tenant key supplied.
        expected: u32,
        /// The version named in the ciphertext header.
        found: u32,
    },
    /// The tenant key supplied belongs to another tenant than the field context.
    #[error("tenant key does not belong to the tenant of the field context")]
    TenantMismatch,
    /// The tenant key has reached [`crate::MAX_ENCRYPTIONS_PER_TENANT_KEY`]; rotate it.
    #[error("tenant key version {tk_version} has reached its encryption limit; rotate it")]
    EncryptionLimitReached {
        /// The exhausted tenant-key version.
        tk_version: u32,
    },
    /// The tenant key version cannot be incremented further.
    #[error("tenant key version overflow")]
    VersionOverflow,
    /// The operating system's random number generator failed.
    /// The provider itself failed (an HSM unreachable, a session lost): not a verdict on the
    /// data, so callers answer 503 and retry. `reason` never holds key bytes or a PIN.
    #[error("key provider {provider} unavailable: {reason}")]
    ProviderUnavailable {
        provider: &'static str,
        reason: String,
    },

    #[error("random number generator failed")]
    Rng,
    /// An AES-GCM encryption failed (input too long).
    #[error("encryption failed")]
    EncryptFailed,
}

/// Short alias used throughout the crate.
pub type Result<T, E = VaultError> = std::result::Result<T, E>;
