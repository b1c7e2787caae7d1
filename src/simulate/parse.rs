//! One timeline line → one [`Event`], or the reason it is bad.
//!
//! [`super::raw`] reads the JSON; this checks each field an event uses, so
//! that "wrong type" and "missing" are reported as such.

use super::raw::{RawLine, Scalar};
use crate::core::Workflow;
use crate::core::clock::LocalTime;
use crate::core::state::Action;
use std::borrow::Cow;

#[derive(Debug, PartialEq)]
pub enum Event<'a> {
    Register {
        issue: Cow<'a, str>,
        unit: Cow<'a, str>,
        title: Cow<'a, str>,
    },
    Dispatch,
    Move {
        issue: Cow<'a, str>,
        action: Action,
    },
    /// 改派 names the unit of the new assignment.
    Reassign {
        issue: Cow<'a, str>,
        unit: Cow<'a, str>,
    },
    /// `id` lets a later `revoke` name it.
    Violation {
        unit: Cow<'a, str>,
        id: Option<Cow<'a, str>>,
    },
    Revoke {
        violation: Cow<'a, str>,
    },
}

/// Parses one non-blank line into its time and event.
pub fn line<'a>(wf: &Workflow, text: &'a [u8]) -> Result<(LocalTime, Event<'a>), String> {
    let first = text.iter().find(|b| !b.is_ascii_whitespace());
    if first != Some(&b'{') {
        return Err("not a JSON object".into());
    }
    // One UTF-8 check for the whole line, then serde_json's faster str reader.
    let text = std::str::from_utf8(text).map_err(|_| "not a JSON object: the line is not UTF-8".to_string())?;
    let mut raw = RawLine::default();
    raw.read(text).map_err(|e| format!("not a JSON object: {e}"))?;
    event(wf, raw)
}

/// The time and event of a line read into `raw`.
pub fn event<'a>(wf: &Workflow, raw: RawLine<'a>) -> Result<(LocalTime, Event<'a>), String> {
    let at = LocalTime::parse(&required(raw.at, "at")?)?;
    let kind = required(raw.event, "event")?;
    let event = match kind.as_ref() {
        "register" => {
            label(wf, raw.source, "source", &wf.sources)?;
            label(wf, raw.category, "category", &wf.categories)?;
            Event::Register { issue: required(raw.issue, "issue")?, unit: required(raw.unit, "unit")?, title: required(raw.title, "title")? }
        }
        "dispatch" => Event::Dispatch,
        "accept" => Event::Move { issue: required(raw.issue, "issue")?, action: Action::Accept },
        "report" => Event::Move { issue: required(raw.issue, "issue")?, action: Action::Report },
        "close" => Event::Move { issue: required(raw.issue, "issue")?, action: Action::Close },
        "recheck" => {
            let issue = required(raw.issue, "issue")?;
            match raw.passed {
                Some(Scalar::Bool(passed)) => Event::Move { issue, action: Action::recheck(passed) },
                None => return Err("field `passed` is missing".into()),
                Some(_) => return Err("field `passed` must be true or false".into()),
            }
        }
        "return" => Event::Move { issue: required(raw.issue, "issue")?, action: Action::Return },
        "reject_return" => Event::Move { issue: required(raw.issue, "issue")?, action: Action::RejectReturn },
        "withdraw" => Event::Move { issue: required(raw.issue, "issue")?, action: Action::Withdraw },
        "reassign" => Event::Reassign { issue: required(raw.issue, "issue")?, unit: required(raw.unit, "unit")? },
        "violation" => Event::Violation { unit: required(raw.unit, "unit")?, id: optional(raw.id, "id")? },
        "revoke" => Event::Revoke { violation: required(raw.violation, "violation")? },
        other => return Err(format!("unknown event `{other}`")),
    };
    Ok((at, event))
}

/// A required, non-empty string field.
fn required<'a>(value: Option<Scalar<'a>>, name: &str) -> Result<Cow<'a, str>, String> {
    match value {
        Some(Scalar::Str(s)) if !s.is_empty() => Ok(s),
        Some(Scalar::Str(_)) => Err(format!("field `{name}` is empty")),
        None => Err(format!("field `{name}` is missing")),
        Some(_) => Err(format!("field `{name}` must be a string")),
    }
}

/// An optional string field: absent or `null` is `None`; given, it must be
/// a non-empty string like a required one.
fn optional<'a>(value: Option<Scalar<'a>>, name: &str) -> Result<Option<Cow<'a, str>>, String> {
    value.map(|v| required(Some(v), name)).transpose()
}

/// An optional label that, when given, must be one of the workflow's list.
fn label(_wf: &Workflow, value: Option<Scalar<'_>>, name: &str, allowed: &[String]) -> Result<(), String> {
    match value {
        None => Ok(()),
        Some(Scalar::Str(s)) if allowed.iter().any(|a| a == s.as_ref()) => Ok(()),
        Some(Scalar::Str(s)) => Err(format!("{name} `{s}` is not one of: {}", allowed.join(", "))),
        Some(_) => Err(format!("field `{name}` must be a string")),
    }
}
