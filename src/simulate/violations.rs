//! Violations (未执行调度方案或者指令) and their revocation in the replay.
//!
//! A violation is no issue: it has no state, only a charge on the date it is
//! recorded, so it is kept here by its timeline `id` rather than in the
//! issue table. Whether a revocation removes it or books a correction is
//! the core's [`undo`], as for a withdrawn issue.

use super::replay::{MAIL, Pending, Replay};
use crate::core::charge;
use crate::core::clock::LocalTime;
use crate::core::correction::{Booked, Undo, undo};
use crate::core::mail_keys::revoked_key;
use crate::core::report::{Class, Corrected, Item, ItemRef};
use rustc_hash::FxHashMap as HashMap;
use std::sync::Arc;

/// The violations that were given an id, the only ones a revocation can name.
#[derive(Default)]
pub(super) struct Violations {
    by_id: HashMap<Arc<str>, Recorded>,
}

struct Recorded {
    unit: usize,
    booked: Booked,
    item: ItemRef,
    revoked: bool,
}

impl Replay<'_> {
    pub fn violation(&mut self, unit: &str, id: Option<&str>, at: LocalTime) -> Result<(), String> {
        if let Some(id) = id.filter(|id| self.violations.by_id.contains_key(*id)) {
            return Err(format!("violation id `{id}` is already used"));
        }
        let unit = self.unit_index(unit);
        let id: Option<Arc<str>> = id.map(Arc::from);
        let (quarter, points) = (charge::violation_quarter(at), self.wf.violation_points);
        let item = Item::Violation { unit: self.units[unit].clone(), date: at.date(), points, note: None, violation: id.clone() };
        let item = self.book.add(self.wf, quarter, unit, Class::Violation, item);
        if let Some(id) = id {
            self.violations.by_id.insert(id, Recorded { unit, booked: Booked { quarter, points }, item, revoked: false });
        }
        Ok(())
    }

    /// 撤销违规记录, once.
    pub fn revoke(&mut self, id: &str, at: LocalTime) -> Result<(), String> {
        let (wf, units) = (self.wf, &self.units);
        let (key, record) = self.violations.by_id.get_key_value(id).ok_or_else(|| format!("unknown violation `{id}`"))?;
        if record.revoked {
            return Err(format!("violation `{id}` is already revoked"));
        }
        let (key, unit, booked, item) = (key.clone(), record.unit, record.booked, record.item);
        let unit_name = units[unit].clone();
        match undo(wf, booked, at) {
            Undo::Remove(_) => self.book.remove(item),
            Undo::Correct(c) => {
                let item = Item::Correction { of: Corrected::Violation(key.clone()), unit: unit_name, corrects: c.corrects, date: c.date, points: c.points };
                self.book.add(wf, c.quarter, unit, Class::Correction, item);
            }
            Undo::Nothing => {}
        }
        if let Some(record) = self.violations.by_id.get_mut(id) {
            record.revoked = true;
        }
        if self.reminders {
            self.push(wf.calendar.next_working(at), MAIL, Pending::Mail(revoked_key(&key)));
        }
        Ok(())
    }
}
