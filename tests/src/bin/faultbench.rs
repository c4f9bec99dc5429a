//! Faults under load: mixed traffic against the real binary while PostgreSQL, then the S3 server,
//! is stopped and started again; then every acknowledged write is checked.
//!
//! ```sh
//! eval "$(infra/garage.sh)"                       # AWS_* and HARIM_TEST_S3_URL
//! cargo build -p harim -p harim-e2e --bin harim --bin faultbench
//! target/debug/faultbench --phase-secs 4          # the short form .ci/run runs
//! target/release/faultbench --phase-secs 120      # the 10-minute run of docs/benchmarks.md
//! ```
//!
//! It needs root (it creates its own PostgreSQL cluster `harimfault` on port 55433 with
//! `pg_createcluster`, so stopping it touches no other database) and the Garage of
//! `infra/garage.sh` (stopped with `pkill -x garage`, started again by the script). Phases, each
//! `--phase-secs` long: warm-up, PostgreSQL down, recovery, S3 down, recovery. Four workers, one
//! shop each, loop over: identity writes (the address carries a counter), small PDF uploads,
//! masked reads, reveals, public page reads, sign-ups. It fails (exit 1) on any 5xx but 503, a
//! 503 without `Retry-After`, `/readyz` not 503 during an outage or not 200 within 60 s after,
//! an acknowledged identity write whose counter is not in the database, an acknowledged document
//! that does not download intact, a document row without its object, an object without its row,
//! or an acknowledged sign-up that cannot sign in.

use std::{
    collections::BTreeMap,
    error::Error,
    io::BufReader,
    process::{Command, Stdio},
    sync::{
        Arc, Mutex,
        atomic::{AtomicBool, Ordering},
    },
    time::{Duration, Instant},
};

use futures::{StreamExt, TryStreamExt};
use harim_e2e::ServerInDir as Server;
use object_store::{ObjectStore, aws::AmazonS3Builder, path::Path as ObjPath};
use serde_json::{Value, json};

type Res<T> = Result<T, Box<dyn Error + Send + Sync>>;

const PG_PORT: u16 = 55433;
const CLUSTER: &str = "harimfault";
const PASSWORD: &str = "correct horse battery staple";

