//! Root-key providers held in process memory: [`FileKeyring`] (a versioned JSON file, mode 0600)
//! and [`EnvKeyring`] (read-only, from environment variables).
//!
//! Both keep every root key in a [`SecretBox`] (zeroized on drop) and derive, per version, a
//! wrapping key (HKDF info `"harim tk-wrap v1"`) and blind-index keys (HKDF info
//! `"harim blind-index v1/<kind>"`), so the root key itself is never used directly by a cipher.
//! See `FORMAT.md` for the file layout.

use std::collections::BTreeMap;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{RwLock, RwLockReadGuard, RwLockWriteGuard};

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use hkdf::Hkdf;
use rand::RngCore;
use rand::rngs::OsRng;
use secrecy::{ExposeSecret, SecretBox, SecretString};
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use time::OffsetDateTime;
use zeroize::Zeroizing;

use crate::aead::Cipher;
use crate::error::{Result, VaultError};
use crate::provider::{BlindIndexKind, KeyProvider, KeyState, KeyVersionInfo};

/// The keyring file format version this crate reads and writes.
pub const KEYRING_FORMAT: u32 = 1;
/// HKDF info for the key that wraps tenant keys.
pub const WRAP_KEY_INFO: &[u8] = b"harim tk-wrap v1";
/// HKDF info prefix for blind-index keys; the kind label follows after a `/`.
pub const BLIND_INDEX_INFO: &[u8] = b"harim blind-index v1";
/// Environment variable holding `version:base64key` pairs, comma-separated.
pub const ENV_ROOT_KEYS: &str = "HARIM_ROOT_KEYS";
/// Environment variable naming the active version (defaults to the highest).
pub const ENV_ROOT_KEY_ACTIVE: &str = "HARIM_ROOT_KEY_ACTIVE";

fn hkdf32(root: &[u8; 32], info: &[&[u8]]) -> Result<SecretBox<[u8; 32]>> {
    let hk = Hkdf::<Sha256>::new(None, root);
    let mut failed = false;
    let out = SecretBox::init_with_mut(|okm: &mut [u8; 32]| {
        failed = hk.expand_multi_info(info, okm).is_err();
    });
    if failed {
        return Err(VaultError::EncryptFailed);
    }
    Ok(out)
}

/// One root key version in memory.
struct RootKey {
    state: KeyState,
    created_at: Option<OffsetDateTime>,
    key: SecretBox<[u8; 32]>,
    wrap: Cipher,
}

impl RootKey {
    fn new(
        key: SecretBox<[u8; 32]>,
        state: KeyState,
        created_at: Option<OffsetDateTime>,
    ) -> Result<Self> {
        let wrap_key = hkdf32(key.expose_secret(), &[WRAP_KEY_INFO])?;
        let wrap = Cipher::new(wrap_key.expose_secret());
        Ok(Self {
            state,
            created_at,
            key,
            wrap,
        })
    }

    fn generate() -> Result<Self> {
        let mut failed = false;
        let key = SecretBox::init_with_mut(|k: &mut [u8; 32]| {
            failed = OsRng.try_fill_bytes(k).is_err();
        });
        if failed {
            return Err(VaultError::Rng);
        }
        Self::new(key, KeyState::Active, Some(now_seconds()))
    }
}

fn now_seconds() -> OffsetDateTime {
    let now = OffsetDateTime::now_utc();
    now.replace_nanosecond(0).unwrap_or(now)
}

/// The versions, their keys and the active version: the logic both keyrings share.
struct Keyring {
    source_name: String,
    active: u32,
    keys: BTreeMap<u32, RootKey>,
}

impl Keyring {
    fn invalid(&self, reason: impl Into<String>) -> VaultError {
        VaultError::KeyringInvalid {
            source_name: self.source_name.clone(),
            reason: reason.into(),
        }
    }

    /// Checks the invariants: at least one key, versions >= 1, active exists and is `Active`.
    fn validate(&self) -> Result<()> {
        if self.keys.is_empty() {
            return Err(self.invalid("it holds no keys"));
        }
        if self.keys.contains_key(&0) {
            return Err(self.invalid("key versions start at 1"));
        }
        match self.keys.get(&self.active) {
            None => Err(self.invalid(format!(
                "active version {} is not in the keyring",
                self.active
            ))),
            Some(k) if k.state != KeyState::Active => {
                Err(self.invalid(format!("active version {} is decrypt_only", self.active)))
            }
            Some(_) => Ok(()),
        }
    }

