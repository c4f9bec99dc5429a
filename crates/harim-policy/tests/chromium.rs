//! Headless-Chromium check that the Persian and Arabic pages are right-to-left.
//!
//! Skips (with a message) when /usr/bin/chromium is missing, unless HARIM_REQUIRE_CHROMIUM=1.
//! With HARIM_UPDATE_SCREENSHOTS=1 it also writes docs/screenshots/policy-{fa,ar}.png.
//! Install Chromium and fonts with infra/chromium.sh.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::Command;

use harim_policy::examples::{history_meta, saudi_shop};
use harim_policy::*;

const CHROMIUM: &str = "/usr/bin/chromium";

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
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(extra)
        .arg(url)
        .output()
        .expect("run chromium")
}

#[test]
fn persian_and_arabic_pages_render_right_to_left_in_chromium() {
    if !Path::new(CHROMIUM).exists() {
        if std::env::var("HARIM_REQUIRE_CHROMIUM").as_deref() == Ok("1") {
            panic!("{CHROMIUM} is missing and HARIM_REQUIRE_CHROMIUM=1 (run infra/chromium.sh)");
        }
        eprintln!("SKIP: {CHROMIUM} not found; run infra/chromium.sh to enable this test");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let (s, shop) = saudi_shop();
    let doc = compile(&s, &shop);
    for l in [Locale::Fa, Locale::Ar] {
        let html = render_html(&doc, &history_meta(&s), l, &s.format_for(l));
        // The probe page: the policy plus a script writing the computed direction into the title.
        let probe = html.replace(
            "</body>",
            "<script>document.title='dir:'+getComputedStyle(document.documentElement).direction+';body:'+getComputedStyle(document.body).direction;</script></body>",
        );
        let page = dir.path().join(format!("probe-{}.html", l.tag()));
        std::fs::write(&page, probe).unwrap();
        let profile = dir.path().join(format!("profile-{}", l.tag()));
        let url = format!("file://{}", page.display());
        let out = chromium(&profile, &["--dump-dom"], &url);
        let dom = String::from_utf8_lossy(&out.stdout);
        assert!(
            dom.contains("<title>dir:rtl;body:rtl</title>"),
            "{l:?}: computed direction not rtl; stderr: {}",
            String::from_utf8_lossy(&out.stderr)
        );

        if std::env::var("HARIM_UPDATE_SCREENSHOTS").as_deref() == Ok("1") {
            let plain = dir.path().join(format!("policy-{}.html", l.tag()));
            std::fs::write(&plain, &html).unwrap();
            let shots: PathBuf =
                Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/screenshots");
            std::fs::create_dir_all(&shots).unwrap();
            let png = shots.join(format!("policy-{}.png", l.tag()));
            let shot = format!("--screenshot={}", png.display());
            let out = chromium(
                &dir.path().join(format!("profile-shot-{}", l.tag())),
                &[&shot, "--window-size=1000,1400"],
                &format!("file://{}", plain.display()),
            );
            assert!(
                png.exists(),
                "screenshot failed: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
    }
}
