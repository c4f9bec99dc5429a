//! `tests/bench.sh citus`: harim on the Citus cluster of `infra/citus.sh` (a coordinator and two
//! workers, all on the same cores as harim and the load) against the same harim on the
//! single-node PostgreSQL in the same run; root rotation of the profile's tenant keys across the
//! two workers against the same on one server; online resharding under load (a third worker
//! added, `citus_rebalance_start()`); and a three-node Garage with one node stopped under KYC
//! uploads.

use std::{
    fmt::Write as _,
    process::Command,
    sync::{
        Arc,
        atomic::{AtomicBool, AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

use anyhow::{Context, Result, anyhow, bail};
use sea_orm::ConnectionTrait;
use serde_json::{Value, json};

use crate::{
    Ctx, Section,
    load::{self, Outcome},
    scenarios::{checked, insert_keys, met, ms, rig, rotate, routes},
    server::{Backend, IDENTITY},
};

/// Shards per distributed table: Citus' default in the full run; four in a smoke run (quick
/// to create, and still two per worker).
fn shards(ctx: &Ctx) -> u32 {
    if ctx.p.smoke { 4 } else { 32 }
}

fn citus_backend(ctx: &Ctx, label: &str) -> Backend {
    Backend::Citus(
        format!("harim_bench_{label}_{}", std::process::id()),
        shards(ctx),
    )
}

pub async fn citus(ctx: &Ctx) -> Result<Vec<Section>> {
    if !crate::server::citus_script().exists() {
        bail!("infra/citus.sh is missing");
    }
    let mut out = vec![request_path(ctx).await?, rotation(ctx).await?];
    out.push(resharding(ctx).await?);
    out.push(garage(ctx).await?);
    Ok(out)
}

struct Row {
    route: &'static str,
    pg32: Outcome,
    ci32: Outcome,
    pg4: Outcome,
    ci4: Outcome,
}

/// PUT identity, reveal and the masked GET on both deployments, one after the other.
async fn request_path(ctx: &Ctx) -> Result<Section> {
    let w = ctx.p.window;
    let pg = rig(
        ctx,
        &Backend::Postgres(ctx.pg_admin.clone()),
        "citus_pg",
        ctx.p.shops,
        false,
    )
    .await?;
    let ci = rig(
        ctx,
        &citus_backend(ctx, "path"),
        "citus",
        ctx.p.shops,
        false,
    )
    .await?;
    let (rp, rc) = (routes(&pg.ids, &pg.token), routes(&ci.ids, &ci.token));
    let mut rows = Vec::new();
    for (route, a, b) in [
        ("PUT identity", rp.put.clone(), rc.put.clone()),
        ("reveal (2 fields)", rp.reveal.clone(), rc.reveal.clone()),
        ("masked GET identity", rp.get.clone(), rc.get.clone()),
    ] {
        let (pa, ca) = (pg.h.addr(), ci.h.addr());
        let (pp, cp) = (Some(pg.h.child.id()), Some(ci.h.child.id()));
        let pg32 = checked(
            &format!("{route} PostgreSQL @32"),
            load::http(&pa, 32, w, a.clone(), pp).await?,
        )?;
        let ci32 = checked(
            &format!("{route} Citus @32"),
            load::http(&ca, 32, w, b.clone(), cp).await?,
        )?;
        let pg4 = checked(
            &format!("{route} PostgreSQL @4"),
            load::http(&pa, 4, w, a, pp).await?,
        )?;
        let ci4 = checked(
            &format!("{route} Citus @4"),
            load::http(&ca, 4, w, b, cp).await?,
        )?;
        rows.push(Row {
            route,
            pg32,
            ci32,
            pg4,
            ci4,
        });
    }
    let mut s = format!(
        "The same harim build, {} shops, against single-node PostgreSQL (port 5432) and against \
         the Citus cluster of `infra/citus.sh` (a coordinator and two workers, each its own \
         PostgreSQL 15 on this machine, {} shards per distributed table), one after the other in \
         one run. Every request is routed by `tenant_id` to one shard (`crates/harim-api/tests/api/citus.rs` \
         proves it): the coordinator plans the statement, sends it to the worker that holds the \
         shop, and relays the answer. Throughput at 32 connections, latency at 4.\n\n\
         | route | PostgreSQL req/s | Citus req/s | Citus / PostgreSQL | PostgreSQL p50 / p99 ms @4 | Citus p50 / p99 ms @4 |\n\
         |---|---|---|---|---|---|\n",
        ctx.p.shops,
        shards(ctx)
    );
    for r in &rows {
        let _ = writeln!(
            s,
            "| {} | {:.0} | {:.0} | {:.2} | {} / {} | {} / {} |",
            r.route,
            r.pg32.rps,
            r.ci32.rps,
            r.ci32.rps / r.pg32.rps,
            ms(r.pg4.p50_ms),
            ms(r.pg4.p99_ms),
            ms(r.ci4.p50_ms),
            ms(r.ci4.p99_ms),
        );
    }
    let _ = writeln!(
        s,
        "\nThe profile: CPU µs per request at 32 connections (`/proc/<pid>/stat`; \"database\" is \
         every `postgres` process, on Citus the coordinator's and both workers' backends \
         together). What a coordinator hop costs is the difference of the database columns: \
         the statement is parsed and planned twice (coordinator, then worker) and every row \
         crosses one more connection.\n\n\
         | route | harim (PostgreSQL) | database (PostgreSQL) | harim (Citus) | database (Citus) | database extra per request |\n\
         |---|---|---|---|---|---|"
    );
    for r in &rows {
        let _ = writeln!(
            s,
            "| {} | {:.0} | {:.0} | {:.0} | {:.0} | {:+.0} µs |",
            r.route,
            r.pg32.cpu.harim_us,
            r.pg32.cpu.postgres_us,
            r.ci32.cpu.harim_us,
            r.ci32.cpu.postgres_us,
            r.ci32.cpu.postgres_us - r.pg32.cpu.postgres_us,
        );
    }
    Ok(Section {
        name: "citus-request-path",
        markdown: s,
    })
}

/// Root rotation of the profile's tenant keys: two workers on single-node PostgreSQL, then two
/// workers on Citus (claiming tenant-id slices under advisory locks; `harim_store::rotation`).
async fn rotation(ctx: &Ctx) -> Result<Section> {
    let n = ctx.p.rotation_keys;
    let mut s = format!(
        "{n} tenant keys, batch {} (`rotation::DEFAULT_BATCH`), two workers in the bench process \
         through `harim_store::rotation` (the code `harim serve`'s worker runs). On Citus a batch \
         claims one of 64 tenant-id slices under a transaction-scoped advisory lock on the \
         coordinator (Citus refuses `FOR UPDATE` across shards), reads up to a batch from it \
         across the shards and writes it back with one multi-row `UPDATE`, which the coordinator \
         splits per shard.\n\n| where | time | keys/s | Citus / PostgreSQL |\n|---|---|---|---|\n",
        harim_store::rotation::DEFAULT_BATCH
    );
    let mut rates = Vec::new();
    for (label, backend) in [
        ("PostgreSQL", Backend::Postgres(ctx.pg_admin.clone())),
        ("Citus, two workers", citus_backend(ctx, "rotation")),
    ] {
        let d = crate::server::Deployment::new(&ctx.harim, &backend, "citus_rot", &[]).await?;
        let db = d.pool().await?;
        let vault = d.vault()?;
        let t = Instant::now();
        insert_keys(&db, &vault, n).await?;
        eprintln!("  {label}: {n} tenant keys in {:.1?}", t.elapsed());
        let took = rotate(&db, &vault, 2).await?;
        let left: i64 = db
            .query_one(sea_orm::Statement::from_string(
                db.get_database_backend(),
                "SELECT count(*) AS n FROM tenant_keys WHERE kek_version < 2",
            ))
            .await?
            .ok_or_else(|| anyhow!("no count"))?
            .try_get("", "n")?;
        if left != 0 {
            bail!("{label}: {left} tenant keys were not re-wrapped");
        }
        let rate = n as f64 / took.as_secs_f64();
        let ratio = rates.first().map(|r: &f64| format!("{:.2}", rate / r));
        rates.push(rate);
        let _ = writeln!(
            s,
            "| {label} | {took:.2?} | {rate:.0} | {} |",
            ratio.unwrap_or_default()
        );
    }
    Ok(Section {
        name: "citus-rotation",
        markdown: s,
    })
}

/// What the resharding load saw.
#[derive(Default)]
struct Tally {
    requests: AtomicU64,
    failed: AtomicU64,
}

/// Online resharding: with load running (identity writes, reveals, masked reads, page views;
/// each shop written by one task only, so its last acknowledged write is known), a third worker
/// joins and `citus_rebalance_start()` moves shards onto it. Counts requests and failures,
/// then checks every shop's identity reveals as its last acknowledged write.
async fn resharding(ctx: &Ctx) -> Result<Section> {
    let spare = Command::new(crate::server::citus_script())
        .arg("--spare")
        .output()
        .context("infra/citus.sh --spare")?;
    if !spare.status.success() {
        bail!("infra/citus.sh --spare failed");
    }
    let spare_port: u16 = String::from_utf8_lossy(&spare.stdout)
        .lines()
        .last()
        .unwrap_or_default()
        .trim()
        .parse()
        .context("the spare worker's port")?;
    let backend = citus_backend(ctx, "reshard");
    let Backend::Citus(name, _) = &backend else {
        bail!("not a Citus backend");
    };
    let r = rig(ctx, &backend, "reshard", ctx.p.shops, true).await?;
    let db = r.d.pool().await?;
    // The spare worker needs the database and the extension before it joins.
    spare_psql(spare_port, "postgres", &format!("CREATE DATABASE {name}"))?;
    spare_psql(spare_port, name, "CREATE EXTENSION IF NOT EXISTS citus")?;
    let stop = Arc::new(AtomicBool::new(false));
    let tally = Arc::new(Tally::default());
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()?;
    let tasks = 16.min(r.ids.len());
    let mut handles = Vec::new();
    for t in 0..tasks {
        let shops: Vec<String> = r.ids.iter().skip(t).step_by(tasks).cloned().collect();
        let (client, base, token) = (client.clone(), r.h.base.clone(), r.token.clone());
        let (stop, tally) = (stop.clone(), tally.clone());
        handles.push(tokio::spawn(async move {
            let mut last: Vec<Option<u64>> = vec![None; shops.len()];
            let mut i: u64 = 0;
            while !stop.load(Ordering::Relaxed) {
                let k = (i as usize) % shops.len();
                let shop = &shops[k];
                let (m, path, body) = match i % 4 {
                    0 => {
                        let mut id: Value = serde_json::from_str(IDENTITY)?;
                        id["full_name"] = json!(format!("Reshard Write {i}"));
                        (
                            reqwest::Method::PUT,
                            format!("/v1/shops/{shop}/identity"),
                            Some(id),
                        )
                    }
                    1 => (
                        reqwest::Method::POST,
                        format!("/v1/shops/{shop}/identity/reveal"),
                        Some(json!({"fields": ["iban"], "purpose": "payout"})),
                    ),
                    2 => (
                        reqwest::Method::GET,
                        format!("/v1/shops/{shop}/identity"),
                        None,
                    ),
                    _ => (reqwest::Method::GET, String::new(), None),
                };
                let req = if path.is_empty() {
                    let slug = format!("bench-{}", t + k * tasks);
                    client.get(format!("{base}/shops/{slug}/privacy"))
                } else {
                    let mut q = client
                        .request(m, format!("{base}{path}"))
                        .bearer_auth(&token);
                    if let Some(b) = body {
                        q = q.json(&b);
                    }
                    q
                };
                tally.requests.fetch_add(1, Ordering::Relaxed);
                match req.send().await {
                    Ok(resp) if resp.status().is_success() => {
                        if i.is_multiple_of(4) {
                            last[k] = Some(i);
                        }
                    }
                    Ok(resp) => {
                        tally.failed.fetch_add(1, Ordering::Relaxed);
                        eprintln!("  resharding: {} {}", resp.status(), path);
                    }
                    Err(e) => {
                        tally.failed.fetch_add(1, Ordering::Relaxed);
                        eprintln!("  resharding: {e}");
                    }
                }
                i += 1;
            }
            anyhow::Ok((shops, last))
        }));
    }
    // Load first, then the new worker and the rebalance.
    tokio::time::sleep(ctx.p.window.warmup).await;
    let before = tally.requests.load(Ordering::Relaxed);
    let t = Instant::now();
    db.execute_unprepared(&format!("SELECT citus_add_node('127.0.0.1', {spare_port})"))
        .await?;
    db.execute_unprepared("SELECT citus_rebalance_start()")
        .await?;
    db.execute_unprepared("SELECT citus_rebalance_wait()")
        .await?;
    let moved = t.elapsed();
    let placed: i64 = db
        .query_one(sea_orm::Statement::from_string(
            db.get_database_backend(),
            format!(
                "SELECT count(*) AS n FROM pg_dist_placement p JOIN pg_dist_node n USING (groupid) \
                 WHERE n.nodeport = {spare_port}"
            ),
        ))
        .await?
        .ok_or_else(|| anyhow!("no count"))?
        .try_get("", "n")?;
    tokio::time::sleep(ctx.p.window.warmup).await;
    stop.store(true, Ordering::Relaxed);
    let during = tally.requests.load(Ordering::Relaxed) - before;
    let mut lost = 0u64;
    let mut checked_shops = 0u64;
    for h in handles {
        let (shops, last) = h.await??;
        for (shop, l) in shops.iter().zip(last) {
            let resp: Value = client
                .post(format!("{}/v1/shops/{shop}/identity/reveal", r.h.base))
                .bearer_auth(&r.token)
                .json(&json!({"fields": ["full_name", "national_id"], "purpose": "payout"}))
                .send()
                .await?
                .json()
                .await?;
            let want = l.map(|i| format!("Reshard Write {i}"));
            let got = resp["fields"]["full_name"].as_str().map(str::to_string);
            checked_shops += 1;
            if let Some(w) = want {
                if got.as_deref() != Some(w.as_str()) {
                    lost += 1;
                    eprintln!("  resharding: {shop} reveals {got:?}, last write {w}");
                }
            } else if got.is_none() {
                lost += 1;
            }
        }
    }
    let requests = tally.requests.load(Ordering::Relaxed);
    let failed = tally.failed.load(Ordering::Relaxed);
    if placed == 0 {
        bail!("the rebalance moved no shard onto the new worker");
    }
    let s = format!(
        "Citus, {} shards per table, {} shops with a published policy on two workers; 16 client \
         tasks loop over identity writes, reveals, masked reads and public-page views (each shop \
         written by one task only, so its last acknowledged write is known). After {:.0?} of \
         load a third worker is added (`citus_add_node`) and `citus_rebalance_start()` moves \
         shards onto it (logical replication, so writes go on during a move); \
         `citus_rebalance_wait()` returns when the last move is done; the load runs {:.0?} more, \
         then every shop's identity is revealed and compared with its last acknowledged write.\n\n\
         | what | figure | goal | |\n|---|---|---|---|\n\
         | requests in the whole run | {requests} | | |\n\
         | requests while shards moved | {during} | | |\n\
         | failed requests | {failed} | 0 | {} |\n\
         | lost acknowledged writes (of {checked_shops} shops) | {lost} | 0 | {} |\n\
         | shard placements on the new worker | {placed} | > 0 | {} |\n\
         | time to move (add node, rebalance, wait) | {:.1?} | | |",
        shards(ctx),
        r.ids.len(),
        ctx.p.window.warmup,
        ctx.p.window.warmup,
        met(failed == 0),
        met(lost == 0),
        met(placed > 0),
        moved,
    );
    // The spare worker leaves with the database: its node entry lives in the database's
    // metadata, which `Deployment`'s drop removes; its own copy goes here.
    drop(r);
    if let Err(e) = spare_psql(
        spare_port,
        "postgres",
        &format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"),
    ) {
        eprintln!("  resharding: {e:#}");
    }
    if failed > 0 || lost > 0 {
        println!("\n{s}");
        bail!("resharding lost or failed requests");
    }
    Ok(Section {
        name: "citus-resharding",
        markdown: s,
    })
}

/// Runs `sql` in database `db` of the spare worker (trust on loopback, as `infra/citus.sh` sets).
fn spare_psql(port: u16, db: &str, sql: &str) -> Result<()> {
    let st = Command::new("psql")
        .args(["-h", "127.0.0.1", "-p", &port.to_string(), "-U", "postgres"])
        .args(["-d", db, "-qc", sql])
        .status()
        .context("psql")?;
    if !st.success() {
        bail!("{sql} on the spare worker");
    }
    Ok(())
}

/// A three-node Garage (replication factor 3) behind a gateway node: KYC uploads through harim
/// while storage node 0 is stopped half-way, then every document read back.
async fn garage(ctx: &Ctx) -> Result<Section> {
    let script = crate::repo_root().join("infra/garage.sh");
    let env = Command::new(&script)
        .args(["--nodes", "3"])
        .output()
        .context("infra/garage.sh --nodes 3")?;
    if !env.status.success() {
        bail!(
            "infra/garage.sh --nodes 3 failed: {}",
            String::from_utf8_lossy(&env.stderr)
        );
    }
    let vars: Vec<(String, String)> = String::from_utf8_lossy(&env.stdout)
        .lines()
        .filter_map(|l| l.strip_prefix("export "))
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let var = |k: &str| {
        vars.iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.clone())
            .ok_or_else(|| anyhow!("infra/garage.sh printed no {k}"))
    };
    let mut extra: Vec<(String, String)> = vars
        .iter()
        .filter(|(k, _)| k.starts_with("AWS_"))
        .cloned()
        .collect();
    extra.push((
        "HARIM_OBJECT_STORE_URL".into(),
        format!(
            "{}/garage3-{}",
            var("HARIM_TEST_S3_URL")?,
            uuid::Uuid::new_v4()
        ),
    ));
    let extra_refs: Vec<(&str, &str)> = extra
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let d = crate::server::Deployment::new(
        &ctx.harim,
        &Backend::Postgres(ctx.pg_admin.clone()),
        "garage3",
        &extra_refs,
    )
    .await?;
    let h = d.start(&ctx.harim)?;
    let token = crate::server::account(&h.base, "garage@example.ir").await?;
    let ids = crate::server::shops(&h.base, &token, 0, 1, false).await?;
    let shop = ids.first().ok_or_else(|| anyhow!("no shop"))?.clone();
    let n: usize = if ctx.p.smoke { 20 } else { 200 };
    let c = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()?;
    let pdf = |i: usize| {
        format!(
            "%PDF-1.4\n% document {i}\n{}\n%%EOF\n",
            "x".repeat(64 * 1024)
        )
    };
    let mut docs = Vec::new();
    let mut failed_uploads = 0;
    let mut stopped_at = None;
    let t = Instant::now();
    for i in 0..n {
        if i == n / 2 {
            let st = Command::new(&script)
                .args(["--nodes", "3", "--stop", "0"])
                .status()?;
            if !st.success() {
                bail!("stopping Garage node 0");
            }
            stopped_at = Some(i);
        }
        let resp = harim_e2e::upload_document(
            &c,
            &h.base,
            &token,
            &shop,
            "business_license",
            "application/pdf",
            pdf(i),
        )
        .await;
        if resp.status().as_u16() == 201 {
            let v: Value = resp.json().await?;
            docs.push((i, v["id"].as_str().unwrap_or_default().to_string()));
        } else {
            failed_uploads += 1;
            eprintln!("  garage: upload {i}: {}", resp.status());
        }
    }
    let mut failed_reads = 0;
    for (i, id) in &docs {
        let resp = c
            .get(format!(
                "{}/v1/shops/{shop}/kyc/documents/{id}/content?purpose=support",
                h.base
            ))
            .bearer_auth(&token)
            .send()
            .await?;
        let ok = resp.status().as_u16() == 200 && resp.bytes().await?[..] == *pdf(*i).as_bytes();
        if !ok {
            failed_reads += 1;
        }
    }
    let took = t.elapsed();
    let st = Command::new(&script)
        .args(["--nodes", "3", "--start", "0"])
        .status()?;
    if !st.success() {
        bail!("restarting Garage node 0");
    }
    let s = format!(
        "`infra/garage.sh --nodes 3`: three Garage nodes on loopback, replication factor 3, one \
         zone each, `consistency_mode = \"consistent\"` (writes and reads need two of three), and \
         a gateway node (no storage) as the S3 endpoint harim (PostgreSQL) talks to. {n} KYC \
         uploads of 64 KiB, storage node 0 (the one the bucket was made on) stopped (SIGTERM) \
         before upload {}, then every acknowledged document read back and compared byte for \
         byte, with node 0 still down.\n\n\
         | what | figure | goal | |\n|---|---|---|---|\n\
         | uploads acknowledged | {} of {n} | all | {} |\n\
         | reads that failed or differed | {failed_reads} of {} | 0 | {} |\n\
         | time (uploads and reads) | {took:.1?} | | |",
        stopped_at.unwrap_or(0),
        docs.len(),
        met(failed_uploads == 0),
        docs.len(),
        met(failed_reads == 0),
    );
    Ok(Section {
        name: "garage-cluster",
        markdown: s,
    })
}
