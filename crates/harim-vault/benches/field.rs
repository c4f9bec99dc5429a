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
use zeroize::Zeroizing;

const SIZES: [usize; 2] = [32, 1024];

/// What both the benchmarks and the ratio table measure: a vault with one tenant key and the
/// context of one field, next to the raw cipher of the baseline with its fixed nonce.
struct Setup {
    vault: Vault,
    wk: harim_vault::WrappedTenantKey,
    ctx: FieldContext<'static>,
    cipher: Cipher,
    nonce: [u8; 12],
}

fn setup() -> Setup {
    let ring =
        EnvKeyring::from_values("1:AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=", None).unwrap();
    let vault = Vault::new(Arc::new(ring), CacheConfig::default());
    let t = Uuid::new_v4();
    let wk = vault.create_tenant_key(t).unwrap();
    Setup {
        vault,
        wk,
        ctx: FieldContext {
            tenant_id: t,
            table: "merchant_identity",
            record_id: Uuid::new_v4(),
            field: "iban",
        },
        cipher: Cipher::new(&[7u8; 32]),
        nonce: [1u8; 12],
    }
}

impl Setup {
    /// The plaintext of `size` bytes, its field ciphertext and its raw-cipher ciphertext.
    fn inputs(&self, size: usize) -> (Vec<u8>, Vec<u8>, Vec<u8>) {
        let pt = vec![0x41u8; size];
        let ct = self.encrypt(&pt);
        let raw_ct = self.raw_seal(&pt);
        (pt, ct, raw_ct)
    }

    fn raw_seal(&self, pt: &[u8]) -> Vec<u8> {
        self.cipher.seal(&self.nonce, b"", black_box(pt)).unwrap()
    }

    fn raw_open(&self, ct: &[u8]) -> Zeroizing<Vec<u8>> {
        self.cipher.open(&self.nonce, b"", black_box(ct)).unwrap()
    }

    fn encrypt(&self, pt: &[u8]) -> Vec<u8> {
        self.vault
            .encrypt_field(&self.wk, &self.ctx, black_box(pt))
            .unwrap()
    }

    fn decrypt(&self, ct: &[u8]) -> Zeroizing<Vec<u8>> {
        self.vault
            .decrypt_field(&self.wk, &self.ctx, black_box(ct))
            .unwrap()
    }
}

fn bench(c: &mut Criterion) {
    let s = setup();
    for size in SIZES {
        let (pt, ct, raw_ct) = s.inputs(size);
        let mut g = c.benchmark_group(format!("field_{size}B"));
        g.bench_function("baseline_to_vec", |b| b.iter(|| black_box(&pt).to_vec()));
        g.bench_function("baseline_raw_aes_gcm_seal", |b| b.iter(|| s.raw_seal(&pt)));
        g.bench_function("baseline_raw_aes_gcm_open", |b| {
            b.iter(|| s.raw_open(&raw_ct))
        });
        g.bench_function("encrypt_field", |b| b.iter(|| s.encrypt(&pt)));
        g.bench_function("decrypt_field", |b| b.iter(|| s.decrypt(&ct)));
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
    let s = setup();
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
        let (pt, ct, raw_ct) = s.inputs(size);
        let copy = mean(|| {
            black_box(black_box(&pt).to_vec());
        });
        let seal = mean(|| {
            black_box(s.raw_seal(&pt));
        });
        let open = mean(|| {
            black_box(s.raw_open(&raw_ct));
        });
        let enc = mean(|| {
            black_box(s.encrypt(&pt));
        });
        let dec = mean(|| {
            black_box(s.decrypt(&ct));
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
