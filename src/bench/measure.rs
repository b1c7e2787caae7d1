//! Each figure of issue 12, beside the raw database doing the same work in
//! the same run.

use super::Figure;
use super::load::{Loaded, WRITERS, actor, err};
use super::raw::Raw;
use super::serve::Client;
use crate::app::{App, issues, reports, scheduler};
use crate::core::LocalTime;
use std::time::{Duration, Instant};

/// Runs per reader: 800 in all, so the p99 is the 8th slowest rather than a
/// single outlier of a machine shared with everything else.
const PER_READER: usize = 50;

/// Rounds the runs of [`side_by_side`] are split into.
const ROUNDS: usize = 5;

/// One thing read again and again: a page of the service, a raw query.
pub type Reader = std::sync::Arc<dyn Fn() -> std::pin::Pin<Box<dyn Future<Output = anyhow::Result<()>> + Send>> + Send + Sync>;

/// p99 and p50 of each reader (ms), each run [`PER_READER`] times by each
/// of 16 concurrent tasks, all of them taking turns: a round of the first,
/// a round of the next, and so on, [`ROUNDS`] times. Whatever else the
/// machine does meanwhile (the database writing back what the load left,
/// a build beside it) falls on all of them alike, not on whichever ran
/// first. Each task runs each reader once first, untimed: a server
/// answering all day has its connections open and its statements prepared
/// on each of them, and a p99 over 800 runs would otherwise be the 16 first.
pub async fn side_by_side(readers: &[Reader]) -> anyhow::Result<Vec<Latency>> {
    let mut samples = vec![Vec::with_capacity(16 * PER_READER); readers.len()];
    for round in 0..=ROUNDS {
        for (reader, times) in readers.iter().zip(&mut samples) {
            let mut tasks = tokio::task::JoinSet::new();
            for _ in 0..16 {
                let reader = reader.clone();
                // Round 0 is the untimed warm-up.
                let runs = if round == 0 { 1 } else { PER_READER / ROUNDS };
                tasks.spawn(async move {
                    let mut times = Vec::with_capacity(runs);
                    for _ in 0..runs {
                        let started = Instant::now();
                        reader().await?;
                        times.push(started.elapsed().as_secs_f64() * 1e3);
                    }
                    anyhow::Ok(times)
                });
            }
            while let Some(done) = tasks.join_next().await {
                let done = done??;
                if round > 0 {
                    times.extend(done);
                }
            }
        }
    }
    Ok(samples.into_iter().map(Latency::of).collect())
}

/// Times of the runs of [`side_by_side`] (ms). The median is shown beside the p99:
/// on a host shared with the database, the tail is where the service's
/// work waits for a core, and the two together tell that from a slow query.
#[derive(Debug, Clone, Copy)]
pub struct Latency {
    pub p99: f64,
    pub p50: f64,
}

impl Latency {
    fn of(mut times: Vec<f64>) -> Latency {
        if times.is_empty() {
            return Latency { p99: f64::NAN, p50: f64::NAN };
        }
        times.sort_by(f64::total_cmp);
        Latency { p99: times[times.len() * 99 / 100 - 1], p50: times[times.len() / 2] }
    }
}

impl std::fmt::Display for Latency {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:.1} ms (p50 {:.1})", self.p99, self.p50)
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// A tick with every open issue in the database, then a catch-up after
/// 30 days down, beside deleting the same timers and writing their effects.
pub async fn scheduler(app: &App, raw: &Raw) -> anyhow::Result<Vec<Figure>> {
    let now = app.now().await.map_err(err)?;
    let open = raw.rows("SELECT id FROM issues WHERE dispatched_at IS NOT NULL AND charged = false AND state <> 'withdrawn'").await?.len();
    let next = LocalTime::new(now.naive() + chrono::Duration::minutes(1));
    let due_sql = format!("SELECT id FROM timers WHERE due_at <= '{next}' ORDER BY due_at, class, id");
    let raw_ms = raw.best_ms(&due_sql).await?;
    let started = Instant::now();
    let fired = scheduler::move_test_clock(app, next).await.map_err(err)?;
    let tick = Figure {
        what: format!("one scheduler tick, {open} open issues, {fired} timers due"),
        service: format!("{:.1} ms", ms(started.elapsed())),
        raw: format!("{raw_ms:.1} ms to read the due timers"),
        ratio: None,
        target: "O(due)",
    };
    let to = LocalTime::new(next.naive() + chrono::Duration::days(30));
    let (timers, raw_s) = raw.catch_up(&to.to_string()).await?;
    let started = Instant::now();
    let fired = scheduler::move_test_clock(app, to).await.map_err(err)?;
    let service_s = started.elapsed().as_secs_f64();
    let catch_up = Figure {
        what: format!("catch-up after 30 days down: {fired} timers of {open} open issues"),
        service: format!("{service_s:.2} s"),
        raw: format!(
            "{raw_s:.2} s to read {timers} timers, write their effects 500 rows a statement, delete them{}",
            if raw.backend == sea_orm::DbBackend::Sqlite { " and commit (on a copy)" } else { " (rolled back)" }
        ),
        ratio: Some(service_s / raw_s),
        target: "≤ 2",
    };
    Ok(vec![tick, catch_up])
}

