//! KYC upload benchmark: the API's upload path against a direct S3 PUT of the same bytes, and the
//! server's memory while 20 uploads of 10 MiB run at once.
//!
//! ```text
//! eval "$(infra/garage.sh)"        # AWS_* and HARIM_TEST_S3_URL for the local Garage
//! kycbench [--harim PATH] [--uploads 20] [--rounds 3] [--concurrency 4] [--parallel 20]
//!          [--upload-cap N] [--s3-pid "$(pgrep -x garage)"]
//! ```
//! Starts `harim serve` itself (default: `harim` next to this executable) on a fresh data dir
//! with `HARIM_OBJECT_STORE_URL=$HARIM_TEST_S3_URL/bench-<random>`, signs up once, creates a shop,
//! and then:
//!
//! - (A) for a ~3 MiB and a ~10 MiB JPEG (noisy RGB, quality 90, with a 32 KiB Exif segment the
//!   server strips): `--uploads` uploads through `POST /v1/shops/{id}/kyc/documents`
//!   (201 required) and the same number of direct PUTs of the same bytes with object_store's
//!   `AmazonS3Builder::from_env()` (same endpoint and bucket, path style), sequentially and with
//!   `--concurrency` in flight. The two alternate (API first in odd rounds, direct first in even
//!   ones) for `--rounds` rounds; the medians and their ratio are printed. A third column,
//!   "direct, harim's write pattern", sends the same bytes the way harim's object sink does
//!   (64 KiB + 16 B pieces; above the 5 MiB part size a multipart upload with 5 MiB parts, at
//!   most one in flight) but without sanitizing, hashing or encrypting: it separates the cost of
//!   how harim writes to S3 from the cost of its pipeline.
//!   A ~64 KiB JPEG runs the same way to show the fixed cost per request (auth, database
//!   transaction, audit entry, key wrap). Every batch also records the CPU time per upload of
//!   harim, of this client and (with `--s3-pid`) of the S3 server, from `/proc/<pid>/stat`.
//! - (B) VmRSS/VmHWM of the server from `/proc/<pid>/status` when idle (after warm-up) and after
//!   `--parallel` uploads of the 10 MiB document run at once (the peak is reset through
//!   `/proc/<pid>/clear_refs` first where the kernel allows it). The server runs with
//!   `kyc_max_concurrent_uploads` = `--parallel` unless `--upload-cap` says otherwise, so that by
//!   default all of them are in flight together.
//!
//! Finally the server is killed and every object under the random prefix is deleted.

use std::{
    error::Error,
    io::{BufRead, BufReader, Read},
    path::PathBuf,
    process::{Command, Stdio},
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
    time::{Duration, Instant},
};

use bytes::Bytes;
use futures::TryStreamExt;
use harim_e2e::ServerInDir as Server;
use object_store::{
    ObjectStore, PutPayload, WriteMultipart,
    aws::{AmazonS3, AmazonS3Builder},
    path::Path,
};
use serde_json::{Value, json};

type BoxError = Box<dyn Error + Send + Sync>;
type Res<T> = Result<T, BoxError>;

const MIB: usize = 1024 * 1024;
/// The server's part size (`harim_kyc::DEFAULT_PART_SIZE`).
const PART_SIZE: usize = 5 * MIB;
/// One encrypted chunk as harim's sink receives it (`harim_kyc::crypt::CHUNK_SIZE` + tag).
const PIECE: usize = 64 * 1024 + 16;
/// Upload limit the server runs with: 11 MiB, so the 10 MiB-class document fits.
const UPLOAD_LIMIT: usize = 11 * MIB;

struct Args {
    harim: PathBuf,
    uploads: usize,
    rounds: usize,
    concurrency: usize,
    parallel: usize,
    /// The server's `kyc_max_concurrent_uploads`; by default `parallel`, so all run at once.
    upload_cap: Option<usize>,
    /// The S3 server's process, to account for its CPU time too.
    s3_pid: Option<u32>,
}

