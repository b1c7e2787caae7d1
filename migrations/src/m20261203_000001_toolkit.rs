//! The 督办 toolkit (issue 10): chases, leaders, display names, the inbox.
//!
//! - `units.leaders`: 分管领导 addresses (JSON list), copied on the unit's
//!   chases and overdue (`tier-31`) mails.
//! - `users.display_name`: 姓名, shown in the header and the history.
//! - `issues.chases`: how often 攻坚办 has chased the issue (催办).
//! - `outbox.unit_id` / `outbox.audience`: whom a mail is meant for inside
//!   the service — a unit, or a role (dispatcher, rechecker, assessor) — so
//!   each user sees it in the app's inbox (消息) without relying on e-mail.
//!   Rows of earlier releases carry none and show in no inbox.
//! - `inbox_reads`: which user has read which message (the unread count).
//! - `issues_dispatched`: lists filtered by dispatch date stay indexed;
//!   `moves_at`: a quarter's moves (its statistics) are read by date.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(Table::alter().table("units").add_column(text("leaders").default("[]")).to_owned()).await?;
        m.alter_table(Table::alter().table("users").add_column(string_null("display_name")).to_owned()).await?;
        m.alter_table(Table::alter().table("issues").add_column(integer("chases").default(0)).to_owned()).await?;
        m.alter_table(Table::alter().table("outbox").add_column(string_null("unit_id")).to_owned()).await?;
        m.alter_table(Table::alter().table("outbox").add_column(string_null("audience")).to_owned()).await?;
        m.create_index(Index::create().name("outbox_unit").table("outbox").col("unit_id").col("send_after").to_owned()).await?;
        m.create_index(Index::create().name("outbox_audience").table("outbox").col("audience").col("send_after").to_owned()).await?;
        m.create_index(Index::create().name("issues_dispatched").table("issues").col("dispatched_at").to_owned()).await?;
        m.create_index(Index::create().name("moves_at").table("moves").col("at").to_owned()).await?;
        m.create_table(
            Table::create()
                .table("inbox_reads")
                .col(string("user_id"))
                .col(big_integer("outbox_id"))
                .col(string("read_at"))
                .primary_key(Index::create().col("user_id").col("outbox_id"))
                .to_owned(),
        )
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table("inbox_reads").to_owned()).await?;
        for index in ["moves_at", "issues_dispatched", "outbox_audience", "outbox_unit"] {
            m.get_connection().execute_unprepared(&format!("DROP INDEX IF EXISTS {index}")).await?;
        }
        for (table, column) in [("outbox", "audience"), ("outbox", "unit_id"), ("issues", "chases"), ("users", "display_name"), ("units", "leaders")] {
            m.alter_table(Table::alter().table(table).drop_column(column).to_owned()).await?;
        }
        Ok(())
    }
}
