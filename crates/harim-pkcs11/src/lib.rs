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
//! Every object under a harim label is checked on every scan (`check_object`): token, private,
//! sensitive and always sensitive, not extractable and never extractable, generated in the
//! token (`CKA_LOCAL`), no `CKA_DERIVE`/`CKA_WRAP`/`CKA_UNWRAP`, 32 bytes, the right key type
//! and use (AES with `CKA_DECRYPT`; generic secret with `CKA_SIGN`), one object per label, and
//! the three objects of a version share one non-empty `CKA_ID` (random, set at generation),
//! which the store records and pins ([`KeyProvider::pin_key_id`]). Anything else fails the scan
//! (and so [`Pkcs11Provider::open`]) with the label and the failed requirement: a planted key
//! under a harim label is never adopted as a root key. A new version takes the number after
//! every number any object carries, so a half-made version's number is never reused.
//!
//! A version is decrypt-only when its AES key's `CKA_ENCRYPT` is false (set by
//! [`KeyProvider::retire_version`]); the active version is the highest version that may still
//! encrypt. Rotation adds version `max + 1`; destroying a version destroys its three objects.
//! Several processes share a token: every one re-reads the labels on [`KeyProvider::reload`].
//!
//! # Sessions
//!
//! One [`Pkcs11`] per process (the library is initialised once, with OS locking), and a fixed
//! pool of read-write sessions opened at start-up. Login is per token and application; "already
//! logged in" is fine, and nothing ever logs out (that would log out every other session). A
//! call that fails because its session, login or token is gone (`SessionHandleInvalid`,
//! `SessionClosed`, `UserNotLoggedIn`, `DeviceRemoved`, `TokenNotPresent`, or a key handle
//! that stopped being valid) closes that session, opens and logs in a fresh one, re-reads the
//! token (handles may change with a login) and runs once more. Each call borrows a session, so at most
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
use cryptoki::session::{Session, SessionState, UserType};
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
/// The longest a call waits for a free session. A token that stopped answering holds every
/// session; without a bound each waiting call would hold its thread for good (off the tokio
/// workers, since the provider [`KeyProvider::blocks`], but still a thread). Past it the call
/// fails as `ProviderUnavailable`, which the API answers 503.
const SESSION_WAIT: std::time::Duration = std::time::Duration::from_secs(5);

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
#[derive(Debug, Clone)]
struct Version {
    state: KeyState,
    created_at: Option<OffsetDateTime>,
    root: ObjectHandle,
    bidx: [ObjectHandle; 2],
    /// The CKA_ID the version's three objects share (random, set at generation).
    id: Vec<u8>,
}

/// A fixed number of logged-in sessions; see the module docs.
struct Pool {
    /// Idle sessions, and how many of the pool's sessions are missing (discarded after a token
    /// error and not yet re-opened).
    idle: Mutex<(Vec<Session>, usize)>,
    freed: Condvar,
    ctx: Pkcs11,
    slot: Slot,
    pin: AuthPin,
    /// [`SESSION_WAIT`], shorter in tests.
    wait: std::time::Duration,
}

struct Lease<'a> {
    pool: &'a Pool,
    session: Option<Session>,
}

impl std::ops::Deref for Lease<'_> {
    type Target = Session;
    fn deref(&self) -> &Session {
        // Present from `take` until `drop` (a failed `replace` leaves `drop` to count it).
        self.session.as_ref().unwrap_or_else(|| unreachable!())
    }
}

