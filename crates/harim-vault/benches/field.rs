//! encrypt_field / decrypt_field next to baselines measured in the same run: a plain copy of
//! the same bytes, and raw AES-256-GCM (the crate's primitive with a fixed nonce, no header, no
//! AAD building, no cache lookup). Prints the ratios at the end.
//!
//! Run: `cargo bench -p harim-vault --bench field`

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests and benches may panic

use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group};
use harim_vault::aead::Cipher;
use harim_vault::{CacheConfig, EnvKeyring, FieldContext, Vault};
use uuid::Uuid;

const SIZES: [usize; 2] = [32, 1024];

fn setup() -> (Vault, harim_vault::WrappedTenantKey, Uuid, Uuid) {
    let ring =
        EnvKeyring::from_values("1:AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=", None).unwrap();
    let vault = Vault::new(Arc::new(ring), CacheConfig::default());
    let t = Uuid::new_v4();
    let wk = vault.create_tenant_key(t).unwrap();
    (vault, wk, t, Uuid::new_v4())
}

fn bench(c: &mut Criterion) {
    let (vault, wk, t, r) = setup();
    let ctx = FieldContext {
        tenant_id: t,
        table: "merchant_identity",
        record_id: r,
        field: "iban",
    };
    let cipher = Cipher::new(&[7u8; 32]);
    let nonce = [1u8; 12];
    for size in SIZES {
        let pt = vec![0x41u8; size];
        let ct = vault.encrypt_field(&wk, &ctx, &pt).unwrap();
        let raw_ct = cipher.seal(&nonce, b"", &pt).unwrap();
        let mut g = c.benchmark_group(format!("field_{size}B"));
        g.bench_function("baseline_to_vec", |b| b.iter(|| black_box(&pt).to_vec()));
        g.bench_function("baseline_raw_aes_gcm_seal", |b| {
            b.iter(|| cipher.seal(&nonce, b"", black_box(&pt)).unwrap())
        });
        g.bench_function("baseline_raw_aes_gcm_open", |b| {
            b.iter(|| cipher.open(&nonce, b"", black_box(&raw_ct)).unwrap())
        });
        g.bench_function("encrypt_field", |b| {
            b.iter(|| vault.encrypt_field(&wk, &ctx, black_box(&pt)).unwrap())
        });
        g.bench_function("decrypt_field", |b| {
            b.iter(|| vault.decrypt_field(&wk, &ctx, black_box(&ct)).unwrap())
        });
        g.finish();
    }
}

/// Mean time per call over a fixed wall-clock budget (for the ratio table).
fn mean<F: FnMut()>(mut f: F) -> Duration {
    for _ in 0..1000 {
        f();
    }
    let budget = Duration::from_millis(300);
    let start = Instant::now();
    let mut n = 0u32;
    while start.elapsed() < budget {
        for _ in 0..100 {
            f();
        }
        n += 100;
    }
    start.elapsed() / n
}

fn ratios() {
    let (vault, wk, t, r) = setup();
    let ctx = FieldContext {
        tenant_id: t,
        table: "merchant_identity",
        record_id: r,
        field: "iban",
    };
    let cipher = Cipher::new(&[7u8; 32]);
    let nonce = [1u8; 12];
    println!("\nratios (same run, mean per call):");
    println!(
        "{:>6} {:>10} {:>10} {:>10} {:>10} {:>10} {:>12} {:>12}",
        "size",
        "to_vec",
        "raw_seal",
        "raw_open",
        "encrypt",
        "decrypt",
        "enc/raw_seal",
        "dec/raw_open"
    );
    for size in SIZES {
        let pt = vec![0x41u8; size];
        let ct = vault.encrypt_field(&wk, &ctx, &pt).unwrap();
        let raw_ct = cipher.seal(&nonce, b"", &pt).unwrap();
        let copy = mean(|| {
            black_box(black_box(&pt).to_vec());
        });
        let seal = mean(|| {
            black_box(cipher.seal(&nonce, b"", black_box(&pt)).unwrap());
        });
        let open = mean(|| {
            black_box(cipher.open(&nonce, b"", black_box(&raw_ct)).unwrap());
        });
        let enc = mean(|| {
            black_box(vault.encrypt_field(&wk, &ctx, black_box(&pt)).unwrap());
        });
        let dec = mean(|| {
            black_box(vault.decrypt_field(&wk, &ctx, black_box(&ct)).unwrap());
        });
        let ns = |d: Duration| format!("{:.0} ns", d.as_secs_f64() * 1e9);
        println!(
            "{:>5}B {:>10} {:>10} {:>10} {:>10} {:>10} {:>11.2}x {:>11.2}x",
            size,
            ns(copy),
            ns(seal),
            ns(open),
            ns(enc),
            ns(dec),
            enc.as_secs_f64() / seal.as_secs_f64(),
            dec.as_secs_f64() / open.as_secs_f64()
        );
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_secs(1))
        .sample_size(20);
    targets = bench
}

fn main() {
    benches();
    Criterion::default().configure_from_args().final_summary();
    ratios();
}