/// Runs of each timed call (the service's and the raw query alike): at a
/// few milliseconds a call, three runs on this shared 2-core machine left
/// the best of them at the mercy of whatever else ran in those moments.
pub const RUNS: usize = 10;

/// The fastest of [`RUNS`] runs of `f` (ms), and what the last one
/// returned: for the service's calls and the raw queries alike.
pub async fn best_of<T, Fut>(mut f: impl FnMut() -> Fut) -> anyhow::Result<(f64, T)>
where
    Fut: Future<Output = anyhow::Result<T>>,
{
    let started = Instant::now();
    let mut last = f().await?;
    let mut best = ms(started.elapsed());
    for _ in 1..RUNS {
        let started = Instant::now();
        last = f().await?;
        best = best.min(ms(started.elapsed()));
    }
    Ok((best, last))
}

/// The busiest quarter's report and workbook, beside the aggregate its
/// totals need and a read of the rows its items list.
pub async fn report(app: &App, raw: &Raw, loaded: &Loaded) -> anyhow::Result<Vec<Figure>> {
    let busiest = raw.rows("SELECT quarter, COUNT(*) AS n FROM charges WHERE kind = 'issue' GROUP BY quarter ORDER BY n DESC, quarter LIMIT 1").await?;
    let Some(row) = busiest.first() else { return Ok(vec![]) };
    let (quarter, charges): (String, i64) = (row.try_get("", "quarter")?, row.try_get("", "n")?);
    let assessor = actor(app, "kaohe").await?;
    // Over HTTP, as a client reads it: the body streamed to its last byte.
    let router = crate::http::router(app.clone());
    let client = Client::sign_in(&router, "kaohe").await?;
    let path = format!("/api/reports/{quarter}");
    let (best_json, json_peak) = peak_growth(best_of(|| client.get(&path))).await;
    let (best, json) = best_json?;
    let aggregate = raw
        .best_ms(&format!(
            "SELECT unit_id, tier, SUM(points_milli) AS p, COUNT(*) AS n FROM charges WHERE quarter = '{quarter}' AND NOT removed GROUP BY unit_id, tier"
        ))
        .await?;
    let rows = raw
        .best_ms(&format!(
            "SELECT id, kind, unit_id, points_milli, tier, days, dispatched, completed, known_at, note, code FROM charges WHERE quarter = '{quarter}' AND NOT removed ORDER BY known_at, id"
        ))
        .await?;
    // A unit's own report (a 街道 reading its quarter): its charges alone.
    let name = &loaded.officers[7 % loaded.officers.len()];
    let unit_id = actor(app, name).await?.unit_id.unwrap_or_default();
    let officer = Client::sign_in(&router, name).await?;
    let (unit_ms, own) = best_of(|| officer.get(&path)).await?;
    let unit_items = serde_json::from_slice::<serde_json::Value>(&own)?["items"].as_array().map_or(0, Vec::len);
    let unit_raw = raw
        .best_ms(&format!(
            "SELECT id, kind, unit_id, points_milli, tier, days, dispatched, completed, known_at, note, code FROM charges \
             WHERE unit_id = '{unit_id}' AND quarter = '{quarter}' AND NOT removed ORDER BY known_at, id"
        ))
        .await?;
    // The year's score: four quarters' unit rows from the kept totals,
    // beside the aggregate of the year's charges it replaces.
    let year = &quarter[..4];
    let (year_ms, _) = best_of(|| async { reports::year(app, &assessor, year).await.map_err(err) }).await?;
    let year_raw = raw
        .best_ms(&format!(
            "SELECT quarter, unit_id, kind, tier, SUM(points_milli) AS p, COUNT(*) AS n FROM charges \
             WHERE quarter >= '{year}Q1' AND quarter <= '{year}Q4' AND NOT removed GROUP BY quarter, unit_id, kind, tier"
        ))
        .await?;
    let started = Instant::now();
    let (bytes, peak) = peak_growth(client.get(&format!("/api/reports/{quarter}?format=xlsx"))).await;
    let (xlsx, bytes) = (ms(started.elapsed()), bytes?);
    Ok(vec![
        Figure {
            what: format!("quarter report {quarter} over HTTP, {charges} charges, {:.1} MB of JSON (best of {RUNS})", json.len() as f64 / 1e6),
            service: format!("{best:.0} ms, peak memory +{} MiB", json_peak / 1024),
            raw: format!("aggregate {aggregate:.0} ms; read of its rows {rows:.0} ms"),
            ratio: Some(best / aggregate),
            target: "≤ 2",
        },
        Figure {
            what: format!("a unit's own report {quarter} over HTTP, {unit_items} of its charges (best of {RUNS})"),
            service: format!("{unit_ms:.1} ms"),
            raw: format!("read of its rows {unit_raw:.1} ms"),
            ratio: Some(unit_ms / unit_raw),
            target: "≤ 2",
        },
        Figure {
            what: format!("year {year}'s score, from the kept totals (best of {RUNS})"),
            service: format!("{year_ms:.1} ms"),
            raw: format!("aggregate of the year's charges {year_raw:.1} ms"),
            ratio: Some(year_ms / year_raw),
            target: "≤ 2",
        },
        Figure {
            what: format!("its workbook ({:.1} MB)", bytes.len() as f64 / 1e6),
            service: format!("{xlsx:.0} ms, peak memory +{} MiB", peak / 1024),
            raw: format!("aggregate {aggregate:.0} ms"),
            ratio: Some(xlsx / aggregate),
            target: "memory flat in rows",
        },
    ])
}

