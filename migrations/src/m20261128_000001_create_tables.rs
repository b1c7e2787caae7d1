//! The whole schema of the first release.
//!
//! Times are stored as local Asia/Shanghai wall time, `YYYY-MM-DDTHH:MM:SS`
//! text: the rules speak only of local dates, the zone has no daylight saving,
//! and text sorts correctly and compares the same on SQLite and PostgreSQL.
//! Points are stored as integer thousandths so SQL sums stay exact.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Tables in creation order; dropped in reverse.
const TABLES: &[&str] = &["units", "users", "sessions", "issues", "moves", "dispatches", "charges", "timers", "outbox", "clock"];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("units")
                .col(string("id").primary_key())
                .col(string_uniq("name"))
                .col(text("emails"))
                .col(big_integer("seq"))
                .col(string("created_at"))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table("users")
                .col(string("id").primary_key())
                .col(string_uniq("username"))
                .col(string("password_hash"))
                .col(string("role"))
                .col(string_null("unit_id"))
                .col(string("created_at"))
                .to_owned(),
        )
        .await?;
        // Server-side sessions: signing out deletes the row, so the cookie dies.
        m.create_table(Table::create().table("sessions").col(string("token").primary_key()).col(string("user_id")).col(string("expires_at")).to_owned())
            .await?;
        m.create_table(
            Table::create()
                .table("issues")
                .col(string("id").primary_key())
                .col(string_uniq("code"))
                .col(string("unit_id"))
                .col(text("title"))
                .col(string_null("source"))
                .col(string_null("category"))
                .col(text_null("location"))
                .col(text_null("description"))
                .col(string("state"))
                .col(string("registered_at"))
                .col(big_integer("reg_seq"))
                .col(string_null("dispatch_id"))
                .col(string_null("dispatched_at"))
                .col(big_integer_null("dispatch_seq"))
                .col(integer("reports"))
                .col(string_null("last_report_at"))
                .col(boolean("charged"))
                .col(boolean("awaiting_at_overdue"))
                .col(integer("version"))
                .col(string("workflow_version"))
                .to_owned(),
        )
        .await?;
        m.create_index(Index::create().name("issues_state_reg").table("issues").col("state").col("reg_seq").to_owned()).await?;
        m.create_index(Index::create().name("issues_unit").table("issues").col("unit_id").to_owned()).await?;
        // Append-only history: every move with who, when, note and attachments.
        m.create_table(
            Table::create()
                .table("moves")
                .col(big_pk_auto("id"))
                .col(string("issue_id"))
                .col(string("action"))
                .col(string("actor"))
                .col(string("at"))
                .col(text_null("note"))
                .col(text("attachments"))
                .to_owned(),
        )
        .await?;
        m.create_index(Index::create().name("moves_issue").table("moves").col("issue_id").to_owned()).await?;
        m.create_table(
            Table::create()
                .table("dispatches")
                .col(string("id").primary_key())
                .col(string("at"))
                .col(integer("issue_count"))
                .col(boolean("scheduled"))
                .col(string("actor"))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table("charges")
                .col(big_pk_auto("id"))
                .col(string("kind"))
                .col(string_null("issue_id"))
                .col(string("unit_id"))
                .col(string("quarter"))
                .col(big_integer("points_milli"))
                .col(integer("tier"))
                .col(big_integer_null("days"))
                .col(string_null("dispatched"))
                .col(string_null("completed"))
                .col(string("known_at"))
                .col(text_null("note"))
                .to_owned(),
        )
        .await?;
        m.create_index(Index::create().name("charges_quarter").table("charges").col("quarter").col("known_at").to_owned()).await?;
        m.create_index(Index::create().name("charges_issue").table("charges").col("issue_id").unique().to_owned()).await?;
        // Timers fire in (due_at, class, id) order; the index makes a tick O(due).
        m.create_table(
            Table::create()
                .table("timers")
                .col(big_pk_auto("id"))
                .col(string("due_at"))
                .col(integer("class"))
                .col(string("kind"))
                .col(string_null("issue_id"))
                .col(string("payload"))
                .to_owned(),
        )
        .await?;
        m.create_index(Index::create().name("timers_due").table("timers").col("due_at").col("class").col("id").to_owned()).await?;
        // One row per mail key, ever: the unique key is the exactly-once guarantee.
        m.create_table(
            Table::create()
                .table("outbox")
                .col(big_pk_auto("id"))
                .col(string_uniq("key"))
                .col(text("recipients"))
                .col(text("cc"))
                .col(text("subject"))
                .col(text("body"))
                .col(string_null("attachment_name"))
                .col(blob_null("attachment"))
                .col(string("send_after"))
                .col(string_null("sent_at"))
                .col(integer("attempts"))
                .col(string("next_attempt_at"))
                .col(text_null("last_error"))
                .to_owned(),
        )
        .await?;
        m.create_index(Index::create().name("outbox_pending").table("outbox").col("sent_at").col("next_attempt_at").to_owned()).await?;
        m.create_table(Table::create().table("clock").col(integer("id").primary_key()).col(string("now")).to_owned()).await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for table in TABLES.iter().rev() {
            m.drop_table(Table::drop().table(*table).if_exists().to_owned()).await?;
        }
        Ok(())
    }
}
