use super::*;
use crate::core::state::{Action, Role, State};

const SHIPPED: &str = include_str!("../../../workflows/water-environment.toml");

fn parse(text: &str) -> Result<Workflow, WorkflowError> {
    Workflow::parse("test.toml", text)
}

fn broken(from: &str, to: &str) -> WorkflowError {
    assert!(SHIPPED.contains(from), "fixture text `{from}` not in the shipped file");
    parse(&SHIPPED.replacen(from, to, 1)).expect_err("the edited file should be refused")
}

#[test]
fn the_shipped_file_holds_the_rules_of_the_work_plan() {
    let wf = parse(SHIPPED).unwrap();
    assert_eq!(wf.points_for_days(15).to_string(), "0.00");
    assert_eq!(wf.points_for_days(16).to_string(), "0.02");
    assert_eq!(wf.points_for_days(30).to_string(), "0.02");
    assert_eq!(wf.points_for_days(31).to_string(), "0.05");
    assert_eq!(wf.overdue_day(), 31);
    assert_eq!(wf.tier_start_days().collect::<Vec<_>>(), vec![16, 31]);
    assert_eq!(wf.violation_points.to_string(), "0.01");
    assert_eq!(wf.due_day, 10);
    let t = LocalTime::parse("2021-03-01T09:00:00").unwrap();
    assert_eq!(wf.next_dispatch_after(t).unwrap().to_string(), "2021-03-16T09:00:00");
    assert_eq!(wf.transition(State::Reported, Action::RecheckFail).unwrap().to, State::Rectifying);
    assert!(wf.transition(State::Registered, Action::Report).is_none());
}

#[test]
fn an_unknown_state_is_refused_with_its_key() {
    let e = broken("to = \"rectifying\"\nrole = \"unit\"", "to = \"done\"\nrole = \"unit\"");
    assert_eq!(e.file, "test.toml");
    assert_eq!(e.key, "moves[1].to");
    assert!(e.reason.contains("nowhere"), "{e}");
}

#[test]
fn tiers_that_do_not_increase_are_refused() {
    let e = broken("up_to_day = 30", "up_to_day = 15");
    assert_eq!(e.key, "tiers[1].up_to_day");
    assert!(e.to_string().starts_with("test.toml: key `tiers[1].up_to_day`:"), "{e}");
}

#[test]
fn a_bad_cron_is_refused() {
    let e = broken("cron = \"0 0 9 1,16 * *\"", "cron = \"every half month\"");
    assert_eq!(e.key, "dispatch.cron");
}

#[test]
fn an_unknown_key_is_refused_with_its_path() {
    let e = broken("due_day = 10", "due_day = 10\ndue_hour = 9");
    assert_eq!(e.key, "report.due_hour");
    assert!(e.reason.contains("due_hour"), "{e}");
}

#[test]
fn a_wrongly_typed_value_names_its_key() {
    let e = broken("up_to_day = 15", "up_to_day = \"fifteen\"");
    assert_eq!(e.key, "tiers[0].up_to_day");
}

#[test]
fn a_due_day_not_in_every_month_is_refused() {
    let e = broken("due_day = 10", "due_day = 31");
    assert_eq!(e.key, "report.due_day");
}

#[test]
fn broken_toml_syntax_is_refused() {
    let e = parse("[workflow\nname=").unwrap_err();
    assert_eq!(e.key, "(syntax)");
}

