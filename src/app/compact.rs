//! Keeping the kept counts compact on PostgreSQL.
//!
//! `issue_counts` (units × states: 800 rows for a province) is summed by
//! every list's total, `charge_totals` by every report. Triggers update
//! their rows with every move and charge, and each update writes a new
//! version of a row. In steady use PostgreSQL prunes the old versions in
//! place; but while a long transaction runs (a big dispatch, a catch-up, a
//! `pg_dump`), none can be pruned, and the new versions spill onto new
//! pages. VACUUM frees the old versions later, yet never moves the live
//! ones back: after `jiaoban bench`'s load the 800 rows of `issue_counts`
//! lay on 104–186 pages, and every first page of the list read all of them
//! for its total — a third of its statement's time (9 pages once rewritten).
//!
//! Both tables are small and derived, so `VACUUM FULL` rewrites one in
//! milliseconds. It takes the table's strongest lock, though, which every
//! move waits for: it is asked for with a short lock timeout, on a
//! connection of its own that is closed afterwards (the timeout must not
//! stay with a pooled connection), and when the table is busy the next
//! round tries again.

use super::{App, AppResult};
use sea_orm::sqlx::{self, Row};
use sea_orm::{ConnectionTrait, DbBackend};

/// The tables rewritten when spread.
const TABLES: [&str; 2] = ["issue_counts", "charge_totals"];

/// Pages a table may take per page its rows need before it is rewritten:
/// room for the versions a busy minute leaves, without rewriting often.
const SPREAD: i64 = 4;

/// Rows of these tables a page holds at least (each under 100 bytes).
const ROWS_PER_PAGE: i64 = 50;

/// How long the rewrite waits for its lock before it gives up this round.
const LOCK_TIMEOUT: &str = "SET lock_timeout = '200ms'";

/// Rewrites each of [`TABLES`] that takes more than [`SPREAD`] times the
/// pages its rows need (PostgreSQL; SQLite's tables do not spread so). The
/// tables rewritten; one too busy to lock waits for the next call.
pub async fn compact_counts(app: &App) -> AppResult<Vec<&'static str>> {
    if app.backend() != DbBackend::Postgres {
        return Ok(Vec::new());
    }
    let mut rewritten = Vec::new();
    for table in TABLES {
        if spread(app, table).await? {
            match rewrite(app, table).await {
                Ok(()) => rewritten.push(table),
                // Most likely the lock timeout: the table is busy now.
                Err(e) => tracing::info!(table, error = %e, "did not compact a spread table this round"),
            }
        }
    }
    Ok(rewritten)
}

/// The pages `table` takes on disk, as an SQL expression.
fn pages_of(table: &str) -> String {
    format!("pg_relation_size('{table}') / current_setting('block_size')::bigint")
}

/// Whether `table` takes more than [`SPREAD`] times the pages its rows need.
async fn spread(app: &App, table: &str) -> AppResult<bool> {
    let text = format!("SELECT {} AS pages, (SELECT COUNT(*) FROM {table}) AS live", pages_of(table));
    let row = app.db.query_one_raw(sea_orm::Statement::from_string(DbBackend::Postgres, text)).await?;
    let (pages, live): (i64, i64) = match row {
        Some(r) => (r.try_get("", "pages")?, r.try_get("", "live")?),
        None => return Ok(false),
    };
    Ok(pages > SPREAD * (1 + live / ROWS_PER_PAGE))
}

async fn rewrite(app: &App, table: &str) -> Result<(), sqlx::Error> {
    let pool = app.writer.get_postgres_connection_pool();
    let mut conn = pool.acquire().await?;
    let done = async {
        sqlx::query(LOCK_TIMEOUT).execute(&mut *conn).await?;
        // The table's name is one of TABLES, not anything a user sent.
        sqlx::query(sqlx::AssertSqlSafe(format!("VACUUM (FULL, ANALYZE) {table}"))).execute(&mut *conn).await?;
        let pages: i64 = sqlx::query(sqlx::AssertSqlSafe(format!("SELECT {}", pages_of(table)))).fetch_one(&mut *conn).await?.try_get(0)?;
        tracing::info!(table, pages, "compacted a spread table");
        Ok::<_, sqlx::Error>(())
    }
    .await;
    // Closed, not returned to the pool: the lock timeout goes with it.
    let closed = conn.close().await;
    done.and(closed)
}
