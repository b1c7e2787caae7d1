//! Differential test: an independent Python implementation of rules.md and
//! timeline.md (tests/oracle/oracle.py, written from the spec alone) and
//! `jiaoban simulate` must agree on generated timelines aimed at every edge,
//! valid and corrupted (tests/oracle/fuzz.py).

use std::process::Command;

#[test]
fn simulate_agrees_with_the_independent_oracle_on_generated_timelines() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new("python3")
        .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/oracle/fuzz.py"))
        .args(["--count", "150", "--seed", "20261128", "--bin", env!("CARGO_BIN_EXE_jiaoban"), "--out"])
        .arg(dir.path())
        .output()
        .expect("python3 runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "oracle and simulate disagree:\n{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.contains("mismatching cases: 0"), "{stdout}");
    assert!(stdout.contains("cases: 150"), "{stdout}");
}
