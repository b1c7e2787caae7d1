//! The forms of an issue page, built from the workflow: for the viewer's
//! role, one form per move the path allows from the state, the two
//! recheck moves sharing one form with two buttons.
//!
//! Which moves exist, who makes them, their labels and what evidence each
//! needs are the workflow's; the words around them (headings, what a
//! correction does to the deadline and the points) are [`super::words`]'.

use super::form::Kept;
use super::words::{self, Words};
use crate::app::moves::evidence_text;
use crate::core::Workflow;
use crate::core::state::{Action, Role, State};
use crate::core::workflow::Evidence;
use chrono::{Duration, NaiveDate};

pub struct Button {
    pub label: String,
    pub id: &'static str,
    pub class: &'static str,
    /// `passed` of a recheck button; empty for the others.
    pub passed: &'static str,
    pub confirm: String,
}

pub struct NoteField {
    pub id: &'static str,
    pub label: &'static str,
    pub placeholder: &'static str,
    /// Every move of the form needs the note.
    pub required: bool,
    /// No move of the form needs it.
    pub optional: bool,
}

/// What the last rejected try of a form sent, and what was wrong with it.
#[derive(Default)]
pub struct Tried {
    pub note: String,
    pub unit: String,
    pub kept: Vec<Kept>,
    pub note_error: Option<String>,
    pub unit_error: Option<String>,
    pub photo_errors: Vec<String>,
    pub error: Option<String>,
}

pub struct MoveForm {
    /// The section's id.
    pub key: &'static str,
    /// The URL's last segment: `/issues/{id}/{action}`.
    pub action: &'static str,
    pub heading: &'static str,
    /// The one fact to read first (the last day of a return).
    pub fact: Option<String>,
    pub explain: Vec<String>,
    /// What the form must carry, said before the button is pressed.
    pub needs: Option<String>,
    pub note: Option<NoteField>,
    pub photos: bool,
    pub photos_required: bool,
    /// 改派: the units it may go to.
    pub units: Vec<String>,
    pub buttons: Vec<Button>,
    pub back: &'static str,
    pub danger: bool,
    /// Rare and final (撤销): folded until opened, or until a try of it failed.
    pub folded: bool,
    /// The move's window has closed: this sentence instead of the form.
    pub closed: Option<String>,
    pub tried: Tried,
}

/// What the forms need to know about the issue and its viewer.
pub struct Context<'a> {
    pub wf: &'a Workflow,
    pub role: Role,
    pub state: State,
    pub unit: &'a str,
    pub dispatched: Option<NaiveDate>,
    pub today: NaiveDate,
    /// Every unit but the issue's own (改派's choices).
    pub other_units: Vec<String>,
    /// What withdrawing it would do to points (see [`words::take_back_effect`]).
    pub withdraw_effect: String,
}

/// The viewer's forms, in the workflow file's order.
pub fn forms(cx: &Context<'_>) -> Vec<MoveForm> {
    let mut out: Vec<(MoveForm, Vec<(String, Evidence)>)> = Vec::new();
    for rule in cx.wf.moves_from(cx.state).filter(|m| m.role == cx.role) {
        // Dispatch moves a whole list (交办清单), never one issue from its page.
        let Some(w) = words::of(rule.action) else { continue };
        let button = Button { label: rule.label.clone(), id: w.button, class: w.class, passed: w.passed, confirm: w.confirm.to_string() };
        match out.iter_mut().find(|(f, _)| f.action == rule.action.api_name()) {
            Some((form, evidence)) => {
                form.buttons.push(button);
                evidence.push((rule.label.clone(), rule.evidence));
            }
            None => out.push((new_form(cx, rule.action, &w, button), vec![(rule.label.clone(), rule.evidence)])),
        }
    }
    out.into_iter().map(|(form, evidence)| with_evidence(form, &evidence)).collect()
}

fn new_form(cx: &Context<'_>, action: Action, w: &Words, button: Button) -> MoveForm {
    let mut form = MoveForm {
        key: w.key,
        action: action.api_name(),
        heading: w.heading,
        fact: None,
        explain: w.explain.iter().map(|s| s.to_string()).collect(),
        needs: None,
        note: w.note.map(|(id, label, placeholder)| NoteField { id, label, placeholder, required: false, optional: true }),
        photos: w.photos,
        photos_required: false,
        units: if action == Action::Reassign { cx.other_units.clone() } else { Vec::new() },
        danger: w.danger,
        folded: w.folded,
        buttons: vec![button],
        back: w.back,
        closed: None,
        tried: Tried::default(),
    };
    let d = cx.dispatched;
    match action {
        Action::Return => {
            let last = d.map(|d| d + Duration::days(cx.wf.return_window_days));
            if let Some((d, last)) = d.zip(last) {
                form.fact = Some(format!("退回截止日：{last}（含当日）"));
                form.explain
                    .push(format!("交办日 {d} 起 {} 天内、签收前可退回。退回期间时限不停止：若攻坚办驳回，仍按交办日 {d} 计算。", cx.wf.return_window_days));
                if cx.today > last {
                    form.closed = Some(format!("退回期限已于 {last} 截止。如确属交办错误，请联系攻坚办。"));
                }
            }
        }
        Action::Reassign => {
            form.explain.push(format!("作为一次新的交办：新单位从今天（{}）起算时限；{}的这次交办作废，不计分。", cx.today, cx.unit));
        }
        Action::RejectReturn => {
            if let Some(d) = d {
                form.explain.push(format!("问题交还{}，交办日 {d} 不变，时限照常计算。", cx.unit));
                if crate::core::clock::days_between(d, cx.today) >= cx.wf.overdue_day() {
                    form.explain.push(format!("已过第 {} 天：驳回即按「{}」计 {} 分。", cx.wf.overdue_day(), cx.wf.overdue.label, cx.wf.overdue.points));
                }
            }
        }
        Action::Withdraw => {
            form.fact = Some(cx.withdraw_effect.clone());
            for b in &mut form.buttons {
                b.confirm = format!("{}{}", b.confirm, cx.withdraw_effect);
            }
        }
        _ => {}
    }
    form
}

/// The form's requirements from the workflow: one sentence, and the note
/// and photos marked required when every move of the form needs them.
fn with_evidence(mut form: MoveForm, evidence: &[(String, Evidence)]) -> MoveForm {
    let said: Vec<String> =
        evidence.iter().filter_map(|(label, e)| evidence_text(*e).map(|text| if evidence.len() > 1 { format!("{label}{text}") } else { text })).collect();
    form.needs = (!said.is_empty()).then(|| said.join("；"));
    let all_note = evidence.iter().all(|(_, e)| e.note);
    let any_note = evidence.iter().any(|(_, e)| e.note);
    if any_note && form.note.is_none() {
        form.note = Some(NoteField { id: "note", label: "说明", placeholder: "", required: false, optional: false });
    }
    if let Some(note) = &mut form.note {
        note.required = all_note;
        note.optional = !any_note;
    }
    let photos = evidence.iter().map(|(_, e)| e.photos).min().unwrap_or(0);
    form.photos |= evidence.iter().any(|(_, e)| e.photos > 0);
    form.photos_required = photos > 0;
    form
}

#[cfg(test)]
mod tests;
