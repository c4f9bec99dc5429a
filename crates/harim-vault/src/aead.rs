//! The one AES-256-GCM primitive every other module goes through (and the Wycheproof tests too).
//!
//! Only 96-bit nonces and 128-bit tags are accepted: other IV sizes are where GCM's known
//! authentication bypasses live (zero-length IV, CVE-2017-7822; counter wrap with long IVs).

use aes_gcm::aead::{Aead, AeadInPlace, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce, Tag};
use rand::RngCore;
use rand::rngs::OsRng;
use zeroize::Zeroizing;

use crate::error::{Result, VaultError};

/// Nonce length in bytes (96 bits).
pub const NONCE_LEN: usize = 12;
/// Authentication tag length in bytes (128 bits).
pub const TAG_LEN: usize = 16;
/// AES-256 key length in bytes.
pub const KEY_LEN: usize = 32;

/// A keyed AES-256-GCM instance. Not `Debug`.
///
/// What is wiped, with the `zeroize` features this crate turns on for `aes` 0.8.4, `aes-gcm`
/// 0.10.3, `ghash` 0.5.1 and `polyval` 0.6.2:
///
/// - the AES-256 key schedule (all round keys), when the `Cipher` is dropped (`aes`; its
///   CPU-autodetect wrapper drops, and so wipes, whichever backend is in use);
/// - the temporary copies of the GHASH key H = AES_K(0^128) made while keying, right after use
///   (`aes-gcm` and `ghash`);
/// - the per-message GHASH state of every seal and open (a clone holding H and the running
///   accumulator), when its tag is finalized (`polyval`).
///
/// Not wiped: the `Cipher`'s own long-lived copy of H. On x86/x86_64 (and aarch64 built with
/// `--cfg polyval_armv8`) polyval 0.6.2 keeps its backend in a `ManuallyDrop` union inside its
/// CPU-autodetect type, which has no `Drop`, so the backend's zeroizing `Drop` never runs for
/// that copy and it stays in freed memory; only the portable software backend (other targets)
/// wipes it. H is not the AES key and decrypts nothing, but together with one ciphertext and its
/// tag it lets an attacker forge tags under that ciphertext's nonce. Wiping it would take
/// `unsafe` or an upstream fix. Copies the compiler leaves in registers or on the stack are not
/// wiped either.
pub struct Cipher(Aes256Gcm);

impl Cipher {
    /// Builds a cipher from a 32-byte key.
    pub fn new(key: &[u8; KEY_LEN]) -> Self {
        Self(Aes256Gcm::new(key.into()))
    }

    /// Encrypts with a fresh random 96-bit nonce from the OS RNG and returns
    /// `nonce || ciphertext || tag`, with `prefix` written in front of it (pass `&[]` for none).
    pub fn seal_random(&self, prefix: &[u8], aad: &[u8], plaintext: &[u8]) -> Result<Vec<u8>> {
        let mut nonce = [0u8; NONCE_LEN];
        OsRng
            .try_fill_bytes(&mut nonce)
            .map_err(|_| VaultError::Rng)?;
        let ct = self.seal(&nonce, aad, plaintext)?;
        let mut out = Vec::with_capacity(prefix.len() + NONCE_LEN + ct.len());
        out.extend_from_slice(prefix);
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&ct);
        Ok(out)
    }

    /// Decrypts `nonce || ciphertext || tag`.
    pub fn open_combined(&self, aad: &[u8], data: &[u8]) -> Result<Zeroizing<Vec<u8>>> {
        if data.len() < NONCE_LEN + TAG_LEN {
            return Err(VaultError::MalformedCiphertext);
        }
        let (nonce, ct) = data.split_at(NONCE_LEN);
        let nonce: &[u8; NONCE_LEN] = nonce
            .try_into()
            .map_err(|_| VaultError::MalformedCiphertext)?;
        self.open(nonce, aad, ct)
    }

    /// Raw seal with a caller-chosen nonce: returns `ciphertext || tag`. Only for tests and
    /// known-answer vectors; production paths use [`Cipher::seal_random`].
    pub fn seal(&self, nonce: &[u8; NONCE_LEN], aad: &[u8], plaintext: &[u8]) -> Result<Vec<u8>> {
        self.0
            .encrypt(
                Nonce::from_slice(nonce),
                Payload {
                    msg: plaintext,
                    aad,
                },
            )
            .map_err(|_| VaultError::EncryptFailed)
    }

    /// Raw open of `ciphertext || tag` with the given nonce. Decrypts into a zeroizing buffer,
    /// so even the unauthenticated output of a failed attempt is wiped.
    pub fn open(
        &self,
        nonce: &[u8; NONCE_LEN],
        aad: &[u8],
        ct_and_tag: &[u8],
    ) -> Result<Zeroizing<Vec<u8>>> {
        if ct_and_tag.len() < TAG_LEN {
            return Err(VaultError::MalformedCiphertext);
        }
        let (ct, tag) = ct_and_tag.split_at(ct_and_tag.len() - TAG_LEN);
        let mut buf = Zeroizing::new(ct.to_vec());
        self.0
            .decrypt_in_place_detached(
                Nonce::from_slice(nonce),
                aad,
                &mut buf,
                Tag::from_slice(tag),
            )
            .map_err(|_| VaultError::DecryptFailed)?;
        Ok(buf)
    }
}

impl std::fmt::Debug for Cipher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Cipher(AES-256-GCM, key redacted)")
    }
}
