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

/// Prints the new token on the last line, once: scripts read it from there.
pub async fn create_token(config: Config, role: &str, name: &str) -> anyhow::Result<()> {
    let db = open::schema_ready_db(&config).await?;
    let role =
        harim_store::roles::PlatformRole::parse(role).context("role must be admin or reviewer")?;
    let token = harim_store::auth::create_platform_token(&db, role, name).await?;
    println!(
        "created a platform {} token named {name:?}; it is shown once:",
        role.as_str()
    );
    println!("{}", token.expose_secret());
    Ok(())
}
