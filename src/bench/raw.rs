//! The raw database doing the same work as the service, on connections of
//! its own: the baselines every figure is divided by.

use sea_orm::{ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DbBackend, QueryResult, Statement};
use std::path::Path;
use std::time::Instant;

pub struct Raw {
    /// One connection: a BEGIN and the statements after it must share it.
    one: DatabaseConnection,
    /// Sixteen, for the readers' baseline.
    readers: DatabaseConnection,
    pub backend: DbBackend,
    url: Option<String>,
    /// SQLite's file (`None` on PostgreSQL).
    file: Option<std::path::PathBuf>,
}

impl Raw {
    pub async fn connect(database_url: Option<&str>, data_dir: &Path) -> anyhow::Result<Raw> {
        let file = data_dir.join("jiaoban.db");
        let (one_url, readers_url) = match database_url {
            Some(url) => (url.to_string(), url.to_string()),
            None => (format!("sqlite://{}?mode=rw", file.display()), format!("sqlite://{}?mode=ro", file.display())),
        };
        let one = writer(one_url).await?;
        let backend = one.get_database_backend();
        let readers = pool(readers_url, 16).await?;
        let file = (backend == DbBackend::Sqlite).then_some(file);
        Ok(Raw { one, readers, backend, url: database_url.map(str::to_string), file })
    }

    /// What PostgreSQL's autovacuum does within a minute of a table
    /// changing this much: a database loaded a minute ago would be planned
    /// with the statistics of an empty one, and read past the dead rows the
    /// load left. The load's long transactions (a dispatch, a day of timers)
    /// keep those from being pruned as they are in steady use: after it,
    /// the 800 rows of `issue_counts` lay in 186 pages, 10,006 of their
    /// versions dead, and every list's total read them all (1.1 ms a read;
    /// 0.24 ms vacuumed). (SQLite plans without statistics unless asked.)
    pub async fn analyze(&self) -> anyhow::Result<()> {
        if self.backend == DbBackend::Postgres {
            self.one.execute_unprepared("VACUUM ANALYZE").await?;
        }
        Ok(())
    }

    pub async fn rows(&self, sql: &str) -> anyhow::Result<Vec<QueryResult>> {
        Ok(self.readers.query_all_raw(Statement::from_string(self.backend, sql)).await?)
    }

    /// The fastest of [`super::measure::RUNS`] runs of `sql`, every row fetched (ms).
    pub async fn best_ms(&self, sql: &str) -> anyhow::Result<f64> {
        Ok(super::measure::best_of(|| self.rows(sql)).await?.0)
    }

    /// `sql` as a [`super::measure::Reader`]: run on one of 16 readers,
    /// every row fetched.
    pub fn reader(&self, sql: &str) -> super::measure::Reader {
        let (db, sql, backend) = (self.readers.clone(), sql.to_string(), self.backend);
        std::sync::Arc::new(move || {
            let (db, sql) = (db.clone(), sql.clone());
            Box::pin(async move {
                db.query_all_raw(Statement::from_string(backend, sql)).await?;
                Ok(())
            })
        })
    }

    /// SQLite's own limit for a move: its UPDATE + INSERT, one durable
    /// transaction each (per second).
    pub async fn commit_rate(&self, ids: &[String]) -> anyhow::Result<f64> {
        let started = Instant::now();
        for (n, id) in ids.iter().enumerate() {
            let sql = format!(
                "BEGIN IMMEDIATE; UPDATE issues SET state = 'rectifying', version = version + 1 WHERE id = '{id}'; \
                 INSERT INTO moves (issue_id, action, actor, at, note, attachments) VALUES ('{id}', 'accept', 'raw', '2026-03-02T10:00:{:02}', NULL, '[]'); COMMIT;",
                n % 60
            );
            self.one.execute_unprepared(&sql).await?;
        }
        Ok(ids.len() as f64 / started.elapsed().as_secs_f64())
    }