    fn get(&self, version: u32) -> Result<&RootKey> {
        self.keys
            .get(&version)
            .ok_or(VaultError::UnknownKeyVersion(version))
    }

    fn versions(&self) -> Vec<KeyVersionInfo> {
        self.keys
            .iter()
            .map(|(v, k)| KeyVersionInfo {
                version: *v,
                state: k.state,
                created_at: k.created_at,
                active: *v == self.active,
            })
            .collect()
    }

    fn wrap(&self, version: u32, aad: &[u8], key: &[u8; 32]) -> Result<Vec<u8>> {
        let root = self.get(version)?;
        if root.state != KeyState::Active {
            return Err(VaultError::KeyVersionDecryptOnly(version));
        }
        root.wrap.seal_random(&[], aad, key)
    }

    fn unwrap(&self, version: u32, aad: &[u8], wrapped: &[u8]) -> Result<Zeroizing<[u8; 32]>> {
        let root = self.get(version)?;
        if wrapped.len() != crate::vault::WRAPPED_KEY_LEN {
            return Err(VaultError::MalformedWrappedKey);
        }
        let pt = root
            .wrap
            .open_combined(aad, wrapped)
            .map_err(|_| VaultError::UnwrapFailed)?;
        let mut out = Zeroizing::new([0u8; 32]);
        if pt.len() != 32 {
            return Err(VaultError::UnwrapFailed);
        }
        out.copy_from_slice(&pt);
        Ok(out)
    }

    fn blind_index_key(&self, version: u32, kind: BlindIndexKind) -> Result<SecretBox<[u8; 32]>> {
        let root = self.get(version)?;
        hkdf32(
            root.key.expose_secret(),
            &[BLIND_INDEX_INFO, b"/", kind.label().as_bytes()],
        )
    }

    /// Serialises to the file format (see FORMAT.md). The output holds key bytes: zeroizing.
    fn to_file_bytes(&self) -> Result<Zeroizing<Vec<u8>>> {
        let encoded: Vec<Zeroizing<String>> = self
            .keys
            .values()
            .map(|k| Zeroizing::new(B64.encode(k.key.expose_secret())))
            .collect();
        let keys: Vec<FileKeyOut<'_>> = self
            .keys
            .iter()
            .zip(&encoded)
            .map(|((v, k), key)| FileKeyOut {
                version: *v,
                key: key.as_str(),
                created_at: k.created_at,
                state: k.state,
            })
            .collect();
        let doc = FileDocOut {
            format: KEYRING_FORMAT,
            active: self.active,
            keys,
        };
        // Pre-size so the buffer is not reallocated (which would leave key copies behind).
        let mut buf = Zeroizing::new(Vec::with_capacity(256 + 192 * self.keys.len()));
        serde_json::to_writer_pretty(&mut *buf, &doc)
            .map_err(|e| self.invalid(format!("cannot serialise: {e}")))?;
        buf.push(b'\n');
        Ok(buf)
    }
}

impl std::fmt::Debug for Keyring {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Keyring")
            .field("source", &self.source_name)
            .field("active", &self.active)
            .field("versions", &self.keys.keys().collect::<Vec<_>>())
            .finish()
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileDocIn {
    format: u32,
    active: u32,
    keys: Vec<FileKeyIn>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileKeyIn {
    version: u32,
    key: SecretString,
    #[serde(default, with = "time::serde::rfc3339::option")]
    created_at: Option<OffsetDateTime>,
    state: KeyState,
}

#[derive(Serialize)]
struct FileDocOut<'a> {
    format: u32,
    active: u32,
    keys: Vec<FileKeyOut<'a>>,
}

#[derive(Serialize)]
struct FileKeyOut<'a> {
    version: u32,
    key: &'a str,
    #[serde(with = "time::serde::rfc3339::option")]
    created_at: Option<OffsetDateTime>,
    state: KeyState,
}

