//! One-sheet workbooks: the dispatch list attached to unit mails, and the
//! quarter report served as `?format=xlsx`.
//!
//! Every cell is a string, on purpose: issue codes like `0031` and dates must
//! come out exactly as the service shows them, not reinterpreted by Excel.

use super::text::display_width;
use anyhow::Context;
use chrono::NaiveDate;
use rust_xlsxwriter::{Format, FormatBorder, Workbook};
use std::borrow::Cow;
use std::sync::Arc;

/// The MIME type of an `.xlsx` file, for attachments and HTTP responses.
pub const XLSX_CONTENT_TYPE: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// Column widths in Excel's units (about one Latin character; a Chinese
/// character takes two). The cap keeps one long description from making a
/// column wider than the screen; such a cell still shows whole when opened.
const MIN_WIDTH: usize = 8;
const MAX_WIDTH: usize = 60;

/// A new workbook, zipped at level 3 rather than the zip crate's 6: the
/// level Excel 365 writes itself. rust_xlsxwriter's own measurements put
/// it at 0.71 of level 6's time for a file ~6% bigger; a workbook of
/// 250,000 charges took 1.2 s instead of 1.7 s, 7.0 MB instead of 6.3.
fn workbook() -> Workbook {
    let mut workbook = Workbook::new();
    workbook.set_zip_compression_level(3);
    workbook
}

/// Writes `headers` (bold, frozen) and `rows` on one sheet named `sheet`.
///
/// Rows may be shorter or longer than `headers` (the report puts a second,
/// wider table below the first); widths follow whatever is written.
pub fn xlsx_table(sheet: &str, headers: &[&str], rows: &[Vec<String>]) -> anyhow::Result<Vec<u8>> {
    let mut workbook = workbook();
    let worksheet = workbook.add_worksheet();
    worksheet.set_name(sheet_name(sheet)).context("failed to name the worksheet")?;
    let bold = Format::new().set_bold().set_border_bottom(FormatBorder::Thin);
    let plain = Format::new();

    let columns = rows.iter().map(Vec::len).chain([headers.len()]).max().unwrap_or(0);
    let mut widths = vec![MIN_WIDTH; columns];
    let lines = std::iter::once(headers.iter().map(|h| h.to_string()).collect::<Vec<_>>()).chain(rows.iter().cloned());
    for (r, line) in lines.enumerate() {
        let format = if r == 0 { &bold } else { &plain };
        let row = u32::try_from(r).context("too many rows for one sheet")?;
        for (c, value) in line.iter().enumerate() {
            let value = escape_cell(value);
            widths[c] = widths[c].max(display_width(&value) + 2);
            worksheet.write_string_with_format(row, c as u16, value.as_ref(), format).with_context(|| format!("failed to write cell ({r}, {c})"))?;
        }
    }
    for (c, width) in widths.into_iter().enumerate() {
        worksheet.set_column_width(c as u16, width.min(MAX_WIDTH) as f64).context("failed to size a column")?;
    }
    worksheet.set_freeze_panes(1, 0).context("failed to freeze the header row")?;
    workbook.save_to_buffer().context("failed to write the workbook")
}

/// A typed cell of a report workbook: figures are numbers Excel can sum,
/// shown with the format a reader expects; text stays text.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Text(String),
    /// A label the code itself writes (`问题`, `合计`): no copy per row.
    Label(&'static str),
    /// Text shared with the report's items (an issue's code, a unit's name).
    Shared(Arc<str>),
    /// A date, written as text `YYYY-MM-DD`, as the service shows it.
    Day(NaiveDate),
    /// A count or a number of days.
    Number(f64),
    /// Points, shown `0.00`.
    Points(f64),
    /// A share, shown `0%`.
    Rate(f64),
    Empty,
}

/// One sheet: a bold, frozen header row and the rows below it, made one
/// at a time as they are written — a quarter's 200,000 items never exist
/// as cells all at once.
pub struct Sheet<'a> {
    pub name: String,
    pub headers: Vec<String>,
    pub rows: Box<dyn Iterator<Item = Vec<Cell>> + 'a>,
}

