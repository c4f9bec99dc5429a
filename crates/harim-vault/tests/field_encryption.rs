//! Tenant keys and field ciphertexts: binding, tampering, versions, rotation, limits.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests and benches may panic

mod common;

use std::sync::Arc;
use std::time::Duration;

use harim_vault::{
    CacheConfig, FIELD_OVERHEAD, FieldContext, FileKeyring, KeyProvider,
    MAX_ENCRYPTIONS_PER_TENANT_KEY, ROTATION_DUE_AT, Vault, VaultError, field_tk_version,
};
use uuid::Uuid;

fn ctx<'a>(tenant: Uuid, record: Uuid, field: &'a str) -> FieldContext<'a> {
    FieldContext {
        tenant_id: tenant,
        table: "merchant_identity",
        record_id: record,
        field,
    }
}

#[test]
fn a_field_round_trips_and_carries_its_header() {
    let v = common::vault();
    let t = Uuid::new_v4();
    let r = Uuid::new_v4();
    let wk = v.create_tenant_key(t).unwrap();
    assert_eq!((wk.tk_version, wk.kek_version), (1, 2));
    let ct = v
        .encrypt_field(&wk, &ctx(t, r, "iban"), b"IR062960000000100324200001")
        .unwrap();
    assert_eq!(ct.len(), 26 + FIELD_OVERHEAD);
    assert_eq!(ct[0], 0x01);
    assert_eq!(field_tk_version(&ct).unwrap(), 1);
    let pt = v.decrypt_field(&wk, &ctx(t, r, "iban"), &ct).unwrap();
    assert_eq!(&pt[..], b"IR062960000000100324200001");
    let s = v
        .decrypt_field_string(&wk, &ctx(t, r, "iban"), &ct)
        .unwrap();
    assert_eq!(
        secrecy::ExposeSecret::expose_secret(&s),
        "IR062960000000100324200001"
    );
}

#[test]
fn two_encryptions_of_one_value_differ() {
    let v = common::vault();
    let t = Uuid::new_v4();
    let wk = v.create_tenant_key(t).unwrap();
    let c = ctx(t, Uuid::new_v4(), "email");
    assert_ne!(
        v.encrypt_field(&wk, &c, b"x").unwrap(),
        v.encrypt_field(&wk, &c, b"x").unwrap()
    );
}

#[test]
fn ciphertexts_swapped_between_fields_rows_tables_or_tenants_fail() {
    let v = common::vault();
    let (t1, t2) = (Uuid::new_v4(), Uuid::new_v4());
    let (r1, r2) = (Uuid::new_v4(), Uuid::new_v4());
    let wk1 = v.create_tenant_key(t1).unwrap();
    let wk2 = v.create_tenant_key(t2).unwrap();
    let ct = v
        .encrypt_field(&wk1, &ctx(t1, r1, "iban"), b"secret")
        .unwrap();

    let other_field = v.decrypt_field(&wk1, &ctx(t1, r1, "national_id"), &ct);
    assert!(matches!(other_field, Err(VaultError::DecryptFailed)));
    let other_row = v.decrypt_field(&wk1, &ctx(t1, r2, "iban"), &ct);
    assert!(matches!(other_row, Err(VaultError::DecryptFailed)));
    let other_table = FieldContext {
        table: "customers",
        ..ctx(t1, r1, "iban")
    };
    assert!(matches!(
        v.decrypt_field(&wk1, &other_table, &ct),
        Err(VaultError::DecryptFailed)
    ));
    // Another tenant's key with that tenant's context.
    let other_tenant = v.decrypt_field(&wk2, &ctx(t2, r1, "iban"), &ct);
    assert!(matches!(other_tenant, Err(VaultError::DecryptFailed)));
    // The right context but someone else's key is refused before any crypto.
    assert!(matches!(
        v.decrypt_field(&wk2, &ctx(t1, r1, "iban"), &ct),
        Err(VaultError::TenantMismatch)
    ));
    // Length-prefixing: moving a byte between table and field names does not collide.
    let a = FieldContext {
        table: "ab",
        field: "c",
        ..ctx(t1, r1, "")
    };
    let b = FieldContext {
        table: "a",
        field: "bc",
        ..ctx(t1, r1, "")
    };
    let ct_a = v.encrypt_field(&wk1, &a, b"v").unwrap();
    assert!(v.decrypt_field(&wk1, &b, &ct_a).is_err());
}

