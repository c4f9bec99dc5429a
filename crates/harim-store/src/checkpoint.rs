//! Named pause points, so a test can stop one use case between two of its steps, run a rival
//! to completion, then let the first one go: races are reproduced by construction instead of by
//! sleeping and hoping.
//!
//! Production cost is one relaxed atomic load per point: nothing is looked up until a test has
//! armed a point. A point is armed for one *scope* (a shop id, an actor name), so tests running
//! side by side in one process never stop each other's requests, and it fires once.
//!
//! Why not the `fail` crate: its `pause` action blocks the OS thread, which on a small tokio
//! runtime stalls the very rival the test wants to run; these points are async.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use tokio::sync::Barrier;

static ARMED: AtomicBool = AtomicBool::new(false);
type Points = HashMap<(&'static str, String), Arc<Barrier>>;
static POINTS: Mutex<Option<Points>> = Mutex::new(None);

fn points() -> MutexGuard<'static, Option<Points>> {
    // A map of barriers holds no invariant a panic could break.
    POINTS.lock().unwrap_or_else(|p| p.into_inner())
}

/// Called by the code under test at `point`; waits there if a test armed it for `scope`.
pub async fn reached(point: &'static str, scope: impl std::fmt::Display) {
    if !ARMED.load(Ordering::Relaxed) {
        return;
    }
    let gate = points()
        .as_mut()
        .and_then(|m| m.remove(&(point, scope.to_string())));
    if let Some(barrier) = gate {
        // First rendezvous: the test learns we are here. Second: the test lets us go on.
        barrier.wait().await;
        barrier.wait().await;
    }
}

/// A test's handle on an armed point.
#[derive(Debug)]
pub struct Pause {
    barrier: Arc<Barrier>,
}

impl Pause {
    /// Arms `point` for `scope`: the next caller that reaches it waits for [`Pause::release`].
    pub fn arm(point: &'static str, scope: impl std::fmt::Display) -> Self {
        let barrier = Arc::new(Barrier::new(2));
        points()
            .get_or_insert_with(HashMap::new)
            .insert((point, scope.to_string()), barrier.clone());
        ARMED.store(true, Ordering::Relaxed);
        Self { barrier }
    }

    /// Returns once the code under test is waiting at the point.
    pub async fn reached(&self) {
        self.barrier.wait().await;
    }

    /// Lets the code under test go on.
    pub async fn release(self) {
        self.barrier.wait().await;
    }
}

/// Sleeps at `point` when the process was started with `HARIM_TEST_DELAY_AT=<point>:<ms>`: the
/// cross-process twin of [`reached`], for end-to-end tests that race two `harim` processes
/// (a pause point cannot be armed from outside the process). Costs one environment lookup, on
/// paths that run once per process.
pub async fn delay_point(point: &str) {
    let Ok(spec) = std::env::var("HARIM_TEST_DELAY_AT") else {
        return;
    };
    if let Some((at, ms)) = spec.split_once(':')
        && at == point
        && let Ok(ms) = ms.parse::<u64>()
    {
        tracing::warn!(point, ms, "HARIM_TEST_DELAY_AT: pausing");
        tokio::time::sleep(std::time::Duration::from_millis(ms)).await;
    }
}

/// Kills this process with SIGKILL at `point` when it was started with
/// `HARIM_TEST_KILL_AT=<point>`: how end-to-end tests show a job or a transaction interrupted at
/// its worst moment leaves nothing half done. Costs one environment lookup.
pub fn kill_point(point: &str) {
    if std::env::var("HARIM_TEST_KILL_AT").is_ok_and(|at| at == point) {
        eprintln!("HARIM_TEST_KILL_AT={point}: killing this process");
        let _ = std::process::Command::new("kill")
            .args(["-KILL", &std::process::id().to_string()])
            .status();
        std::process::abort();
    }
}
