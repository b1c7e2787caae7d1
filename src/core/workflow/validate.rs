//! From the raw file to a [`Workflow`]: every check names its key. The
//! path (states, roles, moves, evidence) is checked in [`super::path`].

use super::path::{evidence, moves, roles, states};
use super::raw;
use super::{MailAddresses, ReminderRules, RevokeRule, Tier, Workflow, WorkflowError};
use crate::core::calendar::{WorkingCalendar, parse_weekday};
use crate::core::points::Points;
use crate::core::state::Role;
use chrono::{Datelike, NaiveDate, NaiveTime};
use std::collections::BTreeSet;
use std::str::FromStr;

/// Builds errors that all carry the same file name.
pub(super) struct Errors<'a> {
    file: &'a str,
}

impl Errors<'_> {
    pub(super) fn at(&self, key: impl Into<String>, reason: impl Into<String>) -> WorkflowError {
        WorkflowError { file: self.file.to_string(), key: key.into(), reason: reason.into() }
    }
}

pub(super) fn parse(file: &str, text: &str) -> Result<Workflow, WorkflowError> {
    let errors = Errors { file };
    let de = toml::Deserializer::parse(text).map_err(|e| errors.at("(syntax)", e.message().to_string()))?;
    let raw: raw::File = serde_path_to_error::deserialize(de).map_err(|e| {
        let key = e.path().to_string();
        errors.at(if key == "." { "(top level)".into() } else { key }, e.inner().message().to_string())
    })?;
    build(&errors, raw)
}

fn build(errors: &Errors, raw: raw::File) -> Result<Workflow, WorkflowError> {
    let timezone = chrono_tz::Tz::from_str(&raw.workflow.timezone)
        .map_err(|_| errors.at("workflow.timezone", format!("unknown time zone `{}`", raw.workflow.timezone)))?;
    let states = states(errors, &raw.states)?;
    let roles = roles(errors, &raw.roles)?;
    let moves = moves(errors, &raw.moves, &states)?;
    let (tiers, overdue) = tiers(errors, &raw.tiers, &raw.overdue)?;
    let violation_points = Points::parse(&raw.violation.points).map_err(|r| errors.at("violation.points", r))?;
    let due_day = u32::try_from(raw.report.due_day)
        .ok()
        .filter(|d| (1..=28).contains(d))
        .ok_or_else(|| errors.at("report.due_day", format!("{} is not a day that every month has (1 to 28)", raw.report.due_day)))?;
    let dispatch_schedule = cron::Schedule::from_str(&raw.dispatch.cron)
        .map_err(|e| errors.at("dispatch.cron", format!("`{}` is not a cron expression (sec min hour day month weekday): {e}", raw.dispatch.cron)))?;
    let reminders = reminders(errors, &raw.reminders, &tiers)?;
    let overdue_day = tiers.last().and_then(|t| t.up_to_day).unwrap_or(0) + 1;
    let return_window_days = return_window(errors, raw.corrections.return_window_days, overdue_day)?;
    let item_score = item_score(errors, &raw.score.item)?;
    let revoke = RevokeRule {
        role: Role::from_str(&raw.violation.revoke.role).map_err(|r| errors.at("violation.revoke.role", r))?,
        label: non_empty(errors, "violation.revoke.label", raw.violation.revoke.label)?,
        evidence: evidence(&raw.violation.revoke.evidence),
    };
    Ok(Workflow {
        name: non_empty(errors, "workflow.name", raw.workflow.name)?,
        title: raw.workflow.title,
        version: non_empty(errors, "workflow.version", raw.workflow.version)?,
        timezone,
        states,
        roles,
        moves,
        tiers,
        overdue,
        violation_points,
        violation_label: raw.violation.label,
        violation_evidence: evidence(&raw.violation.evidence),
        revoke,
        return_window_days,
        item_score,
        due_day,
        dispatch_cron: raw.dispatch.cron,
        dispatch_schedule,
        reminders,
        calendar: calendar(errors, &raw.working_hours)?,
        sources: list(errors, "lists.sources", raw.lists.sources)?,
        categories: list(errors, "lists.categories", raw.lists.categories)?,
        mail: mail(errors, raw.mail)?,
    })
}

pub(super) fn non_empty(errors: &Errors, key: &str, value: String) -> Result<String, WorkflowError> {
    if value.trim().is_empty() { Err(errors.at(key, "must not be empty")) } else { Ok(value) }
}

fn tiers(errors: &Errors, defs: &[raw::TierDef], overdue: &raw::Labelled) -> Result<(Vec<Tier>, Tier), WorkflowError> {
    if defs.is_empty() {
        return Err(errors.at("tiers", "at least one tier is needed"));
    }
    let mut out: Vec<Tier> = Vec::new();
    for (i, def) in defs.iter().enumerate() {
        let points = Points::parse(&def.points).map_err(|r| errors.at(format!("tiers[{i}].points"), r))?;
        let floor = out.last().map_or(-1, |t| t.up_to_day.unwrap_or(0));
        if def.up_to_day <= floor || def.up_to_day > 3650 {
            return Err(errors.at(
                format!("tiers[{i}].up_to_day"),
                format!("{} must be greater than the previous tier's {} (tiers must increase)", def.up_to_day, floor.max(0)),
            ));
        }
        if out.last().is_some_and(|t| t.points > points) {
            return Err(errors.at(format!("tiers[{i}].points"), "a later tier may not cost less than an earlier one"));
        }
        out.push(Tier { up_to_day: Some(def.up_to_day), points, label: def.label.clone() });
    }
    let points = Points::parse(&overdue.points).map_err(|r| errors.at("overdue.points", r))?;
    if out.last().is_some_and(|t| t.points > points) {
        return Err(errors.at("overdue.points", "overdue may not cost less than the last tier"));
    }
    Ok((out, Tier { up_to_day: None, points, label: overdue.label.clone() }))
}

