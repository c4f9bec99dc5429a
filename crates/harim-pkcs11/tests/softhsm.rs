#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design
//! The PKCS#11 provider against a real SoftHSM2 token, made fresh for this run in a temporary
//! directory. Skipped (with a note) where SoftHSM2 is not installed, unless
//! `HARIM_REQUIRE_HSM=1` (as `.ci/run` sets, after `infra/softhsm.sh` installed it).
//!
//! One test function: a process has one initialised PKCS#11 library, and the steps share one
//! token.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::Instant;

use cryptoki::mechanism::Mechanism;
use cryptoki::object::{Attribute, AttributeType, KeyType, ObjectClass};
use harim_pkcs11::{Pkcs11Config, Pkcs11Provider};
use harim_vault::{
    BlindIndexKind, CacheConfig, FieldContext, KeyProvider, KeyState, Vault, VaultError,
};
use secrecy::SecretString;
use uuid::Uuid;

const MODULE: &str = "/usr/lib/softhsm/libsofthsm2.so";

/// A fresh token in `dir`, or `None` when SoftHSM2 is not installed (and not required).
pub fn fresh_token(dir: &Path) -> Option<Pkcs11Config> {
    let module = std::env::var("HARIM_TEST_PKCS11_MODULE").unwrap_or_else(|_| MODULE.into());
    if !Path::new(&module).exists() {
        assert!(
            std::env::var("HARIM_REQUIRE_HSM").as_deref() != Ok("1"),
            "HARIM_REQUIRE_HSM=1 but {module} is missing: run infra/softhsm.sh"
        );
        eprintln!("SKIPPED: SoftHSM2 is not installed ({module}); run infra/softhsm.sh");
        return None;
    }
    std::fs::create_dir_all(dir.join("tokens")).unwrap();
    let conf = dir.join("softhsm2.conf");
    std::fs::write(
        &conf,
        format!(
            "directories.tokendir = {}\nobjectstore.backend = file\nlog.level = ERROR\n",
            dir.join("tokens").display()
        ),
    )
    .unwrap();
    // SoftHSM reads SOFTHSM2_CONF when the module initialises; the test re-ran itself with it
    // set (the workspace forbids the unsafe `set_var`).
    assert_eq!(
        std::env::var_os("SOFTHSM2_CONF").as_deref(),
        Some(conf.as_os_str())
    );
    let out = Command::new("softhsm2-util")
        .args([
            "--init-token",
            "--free",
            "--label",
            "harim-test",
            "--pin",
            "1234",
            "--so-pin",
            "5678",
        ])
        .env("SOFTHSM2_CONF", &conf)
        .output()
        .expect("softhsm2-util runs");
    assert!(out.status.success(), "{out:?}");
    Some(Pkcs11Config {
        module: PathBuf::from(module),
        token_label: "harim-test".into(),
        pin: SecretString::from("1234"),
        sessions: 4,
    })
}

