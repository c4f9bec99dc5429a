//! Signed erasure receipts: JSON with no personal data, signed with Ed25519
//! (`ed25519-dalek`) over its canonical form (keys sorted at every level, no spaces), so a
//! receipt re-serialised by any JSON tool still verifies.
//!
//! The signing key is derived (HKDF, [`SIGNING_KEY_INFO`]) from the platform's tenant key, which
//! the key provider's root key wraps like every tenant key, is never rotated or shredded, and is
//! the same on every replica: the public key is stable for an installation and served at
//! `/.well-known/harim/receipt-keys`. Its id is `ed25519:` and the first 16 hex digits of the
//! SHA-256 of the public key.

use base64::{Engine, engine::general_purpose::STANDARD};
use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};
use harim_vault::Vault;
use sea_orm::ConnectionTrait;
use secrecy::ExposeSecret;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::{StoreError, ids::PLATFORM_TENANT, tenant_keys};

/// HKDF info of the receipt signing key (derived from the platform's tenant key).
pub const SIGNING_KEY_INFO: &[u8] = b"harim receipt-signing v1";

/// A receipt with its signature, as served and as kept in a file.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct SignedReceipt {
    pub receipt: Value,
    /// Base64 of the Ed25519 signature over the canonical receipt.
    pub signature: String,
    pub key_id: String,
}

/// One public key of `/.well-known/harim/receipt-keys`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct PublicKey {
    pub key_id: String,
    pub alg: String,
    /// Base64 of the 32-byte Ed25519 public key.
    pub public_key: String,
}

/// Why a receipt does not verify.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ReceiptError {
    #[error("no known key has id {0}")]
    UnknownKey(String),
    #[error("the signature is not valid base64 of 64 bytes")]
    MalformedSignature,
    #[error("the public key is not valid base64 of 32 bytes")]
    MalformedKey,
    #[error("the signature does not match the receipt")]
    BadSignature,
}

/// The canonical bytes of a JSON value: object keys sorted, no insignificant whitespace. The
/// same serialiser as the policy version hashes (`harim_policy::canonical_json_of`), so signed
/// bytes do not depend on which copy ran; a test pins them.
pub fn canonical(v: &Value) -> Vec<u8> {
    harim_policy::canonical_json_of(v).into_bytes()
}

/// The installation's receipt signer.
pub struct ReceiptSigner {
    key: SigningKey,
}

impl std::fmt::Debug for ReceiptSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReceiptSigner")
            .field("key_id", &self.key_id())
            .finish_non_exhaustive()
    }
}

impl ReceiptSigner {
    /// Derives the signer from the platform's tenant key (created only on a fresh database,
    /// see `tenant_keys::platform`) and records its public key in `receipt_keys`.
    ///
    /// The derived seed is kept in the vault's memory after the first load, so later loads
    /// cost no database read and no unwrap through the key provider (an HSM call): the
    /// unauthenticated `/.well-known/harim/receipt-keys` and every erasure use this. The
    /// platform key is never rotated, and a root rotation re-wraps it without changing it, so
    /// the kept seed never goes stale.
    pub async fn load(db: &impl ConnectionTrait, vault: &Vault) -> Result<Self, StoreError> {
        if let Some(seed) = vault.cached_derived_key(PLATFORM_TENANT, SIGNING_KEY_INFO) {
            return Ok(Self {
                key: SigningKey::from_bytes(seed.expose_secret()),
            });
        }
        let wk = tenant_keys::platform(db, vault).await?;
        let seed = vault.derive_key_cached(&wk, SIGNING_KEY_INFO)?;
        let signer = Self {
            key: SigningKey::from_bytes(seed.expose_secret()),
        };
        signer.record(db).await?;
        Ok(signer)
    }

    /// Keeps this signer's public key in the history of keys that ever signed (never removed),
    /// so receipts signed under it verify after any later change.
    async fn record(&self, db: &impl ConnectionTrait) -> Result<(), StoreError> {
        let k = self.public_key();
        db.execute(crate::db::statement(
            db,
            "INSERT INTO receipt_keys (key_id, alg, public_key, first_used_at) \
             VALUES ($1, $2, $3, $4) ON CONFLICT (key_id) DO NOTHING",
            [
                k.key_id.into(),
                k.alg.into(),
                k.public_key.into(),
                time::OffsetDateTime::now_utc().into(),
            ],
        ))
        .await?;
        Ok(())
    }

    fn key_id(&self) -> String {
        key_id(&self.key.verifying_key())
    }

    /// The public half, for the well-known document.
    pub fn public_key(&self) -> PublicKey {
        public_key(&self.key.verifying_key())
    }

    /// Signs `receipt`.
    pub fn sign(&self, receipt: Value) -> SignedReceipt {
        let sig: Signature = self.key.sign(&canonical(&receipt));
        SignedReceipt {
            receipt,
            signature: STANDARD.encode(sig.to_bytes()),
            key_id: self.key_id(),
        }
    }
}