#[test]
fn flipping_any_single_bit_fails() {
    let v = common::vault();
    let t = Uuid::new_v4();
    let wk = v.create_tenant_key(t).unwrap();
    let c = ctx(t, Uuid::new_v4(), "phone");
    let ct = v.encrypt_field(&wk, &c, b"+989121234567").unwrap();
    for byte in 0..ct.len() {
        for bit in 0..8 {
            let mut bad = ct.clone();
            bad[byte] ^= 1 << bit;
            assert!(
                v.decrypt_field(&wk, &c, &bad).is_err(),
                "byte {byte} bit {bit}"
            );
        }
    }
    // Truncation and extension fail too.
    for n in 0..ct.len() {
        assert!(
            v.decrypt_field(&wk, &c, &ct[..n]).is_err(),
            "truncated to {n}"
        );
    }
    let mut longer = ct.clone();
    longer.push(0);
    assert!(v.decrypt_field(&wk, &c, &longer).is_err());
}

#[test]
fn flipping_any_bit_of_a_wrapped_key_fails() {
    let v = common::vault();
    let t = Uuid::new_v4();
    let wk = v.create_tenant_key(t).unwrap();
    for byte in 0..wk.wrapped.len() {
        for bit in 0..8 {
            let mut bad = wk.clone();
            bad.wrapped[byte] ^= 1 << bit;
            assert!(v.rewrap(&bad, 2).is_err(), "byte {byte} bit {bit}");
        }
    }
}

#[test]
fn a_wrapped_key_with_a_wrong_kek_version_or_binding_fails() {
    let v = common::vault();
    let t = Uuid::new_v4();
    let wk = v.create_tenant_key(t).unwrap();
    let c = ctx(t, Uuid::new_v4(), "email");
    let ct = v.encrypt_field(&wk, &c, b"a@b.co").unwrap();

    let mut wrong_kek = wk.clone();
    wrong_kek.kek_version = 1;
    assert!(matches!(
        v.decrypt_field(&wrong_kek, &c, &ct),
        Err(VaultError::UnwrapFailed)
    ));
    let mut unknown_kek = wk.clone();
    unknown_kek.kek_version = 9;
    assert!(matches!(
        v.decrypt_field(&unknown_kek, &c, &ct),
        Err(VaultError::UnknownKeyVersion(9))
    ));
    let mut other_tenant = wk.clone();
    other_tenant.tenant_id = Uuid::new_v4();
    assert!(v.rewrap(&other_tenant, 2).is_err());
    let mut other_tk = wk.clone();
    other_tk.tk_version = 2;
    assert!(v.rewrap(&other_tk, 2).is_err());
}

#[test]
fn rewrap_round_trips_and_keeps_ciphertexts_readable() {
    let p = common::env_provider();
    // Wrap under v1 with a provider where v1 is active, then read with one where v2 is.
    let v1_only = Arc::new(
        harim_vault::EnvKeyring::from_values(
            "1:AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=,2:AgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgI=",
            Some("1"),
        )
        .unwrap(),
    );
    let old = Vault::new(v1_only, CacheConfig::default());
    let t = Uuid::new_v4();
    let wk1 = old.create_tenant_key(t).unwrap();
    assert_eq!(wk1.kek_version, 1);
    let c = ctx(t, Uuid::new_v4(), "national_id");
    let ct = old.encrypt_field(&wk1, &c, b"0499370899").unwrap();

    let v = Vault::new(p.clone(), CacheConfig::default());
    let wk2 = v.rewrap_to_active(&wk1).unwrap();
    assert_eq!((wk2.kek_version, wk2.tk_version, wk2.tenant_id), (2, 1, t));
    assert_ne!(wk2.wrapped, wk1.wrapped);
    assert_eq!(&v.decrypt_field(&wk2, &c, &ct).unwrap()[..], b"0499370899");
    assert_eq!(&v.decrypt_field(&wk1, &c, &ct).unwrap()[..], b"0499370899");
    // Idempotent at the target version.
    assert_eq!(v.rewrap(&wk2, 2).unwrap(), wk2);
    // Back to a decrypt-only version is refused.
    assert!(matches!(
        v.rewrap(&wk2, 1),
        Err(VaultError::KeyVersionDecryptOnly(1))
    ));
    assert_eq!(p.active_version(), 2);
}

