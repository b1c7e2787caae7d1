//! `jiaoban demo`: the service with the work plan's units, one user per role
//! and a quarter of plausible issues in every state, so a newcomer sees a
//! living system in one command. It runs on a test clock (the banner says so)
//! and drives the same use cases the API does.

use crate::app::{Actor, App, accounts, attachments, issues, moves, scheduler, violations};
use crate::core::LocalTime;
use crate::core::state::Role;

/// The photo a demo report carries: a riverbank after the works.
const PHOTO: &[u8] = include_bytes!("../assets/demo-photo.png");

/// Every demo account has this password (printed at start).
pub const PASSWORD: &str = "tongqi-canal-2021";
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

/// The officer of each unit (姓名), in the order of `UNITS`.
const PEOPLE: [&str; 6] = ["王建国", "李晓明", "张静", "刘洋", "陈芳", "赵磊"];

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

/// What each kind of issue does, by days since its dispatch: profile
/// `i % 6` of issue `i`. Together they leave issues in every state and tier.
fn planned(profile: usize, day: i64) -> Option<(&'static str, Option<bool>)> {
    let plan: &[(i64, &str, Option<bool>)] = match profile {
        0 => &[(1, "accept", None), (8, "report", None), (10, "recheck", Some(true)), (11, "close", None)],
        1 => &[(2, "accept", None), (20, "report", None), (22, "recheck", Some(true))],
        2 => &[(1, "accept", None), (6, "report", None), (8, "recheck", Some(false)), (12, "report", None)],
        3 => &[(1, "accept", None), (9, "report", None)],
        4 => &[(3, "accept", None)],
        _ => &[],
    };
    plan.iter().find(|(d, _, _)| *d == day).map(|(_, action, passed)| (*action, *passed))
}

/// Issues registered: one every three days.
const ISSUES: usize = 26;
const EVERY_DAYS: i64 = 3;

/// Seeds a fresh demo database; does nothing if it already has units.
pub async fn seed(app: &App) -> anyhow::Result<()> {
    let admin = Actor::tool("admin", Role::Admin);
    if !accounts::units(&app.db).await.map_err(err)?.is_empty() {
        return Ok(());
    }
    let user = |login: &str, role: &str, unit: Option<&str>, name: &str| accounts::NewUser {
        username: login.into(),
        password: PASSWORD.into(),
        role: role.into(),
        unit: unit.map(str::to_string),
        name: Some(name.into()),
    };
    for ((name, login), person) in UNITS.iter().zip(PEOPLE) {
        let leaders = vec![format!("{login}-leader@example.gov.cn")];
        accounts::create_unit(app, &admin, name, vec![format!("{login}@example.gov.cn")], leaders).await.map_err(err)?;
        accounts::create_user(app, &admin, user(login, "unit", Some(name), person)).await.map_err(err)?;
    }
    for (login, role, person) in [("gongjianban", "dispatcher", "周敏"), ("fuhe", "rechecker", "吴刚"), ("kaohe", "assessor", "郑丽")] {
        accounts::create_user(app, &admin, user(login, role, None, person)).await.map_err(err)?;
    }
    let dispatcher = actor(app, "gongjianban").await?;
    let rechecker = actor(app, "fuhe").await?;
    let start = LocalTime::parse(START).map_err(anyhow::Error::msg)?;
    let end = LocalTime::parse(END).map_err(anyhow::Error::msg)?;
    let mut ids: Vec<String> = Vec::new();
    let mut day = 0;
    loop {
        let at = LocalTime::new(start.naive() + chrono::Duration::days(day) + chrono::Duration::hours(2));
        if at > end {
            break;
        }
        scheduler::advance_test_clock(app, at).await.map_err(err)?;
        if day % EVERY_DAYS == 0 && ids.len() < ISSUES {
            let i = ids.len();
            let (title, category, source) = TITLES[i % TITLES.len()];
            let new = issues::NewIssue::parse(
                app,
                issues::IssueInput {
                    code: format!("W-2021-{:03}", i + 1),
                    unit: UNITS[(i + i / 6) % UNITS.len()].0.into(),
                    title: title.into(),
                    source: Some(source.into()),
                    category: Some(category.into()),
                    location: Some("南通经济技术开发区".into()),
                    description: None,
                },
            )
            .map_err(err)?;
            ids.push(issues::register(app, &dispatcher, new).await.map_err(err)?.id);
        }
        for (i, id) in ids.iter().enumerate() {
            let issue = issues::get(app, &dispatcher, id).await.map_err(err)?;
            // Days since dispatch (the issue's `days` stop at completion).
            let since = issue.dispatched_at.as_deref().and_then(|d| LocalTime::parse(d).ok()).map(|d| crate::core::clock::days_between(d.date(), at.date()));
            let Some((action, passed)) = since.and_then(|d| planned(i % 6, d)) else { continue };
            let who = match action {
                "accept" | "report" => actor(app, UNITS[(i + i / 6) % UNITS.len()].1).await?,
                "recheck" => rechecker.clone(),
                _ => dispatcher.clone(),
            };
            let note = match (action, passed) {
                ("accept", _) => "已签收，安排整改",
                ("report", _) => "已整改完毕，请复核",
                (_, Some(true)) => "现场复核通过",
                (_, Some(false)) => "现场仍有渗漏，复核不通过",
                _ => "同意销号",
            };
            let mut request = moves::MoveRequest::new(moves::requested_action(action, passed).map_err(err)?);
            request.note = Some(note.into());
            if action == "report" {
                // A report carries its photo (rules.md, Evidence).
                request.attachments.push(attachments::store(app, &who, PHOTO).await.map_err(err)?.as_str().to_string());
            }
            moves::act(app, &who, id, request).await.map_err(err)?;
        }
        if day == 40 || day == 58 {
            violations::record(app, &dispatcher, UNITS[(day as usize) % UNITS.len()].0, Some("未按调度指令启闭闸门".into())).await.map_err(err)?;
        }
        day += 1;
    }
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
    let mut lines = vec![
        format!("演示账号 (demo accounts), 密码 password: {PASSWORD}"),
        "  admin        系统管理员 (password: JIAOBAN_ADMIN_PASSWORD or printed above)".into(),
    ];
    lines.push("  gongjianban  攻坚办 dispatcher".into());
    lines.push("  fuhe         复核 rechecker".into());
    lines.push("  kaohe        考核督查组 assessor".into());
    for (name, login) in UNITS {
        lines.push(format!("  {login:<12} 责任单位 {name}"));
    }
    lines.join("\n")
}
