//! Delivery that cannot send a row twice, and timers that are never lost.
//!
//! - `outbox.claimed_by` / `claimed_until`: a sender claims a row (a lease,
//!   set by a conditional UPDATE) before it talks to the SMTP server, so no
//!   other sender — another worker, the test-clock request, another
//!   instance — takes it meanwhile; a lease whose holder died expires.
//!   `claimed_until` is wall-clock time in Unix milliseconds: leases are
//!   about processes, which live on the real clock even when the service
//!   runs on a test clock.
//! - `outbox.retry_at`: after a failure, when to try again (Unix ms, real
//!   clock). `next_attempt_at` (test-clock time) used to do this, so on a
//!   test clock a refused mail waited for the clock to move; it is kept
//!   for the rows written before and no longer read.
//! - `outbox_unsent`: the rows still to send, in order, without scanning
//!   the sent ones (partial index; both databases have them).
//! - `timers.parked`: why a timer could not be fired (a kind this release
//!   does not know, say). Such a timer is kept and skipped, never deleted.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // SQLite alters one column per statement.
        m.alter_table(Table::alter().table("outbox").add_column(string_null("claimed_by")).to_owned()).await?;
        m.alter_table(Table::alter().table("outbox").add_column(big_integer_null("claimed_until")).to_owned()).await?;
        m.alter_table(Table::alter().table("outbox").add_column(big_integer_null("retry_at")).to_owned()).await?;
        m.alter_table(Table::alter().table("timers").add_column(text_null("parked")).to_owned()).await?;
        m.get_connection().execute_unprepared("CREATE INDEX outbox_unsent ON outbox (send_after, id) WHERE sent_at IS NULL").await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.get_connection().execute_unprepared("DROP INDEX IF EXISTS outbox_unsent").await?;
        m.alter_table(Table::alter().table("timers").drop_column("parked").to_owned()).await?;
        for column in ["retry_at", "claimed_until", "claimed_by"] {
            m.alter_table(Table::alter().table("outbox").drop_column(column).to_owned()).await?;
        }
        Ok(())
    }
}
