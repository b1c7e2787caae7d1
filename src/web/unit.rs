//! A unit's issues, grouped by what it must do next. Made for a phone at a
//! riverbank: cards, large buttons, 签收 in one tap.

use super::layout::{Layout, Me, WebResult, render};
use super::view::{Flash, IssueRow};
use crate::app::issues::{self, IssueFilter};
use crate::core::state::{Role, State as IssueState};
use crate::http::HttpState;
use askama::Template;
use axum::extract::{Query, State};

pub struct Card {
    pub issue: IssueRow,
    /// Why the last recheck failed (returned issues).
    pub returned: String,
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
    done: Vec<IssueRow>,
}

fn group_of(row: &IssueRow) -> Option<usize> {
    match row.state {
        IssueState::Assigned => Some(0),
        IssueState::Rectifying if row.reports > 0 => Some(1),
        IssueState::Rectifying => Some(2),
        IssueState::Reported => Some(3),
        _ => None,
    }
}

pub async fn my_issues(State(s): State<HttpState>, me: Me, Query(flash): Query<Flash>) -> WebResult {
    me.require(&[Role::Unit])?;
    let mut groups = vec![
        Group { key: "to-sign", title: "待签收", hint: "新交办的问题，请先签收", cards: Vec::new() },
        Group { key: "returned", title: "被退回", hint: "复核不通过，请按复核意见重新整改后再次反馈", cards: Vec::new() },
        Group { key: "rectifying", title: "整改中", hint: "整改完成后拍照反馈", cards: Vec::new() },
        Group { key: "awaiting", title: "待复核", hint: "已反馈，等待现场复核", cards: Vec::new() },
    ];
    let mut done = Vec::new();
    for v in issues::list(&s.app, &me.actor, IssueFilter::default()).await? {
        let needs_history = v.state == IssueState::Reported || (v.state == IssueState::Rectifying && v.reports > 0);
        let history = if needs_history { issues::get(&s.app, &me.actor, &v.id).await?.history } else { None };
        let row = IssueRow::new(&s.app.wf, &v, history.as_deref());
        let returned = history.as_deref().and_then(|h| h.iter().rev().find(|m| m.action == "recheck_fail")).and_then(|m| m.note.clone()).unwrap_or_default();
        match group_of(&row) {
            Some(i) => groups[i].cards.push(Card { issue: row, returned }),
            None if row.state != IssueState::Registered => done.push(row),
            None => {}
        }
    }
    for g in &mut groups {
        g.cards.sort_by_key(|c| std::cmp::Reverse(c.issue.urgency()));
    }
    let layout = Layout::new(&s, &me, "我的问题", "/my").await.with_flash(flash.message());
    Ok(render(&MyPage { layout, groups, done }))
}
