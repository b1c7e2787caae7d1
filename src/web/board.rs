//! 督办看板: counts by deadline colour (tiles), the returns awaiting a
//! ruling (退回待定), and every issue found by the search and filters, one
//! page at a time, the longest-running first.
//!
//! The tiles are count queries and the table one page of one query, so the
//! board stays fast with 100,000 issues; only the rows on the page that
//! need a move (a report's date fixes its tier) read it, in one statement.

use super::layout::{Layout, Me, WebResult, render, short_time};
use super::search::{self, Filters, ListQuery, Pager, RUNNING, colour_tiers, tier_param};
use super::view::IssueRow;
use crate::app::AppError;
use crate::app::issues::{IssueFilter, IssueView};
use crate::app::search::{Order, Scope, count_scoped, counts_by_state, list_scoped};
use crate::app::timeline::moves_of;
use crate::core::state::{Role, State as IssueState};
use crate::http::HttpState;
use askama::Template;
use axum::extract::{Query, State};
use serde::Deserialize;

/// The board's states unless the state filter says otherwise: dispatched
/// and not yet passed by a recheck.
const OPEN: [IssueState; 4] = [IssueState::Assigned, IssueState::Rectifying, IssueState::Reported, IssueState::Returned];

/// A return awaiting 攻坚办's ruling (改派 or 驳回), with the unit's reason.
pub struct Returned {
    pub issue: IssueRow,
    pub at: String,
    pub reason: String,
}

pub struct Tile {
    pub label: &'static str,
    pub count: u64,
    pub class: &'static str,
    pub href: String,
}

#[derive(Template)]
#[template(path = "board.html")]
struct BoardPage {
    layout: Layout,
    tiles: Vec<Tile>,
    open: Vec<IssueRow>,
    returned: Vec<Returned>,
    filters: Filters,
    pager: Pager,
}

/// Links of the first release (`?colour=red`), still in bookmarks.
#[derive(Deserialize, Default)]
pub struct Legacy {
    #[serde(default)]
    colour: String,
}

/// The rows of `views`. A reported issue's badge needs its last report
/// (the tier is frozen at it): those are read at once, not one by one.
pub async fn rows(s: &HttpState, views: Vec<IssueView>) -> Result<Vec<IssueRow>, AppError> {
    let reported: Vec<&str> = views.iter().filter(|v| v.state == IssueState::Reported).map(|v| v.id.as_str()).collect();
    let reports = moves_of(&s.app, &reported, &["report"]).await?;
    Ok(views.iter().map(|v| IssueRow::new(&s.app.wf, v, reports.get(&v.id).map(Vec::as_slice))).collect())
}

async fn count(s: &HttpState, me: &Me, states: &[IssueState], tiers: Vec<usize>) -> Result<u64, AppError> {
    count_scoped(&s.app, &me.actor, IssueFilter::default(), &Scope { states: states.to_vec(), tiers, order: Order::Registered }).await
}

async fn tiles(s: &HttpState, me: &Me) -> Result<Vec<Tile>, AppError> {
    let wf = &s.app.wf;
    let dispatcher = me.role() == Role::Dispatcher;
    // Pages a role may not open are not linked: the board's own filter instead.
    let page_or_board = |page: &str, state: &str| if dispatcher { page.to_string() } else { format!("/board?state={state}") };
    let colour = |c: &str| format!("/board?state=running&tier={}", tier_param(&colour_tiers(wf, c)));
    let by_state = counts_by_state(&s.app, &me.actor).await?;
    let of = |state: IssueState| by_state.get(&state).copied().unwrap_or(0);
    let returned = of(IssueState::Returned);
    Ok(vec![
        Tile { label: "待交办", count: of(IssueState::Registered), class: "plain", href: page_or_board("/pool", "registered") },
        Tile { label: "期限内", count: count(s, me, &RUNNING, colour_tiers(wf, "green")).await?, class: "green", href: colour("green") },
        Tile { label: "已进入扣分档", count: count(s, me, &RUNNING, colour_tiers(wf, "yellow")).await?, class: "yellow", href: colour("yellow") },
        Tile { label: "已超期", count: count(s, me, &RUNNING, colour_tiers(wf, "red")).await?, class: "red", href: colour("red") },
        Tile { label: "退回待定", count: returned, class: if returned == 0 { "plain" } else { "attention" }, href: "/board#returned".into() },
        Tile { label: "待复核", count: of(IssueState::Reported), class: "plain", href: "/board?state=reported".into() },
        Tile { label: "待销号", count: of(IssueState::Rechecked), class: "plain", href: page_or_board("/closeout", "rechecked") },
    ])
}

/// Every return awaiting a ruling, with its reason from the history.
async fn returned(s: &HttpState, me: &Me) -> Result<Vec<Returned>, AppError> {
    let scope = Scope { states: vec![IssueState::Returned], tiers: Vec::new(), order: Order::LongestRunning };
    let views = list_scoped(&s.app, &me.actor, IssueFilter::default(), &scope, None).await?.issues;
    let ids: Vec<&str> = views.iter().map(|v| v.id.as_str()).collect();
    let returns = moves_of(&s.app, &ids, &["return"]).await?;
    Ok(views
        .iter()
        .map(|v| {
            let last = returns.get(&v.id).and_then(|r| r.last());
            Returned {
                issue: IssueRow::new(&s.app.wf, v, None),
                at: last.map(|m| short_time(&m.at)).unwrap_or_default(),
                reason: last.and_then(|m| m.note.clone()).unwrap_or_default(),
            }
        })
        .collect())
}

pub async fn board(State(s): State<HttpState>, me: Me, Query(mut q): Query<ListQuery>, Query(legacy): Query<Legacy>) -> WebResult {
    me.require(&[Role::Dispatcher, Role::Rechecker, Role::Assessor, Role::Admin])?;
    let wf = &s.app.wf;
    if q.tier.is_empty() && !legacy.colour.is_empty() {
        (q.state, q.tier) = ("running".into(), tier_param(&colour_tiers(wf, &legacy.colour)));
    }
    let mut errors = Vec::new();
    let (filter, mut scope) = q.parse(wf, &OPEN, &mut errors);
    scope.order = Order::LongestRunning;
    let (list, pager) = search::run(&s.app, &me.actor, "/board", &q, filter, &scope).await?;
    let filters = search::filters(&s.app, "/board", &q, search::state_choices(wf, "未完结（默认）"), true, errors).await?;
    Ok(render(&BoardPage {
        layout: Layout::new(&s, &me, "督办看板", "/board").await,
        tiles: tiles(&s, &me).await?,
        returned: returned(&s, &me).await?,
        open: rows(&s, list.issues).await?,
        filters,
        pager,
    }))
}
