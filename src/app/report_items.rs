//! A quarter's charges as the core's items, a page at a time, in the order
//! they became final: the report adds them to its book; the workbook writes
//! them as they come, so a quarter of 200,000 charges never sits in memory.

use super::handover::Fetched;
use super::{App, AppResult, charges, convert};
use crate::core::Points;
use crate::core::Quarter;
use crate::core::report::{Class, Corrected, Item};
use crate::core::workflow::TierIndex;
use crate::db::columns::Text;
use crate::db::sql;
use sea_orm::{ConnectionTrait, DbBackend, Statement, TransactionTrait};
use std::collections::HashMap;
use std::sync::Arc;

/// The units in report order, and where each id stands in it.
pub(super) struct Units {
    pub index: HashMap<String, usize>,
    pub names: Vec<Arc<str>>,
}

/// An item, the unit it counts for (its place in [`Units`]) and its column.
pub(super) struct Charged {
    pub unit: usize,
    pub class: Class,
    pub item: Item,
}

/// The pages of quarter `q`, read one after the other (keyset: each starts
/// after the last row of the one before). The next page is asked for as
/// soon as this one's last key is known: the database reads it, and a task
/// of its own turns it into items, while this one is written.
pub(super) struct Pages {
    app: App,
    units: Arc<Units>,
    q: Quarter,
    /// Only this unit's charges (a unit user's report), by the index
    /// `charges_unit_quarter`; None: every unit's.
    unit: Option<String>,
    after: Option<(String, i64)>,
    /// The last row to read (None: to the end).
    until: Option<(String, i64)>,
    done: bool,
    /// The next page, being read and turned into items.
    ahead: Option<tokio::task::JoinHandle<AppResult<Page>>>,
}

/// A page's items, the key of its last row, and whether it was the last.
struct Page {
    items: Vec<Charged>,
    last: Option<(String, i64)>,
    ended: bool,
}

impl Pages {
    pub fn new(app: &App, units: Arc<Units>, q: Quarter) -> Self {
        Pages { app: app.clone(), units, q, unit: None, after: None, until: None, done: false, ahead: None }
    }

    /// Only the charges of the unit `unit_id` (None: every unit's).
    pub fn of_unit(mut self, unit_id: Option<String>) -> Self {
        self.unit = unit_id;
        self
    }

    /// Stops after the row `last` (None: reads nothing).
    pub fn until(mut self, last: Option<(String, i64)>) -> Self {
        self.done = last.is_none();
        self.until = last;
        self
    }

    /// The next page's items; None once every charge was read.
    pub async fn next(&mut self) -> AppResult<Option<Vec<Charged>>> {
        if self.done {
            return Ok(None);
        }
        let page = match self.ahead.take() {
            Some(page) => page.await.map_err(|e| anyhow::anyhow!("reading a page of charges failed: {e}"))??,
            None => page_in(&self.app, &self.units, self.q, self.unit.clone(), self.after.clone(), self.until.as_ref()).await?,
        };
        self.done = page.ended;
        if page.last.is_some() {
            self.after = page.last;
        }
        if !self.done {
            let (app, units, q, unit, after, until) = (self.app.clone(), self.units.clone(), self.q, self.unit.clone(), self.after.clone(), self.until.clone());
            self.ahead = Some(tokio::spawn(async move { page_in(&app, &units, q, unit, after, until.as_ref()).await }));
        }
        Ok(Some(page.items))
    }
}

/// The page after `after` as items, up to the row `until` when given. Read
/// ahead, on a task of its own: the page is turned into items while the
/// one before is written.
async fn page_in(app: &App, units: &Units, q: Quarter, unit: Option<String>, after: Option<(String, i64)>, until: Option<&(String, i64)>) -> AppResult<Page> {
    let fetched = charged_in(app, q, unit, after).await?;
    let mut rows: Vec<ChargeLine> = fetched.lines("charges of a report page")?;
    let mut ended = (rows.len() as u64) < PAGE;
    if let Some((until_at, until_id)) = until {
        let keep = rows.iter().take_while(|r| (&*r.known_at, r.id) <= (until_at.as_str(), *until_id)).count();
        ended |= keep < rows.len();
        rows.truncate(keep);
    }
    let last = rows.last().map(|r| (r.known_at.to_string(), r.id));
    let mut items = Vec::with_capacity(rows.len());
    for row in rows {
        items.extend(to_item(units, row)?);
    }
    Ok(Page { items, last, ended })
}

