//! Startup is a value: [`Application::build`] binds (port 0 in tests), wires
//! the database, the rules and the scheduler, and [`Application::run_until_stopped`]
//! serves until the shutdown future resolves.

use crate::app::{accounts, scheduler, App, MailSettings};
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
        let db = crate::db::connect(&url).await?;
        let mail = MailSettings { smtp_url: config.smtp_url.clone(), data_dir: config.data_dir.clone(), public_url: config.public_url.clone() };
        let app = App::new(db, Arc::new(wf), test_start.is_some(), mail);
        scheduler::init(&app, test_start).await.map_err(|e| anyhow::anyhow!("failed to start the scheduler: {e}"))?;
        if let Some(password) = accounts::ensure_admin(&app, config.admin_password.clone()).await.map_err(|e| anyhow::anyhow!("{e}"))? {
            tracing::warn!("first start: created user `admin` with password {password} (shown once; set JIAOBAN_ADMIN_PASSWORD to choose it)");
        }
        let listener = tokio::net::TcpListener::bind(&config.bind).await.with_context(|| format!("failed to bind {}", config.bind))?;
        Ok(Application { listener, app })
    }

    pub fn port(&self) -> u16 {
        self.listener.local_addr().map(|a| a.port()).unwrap_or(0)
    }

    /// Serves and runs the scheduler until `shutdown` resolves.
    pub async fn run_until_stopped(self, shutdown: impl Future<Output = ()> + Send + 'static) -> anyhow::Result<()> {
        let scheduler = tokio::spawn(run_scheduler(self.app.clone()));
        let router = crate::http::router(self.app);
        tracing::info!(port = self.listener.local_addr()?.port(), "serving");
        let served = axum::serve(self.listener, router).with_graceful_shutdown(shutdown).await;
        scheduler.abort();
        served.context("the server failed")
    }
}

/// The real clock drives timers; with a test clock only requests move time,
/// and this loop just retries mail that could not be sent.
async fn run_scheduler(app: App) {
    let mut interval = tokio::time::interval(TICK);
    loop {
        interval.tick().await;
        let result = if app.test_clock {
            match app.now().await {
                Ok(now) => crate::app::outbox::deliver_due(&app, now).await.map(|_| 0),
                Err(e) => Err(e),
            }
        } else {
            scheduler::tick(&app).await
        };
        if let Err(e) = result {
            tracing::error!(error = %e, "scheduler tick failed");
        }
    }
}
