//! 攻坚办's desk beside the board ([`super::board`]): the dispatch lists
//! and close-out (销号).

use super::layout::{Layout, Me, WebResult, render};
use super::search::{self, Filters, ListQuery, Pager};
use super::view::{Flash, IssueRow, with_flash};
use crate::app::dispatch;
use crate::app::issues::{self, IssueFilter};
use crate::app::search::{Scope, count_scoped};
use crate::core::state::{Role, State as IssueState};
use crate::http::HttpState;
use askama::Template;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect};

pub struct UnitPart {
    pub unit: String,
    /// Its printable 交办单.
    pub print: String,
    pub issues: Vec<IssueRow>,
}

pub struct Batch {
    pub at: String,
    pub scheduled: bool,
    pub count: usize,
    pub print: String,
    pub units: Vec<UnitPart>,
}

#[derive(Template)]
#[template(path = "dispatches.html")]
struct DispatchesPage {
    layout: Layout,
    pool: u64,
    batches: Vec<Batch>,
    pager: Pager,
}

/// Lists on one page of the 交办清单.
const LISTS_PER_PAGE: u64 = 10;

/// Each list (the issues dispatched at one instant), split per unit, the
/// newest first, with the printable 交办单 of the list and of each part.
pub async fn dispatches(State(s): State<HttpState>, me: Me, Query(q): Query<ListQuery>, Query(flash): Query<Flash>) -> WebResult {
    me.require(&[Role::Dispatcher])?;
    let page = issues::Page { number: q.page().number, per_page: LISTS_PER_PAGE };
    let (ids, total) = dispatch::recent(&s.app, &me.actor, page).await?;
    let mut batches = Vec::new();
    for id in ids {
        let list = dispatch::list_of(&s.app, &me.actor, &id).await?;
        let mut units: Vec<UnitPart> = Vec::new();
        for v in &list.issues {
            let print = format!("/dispatches/{id}/print?unit={}", v.unit_id);
            match units.iter_mut().find(|p| p.print == print) {
                Some(part) => part.issues.push(IssueRow::new(&s.app.wf, v, None)),
                None => units.push(UnitPart { unit: v.unit.clone(), print, issues: vec![IssueRow::new(&s.app.wf, v, None)] }),
            }
        }
        batches.push(Batch {
            at: super::layout::short_time(&list.at),
            scheduled: list.scheduled,
            count: list.issues.len(),
            print: format!("/dispatches/{id}/print"),
            units,
        });
    }
    let pool = count_scoped(&s.app, &me.actor, IssueFilter::default(), &Scope { states: vec![IssueState::Registered], ..Scope::default() }).await?;
    let pager = search::pager(&ListQuery::default(), "/dispatches", page, total);
    let layout = Layout::new(&s, &me, "交办清单", "/dispatches").await.with_flash(flash.message());
    Ok(render(&DispatchesPage { layout, pool, batches, pager }))
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
