//! Rows handed over by the database as one JSON text.
//!
//! The drivers cost far more per row than the database does to write a
//! page as JSON and serde_json to read it: SQLite's runs every row through
//! a channel from its worker thread, copies every value and looks every
//! column up by name. Where a use case reads thousands of rows at a time
//! (a quarter's charges, a catch-up's timers), it asks for one value: an
//! array of arrays, which serde reads into a struct by position.
//!
//! On PostgreSQL the rows are read as rows ([`plain`]), by position without
//! sqlx's type check ([`crate::db::columns`]): `json_agg` cost PostgreSQL
//! more than sending the rows (`pgbench` on a bench database, a report page
//! of 2,000 charges: 7.8 ms as one JSON text, 4.0 ms as rows), and the
//! driver's cost per value is what reading by position removed.

use super::AppResult;
use crate::db::sql;
use sea_orm::{ConnectionTrait, DbBackend, Statement, Value};
use serde::de::DeserializeOwned;

/// `SELECT {columns} FROM {from} ORDER BY {order}`, each row as a JSON
/// array of `columns` in order, all of them in one JSON text
/// (`json_group_array` on SQLite, `json_agg` on PostgreSQL), read as `T`s.
/// `what` names the rows in the error if the text is not what `T` reads.
pub(crate) async fn rows<T: DeserializeOwned>(
    db: &impl ConnectionTrait,
    columns: &str,
    from: &str,
    order: &str,
    values: Vec<Value>,
    what: &str,
) -> AppResult<Vec<T>> {
    let backend = db.get_database_backend();
    let text = match backend {
        DbBackend::Postgres => format!("SELECT COALESCE(json_agg(json_build_array({columns}) ORDER BY {order}), '[]')::text FROM {from}"),
        _ => format!("SELECT json_group_array(json_array({columns}) ORDER BY {order}) FROM {from}"),
    };
    let row = db.query_one_raw(Statement::from_sql_and_values(backend, sql(backend, &text), values)).await?;
    let json: Option<String> = row.map(|r| r.try_get_by_index(0)).transpose()?;
    let rows = serde_json::from_str(json.as_deref().unwrap_or("[]")).map_err(|e| anyhow::anyhow!("the {what} the database wrote are not JSON: {e}"))?;
    Ok(rows)
}

/// `SELECT {columns} FROM {from} ORDER BY {order}`, the rows themselves:
/// PostgreSQL's side of [`rows`], for the caller to read by position.
pub(crate) async fn plain(db: &impl ConnectionTrait, columns: &str, from: &str, order: &str, values: Vec<Value>) -> AppResult<Vec<sea_orm::QueryResult>> {
    let backend = db.get_database_backend();
    let text = format!("SELECT {columns} FROM {from} ORDER BY {order}");
    Ok(db.query_all_raw(Statement::from_sql_and_values(backend, sql(backend, &text), values)).await?)
}
