//! The README's walkthrough, run exactly as written (between its `walkthrough` markers) against
//! the real binary on the embedded default: sign up, open a shop, register the identity, upload
//! an ID-card image, publish the policy, read it, reveal with a purpose, read the audit log.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

use std::{
    io::{BufRead, BufReader},
    path::Path,
    process::{Command, Stdio},
};

use harim_e2e::harim_bin;

fn walkthrough(readme: &str) -> String {
    let start = readme
        .find("<!-- walkthrough:start -->")
        .expect("start marker");
    let end = readme.find("<!-- walkthrough:end -->").expect("end marker");
    let block = &readme[start..end];
    let open = block.find("```sh\n").expect("a sh block") + "```sh\n".len();
    let close = block[open..].find("```").expect("closing fence") + open;
    block[open..close].to_string()
}

#[test]
fn the_readme_walkthrough_runs_as_written() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    let script = walkthrough(&std::fs::read_to_string(root.join("README.md")).unwrap());
    let dir = tempfile::tempdir().unwrap();
    // What the reader has: the repository's example files and an ID-card photo of their own.
    std::fs::create_dir_all(dir.path().join("docs/examples")).unwrap();
    for f in ["identity.json", "privacy-settings.json"] {
        std::fs::copy(
            root.join("docs/examples").join(f),
            dir.path().join("docs/examples").join(f),
        )
        .unwrap();
    }
    let card = image::RgbImage::from_fn(64, 40, |x, y| image::Rgb([x as u8 * 4, y as u8 * 6, 90]));
    card.save(dir.path().join("id-card.jpg")).unwrap();

    // `cargo run -- serve`, on a free port instead of 8080.
    let mut server = Command::new(harim_bin())
        .args(["serve", "--listen", "127.0.0.1:0"])
        .current_dir(dir.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(server.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let base = line
        .trim()
        .strip_prefix("harim listening on http://")
        .unwrap()
        .to_string();

    let script = script.replace("localhost:8080", &base);
    let out = Command::new("bash")
        .args(["-eu", "-c", &script])
        .current_dir(dir.path())
        .output()
        .unwrap();
    let _ = server.kill();
    let _ = server.wait();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for expected in [
        "\"email\":\"me@example.com\"",            // signed up
        "\"national_id\":\"******0899\"",          // identity stored, answered masked
        "\"status\":\"pending\"",                  // the ID card is in the review queue
        "\"version\":1",                           // policy published
        "<title>",                                 // the public page
        "\"iban\":\"IR062960000000100324200001\"", // revealed with a purpose
        "\"action\":\"identity.reveal\"",          // and the reveal is in the audit log
        "\"purpose\":\"payout\"",
        "\"phone\":\"+98******4567\"", // a customer, found by phone, masked
        "\"postal_code\":\"1417614418\"", // their address revealed for shipping
        "\"purpose\":\"shipping\"",
        "\"event_state\":\"given\"", // the consent, in its signed receipt
        "\"state\":\"queued\"",      // the order SMS passed the gate
        "\"code\":\"not-enabled\"",  // the advertising one did not
    ] {
        assert!(
            stdout.contains(expected),
            "missing {expected} in:\n{stdout}"
        );
    }
}
