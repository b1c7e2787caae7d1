//! Scale (issue 12): how many issues there are, kept in one row.
//!
//! The board's first page (no filter) answers its `total` by summing every
//! row of `issue_counts`: units × states, 800 rows for a province. Measured
//! with `pgbench -M prepared` on a kept bench database (20,000 issues), the
//! page's statement ran at 9,200–10,900 a second beside 17,000–20,000 for
//! the raw query of its rows, and that sum was the difference. One row
//! counting every issue makes that total a single read.
//!
//! Triggers keep it in the transaction that inserts or deletes an issue, as
//! for `issue_counts`. Registrations already take one lock for the rest of
//! their transaction on PostgreSQL (`issues::lock_sequence`), so every
//! issue inserted by the application waits for that lock before it reaches
//! this row: the row adds no wait, and no second lock to take in another
//! order. The triggers are named to fire before `issue_counts_*` (PostgreSQL
//! fires a table's triggers in the order of their names), so an insert that
//! bypasses the sequence lock also takes this row first.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

const SQLITE_TRIGGERS: &[&str] = &[
    "CREATE TRIGGER issue_a_total_insert AFTER INSERT ON issues BEGIN UPDATE issue_total SET n = n + 1 WHERE id = 1; END",
    "CREATE TRIGGER issue_a_total_delete AFTER DELETE ON issues BEGIN UPDATE issue_total SET n = n - 1 WHERE id = 1; END",
];

/// Once per statement over its transition table: an import inserts its
/// issues in one transaction, and one update of the row beats one per issue.
const POSTGRES_FUNCTION: &str = "CREATE FUNCTION issue_total_apply() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    UPDATE issue_total SET n = n + (SELECT COUNT(*) FROM new_rows) WHERE id = 1;
  ELSE
    UPDATE issue_total SET n = n - (SELECT COUNT(*) FROM old_rows) WHERE id = 1;
  END IF;
  RETURN NULL;
END $$";

const POSTGRES_TRIGGERS: &[&str] = &[
    "CREATE TRIGGER issue_a_total_insert AFTER INSERT ON issues REFERENCING NEW TABLE AS new_rows
     FOR EACH STATEMENT EXECUTE FUNCTION issue_total_apply()",
    "CREATE TRIGGER issue_a_total_delete AFTER DELETE ON issues REFERENCING OLD TABLE AS old_rows
     FOR EACH STATEMENT EXECUTE FUNCTION issue_total_apply()",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("issue_total")
                .col(ColumnDef::new("id").integer().not_null().primary_key())
                .col(ColumnDef::new("n").big_integer().not_null())
                .to_owned(),
        )
        .await?;
        let db = m.get_connection();
        // Counted before the triggers exist, in the migration's transaction
        // (PostgreSQL) or while the migrator holds the only writer (SQLite).
        db.execute_unprepared("INSERT INTO issue_total (id, n) SELECT 1, COUNT(*) FROM issues").await?;
        let (function, triggers) = match db.get_database_backend() {
            DbBackend::Postgres => (Some(POSTGRES_FUNCTION), POSTGRES_TRIGGERS),
            _ => (None, SQLITE_TRIGGERS),
        };
        if let Some(function) = function {
            db.execute_unprepared(function).await?;
        }
        for trigger in triggers {
            db.execute_unprepared(trigger).await?;
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let db = m.get_connection();
        let postgres = db.get_database_backend() == DbBackend::Postgres;
        for trigger in ["issue_a_total_insert", "issue_a_total_delete"] {
            let on = if postgres { " ON issues" } else { "" };
            db.execute_unprepared(&format!("DROP TRIGGER IF EXISTS {trigger}{on}")).await?;
        }
        if postgres {
            db.execute_unprepared("DROP FUNCTION IF EXISTS issue_total_apply()").await?;
        }
        m.drop_table(Table::drop().table("issue_total").to_owned()).await
    }
}
