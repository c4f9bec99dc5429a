//! How a process assembles harim: the state every handler shares, the router, and the
//! background workers. The binary and the API tests both build through [`Application::build`],
//! so what the tests exercise is wired as production is. What stays in the binary is
//! configuration and process: opening the database and keys, the address, the signals.

use std::{future::Future, net::SocketAddr, sync::Arc, time::Duration};

use axum::{Extension, Router};
use harim_store::db::Db;
use tokio::{
    sync::{Notify, oneshot, watch},
    task::JoinHandle,
};

use crate::{
    ApiConfig, AppState, error::ApiError, middleware, openapi, routes, routes::policies::DocCache,
};

/// What an application is made of, already opened.
#[derive(Debug)]
pub struct Parts {
    pub db: Db,
    /// Keys and field encryption; the only holder of key material.
    pub vault: Arc<harim_vault::Vault>,
    /// Encrypted KYC documents.
    pub documents: harim_kyc::DocumentStore,
    pub config: ApiConfig,
    /// Export lifetime, backup horizon, deadlines of data requests.
    pub rights: harim_store::rights::RightsConfig,
    /// The providers messages to customers leave through.
    pub notify: harim_notify::providers::Providers,
}

/// Which background workers run beside the router. A server runs all of them; a test runs none
/// and drives each job itself (`harim_store::rights::run_due`, `retention::run`, ...), so that
/// nothing happens between its steps that it did not ask for.
#[derive(Debug, Clone, Copy, Default)]
pub struct Workers {
    /// Picks up root rotations started by the CLI, another replica or a dead worker, and
    /// re-reads the keyring.
    pub rotation: bool,
    /// Every retention rule of the data map, at this interval.
    pub retention: Option<Duration>,
    /// Exports and the background part of erasures; keeps the overdue-requests gauge current.
    pub rights: bool,
    /// Other replicas' publishes, erasures and rotations reach this process's caches.
    pub events: bool,
    /// Sends what the notification gate queued.
    pub outbox: bool,
}

impl Workers {
    #[must_use]
    pub fn none() -> Self {
        Self::default()
    }

    #[must_use]
    pub fn all(retention_every: Duration) -> Self {
        Self {
            rotation: true,
            retention: Some(retention_every),
            rights: true,
            events: true,
            outbox: true,
        }
    }
}

/// A built application: its state, its router, and the workers it started.
#[derive(Debug)]
pub struct Application {
    state: AppState,
    router: Router,
    /// Tells the rotation worker to finish the batch it is in and stop.
    stop: watch::Sender<bool>,
    rotation: Option<JoinHandle<()>>,
}

impl Application {
    /// The state and router over `parts`, and the chosen workers started (which needs a tokio
    /// runtime unless `workers` is [`Workers::none`]).
    pub fn build(parts: Parts, workers: Workers) -> Result<Self, ApiError> {
        let Parts {
            db,
            vault,
            documents,
            config,
            rights,
            notify,
        } = parts;
        let state = AppState::new(db, config, vault, documents)?
            .with_rights_config(rights)
            .with_providers(notify);
        let (stop, stop_rx) = watch::channel(false);
        let rotation_wake = Arc::new(Notify::new());
        let rotation = workers.rotation.then(|| {
            tokio::spawn(harim_store::rotation::background_worker(
                state.db.clone(),
                state.vault.clone(),
                Duration::from_secs(5),
                Duration::from_secs(30),
                state.config.root_rotation_batch,
                rotation_wake.clone(),
                stop_rx,
            ))
        });
        if let Some(every) = workers.retention {
            tokio::spawn(retention_worker(state.clone(), every));
        }
        if workers.outbox {
            tokio::spawn(outbox_worker(state.clone()));
        }
        if workers.rights {
            tokio::spawn(harim_store::rights::worker(
                state.rights.clone(),
                Duration::from_secs(5),
            ));
        }
        if workers.events {
            // Fail closed: the page cache is bypassed until the listener reports that it hears
            // the other replicas (at once on SQLite, which has none).
            state.pages.set_coherent(false);
            tokio::spawn(harim_store::events::listen(
                state.db.clone(),
                Arc::new(Caches {
                    pages: state.pages.clone(),
                    vault: state.vault.clone(),
                    rotation: rotation_wake,
                }),
            ));
        }
        let router = app(state.clone());
        Ok(Self {
            state,
            router,
            stop,
            rotation,
        })
    }

    #[must_use]
    pub fn state(&self) -> &AppState {
        &self.state
    }

    pub fn router(&self) -> Router {
        self.router.clone()
    }

