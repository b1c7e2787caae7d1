//! Use cases: load → `core` → persist, effects and all, in one transaction.
//!
//! Nothing here decides a rule; it asks the core and stores the answer. The
//! HTTP layer, the scheduler and the CLI all go through [`App`].

pub mod accounts;
pub mod attachments;
pub mod audit;
mod batch;
pub mod charges;
pub mod chase;
pub mod compact;
mod convert;
pub mod delivery;
pub mod dispatch;
mod due;
mod effects;
mod handover;
pub mod history;
pub mod identity;
pub mod inbox;
pub mod issues;
pub mod mail_log;
mod mail_text;
pub mod metrics;
pub mod moves;
pub mod open_list;
pub mod outbox;
mod reminders;
mod report_items;
pub mod reports;
pub use report_items::ItemStream;
pub mod scheduler;
pub mod search;
pub mod session_cache;
pub mod sessions;
pub mod stats;
pub mod timeline;
pub mod timers;
pub mod violations;
mod write;

use crate::core::state::Role;
use crate::core::{LocalTime, Workflow};
use sea_orm::{DatabaseConnection, DbBackend};
use std::path::PathBuf;
use std::sync::Arc;
use tokio::sync::Mutex;

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
    #[error("待提交的上传文件已达 {0} 个，请先提交或稍后再传 (too many uploads waiting for a move)")]
    TooManyUploads(u64),
    /// Shown with its whole cause chain (`{:#}`), so one log line says
    /// what failed and why.
    #[error("{0:#}")]
    Unexpected(#[from] anyhow::Error),
}

impl From<sea_orm::DbErr> for AppError {
    /// The database's own refusals that a request can cause are the
    /// client's to fix or retry (4xx); everything else is unexpected.
    fn from(e: sea_orm::DbErr) -> AppError {
        if let Some(sea_orm::SqlErr::UniqueConstraintViolation(_)) = e.sql_err() {
            return AppError::Conflict("与已有记录重复 (already exists)".into());
        }
        match sqlstate(&e).as_deref() {
            // PostgreSQL refuses NUL and bytes its encoding cannot hold.
            Some("22021" | "22P05") => AppError::BadInput("文本含有不允许的字符 (text holds a character that cannot be stored)".into()),
            // Two transactions crossed (PostgreSQL rolled one back).
            Some("40001" | "40P01") => AppError::Conflict("数据正被他人修改，请重试 (a concurrent change won; retry)".into()),
            _ => AppError::Unexpected(anyhow::Error::new(e).context("database error")),
        }
    }
}

/// The SQLSTATE (PostgreSQL) or extended result code (SQLite) of a
/// database error, if the database gave one.
fn sqlstate(e: &sea_orm::DbErr) -> Option<String> {
    use sea_orm::{DbErr, RuntimeErr};
    match e {
        DbErr::Exec(RuntimeErr::SqlxError(inner)) | DbErr::Query(RuntimeErr::SqlxError(inner)) => {
            inner.as_database_error().and_then(|d| d.code()).map(|c| c.into_owned())
        }
        _ => None,
    }
}

pub type AppResult<T> = Result<T, AppError>;

/// How the history names the scheduler's moves (the scheduled dispatch).
pub const SCHEDULER_NAME: &str = "系统（定时交办）";

/// Who is acting: a signed-in user, or the scheduler.
#[derive(Debug, Clone)]
pub struct Actor {
    pub user_id: String,
    pub username: String,
    /// 姓名, as the header and the history show it.
    pub name: String,
    pub role: Role,
    pub unit_id: Option<String>,
    /// An admin reset the password: nothing but changing it until then.
    pub must_change_password: bool,
}

impl Actor {
    pub fn scheduler() -> Actor {
        Actor {
            user_id: "scheduler".into(),
            username: "scheduler".into(),
            name: SCHEDULER_NAME.into(),
            role: Role::Dispatcher,
            unit_id: None,
            must_change_password: false,
        }
    }

    /// An actor of the command line (import, demo).
    pub fn tool(username: &str, role: Role) -> Actor {
        Actor { user_id: username.into(), username: username.into(), name: username.into(), role, unit_id: None, must_change_password: false }
    }

    pub fn require(&self, roles: &[Role]) -> AppResult<()> {
        if roles.contains(&self.role) {
            Ok(())
        } else {
            Err(AppError::Forbidden(format!("角色 {} 无权执行此操作 (forbidden for role {})", self.role, self.role)))
        }
    }
}

/// A write transaction and its instant ([`App::begin_move`]). The guards
/// are released when it is dropped, after the commit.
pub(crate) struct Move<'a> {
    pub tx: write::Write,
    pub now: LocalTime,
    _gate: Option<tokio::sync::RwLockReadGuard<'a, ()>>,
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
    /// For reading. On SQLite these connections are `query_only`: every
    /// change goes through [`App::write`].
    pub db: DatabaseConnection,
    writer: DatabaseConnection,
    pub wf: Arc<Workflow>,
    pub test_clock: bool,
    pub mail: MailSettings,
    /// SQLite's one writer and its group commit ([`write`]); `None` on PostgreSQL.
    group: Option<Arc<write::Group>>,
    /// Serializes scheduler runs inside one process (instances coordinate
    /// through the database).
    pub(crate) tick_lock: Arc<Mutex<()>>,
    /// Test clock only: an advance holds it exclusively and every move
    /// shares it, so no move slips between the jobs of an advance.
    pub(crate) clock_gate: Arc<tokio::sync::RwLock<()>>,
    /// This instance's mail senders.
    pub(crate) delivery: Arc<delivery::Delivery>,
    pub metrics: Arc<metrics::Metrics>,
    /// How long sign-ins last (configuration).
    pub sessions: sessions::SessionRules,
    /// Built once: an SMTP transport keeps a connection pool.
    pub(crate) transport: Arc<tokio::sync::OnceCell<crate::mail::Transport>>,
    /// Live sessions, kept a few seconds ([`session_cache`]).
    pub(crate) session_cache: Arc<session_cache::SessionCache>,
    /// Units by id, as read (see [`App::unit`]).
    units: Arc<std::sync::RwLock<std::collections::HashMap<String, Arc<crate::db::entities::unit::Model>>>>,
}

