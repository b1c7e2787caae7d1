//! API tests: the real service on port 0, SQLite and PostgreSQL.

mod access;
mod helpers;
mod replay;
mod smtp;
mod soak;
mod faults;
mod fuzz;
mod upgrade;
#[path = "../support/require.rs"]
mod require;
#[path = "../support/sink.rs"]
mod sink;
