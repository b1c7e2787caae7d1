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
    pub violation: ViolationDef,
    pub corrections: Corrections,
    pub score: Score,
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
    pub from: States,
    pub to: String,
    pub role: String,
    pub label: String,
    #[serde(default)]
    pub evidence: Option<EvidenceDef>,
}

/// `from = "assigned"` or, for a move allowed from several states (撤销),
/// `from = ["registered", "assigned", …]`.
#[derive(Debug)]
pub struct States(pub Vec<String>);

impl<'de> Deserialize<'de> for States {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<States, D::Error> {
        struct StatesVisitor;
        impl<'de> serde::de::Visitor<'de> for StatesVisitor {
            type Value = States;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a state name or a list of state names")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<States, E> {
                Ok(States(vec![v.to_string()]))
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<States, A::Error> {
                let mut names = Vec::new();
                while let Some(name) = seq.next_element::<String>()? {
                    names.push(name);
                }
                Ok(States(names))
            }
        }
        d.deserialize_any(StatesVisitor)
    }
}

/// What a move must carry (rules.md, Evidence); absent means nothing.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EvidenceDef {
    #[serde(default)]
    pub note: bool,
    #[serde(default)]
    pub photos: u32,
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
pub struct ViolationDef {
    pub points: String,
    pub label: String,
    #[serde(default)]
    pub evidence: Option<EvidenceDef>,
    pub revoke: RevokeDef,
}

/// 撤销违规记录: not a move of an issue, so it has its own table.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RevokeDef {
    pub role: String,
    pub label: String,
    #[serde(default)]
    pub evidence: Option<EvidenceDef>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Corrections {
    pub return_window_days: i64,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Score {
    pub item: String,
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