/// R must end before the overdue day begins: a return always comes before
/// any charge can be final, which is why a reassignment can void the first
/// assignment without refunding anything.
fn return_window(errors: &Errors, days: i64, overdue_day: i64) -> Result<i64, WorkflowError> {
    if (0..overdue_day).contains(&days) {
        Ok(days)
    } else {
        Err(errors.at(
            "corrections.return_window_days",
            format!(
                "{days} must be at least 0 and smaller than the overdue day {overdue_day}, so that a return always comes before the charge can become final"
            ),
        ))
    }
}

fn item_score(errors: &Errors, text: &str) -> Result<Points, WorkflowError> {
    let score = Points::parse(text).map_err(|r| errors.at("score.item", r))?;
    if score.is_zero() { Err(errors.at("score.item", "an assessment item worth nothing cannot be scored")) } else { Ok(score) }
}

fn reminders(errors: &Errors, raw: &raw::Reminders, tiers: &[Tier]) -> Result<ReminderRules, WorkflowError> {
    let first_start = tiers.first().and_then(|t| t.up_to_day).unwrap_or(0) + 1;
    if !(0..=first_start).contains(&raw.warn_before_days) {
        return Err(errors.at("reminders.warn_before_days", format!("must be between 0 and {first_start} days")));
    }
    if !(1..=24 * 365).contains(&raw.recheck_wait_hours) {
        return Err(errors.at("reminders.recheck_wait_hours", "must be between 1 and 8760 hours"));
    }
    if !(0..=80).contains(&raw.quarter_due_before_days) {
        return Err(errors.at("reminders.quarter_due_before_days", "must be between 0 and 80 days"));
    }
    Ok(ReminderRules {
        warn_before_days: raw.warn_before_days,
        recheck_wait_hours: raw.recheck_wait_hours,
        quarter_due_before_days: raw.quarter_due_before_days,
    })
}

fn calendar(errors: &Errors, raw: &raw::WorkingHours) -> Result<WorkingCalendar, WorkflowError> {
    let time = |key: &str, text: &str| NaiveTime::parse_from_str(text, "%H:%M").map_err(|_| errors.at(key, format!("`{text}` is not a time HH:MM")));
    let start = time("working_hours.start", &raw.start)?;
    let end = time("working_hours.end", &raw.end)?;
    if end <= start {
        return Err(errors.at("working_hours.end", "must be later than working_hours.start"));
    }
    let mut weekdays = BTreeSet::new();
    for (i, name) in raw.weekdays.iter().enumerate() {
        let day = parse_weekday(name).ok_or_else(|| errors.at(format!("working_hours.weekdays[{i}]"), format!("`{name}` is not a weekday (Mon … Sun)")))?;
        weekdays.insert(day.num_days_from_monday());
    }
    if weekdays.is_empty() {
        return Err(errors.at("working_hours.weekdays", "at least one working weekday is needed"));
    }
    Ok(WorkingCalendar {
        start,
        end,
        weekdays,
        holidays: dates(errors, "working_hours.holidays", &raw.holidays)?,
        workdays: dates(errors, "working_hours.workdays", &raw.workdays)?,
    })
}

fn dates(errors: &Errors, key: &str, texts: &[String]) -> Result<BTreeSet<NaiveDate>, WorkflowError> {
    texts
        .iter()
        .enumerate()
        .map(|(i, t)| {
            NaiveDate::parse_from_str(t, "%Y-%m-%d")
                .ok()
                .filter(|d| d.year() > 1900)
                .ok_or_else(|| errors.at(format!("{key}[{i}]"), format!("`{t}` is not a date YYYY-MM-DD")))
        })
        .collect()
}

fn list(errors: &Errors, key: &str, items: Vec<String>) -> Result<Vec<String>, WorkflowError> {
    if items.is_empty() {
        return Err(errors.at(key, "the list must not be empty"));
    }
    for (i, item) in items.iter().enumerate() {
        if item.trim().is_empty() || items[..i].contains(item) {
            return Err(errors.at(format!("{key}[{i}]"), format!("`{item}` is empty or repeated")));
        }
    }
    Ok(items)
}

fn mail(errors: &Errors, raw: raw::Mail) -> Result<MailAddresses, WorkflowError> {
    let address = |key: &str, value: String| {
        if value.contains('@') && !value.contains(char::is_whitespace) { Ok(value) } else { Err(errors.at(key, format!("`{value}` is not an e-mail address"))) }
    };
    Ok(MailAddresses {
        from: address("mail.from", raw.from)?,
        dispatcher: address("mail.dispatcher", raw.dispatcher)?,
        rechecker: address("mail.rechecker", raw.rechecker)?,
        water_department: address("mail.water_department", raw.water_department)?,
    })
}
