//! Finding issues: the filters of every list (search words, unit, state,
//! tier, source, category, dispatch dates) and pagination.
//!
//! Everything is one SQL query on indexed columns (plus a count when a page
//! is asked for), so a list stays fast with 100,000 issues; the tier of an
//! open issue is a range of dispatch dates as of today, that of a charged
//! one its charge's tier. Closed and withdrawn issues are found like any
//! other: a filter narrows, nothing is hidden by default.

use super::issues::{IssueView, build_view, with_final, with_final_and};
use super::{Actor, App, AppError, AppResult};
use crate::core::clock::add_days;
use crate::core::state::{Role, State};
use crate::db::entities::issue;
use chrono::NaiveDate;
use sea_orm::sea_query::NullOrdering;
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Func, Query};
use sea_orm::{ColumnTrait, Condition, ConnectionTrait, EntityTrait, Order as SqlOrder, QueryFilter, QueryOrder};
use std::collections::HashMap;

/// Most issues one page holds.
pub const MAX_PER_PAGE: u64 = 500;

#[derive(Debug, Default, Clone)]
pub struct IssueFilter {
    pub state: Option<State>,
    pub unit: Option<String>,
    pub code: Option<String>,
    /// Words of the code, title or location (all of them, any case).
    pub q: Option<String>,
    pub source: Option<String>,
    pub category: Option<String>,
    /// The tier an issue stands in (0 the first; the overdue tier last).
    pub tier: Option<usize>,
    pub dispatched_from: Option<NaiveDate>,
    pub dispatched_to: Option<NaiveDate>,
}

/// A page of a list, numbered from 1.
#[derive(Debug, Clone, Copy)]
pub struct Page {
    pub number: u64,
    pub per_page: u64,
}

impl Page {
    pub fn new(number: Option<u64>, per_page: Option<u64>) -> AppResult<Page> {
        let (number, per_page) = (number.unwrap_or(1), per_page.unwrap_or(50));
        if number == 0 || per_page == 0 || per_page > MAX_PER_PAGE {
            return Err(AppError::BadInput(format!("page 从 1 起，per_page 为 1 到 {MAX_PER_PAGE} (page starts at 1, per_page 1..={MAX_PER_PAGE})")));
        }
        Ok(Page { number, per_page })
    }
}

#[derive(Debug, serde::Serialize)]
pub struct IssueList {
    pub issues: Vec<IssueView>,
    /// Every matching issue, when a page was asked for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub total: Option<u64>,
}

pub async fn list_page(app: &App, actor: &Actor, filter: IssueFilter, page: Option<Page>) -> AppResult<IssueList> {
    list_scoped(app, actor, filter, &Scope::default(), page).await
}

/// Issues read at a time by [`Chunks`]. Debug builds (the tests) use tiny
/// chunks, so that every unpaged list a test reads crosses their borders.
const CHUNK: u64 = if cfg!(debug_assertions) { 3 } else { 500 };

/// Every issue matching a filter the actor may see, in registration order,
/// read [`CHUNK`] at a time after the last one's key — so that `GET
/// /api/issues` without a page can stream a province's million issues
/// with only a chunk of them in memory. Every chunk's days count to the
/// same instant, the one the list was asked at.
pub struct Chunks {
    app: App,
    condition: Condition,
    now: crate::core::LocalTime,
    after: Option<(i64, String)>,
    done: bool,
}

pub async fn chunks(app: &App, actor: &Actor, filter: IssueFilter) -> AppResult<Chunks> {
    let unit = unit_filter(app, &filter).await?;
    let now = app.now().await?;
    let condition = condition(app, actor, &filter, unit.as_deref(), now.date())?;
    Ok(Chunks { app: app.clone(), condition, now, after: None, done: false })
}

impl Chunks {
    /// The next issues (None: no more). The key is registration order,
    /// which never changes, so an issue moved meanwhile is listed once.
    pub async fn next(&mut self) -> AppResult<Option<Vec<IssueView>>> {
        if self.done {
            return Ok(None);
        }
        let mut condition = self.condition.clone();
        if let Some((seq, id)) = &self.after {
            let same_seq = Condition::all().add(issue::Column::RegSeq.eq(*seq)).add(issue::Column::Id.gt(id.as_str()));
            condition = condition.add(Condition::any().add(issue::Column::RegSeq.gt(*seq)).add(same_seq));
        }
        let query = issue::Entity::find().filter(condition).order_by_asc(issue::Column::RegSeq).order_by_asc(issue::Column::Id);
        let rows = with_final(&self.app, query, Some((CHUNK, 0))).await?;
        self.done = (rows.len() as u64) < CHUNK;
        self.after = rows.last().map(|(r, _)| (r.reg_seq, r.id.clone()));
        let units = self.app.unit_names_of(rows.iter().map(|(r, _)| r.unit_id.as_str())).await?;
        let views = rows
            .iter()
            .map(|(row, charge)| build_view(&self.app, row, units.get(&row.unit_id).map_or("", String::as_str), self.now, None, *charge))
            .collect::<AppResult<Vec<_>>>()?;
        Ok((!views.is_empty()).then_some(views))
    }

