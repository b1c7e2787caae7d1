//! Moves as people read them: who (姓名 and role), the unit a move names,
//! the files. One issue's whole history is read with its page
//! ([`super::issues::get`]); the queues read only the moves they show —
//! the last report, the failed recheck, the return — of all their issues
//! at once ([`moves_of`]), not each issue's history one by one.

use super::issues::MoveView;
use super::{App, AppResult};
use crate::core::state::Role;
use crate::db::entities::moves;
use crate::db::sql;
use sea_orm::{ConnectionTrait, QueryResult, Statement, Value};
use std::collections::HashMap;

/// Issues per statement of [`moves_of`]: far below any database's limit
/// on bound values.
const CHUNK: usize = 500;

/// The move columns of a statement that also reads the actor (`m` joined
/// to `users u`), each named `m_<column>`, then `person_name` and
/// `person_role`: what [`Reader::read`] expects.
pub(crate) fn select_columns() -> String {
    use sea_orm::{IdenStatic, Iterable};
    let columns: Vec<String> = moves::Column::iter().map(|c| format!("m.{0} AS m_{0}", c.as_str())).collect();
    format!("{}, u.display_name AS person_name, u.role AS person_role", columns.join(", "))
}

/// Reads move rows of [`select_columns`] and remembers each actor's name
/// and role label, by user name, to name them in [`Reader::views`].
#[derive(Default)]
pub(crate) struct Reader {
    people: HashMap<String, (String, String)>,
}

impl Reader {
    /// The move of a row, or none where a LEFT JOIN found no move. The
    /// columns of [`select_columns`] begin at position `first` (read by
    /// position, [`crate::db::columns`]: by name, each column of each move
    /// was a formatted name and a search).
    pub(crate) fn read(&mut self, app: &App, r: &QueryResult, first: usize) -> AppResult<Option<moves::Model>> {
        let mut c = crate::db::columns::Columns::from(r, first);
        let Some(id) = c.read::<Option<i64>>()? else { return Ok(None) };
        // A struct expression evaluates its fields in the order written:
        // the entity's order, which `select_columns` follows.
        let m = moves::Model {
            id,
            issue_id: c.read()?,
            action: c.read()?,
            actor: c.read()?,
            at: c.read()?,
            note: c.read()?,
            attachments: c.read()?,
            detail: c.read()?,
            hash: c.read()?,
            prev: c.read()?,
        };
        let name: Option<String> = c.read()?;
        // A user named like the scheduler would be that user.
        if let Some(role) = c.read::<Option<String>>()? {
            let role = role.parse::<Role>().map(|r| app.wf.role_label(r).to_string()).unwrap_or(role);
            self.people.insert(m.actor.clone(), (name.unwrap_or_else(|| m.actor.clone()), role));
        } else if m.actor == "scheduler" {
            self.people.insert(m.actor.clone(), (super::SCHEDULER_NAME.to_string(), String::new()));
        }
        Ok(Some(m))
    }

    /// The rows as people read them; `names` has the name of every unit a
    /// row's `detail` names (see [`unit_ids`]).
    pub(crate) fn views(&self, rows: Vec<moves::Model>, names: &HashMap<String, String>) -> Vec<MoveView> {
        rows.into_iter()
            .map(|m| MoveView {
                unit: m.detail.as_ref().map(|id| names.get(id).cloned().unwrap_or_else(|| id.clone())),
                actor_name: self.people.get(&m.actor).map_or_else(|| m.actor.clone(), |p| p.0.clone()),
                actor_role: self.people.get(&m.actor).map_or_else(String::new, |p| p.1.clone()),
                action: m.action,
                actor: m.actor,
                at: m.at,
                note: m.note,
                attachments: serde_json::from_str(&m.attachments).unwrap_or_default(),
            })
            .collect()
    }
}

/// The units the rows name (改派 to, returned by).
pub(crate) fn unit_ids(rows: &[moves::Model]) -> impl Iterator<Item = &str> {
    rows.iter().filter_map(|m| m.detail.as_deref())
}

/// The moves with one of `actions` of each of `ids`, in the order they
/// were made, by issue id (an issue with none is absent): one statement
/// per 500 issues. The ids are issues the caller has already listed for
/// its actor; this does not check who may see them.
pub async fn moves_of(app: &App, ids: &[&str], actions: &[&str]) -> AppResult<HashMap<String, Vec<MoveView>>> {
    let mut reader = Reader::default();
    let mut rows = Vec::new();
    for chunk in ids.chunks(CHUNK) {
        let marks = |n: usize| vec!["?"; n].join(", ");
        let text = format!(
            "SELECT {} FROM moves m LEFT JOIN users u ON u.username = m.actor WHERE m.issue_id IN ({}) AND m.action IN ({}) ORDER BY m.id",
            select_columns(),
            marks(chunk.len()),
            marks(actions.len())
        );
        let values: Vec<Value> = chunk.iter().chain(actions).map(|v| (*v).into()).collect();
        let statement = Statement::from_sql_and_values(app.backend(), sql(app.backend(), &text), values);
        for r in app.db.query_all_raw(statement).await? {
            rows.extend(reader.read(app, &r, 0)?);
        }
    }
    let names = app.unit_names_of(unit_ids(&rows)).await?;
    let mut by_issue: HashMap<String, Vec<MoveView>> = HashMap::new();
    let issue_ids: Vec<String> = rows.iter().map(|m| m.issue_id.clone()).collect();
    for (issue_id, view) in issue_ids.into_iter().zip(reader.views(rows, &names)) {
        by_issue.entry(issue_id).or_default().push(view);
    }
    Ok(by_issue)
}
