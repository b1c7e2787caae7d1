//! API tests: the real service on port 0, SQLite and PostgreSQL.

mod access;
mod corrections;
mod faults;
mod fuzz;
mod helpers;
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
