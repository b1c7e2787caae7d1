//! 攻坚办's desk: the board of open issues with the returns awaiting a
//! ruling (退回待定), the dispatch lists and close-out (销号).

use super::layout::{Layout, Me, WebResult, render, short_time};
use super::view::{Flash, IssueRow, with_flash};
use crate::app::issues::{self, IssueFilter, IssueView};
use crate::app::{AppError, accounts, dispatch};
use crate::core::state::{Role, State as IssueState};
use crate::http::HttpState;
use askama::Template;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect};
use serde::Deserialize;
use std::collections::BTreeMap;

/// Every issue the actor may see, with history for those awaiting recheck
/// (their tier is fixed by the report date) and for those returned (the
/// reason is on the board).
async fn rows_with_returns(s: &HttpState, me: &Me, filter: IssueFilter) -> Result<(Vec<IssueRow>, Vec<Returned>), AppError> {
    let (mut out, mut returned) = (Vec::new(), Vec::new());
    for v in issues::list(&s.app, &me.actor, filter).await? {
        let needs_history = matches!(v.state, IssueState::Reported | IssueState::Returned);
        let history = if needs_history { issues::get(&s.app, &me.actor, &v.id).await?.history } else { None };
        let row = IssueRow::new(&s.app.wf, &v, history.as_deref());
        if v.state == IssueState::Returned {
            let last = history.as_deref().and_then(|h| h.iter().rev().find(|m| m.action == "return"));
            returned.push(Returned {
                issue: IssueRow::new(&s.app.wf, &v, None),
                at: last.map(|m| short_time(&m.at)).unwrap_or_default(),
                reason: last.and_then(|m| m.note.clone()).unwrap_or_default(),
            });
        }
        out.push(row);
    }
    Ok((out, returned))
}

async fn rows(s: &HttpState, me: &Me, filter: IssueFilter) -> Result<Vec<IssueRow>, AppError> {
    Ok(rows_with_returns(s, me, filter).await?.0)
}

/// A return awaiting 攻坚办's ruling (改派 or 驳回), with the unit's reason.
pub struct Returned {
    pub issue: IssueRow,
    pub at: String,
    pub reason: String,
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
    returned: Vec<Returned>,
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
    let (all, returned) = rows_with_returns(&s, &me, IssueFilter::default()).await?;
    let count = |f: &dyn Fn(&IssueRow) -> bool| all.iter().filter(|r| f(r)).count();
    let colour_of = |r: &IssueRow| r.badge.as_ref().map_or("", |b| b.class);
    let running = |r: &IssueRow| r.state.with_unit();
    let tiles = vec![
        Tile { label: "待交办", count: count(&|r| r.state == IssueState::Registered), class: "plain", href: "/pool" },
        Tile { label: "期限内", count: count(&|r| running(r) && colour_of(r) == "green"), class: "green", href: "/board?colour=green" },
        Tile { label: "已进入扣分档", count: count(&|r| running(r) && colour_of(r) == "yellow"), class: "yellow", href: "/board?colour=yellow" },
        Tile { label: "已超期", count: count(&|r| running(r) && colour_of(r) == "red"), class: "red", href: "/board?colour=red" },
        Tile { label: "退回待定", count: returned.len(), class: if returned.is_empty() { "plain" } else { "attention" }, href: "/board#returned" },
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
    Ok(render(&BoardPage { layout, tiles, open, returned, units, unit: q.unit, colour: q.colour }))
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
