//! A SQLite read stepped on the connection's own handle, each row's
//! columns read where SQLite holds them (issue 12).
//!
//! The driver (sqlx) sends every row of a statement from the connection's
//! worker thread through a channel, copying each value into a row of its
//! own. For a quarter report of 250,000 charges that costs more than the
//! database's work; handing a page over as one JSON text
//! ([`crate::app::handover`]) costs SQLite the writing of the JSON and us
//! the parsing of it. Here a blocking thread takes a reader connection,
//! locks its handle (sqlx's worker waits meanwhile), prepares the
//! statement, and gives each row to the caller while it is current: a
//! text column is a `&str` into SQLite's own buffer, valid until the next
//! step, which the borrow of [`Row`] enforces.

use sea_orm::{DatabaseConnection, DbErr};
use std::ffi::{CStr, c_int};
use std::ptr::{NonNull, null_mut};

use libsqlite3_sys as ffi;

/// A value bound to the statement's `?`s, in order.
#[derive(Clone, Debug)]
pub enum Param {
    Int(i64),
    Text(String),
}

impl Param {
    /// The values sea-query bound to a statement, in order; None if one is
    /// neither an integer, a boolean nor text (a stepped read binds no
    /// other kind).
    pub fn of_values(values: &sea_orm::Values) -> Option<Vec<Param>> {
        use sea_orm::Value as V;
        let one = |v: &V| match v {
            V::BigInt(Some(n)) => Some(Param::Int(*n)),
            V::Int(Some(n)) => Some(Param::Int(i64::from(*n))),
            V::Bool(Some(b)) => Some(Param::Int(i64::from(*b))),
            V::String(Some(s)) => Some(Param::Text(s.clone())),
            _ => None,
        };
        values.iter().map(one).collect()
    }
}

/// The current row: its columns by position (0: the first).
pub struct Row<'s> {
    stmt: &'s Statement,
}

impl Row<'_> {
    /// An integer column; `None` when NULL.
    pub fn int(&self, at: usize) -> Option<i64> {
        let at = at as c_int;
        // SAFETY: the statement is prepared and stands on a row (`step`
        // returned SQLITE_ROW and has not been called again: `Row` borrows
        // the statement); an index past the columns reads as NULL.
        unsafe { (ffi::sqlite3_column_type(self.stmt.0.as_ptr(), at) != ffi::SQLITE_NULL).then(|| ffi::sqlite3_column_int64(self.stmt.0.as_ptr(), at)) }
    }

    /// A text column, borrowed from SQLite until the next row; `None` when
    /// NULL. Text that is not UTF-8 is an error, not a misreading.
    pub fn text(&self, at: usize) -> Result<Option<&str>, DbErr> {
        let (stmt, col) = (self.stmt.0.as_ptr(), at as c_int);
        // SAFETY: as in `int`. `sqlite3_column_text` is called before
        // `sqlite3_column_bytes` (SQLite's documented order), and the
        // pointer stays valid until the statement steps or is finalized,
        // both of which need the `&mut Statement` this row's borrow holds.
        // A null pointer is a NULL value or an out-of-memory error, told
        // apart by the column's type; a value costs no call to ask it.
        let bytes = unsafe {
            let text = ffi::sqlite3_column_text(stmt, col);
            if text.is_null() {
                return match ffi::sqlite3_column_type(stmt, col) {
                    ffi::SQLITE_NULL => Ok(None),
                    _ => Err(error(ffi::sqlite3_db_handle(stmt), "reading a column")),
                };
            }
            let len = ffi::sqlite3_column_bytes(stmt, col);
            std::slice::from_raw_parts(text, len.max(0) as usize)
        };
        std::str::from_utf8(bytes).map(Some).map_err(|e| DbErr::Type(format!("column {at} is not UTF-8: {e}")))
    }
}

/// A prepared statement, finalized when dropped.
struct Statement(NonNull<ffi::sqlite3_stmt>);

impl Drop for Statement {
    fn drop(&mut self) {
        // SAFETY: prepared by `prepare` on a connection still locked by
        // the caller of `each`, finalized once.
        unsafe { ffi::sqlite3_finalize(self.0.as_ptr()) };
    }
}

/// SQLite's message for the last error on `db`.
fn error(db: *mut ffi::sqlite3, what: &str) -> DbErr {
    // SAFETY: `db` is an open handle; the message is copied at once.
    let message = unsafe { CStr::from_ptr(ffi::sqlite3_errmsg(db)).to_string_lossy().into_owned() };
    DbErr::Custom(format!("{what}: {message}"))
}

