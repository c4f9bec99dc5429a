//! The consent banner in a real browser: headless Chromium opens a storefront page on another
//! origin that includes `https://<harim>/shops/<slug>/consent.js` (as a theme would), in Persian
//! and in Arabic; a small script of the page's own clicks the banner's buttons; the test then
//! reads the stored records through the API. With `HARIM_UPDATE_SCREENSHOTS=1` it also writes
//! `docs/screenshots/consent-banner-{fa,ar}.png`.
//!
//! Skips (with a message) when /usr/bin/chromium is missing, unless HARIM_REQUIRE_CHROMIUM=1
//! (infra/chromium.sh installs it).
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

use std::{
    path::{Path, PathBuf},
    process::{Command, Stdio},
};

use harim_e2e::Server;
use reqwest::Method;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const CHROMIUM: &str = "/usr/bin/chromium";

/// The page's own script: waits for the banner, notes what it sees (direction, roles, focus),
/// clicks as told, and writes the result into the title when harim has stored the choice.
const ROBOT: &str = r#"
(function () {
  var q = new URLSearchParams(location.search);
  var choice = q.get("choice");
  function go() {
    var root = document.querySelector(".harim-consent");
    if (!root || document.documentElement.dataset.harimConsent !== "shown") { setTimeout(go, 50); return; }
    var buttons = root.querySelectorAll("button");
    var report = {
      dir: root.getAttribute("dir"), lang: root.getAttribute("lang"), role: root.getAttribute("role"),
      labelled: !!document.getElementById(root.getAttribute("aria-labelledby")),
      focused: document.activeElement && document.activeElement.tagName,
      buttons: buttons.length,
      same_size: buttons[0].offsetWidth === buttons[1].offsetWidth && buttons[0].offsetHeight === buttons[1].offsetHeight,
      visitor: window.harimConsent && window.harimConsent.visitorId
    };
    window.addEventListener("harim:consent", function (e) {
      report.choices = e.detail.choices;
      document.title = "saved:" + JSON.stringify(report);
    });
    if (choice === "customise") {
      root.querySelector('[data-harim-consent="customise"]').click();
      var boxes = root.querySelectorAll('input[type="checkbox"]');
      for (var i = 0; i < boxes.length; i++) {
        if (boxes[i].value === "analytics" || boxes[i].id.indexOf("analytics") >= 0 && boxes[i].id.indexOf(":") < 0 && boxes[i].id.indexOf("google") < 0) { boxes[i].click(); }
      }
      setTimeout(function () { root.querySelector('[data-harim-consent="save"]').click(); }, 50);
    } else {
      root.querySelector('[data-harim-consent="' + choice + '"]').click();
    }
  }
  go();
})();
"#;

/// A storefront on its own origin: `/shop.html?lang=..&choice=..` and `/robot.js`.
async fn storefront(harim: String, slug: &'static str) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        loop {
            let (mut sock, _) = listener.accept().await.unwrap();
            let harim = harim.clone();
            tokio::spawn(async move {
                let mut buf = vec![0u8; 8192];
                let n = sock.read(&mut buf).await.unwrap_or(0);
                let head = String::from_utf8_lossy(&buf[..n]).to_string();
                let path = head.split(' ').nth(1).unwrap_or("/").to_string();
                let (ctype, body) = if path.starts_with("/robot.js") {
                    ("text/javascript", ROBOT.to_string())
                } else {
                    let q = path.split_once('?').map_or("", |(_, q)| q);
                    let lang = q
                        .split('&')
                        .find_map(|kv| kv.strip_prefix("lang="))
                        .unwrap_or("fa");
                    let robot = if q.contains("choice=") {
                        format!(r#"<script src="/robot.js?{q}" defer></script>"#)
                    } else {
                        String::new()
                    };
                    let dir = if lang == "en" || lang == "sq" {
                        "ltr"
                    } else {
                        "rtl"
                    };
                    (
                        "text/html; charset=utf-8",
                        format!(
                            r#"<!doctype html><html lang="{lang}" dir="{dir}"><head><meta charset="utf-8"><title>shop</title>
<script src="{harim}/shops/{slug}/consent.js" defer data-lang="{lang}"></script>{robot}</head>
<body style="font-family: 'Noto Naskh Arabic', sans-serif; background: #f4efe6; min-height: 600px"><h1>گل سرخ — Gol Sorkh</h1><p>فروشگاه گل و گیاه</p></body></html>"#
                        ),
                    )
                };
                // The robot's query string travels with the page; the script reads it from
                // the page's own location.
                let answer = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: {ctype}\r\ncontent-length: {}\r\ncache-control: no-store\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = sock.write_all(answer.as_bytes()).await;
            });
        }
    });
    base
}