fn parse_args() -> Res<Args> {
    let default_harim = std::env::current_exe()?
        .parent()
        .map(|d| d.join(format!("harim{}", std::env::consts::EXE_SUFFIX)))
        .unwrap_or_else(|| PathBuf::from("harim"));
    let mut a = Args {
        harim: default_harim,
        uploads: 20,
        rounds: 3,
        concurrency: 4,
        parallel: 20,
        upload_cap: None,
        s3_pid: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        let mut val = |name: &str| it.next().ok_or(format!("{name} needs a value"));
        match arg.as_str() {
            "--harim" => a.harim = PathBuf::from(val("--harim")?),
            "--uploads" | "-n" => a.uploads = val("--uploads")?.parse()?,
            "--rounds" => a.rounds = val("--rounds")?.parse()?,
            "--concurrency" | "-c" => a.concurrency = val("--concurrency")?.parse()?,
            "--parallel" => a.parallel = val("--parallel")?.parse()?,
            "--upload-cap" => a.upload_cap = Some(val("--upload-cap")?.parse()?),
            "--s3-pid" => a.s3_pid = Some(val("--s3-pid")?.parse()?),
            other => return Err(format!("unknown argument {other}").into()),
        }
    }
    if a.uploads == 0 || a.rounds == 0 || a.concurrency == 0 || a.parallel == 0 {
        return Err("counts must be at least 1".into());
    }
    Ok(a)
}

/// A small xorshift generator: the pixels only need to look like sensor noise.
struct Noise(u64);

impl Noise {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

fn random_hex() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    let mut n = Noise(((nanos as u64) ^ (u64::from(std::process::id()) << 32)) | 1);
    format!("{:016x}", n.next())
}

/// A noisy RGB picture (a gradient with per-pixel noise, like an ID card shot in poor light)
/// encoded as JPEG at quality 90.
fn encode_jpeg(width: u32, height: u32, seed: u64) -> Res<Vec<u8>> {
    let mut noise = Noise(seed | 1);
    let img = image::RgbImage::from_fn(width, height, |x, y| {
        let r = noise.next();
        let base = [
            (x * 255 / width.max(1)) as i32,
            (y * 255 / height.max(1)) as i32,
            ((x + y) * 127 / (width + height).max(1)) as i32 + 64,
        ];
        let px = |i: usize| {
            let n = ((r >> (i * 16)) & 0xff) as i32 - 128;
            (base[i] + n * 3 / 4).clamp(0, 255) as u8
        };
        image::Rgb([px(0), px(1), px(2)])
    });
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 90).encode_image(&img)?;
    Ok(out)
}

/// Adds a 32 KiB APP1 Exif segment after SOI, as a phone camera would (the server strips it).
fn with_exif(jpeg: Vec<u8>) -> Res<Vec<u8>> {
    if !jpeg.starts_with(&[0xFF, 0xD8]) {
        return Err("the encoder did not produce a JPEG".into());
    }
    let payload_len = 32 * 1024 - 4;
    let mut seg = vec![0xFF, 0xE1];
    seg.extend_from_slice(&u16::try_from(payload_len + 2)?.to_be_bytes());
    seg.extend_from_slice(b"Exif\0\0II*\0\x08\0\0\0");
    seg.resize(4 + payload_len, 0);
    let mut out = Vec::with_capacity(jpeg.len() + seg.len());
    out.extend_from_slice(&jpeg[..2]);
    out.extend_from_slice(&seg);
    out.extend_from_slice(&jpeg[2..]);
    Ok(out)
}

