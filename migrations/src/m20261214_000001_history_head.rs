//! Scale (issue 12): each issue keeps the hash of its last move (`head`).
//!
//! A move's history row is sealed with the hash of the row before it
//! (issue 11). That hash was read from `moves` inside every move's
//! transaction: one statement of the six a move made, a round trip each on
//! PostgreSQL. Kept on the issue row, it comes with the row the move has
//! already read, and it is written by the move's own UPDATE, whose version
//! check makes sure no other move came in between.
//!
//! Existing issues take the hash of their last move here. Rows of releases
//! before 0.2 that have no hash yet are sealed at start-up
//! (`history::seal`), which sets the head of the issues it seals too.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(Table::alter().table("issues").add_column(ColumnDef::new("head").string().null()).to_owned()).await?;
        m.get_connection()
            .execute_unprepared("UPDATE issues SET head = (SELECT m.hash FROM moves m WHERE m.issue_id = issues.id ORDER BY m.id DESC LIMIT 1)")
            .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(Table::alter().table("issues").drop_column("head").to_owned()).await
    }
}
