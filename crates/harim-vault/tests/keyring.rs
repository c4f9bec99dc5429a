//! File and environment keyrings: permissions, validation, atomic creation and rotation.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests and benches may panic

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::sync::Arc;

use harim_vault::{CacheConfig, EnvKeyring, FileKeyring, KeyProvider, KeyState, Vault, VaultError};
use uuid::Uuid;

const K1: &str = "AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=";

fn write(path: &std::path::Path, body: &str, mode: u32) {
    fs::write(path, body).unwrap();
    fs::set_permissions(path, fs::Permissions::from_mode(mode)).unwrap();
}

fn doc(key: &str) -> String {
    format!(
        r#"{{"format":1,"active":1,"keys":[{{"version":1,"key":"{key}","created_at":"2026-01-01T00:00:00Z","state":"active"}}]}}"#
    )
}

#[test]
fn create_dev_makes_a_0600_file_in_a_new_0700_directory() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("data/keys/keyring.json");
    let ring = FileKeyring::create_dev(&path).unwrap();
    let mode = fs::metadata(&path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    let dmode = fs::metadata(path.parent().unwrap())
        .unwrap()
        .permissions()
        .mode()
        & 0o777;
    assert_eq!(dmode, 0o700);
    assert_eq!(ring.active_version(), 1);
    // No temporary files left behind: only the keyring and its (empty, 0600) lock file.
    assert_eq!(
        dir_entries(path.parent().unwrap()),
        ["keyring.json", "keyring.json.lock"]
    );
    assert_eq!(ring.lock_path(), path.with_file_name("keyring.json.lock"));
    let lmode = fs::metadata(ring.lock_path()).unwrap().permissions().mode() & 0o777;
    assert_eq!(lmode, 0o600);
    // Refuses to overwrite.
    assert!(matches!(
        FileKeyring::create_dev(&path),
        Err(VaultError::KeyringExists { .. })
    ));
    // And reopens.
    let reopened = FileKeyring::open(&path).unwrap();
    assert_eq!(reopened.versions(), ring.versions());
    let (_, created) = FileKeyring::open_or_create_dev(&path).unwrap();
    assert!(!created);
}

#[test]
fn open_refuses_group_or_world_accessible_files() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("keyring.json");
    for mode in [0o644, 0o640, 0o604, 0o660, 0o666] {
        write(&path, &doc(K1), mode);
        let err = FileKeyring::open(&path).unwrap_err();
        assert!(
            matches!(err, VaultError::KeyringPermissions { .. }),
            "{mode:o}: {err}"
        );
        assert!(err.to_string().contains("chmod 600"), "{err}");
    }
    write(&path, &doc(K1), 0o600);
    assert!(FileKeyring::open(&path).is_ok());
    write(&path, &doc(K1), 0o400);
    assert!(FileKeyring::open(&path).is_ok());
}

#[test]
fn open_refuses_keys_that_are_not_32_bytes_and_says_why() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("keyring.json");
    // 16 bytes.
    write(&path, &doc("AQEBAQEBAQEBAQEBAQEBAQ=="), 0o600);
    let err = FileKeyring::open(&path).unwrap_err().to_string();
    assert!(err.contains("16 bytes") && err.contains("32"), "{err}");
    assert!(!err.contains("AQEB"), "{err}");
    write(&path, &doc("not base64!"), 0o600);
    assert!(
        FileKeyring::open(&path)
            .unwrap_err()
            .to_string()
            .contains("base64")
    );
}

