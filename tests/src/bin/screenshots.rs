//! Full-page screenshots of the public policy pages for docs/screenshots/, taken from a real
//! `harim serve` by headless Chromium. Run it through `tests/screenshots.sh`, which installs what
//! it needs (Chromium, `playwright-core`) and builds it.
//!
//! ```text
//! screenshots --harim PATH --out DIR --script tests/screenshots.mjs [--node-path DIR]
//! ```
//! For each of the three example shops of `harim_policy::examples` (iranian_shop, saudi_shop,
//! albanian_shop) starts its own `harim serve` on the embedded SQLite default in a temporary
//! directory, configured with the matching operator of `harim_policy::platform::examples` (so
//! the Saudi shop is hosted in Saudi Arabia and the Albanian one in Germany, as the snapshots
//! say), signs up, creates the shop through the HTTP API (`POST /v1/shops`,
//! `PUT .../privacy-settings`, `POST .../policies`), publishes the platform policy when the
//! server has that route, and hands the pages to `tests/screenshots.mjs` (Chromium over the
//! DevTools protocol), which writes `shop-fa.png`, `shop-ar.png`, `shop-sq.png`,
//! `platform-fa.png` (the Iranian operator) and `platform-ar.png` (the Saudi operator, dated
//! Hijri and Gregorian) and fails unless every
//! page's Persian and Arabic text was drawn with the vendored faces (each shop's English page is
//! checked too, for its shop name, but not photographed). A platform page that
//! answers 404 is skipped with a message (the route may not exist yet).

use std::{
    error::Error,
    path::PathBuf,
    process::{Command, Stdio},
};

use harim_e2e::Server;
use harim_policy::examples::{albanian_shop, iranian_shop, saudi_shop};
use harim_policy::platform::Platform;
use harim_policy::platform::examples::{albanian_platform, iranian_platform, saudi_platform};
use reqwest::Method;
use serde_json::json;

type Res<T> = Result<T, Box<dyn Error + Send + Sync>>;

struct Args {
    harim: PathBuf,
    out: PathBuf,
    script: PathBuf,
    node_path: Option<PathBuf>,
}

fn args() -> Res<Args> {
    let mut harim = None;
    let mut out = None;
    let mut script = None;
    let mut node_path = None;
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        let mut value = || it.next().ok_or_else(|| format!("{a} needs a value"));
        match a.as_str() {
            "--harim" => harim = Some(PathBuf::from(value()?)),
            "--out" => out = Some(PathBuf::from(value()?)),
            "--script" => script = Some(PathBuf::from(value()?)),
            "--node-path" => node_path = Some(PathBuf::from(value()?)),
            other => return Err(format!("unknown argument {other}").into()),
        }
    }
    let harim: PathBuf = harim.ok_or("--harim is required")?;
    // Absolute: the server runs in its own temporary directory.
    let harim = harim
        .canonicalize()
        .map_err(|e| format!("{}: {e}", harim.display()))?;
    Ok(Args {
        harim,
        out: out.ok_or("--out is required")?,
        script: script.ok_or("--script is required")?,
        node_path,
    })
}

/// The harim binary in `dir` with a clean environment (nothing of the caller's `HARIM_*`), run
/// by the operator `p` (`[platform]` from the environment) with backups kept `backup_days`.
fn harim(bin: &PathBuf, dir: &std::path::Path, p: &Platform, backup_days: u32) -> Command {
    let mut c = Command::new(bin);
    c.current_dir(dir)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("RUST_LOG", "warn")
        .env("HARIM_PLATFORM_NAME", &p.name)
        .env("HARIM_PLATFORM_OPERATOR", &p.operator)
        .env("HARIM_PLATFORM_COUNTRY", p.country.code().to_uppercase())
        .env("HARIM_PLATFORM_CONTACT_EMAIL", &p.contact_email)
        .env("HARIM_PLATFORM_HOSTING_PROVIDER", &p.hosting_provider)
        .env(
            "HARIM_PLATFORM_HOSTING_COUNTRY",
            p.hosting_country.code().to_uppercase(),
        )
        .env(
            "HARIM_PLATFORM_LOG_RETENTION_DAYS",
            p.log_retention_days.to_string(),
        )
        // The shop policy states the platform's backup period: the example shop's own figure.
        .env("HARIM_BACKUP_RETENTION_DAYS", backup_days.to_string())
        .stderr(Stdio::null());
    if let Some(r) = &p.registration_number {
        // Quoted: the environment provider reads an all-digit value as a number.
        c.env("HARIM_PLATFORM_REGISTRATION_NUMBER", format!("\"{r}\""));
    }
    if let Some(d) = &p.dpo_email {
        c.env("HARIM_PLATFORM_DPO_EMAIL", d);
    }
    c
}