/// A JPEG whose size lands in `[lo, hi]` bytes: encodes, then rescales the picture's area by
/// the size ratio until it fits.
fn jpeg_of_size(lo: usize, hi: usize, seed: u64) -> Res<Vec<u8>> {
    let target = (lo + hi) / 2;
    let (mut w, mut h) = (1600u32, 1200u32);
    for _ in 0..8 {
        let doc = with_exif(encode_jpeg(w, h, seed)?)?;
        if (lo..=hi).contains(&doc.len()) {
            return Ok(doc);
        }
        let scale = (target as f64 / doc.len() as f64).sqrt();
        w = ((f64::from(w) * scale) as u32).max(16);
        h = ((f64::from(h) * scale) as u32).max(16);
    }
    Err(format!("could not make a JPEG of {lo}..={hi} bytes").into())
}

/// Starts `harim serve` on its own data directory with documents at `object_store_url`.
fn start_server(harim: &std::path::Path, object_store_url: &str, upload_cap: usize) -> Res<Server> {
    let dir = tempfile::tempdir()?;
    let mut child = Command::new(harim)
        .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(dir.path())
        .env("HARIM_OBJECT_STORE_URL", object_store_url)
        .env("HARIM_KYC_UPLOAD_LIMIT_BYTES", UPLOAD_LIMIT.to_string())
        .env("HARIM_KYC_MAX_CONCURRENT_UPLOADS", upload_cap.to_string())
        .env("HARIM_REQUEST_TIMEOUT_SECS", "300")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot start {}: {e}", harim.display()))?;
    let stdout = child.stdout.take().ok_or("no stdout")?;
    let stderr = child.stderr.take().ok_or("no stderr")?;
    // Keep both pipes drained so the server never blocks on a full pipe; keep stderr's
    // last lines for an error message.
    let err_tail = Arc::new(std::sync::Mutex::new(String::new()));
    let sink = err_tail.clone();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if let Ok(mut s) = sink.lock() {
                if s.len() > 16 * 1024 {
                    s.clear();
                }
                s.push_str(&line);
                s.push('\n');
            }
        }
    });
    let mut out = BufReader::new(stdout);
    let mut line = String::new();
    out.read_line(&mut line)?;
    std::thread::spawn(move || {
        let _ = std::io::copy(&mut out, &mut std::io::sink());
    });
    let Some(base) = line.trim().strip_prefix("harim listening on ") else {
        let _ = child.kill();
        let tail = err_tail.lock().map(|s| s.clone()).unwrap_or_default();
        return Err(format!("unexpected first line {line:?}; stderr:\n{tail}").into());
    };
    Ok(Server {
        base: base.to_string(),
        child,
        dir,
    })
}

/// VmRSS and VmHWM of a process, in KiB.
fn memory_kib(pid: u32) -> Res<(u64, u64)> {
    let mut status = String::new();
    std::fs::File::open(format!("/proc/{pid}/status"))?.read_to_string(&mut status)?;
    let field = |name: &str| -> Res<u64> {
        let line = status
            .lines()
            .find(|l| l.starts_with(name))
            .ok_or(format!("{name} missing in /proc/{pid}/status"))?;
        Ok(line
            .trim_start_matches(name)
            .trim()
            .trim_end_matches("kB")
            .trim()
            .parse()?)
    };
    Ok((field("VmRSS:")?, field("VmHWM:")?))
}

/// user + system CPU time of a process, in seconds.
fn cpu_secs(pid: u32) -> Res<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))?;
    // Fields after the command name (which may contain spaces) start after the last ')'.
    let rest = stat.rsplit_once(')').ok_or("bad /proc stat")?.1;
    let f: Vec<&str> = rest.split_whitespace().collect();
    let utime: f64 = f.get(11).ok_or("bad /proc stat")?.parse()?;
    let stime: f64 = f.get(12).ok_or("bad /proc stat")?.parse()?;
    // USER_HZ is 100 on every Linux this runs on.
    Ok((utime + stime) / 100.0)
}

/// Resets VmHWM to the current RSS (Linux >= 4.0); false when the kernel refuses.
fn reset_peak(pid: u32) -> bool {
    std::fs::write(format!("/proc/{pid}/clear_refs"), "5").is_ok()
}

