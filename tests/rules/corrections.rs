//! The corrections of rules.md at their edges: return and ruling,
//! withdrawal, revoked violations, the year's score, and their reminders.

use super::common::*;
use serde_json::{Value, json};

/// Issue X of 中兴街道 dispatched on 2021-03-02 (a Tuesday) 10:00, then `then`.
fn dispatched(then: &[Value], as_of: &str) -> Value {
    let mut events = vec![register("2021-03-01T10:00:00", "X", "中兴街道"), dispatch("2021-03-02T10:00:00")];
    events.extend_from_slice(then);
    replay(&events, Some(as_of))
}

fn open_states(out: &Value) -> Vec<(String, String)> {
    out["open"].as_array().unwrap().iter().map(|o| (o["issue"].as_str().unwrap().into(), o["state"].as_str().unwrap().into())).collect()
}

#[test]
fn a_return_on_the_last_day_of_the_window_is_accepted_and_the_next_day_refused() {
    let out = dispatched(&[act("2021-03-05T23:59:59", "return", "X")], "2021-03-06T00:00:00");
    assert_eq!(open_states(&out), [("X".to_string(), "returned".to_string())]);
    assert_eq!(out["open"][0]["days"], 4);
    let events = [register("2021-03-01T10:00:00", "X", "中兴街道"), dispatch("2021-03-02T10:00:00"), act("2021-03-06T00:00:00", "return", "X")];
    assert!(refused(&events).starts_with("line 3:"), "{}", refused(&events));
}

#[test]
fn only_an_assigned_issue_can_be_returned() {
    let base = [register("2021-03-01T10:00:00", "X", "中兴街道"), dispatch("2021-03-02T10:00:00")];
    let signed = [&base[..], &[act("2021-03-02T11:00:00", "accept", "X"), act("2021-03-02T12:00:00", "return", "X")]].concat();
    assert!(refused(&signed).starts_with("line 4:"));
    assert!(refused(&[register("2021-03-01T10:00:00", "X", "中兴街道"), act("2021-03-01T11:00:00", "return", "X")]).starts_with("line 2:"));
}

#[test]
fn a_reassignment_must_name_another_unit_and_a_returned_issue() {
    let returned = [register("2021-03-01T10:00:00", "X", "中兴街道"), dispatch("2021-03-02T10:00:00"), act("2021-03-02T11:00:00", "return", "X")];
    assert!(refused(&[&returned[..], &[reassign("2021-03-03T09:00:00", "X", "中兴街道")]].concat()).starts_with("line 4:"));
    assert!(refused(&[&returned[..], &[act("2021-03-03T09:00:00", "reassign", "X")]].concat()).starts_with("line 4:"));
    assert!(refused(&[&returned[..], &[json!({"at": "2021-03-03T09:00:00", "event": "reassign", "issue": "X", "unit": 3})]].concat()).starts_with("line 4:"));
    assert!(refused(&[&returned[..2], &[reassign("2021-03-03T09:00:00", "X", "竹行街道")]].concat()).starts_with("line 3:"));
    assert!(refused(&[&returned[..2], &[act("2021-03-03T09:00:00", "reject_return", "X")]].concat()).starts_with("line 3:"));
}

#[test]
fn a_reassignment_gives_the_new_unit_a_fresh_d_and_the_old_unit_nothing() {
    // Returned on d+3, reassigned on 03-10: days count from 03-10, so a
    // report on 03-30 (20 days) costs the new unit 0.02 and 中兴街道 nothing.
    let out = dispatched(
        &[
            act("2021-03-05T16:00:00", "return", "X"),
            reassign("2021-03-10T09:00:00", "X", "竹行街道"),
            act("2021-03-11T09:00:00", "accept", "X"),
            act("2021-03-30T09:00:00", "report", "X"),
            recheck("2021-03-31T09:00:00", "X", true),
        ],
        "2021-04-15T00:00:00",
    );
    let (quarter, item) = charged(&out, "X").unwrap();
    assert_eq!(
        (quarter.as_str(), item["unit"].as_str(), item["dispatched"].as_str(), item["days"].as_i64(), item["points"].as_str()),
        ("2021Q1", Some("竹行街道"), Some("2021-03-10"), Some(20), Some("0.02"))
    );
    let units = &out["quarters"][0]["units"];
    assert_eq!((units[0]["unit"].as_str(), units[0]["points"].as_str()), (Some("中兴街道"), Some("0.00")));
    assert_eq!(items(&out, "2021Q1").len(), 1);
}

