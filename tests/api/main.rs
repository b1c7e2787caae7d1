//! API tests: the real service on port 0, SQLite and PostgreSQL.

/// `both_backends! { f, g }`: tests `sqlite::f` and `postgres::f` calling
/// `f(Backend)`; the PostgreSQL one fails without the server unless
/// skipping is allowed (support/require.rs). Defined before the modules
/// that use it.
macro_rules! both_backends {
    ($($name:ident),+ $(,)?) => {
        mod sqlite { $( #[tokio::test(flavor = "multi_thread", worker_threads = 2)] async fn $name() { super::$name(crate::helpers::Backend::Sqlite).await } )+ }
        mod postgres { $( #[tokio::test(flavor = "multi_thread", worker_threads = 2)] async fn $name() { if crate::helpers::postgres_ready().await { super::$name(crate::helpers::Backend::Postgres).await } } )+ }
    };
}

mod access;
mod bench;
mod corrections;
mod dispatch_batch;
mod faults;
mod fuzz;
mod helpers;
mod mail_log;
mod queries;
mod real_clock;
pub mod replay;
#[path = "../support/require.rs"]
mod require;
mod security;
#[path = "../support/sink.rs"]
mod sink;
mod smtp;
mod soak;
mod toolkit;
mod upgrade;
