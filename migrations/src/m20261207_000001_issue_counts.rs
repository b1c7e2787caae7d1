//! Scale (issue 12): how many issues each unit has in each state, kept by
//! the database itself.
//!
//! A paged list answers its `total`; with a million issues a `COUNT(*)` of
//! the matching rows was most of what the board's first page cost. The
//! common lists filter by nothing but unit and state, so their total is a
//! sum over at most units × states rows of `issue_counts`. Triggers keep
//! those rows in the transaction that inserts, moves or deletes an issue,
//! so no write path of the application can forget them.
//!
//! On PostgreSQL the trigger runs once per statement over its transition
//! tables and applies the net change per (unit, state) in key order: an
//! update that leaves both unchanged touches no count row, and concurrent
//! transactions lock count rows in one order.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

const SQLITE_TRIGGERS: &[&str] = &[
    "CREATE TRIGGER issue_counts_insert AFTER INSERT ON issues BEGIN
       INSERT INTO issue_counts (unit_id, state, n) VALUES (NEW.unit_id, NEW.state, 1)
         ON CONFLICT (unit_id, state) DO UPDATE SET n = n + 1;
     END",
    "CREATE TRIGGER issue_counts_update AFTER UPDATE OF unit_id, state ON issues
     WHEN OLD.unit_id IS NOT NEW.unit_id OR OLD.state IS NOT NEW.state BEGIN
       UPDATE issue_counts SET n = n - 1 WHERE unit_id = OLD.unit_id AND state = OLD.state;
       INSERT INTO issue_counts (unit_id, state, n) VALUES (NEW.unit_id, NEW.state, 1)
         ON CONFLICT (unit_id, state) DO UPDATE SET n = n + 1;
     END",
    "CREATE TRIGGER issue_counts_delete AFTER DELETE ON issues BEGIN
       UPDATE issue_counts SET n = n - 1 WHERE unit_id = OLD.unit_id AND state = OLD.state;
     END",
];

const POSTGRES_FUNCTION: &str = "CREATE FUNCTION issue_counts_apply() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    INSERT INTO issue_counts AS c (unit_id, state, n)
      SELECT unit_id, state, COUNT(*) FROM new_rows GROUP BY unit_id, state ORDER BY unit_id, state
      ON CONFLICT (unit_id, state) DO UPDATE SET n = c.n + EXCLUDED.n;
  ELSIF TG_OP = 'UPDATE' THEN
    INSERT INTO issue_counts AS c (unit_id, state, n)
      SELECT unit_id, state, SUM(d) FROM (
        SELECT unit_id, state, 1 AS d FROM new_rows UNION ALL SELECT unit_id, state, -1 FROM old_rows
      ) AS change GROUP BY unit_id, state HAVING SUM(d) <> 0 ORDER BY unit_id, state
      ON CONFLICT (unit_id, state) DO UPDATE SET n = c.n + EXCLUDED.n;
  ELSE
    INSERT INTO issue_counts AS c (unit_id, state, n)
      SELECT unit_id, state, -COUNT(*) FROM old_rows GROUP BY unit_id, state ORDER BY unit_id, state
      ON CONFLICT (unit_id, state) DO UPDATE SET n = c.n + EXCLUDED.n;
  END IF;
  RETURN NULL;
END $$";

const POSTGRES_TRIGGERS: &[&str] = &[
    "CREATE TRIGGER issue_counts_insert AFTER INSERT ON issues REFERENCING NEW TABLE AS new_rows
     FOR EACH STATEMENT EXECUTE FUNCTION issue_counts_apply()",
    "CREATE TRIGGER issue_counts_update AFTER UPDATE ON issues REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
     FOR EACH STATEMENT EXECUTE FUNCTION issue_counts_apply()",
    "CREATE TRIGGER issue_counts_delete AFTER DELETE ON issues REFERENCING OLD TABLE AS old_rows
     FOR EACH STATEMENT EXECUTE FUNCTION issue_counts_apply()",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("issue_counts")
                .col(ColumnDef::new("unit_id").string().not_null())
                .col(ColumnDef::new("state").string().not_null())
                .col(ColumnDef::new("n").big_integer().not_null())
                .primary_key(Index::create().col("unit_id").col("state"))
                .to_owned(),
        )
        .await?;
        let db = m.get_connection();
        // Counted before the triggers exist, in the migration's transaction
        // (PostgreSQL) or while the migrator holds the only writer (SQLite).
        db.execute_unprepared("INSERT INTO issue_counts (unit_id, state, n) SELECT unit_id, state, COUNT(*) FROM issues GROUP BY unit_id, state").await?;
        if db.get_database_backend() == DbBackend::Postgres {
            db.execute_unprepared(POSTGRES_FUNCTION).await?;
            for trigger in POSTGRES_TRIGGERS {
                db.execute_unprepared(trigger).await?;
            }
        } else {
            for trigger in SQLITE_TRIGGERS {
                db.execute_unprepared(trigger).await?;
            }
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let db = m.get_connection();
        for trigger in ["issue_counts_insert", "issue_counts_update", "issue_counts_delete"] {
            let on = if db.get_database_backend() == DbBackend::Postgres { " ON issues" } else { "" };
            db.execute_unprepared(&format!("DROP TRIGGER IF EXISTS {trigger}{on}")).await?;
        }
        if db.get_database_backend() == DbBackend::Postgres {
            db.execute_unprepared("DROP FUNCTION IF EXISTS issue_counts_apply()").await?;
        }
        m.drop_table(Table::drop().table("issue_counts").to_owned()).await
    }
}
