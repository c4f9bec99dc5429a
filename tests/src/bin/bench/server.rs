//! Deployments for the benchmark: a fresh database (PostgreSQL or the embedded SQLite), a file
//! keyring, an object directory, and `harim serve` started as a child process.

use std::{
    io::BufRead,
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
};

use anyhow::{Context, Result, anyhow, bail};
use futures::{StreamExt, stream};
use sea_orm::ConnectionTrait;
use secrecy::SecretString;
use serde_json::{Value, json};

/// Debian's SoftHSM2 module (`infra/softhsm.sh` installs it).
pub const SOFTHSM_MODULE: &str = "/usr/lib/softhsm/libsofthsm2.so";
/// The label and user PIN of the token [`softhsm_token`] makes.
pub const SOFTHSM_TOKEN: &str = "harim-bench";
pub const SOFTHSM_PIN: &str = "1234";

pub const IDENTITY: &str = include_str!("../../../../docs/examples/identity.json");
pub const SETTINGS: &str = include_str!("../../../../docs/examples/privacy-settings.json");
pub const PASSWORD: &str = "correct horse battery staple";

/// Where the data lives.
#[derive(Debug, Clone)]
pub enum Backend {
    /// A database created (and dropped again) on this server: the admin URL.
    Postgres(String),
    Sqlite,
    /// A fresh database of the Citus cluster of `infra/citus.sh` (made by it, dropped by it):
    /// its name and the shard count of its distributed tables.
    Citus(String, u32),
}

impl Backend {
    pub fn name(&self) -> &'static str {
        match self {
            Backend::Postgres(_) => "PostgreSQL",
            Backend::Sqlite => "SQLite",
            Backend::Citus(..) => "Citus",
        }
    }
}

/// A database, keyring and object directory for one harim; dropped databases on drop.
pub struct Deployment {
    pub dir: tempfile::TempDir,
    pub db_url: String,
    pub keyring: PathBuf,
    pg: Option<(String, String)>,
    citus: Option<String>,
    env: Vec<(String, String)>,
}

/// `infra/citus.sh` of this checkout.
pub fn citus_script() -> PathBuf {
    crate::repo_root().join("infra/citus.sh")
}

/// A fresh database `name` on the Citus cluster (dropped first if a crashed run left it), its
/// distributed tables to get `shards` shards each: its URL.
pub fn citus_database(name: &str, shards: u32) -> Result<String> {
    let _ = Command::new(citus_script()).args(["--drop", name]).output();
    let out = Command::new(citus_script())
        .arg(name)
        .stderr(Stdio::inherit())
        .output()
        .context("infra/citus.sh")?;
    if !out.status.success() {
        bail!("infra/citus.sh {name} failed");
    }
    let url = String::from_utf8_lossy(&out.stdout)
        .lines()
        .last()
        .map(str::to_string)
        .ok_or_else(|| anyhow!("infra/citus.sh printed no URL"))?;
    let st = Command::new("psql")
        .args([
            url.as_str(),
            "-qc",
            &format!("ALTER DATABASE {name} SET citus.shard_count = {shards}"),
        ])
        .status()?;
    if !st.success() {
        bail!("setting the shard count of {name}");
    }
    Ok(url)
}

fn with_db(admin: &str, name: &str) -> String {
    match admin.rsplit_once('/') {
        Some((head, _)) => format!("{head}/{name}"),
        None => format!("{admin}/{name}"),
    }
}