impl Drop for Lease<'_> {
    fn drop(&mut self) {
        let mut idle = lock(&self.pool.idle);
        match self.session.take() {
            Some(s) => idle.0.push(s),
            None => idle.1 += 1,
        }
        drop(idle);
        self.pool.freed.notify_one();
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// Whether a call failed because its session (or the login, or the token) is gone, rather than
/// because of the data: such a session is useless for good, so it is closed and a fresh one
/// opened and logged in (a token that restarted, an HSM fail-over, a logout by another
/// application of this process).
fn session_lost(e: &CkError) -> bool {
    matches!(
        e,
        CkError::Pkcs11(
            RvError::SessionHandleInvalid
                | RvError::SessionClosed
                | RvError::UserNotLoggedIn
                | RvError::DeviceRemoved
                | RvError::TokenNotPresent,
            _
        )
    )
}

impl Pool {
    /// A new read-write session, logged in ("already logged in" is fine: login is per token
    /// and application, not per session).
    fn open_session(&self) -> std::result::Result<Session, CkError> {
        let s = self.ctx.open_rw_session(self.slot)?;
        match s.login(UserType::User, Some(&self.pin)) {
            Ok(()) | Err(CkError::Pkcs11(RvError::UserAlreadyLoggedIn, Function::Login)) => Ok(s),
            Err(e) => Err(e),
        }
    }

    fn take(&self) -> Result<Lease<'_>> {
        let deadline = std::time::Instant::now() + self.wait;
        let mut idle = lock(&self.idle);
        loop {
            if let Some(session) = idle.0.pop() {
                return Ok(Lease {
                    pool: self,
                    session: Some(session),
                });
            }
            if idle.1 > 0 {
                // Replace a session discarded earlier, outside the lock.
                idle.1 -= 1;
                drop(idle);
                let mut lease = Lease {
                    pool: self,
                    session: None,
                };
                lease.session = Some(
                    self.open_session()
                        .map_err(|e| token_error("re-open session", e))?,
                );
                return Ok(lease);
            }
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            if left.is_zero() {
                tracing::error!(wait = ?self.wait, "no PKCS#11 session became free");
                return Err(VaultError::ProviderUnavailable {
                    provider: "pkcs11",
                    reason: format!("no session free within {:?}", self.wait),
                });
            }
            idle = self
                .freed
                .wait_timeout(idle, left)
                .unwrap_or_else(|p| p.into_inner())
                .0;
        }
    }

    /// Runs `f` on a session. `Ok(Err(e))`: it failed because the session was lost
    /// ([`session_lost`]); that session has been closed and a fresh, logged-in one put in its
    /// place, so the caller may try again (object handles may have changed with the login).
    fn attempt<T>(
        &self,
        context: &'static str,
        f: impl Fn(&Session) -> std::result::Result<T, CkError>,
    ) -> Result<std::result::Result<T, CkError>> {
        let mut lease = self.take()?;
        match f(&lease) {
            Ok(t) => Ok(Ok(t)),
            // A handle that stopped being valid: the login was lost under the session (a
            // logout by another part of this process drops private handles, as SoftHSM shows)
            // or the token restarted. Same remedy: a fresh session, a new login, a re-read.
            Err(e)
                if session_lost(&e)
                    || matches!(
                        e,
                        CkError::Pkcs11(
                            RvError::KeyHandleInvalid | RvError::ObjectHandleInvalid,
                            _
                        )
                    ) =>
            {
                tracing::warn!(error = %e, context, "PKCS#11 session lost; re-opening it");
                lease.replace()?;
                Ok(Err(e))
            }
            Err(e) => Err(token_error(context, e)),
        }
    }

    /// [`Pool::attempt`], tried once more on a fresh session when the first one was lost. For
    /// calls that hold no object handle across sessions (finding objects, random bytes).
    fn with<T>(
        &self,
        context: &'static str,
        f: impl Fn(&Session) -> std::result::Result<T, CkError>,
    ) -> Result<T> {
        match self.attempt(context, &f)? {
            Ok(t) => Ok(t),
            Err(_) => self
                .attempt(context, &f)?
                .map_err(|e| token_error(context, e)),
        }
    }
}

impl Lease<'_> {
    /// Closes this lease's session and puts a fresh, logged-in one in its place.
    fn replace(&mut self) -> Result<()> {
        self.session = None;
        self.session = Some(
            self.pool
                .open_session()
                .map_err(|e| token_error("re-open session", e))?,
        );
        Ok(())
    }

    /// Closes this lease's session for good; the pool re-opens one when it is next short.
    fn discard(&mut self) {
        self.session = None;
    }
}

