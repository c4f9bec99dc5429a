//! The benchmark command: every scenario of the performance issue next to its baseline **in the
//! same run**, the ratios printed, and the generated tables of `docs/benchmarks.md` rewritten.
//!
//! ```text
//! tests/bench.sh                 # release build, every scenario, rewrites docs/benchmarks.md
//! tests/bench.sh --smoke         # seconds, tiny sizes, writes nothing (CI runs this)
//! bench [SCENARIO...] [--smoke] [--no-write] [--harim PATH] [--database-url URL]
//! ```
//! Scenarios: `request-path` (PostgreSQL, then SQLite), `pool`, `pages`, `logins`, `uploads`,
//! `rotation`, `growth`, `hsm`, `customers`, `consent`, `events`, `citus` (needs `infra/citus.sh`;
//! also starts `infra/garage.sh --nodes 3`); none or `all` means every one. `--database-url` is an admin URL of a
//! PostgreSQL server where scratch databases may be created (default
//! `$HARIM_TEST_DATABASE_URL`, else `postgres://postgres@127.0.0.1:5432/postgres`). Uploads need
//! an S3 server in the environment (`eval "$(infra/garage.sh)"`) and are skipped without one;
//! `hsm` needs SoftHSM2 (`infra/softhsm.sh`) and is skipped without it.
//!
//! Nothing here is a test: no figure fails the run. A scenario fails only when harim answers
//! errors, so a broken path cannot pass for a fast one.

mod citus;
mod consent;
mod customers;
mod events;
mod load;
mod scenarios;
mod server;

use std::{fmt::Write as _, path::PathBuf, time::Duration};

use anyhow::{Context, Result, anyhow, bail};

/// Sizes and durations of one run.
#[derive(Debug, Clone)]
pub struct Profile {
    pub smoke: bool,
    pub window: load::Window,
    /// Shops the request-path and page scenarios rotate over.
    pub shops: usize,
    /// Shops of the "cost as work grows" deployment.
    pub grow_shops: usize,
    /// Of those, how many publish a policy (for the page-cache memory row; a publish renders
    /// and compresses twelve documents, about 0.3 s of CPU).
    pub page_shops: usize,
    pub rotation_keys: usize,
    pub rotation_big: usize,
    /// Audit entries: (tenants, entries per tenant); verify runs at a tenth and at the whole.
    pub audit: (usize, usize),
    /// Customers of the shop the customer lookup runs in.
    pub customers_big: usize,
    pub logins: usize,
}

impl Profile {
    fn full() -> Self {
        Self {
            smoke: false,
            window: load::Window {
                warmup: Duration::from_secs(2),
                measure: Duration::from_secs(8),
            },
            shops: 64,
            grow_shops: 10_000,
            page_shops: 1_000,
            rotation_keys: 100_000,
            rotation_big: 1_000_000,
            audit: (1_000, 1_000),
            customers_big: 1_000_000,
            logins: 50,
        }
    }
    fn smoke() -> Self {
        Self {
            smoke: true,
            window: load::Window {
                warmup: Duration::from_millis(200),
                measure: Duration::from_millis(800),
            },
            shops: 8,
            grow_shops: 24,
            page_shops: 12,
            rotation_keys: 2_000,
            rotation_big: 4_000,
            audit: (10, 100),
            customers_big: 1_000,
            logins: 4,
        }
    }
}

/// What the scenarios share.
pub struct Ctx {
    pub harim: PathBuf,
    pub kycbench: PathBuf,
    pub pg_admin: String,
    pub p: Profile,
}

/// One generated part of docs/benchmarks.md.
pub struct Section {
    pub name: &'static str,
    pub markdown: String,
}

const SCENARIOS: &[&str] = &[
    "request-path",
    "pool",
    "pages",
    "logins",
    "uploads",
    "rotation",
    "growth",
    "hsm",
    "customers",
    "consent",
    "events",
    "citus",
];

fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn sibling(name: &str) -> PathBuf {
    std::env::current_exe()
        .ok()
        .and_then(|p| p.parent().map(|d| d.join(name)))
        .unwrap_or_else(|| PathBuf::from(name))
}

fn sh(cmd: &str, args: &[&str]) -> String {
    std::process::Command::new(cmd)
        .args(args)
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_default()
}

fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, v)| v.trim().to_string())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let mem = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .next()
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<u64>().ok())
        })
        .map_or(0, |kib| kib / 1024 / 1024);
    let pg = sh("psql", &["--version"]);
    format!(
        "{cores} cores ({cpu}), {mem} GiB RAM, {pg}; load generator, harim and the database share the cores"
    )
}

/// Replaces the text between `<!-- bench:NAME -->` and `<!-- /bench:NAME -->`; a section not yet
/// in the file goes before the first `<!-- bench:end-of-generated -->` marker.
fn rewrite(doc: &str, s: &Section) -> Result<String> {
    let open = format!("<!-- bench:{} -->", s.name);
    let close = format!("<!-- /bench:{} -->", s.name);
    let body = format!("{open}\n{}\n{close}", s.markdown.trim_end());
    if let (Some(a), Some(b)) = (doc.find(&open), doc.find(&close)) {
        if b < a {
            bail!("markers of {} are out of order", s.name);
        }
        return Ok(format!("{}{}{}", &doc[..a], body, &doc[b + close.len()..]));
    }
    let end = "<!-- bench:end-of-generated -->";
    let at = doc
        .find(end)
        .ok_or_else(|| anyhow!("docs/benchmarks.md has no {end} marker"))?;
    Ok(format!("{}{}\n\n{}", &doc[..at], body, &doc[at..]))
}

