//! [`ReloadingProvider`]: a provider wrapper for processes that share a keyring file with
//! others (the server and `harim keys ...`).
//!
//! A tenant key re-wrapped by another process may name a root version this process has not
//! loaded yet. The wrapper re-reads the backing store when asked about a version it does not
//! know (before failing), and at most once per `min_interval` so a row naming a destroyed
//! version cannot turn every request into a file read.
//!
//! Every call into the wrapped provider passes here, so this is also where the calls of a
//! provider that [`KeyProvider::blocks`] (a PKCS#11 token) are kept off the async workers; see
//! [`off_the_workers`].

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use secrecy::SecretBox;
use tokio::runtime::{Handle, RuntimeFlavor};
use zeroize::Zeroizing;

use crate::error::{Result, VaultError};
use crate::provider::{BlindIndexKind, KeyProvider, KeyState, KeyVersionInfo};

/// Runs `f`, a call that may wait on a token, without stalling the async worker it is on.
///
/// On a worker of a multi-thread tokio runtime (`harim serve`) through
/// [`tokio::task::block_in_place`]: the worker hands the other tasks of its queue to a fresh
/// worker thread before `f` runs, so a call that waits for the token (up to the PKCS#11
/// session pool's wait of 5 s, after which it fails as `ProviderUnavailable`, answered 503)
/// never holds up `/healthz` or any other request. The threads this takes are bounded by
/// tokio's `max_blocking_threads` and, in the token, by the session pool.
///
/// Not [`tokio::task::spawn_blocking`]: the vault's API is synchronous and is called from
/// inside many async store functions, with borrowed data (AAD, plaintext keys); a blocking
/// task needs an owned `'static` closure and an `.await`, which would make the whole vault
/// async for one provider.
///
/// Anywhere else `f` runs directly: on a current-thread runtime (`#[tokio::test]`), where
/// `block_in_place` panics and there is no other worker to hand tasks to, and outside any
/// runtime (the CLI's synchronous paths), where nothing else waits on the thread.
fn off_the_workers<T>(f: impl FnOnce() -> T) -> T {
    match Handle::try_current() {
        Ok(h) if h.runtime_flavor() == RuntimeFlavor::MultiThread => tokio::task::block_in_place(f),
        _ => f(),
    }
}

/// Wraps a provider; reloads it on an unknown version (rate-limited). See the module docs.
pub struct ReloadingProvider {
    inner: Arc<dyn KeyProvider>,
    /// `inner.blocks()`, asked once: the file and environment keyrings stay on the direct path.
    blocks: bool,
    min_interval: Duration,
    last: Mutex<Option<Instant>>,
}

impl std::fmt::Debug for ReloadingProvider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReloadingProvider")
            .field("inner", &self.inner)
            .field("blocks", &self.blocks)
            .field("min_interval", &self.min_interval)
            .finish()
    }
}

impl ReloadingProvider {
    /// Wraps `inner`, reloading at most once per second on an unknown version.
    pub fn new(inner: Arc<dyn KeyProvider>) -> Self {
        Self::with_interval(inner, Duration::from_secs(1))
    }

    /// Wraps `inner`, reloading at most once per `min_interval` on an unknown version.
    pub fn with_interval(inner: Arc<dyn KeyProvider>, min_interval: Duration) -> Self {
        Self {
            blocks: inner.blocks(),
            inner,
            min_interval,
            last: Mutex::new(None),
        }
    }

    /// A call that may reach the provider's backing store: off the async workers when the
    /// provider [`KeyProvider::blocks`], directly otherwise (a keyring in memory answers in
    /// well under a microsecond, less than handing the worker over would cost).
    fn call<T>(&self, f: impl FnOnce() -> T) -> T {
        if self.blocks { off_the_workers(f) } else { f() }
    }

    /// Reloads if the backing store changed since it was read (cheap to ask, so not
    /// rate-limited: a rotation finished a moment after the last reload is seen at once), else
    /// unless one happened within `min_interval`; returns whether it reloaded.
    fn maybe_reload(&self) -> bool {
        if self.inner.changed() {
            return matches!(self.call(|| self.inner.reload()), Ok(true));
        }
        let now = Instant::now();
        {
            let mut last = self.last.lock().unwrap_or_else(|p| p.into_inner());
            if last.is_some_and(|t| now.duration_since(t) < self.min_interval) {
                return false;
            }
            *last = Some(now);
        }
        matches!(self.call(|| self.inner.reload()), Ok(true))
    }

    /// `f`, and once more after a reload if it named a version the provider does not hold;
    /// the whole of it in one [`ReloadingProvider::call`].
    fn retry_unknown<T>(&self, f: impl Fn() -> Result<T>) -> Result<T> {
        self.call(|| match f() {
            Err(VaultError::UnknownKeyVersion(v)) => {
                if self.maybe_reload() {
                    f()
                } else {
                    Err(VaultError::UnknownKeyVersion(v))
                }
            }
            other => other,
        })
    }
}

impl KeyProvider for ReloadingProvider {
    fn kind(&self) -> &'static str {
        self.inner.kind()
    }
    fn active_version(&self) -> u32 {
        self.inner.active_version()
    }
    fn versions(&self) -> Vec<KeyVersionInfo> {
        self.inner.versions()
    }
    fn state(&self, kek_version: u32) -> Option<KeyState> {
        match self.inner.state(kek_version) {
            Some(s) => Some(s),
            None if self.maybe_reload() => self.inner.state(kek_version),
            None => None,
        }
    }
    fn wrap(&self, kek_version: u32, aad: &[u8], key: &[u8; 32]) -> Result<Vec<u8>> {
        self.retry_unknown(|| self.inner.wrap(kek_version, aad, key))
    }
    fn unwrap(&self, kek_version: u32, aad: &[u8], wrapped: &[u8]) -> Result<Zeroizing<[u8; 32]>> {
        self.retry_unknown(|| self.inner.unwrap(kek_version, aad, wrapped))
    }
    fn blind_index_key(
        &self,
        kek_version: u32,
        kind: BlindIndexKind,
    ) -> Result<SecretBox<[u8; 32]>> {
        self.retry_unknown(|| self.inner.blind_index_key(kek_version, kind))
    }
    fn blind_index(&self, kek_version: u32, kind: BlindIndexKind, data: &[u8]) -> Result<[u8; 32]> {
        self.retry_unknown(|| self.inner.blind_index(kek_version, kind, data))
    }
    fn key_id(&self, kek_version: u32) -> Option<Vec<u8>> {
        self.inner.key_id(kek_version)
    }
    fn pin_key_id(&self, kek_version: u32, id: &[u8]) -> Result<()> {
        self.call(|| self.inner.pin_key_id(kek_version, id))
    }
    fn add_version(&self) -> Result<u32> {
        self.call(|| self.inner.add_version())
    }
    fn retire_version(&self, kek_version: u32) -> Result<()> {
        self.call(|| self.inner.retire_version(kek_version))
    }
    fn destroy_version(&self, kek_version: u32) -> Result<()> {
        self.call(|| self.inner.destroy_version(kek_version))
    }
    fn reload(&self) -> Result<bool> {
        self.call(|| self.inner.reload())
    }
    fn changed(&self) -> bool {
        self.inner.changed()
    }
    /// The wrapped provider's answer: its calls still wait, though no longer on a worker.
    fn blocks(&self) -> bool {
        self.blocks
    }
}