impl App {
    pub fn new(pools: crate::db::Pools, wf: Arc<Workflow>, test_clock: bool, mail: MailSettings) -> App {
        let sqlite = pools.write.get_database_backend() == DbBackend::Sqlite;
        App {
            db: pools.read,
            writer: pools.write.clone(),
            wf,
            test_clock,
            mail,
            group: sqlite.then(|| Arc::new(write::Group::new(pools.write.clone()))),
            tick_lock: Arc::new(Mutex::new(())),
            clock_gate: Arc::default(),
            delivery: Arc::default(),
            metrics: Arc::default(),
            sessions: sessions::SessionRules::default(),
            transport: Arc::default(),
            // PostgreSQL: kept only once this instance hears the others
            // ([`App::hear_sessions`]).
            session_cache: Arc::new(session_cache::SessionCache::new(sqlite)),
            units: Arc::default(),
        }
    }

    /// Listens for other instances' sign-outs, so that sessions may be kept
    /// in memory (PostgreSQL; on SQLite one process owns the file and this
    /// returns at once). Runs as long as the service.
    pub async fn hear_sessions(self) {
        if self.backend() == DbBackend::Postgres {
            session_cache::listen(self.writer.get_postgres_connection_pool().clone(), self.session_cache.clone()).await;
        }
    }

    /// Whether this instance keeps sessions in memory now: on PostgreSQL,
    /// only while it hears the others' sign-outs.
    pub fn keeps_sessions(&self) -> bool {
        self.session_cache.enabled()
    }

    pub fn backend(&self) -> DbBackend {
        self.db.get_database_backend()
    }

    /// Starts a move: a write transaction and the instant it is stamped
    /// with. On a test clock the instant is read inside the transaction,
    /// after any advance of the clock has finished ([`scheduler::clock_for_move`]).
    pub(crate) async fn begin_move(&self) -> AppResult<Move<'_>> {
        let gate = match self.test_clock {
            true => Some(self.clock_gate.read().await),
            false => None,
        };
        let tx = self.write().await?;
        let now = match self.test_clock {
            true => scheduler::clock_for_move(self, &tx).await?,
            false => self.now().await?,
        };
        Ok(Move { tx, now, _gate: gate })
    }

    /// A unit's name, from memory after the first read.
    pub async fn unit_name(&self, id: &str) -> AppResult<String> {
        Ok(self.unit(id).await?.map(|u| u.name.clone()).unwrap_or_default())
    }

    /// A unit, from memory after the first read: units are never renamed,
    /// edited or deleted, so every instance may keep what it has read (a
    /// catch-up's thousands of reminders would otherwise read it each).
    pub async fn unit(&self, id: &str) -> AppResult<Option<Arc<crate::db::entities::unit::Model>>> {
        if let Some(unit) = self.units.read().unwrap_or_else(|p| p.into_inner()).get(id) {
            return Ok(Some(unit.clone()));
        }
        let Some(unit) = accounts::unit_by_id(&self.db, id).await? else { return Ok(None) };
        let unit = Arc::new(unit);
        self.units.write().unwrap_or_else(|p| p.into_inner()).insert(id.to_string(), unit.clone());
        Ok(Some(unit))
    }

    /// The names of the units `ids` (id → name), from memory; the ones not
    /// read yet in one query. An unknown id is left out.
    pub async fn unit_names_of<'a>(&self, ids: impl IntoIterator<Item = &'a str>) -> AppResult<std::collections::HashMap<String, String>> {
        let mut names = std::collections::HashMap::new();
        let mut missing = Vec::new();
        {
            let known = self.units.read().unwrap_or_else(|p| p.into_inner());
            for id in ids {
                match known.get(id) {
                    Some(unit) => drop(names.insert(id.to_string(), unit.name.clone())),
                    None if !names.contains_key(id) && !missing.iter().any(|m| m == id) => missing.push(id.to_string()),
                    None => {}
                }
            }
        }
        if !missing.is_empty() {
            use crate::db::entities::unit;
            use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
            let found = unit::Entity::find().filter(unit::Column::Id.is_in(missing)).all(&self.db).await?;
            let mut known = self.units.write().unwrap_or_else(|p| p.into_inner());
            for unit in found {
                names.insert(unit.id.clone(), unit.name.clone());
                known.insert(unit.id.clone(), Arc::new(unit));
            }
        }
        Ok(names)
    }

    /// The id of the unit named `name`, if there is one (from memory once read).
    pub async fn unit_named(&self, name: &str) -> AppResult<Option<String>> {
        if let Some(unit) = self.units.read().unwrap_or_else(|p| p.into_inner()).values().find(|u| u.name == name) {
            return Ok(Some(unit.id.clone()));
        }
        use crate::db::entities::unit;
        use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
        let Some(found) = unit::Entity::find().filter(unit::Column::Name.eq(name)).one(&self.db).await? else { return Ok(None) };
        let id = found.id.clone();
        self.units.write().unwrap_or_else(|p| p.into_inner()).insert(id.clone(), Arc::new(found));
        Ok(Some(id))
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
