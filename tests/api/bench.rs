//! `jiaoban bench` at a small size: the province loader really drives the
//! use cases (issues, moves, charges, timers, mail all appear), and every
//! figure it measures comes out beside its raw baseline.

use crate::helpers::Backend;
use std::process::Command;

async fn loads_through_the_use_cases_and_measures_every_figure(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_jiaoban"));
    cmd.args(["bench", "--issues", "240", "--units", "4", "--years", "1", "--workflow", "workflows/water-environment.toml"]);
    match backend {
        Backend::Sqlite => cmd.arg("--data-dir").arg(dir.path().join("data")),
        Backend::Postgres => cmd.args(["--database-url", &crate::helpers::postgres_admin_url()]),
    };
    let out = cmd.output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    // "loaded in N s: 240 issues, M moves (… writes/s), C charges, T timers, O mails in the outbox"
    let loaded = stdout.lines().find(|l| l.starts_with("loaded in")).expect("a line saying what was loaded");
    let number_before = |word: &str| -> u64 {
        let words: Vec<&str> = loaded.split([' ', ',', ':']).filter(|w| !w.is_empty()).collect();
        let at = words.iter().position(|w| *w == word).unwrap_or_else(|| panic!("no `{word}` in {loaded}"));
        words[at - 1].parse().unwrap_or_else(|_| panic!("no count before `{word}` in {loaded}"))
    };
    assert_eq!(number_before("issues"), 240, "{loaded}");
    // Most issues take four moves (签收, 反馈, 复核, 销号); some fewer, some more.
    assert!(number_before("moves") > 240 * 3, "{loaded}");
    // Every finished issue is charged once, plus a violation per list day.
    assert!(number_before("charges") > 200, "{loaded}");
    assert!(number_before("mails") > 0, "{loaded}");
    let rows: Vec<&str> = stdout.lines().filter(|l| l.starts_with("| ") && !l.starts_with("| SQLite") && !l.starts_with("| PostgreSQL")).collect();
    for what in ["scheduler tick", "catch-up", "quarter report", "workbook", "first page", "closed issues", "issue page", "open list", "moves"] {
        let row = rows.iter().find(|r| r.contains(what)).unwrap_or_else(|| panic!("no `{what}` row in\n{stdout}"));
        let cells: Vec<&str> = row.split('|').map(str::trim).collect();
        // | what | service | raw | ratio | target |: both sides measured.
        assert!(!cells[2].is_empty() && !cells[3].is_empty(), "{row}");
    }
}

both_backends! { loads_through_the_use_cases_and_measures_every_figure }
