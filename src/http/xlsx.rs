//! `?format=xlsx`: the quarter report as a workbook (units, then items).

use super::error::{ApiError, ApiResult};
use crate::app::reports::QuarterView;
use crate::core::report::Item;
use crate::core::score::YearReport;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

pub fn report(wf: &crate::core::Workflow, view: &QuarterView) -> ApiResult<Response> {
    let r = &view.report;
    let mut rows: Vec<Vec<String>> = r
        .units
        .iter()
        .map(|u| {
            vec![u.unit.clone(), u.points.to_string(), u.on_time.to_string(), u.late_16_30.to_string(), u.late_over_30.to_string(), u.violations.to_string()]
        })
        .collect();
    rows.push(vec!["合计".into(), r.total.to_string()]);
    rows.push(vec![]);
    rows.push(vec!["明细".into(), "编号".into(), "单位".into(), "交办日期".into(), "完成日期".into(), "天数".into(), "扣分".into()]);
    for item in &r.items {
        rows.push(match item {
            Item::Issue { issue, unit, dispatched, completed, days, points } => vec![
                "问题".into(),
                issue.to_string(),
                unit.to_string(),
                dispatched.to_string(),
                completed.map(|c| c.to_string()).unwrap_or_else(|| "未完成".into()),
                days.to_string(),
                points.to_string(),
            ],
            Item::Violation { unit, date, points, note, .. } => vec![
                "未执行调度".into(),
                note.clone().unwrap_or_default(),
                unit.to_string(),
                date.to_string(),
                String::new(),
                String::new(),
                points.to_string(),
            ],
            Item::Correction { unit, corrects, date, points, .. } => {
                vec!["更正".into(), corrects.to_string(), unit.to_string(), date.to_string(), String::new(), String::new(), points.to_string()]
            }
        });
    }
    // Column names are the workflow's tier labels, not numbers of ours.
    let middle: Vec<&str> = wf.tiers.iter().skip(1).map(|t| t.label.as_str()).collect();
    let middle = middle.join("/");
    let first = wf.tiers.first().map_or("", |t| t.label.as_str());
    let headers = ["单位", "扣分", first, middle.as_str(), wf.overdue.label.as_str(), wf.violation_label.as_str()];
    let bytes = crate::mail::xlsx_table(&format!("{} 扣分", r.quarter), &headers, &rows)
        .map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, format!("无法生成Excel: {e}")))?;
    let disposition = format!("attachment; filename=\"jiaoban-{}.xlsx\"", r.quarter);
    Ok((
        [(header::CONTENT_TYPE, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet".to_string()), (header::CONTENT_DISPOSITION, disposition)],
        bytes,
    )
        .into_response())
}

/// `GET /api/reports/{YYYY}?format=xlsx`: the year's score per unit.
pub fn year(r: &YearReport) -> ApiResult<Response> {
    let rows: Vec<Vec<String>> = r.units.iter().map(|u| vec![u.unit.clone(), u.points.to_string(), u.remaining.to_string()]).collect();
    let headers = ["单位", "全年扣分", &format!("得分（满分 {}）", r.score)];
    let bytes = crate::mail::xlsx_table(&format!("{} 年度得分", r.year), &headers, &rows)
        .map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, format!("无法生成Excel: {e}")))?;
    let disposition = format!("attachment; filename=\"jiaoban-{}.xlsx\"", r.year);
    Ok((
        [(header::CONTENT_TYPE, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet".to_string()), (header::CONTENT_DISPOSITION, disposition)],
        bytes,
    )
        .into_response())
}
