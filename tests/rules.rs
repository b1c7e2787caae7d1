//! Every rule of rules.md at its edge, replayed through `simulate::run`.

mod common;
use common::*;

/// One issue dispatched on `d` 08:00 (an out-of-cycle dispatch), signed the
/// same day, then the given events.
fn one_issue(d: &str, then: &[serde_json::Value], as_of: &str) -> serde_json::Value {
    let mut events =
        vec![register(&format!("{d}T07:00:00"), "X", "中兴街道"), dispatch(&format!("{d}T08:00:00")), act(&format!("{d}T08:30:00"), "accept", "X")];
    events.extend_from_slice(then);
    replay(&events, Some(as_of))
}

#[test]
fn report_on_day_15_is_on_time_and_day_16_costs_two_hundredths() {
    for (report_day, points, days) in [("2021-07-16", "0.00", 15), ("2021-07-17", "0.02", 16), ("2021-07-31", "0.02", 30)] {
        let out =
            one_issue("2021-07-01", &[act(&format!("{report_day}T10:00:00"), "report", "X"), recheck("2021-07-31T23:00:00", "X", true)], "2021-08-01T00:00:00");
        let (_, item) = charged(&out, "X").expect("charged");
        assert_eq!(item["points"], points, "report on {report_day}");
        assert_eq!(item["days"], days);
    }
}

#[test]
fn a_report_at_midnight_of_day_31_is_too_late() {
    let out = one_issue("2021-07-01", &[act("2021-08-01T00:00:00", "report", "X"), recheck("2021-08-02T09:00:00", "X", true)], "2021-08-03T00:00:00");
    let (quarter, item) = charged(&out, "X").unwrap();
    assert_eq!((quarter.as_str(), item["points"].as_str().unwrap(), item["completed"].is_null(), item["days"].as_i64()), ("2021Q3", "0.05", true, Some(31)));
}

#[test]
fn day_31_charges_at_its_start_and_nothing_more_when_closed_later() {
    // Dispatched 01-01, still rectifying when 02-01 (day 31) begins; reported
    // 04-05 and rechecked 04-12, after Q1's due date. Charged at day 31 it is
    // Q1's, uncompleted, 31 days; charged at the recheck it would be Q2's,
    // completed 04-05, 94 days — the same points, another quarter and item.
    let out = one_issue(
        "2021-01-01",
        &[act("2021-04-05T09:00:00", "report", "X"), recheck("2021-04-12T09:00:00", "X", true), act("2021-04-13T09:00:00", "close", "X")],
        "2021-04-13T09:00:00",
    );
    let (quarter, item) = charged(&out, "X").unwrap();
    assert_eq!(quarter, "2021Q1");
    assert_eq!((item["points"].as_str(), item["days"].as_i64(), item["completed"].clone()), (Some("0.05"), Some(31), serde_json::Value::Null));
    assert!(items(&out, "2021Q2").is_empty(), "nothing more when it is completed and closed later");
    assert_eq!(out["open"], serde_json::json!([]));
}

#[test]
fn awaiting_recheck_at_day_31_then_failing_costs_overdue_on_the_failing_date() {
    let out = one_issue("2021-12-13", &[act("2022-01-12T09:00:00", "report", "X"), recheck("2022-04-20T09:00:00", "X", false)], "2022-04-21T00:00:00");
    let (quarter, item) = charged(&out, "X").unwrap();
    assert_eq!(quarter, "2022Q2");
    assert_eq!(item["points"], "0.05");
}

#[test]
fn awaiting_recheck_at_day_31_then_passing_costs_the_tier_of_the_report() {
    let out = one_issue("2021-12-13", &[act("2022-01-12T09:00:00", "report", "X"), recheck("2022-02-20T09:00:00", "X", true)], "2022-02-21T00:00:00");
    let (quarter, item) = charged(&out, "X").unwrap();
    assert_eq!((quarter.as_str(), item["days"].as_i64(), item["points"].as_str()), ("2022Q1", Some(30), Some("0.02")));
}

