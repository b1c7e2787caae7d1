//! Data outlives code: a database written by the first release (0.1, the
//! `jiaoban demo` quarter: 26 issues in every state, their moves, charges,
//! timers and 55 sent mails) is upgraded by this release's migrations and
//! nothing in it is lost or changed; the service then goes on with it.
//!
//! Fixtures (tests/fixtures/release-0.1): the SQLite file as 0.1 left it,
//! and `pg_dump --inserts` of the same demo seeded on PostgreSQL by 0.1.

use crate::helpers::{TestApp, fresh_postgres, spawn_with};
use reqwest::StatusCode;
use sea_orm::{ConnectionTrait, Database, DatabaseConnection, FromQueryResult, JsonValue, Statement};
use serde_json::{Value, json};

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/release-0.1");
/// The demo's password; the fixture's admin has it too.
const DEMO_PASSWORD: &str = "jiaoban2021";
/// Every table of 0.1 and its key, to compare row by row.
const TABLES: &[(&str, &str)] = &[
    ("units", "id"),
    ("users", "id"),
    ("sessions", "token"),
    ("issues", "id"),
    ("moves", "id"),
    ("dispatches", "id"),
    ("charges", "id"),
    ("timers", "id"),
    ("outbox", "id"),
    ("clock", "id"),
];

async fn snapshot(db: &DatabaseConnection) -> Vec<(String, Vec<Value>)> {
    let mut out = Vec::new();
    for (table, key) in TABLES {
        // Blobs compared by length and a checksum-free hex prefix would hide
        // a truncated attachment; compare them whole, as hex text.
        let columns = if *table == "outbox" { "*, length(attachment) AS attachment_len" } else { "*" };
        let sql = format!("SELECT {columns} FROM {table} ORDER BY {key}");
        let rows = JsonValue::find_by_statement(Statement::from_string(db.get_database_backend(), sql)).all(db).await.unwrap();
        out.push((table.to_string(), rows));
    }
    out
}

/// Every row and field of `before` is in `after`, equal (new columns may
/// have been added; signing in to look added a session).
fn assert_kept(before: &[(String, Vec<Value>)], after: &[(String, Vec<Value>)]) {
    for (((table, old), (_, new)), (_, key)) in before.iter().zip(after).zip(TABLES) {
        assert!(!old.is_empty() || table == "sessions", "{table}: the fixture should have rows");
        if table != "sessions" {
            assert_eq!(old.len(), new.len(), "{table}: row count changed");
        }
        for o in old {
            let n = new.iter().find(|n| n[key] == o[key]).unwrap_or_else(|| panic!("{table}: row {} lost", o[key]));
            for (field, value) in o.as_object().unwrap() {
                assert_eq!(Some(value), n.get(field), "{table}.{field} changed in {o}");
            }
        }
    }
}

async fn go_on(app: &TestApp) {
    // The stored clock (where 0.1 stopped) wins over the earlier start.
    let (_, clock) = app.get(&app.admin, "/api/test-clock").await;
    assert_eq!(clock["now"], "2021-03-26T10:00:00");
    let (status, list) = app.get(&app.admin, "/api/issues").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(list["issues"].as_array().unwrap().len(), 26);
    // A demo unit user of 0.1 signs in and works on an issue of 0.1.
    let unit = crate::helpers::sign_in(&app.base, "zhongxing", DEMO_PASSWORD).await;
    let (_, mine) = app.get(&unit, "/api/issues?state=assigned").await;
    let id = mine["issues"][0]["id"].as_str().expect("the demo leaves an assigned issue for 中兴街道").to_string();
    let (status, moved) = app.post(&unit, &format!("/api/issues/{id}/actions"), json!({"action": "accept"})).await;
    assert_eq!(status, StatusCode::OK, "{moved}");
    assert_eq!(moved["state"], "rectifying");
    // 0.1's rows were sealed at start-up, the issue given its head: the
    // move chained on, and the history still verifies.
    assert_eq!(app.get(&app.admin, &format!("/api/issues/{id}")).await.1["history_intact"], true);
    // 0.1's timers still fire: past every tier of the last list, the
    // quarter's report holds charges made by 0.1 and by this release.
    let (_, before) = app.get(&app.admin, "/api/reports/2021Q2").await;
    assert_eq!(app.advance("2021-06-30T23:00:00").await, StatusCode::OK);
    let (status, after) = app.get(&app.admin, "/api/reports/2021Q2").await;
    assert_eq!(status, StatusCode::OK);
    assert!(after["items"].as_array().unwrap().len() > before["items"].as_array().unwrap().len(), "0.1's overdue timers fired: {after}");
    let (_, q1) = app.get(&app.admin, "/api/reports/2021Q1").await;
    assert_eq!(q1["frozen"], true);
    assert!(!q1["items"].as_array().unwrap().is_empty());
    // Counted from 0.1's rows when upgraded, kept since.
    app.assert_counts_kept().await;
}