fn chromium(profile: &Path, extra: &[&str], url: &str) -> std::process::Output {
    Command::new(CHROMIUM)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
            "--virtual-time-budget=10000",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(extra)
        .arg(url)
        .stdin(Stdio::null())
        .output()
        .expect("run chromium")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_banner_is_clicked_in_persian_and_arabic_and_its_choices_are_stored() {
    if !Path::new(CHROMIUM).exists() {
        if std::env::var("HARIM_REQUIRE_CHROMIUM").as_deref() == Ok("1") {
            panic!("{CHROMIUM} is missing and HARIM_REQUIRE_CHROMIUM=1 (run infra/chromium.sh)");
        }
        eprintln!("SKIP: {CHROMIUM} not found; run infra/chromium.sh to enable this test");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = harim_e2e::harim_command("warn");
    cmd.current_dir(dir.path()).stderr(Stdio::null());
    let s = Server::start(cmd);
    let token = harim_e2e::sign_up(&s.base, "owner@golsorkh.example").await;
    let (st, shop) = s
        .call(
            Method::POST,
            "/v1/shops",
            Some(&token),
            Some(json!({"name": "Gol Sorkh", "slug": "golsorkh", "default_locale": "fa"})),
        )
        .await;
    assert_eq!(st, 201, "{shop}");
    let shop = shop["id"].as_str().unwrap().to_string();
    let mut settings = json!(harim_policy::examples::iranian_shop().0);
    settings["notifications"]["marketing_sms"] = json!(true);
    settings["analytics"] = json!(["matomo"]);
    let (st, b) = s
        .call(
            Method::PUT,
            &format!("/v1/shops/{shop}/privacy-settings"),
            Some(&token),
            Some(settings),
        )
        .await;
    assert_eq!(st, 200, "{b}");
    let (st, b) = s
        .call(
            Method::POST,
            &format!("/v1/shops/{shop}/policies"),
            Some(&token),
            Some(json!({})),
        )
        .await;
    assert_eq!(st, 201, "{b}");
    let site = storefront(s.base.clone(), "golsorkh").await;

    let mut seen = Vec::new();
    for (lang, choice) in [("fa", "accept"), ("ar", "refuse")] {
        let profile = dir.path().join(format!("profile-{lang}"));
        let out = chromium(
            &profile,
            &["--dump-dom"],
            &format!("{site}/shop.html?lang={lang}&choice={choice}"),
        );
        let dom = String::from_utf8_lossy(&out.stdout);
        let title = dom
            .split("<title>")
            .nth(1)
            .and_then(|t| t.split("</title>").next())
            .unwrap_or_default()
            .replace("&quot;", "\"")
            .replace("&amp;", "&");
        let report: Value =
            serde_json::from_str(title.strip_prefix("saved:").unwrap_or_else(|| {
                panic!(
                    "{lang}: the banner did not save (title {title:?}); stderr: {}",
                    String::from_utf8_lossy(&out.stderr)
                )
            }))
            .unwrap();
        assert_eq!(report["dir"], "rtl", "{lang}: {report}");
        assert_eq!(report["lang"], lang);
        assert_eq!(report["role"], "dialog");
        assert_eq!(report["labelled"], true);
        assert_eq!(
            report["focused"], "BUTTON",
            "focus is not on a button: {report}"
        );
        assert_eq!(
            report["same_size"], true,
            "refuse is not as easy as accept: {report}"
        );
        seen.push((lang, choice, report));

        if std::env::var("HARIM_UPDATE_SCREENSHOTS").as_deref() == Ok("1") {
            let shots: PathBuf = Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/screenshots");
            std::fs::create_dir_all(&shots).unwrap();
            let png = shots.join(format!("consent-banner-{lang}.png"));
            let shot = format!("--screenshot={}", png.display());
            let out = chromium(
                &dir.path().join(format!("profile-shot-{lang}")),
                &[&shot, "--window-size=900,640"],
                &format!("{site}/shop.html?lang={lang}"),
            );
            assert!(
                png.exists(),
                "screenshot failed: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
    }

    // What harim stored, read as the shop reads it: each visitor linked to a customer, whose
    // consents are then the banner's choices, tied to version 1 and the page's language.
    for (lang, choice, report) in &seen {
        let (st, c) = s
            .call(
                Method::POST,
                &format!("/v1/shops/{shop}/customers"),
                Some(&token),
                Some(json!({"name": "Maryam Rezaei", "phone": "+989121234567"})),
            )
            .await;
        assert_eq!(st, 201, "{c}");
        let c = c["id"].as_str().unwrap();
        let (st, b) = s
            .call(
                Method::POST,
                &format!("/v1/shops/{shop}/customers/{c}/visitors"),
                Some(&token),
                Some(json!({"visitor_id": report["visitor"]})),
            )
            .await;
        assert_eq!(st, 204, "{lang}: {b}");
        let (st, got) = s
            .call(
                Method::GET,
                &format!("/v1/shops/{shop}/customers/{c}/consents"),
                Some(&token),
                None,
            )
            .await;
        assert_eq!(st, 200);
        let want = if *choice == "accept" {
            "given"
        } else {
            "refused"
        };
        for p in ["marketing_sms", "analytics", "analytics:matomo"] {
            assert_eq!(got["current"][p], want, "{lang} {p}: {got}");
        }
        let events = got["events"].as_array().unwrap();
        assert_eq!(events.len(), 3, "{got}");
        assert!(events.iter().all(|e| e["language"] == *lang
            && e["policy_version"] == 1
            && e["collection"] == "banner"
            && e["recorded_as"] == "visitor"));
    }
}