/// Root keys in a PKCS#11 token; see the module docs.
pub struct Pkcs11Provider {
    token_label: String,
    pool: Pool,
    versions: RwLock<BTreeMap<u32, Version>>,
    /// The highest version number any harim object of the token carries, half-made ones
    /// included: a new version takes the next number, never one a crash left objects of.
    highest: RwLock<u32>,
    /// CKA_IDs the database recorded per version ([`KeyProvider::pin_key_id`]): an object of
    /// that version with another id is refused.
    pinned: RwLock<BTreeMap<u32, Vec<u8>>>,
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

/// What a harim object is, by its label.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Role {
    Root(u32),
    Bidx(u32, usize),
}

fn role_of(label: &str) -> Option<Role> {
    if let Some(v) = label
        .strip_prefix(ROOT_PREFIX)
        .and_then(|v| v.parse::<u32>().ok())
    {
        return Some(Role::Root(v));
    }
    let rest = label.strip_prefix(BIDX_PREFIX)?;
    KINDS.iter().enumerate().find_map(|(i, kind)| {
        rest.strip_suffix(kind.label())
            .and_then(|r| r.strip_suffix('-'))
            .and_then(|v| v.parse::<u32>().ok())
            .map(|v| Role::Bidx(v, i))
    })
}

/// Every attribute [`check_object`] reads.
const CHECKED: [AttributeType; 16] = [
    AttributeType::Label,
    AttributeType::KeyType,
    AttributeType::Token,
    AttributeType::Private,
    AttributeType::Sensitive,
    AttributeType::AlwaysSensitive,
    AttributeType::Extractable,
    AttributeType::NeverExtractable,
    AttributeType::Local,
    AttributeType::Derive,
    AttributeType::Wrap,
    AttributeType::Unwrap,
    AttributeType::Encrypt,
    AttributeType::Decrypt,
    AttributeType::Sign,
    AttributeType::ValueLen,
];

/// What a harim object must be to be adopted, checked on every scan: a key anyone could have
/// planted under a harim label (imported, so its value is known; extractable; of another
/// type; usable to wrap out or derive from) would otherwise become a root key. Every check
/// fails closed: an attribute the token does not report counts as the wrong value.
/// Returns the object's encrypt flag and CKA_ID.
fn check_object(
    role: Role,
    attrs: &[Attribute],
    id: Vec<u8>,
) -> std::result::Result<(bool, Vec<u8>), &'static str> {
    let flag = |t: AttributeType| {
        attrs.iter().find_map(|a| match (a, t) {
            (Attribute::Token(b), AttributeType::Token)
            | (Attribute::Private(b), AttributeType::Private)
            | (Attribute::Sensitive(b), AttributeType::Sensitive)
            | (Attribute::AlwaysSensitive(b), AttributeType::AlwaysSensitive)
            | (Attribute::Extractable(b), AttributeType::Extractable)
            | (Attribute::NeverExtractable(b), AttributeType::NeverExtractable)
            | (Attribute::Local(b), AttributeType::Local)
            | (Attribute::Derive(b), AttributeType::Derive)
            | (Attribute::Wrap(b), AttributeType::Wrap)
            | (Attribute::Unwrap(b), AttributeType::Unwrap)
            | (Attribute::Encrypt(b), AttributeType::Encrypt)
            | (Attribute::Decrypt(b), AttributeType::Decrypt)
            | (Attribute::Sign(b), AttributeType::Sign) => Some(*b),
            _ => None,
        })
    };
    let must = |t: AttributeType, want: bool, why: &'static str| {
        if flag(t) == Some(want) {
            Ok(())
        } else {
            Err(why)
        }
    };
    let key_type = attrs.iter().find_map(|a| match a {
        Attribute::KeyType(k) => Some(*k),
        _ => None,
    });
    let value_len = attrs.iter().find_map(|a| match a {
        Attribute::ValueLen(l) => Some(u64::from(*l)),
        _ => None,
    });
    match role {
        Role::Root(_) => {
            if key_type != Some(KeyType::AES) {
                return Err("not an AES key");
            }
            must(AttributeType::Decrypt, true, "CKA_DECRYPT is not true")?;
        }
        Role::Bidx(..) => {
            if key_type != Some(KeyType::GENERIC_SECRET) {
                return Err("not a generic secret key");
            }
            must(AttributeType::Sign, true, "CKA_SIGN is not true")?;
        }
    }
    must(AttributeType::Token, true, "not a token object (CKA_TOKEN)")?;
    must(AttributeType::Private, true, "not private (CKA_PRIVATE)")?;
    must(
        AttributeType::Sensitive,
        true,
        "not sensitive (CKA_SENSITIVE)",
    )?;
    must(
        AttributeType::AlwaysSensitive,
        true,
        "not always sensitive (CKA_ALWAYS_SENSITIVE)",
    )?;
    must(
        AttributeType::Extractable,
        false,
        "extractable (CKA_EXTRACTABLE)",
    )?;
    must(
        AttributeType::NeverExtractable,
        true,
        "was once extractable (CKA_NEVER_EXTRACTABLE)",
    )?;
    must(
        AttributeType::Local,
        true,
        "not generated in the token (CKA_LOCAL)",
    )?;
    must(AttributeType::Derive, false, "may derive keys (CKA_DERIVE)")?;
    must(AttributeType::Wrap, false, "may wrap keys out (CKA_WRAP)")?;
    must(
        AttributeType::Unwrap,
        false,
        "may unwrap keys in (CKA_UNWRAP)",
    )?;
    if value_len != Some(32) {
        return Err("not 32 bytes long (CKA_VALUE_LEN)");
    }
    if id.is_empty() {
        return Err("has no CKA_ID");
    }
    Ok((flag(AttributeType::Encrypt) == Some(true), id))
}

