//! Replays every example of the spec (tests/conformance/examples, a copy of
//! shared/spec/examples) through the real `jiaoban simulate` binary and
//! compares standard output, exit code and standard error with the spec.

use std::path::{Path, PathBuf};
use std::process::Command;

fn examples_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/conformance/examples")
}

fn workflow() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("workflows/water-environment.toml")
}

fn names(suffix: &str) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(examples_dir())
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter_map(|n| n.strip_suffix(suffix).map(str::to_string))
        .collect();
    names.sort();
    names
}

fn simulate(name: &str) -> std::process::Output {
    let dir = examples_dir();
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

#[test]
fn every_valid_example_prints_exactly_the_expected_report() {
    let names = names(".expected.json");
    assert!(names.len() >= 5, "examples missing: {names:?}");
    for name in names {
        let out = simulate(&name);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{name}: {stderr}");
        let expected: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(examples_dir().join(format!("{name}.expected.json"))).unwrap()).unwrap();
        let actual: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(actual, expected, "{name}: output differs");
    }
}

#[test]
fn every_bad_example_exits_2_with_the_expected_first_line() {
    let names = names(".expected-error");
    assert!(names.len() >= 5, "examples missing: {names:?}");
    for name in names {
        let out = simulate(&name);
        let expected = std::fs::read_to_string(examples_dir().join(format!("{name}.expected-error"))).unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{name}: {stderr}");
        assert!(out.stdout.is_empty(), "{name}: wrote to stdout");
        let first = stderr.lines().next().unwrap_or("");
        assert!(first.starts_with(expected.trim_end_matches('\n')), "{name}: `{first}` does not start with `{expected}`");
    }
}

#[test]
fn the_copied_examples_match_the_spec_folder_when_it_is_beside_us() {
    let spec = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/spec/examples");
    let Ok(entries) = std::fs::read_dir(&spec) else { return };
    for entry in entries {
        let entry = entry.unwrap();
        let ours = examples_dir().join(entry.file_name());
        assert_eq!(std::fs::read(entry.path()).unwrap(), std::fs::read(&ours).unwrap_or_default(), "{:?} is out of sync: copy shared/spec/examples again", entry.file_name());
    }
}
