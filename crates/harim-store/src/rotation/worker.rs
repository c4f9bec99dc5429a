//! The background worker of `serve`: picks up pending jobs and jobs whose worker died.

use super::*;

/// Background worker for `serve`: every `every`, re-reads the keyring and runs any pending
/// job, or a running one whose heartbeat is older than `stale` (its worker died), until `stop`
/// turns true; a job in flight then stops after its current batch.
pub async fn background_worker(
    db: DatabaseConnection,
    vault: std::sync::Arc<Vault>,
    every: Duration,
    stale: Duration,
    mut stop: tokio::sync::watch::Receiver<bool>,
) {
    loop {
        tokio::select! {
            () = tokio::time::sleep(every) => {}
            _ = stop.changed() => {}
        }
        if *stop.borrow() {
            return;
        }
        let _ = vault.provider().reload();
        let job = match unfinished(&db).await {
            Ok(Some(j)) => j,
            Ok(None) => continue,
            Err(e) => {
                tracing::warn!(error = %e, "rotation worker: reading jobs failed");
                continue;
            }
        };
        let age = OffsetDateTime::now_utc() - job.updated_at;
        // A failed job waits for an operator (`harim keys rotate --wait` resumes it).
        if job.state == JobState::Failed || (job.state == JobState::Running && age < stale) {
            continue;
        }
        tracing::info!(job = %job.id, "rotation worker: running job");
        let stopping = stop.clone();
        let stopped = move || *stopping.borrow();
        if let Err(e) = run_until(&db, &vault, job.id, DEFAULT_BATCH, None, &stopped).await {
            tracing::error!(job = %job.id, error = %e, "rotation worker: job failed");
        }
    }
}
