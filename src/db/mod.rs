//! The database adapter: connection, migrations, entities.
//!
//! SQLite (embedded, the default) and PostgreSQL run the same schema and the
//! same queries. They differ in how concurrent writers are kept apart:
//!
//! - SQLite has one writer at a time, and a deferred transaction that read
//!   before another writer committed fails at its first write with "database
//!   is locked" (SQLITE_BUSY_SNAPSHOT: the busy handler is not even asked).
//!   So SQLite gets two pools: a *writer* of one connection, reached only
//!   through [`crate::app::App::write`] (an in-process queue, then `BEGIN
//!   IMMEDIATE`, which takes the write lock up front and waits for it under
//!   the busy timeout if another process holds it), and *readers* that are
//!   `query_only`, so a write that slips past the writer path fails in tests
//!   instead of racing in production. WAL lets readers go on while the
//!   writer writes; `synchronous=FULL` makes every commit durable before the
//!   request that caused it is answered.
//! - PostgreSQL instances share one pool each and coordinate through row
//!   locks (`FOR UPDATE SKIP LOCKED`) and conditional updates.

pub mod columns;
pub mod entities;
pub mod queries;
mod stable_plans;
pub mod stepped;

use anyhow::Context;
use migration::{Migrator, MigratorTrait};
use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{ConnectOptions, Database, DatabaseConnection};
use std::time::Duration;

/// How long a writer waits for another process's SQLite write lock, and a
/// request for a pooled connection: long enough that a burst queues instead
/// of failing.
const WAIT: Duration = Duration::from_secs(30);
/// Readers on SQLite: WAL lets them all read at once.
const SQLITE_READERS: u32 = 16;
/// Connections per PostgreSQL instance.
const POSTGRES_POOL: u32 = 20;
/// A pooled connection idle this long is checked (a round trip) before it
/// is handed out: one a server, proxy or firewall may have dropped. sqlx's
/// default checks every connection at every statement, which cost each
/// list page a second round trip to PostgreSQL (and SQLite's a hop to its
/// worker thread and back); a connection in steady use is known alive.
const CHECK_IDLE: Duration = Duration::from_secs(10);
/// A reader's page cache, in KiB (SQLite's default is 2,000 per
/// connection). Sixteen readers each filling their own cache made `serve`'s
/// memory creep up for a quarter of an hour under the soak as one reader
/// after another was handed a large query; the file's pages stay in the OS
/// cache, so a reader that misses reads them back without touching the disk.
const READER_CACHE_KIB: u32 = 512;
/// All of SQLite's memory in this process (page caches, prepared statements)
/// past which it recycles cached pages instead of allocating new ones.
const SQLITE_SOFT_HEAP_BYTES: u64 = 32 << 20;

/// Prepared statements the SQLite writer keeps (sqlx's default is 100): a
/// write's first statement is prepared once for each place in a group it
/// can hold, up to 64 (app/write.rs).
const WRITER_STATEMENTS: usize = 1_000;

/// The connections of one instance: `read` for queries, `write` for
/// transactions that change something (the same pool on PostgreSQL).
#[derive(Clone)]
pub struct Pools {
    pub read: DatabaseConnection,
    pub write: DatabaseConnection,
}

/// Connects, tunes SQLite, and applies migrations.
#[tracing::instrument(skip_all, err)]
pub async fn connect(url: &str) -> anyhow::Result<Pools> {
    let pools = if is_sqlite(url) {
        let write = open(url, 1, false).await?;
        // Migrate before the readers open: they may not create anything.
        Migrator::up(&write, None).await.context("failed to apply migrations")?;
        let read = open(url, SQLITE_READERS, true).await?;
        Pools { read, write }
    } else {
        let db = open(url, POSTGRES_POOL, false).await?;
        Migrator::up(&db, None).await.context("failed to apply migrations")?;
        Pools { read: db.clone(), write: db }
    };
    Ok(pools)
}

pub fn is_sqlite(url: &str) -> bool {
    url.starts_with("sqlite")
}

async fn open(url: &str, max: u32, query_only: bool) -> anyhow::Result<DatabaseConnection> {
    let mut options = ConnectOptions::new(url.to_string());
    options
        .max_connections(max)
        .min_connections(if query_only { 1 } else { 0 })
        .acquire_timeout(WAIT)
        .test_before_acquire_if_idle_for(CHECK_IDLE)
        .sqlx_logging(false);
    options.map_sqlx_sqlite_opts(move |o| {
        let o = o
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .busy_timeout(WAIT)
            .pragma("soft_heap_limit", SQLITE_SOFT_HEAP_BYTES.to_string());
        // temp_store stays FILE: kept in memory, a savepoint's sub-journal
        // is truncated at each statement's end by walking it from the start,
        // so a write of many statements (a dispatch of 3,200 issues) became
        // quadratic — 6 s more in `jiaoban bench`, timed moves no faster.
        match query_only {
            true => o.pragma("query_only", "ON").pragma("cache_size", format!("-{READER_CACHE_KIB}")),
            // A write's first statement comes prepared once per place in a
            // group (`SAVEPOINT wN; …`, app/write.rs): room for them all
            // beside the rest, or they would push each other out.
            false => o.statement_cache_capacity(WRITER_STATEMENTS),
        }
    });
    options.map_sqlx_sqlite_pool_opts(|o| o.after_connect(|conn, _| Box::pin(stable_plans::keep(conn))));
    let mut db = Database::connect(options).await.with_context(|| format!("failed to connect to {}", redact(url)))?;
    db.set_metric_callback(queries::count_one);
    Ok(db)
}

