//! jiaoban (交办): deadline-driven issue handling for a district
//! pollution-control office.
//!
//! - [`core`]: the rules, pure — states, moves, clock, tiers, charges, reports.
//! - [`simulate`]: replays a JSON Lines timeline through the core.
//! - [`app`]: use cases — load, ask the core, persist with effects.
//! - [`db`], [`http`], [`mail`]: thin adapters; [`web`]: the zh-CN pages.
//! - [`startup`]: the service as a value; [`cli`]: the command line.
//! - [`bench`]: `jiaoban bench`, a province loaded and measured.

pub mod app;
pub mod bench;
pub mod cli;
pub mod core;
pub mod db;
pub mod demo;
pub mod http;
pub mod import;
pub mod mail;
pub mod simulate;
pub mod startup;
pub mod web;
