//! Chinese subjects and bodies of jiaoban's mails.
//!
//! Every number a reader acts on — tier days, points, hours, dates — is a
//! parameter: the workflow file owns them, and a mail that said "16 days"
//! while the workflow said 11 would be worse than no mail. Dates are given
//! as dates, not as "in 3 days", because a reminder owed on a Saturday goes
//! out on Monday and a countdown would be wrong by then.

/// The columns of a dispatch list, in the mail body and in its `.xlsx`.
pub const DISPATCH_COLUMNS: [&str; 6] = ["编号", "标题", "类别", "来源", "地点", "交办日期"];

const FOOTER: &str = "—— 交办系统（自动发送，请勿回复）";

/// The body of a `dispatch:` mail: the unit's part of the list as a text
/// table (rows in [`DISPATCH_COLUMNS`] order), the same list being attached
/// as `.xlsx` for anyone who wants to sort or print it.
pub fn dispatch_mail_body(unit: &str, listed_at: &str, rows: &[Vec<String>]) -> String {
    let when = listed_at.replacen('T', " ", 1);
    format!(
        "{unit}：\n\n攻坚办于{when}交办以下{n}个问题，请及时在系统中签收、整改，整改完成后在系统中反馈。\n\n交办清单\n\n{table}\n清单另见附件（Excel）。\n\n{FOOTER}",
        n = rows.len(),
        table = text_table(&DISPATCH_COLUMNS, rows),
    )
}

/// The issue a reminder is about, as its unit knows it.
#[derive(Debug, Clone, Copy)]
pub struct IssueRef<'a> {
    pub code: &'a str,
    pub title: &'a str,
    pub unit: &'a str,
    /// The dispatch date d, `YYYY-MM-DD`.
    pub dispatched_on: &'a str,
}

