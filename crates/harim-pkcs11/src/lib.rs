//! `harim-pkcs11`: root keys that live in a PKCS#11 token (an HSM; SoftHSM2 in tests), behind
//! `harim-vault`'s [`KeyProvider`].
//!
//! Must never: hold a copy of a root key, log a PIN, or depend on anything of harim but the
//! vault's provider trait.
//!
//! # What lives in the token
//!
//! Per root version `N`, three secret-key objects, all generated *inside* the token
//! (`C_GenerateKey`), token-resident, private, sensitive and non-extractable:
//!
//! | label | type | used for |
//! |---|---|---|
//! | `harim-root-vN` | AES-256 | wrapping tenant keys: `C_Encrypt`/`C_Decrypt` with `CKM_AES_GCM` |
//! | `harim-bidx-vN-national_id` | generic secret, 32 bytes | blind index: `C_Sign` with `CKM_SHA256_HMAC` |
//! | `harim-bidx-vN-iban` | generic secret, 32 bytes | the same for IBANs |
//!
//! A wrapped tenant key has the layout every provider uses (`nonce(12) || ciphertext(32) ||
//! tag(16)`, see the vault's `FORMAT.md`); for this provider the nonce is the GCM IV drawn from
//! the token's RNG, the mechanism is always `CKM_AES_GCM` with a 128-bit tag, the additional
//! data is the vault's binding of tenant and versions, and the key is the object labelled
//! `harim-root-v<kek_version>` (the row's `kek_version`). GCM through `C_Encrypt` is used rather
//! than `C_WrapKey` because every HSM implements it, while the key-wrap mechanisms differ
//! (SoftHSM has no GCM wrap and its RFC 5649 wrap uses an older mechanism code).
//!
//! A version is decrypt-only when its AES key's `CKA_ENCRYPT` is false (set by
//! [`KeyProvider::retire_version`]); the active version is the highest version that may still
//! encrypt. Rotation adds version `max + 1`; destroying a version destroys its three objects.
//! Several processes share a token: every one re-reads the labels on [`KeyProvider::reload`].
//!
//! # Sessions
//!
//! One [`Pkcs11`] per process (the library is initialised once, with OS locking), and a fixed
//! pool of read-write sessions opened at start-up and kept for the life of the process. Login is
//! per token and application, so it is done once; "already logged in" is fine, and nothing ever
//! logs out (that would log out every other session). Each call borrows a session, so at most
//! `sessions` calls run in the token at once; a pool of one serialises every call, for modules
//! that are not safe to call from several threads.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::{Condvar, Mutex, MutexGuard, RwLock};

use cryptoki::context::{CInitializeArgs, CInitializeFlags, Function, Pkcs11};
use cryptoki::error::{Error as CkError, RvError};
use cryptoki::mechanism::Mechanism;
use cryptoki::mechanism::aead::GcmParams;
use cryptoki::object::{Attribute, AttributeType, KeyType, ObjectClass, ObjectHandle};
use cryptoki::session::{Session, UserType};
use cryptoki::slot::Slot;
use cryptoki::types::{AuthPin, Date};
use harim_vault::{BlindIndexKind, KeyProvider, KeyState, KeyVersionInfo, Result, VaultError};
use secrecy::{ExposeSecret, SecretBox, SecretString};
use time::OffsetDateTime;
use zeroize::Zeroizing;

const NONCE_LEN: usize = 12;
const TAG_BITS: u64 = 128;
const WRAPPED_LEN: usize = NONCE_LEN + 32 + 16;
const ROOT_PREFIX: &str = "harim-root-v";
const BIDX_PREFIX: &str = "harim-bidx-v";
const KINDS: [BlindIndexKind; 2] = [BlindIndexKind::NationalId, BlindIndexKind::Iban];

/// Where the token is and how to log in.
pub struct Pkcs11Config {
    /// Path of the vendor's PKCS#11 module (`/usr/lib/softhsm/libsofthsm2.so` for SoftHSM2).
    pub module: PathBuf,
    /// The token's label (`softhsm2-util --init-token --label ...`).
    pub token_label: String,
    /// The user PIN.
    pub pin: SecretString,
    /// Sessions kept open (at least 1; 1 serialises every call).
    pub sessions: usize,
}

impl std::fmt::Debug for Pkcs11Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pkcs11Config")
            .field("module", &self.module)
            .field("token_label", &self.token_label)
            .field("pin", &"[redacted]")
            .field("sessions", &self.sessions)
            .finish()
    }
}