    /// Whether [`Chunks::next`] has returned the last issues.
    pub fn done(&self) -> bool {
        self.done
    }
}

/// What a page asks beyond one [`IssueFilter`] (read-only, for the web
/// lists): issues in any of `states` and in any of `tiers` (each empty: no
/// limit), in `order`.
#[derive(Debug, Default, Clone)]
pub struct Scope {
    pub states: Vec<State>,
    pub tiers: Vec<usize>,
    pub order: Order,
}

/// The order of a web list; registration order settles every tie.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub enum Order {
    /// As registered.
    #[default]
    Registered,
    /// The longest-running first: those whose days still count, then by
    /// dispatch date; the pool last (the board's order).
    LongestRunning,
    /// The longest waiting since its last report first (the recheck queue).
    LongestWaiting,
}

pub async fn list_scoped(app: &App, actor: &Actor, filter: IssueFilter, scope: &Scope, page: Option<Page>) -> AppResult<IssueList> {
    let unit = unit_filter(app, &filter).await?;
    let now = app.now().await?;
    let condition = scoped_condition(app, actor, &filter, unit.as_deref(), scope, now.date())?;
    let mut query = issue::Entity::find().filter(condition.clone());
    match scope.order {
        Order::Registered => {}
        Order::LongestRunning => {
            // Issues whose days still count before those frozen (awaiting
            // recheck) or done: the ones a chase can still help come first.
            let counting = Expr::case(issue::Column::State.is_in([State::Assigned, State::Rectifying, State::Returned].map(State::as_str)), 0).finally(1);
            query = query.order_by(Into::<sea_orm::sea_query::Expr>::into(counting), SqlOrder::Asc).order_by_with_nulls(
                issue::Column::DispatchedAt,
                SqlOrder::Asc,
                NullOrdering::Last,
            );
        }
        Order::LongestWaiting => query = query.order_by_with_nulls(issue::Column::LastReportAt, SqlOrder::Asc, NullOrdering::Last),
    }
    let query = query.order_by_asc(issue::Column::RegSeq).order_by_asc(issue::Column::Id);
    let (rows, total) = match page {
        Some(p) => {
            // The count rides along with the page's rows (one round trip);
            // asked alone only past the last page, where no row carries it.
            let total = match by_unit_and_state(actor, &filter, unit.as_deref(), scope) {
                Some(kept) => kept_query(kept),
                None => Some(count_query(condition)),
            };
            let window = (p.per_page, (p.number - 1) * p.per_page);
            let (rows, counted) = with_final_and(app, query, total.clone(), Some(window)).await?;
            let total = match (counted, total) {
                (Some(n), _) => u64::try_from(n).unwrap_or(0),
                (None, Some(total)) if p.number > 1 => read_count(app, &total).await?,
                (None, _) => 0,
            };
            (rows, Some(total))
        }
        None => (with_final(app, query, None).await?, None),
    };
    let units = app.unit_names_of(rows.iter().map(|(r, _)| r.unit_id.as_str())).await?;
    let issues = rows
        .iter()
        .map(|(row, charge)| build_view(app, row, units.get(&row.unit_id).map_or("", String::as_str), now, None, *charge))
        .collect::<AppResult<_>>()?;
    Ok(IssueList { issues, total })
}

/// How many issues match: one count query (the board's tiles).
pub async fn count_scoped(app: &App, actor: &Actor, filter: IssueFilter, scope: &Scope) -> AppResult<u64> {
    let unit = unit_filter(app, &filter).await?;
    if let Some(kept) = by_unit_and_state(actor, &filter, unit.as_deref(), scope) {
        return kept_count(app, kept).await;
    }
    let today = app.now().await?.date();
    count(app, scoped_condition(app, actor, &filter, unit.as_deref(), scope, today)?).await
}

/// A filter of nothing but unit and states, whose count the database keeps
/// (`issue_counts`, maintained by triggers with every issue row).
struct KeptFilter {
    unit: Option<String>,
    /// `None`: every state.
    states: Option<Vec<State>>,
}