/// One reminder of rules.md's table (all but `dispatch:`), with the numbers
/// it states.
#[derive(Debug, Clone, Copy)]
pub enum ReminderMail<'a> {
    /// `warn-<tier_day>`: the tier starts on `tier_date` (d + tier_day) and
    /// costs `points` (e.g. "0.02").
    Warn { issue: IssueRef<'a>, tier_day: u32, tier_date: &'a str, points: &'a str },
    /// `tier-<tier_day>`: the tier started today.
    Tier { issue: IssueRef<'a>, tier_day: u32, points: &'a str },
    /// `recheck-wait:<issue>:<n>`, to the rechecker.
    RecheckWait { issue: IssueRef<'a>, report_no: u32, reported_at: &'a str, hours: u32 },
    /// `quarter-report:<q>`: the quarter is over; its report is due on `due`.
    QuarterReport { quarter: &'a str, due: &'a str },
    /// `quarter-due:<q>`: the report is due on `due` (that day included).
    QuarterDue { quarter: &'a str, due: &'a str },
    /// `return:<issue>:<n>`, to 攻坚办: the unit returned the issue.
    Returned { issue: IssueRef<'a>, reason: &'a str },
    /// `ruling:<issue>:<n>`, to the unit that returned it: 改派 to `to`
    /// (`Some`) or 驳回 (`None`, the issue is that unit's again).
    Ruling { issue: IssueRef<'a>, to: Option<&'a str>, reason: &'a str },
    /// `assign:<issue>:<a>`, to the new unit: the issue is now its own.
    Assigned { issue: IssueRef<'a> },
    /// `withdrawn:<issue>`, to the issue's unit.
    Withdrawn { issue: IssueRef<'a>, reason: &'a str },
    /// `revoked:<violation>`, to the violation's unit.
    Revoked { unit: &'a str, date: &'a str, reason: &'a str },
}

/// Subject and body of a reminder; `link`, when the service knows its
/// public URL, points at the issue or report.
pub fn reminder_subject_and_body(mail: &ReminderMail<'_>, link: Option<&str>) -> (String, String) {
    let (subject, greeting, text) = match *mail {
        ReminderMail::Warn { issue, tier_day, tier_date, points } => (
            format!("【预警】{} 将于{tier_date}满{tier_day}天", issue.code),
            issue.unit.to_owned(),
            format!(
                "{}将于{tier_date}满{tier_day}天。{tier_date}之前未完成整改并反馈的（复核不通过的反馈不算完成），将扣{points}分。请抓紧整改，完成后及时在系统中反馈。",
                about(issue)
            ),
        ),
        ReminderMail::Tier { issue, tier_day, points } => (
            format!("【逾期】{} 交办已满{tier_day}天", issue.code),
            issue.unit.to_owned(),
            format!("{}今日已满{tier_day}天，已进入扣{points}分档次。请立即整改并在系统中反馈。", about(issue)),
        ),
        ReminderMail::RecheckWait { issue, report_no, reported_at, hours } => (
            format!("【待复核】{} 第{report_no}次反馈已超过{hours}小时未复核", issue.code),
            "复核部门".to_owned(),
            format!(
                "{}于{}对问题“{}”（编号{}）作出第{report_no}次整改反馈，已超过{hours}小时尚未复核，请尽快组织现场复核。",
                issue.unit,
                reported_at.replacen('T', " ", 1),
                issue.title,
                issue.code
            ),
        ),
        ReminderMail::QuarterReport { quarter, due } => (
            format!("【季度扣分】{quarter}扣分情况"),
            "您好".to_owned(),
            format!("{quarter}已结束，本季度扣分情况可在系统中查看，请于{due}（含当日）前报送考核督查组。跨季度尚未办结的问题，在扣分确定的季度计分。"),
        ),
        ReminderMail::QuarterDue { quarter, due } => (
            format!("【报送提醒】{quarter}扣分情况报送截止{due}"),
            "您好".to_owned(),
            format!("{quarter}扣分情况报送截止日期为{due}（含当日），请及时审核并报送考核督查组。"),
        ),
        ReminderMail::Returned { issue, reason } => (
            format!("【退回待定】{} 被{}退回", issue.code, issue.unit),
            "攻坚办".to_owned(),
            format!("{}现被{}退回，理由：{}。请尽快改派或驳回；退回期间时限照常计算。", about(issue), issue.unit, or_none(reason)),
        ),
        ReminderMail::Ruling { issue, to: Some(to), reason } => (
            format!("【退回已改派】{} 已改派{to}", issue.code),
            issue.unit.to_owned(),
            format!("贵单位退回的问题“{}”（编号{}）已由攻坚办改派{to}，贵单位不再负责。{}", issue.title, issue.code, note_line(reason)),
        ),
        ReminderMail::Ruling { issue, to: None, reason } => (
            format!("【退回被驳回】{} 仍由贵单位整改", issue.code),
            issue.unit.to_owned(),
            format!("{}贵单位的退回已被攻坚办驳回，请立即签收整改，时限从原交办日起算。{}", about(issue), note_line(reason)),
        ),
        ReminderMail::Assigned { issue } => (
            format!("【改派交办】{} 改派贵单位", issue.code),
            issue.unit.to_owned(),
            format!("问题“{}”（编号{}）于{}改派贵单位整改，时限从改派之日起算。请及时签收。", issue.title, issue.code, issue.dispatched_on),
        ),
        ReminderMail::Withdrawn { issue, reason } => (
            format!("【已撤销】{}", issue.code),
            issue.unit.to_owned(),
            format!("{}现已由攻坚办撤销，无需再办理，也不计扣分。{}", about(issue), note_line(reason)),
        ),
        ReminderMail::Revoked { unit, date, reason } => (
            format!("【违规记录已撤销】{date}的未执行调度记录"),
            unit.to_owned(),
            format!("贵单位{date}的“未执行调度方案或者指令”记录已由攻坚办撤销，相应扣分不再计入（已报送的季度以更正项退回）。{}", note_line(reason)),
        ),
    };
    let link = link.map(|url| format!("\n\n查看详情：{url}")).unwrap_or_default();
    (subject, format!("{greeting}：\n\n{text}{link}\n\n{FOOTER}"))
}

fn or_none(reason: &str) -> &str {
    if reason.is_empty() { "（未写明）" } else { reason }
}

fn note_line(reason: &str) -> String {
    if reason.is_empty() { String::new() } else { format!("说明：{reason}") }
}

fn about(issue: IssueRef<'_>) -> String {
    format!("问题“{}”（编号{}）于{}交办，", issue.title, issue.code, issue.dispatched_on)
}

/// Columns padded to the widest cell, two spaces apart. Mail clients that
/// use a proportional font will not line it up perfectly; the rows still
/// read in order, and the attachment is the exact copy.
fn text_table(headers: &[&str], rows: &[Vec<String>]) -> String {
    let cell = |row: &[String], c: usize| row.get(c).map_or("", String::as_str).to_owned();
    let widths: Vec<usize> =
        (0..headers.len()).map(|c| rows.iter().map(|r| display_width(&cell(r, c))).chain([display_width(headers[c])]).max().unwrap_or(0)).collect();
    let line = |cells: Vec<String>| {
        let padded: Vec<String> = cells.iter().zip(&widths).map(|(s, w)| format!("{s}{}", " ".repeat(w - display_width(s)))).collect();
        format!("{}\n", padded.join("  ").trim_end())
    };
    let mut out = line(headers.iter().map(|h| h.to_string()).collect());
    out.push_str(&"-".repeat(widths.iter().sum::<usize>() + 2 * widths.len().saturating_sub(1)));
    out.push('\n');
    for row in rows {
        out.push_str(&line((0..headers.len()).map(|c| cell(row, c)).collect()));
    }
    out
}

/// Columns a string takes in a monospaced font: CJK and full-width forms
/// take two. Enough for Chinese text; not a full Unicode width table.
pub fn display_width(s: &str) -> usize {
    s.chars()
        .map(|c| match c as u32 {
            0x1100..=0x115F
            | 0x2E80..=0x303E
            | 0x3041..=0x33FF
            | 0x3400..=0x4DBF
            | 0x4E00..=0x9FFF
            | 0xA000..=0xA4CF
            | 0xAC00..=0xD7A3
            | 0xF900..=0xFAFF
            | 0xFE30..=0xFE4F
            | 0xFF00..=0xFF60
            | 0xFFE0..=0xFFE6
            | 0x20000..=0x3FFFD => 2,
            _ => 1,
        })
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    const ISSUE: IssueRef<'static> = IssueRef { code: "W-2021-031", title: "某河排口", unit: "崇川区", dispatched_on: "2021-03-16" };

    #[test]
    fn the_dispatch_body_lists_every_issue_in_aligned_columns() {
        let rows = vec![
            vec!["W-2021-031".into(), "某河排口".into(), "入河污染源".into(), "巡查发现".into(), "通富路".into(), "2021-03-16".into()],
            vec!["W-2021-032".into(), "坝埂".into(), "阻水障碍物".into(), "12345移交".into(), "".into(), "2021-03-16".into()],
        ];
        let body = dispatch_mail_body("崇川区", "2021-03-16T09:00:00", &rows);
        assert!(body.starts_with("崇川区：\n\n攻坚办于2021-03-16 09:00:00交办以下2个问题"), "{body}");
        let lines: Vec<&str> = body.lines().filter(|l| l.starts_with("W-2021-03")).collect();
        assert_eq!(lines.len(), 2);
        assert!(body.contains("编号        标题      类别        来源       地点    交办日期"), "{body}");
        let category_at = |l: &str| display_width(&l[..l.find('入').or_else(|| l.find('阻')).unwrap()]);
        assert_eq!(category_at(lines[0]), category_at(lines[1]));
    }

    #[test]
    fn reminder_texts_state_the_numbers_they_are_given() {
        let warn = ReminderMail::Warn { issue: ISSUE, tier_day: 11, tier_date: "2021-03-27", points: "0.03" };
        let (subject, body) = reminder_subject_and_body(&warn, Some("http://jb/issues/1"));
        assert_eq!(subject, "【预警】W-2021-031 将于2021-03-27满11天");
        assert!(body.starts_with("崇川区：\n\n问题“某河排口”（编号W-2021-031）于2021-03-16交办，"), "{body}");
        assert!(body.contains("扣0.03分") && body.contains("查看详情：http://jb/issues/1"), "{body}");
        assert!(!body.contains("16天"), "{body}");

        let (subject, body) = reminder_subject_and_body(&ReminderMail::Tier { issue: ISSUE, tier_day: 31, points: "0.05" }, None);
        assert_eq!(subject, "【逾期】W-2021-031 交办已满31天");
        assert!(body.contains("已进入扣0.05分档次") && !body.contains("查看详情"), "{body}");

        let wait = ReminderMail::RecheckWait { issue: ISSUE, report_no: 2, reported_at: "2021-04-05T10:00:00", hours: 48 };
        let (subject, body) = reminder_subject_and_body(&wait, None);
        assert_eq!(subject, "【待复核】W-2021-031 第2次反馈已超过48小时未复核");
        assert!(body.starts_with("复核部门：\n\n崇川区于2021-04-05 10:00:00"), "{body}");

        let (subject, body) = reminder_subject_and_body(&ReminderMail::QuarterDue { quarter: "2021Q1", due: "2021-04-10" }, None);
        assert_eq!(subject, "【报送提醒】2021Q1扣分情况报送截止2021-04-10");
        assert!(body.contains("2021-04-10（含当日）"), "{body}");
        let (subject, _) = reminder_subject_and_body(&ReminderMail::QuarterReport { quarter: "2021Q1", due: "2021-04-10" }, None);
        assert_eq!(subject, "【季度扣分】2021Q1扣分情况");
    }

    #[test]
    fn chinese_characters_are_two_columns_wide() {
        assert_eq!(display_width("W-1"), 3);
        assert_eq!(display_width("交办（急）"), 10);
        assert_eq!(display_width("16–30天"), 7);
    }
}