#[test]
fn open_refuses_inconsistent_keyrings() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("keyring.json");
    let cases = [
        (r#"{"format":2,"active":1,"keys":[]}"#, "format"),
        (r#"{"format":1,"active":1,"keys":[]}"#, "no keys"),
        (
            &*format!(
                r#"{{"format":1,"active":2,"keys":[{{"version":1,"key":"{K1}","state":"active"}}]}}"#
            ),
            "active version 2",
        ),
        (
            &*format!(
                r#"{{"format":1,"active":1,"keys":[{{"version":1,"key":"{K1}","state":"decrypt_only"}}]}}"#
            ),
            "decrypt_only",
        ),
        (
            &*format!(
                r#"{{"format":1,"active":1,"keys":[{{"version":1,"key":"{K1}","state":"active"}},{{"version":1,"key":"{K1}","state":"active"}}]}}"#
            ),
            "twice",
        ),
        ("{", "JSON"),
    ];
    for (body, needle) in cases {
        write(&path, body, 0o600);
        let err = FileKeyring::open(&path).unwrap_err().to_string();
        assert!(err.contains(needle), "{needle}: {err}");
    }
}

#[test]
fn rotation_adds_retires_and_destroys_atomically() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("keyring.json");
    let ring = Arc::new(FileKeyring::create_dev(&path).unwrap());
    let vault = Vault::new(ring.clone(), CacheConfig::default());
    let t = Uuid::new_v4();
    let wk1 = vault.create_tenant_key(t).unwrap();

    assert_eq!(ring.add_version().unwrap(), 2);
    assert_eq!(ring.active_version(), 2);
    assert!(matches!(
        ring.retire(2),
        Err(VaultError::KeyVersionActive(2))
    ));
    ring.retire(1).unwrap();
    assert_eq!(ring.state(1), Some(KeyState::DecryptOnly));
    assert_eq!(
        fs::metadata(&path).unwrap().permissions().mode() & 0o777,
        0o600
    );

    // Another process sees the change after reopening (or reload()).
    let other = FileKeyring::open(&path).unwrap();
    assert_eq!(other.active_version(), 2);
    assert_eq!(other.state(1), Some(KeyState::DecryptOnly));
    let other_vault = Vault::new(Arc::new(other), CacheConfig::default());
    let wk2 = other_vault.rewrap_to_active(&wk1).unwrap();
    assert_eq!(wk2.kek_version, 2);
    assert!(vault.rewrap(&wk2, 1).is_err()); // decrypt-only cannot wrap
    assert!(matches!(
        ring.set_active(1),
        Err(VaultError::KeyVersionDecryptOnly(1))
    ));

    assert!(matches!(
        ring.destroy(2),
        Err(VaultError::KeyVersionActive(2))
    ));
    ring.destroy(1).unwrap();
    ring.reload().unwrap();
    assert_eq!(ring.versions().len(), 1);
    assert!(vault.rewrap(&wk1, 2).is_err());
    assert!(vault.rewrap(&wk2, 2).is_ok());
    assert_eq!(
        dir_entries(dir.path()),
        ["keyring.json", "keyring.json.lock"],
        "temporary files left"
    );
}

