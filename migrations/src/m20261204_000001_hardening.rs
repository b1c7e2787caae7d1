//! Hardening (issue 11): sessions that end, forced password changes, an
//! audit log, uploads that are cleaned up, and a history that shows tampering.
//!
//! - `sessions.id` (public; the token stays secret), `created_at`,
//!   `last_seen_at` (UTC), `remember`: idle and absolute lifetimes, and a
//!   user can list and end its sessions. Sessions of earlier releases have
//!   no `created_at` and count as expired: everyone signs in once more.
//! - `users.must_change_password`: set by an admin's reset.
//! - `audit`: sign-ins, failures, lock-outs, user and unit changes, workflow
//!   versions, test-clock moves — who, what, when (UTC), from where.
//! - `attachments.attached` / `uploaded_at` (UTC): an upload no move carries
//!   is removed after a day.
//! - `moves.hash` / `moves.prev`: each history row's SHA-256 over its content
//!   and the previous row's hash of the same issue; `anchors`: one hash per
//!   day over that day's rows, so a row removed at a chain's end shows too.
//!   Rows of earlier releases are sealed at start (`history::seal`).

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for column in [string_null("id"), string_null("created_at"), string_null("last_seen_at")] {
            m.alter_table(Table::alter().table("sessions").add_column(column).to_owned()).await?;
        }
        m.alter_table(Table::alter().table("sessions").add_column(boolean("remember").default(false)).to_owned()).await?;
        m.alter_table(Table::alter().table("users").add_column(boolean("must_change_password").default(false)).to_owned()).await?;
        m.alter_table(Table::alter().table("attachments").add_column(boolean("attached").default(true)).to_owned()).await?;
        m.alter_table(Table::alter().table("attachments").add_column(string_null("uploaded_at")).to_owned()).await?;
        m.alter_table(Table::alter().table("moves").add_column(string_null("hash")).to_owned()).await?;
        m.alter_table(Table::alter().table("moves").add_column(string_null("prev")).to_owned()).await?;
        m.create_table(
            Table::create()
                .table("audit")
                .col(big_pk_auto("id"))
                .col(string("at"))
                .col(string("actor"))
                .col(string("action"))
                .col(text_null("target"))
                .col(text_null("detail"))
                .col(string_null("ip"))
                .to_owned(),
        )
        .await?;
        m.create_table(Table::create().table("anchors").col(string("day").primary_key()).col(big_integer("rows")).col(string("hash")).to_owned()).await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table("anchors").to_owned()).await?;
        m.drop_table(Table::drop().table("audit").to_owned()).await?;
        for (table, column) in [
            ("moves", "prev"),
            ("moves", "hash"),
            ("attachments", "uploaded_at"),
            ("attachments", "attached"),
            ("users", "must_change_password"),
            ("sessions", "remember"),
            ("sessions", "last_seen_at"),
            ("sessions", "created_at"),
            ("sessions", "id"),
        ] {
            m.alter_table(Table::alter().table(table).drop_column(column).to_owned()).await?;
        }
        Ok(())
    }
}