/// The board's first page, a unit's filtered list, an issue page and the
/// open list, 16 readers at once, beside the raw indexed query.
pub async fn pages(app: &App, raw: &Raw, loaded: &Loaded) -> anyhow::Result<Vec<Figure>> {
    let router = crate::http::router(app.clone());
    let client = Client::sign_in(&router, "gjb").await?;
    let unit = &loaded.units[7 % loaded.units.len()];
    let unit_id = app.unit_named(unit).await.map_err(err)?.unwrap_or_default();
    let encoded = percent_encoding::utf8_percent_encode(unit, percent_encoding::NON_ALPHANUMERIC);
    let id = &loaded.ids[loaded.ids.len() / 2];
    let urls = [
        ("first page of the issue list", "/api/issues?per_page=50".to_string(), "SELECT * FROM issues ORDER BY reg_seq, id LIMIT 50".to_string(), None),
        (
            "a unit's closed issues, first page",
            format!("/api/issues?unit={encoded}&state=closed&per_page=50"),
            format!("SELECT * FROM issues WHERE unit_id = '{unit_id}' AND state = 'closed' ORDER BY reg_seq, id LIMIT 50"),
            None,
        ),
        // The page shows the issue and its history: the raw query reads both
        // (the issue row alone is shown beside it).
        (
            "an issue page (JSON, with its history)",
            format!("/api/issues/{id}"),
            format!("SELECT * FROM issues i LEFT JOIN moves m ON m.issue_id = i.id WHERE i.id = '{id}' ORDER BY m.id"),
            Some(("the issue row alone", format!("SELECT * FROM issues WHERE id = '{id}'"))),
        ),
        (
            "the open list",
            "/api/reports/open".into(),
            "SELECT * FROM issues WHERE dispatched_at IS NOT NULL AND charged = false AND state <> 'withdrawn' ORDER BY dispatch_seq".into(),
            None,
        ),
    ];
    let mut figures = Vec::new();
    // Each page: what, its URL, the raw query for its rows, and a query
    // shown beside that one (not divided by).
    for (what, url, sql, beside) in urls {
        // The server's own time of each answer, beside the time the
        // reader waited for it.
        let server_times = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let page: Reader = {
            let (c, server_times) = (client.clone(), server_times.clone());
            std::sync::Arc::new(move || {
                let (c, url, server_times) = (c.clone(), url.clone(), server_times.clone());
                Box::pin(async move {
                    let (_, server) = c.get_timed(&url).await?;
                    server_times.lock().unwrap_or_else(|p| p.into_inner()).extend(server);
                    Ok(())
                })
            })
        };
        let mut readers = vec![page, raw.reader(&sql)];
        readers.extend(beside.as_ref().map(|(_, sql)| raw.reader(sql)));
        let times = side_by_side(&readers).await?;
        let (service, raw_ms) = (times[0], times[1]);
        let mut server = std::mem::take(&mut *server_times.lock().unwrap_or_else(|p| p.into_inner()));
        // The first sixteen answers were the warm-up's (its round ends
        // before the timed ones begin).
        server.drain(..server.len().min(16));
        let server = Latency::of(server);
        let beside = match (beside, times.get(2)) {
            (Some((label, _)), Some(t)) => format!("; {label}: {t}"),
            _ => String::new(),
        };
        figures.push(Figure {
            what: format!("{what}, {} issues, 16 readers, p99", loaded.issues),
            service: format!("{service}; server's own time {server}"),
            raw: format!("{raw_ms}{beside}"),
            ratio: Some(service.p99 / raw_ms.p99),
            target: "≤ 3",
        });
    }
    Ok(figures)
}