impl Deployment {
    pub async fn new(
        harim: &Path,
        backend: &Backend,
        label: &str,
        extra: &[(&str, &str)],
    ) -> Result<Self> {
        let dir = tempfile::tempdir()?;
        std::fs::create_dir_all(dir.path().join("objects"))?;
        let keyring = dir.path().join("keyring.json");
        harim_vault::FileKeyring::open_or_create_dev(&keyring)
            .map_err(|e| anyhow!("keyring: {e}"))?;
        let (db_url, pg) = match backend {
            Backend::Postgres(admin) => {
                let name = format!("harim_bench_{label}_{}", std::process::id());
                let db = sea_orm::Database::connect(admin.as_str()).await?;
                db.execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                    .await?;
                db.execute_unprepared(&format!("CREATE DATABASE {name}"))
                    .await?;
                (with_db(admin, &name), Some((admin.clone(), name)))
            }
            Backend::Sqlite => (
                format!(
                    "sqlite://{}?mode=rwc",
                    dir.path().join("harim.db").display()
                ),
                None,
            ),
            Backend::Citus(name, shards) => (citus_database(name, *shards)?, None),
        };
        let citus = match backend {
            Backend::Citus(name, _) => Some(name.clone()),
            _ => None,
        };
        let mut env = vec![
            (
                "HARIM_DATA_DIR".to_string(),
                dir.path().display().to_string(),
            ),
            ("HARIM_KEYRING".to_string(), keyring.display().to_string()),
            (
                "HARIM_OBJECT_STORE_URL".to_string(),
                format!("file://{}", dir.path().join("objects").display()),
            ),
            ("RUST_LOG".to_string(), "warn".to_string()),
        ];
        if pg.is_some() || citus.is_some() {
            env.push(("HARIM_DATABASE_URL".into(), db_url.clone()));
        }
        for (k, v) in extra {
            env.push(((*k).into(), (*v).into()));
        }
        let d = Self {
            dir,
            db_url,
            keyring,
            pg,
            citus,
            env,
        };
        let st = d
            .command(harim)
            .arg("migrate")
            .stdout(Stdio::null())
            .status()?;
        if !st.success() {
            bail!("harim migrate failed");
        }
        Ok(d)
    }

    /// `harim` with this deployment's environment and nothing of the caller's.
    pub fn command(&self, harim: &Path) -> Command {
        let mut c = Command::new(harim);
        c.env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .envs(self.env.iter().map(|(k, v)| (k, v)));
        c
    }

    pub fn start(&self, harim: &Path) -> Result<Harim> {
        self.start_with(harim, &[])
    }

    /// [`Deployment::start`] with extra environment for this process only.
    pub fn start_with(&self, harim: &Path, extra: &[(&str, &str)]) -> Result<Harim> {
        let err = std::fs::File::create(self.dir.path().join("serve.err"))?;
        let mut child = self
            .command(harim)
            .envs(extra.iter().copied())
            .args(["serve", "--listen", "127.0.0.1:0"])
            .stdout(Stdio::piped())
            .stderr(err)
            .spawn()
            .context("harim serve")?;
        let mut line = String::new();
        let out = child.stdout.take().ok_or_else(|| anyhow!("no stdout"))?;
        std::io::BufReader::new(out).read_line(&mut line)?;
        let base = line
            .trim()
            .strip_prefix("harim listening on ")
            .ok_or_else(|| anyhow!("harim serve said {line:?}"))?
            .to_string();
        eprintln!("  harim serve: pid {}, {base}", child.id());
        Ok(Harim { child, base })
    }

    /// A pool like harim's own (`harim_store::db::connect`: same size, same options).
    pub async fn pool(&self) -> Result<sea_orm::DatabaseConnection> {
        Ok(harim_store::db::connect(&SecretString::from(self.db_url.clone())).await?)
    }

    pub fn vault(&self) -> Result<std::sync::Arc<harim_vault::Vault>> {
        let (ring, _) = harim_vault::FileKeyring::open_or_create_dev(&self.keyring)
            .map_err(|e| anyhow!("keyring: {e}"))?;
        Ok(std::sync::Arc::new(harim_vault::Vault::new(
            std::sync::Arc::new(harim_vault::ReloadingProvider::with_interval(
                std::sync::Arc::new(ring),
                std::time::Duration::ZERO,
            )),
            Default::default(),
        )))
    }
}

impl Drop for Deployment {
    fn drop(&mut self) {
        if let Some(name) = self.citus.take() {
            let _ = Command::new(citus_script())
                .args(["--drop", &name])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status();
        }
        if let Some((admin, name)) = self.pg.take() {
            // A runtime is not available in Drop; psql is (it ships with PostgreSQL).
            let _ = Command::new("psql")
                .args([
                    admin.as_str(),
                    "-qc",
                    &format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"),
                ])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status();
        }
    }
}