async fn call(
    http: &reqwest::Client,
    base: &str,
    path: &str,
    token: Option<&str>,
    body: Value,
) -> Res<Value> {
    let mut req = http.post(format!("{base}{path}")).json(&body);
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    let resp = req.send().await?;
    let status = resp.status();
    let text = resp.text().await?;
    if status != reqwest::StatusCode::CREATED {
        return Err(format!("POST {path}: {status}: {text}").into());
    }
    Ok(serde_json::from_str(&text)?)
}

struct Api {
    http: reqwest::Client,
    url: String,
    token: String,
}

impl Api {
    async fn setup(base: &str) -> Res<Self> {
        let http = reqwest::Client::builder()
            .no_proxy()
            .pool_max_idle_per_host(64)
            .build()?;
        let cred =
            json!({"email": "bench@example.com", "password": "correct horse battery staple 42"});
        call(&http, base, "/v1/accounts", None, cred.clone()).await?;
        let session = call(&http, base, "/v1/sessions", None, cred).await?;
        let token = session["token"]
            .as_str()
            .ok_or("no token in the session")?
            .to_string();
        let shop = call(
            &http,
            base,
            "/v1/shops",
            Some(&token),
            json!({"name": "Bench", "slug": "bench", "default_locale": "en"}),
        )
        .await?;
        let shop_id = shop["id"].as_str().ok_or("no shop id")?;
        Ok(Self {
            http,
            url: format!("{base}/v1/shops/{shop_id}/kyc/documents?kind=national_id_front"),
            token,
        })
    }

    async fn upload(&self, doc: Bytes) -> Res<()> {
        let resp = self
            .http
            .post(&self.url)
            .bearer_auth(&self.token)
            .header("content-type", "image/jpeg")
            .body(doc)
            .send()
            .await?;
        let status = resp.status();
        let text = resp.text().await?;
        if status != reqwest::StatusCode::CREATED {
            return Err(format!("upload: {status}: {text}").into());
        }
        Ok(())
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    Api,
    Direct,
    DirectPattern,
}

impl Mode {
    fn label(self) -> &'static str {
        match self {
            Mode::Api => "API",
            Mode::Direct => "direct PUT",
            Mode::DirectPattern => "direct, harim's pattern",
        }
    }
}

struct Ctx {
    api: Api,
    s3: Arc<AmazonS3>,
    direct_prefix: String,
    counter: AtomicUsize,
}

impl Ctx {
    async fn one(&self, mode: Mode, doc: Bytes) -> Res<()> {
        let n = self.counter.fetch_add(1, Ordering::Relaxed);
        let path = Path::from(format!("{}/{n}", self.direct_prefix));
        match mode {
            Mode::Api => self.api.upload(doc).await,
            Mode::Direct => {
                self.s3.put(&path, PutPayload::from(doc)).await?;
                Ok(())
            }
            Mode::DirectPattern => {
                let pieces = (0..doc.len())
                    .step_by(PIECE)
                    .map(|at| doc.slice(at..(at + PIECE).min(doc.len())));
                if doc.len() < PART_SIZE {
                    self.s3.put(&path, pieces.collect::<PutPayload>()).await?;
                    return Ok(());
                }
                let upload = self.s3.put_multipart(&path).await?;
                let mut mp = WriteMultipart::new_with_chunk_size(upload, PART_SIZE);
                for piece in pieces {
                    mp.wait_for_capacity(1).await?;
                    mp.put(piece);
                }
                mp.finish().await?;
                Ok(())
            }
        }
    }
}

/// The processes whose CPU time a batch accounts for: harim, this client, the S3 server.
#[derive(Clone, Copy)]
struct Pids {
    harim: u32,
    client: u32,
    s3: Option<u32>,
}