/// Decodes one base64 key, insisting on exactly 32 bytes.
fn decode_key(source_name: &str, version: u32, b64: &str) -> Result<SecretBox<[u8; 32]>> {
    let invalid = |reason: String| VaultError::KeyringInvalid {
        source_name: source_name.to_owned(),
        reason,
    };
    let bytes = Zeroizing::new(
        B64.decode(b64.trim())
            .map_err(|_| invalid(format!("key version {version} is not valid base64")))?,
    );
    if bytes.len() != 32 {
        return Err(invalid(format!(
            "key version {version} is {} bytes long; root keys must be exactly 32 bytes",
            bytes.len()
        )));
    }
    Ok(SecretBox::init_with_mut(|k: &mut [u8; 32]| {
        k.copy_from_slice(&bytes)
    }))
}

/// A versioned keyring in a JSON file that only its owner may read (mode 0600).
///
/// Mutations ([`FileKeyring::add_version`], [`FileKeyring::set_active`],
/// [`FileKeyring::retire`], [`FileKeyring::destroy`]) are written atomically (temporary file,
/// fsync, rename, fsync of the directory) before they take effect in memory. One process should
/// own mutations (the CLI); other processes call [`FileKeyring::reload`].
pub struct FileKeyring {
    path: PathBuf,
    inner: RwLock<Keyring>,
}

impl std::fmt::Debug for FileKeyring {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FileKeyring")
            .field("path", &self.path)
            .field("keyring", &*self.read())
            .finish()
    }
}

impl FileKeyring {
    /// Opens an existing keyring. Refuses a file accessible by group or others (unix), an
    /// unknown format, a key that is not exactly 32 bytes, duplicate versions, or an active
    /// version that is missing or decrypt-only.
    pub fn open(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref().to_path_buf();
        let keyring = load_file(&path)?;
        Ok(Self {
            path,
            inner: RwLock::new(keyring),
        })
    }

    /// Generates a new keyring with one random version-1 key, written with mode 0600 (parent
    /// directories are created with mode 0700). Fails if the file already exists.
    ///
    /// For development and the embedded default only: the key sits next to the data.
    pub fn create_dev(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref().to_path_buf();
        if path.exists() {
            return Err(VaultError::KeyringExists { path });
        }
        let mut keys = BTreeMap::new();
        keys.insert(1, RootKey::generate()?);
        let keyring = Keyring {
            source_name: path.display().to_string(),
            active: 1,
            keys,
        };
        let bytes = keyring.to_file_bytes()?;
        write_atomic(&path, &bytes, false)?;
        Ok(Self {
            path,
            inner: RwLock::new(keyring),
        })
    }

    /// Opens the keyring at `path`, creating a development keyring first if there is none.
    /// Returns whether it was created, so the caller can warn loudly.
    pub fn open_or_create_dev(path: impl AsRef<Path>) -> Result<(Self, bool)> {
        let path = path.as_ref();
        if path.exists() {
            Ok((Self::open(path)?, false))
        } else {
            match Self::create_dev(path) {
                Ok(k) => Ok((k, true)),
                // Another process won the race: open what it wrote.
                Err(VaultError::KeyringExists { .. }) => Ok((Self::open(path)?, false)),
                Err(e) => Err(e),
            }
        }
    }

    /// The file this keyring lives in.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Re-reads the file (after another process rotated it). On error the old state is kept.
    pub fn reload(&self) -> Result<()> {
        let fresh = load_file(&self.path)?;
        *self.write() = fresh;
        Ok(())
    }

    /// Adds a new random root key as the next version and makes it the active one. Existing
    /// versions stay as they are (still able to unwrap). Returns the new version.
    ///
    /// For a staged roll-out across replicas (add everywhere first, promote later), follow with
    /// [`FileKeyring::set_active`] to the previous version, reload everywhere, then promote.
    pub fn add_version(&self) -> Result<u32> {
        let mut kr = self.write();
        let version = kr
            .keys
            .keys()
            .next_back()
            .copied()
            .unwrap_or(0)
            .checked_add(1)
            .ok_or(VaultError::VersionOverflow)?;
        let previous_active = kr.active;
        kr.keys.insert(version, RootKey::generate()?);
        kr.active = version;
        if let Err(e) = self.persist(&kr) {
            kr.keys.remove(&version);
            kr.active = previous_active;
            return Err(e);
        }
        Ok(version)
    }

