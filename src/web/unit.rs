//! A unit's issues, grouped by what it must do next. Made for a phone at a
//! riverbank: cards, large buttons, 签收 in one tap.

use super::layout::{Layout, Me, WebResult, render};
use super::search::{self, Filters, ListQuery, Pager};
use super::view::{Flash, IssueRow};
use crate::app::search::list_scoped;
use crate::app::timeline::moves_of;
use crate::core::state::{Role, State as IssueState};
use crate::http::HttpState;
use askama::Template;
use axum::extract::{Query, State};

pub struct Card {
    pub issue: IssueRow,
    /// Why the last recheck failed (`rework`), or why the unit returned it (`returned`).
    pub reason: String,
}

pub struct Group {
    pub key: &'static str,
    pub title: &'static str,
    pub hint: &'static str,
    pub cards: Vec<Card>,
}

#[derive(Template)]
#[template(path = "my.html")]
struct MyPage {
    layout: Layout,
    groups: Vec<Group>,
    /// Passed, closed or withdrawn: one page of them, newest last.
    done: Vec<IssueRow>,
    filters: Filters,
    pager: Pager,
}

/// The unit's open issues (the groups) and those it is done with (paged).
const OPEN: [IssueState; 4] = [IssueState::Assigned, IssueState::Rectifying, IssueState::Reported, IssueState::Returned];
const DONE: [IssueState; 3] = [IssueState::Rechecked, IssueState::Closed, IssueState::Withdrawn];

fn group_of(row: &IssueRow) -> Option<usize> {
    match row.state {
        IssueState::Assigned => Some(0),
        IssueState::Rectifying if row.reports > 0 => Some(1),
        IssueState::Rectifying => Some(2),
        IssueState::Reported => Some(3),
        IssueState::Returned => Some(4),
        _ => None,
    }
}

/// The move whose note a card shows: the failed recheck, or the unit's return.
fn reason_of(state: IssueState) -> Option<&'static str> {
    match state {
        IssueState::Rectifying => Some("recheck_fail"),
        IssueState::Returned => Some("return"),
        _ => None,
    }
}

pub async fn my_issues(State(s): State<HttpState>, me: Me, Query(q): Query<ListQuery>, Query(flash): Query<Flash>) -> WebResult {
    me.require(&[Role::Unit])?;
    let q = ListQuery { unit: String::new(), ..q.narrow() };
    let mut errors = Vec::new();
    let (filter, mut scope) = q.parse(&s.app.wf, &OPEN, &mut errors);
    let mut groups = vec![
        Group { key: "to-sign", title: "待签收", hint: "新交办的问题，请先签收", cards: Vec::new() },
        // Not "returned": that is the unit returning an issue to 攻坚办 (below).
        Group { key: "rework", title: "复核未通过", hint: "复核不通过，请按复核意见重新整改后再次反馈", cards: Vec::new() },
        Group { key: "rectifying", title: "整改中", hint: "整改完成后拍照反馈", cards: Vec::new() },
        Group { key: "awaiting", title: "待复核", hint: "已反馈，等待现场复核", cards: Vec::new() },
        Group {
            key: "returned", title: "已退回，待攻坚办裁定", hint: "改派后将不再出现在这里；驳回则交还本单位，时限照常计算", cards: Vec::new()
        },
    ];
    // A unit holds few open issues at a time: all of them, in groups, with
    // the moves their cards show read at once.
    let views = list_scoped(&s.app, &me.actor, filter.clone(), &scope, None).await?.issues;
    let ids: Vec<&str> = views.iter().map(|v| v.id.as_str()).collect();
    let moves = moves_of(&s.app, &ids, &["report", "recheck_fail", "return"]).await?;
    for v in &views {
        let needs_history = matches!(v.state, IssueState::Reported | IssueState::Returned) || (v.state == IssueState::Rectifying && v.reports > 0);
        let history = moves.get(&v.id).map(Vec::as_slice).filter(|_| needs_history);
        let row = IssueRow::new(&s.app.wf, v, history);
        let reason = reason_of(v.state).and_then(|action| history?.iter().rev().find(|m| m.action == action)).and_then(|m| m.note.clone()).unwrap_or_default();
        if let Some(i) = group_of(&row) {
            groups[i].cards.push(Card { issue: row, reason });
        }
    }
    scope.states = DONE.to_vec();
    let (list, pager) = search::run(&s.app, &me.actor, "/my", &q, filter, &scope).await?;
    let done = list.issues.iter().map(|v| IssueRow::new(&s.app.wf, v, None)).collect();
    let mut filters = search::filters(&s.app, "/my", &q, Vec::new(), false, errors).await?;
    filters.show_unit = false;
    for g in &mut groups {
        g.cards.sort_by_key(|c| std::cmp::Reverse(c.issue.urgency()));
    }
    let layout = Layout::new(&s, &me, "我的问题", "/my").await.with_flash(flash.message());
    Ok(render(&MyPage { layout, groups, done, filters, pager }))
}