/// CPU seconds of each of [`Pids`] (the S3 server's NaN when unknown).
fn cpu_now(p: Pids) -> Res<[f64; 3]> {
    let s3 = match p.s3 {
        Some(pid) => cpu_secs(pid)?,
        None => f64::NAN,
    };
    Ok([cpu_secs(p.harim)?, cpu_secs(p.client)?, s3])
}

/// `count` operations with `concurrency` in flight; returns MB/s and the CPU milliseconds per
/// operation of harim, this client and the S3 server.
async fn batch(
    ctx: &Arc<Ctx>,
    mode: Mode,
    doc: &Bytes,
    count: usize,
    concurrency: usize,
    pids: Pids,
) -> Res<(f64, [f64; 3])> {
    let next = Arc::new(AtomicUsize::new(0));
    let cpu0 = cpu_now(pids)?;
    let start = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..concurrency.min(count) {
        let (ctx, doc, next) = (ctx.clone(), doc.clone(), next.clone());
        tasks.spawn(async move {
            while next.fetch_add(1, Ordering::Relaxed) < count {
                ctx.one(mode, doc.clone()).await?;
            }
            Ok::<(), BoxError>(())
        });
    }
    while let Some(r) = tasks.join_next().await {
        r??;
    }
    let secs = start.elapsed().as_secs_f64();
    let cpu1 = cpu_now(pids)?;
    let per_op = |i: usize| (cpu1[i] - cpu0[i]) * 1000.0 / count as f64;
    Ok((
        (count * doc.len()) as f64 / 1e6 / secs,
        [per_op(0), per_op(1), per_op(2)],
    ))
}

fn median(v: &[f64]) -> f64 {
    let mut s = v.to_vec();
    s.sort_by(f64::total_cmp);
    match s.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => s[n / 2],
        n => (s[n / 2 - 1] + s[n / 2]) / 2.0,
    }
}

/// Milliseconds with one decimal; "?" when unknown (no `--s3-pid`).
fn ms(v: f64) -> String {
    if v.is_nan() {
        "?".into()
    } else {
        format!("{v:.1}")
    }
}

fn fmt_list(v: &[f64]) -> String {
    v.iter()
        .map(|x| format!("{x:.1}"))
        .collect::<Vec<_>>()
        .join(" / ")
}

