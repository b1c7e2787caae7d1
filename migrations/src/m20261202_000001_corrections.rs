//! Corrections (rules.md): return and ruling, withdrawal, revoked violations.
//!
//! - `issues.assignment`: the current assignment (0 while registered, 1 from
//!   the first dispatch, +1 per reassignment); rows of 0.1 get 1 if they were
//!   dispatched. `issues.returns`: how many times the unit returned it.
//! - `charges.taken_back_at` / `_by` / `_note`: when, by whom and why a
//!   charge was taken back (its issue withdrawn, its violation revoked) — a
//!   violation is revoked once, and a revocation is a move like any other.
//!   `charges.removed`: taken back before its quarter froze, so it is no
//!   longer in that quarter (kept, not deleted: the record of what was
//!   charged and undone stays). A charge taken back after the freeze stays
//!   in its quarter and is answered by a `correction` row: negative points
//!   in the quarter of the correction, `corrects` naming the frozen quarter,
//!   `corrects_id` the charge it corrects.
//! - `moves.detail`: what a move names besides its note — the unit an issue
//!   was reassigned to, the unit that returned it.
//! - `attachments`: evidence files live in the database, not on one
//!   instance's disk, so that a photo uploaded through one instance can be
//!   attached and shown through another. (Files of 0.1 stay in
//!   `<data dir>/uploads` and are still served from there.)
//! - One final charge per issue is now "one row of kind `issue` per issue"
//!   (a partial unique index), since a correction row names its issue too.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(Table::alter().table("issues").add_column(integer("assignment").default(0)).to_owned()).await?;
        m.alter_table(Table::alter().table("issues").add_column(integer("returns").default(0)).to_owned()).await?;
        let db = m.get_connection();
        db.execute_unprepared("UPDATE issues SET assignment = 1 WHERE dispatched_at IS NOT NULL").await?;
        m.alter_table(Table::alter().table("charges").add_column(string_null("taken_back_at")).to_owned()).await?;
        m.alter_table(Table::alter().table("charges").add_column(string_null("taken_back_by")).to_owned()).await?;
        m.alter_table(Table::alter().table("charges").add_column(text_null("taken_back_note")).to_owned()).await?;
        m.alter_table(Table::alter().table("moves").add_column(text_null("detail")).to_owned()).await?;
        m.alter_table(Table::alter().table("charges").add_column(boolean("removed").default(false)).to_owned()).await?;
        m.alter_table(Table::alter().table("charges").add_column(string_null("corrects")).to_owned()).await?;
        m.alter_table(Table::alter().table("charges").add_column(big_integer_null("corrects_id")).to_owned()).await?;
        m.create_table(
            Table::create()
                .table("attachments")
                .col(string("id").primary_key())
                .col(text("name"))
                .col(string("content_type"))
                .col(big_integer("size"))
                .col(string("owner"))
                .col(string("created_at"))
                .col(blob("bytes"))
                .to_owned(),
        )
        .await?;
        m.drop_index(Index::drop().name("charges_issue").table("charges").to_owned()).await?;
        db.execute_unprepared("CREATE UNIQUE INDEX charges_issue_final ON charges (issue_id) WHERE kind = 'issue'").await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let db = m.get_connection();
        db.execute_unprepared("DELETE FROM charges WHERE kind = 'correction'").await?;
        db.execute_unprepared("DROP INDEX IF EXISTS charges_issue_final").await?;
        m.create_index(Index::create().name("charges_issue").table("charges").col("issue_id").unique().to_owned()).await?;
        m.drop_table(Table::drop().table("attachments").to_owned()).await?;
        m.alter_table(Table::alter().table("moves").drop_column("detail").to_owned()).await?;
        for column in ["corrects_id", "corrects", "removed", "taken_back_note", "taken_back_by", "taken_back_at"] {
            m.alter_table(Table::alter().table("charges").drop_column(column).to_owned()).await?;
        }
        for column in ["returns", "assignment"] {
            m.alter_table(Table::alter().table("issues").drop_column(column).to_owned()).await?;
        }
        Ok(())
    }
}