#[tokio::main(flavor = "multi_thread")]
async fn main() -> Result<()> {
    let mut smoke = false;
    let mut write = true;
    let mut harim = sibling("harim");
    let mut pg_admin = std::env::var("HARIM_TEST_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
    let mut chosen: Vec<String> = Vec::new();
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--smoke" => smoke = true,
            "--no-write" => write = false,
            "--harim" => harim = PathBuf::from(args.next().context("--harim PATH")?),
            "--database-url" => pg_admin = args.next().context("--database-url URL")?,
            // `citus` needs a cluster and a three-node Garage: asked for by name only.
            "all" => chosen.extend(
                SCENARIOS
                    .iter()
                    .filter(|s| **s != "citus")
                    .map(|s| s.to_string()),
            ),
            s if SCENARIOS.contains(&s) => chosen.push(s.to_string()),
            other => bail!(
                "unknown argument {other:?}; scenarios: {}",
                SCENARIOS.join(", ")
            ),
        }
    }
    if chosen.is_empty() {
        chosen.extend(
            SCENARIOS
                .iter()
                .filter(|s| **s != "citus")
                .map(|s| s.to_string()),
        );
    }
    // A smoke run checks that every scenario still runs; its figures mean nothing.
    let write = write && !smoke;
    if !harim.exists() {
        bail!(
            "{} is missing: build it (tests/bench.sh does)",
            harim.display()
        );
    }
    let ctx = Ctx {
        kycbench: sibling("kycbench"),
        harim,
        pg_admin,
        p: if smoke {
            Profile::smoke()
        } else {
            Profile::full()
        },
    };
    let commit = sh(
        "git",
        &[
            "-C",
            &repo_root().display().to_string(),
            "rev-parse",
            "--short",
            "HEAD",
        ],
    );
    let dirty = !sh(
        "git",
        &[
            "-C",
            &repo_root().display().to_string(),
            "status",
            "--porcelain",
            "--untracked-files=no",
        ],
    )
    .is_empty();
    let started = std::time::Instant::now();
    let mut sections = Vec::new();
    for s in &chosen {
        eprintln!("bench: {s} ...");
        let t = std::time::Instant::now();
        let mut out = match s.as_str() {
            "request-path" => scenarios::request_path(&ctx).await?,
            "pool" => vec![scenarios::pool(&ctx).await?],
            "pages" => vec![scenarios::pages(&ctx).await?],
            "logins" => vec![scenarios::logins(&ctx).await?],
            "uploads" => vec![scenarios::uploads(&ctx).await?],
            "rotation" => vec![scenarios::rotation(&ctx).await?],
            "growth" => vec![scenarios::growth(&ctx).await?],
            "hsm" => vec![scenarios::hsm(&ctx).await?],
            "customers" => vec![customers::customers(&ctx).await?],
            "consent" => vec![consent::consent(&ctx).await?],
            "events" => vec![events::events(&ctx).await?],
            "citus" => citus::citus(&ctx).await?,
            _ => unreachable_scenario(s)?,
        };
        eprintln!("bench: {s} took {:.0?}", t.elapsed());
        for sec in &mut out {
            let _ = write!(
                sec.markdown,
                "\n_Measured {} UTC at commit `{}`{} by `tests/bench.sh {s}` ({:.0} s)._\n",
                sh("date", &["-u", "+%Y-%m-%d %H:%M"]),
                commit,
                if dirty {
                    " with uncommitted changes"
                } else {
                    ""
                },
                t.elapsed().as_secs_f64()
            );
            println!("\n{}", sec.markdown);
        }
        sections.append(&mut out);
    }
    let run = Section {
        name: "run",
        markdown: format!(
            "Last run: {} UTC, commit `{commit}`{}, {:.0} s in all. Machine: {}.\n\n\
             Command: `tests/bench.sh {}` (release build of `harim`, `kycbench` and `bench`, then \
             `target/release/bench {}`).",
            sh("date", &["-u", "+%Y-%m-%d %H:%M"]),
            if dirty {
                " with uncommitted changes"
            } else {
                ""
            },
            started.elapsed().as_secs_f64(),
            machine(),
            chosen.join(" "),
            chosen.join(" "),
        ),
    };
    println!("\n{}", run.markdown);
    if write {
        let path = repo_root().join("docs/benchmarks.md");
        let mut doc = std::fs::read_to_string(&path)?;
        // The run line describes a whole run; a run of some scenarios leaves it, and each
        // section carries its own date and commit.
        let everything = SCENARIOS
            .iter()
            .filter(|s| **s != "citus")
            .all(|s| chosen.iter().any(|c| c == s));
        for s in std::iter::once(&run)
            .filter(|_| everything)
            .chain(&sections)
        {
            doc = rewrite(&doc, s)?;
        }
        std::fs::write(&path, doc)?;
        eprintln!("bench: rewrote {}", path.display());
    }
    Ok(())
}

fn unreachable_scenario(s: &str) -> Result<Vec<Section>> {
    bail!("no scenario {s}")
}