/// The filter as a [`KeptFilter`], when it is one.
fn by_unit_and_state(actor: &Actor, f: &IssueFilter, unit: Option<&str>, scope: &Scope) -> Option<KeptFilter> {
    let narrowed = [&f.code, &f.q, &f.source, &f.category].into_iter().any(|v| text(v).is_some());
    if narrowed || f.tier.is_some() || f.dispatched_from.is_some() || f.dispatched_to.is_some() || !scope.tiers.is_empty() {
        return None;
    }
    let named = unit.map(str::to_string);
    let own = (actor.role == Role::Unit).then(|| actor.unit_id.clone().unwrap_or_default());
    let unit = match (named, own) {
        // Both given and different: no issue is in two units.
        (Some(a), Some(b)) if a != b => return Some(KeptFilter { unit: Some(a), states: Some(Vec::new()) }),
        (a, b) => a.or(b),
    };
    let states = match (f.state, scope.states.is_empty()) {
        (None, true) => None,
        (None, false) => Some(scope.states.clone()),
        (Some(s), true) => Some(vec![s]),
        (Some(s), false) => Some(if scope.states.contains(&s) { vec![s] } else { Vec::new() }),
    };
    Some(KeptFilter { unit, states })
}

/// `SELECT SUM(n) FROM issue_counts WHERE …`: at most units × states rows.
async fn kept_count(app: &App, kept: KeptFilter) -> AppResult<u64> {
    match kept_query(kept) {
        Some(query) => read_count(app, &query).await,
        None => Ok(0),
    }
}

/// The statement summing the kept counts of a [`KeptFilter`]; None when it
/// matches nothing (no state asked). Every issue (the board's first page):
/// the one row of `issue_total`, not a sum over every unit and state.
fn kept_query(kept: KeptFilter) -> Option<sea_orm::sea_query::SelectStatement> {
    if kept.states.as_ref().is_some_and(Vec::is_empty) {
        return None;
    }
    let col = |name: &str| Expr::col(sea_orm::sea_query::Alias::new(name));
    if kept.unit.is_none() && kept.states.is_none() {
        return Some(
            Query::select()
                .column(sea_orm::sea_query::Alias::new("n"))
                .from(sea_orm::sea_query::Alias::new("issue_total"))
                .and_where(col("id").eq(1))
                .to_owned(),
        );
    }
    // SUM of a BIGINT is NUMERIC on PostgreSQL: cast back for one reading.
    let mut query = Query::select().expr(Expr::cust("CAST(COALESCE(SUM(n), 0) AS BIGINT)")).from(sea_orm::sea_query::Alias::new("issue_counts")).to_owned();
    if let Some(unit) = kept.unit {
        query.and_where(col("unit_id").eq(unit));
    }
    if let Some(states) = kept.states {
        query.and_where(col("state").is_in(states.iter().map(|s| s.as_str())));
    }
    Some(query)
}

/// The one number a count statement gives.
async fn read_count(app: &App, query: &sea_orm::sea_query::SelectStatement) -> AppResult<u64> {
    let row = app.db.query_one(query).await?;
    let n: i64 = row.map(|r| r.try_get_by_index(0)).transpose()?.unwrap_or(0);
    Ok(u64::try_from(n).unwrap_or(0))
}

/// How many issues the actor may see are in each state (a state with none
/// is absent): one statement over the kept counts, for the board's tiles.
pub async fn counts_by_state(app: &App, actor: &Actor) -> AppResult<HashMap<State, u64>> {
    let mut query = Query::select()
        .column(sea_orm::sea_query::Alias::new("state"))
        .expr(Expr::cust("CAST(COALESCE(SUM(n), 0) AS BIGINT)"))
        .from(sea_orm::sea_query::Alias::new("issue_counts"))
        .group_by_col(sea_orm::sea_query::Alias::new("state"))
        .to_owned();
    if actor.role == Role::Unit {
        query.and_where(Expr::col(sea_orm::sea_query::Alias::new("unit_id")).eq(actor.unit_id.clone().unwrap_or_default()));
    }
    let mut counts = HashMap::new();
    for row in app.db.query_all(&query).await? {
        let (state, n): (String, i64) = (row.try_get_by_index(0)?, row.try_get_by_index(1)?);
        if let Ok(state) = state.parse::<State>() {
            counts.insert(state, u64::try_from(n).unwrap_or(0));
        }
    }
    Ok(counts)
}

/// `SELECT COUNT(*) FROM issues WHERE …`, written out: sea-orm's `count()`
/// counts the rows of a subquery selecting every column, which at a
/// million issues read the whole table (400 ms) where the database counts
/// the entries of its smallest index.
async fn count(app: &App, condition: Condition) -> AppResult<u64> {
    read_count(app, &count_query(condition)).await
}

fn count_query(condition: Condition) -> sea_orm::sea_query::SelectStatement {
    Query::select().expr(Expr::cust("COUNT(*)")).from(issue::Entity).cond_where(condition).to_owned()
}