#[test]
fn tenant_key_rotation_reencrypts_idempotently() {
    let v = common::vault();
    let t = Uuid::new_v4();
    let old = v.create_tenant_key(t).unwrap();
    let new = v.rotate_tenant_key(&old).unwrap();
    assert_eq!(new.tk_version, 2);
    let c = ctx(t, Uuid::new_v4(), "address");
    let ct1 = v.encrypt_field(&old, &c, b"Tehran").unwrap();
    assert!(matches!(
        v.decrypt_field(&new, &c, &ct1),
        Err(VaultError::TenantKeyVersionMismatch {
            expected: 2,
            found: 1
        })
    ));
    let ct2 = v.reencrypt_field(&old, &new, &c, &ct1).unwrap();
    assert_eq!(field_tk_version(&ct2).unwrap(), 2);
    assert_eq!(v.reencrypt_field(&old, &new, &c, &ct2).unwrap(), ct2);
    assert_eq!(&v.decrypt_field(&new, &c, &ct2).unwrap()[..], b"Tehran");
}

#[test]
fn the_encryption_limit_is_enforced_and_rotation_flagged() {
    let v = common::vault();
    let t = Uuid::new_v4();
    let wk = v.create_tenant_key(t).unwrap();
    let c = ctx(t, Uuid::new_v4(), "email");
    const { assert!(MAX_ENCRYPTIONS_PER_TENANT_KEY <= 1 << 30) };
    let u = v.record_persisted_count(t, 1, ROTATION_DUE_AT - 1);
    assert!(!u.rotation_due);
    let (_, u) = v.encrypt_field_with_usage(&wk, &c, b"x").unwrap();
    assert!(u.rotation_due && !u.exhausted);
    v.record_persisted_count(t, 1, MAX_ENCRYPTIONS_PER_TENANT_KEY - 1);
    let (_, u) = v.encrypt_field_with_usage(&wk, &c, b"x").unwrap();
    assert!(u.exhausted);
    assert!(matches!(
        v.encrypt_field(&wk, &c, b"x"),
        Err(VaultError::EncryptionLimitReached { tk_version: 1 })
    ));
    // Decryption still works, and a rotated key encrypts again.
    let new = v.rotate_tenant_key(&wk).unwrap();
    assert!(v.encrypt_field(&new, &c, b"x").is_ok());
    assert_eq!(v.key_usage(t, 2).encryptions, 1);
}

#[test]
fn the_cache_is_bounded_expires_and_forgets_tenants() {
    let v = Vault::new(
        common::env_provider(),
        CacheConfig {
            max_entries: 3,
            max_age: Duration::from_secs(3600),
        },
    );
    let mut keys = Vec::new();
    for _ in 0..5 {
        let t = Uuid::new_v4();
        let wk = v.create_tenant_key(t).unwrap();
        v.encrypt_field(&wk, &ctx(t, t, "f"), b"x").unwrap();
        keys.push(wk);
    }
    assert_eq!(v.cached_keys(), 3);
    let last = keys.last().unwrap();
    v.forget_tenant(last.tenant_id);
    assert_eq!(v.cached_keys(), 2);
    assert_eq!(v.key_usage(last.tenant_id, 1).encryptions, 0);

    let expiring = Vault::new(
        common::env_provider(),
        CacheConfig {
            max_entries: 10,
            max_age: Duration::ZERO,
        },
    );
    let t = Uuid::new_v4();
    let wk = expiring.create_tenant_key(t).unwrap();
    let ct = expiring.encrypt_field(&wk, &ctx(t, t, "f"), b"x").unwrap();
    std::thread::sleep(Duration::from_millis(2));
    assert!(expiring.decrypt_field(&wk, &ctx(t, t, "f"), &ct).is_ok());

    let uncached = Vault::new(
        common::env_provider(),
        CacheConfig {
            max_entries: 0,
            max_age: Duration::ZERO,
        },
    );
    let ct = uncached.encrypt_field(&wk, &ctx(t, t, "f"), b"x").unwrap();
    assert!(uncached.decrypt_field(&wk, &ctx(t, t, "f"), &ct).is_ok());
    assert_eq!(uncached.cached_keys(), 0);
}

