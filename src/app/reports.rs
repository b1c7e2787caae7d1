//! Quarter and year reports and the open list, from stored charges, through
//! the same core report builder the replay uses.

use super::report_items::{self, ItemStream, Pages, Units};
use super::{Actor, App, AppError, AppResult, accounts};
use crate::core::Quarter;
use crate::core::charge::is_frozen;
use crate::core::report::{Class, Item, QuarterReport, ReportBook};
use crate::core::score::{YearReport, years};
use crate::core::state::Role;
use serde::Serialize;
use std::sync::Arc;

#[derive(Debug, Serialize)]
pub struct QuarterView {
    #[serde(flatten)]
    pub report: QuarterReport,
    pub frozen: bool,
}

pub(super) fn may_read(actor: &Actor) -> AppResult<()> {
    actor.require(&[Role::Dispatcher, Role::Assessor, Role::Admin, Role::Unit])
}

/// Every unit in the order they were created. Read each time, not from
/// the App's cache of units by id: another instance may have added one.
async fn units(app: &App) -> AppResult<Arc<Units>> {
    let rows = accounts::units(&app.db).await?;
    let index = rows.iter().enumerate().map(|(i, u)| (u.id.clone(), i)).collect();
    Ok(Arc::new(Units { index, names: rows.iter().map(|u| Arc::from(u.name.as_str())).collect() }))
}

/// The units a quarter's report covers: a unit user's own alone, named
/// from the App's memory (units are never renamed or removed), so a
/// 街道's report reads its own charges and nothing else; every unit
/// otherwise. A unit's row counts its charges alone, so its row is the
/// same either way.
async fn report_units(app: &App, actor: &Actor) -> AppResult<Arc<Units>> {
    let Some(id) = own_unit_id(actor) else { return units(app).await };
    let mut units = Units { index: Default::default(), names: Vec::new() };
    if let Some(unit) = app.unit(&id).await? {
        units.index.insert(id, 0);
        units.names.push(Arc::from(unit.name.as_str()));
    }
    Ok(Arc::new(units))
}

/// The id of the unit a unit user may see (None: everyone's).
fn own_unit_id(actor: &Actor) -> Option<String> {
    (actor.role == Role::Unit).then(|| actor.unit_id.clone().unwrap_or_default())
}

/// The unit a unit user may see (None: everyone's).
async fn own_unit(app: &App, actor: &Actor) -> AppResult<Option<String>> {
    match actor.role {
        Role::Unit => Ok(Some(app.unit_name(actor.unit_id.as_deref().unwrap_or_default()).await?)),
        _ => Ok(None),
    }
}

fn parse_quarter(quarter: &str) -> AppResult<Quarter> {
    Quarter::parse(quarter).ok_or_else(|| AppError::BadInput(format!("`{quarter}` 不是季度，格式如 2021Q1 (not a quarter YYYYQn)")))
}

pub async fn quarter(app: &App, actor: &Actor, quarter: &str) -> AppResult<QuarterView> {
    may_read(actor)?;
    let q = parse_quarter(quarter)?;
    let units = report_units(app, actor).await?;
    let mut report = build(app, &units, q, own_unit_id(actor)).await?;
    if let Some(own) = own_unit(app, actor).await? {
        keep_own(&mut report, &own);
    }
    view(app, q, report).await
}

/// `GET /api/reports/{YYYYQn}` as it is written: the items a page at a
/// time, counted into the unit rows as they pass, so that the rows and the
/// total (written after the items) sum exactly the items listed, and a
/// quarter of 200,000 charges is never held in memory.
pub struct QuarterStream {
    q: Quarter,
    units: Arc<Units>,
    pages: Pages,
    book: ReportBook,
    own: Option<String>,
    frozen: bool,
}

/// A page of a [`QuarterStream`]'s items.
pub struct ItemPage(Vec<report_items::Charged>);

impl ItemPage {
    pub fn items(&self) -> impl Iterator<Item = &Item> {
        self.0.iter().map(|c| &c.item)
    }
}

pub async fn quarter_stream(app: &App, actor: &Actor, quarter: &str) -> AppResult<QuarterStream> {
    may_read(actor)?;
    let q = parse_quarter(quarter)?;
    let units = report_units(app, actor).await?;
    let pages = Pages::new(app, units.clone(), q).of_unit(own_unit_id(actor));
    let own = own_unit(app, actor).await?;
    let frozen = is_frozen(&app.wf, q, app.now().await?.date());
    Ok(QuarterStream { q, units, pages, book: ReportBook::totals_only(), own, frozen })
}

impl QuarterStream {
    pub fn quarter(&self) -> String {
        self.q.to_string()
    }

    /// The next page of items (None: every item was read). Give it back to
    /// [`QuarterStream::count`] once written.
    pub async fn next(&mut self) -> AppResult<Option<ItemPage>> {
        Ok(self.pages.next().await?.map(ItemPage))
    }

    /// Adds a page's items to the unit rows.
    pub fn count(&mut self, wf: &crate::core::Workflow, page: ItemPage) {
        for c in page.0 {
            self.book.add(wf, self.q, c.unit, c.class, c.item);
        }
    }

    /// The unit rows, total and due date of the items counted (the report
    /// without its items), and whether the quarter is frozen.
    pub fn finish(self, wf: &crate::core::Workflow) -> QuarterView {
        let mut report = self.book.quarters(wf, self.q, self.q, &self.units.names).remove(0);
        if let Some(own) = &self.own {
            keep_own(&mut report, own);
        }
        QuarterView { report, frozen: self.frozen }
    }
}

