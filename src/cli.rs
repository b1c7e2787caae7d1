//! The command line: `jiaoban simulate` (and later `serve`, `demo`, `import`).

use crate::core::Workflow;
use clap::{Parser, Subcommand};
use std::io::{BufReader, Write};
use std::path::PathBuf;
use std::process::ExitCode;

/// Exit code for bad input (timeline.md).
const BAD_INPUT: u8 = 2;

#[derive(Debug, Parser)]
#[command(name = "jiaoban", version, about = "交办: deadline-driven issue handling for a 攻坚办")]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Replay a timeline of events and print the quarter reports as JSON.
    Simulate(SimulateArgs),
    /// Run the service: API, scheduler and mail.
    Serve(ServeArgs),
    /// Run the service with demo units, users and a quarter of issues (test clock).
    Demo(DemoArgs),
    /// Register a dispatch list from an Excel file (编号, 责任单位, 标题, …).
    Import(ImportArgs),
    /// Check that no history row was altered, removed or inserted by hand.
    Verify(VerifyArgs),
    /// Copy the SQLite database to FILE, consistently, while the service runs.
    Backup(BackupArgs),
    /// Load a province through the use cases and measure it beside the raw database.
    Bench(crate::bench::BenchArgs),
}

#[derive(Debug, Clone, clap::Args)]
pub struct BackupArgs {
    /// Where the copy goes (must not exist yet).
    pub file: PathBuf,
    #[arg(long, env = "JIAOBAN_DATA_DIR", default_value = "./data")]
    pub data_dir: PathBuf,
}

#[derive(Debug, Clone, clap::Args)]
pub struct VerifyArgs {
    #[arg(long, env = "JIAOBAN_DATA_DIR", default_value = "./data")]
    pub data_dir: PathBuf,
    #[arg(long, env = "JIAOBAN_DATABASE_URL")]
    pub database_url: Option<String>,
}

#[derive(Debug, Clone, clap::Args)]
pub struct DemoArgs {
    #[arg(long, env = "JIAOBAN_BIND", default_value = "127.0.0.1:8080")]
    pub bind: String,
    /// Where the demo keeps its data (kept between runs; delete it to start over).
    #[arg(long, default_value = "./demo-data")]
    pub data_dir: PathBuf,
    #[arg(long, env = "JIAOBAN_WORKFLOW", default_value = "workflows/water-environment.toml")]
    pub workflow: PathBuf,
}

#[derive(Debug, Clone, clap::Args)]
pub struct ImportArgs {
    /// The .xlsx file; its first sheet, first row the header.
    pub file: PathBuf,
    #[arg(long, env = "JIAOBAN_DATA_DIR", default_value = "./data")]
    pub data_dir: PathBuf,
    #[arg(long, env = "JIAOBAN_DATABASE_URL")]
    pub database_url: Option<String>,
    #[arg(long, env = "JIAOBAN_WORKFLOW", default_value = "workflows/water-environment.toml")]
    pub workflow: PathBuf,
}

#[derive(Debug, Clone, clap::Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "JIAOBAN_BIND", default_value = "127.0.0.1:8080")]
    pub bind: String,
    /// Where the SQLite database, mail files and uploads live.
    #[arg(long, env = "JIAOBAN_DATA_DIR", default_value = "./data")]
    pub data_dir: PathBuf,
    /// `postgres://…` for PostgreSQL; default: SQLite in the data dir.
    #[arg(long, env = "JIAOBAN_DATABASE_URL")]
    pub database_url: Option<String>,
    /// `smtp://host:port`; default: mail is written as .eml files.
    #[arg(long, env = "JIAOBAN_SMTP_URL")]
    pub smtp_url: Option<String>,
    /// The workflow file (rules as data).
    #[arg(long, env = "JIAOBAN_WORKFLOW", default_value = "workflows/water-environment.toml")]
    pub workflow: PathBuf,
    /// Start a test clock at this local time (never in production).
    #[arg(long, env = "JIAOBAN_TEST_CLOCK")]
    pub test_clock: Option<String>,
    /// The URL users reach the service at (links in mails; https → Secure cookies).
    #[arg(long, env = "JIAOBAN_PUBLIC_URL")]
    pub public_url: Option<String>,
    /// A sign-in ends after this many minutes without a request.
    #[arg(long, env = "JIAOBAN_SESSION_IDLE_MINUTES", default_value_t = 120)]
    pub session_idle_minutes: u64,
    /// A sign-in ends this many hours after it began, however busy.
    #[arg(long, env = "JIAOBAN_SESSION_HOURS", default_value_t = 12)]
    pub session_hours: u64,
}

impl ServeArgs {
    fn sessions(&self) -> crate::app::sessions::SessionRules {
        use std::time::Duration;
        crate::app::sessions::SessionRules {
            idle: Duration::from_secs(self.session_idle_minutes * 60),
            lifetime: Duration::from_secs(self.session_hours * 3600),
        }
    }