#[test]
fn a_destroyed_root_version_is_not_served_from_the_cache() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("keys/keyring.json");
    let ring = Arc::new(FileKeyring::create_dev(&path).unwrap());
    let v = Vault::new(ring.clone(), CacheConfig::default());
    let t = Uuid::new_v4();
    let wk = v.create_tenant_key(t).unwrap();
    let c = ctx(t, t, "f");
    let ct = v.encrypt_field(&wk, &c, b"x").unwrap();
    assert_eq!(ring.add_version().unwrap(), 2);
    ring.destroy(1).unwrap();
    assert!(matches!(
        v.decrypt_field(&wk, &c, &ct),
        Err(VaultError::UnknownKeyVersion(1))
    ));
    assert_eq!(v.cached_keys(), 0);
}

#[test]
fn blind_indexes_are_deterministic_per_version_and_kind() {
    use harim_vault::BlindIndexKind::{Iban, NationalId};
    let v = common::vault();
    let a = v.blind_index(2, NationalId, "IR:0499370899").unwrap();
    assert_eq!(a, v.blind_index(2, NationalId, "IR:0499370899").unwrap());
    assert_ne!(a, v.blind_index(1, NationalId, "IR:0499370899").unwrap());
    assert_ne!(a, v.blind_index(2, Iban, "IR:0499370899").unwrap());
    assert_ne!(a, v.blind_index(2, NationalId, "IR:0499370898").unwrap());
    assert_eq!(
        v.blind_index_active(NationalId, "IR:0499370899").unwrap(),
        (2, a)
    );
    assert!(v.blind_index(7, Iban, "x").is_err());
}

#[test]
fn debug_output_of_keys_and_vault_has_no_secret_bytes() {
    let v = common::vault();
    let t = Uuid::new_v4();
    let wk = v.create_tenant_key(t).unwrap();
    let dbg = format!("{wk:?} {v:?} {:?}", common::env_provider());
    assert!(
        !dbg.contains("AQEBAQEB") && !dbg.contains("AgICAgIC"),
        "{dbg}"
    );
    let hex_wrapped = wk
        .wrapped
        .iter()
        .map(|b| format!("{b}"))
        .collect::<Vec<_>>()
        .join(", ");
    assert!(!dbg.contains(&hex_wrapped), "{dbg}");
    assert!(dbg.contains("60 bytes"), "{dbg}");
    let err = VaultError::DecryptFailed.to_string();
    assert!(!err.contains("secret"));
}

#[test]
fn a_replaced_wrapped_key_with_the_same_versions_is_never_served_from_the_cache() {
    let v = common::vault();
    let t = Uuid::new_v4();
    let a = v.create_tenant_key(t).unwrap();
    let b = v.create_tenant_key(t).unwrap();
    assert_eq!((a.tk_version, a.kek_version), (b.tk_version, b.kek_version));
    let c = ctx(t, t, "f");
    let ct = v.encrypt_field(&a, &c, b"x").unwrap();
    assert!(matches!(
        v.decrypt_field(&b, &c, &ct),
        Err(VaultError::DecryptFailed)
    ));
    assert!(v.decrypt_field(&a, &c, &ct).is_ok());
}

#[test]
fn the_vault_is_shareable_across_threads_and_counts_exactly() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Vault>();
    assert_send_sync::<harim_vault::WrappedTenantKey>();
    let v = Arc::new(common::vault());
    let t = Uuid::new_v4();
    let wk = v.create_tenant_key(t).unwrap();
    let handles: Vec<_> = (0..4)
        .map(|_| {
            let (v, wk) = (v.clone(), wk.clone());
            std::thread::spawn(move || {
                for _ in 0..250 {
                    v.encrypt_field(&wk, &ctx(t, t, "f"), b"x").unwrap();
                }
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
    assert_eq!(v.key_usage(t, 1).encryptions, 1000);
}