/// A unit's completed issues in a quarter: how many, how many on time (in
/// the first tier), and their days summed.
#[derive(Debug, Clone, Default)]
pub struct Completed {
    pub unit: String,
    pub completed: u64,
    pub on_time: u64,
    pub days: i64,
}

/// The quarter's unit rows and total without its items (the trend), from
/// the totals the database keeps: no charge row is read.
pub async fn quarter_totals(app: &App, actor: &Actor, quarter: &str) -> AppResult<QuarterView> {
    Ok(kept(app, actor, parse_quarter(quarter)?).await?.0)
}

/// The quarter's unit rows, total and completions (the figures beside the
/// points), from the totals the database keeps.
pub async fn quarter_completions(app: &App, actor: &Actor, quarter: &str) -> AppResult<(QuarterView, Vec<Completed>)> {
    let (view, completed, _, _) = kept(app, actor, parse_quarter(quarter)?).await?;
    Ok((view, completed))
}

/// The quarter for its workbook: the unit rows, totals and completions
/// from the kept totals, and its items read a page at a time as the
/// returned stream is consumed — memory does not grow with the quarter.
/// The stream ends at the last charge the totals count (read with them in
/// one statement), so a charge made in between is in neither. (One taken
/// back in between — only possible while its quarter is open — would be
/// counted in the totals and missing from the items.)
pub async fn quarter_streamed(app: &App, actor: &Actor, quarter: &str) -> AppResult<(QuarterView, Vec<Completed>, ItemStream)> {
    let q = parse_quarter(quarter)?;
    let (view, completed, units, last) = kept(app, actor, q).await?;
    Ok((view, completed, ItemStream::new(Pages::new(app, units, q).of_unit(own_unit_id(actor)).until(last))))
}

type KeptView = (QuarterView, Vec<Completed>, Arc<Units>, Option<(String, i64)>);

async fn kept(app: &App, actor: &Actor, q: Quarter) -> AppResult<KeptView> {
    may_read(actor)?;
    let units = report_units(app, actor).await?;
    let (mut report, mut completed, last) = kept_report(app, &units, q).await?;
    if let Some(own) = own_unit(app, actor).await? {
        keep_own(&mut report, &own);
        completed.retain(|c| c.unit == own);
    }
    Ok((view(app, q, report).await?, completed, units, last))
}

/// Every unit's row of quarter `q` and its completions, from the kept
/// totals, and the key of the last charge they count.
async fn kept_report(app: &App, units: &Units, q: Quarter) -> AppResult<(QuarterReport, Vec<Completed>, Option<(String, i64)>)> {
    let (rows, last) = report_items::kept_in(app, units, q).await?;
    let mut book = ReportBook::totals_only();
    let mut completed: Vec<Completed> = units.names.iter().map(|u| Completed { unit: u.to_string(), ..Completed::default() }).collect();
    for r in rows {
        book.add_totals(&app.wf, q, r.unit, r.class, r.n, r.points);
        if let (Class::Tier(tier), Some(c)) = (r.class, completed.get_mut(r.unit)) {
            c.completed += r.completed;
            c.on_time += if tier.0 == 0 { r.completed } else { 0 };
            c.days += r.completed_days;
        }
    }
    Ok((book.quarters(&app.wf, q, q, &units.names).remove(0), completed, last))
}

/// Only `own`'s row, and its points as the total.
fn keep_own(report: &mut QuarterReport, own: &str) {
    report.units.retain(|r| r.unit == own);
    report.total = report.units.iter().map(|r| r.points).sum();
}

async fn view(app: &App, q: Quarter, report: QuarterReport) -> AppResult<QuarterView> {
    Ok(QuarterView { report, frozen: is_frozen(&app.wf, q, app.now().await?.date()) })
}

/// `GET /api/reports/{YYYY}`: the year's score per unit (rules.md, The
/// item's score), from its four quarters' kept totals.
pub async fn year(app: &App, actor: &Actor, year: &str) -> AppResult<YearReport> {
    may_read(actor)?;
    let y: i32 = year.parse().ok().filter(|y| (1..=9999).contains(y)).ok_or_else(|| AppError::BadInput(format!("`{year}` 不是年份 (not a year YYYY)")))?;
    let units = units(app).await?;
    let mut quarters = Vec::new();
    for n in 1..=4 {
        let q = Quarter::parse(&format!("{y:04}Q{n}")).ok_or_else(|| AppError::BadInput(format!("`{year}` 不是年份")))?;
        quarters.push(kept_report(app, &units, q).await?.0);
    }
    let mut report = years(&app.wf, &quarters).remove(0);
    if let Some(own) = own_unit(app, actor).await? {
        report.units.retain(|r| r.unit == own);
    }
    Ok(report)
}

/// One quarter's report from its charge rows, in the order they became
/// final; only `unit_id`'s, when given.
async fn build(app: &App, units: &Arc<Units>, q: Quarter, unit_id: Option<String>) -> AppResult<QuarterReport> {
    let mut book = ReportBook::default();
    let mut pages = Pages::new(app, units.clone(), q).of_unit(unit_id);
    while let Some(page) = pages.next().await? {
        for c in page {
            book.add(&app.wf, q, c.unit, c.class, c.item);
        }
    }
    Ok(book.quarters(&app.wf, q, q, &units.names).remove(0))
}

pub use super::open_list::open;
