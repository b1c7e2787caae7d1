//! The search box and filters of every list, and its page links.
//!
//! Everything is a GET parameter, so a list's URL is the search itself:
//! stable, bookmarkable, shareable in a chat. The filters become one
//! [`IssueFilter`] and [`Scope`] for [`search::list_scoped`], one indexed
//! query whatever the number of issues; a value that cannot be read
//! (a mistyped date) is said next to its field and left out.

use super::layout::percent_encode;
pub use super::pager::{Pager, pager};
use crate::app::issues::{IssueFilter, IssueList, Page};
use crate::app::search::{self, Scope};
use crate::app::{Actor, App, AppResult, accounts};
use crate::core::Workflow;
use crate::core::state::State;
use serde::Deserialize;

/// Rows on a page unless `per_page` says otherwise.
pub const PER_PAGE: u64 = 50;

/// The states "running" stands for: the unit holds the issue.
pub const RUNNING: [State; 2] = [State::Assigned, State::Rectifying];

/// A list's GET parameters, as typed (kept as text so a bad one is an
/// error on the page, not a 400).
#[derive(Deserialize, Default, Clone, Debug)]
#[serde(default)]
pub struct ListQuery {
    pub q: String,
    pub unit: String,
    /// `""` (the page's default), `all`, `running`, or a state's name.
    pub state: String,
    /// Tier indices, comma-separated (`1` or `1,2`).
    pub tier: String,
    pub source: String,
    pub category: String,
    pub from: String,
    pub to: String,
    pub page: String,
    pub per_page: String,
}

pub struct Choice {
    pub value: String,
    pub label: String,
}

/// What the filter form shows: the values asked, the choices, and which
/// fields the page has.
pub struct Filters {
    pub action: &'static str,
    pub query: ListQuery,
    pub units: Vec<String>,
    pub states: Vec<Choice>,
    pub tiers: Vec<Choice>,
    pub sources: Vec<String>,
    pub categories: Vec<String>,
    /// State, tier and dates shown too (otherwise search, unit, source, category).
    pub full: bool,
    /// A unit user's lists are its own: no unit to choose.
    pub show_unit: bool,
    pub errors: Vec<String>,
    /// Any search or filter set (a 清除条件 link shows).
    pub active: bool,
    /// A filter beyond the words set, or a filter refused: the box is open.
    pub open: bool,
}

/// The tier choices from the workflow: each tier, then overdue.
pub fn tier_choices(wf: &Workflow) -> Vec<Choice> {
    (0..=wf.tiers.len())
        .map(|i| {
            let t = wf.tier(crate::core::workflow::TierIndex(i));
            let label = if t.points.is_zero() { t.label.clone() } else { format!("{}（扣{}分）", t.label, t.points) };
            Choice { value: i.to_string(), label }
        })
        .collect()
}

/// The tiers of a colour: green the first, red overdue, yellow between.
pub fn colour_tiers(wf: &Workflow, colour: &str) -> Vec<usize> {
    let n = wf.tiers.len();
    match colour {
        "green" => vec![0],
        "yellow" => (1..n).collect(),
        "red" => vec![n],
        _ => Vec::new(),
    }
}

pub fn tier_param(tiers: &[usize]) -> String {
    tiers.iter().map(usize::to_string).collect::<Vec<_>>().join(",")
}

impl ListQuery {
    /// Only what a short list's form has (search, unit, source, category):
    /// its states are the page's own.
    pub fn narrow(mut self) -> ListQuery {
        for v in [&mut self.state, &mut self.tier, &mut self.from, &mut self.to] {
            v.clear();
        }
        self
    }

    fn is_active(&self) -> bool {
        !self.q.trim().is_empty() || self.is_filtered()
    }

    fn is_filtered(&self) -> bool {
        [&self.unit, &self.state, &self.tier, &self.source, &self.category, &self.from, &self.to].iter().any(|v| !v.trim().is_empty())
    }

    /// The filter and scope asked for; `default` is the page's states when
    /// `state` is empty. Unreadable values go to `errors`.
    pub fn parse(&self, wf: &Workflow, default: &[State], errors: &mut Vec<String>) -> (IssueFilter, Scope) {
        let some = |v: &str| Some(v.trim().to_string()).filter(|v| !v.is_empty());
        let mut date = |v: &str, what: &str| match v.trim() {
            "" => None,
            v => v.parse::<chrono::NaiveDate>().map_err(|_| errors.push(format!("{what}「{v}」不是日期，应为 2021-03-01 的格式"))).ok(),
        };
        let (from, to) = (date(&self.from, "交办日期起"), date(&self.to, "交办日期止"));
        let states = match self.state.trim() {
            "" => default.to_vec(),
            "all" => Vec::new(),
            "running" => RUNNING.to_vec(),
            s => match s.parse::<State>() {
                Ok(state) => vec![state],
                Err(_) => {
                    errors.push(format!("没有「{s}」这个状态"));
                    default.to_vec()
                }
            },
        };
        let mut tiers = Vec::new();
        for t in self.tier.split(',').map(str::trim).filter(|t| !t.is_empty()) {
            match t.parse::<usize>() {
                Ok(i) if i <= wf.tiers.len() => tiers.push(i),
                _ => errors.push(format!("没有「{t}」这个时限档")),
            }
        }
        let filter = IssueFilter {
            q: some(&self.q),
            unit: some(&self.unit),
            source: some(&self.source),
            category: some(&self.category),
            dispatched_from: from,
            dispatched_to: to,
            ..IssueFilter::default()
        };
        (filter, Scope { states, tiers, order: search::Order::Registered })
    }