#[test]
fn a_failed_recheck_voids_the_report_and_the_next_one_counts() {
    let out = one_issue(
        "2021-07-01",
        &[
            act("2021-07-10T09:00:00", "report", "X"),
            recheck("2021-07-12T09:00:00", "X", false),
            act("2021-07-20T09:00:00", "report", "X"),
            recheck("2021-07-21T09:00:00", "X", true),
        ],
        "2021-07-22T00:00:00",
    );
    let (_, item) = charged(&out, "X").unwrap();
    assert_eq!((item["completed"].as_str(), item["days"].as_i64(), item["points"].as_str()), (Some("2021-07-20"), Some(19), Some("0.02")));
}

#[test]
fn q4_completion_rechecked_on_the_january_due_date_stays_in_q4() {
    let due = one_issue("2021-12-13", &[act("2021-12-20T09:00:00", "report", "X"), recheck("2022-01-10T23:59:59", "X", true)], "2022-01-11T00:00:00");
    assert_eq!(charged(&due, "X").unwrap().0, "2021Q4");
    assert_eq!(due["quarters"][0]["due"], "2022-01-10");
    let late = one_issue("2021-12-13", &[act("2021-12-20T09:00:00", "report", "X"), recheck("2022-01-11T00:00:00", "X", true)], "2022-01-11T00:00:00");
    assert_eq!(charged(&late, "X").unwrap().0, "2022Q1");
}

#[test]
fn registration_at_the_instant_of_a_scheduled_dispatch_is_taken() {
    let out = replay(&[register("2021-07-16T09:00:00", "A", "中兴街道"), register("2021-07-16T09:00:01", "B", "中兴街道")], Some("2021-07-20T00:00:00"));
    let open: Vec<&str> = out["open"].as_array().unwrap().iter().map(|o| o["issue"].as_str().unwrap()).collect();
    assert_eq!(open, ["A"]);
    assert_eq!(out["open"][0]["dispatched"], "2021-07-16");
}

#[test]
fn a_violation_costs_one_hundredth_on_the_date_it_is_recorded() {
    let out = replay(&[violation("2021-03-31T23:59:59", "竹行街道"), violation("2021-04-01T00:00:00", "竹行街道")], None);
    assert_eq!(out["quarters"][0]["total"], "0.01");
    assert_eq!(out["quarters"][1]["total"], "0.01");
    assert_eq!(out["quarters"][1]["units"][0]["violations"], 1);
}

#[test]
fn open_issues_show_provisional_points_from_as_of_or_their_pending_report() {
    let out = one_issue("2021-07-01", &[act("2021-07-10T09:00:00", "report", "X")], "2021-07-25T00:00:00");
    let open = &out["open"][0];
    assert_eq!((open["state"].as_str(), open["days"].as_i64(), open["provisional_points"].as_str()), (Some("reported"), Some(24), Some("0.00")));
}

#[test]
fn weekend_reminders_wait_for_monday_morning_and_lapse_if_no_longer_owed() {
    // Dispatched Friday 2021-07-16 09:00: day 16 is Sunday 08-01.
    let out = replay(
        &[register("2021-07-16T08:00:00", "X", "中兴街道"), act("2021-07-16T10:00:00", "accept", "X"), act("2021-08-02T08:29:59", "report", "X")],
        Some("2021-08-31T00:00:00"),
    );
    let keys = reminder_keys(&out);
    assert!(!keys.contains(&("tier-16:X".into(), "2021-08-02T08:30:00".into())), "reported before Monday 08:30: {keys:?}");
    assert!(keys.contains(&("warn-16:X".into(), "2021-07-29T08:30:00".into())), "{keys:?}");
    assert!(keys.contains(&("recheck-wait:X:1".into(), "2021-08-05T08:30:00".into())), "{keys:?}");
}

