//! The background worker of `serve`: picks up pending jobs and jobs whose worker died.

use super::*;

/// Background worker for `serve`: every `every`, re-reads the keyring and runs any pending
/// job, or a running one whose heartbeat is older than `stale` (its worker died).
pub async fn background_worker(
    db: DatabaseConnection,
    vault: std::sync::Arc<Vault>,
    every: Duration,
    stale: Duration,
) {
    loop {
        tokio::time::sleep(every).await;
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
        if let Err(e) = run(&db, &vault, job.id, DEFAULT_BATCH, None).await {
            tracing::error!(job = %job.id, error = %e, "rotation worker: job failed");
        }
    }
}
