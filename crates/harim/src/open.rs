//! Opening what the configuration names: the database (its files private on the embedded
//! default, its schema current), the root key provider and vault, the document store.

use std::sync::Arc;

use anyhow::Context;

use crate::config::{self, Config};

pub async fn open_db(config: &Config) -> anyhow::Result<sea_orm::DatabaseConnection> {
    if config.embedded {
        create_private_dir(&config.data_dir)?;
        restrict_database_files(&config.data_dir.join("harim.db"))?;
    }
    harim_store::db::connect_sized(&config.database_url, config.database_pool_size)
        .await
        .context("connecting to the database")
}

pub async fn ensure_schema(
    config: &Config,
    db: &sea_orm::DatabaseConnection,
) -> anyhow::Result<()> {
    if config.auto_migrate {
        harim_store::db::migrate(db)
            .await
            .context("applying migrations")?;
    } else {
        let pending = harim_store::db::pending_migrations(db)
            .await
            .context("reading migrations")?;
        if pending > 0 {
            anyhow::bail!("{pending} database migration(s) pending: run `harim migrate` first");
        }
    }
    Ok(())
}

/// The embedded default's directory holds the database and the development keyring: owner only.
/// The embedded database file, created empty with mode 0600 before SQLite opens it (SQLite then
/// gives its `-wal` and `-shm` files the same mode), and any of the three left more open by an
/// older version narrowed to 0600.
fn restrict_database_files(db: &std::path::Path) -> anyhow::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
        if !db.exists() {
            std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .open(db)
                .or_else(|e| match e.kind() {
                    // Another process created it first: narrowed below.
                    std::io::ErrorKind::AlreadyExists => std::fs::File::open(db),
                    _ => Err(e),
                })
                .with_context(|| format!("creating {}", db.display()))?;
        }
        let name = db
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        for suffix in ["", "-wal", "-shm"] {
            let path = db.with_file_name(format!("{name}{suffix}"));
            if path.exists() {
                std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))
                    .with_context(|| format!("restricting {}", path.display()))?;
            }
        }
    }
    #[cfg(not(unix))]
    let _ = db;
    Ok(())
}

fn create_private_dir(dir: &std::path::Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
            .with_context(|| format!("restricting {}", dir.display()))?;
    }
    Ok(())
}

/// The root key provider: a keyring file, the environment (`HARIM_KEYRING=env`), or on the
/// embedded default a development keyring generated in the data directory.
fn key_provider(config: &Config) -> anyhow::Result<Arc<dyn harim_vault::KeyProvider>> {
    match &config.keyring {
        Some(p) if p.as_os_str() == "env" => Ok(Arc::new(
            harim_vault::EnvKeyring::from_env().context("reading HARIM_ROOT_KEYS")?,
        )),
        Some(p) if p.as_os_str() == "pkcs11" => {
            let settings = &config.pkcs11;
            let pin = match &settings.pin_file {
                Some(file) => std::fs::read_to_string(file)
                    .with_context(|| format!("reading pkcs11_pin_file {}", file.display()))?
                    .trim_end_matches(['\r', '\n'])
                    .to_owned(),
                None => std::env::var(config::ENV_PKCS11_PIN).with_context(|| {
                    format!(
                        "keyring = \"pkcs11\": set pkcs11_pin_file or {}",
                        config::ENV_PKCS11_PIN
                    )
                })?,
            };
            let module = settings
                .module
                .clone()
                .context("keyring = \"pkcs11\" needs pkcs11_module")?;
            let provider = harim_pkcs11::Pkcs11Provider::connect(&harim_pkcs11::Pkcs11Config {
                module,
                token_label: settings.token.clone(),
                pin: secrecy::SecretString::from(pin),
                sessions: settings.sessions,
            })
            .context("opening the PKCS#11 token")?;
            Ok(Arc::new(provider))
        }
        Some(path) => Ok(Arc::new(
            harim_vault::FileKeyring::open(path)
                .with_context(|| format!("opening keyring {}", path.display()))?,
        )),
        None if config.embedded => {
            let path = config.data_dir.join("keyring.json");
            let (ring, created) = harim_vault::FileKeyring::open_or_create_dev(&path)
                .with_context(|| format!("opening development keyring {}", path.display()))?;
            if created {
                tracing::info!(path = %path.display(), "generated a development keyring");
            }
            Ok(Arc::new(ring))
        }
        None => anyhow::bail!(
            "keyring: a database is configured but no key provider; set HARIM_KEYRING to a keyring file or to `env`"
        ),
    }
}