/// How SQLite would run `statement` over a freshly migrated empty database:
/// one `detail` line per step of `EXPLAIN QUERY PLAN`. For the tests that a
/// province-sized query reads an index, not a whole table.
#[cfg(test)]
pub async fn sqlite_plan(mut statement: sea_orm::Statement) -> Vec<String> {
    use migration::MigratorTrait;
    use sea_orm::ConnectionTrait;
    let db = Database::connect("sqlite::memory:").await.expect("an in-memory database");
    migration::Migrator::up(&db, None).await.expect("the migrations");
    statement.sql = format!("EXPLAIN QUERY PLAN {}", statement.sql);
    let rows = db.query_all_raw(statement).await.expect("a plan");
    rows.iter().map(|r| r.try_get::<String>("", "detail").expect("a detail column")).collect()
}

/// A migrated SQLite database in a temporary folder, with its reader and
/// writer pools as the service opens them; the folder lives as long as
/// the returned guard.
#[cfg(test)]
pub async fn temp_pools(file: &str) -> (tempfile::TempDir, Pools) {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let pools = connect(&format!("sqlite://{}?mode=rwc", dir.path().join(file).display())).await.expect("the pools");
    (dir, pools)
}

/// Run first in a PostgreSQL transaction that reads many rows in an
/// index's order (a catch-up's due timers, a report's page of charges).
/// With the default random_page_cost (4, a spinning disk's) the planner
/// priced reading the index in order above reading every matching row and
/// sorting them: 43 ms against 6.7 ms for a catch-up's batch, 5–7 ms
/// against 1.4 ms for a report's page (EXPLAIN ANALYZE, bench database,
/// all of it in shared buffers). On an SSD or from the cache a random
/// read costs about what a sequential one does. For that transaction
/// only: the list pages were measured and tuned under the default.
pub const INDEX_ORDER: &str = "SET LOCAL random_page_cost = 1.1";

/// Raw SQL written with `?` placeholders, numbered `$1, $2 …` for
/// PostgreSQL. (The texts never hold a literal `?`.)
pub fn sql(backend: sea_orm::DbBackend, text: &str) -> String {
    if backend != sea_orm::DbBackend::Postgres {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len() + 8);
    let mut n = 0;
    for c in text.chars() {
        if c == '?' {
            n += 1;
            out.push('$');
            out.push_str(&n.to_string());
        } else {
            out.push(c);
        }
    }
    out
}

/// `select` with its LIMIT (and OFFSET) written into the text, not bound.
///
/// PostgreSQL plans a prepared statement afresh at every execution for as
/// long as its generic plan looks dearer than the custom ones, and with
/// the LIMIT a parameter the generic plan cannot know how few rows are
/// wanted, so it never wins: under 16 readers of the list's first page,
/// planning was a third of the database's time. Both numbers are integers:
/// nothing can be injected through them.
pub fn windowed(backend: sea_orm::DbBackend, select: &sea_orm::sea_query::SelectStatement, limit: u64, offset: u64) -> sea_orm::Statement {
    let mut statement = backend.build(select);
    statement.sql.push_str(&format!(" LIMIT {limit}"));
    if offset > 0 {
        statement.sql.push_str(&format!(" OFFSET {offset}"));
    }
    statement
}

/// The models of `select`, at most `limit` of them after `offset`, with
/// the window written into the statement ([`windowed`]).
pub async fn all_windowed<E: sea_orm::EntityTrait>(
    db: &impl sea_orm::ConnectionTrait,
    select: sea_orm::Select<E>,
    limit: u64,
    offset: u64,
) -> Result<Vec<E::Model>, sea_orm::DbErr> {
    use sea_orm::QueryTrait;
    let statement = windowed(db.get_database_backend(), &select.into_query(), limit, offset);
    E::find().from_raw_sql(statement).all(db).await
}

/// A URL without its password, for logs.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => format!("{}://…@{}", &url[..scheme], &url[at + 1..]),
        _ => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::windowed;
    use crate::db::entities::issue;
    use sea_orm::{ColumnTrait, DbBackend, EntityTrait, QueryFilter, QueryOrder, QueryTrait};

    /// The window is text, so PostgreSQL can keep one plan of a page's
    /// statement; the filter's values stay bound.
    #[test]
    fn a_window_is_written_into_the_statement_and_the_filter_stays_bound() {
        let select = issue::Entity::find().filter(issue::Column::UnitId.eq("u1")).order_by_asc(issue::Column::RegSeq).into_query();
        for backend in [DbBackend::Postgres, DbBackend::Sqlite] {
            let first = windowed(backend, &select, 50, 0);
            assert!(first.sql.ends_with("ORDER BY \"issues\".\"reg_seq\" ASC LIMIT 50"), "{backend:?}: {}", first.sql);
            let third = windowed(backend, &select, 50, 100);
            assert!(third.sql.ends_with(" LIMIT 50 OFFSET 100"), "{backend:?}: {}", third.sql);
            assert_eq!(third.values.map(|v| v.0.len()), Some(1), "{backend:?}: only the unit is bound");
        }
    }
}