/// Why the token could not be opened. The text never holds the PIN.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error("loading PKCS#11 module {module}: {reason}")]
    Load { module: String, reason: String },
    #[error("no token labelled {0:?} in any slot")]
    NoToken(String),
    #[error("PKCS#11 {0}")]
    Token(String),
}

/// The objects of one root version.
#[derive(Debug, Clone, Copy)]
struct Version {
    state: KeyState,
    created_at: Option<OffsetDateTime>,
    root: ObjectHandle,
    bidx: [ObjectHandle; 2],
}

/// A fixed set of logged-in sessions; see the module docs.
struct Pool {
    idle: Mutex<Vec<Session>>,
    freed: Condvar,
}

struct Lease<'a> {
    pool: &'a Pool,
    session: Option<Session>,
}

impl std::ops::Deref for Lease<'_> {
    type Target = Session;
    fn deref(&self) -> &Session {
        // Present from `take` until `drop`.
        self.session.as_ref().unwrap_or_else(|| unreachable!())
    }
}

impl Drop for Lease<'_> {
    fn drop(&mut self) {
        if let Some(s) = self.session.take() {
            lock(&self.pool.idle).push(s);
            self.pool.freed.notify_one();
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl Pool {
    fn take(&self) -> Lease<'_> {
        let mut idle = lock(&self.idle);
        loop {
            if let Some(session) = idle.pop() {
                return Lease {
                    pool: self,
                    session: Some(session),
                };
            }
            idle = self.freed.wait(idle).unwrap_or_else(|p| p.into_inner());
        }
    }
}

/// Root keys in a PKCS#11 token; see the module docs.
pub struct Pkcs11Provider {
    token_label: String,
    pool: Pool,
    versions: RwLock<BTreeMap<u32, Version>>,
    // Declared last: sessions close before the library is finalised.
    _ctx: Pkcs11,
}

impl std::fmt::Debug for Pkcs11Provider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let versions: Vec<u32> = self.read().keys().copied().collect();
        f.debug_struct("Pkcs11Provider")
            .field("token_label", &self.token_label)
            .field("versions", &versions)
            .finish()
    }
}

/// Any token failure that is not a verdict on the data: the HSM is unreachable or refused.
fn token_error(context: &'static str, e: CkError) -> VaultError {
    tracing::error!(error = %e, context, "PKCS#11 call failed");
    VaultError::ProviderUnavailable {
        provider: "pkcs11",
        reason: format!("{context}: {e}"),
    }
}

fn label_of(attrs: &[Attribute]) -> Option<String> {
    attrs.iter().find_map(|a| match a {
        Attribute::Label(l) => String::from_utf8(l.clone()).ok(),
        _ => None,
    })
}