fn prepare(db: *mut ffi::sqlite3, sql: &str, params: &[Param]) -> Result<Statement, DbErr> {
    let mut stmt = null_mut();
    let len = c_int::try_from(sql.len()).map_err(|_| DbErr::Custom("statement too long".into()))?;
    // SAFETY: `db` is open and locked for this thread; `sql` is valid for
    // `len` bytes (no NUL needed when the length is given).
    let rc = unsafe { ffi::sqlite3_prepare_v2(db, sql.as_ptr().cast(), len, &mut stmt, null_mut()) };
    let stmt = match (rc, NonNull::new(stmt)) {
        (ffi::SQLITE_OK, Some(stmt)) => Statement(stmt),
        (ffi::SQLITE_OK, None) => return Err(DbErr::Custom("an empty statement".into())),
        _ => return Err(error(db, "preparing a stepped read")),
    };
    for (i, param) in params.iter().enumerate() {
        let at = i as c_int + 1;
        // SAFETY: the statement is prepared; TRANSIENT makes SQLite copy
        // the text before the call returns.
        let rc = unsafe {
            match param {
                Param::Int(n) => ffi::sqlite3_bind_int64(stmt.0.as_ptr(), at, *n),
                Param::Text(s) => {
                    ffi::sqlite3_bind_text64(stmt.0.as_ptr(), at, s.as_ptr().cast(), s.len() as u64, ffi::SQLITE_TRANSIENT(), ffi::SQLITE_UTF8 as u8)
                }
            }
        };
        if rc != ffi::SQLITE_OK {
            return Err(error(db, "binding a stepped read"));
        }
    }
    Ok(stmt)
}

/// Runs the read `sql` with `params` on a reader connection of `db` (a
/// SQLite pool), on a blocking thread, handing `each` every row in the
/// statement's order with `state`; returns `state` after the last row, or
/// the first error (`each`'s own included).
pub async fn each<S, E, F>(db: &DatabaseConnection, sql: String, params: Vec<Param>, state: S, mut each: F) -> Result<S, E>
where
    S: Send + 'static,
    E: From<DbErr> + Send + 'static,
    F: FnMut(&mut S, Row<'_>) -> Result<(), E> + Send + 'static,
{
    let mut conn = db.get_sqlite_connection_pool().acquire().await.map_err(|e| E::from(DbErr::Conn(sea_orm::RuntimeErr::SqlxError(e.into()))))?;
    super::queries::count();
    let runtime = tokio::runtime::Handle::current();
    let read = tokio::task::spawn_blocking(move || -> Result<S, E> {
        // The connection moves here whole: if the caller goes away, this
        // thread still owns it until the statement is finalized.
        let mut handle = runtime.block_on(conn.lock_handle()).map_err(|e| E::from(DbErr::Conn(sea_orm::RuntimeErr::SqlxError(e.into()))))?;
        let db = handle.as_raw_handle().as_ptr();
        let stmt = prepare(db, &sql, &params)?;
        let mut state = state;
        loop {
            // SAFETY: a prepared statement on the locked connection.
            match unsafe { ffi::sqlite3_step(stmt.0.as_ptr()) } {
                // The row is `each`'s only for the call (its lifetime is
                // the call's), so no text of it outlives the next step.
                ffi::SQLITE_ROW => each(&mut state, Row { stmt: &stmt })?,
                ffi::SQLITE_DONE => break,
                _ => return Err(error(db, "stepping a read").into()),
            }
        }
        drop(stmt);
        Ok(state)
    });
    read.await.map_err(|e| E::from(DbErr::Custom(format!("a stepped read failed: {e}"))))?
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Rows arrive in order with their integers, NULLs and text (escapes,
    /// Chinese, an empty string) as stored; an error in SQL or in the
    /// caller's own work comes back as an error.
    #[tokio::test]
    async fn a_stepped_read_gives_every_row_as_stored() {
        let (_dir, pools) = super::super::temp_pools("stepped.db").await;
        use sea_orm::ConnectionTrait;
        pools
            .write
            .execute_unprepared("CREATE TABLE t (n INTEGER, s TEXT); INSERT INTO t VALUES (1, '中兴\"街道\n'), (2, NULL), (NULL, ''), (4, 'x')")
            .await
            .expect("the table");
        let sql = "SELECT n, s FROM t WHERE n IS NULL OR n < ? ORDER BY n DESC".to_string();
        let rows = each(&pools.read, sql, vec![Param::Int(3)], Vec::new(), |rows: &mut Vec<(Option<i64>, Option<String>)>, row| {
            rows.push((row.int(0), row.text(1)?.map(str::to_string)));
            Ok::<_, DbErr>(())
        })
        .await
        .expect("the rows");
        assert_eq!(rows, vec![(Some(2), None), (Some(1), Some("中兴\"街道\n".into())), (None, Some(String::new()))]);
        let text = each(&pools.read, "SELECT s FROM t WHERE s = ?".into(), vec![Param::Text("x".into())], 0, |n: &mut i32, _| {
            *n += 1;
            Ok::<_, DbErr>(())
        })
        .await
        .expect("a text parameter");
        assert_eq!(text, 1);
        let bad = each(&pools.read, "SELECT nope FROM t".into(), vec![], (), |_, _| Ok::<_, DbErr>(())).await;
        assert!(bad.is_err());
        let refused = each(&pools.read, "SELECT n FROM t".into(), vec![], (), |_, _| Err(DbErr::Custom("stop".into()))).await;
        assert!(matches!(refused, Err(DbErr::Custom(m)) if m == "stop"));
    }
}