#[test]
fn root_keys_live_in_the_token() {
    // The token directory must be chosen before the module loads; when this process was not
    // started with it, re-run itself with it set.
    let dir = match std::env::var_os("HARIM_PKCS11_TEST_DIR") {
        Some(d) => PathBuf::from(d),
        None => {
            let dir = tempfile_dir();
            let status = Command::new(std::env::current_exe().unwrap())
                .args(["--exact", "root_keys_live_in_the_token", "--nocapture"])
                .env("HARIM_PKCS11_TEST_DIR", &dir)
                .env("SOFTHSM2_CONF", dir.join("softhsm2.conf"))
                .status()
                .unwrap();
            let _ = std::fs::remove_dir_all(&dir);
            assert!(status.success());
            return;
        }
    };
    let Some(config) = fresh_token(&dir) else {
        return;
    };
    assert!(
        !format!("{config:?}").contains("1234"),
        "Debug shows no PIN"
    );

    let p = Arc::new(Pkcs11Provider::open(&config).unwrap());
    // A new token gets version 1, generated inside it.
    assert_eq!(p.active_version(), 1);
    assert_eq!(p.versions().len(), 1);
    assert!(!format!("{p:?}").contains("1234"));

    // Wrap and unwrap go through the token; any change of binding or bytes fails closed.
    let key = [7u8; 32];
    let w = p.wrap(1, b"binding", &key).unwrap();
    assert_eq!(w.len(), harim_vault::WRAPPED_KEY_LEN);
    assert_eq!(*p.unwrap(1, b"binding", &w).unwrap(), key);
    assert!(matches!(
        p.unwrap(1, b"other", &w),
        Err(VaultError::UnwrapFailed)
    ));
    let mut bad = w.clone();
    bad[20] ^= 1;
    assert!(matches!(
        p.unwrap(1, b"binding", &bad),
        Err(VaultError::UnwrapFailed)
    ));
    assert_ne!(
        p.wrap(1, b"binding", &key).unwrap(),
        w,
        "a fresh IV each time"
    );

    // Blind indexes: HMAC inside the token, stable, per kind; the key is not extractable.
    let a = p
        .blind_index(1, BlindIndexKind::NationalId, b"IR:0499370899")
        .unwrap();
    assert_eq!(
        a,
        p.blind_index(1, BlindIndexKind::NationalId, b"IR:0499370899")
            .unwrap()
    );
    assert_ne!(
        a,
        p.blind_index(1, BlindIndexKind::Iban, b"IR:0499370899")
            .unwrap()
    );
    assert!(p.blind_index_key(1, BlindIndexKind::Iban).is_err());

    // The vault over it: a tenant key, a field, a reveal.
    let vault = Vault::new(p.clone(), CacheConfig::default());
    let tenant = Uuid::new_v4();
    let tk = vault.create_tenant_key(tenant).unwrap();
    let ctx = FieldContext {
        tenant_id: tenant,
        table: "merchant_identities",
        record_id: tenant,
        field: "iban",
    };
    let ct = vault
        .encrypt_field(&tk, &ctx, b"IR062960000000100324200001")
        .unwrap();
    assert_eq!(
        vault.decrypt_field(&tk, &ctx, &ct).unwrap().as_slice(),
        b"IR062960000000100324200001"
    );

    // Rotation makes version 2 in the token; the old one still unwraps until retired and
    // destroyed, and a rewrap moves the tenant key.
    assert_eq!(p.add_version().unwrap(), 2);
    assert_eq!(p.active_version(), 2);
    let moved = vault.rewrap_to_active(&tk).unwrap();
    assert_eq!(moved.kek_version, 2);
    vault.clear_cache();
    assert_eq!(
        vault.decrypt_field(&moved, &ctx, &ct).unwrap().as_slice(),
        b"IR062960000000100324200001"
    );
    assert!(matches!(
        p.retire_version(2),
        Err(VaultError::KeyVersionActive(2))
    ));
    p.retire_version(1).unwrap();
    assert_eq!(p.state(1), Some(KeyState::DecryptOnly));
    assert!(matches!(
        p.wrap(1, b"binding", &key),
        Err(VaultError::KeyVersionDecryptOnly(1))
    ));
    assert_eq!(*p.unwrap(1, b"binding", &w).unwrap(), key);
    p.destroy_version(1).unwrap();
    assert!(matches!(
        p.unwrap(1, b"binding", &w),
        Err(VaultError::UnknownKeyVersion(1))
    ));

    // What a restart (or another replica) sees: the token's state, read back from its labels.
    assert!(p.reload().is_ok());
    let versions = p.versions();
    assert_eq!(versions.len(), 1);
    assert_eq!(versions[0].version, 2);
    assert!(versions[0].active);

    // Crypto-shredding through the token: with the version gone, no copy of the root key is
    // anywhere to unwrap with.
    assert_eq!(p.add_version().unwrap(), 3);
    p.retire_version(2).unwrap();
    let moved3 = vault.rewrap_to_active(&moved).unwrap();
    p.destroy_version(2).unwrap();
    vault.clear_cache();
    assert!(vault.decrypt_field(&moved, &ctx, &ct).is_err());
    assert!(vault.decrypt_field(&moved3, &ctx, &ct).is_ok());

    // A measurement, printed (no threshold): unwraps per second through the token.
    let w3 = p.wrap(3, b"binding", &key).unwrap();
    let n = 2000;
    let t = Instant::now();
    for _ in 0..n {
        std::hint::black_box(p.unwrap(3, b"binding", &w3).unwrap());
    }
    let secs = t.elapsed().as_secs_f64();
    // The same run's baseline: the file keyring (root key in memory, HKDF-derived wrap key).
    let (file, _) = harim_vault::FileKeyring::open_or_create_dev(dir.join("keyring.json")).unwrap();
    let fw = file.wrap(1, b"binding", &key).unwrap();
    let t = Instant::now();
    for _ in 0..n {
        std::hint::black_box(file.unwrap(1, b"binding", &fw).unwrap());
    }
    let file_secs = t.elapsed().as_secs_f64();
    // And what the vault's tenant-key cache makes of it: a field decrypt with the key cached.
    let t = Instant::now();
    for _ in 0..n {
        std::hint::black_box(vault.decrypt_field(&moved3, &ctx, &ct).unwrap());
    }
    let cached_secs = t.elapsed().as_secs_f64();
    println!(
        "unwrap, one thread, {n} each: pkcs11 (SoftHSM2) {:.0}/s ({:.1} µs); file keyring {:.0}/s ({:.1} µs); ratio {:.3}; field decrypt through the vault with the tenant key cached (pkcs11): {:.1} µs",
        f64::from(n) / secs,
        secs * 1e6 / f64::from(n),
        f64::from(n) / file_secs,
        file_secs * 1e6 / f64::from(n),
        file_secs / secs,
        cached_secs * 1e6 / f64::from(n)
    );
}

