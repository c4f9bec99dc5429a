//! The export of a shop with 20 documents of 10 MiB: time and the server's peak memory.
//!
//! ```sh
//! CARGO_TARGET_DIR=/tmp/target-bench cargo build --release -p harim -p harim-e2e --bin harim --bin exportbench
//! /tmp/target-bench/release/exportbench                      # local object directory
//! eval "$(infra/garage.sh)"; /tmp/target-bench/release/exportbench --s3   # Garage
//! ```
//!
//! Starts `harim serve` (the binary next to this one) on a fresh embedded data dir, uploads 20
//! PDFs of 10 MiB each (an ASCII-hex stream of random bytes: the sanitizer reads every byte,
//! nothing compresses), then, in the same run:
//! - *baseline*: downloads the 20 documents one after another through the API (the same
//!   decrypt-and-verify path the export takes for each document), total time;
//! - *export*: `POST /exports`, polls until ready (build time), streams the archive down and
//!   checks its SHA-256 (download time); the server's VmHWM is reset just before the POST and
//!   read after the download, so "peak growth" is the most the export added to the RSS it
//!   started from.

use std::{
    error::Error,
    io::BufReader,
    process::{Command, Stdio},
    time::{Duration, Instant},
};

use futures::StreamExt;
use harim_e2e::ServerInDir as Server;
use serde_json::{Value, json};

type Res<T> = Result<T, Box<dyn Error>>;

const DOCS: usize = 20;
const DOC_BYTES: usize = 10 * 1024 * 1024;

fn start(object_store: Option<String>) -> Res<Server> {
    let harim = std::env::current_exe()?
        .parent()
        .ok_or("no parent dir")?
        .join("harim");
    let dir = tempfile::tempdir()?;
    let mut cmd = Command::new(&harim);
    cmd.args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(dir.path())
        .env(
            "HARIM_KYC_UPLOAD_LIMIT_BYTES",
            (DOC_BYTES + 1024 * 1024).to_string(),
        )
        .env("HARIM_REQUEST_TIMEOUT_SECS", "300")
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    if let Some(url) = object_store {
        cmd.env("HARIM_OBJECT_STORE_URL", url);
    }
    let mut child = cmd.spawn()?;
    let base =
        harim_e2e::listening_base(&mut BufReader::new(child.stdout.take().ok_or("no stdout")?))?;
    Ok(Server { child, base, dir })
}

fn memory_kib(pid: u32, field: &str) -> Res<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    let line = status
        .lines()
        .find(|l| l.starts_with(field))
        .ok_or(format!("{field} missing"))?;
    Ok(line
        .trim_start_matches(field)
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()?)
}

/// A valid PDF of about `size` bytes: one stream of ASCII hex of random bytes.
fn pdf(size: usize, seed: u64) -> Vec<u8> {
    let mut x = seed.wrapping_mul(6_364_136_223_846_793_005).max(1);
    let head = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n2 0 obj\n<< /Type /Pages /Kids [] /Count 0 >>\nendobj\n3 0 obj\n<< /Filter /ASCIIHexDecode >>\nstream\n";
    let tail = b">\nendstream\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n";
    let mut out = Vec::with_capacity(size);
    out.extend_from_slice(head);
    let hex = b"0123456789abcdef";
    while out.len() + tail.len() < size {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        out.push(hex[(x & 15) as usize]);
    }
    out.extend_from_slice(tail);
    out
}

async fn json_call(
    http: &reqwest::Client,
    method: reqwest::Method,
    url: String,
    token: Option<&str>,
    body: Option<Value>,
) -> Res<Value> {
    let mut req = http.request(method, url);
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    if let Some(b) = body {
        req = req.json(&b);
    }
    let resp = req.send().await?;
    let status = resp.status();
    let v: Value = resp.json().await?;
    if !status.is_success() {
        return Err(format!("{status}: {v}").into());
    }
    Ok(v)
}

