//! SQLite keeps each prepared statement's plan, whatever is bound to it.
//!
//! Since 3.47 SQLite's planner reads the value bound to a `LIMIT ?` and
//! marks the statement to be prepared again whenever that parameter is
//! bound anew — even to the same value. sea-orm's `.one()` binds `LIMIT ?`
//! to 1, so the read of an issue, the clock, a unit or a session was parsed
//! and planned again on every execution: under `gdb`, a bench load of 300
//! issues re-prepared 17,346 statements; `perf` over the 20,000-issue load
//! put 11% of SQLite's worker thread in `sqlite3Reprepare`.
//!
//! The query planner stability guarantee (`SQLITE_DBCONFIG_ENABLE_QPSG`)
//! turns that off: a statement is planned once, when it is prepared. Our
//! statements' plans do not depend on their values (no statistics are
//! gathered, and the few `LIKE ?` searches scan anyway), so nothing is lost.

use sea_orm::sqlx::{self, sqlite::SqliteConnection};
use std::ffi::c_int;

/// Turns the guarantee on for one connection; run as each one opens.
pub(super) async fn keep(conn: &mut SqliteConnection) -> Result<(), sqlx::Error> {
    set(conn, 1).await.map(|_| ())
}

/// Sets the guarantee (`on` = 1 or 0; -1 leaves it) and returns it as it
/// then is.
async fn set(conn: &mut SqliteConnection, on: c_int) -> Result<bool, sqlx::Error> {
    let mut handle = conn.lock_handle().await?;
    let db = handle.as_raw_handle().as_ptr();
    let mut now: c_int = 0;
    // SAFETY: `db` is this connection's open handle, held locked for the
    // call; ENABLE_QPSG takes an int and a pointer to an int it writes.
    let rc = unsafe { libsqlite3_sys::sqlite3_db_config(db, libsqlite3_sys::SQLITE_DBCONFIG_ENABLE_QPSG, on, &mut now as *mut c_int) };
    if rc != libsqlite3_sys::SQLITE_OK {
        return Err(sqlx::Error::Configuration(format!("sqlite3_db_config(ENABLE_QPSG) returned {rc}").into()));
    }
    Ok(now != 0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use sea_orm::sqlx::Connection;

    #[tokio::test]
    async fn every_pooled_connection_keeps_its_plans() {
        let (_dir, pools) = super::super::temp_pools("plans.db").await;
        for db in [&pools.read, &pools.write] {
            let pool = db.get_sqlite_connection_pool();
            let mut conn = pool.acquire().await.expect("a connection");
            assert!(set(&mut conn, -1).await.expect("the setting"), "a pooled connection plans again on every LIMIT ?");
        }
        // A connection opened without it does not keep them: the check can fail.
        let mut plain = SqliteConnection::connect("sqlite::memory:").await.expect("a connection");
        assert!(!set(&mut plain, -1).await.expect("the setting"));
    }
}
