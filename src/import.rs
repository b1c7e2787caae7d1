//! `jiaoban import FILE.xlsx`: register a dispatch list (交办清单) from Excel.
//!
//! Every row is checked before anything is written, and all rows go in one
//! transaction: a bad row is reported with its row number and nothing is
//! half-imported.

use crate::app::{App, accounts, issues};
use crate::core::state::Role;
use anyhow::Context;
use calamine::{Data, Reader, open_workbook_auto};
use std::collections::HashSet;
use std::path::Path;

/// Column headers understood (Chinese, or the API's English field names).
const COLUMNS: &[(&str, &[&str])] = &[
    ("code", &["编号", "code"]),
    ("unit", &["责任单位", "单位", "unit"]),
    ("title", &["标题", "问题", "title"]),
    ("source", &["来源", "source"]),
    ("category", &["类别", "category"]),
    ("location", &["地点", "位置", "location"]),
    ("description", &["描述", "问题描述", "description"]),
];

/// A row that cannot be imported: its number as Excel shows it, and why.
#[derive(Debug)]
pub struct BadRow {
    pub row: usize,
    pub reason: String,
}

/// Reads the first sheet into checked registrations, or every bad row.
pub async fn read(app: &App, path: &Path) -> anyhow::Result<Result<Vec<issues::NewIssue>, Vec<BadRow>>> {
    let mut book = open_workbook_auto(path).with_context(|| format!("cannot open {}", path.display()))?;
    let sheet = book.worksheet_range_at(0).context("the workbook has no sheet")?.context("cannot read the first sheet")?;
    let mut rows = sheet.rows();
    let header: Vec<String> = rows.next().context("the sheet is empty")?.iter().map(cell).collect();
    let column = |name: &str| COLUMNS.iter().find(|(n, _)| *n == name).and_then(|(_, aliases)| header.iter().position(|h| aliases.contains(&h.trim())));
    let (Some(code), Some(unit), Some(title)) = (column("code"), column("unit"), column("title")) else {
        anyhow::bail!("row 1: the header needs columns 编号, 责任单位 and 标题 (found: {})", header.join(", "));
    };
    let optional = ["source", "category", "location", "description"].map(column);
    let (mut good, mut bad, mut seen) = (Vec::new(), Vec::new(), HashSet::new());
    for (i, row) in rows.enumerate() {
        let number = i + 2;
        let get = |c: Option<usize>| c.and_then(|c| row.get(c)).map(cell).filter(|s| !s.trim().is_empty());
        if row.iter().all(|c| cell(c).trim().is_empty()) {
            continue;
        }
        let parsed = issues::NewIssue::parse(
            app,
            issues::IssueInput {
                code: get(Some(code)).unwrap_or_default(),
                unit: get(Some(unit)).unwrap_or_default(),
                title: get(Some(title)).unwrap_or_default(),
                source: get(optional[0]),
                category: get(optional[1]),
                location: get(optional[2]),
                description: get(optional[3]),
            },
        );
        match parsed {
            Err(e) => bad.push(BadRow { row: number, reason: e.to_string() }),
            Ok(new) if !seen.insert(new.code.clone()) => {
                bad.push(BadRow { row: number, reason: format!("编号 `{}` 在表中重复 (duplicate code)", new.code) })
            }
            Ok(new) if accounts::unit_by_name(&app.db, &new.unit).await?.is_none() => {
                bad.push(BadRow { row: number, reason: format!("责任单位 `{}` 不存在 (unknown unit)", new.unit) })
            }
            Ok(new) => good.push(new),
        }
    }
    Ok(if bad.is_empty() { Ok(good) } else { Err(bad) })
}

fn cell(data: &Data) -> String {
    match data {
        Data::String(s) => s.clone(),
        Data::Empty => String::new(),
        other => other.to_string(),
    }
}

/// Imports the file as the dispatcher `importer`; returns how many were registered.
pub async fn run(app: &App, path: &Path) -> anyhow::Result<Result<usize, Vec<BadRow>>> {
    let rows = match read(app, path).await? {
        Ok(rows) => rows,
        Err(bad) => return Ok(Err(bad)),
    };
    let actor = crate::app::Actor::tool("import", Role::Dispatcher);
    let bar = indicatif::ProgressBar::new(rows.len() as u64);
    bar.set_style(indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} 条 {msg}").unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()));
    let count = issues::register_many(app, &actor, rows, |_| bar.inc(1)).await.map_err(|e| anyhow::anyhow!("{e}"))?;
    bar.finish_with_message("已导入");
    Ok(Ok(count))
}
