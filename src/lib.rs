//! jiaoban (交办): deadline-driven issue handling for a district
//! pollution-control office.
//!
//! - [`core`]: the rules, pure — states, moves, clock, tiers, charges, reports.
//! - [`simulate`]: replays a JSON Lines timeline through the core.
//! - [`cli`]: the `jiaoban` command line.

pub mod cli;
pub mod core;
pub mod simulate;
