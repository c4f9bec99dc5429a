//! Full-page screenshots of the public policy pages for docs/screenshots/, taken from a real
//! `harim serve` by headless Chromium. Run it through `tests/screenshots.sh`, which installs what
//! it needs (Chromium, `playwright-core`) and builds it.
//!
//! ```text
//! screenshots --harim PATH --out DIR --script tests/screenshots.mjs [--node-path DIR]
//! ```
//! Starts `harim serve` on the embedded SQLite default in a temporary directory, signs up,
//! creates the three example shops of `harim_policy::examples` (iranian_shop, saudi_shop,
//! albanian_shop) through the HTTP API (`POST /v1/shops`, `PUT .../privacy-settings`,
//! `POST .../policies`), publishes the platform policy when the server has that route, and hands
//! the pages to `tests/screenshots.mjs` (Chromium over the DevTools protocol), which writes
//! `shop-fa.png`, `shop-ar.png`, `shop-sq.png` and `platform-fa.png` and fails unless every
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

/// The harim binary in `dir` with a clean environment (nothing of the caller's `HARIM_*`).
fn harim(bin: &PathBuf, dir: &std::path::Path) -> Command {
    let mut c = Command::new(bin);
    c.current_dir(dir)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("RUST_LOG", "warn")
        // The platform's facts as an Iranian operator would state them (`[platform]`), so the
        // Persian platform page shows a real operator rather than the development facts.
        .env("HARIM_PLATFORM_NAME", "Harim")
        .env("HARIM_PLATFORM_OPERATOR", "شرکت حریم داده پارس")
        .env("HARIM_PLATFORM_COUNTRY", "IR")
        .env("HARIM_PLATFORM_CONTACT_EMAIL", "privacy@harim.example")
        .env("HARIM_PLATFORM_HOSTING_PROVIDER", "ابر آروان")
        .env("HARIM_PLATFORM_HOSTING_COUNTRY", "IR")
        .env("HARIM_PLATFORM_LOG_RETENTION_DAYS", "14")
        .stderr(Stdio::null());
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
    let dir = tempfile::tempdir()?;
    let server = Server::start(harim(&a.harim, dir.path()));
    let base = server.base.clone();
    eprintln!(
        "screenshots: harim at {base} (data in {})",
        dir.path().display()
    );

    let creds =
        json!({"email": "screenshots@example.com", "password": "correct horse battery staple"});
    expect(
        &server,
        Method::POST,
        "/v1/accounts",
        None,
        creds.clone(),
        201,
    )
    .await?;
    let session = expect(&server, Method::POST, "/v1/sessions", None, creds, 201).await?;
    let token = session["token"]
        .as_str()
        .ok_or("no session token")?
        .to_string();

    let mut pages: Vec<(String, String)> = Vec::new();
    for (settings, facts) in [iranian_shop(), saudi_shop(), albanian_shop()] {
        let shop = expect(
            &server,
            Method::POST,
            "/v1/shops",
            Some(&token),
            json!({"name": facts.shop_name, "slug": facts.slug, "default_locale": settings.default_locale}),
            201,
        )
        .await?;
        let id = shop["id"].as_str().ok_or("no shop id")?;
        expect(
            &server,
            Method::PUT,
            &format!("/v1/shops/{id}/privacy-settings"),
            Some(&token),
            json!(settings),
            200,
        )
        .await?;
        expect(
            &server,
            Method::POST,
            &format!("/v1/shops/{id}/policies"),
            Some(&token),
            json!({}),
            201,
        )
        .await?;
        // Checked, not photographed: a Persian or Arabic shop name on the English page.
        pages.push((
            format!("-{}-en", facts.slug),
            format!("/shops/{}/privacy?lang=en", facts.slug),
        ));
        let lang = settings.default_locale.tag();
        pages.push((
            format!("shop-{lang}"),
            format!("/shops/{}/privacy?lang={lang}", facts.slug),
        ));
    }

    // The platform policy: published by an admin when the route exists.
    let platform = "/privacy?lang=fa";
    let (status, _) = server.call(Method::GET, platform, None, None).await;
    let mut platform_ok = status == 200;
    if status == 404 {
        let out = harim(&a.harim, dir.path())
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
        platform_ok = server.call(Method::GET, platform, None, None).await.0 == 200;
    }
    if platform_ok {
        pages.push(("platform-fa".into(), platform.into()));
    } else {
        eprintln!(
            "SKIP platform-fa.png: GET {platform} does not answer 200 (the platform policy route is not there yet)"
        );
    }

    std::fs::create_dir_all(&a.out)?;
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
    Ok(())
}