/// A workbook whose sheets are written (rows on disk, constant memory)
/// but not yet zipped: [`Book::zip_into`] writes the file out as it is
/// compressed, so it need never be whole in memory either.
pub struct Book(Workbook);

impl Book {
    /// The file, zipped into `out` as it is compressed.
    pub fn zip_into(mut self, out: impl std::io::Write + Send) -> anyhow::Result<()> {
        self.0.save_to_writer(out).context("failed to write the workbook")
    }

    /// The file in memory (a small workbook: a year's score).
    pub fn into_bytes(mut self) -> anyhow::Result<Vec<u8>> {
        self.0.save_to_buffer().context("failed to write the workbook")
    }
}

/// A workbook of several typed sheets (the reports), in memory.
pub fn xlsx_book(sheets: Vec<Sheet<'_>>) -> anyhow::Result<Vec<u8>> {
    xlsx_sheets(sheets)?.into_bytes()
}

/// The sheets written, the workbook not yet zipped.
pub fn xlsx_sheets(sheets: Vec<Sheet<'_>>) -> anyhow::Result<Book> {
    let mut workbook = workbook();
    let bold = Format::new().set_bold().set_border_bottom(FormatBorder::Thin);
    let points = Format::new().set_num_format("0.00");
    let rate = Format::new().set_num_format("0%");
    for sheet in sheets {
        // Constant memory: rows go to disk as they are written, so a big
        // report's workbook does not grow the service's memory.
        let worksheet = workbook.add_worksheet_with_constant_memory().context("failed to add a worksheet")?;
        worksheet.set_name(sheet_name(&sheet.name)).context("failed to name the worksheet")?;
        let mut widths = vec![MIN_WIDTH; sheet.headers.len()];
        for (c, h) in sheet.headers.iter().enumerate() {
            widths[c] = widths[c].max(display_width(h) + 2);
            worksheet.set_column_width(c as u16, widths[c].min(MAX_WIDTH) as f64).context("failed to size a column")?;
        }
        for (c, h) in sheet.headers.iter().enumerate() {
            worksheet.write_string_with_format(0, c as u16, h, &bold).context("failed to write a header")?;
        }
        for (r, line) in sheet.rows.enumerate() {
            let row = u32::try_from(r + 1).context("too many rows for one sheet")?;
            for (c, cell) in line.iter().enumerate() {
                let c = c as u16;
                match cell {
                    // No format for text (its format is the default): a
                    // cell's format is found by hashing all of it, 7% of a
                    // 250,000-row workbook in `perf` (1.2 s → 0.87 s).
                    Cell::Text(t) => worksheet.write_string(row, c, escape_cell(t).as_ref()).map(|_| ()),
                    Cell::Label(t) => worksheet.write_string(row, c, escape_cell(t).as_ref()).map(|_| ()),
                    Cell::Shared(t) => worksheet.write_string(row, c, escape_cell(t).as_ref()).map(|_| ()),
                    Cell::Day(d) => match crate::core::day::digits(*d) {
                        Some(digits) => worksheet.write_string(row, c, String::from_utf8_lossy(&digits).as_ref()).map(|_| ()),
                        None => worksheet.write_string(row, c, escape_cell(&d.to_string()).as_ref()).map(|_| ()),
                    },
                    Cell::Number(n) => worksheet.write_number(row, c, *n).map(|_| ()),
                    Cell::Points(n) => worksheet.write_number_with_format(row, c, *n, &points).map(|_| ()),
                    Cell::Rate(n) => worksheet.write_number_with_format(row, c, *n, &rate).map(|_| ()),
                    Cell::Empty => Ok(()),
                }
                .with_context(|| format!("failed to write cell ({r}, {c}) of {}", sheet.name))?;
            }
        }
        worksheet.set_freeze_panes(1, 0).context("failed to freeze the header row")?;
    }
    Ok(Book(workbook))
}

