//! Startup is a value: [`Application::build`] binds (port 0 in tests), wires
//! the database, the rules and the scheduler, and [`Application::run_until_stopped`]
//! serves until the shutdown future resolves.

use crate::app::{App, MailSettings, accounts, delivery, scheduler};
use crate::core::{LocalTime, Workflow};
use anyhow::Context;
use std::future::Future;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// How often the real-clock scheduler looks for due timers.
const TICK: Duration = Duration::from_secs(5);

#[derive(Debug, Clone)]
pub struct Config {
    pub bind: String,
    pub data_dir: PathBuf,
    pub database_url: Option<String>,
    pub smtp_url: Option<String>,
    pub workflow: PathBuf,
    pub test_clock: Option<String>,
    pub public_url: Option<String>,
    pub admin_password: Option<String>,
    /// How long a sign-in lasts without a request, and in all.
    pub sessions: crate::app::sessions::SessionRules,
}

pub struct Application {
    listener: tokio::net::TcpListener,
    pub app: App,
}

impl Application {
    pub async fn build(config: Config) -> anyhow::Result<Application> {
        let wf = Workflow::load(&config.workflow).map_err(|e| anyhow::anyhow!("{e}"))?;
        let test_start = config.test_clock.as_deref().map(LocalTime::parse).transpose().map_err(|e| anyhow::anyhow!("--test-clock: {e}"))?;
        std::fs::create_dir_all(&config.data_dir).with_context(|| format!("failed to create {}", config.data_dir.display()))?;
        let url = config.database_url.clone().unwrap_or_else(|| format!("sqlite://{}?mode=rwc", config.data_dir.join("jiaoban.db").display()));
        let pools = crate::db::connect(&url).await?;
        let mail = MailSettings { smtp_url: config.smtp_url.clone(), data_dir: config.data_dir.clone(), public_url: config.public_url.clone() };
        let mut app = App::new(pools, Arc::new(wf), test_start.is_some(), mail);
        app.sessions = config.sessions;
        scheduler::init(&app, test_start).await.map_err(|e| anyhow::anyhow!("failed to start the scheduler: {e}"))?;
        let sealed = crate::app::history::seal(&app).await.map_err(|e| anyhow::anyhow!("failed to seal the history: {e}"))?;
        if sealed > 0 {
            tracing::info!(moves = sealed, "sealed the history rows of an earlier release");
        }
        crate::app::audit::workflow_in_force(&app).await.map_err(|e| anyhow::anyhow!("failed to audit the workflow: {e}"))?;
        if let Some(password) = accounts::ensure_admin(&app, config.admin_password.clone()).await.map_err(|e| anyhow::anyhow!("{e}"))? {
            tracing::warn!("first start: created user `admin` with password {password} (shown once; set JIAOBAN_ADMIN_PASSWORD to choose it)");
        }
        let listener = tokio::net::TcpListener::bind(&config.bind).await.with_context(|| format!("failed to bind {}", config.bind))?;
        Ok(Application { listener, app })
    }

    pub fn port(&self) -> u16 {
        self.listener.local_addr().map(|a| a.port()).unwrap_or(0)
    }

    /// Serves, runs the scheduler and delivers mail until `shutdown`
    /// resolves (or this future is dropped: the background tasks go with it).
    pub async fn run_until_stopped(self, shutdown: impl Future<Output = ()> + Send + 'static) -> anyhow::Result<()> {
        let mut background = Background::default();
        if !self.app.test_clock {
            background.spawn(run_scheduler(self.app.clone()));
        }
        background.spawn(delivery::run_worker(self.app.clone()));
        background.spawn(delivery::run_heartbeat(self.app.clone()));
        background.spawn(housekeeping(self.app.clone()));
        background.spawn(self.app.clone().hear_sessions());
        let router = crate::http::router(self.app);
        tracing::info!(port = self.listener.local_addr()?.port(), "serving");
        let served = axum::serve(self.listener, router.into_make_service_with_connect_info::<std::net::SocketAddr>()).with_graceful_shutdown(shutdown).await;
        served.context("the server failed")
    }
}

/// Tasks that live as long as the server: aborted when it stops, even if
/// the server's own future is dropped rather than finished (as tests do) —
/// otherwise a restarted service would run beside its own ghost.
#[derive(Default)]
struct Background(Vec<tokio::task::JoinHandle<()>>);

impl Background {
    fn spawn(&mut self, task: impl Future<Output = ()> + Send + 'static) {
        self.0.push(tokio::spawn(task));
    }
}

impl Drop for Background {
    fn drop(&mut self) {
        for task in &self.0 {
            task.abort();
        }
    }
}

/// Every minute: anchor the days the history has closed, and remove
/// uploads no move took within a day.
async fn housekeeping(app: App) {
    let mut interval = tokio::time::interval(Duration::from_secs(60));
    loop {
        interval.tick().await;
        if let Err(e) = crate::app::history::anchor_past_days(&app).await {
            tracing::error!(error = %e, "failed to anchor the history");
        }
        match crate::app::attachments::sweep(&app).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(files = n, "removed uploads no move took"),
            Err(e) => tracing::error!(error = %e, "failed to remove stale uploads"),
        }
        if let Err(e) = crate::app::compact::compact_counts(&app).await {
            tracing::error!(error = %e, "failed to check the kept counts' tables");
        }
    }
}

/// The real clock drives timers: a tick every few seconds fires what is
/// due. (On a test clock only `POST /api/test-clock` moves time.)
async fn run_scheduler(app: App) {
    let mut interval = tokio::time::interval(TICK);
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        interval.tick().await;
        if let Err(e) = scheduler::tick(&app).await {
            tracing::error!(error = %e, "scheduler tick failed");
        }
    }
}
