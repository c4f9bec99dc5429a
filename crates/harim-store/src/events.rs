//! Cache invalidation between replicas: PostgreSQL `NOTIFY` from the transaction that makes a
//! change, `LISTEN` in every `serve` process.
//!
//! What is cached per process and how it stays true (see also docs/ARCHITECTURE.md):
//! - the public pages' documents and slug resolutions (`harim-api`'s `DocCache`): a publish, an
//!   erasure or a tenant-key rotation sends [`Event::Tenant`]; every listener drops that shop's
//!   entries. While a replica has no working listener it serves every page from the database
//!   ([`Listener::connected`]`(false)`), and it empties the maps when the listener is back,
//!   since notifications sent in between are lost;
//! - unwrapped tenant keys (the vault's cache): keyed by the wrapped bytes, and every request
//!   reads the tenant-key row first, so a shredded or rotated key is unusable everywhere as soon
//!   as its transaction commits; the event only wipes the plaintext key from memory sooner;
//! - the key provider's view of root versions: [`Event::Keyring`] after a rotation finishes or
//!   a version is retired makes every replica re-read its provider.
//!
//! `NOTIFY` is transactional: sent with the change, delivered at commit, never for a change
//! that rolled back. On SQLite (one process) both ends are no-ops.

use std::sync::Arc;
use std::time::Duration;

use sea_orm::{ConnectionTrait, DatabaseBackend, DatabaseConnection, Statement};
use uuid::Uuid;

use crate::error::StoreError;

/// The one channel harim notifies on.
pub const CHANNEL: &str = "harim_events";

/// What changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event {
    /// A shop's published policy, tenant keys or existence changed.
    Tenant(Uuid),
    /// Root-key versions changed (a rotation finished, a version was retired or destroyed).
    Keyring,
}

impl Event {
    fn payload(self) -> String {
        match self {
            Self::Tenant(t) => format!("tenant:{t}"),
            Self::Keyring => "keyring".into(),
        }
    }

    fn parse(payload: &str) -> Option<Self> {
        match payload.split_once(':') {
            Some(("tenant", id)) => Uuid::parse_str(id).ok().map(Self::Tenant),
            None if payload == "keyring" => Some(Self::Keyring),
            _ => None,
        }
    }
}

/// Sends `event` on `conn`, which should be the transaction making the change.
pub async fn notify<C: ConnectionTrait>(conn: &C, event: Event) -> Result<(), StoreError> {
    if conn.get_database_backend() != DatabaseBackend::Postgres {
        return Ok(());
    }
    conn.execute(Statement::from_sql_and_values(
        DatabaseBackend::Postgres,
        "SELECT pg_notify($1, $2)",
        [CHANNEL.into(), event.payload().into()],
    ))
    .await?;
    Ok(())
}

/// What a process does with events.
pub trait Listener: Send + Sync {
    /// Another process (or this one) changed something.
    fn event(&self, event: Event);
    /// The listener is up (`true`: events will arrive from now on) or lost (`false`: some may
    /// not; caches must not be trusted until it is up again).
    fn connected(&self, up: bool);
}

/// Runs for the life of the process: listens on [`CHANNEL`], reconnecting after a second when
/// the connection is lost. On SQLite it reports `connected(true)` once and returns.
pub async fn listen(db: DatabaseConnection, sink: Arc<dyn Listener>) {
    if db.get_database_backend() != DatabaseBackend::Postgres {
        sink.connected(true);
        return;
    }
    let pool = db.get_postgres_connection_pool().clone();
    loop {
        match sea_orm::sqlx::postgres::PgListener::connect_with(&pool).await {
            Ok(mut listener) => match listener.listen(CHANNEL).await {
                Ok(()) => {
                    sink.connected(true);
                    // `try_recv` answers `Ok(None)` when the connection dropped; the listener is
                    // then made again from scratch rather than reconnected in place, so
                    // `connected(true)` is only said once LISTEN is in force again.
                    while let Ok(Some(n)) = listener.try_recv().await {
                        match Event::parse(n.payload()) {
                            Some(e) => sink.event(e),
                            None => tracing::warn!(payload = n.payload(), "unknown event"),
                        }
                    }
                    tracing::warn!("event listener lost its connection; caches bypassed");
                }
                Err(e) => tracing::warn!(error = %e, "LISTEN failed"),
            },
            Err(e) => tracing::warn!(error = %e, "event listener cannot connect"),
        }
        sink.connected(false);
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payloads_round_trip() {
        let t = Uuid::new_v4();
        for e in [Event::Tenant(t), Event::Keyring] {
            assert_eq!(Event::parse(&e.payload()), Some(e));
        }
        assert_eq!(Event::parse("tenant:nope"), None);
        assert_eq!(Event::parse("other"), None);
    }
}