#[tokio::test]
async fn a_sqlite_database_of_release_0_1_is_upgraded_with_nothing_lost() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("jiaoban.db");
    std::fs::copy(format!("{FIXTURES}/jiaoban.sqlite"), &file).unwrap();
    let url = format!("sqlite://{}?mode=rw", file.display());
    let old = Database::connect(&url).await.unwrap();
    let before = snapshot(&old).await;
    old.close().await.unwrap();

    let app = spawn_with(dir, None, "2021-01-04T08:00:00", None, DEMO_PASSWORD).await;
    let now = Database::connect(&url).await.unwrap();
    assert_kept(&before, &snapshot(&now).await);
    go_on(&app).await;
}

#[tokio::test]
async fn a_postgres_database_of_release_0_1_is_upgraded_with_nothing_lost() {
    if !crate::helpers::postgres_ready().await {
        return;
    }
    let url = fresh_postgres().await;
    let old = Database::connect(&url).await.unwrap();
    let dump = std::fs::read_to_string(format!("{FIXTURES}/jiaoban.pg.sql")).unwrap();
    old.execute_unprepared(&dump).await.expect("the 0.1 dump loads");
    // The dump emptied that connection's search_path: read on a new one.
    old.close().await.unwrap();
    let old = Database::connect(&url).await.unwrap();
    let before = snapshot(&old).await;
    old.close().await.unwrap();

    let app = spawn_with(tempfile::tempdir().unwrap(), Some(url.clone()), "2021-01-04T08:00:00", None, DEMO_PASSWORD).await;
    let now = Database::connect(&url).await.unwrap();
    assert_kept(&before, &snapshot(&now).await);
    go_on(&app).await;
}

/// A timer row this release cannot read (written by a later release, say)
/// is parked with the reason — kept, not deleted, not retried for ever —
/// and the timers around it fire as usual.
#[tokio::test]
async fn a_timer_of_an_unknown_kind_is_parked_and_kept_never_dropped() {
    use sea_orm::ConnectionTrait;
    let app = crate::helpers::spawn_app(crate::helpers::Backend::Sqlite, "2021-03-01T08:00:00").await;
    app.unit("中兴街道").await;
    let file = app.data_dir.join("jiaoban.db");
    let db = Database::connect(format!("sqlite://{}?mode=rw", file.display())).await.unwrap();
    db.execute_unprepared("INSERT INTO timers (due_at, class, kind, issue_id, payload) VALUES ('2021-03-01T08:30:00', 2, 'escalate', NULL, 'level:2')")
        .await
        .unwrap();
    assert_eq!(app.advance("2021-03-02T00:00:00").await, StatusCode::OK);
    assert_eq!(app.advance("2021-03-03T00:00:00").await, StatusCode::OK);
    let rows = JsonValue::find_by_statement(Statement::from_string(
        db.get_database_backend(),
        "SELECT kind, payload, parked FROM timers WHERE kind = 'escalate'".to_string(),
    ))
    .all(&db)
    .await
    .unwrap();
    assert_eq!(rows.len(), 1, "kept: {rows:?}");
    assert_eq!(rows[0]["parked"], "unknown timer kind `escalate`");
    // The scheduled dispatch of 03-01 09:00, after it, still ran.
    let dispatch =
        JsonValue::find_by_statement(Statement::from_string(db.get_database_backend(), "SELECT due_at FROM timers WHERE kind = 'dispatch'".to_string()))
            .one(&db)
            .await
            .unwrap()
            .unwrap();
    assert_eq!(dispatch["due_at"], "2021-03-16T09:00:00");
    let metrics = app.admin.get(app.url("/metrics")).send().await.unwrap().text().await.unwrap();
    assert!(metrics.lines().any(|l| l == "jiaoban_timers_parked 1"), "{metrics}");
}

