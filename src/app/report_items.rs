//! A quarter's charges as the core's items, a page at a time, in the order
//! they became final: the report adds them to its book; the workbook writes
//! them as they come, so a quarter of 200,000 charges never sits in memory.

use super::{App, AppResult, charges, convert};
use crate::core::Points;
use crate::core::Quarter;
use crate::core::report::{Class, Corrected, Item};
use crate::core::workflow::TierIndex;
use crate::db::sql;
use crate::db::stepped::{self, Param};
use sea_orm::{ConnectionTrait, DbBackend, Statement, TransactionTrait};
use std::borrow::Cow;
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
/// one before is written. On SQLite the rows are stepped on a reader's own
/// handle and each becomes an item as it stands ([`crate::db::stepped`]).
async fn page_in(
    app: &App,
    units: &Arc<Units>,
    q: Quarter,
    unit: Option<String>,
    after: Option<(String, i64)>,
    until: Option<&(String, i64)>,
) -> AppResult<Page> {
    let mut reading = Reading::new(units.clone(), until.cloned(), app.backend());
    if app.backend() == DbBackend::Sqlite {
        return Ok(stepped_page(&app.db, reading, q, unit, after).await?.finish());
    }
    for row in charged_in(app, q, unit, after).await? {
        reading.push(ChargeLine::by_position(&row)?)?;
    }
    Ok(reading.finish())
}

/// SQLite's page after `after`, each row stepped into `reading`.
async fn stepped_page(
    db: &sea_orm::DatabaseConnection,
    reading: Reading,
    q: Quarter,
    unit: Option<String>,
    after: Option<(String, i64)>,
) -> AppResult<Reading> {
    let (after_at, after_id) = after.unwrap_or_default();
    let sql = page_sql(DbBackend::Sqlite, unit.is_some());
    let params = unit.map(Param::Text).into_iter().chain([Param::Text(q.to_string()), Param::Text(after_at), Param::Int(after_id)]);
    stepped::each(db, sql, params.collect(), reading, |r, row| r.push(ChargeLine::stepped(&row)?)).await
}

/// A page being read, row by row in the report's order.
struct Reading {
    units: Arc<Units>,
    until: Option<(String, i64)>,
    items: Vec<Charged>,
    /// The key of the last row kept (its text reuses one buffer).
    last_at: String,
    last_id: Option<i64>,
    /// Rows read, kept or not: fewer than `page` means the last page.
    rows: u64,
    page: u64,
    /// A row past `until` was read: this page is the last.
    cut: bool,
}

impl Reading {
    /// A page of `backend`'s size ([`page_size`]).
    fn new(units: Arc<Units>, until: Option<(String, i64)>, backend: DbBackend) -> Reading {
        Reading { units, until, items: Vec::new(), last_at: String::new(), last_id: None, rows: 0, page: page_size(backend), cut: false }
    }

    fn push(&mut self, line: ChargeLine<'_>) -> AppResult<()> {
        self.rows += 1;
        let past = |(at, id): &(String, i64)| (&*line.known_at, line.id) > (at.as_str(), *id);
        if self.cut || self.until.as_ref().is_some_and(past) {
            self.cut = true;
            return Ok(());
        }
        self.last_at.clear();
        self.last_at.push_str(&line.known_at);
        self.last_id = Some(line.id);
        self.items.extend(to_item(&self.units, line)?);
        Ok(())
    }

