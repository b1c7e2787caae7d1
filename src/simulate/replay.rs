//! The replay: events and timers in time order, through the core.
//!
//! Issues live in memory, timers ordered by (instant, class, sequence)
//! ([`super::timers`]). At one instant the order is the one timeline.md fixes: the
//! start of the day (overdue charges) first, then the events in file order,
//! then the scheduled dispatch, then reminders — judged after all of them.
//! Violations and their revocation are in [`super::violations`].

use super::ids::IdTable;
use super::timers::Timers;
use super::violations::Violations;
use crate::core::Workflow;
use crate::core::clock::LocalTime;
use crate::core::engine::{self, Decision, Effect, Issue, Reminder, TimerKind};
use crate::core::report::{Class, Corrected, Item, ItemRef, ReportBook};
use crate::core::state::{Action, State};
use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};
use std::sync::Arc;

/// Heap classes at one instant, in the order they run.
const DAY_START: u8 = 0;
const SCHEDULED_DISPATCH: u8 = 1;
pub(super) const MAIL: u8 = 2;

#[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum Pending {
    /// The overdue day of the issue's assignment a.
    Overdue(usize, u32),
    Reminder(usize, Reminder),
    DispatchMail {
        listed_at: LocalTime,
        unit: usize,
    },
    /// A mail owed whatever happens (`revoked:`), by its key.
    Mail(String),
    ScheduledDispatch,
}

pub(super) struct SimIssue {
    /// Shared with the report items that name it: a clone is a count.
    pub code: Arc<str>,
    /// The unit of the current assignment.
    pub unit: usize,
    pub facts: Issue,
    /// Its entry in `dispatched`: the latest, for a reassigned issue.
    pub listed: usize,
    /// Its charge's item, to take out if it is withdrawn in time.
    item: Option<ItemRef>,
}

pub(super) struct Replay<'w> {
    pub wf: &'w Workflow,
    pub reminders: bool,
    pub issues: Vec<SimIssue>,
    ids: IdTable,
    pub units: Vec<Arc<str>>,
    unit_ids: HashMap<Arc<str>, usize>,
    pool: Vec<usize>,
    /// Issues in order of dispatch (a reassigned issue again at its
    /// reassignment: only the entry at its `listed` counts), then registration.
    pub dispatched: Vec<usize>,
    timers: Timers,
    mail_keys: HashSet<String>,
    pub sent: Vec<(LocalTime, String)>,
    pub book: ReportBook,
    pub violations: Violations,
}