fn tempfile_dir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("harim-pkcs11-test-{}", Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Re-runs the calling test in a child process with `HARIM_PKCS11_TEST_DIR` and `SOFTHSM2_CONF`
/// set (the token directory must be chosen before the module loads); `Some(dir)` in the child.
fn in_child(test: &str) -> Option<PathBuf> {
    if let Some(d) = std::env::var_os("HARIM_PKCS11_TEST_DIR") {
        return Some(PathBuf::from(d));
    }
    let dir = tempfile_dir();
    let status = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", test, "--nocapture"])
        .env("HARIM_PKCS11_TEST_DIR", &dir)
        .env("SOFTHSM2_CONF", dir.join("softhsm2.conf"))
        .status()
        .unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    assert!(status.success());
    None
}

fn init_token(dir: &Path, label: &str) {
    let out = Command::new("softhsm2-util")
        .args(["--init-token", "--free", "--label", label])
        .args(["--pin", "1234", "--so-pin", "5678"])
        .env("SOFTHSM2_CONF", dir.join("softhsm2.conf"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
}

/// A logged-in session of the test's own on the token `label`, to plant and inspect objects.
fn session(
    config: &Pkcs11Config,
    label: &str,
) -> (cryptoki::context::Pkcs11, cryptoki::session::Session) {
    use cryptoki::context::{CInitializeArgs, CInitializeFlags, Pkcs11};
    let ctx = Pkcs11::new(&config.module).unwrap();
    let _ = ctx.initialize(CInitializeArgs::new(CInitializeFlags::OS_LOCKING_OK));
    let slot = ctx
        .get_slots_with_token()
        .unwrap()
        .into_iter()
        .find(|s| ctx.get_token_info(*s).unwrap().label().trim_end() == label)
        .unwrap();
    let s = ctx.open_rw_session(slot).unwrap();
    let _ = s.login(
        cryptoki::session::UserType::User,
        Some(&cryptoki::types::AuthPin::new("1234".into())),
    );
    (ctx, s)
}

/// The attributes harim generates its keys with (and requires), `overrides` replacing any of
/// the same type.
fn template(label: &str, aes: bool, overrides: &[Attribute]) -> Vec<Attribute> {
    let mut t = vec![
        Attribute::Token(true),
        Attribute::Private(true),
        Attribute::Sensitive(true),
        Attribute::Extractable(false),
        Attribute::Derive(false),
        Attribute::Wrap(false),
        Attribute::Unwrap(false),
        Attribute::Id(vec![1; 16]),
        Attribute::Label(label.as_bytes().to_vec()),
    ];
    if aes {
        t.extend([
            Attribute::KeyType(KeyType::AES),
            Attribute::Encrypt(true),
            Attribute::Decrypt(true),
        ]);
    } else {
        t.extend([
            Attribute::KeyType(KeyType::GENERIC_SECRET),
            Attribute::Sign(true),
        ]);
    }
    t.retain(|a| {
        !overrides
            .iter()
            .any(|o| o.attribute_type() == a.attribute_type())
    });
    t.extend_from_slice(overrides);
    t.push(Attribute::ValueLen(32.into()));
    t
}

fn generate(s: &cryptoki::session::Session, label: &str, aes: bool, overrides: &[Attribute]) {
    let mech = if aes {
        Mechanism::AesKeyGen
    } else {
        Mechanism::GenericSecretKeyGen
    };
    s.generate_key(&mech, &template(label, aes, overrides))
        .unwrap();
}

fn open_as(config: &Pkcs11Config, label: &str) -> Result<Pkcs11Provider, harim_pkcs11::OpenError> {
    Pkcs11Provider::open(&Pkcs11Config {
        module: config.module.clone(),
        token_label: label.into(),
        pin: SecretString::from("1234"),
        sessions: 2,
    })
}

fn refused(r: Result<Pkcs11Provider, harim_pkcs11::OpenError>, reason: &str) {
    let e = r.map(|_| ()).unwrap_err().to_string();
    assert!(
        e.contains("\"harim-root-v1\" refused") && e.contains(reason),
        "expected a refusal ({reason}), got: {e}"
    );
}

/// Issue 24, medium item 6: objects under a harim label that are not what harim generates are
/// refused at open, naming the label and the failed requirement; generated keys carry the
/// restrictive attributes; a version is bound to its CKA_ID; a half-made version's number is
/// not reused; a lost login is re-established.
#[test]
fn the_token_adopts_only_what_harim_generated() {
    let Some(dir) = in_child("the_token_adopts_only_what_harim_generated") else {
        return;
    };
    let Some(config) = fresh_token(&dir) else {
        return;
    };
    for label in ["t-import", "t-extract", "t-type", "t-derive", "t-dup"] {
        init_token(&dir, label);
    }

    // Imported (its value is known to whoever imported it): not CKA_LOCAL, never sensitive.
    let (_c, s) = session(&config, "t-import");
    let mut t = template("harim-root-v1", true, &[]);
    t.retain(|a| a.attribute_type() != AttributeType::ValueLen);
    t.push(Attribute::Class(ObjectClass::SECRET_KEY));
    t.push(Attribute::Value(vec![3; 32]));
    s.create_object(&t).unwrap();
    drop(s);
    refused(open_as(&config, "t-import"), "");

    let (_c, s) = session(&config, "t-extract");
    generate(&s, "harim-root-v1", true, &[Attribute::Extractable(true)]);
    drop(s);
    refused(
        open_as(&config, "t-extract"),
        "extractable (CKA_EXTRACTABLE)",
    );

    let (_c, s) = session(&config, "t-type");
    generate(&s, "harim-root-v1", false, &[]);
    drop(s);
    refused(open_as(&config, "t-type"), "not an AES key");

    let (_c, s) = session(&config, "t-derive");
    generate(&s, "harim-root-v1", true, &[Attribute::Derive(true)]);
    drop(s);
    refused(open_as(&config, "t-derive"), "may derive keys (CKA_DERIVE)");

    // A second, well-formed object under the label of a version harim made.
    drop(open_as(&config, "t-dup").unwrap());
    let (_c, s) = session(&config, "t-dup");
    generate(&s, "harim-root-v1", true, &[]);
    drop(s);
    refused(
        open_as(&config, "t-dup"),
        "more than one object carries this label",
    );

    // What harim generates: every restrictive attribute, one random CKA_ID per version.
    let p = Pkcs11Provider::open(&config).unwrap();
    let (_c, s) = session(&config, "harim-test");
    let mut ids = Vec::new();
    for label in [
        "harim-root-v1",
        "harim-bidx-v1-national_id",
        "harim-bidx-v1-iban",
    ] {
        let h = s
            .find_objects(&[Attribute::Label(label.as_bytes().to_vec())])
            .unwrap();
        assert_eq!(h.len(), 1, "{label}");
        let attrs = s
            .get_attributes(
                h[0],
                &[
                    AttributeType::Token,
                    AttributeType::Private,
                    AttributeType::Sensitive,
                    AttributeType::AlwaysSensitive,
                    AttributeType::Extractable,
                    AttributeType::NeverExtractable,
                    AttributeType::Local,
                    AttributeType::Derive,
                    AttributeType::Wrap,
                    AttributeType::Unwrap,
                    AttributeType::ValueLen,
                    AttributeType::Id,
                ],
            )
            .unwrap();
        for want in [
            Attribute::Token(true),
            Attribute::Private(true),
            Attribute::Sensitive(true),
            Attribute::AlwaysSensitive(true),
            Attribute::Extractable(false),
            Attribute::NeverExtractable(true),
            Attribute::Local(true),
            Attribute::Derive(false),
            Attribute::Wrap(false),
            Attribute::Unwrap(false),
            Attribute::ValueLen(32.into()),
        ] {
            assert!(attrs.contains(&want), "{label}: {want:?} in {attrs:?}");
        }
        ids.extend(attrs.into_iter().filter_map(|a| match a {
            Attribute::Id(id) => Some(id),
            _ => None,
        }));
    }
    assert_eq!(ids.len(), 3);
    assert_eq!(ids[0].len(), 16);
    assert!(ids.iter().all(|i| *i == ids[0]), "one CKA_ID per version");
    assert_eq!(p.key_id(1), Some(ids[0].clone()));

    // CKA_ID binding: the recorded id is accepted, another one refuses the version.
    p.pin_key_id(1, &ids[0]).unwrap();
    let w = p.wrap(1, b"binding", &[7; 32]).unwrap();
    let q = Pkcs11Provider::open(&config).unwrap();
    assert!(matches!(
        q.pin_key_id(1, &[9; 16]),
        Err(VaultError::KeyIdMismatch(1))
    ));
    assert!(matches!(
        q.unwrap(1, b"binding", &w),
        Err(VaultError::UnknownKeyVersion(1))
    ));
    drop(q);

    // A half-made version 2 (a crash after its root key): the next version is 3, never a
    // second object labelled `harim-root-v2`.
    generate(&s, "harim-root-v2", true, &[]);
    assert_eq!(p.add_version().unwrap(), 3);
    assert_eq!(p.active_version(), 3);

    // Another application of this process logs out (the login is per token and process): the
    // provider logs in again on a fresh session and carries on.
    s.logout().unwrap();
    drop(s);
    let w3 = p.wrap(3, b"binding", &[7; 32]).unwrap();
    assert_eq!(*p.unwrap(3, b"binding", &w3).unwrap(), [7; 32]);
    assert_eq!(*p.unwrap(1, b"binding", &w).unwrap(), [7; 32]);
}