/// `jiaoban backup FILE` copies a live SQLite database consistently: the
/// copy opens and holds every issue and move.
#[tokio::test]
async fn a_backup_of_the_live_database_holds_everything() {
    let app = crate::helpers::spawn_app(crate::helpers::Backend::Sqlite, "2021-03-01T08:00:00").await;
    app.unit("中兴街道").await;
    let gjb = app.user("gjb", "dispatcher", None).await;
    for n in 0..5 {
        assert_eq!(app.post(&gjb, "/api/issues", json!({"code": format!("B-{n}"), "unit": "中兴街道", "title": "排口"})).await.0, StatusCode::CREATED);
    }
    let dir = tempfile::tempdir().unwrap();
    let copy = dir.path().join("copy.db");
    let run = |file: &std::path::Path| {
        std::process::Command::new(env!("CARGO_BIN_EXE_jiaoban")).arg("backup").arg(file).arg("--data-dir").arg(&app.data_dir).output().unwrap()
    };
    let out = run(&copy);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(!run(&copy).status.success(), "never overwrites");
    let db = Database::connect(format!("sqlite://{}?mode=ro", copy.display())).await.unwrap();
    let count = |table: &str| {
        let db = &db;
        let sql = format!("SELECT COUNT(*) FROM {table}");
        async move {
            use sea_orm::ConnectionTrait;
            let row = db.query_one_raw(Statement::from_string(db.get_database_backend(), sql)).await.unwrap().unwrap();
            row.try_get_by_index::<i64>(0).unwrap()
        }
    };
    assert_eq!(count("issues").await, 5);
    assert_eq!(count("moves").await, 5);
}

/// Files carried by moves before m20261211 name their issue after it: who
/// may open a file, and whether another move may still claim it, is read
/// from the file's row, no longer by searching every move.
async fn files_carried_before_the_upgrade_name_their_issue(url: &str) {
    use jiaoban::db::entities::attachment;
    use migration::{Migrator, MigratorTrait};
    use sea_orm::{ActiveValue::Set, EntityTrait};
    let db = Database::connect(url).await.unwrap();
    let before = Migrator::migrations().iter().position(|m| m.name() == "m20261211_000001_attachment_issue").expect("the migration");
    Migrator::up(&db, Some(u32::try_from(before).unwrap())).await.unwrap();
    for (id, attached) in [("carried.png", true), ("waiting.png", false)] {
        let row = attachment::ActiveModel {
            id: Set(id.into()),
            name: Set("照片.png".into()),
            content_type: Set("image/png".into()),
            size: Set(1),
            owner: Set("u1".into()),
            created_at: Set("2021-01-05T10:00:00".into()),
            bytes: Set(vec![0]),
            attached: Set(attached),
            uploaded_at: Set(None),
            ..Default::default()
        };
        attachment::Entity::insert(row).exec_without_returning(&db).await.unwrap();
    }
    db.execute_unprepared(
        r#"INSERT INTO moves (issue_id, action, actor, at, note, attachments) VALUES
           ('i1', 'report', 'u1', '2021-01-05T10:00:00', NULL, '["carried.png"]'), ('i2', 'register', 'g', '2021-01-05T11:00:00', NULL, '[]')"#,
    )
    .await
    .unwrap();
    Migrator::up(&db, None).await.unwrap();
    let rows = db.query_all_raw(Statement::from_string(db.get_database_backend(), "SELECT id, issue_id FROM attachments ORDER BY id")).await.unwrap();
    let found: Vec<(String, Option<String>)> = rows.iter().map(|r| (r.try_get("", "id").unwrap(), r.try_get("", "issue_id").unwrap())).collect();
    assert_eq!(found, vec![("carried.png".to_string(), Some("i1".to_string())), ("waiting.png".to_string(), None)]);
}

