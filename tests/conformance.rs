//! Replays every example of the spec through the real `jiaoban simulate`
//! binary and compares standard output, exit code and standard error with
//! the spec. Two folders, copies of shared/spec:
//!
//! - `tests/conformance/examples`: exact outputs written before timeline.md
//!   asked for `years` in every run. The output must be exactly the expected
//!   one plus `years`, which they do not show (and which must be there).
//! - `tests/conformance/examples-corrections`: every field shown must be in
//!   the output and equal, lists of the same length in the same order; the
//!   output may carry more (its README).

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

const EXACT: &str = "examples";
const CORRECTIONS: &str = "examples-corrections";

fn examples_dir(folder: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/conformance").join(folder)
}

fn workflow() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("workflows/water-environment.toml")
}

fn names(folder: &str, suffix: &str) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(examples_dir(folder))
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter_map(|n| n.strip_suffix(suffix).map(str::to_string))
        .collect();
    names.sort();
    names
}

fn simulate(folder: &str, name: &str) -> std::process::Output {
    let dir = examples_dir(folder);
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_jiaoban"));
    cmd.arg("simulate").arg("--workflow").arg(workflow()).arg("--events").arg(dir.join(format!("{name}.jsonl")));
    if let Ok(as_of) = std::fs::read_to_string(dir.join(format!("{name}.as_of"))) {
        cmd.arg("--as-of").arg(as_of.trim());
    }
    if let Ok(flags) = std::fs::read_to_string(dir.join(format!("{name}.flags"))) {
        cmd.args(flags.split_whitespace());
    }
    cmd.output().unwrap()
}

fn run_valid(folder: &str, name: &str) -> (Value, Value) {
    let out = simulate(folder, name);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{folder}/{name}: {stderr}");
    let expected: Value = serde_json::from_str(&std::fs::read_to_string(examples_dir(folder).join(format!("{name}.expected.json"))).unwrap()).unwrap();
    (serde_json::from_slice(&out.stdout).unwrap(), expected)
}

/// Where `actual` lacks a field of `expected` or differs from it.
fn differences(expected: &Value, actual: &Value, path: &str, out: &mut Vec<String>) {
    match (expected, actual) {
        (Value::Object(e), Value::Object(a)) => {
            for (key, value) in e {
                match a.get(key) {
                    Some(got) => differences(value, got, &format!("{path}.{key}"), out),
                    None => out.push(format!("{path}.{key} is missing")),
                }
            }
        }
        (Value::Array(e), Value::Array(a)) if e.len() == a.len() => {
            for (i, (x, y)) in e.iter().zip(a).enumerate() {
                differences(x, y, &format!("{path}[{i}]"), out);
            }
        }
        (e, a) if e == a => {}
        (e, a) => out.push(format!("{path}: expected {e}, got {a}")),
    }
}

#[test]
fn every_earlier_example_prints_exactly_the_expected_report_plus_years() {
    let names = names(EXACT, ".expected.json");
    assert!(names.len() >= 5, "examples missing: {names:?}");
    for name in names {
        let (mut actual, expected) = run_valid(EXACT, &name);
        let years = actual.as_object_mut().unwrap().remove("years");
        assert!(years.is_some_and(|y| y.is_array()), "{name}: no `years`");
        assert_eq!(actual, expected, "{name}: output differs");
    }
}

#[test]
fn every_correction_example_shows_every_expected_field() {
    let names = names(CORRECTIONS, ".expected.json");
    assert!(names.len() >= 2, "examples missing: {names:?}");
    for name in names {
        let (actual, expected) = run_valid(CORRECTIONS, &name);
        let mut diffs = Vec::new();
        differences(&expected, &actual, "$", &mut diffs);
        assert!(diffs.is_empty(), "{name}: output differs:\n{}", diffs.join("\n"));
    }
}

#[test]
fn every_bad_example_exits_2_with_the_expected_first_line() {
    for (folder, at_least) in [(EXACT, 5), (CORRECTIONS, 1)] {
        let names = names(folder, ".expected-error");
        assert!(names.len() >= at_least, "examples missing in {folder}: {names:?}");
        for name in names {
            let out = simulate(folder, &name);
            let expected = std::fs::read_to_string(examples_dir(folder).join(format!("{name}.expected-error"))).unwrap();
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert_eq!(out.status.code(), Some(2), "{folder}/{name}: {stderr}");
            assert!(out.stdout.is_empty(), "{folder}/{name}: wrote to stdout");
            let first = stderr.lines().next().unwrap_or("");
            assert!(first.starts_with(expected.trim_end_matches('\n')), "{folder}/{name}: `{first}` does not start with `{expected}`");
        }
    }
}

#[test]
fn the_copied_examples_match_the_spec_folders_when_they_are_beside_us() {
    for folder in [EXACT, CORRECTIONS] {
        let spec = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/spec").join(folder);
        let Ok(entries) = std::fs::read_dir(&spec) else { continue };
        for entry in entries {
            let entry = entry.unwrap();
            let ours = examples_dir(folder).join(entry.file_name());
            assert_eq!(
                std::fs::read(entry.path()).unwrap(),
                std::fs::read(&ours).unwrap_or_default(),
                "{folder}/{:?} is out of sync: copy shared/spec/{folder} again",
                entry.file_name()
            );
        }
    }
}
