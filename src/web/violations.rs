//! 违规记录: recording a violation (未执行调度方案或者指令) and revoking one
//! recorded by mistake (撤销违规记录), each with its reason. The list is a
//! quarter's violations, revoked ones included and marked with why.

use super::form::Errors;
use super::layout::{Layout, Me, WebResult, render, render_status, short_time};
use super::view::{Flash, with_flash};
use super::words::take_back_effect;
use crate::app::moves::evidence_text;
use crate::app::violations::{self, ViolationView};
use crate::app::{AppError, accounts};
use crate::core::Quarter;
use crate::core::correction::{Booked, undo};
use crate::core::state::Role;
use crate::http::HttpState;
use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use serde::Deserialize;

pub struct Revoked {
    pub at: String,
    pub by: String,
    pub note: String,
    /// Its quarter was frozen: a correction answers it in a later quarter.
    pub corrected: bool,
}

pub struct ViolationRow {
    pub id: String,
    pub unit: String,
    pub date: String,
    pub points: String,
    pub note: String,
    pub revoked: Option<Revoked>,
    /// What revoking it now does to points (asked before, said beside the form).
    pub effect: String,
    /// A rejected revocation of this row: the note typed and what was wrong.
    pub tried_note: String,
    pub error: Option<String>,
}

#[derive(Template)]
#[template(path = "violations.html")]
struct ViolationsPage {
    layout: Layout,
    quarter: String,
    prev: String,
    next: Option<String>,
    list: Vec<ViolationRow>,
    units: Vec<String>,
    points: String,
    label: String,
    needs: String,
    revoke_label: String,
    revoke_needs: String,
    unit: String,
    note: String,
    errors: Errors,
}

#[derive(Deserialize, Default)]
pub struct QuarterQuery {
    q: Option<String>,
    #[serde(flatten)]
    flash: Flash,
}

/// A form's values sent back to the page after a refusal.
#[derive(Default)]
struct Again {
    unit: String,
    note: String,
    errors: Errors,
    /// (violation id, note, error) of a refused revocation.
    revoke: Option<(String, String, String)>,
}

fn row(s: &HttpState, v: ViolationView, now: crate::core::LocalTime, again: &Again) -> ViolationRow {
    let booked = Quarter::parse(&v.quarter).map(|quarter| Booked { quarter, points: v.points });
    let effect = take_back_effect(booked.map(|b| (b.quarter, b.points)), booked.map(|b| undo(&s.app.wf, b, now)));
    let tried = again.revoke.as_ref().filter(|(id, _, _)| *id == v.id);
    ViolationRow {
        revoked: v.revoked_at.as_ref().map(|at| Revoked {
            at: short_time(at),
            by: v.revoked_by.clone().unwrap_or_default(),
            note: v.revoked_note.clone().unwrap_or_default(),
            corrected: v.corrected,
        }),
        tried_note: tried.map(|(_, note, _)| note.clone()).unwrap_or_default(),
        error: tried.map(|(_, _, e)| e.clone()),
        id: v.id,
        unit: v.unit,
        date: v.date.to_string(),
        points: v.points.to_string(),
        note: v.note.unwrap_or_default(),
        effect,
    }
}

async fn violations_page(s: &HttpState, me: &Me, q: Option<&str>, again: Again, flash: Option<String>) -> Result<ViolationsPage, AppError> {
    let now = s.app.now().await?;
    let current = Quarter::of(now.date());
    let quarter = q.and_then(Quarter::parse).unwrap_or(current);
    let list = violations::list(&s.app, &me.actor, quarter).await?.into_iter().map(|v| row(s, v, now, &again)).collect();
    let wf = &s.app.wf;
    Ok(ViolationsPage {
        layout: Layout::new(s, me, "违规记录", "/violations").await.with_flash(flash),
        quarter: quarter.to_string(),
        prev: super::reports::previous(quarter).to_string(),
        next: (quarter < current).then(|| quarter.next().to_string()),
        list,
        units: accounts::units(&s.app.db).await?.into_iter().map(|u| u.name).collect(),
        points: wf.violation_points.to_string(),
        label: wf.violation_label.clone(),
        needs: evidence_text(wf.violation_evidence).unwrap_or_default(),
        revoke_label: wf.revoke.label.clone(),
        revoke_needs: evidence_text(wf.revoke.evidence).unwrap_or_default(),
        unit: again.unit,
        note: again.note,
        errors: again.errors,
    })
}

pub async fn page(State(s): State<HttpState>, me: Me, Query(q): Query<QuarterQuery>) -> WebResult {
    me.require(&[Role::Dispatcher])?;
    Ok(render(&violations_page(&s, &me, q.q.as_deref(), Again::default(), q.flash.message()).await?))
}

#[derive(Deserialize)]
pub struct ViolationForm {
    #[serde(default)]
    unit: String,
    #[serde(default)]
    note: String,
    /// The quarter the page showed (a revocation goes back to it).
    #[serde(default)]
    q: String,
}

pub async fn record(State(s): State<HttpState>, me: Me, Form(f): Form<ViolationForm>) -> WebResult {
    me.require(&[Role::Dispatcher])?;
    let (unit, note) = (f.unit.trim().to_string(), f.note.trim().to_string());
    let mut errors = Errors::default();
    if unit.is_empty() {
        errors.add("unit", "请选择责任单位");
    }
    if note.is_empty() && s.app.wf.violation_evidence.note {
        errors.add("note", "请写明未执行的调度方案或指令");
    }
    if errors.is_empty() {
        match violations::record(&s.app, &me.actor, &unit, Some(note.clone())).await {
            Ok(_) => return Ok(Redirect::to(&with_flash("/violations", "violation", &[("code", &unit)])).into_response()),
            Err(AppError::BadInput(m)) => errors.add("unit", m),
            Err(e) => return Err(e.into()),
        }
    }
    let page = violations_page(&s, &me, None, Again { unit, note, errors, revoke: None }, None).await?;
    Ok(render_status(StatusCode::UNPROCESSABLE_ENTITY, &page))
}

/// `POST /violations/{id}/revoke`: once, with the reason.
pub async fn revoke(State(s): State<HttpState>, me: Me, Path(id): Path<String>, Form(f): Form<ViolationForm>) -> WebResult {
    me.require(&[s.app.wf.revoke.role])?;
    let note = f.note.trim().to_string();
    let q = Quarter::parse(&f.q).map(|q| q.to_string());
    let back = q.as_ref().map_or_else(|| "/violations".to_string(), |q| format!("/violations?q={q}"));
    let (status, error) = if note.is_empty() && s.app.wf.revoke.evidence.note {
        (StatusCode::UNPROCESSABLE_ENTITY, "请写明撤销理由".to_string())
    } else {
        match violations::revoke(&s.app, &me.actor, &id, Some(note.clone())).await {
            Ok(v) => {
                let unit = v["unit"].as_str().unwrap_or_default();
                return Ok(Redirect::to(&with_flash(&back, "revoked", &[("unit", unit)])).into_response());
            }
            Err(e @ AppError::Conflict(_)) => (StatusCode::CONFLICT, e.to_string()),
            Err(e @ AppError::BadInput(_)) => (StatusCode::UNPROCESSABLE_ENTITY, e.to_string()),
            Err(e) => return Err(e.into()),
        }
    };
    let again = Again { revoke: Some((id, note, super::layout::zh(&error))), ..Again::default() };
    let page = violations_page(&s, &me, q.as_deref(), again, None).await?;
    Ok(render_status(status, &page))
}
