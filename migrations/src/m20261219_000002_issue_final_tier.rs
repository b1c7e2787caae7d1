//! Scale (issue 12): a charged issue's tier kept on its row, beside its
//! final points and days (m20261215), by the same trigger.
//!
//! The board counts the open issues of three tiers on every view, and a
//! tier filter of the lists takes a charged issue by its charge's tier.
//! That was a subquery over the charges: PostgreSQL hashed every charge of
//! the tier for each count (a sequential scan of the table: 7 ms warm at
//! 20,000 charges, growing with the province's millions), SQLite looked
//! up each issue's charge. With the tier on the row the count reads the
//! issues alone. A charge's tier never changes once written (taking a
//! charge back marks it, never rewrites or deletes it), so a copy made
//! when it is inserted stays true.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

fn sqlite_trigger(tier: bool) -> String {
    let tier = if tier { ", final_tier = NEW.tier" } else { "" };
    format!(
        "CREATE TRIGGER issue_final_copy AFTER INSERT ON charges WHEN NEW.kind = 'issue' BEGIN
       UPDATE issues SET final_points_milli = NEW.points_milli, final_days = NEW.days{tier} WHERE id = NEW.issue_id;
     END"
    )
}

fn postgres_function(tier: bool) -> String {
    let tier = if tier { ", final_tier = n.tier" } else { "" };
    format!(
        "CREATE OR REPLACE FUNCTION issue_final_copy() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE issues SET final_points_milli = n.points_milli, final_days = n.days{tier}
    FROM new_rows n WHERE n.kind = 'issue' AND issues.id = n.issue_id;
  RETURN NULL;
END $$"
    )
}

/// The trigger (SQLite) or its function (PostgreSQL) replaced by the one
/// that copies the tier too (`tier`), or by the one before.
async fn copy_tier(m: &SchemaManager<'_>, tier: bool) -> Result<(), DbErr> {
    let db = m.get_connection();
    if db.get_database_backend() == DbBackend::Postgres {
        db.execute_unprepared(&postgres_function(tier)).await?;
    } else {
        db.execute_unprepared("DROP TRIGGER IF EXISTS issue_final_copy").await?;
        db.execute_unprepared(&sqlite_trigger(tier)).await?;
    }
    Ok(())
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(Table::alter().table("issues").add_column(ColumnDef::new("final_tier").integer().null()).to_owned()).await?;
        // Copied before the new trigger exists, in the migration's
        // transaction (PostgreSQL) or while the migrator holds the only
        // writer (SQLite).
        m.get_connection()
            .execute_unprepared(
                "UPDATE issues SET final_tier = (SELECT c.tier FROM charges c WHERE c.issue_id = issues.id AND c.kind = 'issue') \
                 WHERE id IN (SELECT issue_id FROM charges WHERE kind = 'issue')",
            )
            .await?;
        copy_tier(m, true).await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        copy_tier(m, false).await?;
        m.alter_table(Table::alter().table("issues").drop_column("final_tier").to_owned()).await
    }
}