/// A reader gone before the last page (an error, a client that went away)
/// leaves no read running for nobody.
impl Drop for Pages {
    fn drop(&mut self) {
        if let Some(page) = self.ahead.take() {
            page.abort();
        }
    }
}

/// A quarter's items for a writer on a blocking thread (the workbook): the
/// next page is read while the one before is written (two pages at most
/// in memory). An error ends the items; [`ItemStream::finish`] returns it.
pub struct ItemStream {
    pages: Pages,
    page: std::vec::IntoIter<Charged>,
    handle: tokio::runtime::Handle,
    error: Option<super::AppError>,
}

impl ItemStream {
    /// Made on the runtime whose database connections the pages use.
    pub(super) fn new(pages: Pages) -> Self {
        ItemStream { pages, page: Vec::new().into_iter(), handle: tokio::runtime::Handle::current(), error: None }
    }

    /// Whether every item was read.
    pub fn finish(self) -> AppResult<()> {
        self.error.map_or(Ok(()), Err)
    }
}

/// Blocks on the database between pages: only for a blocking thread
/// (`spawn_blocking`), never a runtime worker.
impl Iterator for ItemStream {
    type Item = Item;

    fn next(&mut self) -> Option<Item> {
        loop {
            if let Some(c) = self.page.next() {
                return Some(c.item);
            }
            if self.error.is_some() {
                return None;
            }
            match self.handle.block_on(self.pages.next()) {
                Ok(Some(page)) => self.page = page.into_iter(),
                Ok(None) => return None,
                Err(e) => self.error = Some(e),
            }
        }
    }
}

/// Charge rows read at a time: a quarter of 200,000 charges is read in
/// pages, so the rows of only one page are in memory beside the items.
/// 2,000 rather than 10,000: a page (its JSON text, its rows, its items,
/// and the one read ahead) lifted a soaked server's memory by ~28 MiB per
/// report at 10,000; the extra keyset statements cost less than the
/// spread between two runs of the 250,000-charge bench.
/// Debug builds (the tests) use tiny pages, so that every report a test
/// compares with `simulate` crosses page boundaries.
const PAGE: u64 = if cfg!(debug_assertions) { 3 } else { 2_000 };

/// One charge row as the core's item (None: a unit no longer listed).
fn to_item(units: &Units, c: ChargeLine) -> AppResult<Option<Charged>> {
    let Some(&unit) = units.index.get(&*c.unit_id) else { return Ok(None) };
    let points = Points::from_thousandths(c.points_milli);
    let name = units.names[unit].clone();
    let date = |s: &Option<Text>| s.as_deref().and_then(crate::core::day::parse);
    let class = class_of(&c.kind, c.tier);
    let item = match &*c.kind {
        charges::VIOLATION => {
            let violation = Some(Arc::from(c.id.to_string()));
            let note = c.note.map(|n| n.0.into_owned());
            Item::Violation { unit: name, date: convert::time(&c.known_at)?.date(), points, note, violation }
        }
        charges::CORRECTION => {
            let of = match c.code {
                Some(code) => Corrected::Issue(Arc::from(&*code)),
                None => Corrected::Violation(c.corrects_id.unwrap_or_default().to_string().into()),
            };
            let corrects = c.corrects.as_deref().and_then(Quarter::parse).ok_or_else(|| anyhow::anyhow!("correction {} names no quarter", c.id))?;
            Item::Correction { of, unit: name, corrects, date: convert::time(&c.known_at)?.date(), points }
        }
        _ => {
            let dispatched = date(&c.dispatched).ok_or_else(|| anyhow::anyhow!("a charge of {} without dispatch date", &*c.known_at))?;
            let issue = c.code.as_deref().map_or_else(|| Arc::from(""), Arc::from);
            Item::Issue { issue, unit: name, dispatched, completed: date(&c.completed), days: c.days.unwrap_or(0), points }
        }
    };
    Ok(Some(Charged { unit, class, item }))
}

