//! `harim audit`: the keyed hash chains of the audit log, verified or their heads exported.

use std::path::PathBuf;

use anyhow::Context;

use crate::{config::Config, open};

pub async fn heads(config: Config) -> anyhow::Result<()> {
    let db = open::schema_ready_db(&config).await?;
    let vault = open::vault(&config, &db).await?;
    let heads = harim_store::audit::export_heads(&db, &vault)
        .await
        .map_err(|e| anyhow::anyhow!("reading the audit heads: {e}"))?;
    println!("{}", serde_json::to_string_pretty(&heads)?);
    Ok(())
}

pub async fn verify(config: Config, heads: Option<PathBuf>) -> anyhow::Result<()> {
    let db = open::schema_ready_db(&config).await?;
    let vault = open::vault(&config, &db).await?;
    let heads: Option<harim_store::audit::SignedHeads> = match heads {
        None => None,
        Some(path) => {
            let text = std::fs::read_to_string(&path)
                .with_context(|| format!("reading {}", path.display()))?;
            Some(
                serde_json::from_str(&text)
                    .with_context(|| format!("{} is not an audit heads export", path.display()))?,
            )
        }
    };
    let report = harim_store::audit::verify(&db, &vault, heads.as_ref())
        .await
        .map_err(|e| anyhow::anyhow!("reading the audit log: {e}"))?;
    if report.heads_authentic == Some(false) {
        println!(
            "BROKEN the heads file's MAC does not hold: it was altered or is from another deployment"
        );
        std::process::exit(1);
    }
    for b in &report.broken {
        println!(
            "BROKEN tenant {} at entry {}: {}",
            b.tenant_id, b.seq, b.reason
        );
    }
    let verdict = if report.broken.is_empty() {
        "all intact".to_string()
    } else {
        format!("{} broken", report.broken.len())
    };
    // Pruned entries are checked by their place in the chain and their pruning mark.
    let pruned = if report.pruned > 0 {
        format!(" ({} with content removed by retention)", report.pruned)
    } else {
        String::new()
    };
    println!(
        "checked {} entries{pruned} in {} chains: {verdict}",
        report.entries, report.tenants
    );
    if !report.broken.is_empty() {
        std::process::exit(1);
    }
    Ok(())
}
