//! The rechecker's queue: reports awaiting an on-site recheck, the oldest
//! first, with how long each has waited.

use super::layout::{Layout, Me, WebResult, render, short_time};
use super::search::{self, Filters, ListQuery, Pager};
use super::view::{FileLink, Flash, IssueRow, files_of};
use crate::app::search::Order;
use crate::app::timeline::moves_of;
use crate::core::LocalTime;
use crate::core::state::{Role, State as IssueState};
use crate::http::HttpState;
use askama::Template;
use axum::extract::{Query, State};

pub struct Waiting {
    pub issue: IssueRow,
    pub reported_at: String,
    pub waited: String,
    /// Past the workflow's recheck-wait reminder.
    pub late: bool,
    pub note: String,
    pub files: Vec<FileLink>,
    pub reports: i32,
}

#[derive(Template)]
#[template(path = "recheck.html")]
struct QueuePage {
    layout: Layout,
    queue: Vec<Waiting>,
    /// Every report awaiting recheck that the filters find.
    total: u64,
    wait_hours: i64,
    filters: Filters,
    pager: Pager,
}

/// `2 天 5 小时`.
pub fn waited(hours: i64) -> String {
    match (hours / 24, hours % 24) {
        (0, h) => format!("{h} 小时"),
        (d, 0) => format!("{d} 天"),
        (d, h) => format!("{d} 天 {h} 小时"),
    }
}

/// The queue, searched and paged, the longest waiting first (by the time
/// of the last report, kept on the issue). The reports the cards show are
/// read in one statement, not with each history.
pub async fn queue(State(s): State<HttpState>, me: Me, Query(q): Query<ListQuery>, Query(flash): Query<Flash>) -> WebResult {
    me.require(&[Role::Rechecker, Role::Dispatcher, Role::Admin])?;
    let q = q.narrow();
    let mut errors = Vec::new();
    let (filter, mut scope) = q.parse(&s.app.wf, &[IssueState::Reported], &mut errors);
    scope.order = Order::LongestWaiting;
    let now = s.app.now().await?;
    let wait_hours = s.app.wf.reminders.recheck_wait_hours;
    let (list, pager) = search::run(&s.app, &me.actor, "/recheck", &q, filter, &scope).await?;
    let views = list.issues;
    let ids: Vec<&str> = views.iter().map(|v| v.id.as_str()).collect();
    let reports = moves_of(&s.app, &ids, &["report"]).await?;
    let mut queue = Vec::new();
    for v in &views {
        let history = reports.get(&v.id).map(Vec::as_slice).unwrap_or_default();
        let Some(report) = history.last() else { continue };
        let at = LocalTime::parse(&report.at).unwrap_or(now);
        let hours = (now.naive() - at.naive()).num_hours().max(0);
        queue.push(Waiting {
            issue: IssueRow::new(&s.app.wf, v, Some(history)),
            reported_at: short_time(&report.at),
            waited: waited(hours),
            late: hours >= wait_hours,
            note: report.note.clone().unwrap_or_default(),
            files: files_of(&report.attachments),
            reports: v.reports,
        });
    }
    let layout = Layout::new(&s, &me, "待复核", "/recheck").await.with_flash(flash.message());
    let filters = search::filters(&s.app, "/recheck", &q, Vec::new(), false, errors).await?;
    let total = list.total.unwrap_or_default();
    Ok(render(&QueuePage { layout, queue, total, wait_hours, filters, pager }))
}

#[cfg(test)]
mod tests {
    #[test]
    fn waiting_reads_in_days_and_hours() {
        assert_eq!(super::waited(5), "5 小时");
        assert_eq!(super::waited(48), "2 天");
        assert_eq!(super::waited(77), "3 天 5 小时");
    }
}
