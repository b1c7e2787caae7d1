//! How many statements a request sends to the database.
//!
//! Every pool counts its statements into a task-local cell that the HTTP
//! layer opens around each request (`crate::http`), which logs the count at
//! debug level and, in debug builds, answers it in `X-Jiaoban-Queries` so a
//! test can hold a page to a fixed number of reads (no query per row).
//! Statements sent from a task the request spawned (the group commit's
//! commit, say) are not counted: they are not the request's reads.

use std::cell::Cell;
use std::future::Future;

tokio::task_local! {
    static QUERIES: Cell<u32>;
}

/// The pools' metric callback: one more statement for the current request,
/// if the statement runs inside one.
pub fn count_one(_: &sea_orm::metric::Info<'_>) {
    count();
}

/// One more statement for the current request, sent past the pools
/// ([`super::stepped`]).
pub fn count() {
    let _ = QUERIES.try_with(|n| n.set(n.get().saturating_add(1)));
}

/// Runs `f`, counting the statements it sends.
pub async fn counting<F: Future>(f: F) -> (F::Output, u32) {
    QUERIES
        .scope(Cell::new(0), async {
            let out = f.await;
            (out, QUERIES.with(Cell::get))
        })
        .await
}
