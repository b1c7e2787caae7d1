//! Storing what the core decided: the issue's new facts (with an optimistic
//! version check), its charges and its timers — inside the caller's transaction
//! (on PostgreSQL a move without effects may go by itself, [`persist_alone`]).

use super::charges::{self, TakeBack};
use super::history::Sealed;
use super::write::Write;
use super::{AppError, AppResult, convert};
use crate::core::engine::{Decision, Effect};
use crate::db::entities::issue;
use sea_orm::sea_query::{PostgresQueryBuilder, SqlWriterValues, SqliteQueryBuilder, UpdateStatement};
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, QueryFilter, QueryTrait, Statement};

/// Writes the issue row back, with its new move, if nobody changed it
/// since it was read: in the caller's transaction, or on PostgreSQL by
/// itself ([`persist_alone`]).
pub async fn save_issue(db: &impl ConnectionTrait, mut row: issue::Model, sealed: Sealed) -> AppResult<issue::Model> {
    let update = versioned_update(&mut row);
    let backend = db.get_database_backend();
    let changed = db.execute_raw(with_move(backend, sealed, update)).await?.rows_affected();
    // SQLite counts the changes of both statements, the move's one row
    // among them; PostgreSQL the rows the INSERT took from the UPDATE.
    let updated = match backend {
        DbBackend::Sqlite => changed.saturating_sub(1),
        _ => changed,
    };
    if updated == 0 {
        return Err(AppError::Conflict("该问题已被他人更新，请刷新后重试 (the issue changed meanwhile)".into()));
    }
    Ok(row)
}

/// [`persist`] for a decision without effects, on PostgreSQL's pool
/// ([`super::App::one_statement`]): the issue row and its move are one
/// statement, which PostgreSQL runs atomically outside a transaction block
/// and answers once it is committed — BEGIN and COMMIT would be two more
/// round trips for nothing.
pub async fn persist_alone(db: &impl ConnectionTrait, mut row: issue::Model, sealed: Sealed, decision: &Decision) -> AppResult<issue::Model> {
    if !decision.effects.is_empty() {
        return Err(AppError::Unexpected(anyhow::anyhow!("a decision with effects written as one statement")));
    }
    convert::apply_facts(&mut row, &decision.issue);
    save_issue(db, row, sealed).await
}

/// The UPDATE writing `row` back if its version is still the one read;
/// `row` gets the next version.
fn versioned_update(row: &mut issue::Model) -> UpdateStatement {
    let read_version = row.version;
    row.version += 1;
    let active: issue::ActiveModel = row.clone().into();
    issue::Entity::update_many()
        .set(active.reset_all())
        .filter(issue::Column::Id.eq(row.id.clone()))
        .filter(issue::Column::Version.eq(read_version))
        .into_query()
}

/// The move's INSERT and the issue's UPDATE as one statement, one round
/// trip to the database (on SQLite each is a hop to the driver's thread
/// while the writer is held, app/write.rs; on PostgreSQL one over the
/// network). On SQLite two statements in one text: a refused UPDATE is
/// rolled back with the INSERT by the caller's transaction. On PostgreSQL
/// the UPDATE goes in a `WITH` and the move is inserted from the row it
/// returns, so a refused UPDATE leaves nothing to insert — which lets the
/// statement run outside any transaction too.
fn with_move(backend: DbBackend, sealed: Sealed, mut update: UpdateStatement) -> Statement {
    use std::fmt::Write as _;
    // One writer for both, so the placeholders go on counting ($1… on
    // PostgreSQL) and the values follow in order. (It writes to a String:
    // `write_str` cannot fail.)
    let sql = match backend {
        DbBackend::Postgres => {
            let mut sql = SqlWriterValues::new("$", true);
            update.returning_col(issue::Column::Id);
            let _ = sql.write_str("WITH written AS (");
            update.build_collect_into(PostgresQueryBuilder, &mut sql);
            let _ = sql.write_str(") ");
            sealed.statement_for_each("written").build_collect_into(PostgresQueryBuilder, &mut sql);
            sql
        }
        _ => {
            let mut sql = SqlWriterValues::new("?", false);
            sealed.statement().build_collect_into(SqliteQueryBuilder, &mut sql);
            let _ = sql.write_str("; ");
            update.build_collect_into(SqliteQueryBuilder, &mut sql);
            sql
        }
    };
    let (text, values) = sql.into_parts();
    Statement::from_sql_and_values(backend, text, values)
}

