//! Differential test: an independent Python implementation of rules.md and
//! timeline.md (tests/oracle/oracle.py, written from the spec) and
//! `jiaoban simulate` must agree on generated timelines aimed at every edge,
//! valid and corrupted (tests/oracle/fuzz.py), with and without reminders.
//!
//! `JIAOBAN_FUZZ_SEED` replays a run (every failure prints its seed);
//! without it each run draws a new one, so CI keeps exploring.
//! `JIAOBAN_FUZZ_CASES` sets the number of cases (default 400, half of
//! them corrupted, the corruption kinds taken in turn).

use std::process::Command;

#[test]
fn simulate_agrees_with_the_independent_oracle_on_generated_timelines() {
    let seed: u64 = std::env::var("JIAOBAN_FUZZ_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or_else(|| rand::random::<u32>().into());
    let cases: usize = std::env::var("JIAOBAN_FUZZ_CASES").ok().and_then(|s| s.parse().ok()).unwrap_or(400);
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new("python3")
        .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/oracle/fuzz.py"))
        .args(["--count", &cases.to_string(), "--seed", &seed.to_string(), "--bad-ratio", "0.5", "--bin", env!("CARGO_BIN_EXE_jiaoban"), "--out"])
        .arg(dir.path())
        .output()
        .expect("python3 runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let replay = format!("JIAOBAN_FUZZ_SEED={seed} JIAOBAN_FUZZ_CASES={cases}");
    assert!(out.status.success(), "{replay}: the fuzzer failed:\n{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.contains("mismatching cases: 0"), "{replay}: oracle and simulate disagree:\n{stdout}");
    assert!(stdout.contains(&format!("cases: {cases} ")), "{replay}: {stdout}");
    // Each corruption kind was tried often enough to mean something.
    let kinds = stdout.lines().find_map(|l| l.strip_prefix("generated kinds: ")).unwrap_or_else(|| panic!("{replay}: no kinds in {stdout}"));
    let counts: Vec<(String, usize)> = kinds
        .trim_matches(|c| c == '{' || c == '}')
        .split(", ")
        .filter_map(|pair| pair.split_once(": "))
        .map(|(k, n)| (k.trim_matches('\'').to_string(), n.parse().unwrap_or(0)))
        .collect();
    let least = cases / 2 / 31 / 2;
    for kind in ["badjson", "missing", "wrongtype", "move", "backwards", "as-of-early", "return-late", "revoke", "violation-id", "badutf8"] {
        let n = counts.iter().find(|(k, _)| k == kind).map_or(0, |(_, n)| *n);
        assert!(n >= least, "{replay}: corruption `{kind}` tried {n} times, fewer than {least}: {kinds}");
    }
}
