//! The rows of the report page: a quarter's items (issues and violations),
//! its corrections of earlier quarters (更正, negative points, apart so that
//! a refund is never mistaken for a charge), and the issues carried over.

use crate::core::Workflow;
use crate::core::report::{Corrected, Item, OpenEntry};
use std::collections::HashMap;

pub struct ItemRow {
    pub kind: String,
    pub code: String,
    pub id: Option<String>,
    pub unit: String,
    pub dispatched: String,
    pub completed: String,
    pub days: String,
    pub points: String,
    pub note: String,
}

/// 更正: minus a charge of a frozen quarter, booked in this one.
pub struct CorrectionRow {
    /// `更正 2021Q1`
    pub corrects: String,
    /// The issue's code, or `违规记录 #id`.
    pub what: String,
    /// The issue's page, when the viewer may see it.
    pub id: Option<String>,
    pub unit: String,
    pub date: String,
    pub points: String,
}

pub struct OpenRow {
    pub code: String,
    pub id: Option<String>,
    pub unit: String,
    pub state: String,
    pub dispatched: String,
    pub days: i64,
    pub points: String,
}

/// The quarter's items, and its corrections apart; `ids` maps the codes of
/// the issues the viewer may open to their ids.
pub fn items(items: &[Item], ids: &HashMap<String, String>) -> (Vec<ItemRow>, Vec<CorrectionRow>) {
    let (mut out, mut corrections) = (Vec::new(), Vec::new());
    for i in items {
        match i {
            Item::Issue { issue, unit, dispatched, completed, days, points } => out.push(ItemRow {
                kind: "问题".into(),
                id: ids.get(&**issue).cloned(),
                code: issue.to_string(),
                unit: unit.to_string(),
                dispatched: dispatched.to_string(),
                completed: completed.map_or_else(|| "未完成".to_string(), |c| c.to_string()),
                days: days.to_string(),
                points: points.to_string(),
                note: String::new(),
            }),
            Item::Violation { unit, date, points, note, .. } => out.push(ItemRow {
                kind: "未执行调度".into(),
                id: None,
                code: String::new(),
                unit: unit.to_string(),
                dispatched: date.to_string(),
                completed: String::new(),
                days: String::new(),
                points: points.to_string(),
                note: note.clone().unwrap_or_default(),
            }),
            Item::Correction { of, unit, corrects, date, points } => {
                let (what, id) = match of {
                    Corrected::Issue(code) => (format!("撤销问题 {code}"), ids.get(&**code).cloned()),
                    Corrected::Violation(v) => (format!("撤销违规记录 #{v}"), None),
                };
                corrections.push(CorrectionRow {
                    corrects: format!("更正 {corrects}"),
                    what,
                    id,
                    unit: unit.to_string(),
                    date: date.to_string(),
                    points: points.to_string(),
                });
            }
        }
    }
    (out, corrections)
}

pub fn open(wf: &Workflow, list: Vec<OpenEntry>, ids: &HashMap<String, String>) -> Vec<OpenRow> {
    list.into_iter()
        .map(|o| OpenRow {
            id: ids.get(&o.issue).cloned(),
            code: o.issue,
            unit: o.unit,
            state: wf.state_label(o.state).to_string(),
            dispatched: o.dispatched.to_string(),
            days: o.days,
            points: o.provisional_points.to_string(),
        })
        .collect()
}
