//! A sender's claim finds the next mail to send in the order of
//! `outbox_unsent`, however many mails wait.
//!
//! `outbox_pending` (sent_at, next_attempt_at) dates from before the
//! leases, and nothing has read `next_attempt_at` since. But SQLite's
//! planner took `sent_at IS NULL` as an equality on it, preferred it to
//! the partial index `outbox_unsent` (send_after, id) WHERE sent_at IS NULL,
//! and so read every unsent row — each one's later columns behind its body
//! on overflow pages — and sorted them, to claim one. With 20,000 mails
//! waiting (a province's bench, or a mail server down for a day) a claim
//! took ~35 ms and the outbox drained at 28 mails a second, on a
//! whole core. Without it the claim is the first entry of `outbox_unsent`
//! that is due.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_index(Index::drop().name("outbox_pending").table("outbox").to_owned()).await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_index(Index::create().name("outbox_pending").table("outbox").col("sent_at").col("next_attempt_at").to_owned()).await?;
        Ok(())
    }
}
