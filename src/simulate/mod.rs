//! `jiaoban simulate`: replay a JSON Lines timeline and report (timeline.md).
//!
//! Streams its input: one line in memory at a time, so a timeline of a
//! million events needs memory for its issues, not for its text.

mod ids;
mod parse;
mod pretty;
mod raw;
mod replay;
mod scan;
mod timers;
mod violations;

use crate::core::Workflow;
use crate::core::clock::{LocalTime, Quarter};
use crate::core::report::{OpenEntry, QuarterReport, open_entry};
use crate::core::score::{YearReport, years};
use replay::Replay;
use serde::Serialize;
use std::io::BufRead;

#[derive(Debug, Serialize)]
pub struct Output {
    pub as_of: LocalTime,
    pub quarters: Vec<QuarterReport>,
    pub years: Vec<YearReport>,
    pub open: Vec<OpenEntry>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reminders: Option<Vec<SentMail>>,
}

#[derive(Debug, Serialize, PartialEq, Eq)]
pub struct SentMail {
    pub key: String,
    pub at: LocalTime,
}

/// Bad input: the message's first line is what standard error shows.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct BadInput(pub String);

/// Replays `input` and returns the report as of `as_of` (default: the last
/// event's time).
pub fn run(wf: &Workflow, input: impl BufRead, as_of: Option<&str>, reminders: bool) -> Result<Output, BadInput> {
    let as_of = as_of.map(|text| LocalTime::parse(text).map_err(|e| BadInput(format!("--as-of: {e}")))).transpose()?;
    let mut replay = Replay::new(wf, reminders);
    let (first, last) = read_events(&mut replay, input)?;
    let as_of = match as_of {
        Some(t) if t < last => return Err(BadInput(format!("--as-of: {t} is earlier than the last event ({last})"))),
        Some(t) => t,
        None => last,
    };
    replay.run_until(as_of, true);
    Ok(finish(replay, first, as_of, reminders))
}

fn read_events(replay: &mut Replay, mut input: impl BufRead) -> Result<(LocalTime, LocalTime), BadInput> {
    let mut buf = Vec::with_capacity(256);
    let mut number = 0usize;
    let mut span: Option<(LocalTime, LocalTime)> = None;
    loop {
        let ahead = input.fill_buf().map_err(|e| BadInput(format!("line {}: cannot read: {e}", number + 1)))?;
        if ahead.is_empty() {
            break;
        }
        number += 1;
        let previous = span.map(|s| s.1);
        let mut raw = raw::RawLine::default();
        let at = match scan::line(&mut raw, ahead) {
            // The common line, whole in the input's buffer, is read there:
            // no search for its end, no copy.
            Some(len) if ahead[len - 1] == b'\n' => {
                let at = apply(replay, parse::event(replay.wf, raw), previous);
                input.consume(len);
                at
            }
            // Any other on its own, read with care.
            _ => {
                buf.clear();
                input.read_until(b'\n', &mut buf).map_err(|e| BadInput(format!("line {number}: cannot read: {e}")))?;
                if buf.iter().all(u8::is_ascii_whitespace) {
                    continue;
                }
                apply(replay, parse::line(replay.wf, &buf), previous)
            }
        };
        let at = at.map_err(|e| BadInput(format!("line {number}: {e}")))?;
        span = Some((span.map_or(at, |s| s.0), at));
    }
    span.ok_or_else(|| BadInput("line 1: the timeline has no events".into()))
}

/// Applies one parsed line; returns its time.
fn apply(replay: &mut Replay, parsed: Result<(LocalTime, parse::Event), String>, previous: Option<LocalTime>) -> Result<LocalTime, String> {
    let (at, event) = parsed?;
    match previous {
        Some(p) if at < p => return Err(format!("time {at} is earlier than the previous line's ({p})")),
        None => replay.start(at),
        _ => {}
    }
    replay.run_until(at, false);
    match event {
        parse::Event::Register { issue, unit, .. } => replay.register(&issue, &unit)?,
        parse::Event::Dispatch => replay.dispatch(at),
        parse::Event::Move { issue, action } => replay.act(&issue, action, at)?,
        parse::Event::Reassign { issue, unit } => replay.reassign(&issue, &unit, at)?,
        parse::Event::Violation { unit, id } => replay.violation(&unit, id.as_deref(), at)?,
        parse::Event::Revoke { violation } => replay.revoke(&violation, at)?,
    }
    Ok(at)
}

fn finish(replay: Replay, first: LocalTime, as_of: LocalTime, reminders: bool) -> Output {
    let wf = replay.wf;
    let (from, to) = (Quarter::of(first.date()), Quarter::of(as_of.date()));
    let open = replay
        .dispatched
        .iter()
        .enumerate()
        .filter(|&(entry, &i)| replay.is_open(i, entry))
        .map(|(_, &i)| &replay.issues[i])
        .map(|issue| open_entry(wf, &issue.code, &replay.units[issue.unit], &issue.facts, as_of))
        .collect();
    let reminders = reminders.then(|| sent_mails(wf, replay.sent, from, to, as_of));
    let quarters = replay.book.quarters(wf, from, to, &replay.units);
    Output { as_of, years: years(wf, &quarters), quarters, open, reminders }
}

/// Issue and dispatch mails as sent, plus the quarter mails of the quarters
/// reported, in order of sending and then of key.
fn sent_mails(wf: &Workflow, sent: Vec<(LocalTime, String)>, from: Quarter, to: Quarter, as_of: LocalTime) -> Vec<SentMail> {
    let mut all: Vec<SentMail> = sent.into_iter().map(|(at, key)| SentMail { key, at }).collect();
    for (key, at) in from.through(to).flat_map(|q| crate::core::mail_keys::quarter_mails(wf, q)) {
        if at <= as_of {
            all.push(SentMail { key, at });
        }
    }
    all.sort_by(|a, b| (a.at, &a.key).cmp(&(b.at, &b.key)));
    all
}

/// Writes the output as the examples print it: pretty, one-space indent,
/// straight to `out` (a report can be a hundred megabytes).
pub fn write_json(output: &Output, out: impl std::io::Write) -> std::io::Result<()> {
    let mut ser = serde_json::Serializer::with_formatter(out, pretty::Pretty::default());
    output.serialize(&mut ser).map_err(std::io::Error::other)
}

/// The output as a string (tests, small reports).
pub fn to_json(output: &Output) -> String {
    let mut bytes = Vec::new();
    write_json(output, &mut bytes).expect("writing to memory cannot fail");
    String::from_utf8(bytes).expect("serde_json writes UTF-8")
}
