//! Root-key providers held in process memory: [`FileKeyring`] (a versioned JSON file, mode 0600)
//! and [`EnvKeyring`] (read-only, from environment variables).
//!
//! Both keep every root key in a [`SecretBox`] (zeroized on drop) and derive, per version, a
//! wrapping key (HKDF info `"harim tk-wrap v1"`) and blind-index keys (HKDF info
//! `"harim blind-index v1/<kind>"`), so the root key itself is never used directly by a cipher.
//! See `FORMAT.md` for the file layout.

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::fs;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::{RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::SystemTime;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use hkdf::Hkdf;
use rand::RngCore;
use rand::rngs::OsRng;
use secrecy::{ExposeSecret, SecretBox, SecretString};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
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
/// The largest keyring file the loader accepts.
const MAX_KEYRING_LEN: u64 = 1 << 20;

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
            .map_err(|e| self.invalid(format!("cannot serialise ({})", json_error(&e))))?;
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
/// [`FileKeyring::retire`], [`FileKeyring::destroy`] and the [`KeyProvider`] rotation methods)
/// are safe to run from several processes at once. Each one, in order:
///
/// 1. takes an exclusive advisory lock on the sibling file `<path>.lock` ([`std::fs::File::lock`];
///    the file is created with mode 0600 if missing and never deleted), so concurrent writers
///    are serialised;
/// 2. re-reads the keyring file under the lock, so it changes the latest state on disk, never a
///    stale copy held in memory;
/// 3. applies the change and validates the result;
/// 4. writes it atomically (temporary file, fsync; then, right before the rename, refuses with
///    [`VaultError::KeyringChanged`] if the file differs from what step 2 read: device, inode,
///    length, mtime and SHA-256 of the bytes; then rename and fsync of the directory);
/// 5. only then replaces the in-memory state, and releases the lock.
///
/// Readers never take the lock: [`FileKeyring::open`] and [`FileKeyring::reload`] read the file
/// while a writer may hold it, which is safe because the file is only ever replaced by a rename.
pub struct FileKeyring {
    path: PathBuf,
    inner: RwLock<Keyring>,
    /// Identity of the file last read ([`FileKeyring::open`], [`FileKeyring::reload`]), so
    /// [`KeyProvider::changed`] is one `stat`.
    loaded: std::sync::Mutex<Option<Stamp>>,
}

/// What a `stat` says of the file: a rename gives a new inode, a rewrite a new mtime or length.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Stamp {
    #[cfg(unix)]
    dev: u64,
    #[cfg(unix)]
    ino: u64,
    len: u64,
    modified: Option<SystemTime>,
}

impl Stamp {
    fn of_meta(meta: &fs::Metadata) -> Self {
        Self {
            #[cfg(unix)]
            dev: std::os::unix::fs::MetadataExt::dev(meta),
            #[cfg(unix)]
            ino: std::os::unix::fs::MetadataExt::ino(meta),
            len: meta.len(),
            modified: meta.modified().ok(),
        }
    }

    fn of(f: &Fingerprint) -> Self {
        f.stamp
    }

    fn now(path: &Path) -> Option<Self> {
        fs::metadata(path).ok().map(|m| Self::of_meta(&m))
    }
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
    /// Opens an existing keyring. Refuses something other than a regular file, a file
    /// accessible by group or others (unix), a file over 1 MiB, an unknown format, a key that is
    /// not exactly 32 bytes, duplicate versions, or an active version that is missing or
    /// decrypt-only. Takes no lock.
    pub fn open(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref().to_path_buf();
        let (keyring, fingerprint) = load_file(&path)?;
        Ok(Self {
            path,
            inner: RwLock::new(keyring),
            loaded: std::sync::Mutex::new(Some(Stamp::of(&fingerprint))),
        })
    }