/// Sixteen officers signing for freshly dispatched issues at once, beside
/// SQLite's commit rate for the same writes or pgbench's simple update.
pub async fn moves(app: &App, raw: &Raw, loaded: &Loaded) -> anyhow::Result<Vec<Figure>> {
    const MOVES: usize = 3200;
    let dispatcher = actor(app, "gjb").await?;
    let writers = WRITERS.min(loaded.units.len());
    let mut new = Vec::new();
    for i in 0..MOVES {
        let input = issues::IssueInput {
            code: format!("M-{i:05}"),
            unit: loaded.units[i % writers].clone(),
            title: "排口".into(),
            source: None,
            category: None,
            location: None,
            description: None,
        };
        new.push(issues::NewIssue::parse(app, input).map_err(err)?);
    }
    let mut ids = Vec::new();
    issues::register_many(app, &dispatcher, new, |row| ids.push(row.id.clone())).await.map_err(err)?;
    crate::app::dispatch::dispatch_now(app, &dispatcher).await.map_err(err)?;
    let router = crate::http::router(app.clone());
    // Signed in before the clock starts, as pgbench connects before its
    // own: sixteen argon2 hashes were a tenth of the time measured.
    let mut clients = Vec::new();
    for officer in &loaded.officers[..writers] {
        clients.push(Client::sign_in(&router, officer).await?);
    }
    let mut tasks = tokio::task::JoinSet::new();
    let started = Instant::now();
    for (w, client) in clients.into_iter().enumerate() {
        let mine: Vec<String> = ids.iter().skip(w).step_by(writers).cloned().collect();
        tasks.spawn(async move {
            for id in mine {
                client.post(&format!("/api/issues/{id}/actions"), serde_json::json!({ "action": "accept" })).await?;
            }
            anyhow::Ok(())
        });
    }
    while let Some(done) = tasks.join_next().await {
        done??;
    }
    let rate = MOVES as f64 / started.elapsed().as_secs_f64();
    let (raw_rate, raw_what, target) = match raw.backend {
        sea_orm::DbBackend::Sqlite => (Some(raw.commit_rate(&ids).await?), "UPDATE + INSERT, one durable transaction each", "≥ 3"),
        _ => (raw.pgbench_tps().await, "pgbench -N, 16 clients", "≥ 0.5"),
    };
    Ok(vec![Figure {
        what: format!("moves (签收), {writers} officers at once"),
        service: format!("{rate:.0}/s"),
        raw: raw_rate.map_or_else(|| "pgbench not found".into(), |r| format!("{r:.0}/s {raw_what}")),
        ratio: raw_rate.map(|r| rate / r),
        target,
    }])
}

/// What `work` gives, and how far above its resident size at the start
/// this process's peak rose meanwhile (KiB; Linux: VmHWM reset first).
async fn peak_growth<T>(work: impl Future<Output = T>) -> (T, u64) {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
    let before = status_kib("VmRSS");
    let out = work.await;
    (out, status_kib("VmHWM").saturating_sub(before))
}

fn status_kib(field: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with(field)).and_then(|l| l.split_whitespace().nth(1)?.parse().ok()))
        .unwrap_or(0)
}