    /// Makes `version` the one new tenant keys are wrapped under. It must be in state active.
    pub fn set_active(&self, version: u32) -> Result<()> {
        let mut kr = self.write();
        if kr.get(version)?.state != KeyState::Active {
            return Err(VaultError::KeyVersionDecryptOnly(version));
        }
        let previous = kr.active;
        kr.active = version;
        if let Err(e) = self.persist(&kr) {
            kr.active = previous;
            return Err(e);
        }
        Ok(())
    }

    /// Marks `version` decrypt-only: it still unwraps, but wraps nothing new. The active
    /// version cannot be retired (promote another first).
    pub fn retire(&self, version: u32) -> Result<()> {
        self.set_state(version, KeyState::DecryptOnly)
    }

    /// Removes `version` from the keyring for good. Every tenant key wrapped under it becomes
    /// unreadable: call only after a scan shows no wrapped key references it (and after the
    /// backup retention window, see ARCHITECTURE.md "crypto-shredding").
    pub fn destroy(&self, version: u32) -> Result<()> {
        let mut kr = self.write();
        if kr.active == version {
            return Err(VaultError::KeyVersionActive(version));
        }
        let removed = kr
            .keys
            .remove(&version)
            .ok_or(VaultError::UnknownKeyVersion(version))?;
        if let Err(e) = self.persist(&kr) {
            kr.keys.insert(version, removed);
            return Err(e);
        }
        Ok(())
    }

    fn set_state(&self, version: u32, state: KeyState) -> Result<()> {
        let mut kr = self.write();
        if kr.active == version && state != KeyState::Active {
            return Err(VaultError::KeyVersionActive(version));
        }
        let key = kr
            .keys
            .get_mut(&version)
            .ok_or(VaultError::UnknownKeyVersion(version))?;
        let previous = key.state;
        key.state = state;
        if let Err(e) = self.persist(&kr) {
            if let Some(k) = kr.keys.get_mut(&version) {
                k.state = previous;
            }
            return Err(e);
        }
        Ok(())
    }

    fn persist(&self, kr: &Keyring) -> Result<()> {
        kr.validate()?;
        let bytes = kr.to_file_bytes()?;
        write_atomic(&self.path, &bytes, true)
    }

    fn read(&self) -> RwLockReadGuard<'_, Keyring> {
        // A panic while holding the lock cannot leave the keyring half-updated (every mutation
        // is rolled back on error before returning), so a poisoned lock is still consistent.
        self.inner.read().unwrap_or_else(|p| p.into_inner())
    }

    fn write(&self) -> RwLockWriteGuard<'_, Keyring> {
        self.inner.write().unwrap_or_else(|p| p.into_inner())
    }
}

impl KeyProvider for FileKeyring {
    fn kind(&self) -> &'static str {
        "file"
    }
    /// Re-reads the file first, so a process holding a stale copy never drops a version
    /// another process added, then [`FileKeyring::add_version`].
    fn add_version(&self) -> Result<u32> {
        self.reload()?;
        FileKeyring::add_version(self)
    }
    fn retire_version(&self, kek_version: u32) -> Result<()> {
        self.reload()?;
        self.retire(kek_version)
    }
    fn destroy_version(&self, kek_version: u32) -> Result<()> {
        self.reload()?;
        self.destroy(kek_version)
    }
    fn reload(&self) -> Result<bool> {
        FileKeyring::reload(self).map(|()| true)
    }
    fn active_version(&self) -> u32 {
        self.read().active
    }
    fn versions(&self) -> Vec<KeyVersionInfo> {
        self.read().versions()
    }
    fn state(&self, kek_version: u32) -> Option<KeyState> {
        self.read().keys.get(&kek_version).map(|k| k.state)
    }
    fn wrap(&self, kek_version: u32, aad: &[u8], key: &[u8; 32]) -> Result<Vec<u8>> {
        self.read().wrap(kek_version, aad, key)
    }
    fn unwrap(&self, kek_version: u32, aad: &[u8], wrapped: &[u8]) -> Result<Zeroizing<[u8; 32]>> {
        self.read().unwrap(kek_version, aad, wrapped)
    }
    fn blind_index_key(
        &self,
        kek_version: u32,
        kind: BlindIndexKind,
    ) -> Result<SecretBox<[u8; 32]>> {
        self.read().blind_index_key(kek_version, kind)
    }
}

fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> VaultError + '_ {
    move |source| VaultError::KeyringIo {
        path: path.to_path_buf(),
        source,
    }
}

#[cfg(unix)]
fn check_permissions(path: &Path, meta: &fs::Metadata) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let mode = meta.permissions().mode() & 0o7777;
    if mode & 0o077 != 0 {
        return Err(VaultError::KeyringPermissions {
            path: path.to_path_buf(),
            mode,
        });
    }
    Ok(())
}

#[cfg(not(unix))]
fn check_permissions(_path: &Path, _meta: &fs::Metadata) -> Result<()> {
    Ok(())
}

fn load_file(path: &Path) -> Result<Keyring> {
    let source_name = path.display().to_string();
    let invalid = |reason: String| VaultError::KeyringInvalid {
        source_name: source_name.clone(),
        reason,
    };
    // `metadata` follows symlinks: a mounted secret is often a symlink; its target must be 0600.
    let meta = fs::metadata(path).map_err(io_err(path))?;
    if !meta.is_file() {
        return Err(invalid("not a regular file".into()));
    }
    check_permissions(path, &meta)?;
    if meta.len() > 1 << 20 {
        return Err(invalid("larger than 1 MiB".into()));
    }
    let bytes = Zeroizing::new(fs::read(path).map_err(io_err(path))?);
    // serde_json's message names a line and column, never the content.
    let doc: FileDocIn = serde_json::from_slice(&bytes)
        .map_err(|e| invalid(format!("not valid keyring JSON ({e})")))?;
    if doc.format != KEYRING_FORMAT {
        return Err(invalid(format!(
            "format {} is not supported (expected {KEYRING_FORMAT})",
            doc.format
        )));
    }
    let mut keys = BTreeMap::new();
    for k in doc.keys {
        let key = decode_key(&source_name, k.version, k.key.expose_secret())?;
        if keys.contains_key(&k.version) {
            return Err(invalid(format!("version {} appears twice", k.version)));
        }
        keys.insert(k.version, RootKey::new(key, k.state, k.created_at)?);
    }
    let keyring = Keyring {
        source_name: source_name.clone(),
        active: doc.active,
        keys,
    };
    keyring.validate()?;
    Ok(keyring)
}

/// Writes `bytes` to `path` atomically with mode 0600: a uniquely named temporary file in the
/// same directory, fsync, then `rename` (`replace = true`) or `hard_link` (`replace = false`, so
/// an existing file is never clobbered), then fsync of the directory.
fn write_atomic(path: &Path, bytes: &[u8], replace: bool) -> Result<()> {
    let parent = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    create_private_dir(&parent)?;
    let file_name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "keyring".into());
    let tmp = parent.join(format!(
        ".{file_name}.tmp-{}-{:016x}",
        std::process::id(),
        OsRng.next_u64()
    ));
    let result = (|| {
        let mut opts = fs::OpenOptions::new();
        opts.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            opts.mode(0o600);
        }
        let mut f = opts.open(&tmp).map_err(io_err(&tmp))?;
        f.write_all(bytes).map_err(io_err(&tmp))?;
        f.sync_all().map_err(io_err(&tmp))?;
        drop(f);
        if replace {
            fs::rename(&tmp, path).map_err(io_err(path))?;
        } else {
            match fs::hard_link(&tmp, path) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                    return Err(VaultError::KeyringExists {
                        path: path.to_path_buf(),
                    });
                }
                Err(e) => return Err(io_err(path)(e)),
            }
            let _ = fs::remove_file(&tmp);
        }
        // Make the rename durable. Not all platforms can open a directory; best effort there.
        if let Ok(dir) = fs::File::open(&parent) {
            let _ = dir.sync_all();
        }
        Ok(())
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

fn create_private_dir(dir: &Path) -> Result<()> {
    if dir.is_dir() {
        return Ok(());
    }
    let mut b = fs::DirBuilder::new();
    b.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        b.mode(0o700);
    }
    b.create(dir).map_err(io_err(dir))
}

