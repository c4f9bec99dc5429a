//! Issue "Customers act on the policy"'s event figures, on PostgreSQL, in one run: what an
//! event costs the write that emits it (a consent record with an endpoint subscribed against the
//! same without one, goal ≤ 10 %), and how fast harim's worker delivers the backlog that run
//! left to a local endpoint (goal ≥ 1,000 events/s).

use std::{
    convert::Infallible,
    fmt::Write as _,
    sync::{
        Arc, Mutex,
        atomic::{AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

use anyhow::Result;
use http_body_util::Full;
use hyper::{Request, Response, body::Bytes, server::conn::http1, service::service_fn};
use hyper_util::rt::TokioIo;
use serde_json::json;

use crate::{
    Ctx, Section,
    load::{self, MakeRequest, request},
    scenarios::{checked, met, ms, pg_rig},
};

/// A receiver answering 204 to everything: how many it got, and when the first and last came.
async fn receiver() -> Result<(
    String,
    Arc<AtomicU64>,
    Arc<Mutex<(Option<Instant>, Option<Instant>)>>,
)> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}/events", listener.local_addr()?);
    let count = Arc::new(AtomicU64::new(0));
    let times = Arc::new(Mutex::new((None, None)));
    let (c, t) = (count.clone(), times.clone());
    tokio::spawn(async move {
        while let Ok((sock, _)) = listener.accept().await {
            let (c, t) = (c.clone(), t.clone());
            tokio::spawn(async move {
                let svc = service_fn(move |_req: Request<hyper::body::Incoming>| {
                    let (c, t) = (c.clone(), t.clone());
                    async move {
                        c.fetch_add(1, Ordering::Relaxed);
                        if let Ok(mut g) = t.lock() {
                            let now = Instant::now();
                            g.0.get_or_insert(now);
                            g.1 = Some(now);
                        }
                        Ok::<_, Infallible>(
                            Response::builder()
                                .status(204)
                                .body(Full::new(Bytes::new()))
                                .unwrap_or_default(),
                        )
                    }
                });
                let _ = http1::Builder::new()
                    .serve_connection(TokioIo::new(sock), svc)
                    .await;
            });
        }
    });
    Ok((url, count, times))
}

pub async fn events(ctx: &Ctx) -> Result<Section> {
    let w = ctx.p.window;
    let r = pg_rig(ctx, "events", false).await?;
    // The writes go to an API-only replica (`outbox_worker = false`): what is measured is what
    // emitting costs the write; the deliveries are measured apart, by a worker replica started
    // on the backlog once the writes stop (on two shared cores, the two would otherwise be
    // charged to each other).
    let crate::scenarios::Rig { d, h, token, ids } = r;
    h.stop();
    let api = d.start_with(&ctx.harim, &[("HARIM_OUTBOX_WORKER", "false")])?;
    let addr = api.addr();
    let pid = Some(api.child.id());
    let base = api.base.clone();
    let auth = format!("Bearer {token}");
    let c = reqwest::Client::new();
    let settings = json!(harim_policy::examples::iranian_shop().0);
    for shop in &ids {
        c.put(format!("{base}/v1/shops/{shop}/privacy-settings"))
            .bearer_auth(&token)
            .json(&settings)
            .send()
            .await?
            .error_for_status()?;
        c.post(format!("{base}/v1/shops/{shop}/policies"))
            .bearer_auth(&token)
            .send()
            .await?
            .error_for_status()?;
    }
    let record_req: MakeRequest = {
        let (ids, auth) = (Arc::new(ids.clone()), auth.clone());
        Arc::new(move |i| {
            let shop = &ids[i as usize % ids.len()];
            let body = Bytes::from(
                json!({"visitor_id": format!("v_{:032x}", i), "purpose": "order_sms",
                       "state": "refused", "policy_version": 1, "language": "fa", "collection": "api"})
                .to_string(),
            );
            request(
                "POST",
                &format!("/v1/shops/{shop}/consents"),
                &[("authorization", &auth)],
                Some(&body),
            )
        })
    };
    let quiet = checked(
        "record consent, no endpoint @32",
        load::http(&addr, 32, w, record_req.clone(), pid).await?,
    )?;

    // An endpoint for consent.changed: the same writes now emit an event each.
    let (url, got, times) = receiver().await?;
    let pool = d.pool().await?;
    let vault = d.vault()?;
    harim_store::privacy_events::create_endpoint(
        &pool,
        &vault,
        &harim_store::scope::PlatformScope::command_line("bench"),
        url,
        vec!["consent.changed".into()],
    )
    .await?;
    let emitting = checked(
        "record consent, an endpoint subscribed @32",
        load::http(&addr, 32, w, record_req, pid).await?,
    )?;
    let cost = 1.0 - emitting.rps / quiet.rps;

    // The backlog: how fast a worker replica drains it once the writes stop.
    let backlog_start = got.load(Ordering::Relaxed);
    let _worker = d.start(&ctx.harim)?;
    let t0 = Instant::now();
    let mut last = backlog_start;
    let mut still = 0;
    while still < 20 && t0.elapsed() < Duration::from_secs(if ctx.p.smoke { 10 } else { 120 }) {
        tokio::time::sleep(Duration::from_millis(100)).await;
        let now = got.load(Ordering::Relaxed);
        // Counted only once the worker has begun (its start is not the drain's time).
        if now == last && now > backlog_start {
            still += 1;
        } else {
            still = 0;
            last = now;
        }
    }
    let drained = last - backlog_start;
    let drain_secs = (t0.elapsed().as_secs_f64() - still as f64 * 0.1).max(1e-3);
    let per_sec = drained as f64 / drain_secs;
    let total = got.load(Ordering::Relaxed);
    let span = times
        .lock()
        .ok()
        .and_then(|g| Some(g.1?.duration_since(g.0?).as_secs_f64()))
        .unwrap_or(0.0);
    eprintln!(
        "  delivered {total} events ({drained} after the writes stopped, in {drain_secs:.1} s); first to last {span:.1} s"
    );
    // When the worker keeps up with the writes the backlog left at the end is small and its
    // drain says little: the rate is then every delivery over the span from the first to the
    // last (a lower bound: the writes set the pace).
    let (per_sec, how) = if drained >= 1000 {
        (
            per_sec,
            format!("{drained} events left when the writes stopped, drained in {drain_secs:.1} s"),
        )
    } else {
        (
            total as f64 / span.max(1e-3),
            format!(
                "kept up with the writes: {total} events from the first to the last in {span:.1} s"
            ),
        )
    };

    // The privacy page's "send me a code": an address a customer has against one nobody has,
    // interleaved, one at a time (an observer timing the answers should not tell them apart).
    let n = if ctx.p.smoke { 16 } else { 128 };
    for i in 0..n {
        let shop = &ids[i % ids.len()];
        c.post(format!("{base}/v1/shops/{shop}/customers"))
            .bearer_auth(&token)
            .json(&json!({"name": format!("Customer {i}"), "email": format!("c{i}@bench.example")}))
            .send()
            .await?
            .error_for_status()?;
    }
    let (mut known, mut unknown) = (Vec::with_capacity(n), Vec::with_capacity(n));
    for i in 0..n {
        // The shops' slugs follow their creation order (`bench-<i>`), as `ids` does.
        let slug = format!("bench-{}", i % ids.len());
        for (who, out) in [("c", &mut known), ("u", &mut unknown)] {
            let t = Instant::now();
            c.post(format!("{base}/shops/{slug}/privacy/requests"))
                .json(&json!({"kind": "access", "email": format!("{who}{i}@bench.example")}))
                .send()
                .await?
                .error_for_status()?;
            out.push(t.elapsed().as_secs_f64() * 1000.0);
        }
    }
    let pct = |v: &mut Vec<f64>, p: f64| {
        v.sort_by(f64::total_cmp);
        v[((v.len() as f64 - 1.0) * p).round() as usize]
    };
    let (k50, k99, u50, u99) = (
        pct(&mut known, 0.5),
        pct(&mut known, 0.99),
        pct(&mut unknown, 0.5),
        pct(&mut unknown, 0.99),
    );

    let mut s = format!(
        "PostgreSQL deployment (harim and the database on the same 2 cores as the load generator), \
         {} shops with a published policy. The write: `POST .../consents` at 32 connections to \
         an API-only replica (`outbox_worker = false`), first with no endpoint registered (no event \
         is written), then with one endpoint subscribed to `consent.changed` (each write also \
         writes the event and its delivery row, in the same transaction and the same statement as \
         the read of the endpoints). Delivery: a worker replica started when the writes stop \
         drains their backlog to a local HTTP endpoint answering 204 (a batch claimed in one \
         statement, 16 requests in flight); the rate is the backlog over the time to drain it.\n\n\
         | what | harim | baseline | ratio / figure | goal | |\n|---|---|---|---|---|---|\n",
        ids.len()
    );
    let _ = writeln!(
        s,
        "| a write that emits an event @32 | {:.0} req/s (p99 {} ms) | {:.0} req/s without an endpoint (p99 {} ms) | {:.0} % slower | ≤ 10 % | {} |",
        emitting.rps,
        ms(emitting.p99_ms),
        quiet.rps,
        ms(quiet.p99_ms),
        cost * 100.0,
        met(cost <= 0.10)
    );
    let _ = writeln!(
        s,
        "| delivery to a local endpoint | {per_sec:.0} events/s | | {how} | ≥ 1,000 events/s | {} |",
        met(per_sec >= 1000.0)
    );
    let _ = writeln!(
        s,
        "| \"send me a code\" for an unknown address @1 ({n} each, interleaved) | p50 {} ms, p99 {} ms | p50 {} ms, p99 {} ms for a customer's address | {:.2}× at p50 | the same class (no enumeration) | {} |",
        ms(u50),
        ms(u99),
        ms(k50),
        ms(k99),
        u50 / k50.max(1e-6),
        met((u50 / k50.max(1e-6) - 1.0).abs() <= 0.25)
    );
    Ok(Section {
        name: "events",
        markdown: s,
    })
}
