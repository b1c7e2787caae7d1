//! 攻坚办's desk: the board of open issues, the dispatch lists, close-out
//! (销号) and violations (未执行调度).

use super::form::Errors;
use super::layout::{Layout, Me, WebResult, render, render_status};
use super::view::{Flash, IssueRow, with_flash};
use crate::app::issues::{self, IssueFilter, IssueView};
use crate::app::{AppError, accounts, dispatch, reports, violations};
use crate::core::Quarter;
use crate::core::report::Item;
use crate::core::state::{Role, State as IssueState};
use crate::http::HttpState;
use askama::Template;
use axum::Form;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use serde::Deserialize;
use std::collections::BTreeMap;

/// Every issue the actor may see, with history for those awaiting recheck
/// (their tier is fixed by the report date).
async fn rows(s: &HttpState, me: &Me, filter: IssueFilter) -> Result<Vec<IssueRow>, AppError> {
    let mut out = Vec::new();
    for v in issues::list(&s.app, &me.actor, filter).await? {
        let history = if v.state == IssueState::Reported { issues::get(&s.app, &me.actor, &v.id).await?.history } else { None };
        out.push(IssueRow::new(&s.app.wf, &v, history.as_deref()));
    }
    Ok(out)
}

pub struct Tile {
    pub label: &'static str,
    pub count: usize,
    pub class: &'static str,
    pub href: &'static str,
}

#[derive(Template)]
#[template(path = "board.html")]
struct BoardPage {
    layout: Layout,
    tiles: Vec<Tile>,
    open: Vec<IssueRow>,
    units: Vec<String>,
    unit: String,
    colour: String,
}

#[derive(Deserialize, Default)]
pub struct BoardQuery {
    #[serde(default)]
    unit: String,
    #[serde(default)]
    colour: String,
}

pub async fn board(State(s): State<HttpState>, me: Me, Query(q): Query<BoardQuery>) -> WebResult {
    me.require(&[Role::Dispatcher, Role::Rechecker, Role::Assessor, Role::Admin])?;
    let all = rows(&s, &me, IssueFilter::default()).await?;
    let count = |f: &dyn Fn(&IssueRow) -> bool| all.iter().filter(|r| f(r)).count();
    let colour_of = |r: &IssueRow| r.badge.as_ref().map_or("", |b| b.class);
    let running = |r: &IssueRow| r.state.with_unit();
    let tiles = vec![
        Tile { label: "待交办", count: count(&|r| r.state == IssueState::Registered), class: "plain", href: "/pool" },
        Tile { label: "期限内", count: count(&|r| running(r) && colour_of(r) == "green"), class: "green", href: "/board?colour=green" },
        Tile { label: "已进入扣分档", count: count(&|r| running(r) && colour_of(r) == "yellow"), class: "yellow", href: "/board?colour=yellow" },
        Tile { label: "已超期", count: count(&|r| running(r) && colour_of(r) == "red"), class: "red", href: "/board?colour=red" },
        Tile { label: "待复核", count: count(&|r| r.state == IssueState::Reported), class: "plain", href: "/board?colour=reported" },
        Tile { label: "待销号", count: count(&|r| r.state == IssueState::Rechecked), class: "plain", href: "/closeout" },
    ];
    let mut open: Vec<IssueRow> = all
        .into_iter()
        .filter(|r| r.state.is_open())
        .filter(|r| q.unit.is_empty() || r.unit == q.unit)
        .filter(|r| match q.colour.as_str() {
            "" => true,
            "reported" => r.state == IssueState::Reported,
            c => running(r) && colour_of(r) == c,
        })
        .collect();
    open.sort_by_key(|r| std::cmp::Reverse(r.urgency()));
    let units = accounts::units(&s.app.db).await?.into_iter().map(|u| u.name).collect();
    let layout = Layout::new(&s, &me, "督办看板", "/board").await;
    Ok(render(&BoardPage { layout, tiles, open, units, unit: q.unit, colour: q.colour }))
}

pub struct UnitPart {
    pub unit: String,
    pub issues: Vec<IssueRow>,
}

pub struct Batch {
    pub at: String,
    pub count: usize,
    pub units: Vec<UnitPart>,
}

#[derive(Template)]
#[template(path = "dispatches.html")]
struct DispatchesPage {
    layout: Layout,
    pool: usize,
    batches: Vec<Batch>,
}

