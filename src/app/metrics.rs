//! What an operator watches (`GET /metrics`, Prometheus/OpenMetrics text).
//!
//! Two kinds of figure: counters of what *this instance* did (requests,
//! moves, timers fired, mail sent and failed), kept in memory; and gauges of
//! what the *database* holds (timers due, mail waiting and how long the
//! oldest has waited), read when scraped, so every instance reports the
//! same truth about the shared queue.

use super::{App, AppResult};
use crate::db::sql;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;
use sea_orm::{ConnectionTrait, Statement};
use std::sync::atomic::AtomicU64;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RequestLabels {
    pub route: String,
    pub method: String,
    pub status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabel {
    route: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ActionLabel {
    action: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct KindLabel {
    kind: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ReasonLabel {
    reason: String,
}

type Seconds = Gauge<f64, AtomicU64>;
type LatencyFamily = Family<RouteLabel, Histogram, fn() -> Histogram>;

pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    latency: LatencyFamily,
    moves: Family<ActionLabel, Counter>,
    timers_fired: Family<KindLabel, Counter>,
    mail_sent: Counter,
    mail_failed: Family<ReasonLabel, Counter>,
    smtp_errors: Family<ReasonLabel, Counter>,
    timers_due: Gauge,
    timers_parked: Gauge,
    outbox_queued: Gauge,
    outbox_sent: Gauge,
    outbox_oldest_age: Seconds,
}

fn latency_histogram() -> Histogram {
    // 1 ms … 32 s
    Histogram::new(exponential_buckets(0.001, 2.0, 16))
}

impl Default for Metrics {
    fn default() -> Metrics {
        let mut registry = Registry::with_prefix("jiaoban");
        let m = Metrics {
            requests: Family::default(),
            latency: Family::new_with_constructor(latency_histogram as fn() -> Histogram),
            moves: Family::default(),
            timers_fired: Family::default(),
            mail_sent: Counter::default(),
            mail_failed: Family::default(),
            smtp_errors: Family::default(),
            timers_due: Gauge::default(),
            timers_parked: Gauge::default(),
            outbox_queued: Gauge::default(),
            outbox_sent: Gauge::default(),
            outbox_oldest_age: Seconds::default(),
            registry: Registry::default(),
        };
        registry.register("http_requests", "HTTP requests answered, by route, method and status", m.requests.clone());
        registry.register("http_request_duration_seconds", "Time to answer, by route", m.latency.clone());
        registry.register("moves", "Moves made (this instance), by action", m.moves.clone());
        registry.register("timers_fired", "Timers fired (this instance), by kind", m.timers_fired.clone());
        registry.register("outbox_sent", "Mails handed to the SMTP server or written (this instance)", m.mail_sent.clone());
        registry.register("outbox_failed", "Delivery attempts that failed and will be retried (this instance), by reason", m.mail_failed.clone());
        registry.register("smtp_errors", "SMTP conversations that failed (this instance), by reason", m.smtp_errors.clone());
        registry.register("timers_due", "Timers due now and not yet fired (database)", m.timers_due.clone());
        registry.register("timers_parked", "Timers kept aside because this release cannot fire them (database)", m.timers_parked.clone());
        registry.register("outbox_queued", "Mails in the outbox not yet sent (database)", m.outbox_queued.clone());
        registry.register("outbox_delivered", "Mails in the outbox already sent (database)", m.outbox_sent.clone());
        registry.register(
            "outbox_oldest_unsent_age_seconds",
            "How long the oldest due, unsent mail has waited, on the service's clock (database)",
            m.outbox_oldest_age.clone(),
        );
        Metrics { registry, ..m }
    }
}

impl Metrics {
    pub fn request(&self, labels: RequestLabels, seconds: f64) {
        self.latency.get_or_create(&RouteLabel { route: labels.route.clone() }).observe(seconds);
        self.requests.get_or_create(&labels).inc();
    }

    pub fn moved(&self, action: &str) {
        self.moves.get_or_create(&ActionLabel { action: action.to_string() }).inc();
    }

    pub fn timer_fired(&self, kind: &str) {
        self.timers_fired.get_or_create(&KindLabel { kind: kind.to_string() }).inc();
    }

    pub fn mail_sent(&self) {
        self.mail_sent.inc();
    }

    /// A failed attempt; `smtp` when the SMTP conversation itself failed.
    pub fn mail_failed(&self, reason: &str, smtp: bool) {
        let label = ReasonLabel { reason: reason.to_string() };
        self.mail_failed.get_or_create(&label).inc();
        if smtp {
            self.smtp_errors.get_or_create(&label).inc();
        }
    }
}

/// The text of `GET /metrics`, with the database gauges read now.
pub async fn render(app: &App) -> AppResult<String> {
    let now = app.now().await?;
    let m = &app.metrics;
    let backend = app.backend();
    let count = |text: &'static str, values: Vec<sea_orm::Value>| {
        let statement = Statement::from_sql_and_values(backend, sql(backend, text), values);
        async move {
            let row = app.db.query_one_raw(statement).await?;
            AppResult::Ok(row.map(|r| r.try_get_by_index::<i64>(0)).transpose()?.unwrap_or(0))
        }
    };
    m.timers_due.set(count("SELECT COUNT(*) FROM timers WHERE due_at <= ? AND parked IS NULL", vec![now.to_string().into()]).await?);
    m.timers_parked.set(count("SELECT COUNT(*) FROM timers WHERE parked IS NOT NULL", vec![]).await?);
    // The sent ones as all less the unsent, in one statement so they agree:
    // on SQLite both counts read an index, where counting `sent_at IS NOT
    // NULL` would read every row's body (no index holds the sent rows alone).
    let mail = app
        .db
        .query_one_raw(Statement::from_string(backend, "SELECT (SELECT COUNT(*) FROM outbox), (SELECT COUNT(*) FROM outbox WHERE sent_at IS NULL)"))
        .await?;
    let (all, queued): (i64, i64) = mail.map(|r| Ok::<_, sea_orm::DbErr>((r.try_get_by_index(0)?, r.try_get_by_index(1)?))).transpose()?.unwrap_or_default();
    m.outbox_queued.set(queued);
    m.outbox_sent.set(all - queued);
    let oldest = app
        .db
        .query_one_raw(Statement::from_sql_and_values(
            backend,
            sql(backend, "SELECT MIN(send_after) FROM outbox WHERE sent_at IS NULL AND send_after <= ?"),
            [now.to_string().into()],
        ))
        .await?;
    let oldest: Option<String> = oldest.map(|r| r.try_get_by_index(0)).transpose()?.flatten();
    let age = oldest.and_then(|t| crate::core::LocalTime::parse(&t).ok()).map_or(0.0, |t| (now.naive() - t.naive()).num_milliseconds() as f64 / 1000.0);
    m.outbox_oldest_age.set(age.max(0.0));
    let mut text = String::new();
    prometheus_client::encoding::text::encode(&mut text, &m.registry).map_err(|e| anyhow::anyhow!("failed to encode metrics: {e}"))?;
    Ok(text)
}