fn dir_entries(dir: &std::path::Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn parse_errors_name_a_position_never_the_value() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("keyring.json");
    let fake_key = "c2VjcmV0LXJvb3Qta2V5LW1hdGVyaWFsLTEyMzQ1Njc=";
    let cases = [
        // `active` must be a number: serde_json's own message would quote the string.
        format!(r#"{{"format":1,"active":"{fake_key}","keys":[]}}"#),
        // An unknown field: its name would be quoted too.
        format!(r#"{{"format":1,"active":1,"{fake_key}":1,"keys":[]}}"#),
        // A state that is not one of the two.
        format!(
            r#"{{"format":1,"active":1,"keys":[{{"version":1,"key":"{K1}","state":"{fake_key}"}}]}}"#
        ),
    ];
    for body in cases {
        write(&path, &body, 0o600);
        let err = FileKeyring::open(&path).unwrap_err();
        let shown = format!("{err} / {err:?}");
        assert!(matches!(err, VaultError::KeyringInvalid { .. }), "{shown}");
        assert!(!shown.contains(fake_key), "{shown}");
        assert!(!shown.contains("c2VjcmV0"), "{shown}");
        assert!(!shown.contains("AQEB"), "{shown}");
        assert!(shown.contains("line 1, column"), "{shown}");
    }
}

#[test]
fn a_mutation_starts_from_the_file_not_from_a_stale_copy() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("keyring.json");
    let a = FileKeyring::create_dev(&path).unwrap();
    let b = FileKeyring::open(&path).unwrap();
    assert_eq!(b.add_version().unwrap(), 2);
    // `a` still holds version 1 only in memory, but adds on top of the file.
    assert_eq!(a.versions().len(), 1);
    assert_eq!(a.add_version().unwrap(), 3);
    assert_eq!(a.versions().len(), 3);
    // The other mutations, too: `b` has not seen version 3, yet can act on it.
    b.set_active(3).unwrap();
    b.retire(2).unwrap();
    assert_eq!(b.versions().len(), 3);
    let fresh = FileKeyring::open(&path).unwrap();
    assert_eq!(fresh.active_version(), 3);
    assert_eq!(fresh.state(2), Some(KeyState::DecryptOnly));
    // A refused mutation leaves file and memory alone.
    assert!(matches!(a.destroy(3), Err(VaultError::KeyVersionActive(3))));
    assert!(matches!(
        a.destroy(9),
        Err(VaultError::UnknownKeyVersion(9))
    ));
    assert_eq!(FileKeyring::open(&path).unwrap().versions().len(), 3);
}

#[test]
fn writers_wait_for_the_lock_and_readers_do_not() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("keyring.json");
    let ring = Arc::new(FileKeyring::create_dev(&path).unwrap());
    // Hold the lock as another process would.
    let held = fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(ring.lock_path())
        .unwrap();
    held.lock().unwrap();

    let (tx, rx) = std::sync::mpsc::channel();
    let writer = {
        let ring = ring.clone();
        std::thread::spawn(move || tx.send(ring.add_version()).unwrap())
    };
    std::thread::sleep(std::time::Duration::from_millis(300));
    assert!(
        rx.try_recv().is_err(),
        "the writer did not wait for the lock"
    );
    // Readers are not blocked by a held lock.
    ring.reload().unwrap();
    assert_eq!(FileKeyring::open(&path).unwrap().versions().len(), 1);
    let wrapped = ring.wrap(1, b"aad", &[7; 32]).unwrap();
    assert_eq!(*ring.unwrap(1, b"aad", &wrapped).unwrap(), [7; 32]);

    held.unlock().unwrap();
    let added = rx
        .recv_timeout(std::time::Duration::from_secs(30))
        .unwrap()
        .unwrap();
    writer.join().unwrap();
    assert_eq!(added, 2);
    assert_eq!(FileKeyring::open(&path).unwrap().active_version(), 2);
}

#[test]
fn the_env_keyring_parses_versions_and_defaults_to_the_highest() {
    let k2 = "AgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgI=";
    let ring = EnvKeyring::from_values(&format!(" 1:{K1}, 2:{k2} "), None).unwrap();
    assert_eq!(ring.active_version(), 2);
    assert_eq!(ring.state(1), Some(KeyState::DecryptOnly));
    assert!(EnvKeyring::from_values(&format!("1:{K1}"), Some("3")).is_err());
    assert!(
        EnvKeyring::from_values("1:AQEB", None)
            .unwrap_err()
            .to_string()
            .contains("32 bytes")
    );
    assert!(EnvKeyring::from_values(K1, None).is_err());
    assert!(EnvKeyring::from_values("", None).is_err());
    assert!(EnvKeyring::from_values(&format!("1:{K1},1:{K1}"), None).is_err());
    let dbg = format!("{ring:?}");
    assert!(!dbg.contains("AQEB") && !dbg.contains("AgIC"), "{dbg}");
}

#[test]
fn debug_of_a_file_keyring_shows_versions_only() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("k.json");
    let ring = FileKeyring::create_dev(&path).unwrap();
    let body = fs::read_to_string(&path).unwrap();
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    let key = v["keys"][0]["key"].as_str().unwrap().to_owned();
    assert_eq!(v["format"], 1);
    assert_eq!(v["keys"][0]["state"], "active");
    let dbg = format!("{ring:?}");
    assert!(!dbg.contains(&key), "{dbg}");
    assert!(dbg.contains("versions"), "{dbg}");
}