/// Each list (the issues dispatched at one instant), split per unit.
pub async fn dispatches(State(s): State<HttpState>, me: Me, Query(flash): Query<Flash>) -> WebResult {
    me.require(&[Role::Dispatcher])?;
    let all = issues::list(&s.app, &me.actor, IssueFilter::default()).await?;
    let order: Vec<String> = accounts::units(&s.app.db).await?.into_iter().map(|u| u.name).collect();
    let pool = all.iter().filter(|v| v.state == IssueState::Registered).count();
    let mut by_time: BTreeMap<String, Vec<&IssueView>> = BTreeMap::new();
    for v in &all {
        if let Some(at) = &v.dispatched_at {
            by_time.entry(at.clone()).or_default().push(v);
        }
    }
    let batches = by_time
        .into_iter()
        .rev()
        .map(|(at, list)| Batch {
            at: super::layout::short_time(&at),
            count: list.len(),
            units: order
                .iter()
                .filter_map(|unit| {
                    let issues: Vec<IssueRow> = list.iter().filter(|v| v.unit == *unit).map(|v| IssueRow::new(&s.app.wf, v, None)).collect();
                    (!issues.is_empty()).then(|| UnitPart { unit: unit.clone(), issues })
                })
                .collect(),
        })
        .collect();
    let layout = Layout::new(&s, &me, "交办清单", "/dispatches").await.with_flash(flash.message());
    Ok(render(&DispatchesPage { layout, pool, batches }))
}

/// 立即交办: the whole pool, out of cycle.
pub async fn dispatch_now(State(s): State<HttpState>, me: Me) -> WebResult {
    me.require(&[Role::Dispatcher])?;
    let view = dispatch::dispatch_now(&s.app, &me.actor).await?;
    let to = if view.issues.is_empty() {
        with_flash("/pool", "empty", &[])
    } else {
        with_flash("/dispatches", "dispatched", &[("n", &view.issues.len().to_string())])
    };
    Ok(Redirect::to(&to).into_response())
}

#[derive(Template)]
#[template(path = "closeout.html")]
struct CloseoutPage {
    layout: Layout,
    ready: Vec<IssueRow>,
}

/// Issues that passed recheck, waiting for 销号.
pub async fn closeout(State(s): State<HttpState>, me: Me, Query(flash): Query<Flash>) -> WebResult {
    me.require(&[Role::Dispatcher])?;
    let ready = rows(&s, &me, IssueFilter { state: Some(IssueState::Rechecked), ..IssueFilter::default() }).await?;
    let layout = Layout::new(&s, &me, "待销号", "/closeout").await.with_flash(flash.message());
    Ok(render(&CloseoutPage { layout, ready }))
}

pub struct ViolationRow {
    pub unit: String,
    pub date: String,
    pub points: String,
    pub note: String,
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

async fn violations_page(
    s: &HttpState,
    me: &Me,
    q: Option<&str>,
    unit: String,
    note: String,
    errors: Errors,
    flash: Option<String>,
) -> Result<ViolationsPage, AppError> {
    let current = Quarter::of(s.app.now().await?.date());
    let quarter = q.and_then(Quarter::parse).unwrap_or(current);
    let report = reports::quarter(&s.app, &me.actor, &quarter.to_string()).await?;
    let list = report
        .report
        .items
        .iter()
        .filter_map(|i| match i {
            Item::Violation { unit, date, points, note, .. } => {
                Some(ViolationRow { unit: unit.to_string(), date: date.to_string(), points: points.to_string(), note: note.clone().unwrap_or_default() })
            }
            Item::Issue { .. } | Item::Correction { .. } => None,
        })
        .collect();
    Ok(ViolationsPage {
        layout: Layout::new(s, me, "违规记录", "/violations").await.with_flash(flash),
        quarter: quarter.to_string(),
        prev: super::reports::previous(quarter).to_string(),
        next: (quarter < current).then(|| quarter.next().to_string()),
        list,
        units: accounts::units(&s.app.db).await?.into_iter().map(|u| u.name).collect(),
        points: s.app.wf.violation_points.to_string(),
        label: s.app.wf.violation_label.clone(),
        unit,
        note,
        errors,
    })
}

pub async fn violations(State(s): State<HttpState>, me: Me, Query(q): Query<QuarterQuery>) -> WebResult {
    me.require(&[Role::Dispatcher])?;
    Ok(render(&violations_page(&s, &me, q.q.as_deref(), String::new(), String::new(), Errors::default(), q.flash.message()).await?))
}

#[derive(Deserialize)]
pub struct ViolationForm {
    #[serde(default)]
    unit: String,
    #[serde(default)]
    note: String,
}

pub async fn record_violation(State(s): State<HttpState>, me: Me, Form(f): Form<ViolationForm>) -> WebResult {
    me.require(&[Role::Dispatcher])?;
    let (unit, note) = (f.unit.trim().to_string(), f.note.trim().to_string());
    let mut errors = Errors::default();
    if unit.is_empty() {
        errors.add("unit", "请选择责任单位");
    }
    if note.is_empty() {
        errors.add("note", "请写明未执行的调度方案或指令");
    }
    if errors.is_empty() {
        match violations::record(&s.app, &me.actor, &unit, Some(note.clone())).await {
            Ok(_) => return Ok(Redirect::to(&with_flash("/violations", "violation", &[("code", &unit)])).into_response()),
            Err(AppError::BadInput(m)) => errors.add("unit", m),
            Err(e) => return Err(e.into()),
        }
    }
    let page = violations_page(&s, &me, None, unit, note, errors, None).await?;
    Ok(render_status(StatusCode::UNPROCESSABLE_ENTITY, &page))
}