/// Applies a decision to the issue row and stores it with its effects;
/// `stamp` says who made the move, when and why (a withdrawal's take-back
/// of the charge is recorded with it).
pub async fn persist(tx: &Write, mut row: issue::Model, sealed: Sealed, decision: Decision, stamp: &TakeBack<'_>) -> AppResult<issue::Model> {
    convert::apply_facts(&mut row, &decision.issue);
    let row = save_issue(tx, row, sealed).await?;
    for effect in decision.effects {
        match effect {
            Effect::Charge(c) => charges::insert_issue_charge(tx, &row, &c).await?,
            Effect::Timer(t) => super::timers::insert_for_issue(tx, &row.id, t).await?,
            Effect::Uncharge(_) => {
                let charged = charges::issue_charge(tx, &row.id).await?.ok_or_else(|| anyhow::anyhow!("issue {} has no charge to take back", row.id))?;
                charges::take_back(tx, charged.id, true, stamp).await?;
            }
            Effect::Correction(c) => {
                let charged = charges::issue_charge(tx, &row.id).await?.ok_or_else(|| anyhow::anyhow!("issue {} has no charge to correct", row.id))?;
                charges::take_back(tx, charged.id, false, stamp).await?;
                charges::insert_correction(tx, &charged, &c, stamp.at).await?;
            }
        }
    }
    Ok(row)
}

#[cfg(test)]
mod tests {
    use super::save_issue;
    use crate::app::AppError;
    use crate::app::history::{NewMove, Sealed};
    use crate::app::write::Group;
    use crate::db::entities::issue;
    use sea_orm::{ConnectionTrait, DbBackend, EntityTrait, Statement};
    use std::sync::Arc;

    /// An issue row is written back with its move, or neither is: a stale
    /// version (someone moved the issue since it was read) is refused and
    /// leaves no move behind; a current one writes both. On SQLite the two
    /// go in one statement, whose count of changes includes the move's row.
    #[tokio::test]
    async fn an_issue_and_its_move_are_written_together_or_not_at_all() {
        let (_dir, pools) = crate::db::temp_pools("save.db").await;
        pools
            .write
            .execute_unprepared(
                "INSERT INTO issues (id, code, unit_id, title, state, registered_at, reg_seq, reports, charged, awaiting_at_overdue, version, \
                 workflow_version, assignment, returns, chases) VALUES ('a', 'C-a', 'u1', 't', 'dispatched', '2021-01-01T08:00:00', 1, 0, false, false, 1, 'w', 0, 0, 0)",
            )
            .await
            .expect("an issue");
        let group = Arc::new(Group::new(pools.write.clone()));
        let read = issue::Entity::find_by_id("a").one(&pools.read).await.expect("the read").expect("the issue");
        let at = crate::core::LocalTime::parse("2021-01-02T09:00:00").expect("a time");
        let seal = |row: &mut issue::Model| Sealed::onto(row, NewMove { action: "accept", actor: "u", at, note: None, attachments: &[], detail: None });
        let moves = || async {
            let count = Statement::from_string(DbBackend::Sqlite, "SELECT COUNT(*) AS n FROM moves WHERE issue_id = 'a'");
            pools.read.query_one_raw(count).await.expect("the count").expect("a row").try_get::<i64>("", "n").expect("n")
        };

        let mut stale = issue::Model { version: 0, ..read.clone() };
        let write = group.begin().await.expect("a write");
        let sealed = seal(&mut stale).expect("sealed");
        let refused = save_issue(&write, stale, sealed).await;
        assert!(matches!(refused, Err(AppError::Conflict(_))), "{refused:?}");
        drop(write);
        assert_eq!(moves().await, 0, "a refused move leaves no history row");

        let mut current = read;
        let write = group.begin().await.expect("a write");
        let sealed = seal(&mut current).expect("sealed");
        let head = sealed.hash.clone();
        let saved = save_issue(&write, current, sealed).await.expect("saved");
        write.commit().await.expect("committed");
        let stored = issue::Entity::find_by_id("a").one(&pools.read).await.expect("the read").expect("the issue");
        assert_eq!((stored.version, stored.head.as_deref()), (2, Some(head.as_str())));
        assert_eq!(saved, stored);
        assert_eq!(moves().await, 1);
    }
}
