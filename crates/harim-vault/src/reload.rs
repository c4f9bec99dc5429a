//! [`ReloadingProvider`]: a provider wrapper for processes that share a keyring file with
//! others (the server and `harim keys ...`).
//!
//! A tenant key re-wrapped by another process may name a root version this process has not
//! loaded yet. The wrapper re-reads the backing store when asked about a version it does not
//! know (before failing), and at most once per `min_interval` so a row naming a destroyed
//! version cannot turn every request into a file read.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use secrecy::SecretBox;
use zeroize::Zeroizing;

use crate::error::{Result, VaultError};
use crate::provider::{BlindIndexKind, KeyProvider, KeyState, KeyVersionInfo};

/// Wraps a provider; reloads it on an unknown version (rate-limited). See the module docs.
pub struct ReloadingProvider {
    inner: Arc<dyn KeyProvider>,
    min_interval: Duration,
    last: Mutex<Option<Instant>>,
}

impl std::fmt::Debug for ReloadingProvider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReloadingProvider")
            .field("inner", &self.inner)
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
            inner,
            min_interval,
            last: Mutex::new(None),
        }
    }

    /// Reloads if the backing store changed since it was read (cheap to ask, so not
    /// rate-limited: a rotation finished a moment after the last reload is seen at once), else
    /// unless one happened within `min_interval`; returns whether it reloaded.
    fn maybe_reload(&self) -> bool {
        if self.inner.changed() {
            return matches!(self.inner.reload(), Ok(true));
        }
        let now = Instant::now();
        {
            let mut last = self.last.lock().unwrap_or_else(|p| p.into_inner());
            if last.is_some_and(|t| now.duration_since(t) < self.min_interval) {
                return false;
            }
            *last = Some(now);
        }
        matches!(self.inner.reload(), Ok(true))
    }

    fn retry_unknown<T>(&self, f: impl Fn() -> Result<T>) -> Result<T> {
        match f() {
            Err(VaultError::UnknownKeyVersion(v)) => {
                if self.maybe_reload() {
                    f()
                } else {
                    Err(VaultError::UnknownKeyVersion(v))
                }
            }
            other => other,
        }
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
        self.inner.pin_key_id(kek_version, id)
    }
    fn add_version(&self) -> Result<u32> {
        self.inner.add_version()
    }
    fn retire_version(&self, kek_version: u32) -> Result<()> {
        self.inner.retire_version(kek_version)
    }
    fn destroy_version(&self, kek_version: u32) -> Result<()> {
        self.inner.destroy_version(kek_version)
    }
    fn reload(&self) -> Result<bool> {
        self.inner.reload()
    }
    fn changed(&self) -> bool {
        self.inner.changed()
    }
}
