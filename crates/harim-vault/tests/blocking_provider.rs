//! A provider whose calls wait on a token (issue 24, medium 7): through `ReloadingProvider` a
//! waiting call hands its async worker's other tasks to another thread instead of stalling
//! them, and the same call still works on a current-thread runtime and outside any runtime.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

use std::sync::mpsc::{Receiver, Sender, channel};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use harim_vault::{
    BlindIndexKind, FileKeyring, KeyProvider, KeyVersionInfo, ReloadingProvider, VaultError,
};
use secrecy::SecretBox;
use zeroize::Zeroizing;

/// Only there so that a regression fails the test instead of hanging it: the gate is opened
/// by another task at once when the design holds.
const GIVE_UP: Duration = Duration::from_secs(30);

/// A real keyring whose unwrap first waits until someone opens the gate: a token call that
/// waits for a free session.
#[derive(Debug)]
struct Gated {
    inner: FileKeyring,
    gate: Mutex<Receiver<()>>,
}

impl KeyProvider for Gated {
    fn kind(&self) -> &'static str {
        "gated"
    }
    fn active_version(&self) -> u32 {
        self.inner.active_version()
    }
    fn versions(&self) -> Vec<KeyVersionInfo> {
        self.inner.versions()
    }
    fn wrap(&self, v: u32, aad: &[u8], key: &[u8; 32]) -> harim_vault::Result<Vec<u8>> {
        self.inner.wrap(v, aad, key)
    }
    fn unwrap(&self, v: u32, aad: &[u8], w: &[u8]) -> harim_vault::Result<Zeroizing<[u8; 32]>> {
        self.gate
            .lock()
            .unwrap()
            .recv_timeout(GIVE_UP)
            .map_err(|_| VaultError::ProviderUnavailable {
                provider: "gated",
                reason: "the gate was never opened".into(),
            })?;
        self.inner.unwrap(v, aad, w)
    }
    fn blind_index_key(
        &self,
        v: u32,
        k: BlindIndexKind,
    ) -> harim_vault::Result<SecretBox<[u8; 32]>> {
        self.inner.blind_index_key(v, k)
    }
    fn blocks(&self) -> bool {
        true
    }
}

struct Rig {
    _dir: tempfile::TempDir,
    provider: Arc<ReloadingProvider>,
    open: Sender<()>,
    wrapped: Vec<u8>,
}

const AAD: &[u8] = b"blocking provider test";
const KEY: [u8; 32] = [7; 32];

fn rig() -> Rig {
    let dir = tempfile::tempdir().unwrap();
    let (inner, _) = FileKeyring::open_or_create_dev(dir.path().join("keyring.json")).unwrap();
    let wrapped = inner.wrap(1, AAD, &KEY).unwrap();
    let (open, gate) = channel();
    let provider = Arc::new(ReloadingProvider::new(Arc::new(Gated {
        inner,
        gate: Mutex::new(gate),
    })));
    Rig {
        _dir: dir,
        provider,
        open,
        wrapped,
    }
}

/// One worker thread: the task that opens the gate is queued on the very worker whose task
/// is waiting at the gate. Called directly, the wait would hold that worker and the opener
/// would never run; through `block_in_place` the worker's queue moves to another thread.
#[test]
fn a_waiting_token_call_does_not_hold_up_the_other_tasks_of_its_worker() {
    let r = rig();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .build()
        .unwrap();
    let (provider, open, wrapped) = (r.provider.clone(), r.open.clone(), r.wrapped.clone());
    let key = rt
        .block_on(async move {
            // On the worker (the future `block_on` runs is on this thread, not a worker).
            tokio::spawn(async move {
                let opener = tokio::spawn(async move { open.send(()).unwrap() });
                let key = provider.unwrap(1, AAD, &wrapped);
                opener.await.unwrap();
                key
            })
            .await
        })
        .unwrap()
        .unwrap();
    assert_eq!(*key, KEY);
}

/// `block_in_place` panics on a current-thread runtime: there the call runs directly.
#[tokio::test]
async fn a_blocking_provider_works_on_a_current_thread_runtime() {
    let r = rig();
    r.open.send(()).unwrap();
    assert_eq!(*r.provider.unwrap(1, AAD, &r.wrapped).unwrap(), KEY);
}

/// The CLI's synchronous paths: no runtime at all.
#[test]
fn a_blocking_provider_works_outside_any_runtime() {
    let r = rig();
    r.open.send(()).unwrap();
    assert_eq!(*r.provider.unwrap(1, AAD, &r.wrapped).unwrap(), KEY);
}

#[test]
fn the_wrapper_says_whether_its_provider_blocks() {
    let r = rig();
    assert!(r.provider.blocks());
    let dir = tempfile::tempdir().unwrap();
    let (file, _) = FileKeyring::open_or_create_dev(dir.path().join("keyring.json")).unwrap();
    assert!(!ReloadingProvider::new(Arc::new(file)).blocks());
}