fn sh(cmd: &str, args: &[&str]) -> Res<()> {
    let out = Command::new(cmd).args(args).output()?;
    if !out.status.success() {
        return Err(format!(
            "{cmd} {args:?}: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        )
        .into());
    }
    Ok(())
}

fn pg_version() -> Res<String> {
    let mut v: Vec<String> = std::fs::read_dir("/etc/postgresql")?
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .collect();
    v.sort();
    v.pop()
        .ok_or_else(|| "no PostgreSQL in /etc/postgresql".into())
}

fn pg(action: &str) -> Res<()> {
    let v = pg_version()?;
    let mut args = vec![v.as_str(), CLUSTER, action];
    if action == "stop" {
        args.extend(["-m", "fast"]);
    }
    sh("pg_ctlcluster", &args)
}

fn ensure_cluster() -> Res<()> {
    let v = pg_version()?;
    if !std::path::Path::new(&format!("/etc/postgresql/{v}/{CLUSTER}")).exists() {
        sh(
            "pg_createcluster",
            &[
                &v,
                CLUSTER,
                "-p",
                &PG_PORT.to_string(),
                "--",
                "--auth=trust",
            ],
        )?;
    }
    let _ = pg("start");
    Ok(())
}

fn repo() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn garage_running() -> bool {
    Command::new("pgrep")
        .args(["-x", "garage"])
        .output()
        .is_ok_and(|o| o.status.success())
}

/// Stops Garage and waits until it is gone (SIGKILL after 10 s), so its ports are free again.
fn s3_down() -> Res<()> {
    let _ = Command::new("pkill").args(["-x", "garage"]).status();
    let t = Instant::now();
    while garage_running() {
        if t.elapsed() > Duration::from_secs(10) {
            let _ = Command::new("pkill")
                .args(["-KILL", "-x", "garage"])
                .status();
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    Ok(())
}

fn s3_up() -> Res<()> {
    let out = Command::new(repo().join("infra/garage.sh")).output()?;
    if !out.status.success() {
        return Err(format!("garage.sh: {}", String::from_utf8_lossy(&out.stderr)).into());
    }
    Ok(())
}

fn harim_bin() -> Res<std::path::PathBuf> {
    Ok(std::env::current_exe()?
        .parent()
        .ok_or("no dir")?
        .join("harim"))
}

fn start(db: &str, store: &str) -> Res<Server> {
    let dir = tempfile::tempdir()?;
    let key: Vec<u8> = (0..32).map(|i| (i * 37 + 11) as u8).collect();
    let keys = format!("1:{}", b64(&key));
    let env = |c: &mut Command| {
        c.env("HARIM_DATABASE_URL", db)
            .env("HARIM_OBJECT_STORE_URL", store)
            .env("HARIM_KEYRING", "env")
            .env("HARIM_ROOT_KEYS", &keys)
            .env("HARIM_LOGIN_ATTEMPTS_PER_MINUTE", "100000")
            .env("RUST_LOG", "warn")
            .current_dir(dir.path());
    };
    let mut m = Command::new(harim_bin()?);
    m.arg("migrate");
    env(&mut m);
    let out = m.output()?;
    if !out.status.success() {
        return Err(format!("migrate: {}", String::from_utf8_lossy(&out.stderr)).into());
    }
    let mut c = Command::new(harim_bin()?);
    c.args(["serve", "--listen", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    env(&mut c);
    let mut child = c.spawn()?;
    let base =
        harim_e2e::listening_base(&mut BufReader::new(child.stdout.take().ok_or("no stdout")?))?;
    Ok(Server { child, base, dir })
}

/// `GET` a KYC document's content (for support) as `token`.
async fn document_content(
    http: &reqwest::Client,
    base: &str,
    token: &str,
    shop: &str,
    id: &str,
) -> reqwest::Result<reqwest::Response> {
    http.get(format!(
        "{base}/v1/shops/{shop}/kyc/documents/{id}/content?purpose=support"
    ))
    .bearer_auth(token)
    .send()
    .await
}

fn b64(b: &[u8]) -> String {
    const A: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut s = String::new();
    for c in b.chunks(3) {
        let n = (u32::from(c[0]) << 16)
            | (u32::from(*c.get(1).unwrap_or(&0)) << 8)
            | u32::from(*c.get(2).unwrap_or(&0));
        for i in 0..4 {
            if i <= c.len() {
                s.push(A[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                s.push('=');
            }
        }
    }
    s
}

#[derive(Default)]
struct Tally {
    statuses: BTreeMap<u16, u64>,
    failures: Vec<String>,
    /// shop -> (last acknowledged counter, last attempted counter)
    identity: BTreeMap<String, (u64, u64)>,
    /// (shop, document id, sha256 hex)
    documents: Vec<(String, String, String)>,
    accounts: Vec<String>,
    identity_writes_acked: u64,
}

struct Ctx {
    http: reqwest::Client,
    base: String,
    tally: Mutex<Tally>,
    stop: AtomicBool,
}

impl Ctx {
    fn lock(&self) -> std::sync::MutexGuard<'_, Tally> {
        self.tally.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Sends; records the status; a 5xx other than 503, or a 503 without Retry-After, fails.
    async fn send(&self, what: &str, req: reqwest::RequestBuilder) -> Option<(u16, Value)> {
        let resp = match req.send().await {
            Ok(r) => r,
            Err(e) => {
                self.lock().failures.push(format!("{what}: no answer: {e}"));
                return None;
            }
        };
        let status = resp.status().as_u16();
        let retry = resp.headers().contains_key("retry-after");
        let body = resp.text().await.unwrap_or_default();
        let mut t = self.lock();
        *t.statuses.entry(status).or_default() += 1;
        if status >= 500 && status != 503 {
            t.failures.push(format!("{what}: {status} {body}"));
        }
        if status == 503 && !retry {
            t.failures.push(format!("{what}: 503 without Retry-After"));
        }
        drop(t);
        Some((
            status,
            serde_json::from_str(&body).unwrap_or(Value::String(body)),
        ))
    }
}

fn identity(n: u64) -> Value {
    json!({
        "full_name": "Maryam Ahmadi",
        "national_id": "0499370899",
        "iban": "IR06 2960 0000 0010 0324 2000 01",
        "birth_date": {"calendar": "persian", "date": "1370-01-15"},
        "phone": "09121234567",
        "email": "maryam@golsorkh.example",
        "address": format!("Tehran, Vali-Asr Street, No. {n}"),
        "postal_code": "1417614418",
        "country": "IR"
    })
}

fn pdf(n: u64) -> Vec<u8> {
    format!("%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n2 0 obj\n<< /Type /Pages /Kids [] /Count 0 >>\nendobj\n% document {n}\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n").into_bytes()
}

fn sha_hex(b: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(b))
}

async fn worker(ctx: Arc<Ctx>, w: u64, token: String, shop: String, slug: String) {
    let mut n: u64 = 0;
    let b = ctx.base.clone();
    while !ctx.stop.load(Ordering::Relaxed) {
        n += 1;
        match n % 6 {
            0 => {
                ctx.lock().identity.entry(shop.clone()).or_default().1 = n;
                let req = ctx
                    .http
                    .put(format!("{b}/v1/shops/{shop}/identity"))
                    .bearer_auth(&token)
                    .json(&identity(n));
                if let Some((200, _)) = ctx.send("identity write", req).await {
                    let mut t = ctx.lock();
                    t.identity.entry(shop.clone()).or_default().0 = n;
                    t.identity_writes_acked += 1;
                }
            }
            1 => {
                let body = pdf(w * 1_000_000 + n);
                let sha = sha_hex(&body);
                let req = ctx
                    .http
                    .post(format!(
                        "{b}/v1/shops/{shop}/kyc/documents?kind=business_license"
                    ))
                    .bearer_auth(&token)
                    .header("content-type", "application/pdf")
                    .body(body);
                if let Some((201, v)) = ctx.send("upload", req).await
                    && let Some(id) = v["id"].as_str()
                {
                    ctx.lock()
                        .documents
                        .push((shop.clone(), id.to_string(), sha));
                }
            }
            2 => {
                let req = ctx
                    .http
                    .get(format!("{b}/v1/shops/{shop}/identity"))
                    .bearer_auth(&token);
                ctx.send("masked read", req).await;
            }
            3 => {
                let req = ctx
                    .http
                    .post(format!("{b}/v1/shops/{shop}/identity/reveal"))
                    .bearer_auth(&token)
                    .json(&json!({"fields": ["address"], "purpose": "support"}));
                ctx.send("reveal", req).await;
            }
            4 => {
                let req = ctx.http.get(format!("{b}/shops/{slug}/privacy"));
                ctx.send("public page", req).await;
            }
            _ => {
                let email = format!("w{w}-n{n}@fault.example");
                let req = ctx
                    .http
                    .post(format!("{b}/v1/accounts"))
                    .json(&json!({"email": email, "password": PASSWORD}));
                if let Some((201, _)) = ctx.send("sign-up", req).await {
                    ctx.lock().accounts.push(email);
                }
            }
        }
    }
}

async fn readyz(ctx: &Ctx) -> u16 {
    match ctx
        .http
        .get(format!("{}/readyz", ctx.base))
        .timeout(Duration::from_secs(15))
        .send()
        .await
    {
        Ok(r) => r.status().as_u16(),
        Err(_) => 0,
    }
}

async fn outage(ctx: &Ctx, name: &str, secs: u64, failures: &mut Vec<String>) {
    let until = Instant::now() + Duration::from_secs(secs);
    let mut saw_503 = false;
    while Instant::now() < until {
        let s = readyz(ctx).await;
        saw_503 |= s == 503;
        if s != 503 && s != 0 {
            failures.push(format!("/readyz answered {s} while {name} was down"));
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    if !saw_503 {
        failures.push(format!("/readyz never answered 503 while {name} was down"));
    }
}

async fn recover(ctx: &Ctx, name: &str, failures: &mut Vec<String>) {
    let t = Instant::now();
    while t.elapsed() < Duration::from_secs(60) {
        if readyz(ctx).await == 200 {
            println!(
                "{name}: /readyz 200 again {:.1} s after the restart",
                t.elapsed().as_secs_f64()
            );
            return;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    failures.push(format!("/readyz not 200 within 60 s of restarting {name}"));
}

async fn setup(ctx: &Ctx, w: u64) -> Res<(String, String, String)> {
    let email = format!("owner{w}@fault.example");
    let creds = json!({"email": email, "password": PASSWORD});
    ctx.http
        .post(format!("{}/v1/accounts", ctx.base))
        .json(&creds)
        .send()
        .await?
        .error_for_status()?;
    let s: Value = ctx
        .http
        .post(format!("{}/v1/sessions", ctx.base))
        .json(&creds)
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    let token = s["token"].as_str().ok_or("no token")?.to_string();
    let slug = format!("fault-shop-{w}");
    let shop: Value = ctx
        .http
        .post(format!("{}/v1/shops", ctx.base))
        .bearer_auth(&token)
        .json(&json!({"name": format!("Fault {w}"), "slug": slug, "default_locale": "en"}))
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    let shop = shop["id"].as_str().ok_or("no shop")?.to_string();
    let settings: Value = serde_json::from_str(&std::fs::read_to_string(
        repo().join("docs/examples/privacy-settings.json"),
    )?)?;
    ctx.http
        .put(format!("{}/v1/shops/{shop}/privacy-settings", ctx.base))
        .bearer_auth(&token)
        .json(&settings)
        .send()
        .await?
        .error_for_status()?;
    ctx.http
        .post(format!("{}/v1/shops/{shop}/policies", ctx.base))
        .bearer_auth(&token)
        .json(&json!({}))
        .send()
        .await?
        .error_for_status()?;
    Ok((token, shop, slug))
}

async fn verify(
    ctx: &Ctx,
    db: &str,
    owners: &[(String, String, String)],
    s3: &dyn ObjectStore,
    prefix: &str,
    failures: &mut Vec<String>,
) -> Res<()> {
    let b = &ctx.base;
    let t = std::mem::take(&mut *ctx.lock());
    for (token, shop, _) in owners {
        let Some(&(acked, attempted)) = t.identity.get(shop) else {
            continue;
        };
        let r: Value = ctx
            .http
            .post(format!("{b}/v1/shops/{shop}/identity/reveal"))
            .bearer_auth(token)
            .json(&json!({"fields": ["address"], "purpose": "support"}))
            .send()
            .await?
            .json()
            .await?;
        let stored: u64 = r["fields"]["address"]
            .as_str()
            .and_then(|a| a.rsplit("No. ").next())
            .and_then(|n| n.parse().ok())
            .unwrap_or(0);
        if stored < acked || stored > attempted {
            failures.push(format!(
                "shop {shop}: identity counter {stored}, acknowledged {acked}, attempted up to {attempted}"
            ));
        }
    }
    let by_shop: BTreeMap<&str, &String> = owners.iter().map(|(t, s, _)| (s.as_str(), t)).collect();
    let broken: Vec<String> = futures::stream::iter(t.documents.iter())
        .map(|(shop, id, sha)| {
            let token = by_shop[shop.as_str()];
            async move {
                let r = document_content(&ctx.http, b, token, shop, id).await;
                let ok = match r {
                    Ok(r) if r.status().as_u16() == 200 => {
                        r.bytes().await.is_ok_and(|bytes| sha_hex(&bytes) == *sha)
                    }
                    _ => false,
                };
                (!ok).then(|| format!("acknowledged document {id} is not whole"))
            }
        })
        .buffer_unordered(8)
        .filter_map(|f| async move { f })
        .collect()
        .await;
    failures.extend(broken);
    // Every row has its object and every object its row: the rows straight from the database
    // (the API lists only a shop's newest 500).
    let out = Command::new("psql")
        .args([db, "-Atc", "SELECT id FROM kyc_documents"])
        .output()?;
    if !out.status.success() {
        return Err(format!("psql: {}", String::from_utf8_lossy(&out.stderr)).into());
    }
    let rows: std::collections::BTreeSet<String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::to_string)
        .filter(|l| !l.is_empty())
        .collect();
    let acked: std::collections::BTreeSet<&String> = t.documents.iter().map(|d| &d.1).collect();
    for id in rows.iter().filter(|id| !acked.contains(id)) {
        // Committed but not acknowledged (the answer was lost): must still be whole.
        let mut whole = false;
        for (token, shop, _) in owners {
            let r = document_content(&ctx.http, b, token, shop, id).await?;
            if r.status().as_u16() == 200 {
                whole = true;
                break;
            }
        }
        if !whole {
            failures.push(format!("document row {id} has no readable object"));
        }
    }
    let mut seen = std::collections::BTreeSet::new();
    let mut objects = 0;
    let mut listing = s3.list(Some(&ObjPath::from(prefix)));
    while let Some(meta) = listing.try_next().await? {
        let parts: Vec<String> = meta
            .location
            .parts()
            .map(|p| p.as_ref().to_string())
            .collect();
        if parts.get(parts.len().saturating_sub(2)).map(String::as_str) == Some("d") {
            objects += 1;
            let id = parts.last().cloned().unwrap_or_default();
            if !rows.contains(&id) {
                failures.push(format!("object {} has no row", meta.location));
            }
            seen.insert(id);
        }
    }
    for id in rows.difference(&seen) {
        failures.push(format!("document row {id} has no object"));
    }
    // Sign-ins cost an argon2id each: eight at a time.
    let failed_sign_ins: Vec<String> = futures::stream::iter(t.accounts.iter().cloned())
        .map(|email| async move {
            let r = ctx
                .http
                .post(format!("{b}/v1/sessions"))
                .json(&json!({"email": email, "password": PASSWORD}))
                .send()
                .await;
            match r {
                Ok(r) if r.status().as_u16() == 201 => None,
                _ => Some(format!("acknowledged sign-up {email} cannot sign in")),
            }
        })
        .buffer_unordered(8)
        .filter_map(|f| async move { f })
        .collect()
        .await;
    failures.extend(failed_sign_ins);
    println!(
        "acknowledged: {} identity writes ({} shops checked for their last), {} documents, {} sign-ups; {} document rows, {} objects",
        t.identity_writes_acked,
        t.identity.len(),
        t.documents.len(),
        t.accounts.len(),
        rows.len(),
        objects
    );
    println!("statuses during the run: {:?}", t.statuses);
    failures.extend(t.failures);
    Ok(())
}

#[tokio::main]
async fn main() -> Res<()> {
    let args: Vec<String> = std::env::args().collect();
    let phase = args
        .iter()
        .position(|a| a == "--phase-secs")
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(4u64);
    let s3_url = std::env::var("HARIM_TEST_S3_URL")
        .map_err(|_| "HARIM_TEST_S3_URL is not set: eval \"$(infra/garage.sh)\" first")?;
    let bucket = s3_url
        .trim_start_matches("s3://")
        .trim_end_matches('/')
        .to_string();
    let prefix = format!("fault-{}", std::process::id());
    ensure_cluster()?;
    s3_up()?;
    let db_name = format!("harim_fault_{}", std::process::id());
    sh(
        "psql",
        &[
            &format!("postgres://postgres@127.0.0.1:{PG_PORT}/postgres"),
            "-qc",
            &format!("CREATE DATABASE {db_name}"),
        ],
    )?;
    let db = format!("postgres://postgres@127.0.0.1:{PG_PORT}/{db_name}");
    let server = start(&db, &format!("s3://{bucket}/{prefix}"))?;
    let ctx = Arc::new(Ctx {
        http: reqwest::Client::builder()
            .timeout(Duration::from_secs(45))
            .build()?,
        base: server.base.clone(),
        tally: Mutex::new(Tally::default()),
        stop: AtomicBool::new(false),
    });
    let mut owners = Vec::new();
    for w in 0..4 {
        owners.push(setup(&ctx, w).await?);
    }
    let mut tasks = Vec::new();
    for (w, (token, shop, slug)) in owners.iter().cloned().enumerate() {
        tasks.push(tokio::spawn(worker(
            ctx.clone(),
            w as u64,
            token,
            shop,
            slug,
        )));
    }
    let mut failures = Vec::new();
    let t0 = Instant::now();
    tokio::time::sleep(Duration::from_secs(phase)).await;
    println!("{:5.1} s: stopping PostgreSQL", t0.elapsed().as_secs_f64());
    pg("stop")?;
    outage(&ctx, "PostgreSQL", phase, &mut failures).await;
    println!("{:5.1} s: starting PostgreSQL", t0.elapsed().as_secs_f64());
    pg("start")?;
    recover(&ctx, "PostgreSQL", &mut failures).await;
    tokio::time::sleep(Duration::from_secs(phase)).await;
    println!(
        "{:5.1} s: stopping the S3 server",
        t0.elapsed().as_secs_f64()
    );
    s3_down()?;
    outage(&ctx, "S3", phase, &mut failures).await;
    println!(
        "{:5.1} s: starting the S3 server",
        t0.elapsed().as_secs_f64()
    );
    s3_up()?;
    recover(&ctx, "S3", &mut failures).await;
    tokio::time::sleep(Duration::from_secs(phase)).await;
    ctx.stop.store(true, Ordering::Relaxed);
    for t in tasks {
        let _ = t.await;
    }
    println!(
        "{:5.1} s: load stopped; checking",
        t0.elapsed().as_secs_f64()
    );
    let s3 = AmazonS3Builder::from_env()
        .with_bucket_name(&bucket)
        .with_virtual_hosted_style_request(false)
        .build()?;
    verify(&ctx, &db, &owners, &s3, &prefix, &mut failures).await?;
    drop(server);
    let _ = sh(
        "psql",
        &[
            &format!("postgres://postgres@127.0.0.1:{PG_PORT}/postgres"),
            "-qc",
            &format!("DROP DATABASE IF EXISTS {db_name} WITH (FORCE)"),
        ],
    );
    if failures.is_empty() {
        println!("faultbench: 0 failures (0 lost acknowledged writes, 0 half-stored documents)");
        Ok(())
    } else {
        failures.sort();
        failures.dedup();
        for f in failures.iter().take(40) {
            println!("FAIL: {f}");
        }
        println!("faultbench: {} failures", failures.len());
        std::process::exit(1);
    }
}
