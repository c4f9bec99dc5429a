//! Closed-loop load: `connections` workers issue requests back to back for a warm-up and then a
//! measured window; only requests that start inside the window count. The same shape drives
//! harim over HTTP and the baselines through a database pool, so their figures compare.

use std::{
    future::Future,
    pin::Pin,
    sync::Arc,
    time::{Duration, Instant},
};

use anyhow::{Context, Result, anyhow};
use http_body_util::{BodyExt, Full};
use hyper::{Request, body::Bytes};
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

/// What one load run measured.
#[derive(Debug, Clone, Default)]
pub struct Outcome {
    pub rps: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub ok: u64,
    pub errors: u64,
    /// Mean response body size (HTTP only).
    pub body_bytes: u64,
}

impl Outcome {
    fn from(mut lat_us: Vec<u32>, ok: u64, errors: u64, bytes: u64, secs: f64) -> Self {
        lat_us.sort_unstable();
        let pct = |p: f64| {
            if lat_us.is_empty() {
                return 0.0;
            }
            let i = ((lat_us.len() - 1) as f64 * p).round() as usize;
            f64::from(lat_us[i.min(lat_us.len() - 1)]) / 1000.0
        };
        Self {
            rps: ok as f64 / secs,
            p50_ms: pct(0.50),
            p99_ms: pct(0.99),
            ok,
            errors,
            body_bytes: bytes.checked_div(ok).unwrap_or(0),
        }
    }
}

/// How long to warm up and how long to measure.
#[derive(Debug, Clone, Copy)]
pub struct Window {
    pub warmup: Duration,
    pub measure: Duration,
}

/// Makes the `i`-th request of a run (a path rotates over shops by `i`).
pub type MakeRequest = Arc<dyn Fn(u64) -> Request<Full<Bytes>> + Send + Sync>;

#[derive(Default)]
struct Tally {
    ok: u64,
    errors: u64,
    bytes: u64,
    lat_us: Vec<u32>,
}

fn micros(d: Duration) -> u32 {
    u32::try_from(d.as_micros()).unwrap_or(u32::MAX)
}

async fn http_worker(
    addr: String,
    make: MakeRequest,
    first: u64,
    step: u64,
    from: Instant,
    until: Instant,
) -> Result<Tally> {
    let stream = TcpStream::connect(&addr).await.context("connect")?;
    stream.set_nodelay(true)?;
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .context("handshake")?;
    tokio::spawn(conn);
    let mut t = Tally::default();
    let mut i = first;
    loop {
        let start = Instant::now();
        if start >= until {
            break;
        }
        let mut req = make(i);
        i += step;
        if let Ok(v) = hyper::header::HeaderValue::from_str(&addr) {
            req.headers_mut().insert(hyper::header::HOST, v);
        }
        sender.ready().await.context("connection ready")?;
        let resp = sender.send_request(req).await.context("request")?;
        let ok = resp.status().is_success();
        let body = resp.into_body().collect().await.context("body")?.to_bytes();
        if start >= from {
            if ok {
                t.ok += 1;
                t.bytes += body.len() as u64;
            } else {
                t.errors += 1;
            }
            t.lat_us.push(micros(start.elapsed()));
        }
    }
    Ok(t)
}

/// `connections` keep-alive HTTP/1.1 connections to `addr` (`127.0.0.1:port`).
pub async fn http(addr: &str, connections: usize, w: Window, make: MakeRequest) -> Result<Outcome> {
    let from = Instant::now() + w.warmup;
    let until = from + w.measure;
    let tasks: Vec<_> = (0..connections)
        .map(|c| {
            tokio::spawn(http_worker(
                addr.to_string(),
                make.clone(),
                c as u64,
                connections as u64,
                from,
                until,
            ))
        })
        .collect();
    merge(tasks, w).await
}

type BoxFut = Pin<Box<dyn Future<Output = Result<()>> + Send>>;
/// The `i`-th operation of a baseline run.
pub type Operation = Arc<dyn Fn(u64) -> BoxFut + Send + Sync>;

async fn op_worker(
    op: Operation,
    first: u64,
    step: u64,
    from: Instant,
    until: Instant,
) -> Result<Tally> {
    let mut t = Tally::default();
    let mut i = first;
    loop {
        let start = Instant::now();
        if start >= until {
            break;
        }
        let r = op(i).await;
        i += step;
        if start >= from {
            match r {
                Ok(()) => t.ok += 1,
                Err(_) => t.errors += 1,
            }
            t.lat_us.push(micros(start.elapsed()));
        }
    }
    Ok(t)
}

/// `workers` tasks running `op` back to back (a baseline through a database pool).
pub async fn ops(workers: usize, w: Window, op: Operation) -> Result<Outcome> {
    let from = Instant::now() + w.warmup;
    let until = from + w.measure;
    let tasks: Vec<_> = (0..workers)
        .map(|c| tokio::spawn(op_worker(op.clone(), c as u64, workers as u64, from, until)))
        .collect();
    merge(tasks, w).await
}

async fn merge(tasks: Vec<tokio::task::JoinHandle<Result<Tally>>>, w: Window) -> Result<Outcome> {
    let mut all = Tally::default();
    for t in tasks {
        let t = t.await.map_err(|e| anyhow!("load worker: {e}"))??;
        all.ok += t.ok;
        all.errors += t.errors;
        all.bytes += t.bytes;
        all.lat_us.extend(t.lat_us);
    }
    Ok(Outcome::from(
        all.lat_us,
        all.ok,
        all.errors,
        all.bytes,
        w.measure.as_secs_f64(),
    ))
}

/// A request with a JSON body (or none) and extra headers.
pub fn request(
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: Option<&Bytes>,
) -> Request<Full<Bytes>> {
    let mut b = Request::builder().method(method).uri(path);
    for (k, v) in headers {
        b = b.header(*k, *v);
    }
    if body.is_some() {
        b = b.header("content-type", "application/json");
    }
    let body = Full::new(body.cloned().unwrap_or_default());
    match b.body(body) {
        Ok(r) => r,
        // The inputs are the bench's own constants; a bad one shows as errors in the run.
        Err(_) => Request::new(Full::new(Bytes::new())),
    }
}