/// Every public key that ever signed a receipt, oldest first (the current one included): the
/// document `/.well-known/harim/receipt-keys` serves and `harim receipts verify` checks
/// against, so a receipt signed before any change of key still verifies.
pub async fn published_keys(
    db: &impl ConnectionTrait,
    vault: &Vault,
) -> Result<Vec<PublicKey>, StoreError> {
    ReceiptSigner::load(db, vault).await?;
    let rows = db
        .query_all(crate::db::statement(
            db,
            "SELECT key_id, alg, public_key FROM receipt_keys ORDER BY first_used_at, key_id",
            [],
        ))
        .await?;
    rows.iter()
        .map(|r| {
            Ok(PublicKey {
                key_id: r.try_get("", "key_id")?,
                alg: r.try_get("", "alg")?,
                public_key: r.try_get("", "public_key")?,
            })
        })
        .collect()
}

fn key_id(vk: &VerifyingKey) -> String {
    format!(
        "ed25519:{}",
        hex::encode(&Sha256::digest(vk.as_bytes())[..8])
    )
}

fn public_key(vk: &VerifyingKey) -> PublicKey {
    PublicKey {
        key_id: key_id(vk),
        alg: "Ed25519".into(),
        public_key: STANDARD.encode(vk.as_bytes()),
    }
}

/// Checks `signed` against `keys` (the well-known document's list). Needs no database, no
/// network and no secret.
pub fn verify(signed: &SignedReceipt, keys: &[PublicKey]) -> Result<(), ReceiptError> {
    let key = keys
        .iter()
        .find(|k| k.key_id == signed.key_id && k.alg == "Ed25519")
        .ok_or_else(|| ReceiptError::UnknownKey(signed.key_id.clone()))?;
    let pk: [u8; 32] = STANDARD
        .decode(&key.public_key)
        .ok()
        .and_then(|b| b.try_into().ok())
        .ok_or(ReceiptError::MalformedKey)?;
    let vk = VerifyingKey::from_bytes(&pk).map_err(|_| ReceiptError::MalformedKey)?;
    // The id must be this key's own, or a key list could vouch for a key under another's name.
    if key_id(&vk) != signed.key_id {
        return Err(ReceiptError::UnknownKey(signed.key_id.clone()));
    }
    let sig: [u8; 64] = STANDARD
        .decode(&signed.signature)
        .ok()
        .and_then(|b| b.try_into().ok())
        .ok_or(ReceiptError::MalformedSignature)?;
    // `verify_strict` also refuses weak keys and malleable signatures.
    vk.verify_strict(&canonical(&signed.receipt), &Signature::from_bytes(&sig))
        .map_err(|_| ReceiptError::BadSignature)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use serde_json::json;

    fn signer() -> ReceiptSigner {
        ReceiptSigner {
            key: SigningKey::from_bytes(&[7u8; 32]),
        }
    }

    #[test]
    fn a_receipt_verifies_and_any_change_breaks_it() {
        let s = signer();
        let signed = s.sign(json!({"b": 1, "a": {"z": [1, 2], "y": "x"}}));
        let keys = vec![s.public_key()];
        verify(&signed, &keys).unwrap();
        // Key order does not matter: the canonical form sorts.
        let reordered: SignedReceipt = serde_json::from_str(
            &serde_json::to_string(
                &json!({"key_id": signed.key_id, "signature": signed.signature,
                "receipt": {"a": {"y": "x", "z": [1, 2]}, "b": 1}}),
            )
            .unwrap(),
        )
        .unwrap();
        verify(&reordered, &keys).unwrap();
        let mut tampered = signed.clone();
        tampered.receipt["b"] = json!(2);
        assert_eq!(verify(&tampered, &keys), Err(ReceiptError::BadSignature));
        let mut other = signed.clone();
        other.key_id = "ed25519:0000000000000000".into();
        assert!(matches!(
            verify(&other, &keys),
            Err(ReceiptError::UnknownKey(_))
        ));
    }

    #[test]
    fn canonical_form_sorts_keys_at_every_level() {
        let a = canonical(&json!({"b": {"d": 1, "c": 2}, "a": [true, null, "x"]}));
        assert_eq!(a, br#"{"a":[true,null,"x"],"b":{"c":2,"d":1}}"#.to_vec());
    }

    /// Receipts already handed out must keep verifying: the canonical bytes and the signature
    /// over them are pinned, for a value with every JSON shape (escapes, non-ASCII, numbers).
    #[test]
    fn signed_bytes_are_pinned() {
        let v = json!({
            "z": [1, -2, 1.5, 18446744073709551615u64, {"y": null, "x": false}],
            "a": "Gol Sorkh \u{06AF}\u{0644} \"quoted\" line\nbreak \u{2028} tab\t",
            "m": {},
            "e": [],
        });
        let bytes = canonical(&v);
        assert_eq!(
            String::from_utf8(bytes).unwrap(),
            "{\"a\":\"Gol Sorkh \u{06AF}\u{0644} \\\"quoted\\\" line\\nbreak \u{2028} tab\\t\",\"e\":[],\"m\":{},\"z\":[1,-2,1.5,18446744073709551615,{\"x\":false,\"y\":null}]}"
        );
        let signer = ReceiptSigner {
            key: SigningKey::from_bytes(&[7; 32]),
        };
        let signed = signer.sign(v);
        assert_eq!(
            signed.signature,
            "6n1JmZO6Y7hmLzszSoRIXinmwZWkr7IFkz4m2qh3Ui/0P3Qq/yTCsn0oxqHOPsCD7a2ko+M+Ilm2bYrgBM6xBA=="
        );
    }
}