impl Pkcs11Provider {
    /// Loads the module, finds the token, opens and logs in the session pool and reads which
    /// root versions the token holds. A token with none gets version 1.
    pub fn open(config: &Pkcs11Config) -> std::result::Result<Self, OpenError> {
        let ctx = Pkcs11::new(&config.module).map_err(|e| OpenError::Load {
            module: config.module.display().to_string(),
            reason: e.to_string(),
        })?;
        match ctx.initialize(CInitializeArgs::new(CInitializeFlags::OS_LOCKING_OK)) {
            Ok(()) | Err(CkError::Pkcs11(RvError::CryptokiAlreadyInitialized, _)) => {}
            Err(e) => return Err(OpenError::Token(format!("initialize: {e}"))),
        }
        let slot = find_slot(&ctx, &config.token_label)?;
        let pin = AuthPin::new(config.pin.expose_secret().into());
        let mut sessions = Vec::new();
        for _ in 0..config.sessions.max(1) {
            let s = ctx
                .open_rw_session(slot)
                .map_err(|e| OpenError::Token(format!("open session: {e}")))?;
            if sessions.is_empty() {
                match s.login(UserType::User, Some(&pin)) {
                    Ok(())
                    | Err(CkError::Pkcs11(RvError::UserAlreadyLoggedIn, Function::Login)) => {}
                    Err(e) => return Err(OpenError::Token(format!("login: {e}"))),
                }
            }
            sessions.push(s);
        }
        let provider = Self {
            token_label: config.token_label.clone(),
            pool: Pool {
                idle: Mutex::new(sessions),
                freed: Condvar::new(),
            },
            versions: RwLock::new(BTreeMap::new()),
            _ctx: ctx,
        };
        provider
            .scan()
            .map_err(|e| OpenError::Token(e.to_string()))?;
        if provider.read().is_empty() {
            provider
                .generate(1)
                .map_err(|e| OpenError::Token(e.to_string()))?;
        }
        Ok(provider)
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, BTreeMap<u32, Version>> {
        self.versions.read().unwrap_or_else(|p| p.into_inner())
    }

    fn version(&self, v: u32) -> Result<Version> {
        self.read()
            .get(&v)
            .copied()
            .ok_or(VaultError::UnknownKeyVersion(v))
    }

    /// Re-reads every harim object of the token; replaces the in-memory view at once.
    fn scan(&self) -> Result<bool> {
        let s = self.pool.take();
        let handles = s
            .find_objects(&[Attribute::Class(ObjectClass::SECRET_KEY)])
            .map_err(|e| token_error("find objects", e))?;
        let mut roots: BTreeMap<u32, (ObjectHandle, KeyState, Option<OffsetDateTime>)> =
            BTreeMap::new();
        let mut bidx: BTreeMap<(u32, usize), ObjectHandle> = BTreeMap::new();
        for h in handles {
            let attrs = s
                .get_attributes(h, &[AttributeType::Label, AttributeType::Encrypt])
                .map_err(|e| token_error("read attributes", e))?;
            let Some(label) = label_of(&attrs) else {
                continue;
            };
            if let Some(v) = label
                .strip_prefix(ROOT_PREFIX)
                .and_then(|v| v.parse::<u32>().ok())
            {
                let encrypt = attrs.iter().any(|a| matches!(a, Attribute::Encrypt(true)));
                // CKA_START_DATE is written at generation for the token's own tools; reading
                // it back failed on SoftHSM, and harim needs no creation time of a root key
                // (the rotation brake uses the rotation jobs' times).
                let created = None;
                let state = if encrypt {
                    KeyState::Active
                } else {
                    KeyState::DecryptOnly
                };
                roots.insert(v, (h, state, created));
            } else if let Some(rest) = label.strip_prefix(BIDX_PREFIX) {
                for (i, kind) in KINDS.iter().enumerate() {
                    if let Some(v) = rest
                        .strip_suffix(kind.label())
                        .and_then(|r| r.strip_suffix('-'))
                        .and_then(|v| v.parse::<u32>().ok())
                    {
                        bidx.insert((v, i), h);
                    }
                }
            }
        }
        drop(s);
        let mut next = BTreeMap::new();
        for (v, (root, state, created_at)) in roots {
            // A version whose blind-index keys are missing is half made (a crash between
            // `C_GenerateKey` calls): it is not offered, and the next rotation replaces it.
            let (Some(a), Some(b)) = (bidx.get(&(v, 0)), bidx.get(&(v, 1))) else {
                tracing::warn!(version = v, "root version without blind-index keys ignored");
                continue;
            };
            next.insert(
                v,
                Version {
                    state,
                    created_at,
                    root,
                    bidx: [*a, *b],
                },
            );
        }
        let mut cur = self.versions.write().unwrap_or_else(|p| p.into_inner());
        let changed = cur.keys().ne(next.keys())
            || cur
                .iter()
                .zip(next.iter())
                .any(|((_, a), (_, b))| a.state != b.state);
        *cur = next;
        Ok(changed)
    }

    /// Generates version `v`'s three objects in the token.
    fn generate(&self, v: u32) -> Result<()> {
        let now = OffsetDateTime::now_utc();
        let date = Date::new_from_str_slice(
            &format!("{:04}", now.year()),
            &format!("{:02}", u8::from(now.month())),
            &format!("{:02}", now.day()),
        )
        .map_err(|e| token_error("start date", e))?;
        let common = |label: String| {
            vec![
                Attribute::Token(true),
                Attribute::Private(true),
                Attribute::Sensitive(true),
                Attribute::Extractable(false),
                Attribute::Label(label.into_bytes()),
                Attribute::StartDate(date),
                Attribute::ValueLen(32.into()),
            ]
        };
        let s = self.pool.take();
        let mut aes = common(format!("{ROOT_PREFIX}{v}"));
        aes.extend([
            Attribute::KeyType(KeyType::AES),
            Attribute::Encrypt(true),
            Attribute::Decrypt(true),
        ]);
        let mut made = Vec::new();
        let result = (|| {
            made.push(
                s.generate_key(&Mechanism::AesKeyGen, &aes)
                    .map_err(|e| token_error("generate root key", e))?,
            );
            for kind in KINDS {
                let mut mac = common(format!("{BIDX_PREFIX}{v}-{}", kind.label()));
                mac.extend([
                    Attribute::KeyType(KeyType::GENERIC_SECRET),
                    Attribute::Sign(true),
                    Attribute::Verify(true),
                ]);
                made.push(
                    s.generate_key(&Mechanism::GenericSecretKeyGen, &mac)
                        .map_err(|e| token_error("generate blind-index key", e))?,
                );
            }
            Ok(())
        })();
        if result.is_err() {
            for h in made {
                let _ = s.destroy_object(h);
            }
        }
        drop(s);
        result?;
        self.scan()?;
        Ok(())
    }
}

/// One GCM seal through the token, laid out as `iv || ciphertext || tag` with the IV the token
/// *used*: `encrypt` gets parameters over a buffer holding the proposed `iv`, and the IV is read
/// back from that buffer after the call. A token that generates GCM IVs itself (AWS CloudHSM
/// always, Luna in FIPS mode) writes its own into the parameters; storing the proposed one
/// would make the wrap unrecoverable (the vault's wrap check would then refuse it).
fn seal_gcm(
    iv: [u8; NONCE_LEN],
    aad: &[u8],
    encrypt: impl FnOnce(GcmParams<'_>) -> std::result::Result<Vec<u8>, CkError>,
) -> Result<Vec<u8>> {
    let mut iv_param = iv;
    let params = GcmParams::new(&mut iv_param, aad, TAG_BITS.into())
        .map_err(|e| token_error("GCM parameters", e))?;
    let sealed = encrypt(params).map_err(|e| token_error("wrap", e))?;
    if sealed.len() != 32 + 16 {
        return Err(VaultError::EncryptFailed);
    }
    let mut out = Vec::with_capacity(WRAPPED_LEN);
    // The parameters are gone with the call; their buffer holds what the token wrote back.
    out.extend_from_slice(&iv_param);
    out.extend_from_slice(&sealed);
    Ok(out)
}

fn find_slot(ctx: &Pkcs11, label: &str) -> std::result::Result<Slot, OpenError> {
    let slots = ctx
        .get_slots_with_token()
        .map_err(|e| OpenError::Token(format!("list slots: {e}")))?;
    for slot in slots {
        let info = ctx
            .get_token_info(slot)
            .map_err(|e| OpenError::Token(format!("token info: {e}")))?;
        if info.label().trim_end() == label {
            return Ok(slot);
        }
    }
    Err(OpenError::NoToken(label.to_owned()))
}

impl KeyProvider for Pkcs11Provider {
    fn kind(&self) -> &'static str {
        "pkcs11"
    }

    fn active_version(&self) -> u32 {
        self.read()
            .iter()
            .rev()
            .find(|(_, v)| v.state == KeyState::Active)
            .map(|(n, _)| *n)
            .unwrap_or(0)
    }

    fn versions(&self) -> Vec<KeyVersionInfo> {
        let active = self.active_version();
        self.read()
            .iter()
            .map(|(n, v)| KeyVersionInfo {
                version: *n,
                state: v.state,
                created_at: v.created_at,
                active: *n == active,
            })
            .collect()
    }

    fn wrap(&self, kek_version: u32, aad: &[u8], key: &[u8; 32]) -> Result<Vec<u8>> {
        let v = self.version(kek_version)?;
        if v.state != KeyState::Active {
            return Err(VaultError::KeyVersionDecryptOnly(kek_version));
        }
        let s = self.pool.take();
        let mut iv = [0u8; NONCE_LEN];
        s.generate_random_slice(&mut iv)
            .map_err(|e| token_error("random IV", e))?;
        seal_gcm(iv, aad, |params| {
            s.encrypt(&Mechanism::AesGcm(params), v.root, key)
        })
    }

    fn unwrap(&self, kek_version: u32, aad: &[u8], wrapped: &[u8]) -> Result<Zeroizing<[u8; 32]>> {
        if wrapped.len() != WRAPPED_LEN {
            return Err(VaultError::MalformedWrappedKey);
        }
        let v = self.version(kek_version)?;
        let (iv, sealed) = wrapped.split_at(NONCE_LEN);
        let mut iv =
            <[u8; NONCE_LEN]>::try_from(iv).map_err(|_| VaultError::MalformedWrappedKey)?;
        let params = GcmParams::new(&mut iv, aad, TAG_BITS.into())
            .map_err(|e| token_error("GCM parameters", e))?;
        let s = self.pool.take();
        let plain = Zeroizing::new(
            s.decrypt(&Mechanism::AesGcm(params), v.root, sealed)
                .map_err(|e| match e {
                    // The tag did not verify: the bytes, the binding or the version are wrong.
                    CkError::Pkcs11(
                        RvError::EncryptedDataInvalid
                        | RvError::EncryptedDataLenRange
                        | RvError::DataInvalid,
                        _,
                    ) => VaultError::UnwrapFailed,
                    // SoftHSM (and some HSMs) answer a failed tag with CKR_GENERAL_ERROR or
                    // CKR_FUNCTION_FAILED. If the same session still answers, the token is fine
                    // and the failure was the data's; otherwise the token is unavailable.
                    CkError::Pkcs11(RvError::GeneralError | RvError::FunctionFailed, _)
                        if s.get_session_info().is_ok() =>
                    {
                        VaultError::UnwrapFailed
                    }
                    e => token_error("unwrap", e),
                })?,
        );
        let mut out = Zeroizing::new([0u8; 32]);
        if plain.len() != 32 {
            return Err(VaultError::UnwrapFailed);
        }
        out.copy_from_slice(&plain);
        Ok(out)
    }

    /// The HMAC key never leaves the token: only [`KeyProvider::blind_index`] can use it.
    fn blind_index_key(
        &self,
        _kek_version: u32,
        _kind: BlindIndexKind,
    ) -> Result<SecretBox<[u8; 32]>> {
        Err(VaultError::ProviderUnavailable {
            provider: "pkcs11",
            reason: "blind-index keys are not extractable from the token".into(),
        })
    }

    fn blind_index(&self, kek_version: u32, kind: BlindIndexKind, data: &[u8]) -> Result<[u8; 32]> {
        let v = self.version(kek_version)?;
        let key = v.bidx[usize::from(kind == BlindIndexKind::Iban)];
        let s = self.pool.take();
        let mac = s
            .sign(&Mechanism::Sha256Hmac, key, data)
            .map_err(|e| token_error("blind index", e))?;
        <[u8; 32]>::try_from(mac.as_slice()).map_err(|_| VaultError::EncryptFailed)
    }

    fn add_version(&self) -> Result<u32> {
        // Another process may have rotated since this one last looked.
        self.scan()?;
        let next = self
            .read()
            .keys()
            .next_back()
            .copied()
            .unwrap_or(0)
            .checked_add(1)
            .ok_or(VaultError::VersionOverflow)?;
        self.generate(next)?;
        Ok(next)
    }

    fn retire_version(&self, kek_version: u32) -> Result<()> {
        let v = self.version(kek_version)?;
        if kek_version == self.active_version() {
            return Err(VaultError::KeyVersionActive(kek_version));
        }
        if v.state == KeyState::DecryptOnly {
            return Ok(());
        }
        let s = self.pool.take();
        s.update_attributes(v.root, &[Attribute::Encrypt(false)])
            .map_err(|e| token_error("retire", e))?;
        drop(s);
        self.scan()?;
        Ok(())
    }

    fn destroy_version(&self, kek_version: u32) -> Result<()> {
        let v = self.version(kek_version)?;
        if kek_version == self.active_version() {
            return Err(VaultError::KeyVersionActive(kek_version));
        }
        let s = self.pool.take();
        for h in [v.root, v.bidx[0], v.bidx[1]] {
            s.destroy_object(h).map_err(|e| token_error("destroy", e))?;
        }
        drop(s);
        self.scan()?;
        Ok(())
    }

    fn reload(&self) -> Result<bool> {
        self.scan()
    }

    /// Asking the token is as costly as re-reading it, so the caller's rate limit decides.
    fn changed(&self) -> bool {
        false
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design
    use super::*;

    /// A token that writes its own IV into the parameters (as CloudHSM does): the stored wrap
    /// carries the token's IV, not the one proposed.
    #[test]
    fn the_iv_the_token_wrote_back_is_the_one_stored() {
        let proposed = [1u8; NONCE_LEN];
        let token_iv = [9u8; NONCE_LEN];
        let out = seal_gcm(proposed, b"aad", |mut params| {
            assert_eq!(params.iv(), &proposed);
            assert_eq!(params.aad(), b"aad");
            params.iv().copy_from_slice(&token_iv);
            Ok(vec![5u8; 48])
        })
        .unwrap();
        assert_eq!(out.len(), WRAPPED_LEN);
        assert_eq!(&out[..NONCE_LEN], &token_iv);
        assert_eq!(&out[NONCE_LEN..], &[5u8; 48]);

        // A token that keeps the proposed IV (SoftHSM): stored as proposed.
        let out = seal_gcm(proposed, b"aad", |_| Ok(vec![5u8; 48])).unwrap();
        assert_eq!(&out[..NONCE_LEN], &proposed);

        // A ciphertext of the wrong length is refused, never stored.
        assert!(seal_gcm(proposed, b"aad", |_| Ok(vec![5u8; 47])).is_err());
    }
}