#[tokio::test]
async fn sqlite_files_carried_before_the_upgrade_name_their_issue() {
    let dir = tempfile::tempdir().unwrap();
    files_carried_before_the_upgrade_name_their_issue(&format!("sqlite://{}?mode=rwc", dir.path().join("j.db").display())).await;
}

#[tokio::test]
async fn postgres_files_carried_before_the_upgrade_name_their_issue() {
    if crate::helpers::postgres_ready().await {
        files_carried_before_the_upgrade_name_their_issue(&fresh_postgres().await).await;
    }
}

/// Issues written before m20261214 take the hash of their last move as
/// their head, the hash the next move chains to: migrated down and up
/// again, every head is what the moves wrote, and the history verifies.
async fn issues_before_the_history_head_take_their_last_moves_hash(backend: crate::helpers::Backend) {
    use migration::{Migrator, MigratorTrait};
    let app = crate::helpers::spawn_app(backend, "2021-03-01T08:00:00").await;
    app.unit("中兴街道").await;
    let gjb = app.user("gjb", "dispatcher", None).await;
    let zx = app.user("zx", "unit", Some("中兴街道")).await;
    for code in ["H-1", "H-2", "H-3"] {
        assert_eq!(app.post(&gjb, "/api/issues", json!({"code": code, "unit": "中兴街道", "title": "排口"})).await.0, StatusCode::CREATED);
    }
    assert_eq!(app.advance("2021-03-02T10:00:00").await, StatusCode::OK);
    let id = app.issue("H-1").await["id"].as_str().unwrap().to_string();
    assert_eq!(app.post(&zx, &format!("/api/issues/{id}/actions"), json!({"action": "accept"})).await.0, StatusCode::OK);
    let url = app.database_url.clone().unwrap_or_else(|| format!("sqlite://{}?mode=rw", app.data_dir.join("jiaoban.db").display()));
    let db = Database::connect(&url).await.unwrap();
    let heads = || async {
        let sql =
            "SELECT i.code, i.head, (SELECT m.hash FROM moves m WHERE m.issue_id = i.id ORDER BY m.id DESC LIMIT 1) AS last FROM issues i ORDER BY i.code";
        let rows = db.query_all_raw(Statement::from_string(db.get_database_backend(), sql)).await.unwrap();
        rows.iter()
            .map(|r| {
                (r.try_get::<String>("", "code").unwrap(), r.try_get::<Option<String>>("", "head").unwrap(), r.try_get::<Option<String>>("", "last").unwrap())
            })
            .collect::<Vec<_>>()
    };
    let written = heads().await;
    assert_eq!(written.len(), 3);
    for (code, head, last) in &written {
        assert!(head.is_some() && head == last, "{code}: the moves keep the head");
    }
    drop(app);
    let migrations = Migrator::migrations();
    let head = migrations.iter().position(|m| m.name() == "m20261214_000001_history_head").expect("the migration");
    Migrator::down(&db, Some(u32::try_from(migrations.len() - head).unwrap())).await.unwrap();
    Migrator::up(&db, None).await.unwrap();
    assert_eq!(heads().await, written, "the migration gives each issue the hash of its last move");
    let verified = jiaoban::app::history::verify(&db).await.unwrap();
    assert!(verified.as_ref().is_ok_and(|said| said.contains("3 issues")), "{verified:?}");
}

#[tokio::test]
async fn sqlite_issues_before_the_history_head_take_their_last_moves_hash() {
    issues_before_the_history_head_take_their_last_moves_hash(crate::helpers::Backend::Sqlite).await;
}

#[tokio::test]
async fn postgres_issues_before_the_history_head_take_their_last_moves_hash() {
    if crate::helpers::postgres_ready().await {
        issues_before_the_history_head_take_their_last_moves_hash(crate::helpers::Backend::Postgres).await;
    }
}
