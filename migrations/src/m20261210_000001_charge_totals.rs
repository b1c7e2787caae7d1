//! Scale (issue 12, item 2): each unit's totals per quarter, kept by the
//! database with every charge.
//!
//! The year's score, the trend and the workbook's unit sheet need per unit
//! and quarter only sums: points, how many charges of each kind and tier,
//! and how many completed issues in how many days. Summed from the charges,
//! a province's quarter (200,000 of them) is read whole each time; kept
//! here, it is at most units × kinds × tiers rows. Triggers keep them in
//! the transaction that inserts, takes back (`removed`) or deletes a
//! charge, so no write path of the application can forget them.
//!
//! On PostgreSQL the trigger runs once per statement over its transition
//! tables and applies the net change per key in key order, as
//! `issue_counts` does (m20261207): concurrent transactions lock total rows
//! in one order, and an update that changes no total touches none.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// A charge's contribution to its totals `n, p, c, d` (count, points,
/// completed, their days) from the row `r`, with `sign` 1 or -1.
fn contribution(r: &str, sign: &str) -> String {
    format!(
        "{sign} AS n, {sign} * {r}.points_milli AS p, {sign} * (CASE WHEN {r}.completed IS NULL THEN 0 ELSE 1 END) AS c, \
         {sign} * (CASE WHEN {r}.completed IS NULL THEN 0 ELSE COALESCE({r}.days, 0) END) AS d"
    )
}

const KEY: &str = "quarter, unit_id, kind, tier";
const ADD: &str = "ON CONFLICT (quarter, unit_id, kind, tier) DO UPDATE SET n = t.n + EXCLUDED.n, points_milli = t.points_milli + EXCLUDED.points_milli, \
                   completed = t.completed + EXCLUDED.completed, completed_days = t.completed_days + EXCLUDED.completed_days";

fn sqlite_triggers() -> Vec<String> {
    let upsert = |r: &str, sign: &str| {
        format!(
            "INSERT INTO charge_totals ({KEY}, n, points_milli, completed, completed_days) \
             SELECT {r}.quarter, {r}.unit_id, {r}.kind, {r}.tier, {} WHERE true {};",
            contribution(r, sign),
            // A trigger's INSERT takes no alias: unqualified is the row's own.
            ADD.replace("t.", "")
        )
    };
    let watched = "removed, quarter, unit_id, kind, tier, points_milli, days, completed";
    vec![
        format!("CREATE TRIGGER charge_totals_insert AFTER INSERT ON charges WHEN NOT NEW.removed BEGIN {} END", upsert("NEW", "1")),
        format!("CREATE TRIGGER charge_totals_update_old AFTER UPDATE OF {watched} ON charges WHEN NOT OLD.removed BEGIN {} END", upsert("OLD", "-1")),
        format!("CREATE TRIGGER charge_totals_update_new AFTER UPDATE OF {watched} ON charges WHEN NOT NEW.removed BEGIN {} END", upsert("NEW", "1")),
        format!("CREATE TRIGGER charge_totals_delete AFTER DELETE ON charges WHEN NOT OLD.removed BEGIN {} END", upsert("OLD", "-1")),
    ]
}

fn postgres_function() -> String {
    let rows = |table: &str, sign: &str| format!("SELECT {KEY}, {} FROM {table} AS r WHERE NOT r.removed", contribution("r", sign));
    let apply = |change: String| {
        format!(
            "INSERT INTO charge_totals AS t ({KEY}, n, points_milli, completed, completed_days) \
             SELECT {KEY}, SUM(n), SUM(p), SUM(c), SUM(d) FROM ({change}) AS change \
             GROUP BY {KEY} HAVING SUM(n) <> 0 OR SUM(p) <> 0 OR SUM(c) <> 0 OR SUM(d) <> 0 ORDER BY {KEY} {ADD};"
        )
    };
    format!(
        "CREATE FUNCTION charge_totals_apply() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    {}
  ELSIF TG_OP = 'UPDATE' THEN
    {}
  ELSE
    {}
  END IF;
  RETURN NULL;
END $$",
        apply(rows("new_rows", "1")),
        apply(format!("{} UNION ALL {}", rows("new_rows", "1"), rows("old_rows", "-1"))),
        apply(rows("old_rows", "-1")),
    )
}

const POSTGRES_TRIGGERS: &[&str] = &[
    "CREATE TRIGGER charge_totals_insert AFTER INSERT ON charges REFERENCING NEW TABLE AS new_rows
     FOR EACH STATEMENT EXECUTE FUNCTION charge_totals_apply()",
    "CREATE TRIGGER charge_totals_update AFTER UPDATE ON charges REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
     FOR EACH STATEMENT EXECUTE FUNCTION charge_totals_apply()",
    "CREATE TRIGGER charge_totals_delete AFTER DELETE ON charges REFERENCING OLD TABLE AS old_rows
     FOR EACH STATEMENT EXECUTE FUNCTION charge_totals_apply()",
];

const TRIGGERS: &[&str] = &["charge_totals_insert", "charge_totals_update", "charge_totals_update_old", "charge_totals_update_new", "charge_totals_delete"];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("charge_totals")
                .col(ColumnDef::new("quarter").string().not_null())
                .col(ColumnDef::new("unit_id").string().not_null())
                .col(ColumnDef::new("kind").string().not_null())
                .col(ColumnDef::new("tier").integer().not_null())
                .col(ColumnDef::new("n").big_integer().not_null())
                .col(ColumnDef::new("points_milli").big_integer().not_null())
                .col(ColumnDef::new("completed").big_integer().not_null())
                .col(ColumnDef::new("completed_days").big_integer().not_null())
                .primary_key(Index::create().col("quarter").col("unit_id").col("kind").col("tier"))
                .to_owned(),
        )
        .await?;
        let db = m.get_connection();
        // Summed before the triggers exist, in the migration's transaction
        // (PostgreSQL) or while the migrator holds the only writer (SQLite).
        db.execute_unprepared(&format!(
            "INSERT INTO charge_totals ({KEY}, n, points_milli, completed, completed_days) \
             SELECT {KEY}, SUM(n), SUM(p), SUM(c), SUM(d) FROM (SELECT {KEY}, {} FROM charges AS r WHERE NOT r.removed) AS change \
             GROUP BY {KEY}",
            contribution("r", "1")
        ))
        .await?;
        if db.get_database_backend() == DbBackend::Postgres {
            db.execute_unprepared(&postgres_function()).await?;
            for trigger in POSTGRES_TRIGGERS {
                db.execute_unprepared(trigger).await?;
            }
        } else {
            for trigger in sqlite_triggers() {
                db.execute_unprepared(&trigger).await?;
            }
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let db = m.get_connection();
        for trigger in TRIGGERS {
            let on = if db.get_database_backend() == DbBackend::Postgres { " ON charges" } else { "" };
            db.execute_unprepared(&format!("DROP TRIGGER IF EXISTS {trigger}{on}")).await?;
        }
        if db.get_database_backend() == DbBackend::Postgres {
            db.execute_unprepared("DROP FUNCTION IF EXISTS charge_totals_apply()").await?;
        }
        m.drop_table(Table::drop().table("charge_totals").to_owned()).await
    }
}
