use super::*;

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