/// The column a charge of `kind` and `tier` counts in.
fn class_of(kind: &str, tier: i32) -> Class {
    match kind {
        charges::VIOLATION => Class::Violation,
        charges::CORRECTION => Class::Correction,
        _ => Class::Tier(TierIndex(tier.max(0) as usize)),
    }
}

/// What the charges of one unit, quarter, kind and tier add up to, as the
/// database keeps it (`charge_totals`, maintained by triggers with every
/// charge row).
pub(super) struct Kept {
    pub unit: usize,
    pub class: Class,
    pub n: u64,
    pub points: Points,
    /// Of the issues charged, how many were completed, and in how many days.
    pub completed: u64,
    pub completed_days: i64,
}

/// Quarter `q`'s kept totals, and the key of its last charge, read in one
/// statement (so the one agrees with the other: the workbook lists the
/// items up to that key beside totals that count exactly those).
pub(super) async fn kept_in(app: &App, units: &Units, q: Quarter) -> AppResult<(Vec<Kept>, Option<(String, i64)>)> {
    let last = |column: &str| format!("(SELECT {column} FROM charges WHERE quarter = ? AND NOT removed ORDER BY known_at DESC, id DESC LIMIT 1)");
    let text = format!(
        "SELECT unit_id, kind, tier, n, points_milli, completed, completed_days, {} AS last_at, {} AS last_id \
         FROM charge_totals WHERE quarter = ? ORDER BY unit_id, kind, tier",
        last("known_at"),
        last("id")
    );
    let quarter = q.to_string();
    let values = [quarter.clone().into(), quarter.clone().into(), quarter.into()];
    let rows = app.db.query_all_raw(Statement::from_sql_and_values(app.backend(), sql(app.backend(), &text), values)).await?;
    let mut last = None;
    let mut kept = Vec::with_capacity(rows.len());
    for r in rows {
        if let (Some(at), Some(id)) = (r.try_get::<Option<String>>("", "last_at")?, r.try_get::<Option<i64>>("", "last_id")?) {
            last = Some((at, id));
        }
        let (unit_id, kind): (String, String) = (r.try_get("", "unit_id")?, r.try_get("", "kind")?);
        let Some(&unit) = units.index.get(unit_id.as_str()) else { continue };
        let count = |column: &str| -> AppResult<u64> { Ok(u64::try_from(r.try_get::<i64>("", column)?).unwrap_or(0)) };
        kept.push(Kept {
            unit,
            class: class_of(&kind, r.try_get("", "tier")?),
            n: count("n")?,
            points: Points::from_thousandths(r.try_get("", "points_milli")?),
            completed: count("completed")?,
            completed_days: r.try_get("", "completed_days")?,
        });
    }
    Ok((kept, last))
}

/// A charge row with its issue's code, as the report needs it. The fields
/// are the SELECT's columns in order: a page arrives as a JSON array of
/// arrays, which serde reads into a struct by position (SQLite), or as
/// rows read by position (PostgreSQL, [`super::handover::Line`]). The text
/// is borrowed from the page as read: a page of 2,000 rows costs no
/// allocation per value.
#[derive(serde::Deserialize)]
struct ChargeLine<'a> {
    id: i64,
    #[serde(borrow)]
    kind: Text<'a>,
    #[serde(borrow)]
    unit_id: Text<'a>,
    points_milli: i64,
    tier: i32,
    days: Option<i64>,
    #[serde(borrow)]
    dispatched: Option<Text<'a>>,
    #[serde(borrow)]
    completed: Option<Text<'a>>,
    #[serde(borrow)]
    known_at: Text<'a>,
    #[serde(borrow)]
    note: Option<Text<'a>>,
    #[serde(borrow)]
    code: Option<Text<'a>>,
    #[serde(borrow)]
    corrects: Option<Text<'a>>,
    corrects_id: Option<i64>,
}

