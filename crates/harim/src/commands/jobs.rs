//! `harim jobs`: a scheduled job run once, its report printed as JSON.

use crate::{config::Config, open};

pub async fn run(config: Config, job: &str) -> anyhow::Result<()> {
    let db = open::schema_ready_db(&config).await?;
    let documents = open::document_store(&config)?;
    let vault = open::vault(&config, &db).await?;
    match job {
        "retention" => {
            let report = harim_store::retention::run(
                &db,
                &vault,
                &documents,
                &config.retention_periods(),
                time::OffsetDateTime::now_utc(),
            )
            .await
            .map_err(|e| anyhow::anyhow!("retention: {e}"))?;
            println!("{}", serde_json::to_string(&report)?);
            if !report.failed.is_empty() {
                anyhow::bail!("retention rules failed: {}", report.failed.join(", "));
            }
            Ok(())
        }
        other => anyhow::bail!("unknown job {other}"),
    }
}