    fn finish(self) -> Page {
        Page { ended: self.cut || self.rows < self.page, last: self.last_id.map(|id| (self.last_at, id)), items: self.items }
    }
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
/// Not 10,000: a page (then its JSON text, its rows, its items, and the
/// one read ahead) lifted a soaked server's memory by ~28 MiB per report.
/// On SQLite 1,000: over 250,000 charges (`BENCH_PARTS=report cargo bench
/// --bench service`, builds alternating) the JSON answer took 406–413 ms
/// in pages of 1,000, 474–486 ms in pages of 500, 493–576 ms in pages of
/// 2,000 and 610–661 ms in pages of 5,000: smaller pieces keep the reading,
/// the writing and the sending of the answer going at once. On PostgreSQL
/// 2,000: each page is a transaction of its own there.
/// Debug builds (the tests) use tiny pages, so that every report a test
/// compares with `simulate` crosses page boundaries.
fn page_size(backend: DbBackend) -> u64 {
    match backend {
        _ if cfg!(debug_assertions) => 3,
        DbBackend::Postgres => 2_000,
        _ => 1_000,
    }
}

/// One charge row as the core's item (None: a unit no longer listed).
fn to_item(units: &Units, c: ChargeLine) -> AppResult<Option<Charged>> {
    let Some(&unit) = units.index.get(&*c.unit_id) else { return Ok(None) };
    let points = Points::from_thousandths(c.points_milli);
    let name = units.names[unit].clone();
    let date = |s: &Option<Cow<str>>| s.as_deref().and_then(crate::core::day::parse);
    let class = class_of(&c.kind, c.tier);
    let item = match &*c.kind {
        charges::VIOLATION => {
            let violation = Some(Arc::from(c.id.to_string()));
            let note = c.note.map(Cow::into_owned);
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

/// A charge row with its issue's code, as the report needs it: the
/// SELECT's columns in order, read by position. The text is borrowed from
/// the row as read (SQLite's current row, a PostgreSQL row): a page of
/// rows costs no allocation per value.
struct ChargeLine<'a> {
    id: i64,
    kind: Cow<'a, str>,
    unit_id: Cow<'a, str>,
    points_milli: i64,
    tier: i32,
    days: Option<i64>,
    dispatched: Option<Cow<'a, str>>,
    completed: Option<Cow<'a, str>>,
    known_at: Cow<'a, str>,
    note: Option<Cow<'a, str>>,
    code: Option<Cow<'a, str>>,
    corrects: Option<Cow<'a, str>>,
    corrects_id: Option<i64>,
}

/// A page of a quarter's charges (of one unit's, with `of_unit`), after
/// the row at (`known_at`, `id`). The page's size is written into the
/// text, as the list pages' are (`db::windowed`): a plan PostgreSQL keeps
/// for a bound LIMIT cannot see how few rows are wanted.
///
/// PostgreSQL seeks to the row value `(known_at, id)` in the index. SQLite
/// seeks on `known_at` alone and filters on `id` from there: when
/// thousands of charges became final at the same instant (every issue of a
/// list still open on its overdue day does, at that day's first instant),
/// every page started at the first of them, and 125 pages of a
/// quarter of 250,000 charges skipped ~1.7 M index entries. So SQLite
/// reads the rest of that instant by (known_at =, id >) and the later ones
/// by (known_at >), two seeks whose ordered results it merges (`MERGE
/// (UNION ALL)`, no sort). Its parameters are numbered: each is used twice.
fn page_sql(backend: DbBackend, of_unit: bool) -> String {
    if backend == DbBackend::Postgres {
        let of_unit = if of_unit { "unit_id = ? AND " } else { "" };
        return format!(
            "SELECT {COLUMNS} FROM charges WHERE {of_unit}quarter = ? AND NOT removed AND (known_at, id) > (?, ?) ORDER BY known_at, id LIMIT {}",
            page_size(backend)
        );
    }
    let (of_unit, n) = if of_unit { ("unit_id = ?1 AND ", 1) } else { ("", 0) };
    let (q, at, id) = (n + 1, n + 2, n + 3);
    let arm = |rest: String| format!("SELECT {COLUMNS} FROM charges WHERE {of_unit}quarter = ?{q} AND {rest} AND NOT removed");
    let (same_instant, later) = (arm(format!("known_at = ?{at} AND id > ?{id}")), arm(format!("known_at > ?{at}")));
    format!("{same_instant} UNION ALL {later} ORDER BY known_at, id LIMIT {}", page_size(backend))
}

const COLUMNS: &str = "id, kind, unit_id, points_milli, tier, days, dispatched, completed, known_at, note, code, corrects, corrects_id";

/// A page of the charges still in quarter `q` (a charge taken back before
/// its quarter froze is not), in the order they became final, read in one
/// pass of the index `charges_quarter_order` (or of `charges_unit_quarter`)
/// from the last key on: the row carries its issue's code, so a million
/// rows cost no lookups in the issues table. PostgreSQL's rows, read by
/// position ([`crate::db::columns`]); SQLite's are stepped ([`page_in`]).
/// `after`: the (known_at, id) of the last row of the page before.
async fn charged_in(app: &App, q: Quarter, unit: Option<String>, after: Option<(String, i64)>) -> AppResult<Vec<sea_orm::QueryResult>> {
    let (after_at, after_id) = after.unwrap_or_default();
    let (backend, of_unit) = (app.backend(), unit.is_some());
    let values: Vec<sea_orm::Value> = unit.map(Into::into).into_iter().chain([q.to_string().into(), after_at.into(), after_id.into()]).collect();
    let page = Statement::from_sql_and_values(backend, sql(backend, &page_sql(backend, of_unit)), values);
    let tx = app.db.begin().await?;
    tx.execute_unprepared(crate::db::INDEX_ORDER).await?;
    let rows = tx.query_all_raw(page).await?;
    tx.commit().await?;
    Ok(rows)
}

impl<'a> ChargeLine<'a> {
    /// A stepped SQLite row of [`COLUMNS`], its text borrowed from SQLite.
    fn stepped(r: &'a stepped::Row<'_>) -> AppResult<ChargeLine<'a>> {
        let missing = |what: &str| anyhow::anyhow!("a charge without {what}");
        let text = |at: usize| -> AppResult<Option<Cow<'a, str>>> { Ok(r.text(at)?.map(Cow::Borrowed)) };
        Ok(ChargeLine {
            id: r.int(0).ok_or_else(|| missing("id"))?,
            kind: text(1)?.ok_or_else(|| missing("kind"))?,
            unit_id: text(2)?.ok_or_else(|| missing("unit"))?,
            points_milli: r.int(3).ok_or_else(|| missing("points"))?,
            tier: r.int(4).and_then(|t| i32::try_from(t).ok()).ok_or_else(|| missing("tier"))?,
            days: r.int(5),
            dispatched: text(6)?,
            completed: text(7)?,
            known_at: text(8)?.ok_or_else(|| missing("known_at"))?,
            note: text(9)?,
            code: text(10)?,
            corrects: text(11)?,
            corrects_id: r.int(12),
        })
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
}

#[cfg(test)]
mod tests {
    use super::{Reading, Units, stepped_page};
    use crate::core::Quarter;
    use crate::core::report::{Corrected, Item};
    use sea_orm::{DbBackend, Statement};
    use std::sync::Arc;

    /// A page of SQLite's rows, stepped, becomes items: text with quotes,
    /// a newline, a backslash and Chinese as stored; every kind of charge;
    /// a charge of a unit no longer listed left out, as are charges taken
    /// back or of another quarter. Read up to a last row, the page stops
    /// there and is the last.
    #[tokio::test]
    async fn a_stepped_page_reads_into_items() {
        let (_dir, pools) = crate::db::temp_pools("page.db").await;
        use sea_orm::ConnectionTrait;
        pools
            .write
            .execute_unprepared(
                // The migrated table, less what its rows would need beside
                // them (issues, units): just the columns the page reads.
                "DROP TABLE charges; CREATE TABLE charges (id INTEGER PRIMARY KEY, kind TEXT, unit_id TEXT, points_milli INTEGER, tier INTEGER, days INTEGER, \
                 dispatched TEXT, completed TEXT, known_at TEXT, note TEXT, code TEXT, corrects TEXT, corrects_id INTEGER, quarter TEXT, removed BOOLEAN);
                 INSERT INTO charges VALUES
                 (1, 'issue', 'u1', 20, 1, 20, '2021-04-01', '2021-04-21', '2021-04-22T10:00:00', NULL, 'B-1', NULL, NULL, '2021Q2', 0),
                 (2, 'violation', 'u1', 10, 0, NULL, NULL, NULL, '2021-04-23T09:00:00', '未执行\"调度\"指令' || char(10) || '第二行', NULL, NULL, NULL, '2021Q2', 0),
                 (3, 'correction', 'u1', -50, 0, NULL, NULL, NULL, '2021-04-24T09:00:00', NULL, 'B-\\7', '2021Q1', NULL, '2021Q2', 0),
                 (4, 'issue', 'gone', 50, 2, 31, '2021-03-01', NULL, '2021-04-25T00:00:00', NULL, 'B-9', NULL, NULL, '2021Q2', 0),
                 (5, 'issue', 'u1', 50, 2, 31, '2021-03-01', NULL, '2021-04-26T00:00:00', NULL, 'B-10', NULL, NULL, '2021Q2', 1),
                 (6, 'issue', 'u1', 50, 2, 31, '2021-03-01', NULL, '2021-07-26T00:00:00', NULL, 'B-11', NULL, NULL, '2021Q3', 0)",
            )
            .await
            .expect("the charges");
        let units = Arc::new(Units { index: [("u1".to_string(), 0)].into(), names: vec![Arc::from("中兴街道")] });
        let q = Quarter::parse("2021Q2").expect("a quarter");
        // Page after page (three rows each in a debug build) to the end.
        let (mut items, mut after, mut pages) = (Vec::new(), None, 0);
        loop {
            let page = stepped_page(&pools.read, Reading::new(units.clone(), None, DbBackend::Sqlite), q, None, after.clone()).await.expect("a page").finish();
            items.extend(page.items.into_iter().map(|c| c.item));
            pages += 1;
            after = page.last.or(after);
            if page.ended {
                break;
            }
        }
        assert_eq!(items.len(), 3, "the unit no longer listed is left out: {items:?}");
        assert_eq!(after, Some(("2021-04-25T00:00:00".to_string(), 4)), "the last row read, listed or not");
        assert_eq!(pages, if super::page_size(DbBackend::Sqlite) == 3 { 2 } else { 1 });
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
        // Up to the violation, after the first charge: one item, the last page.
        let until = Some(("2021-04-23T09:00:00".to_string(), 2));
        let after = Some(("2021-04-22T10:00:00".to_string(), 1));
        let page = stepped_page(&pools.read, Reading::new(units, until, DbBackend::Sqlite), q, Some("u1".into()), after).await.expect("a page").finish();
        assert_eq!((page.items.len(), page.last, page.ended), (1, Some(("2021-04-23T09:00:00".to_string(), 2)), true));
    }

    /// Charges that became final at the same instant, more than a page of
    /// them, are each read once and in order of id, whichever page they
    /// fall on, for the quarter and for a unit; and SQLite seeks to the row
    /// after the last one read rather than to the first of that instant.
    #[tokio::test]
    async fn pages_cross_charges_final_at_the_same_instant() {
        let (_dir, pools) = crate::db::temp_pools("same.db").await;
        use sea_orm::ConnectionTrait;
        let rows: Vec<String> = (1..=11)
            .map(|id| {
                let (unit, at) = (if id % 4 == 0 { "u2" } else { "u1" }, if id <= 8 { "2021-04-30T00:00:00" } else { "2021-05-01T00:00:00" });
                format!("({id}, 'issue', '{unit}', 20, 1, 20, '2021-04-01', NULL, '{at}', NULL, 'B-{id}', NULL, NULL, '2021Q2', {})", u8::from(id == 6))
            })
            .collect();
        pools
            .write
            .execute_unprepared(&format!(
                "DROP TABLE charges; CREATE TABLE charges (id INTEGER PRIMARY KEY, kind TEXT, unit_id TEXT, points_milli INTEGER, tier INTEGER, days INTEGER, \
                 dispatched TEXT, completed TEXT, known_at TEXT, note TEXT, code TEXT, corrects TEXT, corrects_id INTEGER, quarter TEXT, removed BOOLEAN);
                 CREATE INDEX charges_quarter_order ON charges (quarter, known_at, id);
                 CREATE INDEX charges_unit_quarter ON charges (unit_id, quarter, known_at, id);
                 INSERT INTO charges VALUES {}",
                rows.join(", ")
            ))
            .await
            .expect("the charges");
        let units =
            Arc::new(Units { index: [("u1".to_string(), 0), ("u2".to_string(), 1)].into(), names: vec![Arc::from("中兴街道"), Arc::from("水务局")] });
        let q = Quarter::parse("2021Q2").expect("a quarter");
        for (unit, expected) in [(None, vec![1, 2, 3, 4, 5, 7, 8, 9, 10, 11]), (Some("u1"), vec![1, 2, 3, 5, 7, 9, 10, 11])] {
            let (mut codes, mut after) = (Vec::new(), None);
            loop {
                let reading = Reading::new(units.clone(), None, DbBackend::Sqlite);
                let page = stepped_page(&pools.read, reading, q, unit.map(str::to_string), after.clone()).await.expect("a page").finish();
                codes.extend(page.items.into_iter().map(|c| match c.item {
                    Item::Issue { issue, .. } => issue.to_string(),
                    other => panic!("{other:?}"),
                }));
                after = page.last.or(after);
                if page.ended {
                    break;
                }
            }
            assert_eq!(codes, expected.iter().map(|id| format!("B-{id}")).collect::<Vec<_>>(), "{unit:?}");
        }
        let values = ["2021Q2".into(), "2021-04-30T00:00:00".into(), 5i64.into()];
        let plan = crate::db::sqlite_plan(Statement::from_sql_and_values(DbBackend::Sqlite, super::page_sql(DbBackend::Sqlite, false), values)).await;
        assert!(plan.iter().any(|d| d.contains("known_at=? AND id>?")), "{plan:?}");
    }

    /// A unit's report reads the unit's charges of the quarter by index, in
    /// the report's order: not the whole province's quarter, and no sort.
    #[tokio::test]
    async fn a_units_page_of_charges_reads_its_own_by_index() {
        let values = ["u1".into(), "2021Q2".into(), "".into(), 0i64.into()];
        let plan = crate::db::sqlite_plan(Statement::from_sql_and_values(DbBackend::Sqlite, super::page_sql(DbBackend::Sqlite, true), values)).await;
        assert!(plan.iter().any(|d| d.contains("charges_unit_quarter")), "{plan:?}");
        assert!(plan.iter().all(|d| !d.contains("TEMP B-TREE")), "{plan:?}");
    }

    /// The whole quarter's page is read in order from the index that ends
    /// in id: no sort, whatever the keyset's last key.
    #[tokio::test]
    async fn a_quarters_page_of_charges_reads_in_index_order() {
        let values = ["2021Q2".into(), "2021-05-01T08:00:00".into(), 7i64.into()];
        let plan = crate::db::sqlite_plan(Statement::from_sql_and_values(DbBackend::Sqlite, super::page_sql(DbBackend::Sqlite, false), values)).await;
        assert!(plan.iter().any(|d| d.contains("charges_quarter_order")), "{plan:?}");
        assert!(plan.iter().all(|d| !d.contains("TEMP B-TREE")), "{plan:?}");
    }
}