/// The vault over the configured provider, with a first root version (made under a database
/// lock when the provider has none: a fresh PKCS#11 token shared by processes starting at
/// once). The provider re-reads its keyring when it meets a root version it does not know
/// (another process rotated the shared file).
pub async fn vault(
    config: &Config,
    db: &sea_orm::DatabaseConnection,
) -> anyhow::Result<Arc<harim_vault::Vault>> {
    let vault = Arc::new(harim_vault::Vault::new(
        Arc::new(harim_vault::ReloadingProvider::new(key_provider(config)?)),
        Default::default(),
    ));
    harim_store::rotation::first_version(db, &vault)
        .await
        .context("making the key provider's first root version")?;
    Ok(vault)
}

pub fn document_store(config: &Config) -> anyhow::Result<harim_kyc::DocumentStore> {
    let store = harim_kyc::DocumentStore::from_url(&config.object_store_url)
        .map_err(|e| anyhow::anyhow!("object store: {e}"))?
        .with_max_image_pixels(config.kyc_max_image_pixels);
    if config.object_store_default && !config.embedded {
        tracing::warn!(
            store = store.describe(),
            "a database is configured but no object store: KYC documents go to a local directory; set HARIM_OBJECT_STORE_URL=s3://bucket for production"
        );
    }
    Ok(store)
}

/// The database, its schema current (migrated here, or refused while migrations are pending).
pub async fn schema_ready_db(config: &Config) -> anyhow::Result<sea_orm::DatabaseConnection> {
    let db = open_db(config).await?;
    ensure_schema(config, &db).await?;
    Ok(db)
}

/// The message providers, from the environment (secrets never sit in the configuration file):
/// `HARIM_SMTP_URL` (lettre's form, `smtp://host:port`, `smtps://user:pass@host`) and
/// `HARIM_EMAIL_FROM`; `HARIM_SMS_PROVIDER` (`kavenegar` or `unifonic`), `HARIM_SMS_URL`,
/// `HARIM_SMS_API_KEY`, `HARIM_SMS_SENDER`, `HARIM_SMS_INBOUND_TOKEN`. A channel without a
/// provider writes its messages into `<data_dir>/outbox/` (development), with a warning.
pub fn providers(config: &Config) -> anyhow::Result<harim_notify::providers::Providers> {
    use harim_notify::providers::{Kavenegar, Providers, Smtp, Unifonic};
    use secrecy::SecretString;
    let env = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
    let mut p = Providers::directory(config.data_dir.join("outbox"));
    match env("HARIM_SMTP_URL") {
        Some(url) => {
            p.email = Box::new(
                Smtp::new(&SecretString::from(url))
                    .map_err(|e| anyhow::anyhow!("HARIM_SMTP_URL: {e}"))?,
            );
        }
        None => tracing::warn!(
            dir = %config.data_dir.join("outbox").display(),
            "NO SMTP SERVER (HARIM_SMTP_URL): e-mail to customers is written to a directory, not sent"
        ),
    }
    if let Some(from) = env("HARIM_EMAIL_FROM") {
        p.email_from = from;
    }
    let key = || {
        env("HARIM_SMS_API_KEY")
            .map(SecretString::from)
            .ok_or_else(|| anyhow::anyhow!("HARIM_SMS_API_KEY is needed with HARIM_SMS_PROVIDER"))
    };
    match env("HARIM_SMS_PROVIDER").as_deref() {
        Some("kavenegar") => {
            let url = env("HARIM_SMS_URL").unwrap_or_else(|| "https://api.kavenegar.com".into());
            p.sms = Box::new(Kavenegar::new(&url, key()?).map_err(|e| anyhow::anyhow!("{e}"))?);
            p.inbound_country = Some("IR");
        }
        Some("unifonic") => {
            let url =
                env("HARIM_SMS_URL").unwrap_or_else(|| "https://el.cloud.unifonic.com".into());
            p.sms = Box::new(Unifonic::new(&url, key()?).map_err(|e| anyhow::anyhow!("{e}"))?);
            p.inbound_country = Some("SA");
        }
        Some(other) => anyhow::bail!("HARIM_SMS_PROVIDER: {other:?} is not kavenegar or unifonic"),
        None => tracing::warn!(
            "NO SMS PROVIDER (HARIM_SMS_PROVIDER): text messages to customers are written to a directory, not sent"
        ),
    }
    if let Some(sender) = env("HARIM_SMS_SENDER") {
        p.sms_sender = sender;
    }
    p.inbound_token = env("HARIM_SMS_INBOUND_TOKEN").map(SecretString::from);
    Ok(p)
}