/// A page of a quarter's charges (of one unit's, with `of_unit`). The
/// page's size is written into the text, as the list pages' are
/// (`db::windowed`): a plan PostgreSQL keeps for a bound LIMIT cannot see
/// how few rows are wanted.
fn page_sql(of_unit: bool) -> String {
    let of_unit = if of_unit { "unit_id = ? AND " } else { "" };
    format!("SELECT {COLUMNS} FROM charges WHERE {of_unit}quarter = ? AND NOT removed AND (known_at, id) > (?, ?) ORDER BY known_at, id LIMIT {PAGE}")
}

const COLUMNS: &str = "id, kind, unit_id, points_milli, tier, days, dispatched, completed, known_at, note, code, corrects, corrects_id";

/// A page of the charges still in quarter `q` (a charge taken back before
/// its quarter froze is not), in the order they became final, read in one
/// pass of the index `charges_quarter_order`: the row carries its issue's
/// code, so a million rows cost no lookups in the issues table.
/// `after`: the (known_at, id) of the last row of the page before.
///
/// The database hands over a page the way [`super::handover`] measured
/// fastest: at 250,000 charges, reading them row by row through the driver
/// was most of the report's time.
async fn charged_in(app: &App, q: Quarter, unit: Option<String>, after: Option<(String, i64)>) -> AppResult<Fetched> {
    let (after_at, after_id) = after.unwrap_or_default();
    let page = format!("({}) AS p", page_sql(unit.is_some()));
    let values: Vec<sea_orm::Value> = unit.map(Into::into).into_iter().chain([q.to_string().into(), after_at.into(), after_id.into()]).collect();
    if app.backend() != DbBackend::Postgres {
        return super::handover::fetch(&app.db, COLUMNS, &page, "known_at, id", values).await;
    }
    // Read in the order of `charges_quarter_order` (or of
    // `charges_unit_quarter`), from the last key on.
    let tx = app.db.begin().await?;
    tx.execute_unprepared(crate::db::INDEX_ORDER).await?;
    let rows = super::handover::fetch(&tx, COLUMNS, &page, "known_at, id", values).await?;
    tx.commit().await?;
    Ok(rows)
}

