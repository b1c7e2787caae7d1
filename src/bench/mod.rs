//! `jiaoban bench`: a province on one database, loaded through the real use
//! cases, then every figure of issue 12 measured beside the raw database
//! doing the same work in the same run, and printed as ratios.
//!
//! - [`load`]: units, people and years of issues, each registered, dispatched
//!   on the workflow's schedule, signed for, reported with its photo,
//!   rechecked, closed, returned or withdrawn by the same functions the API
//!   calls, while a test clock walks day by day and fires the timers
//!   (reminders into the outbox, overdue charges).
//! - [`measure`]: the scheduler, a catch-up, the quarter report and its
//!   workbook, pages and lists under 16 readers, moves under 16 writers.
//! - [`raw`]: the raw baselines (SQL on a connection of its own, pgbench).
//!
//! It is a benchmark, not a test: it prints numbers and asserts only that
//! every request succeeded.

mod load;
mod measure;
mod raw;
pub use raw::pgbench;
mod serve;

use crate::app::App;
use crate::startup::{Application, Config};
use std::path::PathBuf;
use std::time::Instant;

#[derive(Debug, Clone, clap::Args)]
pub struct BenchArgs {
    /// `postgres://user@host/db` of a server to bench PostgreSQL on: a fresh
    /// database `jiaoban_bench_<pid>` is created there (and dropped afterwards).
    /// Default: SQLite in --data-dir.
    #[arg(long)]
    pub database_url: Option<String>,
    /// Where the SQLite database (and the mail files) go; it must not hold a
    /// database yet. Default: a temporary folder, removed afterwards.
    #[arg(long)]
    pub data_dir: Option<PathBuf>,
    /// Responsible units (a province: about 100 districts' units).
    #[arg(long, default_value_t = 100)]
    pub units: usize,
    /// Issues over the whole span (a province over five years: 1,000,000).
    #[arg(long, default_value_t = 20_000)]
    pub issues: usize,
    /// Years the issues are spread over, from 2021-01-01.
    #[arg(long, default_value_t = 5)]
    pub years: u32,
    /// Keep the database afterwards.
    #[arg(long)]
    pub keep: bool,
    #[arg(long, default_value = "workflows/water-environment.toml")]
    pub workflow: PathBuf,
    /// Measure the pages again on a database kept by an earlier run
    /// (`--keep`), named by --database-url (PostgreSQL) or --data-dir
    /// (SQLite), without loading: minutes saved when trying a change to a
    /// page. Only what reads is measured: the reports and the pages.
    #[arg(long)]
    pub reuse: bool,
}

pub fn main(args: BenchArgs) -> anyhow::Result<()> {
    // The runtime `serve` answers on: the pages are measured as it runs them.
    let rt = crate::cli::serving_runtime()?;
    rt.block_on(run(args))
}

/// What one figure was, beside its raw baseline.
pub(crate) struct Figure {
    pub what: String,
    pub service: String,
    pub raw: String,
    /// service ÷ raw, for times and rates alike (the target says which way is better).
    pub ratio: Option<f64>,
    pub target: &'static str,
}

async fn run(args: BenchArgs) -> anyhow::Result<()> {
    if args.reuse {
        return remeasure(&args).await;
    }
    // Not the tempfile crate: it is only a dev-dependency.
    let temp = args.data_dir.is_none().then(|| std::env::temp_dir().join(format!("jiaoban-bench-{}", uuid::Uuid::new_v4().simple())));
    let data_dir = args.data_dir.clone().or_else(|| temp.clone()).unwrap_or_default();
    anyhow::ensure!(!data_dir.join("jiaoban.db").exists(), "{} already holds a database", data_dir.display());
    // A database of its own on the server: two benches may run at once.
    let scratch = format!("jiaoban_bench_{}", std::process::id());
    let (database_url, backend) = match &args.database_url {
        Some(url) => (Some(raw::fresh_postgres(url, &scratch).await?), "PostgreSQL"),
        None => (None, "SQLite"),
    };
    let config = config(&args, &data_dir, database_url.clone(), Some(load::START.into()));
    let measured = load_and_measure(&args, config, backend, database_url.as_deref(), &data_dir).await;
    // The scratch database goes, whatever happened, unless asked to keep it.
    if let (Some(url), false) = (&args.database_url, args.keep) {
        raw::drop_postgres(url, &scratch).await?;
    }
    if args.keep {
        println!("kept: {}", database_url.unwrap_or_else(|| data_dir.join("jiaoban.db").display().to_string()));
    } else if let Some(temp) = temp {
        let _ = std::fs::remove_dir_all(temp);
    }
    measured
}