#[test]
fn the_first_assignment_s_overdue_day_charges_nobody_after_a_reassignment() {
    // The first d is 03-02 (overdue 04-02); the second is 03-05 (overdue 04-05).
    let out = dispatched(&[act("2021-03-05T09:00:00", "return", "X"), reassign("2021-03-05T10:00:00", "X", "竹行街道")], "2021-04-04T23:59:59");
    assert_eq!(charged(&out, "X"), None);
    let out = dispatched(&[act("2021-03-05T09:00:00", "return", "X"), reassign("2021-03-05T10:00:00", "X", "竹行街道")], "2021-04-05T00:00:00");
    let (_, item) = charged(&out, "X").unwrap();
    assert_eq!((item["unit"].as_str(), item["dispatched"].as_str(), item["points"].as_str()), (Some("竹行街道"), Some("2021-03-05"), Some("0.05")));
}

#[test]
fn a_rejection_after_day_31_began_charges_the_overdue_points_on_the_rejection_date() {
    // d = 03-02, d+31 = 04-02 began while returned; rejected 04-12 (Q2).
    let out = dispatched(&[act("2021-03-03T09:00:00", "return", "X"), act("2021-04-12T09:00:00", "reject_return", "X")], "2021-04-12T09:00:00");
    let (quarter, item) = charged(&out, "X").unwrap();
    assert_eq!((quarter.as_str(), item["completed"].is_null(), item["days"].as_i64(), item["points"].as_str()), ("2021Q2", true, Some(31), Some("0.05")));
    // Returned at d+31 itself, nothing is charged until the ruling.
    let waiting = dispatched(&[act("2021-03-03T09:00:00", "return", "X")], "2021-04-12T00:00:00");
    assert_eq!(charged(&waiting, "X"), None);
    assert_eq!(open_states(&waiting), [("X".to_string(), "returned".to_string())]);
    assert_eq!(waiting["open"][0]["provisional_points"], "0.05");
}

#[test]
fn a_rejection_before_day_31_keeps_the_clock_running_from_the_same_d() {
    let out = dispatched(&[act("2021-03-03T09:00:00", "return", "X"), act("2021-03-20T09:00:00", "reject_return", "X")], "2021-04-02T00:00:00");
    let (_, item) = charged(&out, "X").unwrap();
    assert_eq!((item["dispatched"].as_str(), item["points"].as_str()), (Some("2021-03-02"), Some("0.05")));
    // While the window of that same d is open, it may be returned again.
    let again = dispatched(
        &[act("2021-03-03T09:00:00", "return", "X"), act("2021-03-04T09:00:00", "reject_return", "X"), act("2021-03-05T09:00:00", "return", "X")],
        "2021-03-05T09:00:00",
    );
    assert_eq!(open_states(&again), [("X".to_string(), "returned".to_string())]);
}

#[test]
fn a_withdrawal_before_the_freeze_removes_the_charge_and_after_it_books_a_correction() {
    // Overdue on 02-02 (Q1, due 04-10).
    let base = |withdrawn: &str| {
        replay(
            &[register("2021-01-01T08:00:00", "X", "中兴街道"), dispatch("2021-01-01T09:00:00"), act(withdrawn, "withdraw", "X")],
            Some("2021-06-30T00:00:00"),
        )
    };
    let before = base("2021-04-10T23:59:59");
    assert!(items(&before, "2021Q1").is_empty() && items(&before, "2021Q2").is_empty());
    assert_eq!(before["quarters"][0]["total"], "0.00");
    let after = base("2021-04-11T00:00:00");
    assert_eq!(items(&after, "2021Q1")[0]["points"], "0.05");
    assert_eq!(
        items(&after, "2021Q2"),
        [json!({"kind": "correction", "issue": "X", "unit": "中兴街道", "corrects": "2021Q1", "date": "2021-04-11", "points": "-0.05"})]
    );
    let q2 = &after["quarters"][1];
    assert_eq!((q2["total"].as_str(), q2["units"][0]["points"].as_str(), q2["units"][0]["late_over_30"].as_i64()), (Some("-0.05"), Some("-0.05"), Some(0)));
    assert_eq!(after["years"][0]["units"][0], json!({"unit": "中兴街道", "points": "0.00", "remaining": "3.00"}));
}

#[test]
fn a_withdrawn_charge_of_nothing_needs_no_correction() {
    let out = dispatched(
        &[
            act("2021-03-02T11:00:00", "accept", "X"),
            act("2021-03-10T09:00:00", "report", "X"),
            recheck("2021-03-11T09:00:00", "X", true),
            act("2021-05-10T09:00:00", "withdraw", "X"),
        ],
        "2021-05-10T09:00:00",
    );
    assert_eq!(items(&out, "2021Q1")[0]["points"], "0.00");
    assert!(items(&out, "2021Q2").is_empty());
}

