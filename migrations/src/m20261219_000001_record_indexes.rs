//! Scale (issue 12): two records read in their order from an index.
//!
//! - `outbox_order` (send_after, key): the mail log (`GET /api/mails`,
//!   oldest first) and the admin page's latest mails. Without it the admin
//!   page read the whole outbox — bodies and attached workbooks too — to
//!   show thirty rows: 0.3–0.4 s with 21,000 mails, and a province's
//!   outbox holds millions. Now the newest thirty are the index read
//!   backwards, and the log is read a page at a time from the last key.
//! - `charges_violations` (quarter, id) of the violation rows alone: the
//!   violations page shows one quarter's, and read every charge of every
//!   quarter (a province: millions) to keep them.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_index(Index::create().name("outbox_order").table("outbox").col("send_after").col("key").to_owned()).await?;
        // Partial: sea-query cannot say WHERE on an index for both backends.
        m.get_connection().execute_unprepared("CREATE INDEX charges_violations ON charges (quarter, id) WHERE kind = 'violation'").await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.get_connection().execute_unprepared("DROP INDEX IF EXISTS charges_violations").await?;
        m.drop_index(Index::drop().name("outbox_order").table("outbox").to_owned()).await
    }
}