async fn expect(
    s: &Server,
    m: Method,
    path: &str,
    token: Option<&str>,
    body: serde_json::Value,
    want: u16,
) -> Res<serde_json::Value> {
    let (status, v) = s.call(m.clone(), path, token, Some(body)).await;
    if status != want {
        return Err(format!("{m} {path}: {status} {v}").into());
    }
    Ok(v)
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Res<()> {
    let a = args()?;
    std::fs::create_dir_all(&a.out)?;
    // Each shop with the operator whose facts its example states, and the language of that
    // operator's platform page when it is photographed.
    let runs = [
        (iranian_shop(), iranian_platform().platform, Some("fa")),
        (saudi_shop(), saudi_platform().platform, Some("ar")),
        (albanian_shop(), albanian_platform().platform, None),
    ];
    for ((settings, facts), platform, platform_lang) in runs {
        let dir = tempfile::tempdir()?;
        let server = Server::start(harim(&a.harim, dir.path(), &platform, facts.backup_days));
        let base = server.base.clone();
        eprintln!(
            "screenshots: harim at {base} for {} (data in {})",
            facts.slug,
            dir.path().display()
        );
        let mut pages = shop_pages(&server, &settings, &facts).await?;
        if let Some(lang) = platform_lang {
            let path = format!("/privacy?lang={lang}");
            if platform_page(&a, dir.path(), &server, &platform, facts.backup_days, &path).await? {
                pages.push((format!("platform-{lang}"), path));
            } else {
                eprintln!(
                    "SKIP platform-{lang}.png: GET {path} does not answer 200 (the platform policy route is not there yet)"
                );
            }
        }
        let mut node = Command::new("node");
        node.arg(&a.script).arg(&base).arg(&a.out);
        for (name, path) in &pages {
            node.arg(format!("{name}={path}"));
        }
        if let Some(p) = &a.node_path {
            node.env("NODE_PATH", p);
        }
        let status = node.status()?;
        drop(server);
        if !status.success() {
            return Err(format!("{} failed: {status}", a.script.display()).into());
        }
    }
    Ok(())
}

/// Signs up, creates and publishes one shop; its pages (the English one checked only).
async fn shop_pages(
    server: &Server,
    settings: &harim_policy::PrivacySettings,
    facts: &harim_policy::ShopFacts,
) -> Res<Vec<(String, String)>> {
    let creds =
        json!({"email": "screenshots@example.com", "password": "correct horse battery staple"});
    expect(
        server,
        Method::POST,
        "/v1/accounts",
        None,
        creds.clone(),
        201,
    )
    .await?;
    let session = expect(server, Method::POST, "/v1/sessions", None, creds, 201).await?;
    let token = session["token"]
        .as_str()
        .ok_or("no session token")?
        .to_string();
    let shop = expect(
        server,
        Method::POST,
        "/v1/shops",
        Some(&token),
        json!({"name": facts.shop_name, "slug": facts.slug, "default_locale": settings.default_locale}),
        201,
    )
    .await?;
    let id = shop["id"].as_str().ok_or("no shop id")?;
    expect(
        server,
        Method::PUT,
        &format!("/v1/shops/{id}/privacy-settings"),
        Some(&token),
        json!(settings),
        200,
    )
    .await?;
    expect(
        server,
        Method::POST,
        &format!("/v1/shops/{id}/policies"),
        Some(&token),
        json!({}),
        201,
    )
    .await?;
    let lang = settings.default_locale.tag();
    Ok(vec![
        // Checked, not photographed: a Persian or Arabic shop name on the English page.
        (
            format!("-{}-en", facts.slug),
            format!("/shops/{}/privacy?lang=en", facts.slug),
        ),
        (
            format!("shop-{lang}"),
            format!("/shops/{}/privacy?lang={lang}", facts.slug),
        ),
    ])
}

/// Publishes the platform policy as an admin when it is not there yet; whether `path` answers.
async fn platform_page(
    a: &Args,
    dir: &std::path::Path,
    server: &Server,
    platform: &Platform,
    backup_days: u32,
    path: &str,
) -> Res<bool> {
    let (status, _) = server.call(Method::GET, path, None, None).await;
    if status != 404 {
        return Ok(status == 200);
    }
    let out = harim(&a.harim, dir, platform, backup_days)
        .args([
            "admin",
            "create-token",
            "--role",
            "admin",
            "--name",
            "screenshots",
        ])
        .stdout(Stdio::piped())
        .output()?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    let admin = stdout
        .lines()
        .next_back()
        .unwrap_or_default()
        .trim()
        .to_string();
    let (st, body) = server
        .call(
            Method::POST,
            "/v1/admin/platform-policy",
            Some(&admin),
            Some(json!({})),
        )
        .await;
    if st != 201 {
        eprintln!("screenshots: publishing the platform policy answered {st}: {body}");
    }
    Ok(server.call(Method::GET, path, None, None).await.0 == 200)
}
