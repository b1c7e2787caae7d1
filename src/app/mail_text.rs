//! Subjects and bodies of reminder mails, in Chinese. The tier days come from
//! the reminder itself (the workflow's numbers), never from here.

use crate::core::engine::Reminder;
use crate::core::Workflow;

fn link(public_url: Option<&str>, path: &str) -> String {
    public_url.map(|u| format!("\n\n查看详情：{}{path}", u.trim_end_matches('/'))).unwrap_or_default()
}

/// Subject and body of an issue reminder.
pub fn reminder_text(wf: &Workflow, reminder: Reminder, code: &str, title: &str, unit: &str, dispatched_at: &str, public_url: Option<&str>, issue_id: &str) -> (String, String) {
    let when = dispatched_at.get(..10).unwrap_or(dispatched_at);
    let points_of = |day: i64| wf.points_for_days(day).to_string();
    let (subject, line) = match reminder {
        Reminder::Warn(day) => (
            format!("【提醒】{code} 距第{day}天还有{}天", wf.reminders.warn_before_days),
            format!("问题“{title}”于{when}交办，{}天后进入第{day}天，届时未完成整改将扣{}分。请抓紧整改并反馈。", wf.reminders.warn_before_days, points_of(day)),
        ),
        Reminder::Tier(day) => (
            format!("【逾期】{code} 已进入第{day}天"),
            format!("问题“{title}”于{when}交办，今日已进入第{day}天，未完成整改扣{}分。请立即整改并反馈。", points_of(day)),
        ),
        Reminder::RecheckWait(n) => (
            format!("【待复核】{code} 第{n}次反馈已等待{}小时", wf.reminders.recheck_wait_hours),
            format!("{unit}对问题“{title}”的第{n}次整改反馈已等待复核超过{}小时，请尽快现场复核。", wf.reminders.recheck_wait_hours),
        ),
    };
    let body = format!("{unit}：\n\n{line}\n\n编号：{code}\n交办日期：{when}{}\n\n—— 交办系统（自动发送，请勿回复）", link(public_url, &format!("/issues/{issue_id}")));
    (subject, body)
}

/// Subject and body of `quarter-report` (the quarter ended) and `quarter-due`.
pub fn quarter_text(which: &str, quarter: &str, due: &str, public_url: Option<&str>) -> (String, String) {
    let link = link(public_url, &format!("/reports/{quarter}"));
    if which == "due" {
        (format!("【季度报送】{quarter} 扣分情况须于{due}前报送"), format!("{quarter}季度扣分情况报送截止日期为{due}，请及时审核并报送考核督查组。{link}\n\n—— 交办系统"))
    } else {
        (format!("【季度结束】{quarter} 扣分情况"), format!("{quarter}季度已结束，扣分情况可在系统中查看，报送截止日期为{due}。跨季度未办结的问题将在办结季度计分。{link}\n\n—— 交办系统"))
    }
}