    pub fn config(&self) -> crate::startup::Config {
        crate::startup::Config {
            bind: self.bind.clone(),
            data_dir: self.data_dir.clone(),
            database_url: self.database_url.clone(),
            smtp_url: self.smtp_url.clone(),
            workflow: self.workflow.clone(),
            test_clock: self.test_clock.clone(),
            public_url: self.public_url.clone(),
            admin_password: std::env::var("JIAOBAN_ADMIN_PASSWORD").ok().filter(|p| !p.is_empty()),
            sessions: self.sessions(),
        }
    }
}

#[derive(Debug, clap::Args)]
pub struct SimulateArgs {
    /// The workflow file (rules as data).
    #[arg(long, default_value = "workflows/water-environment.toml")]
    pub workflow: PathBuf,
    /// JSON Lines timeline; `-` reads standard input.
    #[arg(long)]
    pub events: String,
    /// When the simulated clock stops (local time); default: the last event.
    #[arg(long)]
    pub as_of: Option<String>,
    /// Also list every reminder mail sent.
    #[arg(long)]
    pub reminders: bool,
}

/// `for_serving` tunes the process for running for months (the binary's
/// memory settings) before `serve` or `demo` starts; `for_replaying`
/// before `simulate` replays.
pub fn main(for_serving: fn(), for_replaying: fn()) -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Simulate(args) => {
            for_replaying();
            simulate(args)
        }
        Command::Serve(args) => {
            for_serving();
            serve(args.config())
        }
        Command::Demo(args) => {
            for_serving();
            demo(args)
        }
        Command::Import(args) => import(args),
        Command::Verify(args) => verify(args),
        Command::Backup(args) => backup(args),
        Command::Bench(args) => match crate::bench::main(args) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("jiaoban bench: {e:#}");
                ExitCode::FAILURE
            }
        },
    }
}

fn simulate(args: SimulateArgs) -> ExitCode {
    let wf = match Workflow::load(&args.workflow) {
        Ok(wf) => wf,
        Err(e) => return bad_input(&e.to_string()),
    };
    let result = if args.events == "-" {
        crate::simulate::run(&wf, std::io::stdin().lock(), args.as_of.as_deref(), args.reminders)
    } else {
        match std::fs::File::open(&args.events) {
            Ok(f) => crate::simulate::run(&wf, BufReader::with_capacity(1 << 16, f), args.as_of.as_deref(), args.reminders),
            Err(e) => return bad_input(&format!("--events: cannot open {}: {e}", args.events)),
        }
    };
    match result {
        Ok(output) => {
            let mut out = std::io::BufWriter::with_capacity(1 << 16, std::io::stdout().lock());
            let written = crate::simulate::write_json(&output, &mut out).and_then(|_| writeln!(out)).and_then(|_| out.flush());
            if written.is_err() {
                return ExitCode::FAILURE;
            }
            ExitCode::SUCCESS
        }
        Err(e) => bad_input(&e.0),
    }
}

fn serve(config: crate::startup::Config) -> ExitCode {
    init_tracing();
    run_async(async move {
        let application = crate::startup::Application::build(config).await?;
        application
            .run_until_stopped(async {
                let _ = tokio::signal::ctrl_c().await;
            })
            .await
    })
}

fn demo(args: DemoArgs) -> ExitCode {
    init_tracing();
    let config = crate::startup::Config {
        bind: args.bind,
        data_dir: args.data_dir,
        database_url: None,
        smtp_url: None,
        workflow: args.workflow,
        test_clock: Some(crate::demo::START.into()),
        public_url: None,
        admin_password: Some(std::env::var("JIAOBAN_ADMIN_PASSWORD").unwrap_or_else(|_| crate::demo::PASSWORD.into())),
        sessions: Default::default(),
    };
    run_async(async move {
        let application = crate::startup::Application::build(config).await?;
        eprintln!("正在准备演示数据 (seeding the demo)…");
        crate::demo::seed(&application.app).await?;
        eprintln!(
            "{}\n  admin 的密码 (admin password): {}",
            crate::demo::accounts_table(),
            std::env::var("JIAOBAN_ADMIN_PASSWORD").unwrap_or_else(|_| crate::demo::PASSWORD.into())
        );
        eprintln!("打开 (open) http://{}/", application_address(&application));
        application
            .run_until_stopped(async {
                let _ = tokio::signal::ctrl_c().await;
            })
            .await
    })
}