    /// Generates a new keyring with one random version-1 key, written with mode 0600 (parent
    /// directories are created with mode 0700). Fails with [`VaultError::KeyringExists`] if the
    /// file already exists, also when another process creates it at the same moment: creation
    /// runs under the keyring lock and the file is put in place with `hard_link`, which never
    /// replaces an existing file.
    ///
    /// For development and the embedded default only: the key sits next to the data.
    pub fn create_dev(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref().to_path_buf();
        create_private_dir(&parent_dir(&path))?;
        let lock = KeyringLock::acquire(&path)?;
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
        write_atomic(&path, &bytes, Commit::CreateNew)?;
        drop(lock);
        let stamp = Stamp::now(&path);
        Ok(Self {
            path,
            inner: RwLock::new(keyring),
            loaded: std::sync::Mutex::new(stamp),
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

    /// The lock file mutations hold an exclusive advisory lock on: `<path>.lock`.
    pub fn lock_path(&self) -> PathBuf {
        lock_path(&self.path)
    }

    /// Re-reads the file (after another process rotated it). On error the old state is kept.
    /// Takes no lock: a concurrent writer replaces the file by an atomic rename, so this reads
    /// either the old or the new file, never a mix.
    pub fn reload(&self) -> Result<()> {
        let (fresh, fingerprint) = load_file(&self.path)?;
        *self.write() = fresh;
        *self.loaded.lock().unwrap_or_else(|p| p.into_inner()) = Some(Stamp::of(&fingerprint));
        Ok(())
    }

    /// Adds a new random root key as the next version (one above the highest in the file, read
    /// under the lock) and makes it the active one. Existing versions stay as they are (still
    /// able to unwrap). Returns the new version.
    ///
    /// For a staged roll-out across replicas (add everywhere first, promote later), follow with
    /// [`FileKeyring::set_active`] to the previous version, reload everywhere, then promote.
    pub fn add_version(&self) -> Result<u32> {
        self.mutate(|kr| {
            let version = kr
                .keys
                .keys()
                .next_back()
                .copied()
                .unwrap_or(0)
                .checked_add(1)
                .ok_or(VaultError::VersionOverflow)?;
            kr.keys.insert(version, RootKey::generate()?);
            kr.active = version;
            Ok(version)
        })
    }

    /// Makes `version` the one new tenant keys are wrapped under. It must be in state active.
    pub fn set_active(&self, version: u32) -> Result<()> {
        self.mutate(|kr| {
            if kr.get(version)?.state != KeyState::Active {
                return Err(VaultError::KeyVersionDecryptOnly(version));
            }
            kr.active = version;
            Ok(())
        })
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
        self.mutate(|kr| {
            if kr.active == version {
                return Err(VaultError::KeyVersionActive(version));
            }
            kr.keys
                .remove(&version)
                .ok_or(VaultError::UnknownKeyVersion(version))?;
            Ok(())
        })
    }

    fn set_state(&self, version: u32, state: KeyState) -> Result<()> {
        self.mutate(|kr| {
            if kr.active == version && state != KeyState::Active {
                return Err(VaultError::KeyVersionActive(version));
            }
            kr.keys
                .get_mut(&version)
                .ok_or(VaultError::UnknownKeyVersion(version))?
                .state = state;
            Ok(())
        })
    }

    /// The write protocol (see the type's docs): lock, re-read, change, validate, verify
    /// unchanged and rename, then replace the in-memory state, then unlock. On any error
    /// nothing is written and the in-memory state is left as it was.
    fn mutate<T>(&self, change: impl FnOnce(&mut Keyring) -> Result<T>) -> Result<T> {
        let lock = KeyringLock::acquire(&self.path)?;
        let (mut keyring, read_as) = load_file(&self.path)?;
        let out = change(&mut keyring)?;
        keyring.validate()?;
        let bytes = keyring.to_file_bytes()?;
        write_atomic(&self.path, &bytes, Commit::Replace { read_as: &read_as })?;
        // Still under the file lock, so two threads of this process cannot swap in their
        // results in the opposite order of their writes.
        *self.write() = keyring;
        drop(lock);
        Ok(out)
    }

    fn read(&self) -> RwLockReadGuard<'_, Keyring> {
        // The in-memory lock is only ever held to read or to swap in a whole, validated
        // keyring, so a poisoned lock still guards a consistent keyring.
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
    /// [`FileKeyring::add_version`]: under the keyring lock, on the file as it is now, so a
    /// process holding a stale copy never drops or duplicates a version another process added.
    fn add_version(&self) -> Result<u32> {
        FileKeyring::add_version(self)
    }
    fn retire_version(&self, kek_version: u32) -> Result<()> {
        self.retire(kek_version)
    }
    fn destroy_version(&self, kek_version: u32) -> Result<()> {
        self.destroy(kek_version)
    }
    fn reload(&self) -> Result<bool> {
        FileKeyring::reload(self).map(|()| true)
    }
    fn changed(&self) -> bool {
        let loaded = *self.loaded.lock().unwrap_or_else(|p| p.into_inner());
        loaded.is_none() || loaded != Stamp::now(&self.path)
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

fn parent_dir(path: &Path) -> PathBuf {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// `<keyring path>.lock`.
fn lock_path(keyring: &Path) -> PathBuf {
    let mut name = OsString::from(keyring.as_os_str());
    name.push(".lock");
    PathBuf::from(name)
}

/// An exclusive advisory lock on `<keyring path>.lock` (`flock` on unix, `LockFileEx` on
/// Windows), released when dropped (or when the process dies). The lock file holds nothing and
/// is never deleted: deleting it could let two writers lock two different files.
struct KeyringLock {
    file: fs::File,
}

impl KeyringLock {
    /// Blocks until the lock is free. Holders keep it only for one read, fsync and rename.
    fn acquire(keyring: &Path) -> Result<Self> {
        let path = lock_path(keyring);
        let mut opts = fs::OpenOptions::new();
        opts.read(true).write(true).create(true).truncate(false);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            opts.mode(0o600);
        }
        let file = opts.open(&path).map_err(io_err(&path))?;
        let meta = file.metadata().map_err(io_err(&path))?;
        if !meta.is_file() {
            return Err(VaultError::KeyringInvalid {
                source_name: path.display().to_string(),
                reason: "the lock file is not a regular file".into(),
            });
        }
        file.lock().map_err(io_err(&path))?;
        Ok(Self { file })
    }
}

impl Drop for KeyringLock {
    fn drop(&mut self) {
        // Closing the handle releases the lock too; unlocking first makes it explicit.
        let _ = self.file.unlock();
    }
}

/// What a keyring file was when it was read: compared again right before it is replaced.
/// Deliberately not `Debug` (the hash is of key material).
#[derive(PartialEq, Eq)]
struct Fingerprint {
    stamp: Stamp,
    sha256: [u8; 32],
}

/// Checks the permission bits of the opened keyring file: no group or other bit may be set.
///
/// The owner is not compared with the process's effective uid: without `libc` (and with
/// `unsafe` forbidden) the only ways to learn the euid are creating a probe file (readers must
/// not write: the keyring may be a read-only mounted secret) or parsing Linux-only `/proc`. With
/// mode 0600 enforced, only the owner or a privileged process can open the file at all.
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

/// Describes a serde_json error by category and position only. Its `Display` can quote the
/// input (`invalid type: string "..."`, `unknown field ...`), which here may be key material.
fn json_error(e: &serde_json::Error) -> String {
    use serde_json::error::Category;
    let category = match e.classify() {
        Category::Io => "I/O error",
        Category::Syntax => "syntax error",
        Category::Data => "unexpected value, type or field",
        Category::Eof => "unexpected end of input",
    };
    format!("{category} at line {}, column {}", e.line(), e.column())
}

/// Opens the keyring file, checks type, permissions and size on the opened handle, and reads it
/// from that same handle (so what was checked is what is read).
fn read_keyring_file(path: &Path) -> Result<(Zeroizing<Vec<u8>>, Fingerprint)> {
    let invalid = |reason: &str| VaultError::KeyringInvalid {
        source_name: path.display().to_string(),
        reason: reason.into(),
    };
    // A first look by path only so that opening cannot block on a FIFO or a device; the checks
    // that count are the ones on the handle below. Both follow symlinks: a mounted secret is
    // often a symlink, and its target is what must be a 0600 regular file.
    if !fs::metadata(path).map_err(io_err(path))?.is_file() {
        return Err(invalid("not a regular file"));
    }
    let mut file = fs::File::open(path).map_err(io_err(path))?;
    let meta = file.metadata().map_err(io_err(path))?;
    if !meta.is_file() {
        return Err(invalid("not a regular file"));
    }
    check_permissions(path, &meta)?;
    if meta.len() > MAX_KEYRING_LEN {
        return Err(invalid("larger than 1 MiB"));
    }
    let len = usize::try_from(meta.len()).map_err(|_| invalid("larger than 1 MiB"))?;
    // One buffer of the final size plus one byte (to notice growth), never reallocated, so no
    // stray copy of the keys is left in freed memory.
    let mut bytes = Zeroizing::new(vec![0u8; len + 1]);
    let mut filled = 0;
    while filled < bytes.len() {
        match file.read(&mut bytes[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(io_err(path)(e)),
        }
    }
    if filled != len {
        // Written in place (not replaced by a rename) while we read it.
        return Err(VaultError::KeyringChanged {
            path: path.to_path_buf(),
        });
    }
    bytes.truncate(len);
    let fingerprint = Fingerprint {
        stamp: Stamp::of_meta(&meta),
        sha256: Sha256::digest(&bytes[..]).into(),
    };
    Ok((bytes, fingerprint))
}

fn load_file(path: &Path) -> Result<(Keyring, Fingerprint)> {
    let source_name = path.display().to_string();
    let invalid = |reason: String| VaultError::KeyringInvalid {
        source_name: source_name.clone(),
        reason,
    };
    let (bytes, fingerprint) = read_keyring_file(path)?;
    let doc: FileDocIn = serde_json::from_slice(&bytes)
        .map_err(|e| invalid(format!("not valid keyring JSON ({})", json_error(&e))))?;
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
    Ok((keyring, fingerprint))
}

/// How [`write_atomic`] puts the temporary file in place.
enum Commit<'a> {
    /// `hard_link`: fails with [`VaultError::KeyringExists`] if there is a file already.
    CreateNew,
    /// `rename` over the file, after checking it is still what was read (under the lock).
    Replace { read_as: &'a Fingerprint },
}

/// Writes `bytes` to `path` atomically with mode 0600: a uniquely named temporary file in the
/// same directory, fsync, then `rename` (after refusing with [`VaultError::KeyringChanged`] if
/// the file no longer matches `read_as`) or `hard_link` (so an existing file is never
/// clobbered), then fsync of the directory.
fn write_atomic(path: &Path, bytes: &[u8], commit: Commit<'_>) -> Result<()> {
    let parent = parent_dir(path);
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
        match commit {
            Commit::Replace { read_as } => {
                // Someone who does not take the lock (an older binary, an editor, a restore)
                // may have replaced the file since it was read: do not overwrite their change.
                let (_, now) = read_keyring_file(path)?;
                if now != *read_as {
                    return Err(VaultError::KeyringChanged {
                        path: path.to_path_buf(),
                    });
                }
                fs::rename(&tmp, path).map_err(io_err(path))?;
            }
            Commit::CreateNew => {
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

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic

    use super::*;

    fn names(dir: &Path) -> Vec<String> {
        let mut n: Vec<String> = fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        n.sort();
        n
    }

    /// A writer that bypasses the lock replaces the file between our read and our rename: the
    /// rename is refused, their file is kept, no temporary file is left behind.
    #[test]
    fn a_file_changed_since_it_was_read_is_not_overwritten() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("keyring.json");
        drop(FileKeyring::create_dev(&path).unwrap());
        let (mut keyring, read_as) = load_file(&path).unwrap();

        // The writer that does not take the lock.
        let (mut theirs, _) = load_file(&path).unwrap();
        theirs.keys.insert(2, RootKey::generate().unwrap());
        theirs.active = 2;
        write_atomic(
            &path,
            &theirs.to_file_bytes().unwrap(),
            Commit::Replace { read_as: &read_as },
        )
        .unwrap();
        let theirs_on_disk = fs::read(&path).unwrap();

        keyring.keys.insert(2, RootKey::generate().unwrap());
        keyring.active = 2;
        let err = write_atomic(
            &path,
            &keyring.to_file_bytes().unwrap(),
            Commit::Replace { read_as: &read_as },
        )
        .unwrap_err();
        assert!(matches!(err, VaultError::KeyringChanged { .. }), "{err}");
        assert!(err.to_string().contains("retry"), "{err}");
        assert_eq!(fs::read(&path).unwrap(), theirs_on_disk);
        assert_eq!(names(dir.path()), ["keyring.json", "keyring.json.lock"]);
    }

    /// Rewritten in place with the same length: the hash (and mtime) still tell.
    #[test]
    fn an_in_place_rewrite_of_the_same_length_is_noticed() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("keyring.json");
        drop(FileKeyring::create_dev(&path).unwrap());
        let (keyring, read_as) = load_file(&path).unwrap();
        let mut body = fs::read(&path).unwrap();
        // Flip one character of the base64 key to another base64 character.
        let at = body.windows(7).position(|w| w == b"\"key\": ").unwrap() + 8;
        body[at] = if body[at] == b'A' { b'B' } else { b'A' };
        fs::OpenOptions::new()
            .write(true)
            .open(&path)
            .unwrap()
            .write_all(&body)
            .unwrap();
        let (_, now) = read_keyring_file(&path).unwrap();
        assert!(now != read_as);
        assert!(matches!(
            write_atomic(
                &path,
                &keyring.to_file_bytes().unwrap(),
                Commit::Replace { read_as: &read_as }
            ),
            Err(VaultError::KeyringChanged { .. })
        ));
    }

    #[test]
    fn json_errors_are_described_without_the_input() {
        let Err(e) = serde_json::from_str::<FileDocIn>(r#"{"format":"s3cr3t"}"#) else {
            panic!("parsed");
        };
        assert!(e.to_string().contains("s3cr3t")); // what serde_json itself would say
        let shown = json_error(&e);
        assert!(!shown.contains("s3cr3t"), "{shown}");
        assert_eq!(
            shown,
            "unexpected value, type or field at line 1, column 18"
        );
    }
}