#[test]
fn a_withdrawn_issue_is_never_charged_and_leaves_the_pool_and_the_open_list() {
    let out = replay(
        &[
            register("2021-03-01T10:00:00", "P", "中兴街道"),
            register("2021-03-01T10:00:00", "Q", "中兴街道"),
            act("2021-03-10T10:00:00", "withdraw", "P"),
            act("2021-03-16T09:00:01", "accept", "Q"),
            act("2021-03-16T09:00:01", "withdraw", "Q"),
        ],
        Some("2021-06-30T00:00:00"),
    );
    assert!(out["open"].as_array().unwrap().is_empty());
    assert!(out["quarters"].as_array().unwrap().iter().all(|q| q["items"].as_array().unwrap().is_empty()));
    let keys: Vec<String> = reminder_keys(&out).into_iter().map(|(k, _)| k).filter(|k| !k.starts_with("quarter")).collect();
    // P was never dispatched: no mail at all; Q's withdrawal is told, its tiers are not.
    assert_eq!(keys, ["dispatch:2021-03-16T09:00:00:中兴街道", "withdrawn:Q"]);
    assert!(
        refused(&[register("2021-03-01T10:00:00", "P", "中兴街道"), act("2021-03-10T10:00:00", "withdraw", "P"), act("2021-03-10T10:00:00", "withdraw", "P")])
            .starts_with("line 3:")
    );
}

#[test]
fn a_violation_revoked_before_its_quarter_froze_is_gone_and_after_is_corrected() {
    let timeline = |revoked: &str| {
        replay(
            &[violation_id("2021-03-05T10:00:00", "竹行街道", "V-1"), violation("2021-03-06T10:00:00", "竹行街道"), revoke(revoked, "V-1")],
            Some("2021-06-30T00:00:00"),
        )
    };
    let before = timeline("2021-04-10T23:59:59");
    assert_eq!(items(&before, "2021Q1"), [json!({"kind": "violation", "unit": "竹行街道", "date": "2021-03-06", "points": "0.01"})]);
    assert!(items(&before, "2021Q2").is_empty());
    let after = timeline("2021-04-11T00:00:00");
    assert_eq!(items(&after, "2021Q1")[0], json!({"kind": "violation", "violation": "V-1", "unit": "竹行街道", "date": "2021-03-05", "points": "0.01"}));
    assert_eq!(
        items(&after, "2021Q2"),
        [json!({"kind": "correction", "violation": "V-1", "unit": "竹行街道", "corrects": "2021Q1", "date": "2021-04-11", "points": "-0.01"})]
    );
    assert_eq!(after["quarters"][1]["units"][0]["violations"], 0);
    assert!(reminder_keys(&after).contains(&("revoked:V-1".into(), "2021-04-12T08:30:00".into())), "Sunday's revocation is told on Monday");
}

#[test]
fn a_violation_is_revoked_once_and_named_by_a_fresh_id() {
    let v = violation_id("2021-03-05T10:00:00", "竹行街道", "V-1");
    assert!(refused(&[v.clone(), revoke("2021-03-06T10:00:00", "V-1"), revoke("2021-03-07T10:00:00", "V-1")]).starts_with("line 3:"));
    assert!(refused(&[v.clone(), revoke("2021-03-06T10:00:00", "V-2")]).starts_with("line 2:"));
    assert!(refused(&[v.clone(), revoke("2021-03-06T10:00:00", "V-1"), violation_id("2021-03-07T10:00:00", "竹行街道", "V-1")]).starts_with("line 3:"));
    assert!(refused(&[v.clone(), json!({"at": "2021-03-06T10:00:00", "event": "violation", "unit": "u", "id": ""})]).starts_with("line 2:"));
    assert!(refused(&[v.clone(), json!({"at": "2021-03-06T10:00:00", "event": "violation", "unit": "u", "id": 5})]).starts_with("line 2:"));
    assert!(refused(&[v, json!({"at": "2021-03-06T10:00:00", "event": "revoke"})]).starts_with("line 2:"));
    let out = replay(&[json!({"at": "2021-03-06T10:00:00", "event": "violation", "unit": "u", "id": null})], None);
    assert!(items(&out, "2021Q1")[0].get("violation").is_none());
}

#[test]
fn the_year_score_is_clamped_at_zero_and_at_full_marks() {
    // The strict workflow: S = 0.20, a violation costs 0.04; six cost 0.24.
    let six: Vec<Value> = (0..6).map(|i| violation(&format!("2021-05-0{}T10:00:00", i + 1), "竹行街道")).collect();
    let out = replay_with(&strict(), &lines(&six), None, false).unwrap();
    assert_eq!(out["years"], json!([{"year": 2021, "score": "0.20", "units": [{"unit": "竹行街道", "points": "0.24", "remaining": "0.00"}]}]));
    // A Q4 charge refunded in the next year cannot lift that year above S.
    let out = replay(&[violation_id("2021-12-20T10:00:00", "中兴街道", "V"), revoke("2022-01-11T10:00:00", "V")], None);
    let years = &out["years"];
    assert_eq!((years[0]["year"].as_i64(), years[0]["units"][0]["remaining"].as_str()), (Some(2021), Some("2.99")));
    assert_eq!(years[1]["units"][0], json!({"unit": "中兴街道", "points": "-0.01", "remaining": "3.00"}));
}

