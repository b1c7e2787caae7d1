//! Properties over generated timelines (proptest): whatever happens, an issue
//! is charged at most once, totals add up, a frozen quarter never changes, and
//! an issue is either open or charged, never both.

mod common;
use common::*;
use proptest::prelude::*;
use serde_json::Value;
use std::collections::{HashMap, HashSet};

#[derive(Debug, Clone)]
struct Op {
    gap_secs: i64,
    kind: u8,
    target: usize,
    passed: bool,
}

fn op() -> impl Strategy<Value = Op> {
    (prop_oneof![Just(0i64), 0i64..86_400, 0i64..(6 * 86_400)], 0u8..100, 0usize..1000, any::<bool>())
        .prop_map(|(gap_secs, kind, target, passed)| Op { gap_secs, kind, target, passed })
}

/// Turns ops into timeline events; moves pick among the issues registered so far.
fn timeline(ops: &[Op]) -> Vec<Value> {
    let units = ["中兴街道", "竹行街道", "新开街道"];
    let mut t = chrono::NaiveDate::from_ymd_opt(2021, 11, 20).unwrap().and_hms_opt(8, 0, 0).unwrap();
    let mut registered = 0usize;
    let mut events = Vec::new();
    for op in ops {
        t += chrono::Duration::seconds(op.gap_secs);
        let at = t.format("%Y-%m-%dT%H:%M:%S").to_string();
        let issue = format!("I-{}", if registered == 0 { 0 } else { op.target % registered });
        let event = match op.kind {
            0..=24 => {
                registered += 1;
                register(&at, &format!("I-{}", registered - 1), units[op.target % 3])
            }
            25..=29 => dispatch(&at),
            30..=33 => violation(&at, units[op.target % 3]),
            34..=54 => act(&at, "accept", &issue),
            55..=74 => act(&at, "report", &issue),
            75..=94 => recheck(&at, &issue, op.passed),
            _ => act(&at, "close", &issue),
        };
        events.push(event);
    }
    events
}

/// Drops the lines the replay refuses until it accepts the rest.
fn valid(mut events: Vec<Value>) -> Vec<Value> {
    let wf = shipped();
    for _ in 0..events.len() + 1 {
        if events.is_empty() {
            break;
        }
        match replay_with(&wf, &lines(&events), None, false) {
            Ok(_) => return events,
            Err(e) => {
                let n: usize = e.strip_prefix("line ").and_then(|r| r.split(':').next()).and_then(|n| n.parse().ok()).expect(&e);
                events.remove(n - 1);
            }
        }
    }
    events
}

fn points(v: &Value) -> rust_decimal::Decimal {
    v.as_str().unwrap().parse().unwrap()
}

fn check_totals_and_single_charge(out: &Value) {
    let mut charged = HashSet::new();
    for q in out["quarters"].as_array().unwrap() {
        let units: rust_decimal::Decimal = q["units"].as_array().unwrap().iter().map(|u| points(&u["points"])).sum();
        let items: rust_decimal::Decimal = q["items"].as_array().unwrap().iter().map(|i| points(&i["points"])).sum();
        assert_eq!(units, points(&q["total"]), "unit points add up to the total in {}", q["quarter"]);
        assert_eq!(items, points(&q["total"]), "item points add up to the total in {}", q["quarter"]);
        for item in q["items"].as_array().unwrap().iter().filter(|i| i["kind"] == "issue") {
            assert!(charged.insert(item["issue"].as_str().unwrap().to_string()), "{} charged twice", item["issue"]);
        }
    }
    for open in out["open"].as_array().unwrap() {
        assert!(!charged.contains(open["issue"].as_str().unwrap()), "{} is both open and charged", open["issue"]);
    }
}

/// Replaying only the events up to `as_of` gives the same report for every
/// quarter already frozen then: nothing later changes a frozen quarter.
fn check_frozen_quarters_never_change(events: &[Value], full: &Value) {
    let wf = shipped();
    let by_quarter: HashMap<&str, &Value> = full["quarters"].as_array().unwrap().iter().map(|q| (q["quarter"].as_str().unwrap(), q)).collect();
    for cut in (1..events.len()).step_by(7) {
        let as_of = events[cut - 1]["at"].as_str().unwrap();
        let prefix: Vec<Value> = events.iter().filter(|e| e["at"].as_str().unwrap() <= as_of).cloned().collect();
        let partial = replay_with(&wf, &lines(&prefix), Some(as_of), false).unwrap();
        for q in partial["quarters"].as_array().unwrap() {
            if q["due"].as_str().unwrap() < &as_of[..10] {
                // Units named later join every quarter with zeros; the rest must not move.
                let later = by_quarter.get(q["quarter"].as_str().unwrap()).unwrap();
                assert_eq!(q["items"], later["items"], "frozen {} changed after {as_of}", q["quarter"]);
                assert_eq!(q["total"], later["total"], "frozen {} changed after {as_of}", q["quarter"]);
                for (unit, row) in q["units"].as_array().unwrap().iter().enumerate() {
                    assert_eq!(row, &later["units"][unit], "frozen {} changed after {as_of}", q["quarter"]);
                }
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn generated_timelines_keep_the_invariants(ops in proptest::collection::vec(op(), 1..120)) {
        let events = valid(timeline(&ops));
        prop_assume!(!events.is_empty());
        let full = replay_with(&shipped(), &lines(&events), None, true).unwrap();
        check_totals_and_single_charge(&full);
        check_frozen_quarters_never_change(&events, &full);
    }
}
