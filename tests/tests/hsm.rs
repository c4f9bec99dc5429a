//! The real binary with its root keys in a PKCS#11 token (SoftHSM2, a fresh token in a temporary
//! directory): sign-up, an identity, a reveal, `harim keys rotate --wait` from a second process
//! (which creates version 2 inside the token while the server runs), a reveal through the server
//! after it, retirement (the old version's objects destroyed in the token), a restart, and the
//! crypto-shred of an erased shop. Skipped where SoftHSM2 is missing unless
//! `HARIM_REQUIRE_HSM=1` (`.ci/run`).
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

use std::{
    path::Path,
    process::{Command, Output, Stdio},
};

use harim_e2e::Server;

use serde_json::json;

const MODULE: &str = "/usr/lib/softhsm/libsofthsm2.so";

fn harim(dir: &Path) -> Command {
    let mut c = harim_e2e::harim_command("warn");
    c.current_dir(dir)
        .env("HARIM_DATA_DIR", dir.join("data"))
        .env("HARIM_KEYRING", "pkcs11")
        .env("HARIM_PKCS11_MODULE", MODULE)
        .env("HARIM_PKCS11_TOKEN", "harim-e2e")
        .env("HARIM_PKCS11_PIN", "1234")
        .env("SOFTHSM2_CONF", dir.join("softhsm2.conf"));
    c
}

fn start(dir: &Path) -> Server {
    let mut c = harim(dir);
    c.stderr(Stdio::inherit());
    Server::start(c)
}