#[test]
fn a_later_assignment_has_its_own_reminder_keys_counted_from_its_d() {
    // Returned Friday 03-05, reassigned Saturday 03-06 to 竹行街道: the
    // mails of the ruling wait for Monday; the tiers count from 03-06.
    let out = dispatched(
        &[act("2021-03-05T16:00:00", "return", "X"), reassign("2021-03-06T10:00:00", "X", "竹行街道"), act("2021-03-08T09:00:00", "accept", "X")],
        "2021-04-10T00:00:00",
    );
    let keys = reminder_keys(&out);
    let of_x: Vec<(&str, &str)> = keys.iter().filter(|(k, _)| k.contains(":X")).map(|(k, a)| (k.as_str(), a.as_str())).collect();
    assert_eq!(
        of_x,
        [
            ("return:X:1", "2021-03-05T16:00:00"),
            ("assign:X:2", "2021-03-08T08:30:00"),
            ("ruling:X:1", "2021-03-08T08:30:00"),
            ("warn-16:X#2", "2021-03-19T08:30:00"),
            ("tier-16:X#2", "2021-03-22T08:30:00"),
            ("warn-31:X#2", "2021-04-05T08:30:00"),
            ("tier-31:X#2", "2021-04-06T08:30:00"),
        ]
    );
    let (_, item) = charged(&out, "X").unwrap();
    assert_eq!((item["dispatched"].as_str(), item["unit"].as_str()), (Some("2021-03-06"), Some("竹行街道")));
}

#[test]
fn a_return_ruled_on_before_its_mail_goes_out_is_not_told() {
    // Returned Saturday, rejected Sunday: Monday's return: mail is no longer owed.
    let out = replay(
        &[
            register("2021-03-01T10:00:00", "X", "中兴街道"),
            dispatch("2021-03-05T10:00:00"),
            act("2021-03-06T10:00:00", "return", "X"),
            act("2021-03-07T10:00:00", "reject_return", "X"),
        ],
        Some("2021-03-08T12:00:00"),
    );
    let keys: Vec<String> = reminder_keys(&out).into_iter().map(|(k, _)| k).collect();
    assert!(!keys.iter().any(|k| k.starts_with("return:")), "{keys:?}");
    assert!(keys.contains(&"ruling:X:1".to_string()), "{keys:?}");
}

#[test]
fn a_reassigned_issue_is_listed_in_the_order_of_its_reassignment() {
    let out = replay(
        &[
            register("2021-03-01T10:00:00", "A", "中兴街道"),
            register("2021-03-01T10:01:00", "B", "中兴街道"),
            dispatch("2021-03-02T10:00:00"),
            act("2021-03-02T11:00:00", "return", "A"),
            reassign("2021-03-02T12:00:00", "A", "竹行街道"),
        ],
        Some("2021-04-02T00:00:00"),
    );
    // Both become overdue at the start of 04-02: B (dispatched) before A (reassigned later that day).
    let q2 = items(&out, "2021Q2");
    let order: Vec<&str> = q2.iter().map(|i| i["issue"].as_str().unwrap()).collect();
    assert_eq!(order, ["B", "A"]);
    let open = replay(
        &[
            register("2021-03-01T10:00:00", "A", "中兴街道"),
            register("2021-03-01T10:01:00", "B", "中兴街道"),
            dispatch("2021-03-02T10:00:00"),
            act("2021-03-02T11:00:00", "return", "A"),
            reassign("2021-03-02T12:00:00", "A", "竹行街道"),
        ],
        Some("2021-03-20T00:00:00"),
    );
    assert_eq!(open_states(&open), [("B".to_string(), "assigned".to_string()), ("A".to_string(), "assigned".to_string())]);
}

#[test]
fn another_workflow_file_changes_the_return_window() {
    // strict.toml: R = 5.
    let events = [register("2021-09-20T08:00:00", "A", "u"), dispatch("2021-09-21T08:00:00"), act("2021-09-26T23:59:59", "return", "A")];
    assert!(replay_with(&strict(), &lines(&events), None, false).is_ok());
    let late = [register("2021-09-20T08:00:00", "A", "u"), dispatch("2021-09-21T08:00:00"), act("2021-09-27T00:00:00", "return", "A")];
    assert!(replay_with(&strict(), &lines(&late), None, false).unwrap_err().starts_with("line 3:"));
}