#[tokio::main]
async fn main() -> Res<()> {
    let s3 = std::env::args().any(|a| a == "--s3");
    let store = if s3 {
        let url = std::env::var("HARIM_TEST_S3_URL")
            .map_err(|_| "--s3 needs HARIM_TEST_S3_URL: eval \"$(infra/garage.sh)\"")?;
        Some(format!(
            "{}/exportbench-{}",
            url.trim_end_matches('/'),
            std::process::id()
        ))
    } else {
        None
    };
    let server = start(store.clone())?;
    let pid = server.child.id();
    let base = server.base.clone();
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(600))
        .build()?;
    let creds = json!({"email": "bench@example.com", "password": "correct horse battery staple"});
    json_call(
        &http,
        reqwest::Method::POST,
        format!("{base}/v1/accounts"),
        None,
        Some(creds.clone()),
    )
    .await?;
    let session = json_call(
        &http,
        reqwest::Method::POST,
        format!("{base}/v1/sessions"),
        None,
        Some(creds),
    )
    .await?;
    let token = session["token"].as_str().ok_or("no token")?.to_string();
    let shop = json_call(
        &http,
        reqwest::Method::POST,
        format!("{base}/v1/shops"),
        Some(&token),
        Some(json!({"name": "Bench", "slug": "bench-shop", "default_locale": "en"})),
    )
    .await?;
    let shop = shop["id"].as_str().ok_or("no shop id")?.to_string();
    let mut ids = Vec::new();
    for i in 0..DOCS {
        let body = pdf(DOC_BYTES, i as u64 + 1);
        let r = http
            .post(format!(
                "{base}/v1/shops/{shop}/kyc/documents?kind=business_license"
            ))
            .bearer_auth(&token)
            .header("content-type", "application/pdf")
            .body(body)
            .send()
            .await?;
        if r.status().as_u16() != 201 {
            return Err(format!("upload {i}: {}", r.text().await?).into());
        }
        let v: Value = r.json().await?;
        ids.push(v["id"].as_str().ok_or("no doc id")?.to_string());
    }

    // Baseline: the 20 documents, one after another, through the API.
    let t = Instant::now();
    let mut baseline_bytes = 0usize;
    for id in &ids {
        let b = http
            .get(format!(
                "{base}/v1/shops/{shop}/kyc/documents/{id}/content?purpose=support"
            ))
            .bearer_auth(&token)
            .send()
            .await?
            .bytes()
            .await?;
        baseline_bytes += b.len();
    }
    let baseline = t.elapsed();

    tokio::time::sleep(Duration::from_millis(500)).await;
    let rss_before = memory_kib(pid, "VmRSS:")?;
    let reset = std::fs::write(format!("/proc/{pid}/clear_refs"), "5").is_ok();
    let t = Instant::now();
    let export = json_call(
        &http,
        reqwest::Method::POST,
        format!("{base}/v1/shops/{shop}/exports"),
        Some(&token),
        Some(json!({})),
    )
    .await?;
    let id = export["id"].as_str().ok_or("no export id")?.to_string();
    let ready = loop {
        let v = json_call(
            &http,
            reqwest::Method::GET,
            format!("{base}/v1/shops/{shop}/exports/{id}"),
            Some(&token),
            None,
        )
        .await?;
        if v["state"] == "ready" {
            break v;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    let build = t.elapsed();
    let t = Instant::now();
    let resp = http
        .get(format!("{base}/v1/shops/{shop}/exports/{id}/download"))
        .bearer_auth(&token)
        .send()
        .await?;
    let mut stream = resp.bytes_stream();
    let mut hasher = <sha2::Sha256 as sha2::Digest>::new();
    let mut zip_bytes = 0usize;
    while let Some(piece) = stream.next().await {
        let piece = piece?;
        zip_bytes += piece.len();
        sha2::Digest::update(&mut hasher, &piece);
    }
    let download = t.elapsed();
    let digest = hex::encode(sha2::Digest::finalize(hasher));
    if ready["sha256"].as_str() != Some(digest.as_str()) {
        return Err("the downloaded archive does not match its SHA-256".into());
    }
    let peak = memory_kib(pid, "VmHWM:")?;
    let rss_after = memory_kib(pid, "VmRSS:")?;
    let mib = |kib: u64| kib as f64 / 1024.0;
    let growth = mib(peak.saturating_sub(rss_before));
    println!(
        "object store: {}",
        if s3 { "S3 (Garage)" } else { "local directory" }
    );
    println!(
        "documents: {DOCS} x {DOC_BYTES} bytes; archive {zip_bytes} bytes; baseline read {baseline_bytes} bytes"
    );
    println!(
        "| object store | baseline: 20 document downloads, s | export build, s | export download, s | (build + download) / baseline | RSS before, MiB | peak RSS, MiB | peak growth, MiB | RSS after, MiB | growth < 64 MiB |"
    );
    println!(
        "| {} | {:.2} | {:.2} | {:.2} | {:.2} | {:.1} | {:.1} | {:.1} | {:.1} | {} |",
        if s3 { "S3 (Garage)" } else { "local directory" },
        baseline.as_secs_f64(),
        build.as_secs_f64(),
        download.as_secs_f64(),
        (build + download).as_secs_f64() / baseline.as_secs_f64(),
        mib(rss_before),
        mib(peak),
        growth,
        mib(rss_after),
        if !reset {
            "unknown (VmHWM reset refused)"
        } else if growth < 64.0 {
            "met"
        } else {
            "not met"
        }
    );
    Ok(())
}