#[test]
fn the_shipped_file_holds_the_corrections_and_the_evidence() {
    let wf = parse(SHIPPED).unwrap();
    assert_eq!(wf.return_window_days, 3);
    assert_eq!(wf.item_score.to_string(), "3.00");
    assert_eq!(wf.evidence(Action::Report), Evidence { note: true, photos: 1 });
    for action in [Action::RecheckFail, Action::Return, Action::RejectReturn, Action::Withdraw] {
        assert_eq!(wf.evidence(action), Evidence { note: true, photos: 0 }, "{action}");
    }
    assert_eq!(wf.evidence(Action::Accept), Evidence::default());
    assert_eq!(wf.violation_evidence, Evidence { note: true, photos: 0 });
    assert_eq!((wf.revoke.role, wf.revoke.label.as_str(), wf.revoke.evidence.note), (Role::Dispatcher, "撤销", true));
    assert_eq!(wf.transition(State::Assigned, Action::Return).unwrap().to, State::Returned);
    assert_eq!(wf.transition(State::Returned, Action::Reassign).unwrap().label, "改派");
    assert_eq!(wf.transition(State::Returned, Action::RejectReturn).unwrap().to, State::Assigned);
    for state in State::ALL.iter().filter(|s| **s != State::Withdrawn) {
        assert_eq!(wf.transition(*state, Action::Withdraw).unwrap().to, State::Withdrawn, "withdraw from {state}");
    }
    assert!(wf.transition(State::Withdrawn, Action::Withdraw).is_none());
    let offered: Vec<&str> = wf.moves_from(State::Returned).map(|m| m.label.as_str()).collect();
    assert_eq!(offered, ["改派", "驳回", "撤销"]);
    assert!(wf.transition(State::Rectifying, Action::Return).is_none());
}

#[test]
fn a_return_window_not_shorter_than_the_overdue_day_is_refused() {
    let e = broken("return_window_days = 3", "return_window_days = 31");
    assert_eq!(e.key, "corrections.return_window_days");
    assert!(e.reason.contains("smaller than the overdue day 31"), "{e}");
    assert!(parse(&SHIPPED.replacen("return_window_days = 3", "return_window_days = 30", 1)).is_ok());
    assert_eq!(broken("return_window_days = 3", "return_window_days = -1").key, "corrections.return_window_days");
}

#[test]
fn a_missing_or_worthless_item_score_is_refused() {
    assert_eq!(broken("item = \"3.00\"", "item = \"0\"").key, "score.item");
    assert_eq!(broken("item = \"3.00\"", "item = \"three\"").key, "score.item");
    assert_eq!(broken("[score]\n", "[scores]\n").key, "scores");
}

#[test]
fn evidence_is_checked_like_any_other_key() {
    let e = broken("evidence = { note = true, photos = 1 }", "evidence = { note = true, photos = -1 }");
    assert_eq!(e.key, "moves[2].evidence.photos");
    let e = broken("evidence = { note = true, photos = 1 }", "evidence = { note = true, picture = 1 }");
    assert_eq!(e.key, "moves[2].evidence.picture");
    let e = broken("label = \"交办\"\n", "label = \"交办\"\nevidence = { note = true }\n");
    assert_eq!(e.key, "moves[0].evidence");
}

#[test]
fn a_move_from_several_states_names_each_of_them() {
    let e = broken("\"closed\", \"returned\"]", "\"closed\", \"closed\"]");
    assert_eq!(e.key, "moves[9].from[6]");
    assert!(e.reason.contains("twice"), "{e}");
    let e = broken("\"closed\", \"returned\"]", "\"closed\", \"gone\"]");
    assert_eq!(e.key, "moves[9].from[6]");
    assert_eq!(broken("from = [\"registered\"", "from = [7, \"registered\"").key, "moves[9].from[0]");
    assert_eq!(
        broken("from = [\"registered\", \"assigned\", \"rectifying\", \"reported\", \"rechecked\", \"closed\", \"returned\"]", "from = []").key,
        "moves[9].from"
    );
}

#[test]
fn the_new_states_and_moves_are_required() {
    let e = broken("name = \"returned\"\nlabel = \"退回待定\"\n", "name = \"closed\"\nlabel = \"退回待定\"\n");
    assert_eq!(e.key, "states[6].name");
    let e = broken("action = \"reject_return\"", "action = \"close\"");
    assert_eq!(e.key, "moves[8].action");
}
