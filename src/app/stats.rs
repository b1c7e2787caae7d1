//! What a leader reads beside the points (issue 10): per unit and quarter,
//! the on-time rate (按期完成率), the rework rate (返工率: failed rechecks ÷
//! rechecks), the average days to completion, the returns and the chases;
//! and the points of every unit over the quarters of a year (the trend).
//!
//! Completion figures come from the totals the database keeps with the
//! quarter's charges (the issues it charges as completed), so they agree
//! with the points; rechecks, returns and chases are the moves made in the
//! quarter's dates, counted for the unit the issue belongs to.

use super::reports::{self, QuarterView};
use super::{Actor, App, AppError, AppResult};
use crate::core::Quarter;
use crate::db::sql;
use sea_orm::{ConnectionTrait, Statement};
use serde::Serialize;
use std::collections::HashMap;

#[derive(Debug, Serialize, Default, Clone)]
pub struct UnitStats {
    pub unit: String,
    /// Issues the quarter charges as completed, and those on time.
    pub completed: u64,
    pub on_time: u64,
    /// on_time ÷ completed, two decimals; none when nothing was completed.
    pub on_time_rate: Option<String>,
    pub rechecks: u64,
    pub failed_rechecks: u64,
    pub rework_rate: Option<String>,
    pub average_days: Option<String>,
    pub returns: u64,
    pub chases: u64,
}

#[derive(Debug, Serialize)]
pub struct QuarterStats {
    pub quarter: String,
    pub units: Vec<UnitStats>,
}

fn ratio(a: u64, b: u64) -> Option<String> {
    (b > 0).then(|| format!("{:.2}", a as f64 / b as f64))
}

/// The quarter's figures, from the totals the database keeps (no charge
/// row is read).
pub async fn quarter(app: &App, actor: &Actor, quarter: &str) -> AppResult<QuarterStats> {
    let (view, completed) = reports::quarter_completions(app, actor, quarter).await?;
    of_completions(app, &view, &completed).await
}

/// The figures of a quarter's report beside its units' `completed` issues
/// (as the database keeps them: on time is charged in the first tier,
/// which the charge's days decided).
pub async fn of_completions(app: &App, view: &QuarterView, completed: &[reports::Completed]) -> AppResult<QuarterStats> {
    let quarter = view.report.quarter.as_str();
    let q = Quarter::parse(quarter).ok_or_else(|| AppError::BadInput(format!("`{quarter}` 不是季度")))?;
    let mut by_unit: Vec<UnitStats> = view.report.units.iter().map(|u| UnitStats { unit: u.unit.clone(), ..UnitStats::default() }).collect();
    let index: HashMap<String, usize> = by_unit.iter().enumerate().map(|(i, u)| (u.unit.clone(), i)).collect();
    let mut days_summed = vec![0i64; by_unit.len()];
    for c in completed {
        if let Some(&i) = index.get(&c.unit) {
            (by_unit[i].completed, by_unit[i].on_time, days_summed[i]) = (c.completed, c.on_time, c.days);
        }
    }
    // The moves of the quarter, with their issue's unit.
    let (from, to) = (format!("{}T00:00:00", q.first_day()), format!("{}T00:00:00", q.next().first_day()));
    let names = super::accounts::unit_names(&app.db).await?;
    // A return counts for the unit that made it (the issue may have moved
    // on). Counted by the database: a row per unit and action, not one per
    // move (2,554 moves of a 20,000-issue bench quarter, 217 counts).
    let text = "SELECT m.action, CASE WHEN m.action = 'return' THEN COALESCE(m.detail, i.unit_id) ELSE i.unit_id END AS unit, COUNT(*) \
                FROM moves m JOIN issues i ON i.id = m.issue_id \
                WHERE m.at >= ? AND m.at < ? AND m.action IN ('recheck_pass', 'recheck_fail', 'return', 'chase') \
                GROUP BY m.action, unit";
    let statement = Statement::from_sql_and_values(app.backend(), sql(app.backend(), text), [from.into(), to.into()]);
    let rows = app.db.query_all_raw(statement).await?;
    for row in rows {
        let (action, unit_id, n): (String, String, i64) = (row.try_get_by_index(0)?, row.try_get_by_index(1)?, row.try_get_by_index(2)?);
        let Some(&i) = names.get(&unit_id).and_then(|n| index.get(n)) else { continue };
        let (s, n) = (&mut by_unit[i], u64::try_from(n).unwrap_or(0));
        match action.as_str() {
            "recheck_pass" => s.rechecks += n,
            "recheck_fail" => {
                s.rechecks += n;
                s.failed_rechecks += n;
            }
            "return" => s.returns += n,
            _ => s.chases += n,
        }
    }
    for (s, days) in by_unit.iter_mut().zip(days_summed) {
        s.on_time_rate = ratio(s.on_time, s.completed);
        s.rework_rate = ratio(s.failed_rechecks, s.rechecks);
        s.average_days = (s.completed > 0).then(|| format!("{:.1}", days as f64 / s.completed as f64));
    }
    Ok(QuarterStats { quarter: view.report.quarter.clone(), units: by_unit })
}

#[derive(Debug, Serialize)]
pub struct Trend {
    pub year: i32,
    pub quarters: Vec<String>,
    /// Each unit's points in each quarter, in `quarters`' order.
    pub units: Vec<TrendRow>,
}

#[derive(Debug, Serialize)]
pub struct TrendRow {
    pub unit: String,
    pub points: Vec<String>,
}

/// Points per unit over the quarters of `year`.
pub async fn trend(app: &App, actor: &Actor, year: i32) -> AppResult<Trend> {
    let mut quarters = Vec::new();
    let mut rows: Vec<TrendRow> = Vec::new();
    for n in 1..=4 {
        let q = format!("{year:04}Q{n}");
        let view = reports::quarter_totals(app, actor, &q).await?;
        for (i, u) in view.report.units.iter().enumerate() {
            if rows.len() <= i {
                rows.push(TrendRow { unit: u.unit.clone(), points: Vec::new() });
            }
            rows[i].points.push(u.points.to_string());
        }
        quarters.push(q);
    }
    Ok(Trend { year, quarters, units: rows })
}