impl<'w> Replay<'w> {
    pub fn new(wf: &'w Workflow, reminders: bool) -> Replay<'w> {
        Replay {
            wf,
            reminders,
            issues: Vec::new(),
            ids: IdTable::default(),
            units: Vec::new(),
            unit_ids: HashMap::default(),
            pool: Vec::new(),
            dispatched: Vec::new(),
            timers: Timers::default(),
            mail_keys: HashSet::default(),
            sent: Vec::new(),
            book: ReportBook::default(),
            violations: Violations::default(),
        }
    }

    /// Starts the dispatch schedule at the first event: one due at that very
    /// instant still runs, after the events of that instant.
    pub fn start(&mut self, first: LocalTime) {
        let before = LocalTime::new(first.naive() - chrono::Duration::seconds(1));
        self.schedule_dispatch_after(before);
    }

    fn schedule_dispatch_after(&mut self, after: LocalTime) {
        if let Some(next) = self.wf.next_dispatch_after(after) {
            self.push(next, SCHEDULED_DISPATCH, Pending::ScheduledDispatch);
        }
    }

    pub(super) fn push(&mut self, at: LocalTime, class: u8, what: Pending) {
        self.timers.push(at, class, what);
    }

    /// Runs everything due before `t`, and at `t` the start of day; with
    /// `inclusive`, everything due at `t` as well.
    pub fn run_until(&mut self, t: LocalTime, inclusive: bool) {
        while let Some((at, class)) = self.timers.peek() {
            let due = at < t || (at == t && (inclusive || class == DAY_START));
            if !due {
                break;
            }
            let (at, what) = self.timers.pop().expect("peeked");
            self.fire(at, what);
        }
    }

    fn fire(&mut self, at: LocalTime, what: Pending) {
        match what {
            Pending::Overdue(i, assignment) => {
                let decision = engine::on_timer(self.wf, &self.issues[i].facts, TimerKind::Overdue { assignment }, at);
                self.apply(i, &decision);
            }
            Pending::Reminder(i, reminder) => {
                if reminder.is_owed(&self.issues[i].facts) {
                    self.sent.push((at, reminder.key(&self.issues[i].code)));
                }
            }
            Pending::DispatchMail { listed_at, unit } => {
                self.sent.push((at, crate::core::mail_keys::dispatch_key(listed_at, &self.units[unit])));
            }
            Pending::Mail(key) => self.sent.push((at, key)),
            Pending::ScheduledDispatch => {
                self.dispatch(at);
                self.schedule_dispatch_after(at);
            }
        }
    }

    pub fn unit_index(&mut self, name: &str) -> usize {
        if let Some(&i) = self.unit_ids.get(name) {
            return i;
        }
        let name: Arc<str> = name.into();
        self.units.push(name.clone());
        self.unit_ids.insert(name, self.units.len() - 1);
        self.units.len() - 1
    }

    pub fn register(&mut self, code: &str, unit: &str) -> Result<(), String> {
        if self.ids.get(code, |i| &self.issues[i].code).is_some() {
            return Err(format!("issue `{code}` is already registered"));
        }
        let unit = self.unit_index(unit);
        self.issues.push(SimIssue { code: code.into(), unit, facts: Issue::registered(), listed: 0, item: None });
        self.ids.insert(code, self.issues.len() - 1);
        self.pool.push(self.issues.len() - 1);
        Ok(())
    }

    /// Dispatches the whole pool at `at`, in registration order. An issue
    /// withdrawn while pooled has left the pool: it is skipped here rather
    /// than searched for when withdrawn.
    pub fn dispatch(&mut self, at: LocalTime) {
        for i in std::mem::take(&mut self.pool) {
            if self.issues[i].facts.state != State::Registered {
                continue;
            }
            let decision = engine::step(self.wf, &self.issues[i].facts, Action::Dispatch, at);
            let decision = decision.as_ref().expect("pooled issues are registered, and registered issues can be dispatched");
            self.list(i);
            self.apply(i, decision);
            if self.reminders && self.mail_keys.insert(crate::core::mail_keys::dispatch_key(at, &self.units[self.issues[i].unit])) {
                let send = self.wf.calendar.next_working(at);
                self.push(send, MAIL, Pending::DispatchMail { listed_at: at, unit: self.issues[i].unit });
            }
        }
    }

    /// Puts the issue at the end of the dispatch order.
    fn list(&mut self, i: usize) {
        self.issues[i].listed = self.dispatched.len();
        self.dispatched.push(i);
    }

    pub fn act(&mut self, code: &str, action: Action, at: LocalTime) -> Result<(), String> {
        let i = self.issue(code)?;
        let decision = engine::step(self.wf, &self.issues[i].facts, action, at);
        self.apply(i, decision.as_ref().map_err(|e| e.to_string())?);
        Ok(())
    }

    /// 改派: the core knows assignments, not units, so the unit is checked
    /// and changed here. The issue moves to the end of the dispatch order.
    pub fn reassign(&mut self, code: &str, unit: &str, at: LocalTime) -> Result<(), String> {
        let i = self.issue(code)?;
        let decision = engine::step(self.wf, &self.issues[i].facts, Action::Reassign, at);
        let decision = decision.as_ref().map_err(|e| e.to_string())?;
        let unit = self.unit_index(unit);
        if unit == self.issues[i].unit {
            return Err(format!("`reassign` must name another unit: `{}` already has issue `{code}`", self.units[unit]));
        }
        self.issues[i].unit = unit;
        self.list(i);
        self.apply(i, decision);
        Ok(())
    }

    fn issue(&self, code: &str) -> Result<usize, String> {
        self.ids.get(code, |i| &self.issues[i].code).ok_or_else(|| format!("unknown issue `{code}`"))
    }

    /// Whether issue `i` belongs in the open list at the end.
    pub fn is_open(&self, i: usize, entry: usize) -> bool {
        let issue = &self.issues[i];
        issue.listed == entry && !issue.facts.charged && issue.facts.state != State::Withdrawn
    }

    /// Stores the issue's new facts and carries out the effects. By
    /// reference: a decision is hundreds of bytes, mostly empty room for
    /// effects, and copying it about showed in profiles.
    fn apply(&mut self, i: usize, decision: &Decision) {
        self.issues[i].facts = decision.issue.clone();
        let unit = self.issues[i].unit;
        let names = |r: &Self| (r.issues[i].code.clone(), r.units[unit].clone());
        for effect in &decision.effects {
            match *effect {
                Effect::Charge(ref c) => {
                    let (issue, name) = names(self);
                    let item = Item::Issue { issue, unit: name, dispatched: c.dispatched, completed: c.completed, days: c.days, points: c.points };
                    self.issues[i].item = Some(self.book.add(self.wf, c.quarter, unit, Class::Tier(c.tier), item));
                }
                Effect::Uncharge(_) => {
                    if let Some(item) = self.issues[i].item.take() {
                        self.book.remove(item);
                    }
                }
                Effect::Correction(ref c) => {
                    let (issue, name) = names(self);
                    let item = Item::Correction { of: Corrected::Issue(issue), unit: name, corrects: c.corrects, date: c.date, points: c.points };
                    self.book.add(self.wf, c.quarter, unit, Class::Correction, item);
                }
                // Overdue timers of one day start fire in order of dispatch
                // (or reassignment), then registration: the order they are
                // pushed in.
                Effect::Timer(t) => match t.kind {
                    TimerKind::Overdue { assignment } => self.push(t.at, DAY_START, Pending::Overdue(i, assignment)),
                    TimerKind::Reminder(r) if self.reminders => self.push(t.at, MAIL, Pending::Reminder(i, r)),
                    TimerKind::Reminder(_) => {}
                },
            }
        }
    }
}
