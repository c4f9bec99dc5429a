//! compile + render_html per locale, against a baseline measured in the same run
//! (`serde_json::to_string` of the settings). Run: `cargo bench -p harim-policy`.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::time::Instant;

use criterion::{Criterion, black_box, criterion_group, criterion_main};
use harim_policy::examples::{history_meta, saudi_shop};
use harim_policy::{Locale, compile, render_html};

fn per_iter(f: &mut dyn FnMut(), n: u32) -> f64 {
    let t = Instant::now();
    for _ in 0..n {
        f();
    }
    t.elapsed().as_secs_f64() / f64::from(n)
}

fn bench(c: &mut Criterion) {
    let (s, shop) = saudi_shop();
    let meta = history_meta(&s);
    c.bench_function("baseline_serde_json_to_string", |b| {
        b.iter(|| serde_json::to_string(black_box(&s)).unwrap());
    });
    let base = per_iter(&mut || drop(black_box(serde_json::to_string(&s))), 2000);
    for l in Locale::ALL {
        let f = s.format_for(l);
        let mut run = || {
            let doc = compile(black_box(&s), &shop);
            black_box(render_html(&doc, &meta, l, &f));
        };
        c.bench_function(&format!("compile_render_html_{}", l.tag()), |b| {
            b.iter(&mut run)
        });
        let t = per_iter(&mut run, 50);
        println!(
            "{}: {:.1} µs per page, {:.0}x the serde_json baseline ({:.2} µs)",
            l.tag(),
            t * 1e6,
            t / base,
            base * 1e6
        );
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(10).warm_up_time(std::time::Duration::from_millis(300)).measurement_time(std::time::Duration::from_secs(1));
    targets = bench
}
criterion_main!(benches);