/// A fresh, empty SoftHSM2 token in a temporary directory (its `softhsm2.conf` there too, for
/// `SOFTHSM2_CONF`), as `tests/tests/hsm.rs` makes one; `None` where SoftHSM2 is not installed.
pub fn softhsm_token() -> Result<Option<tempfile::TempDir>> {
    if !Path::new(SOFTHSM_MODULE).exists() {
        return Ok(None);
    }
    let dir = tempfile::tempdir()?;
    let d = dir.path();
    std::fs::create_dir_all(d.join("tokens"))?;
    std::fs::write(
        d.join("softhsm2.conf"),
        format!(
            "directories.tokendir = {}\nobjectstore.backend = file\nlog.level = ERROR\n",
            d.join("tokens").display()
        ),
    )?;
    let init = Command::new("softhsm2-util")
        .args(["--init-token", "--free", "--label", SOFTHSM_TOKEN])
        .args(["--pin", SOFTHSM_PIN, "--so-pin", "5678"])
        .env("SOFTHSM2_CONF", d.join("softhsm2.conf"))
        .output();
    match init {
        Ok(o) if o.status.success() => Ok(Some(dir)),
        Ok(o) => bail!(
            "softhsm2-util --init-token failed: {}",
            String::from_utf8_lossy(&o.stderr)
        ),
        // The module without its tool: no token can be made, as good as no SoftHSM2.
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e).context("softhsm2-util"),
    }
}

/// A running `harim serve`, stopped on drop.
pub struct Harim {
    pub child: Child,
    /// `http://127.0.0.1:<port>`
    pub base: String,
}

impl Harim {
    /// `127.0.0.1:<port>`
    pub fn addr(&self) -> String {
        self.base.trim_start_matches("http://").to_string()
    }
    /// Resident memory of the server process, KiB.
    pub fn rss_kib(&self) -> u64 {
        std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .ok()
            .and_then(|s| {
                s.lines()
                    .find(|l| l.starts_with("VmRSS:"))
                    .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
            })
            .unwrap_or(0)
    }
    pub fn stop(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Harim {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn send(
    c: &reqwest::Client,
    m: reqwest::Method,
    url: String,
    token: Option<&str>,
    body: Option<Value>,
) -> Result<Value> {
    let mut r = c.request(m, &url);
    if let Some(t) = token {
        r = r.bearer_auth(t);
    }
    if let Some(b) = body {
        r = r.json(&b);
    }
    let resp = r.send().await?;
    let status = resp.status();
    let text = resp.text().await?;
    if !status.is_success() {
        bail!("{url}: {status} {text}");
    }
    Ok(serde_json::from_str(&text).unwrap_or(Value::Null))
}

/// Signs `email` up and in: a session token.
pub async fn account(base: &str, email: &str) -> Result<String> {
    let c = reqwest::Client::new();
    let creds = json!({"email": email, "password": PASSWORD});
    send(
        &c,
        reqwest::Method::POST,
        format!("{base}/v1/accounts"),
        None,
        Some(creds.clone()),
    )
    .await?;
    let s = send(
        &c,
        reqwest::Method::POST,
        format!("{base}/v1/sessions"),
        None,
        Some(creds),
    )
    .await?;
    s["token"]
        .as_str()
        .map(str::to_string)
        .ok_or_else(|| anyhow!("no token"))
}

/// Shops `from..to` (`bench-<i>`, Persian default), each with the example identity and, with
/// `publish`, the example privacy settings and a published policy. Returns their ids in order.
pub async fn shops(
    base: &str,
    token: &str,
    from: usize,
    to: usize,
    publish: bool,
) -> Result<Vec<String>> {
    let c = reqwest::Client::new();
    let identity: Value = serde_json::from_str(IDENTITY)?;
    let settings: Value = serde_json::from_str(SETTINGS)?;
    let made: Vec<Result<(usize, String)>> = stream::iter(from..to)
        .map(|i| {
            let (c, identity, settings) = (c.clone(), identity.clone(), settings.clone());
            async move {
                let s = send(
                    &c,
                    reqwest::Method::POST,
                    format!("{base}/v1/shops"),
                    Some(token),
                    Some(json!({"name": format!("Bench {i}"), "slug": format!("bench-{i}"), "default_locale": "fa"})),
                )
                .await?;
                let id = s["id"].as_str().ok_or_else(|| anyhow!("no shop id"))?.to_string();
                send(&c, reqwest::Method::PUT, format!("{base}/v1/shops/{id}/identity"), Some(token), Some(identity)).await?;
                if publish {
                    send(&c, reqwest::Method::PUT, format!("{base}/v1/shops/{id}/privacy-settings"), Some(token), Some(settings)).await?;
                    send(&c, reqwest::Method::POST, format!("{base}/v1/shops/{id}/policies"), Some(token), None).await?;
                }
                Ok((i, id))
            }
        })
        .buffer_unordered(8)
        .collect()
        .await;
    let mut ids: Vec<(usize, String)> = made.into_iter().collect::<Result<_>>()?;
    ids.sort();
    Ok(ids.into_iter().map(|(_, id)| id).collect())
}
