//! The command line, run as a process. (These tests also make `cargo test --workspace` build the
//! `harim` executable that the end-to-end suite in `tests/` drives.)
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

use std::process::Command;

fn harim() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_harim"));
    c.env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default());
    c
}

#[test]
fn help_lists_the_commands() {
    let out = harim().arg("--help").output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    for cmd in ["serve", "migrate", "admin"] {
        assert!(text.contains(cmd), "{text}");
    }
}

#[test]
fn an_invalid_setting_stops_startup_with_the_key_named() {
    let dir = tempfile::tempdir().unwrap();
    let out = harim()
        .args(["serve", "--data-dir"])
        .arg(dir.path())
        .env("HARIM_LISTEN", "nowhere")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("listen"), "{err}");
}

#[test]
fn create_token_prints_the_token_on_the_last_line() {
    let dir = tempfile::tempdir().unwrap();
    let out = harim()
        .args(["admin", "create-token", "--role", "reviewer", "--data-dir"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    let last = stdout.lines().last().unwrap();
    assert!(last.starts_with("ha_") && last.len() == 46, "{stdout}");
}

/// Issue 24, low item 2: a platform token has an id and an end, both printed when it is made;
/// `revoke-token` ends it at once, and only once.
#[test]
fn a_platform_token_is_made_with_an_expiry_and_revoked_by_its_id() {
    let dir = tempfile::tempdir().unwrap();
    let out = harim()
        .args([
            "admin",
            "create-token",
            "--role",
            "admin",
            "--ttl-days",
            "7",
        ])
        .arg("--data-dir")
        .arg(dir.path())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}");
    let line = stdout.lines().rev().nth(1).unwrap();
    assert!(line.contains("expiring"), "{stdout}");
    let id = line
        .split("id ")
        .nth(1)
        .and_then(|rest| rest.split(',').next())
        .unwrap()
        .to_string();
    let revoke = || {
        harim()
            .args(["admin", "revoke-token", &id, "--data-dir"])
            .arg(dir.path())
            .output()
            .unwrap()
    };
    let first = revoke();
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    assert!(!revoke().status.success(), "a second revocation succeeded");
    let too_long = harim()
        .args([
            "admin",
            "create-token",
            "--role",
            "admin",
            "--ttl-days",
            "400",
        ])
        .arg("--data-dir")
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(!too_long.status.success());
}
