//! The printable 交办单: a dispatch list, or one unit's part of it (the
//! link in the unit's dispatch mail), laid out for A4 by the print
//! stylesheet — title, issuing office, date, the issues with their
//! deadlines by tier as dates, and lines for the unit to sign (签收).
//!
//! Each unit signs its own part, so the whole list prints one sheet per
//! unit, each on its own page.

use super::layout::{Layout, Me, WebError, WebResult, main_page, render};
use super::tier::{date_of, first_tier_last_date, month_day, tier_starts};
use crate::app::dispatch::{self, ListView};
use crate::app::issues::IssueView;
use crate::core::Workflow;
use crate::core::state::{Role, State as IssueState};
use crate::http::HttpState;
use askama::Template;
use axum::extract::{Path, Query, State};
use chrono::{Datelike, NaiveDate};
use serde::Deserialize;

pub struct PrintRow {
    pub n: usize,
    pub code: String,
    pub title: String,
    pub location: String,
    pub category: String,
    pub source: String,
    /// `3月16日前完成不扣分`, `3月17日起扣0.02分`, `4月1日起超期（扣0.05分）`.
    pub deadlines: Vec<String>,
    /// What changed since the list was sent (改派, 撤销), if anything.
    pub note: String,
}

/// One unit's 交办单.
pub struct Sheet {
    pub unit: String,
    pub rows: Vec<PrintRow>,
}

#[derive(Template)]
#[template(path = "print.html")]
struct PrintPage {
    layout: Layout,
    office: String,
    subject: String,
    number: String,
    date: String,
    sheets: Vec<Sheet>,
    /// The deadlines of the list's date, said once above the tables.
    deadlines: Vec<String>,
    back: String,
    test_clock: bool,
}

#[derive(Deserialize, Default)]
pub struct PrintQuery {
    #[serde(default)]
    unit: String,
}

/// `2021年3月1日`.
pub fn full_date(d: NaiveDate) -> String {
    format!("{}年{}月{}日", d.year(), d.month(), d.day())
}

/// The deadlines of an issue dispatched on `d`, one line per tier.
pub fn deadlines(wf: &Workflow, d: NaiveDate, year: i32) -> Vec<String> {
    let first = first_tier_last_date(wf, d).map(|last| format!("{}前完成不扣分", month_day(last, year)));
    first.into_iter().chain(tier_starts(wf, d).into_iter().map(|t| format!("{}起{}", month_day(t.date, year), t.what))).collect()
}

fn row(wf: &Workflow, n: usize, v: &IssueView, list_date: NaiveDate) -> PrintRow {
    let dispatched = v.dispatched_at.as_deref().and_then(date_of).unwrap_or(list_date);
    let note = match v.state {
        IssueState::Withdrawn => "已撤销".to_string(),
        _ if dispatched != list_date => format!("{}改派，时限自该日起算", month_day(dispatched, list_date.year())),
        _ => String::new(),
    };
    PrintRow {
        n,
        code: v.code.clone(),
        title: v.title.clone(),
        location: v.location.clone().unwrap_or_default(),
        category: v.category.clone().unwrap_or_default(),
        source: v.source.clone().unwrap_or_default(),
        deadlines: deadlines(wf, dispatched, list_date.year()),
        note,
    }
}

/// The list's sheets, one per unit in the list's order; `unit` keeps one.
fn sheets(wf: &Workflow, list: &ListView, unit: Option<&str>, list_date: NaiveDate) -> Vec<Sheet> {
    let mut out: Vec<(String, Sheet)> = Vec::new();
    for v in list.issues.iter().filter(|v| unit.is_none_or(|u| v.unit_id == u)) {
        let i = match out.iter().position(|(id, _)| *id == v.unit_id) {
            Some(i) => i,
            None => {
                out.push((v.unit_id.clone(), Sheet { unit: v.unit.clone(), rows: Vec::new() }));
                out.len() - 1
            }
        };
        let n = out[i].1.rows.len() + 1;
        out[i].1.rows.push(row(wf, n, v, list_date));
    }
    out.into_iter().map(|(_, sheet)| sheet).collect()
}

/// `GET /dispatches/{id}/print[?unit={unit_id}]`: 攻坚办, the assessor and
/// the admin print any list or part; a unit only its own part (404 for
/// anything else, as for another unit's issue).
pub async fn page(State(s): State<HttpState>, me: Me, Path(id): Path<String>, Query(q): Query<PrintQuery>) -> WebResult {
    me.require(&[Role::Dispatcher, Role::Assessor, Role::Admin, Role::Unit])?;
    let not_found = || WebError::from(crate::app::AppError::NotFound(String::new()));
    let unit = Some(q.unit.trim()).filter(|u| !u.is_empty());
    if me.role() == Role::Unit && (unit.is_none() || unit != me.actor.unit_id.as_deref()) {
        return Err(not_found());
    }
    let list = dispatch::list_of(&s.app, &me.actor, &id).await?;
    let wf = &s.app.wf;
    let list_date = date_of(&list.at).ok_or_else(not_found)?;
    let sheets = sheets(wf, &list, unit, list_date);
    if sheets.is_empty() {
        return Err(not_found());
    }
    let title = match (unit, sheets.first()) {
        (Some(_), Some(sheet)) => format!("交办单 {} {}", sheet.unit, list_date),
        _ => format!("交办单 {list_date}"),
    };
    let back = if me.role() == Role::Dispatcher { "/dispatches" } else { main_page(me.role()) };
    let page = PrintPage {
        layout: Layout::new(&s, &me, &title, back).await,
        office: wf.role_label(Role::Dispatcher).to_string(),
        subject: wf.title.clone(),
        // The id's random tail (its head is the time, alike for lists of one day).
        number: format!("{}-{}", list_date.format("%Y%m%d"), list.id.get(list.id.len().saturating_sub(6)..).unwrap_or_default().to_uppercase()),
        date: full_date(list_date),
        deadlines: deadlines(wf, list_date, list_date.year()),
        sheets,
        back: back.to_string(),
        test_clock: s.app.test_clock,
    };
    Ok(render(&page))
}
