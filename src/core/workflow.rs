//! The workflow file, parsed into a [`Workflow`] that is valid by construction.
//!
//! Parse, don't validate: once a `Workflow` exists, every state in its move
//! table is known, the tiers increase, the cron expression parses and the due
//! day exists in every month. A bad file is refused with the file, the key and
//! the reason, because the person fixing it is a clerk with a text editor.

mod path;
mod raw;
mod validate;

use super::calendar::WorkingCalendar;
use super::clock::LocalTime;
use super::points::Points;
use super::state::{Action, Role, State};
use std::fmt;
use std::path::Path;

#[derive(Debug, Clone)]
pub struct Workflow {
    pub name: String,
    pub title: String,
    pub version: String,
    pub timezone: chrono_tz::Tz,
    pub states: Vec<(State, String)>,
    pub roles: Vec<(Role, String)>,
    pub moves: Vec<MoveRule>,
    pub tiers: Vec<Tier>,
    pub overdue: Tier,
    pub violation_points: Points,
    pub violation_label: String,
    /// What recording a violation must carry.
    pub violation_evidence: Evidence,
    /// 撤销违规记录: who may revoke a violation, and with what.
    pub revoke: RevokeRule,
    /// R: a unit may return an issue up to and including day d + R.
    pub return_window_days: i64,
    /// S: what assessment item 10 is worth in a year (年度得分).
    pub item_score: Points,
    pub due_day: u32,
    pub dispatch_cron: String,
    pub dispatch_schedule: cron::Schedule,
    pub reminders: ReminderRules,
    pub calendar: WorkingCalendar,
    pub sources: Vec<String>,
    pub categories: Vec<String>,
    pub mail: MailAddresses,
}

/// One row of the move table. A move allowed from several states (撤销)
/// is one row per state, so that a lookup is always (state, action).
#[derive(Debug, Clone)]
pub struct MoveRule {
    pub action: Action,
    pub from: State,
    pub to: State,
    pub role: Role,
    pub label: String,
    pub evidence: Evidence,
}

/// What a move must carry (rules.md, Evidence): a note (the reason) and at
/// least `photos` photos. The service enforces it; `simulate` judges timing
/// only and ignores it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Evidence {
    pub note: bool,
    pub photos: u32,
}

#[derive(Debug, Clone)]
pub struct RevokeRule {
    pub role: Role,
    pub label: String,
    pub evidence: Evidence,
}

/// A deduction tier: days up to and including `up_to_day` cost `points`.
/// The overdue tier has no upper bound (`up_to_day` is `None`).
#[derive(Debug, Clone)]
pub struct Tier {
    pub up_to_day: Option<i64>,
    pub points: Points,
    pub label: String,
}

#[derive(Debug, Clone)]
pub struct ReminderRules {
    pub warn_before_days: i64,
    pub recheck_wait_hours: i64,
    pub quarter_due_before_days: i64,
}

#[derive(Debug, Clone)]
pub struct MailAddresses {
    pub from: String,
    pub dispatcher: String,
    pub rechecker: String,
    pub water_department: String,
}

/// Which tier an issue's days fall in: an index into `tiers`, where
/// `tiers.len()` means overdue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TierIndex(pub usize);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct WorkflowError {
    pub file: String,
    pub key: String,
    pub reason: String,
}

impl fmt::Display for WorkflowError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: key `{}`: {}", self.file, self.key, self.reason)
    }
}

impl Workflow {
    /// Reads and parses a workflow file.
    pub fn load(path: &Path) -> Result<Workflow, WorkflowError> {
        let file = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| WorkflowError {
            file: file.clone(),
            key: "(file)".into(),
            reason: format!("cannot read the file: {e}"),
        })?;
        Workflow::parse(&file, &text)
    }

    /// Parses the text of a workflow file; `file` names it in errors.
    pub fn parse(file: &str, text: &str) -> Result<Workflow, WorkflowError> {
        validate::parse(file, text)
    }

    /// What `action` must carry; every action is in the table (the parser
    /// makes sure), and all rows of one action carry the same.
    pub fn evidence(&self, action: Action) -> Evidence {
        self.moves.iter().find(|m| m.action == action).map(|m| m.evidence).unwrap_or_default()
    }

    /// The moves the path allows from `state`, in the file's order: what an
    /// issue page may offer, each with its role, label and evidence.
    pub fn moves_from(&self, state: State) -> impl Iterator<Item = &MoveRule> + '_ {
        self.moves.iter().filter(move |m| m.from == state)
    }

    /// The move `action` makes from `from`, if the path has one.
    pub fn transition(&self, from: State, action: Action) -> Option<&MoveRule> {
        self.moves.iter().find(|m| m.from == from && m.action == action)
    }

    /// The tier that `days` fall in.
    pub fn tier_index(&self, days: i64) -> TierIndex {
        let found = self.tiers.iter().position(|t| t.up_to_day.is_some_and(|up| days <= up));
        TierIndex(found.unwrap_or(self.tiers.len()))
    }

    pub fn tier(&self, index: TierIndex) -> &Tier {
        self.tiers.get(index.0).unwrap_or(&self.overdue)
    }

    pub fn points_for_days(&self, days: i64) -> Points {
        self.tier(self.tier_index(days)).points
    }

    /// The day (counted from dispatch) whose start makes an unfinished issue
    /// overdue: one past the last tier (31 with the shipped file).
    pub fn overdue_day(&self) -> i64 {
        self.tiers.last().and_then(|t| t.up_to_day).unwrap_or(0) + 1
    }

    /// The days on which each charged tier begins (16 and 31 with the
    /// shipped file): the days reminders warn about.
    pub fn tier_start_days(&self) -> impl Iterator<Item = i64> + '_ {
        self.tiers.iter().filter_map(|t| t.up_to_day).map(|up| up + 1)
    }

    /// The first scheduled dispatch strictly after `after`.
    pub fn next_dispatch_after(&self, after: LocalTime) -> Option<LocalTime> {
        super::schedule::next_after(&self.dispatch_schedule, after)
    }

    pub fn state_label(&self, state: State) -> &str {
        self.states.iter().find(|(s, _)| *s == state).map_or(state.as_str(), |(_, l)| l)
    }

    pub fn role_label(&self, role: Role) -> &str {
        self.roles.iter().find(|(r, _)| *r == role).map_or(role.as_str(), |(_, l)| l)
    }
}

#[cfg(test)]
mod tests;
