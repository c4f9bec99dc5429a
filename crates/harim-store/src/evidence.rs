//! The audit key and the MACs made with it: the evidence a database writer cannot forge.
//!
//! The audit key is derived (HKDF, info [`AUDIT_KEY_INFO`]) from the platform's own tenant key
//! (the `tenant_keys` row of [`PLATFORM_TENANT`], wrapped under the root key like every tenant
//! key; never rotated or shredded, so old MACs stay verifiable). Someone who can write the
//! database but cannot unwrap that key (a DBA, a leaked application credential, SQL injection
//! elsewhere) can delete evidence, and is then caught by what refers to it, but cannot make new
//! evidence: chain links and pruning marks ([`crate::audit`]), erasure fences
//! ([`crate::fence`]) and data-request rows ([`crate::rights`]) each carry a MAC under this
//! key with a label of their own, so one kind of MAC can never be passed off as another.

use std::sync::Arc;

use hmac::{Hmac, Mac};
use sea_orm::ConnectionTrait;
use secrecy::{ExposeSecret, SecretBox};
use sha2::Sha256;

use harim_vault::Vault;

use crate::{error::StoreError, ids::PLATFORM_TENANT, tenant_keys};

/// HKDF info of the audit key (derived from the platform's tenant key).
pub const AUDIT_KEY_INFO: &[u8] = b"harim audit-chain v2";

pub(crate) type AuditKey = Arc<SecretBox<[u8; 32]>>;

/// The audit key, from the vault's memory or derived from the platform's tenant key.
pub(crate) async fn audit_key(
    db: &impl ConnectionTrait,
    vault: &Vault,
) -> Result<AuditKey, StoreError> {
    if let Some(k) = vault.cached_derived_key(PLATFORM_TENANT, AUDIT_KEY_INFO) {
        return Ok(k);
    }
    let wk = tenant_keys::platform(db, vault).await?;
    Ok(vault.derive_key_cached(&wk, AUDIT_KEY_INFO)?)
}

/// A fresh HMAC-SHA256 under the audit key.
pub(crate) fn mac(key: &AuditKey) -> Result<Hmac<Sha256>, StoreError> {
    <Hmac<Sha256> as Mac>::new_from_slice(key.expose_secret())
        .map_err(|e| StoreError::internal("audit key", e))
}

/// The MAC of `parts` under `label`, each part length-prefixed so no two lists of parts give
/// the same input.
pub(crate) fn tag(key: &AuditKey, label: &[u8], parts: &[&[u8]]) -> Result<Vec<u8>, StoreError> {
    let mut m = mac(key)?;
    m.update(label);
    for p in parts {
        m.update(&(p.len() as u32).to_be_bytes());
        m.update(p);
    }
    Ok(m.finalize().into_bytes().to_vec())
}

/// Whether `tag` is the MAC of `parts` under `label` (compared in constant time).
pub(crate) fn holds(
    key: &AuditKey,
    label: &[u8],
    parts: &[&[u8]],
    tag: &[u8],
) -> Result<bool, StoreError> {
    let mut m = mac(key)?;
    m.update(label);
    for p in parts {
        m.update(&(p.len() as u32).to_be_bytes());
        m.update(p);
    }
    Ok(m.verify_slice(tag).is_ok())
}

/// Counts and logs evidence that failed its check: the alert an operator watches
/// (`harim_tampering_detected_total{what}`), never silent.
pub(crate) fn tampering(what: &'static str, detail: &str) {
    metrics::counter!("harim_tampering_detected_total", "what" => what).increment(1);
    tracing::error!(
        what,
        detail,
        "evidence failed its check: the database was written by someone other than harim"
    );
}

/// Now, at the microsecond precision both SQLite and PostgreSQL keep, so a MAC over a stored
/// time recomputes to the same bytes after a round trip through either.
pub(crate) fn now_micros() -> time::OffsetDateTime {
    let now = time::OffsetDateTime::now_utc();
    now.replace_nanosecond(now.nanosecond() / 1_000 * 1_000)
        .unwrap_or(now)
}

/// A time as MACed: microseconds since the epoch, big-endian.
pub(crate) fn micros(t: time::OffsetDateTime) -> [u8; 16] {
    (t.unix_timestamp_nanos() / 1_000).to_be_bytes()
}