fn scoped_condition(app: &App, actor: &Actor, filter: &IssueFilter, unit: Option<&str>, scope: &Scope, today: NaiveDate) -> AppResult<Condition> {
    let mut c = condition(app, actor, filter, unit, today)?;
    if !scope.states.is_empty() {
        c = c.add(issue::Column::State.is_in(scope.states.iter().map(|s| s.as_str())));
    }
    if !scope.tiers.is_empty() {
        let mut any = Condition::any();
        for t in &scope.tiers {
            any = any.add(tier_condition(app, *t, today)?);
        }
        c = c.add(any);
    }
    Ok(c)
}

fn text(value: &Option<String>) -> Option<&str> {
    value.as_deref().map(str::trim).filter(|v| !v.is_empty())
}

/// The unit filter as a unit id: a unit's name, or its id as given.
async fn unit_filter(app: &App, f: &IssueFilter) -> AppResult<Option<String>> {
    let Some(unit) = text(&f.unit) else { return Ok(None) };
    Ok(Some(app.unit_named(unit).await?.unwrap_or_else(|| unit.to_string())))
}

fn condition(app: &App, actor: &Actor, f: &IssueFilter, unit: Option<&str>, today: NaiveDate) -> AppResult<Condition> {
    let mut c = Condition::all();
    if let Some(state) = f.state {
        c = c.add(issue::Column::State.eq(state.as_str()));
    }
    if let Some(code) = text(&f.code) {
        c = c.add(issue::Column::Code.eq(code));
    }
    if let Some(id) = unit {
        c = c.add(issue::Column::UnitId.eq(id));
    }
    if actor.role == Role::Unit {
        c = c.add(issue::Column::UnitId.eq(actor.unit_id.clone().unwrap_or_default()));
    }
    if let Some(source) = text(&f.source) {
        c = c.add(issue::Column::Source.eq(source));
    }
    if let Some(category) = text(&f.category) {
        c = c.add(issue::Column::Category.eq(category));
    }
    for word in text(&f.q).into_iter().flat_map(str::split_whitespace) {
        let pattern = format!("%{}%", word.to_lowercase().replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_"));
        let like =
            |col: issue::Column| Expr::expr(Func::lower(Expr::col((issue::Entity, col)))).like(sea_orm::sea_query::LikeExpr::new(pattern.clone()).escape('\\'));
        c = c.add(Condition::any().add(like(issue::Column::Code)).add(like(issue::Column::Title)).add(like(issue::Column::Location)));
    }
    if let Some(from) = f.dispatched_from {
        c = c.add(issue::Column::DispatchedAt.gte(format!("{from}T00:00:00")));
    }
    if let Some(to) = f.dispatched_to {
        c = c.add(issue::Column::DispatchedAt.lt(format!("{}T00:00:00", add_days(to, 1))));
    }
    if let Some(tier) = f.tier {
        c = c.add(tier_condition(app, tier, today)?);
    }
    Ok(c)
}

/// Issues in tier `t`: open ones dispatched so many days before today,
/// charged ones by their charge.
fn tier_condition(app: &App, t: usize, today: NaiveDate) -> AppResult<Condition> {
    let wf = &app.wf;
    if t > wf.tiers.len() {
        return Err(AppError::BadInput(format!("tier 为 0 到 {} (tier is 0..={})", wf.tiers.len(), wf.tiers.len())));
    }
    // Days since dispatch covered by tier t: (previous tier's last day, this one's].
    let first = if t == 0 { 0 } else { wf.tiers[t - 1].up_to_day.unwrap_or(0) + 1 };
    let last = wf.tiers.get(t).and_then(|tier| tier.up_to_day);
    let mut open = Condition::all().add(issue::Column::Charged.eq(false)).add(issue::Column::DispatchedAt.is_not_null());
    // days ≥ first ⇔ d ≤ today − first; days ≤ last ⇔ d ≥ today − last.
    open = open.add(issue::Column::DispatchedAt.lt(format!("{}T00:00:00", add_days(today, 1 - first))));
    if let Some(last) = last {
        open = open.add(issue::Column::DispatchedAt.gte(format!("{}T00:00:00", add_days(today, -last))));
    }
    // The charge's tier as its trigger copied it onto the issue's row
    // (m20261219): the board counts three tiers on every view, and a
    // subquery over the charges read every charge of the tier for each.
    let charged = Condition::all()
        .add(issue::Column::Charged.eq(true))
        .add(Expr::col((issue::Entity, Alias::new("final_tier"))).eq(i32::try_from(t).unwrap_or(i32::MAX)));
    Ok(Condition::any().add(open).add(charged))
}