fn run(dir: &Path, args: &[&str]) -> Output {
    let out = harim(dir).args(args).output().unwrap();
    assert!(
        out.status.success(),
        "harim {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

async fn reveal_nid(s: &Server, shop: &str, token: &str) -> String {
    let (st, b) = s
        .call(
            reqwest::Method::POST,
            &format!("/v1/shops/{shop}/identity/reveal"),
            Some(token),
            Some(json!({"fields": ["national_id"], "purpose": "legal_obligation"})),
        )
        .await;
    assert_eq!(st, 200, "{b}");
    b["fields"]["national_id"]
        .as_str()
        .unwrap_or_else(|| panic!("{b}"))
        .to_string()
}

/// A fresh SoftHSM2 token (label `harim-e2e`, PIN 1234) in a temporary directory, or `None`
/// (the test skips) where SoftHSM2 is missing and `HARIM_REQUIRE_HSM` is not 1.
fn empty_token() -> Option<tempfile::TempDir> {
    if !Path::new(MODULE).exists() {
        assert!(
            std::env::var("HARIM_REQUIRE_HSM").as_deref() != Ok("1"),
            "HARIM_REQUIRE_HSM=1 but {MODULE} is missing: run infra/softhsm.sh"
        );
        eprintln!("SKIPPED: SoftHSM2 is not installed; run infra/softhsm.sh");
        return None;
    }
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::create_dir_all(d.join("tokens")).unwrap();
    std::fs::write(
        d.join("softhsm2.conf"),
        format!(
            "directories.tokendir = {}\nobjectstore.backend = file\nlog.level = ERROR\n",
            d.join("tokens").display()
        ),
    )
    .unwrap();
    let init = Command::new("softhsm2-util")
        .args(["--init-token", "--free", "--label", "harim-e2e"])
        .args(["--pin", "1234", "--so-pin", "5678"])
        .env("SOFTHSM2_CONF", d.join("softhsm2.conf"))
        .output()
        .unwrap();
    assert!(init.status.success(), "{init:?}");
    Some(dir)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_binary_keeps_its_root_keys_in_the_token() {
    let Some(dir) = empty_token() else { return };
    let d = dir.path();

    let s = start(d);
    // The first start made version 1 inside the token; nothing of it is on disk but the token.
    assert!(!d.join("data/keyring.json").exists());
    let token = harim_e2e::sign_up(&s.base, "hsm@example.ir").await;
    let mut shops = Vec::new();
    for slug in ["hsm-one", "hsm-two"] {
        let (st, b) = s
            .call(
                reqwest::Method::POST,
                "/v1/shops",
                Some(&token),
                Some(json!({"name": slug, "slug": slug, "default_locale": "fa"})),
            )
            .await;
        assert_eq!(st, 201, "{b}");
        let shop = b["id"].as_str().unwrap().to_string();
        let (st, b) = s
            .call(
                reqwest::Method::PUT,
                &format!("/v1/shops/{shop}/identity"),
                Some(&token),
                Some(
                    json!({"full_name": "Maryam HSM", "national_id": "0499370899",
                "iban": "IR062960000000100324200001", "birth_date": "1980-01-01",
                "phone": "09121234567", "email": "hsm@example.ir", "address": "Tehran 1",
                "postal_code": "1417614418", "country": "IR"}),
                ),
            )
            .await;
        assert_eq!(st, 200, "{b}");
        assert_eq!(reveal_nid(&s, &shop, &token).await, "0499370899");
        shops.push(shop);
    }

    // Rotation from another process: version 2 is generated in the token, every tenant key is
    // re-wrapped by the token, and the running server (which never saw version 2) follows.
    let out = run(d, &["keys", "rotate", "--wait"]);
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("done"),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let status = String::from_utf8_lossy(&run(d, &["keys", "status"]).stdout).into_owned();
    assert!(
        status
            .lines()
            .any(|l| l.trim_start().starts_with("1 ") && l.contains("decrypt_only")),
        "{status}"
    );
    assert!(
        status
            .lines()
            .any(|l| l.trim_start().starts_with("2 ") && l.contains("active")),
        "{status}"
    );
    assert_eq!(reveal_nid(&s, &shops[0], &token).await, "0499370899");

    // Retirement destroys version 1 in the token (no row references it any more).
    run(
        d,
        &["keys", "retire", "--version", "1", "--grace-secs", "0"],
    );
    drop(s);
    let s = start(d);
    assert_eq!(reveal_nid(&s, &shops[1], &token).await, "0499370899");
    let status = String::from_utf8_lossy(&run(d, &["keys", "status"]).stdout).into_owned();
    assert!(
        status
            .lines()
            .any(|l| l.trim_start().starts_with("1 ") && l.contains("retired")),
        "{status}"
    );

    // Crypto-shredding with the root key in the token: the erased shop's tenant keys are gone,
    // its identity with them; the other shop is untouched.
    let (st, b) = s
        .call(
            reqwest::Method::DELETE,
            &format!("/v1/shops/{}", shops[0]),
            Some(&token),
            Some(json!({"confirm": "hsm-one", "password": harim_e2e::PASSWORD})),
        )
        .await;
    assert_eq!(st, 202, "{b}");
    let (st, _) = s
        .call(
            reqwest::Method::POST,
            &format!("/v1/shops/{}/identity/reveal", shops[0]),
            Some(&token),
            Some(json!({"fields": ["national_id"], "purpose": "legal_obligation"})),
        )
        .await;
    assert!(st == 404 || st == 410, "{st}");
    assert_eq!(reveal_nid(&s, &shops[1], &token).await, "0499370899");
}

/// Two processes meeting an empty token at once (two replicas' first start) make one version 1
/// between them: each finds the token empty and is held there for a while, so without the
/// database lock around the first version both would generate it (two objects under one
/// label, which every later scan refuses, so neither could serve).
#[test]
fn two_processes_on_an_empty_token_make_one_first_version() {
    let Some(dir) = empty_token() else { return };
    let d = dir.path();
    run(d, &["migrate"]);
    let start = || {
        harim(d)
            .args(["keys", "status"])
            .env(
                "HARIM_TEST_DELAY_AT",
                "keys.first_version.before_generate:1500",
            )
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    };
    let (a, b) = (start(), start());
    for out in [a.wait_with_output().unwrap(), b.wait_with_output().unwrap()] {
        harim_e2e::assert_success(&out);
    }
    let status = String::from_utf8_lossy(&run(d, &["keys", "status"]).stdout).into_owned();
    let versions: Vec<&str> = status
        .lines()
        .filter(|l| {
            l.trim_start().starts_with(|c: char| c.is_ascii_digit()) && l.contains("active")
        })
        .collect();
    assert_eq!(versions.len(), 1, "{status}");
    assert!(versions[0].trim_start().starts_with("1 "), "{status}");
}
