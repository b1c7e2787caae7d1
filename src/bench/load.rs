//! A province's years of issues, made the way its users make them: every
//! issue registered on a list day, dispatched by the scheduler, then moved
//! by its unit, the rechecker and 攻坚办 through the use cases the API calls,
//! while the test clock walks day by day and fires reminders and overdue
//! charges. Sixteen writers at once, as on a busy morning.

use super::serve::PASSWORD;
use crate::app::{Actor, App, AppError, accounts, attachments, history, issues, moves, scheduler, violations};
use crate::core::LocalTime;
use crate::core::state::Role;
use chrono::{Datelike, Duration, NaiveDate};
use std::collections::BTreeMap;
use std::sync::Arc;

/// The test clock starts here; the workflow's list days follow.
pub const START: &str = "2021-01-01T08:00:00";
/// A report carries its photo (rules.md, Evidence): the demo's, 488 bytes.
const PHOTO: &[u8] = include_bytes!("../../assets/demo-photo.png");
pub const WRITERS: usize = 16;
const TITLES: [&str; 4] = ["排污口疑似偷排", "坝埂阻水", "沿岸生活污水直排", "闸站未按调度指令开闸"];

pub struct Plan {
    pub units: usize,
    pub issues: usize,
    pub years: u32,
}

/// What the load left, for the measurements.
pub struct Loaded {
    pub issues: usize,
    pub moves: usize,
    pub units: Vec<String>,
    /// The officer (user name) of each unit, in the order of `units`.
    pub officers: Vec<String>,
    pub ids: Vec<String>,
}

#[derive(Clone, Copy, Debug)]
enum Step {
    Accept,
    Report,
    Pass,
    Fail,
    Close,
    Return,
    Reassign,
    Withdraw,
}

/// The life of issue `i`: (days after its dispatch, step). Most are done
/// within the first tier, some in the second, some overdue; a few fail a
/// recheck, are returned and reassigned, withdrawn, or never finished.
fn life(i: usize) -> Vec<(i64, Step)> {
    use Step::*;
    let h = (i.wrapping_mul(2_654_435_761) >> 7) % 100;
    let done = |accept: i64, report: i64| vec![(accept, Accept), (report, Report), (report + 1, Pass), (report + 2, Close)];
    match h {
        0..68 => done(1, 4 + (h as i64) % 10),
        68..86 => done(2, 16 + (h as i64) % 13),
        86..92 => done(2, 33 + (h as i64) % 10),
        92..95 => vec![(1, Accept), (8, Report), (10, Fail), (13, Report), (14, Pass), (15, Close)],
        95..97 => vec![(1, Return), (2, Reassign), (3, Accept), (9, Report), (10, Pass), (11, Close)],
        97 => vec![(3, Withdraw)],
        _ => vec![(1, Accept)],
    }
}

/// The unit issue `i` is with at step `step` of its life.
fn unit_of(i: usize, step: usize, units: usize) -> usize {
    let reassigned = matches!(life(i).get(1), Some((_, Step::Reassign))) && step >= 2;
    (i + usize::from(reassigned)) % units
}

struct People {
    dispatcher: Actor,
    rechecker: Actor,
    officers: Vec<Actor>,
    units: Vec<String>,
}