    /// Serves on `listener` until `shutdown` resolves; then `/readyz` turns 503 at once, the
    /// listener stops accepting, in-flight requests get `grace` to finish, and the rotation
    /// worker gets as long again to finish the batch it is in.
    pub async fn run_until(
        self,
        listener: tokio::net::TcpListener,
        shutdown: impl Future<Output = ()> + Send + 'static,
        grace: Duration,
    ) -> std::io::Result<()> {
        let Self {
            state,
            router,
            stop,
            rotation,
        } = self;
        let draining = state.draining.clone();
        let (signalled_tx, signalled_rx) = oneshot::channel::<()>();
        let server = axum::serve(
            listener,
            router.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(async move {
            shutdown.await;
            draining.store(true, std::sync::atomic::Ordering::Relaxed);
            let _ = stop.send(true);
            let _ = signalled_tx.send(());
        });
        let mut server = std::pin::pin!(server.into_future());
        tokio::select! {
            r = &mut server => r?,
            Ok(()) = signalled_rx => {
                match tokio::time::timeout(grace, &mut server).await {
                    Ok(r) => r?,
                    Err(_) => tracing::warn!(grace_secs = grace.as_secs(), "requests still in flight after the grace period; exiting"),
                }
            }
        }
        if let Some(worker) = rotation
            && tokio::time::timeout(grace, worker).await.is_err()
        {
            tracing::warn!("the rotation batch did not finish within the grace period");
        }
        Ok(())
    }
}

/// The whole HTTP application over `state`: routes, OpenAPI, docs viewer and the tower layers.
pub fn app(state: AppState) -> Router {
    let _ = routes::ops::prometheus();
    let (router, _api) = routes::router().split_for_parts();
    let router = router.fallback(middleware::not_found);
    let pages = state.pages.clone();
    middleware::layers(router, &state.config)
        .layer(Extension(pages))
        .layer(Extension(routes::ops::Spec(openapi::served_json())))
        .with_state(state)
}

/// Sends what the gate queued and the privacy events due: at once when woken by a queueing request
/// or a replay, otherwise every second
/// (retries that fell due, rows of a process that died between queueing and sending).
async fn outbox_worker(state: AppState) {
    let mut swept = std::time::Instant::now() - Duration::from_secs(60);
    loop {
        // Held erasures whose time came, requests past their due date: once a minute.
        if swept.elapsed() >= Duration::from_secs(60) {
            swept = std::time::Instant::now();
            if let Err(e) = harim_store::customer_requests::sweep(
                &state.db,
                &state.vault,
                time::OffsetDateTime::now_utc(),
            )
            .await
            {
                tracing::warn!(error = %e, "customer request sweep failed; retried next minute");
            }
        }
        let messages =
            harim_store::notify::run_outbox(&state.db, &state.vault, &state.notify, 50).await;
        let events = harim_store::privacy_events::run_deliveries(
            &state.db,
            &state.vault,
            &state.webhooks,
            100,
        )
        .await;
        match (messages, events) {
            (Ok(m), Ok(e)) if m + e > 0 => continue,
            (Ok(_), Ok(_)) => {}
            (m, e) => {
                for err in [m.err(), e.err()].into_iter().flatten() {
                    tracing::warn!(error = %err, "outbox run failed");
                }
            }
        }
        let _ = tokio::time::timeout(Duration::from_secs(1), state.outbox_wake.notified()).await;
    }
}

async fn retention_worker(state: AppState, every: Duration) {
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        let now = time::OffsetDateTime::now_utc();
        // Each failed rule is logged by the job itself and retried next interval.
        if let Err(e) = harim_store::retention::run(
            &state.db,
            &state.vault,
            &state.documents,
            &state.config.retention,
            now,
        )
        .await
        {
            tracing::warn!(error = %e, "retention run failed; retried next interval");
        }
    }
}

/// The process's caches, as the event listener sees them (see `harim_store::events`).
struct Caches {
    pages: Arc<DocCache>,
    vault: Arc<harim_vault::Vault>,
    /// Wakes the root-rotation worker: another replica started or finished a rotation.
    rotation: Arc<Notify>,
}

impl harim_store::events::Listener for Caches {
    fn event(&self, event: harim_store::events::Event) {
        use harim_store::events::Event;
        match event {
            Event::Tenant(t) => {
                self.pages.forget_tenant(t);
                self.vault.forget_tenant(t);
            }
            Event::Keyring => {
                if let Err(e) = self.vault.provider().reload() {
                    tracing::warn!(error = %e, "re-reading the key provider failed");
                }
                self.vault.clear_cache();
                self.rotation.notify_one();
            }
        }
    }

    fn connected(&self, up: bool) {
        self.pages.set_coherent(up);
        if up {
            // Whatever was sent while nobody listened is lost: start from nothing.
            self.vault.clear_cache();
        }
    }
}
