//! Scale (issue 12): each issue carries its final charge's points and days.
//!
//! Every list shows, for a charged issue, the points and days of its final
//! charge (the `charges` row of kind `issue`). A list page found them by
//! joining `charges`: fifty index lookups into another table per page,
//! measured as the larger part of what the board's first page cost the
//! database beyond the raw query for its rows (`pgbench -M prepared`, 16
//! clients: 4,854 statements/s with the join, 7,410 without).
//!
//! The charge row stays the record; these two columns are a copy, written
//! by a trigger in the transaction that inserts the charge, so no write path
//! of the application can forget them. A final charge is inserted once per
//! issue and never changed (taking it back marks the row, and a correction
//! is a row of its own kind), so the copy cannot go stale. The application's
//! issue entity does not name these columns, so no save of an issue row
//! writes them back.
//!
//! Existing issues take their final charge's values here.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

const SQLITE_TRIGGER: &str = "CREATE TRIGGER issue_final_copy AFTER INSERT ON charges WHEN NEW.kind = 'issue' BEGIN
       UPDATE issues SET final_points_milli = NEW.points_milli, final_days = NEW.days WHERE id = NEW.issue_id;
     END";

/// On PostgreSQL once per statement: a catch-up inserts its charges 500
/// rows a statement, and one UPDATE of their issues beats 500.
const POSTGRES_FUNCTION: &str = "CREATE FUNCTION issue_final_copy() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE issues SET final_points_milli = n.points_milli, final_days = n.days
    FROM new_rows n WHERE n.kind = 'issue' AND issues.id = n.issue_id;
  RETURN NULL;
END $$";

const POSTGRES_TRIGGER: &str =
    "CREATE TRIGGER issue_final_copy AFTER INSERT ON charges REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION issue_final_copy()";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for column in ["final_points_milli", "final_days"] {
            m.alter_table(Table::alter().table("issues").add_column(ColumnDef::new(column).big_integer().null()).to_owned()).await?;
        }
        let db = m.get_connection();
        // Copied before the trigger exists, in the migration's transaction
        // (PostgreSQL) or while the migrator holds the only writer (SQLite).
        db.execute_unprepared(
            "UPDATE issues SET \
               final_points_milli = (SELECT c.points_milli FROM charges c WHERE c.issue_id = issues.id AND c.kind = 'issue'), \
               final_days = (SELECT c.days FROM charges c WHERE c.issue_id = issues.id AND c.kind = 'issue') \
             WHERE id IN (SELECT issue_id FROM charges WHERE kind = 'issue')",
        )
        .await?;
        if db.get_database_backend() == DbBackend::Postgres {
            db.execute_unprepared(POSTGRES_FUNCTION).await?;
            db.execute_unprepared(POSTGRES_TRIGGER).await?;
        } else {
            db.execute_unprepared(SQLITE_TRIGGER).await?;
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let db = m.get_connection();
        if db.get_database_backend() == DbBackend::Postgres {
            db.execute_unprepared("DROP TRIGGER IF EXISTS issue_final_copy ON charges").await?;
            db.execute_unprepared("DROP FUNCTION IF EXISTS issue_final_copy()").await?;
        } else {
            db.execute_unprepared("DROP TRIGGER IF EXISTS issue_final_copy").await?;
        }
        for column in ["final_points_milli", "final_days"] {
            m.alter_table(Table::alter().table("issues").drop_column(column).to_owned()).await?;
        }
        Ok(())
    }
}