pub async fn province(app: &App, plan: &Plan) -> anyhow::Result<Loaded> {
    let people = Arc::new(people(app, plan.units).await?);
    let start = LocalTime::parse(START).map_err(anyhow::Error::msg)?;
    let end = start.date() + Duration::days(365 * i64::from(plan.years));
    let mut lists = Vec::new();
    let mut at = start;
    while let Some(next) = app.wf.next_dispatch_after(at).filter(|d| d.date() < end) {
        lists.push(next);
        at = next;
    }
    anyhow::ensure!(!lists.is_empty(), "no list day in {} years", plan.years);
    let days = (end - start.date()).num_days() as u64;
    let bar = indicatif::ProgressBar::new(days);
    bar.set_style(
        indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} 天 {msg} [{elapsed_precise}, 余 {eta}]")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    let mut ids: Vec<String> = Vec::with_capacity(plan.issues);
    // Day → (issue, step of its life, its list day).
    let mut agenda: BTreeMap<NaiveDate, Vec<(usize, usize, NaiveDate)>> = BTreeMap::new();
    let mut moves = 0;
    let count = lists.len();
    let mut lists = lists.into_iter().enumerate().peekable();
    let mut day = start.date();
    while day < end {
        if let Some((k, list)) = lists.next_if(|(_, l)| l.date() == day) {
            clock(app, at_hour(day, 8)).await?;
            let batch = (k * plan.issues / count)..((k + 1) * plan.issues / count);
            register(app, &people, batch.clone(), day, &mut ids).await?;
            clock(app, LocalTime::new(list.naive() + Duration::minutes(1))).await?;
            for i in batch {
                agenda.entry(day + Duration::days(life(i)[0].0)).or_default().push((i, 0, day));
            }
            let unit = &people.units[k % people.units.len()];
            violations::record(app, &people.dispatcher, unit, Some("未按调度指令启闭闸门".into())).await.map_err(err)?;
        }
        clock(app, at_hour(day, 10)).await?;
        let today = agenda.remove(&day).unwrap_or_default();
        moves += today.len();
        for (i, step, list) in work(app, &people, &ids, today).await? {
            agenda.entry(list + Duration::days(life(i)[step].0)).or_default().push((i, step, list));
        }
        history::anchor_past_days(app).await.map_err(err)?;
        bar.inc(1);
        bar.set_message(format!("{} 件 · {moves} 步", ids.len()));
        // Not on a terminal (a log, CI) the bar is hidden: a line a quarter instead.
        if bar.is_hidden() && day.day() == 1 && day.month() % 3 == 1 && day > start.date() {
            eprintln!("{day}: {} issues, {moves} moves, {:.0} s", ids.len(), bar.elapsed().as_secs_f64());
        }
        day += Duration::days(1);
    }
    bar.finish();
    let officers = people.officers.iter().map(|o| o.username.clone()).collect();
    Ok(Loaded { issues: ids.len(), moves, units: people.units.clone(), officers, ids })
}

fn at_hour(day: NaiveDate, hour: u32) -> LocalTime {
    LocalTime::new(day.and_hms_opt(hour, 0, 0).unwrap_or_default())
}

/// What an earlier run loaded, read back from its kept database.
pub(crate) async fn kept(app: &App) -> anyhow::Result<Loaded> {
    use crate::db::entities::{issue, unit};
    use sea_orm::{EntityTrait, QueryOrder, QuerySelect};
    let units: Vec<String> = unit::Entity::find().order_by_asc(unit::Column::Seq).all(&app.db).await?.into_iter().map(|u| u.name).collect();
    let officers = (0..units.len()).map(|u| format!("officer{u:03}")).collect();
    let ids: Vec<String> = issue::Entity::find().select_only().column(issue::Column::Id).order_by_asc(issue::Column::RegSeq).into_tuple().all(&app.db).await?;
    Ok(Loaded { issues: ids.len(), moves: 0, units, officers, ids })
}

/// Moves the test clock, firing what falls due (mail stays in the outbox:
/// no relay runs during the load).
async fn clock(app: &App, to: LocalTime) -> anyhow::Result<()> {
    scheduler::move_test_clock(app, to).await.map_err(err)?;
    Ok(())
}

async fn people(app: &App, units: usize) -> anyhow::Result<People> {
    let admin = Actor::tool("admin", Role::Admin);
    let user =
        |login: String, role: &str, unit: Option<String>| accounts::NewUser { username: login, password: PASSWORD.into(), role: role.into(), unit, name: None };
    let mut names = Vec::new();
    let mut officers = Vec::new();
    for u in 0..units {
        let name = format!("第{}区{}街道", u / 10 + 1, u % 10 + 1);
        accounts::create_unit(app, &admin, &name, vec![format!("unit{u}@example.gov.cn")], vec![]).await.map_err(err)?;
        let login = format!("officer{u:03}");
        accounts::create_user(app, &admin, user(login.clone(), "unit", Some(name.clone()))).await.map_err(err)?;
        officers.push(actor(app, &login).await?);
        names.push(name);
    }
    accounts::create_user(app, &admin, user("gjb".into(), "dispatcher", None)).await.map_err(err)?;
    accounts::create_user(app, &admin, user("fuhe".into(), "rechecker", None)).await.map_err(err)?;
    accounts::create_user(app, &admin, user("kaohe".into(), "assessor", None)).await.map_err(err)?;
    Ok(People { dispatcher: actor(app, "gjb").await?, rechecker: actor(app, "fuhe").await?, officers, units: names })
}

