//! `harim keys`: root key status, online rotation, tenant-key rotation and retirement, over
//! `harim_store::rotation` and `harim_store::tenant_rotation`.

use harim_store::{rotation, scope::PlatformScope};
use sea_orm::DatabaseConnection;

use crate::{cli::KeysCommand, config::Config, open};

pub async fn run(config: Config, command: KeysCommand) -> anyhow::Result<()> {
    let db = open::schema_ready_db(&config).await?;
    let vault = open::vault(&config, &db).await?;
    // The command line acts as a platform admin (it holds the database and the key provider),
    // recorded as `cli:<user>`.
    let operator = PlatformScope::command_line(format!(
        "cli:{}",
        std::env::var("USER").unwrap_or_else(|_| "unknown".into())
    ));
    match command {
        KeysCommand::Status => status(&db, &vault).await,
        KeysCommand::Rotate { wait, batch, force } => {
            let brake = rotation::Brake {
                min_interval: config.api.root_rotation_min_interval,
                force,
            };
            rotate(&db, &vault, &operator, brake, wait, batch).await
        }
        KeysCommand::RotateTenant {
            shop: Some(shop), ..
        } => rotate_tenant(&db, &vault, &operator, shop).await,
        KeysCommand::RotateTenant { .. } => rotate_all_tenants(&db, &vault, &operator).await,
        KeysCommand::Retire {
            version,
            grace_secs,
        } => retire(&db, &vault, &operator, version, grace_secs).await,
    }
}

async fn status(db: &DatabaseConnection, vault: &harim_vault::Vault) -> anyhow::Result<()> {
    let s = rotation::status(db, vault)
        .await
        .map_err(|e| anyhow::anyhow!("reading key status: {e}"))?;
    println!(
        "provider {}, active root key version {}",
        s.provider, s.active_version
    );
    println!(
        "{:>8}  {:<13} {:>12} {:>14}",
        "version", "state", "tenant_keys", "blind_indexes"
    );
    for v in &s.versions {
        println!(
            "{:>8}  {:<13} {:>12} {:>14}",
            v.version, v.state, v.tenant_keys, v.blind_indexes
        );
    }
    match &s.rotation {
        Some(j) => {
            println!(
                "rotation {} to version {}: {} ({}/{})",
                j.id, j.target_kek_version, j.state, j.done, j.total
            );
            // A failed job says why in the database's own words.
            if let Some(e) = &j.error {
                println!("  error: {e}");
            }
        }
        None => println!("no rotation yet"),
    }
    Ok(())
}

/// A progress bar of `unit` (rows, shops); the template is constant, so the fallback is only
/// there to need no `expect`.
fn progress_bar(len: u64, unit: &str) -> indicatif::ProgressBar {
    let bar = indicatif::ProgressBar::new(len);
    bar.set_style(
        indicatif::ProgressStyle::with_template(&format!(
            "{{bar:40}} {{pos}}/{{len}} {unit}  {{per_sec}}  ETA {{eta}}"
        ))
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    bar
}

async fn rotate(
    db: &DatabaseConnection,
    vault: &std::sync::Arc<harim_vault::Vault>,
    operator: &PlatformScope,
    brake: rotation::Brake,
    wait: bool,
    batch: u64,
) -> anyhow::Result<()> {
    let (job, created) = rotation::start(db, vault, operator, None, brake)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    if created {
        println!(
            "rotation {} started: new root key version {} is active",
            job.id, job.target_kek_version
        );
    } else {
        println!(
            "resuming rotation {} to version {} ({}/{} done)",
            job.id, job.target_kek_version, job.done, job.total
        );
    }
    if !wait {
        println!(
            "a running `harim serve` re-wraps the tenant keys; follow with `harim keys status`"
        );
        return Ok(());
    }
    let bar = progress_bar(u64::try_from(job.total.max(job.done)).unwrap_or(0), "rows");
    bar.set_position(u64::try_from(job.done).unwrap_or(0));
    bar.reset_eta();
    let progress = |done: u64, total: u64| {
        bar.set_length(total);
        bar.set_position(done);
    };
    let done = rotation::run(db, vault, job.id.into(), batch, Some(&progress))
        .await
        .map_err(|e| anyhow::anyhow!("rotation {}: {e}", job.id))?;
    bar.finish();
    println!(
        "rotation {} done: {} rows re-wrapped under version {}",
        done.id, done.done, done.target_kek_version
    );
    Ok(())
}

async fn rotate_tenant(
    db: &DatabaseConnection,
    vault: &std::sync::Arc<harim_vault::Vault>,
    operator: &PlatformScope,
    shop: uuid::Uuid,
) -> anyhow::Result<()> {
    use harim_store::tenant_rotation::{Outcome, rotate_shop};
    let now = time::OffsetDateTime::now_utc();
    match rotate_shop(db, vault, operator, shop.into(), now).await {
        Ok(Outcome::Rotated(v)) => println!("shop {shop}: now on tenant key version {v}"),
        Ok(Outcome::AlreadyFresh) => {
            println!("shop {shop}: its key is newer than this run")
        }
        Err(harim_store::StoreError::NotFound) => anyhow::bail!("no shop {shop}"),
        Err(e) => anyhow::bail!("shop {shop}: {e}"),
    }
    Ok(())
}

async fn rotate_all_tenants(
    db: &DatabaseConnection,
    vault: &std::sync::Arc<harim_vault::Vault>,
    operator: &PlatformScope,
) -> anyhow::Result<()> {
    use harim_store::tenant_rotation::{run_all, start_all};
    let job = start_all(db, operator)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    println!(
        "tenant-key rotation {} ({}/{} shops done)",
        job.id, job.done, job.total
    );
    let bar = progress_bar(u64::try_from(job.total).unwrap_or(0), "shops");
    let progress = |done: u64, total: u64| {
        bar.set_length(total.max(done));
        bar.set_position(done);
    };
    let done = run_all(db, vault, operator, job, &progress)
        .await
        .map_err(|e| anyhow::anyhow!("tenant-key rotation: {e}"))?;
    bar.finish();
    println!(
        "tenant-key rotation {} done: {} shops rotated",
        done.id, done.done
    );
    Ok(())
}

async fn retire(
    db: &DatabaseConnection,
    vault: &std::sync::Arc<harim_vault::Vault>,
    operator: &PlatformScope,
    version: u32,
    grace_secs: u64,
) -> anyhow::Result<()> {
    loop {
        let grace = std::time::Duration::from_secs(grace_secs);
        match rotation::retire(db, vault, version, operator, grace).await {
            Ok(()) => {
                println!("root key version {version} destroyed");
                return Ok(());
            }
            // Decrypt-only now; every process must see that before the key goes.
            Err(rotation::RotationError::GracePeriod { destroy_after, .. }) => {
                let wait = destroy_after - time::OffsetDateTime::now_utc();
                println!(
                    "root key version {version} is decrypt-only; destroying it in {}s",
                    wait.whole_seconds().max(0)
                );
                tokio::time::sleep(wait.try_into().unwrap_or_default()).await;
            }
            Err(e) => anyhow::bail!("refused: {e}"),
        }
    }
}
