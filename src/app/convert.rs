//! Rows ↔ core values, so that database rows never reach the core.

use super::{AppError, AppResult};
use crate::core::LocalTime;
use crate::core::engine::Issue;
use crate::core::state::State;
use crate::db::entities::issue;

pub fn time(text: &str) -> AppResult<LocalTime> {
    LocalTime::parse(text).map_err(|e| AppError::Unexpected(anyhow::anyhow!("stored time is corrupt: {e}")))
}

pub fn opt_time(text: &Option<String>) -> AppResult<Option<LocalTime>> {
    text.as_deref().map(time).transpose()
}

pub fn state(text: &str) -> AppResult<State> {
    text.parse().map_err(|e: String| AppError::Unexpected(anyhow::anyhow!("stored state is corrupt: {e}")))
}

/// The core's view of an issue row.
pub fn facts(row: &issue::Model) -> AppResult<Issue> {
    facts_of(FactColumns {
        state: &row.state,
        dispatched_at: &row.dispatched_at,
        reports: row.reports,
        last_report_at: &row.last_report_at,
        charged: row.charged,
        awaiting_at_overdue: row.awaiting_at_overdue,
        assignment: row.assignment,
        returns: row.returns,
    })
}

/// The columns of an issue row that its facts are made of: a list that
/// reads thousands of issues selects these, not the whole row.
pub struct FactColumns<'a> {
    pub state: &'a str,
    pub dispatched_at: &'a Option<String>,
    pub reports: i32,
    pub last_report_at: &'a Option<String>,
    pub charged: bool,
    pub awaiting_at_overdue: bool,
    pub assignment: i32,
    pub returns: i32,
}

/// The core's view of an issue from [`FactColumns`].
pub fn facts_of(c: FactColumns<'_>) -> AppResult<Issue> {
    Ok(Issue {
        state: state(c.state)?,
        dispatched_at: opt_time(c.dispatched_at)?,
        reports: u32::try_from(c.reports).unwrap_or(0),
        last_report: opt_time(c.last_report_at)?,
        charged: c.charged,
        awaiting_at_overdue: c.awaiting_at_overdue,
        assignment: u32::try_from(c.assignment).unwrap_or(0),
        returns: u32::try_from(c.returns).unwrap_or(0),
        // The charge lives in its own row: a withdrawal loads it
        // (`charges::booked`); nothing else asks.
        booked: None,
    })
}

/// Copies the core's new facts onto the row.
pub fn apply_facts(row: &mut issue::Model, facts: &Issue) {
    row.state = facts.state.as_str().to_string();
    row.dispatched_at = facts.dispatched_at.map(|t| t.to_string());
    row.reports = i32::try_from(facts.reports).unwrap_or(i32::MAX);
    row.last_report_at = facts.last_report.map(|t| t.to_string());
    row.charged = facts.charged;
    row.awaiting_at_overdue = facts.awaiting_at_overdue;
    row.assignment = i32::try_from(facts.assignment).unwrap_or(i32::MAX);
    row.returns = i32::try_from(facts.returns).unwrap_or(i32::MAX);
}
