//! Thousands of rows read at once (a catch-up's timers), each backend the
//! way that measured fastest. (A quarter report's charges are stepped on
//! SQLite instead, [`crate::db::stepped`]: each row becomes an item while
//! it is current, so no JSON is written or read.)
//!
//! SQLite hands them over as one JSON text. Its driver costs far more per
//! row than the database does to write a page as JSON and serde_json to
//! read it: it runs every row through a channel from its worker thread,
//! copies every value and looks every column up by name. So the statement
//! asks for one value, an array of arrays, which serde reads into a struct
//! by position.
//!
//! PostgreSQL sends the rows themselves, read by position without sqlx's
//! type check ([`crate::db::columns`]): `json_agg` cost PostgreSQL more
//! than sending the rows (`pgbench` on a bench database, a report page of
//! 2,000 charges: 7.8 ms as one JSON text, 4.0 ms as rows), and the
//! driver's cost per value is what reading by position removed.

use super::AppResult;
use crate::db::sql;
use sea_orm::{ConnectionTrait, DbBackend, DbErr, QueryResult, Statement, Value};
use serde::de::DeserializeOwned;
use std::cmp::Ordering;

/// A row of a [`rows`] read, in either backend's form.
pub(crate) trait Line: Sized {
    /// One element of SQLite's JSON text: the columns in order.
    type Json: DeserializeOwned;
    fn from_json(json: Self::Json) -> Self;
    /// A PostgreSQL row of the columns in order.
    fn by_position(row: &QueryResult) -> Result<Self, DbErr>;
    /// The rows' order (the `order` given to [`rows`]).
    fn order(a: &Self, b: &Self) -> Ordering;
}

/// `SELECT {columns} FROM {from} ORDER BY {order}`, read as `T`s: on SQLite
/// each row a JSON array of `columns` in order, all of them in one JSON
/// text (`json_group_array`); on PostgreSQL the rows. `what` names the rows
/// in the error if the text is not what `T` reads.
pub(crate) async fn rows<T: Line>(db: &impl ConnectionTrait, columns: &str, from: &str, order: &str, values: Vec<Value>, what: &str) -> AppResult<Vec<T>> {
    let backend = db.get_database_backend();
    if backend == DbBackend::Postgres {
        let text = format!("SELECT {columns} FROM {from} ORDER BY {order}");
        let found = db.query_all_raw(Statement::from_sql_and_values(backend, sql(backend, &text), values)).await?;
        return Ok(found.iter().map(T::by_position).collect::<Result<_, _>>()?);
    }
    // Not `json_group_array(… ORDER BY {order})`: SQLite sorts an ordered
    // aggregate's input in a temporary b-tree even when `from` already
    // yields its rows in that order (its own ORDER BY … LIMIT), and
    // inserting a report's page into that b-tree was a tenth of the
    // report's time. The rows arrive in `from`'s order; sorting them here
    // keeps the order certain and costs one pass when they are in it.
    let text = format!("SELECT json_group_array(json_array({columns})) FROM {from}");
    let row = db.query_one_raw(Statement::from_sql_and_values(backend, sql(backend, &text), values)).await?;
    let json: Option<String> = row.map(|r| r.try_get_by_index(0)).transpose()?;
    let lines: Vec<T::Json> =
        serde_json::from_str(json.as_deref().unwrap_or("[]")).map_err(|e| anyhow::anyhow!("the {what} the database wrote are not JSON: {e}"))?;
    let mut lines: Vec<T> = lines.into_iter().map(T::from_json).collect();
    lines.sort_by(T::order);
    Ok(lines)
}