async fn throughput(args: &Args, ctx: &Arc<Ctx>, docs: &[(&str, Bytes)], pids: Pids) -> Res<()> {
    println!(
        "\n(A) upload throughput, {} uploads per batch, {} rounds (API and direct alternate: \
         API first in odd rounds), MB = 10^6 bytes",
        args.uploads, args.rounds
    );
    println!(
        "| document | bytes | in flight | API MB/s (median) | direct PUT MB/s (median) | API / direct | per-round ratios | direct, harim's write pattern: MB/s; CPU ms client + S3 | ms per upload API / direct | CPU ms per upload, API: harim + client + S3 | CPU ms per upload, direct: client + S3 |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|---|");
    for (name, doc) in docs {
        for conc in [1, args.concurrency] {
            let mut modes = vec![Mode::Api, Mode::Direct];
            modes.push(Mode::DirectPattern);
            let mut api = Vec::new();
            let mut direct = Vec::new();
            let mut mp = Vec::new();
            let mut ratios = Vec::new();
            let mut cpu_api: [Vec<f64>; 3] = Default::default();
            let mut cpu_direct: [Vec<f64>; 3] = Default::default();
            let mut cpu_mp: [Vec<f64>; 3] = Default::default();
            for round in 0..args.rounds {
                let mut order = modes.clone();
                if round % 2 == 1 {
                    order.reverse();
                }
                let (mut a, mut d) = (f64::NAN, f64::NAN);
                for mode in order {
                    let (mbs, cpu) = batch(ctx, mode, doc, args.uploads, conc, pids).await?;
                    eprintln!(
                        "  {name} c={conc} round {} {:>16}: {mbs:7.1} MB/s",
                        round + 1,
                        mode.label()
                    );
                    match mode {
                        Mode::Api => {
                            a = mbs;
                            for (v, c) in cpu_api.iter_mut().zip(cpu) {
                                v.push(c);
                            }
                        }
                        Mode::Direct => {
                            d = mbs;
                            for (v, c) in cpu_direct.iter_mut().zip(cpu) {
                                v.push(c);
                            }
                        }
                        Mode::DirectPattern => {
                            mp.push(mbs);
                            for (v, c) in cpu_mp.iter_mut().zip(cpu) {
                                v.push(c);
                            }
                        }
                    }
                }
                api.push(a);
                direct.push(d);
                ratios.push(a / d);
            }
            // Wall milliseconds per upload and in flight (latency when `conc` is 1).
            let ms_per = |mbs: f64| doc.len() as f64 / 1e3 / mbs * conc as f64;
            let mp_cell = if mp.is_empty() {
                "–".to_string()
            } else {
                format!(
                    "{:.1} ({}); CPU {:.1} + {}",
                    median(&mp),
                    fmt_list(&mp),
                    median(&cpu_mp[1]),
                    ms(median(&cpu_mp[2]))
                )
            };
            println!(
                "| {name} | {} | {conc} | {:.1} ({}) | {:.1} ({}) | **{:.2}** | {} | {mp_cell} | {:.1} / {:.1} | {:.1} + {:.1} + {} | {:.1} + {} |",
                doc.len(),
                median(&api),
                fmt_list(&api),
                median(&direct),
                fmt_list(&direct),
                median(&api) / median(&direct),
                ratios
                    .iter()
                    .map(|r| format!("{r:.2}"))
                    .collect::<Vec<_>>()
                    .join(" / "),
                ms_per(median(&api)),
                ms_per(median(&direct)),
                median(&cpu_api[0]),
                median(&cpu_api[1]),
                ms(median(&cpu_api[2])),
                median(&cpu_direct[1]),
                ms(median(&cpu_direct[2])),
            );
        }
    }
    Ok(())
}

async fn peak_memory(args: &Args, ctx: &Arc<Ctx>, doc: &Bytes, pid: u32) -> Res<()> {
    let mib = |kib: u64| kib as f64 / 1024.0;
    let in_flight = args.parallel.min(args.upload_cap.unwrap_or(args.parallel));
    println!(
        "\n(B) server memory, {} uploads of {} bytes started at once ({in_flight} in flight)",
        args.parallel,
        doc.len(),
    );
    println!(
        "| burst | idle VmRSS MiB | VmHWM before MiB | peak VmHWM MiB | VmRSS after MiB | (peak - idle) / upload in flight, MiB | wall s |"
    );
    println!("|---|---|---|---|---|---|---|");
    for burst in 1..=2 {
        tokio::time::sleep(Duration::from_millis(500)).await;
        let reset = reset_peak(pid);
        let (idle, hwm0) = memory_kib(pid)?;
        let start = Instant::now();
        let mut tasks = tokio::task::JoinSet::new();
        for _ in 0..args.parallel {
            let (ctx, doc) = (ctx.clone(), doc.clone());
            tasks.spawn(async move { ctx.api.upload(doc).await });
        }
        while let Some(r) = tasks.join_next().await {
            r??;
        }
        let wall = start.elapsed().as_secs_f64();
        let (after, peak) = memory_kib(pid)?;
        println!(
            "| {burst}{} | {:.1} | {:.1} | {:.1} | {:.1} | {:.2} | {wall:.1} |",
            if reset { "" } else { " (VmHWM not reset)" },
            mib(idle),
            mib(hwm0),
            mib(peak),
            mib(after),
            mib(peak.saturating_sub(idle)) / in_flight as f64,
        );
    }
    println!(
        "Buffering whole bodies instead: {} x 10 MiB x at least 2 copies (body + ciphertext) = \
         at least {} MiB above idle (20 MiB per upload), before allocator slack.",
        args.parallel,
        args.parallel * 20,
    );
    Ok(())
}

