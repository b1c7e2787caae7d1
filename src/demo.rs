//! `jiaoban demo`: the service with the work plan's units, one user per role
//! and a quarter of plausible issues in every state, so a newcomer sees a
//! living system in one command. It runs on a test clock (the banner says so)
//! and drives the same use cases the API does.

use crate::app::{accounts, issues, reports, scheduler, Actor, App};
use crate::core::state::Role;
use crate::core::LocalTime;

/// Every demo account has this password (printed at start).
pub const PASSWORD: &str = "jiaoban2021";
/// The demo's quarter starts here (a Monday) and stops at `END`.
pub const START: &str = "2021-01-04T08:00:00";
const END: &str = "2021-03-26T10:00:00";

const UNITS: &[(&str, &str)] = &[
    ("中兴街道", "zhongxing"),
    ("竹行街道", "zhuhang"),
    ("新开街道", "xinkai"),
    ("老洪港管理办公室", "laohonggang"),
    ("区住建局", "zhujianju"),
    ("区生态环境局", "shengtaiju"),
];

const TITLES: &[(&str, &str, &str)] = &[
    ("通启运河东岸排污口疑似偷排", "入河污染源", "巡查发现"),
    ("民生圩北横河坝埂阻水", "阻水障碍物", "12345移交"),
    ("汽车城北横河沿岸生活污水直排", "入河污染源", "群众举报"),
    ("新开港闸未按调度指令开闸", "未执行调度", "领导交办"),
    ("老洪港河道漂浮垃圾聚集", "其他", "新闻媒体曝光"),
    ("竹行河雨污混接排口", "入河污染源", "巡查发现"),
    ("东方大道桥下临时坝头未拆除", "阻水障碍物", "巡查发现"),
    ("工业园区泵站溢流", "入河污染源", "12345移交"),
];

/// A step of the demo script: (day offset from START, what happens).
enum Step {
    Register(usize),
    Accept(usize),
    Report(usize),
    Recheck(usize, bool),
    Close(usize),
    Violation(usize),
}

fn script() -> Vec<(i64, Step)> {
    use Step::*;
    let mut steps = Vec::new();
    // 24 issues registered over ten weeks; the scheduler dispatches them on the 1st and 16th.
    for i in 0..24 {
        steps.push(((i as i64) * 3, Register(i)));
    }
    for i in 0..24 {
        let base = (i as i64) * 3 + 16 - ((i as i64 * 3 + 12) % 15);
        match i % 6 {
            0 => steps.extend([(base + 1, Accept(i)), (base + 8, Report(i)), (base + 10, Recheck(i, true)), (base + 11, Close(i))]),
            1 => steps.extend([(base + 2, Accept(i)), (base + 20, Report(i)), (base + 22, Recheck(i, true))]),
            2 => steps.extend([(base + 1, Accept(i)), (base + 6, Report(i)), (base + 8, Recheck(i, false))]),
            3 => steps.extend([(base + 1, Accept(i)), (base + 9, Report(i))]),
            4 => steps.push((base + 3, Accept(i))),
            _ => {}
        }
    }
    steps.push((40, Violation(3)));
    steps.push((58, Violation(1)));
    steps.sort_by_key(|(day, _)| *day);
    steps
}

/// Seeds a fresh demo database; does nothing if it already has units.
pub async fn seed(app: &App) -> anyhow::Result<()> {
    let admin = Actor { user_id: "demo".into(), username: "admin".into(), role: Role::Admin, unit_id: None };
    if !accounts::units(&app.db).await.map_err(err)?.is_empty() {
        return Ok(());
    }
    for (name, login) in UNITS {
        accounts::create_unit(app, &admin, name, vec![format!("{login}@example.gov.cn")]).await.map_err(err)?;
        accounts::create_user(app, &admin, login, PASSWORD, "unit", Some(name)).await.map_err(err)?;
    }
    for (login, role) in [("gongjianban", "dispatcher"), ("fuhe", "rechecker"), ("kaohe", "assessor")] {
        accounts::create_user(app, &admin, login, PASSWORD, role, None).await.map_err(err)?;
    }
    let dispatcher = actor(app, "gongjianban").await?;
    let rechecker = actor(app, "fuhe").await?;
    let start = LocalTime::parse(START).map_err(anyhow::Error::msg)?;
    let mut ids = vec![String::new(); 24];
    for (day, step) in script() {
        let at = LocalTime::new(start.naive() + chrono::Duration::days(day) + chrono::Duration::hours(2));
        if at > app.now().await.map_err(err)? {
            scheduler::advance_test_clock(app, at).await.map_err(err)?;
        }
        let unit_of = |i: usize| UNITS[i % UNITS.len()];
        let result = match step {
            Step::Register(i) => {
                let (title, category, source) = TITLES[i % TITLES.len()];
                let new = issues::NewIssue::parse(app, format!("W-2021-{:03}", i + 1), unit_of(i).0.into(), title.into(), Some(source.into()), Some(category.into()), Some("南通经济技术开发区".into()), None).map_err(err)?;
                issues::register(app, &dispatcher, new).await.map(|v| ids[i] = v.id)
            }
            Step::Accept(i) => issues::act(app, &actor(app, unit_of(i).1).await?, &ids[i], "accept", None, Some("已签收，安排整改".into())).await.map(drop),
            Step::Report(i) => issues::act(app, &actor(app, unit_of(i).1).await?, &ids[i], "report", None, Some("已整改完毕，请复核".into())).await.map(drop),
            Step::Recheck(i, passed) => issues::act(app, &rechecker, &ids[i], "recheck", Some(passed), Some(if passed { "现场复核通过" } else { "现场仍有渗漏，复核不通过" }.into())).await.map(drop),
            Step::Close(i) => issues::act(app, &dispatcher, &ids[i], "close", None, None).await.map(drop),
            Step::Violation(u) => reports::record_violation(app, &dispatcher, UNITS[u].0, Some("未按调度指令启闭闸门".into())).await.map(drop),
        };
        if let Err(e) = result {
            tracing::warn!(error = %e, "demo step skipped");
        }
    }
    let end = LocalTime::parse(END).map_err(anyhow::Error::msg)?;
    scheduler::advance_test_clock(app, end).await.map_err(err)?;
    Ok(())
}

async fn actor(app: &App, username: &str) -> anyhow::Result<Actor> {
    accounts::actor_by_name(app, username).await.map_err(err)?.ok_or_else(|| anyhow::anyhow!("demo user {username} missing"))
}

fn err(e: crate::app::AppError) -> anyhow::Error {
    anyhow::anyhow!("{e}")
}

/// The accounts to print at start.
pub fn accounts_table() -> String {
    let mut lines = vec![format!("演示账号 (demo accounts), 密码 password: {PASSWORD}"), "  admin        系统管理员 (password: JIAOBAN_ADMIN_PASSWORD or printed above)".into()];
    lines.push("  gongjianban  攻坚办 dispatcher".into());
    lines.push("  fuhe         复核 rechecker".into());
    lines.push("  kaohe        考核督查组 assessor".into());
    for (name, login) in UNITS {
        lines.push(format!("  {login:<12} 责任单位 {name}"));
    }
    lines.join("\n")
}
