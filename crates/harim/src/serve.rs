//! `harim serve`: the application of `harim_api::startup` over what the configuration opens,
//! on the configured address, until SIGTERM or Ctrl-C.

use anyhow::Context;
use harim_api::startup::{Application, Parts, Workers};

use crate::{config::Config, open};

pub async fn serve(config: Config) -> anyhow::Result<()> {
    let db = open::schema_ready_db(&config).await?;
    let vault = open::vault(&config, &db).await?;
    // A root key object replaced under a version the database knows (another CKA_ID) refuses
    // the start rather than serving under it.
    harim_store::rotation::bind_key_ids(&db, &vault)
        .await
        .context("binding the root key versions to the key provider's objects")?;
    if config.embedded {
        tracing::warn!(
            data_dir = %config.data_dir.display(),
            "EMBEDDED DEFAULT: SQLite, local object directory and a generated development keyring. NOT FOR PRODUCTION."
        );
    }
    if !config.platform_configured {
        tracing::warn!(
            "NO [platform] SECTION: every privacy policy names a development operator (\"Harim development installation\"). Set [platform] before publishing anything real."
        );
    }
    let documents = open::document_store(&config)?;
    let app = Application::build(
        Parts {
            db,
            vault,
            documents,
            config: config.api.clone(),
            rights: config.rights.clone(),
            notify: open::providers(&config)?,
        },
        if config.background_jobs {
            Workers {
                outbox: config.outbox_worker,
                ..Workers::all(config.retention_interval)
            }
        } else {
            // Other replicas' publishes and rotations must still reach this one's caches.
            Workers {
                events: true,
                ..Workers::none()
            }
        },
    )
    .map_err(|e| anyhow::anyhow!("building the application: {e}"))?;
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .with_context(|| format!("binding {}", config.listen))?;
    let addr = listener.local_addr()?;
    tracing::info!(%addr, "listening");
    // Tests and scripts read this line to find the port when listening on :0.
    println!("harim listening on http://{addr}");
    app.run_until(listener, shutdown(), config.shutdown_grace)
        .await
        .context("serving")?;
    tracing::info!("stopped");
    Ok(())
}

/// SIGTERM or Ctrl-C.
async fn shutdown() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { () = ctrl_c => {}, () = term => {} }
    tracing::info!("shutting down");
}