/// A read-only keyring from the environment, for containers whose orchestrator injects secrets:
/// `HARIM_ROOT_KEYS="1:<base64 32 bytes>,2:<base64 32 bytes>"` and
/// `HARIM_ROOT_KEY_ACTIVE=2` (optional; defaults to the highest version). Every version other
/// than the active one is decrypt-only.
///
/// The process environment itself keeps a copy of the keys for the life of the process; prefer
/// the file keyring (or an HSM) where that matters.
pub struct EnvKeyring {
    inner: Keyring,
}

impl std::fmt::Debug for EnvKeyring {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EnvKeyring")
            .field("keyring", &self.inner)
            .finish()
    }
}

impl EnvKeyring {
    /// Reads [`ENV_ROOT_KEYS`] and [`ENV_ROOT_KEY_ACTIVE`].
    pub fn from_env() -> Result<Self> {
        let keys = Zeroizing::new(std::env::var(ENV_ROOT_KEYS).map_err(|_| {
            VaultError::KeyringInvalid {
                source_name: ENV_ROOT_KEYS.into(),
                reason: "not set or not valid UTF-8".into(),
            }
        })?);
        let active = std::env::var(ENV_ROOT_KEY_ACTIVE).ok();
        Self::from_values(&keys, active.as_deref())
    }

    /// Parses the two values directly (what [`EnvKeyring::from_env`] does after reading them).
    pub fn from_values(keys: &str, active: Option<&str>) -> Result<Self> {
        let invalid = |name: &str, reason: String| VaultError::KeyringInvalid {
            source_name: name.into(),
            reason,
        };
        let mut parsed = BTreeMap::new();
        for (i, item) in keys.split(',').enumerate() {
            let item = item.trim();
            if item.is_empty() {
                continue;
            }
            let Some((v, b64)) = item.split_once(':') else {
                return Err(invalid(
                    ENV_ROOT_KEYS,
                    format!("entry {} is not of the form version:base64", i + 1),
                ));
            };
            let version: u32 = v.trim().parse().map_err(|_| {
                invalid(
                    ENV_ROOT_KEYS,
                    format!("entry {} has a non-numeric version", i + 1),
                )
            })?;
            let key = decode_key(ENV_ROOT_KEYS, version, b64)?;
            if parsed.insert(version, key).is_some() {
                return Err(invalid(
                    ENV_ROOT_KEYS,
                    format!("version {version} appears twice"),
                ));
            }
        }
        let active = match active.map(str::trim).filter(|s| !s.is_empty()) {
            Some(a) => a
                .parse::<u32>()
                .map_err(|_| invalid(ENV_ROOT_KEY_ACTIVE, "is not a version number".into()))?,
            None => parsed.keys().next_back().copied().unwrap_or(0),
        };
        let mut keyring_keys = BTreeMap::new();
        for (v, key) in parsed {
            let state = if v == active {
                KeyState::Active
            } else {
                KeyState::DecryptOnly
            };
            keyring_keys.insert(v, RootKey::new(key, state, None)?);
        }
        let inner = Keyring {
            source_name: ENV_ROOT_KEYS.into(),
            active,
            keys: keyring_keys,
        };
        inner.validate()?;
        Ok(Self { inner })
    }
}

impl KeyProvider for EnvKeyring {
    fn kind(&self) -> &'static str {
        "env"
    }
    fn active_version(&self) -> u32 {
        self.inner.active
    }
    fn versions(&self) -> Vec<KeyVersionInfo> {
        self.inner.versions()
    }
    fn state(&self, kek_version: u32) -> Option<KeyState> {
        self.inner.keys.get(&kek_version).map(|k| k.state)
    }
    fn wrap(&self, kek_version: u32, aad: &[u8], key: &[u8; 32]) -> Result<Vec<u8>> {
        self.inner.wrap(kek_version, aad, key)
    }
    fn unwrap(&self, kek_version: u32, aad: &[u8], wrapped: &[u8]) -> Result<Zeroizing<[u8; 32]>> {
        self.inner.unwrap(kek_version, aad, wrapped)
    }
    fn blind_index_key(
        &self,
        kek_version: u32,
        kind: BlindIndexKind,
    ) -> Result<SecretBox<[u8; 32]>> {
        self.inner.blind_index_key(kek_version, kind)
    }
}
