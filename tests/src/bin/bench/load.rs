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
    /// CPU time per successful request during the measured window, µs.
    pub cpu: Cpu,
}

/// CPU time (user + system) of harim, of every PostgreSQL process and of this process (the
/// client or the baseline), from `/proc/<pid>/stat`; per request once divided.
#[derive(Debug, Clone, Copy, Default)]
pub struct Cpu {
    pub harim_us: f64,
    pub postgres_us: f64,
    pub client_us: f64,
}

fn ticks(stat: &str) -> Option<u64> {
    // Fields after the parenthesised command name; utime and stime are the 14th and 15th.
    let rest = stat.rsplit_once(')')?.1;
    let f: Vec<&str> = rest.split_whitespace().collect();
    Some(f.get(11)?.parse::<u64>().ok()? + f.get(12)?.parse::<u64>().ok()?)
}

fn pid_ticks(pid: &str) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|s| ticks(&s))
        .unwrap_or(0)
}

fn postgres_ticks() -> u64 {
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return 0;
    };
    dir.filter_map(Result::ok)
        .filter_map(|e| e.file_name().into_string().ok())
        .filter(|p| p.bytes().all(|b| b.is_ascii_digit()))
        .filter(|p| {
            std::fs::read_to_string(format!("/proc/{p}/comm")).is_ok_and(|c| c.trim() == "postgres")
        })
        .map(|p| pid_ticks(&p))
        .sum()
}

/// Busy and total clock ticks of the whole machine (every process, this bench and other users
/// alike), from the first line of `/proc/stat`: whether the cores were full over a window.
pub fn machine_ticks() -> (u64, u64) {
    let line = std::fs::read_to_string("/proc/stat")
        .ok()
        .and_then(|s| s.lines().next().map(str::to_string))
        .unwrap_or_default();
    // user nice system idle iowait irq softirq steal (guest time is inside user already).
    let f: Vec<u64> = line
        .split_whitespace()
        .skip(1)
        .take(8)
        .filter_map(|v| v.parse().ok())
        .collect();
    if f.len() < 8 {
        return (0, 0);
    }
    let idle = f[3] + f[4];
    let busy = f[0] + f[1] + f[2] + f[5] + f[6] + f[7];
    (busy, busy + idle)
}

/// Cores the whole machine kept busy over the measured window of a run started with `w` at
/// the same moment as this (join them).
pub async fn machine_cores(w: Window) -> f64 {
    tokio::time::sleep(w.warmup).await;
    let a = machine_ticks();
    tokio::time::sleep(w.measure).await;
    let b = machine_ticks();
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let total = b.1.saturating_sub(a.1);
    if total == 0 {
        return 0.0;
    }
    b.0.saturating_sub(a.0) as f64 / total as f64 * cores as f64
}

/// A reading of the three CPU counters (clock ticks).
#[derive(Debug, Clone, Copy)]
pub struct Snapshot {
    harim: u64,
    postgres: u64,
    client: u64,
}

/// Reads the counters; `harim` is the server's pid, if one is measured.
pub fn snapshot(harim: Option<u32>) -> Snapshot {
    Snapshot {
        harim: harim.map_or(0, |p| pid_ticks(&p.to_string())),
        postgres: postgres_ticks(),
        client: pid_ticks("self"),
    }
}

impl Snapshot {
    /// CPU µs per request between `self` and `later`.
    pub fn per_request(&self, later: &Snapshot, requests: u64) -> Cpu {
        // Linux reports /proc stat times in USER_HZ, which is 100 on every supported platform.
        let us = |a: u64, b: u64| (b.saturating_sub(a)) as f64 * 10_000.0 / requests.max(1) as f64;
        Cpu {
            harim_us: us(self.harim, later.harim),
            postgres_us: us(self.postgres, later.postgres),
            client_us: us(self.client, later.client),
        }
    }
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
            cpu: Cpu::default(),
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

/// A worker's operation numbers, `first`, `first + step`, …, each with the instant it starts,
/// until `until`.
fn turns(first: u64, step: u64, until: Instant) -> impl Iterator<Item = (u64, Instant)> {
    (0..)
        .map(move |n| (first + n * step, Instant::now()))
        .take_while(move |(_, start)| *start < until)
}

async fn http_worker(
    addr: String,
    make: MakeRequest,
    accept: fn(u16) -> bool,
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
    for (i, start) in turns(first, step, until) {
        let mut req = make(i);
        if let Ok(v) = hyper::header::HeaderValue::from_str(&addr) {
            req.headers_mut().insert(hyper::header::HOST, v);
        }
        sender.ready().await.context("connection ready")?;
        let resp = sender.send_request(req).await.context("request")?;
        let ok = accept(resp.status().as_u16());
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

/// `connections` keep-alive HTTP/1.1 connections to `addr` (`127.0.0.1:port`); `pid`, the
/// server's process, for the CPU columns.
pub async fn http(
    addr: &str,
    connections: usize,
    w: Window,
    make: MakeRequest,
    pid: Option<u32>,
) -> Result<Outcome> {
    http_accepting(addr, connections, w, make, pid, |s| (200..300).contains(&s)).await
}

/// [`http`] where `accept` says which statuses are the expected answer (the notification gate's
/// refusals are a 409 by design).
pub async fn http_accepting(
    addr: &str,
    connections: usize,
    w: Window,
    make: MakeRequest,
    pid: Option<u32>,
    accept: fn(u16) -> bool,
) -> Result<Outcome> {
    let from = Instant::now() + w.warmup;
    let until = from + w.measure;
    let tasks: Vec<_> = (0..connections)
        .map(|c| {
            tokio::spawn(http_worker(
                addr.to_string(),
                make.clone(),
                accept,
                c as u64,
                connections as u64,
                from,
                until,
            ))
        })
        .collect();
    merge(tasks, w, pid, from, until).await
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
    for (i, start) in turns(first, step, until) {
        let r = op(i).await;
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
    merge(tasks, w, None, from, until).await
}

async fn merge(
    tasks: Vec<tokio::task::JoinHandle<Result<Tally>>>,
    w: Window,
    pid: Option<u32>,
    from: Instant,
    until: Instant,
) -> Result<Outcome> {
    tokio::time::sleep_until(from.into()).await;
    let before = snapshot(pid);
    tokio::time::sleep_until(until.into()).await;
    let after = snapshot(pid);
    let mut all = Tally::default();
    for t in tasks {
        let t = t.await.map_err(|e| anyhow!("load worker: {e}"))??;
        all.ok += t.ok;
        all.errors += t.errors;
        all.bytes += t.bytes;
        all.lat_us.extend(t.lat_us);
    }
    let mut o = Outcome::from(
        all.lat_us,
        all.ok,
        all.errors,
        all.bytes,
        w.measure.as_secs_f64(),
    );
    o.cpu = before.per_request(&after, all.ok);
    Ok(o)
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
