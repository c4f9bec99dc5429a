//! The threads that run password hashing, kept apart from request handling.
//!
//! Argon2id costs tens of milliseconds of one core per sign-in. On tokio's shared blocking pool a
//! flood of sign-ins takes every core and the cheap requests queue behind it. Here hashing runs
//! on its own `n` threads, each lowered to nice [`HASH_NICE`] once at start: when the CPU is
//! contended the scheduler gives request handling (nice 0) about ten times the share of a
//! hashing thread, and when it is idle hashing still uses the cores fully. Lowering one's own
//! priority needs no privilege; nothing ever raises it again.

use std::sync::{Arc, Mutex, mpsc};

use argon2::Argon2;

use crate::StoreError;

/// Nice value of the hashing threads (CFS weight 110 against 1024 for nice 0).
pub const HASH_NICE: i32 = 10;

type Job = Box<dyn FnOnce(&Argon2<'static>) + Send>;

/// A fixed pool of hashing threads; they end when the last clone is dropped.
#[derive(Clone)]
pub(crate) struct HashPool {
    tx: mpsc::Sender<Job>,
}

impl HashPool {
    pub(crate) fn new(n: usize, argon: &Argon2<'static>) -> Result<Self, StoreError> {
        let (tx, rx) = mpsc::channel::<Job>();
        let rx = Arc::new(Mutex::new(rx));
        for i in 0..n.max(1) {
            let (rx, argon) = (rx.clone(), argon.clone());
            std::thread::Builder::new()
                .name(format!("harim-hash-{i}"))
                .spawn(move || {
                    lower_priority();
                    loop {
                        // The lock is held only while waiting for the next job, not while hashing.
                        let job = match rx.lock() {
                            Ok(r) => r.recv(),
                            Err(_) => return,
                        };
                        match job {
                            Ok(job) => job(&argon),
                            Err(_) => return,
                        }
                    }
                })
                .map_err(|e| StoreError::internal("hash thread", e))?;
        }
        Ok(Self { tx })
    }

    /// Runs `f` on a hashing thread and waits for its result.
    pub(crate) async fn run<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Argon2<'static>) -> T + Send + 'static,
    ) -> Result<T, StoreError> {
        let (done, result) = tokio::sync::oneshot::channel();
        self.tx
            .send(Box::new(move |argon| {
                let _ = done.send(f(argon));
            }))
            .map_err(|_| StoreError::internal("hash pool", "no hashing thread"))?;
        result
            .await
            .map_err(|_| StoreError::internal("hash pool", "a hashing thread stopped"))
    }
}

#[cfg(target_os = "linux")]
fn lower_priority() {
    // On Linux the nice value is per thread (`setpriority(PRIO_PROCESS, tid)`, man 7 sched).
    let tid = rustix::thread::gettid();
    if let Err(e) = rustix::process::setpriority_process(Some(tid), HASH_NICE) {
        tracing::warn!(error = %e, "could not lower the hashing thread's priority");
    }
}

#[cfg(not(target_os = "linux"))]
fn lower_priority() {}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn jobs_run_on_lowered_named_threads() {
        let pool = HashPool::new(2, &Argon2::default()).unwrap();
        let (name, nice) = pool
            .run(|_| {
                let name = std::thread::current().name().map(str::to_string);
                #[cfg(target_os = "linux")]
                let nice =
                    rustix::process::getpriority_process(Some(rustix::thread::gettid())).ok();
                #[cfg(not(target_os = "linux"))]
                let nice = Some(HASH_NICE);
                (name, nice)
            })
            .await
            .unwrap();
        assert!(name.unwrap().starts_with("harim-hash-"));
        assert_eq!(nice, Some(HASH_NICE));
    }
}