/// `VACUUM INTO`: SQLite writes a consistent copy from one read
/// transaction, so the service may go on writing meanwhile. (PostgreSQL
/// has pg_dump for this; see docs/scale.md.)
fn backup(args: BackupArgs) -> ExitCode {
    if args.file.exists() {
        return fail(&format!("{} exists already; a backup never overwrites", args.file.display()));
    }
    let source = format!("sqlite://{}?mode=ro", args.data_dir.join("jiaoban.db").display());
    let target = args.file.display().to_string().replace('\'', "''");
    let outcome = tokio::runtime::Runtime::new().map_err(anyhow::Error::from).and_then(|rt| {
        rt.block_on(async move {
            use sea_orm::ConnectionTrait;
            let db = sea_orm::Database::connect(&source).await.map_err(|e| anyhow::anyhow!("cannot open {source}: {e}"))?;
            db.execute_unprepared(&format!("VACUUM INTO '{target}'")).await.map_err(|e| anyhow::anyhow!("backup failed: {e}"))?;
            anyhow::Ok(())
        })
    });
    match outcome {
        Ok(()) => {
            println!("backed up to {}", args.file.display());
            ExitCode::SUCCESS
        }
        Err(e) => fail(&format!("{e:#}")),
    }
}

/// Exit 0 with what was verified, or 1 naming the first row that is wrong.
fn verify(args: VerifyArgs) -> ExitCode {
    let url = args.database_url.clone().unwrap_or_else(|| format!("sqlite://{}?mode=ro", args.data_dir.join("jiaoban.db").display()));
    let outcome = tokio::runtime::Runtime::new().map_err(anyhow::Error::from).and_then(|rt| {
        rt.block_on(async move {
            let db = sea_orm::Database::connect(&url).await.map_err(|e| anyhow::anyhow!("cannot open {}: {e}", crate::db::redact(&url)))?;
            crate::app::history::verify(&db).await.map_err(|e| anyhow::anyhow!("{e}"))
        })
    });
    match outcome {
        Ok(Ok(fine)) => {
            println!("{fine}");
            ExitCode::SUCCESS
        }
        Ok(Err(broken)) => {
            println!("history NOT intact: {broken}");
            ExitCode::FAILURE
        }
        Err(e) => fail(&format!("{e:#}")),
    }
}

fn application_address(application: &crate::startup::Application) -> String {
    format!("127.0.0.1:{}", application.port())
}

fn import(args: ImportArgs) -> ExitCode {
    init_tracing();
    let config = crate::startup::Config {
        bind: "127.0.0.1:0".into(),
        data_dir: args.data_dir,
        database_url: args.database_url,
        smtp_url: None,
        workflow: args.workflow,
        test_clock: None,
        public_url: None,
        admin_password: None,
        sessions: Default::default(),
    };
    let file = args.file;
    let outcome = tokio::runtime::Runtime::new().map_err(anyhow::Error::from).and_then(|rt| {
        rt.block_on(async move {
            let application = crate::startup::Application::build(config).await?;
            crate::import::run(&application.app, &file).await
        })
    });
    match outcome {
        Ok(Ok(count)) => {
            println!("已导入 {count} 条 (imported {count} issues)");
            ExitCode::SUCCESS
        }
        Ok(Err(bad)) => {
            for row in &bad {
                eprintln!("row {}: {}", row.row, row.reason);
            }
            eprintln!("未导入任何数据 (nothing imported)");
            ExitCode::from(BAD_INPUT)
        }
        Err(e) => bad_input(&format!("{e:#}")),
    }
}

fn run_async(future: impl std::future::Future<Output = anyhow::Result<()>>) -> ExitCode {
    match serving_runtime().map_err(anyhow::Error::from).and_then(|rt| rt.block_on(future)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => fail(&format!("{e:#}")),
    }
}

/// Scheduler ticks between a worker's looks at the sockets and timers
/// when it never runs out of tasks (tokio's default: 61). Under 16 readers
/// on 2 cores a worker seldom runs out: a list task whose rows had arrived
/// waited until 61 polls of other tasks' work had passed, and the lists'
/// p99 was 17–21 ms beside 4 ms for their statement through the same pool.
/// At 7 it was 12–13 ms (`jiaoban bench --reuse`, 2026-12-06, four runs
/// at 61 beside four at 3, 7 and 15). A look costs one `epoll_wait` that
/// does not block.
const EVENT_INTERVAL: u32 = 7;

/// The runtime of the commands that answer requests (`serve`, `demo`) and
/// of `jiaoban bench`, which measures them.
pub fn serving_runtime() -> std::io::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread().enable_all().event_interval(EVENT_INTERVAL).build()
}

pub fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info,sqlx=warn,sea_orm=warn".into());
    let _ = tracing_subscriber::fmt().with_env_filter(filter).try_init();
}

fn fail(message: &str) -> ExitCode {
    eprintln!("jiaoban: {message}");
    ExitCode::FAILURE
}

fn bad_input(message: &str) -> ExitCode {
    eprintln!("{message}");
    ExitCode::from(BAD_INPUT)
}