impl<'a> super::handover::Line<'a> for ChargeLine<'a> {
    type Json = ChargeLine<'a>;

    fn from_json(json: ChargeLine<'a>) -> ChargeLine<'a> {
        json
    }

    /// A row of [`COLUMNS`], read in order ([`crate::db::columns`]).
    fn by_position(r: &'a sea_orm::QueryResult) -> Result<ChargeLine<'a>, sea_orm::DbErr> {
        let mut c = crate::db::columns::Columns::from(r, 0);
        let missing = |what: &str| sea_orm::DbErr::Type(format!("a charge without {what}"));
        Ok(ChargeLine {
            id: c.read()?,
            kind: c.text()?.ok_or_else(|| missing("kind"))?,
            unit_id: c.text()?.ok_or_else(|| missing("unit"))?,
            points_milli: c.read()?,
            tier: c.read()?,
            days: c.read()?,
            dispatched: c.text()?,
            completed: c.text()?,
            known_at: c.text()?.ok_or_else(|| missing("known_at"))?,
            note: c.text()?,
            code: c.text()?,
            corrects: c.text()?,
            corrects_id: c.read()?,
        })
    }

    fn order(a: &ChargeLine, b: &ChargeLine) -> std::cmp::Ordering {
        (&*a.known_at, a.id).cmp(&(&*b.known_at, b.id))
    }
}

#[cfg(test)]
mod tests {
    use super::{ChargeLine, Units, to_item};
    use crate::app::handover::Fetched;
    use crate::core::report::{Corrected, Item};
    use sea_orm::{DbBackend, Statement};
    use std::sync::Arc;

    /// A page as SQLite writes it reads into the same items whether its
    /// text needed unescaping (a note with quotes, a code with a
    /// backslash) or could be borrowed, and a charge of a unit no longer
    /// listed is left out.
    #[test]
    fn a_page_reads_into_items_with_its_text_borrowed_or_unescaped() {
        // id, kind, unit_id, points_milli, tier, days, dispatched, completed, known_at, note, code, corrects, corrects_id
        let json = r#"[
            [1, "issue", "u1", 20, 1, 20, "2021-04-01", "2021-04-21", "2021-04-22T10:00:00", null, "B-1", null, null],
            [2, "violation", "u1", 10, 0, null, null, null, "2021-04-23T09:00:00", "未执行\"调度\"指令\n第二行", null, null, null],
            [3, "correction", "u1", -50, 0, null, null, null, "2021-04-24T09:00:00", null, "B-\\7", "2021Q1", null],
            [4, "issue", "gone", 50, 2, 31, "2021-03-01", null, "2021-04-25T00:00:00", null, "B-9", null, null]
        ]"#;
        let page = Fetched::Json(Some(json.to_string()));
        let lines: Vec<ChargeLine> = page.lines("test page").unwrap();
        let units = Units { index: [("u1".to_string(), 0)].into(), names: vec![Arc::from("中兴街道")] };
        let items: Vec<Item> = lines.into_iter().filter_map(|l| to_item(&units, l).unwrap()).map(|c| c.item).collect();
        assert_eq!(items.len(), 3, "the unit no longer listed is left out: {items:?}");
        let Item::Issue { issue, unit, dispatched, completed, days, points } = &items[0] else { panic!("{:?}", items[0]) };
        assert_eq!(
            (&**issue, &**unit, dispatched.to_string(), completed.map(|d| d.to_string()), *days),
            ("B-1", "中兴街道", "2021-04-01".into(), Some("2021-04-21".into()), 20)
        );
        assert_eq!(points.to_string(), "0.02");
        let Item::Violation { note, date, violation, .. } = &items[1] else { panic!("{:?}", items[1]) };
        assert_eq!(note.as_deref(), Some("未执行\"调度\"指令\n第二行"));
        assert_eq!((date.to_string(), violation.as_deref()), ("2021-04-23".into(), Some("2")));
        let Item::Correction { of, corrects, points, .. } = &items[2] else { panic!("{:?}", items[2]) };
        assert_eq!((of, corrects.to_string(), points.to_string()), (&Corrected::Issue("B-\\7".into()), "2021Q1".into(), "-0.05".into()));
    }

    /// A unit's report reads the unit's charges of the quarter by index, in
    /// the report's order: not the whole province's quarter, and no sort.
    #[tokio::test]
    async fn a_units_page_of_charges_reads_its_own_by_index() {
        let values = ["u1".into(), "2021Q2".into(), "".into(), 0i64.into()];
        let plan = crate::db::sqlite_plan(Statement::from_sql_and_values(DbBackend::Sqlite, super::page_sql(true), values)).await;
        assert!(plan.iter().any(|d| d.contains("charges_unit_quarter")), "{plan:?}");
        assert!(plan.iter().all(|d| !d.contains("TEMP B-TREE")), "{plan:?}");
    }

    /// The whole quarter's page is read in order from the index that ends
    /// in id: no sort, whatever the keyset's last key.
    #[tokio::test]
    async fn a_quarters_page_of_charges_reads_in_index_order() {
        let values = ["2021Q2".into(), "2021-05-01T08:00:00".into(), 7i64.into()];
        let plan = crate::db::sqlite_plan(Statement::from_sql_and_values(DbBackend::Sqlite, super::page_sql(false), values)).await;
        assert!(plan.iter().any(|d| d.contains("charges_quarter_order")), "{plan:?}");
        assert!(plan.iter().all(|d| !d.contains("TEMP B-TREE")), "{plan:?}");
    }
}