    /// The page asked for: a number from 1, at most `search::MAX_PER_PAGE` rows.
    pub fn page(&self) -> Page {
        let number = self.page.trim().parse().ok().filter(|n| *n >= 1).unwrap_or(1);
        let per_page = self.per_page.trim().parse().ok().filter(|n| (1..=search::MAX_PER_PAGE).contains(n)).unwrap_or(PER_PAGE);
        Page { number, per_page }
    }

    /// This search on `path`, at page `page` (1 is left out).
    pub fn href(&self, path: &str, page: u64) -> String {
        let page = if page > 1 { page.to_string() } else { String::new() };
        let per_page = if self.page().per_page == PER_PAGE { String::new() } else { self.per_page.trim().to_string() };
        let pairs = [
            ("q", self.q.trim()),
            ("unit", self.unit.trim()),
            ("state", self.state.trim()),
            ("tier", self.tier.trim()),
            ("source", self.source.trim()),
            ("category", self.category.trim()),
            ("from", self.from.trim()),
            ("to", self.to.trim()),
            ("per_page", per_page.as_str()),
            ("page", page.as_str()),
        ];
        let query: Vec<String> = pairs.iter().filter(|(_, v)| !v.is_empty()).map(|(k, v)| format!("{k}={}", percent_encode(v))).collect();
        if query.is_empty() { path.to_string() } else { format!("{path}?{}", query.join("&")) }
    }
}

/// The filter form of `action` with the choices from the workflow and the units.
pub async fn filters(app: &App, action: &'static str, query: &ListQuery, states: Vec<Choice>, full: bool, errors: Vec<String>) -> AppResult<Filters> {
    Ok(Filters {
        action,
        active: query.is_active(),
        open: query.is_filtered() || !errors.is_empty(),
        query: query.clone(),
        units: accounts::units(&app.db).await?.into_iter().map(|u| u.name).collect(),
        states,
        tiers: tier_choices(&app.wf),
        sources: app.wf.sources.clone(),
        categories: app.wf.categories.clone(),
        full,
        show_unit: true,
        errors,
    })
}

/// The state choices of a list: its default first, then `all`, `running`
/// and every state by the workflow's label.
pub fn state_choices(wf: &Workflow, default_label: &str) -> Vec<Choice> {
    let mut out = vec![
        Choice { value: String::new(), label: default_label.to_string() },
        Choice { value: "all".into(), label: "全部（含已销号、已撤销）".into() },
        Choice { value: "running".into(), label: "待签收和整改中".into() },
    ];
    out.extend(State::ALL.iter().map(|s| Choice { value: s.as_str().to_string(), label: wf.state_label(*s).to_string() }));
    out
}

/// Runs the search: one page of issues and the links to the others.
pub async fn run(app: &App, actor: &Actor, path: &str, query: &ListQuery, filter: IssueFilter, scope: &Scope) -> AppResult<(IssueList, Pager)> {
    let page = query.page();
    let list = search::list_scoped(app, actor, filter, scope, Some(page)).await?;
    let total = list.total.unwrap_or(list.issues.len() as u64);
    Ok((list, pager(query, path, page, total)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn query(page: &str) -> ListQuery {
        ListQuery { q: "排口 东岸".into(), unit: "中兴街道".into(), page: page.into(), ..ListQuery::default() }
    }

    #[test]
    fn a_search_is_its_url_and_page_one_is_left_out() {
        assert_eq!(query("").href("/board", 1), "/board?q=%E6%8E%92%E5%8F%A3%20%E4%B8%9C%E5%B2%B8&unit=%E4%B8%AD%E5%85%B4%E8%A1%97%E9%81%93");
        assert!(query("").href("/board", 3).ends_with("&page=3"));
        assert_eq!(ListQuery::default().href("/my", 1), "/my");
    }

    #[test]
    fn bad_values_are_said_not_refused() {
        let wf = Workflow::load(std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/workflows/water-environment.toml"))).unwrap();
        let q = ListQuery { from: "2021-13-01".into(), tier: "1,9".into(), state: "closed".into(), page: "x".into(), ..ListQuery::default() };
        let mut errors = Vec::new();
        let (filter, scope) = q.parse(&wf, &[State::Assigned], &mut errors);
        assert_eq!(errors.len(), 2, "{errors:?}");
        assert_eq!((filter.dispatched_from, scope.tiers, scope.states), (None, vec![1], vec![State::Closed]));
        assert_eq!(q.page().number, 1);
    }
}
