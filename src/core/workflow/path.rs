//! The path as the file declares it: states, roles, the move table and
//! what each move must carry.

use super::raw;
use super::validate::Errors;
use super::{Evidence, MoveRule, WorkflowError};
use crate::core::state::{Action, Role, State};
use std::str::FromStr;

pub(super) fn states(errors: &Errors, defs: &[raw::StateDef]) -> Result<Vec<(State, String)>, WorkflowError> {
    let mut out: Vec<(State, String)> = Vec::new();
    for (i, def) in defs.iter().enumerate() {
        let state = State::from_str(&def.name).map_err(|r| errors.at(format!("states[{i}].name"), r))?;
        if out.iter().any(|(s, _)| *s == state) {
            return Err(errors.at(format!("states[{i}].name"), format!("state `{state}` is declared twice")));
        }
        out.push((state, def.label.clone()));
    }
    if let Some(missing) = State::ALL.iter().find(|s| !out.iter().any(|(o, _)| o == *s)) {
        return Err(errors.at("states", format!("state `{missing}` is missing: the path needs all of them")));
    }
    Ok(out)
}

pub(super) fn roles(errors: &Errors, defs: &std::collections::BTreeMap<String, String>) -> Result<Vec<(Role, String)>, WorkflowError> {
    let mut out = Vec::new();
    for (name, label) in defs {
        let role = Role::from_str(name).map_err(|r| errors.at(format!("roles.{name}"), r))?;
        out.push((role, label.clone()));
    }
    Ok(out)
}

/// The move table, one row per (from, action). An action is declared in one
/// `[[moves]]` entry only, so that its role, label and evidence cannot
/// differ between the states it starts from.
pub(super) fn moves(errors: &Errors, defs: &[raw::MoveDef], states: &[(State, String)]) -> Result<Vec<MoveRule>, WorkflowError> {
    let declared = |key: String, name: &str| -> Result<State, WorkflowError> {
        let state = State::from_str(name).map_err(|r| errors.at(&key, format!("a move to nowhere: {r}")))?;
        if states.iter().any(|(s, _)| *s == state) { Ok(state) } else { Err(errors.at(key, format!("state `{name}` is not declared in [[states]]"))) }
    };
    let mut out: Vec<MoveRule> = Vec::new();
    for (i, def) in defs.iter().enumerate() {
        let action = Action::from_str(&def.action).map_err(|r| errors.at(format!("moves[{i}].action"), r))?;
        if out.iter().any(|m| m.action == action) {
            return Err(errors.at(format!("moves[{i}].action"), format!("action `{action}` is declared twice")));
        }
        let to = declared(format!("moves[{i}].to"), &def.to)?;
        let role = Role::from_str(&def.role).map_err(|r| errors.at(format!("moves[{i}].role"), r))?;
        let evidence = evidence(&def.evidence);
        // A scheduled dispatch has nobody to attach anything.
        if action == Action::Dispatch && evidence != Evidence::default() {
            return Err(errors.at(format!("moves[{i}].evidence"), "a dispatch runs by itself on schedule and can carry no evidence"));
        }
        if def.from.0.is_empty() {
            return Err(errors.at(format!("moves[{i}].from"), "at least one state is needed"));
        }
        let first = out.len();
        for (j, name) in def.from.0.iter().enumerate() {
            let key = if def.from.0.len() == 1 { format!("moves[{i}].from") } else { format!("moves[{i}].from[{j}]") };
            let from = declared(key.clone(), name)?;
            if out[first..].iter().any(|m| m.from == from) {
                return Err(errors.at(key, format!("state `{from}` is listed twice")));
            }
            out.push(MoveRule { action, from, to, role, label: def.label.clone(), evidence });
        }
    }
    if let Some(missing) = Action::ALL.iter().find(|a| !out.iter().any(|m| m.action == **a)) {
        return Err(errors.at("moves", format!("action `{missing}` is missing: the path needs every move")));
    }
    Ok(out)
}

pub(super) fn evidence(def: &Option<raw::EvidenceDef>) -> Evidence {
    def.as_ref().map_or_else(Evidence::default, |e| Evidence { note: e.note, photos: e.photos })
}
