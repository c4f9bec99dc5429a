//! A small HTTP/1.1 load generator for comparing endpoints of a running harim.
//!
//! ```text
//! loadgen --base http://127.0.0.1:8080 --connections 32 --seconds 10 /healthz /shops/demo/privacy
//! ```
//! Paths run one after another, each for `--seconds` with `--connections` keep-alive
//! connections issuing requests back to back (closed loop). Prints requests/second per path,
//! errors, latency percentiles, and every path's ratio to the first one. Add `-H "Name: value"`
//! for request headers (e.g. `Accept-Language`).

use std::time::{Duration, Instant};

use http_body_util::{BodyExt, Empty};
use hyper::{Request, body::Bytes};
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

struct Args {
    host: String,
    connections: usize,
    seconds: u64,
    warmup: u64,
    headers: Vec<(String, String)>,
    paths: Vec<String>,
}

fn parse_args() -> Result<Args, String> {
    let mut a = Args {
        host: "127.0.0.1:8080".into(),
        connections: 32,
        seconds: 10,
        warmup: 2,
        headers: Vec::new(),
        paths: Vec::new(),
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        let mut val = |name: &str| it.next().ok_or(format!("{name} needs a value"));
        match arg.as_str() {
            "--base" => {
                let b = val("--base")?;
                a.host = b
                    .trim_start_matches("http://")
                    .trim_end_matches('/')
                    .to_string();
            }
            "--connections" | "-c" => {
                a.connections = val("-c")?.parse().map_err(|_| "bad -c")?;
            }
            "--seconds" | "-d" => a.seconds = val("-d")?.parse().map_err(|_| "bad -d")?,
            "--warmup" => a.warmup = val("--warmup")?.parse().map_err(|_| "bad --warmup")?,
            "-H" => {
                let h = val("-H")?;
                let (k, v) = h.split_once(':').ok_or("-H wants 'Name: value'")?;
                a.headers.push((k.trim().into(), v.trim().into()));
            }
            p if p.starts_with('/') => a.paths.push(p.into()),
            other => return Err(format!("unknown argument {other}")),
        }
    }
    if a.paths.is_empty() {
        return Err("give at least one path".into());
    }
    Ok(a)
}

#[derive(Default)]
struct Stats {
    ok: u64,
    errors: u64,
    bytes: u64,
    latencies_us: Vec<u32>,
}

async fn worker(
    host: String,
    path: String,
    headers: Vec<(String, String)>,
    until: Instant,
) -> Result<Stats, String> {
    let stream = TcpStream::connect(&host)
        .await
        .map_err(|e| format!("connect: {e}"))?;
    stream.set_nodelay(true).map_err(|e| e.to_string())?;
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .map_err(|e| format!("handshake: {e}"))?;
    tokio::spawn(conn);
    let mut s = Stats::default();
    while Instant::now() < until {
        let mut req = Request::get(path.as_str()).header("host", host.as_str());
        for (k, v) in &headers {
            req = req.header(k.as_str(), v.as_str());
        }
        let req = req.body(Empty::<Bytes>::new()).map_err(|e| e.to_string())?;
        let t = Instant::now();
        sender.ready().await.map_err(|e| format!("ready: {e}"))?;
        match sender.send_request(req).await {
            Ok(resp) => {
                let status = resp.status();
                let body = resp
                    .into_body()
                    .collect()
                    .await
                    .map_err(|e| format!("body: {e}"))?
                    .to_bytes();
                if status.is_success() {
                    s.ok += 1;
                    s.bytes += body.len() as u64;
                } else {
                    s.errors += 1;
                }
                s.latencies_us
                    .push(u32::try_from(t.elapsed().as_micros()).unwrap_or(u32::MAX));
            }
            Err(e) => return Err(format!("request: {e}")),
        }
    }
    Ok(s)
}

async fn run(a: &Args, path: &str, seconds: u64) -> Result<(f64, Stats), String> {
    let start = Instant::now();
    let until = start + Duration::from_secs(seconds);
    let tasks: Vec<_> = (0..a.connections)
        .map(|_| {
            tokio::spawn(worker(
                a.host.clone(),
                path.into(),
                a.headers.clone(),
                until,
            ))
        })
        .collect();
    let mut total = Stats::default();
    for t in tasks {
        let s = t.await.map_err(|e| e.to_string())??;
        total.ok += s.ok;
        total.errors += s.errors;
        total.bytes += s.bytes;
        total.latencies_us.extend(s.latencies_us);
    }
    let secs = start.elapsed().as_secs_f64();
    total.latencies_us.sort_unstable();
    Ok((secs, total))
}

fn pct(sorted: &[u32], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() - 1) as f64 * p).round() as usize;
    f64::from(sorted[i.min(sorted.len() - 1)]) / 1000.0
}

#[tokio::main]
async fn main() {
    let a = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("loadgen: {e}");
            std::process::exit(2);
        }
    };
    println!(
        "loadgen: {} connections, {} s per path ({} s warm-up), host {}",
        a.connections, a.seconds, a.warmup, a.host
    );
    let mut first: Option<f64> = None;
    for path in &a.paths {
        if a.warmup > 0
            && let Err(e) = run(&a, path, a.warmup).await
        {
            eprintln!("loadgen: {path}: {e}");
            std::process::exit(1);
        }
        let (secs, s) = match run(&a, path, a.seconds).await {
            Ok(r) => r,
            Err(e) => {
                eprintln!("loadgen: {path}: {e}");
                std::process::exit(1);
            }
        };
        let rps = s.ok as f64 / secs;
        let base = *first.get_or_insert(rps);
        println!(
            "{path}: {rps:.0} req/s ok={} errors={} avg_body={} B p50={:.2} ms p99={:.2} ms ratio_to_first={:.2}",
            s.ok,
            s.errors,
            s.bytes.checked_div(s.ok).unwrap_or(0),
            pct(&s.latencies_us, 0.50),
            pct(&s.latencies_us, 0.99),
            rps / base
        );
        if s.errors > 0 {
            eprintln!("loadgen: {path} had non-2xx responses");
        }
    }
}