/// Prefixes `'` to a cell that a spreadsheet could take for a formula
/// (`=`, `+`, `-`, `@`, tab, CR first).
///
/// The workbook itself stores strings, so Excel would not evaluate them;
/// but people copy cells into other sheets or save as CSV, and titles and
/// locations are typed by users. The visible `'` is the price (OWASP's
/// advice for "CSV injection").
pub fn escape_cell(value: &str) -> Cow<'_, str> {
    if value.starts_with(['=', '+', '-', '@', '\t', '\r']) { Cow::Owned(format!("'{value}")) } else { Cow::Borrowed(value) }
}

/// Excel refuses names longer than 31 UTF-16 units, with `* ? : [ ] \ /`,
/// or starting/ending with `'`. Sheet names here are built from data (a
/// quarter, a title), and a refused name would cost a unit its list, so the
/// name is mended rather than rejected.
fn sheet_name(wanted: &str) -> String {
    let replaced: String = wanted.chars().map(|c| if "*?:[]\\/".contains(c) { '_' } else { c }).collect();
    let mut name = String::new();
    for c in replaced.trim_matches('\'').chars() {
        if name.encode_utf16().count() + c.len_utf16() > 31 {
            break;
        }
        name.push(c);
    }
    let name = name.trim_matches('\'').trim().to_owned();
    if name.is_empty() { "Sheet1".to_owned() } else { name }
}

#[cfg(test)]
mod tests {
    use super::*;
    use calamine::{Data, Reader, Xlsx, open_workbook_from_rs};
    use std::io::Cursor;

    fn read_back(bytes: Vec<u8>) -> (Vec<String>, Vec<Vec<String>>) {
        let mut book: Xlsx<_> = open_workbook_from_rs(Cursor::new(bytes)).expect("calamine opens the workbook");
        let names = book.sheet_names();
        let range = book.worksheet_range(&names[0]).unwrap();
        let cells = range
            .rows()
            .map(|row| {
                row.iter()
                    .map(|d| match d {
                        Data::String(s) => s.clone(),
                        Data::Empty => String::new(),
                        other => panic!("not a string: {other:?}"),
                    })
                    .collect()
            })
            .collect();
        (names, cells)
    }

    #[test]
    fn cells_a_spreadsheet_could_run_are_escaped() {
        for risky in ["=1+1", "+86 513", "-2", "@SUM(A1)", "\tx", "\rx"] {
            assert_eq!(escape_cell(risky), format!("'{risky}"));
        }
        for safe in ["W-2021-031", "2021-03-16", "入河排污口", "", "0.02", " =x"] {
            assert_eq!(escape_cell(safe), safe);
        }
    }

    #[test]
    fn calamine_reads_the_table_back_as_written_strings() {
        let rows = vec![vec!["W-2021-031".into(), "=HYPERLINK(\"http://x\")".into(), "入河污染源".into()], vec!["0031".into(), "-坝埂".into()]];
        let bytes = xlsx_table("交办清单", &["编号", "标题", "类别"], &rows).unwrap();
        let (names, cells) = read_back(bytes);
        assert_eq!(names, ["交办清单"]);
        assert_eq!(cells[0], ["编号", "标题", "类别"]);
        assert_eq!(cells[1], ["W-2021-031", "'=HYPERLINK(\"http://x\")", "入河污染源"]);
        assert_eq!(cells[2], ["0031", "'-坝埂", ""]);
    }

    #[test]
    fn rows_wider_than_the_headers_are_kept() {
        let rows = vec![vec!["明细".into(), "编号".into(), "单位".into(), "天数".into()]];
        let (_, cells) = read_back(xlsx_table("2021Q1 扣分", &["单位", "扣分"], &rows).unwrap());
        assert_eq!(cells[1], ["明细", "编号", "单位", "天数"]);
    }

    #[test]
    fn sheet_names_excel_would_refuse_are_mended() {
        assert_eq!(sheet_name("2021Q1 扣分"), "2021Q1 扣分");
        assert_eq!(sheet_name("'a/b:c'"), "a_b_c");
        assert_eq!(sheet_name(""), "Sheet1");
        let long = sheet_name(&"长".repeat(40));
        assert_eq!(long.chars().count(), 31);
        assert!(xlsx_table(&"长".repeat(40), &[], &[]).is_ok());
    }
}
