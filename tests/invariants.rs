//! Properties over generated timelines (proptest): whatever happens, an issue
//! is charged at most once, totals add up, a unit's points are the sum of its
//! items, a frozen quarter never changes, an issue is either open or charged,
//! never both, a withdrawn issue's net charge is zero, and a year's score
//! stays within [0, S].

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
    (prop_oneof![Just(0i64), 0i64..86_400, 0i64..(6 * 86_400)], 0u8..100, 0usize..1000, any::<bool>()).prop_map(|(gap_secs, kind, target, passed)| Op {
        gap_secs,
        kind,
        target,
        passed,
    })
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
            0..=21 => {
                registered += 1;
                register(&at, &format!("I-{}", registered - 1), units[op.target % 3])
            }
            22..=25 => dispatch(&at),
            26..=27 => violation(&at, units[op.target % 3]),
            28..=29 => violation_id(&at, units[op.target % 3], &format!("V-{}", op.target % 7)),
            30..=46 => act(&at, "accept", &issue),
            47..=62 => act(&at, "report", &issue),
            63..=78 => recheck(&at, &issue, op.passed),
            79..=82 => act(&at, "close", &issue),
            83..=88 => act(&at, "return", &issue),
            89..=92 => reassign(&at, &issue, units[op.target % 3]),
            93..=95 => act(&at, "reject_return", &issue),
            96..=97 => act(&at, "withdraw", &issue),
            _ => revoke(&at, &format!("V-{}", op.target % 7)),
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
        for row in q["units"].as_array().unwrap() {
            let own: rust_decimal::Decimal = q["items"].as_array().unwrap().iter().filter(|i| i["unit"] == row["unit"]).map(|i| points(&i["points"])).sum();
            assert_eq!(own, points(&row["points"]), "{}'s points are the sum of its items in {}", row["unit"], q["quarter"]);
        }
        for item in q["items"].as_array().unwrap().iter().filter(|i| i["kind"] == "issue") {
            assert!(charged.insert(item["issue"].as_str().unwrap().to_string()), "{} charged twice", item["issue"]);
        }
    }
    for open in out["open"].as_array().unwrap() {
        assert!(!charged.contains(open["issue"].as_str().unwrap()), "{} is both open and charged", open["issue"]);
    }
}

/// A withdrawn issue's charge and its corrections cancel out, and a year's
/// score is S minus the points, held within [0, S].
fn check_withdrawn_issues_cost_nothing(events: &[Value], out: &Value) {
    let withdrawn: HashSet<&str> = events.iter().filter(|e| e["event"] == "withdraw").map(|e| e["issue"].as_str().unwrap()).collect();
    let mut net: HashMap<&str, rust_decimal::Decimal> = HashMap::new();
    for item in out["quarters"].as_array().unwrap().iter().flat_map(|q| q["items"].as_array().unwrap()) {
        if let Some(issue) = item["issue"].as_str().filter(|i| withdrawn.contains(i)) {
            *net.entry(issue).or_default() += points(&item["points"]);
        }
    }
    for (issue, total) in net {
        assert!(total.is_zero(), "withdrawn {issue} still costs {total}");
    }
    for year in out["years"].as_array().unwrap() {
        let score = points(&year["score"]);
        for row in year["units"].as_array().unwrap() {
            let expected = (score - points(&row["points"])).clamp(rust_decimal::Decimal::ZERO, score);
            assert_eq!(points(&row["remaining"]), expected, "{} in {}", row["unit"], year["year"]);
        }
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
        check_withdrawn_issues_cost_nothing(&events, &full);
        check_frozen_quarters_never_change(&events, &full);
    }
}
