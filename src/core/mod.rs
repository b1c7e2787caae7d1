//! The pure core: the rules of rules.md and nothing else.
//!
//! No tokio, sea-orm, axum or lettre in here, and the clock is never read:
//! every function that needs "now" takes it as a parameter, and everything
//! that should happen (a charge, a timer, a mail) comes back as data. The
//! replay (`jiaoban simulate`) and the live service both drive these same
//! functions, so a rule exists exactly once.
//!
//! - [`workflow`]: the workflow file, parsed into a valid [`Workflow`].
//! - [`clock`]: local times, calendar days, quarters and their due dates.
//! - [`calendar`]: working hours, so reminders wait for the morning.
//! - [`state`]: states, actions and the move table lookups.
//! - [`charge`]: the tiers and the four ways a charge becomes final.
//! - [`correction`]: taking a final charge back (withdrawal, revocation).
//! - [`engine`]: one issue's reaction to a move or a timer.
//! - [`reminder`]: the mails about one issue, and the timers.
//! - [`report`]: quarter reports and the open list, from charges.
//! - [`score`]: the year's score of each unit.

pub mod calendar;
pub mod charge;
pub mod clock;
pub mod correction;
pub mod day;
pub mod engine;
pub mod mail_keys;
pub mod points;
pub mod reminder;
pub mod report;
pub mod schedule;
pub mod score;
pub mod state;
pub mod workflow;

pub use clock::{LocalTime, Quarter};
pub use points::Points;
pub use workflow::Workflow;