#[test]
fn lists_dispatched_at_one_instant_make_one_mail_per_unit() {
    let out = replay(
        &[register("2021-07-16T08:00:00", "A", "中兴街道"), dispatch("2021-07-16T09:00:00"), register("2021-07-16T09:00:00", "B", "中兴街道")],
        Some("2021-07-16T09:00:00"),
    );
    let dispatch_mails: Vec<_> = reminder_keys(&out).into_iter().filter(|(k, _)| k.starts_with("dispatch:")).collect();
    assert_eq!(dispatch_mails, [("dispatch:2021-07-16T09:00:00:中兴街道".to_string(), "2021-07-16T09:00:00".to_string())]);
    assert_eq!(out["open"].as_array().unwrap().len(), 2);
}

#[test]
fn bad_lines_are_reported_with_their_number() {
    let wf = shipped();
    let ok = register("2021-07-01T09:00:00", "A", "中兴街道").to_string();
    let cases = [
        ("[1,2]", "line 2:"),
        ("{\"at\":\"2021-07-01T09:00:00\",\"event\":\"fly\"}", "line 2:"),
        ("{\"at\":\"2021-07-01T09:00:00+09:00\",\"event\":\"dispatch\"}", "line 2:"),
        ("{\"at\":\"2021-07-01T09:00:00\",\"event\":\"register\",\"issue\":\"B\",\"unit\":\"\",\"title\":\"t\"}", "line 2:"),
        ("{\"at\":\"2021-07-01T09:00:00\",\"event\":\"register\",\"issue\":\"B\",\"unit\":\"u\",\"title\":\"t\",\"source\":\"微信\"}", "line 2:"),
        ("{\"at\":\"2021-07-01T09:00:00\",\"event\":\"accept\",\"issue\":\"NOPE\"}", "line 2:"),
        ("{\"at\":\"2021-07-01T09:00:00\",\"event\":\"accept\",\"issue\":7}", "line 2:"),
    ];
    for (bad, want) in cases {
        let text = format!("{ok}\n{bad}\n");
        let err = replay_with(&wf, &text, None, false).unwrap_err();
        assert!(err.starts_with(want), "{bad}: {err}");
    }
    assert!(replay_with(&wf, &format!("\n{ok}\n\n[\n"), None, false).unwrap_err().starts_with("line 4:"));
    assert!(replay_with(&wf, "\n\n", None, false).unwrap_err().starts_with("line 1:"));
    assert!(replay_with(&wf, &ok, Some("2021-06-30T00:00:00"), false).unwrap_err().starts_with("--as-of:"));
    assert!(replay_with(&wf, &ok, Some("yesterday"), false).unwrap_err().starts_with("--as-of:"));
}

#[test]
fn another_workflow_file_changes_tiers_points_due_day_and_schedule() {
    let wf = strict();
    let events = [
        register("2021-09-20T08:00:00", "A", "u"),
        register("2021-09-20T08:00:00", "B", "u"),
        act("2021-10-01T15:00:00", "accept", "A"),
        act("2021-10-01T15:00:00", "accept", "B"),
        act("2021-10-12T09:00:00", "report", "A"),
        recheck("2021-10-13T09:00:00", "A", true),
        violation("2021-10-14T09:00:00", "u"),
    ];
    let out = replay_with(&wf, &lines(&events), Some("2021-11-02T00:00:00"), true).unwrap();
    let q4 = &out["quarters"][1];
    assert_eq!(q4["due"], "2022-01-05");
    // Dispatched by the 14:30 cron on the 1st: 11 days → the 0.03 tier.
    assert_eq!(charged(&out, "A").unwrap().1["points"], "0.03");
    assert_eq!(charged(&out, "A").unwrap().1["dispatched"], "2021-10-01");
    // B is overdue on day 21 (11-01): 0.10.
    assert_eq!(charged(&out, "B").unwrap().1["points"], "0.10");
    assert_eq!(q4["total"], "0.17");
    // 2021-10-01 is a holiday there: the dispatch mail waits for Monday 09:00.
    assert!(reminder_keys(&out).contains(&("dispatch:2021-10-01T14:30:00:u".into(), "2021-10-04T09:00:00".into())));
}

#[path = "rules/corrections.rs"]
mod corrections;