async fn load_and_measure(args: &BenchArgs, config: Config, backend: &str, database_url: Option<&str>, data_dir: &std::path::Path) -> anyhow::Result<()> {
    let application = Application::build(config).await?;
    let app: App = application.app.clone();
    // As `serve` does: the sessions are kept while other instances' sign-outs are heard.
    let hearing = tokio::spawn(app.clone().hear_sessions());
    println!(
        "jiaoban bench on {backend}: {} units, {} issues over {} years, through the use cases (test clock from {})",
        args.units,
        args.issues,
        args.years,
        load::START
    );
    let started = Instant::now();
    let plan = load::Plan { units: args.units, issues: args.issues, years: args.years };
    let loaded = load::province(&app, &plan).await?;
    let secs = started.elapsed().as_secs_f64();
    println!(
        "loaded in {secs:.0} s: {} issues, {} moves ({:.0} writes/s), {} charges, {} timers, {} mails in the outbox",
        loaded.issues,
        loaded.moves,
        (loaded.moves + loaded.issues) as f64 / secs,
        raw::count(&app.db, "charges").await?,
        raw::count(&app.db, "timers").await?,
        raw::count(&app.db, "outbox").await?
    );
    let raw = raw::Raw::connect(database_url, data_dir).await?;
    raw.analyze().await?;
    // What `serve`'s housekeeping does within its first minute after such a load.
    crate::app::compact::compact_counts(&app).await.map_err(load::err)?;
    let mut figures = Vec::new();
    figures.extend(measure::scheduler(&app, &raw).await?);
    // Pages, reports and moves on the real clock, as in production (a test
    // clock adds a read of its row to every request).
    let mut real = app.clone();
    real.test_clock = false;
    figures.extend(measure::report(&real, &raw, &loaded).await?);
    figures.extend(measure::pages(&real, &raw, &loaded).await?);
    figures.extend(measure::moves(&real, &raw, &loaded).await?);
    print_table(backend, &figures);
    // Its pools close before the scratch database is dropped.
    hearing.abort();
    drop(raw);
    drop(real);
    drop(app);
    drop(application);
    Ok(())
}

/// The service the bench runs in process: on port 0, no mail relay, the
/// bench accounts' password for admin.
fn config(args: &BenchArgs, data_dir: &std::path::Path, database_url: Option<String>, test_clock: Option<String>) -> Config {
    Config {
        bind: "127.0.0.1:0".into(),
        data_dir: data_dir.to_path_buf(),
        database_url,
        smtp_url: None,
        workflow: args.workflow.clone(),
        test_clock,
        public_url: None,
        admin_password: Some(serve::PASSWORD.into()),
        sessions: Default::default(),
    }
}

/// `--reuse`: the reports and pages of a kept database, measured again.
async fn remeasure(args: &BenchArgs) -> anyhow::Result<()> {
    let data_dir = args.data_dir.clone().ok_or_else(|| anyhow::anyhow!("--reuse needs the --data-dir of the kept run (its mail folder, and SQLite's file)"))?;
    let application = Application::build(config(args, &data_dir, args.database_url.clone(), None)).await?;
    let app: App = application.app.clone();
    let hearing = tokio::spawn(app.clone().hear_sessions());
    let loaded = load::kept(&app).await?;
    let raw = raw::Raw::connect(args.database_url.as_deref(), &data_dir).await?;
    let backend = if args.database_url.is_some() { "PostgreSQL" } else { "SQLite" };
    let mut figures = measure::report(&app, &raw, &loaded).await?;
    figures.extend(measure::pages(&app, &raw, &loaded).await?);
    print_table(backend, &figures);
    hearing.abort();
    Ok(())
}

fn print_table(backend: &str, figures: &[Figure]) {
    println!("\n| {backend} | service | raw, same run | ratio | target |\n|---|---|---|---|---|");
    for f in figures {
        let ratio = f.ratio.map_or_else(|| "—".to_string(), |r| format!("{r:.2}"));
        println!("| {} | {} | {} | {ratio} | {} |", f.what, f.service, f.raw, f.target);
    }
}
