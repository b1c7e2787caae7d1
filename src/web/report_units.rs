//! The report page's unit table — the workbook's columns in the workbook's
//! order ([`unit_columns`](crate::http::xlsx::unit_columns)): points, the
//! tier counts, violations, then what a leader reads beside the points
//! (按期完成率, 返工率, 平均完成天数, 退回, 催办) from [`crate::app::stats`] —
//! and the year's trend of points per unit.

use super::layout::Me;
use super::trend::{self, COLOURS, Series};
use crate::app::{AppError, stats};
use crate::core::Quarter;
use crate::core::report::UnitRow;
use crate::http::HttpState;
use rust_decimal::Decimal;

/// A cell of the unit table.
pub struct Cell {
    /// Its column's heading (a phone shows it beside the value).
    pub label: String,
    pub value: String,
    pub class: &'static str,
}

pub struct UnitLine {
    pub unit: String,
    /// One per column after 单位, in the columns' order.
    pub cells: Vec<Cell>,
}

/// `0.85` → `85%`; none → `—` (nothing completed, or nothing rechecked).
fn percent(rate: &Option<String>) -> String {
    rate.as_deref().and_then(|r| r.parse::<f64>().ok()).map_or_else(|| "—".to_string(), |r| format!("{:.0}%", r * 100.0))
}

/// Each unit's row under `columns` (the workbook's, 单位 first).
pub fn unit_lines(columns: &[String], units: &[UnitRow], stats: &[stats::UnitStats]) -> Vec<UnitLine> {
    let num = |value: String| Cell { label: String::new(), value, class: "num" };
    units
        .iter()
        .map(|u| {
            let s = stats.iter().find(|s| s.unit == u.unit).cloned().unwrap_or_default();
            let cells = vec![
                Cell { label: String::new(), value: u.points.to_string(), class: "num points" },
                num(u.on_time.to_string()),
                num(u.late_16_30.to_string()),
                num(u.late_over_30.to_string()),
                num(u.violations.to_string()),
                num(percent(&s.on_time_rate)),
                num(percent(&s.rework_rate)),
                num(s.average_days.clone().unwrap_or_else(|| "—".into())),
                num(s.returns.to_string()),
                num(s.chases.to_string()),
            ];
            let cells = cells.into_iter().zip(columns.iter().skip(1)).map(|(c, label)| Cell { label: label.clone(), ..c }).collect();
            UnitLine { unit: u.unit.clone(), cells }
        })
        .collect()
}

pub struct TrendRow {
    pub unit: String,
    pub colour: usize,
    /// (quarter, points) for each quarter of the year.
    pub points: Vec<(String, String)>,
}

/// The year's chart, its legend and its figures.
pub struct Trend {
    pub year: i32,
    pub quarters: Vec<String>,
    pub rows: Vec<TrendRow>,
    pub svg: String,
}

/// Points per unit over the year's quarters, up to the current one (a
/// quarter that has not begun has no points yet, not zero).
pub async fn trend(s: &HttpState, me: &Me, year: i32, current: Quarter) -> Result<Trend, AppError> {
    let t = stats::trend(&s.app, &me.actor, year).await?;
    let begun = |q: &str| Quarter::parse(q).is_some_and(|q| q <= current);
    let series: Vec<Series> = t
        .units
        .iter()
        .map(|u| Series {
            unit: u.unit.clone(),
            points: t.quarters.iter().zip(&u.points).map(|(q, p)| begun(q).then(|| p.parse::<Decimal>().ok()).flatten()).collect(),
        })
        .collect();
    let rows = t
        .units
        .iter()
        .enumerate()
        .map(|(i, u)| TrendRow {
            unit: u.unit.clone(),
            colour: i % COLOURS,
            points: t.quarters.iter().zip(&u.points).map(|(q, p)| (q.clone(), if begun(q) { p.clone() } else { "—".into() })).collect(),
        })
        .collect();
    Ok(Trend { svg: trend::lines(&format!("{year} 年各单位季度扣分趋势"), &t.quarters, &series), year, quarters: t.quarters, rows })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::Points;

    #[test]
    fn a_row_has_one_cell_per_workbook_column_after_the_unit() {
        let wf = crate::core::Workflow::load(std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/workflows/water-environment.toml"))).unwrap();
        let row = UnitRow { unit: "中兴街道".into(), points: Points::parse("0.07").unwrap(), on_time: 3, late_16_30: 1, late_over_30: 1, violations: 0 };
        let stat = stats::UnitStats { unit: "中兴街道".into(), on_time_rate: Some("0.60".into()), rework_rate: None, chases: 2, ..Default::default() };
        let columns = crate::http::xlsx::unit_columns(&wf);
        let lines = unit_lines(&columns, &[row], &[stat]);
        assert_eq!(lines[0].cells.len() + 1, columns.len(), "no column left without its figure");
        assert_eq!(lines[0].cells[5].label, "按期完成率");
        let values: Vec<&str> = lines[0].cells.iter().map(|c| c.value.as_str()).collect();
        assert_eq!(values, ["0.07", "3", "1", "1", "0", "60%", "—", "—", "0", "2"]);
    }
}
