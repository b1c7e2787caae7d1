//! A list's dispatch is written a few statements per chunk of issues
//! (debug builds: chunks of 3), not one issue at a time.

use crate::helpers::*;
use reqwest::StatusCode;
use serde_json::json;

both_backends! { a_list_written_in_chunks_dispatches_every_issue_once }

/// Seven issues of two units (three chunks): each is assigned in the
/// list's order with one dispatch move chained onto its registration,
/// and the same timers as an issue dispatched alone; the history verifies
/// and the kept counts match. A second dispatch finds nothing to send.
async fn a_list_written_in_chunks_dispatches_every_issue_once(backend: Backend) {
    let app = spawn_app(backend, "2021-03-02T10:00:00").await;
    let gjb = app.user("gjb", "dispatcher", None).await;
    for unit in ["中兴街道", "竹行街道"] {
        app.unit(unit).await;
    }
    let codes: Vec<String> = (1..=7).map(|i| format!("D-{i}")).collect();
    for (i, code) in codes.iter().enumerate() {
        let unit = if i % 2 == 0 { "中兴街道" } else { "竹行街道" };
        assert_eq!(app.post(&gjb, "/api/issues", json!({"code": code, "unit": unit, "title": "排口"})).await.0, StatusCode::CREATED);
    }
    let (status, list) = app.post(&gjb, "/api/dispatches", json!({})).await;
    assert_eq!(status, StatusCode::CREATED, "{list}");
    let listed: Vec<&str> = list["issues"].as_array().unwrap().iter().map(|i| i["code"].as_str().unwrap()).collect();
    assert_eq!(listed, codes, "the list in registration order");

    let text = |sql: &'static str| {
        let app = &app;
        async move { app.rows_as_text(sql).await.into_iter().map(|r| r.join(" ")).collect::<Vec<_>>() }
    };
    let rows = text("SELECT code, state, CAST(dispatch_seq AS TEXT), CAST(version AS TEXT) FROM issues ORDER BY dispatch_seq").await;
    let expected: Vec<String> = codes.iter().enumerate().map(|(i, c)| format!("{c} assigned {} 1", i + 1)).collect();
    assert_eq!(rows, expected, "each issue assigned once, in order, its version moved once (from 0)");
    let moves = text(
        "SELECT i.code, CAST(COUNT(*) AS TEXT) FROM moves m JOIN issues i ON i.id = m.issue_id WHERE m.action = 'dispatch' GROUP BY i.code ORDER BY i.code",
    )
    .await;
    assert_eq!(moves, codes.iter().map(|c| format!("{c} 1")).collect::<Vec<_>>(), "one dispatch move each");
    let timers = text("SELECT i.code, CAST(COUNT(*) AS TEXT) FROM timers t JOIN issues i ON i.id = t.issue_id GROUP BY i.code ORDER BY i.code").await;
    assert_eq!(timers.len(), 7, "every issue has its timers: {timers:?}");
    assert!(timers.iter().all(|t| t.ends_with(&timers[0][timers[0].len() - 2..])) && !timers[0].ends_with(" 0"), "the same timers for each: {timers:?}");
    let verified = jiaoban::app::history::verify(&app.app.db).await.unwrap();
    assert!(verified.as_ref().is_ok_and(|said| said.contains("7 issues")), "{verified:?}");
    app.assert_counts_kept().await;
    let (status, again) = app.post(&gjb, "/api/dispatches", json!({})).await;
    assert!(status.is_success() && again["issues"].as_array().is_none_or(|a| a.is_empty()), "{status} {again}");
}
