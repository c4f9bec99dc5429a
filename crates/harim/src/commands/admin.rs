//! `harim admin` and `harim migrate`: platform tokens and the schema.

use anyhow::Context;
use secrecy::ExposeSecret;

use crate::{config::Config, open};

/// Applies every pending migration, whatever `auto_migrate` says.
pub async fn migrate(config: Config) -> anyhow::Result<()> {
    let db = open::open_db(&config).await?;
    harim_store::db::migrate(&db)
        .await
        .context("applying migrations")?;
    println!("migrations applied");
    Ok(())
}

/// Prints the new token on the last line, once: scripts read it from there. The line before
/// names its id (what `harim admin revoke-token` takes) and when it expires.
pub async fn create_token(
    config: Config,
    role: &str,
    name: &str,
    ttl_days: u32,
) -> anyhow::Result<()> {
    let db = open::schema_ready_db(&config).await?;
    let role =
        harim_store::roles::PlatformRole::parse(role).context("role must be admin or reviewer")?;
    let made = harim_store::auth::create_platform_token(&db, role, name, ttl_days).await?;
    let expires = made
        .expires_at
        .format(&time::format_description::well_known::Rfc3339)
        .context("formatting the expiry")?;
    println!(
        "created a platform {} token named {name:?}, id {}, expiring {expires}; it is shown once:",
        role.as_str(),
        made.id
    );
    println!("{}", made.token.expose_secret());
    Ok(())
}

/// Revokes a platform token, recorded in the platform's audit chain as `cli:<user>`.
pub async fn revoke_token(config: Config, id: uuid::Uuid) -> anyhow::Result<()> {
    let db = open::schema_ready_db(&config).await?;
    let vault = open::vault(&config, &db).await?;
    let operator = harim_store::scope::PlatformScope::command_line(format!(
        "cli:{}",
        std::env::var("USER").unwrap_or_else(|_| "unknown".into())
    ));
    match harim_store::auth::revoke_platform_token(&db, &vault, &operator, id.into(), None).await {
        Ok(()) => {
            println!("revoked platform token {id}");
            Ok(())
        }
        Err(harim_store::StoreError::NotFound) => anyhow::bail!("no platform token {id}"),
        Err(e) => Err(e.into()),
    }
}
