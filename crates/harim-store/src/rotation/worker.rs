//! The background worker of `serve`: picks up pending jobs and jobs whose worker died.

use super::*;

/// Background worker for `serve`: every `every`, re-reads the keyring and runs any pending
/// job (at once when `wake` is notified: another replica started one), or a running one whose heartbeat is older than `stale` (its worker died), until `stop`
/// turns true; a job in flight then stops after its current batch.
pub async fn background_worker(
    db: DatabaseConnection,
    vault: std::sync::Arc<Vault>,
    every: Duration,
    stale: Duration,
    batch: u64,
    wake: std::sync::Arc<tokio::sync::Notify>,
    mut stop: tokio::sync::watch::Receiver<bool>,
) {
    loop {
        tokio::select! {
            () = tokio::time::sleep(every) => {}
            () = wake.notified() => {}
            _ = stop.changed() => {}
        }
        if *stop.borrow() {
            return;
        }
        let _ = vault.provider().reload();
        if let Err(e) = crate::tenant_keys::bind_key_ids(&db, &vault).await {
            tracing::error!(error = %e, "rotation worker: binding root key ids failed");
        }
        let job = match unfinished(&db).await {
            Ok(Some(j)) => j,
            Ok(None) => continue,
            Err(e) => {
                tracing::warn!(error = %e, "rotation worker: reading jobs failed");
                continue;
            }
        };
        let age = OffsetDateTime::now_utc() - job.updated_at;
        // A failed job waits for an operator (`harim keys rotate --wait` resumes it). On
        // PostgreSQL every replica joins a running job (batches claim their rows with SKIP
        // LOCKED, so each key is re-wrapped once whoever takes it); on SQLite (one writer at a
        // time) only a job whose worker died is taken over.
        let pg = db.get_database_backend() == DatabaseBackend::Postgres;
        if job.state == JobState::Failed || (job.state == JobState::Running && age < stale && !pg) {
            continue;
        }
        tracing::info!(job = %job.id, "rotation worker: running job");
        let stopping = stop.clone();
        let stopped = move || *stopping.borrow();
        if let Err(e) = run_until(&db, &vault, job.id.into(), batch, None, &stopped).await {
            tracing::error!(job = %job.id, error = %e, "rotation worker: job failed");
        }
    }
}