    /// What a catch-up to `to` writes, done by hand: read the due timers,
    /// insert their effects (an overdue charge and the issue's flag, a
    /// reminder mail as long as the service's are) 500 rows a statement,
    /// delete the timers — in one transaction, which the service must then
    /// still find undone.
    ///
    /// On SQLite the transaction runs on a copy of the database and is
    /// committed, as the service's are: there a durable commit of a
    /// catch-up's pages is a third of the service's time (seven batches:
    /// 52 ms of 150), and a baseline rolled back skipped it. On PostgreSQL,
    /// where a copy would need every connection closed, it is rolled back;
    /// the commits were 6 ms of the service's 145 there.
    /// Returns (timers, seconds).
    pub async fn catch_up(&self, to: &str) -> anyhow::Result<(usize, f64)> {
        let Some(file) = &self.file else { return catch_up_on(&self.one, self.backend, to, false).await };
        let copy = file.with_file_name("raw-catch-up.db");
        let remove = |copy: &Path| {
            for end in ["", "-wal", "-shm"] {
                let _ = std::fs::remove_file(format!("{}{end}", copy.display()));
            }
        };
        remove(&copy);
        self.one.execute_unprepared(&format!("VACUUM INTO '{}'", copy.display())).await?;
        let conn = writer(format!("sqlite://{}?mode=rw", copy.display())).await?;
        let done = catch_up_on(&conn, self.backend, to, true).await;
        conn.close().await?;
        remove(&copy);
        done
    }

    /// `pgbench -N` (simple update), 16 clients for 10 s, on a database of
    /// its own on the same server; `None` without pgbench or PostgreSQL.
    pub async fn pgbench_tps(&self) -> Option<f64> {
        let url = self.url.clone()?;
        tokio::task::spawn_blocking(move || pgbench(&url)).await.ok().flatten()
    }
}

/// `n` connections to `url`, each opened at once.
async fn pool(url: String, n: u32) -> anyhow::Result<DatabaseConnection> {
    let mut options = ConnectOptions::new(url);
    // No check of a pooled connection before each statement: a raw
    // client sends only its statement.
    options.max_connections(n).min_connections(n).test_before_acquire(false).sqlx_logging(false);
    Ok(Database::connect(options).await?)
}

/// One connection to `url` to write on; on SQLite as the service writes:
/// WAL, every commit on disk before it returns.
async fn writer(url: String) -> anyhow::Result<DatabaseConnection> {
    let one = pool(url, 1).await?;
    if one.get_database_backend() == DbBackend::Sqlite {
        one.execute_unprepared("PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA busy_timeout=30000;").await?;
    }
    Ok(one)
}

/// [`Raw::catch_up`] on `conn`: committed if `commit`, else rolled back.
/// The due timers are read once untimed first, so both sides start warm.
async fn catch_up_on(conn: &DatabaseConnection, backend: DbBackend, to: &str, commit: bool) -> anyhow::Result<(usize, f64)> {
    // Each mail as long as the service's mails are on average (its
    // reminders name the issue and the unit): the same bytes to write.
    let bytes = match backend {
        DbBackend::Postgres => "octet_length(subject || body)",
        _ => "LENGTH(CAST(subject || body AS BLOB))",
    };
    let sizes = conn.query_one_raw(Statement::from_string(backend, format!("SELECT CAST(AVG({bytes}) AS BIGINT) AS b FROM outbox"))).await?;
    let bytes: Option<i64> = sizes.map(|r| r.try_get("", "b")).transpose()?.flatten();
    let text = "x".repeat(usize::try_from(bytes.unwrap_or(0)).unwrap_or(0).saturating_sub("subject".len()).max(4));
    let begin = if backend == DbBackend::Sqlite { "BEGIN IMMEDIATE" } else { "BEGIN" };
    let read = Statement::from_string(
        backend,
        format!(
            "SELECT t.id, t.kind, t.issue_id, t.due_at, i.unit_id, i.code, i.dispatched_at, i.charged FROM timers t LEFT JOIN issues i ON i.id = t.issue_id WHERE t.due_at <= '{to}' ORDER BY t.due_at, t.class, t.id"
        ),
    );
    conn.query_all_raw(read.clone()).await?;
    let started = Instant::now();
    conn.execute_unprepared(begin).await?;
    let due = conn.query_all_raw(read).await?;
    let (mut charges, mut mails, mut charged) = (Vec::new(), Vec::new(), Vec::new());
    for row in &due {
        let (id, kind): (i64, String) = (row.try_get("", "id")?, row.try_get("", "kind")?);
        let due_at: String = row.try_get("", "due_at")?;
        let issue: Option<String> = row.try_get("", "issue_id")?;
        // An overdue timer of an issue charged since then fires and does nothing.
        let charged_already: Option<bool> = row.try_get("", "charged")?;
        match (kind.as_str(), issue) {
            ("overdue", Some(_)) if charged_already == Some(true) => {}
            ("overdue", Some(issue)) => {
                let (unit, code): (String, String) = (row.try_get("", "unit_id")?, row.try_get("", "code")?);
                let dispatched: Option<String> = row.try_get("", "dispatched_at")?;
                let dispatched = dispatched.unwrap_or_default().chars().take(10).collect::<String>();
                charges
                    .push(format!("('issue', '{issue}', '{unit}', 'RAW', 50, 2, 31, '{dispatched}', NULL, '{due_at}', NULL, '{}')", code.replace('\'', "''")));
                charged.push(format!("'{issue}'"));
            }
            _ => mails.push(format!("('raw:{id}', '[\"u@example.org\"]', '[]', 'subject', '{text}', NULL, NULL, '{due_at}', NULL, 0, '{due_at}', NULL)")),
        }
    }
    let tables = [
        ("charges (kind, issue_id, unit_id, quarter, points_milli, tier, days, dispatched, completed, known_at, note, code)", charges),
        ("outbox (key, recipients, cc, subject, body, attachment_name, attachment, send_after, sent_at, attempts, next_attempt_at, last_error)", mails),
    ];
    for (table, rows) in tables {
        for chunk in rows.chunks(500) {
            conn.execute_unprepared(&format!("INSERT INTO {table} VALUES {}", chunk.join(","))).await?;
        }
    }
    for chunk in charged.chunks(500) {
        conn.execute_unprepared(&format!("UPDATE issues SET charged = true, version = version + 1 WHERE id IN ({})", chunk.join(","))).await?;
    }
    conn.execute_unprepared(&format!("DELETE FROM timers WHERE due_at <= '{to}'")).await?;
    let seconds = if commit {
        conn.execute_unprepared("COMMIT").await?;
        started.elapsed().as_secs_f64()
    } else {
        let seconds = started.elapsed().as_secs_f64();
        conn.execute_unprepared("ROLLBACK").await?;
        seconds
    };
    Ok((due.len(), seconds))
}