async fn cleanup(s3: &AmazonS3, prefix: &str) -> Res<usize> {
    let objects: Vec<_> = s3
        .list(Some(&Path::from(prefix)))
        .try_collect::<Vec<_>>()
        .await?;
    let n = objects.len();
    for o in objects {
        s3.delete(&o.location).await?;
    }
    Ok(n)
}

async fn run(args: Args) -> Res<()> {
    let s3_url = std::env::var("HARIM_TEST_S3_URL")
        .map_err(|_| "HARIM_TEST_S3_URL is not set: run eval \"$(infra/garage.sh)\" first")?;
    let bucket = s3_url
        .strip_prefix("s3://")
        .map(|b| b.trim_end_matches('/'))
        .filter(|b| !b.is_empty() && !b.contains('/'))
        .ok_or("HARIM_TEST_S3_URL must be s3://bucket")?
        .to_string();
    let prefix = format!("bench-{}", random_hex());
    let s3 = Arc::new(
        AmazonS3Builder::from_env()
            .with_bucket_name(&bucket)
            .with_virtual_hosted_style_request(false)
            .build()?,
    );

    eprintln!("generating documents ...");
    let small = Bytes::from(jpeg_of_size(3 * MIB, 3 * MIB + MIB / 2, 0x5eed_0001)?);
    let large = Bytes::from(jpeg_of_size(9 * MIB + MIB / 2, 10 * MIB, 0x5eed_0002)?);
    // Not a target size: shows the per-request cost (auth, database, audit, key wrap).
    let tiny = Bytes::from(jpeg_of_size(48 * 1024, 80 * 1024, 0x5eed_0003)?);
    println!(
        "documents: {} bytes (~{:.1} MiB), {} bytes (~{:.1} MiB) and {} bytes, JPEG q90 noisy RGB + 32 KiB Exif",
        small.len(),
        small.len() as f64 / MIB as f64,
        large.len(),
        large.len() as f64 / MIB as f64,
        tiny.len()
    );

    let upload_cap = args.upload_cap.unwrap_or(args.parallel);
    let server = start_server(
        &args.harim,
        &format!("s3://{bucket}/{prefix}/api"),
        upload_cap,
    )?;
    let pid = server.child.id();
    println!(
        "server: {} (pid {pid}) at {}, kyc_max_concurrent_uploads={upload_cap}, objects under s3://{bucket}/{prefix}/",
        args.harim.display(),
        server.base
    );
    let pids = Pids {
        harim: pid,
        client: std::process::id(),
        s3: args.s3_pid,
    };
    let result = async {
        let api = Api::setup(&server.base).await?;
        let ctx = Arc::new(Ctx {
            api,
            s3: s3.clone(),
            direct_prefix: format!("{prefix}/direct"),
            counter: AtomicUsize::new(0),
        });
        // Warm-up: connection pools, the shop's tenant key, allocator arenas.
        for doc in [&small, &large] {
            for mode in [Mode::Api, Mode::Direct] {
                batch(&ctx, mode, doc, 2, 1, pids).await?;
            }
        }
        peak_memory(&args, &ctx, &large, pid).await?;
        let docs = [
            ("~3 MiB", small),
            ("~10 MiB", large),
            ("~64 KiB (fixed cost)", tiny),
        ];
        throughput(&args, &ctx, &docs, pids).await?;
        Ok::<(), BoxError>(())
    }
    .await;
    drop(server);
    match cleanup(&s3, &prefix).await {
        Ok(n) => eprintln!("deleted {n} objects under s3://{bucket}/{prefix}/"),
        Err(e) => eprintln!("cleaning s3://{bucket}/{prefix}/ failed: {e}"),
    }
    result
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn Error>> {
    let args = parse_args().map_err(|e| e.to_string())?;
    run(args).await.map_err(|e| e.to_string().into())
}
