//! Scale (issue 12): the next standing timer found without reading the
//! issues' timers.
//!
//! A catch-up fires timers in batches, and a batch ends at the first
//! standing timer (a dispatch, a quarter mail), since what that job does
//! may schedule timers due before the rest. It used to read a full batch,
//! fire up to the standing timer and read the rest again: after a month
//! down, four standing timers among 2,644 meant more rows read again than
//! fired. Now a batch asks first where the next standing timer is. The
//! standing timers are the only ones without an issue, so an index of
//! those alone stays a few rows however many issues there are; its
//! condition is written as the query writes it.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.get_connection().execute_unprepared("CREATE INDEX timers_standing ON timers (due_at, class, id) WHERE issue_id IS NULL").await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_index(Index::drop().name("timers_standing").table("timers").to_owned()).await?;
        Ok(())
    }
}
