//! The workflow file exactly as written, before any meaning is checked.
//!
//! `deny_unknown_fields` everywhere: a misspelt key is a mistake the clerk
//! should hear about, not a rule silently left at some default.

use serde::Deserialize;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct File {
    pub workflow: Meta,
    pub states: Vec<StateDef>,
    pub roles: std::collections::BTreeMap<String, String>,
    pub moves: Vec<MoveDef>,
    pub tiers: Vec<TierDef>,
    pub overdue: Labelled,
    pub violation: Labelled,
    pub report: Report,
    pub dispatch: Dispatch,
    pub reminders: Reminders,
    pub working_hours: WorkingHours,
    pub lists: Lists,
    pub mail: Mail,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Meta {
    pub name: String,
    pub title: String,
    pub version: String,
    pub timezone: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StateDef {
    pub name: String,
    pub label: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MoveDef {
    pub action: String,
    pub from: String,
    pub to: String,
    pub role: String,
    pub label: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TierDef {
    pub up_to_day: i64,
    pub points: String,
    pub label: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Labelled {
    pub points: String,
    pub label: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Report {
    pub due_day: i64,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Dispatch {
    pub cron: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Reminders {
    pub warn_before_days: i64,
    pub recheck_wait_hours: i64,
    pub quarter_due_before_days: i64,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WorkingHours {
    pub start: String,
    pub end: String,
    pub weekdays: Vec<String>,
    #[serde(default)]
    pub holidays: Vec<String>,
    #[serde(default)]
    pub workdays: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Lists {
    pub sources: Vec<String>,
    pub categories: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Mail {
    pub from: String,
    pub dispatcher: String,
    pub rechecker: String,
    pub water_department: String,
}
