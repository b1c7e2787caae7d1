//! The database adapter: connection, migrations, entities.
//!
//! SQLite (embedded, the default) and PostgreSQL run the same schema and the
//! same queries. SQLite has one writer at a time anyway, so writes take an
//! in-process lock instead of failing with SQLITE_BUSY; PostgreSQL instances
//! coordinate through row locks (`FOR UPDATE SKIP LOCKED`) on timers.

pub mod entities;

use anyhow::Context;
use migration::{Migrator, MigratorTrait};
use sea_orm::{ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DbBackend};
use std::time::Duration;

/// Connects, tunes SQLite for concurrent readers, and applies migrations.
#[tracing::instrument(skip_all, err)]
pub async fn connect(url: &str) -> anyhow::Result<DatabaseConnection> {
    let mut options = ConnectOptions::new(url.to_string());
    options.max_connections(if url.starts_with("sqlite") { 4 } else { 10 }).acquire_timeout(Duration::from_secs(10)).sqlx_logging(false);
    let db = Database::connect(options).await.with_context(|| format!("failed to connect to {}", redact(url)))?;
    if db.get_database_backend() == DbBackend::Sqlite {
        db.execute_unprepared("PRAGMA journal_mode=WAL;").await.context("failed to enable WAL")?;
        db.execute_unprepared("PRAGMA busy_timeout=10000;").await.context("failed to set busy timeout")?;
    }
    Migrator::up(&db, None).await.context("failed to apply migrations")?;
    Ok(db)
}

/// A URL without its password, for logs.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => format!("{}://…@{}", &url[..scheme], &url[at + 1..]),
        _ => url.to_string(),
    }
}