pub(crate) async fn actor(app: &App, username: &str) -> anyhow::Result<Actor> {
    accounts::actor_by_name(app, username).await.map_err(err)?.ok_or_else(|| anyhow::anyhow!("user {username} missing"))
}

/// A list day's issues, registered in one transaction each thousand.
async fn register(app: &App, people: &People, batch: std::ops::Range<usize>, day: NaiveDate, ids: &mut Vec<String>) -> anyhow::Result<()> {
    let all: Vec<usize> = batch.collect();
    for chunk in all.chunks(1000) {
        let mut new = Vec::with_capacity(chunk.len());
        for &i in chunk {
            let input = issues::IssueInput {
                code: format!("{}-{i:07}", day.format("%Y%m%d")),
                unit: people.units[unit_of(i, 0, people.units.len())].clone(),
                title: TITLES[i % TITLES.len()].into(),
                source: None,
                category: None,
                location: Some(format!("{}号排口", i % 997)),
                description: None,
            };
            new.push(issues::NewIssue::parse(app, input).map_err(err)?);
        }
        issues::register_many(app, &people.dispatcher, new, |row| ids.push(row.id.clone())).await.map_err(err)?;
    }
    Ok(())
}

/// A day's moves by sixteen writers at once; returns each issue's next step.
async fn work(app: &App, people: &Arc<People>, ids: &[String], today: Vec<(usize, usize, NaiveDate)>) -> anyhow::Result<Vec<(usize, usize, NaiveDate)>> {
    let mut shares: Vec<Vec<(usize, usize, NaiveDate, String)>> = vec![Vec::new(); WRITERS];
    for (i, step, list) in today {
        shares[i % WRITERS].push((i, step, list, ids[i].clone()));
    }
    let mut tasks = tokio::task::JoinSet::new();
    for share in shares {
        let (app, people) = (app.clone(), people.clone());
        tasks.spawn(async move {
            let mut next = Vec::new();
            for (i, step, list, id) in share {
                act(&app, &people, i, step, &id).await.map_err(|e| anyhow::anyhow!("issue {id}, step {step} of its life: {e}"))?;
                if step + 1 < life(i).len() {
                    next.push((i, step + 1, list));
                }
            }
            anyhow::Ok(next)
        });
    }
    let mut next = Vec::new();
    while let Some(done) = tasks.join_next().await {
        next.extend(done??);
    }
    Ok(next)
}

async fn act(app: &App, people: &People, i: usize, step: usize, id: &str) -> Result<(), AppError> {
    let units = people.units.len();
    let officer = &people.officers[unit_of(i, step, units)];
    let (name, passed, who, note) = match life(i)[step].1 {
        Step::Accept => ("accept", None, officer, None),
        Step::Report => ("report", None, officer, Some("已整改完毕，请复核")),
        Step::Pass => ("recheck", Some(true), &people.rechecker, None),
        Step::Fail => ("recheck", Some(false), &people.rechecker, Some("现场仍有渗漏")),
        Step::Close => ("close", None, &people.dispatcher, None),
        Step::Return => ("return", None, officer, Some("不属于本单位职责")),
        Step::Reassign => ("reassign", None, &people.dispatcher, None),
        Step::Withdraw => ("withdraw", None, &people.dispatcher, Some("重复交办，撤销")),
    };
    let mut request = moves::MoveRequest::new(moves::requested_action(name, passed)?);
    request.note = note.map(str::to_string);
    if name == "reassign" {
        request.unit = Some(people.units[unit_of(i, step + 1, units)].clone());
    }
    if name == "report" {
        request.attachments.push(attachments::store(app, who, PHOTO).await?.as_str().to_string());
    }
    moves::act(app, who, id, request).await.map(|_| ())
}

pub(crate) fn err(e: AppError) -> anyhow::Error {
    anyhow::anyhow!("{e}")
}
