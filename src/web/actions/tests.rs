//! The forms follow the workflow file: its moves, roles, labels and evidence.

use super::*;

fn shipped() -> Workflow {
    Workflow::load(std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/workflows/water-environment.toml"))).unwrap()
}

fn date(text: &str) -> NaiveDate {
    text.parse().unwrap()
}

fn forms_of(wf: &Workflow, role: Role, state: State, today: &str) -> Vec<MoveForm> {
    let cx = Context {
        wf,
        role,
        state,
        unit: "中兴街道",
        dispatched: Some(date("2021-03-01")),
        today: date(today),
        other_units: vec!["竹行街道".into()],
        withdraw_effect: "尚未定分：撤销后不再计分。".into(),
    };
    forms(&cx)
}

fn keys(forms: &[MoveForm]) -> Vec<&str> {
    forms.iter().map(|f| f.key).collect()
}

#[test]
fn a_unit_on_its_assigned_issue_may_sign_or_return_it_until_d_plus_3() {
    let wf = shipped();
    let forms = forms_of(&wf, Role::Unit, State::Assigned, "2021-03-04");
    assert_eq!(keys(&forms), ["accept", "return"]);
    let back = &forms[1];
    assert_eq!((back.buttons[0].label.as_str(), back.needs.as_deref()), ("退回", Some("须填写说明")));
    assert_eq!(back.fact.as_deref(), Some("退回截止日：2021-03-04（含当日）"));
    assert!(back.note.as_ref().is_some_and(|n| n.required) && back.closed.is_none() && !back.buttons[0].confirm.is_empty());
    let late = forms_of(&wf, Role::Unit, State::Assigned, "2021-03-05");
    assert!(late[1].closed.as_deref().is_some_and(|c| c.contains("2021-03-04 截止")), "closed on d + 4");
}

#[test]
fn both_recheck_moves_share_one_form_and_say_which_needs_the_reason() {
    let wf = shipped();
    let forms = forms_of(&wf, Role::Rechecker, State::Reported, "2021-03-10");
    assert_eq!(keys(&forms), ["recheck"]);
    let f = &forms[0];
    let buttons: Vec<(&str, &str)> = f.buttons.iter().map(|b| (b.label.as_str(), b.passed)).collect();
    assert_eq!(buttons, [("复核通过", "true"), ("复核不通过", "false")]);
    assert_eq!(f.needs.as_deref(), Some("复核不通过须填写说明"));
    assert!(f.photos && !f.photos_required && f.note.as_ref().is_some_and(|n| !n.required && !n.optional));
}

#[test]
fn a_report_needs_what_the_workflow_says() {
    let wf = shipped();
    let f = &forms_of(&wf, Role::Unit, State::Rectifying, "2021-03-10")[0];
    assert_eq!((f.key, f.needs.as_deref()), ("report", Some("须填写说明并上传至少 1 张照片")));
    assert!(f.photos_required && f.note.as_ref().is_some_and(|n| n.required));
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/workflows/water-environment.toml")).unwrap();
    let relaxed = Workflow::parse("relaxed.toml", &text.replace("evidence = { note = true, photos = 1 }", "")).unwrap();
    let f = &forms_of(&relaxed, Role::Unit, State::Rectifying, "2021-03-10")[0];
    assert!(f.needs.is_none() && !f.photos_required && f.note.as_ref().is_some_and(|n| n.optional), "photos still offered, none required");
}

#[test]
fn gongjianban_rules_on_a_return_and_never_dispatches_from_an_issue_page() {
    let wf = shipped();
    let forms = forms_of(&wf, Role::Dispatcher, State::Returned, "2021-04-02");
    assert_eq!(keys(&forms), ["reassign", "reject-return", "withdraw"]);
    assert_eq!(forms[0].units, ["竹行街道"]);
    assert!(forms[1].explain.iter().any(|e| e.contains("已过第 31 天：驳回即按「超过30天」计 0.05 分")), "{:?}", forms[1].explain);
    assert!(forms[2].folded && forms[2].buttons[0].confirm.contains("尚未定分"));
    assert_eq!(keys(&forms_of(&wf, Role::Dispatcher, State::Registered, "2021-03-01")), ["withdraw"]);
    assert!(forms_of(&wf, Role::Dispatcher, State::Withdrawn, "2021-03-01").is_empty());
    assert!(forms_of(&wf, Role::Unit, State::Returned, "2021-03-02").is_empty(), "the unit waits for the ruling");
}