fn refused(label: &str, reason: &'static str) -> VaultError {
    tracing::error!(label, reason, "PKCS#11 object refused");
    VaultError::KeyObjectRefused {
        label: label.to_owned(),
        reason,
    }
}

impl Pkcs11Provider {
    /// [`Pkcs11Provider::connect`], then version 1 generated if the token holds none. Only for a
    /// process that knows it is alone on the token: two processes opening an empty token at
    /// once would both generate version 1 (two objects under one label, which every later scan
    /// refuses). `harim` connects and lets `harim_store::rotation::first_version` make version
    /// 1 under a database lock.
    pub fn open(config: &Pkcs11Config) -> std::result::Result<Self, OpenError> {
        let provider = Self::connect(config)?;
        if provider.read().is_empty() {
            provider
                .add_version()
                .map_err(|e| OpenError::Token(e.to_string()))?;
        }
        Ok(provider)
    }

    /// Loads the module, finds the token, opens and logs in the session pool and reads which
    /// root versions the token holds, possibly none.
    pub fn connect(config: &Pkcs11Config) -> std::result::Result<Self, OpenError> {
        let ctx = Pkcs11::new(&config.module).map_err(|e| OpenError::Load {
            module: config.module.display().to_string(),
            reason: e.to_string(),
        })?;
        match ctx.initialize(CInitializeArgs::new(CInitializeFlags::OS_LOCKING_OK)) {
            Ok(()) | Err(CkError::Pkcs11(RvError::CryptokiAlreadyInitialized, _)) => {}
            Err(e) => return Err(OpenError::Token(format!("initialize: {e}"))),
        }
        let slot = find_slot(&ctx, &config.token_label)?;
        let pool = Pool {
            idle: Mutex::new((Vec::new(), 0)),
            freed: Condvar::new(),
            ctx: ctx.clone(),
            slot,
            pin: AuthPin::new(config.pin.expose_secret().into()),
            wait: SESSION_WAIT,
        };
        let mut sessions = Vec::new();
        for _ in 0..config.sessions.max(1) {
            sessions.push(
                pool.open_session()
                    .map_err(|e| OpenError::Token(format!("open session and log in: {e}")))?,
            );
        }
        lock(&pool.idle).0 = sessions;
        let provider = Self {
            token_label: config.token_label.clone(),
            pool,
            versions: RwLock::new(BTreeMap::new()),
            highest: RwLock::new(0),
            pinned: RwLock::new(BTreeMap::new()),
            _ctx: ctx,
        };
        provider
            .scan()
            .map_err(|e| OpenError::Token(e.to_string()))?;
        Ok(provider)
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, BTreeMap<u32, Version>> {
        self.versions.read().unwrap_or_else(|p| p.into_inner())
    }

    fn version(&self, v: u32) -> Result<Version> {
        self.read()
            .get(&v)
            .cloned()
            .ok_or(VaultError::UnknownKeyVersion(v))
    }

    /// Re-reads every harim object of the token and checks it ([`check_object`], one object
    /// per label, the CKA_IDs of a version equal and as pinned); replaces the in-memory view
    /// only when everything passed, so a refused object leaves the last good view (and fails
    /// [`Pkcs11Provider::open`]).
    fn scan(&self) -> Result<bool> {
        type Found = BTreeMap<Role, (String, ObjectHandle, bool, Vec<u8>)>;
        let found: Found = self
            .pool
            .with("read objects", |s| {
                // Without the login the private objects are invisible: the token would look empty
                // (and `open` would make a version 1). Lost login: a fresh session logs in again.
                if !matches!(
                    s.get_session_info()?.session_state(),
                    SessionState::RwUser | SessionState::RoUser
                ) {
                    return Err(CkError::Pkcs11(
                        RvError::UserNotLoggedIn,
                        Function::GetSessionInfo,
                    ));
                }
                let mut found: Found = BTreeMap::new();
                let mut dup: Option<String> = None;
                let mut bad: Option<(String, &'static str)> = None;
                for h in s.find_objects(&[Attribute::Class(ObjectClass::SECRET_KEY)])? {
                    let attrs = s.get_attributes(h, &[AttributeType::Label])?;
                    let Some(label) = label_of(&attrs) else {
                        continue;
                    };
                    let Some(role) = role_of(&label) else {
                        continue;
                    };
                    let attrs = s.get_attributes(h, &CHECKED)?;
                    let id = s
                        .get_attributes(h, &[AttributeType::Id])?
                        .into_iter()
                        .find_map(|a| match a {
                            Attribute::Id(id) => Some(id),
                            _ => None,
                        })
                        .unwrap_or_default();
                    match check_object(role, &attrs, id) {
                        Ok((encrypt, id)) => {
                            if found
                                .insert(role, (label.clone(), h, encrypt, id))
                                .is_some()
                            {
                                dup = Some(label);
                            }
                        }
                        Err(why) => bad = Some((label, why)),
                    }
                }
                Ok((found, dup, bad))
            })
            .and_then(|(found, dup, bad)| {
                if let Some(label) = dup {
                    return Err(refused(&label, "more than one object carries this label"));
                }
                if let Some((label, why)) = bad {
                    return Err(refused(&label, why));
                }
                Ok(found)
            })?;
        let highest = found
            .keys()
            .map(|r| match r {
                Role::Root(v) | Role::Bidx(v, _) => *v,
            })
            .max()
            .unwrap_or(0);
        let pinned = self
            .pinned
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        let mut next = BTreeMap::new();
        for (role, (label, root, encrypt, id)) in &found {
            let Role::Root(v) = *role else {
                continue;
            };
            // A version whose blind-index keys are missing is half made (a crash between
            // `C_GenerateKey` calls): it is not offered, and its number is never reused.
            let (Some(a), Some(b)) = (found.get(&Role::Bidx(v, 0)), found.get(&Role::Bidx(v, 1)))
            else {
                tracing::warn!(version = v, "root version without blind-index keys ignored");
                continue;
            };
            if a.3 != *id || b.3 != *id {
                return Err(refused(label, "its blind-index keys carry another CKA_ID"));
            }
            if pinned.get(&v).is_some_and(|p| p != id) {
                return Err(refused(
                    label,
                    "its CKA_ID differs from the one the database recorded for this version",
                ));
            }
            next.insert(
                v,
                Version {
                    state: if *encrypt {
                        KeyState::Active
                    } else {
                        KeyState::DecryptOnly
                    },
                    // CKA_START_DATE is written at generation for the token's own tools;
                    // reading it back failed on SoftHSM, and harim needs no creation time of a
                    // root key (the rotation brake uses the rotation jobs' times).
                    created_at: None,
                    root: *root,
                    bidx: [a.1, b.1],
                    id: id.clone(),
                },
            );
        }
        *self.highest.write().unwrap_or_else(|p| p.into_inner()) = highest;
        let mut cur = self.versions.write().unwrap_or_else(|p| p.into_inner());
        let changed = cur.keys().ne(next.keys())
            || cur
                .iter()
                .zip(next.iter())
                .any(|((_, a), (_, b))| a.state != b.state);
        *cur = next;
        Ok(changed)
    }

    /// Generates version `v`'s three objects in the token, with restrictive attributes (see
    /// [`check_object`], which every scan applies) and one random CKA_ID.
    fn generate(&self, v: u32) -> Result<()> {
        let now = OffsetDateTime::now_utc();
        let date = Date::new_from_str_slice(
            &format!("{:04}", now.year()),
            &format!("{:02}", u8::from(now.month())),
            &format!("{:02}", now.day()),
        )
        .map_err(|e| token_error("start date", e))?;
        let mut lease = self.pool.take()?;
        let mut id = vec![0u8; 16];
        lease
            .generate_random_slice(&mut id)
            .map_err(|e| token_error("random CKA_ID", e))?;
        let common = |label: String| {
            vec![
                Attribute::Token(true),
                Attribute::Private(true),
                Attribute::Sensitive(true),
                Attribute::Extractable(false),
                Attribute::Derive(false),
                Attribute::Wrap(false),
                Attribute::Unwrap(false),
                Attribute::Id(id.clone()),
                Attribute::Label(label.into_bytes()),
                Attribute::StartDate(date),
                Attribute::ValueLen(32.into()),
            ]
        };
        let mut aes = common(format!("{ROOT_PREFIX}{v}"));
        aes.extend([
            Attribute::KeyType(KeyType::AES),
            Attribute::Encrypt(true),
            Attribute::Decrypt(true),
        ]);
        let mut made = Vec::new();
        let result = (|| {
            made.push(lease.generate_key(&Mechanism::AesKeyGen, &aes)?);
            for kind in KINDS {
                let mut mac = common(format!("{BIDX_PREFIX}{v}-{}", kind.label()));
                mac.extend([
                    Attribute::KeyType(KeyType::GENERIC_SECRET),
                    Attribute::Sign(true),
                    Attribute::Verify(true),
                ]);
                made.push(lease.generate_key(&Mechanism::GenericSecretKeyGen, &mac)?);
            }
            Ok(())
        })();
        if let Err(e) = result {
            for h in made {
                let _ = lease.destroy_object(h);
            }
            if session_lost(&e) {
                lease.discard();
            }
            return Err(token_error("generate keys", e));
        }
        drop(lease);
        self.scan()?;
        Ok(())
    }

    /// Runs `f` with version `v`'s objects on a session. When the session was lost (the token
    /// restarted, the login is gone), the pool has opened and logged in a fresh one; the token
    /// is re-read, since handles may differ after a new login, and `f` runs once more.
    fn with_version<T>(
        &self,
        context: &'static str,
        v: u32,
        f: impl Fn(&Session, &Version) -> std::result::Result<T, CkError>,
    ) -> Result<T> {
        let ver = self.version(v)?;
        if let Ok(t) = self.pool.attempt(context, |s| f(s, &ver))? {
            return Ok(t);
        }
        self.scan()?;
        let ver = self.version(v)?;
        self.pool
            .attempt(context, |s| f(s, &ver))?
            .map_err(|e| token_error(context, e))
    }

    /// The CKA_ID of a version's objects.
    fn id_of(&self, v: u32) -> Option<Vec<u8>> {
        self.read().get(&v).map(|x| x.id.clone())
    }
}

/// One GCM seal through the token, laid out as `iv || ciphertext || tag` with the IV the token
/// *used*: `encrypt` gets parameters over a buffer holding the proposed `iv`, and the IV is read
/// back from that buffer after the call. A token that generates GCM IVs itself (AWS CloudHSM
/// always, Luna in FIPS mode) writes its own into the parameters; storing the proposed one
/// would make the wrap unrecoverable (the vault's wrap check would then refuse it). `None`: the
/// token returned a ciphertext of the wrong length.
fn seal_gcm(
    iv: [u8; NONCE_LEN],
    aad: &[u8],
    encrypt: impl FnOnce(GcmParams<'_>) -> std::result::Result<Vec<u8>, CkError>,
) -> std::result::Result<Option<Vec<u8>>, CkError> {
    let mut iv_param = iv;
    let params = GcmParams::new(&mut iv_param, aad, TAG_BITS.into())?;
    let sealed = encrypt(params)?;
    if sealed.len() != 32 + 16 {
        return Ok(None);
    }
    let mut out = Vec::with_capacity(WRAPPED_LEN);
    // The parameters are gone with the call; their buffer holds what the token wrote back.
    out.extend_from_slice(&iv_param);
    out.extend_from_slice(&sealed);
    Ok(Some(out))
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
        if self.version(kek_version)?.state != KeyState::Active {
            return Err(VaultError::KeyVersionDecryptOnly(kek_version));
        }
        self.with_version("wrap", kek_version, |s, v| {
            let mut iv = [0u8; NONCE_LEN];
            s.generate_random_slice(&mut iv)?;
            seal_gcm(iv, aad, |params| {
                s.encrypt(&Mechanism::AesGcm(params), v.root, key)
            })
        })?
        .ok_or(VaultError::EncryptFailed)
    }

    fn unwrap(&self, kek_version: u32, aad: &[u8], wrapped: &[u8]) -> Result<Zeroizing<[u8; 32]>> {
        if wrapped.len() != WRAPPED_LEN {
            return Err(VaultError::MalformedWrappedKey);
        }
        let (iv, sealed) = wrapped.split_at(NONCE_LEN);
        let iv = <[u8; NONCE_LEN]>::try_from(iv).map_err(|_| VaultError::MalformedWrappedKey)?;
        // `None`: the tag did not verify (the bytes, the binding or the version are wrong).
        let plain = self.with_version("unwrap", kek_version, |s, v| {
            let mut iv = iv;
            let params = GcmParams::new(&mut iv, aad, TAG_BITS.into())?;
            match s.decrypt(&Mechanism::AesGcm(params), v.root, sealed) {
                Ok(p) => Ok(Some(Zeroizing::new(p))),
                Err(CkError::Pkcs11(
                    RvError::EncryptedDataInvalid
                    | RvError::EncryptedDataLenRange
                    | RvError::DataInvalid,
                    _,
                )) => Ok(None),
                // SoftHSM (and some HSMs) answer a failed tag with CKR_GENERAL_ERROR or
                // CKR_FUNCTION_FAILED. If the same session still answers, the token is fine
                // and the failure was the data's; otherwise the token is unavailable.
                Err(CkError::Pkcs11(RvError::GeneralError | RvError::FunctionFailed, _))
                    if s.get_session_info().is_ok() =>
                {
                    Ok(None)
                }
                Err(e) => Err(e),
            }
        })?;
        let plain = plain.ok_or(VaultError::UnwrapFailed)?;
        let mut out = Zeroizing::new([0u8; 32]);
        if plain.len() != 32 {
            return Err(VaultError::UnwrapFailed);
        }
        out.copy_from_slice(&plain);
        Ok(out)
    }

    fn key_id(&self, kek_version: u32) -> Option<Vec<u8>> {
        self.id_of(kek_version)
    }

    fn pin_key_id(&self, kek_version: u32, id: &[u8]) -> Result<()> {
        if let Some(held) = self.id_of(kek_version)
            && held != id
        {
            tracing::error!(
                version = kek_version,
                "PKCS#11 root version's CKA_ID differs from the database's record"
            );
            // The version is no longer offered: nothing wraps or unwraps under it.
            self.versions
                .write()
                .unwrap_or_else(|p| p.into_inner())
                .remove(&kek_version);
            return Err(VaultError::KeyIdMismatch(kek_version));
        }
        self.pinned
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .insert(kek_version, id.to_vec());
        Ok(())
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
        let i = usize::from(kind == BlindIndexKind::Iban);
        let mac = self.with_version("blind index", kek_version, |s, v| {
            s.sign(&Mechanism::Sha256Hmac, v.bidx[i], data)
        })?;
        <[u8; 32]>::try_from(mac.as_slice()).map_err(|_| VaultError::EncryptFailed)
    }

    fn add_version(&self) -> Result<u32> {
        // Another process may have rotated since this one last looked.
        self.scan()?;
        // After every number any object carries, half-made versions included: reusing one
        // would put two objects under one label, which every later scan refuses.
        let next = self
            .highest
            .read()
            .unwrap_or_else(|p| p.into_inner())
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
        self.with_version("retire", kek_version, |s, v| {
            s.update_attributes(v.root, &[Attribute::Encrypt(false)])
        })?;
        self.scan()?;
        Ok(())
    }

    fn destroy_version(&self, kek_version: u32) -> Result<()> {
        self.version(kek_version)?;
        if kek_version == self.active_version() {
            return Err(VaultError::KeyVersionActive(kek_version));
        }
        for i in 0..3 {
            self.with_version("destroy", kek_version, |s, v| {
                s.destroy_object([v.root, v.bidx[0], v.bidx[1]][i])
            })?;
        }
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

    /// Every key use is a call into the token, which may be slow or gone, and may first wait
    /// up to [`SESSION_WAIT`] for a free session: the vault keeps such calls off the async
    /// workers. The version list and states are answered from memory (read at each scan).
    fn blocks(&self) -> bool {
        true
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design
    use super::*;

    /// Every session busy (a token that stopped answering holds them all): a call waits a
    /// bounded time, then fails as unavailable (503), never holding its thread for good.
    /// Needs the SoftHSM module only to have a context; no session is ever opened.
    #[test]
    fn a_call_that_finds_no_free_session_gives_up() {
        let module = std::env::var("HARIM_TEST_PKCS11_MODULE")
            .unwrap_or_else(|_| "/usr/lib/softhsm/libsofthsm2.so".into());
        if !std::path::Path::new(&module).exists() {
            assert!(std::env::var("HARIM_REQUIRE_HSM").as_deref() != Ok("1"));
            eprintln!("SKIPPED: SoftHSM2 is not installed ({module})");
            return;
        }
        let pool = Pool {
            // No idle session and none missing: all are leased out, and none comes back.
            idle: Mutex::new((Vec::new(), 0)),
            freed: Condvar::new(),
            ctx: Pkcs11::new(&module).unwrap(),
            slot: Slot::try_from(0u64).unwrap(),
            pin: AuthPin::new("unused".into()),
            wait: std::time::Duration::from_millis(20),
        };
        let e = pool.with("wrap", |_| Ok(())).map(|_| ()).unwrap_err();
        assert!(
            matches!(e, VaultError::ProviderUnavailable { ref reason, .. } if reason.contains("no session free")),
            "{e:?}"
        );
    }

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
        .unwrap()
        .unwrap();
        assert_eq!(out.len(), WRAPPED_LEN);
        assert_eq!(&out[..NONCE_LEN], &token_iv);
        assert_eq!(&out[NONCE_LEN..], &[5u8; 48]);

        // A token that keeps the proposed IV (SoftHSM): stored as proposed.
        let out = seal_gcm(proposed, b"aad", |_| Ok(vec![5u8; 48]))
            .unwrap()
            .unwrap();
        assert_eq!(&out[..NONCE_LEN], &proposed);

        // A ciphertext of the wrong length is refused, never stored.
        assert!(
            seal_gcm(proposed, b"aad", |_| Ok(vec![5u8; 47]))
                .unwrap()
                .is_none()
        );
    }
}
