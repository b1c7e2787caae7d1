//! 攻坚办's desk beside the board ([`super::board`]): the dispatch lists
//! and close-out (销号).

use super::layout::{Layout, Me, WebResult, render};
use super::search::{self, Filters, ListQuery, Pager};
use super::view::{Flash, IssueRow, with_flash};
use crate::app::issues::{self, IssueFilter, IssueView};
use crate::app::{accounts, dispatch};
use crate::core::state::{Role, State as IssueState};
use crate::http::HttpState;
use askama::Template;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect};
use std::collections::BTreeMap;

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
    filters: Filters,
    pager: Pager,
}

/// Issues that passed recheck, waiting for 销号.
pub async fn closeout(State(s): State<HttpState>, me: Me, Query(q): Query<ListQuery>, Query(flash): Query<Flash>) -> WebResult {
    me.require(&[Role::Dispatcher])?;
    let q = q.narrow();
    let mut errors = Vec::new();
    let (filter, scope) = q.parse(&s.app.wf, &[IssueState::Rechecked], &mut errors);
    let (list, pager) = search::run(&s.app, &me.actor, "/closeout", &q, filter, &scope).await?;
    let ready = list.issues.iter().map(|v| IssueRow::new(&s.app.wf, v, None)).collect();
    let filters = search::filters(&s.app, "/closeout", &q, Vec::new(), false, errors).await?;
    let layout = Layout::new(&s, &me, "待销号", "/closeout").await.with_flash(flash.message());
    Ok(render(&CloseoutPage { layout, ready, filters, pager }))
}
