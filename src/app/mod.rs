//! Use cases: load → `core` → persist, effects and all, in one transaction.
//!
//! Nothing here decides a rule; it asks the core and stores the answer. The
//! HTTP layer, the scheduler and the CLI all go through [`App`].

pub mod accounts;
pub mod attachments;
mod convert;
pub mod dispatch;
mod effects;
pub mod issues;
mod mail_text;
pub mod outbox;
pub mod reports;
pub mod scheduler;

use crate::core::state::Role;
use crate::core::{LocalTime, Workflow};
use sea_orm::{DatabaseConnection, DatabaseTransaction, DbBackend, TransactionTrait};
use std::path::PathBuf;
use std::sync::Arc;
use tokio::sync::{Mutex, MutexGuard};

/// Errors a use case reports; the HTTP layer maps each to a status.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("{0}")]
    BadInput(String),
    #[error("请先登录 (not signed in)")]
    Unauthenticated,
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Conflict(String),
    #[error("登录尝试过多，请稍后再试 (too many attempts)")]
    TooManyAttempts,
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

impl From<sea_orm::DbErr> for AppError {
    fn from(e: sea_orm::DbErr) -> AppError {
        AppError::Unexpected(anyhow::Error::new(e).context("database error"))
    }
}

pub type AppResult<T> = Result<T, AppError>;

/// Who is acting: a signed-in user, or the scheduler.
#[derive(Debug, Clone)]
pub struct Actor {
    pub user_id: String,
    pub username: String,
    pub role: Role,
    pub unit_id: Option<String>,
}

impl Actor {
    pub fn scheduler() -> Actor {
        Actor { user_id: "scheduler".into(), username: "scheduler".into(), role: Role::Dispatcher, unit_id: None }
    }

    pub fn require(&self, roles: &[Role]) -> AppResult<()> {
        if roles.contains(&self.role) { Ok(()) } else { Err(AppError::Forbidden(format!("角色 {} 无权执行此操作 (forbidden for role {})", self.role, self.role))) }
    }
}

#[derive(Debug, Clone)]
pub struct MailSettings {
    pub smtp_url: Option<String>,
    pub data_dir: PathBuf,
    pub public_url: Option<String>,
}

/// The application: database, rules and clock, shared by every request.
#[derive(Clone)]
pub struct App {
    pub db: DatabaseConnection,
    pub wf: Arc<Workflow>,
    pub test_clock: bool,
    pub mail: MailSettings,
    /// SQLite allows one writer; queueing here beats SQLITE_BUSY.
    write_lock: Option<Arc<Mutex<()>>>,
    /// Serializes scheduler runs inside one process (instances coordinate
    /// through the database).
    pub(crate) tick_lock: Arc<Mutex<()>>,
    /// Built once: an SMTP transport keeps a connection pool.
    pub(crate) transport: Arc<tokio::sync::OnceCell<crate::mail::Transport>>,
    /// Unit id → name. Units are never renamed or deleted, so every instance
    /// may keep what it has read.
    unit_names: Arc<std::sync::RwLock<std::collections::HashMap<String, String>>>,
}

impl App {
    pub fn new(db: DatabaseConnection, wf: Arc<Workflow>, test_clock: bool, mail: MailSettings) -> App {
        let sqlite = db.get_database_backend() == DbBackend::Sqlite;
        App { db, wf, test_clock, mail, write_lock: sqlite.then(|| Arc::new(Mutex::new(()))), tick_lock: Arc::new(Mutex::new(())), transport: Arc::default(), unit_names: Arc::default() }
    }

    pub fn backend(&self) -> DbBackend {
        self.db.get_database_backend()
    }

    /// Starts a write transaction (after the SQLite writer lock, if any).
    pub(crate) async fn write(&self) -> AppResult<(Option<MutexGuard<'_, ()>>, DatabaseTransaction)> {
        let guard = match &self.write_lock {
            Some(lock) => Some(lock.lock().await),
            None => None,
        };
        Ok((guard, self.db.begin().await?))
    }

    /// A unit's name, from memory after the first read.
    pub async fn unit_name(&self, id: &str) -> AppResult<String> {
        if let Some(name) = self.unit_names.read().unwrap_or_else(|p| p.into_inner()).get(id) {
            return Ok(name.clone());
        }
        let name = accounts::unit_name(&self.db, id).await?;
        if !name.is_empty() {
            self.unit_names.write().unwrap_or_else(|p| p.into_inner()).insert(id.to_string(), name.clone());
        }
        Ok(name)
    }

    /// The service's "now": the test clock when on, else the system clock in
    /// the workflow's zone.
    pub async fn now(&self) -> AppResult<LocalTime> {
        if self.test_clock {
            return scheduler::stored_clock(&self.db).await?.ok_or_else(|| AppError::Unexpected(anyhow::anyhow!("test clock not initialised")));
        }
        Ok(LocalTime::new(chrono::Utc::now().with_timezone(&self.wf.timezone).naive_local()))
    }
}
