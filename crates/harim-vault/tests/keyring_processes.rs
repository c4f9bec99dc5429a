//! Two real processes rotating the same keyring file at once.
//!
//! The parent test re-executes this test binary twice, running only the child test (selected
//! with `--exact`), with `HARIM_KEYRING_CHILD=<keyring path>` set. Each child adds root versions
//! through `KeyProvider::add_version`, wraps a known tenant key under every version it got and
//! writes `version base64(wrapped)` lines to its own output file. The parent then checks that no
//! version was handed out twice and that every wrapped key unwraps with the final file: a
//! version created in one process and overwritten by the other would be lost for good.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use harim_vault::{FileKeyring, KeyProvider};

/// Set in the child processes: the keyring file to rotate.
const CHILD_ENV: &str = "HARIM_KEYRING_CHILD";
/// Set in the child processes: where to write the `(version, wrapped)` lines.
const CHILD_OUT_ENV: &str = "HARIM_KEYRING_CHILD_OUT";
/// Set in the child processes: a file whose appearance starts both children together.
const CHILD_GO_ENV: &str = "HARIM_KEYRING_CHILD_GO";
/// The child test's name, as `--exact` needs it.
const CHILD_TEST: &str = "child_adds_versions_when_told_to";

const ADDS_PER_CHILD: usize = 40;
const TENANT_KEY: [u8; 32] = [0x5a; 32];
const AAD: &[u8] = b"harim keyring two-process test aad";

/// Does nothing unless [`CHILD_ENV`] is set (the parent sets it for its children only).
#[test]
fn child_adds_versions_when_told_to() {
    let Some(keyring) = std::env::var_os(CHILD_ENV) else {
        return;
    };
    let out = PathBuf::from(std::env::var_os(CHILD_OUT_ENV).expect("output path"));
    let go = PathBuf::from(std::env::var_os(CHILD_GO_ENV).expect("start file"));
    let ring = FileKeyring::open(&keyring).unwrap();

    // Start together with the other child, so the rotations overlap.
    let deadline = Instant::now() + Duration::from_secs(30);
    while !go.exists() {
        assert!(Instant::now() < deadline, "the start file never appeared");
        std::thread::sleep(Duration::from_millis(1));
    }

    let mut lines = String::new();
    for _ in 0..ADDS_PER_CHILD {
        let version = KeyProvider::add_version(&ring).unwrap();
        let wrapped = ring.wrap(version, AAD, &TENANT_KEY).unwrap();
        lines.push_str(&format!("{version} {}\n", B64.encode(&wrapped)));
    }
    fs::write(&out, lines).unwrap();
}

fn read_child_output(path: &Path) -> Vec<(u32, Vec<u8>)> {
    fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|line| {
            let (v, w) = line.split_once(' ').unwrap();
            (v.parse().unwrap(), B64.decode(w).unwrap())
        })
        .collect()
}

#[test]
fn two_processes_adding_versions_never_lose_a_root_key() {
    let dir = tempfile::tempdir().unwrap();
    let keyring = dir.path().join("keyring.json");
    drop(FileKeyring::create_dev(&keyring).unwrap());
    let go = dir.path().join("go");
    let exe = std::env::current_exe().unwrap();

    let children: Vec<_> = (0..2)
        .map(|i| {
            let out = dir.path().join(format!("child-{i}.txt"));
            let child = Command::new(&exe)
                .args(["--exact", CHILD_TEST, "--nocapture", "--test-threads", "1"])
                .env(CHILD_ENV, &keyring)
                .env(CHILD_OUT_ENV, &out)
                .env(CHILD_GO_ENV, &go)
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap();
            (child, out)
        })
        .collect();
    fs::write(&go, b"go").unwrap();

    let mut outputs = Vec::new();
    for (child, out) in children {
        let result = child.wait_with_output().unwrap();
        assert!(
            result.status.success(),
            "child failed ({}):\n{}\n{}",
            result.status,
            String::from_utf8_lossy(&result.stdout),
            String::from_utf8_lossy(&result.stderr)
        );
        outputs.push(read_child_output(&out));
    }

    let fresh = FileKeyring::open(&keyring).unwrap();
    let in_file = fresh.versions().len();
    let mut got: Vec<u32> = outputs.iter().flatten().map(|(v, _)| *v).collect();
    got.sort_unstable();
    let handed_out = got.len();
    got.dedup();
    assert_eq!(
        handed_out,
        2 * ADDS_PER_CHILD,
        "a child did not report every version"
    );
    assert_eq!(
        got.len(),
        handed_out,
        "the same version was handed out to both processes"
    );
    assert_eq!(
        in_file,
        1 + 2 * ADDS_PER_CHILD,
        "the final keyring does not hold every version"
    );
    let mut lost = Vec::new();
    for (version, wrapped) in outputs.iter().flatten() {
        match KeyProvider::unwrap(&fresh, *version, AAD, wrapped) {
            Ok(key) => assert_eq!(*key, TENANT_KEY),
            Err(_) => lost.push(*version),
        }
    }
    assert!(
        lost.is_empty(),
        "tenant keys wrapped under versions {lost:?} no longer unwrap"
    );
}