/// `pgbench -N` (simple update), 16 clients for 10 s, on a scratch database
/// `jiaoban_bench_pgbench` of the server `url` names; `None` without
/// pgbench. (`cargo bench --bench load` calls it too.)
pub fn pgbench(url: &str) -> Option<f64> {
    use std::process::Command;
    // postgres://user[:password]@host[:port]/db
    let rest = url.split_once("://")?.1;
    let (user, rest) = rest.split_once('@')?;
    let user = user.split(':').next()?;
    let hostport = rest.split('/').next()?;
    let (host, port) = hostport.split_once(':').unwrap_or((hostport, "5432"));
    let db = "jiaoban_bench_pgbench";
    let pg = ["-h", host, "-p", port, "-U", user];
    Command::new("dropdb").args(pg).args(["--if-exists", db]).status().ok()?;
    Command::new("createdb").args(pg).arg(db).status().ok()?;
    Command::new("pgbench").args(pg).args(["-i", "-q", "-s", "4", db]).output().ok()?;
    let out = Command::new("pgbench").args(pg).args(["-N", "-c", "16", "-j", "2", "-T", "10", db]).output().ok()?;
    Command::new("dropdb").args(pg).arg(db).status().ok()?;
    let text = String::from_utf8_lossy(&out.stdout);
    text.lines().find(|l| l.starts_with("tps = ")).and_then(|l| l[6..].split_whitespace().next()).and_then(|n| n.parse().ok())
}

/// A fresh database `name` on the server of `url`; returns its URL.
pub async fn fresh_postgres(url: &str, name: &str) -> anyhow::Result<String> {
    let server = Database::connect(url).await?;
    server.execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).await?;
    server.execute_unprepared(&format!("CREATE DATABASE {name}")).await?;
    let (base, _) = url.rsplit_once('/').ok_or_else(|| anyhow::anyhow!("--database-url: expected postgres://user@host/database"))?;
    Ok(format!("{base}/{name}"))
}

pub async fn drop_postgres(url: &str, name: &str) -> anyhow::Result<()> {
    Database::connect(url).await?.execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).await?;
    Ok(())
}

pub async fn count(db: &DatabaseConnection, table: &str) -> anyhow::Result<i64> {
    let row = db.query_one_raw(Statement::from_string(db.get_database_backend(), format!("SELECT COUNT(*) AS n FROM {table}"))).await?;
    Ok(row.map(|r| r.try_get::<i64>("", "n")).transpose()?.unwrap_or(0))
}
