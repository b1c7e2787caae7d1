//! Scale (issue 12): the issue a stored file belongs to, on its row.
//!
//! Which issue's history carries a file decides who may open it, and a
//! file a move already carries may not be claimed by another. Both were
//! answered by searching every move's list of files (`attachments LIKE
//! '%"id"%'`): a read of the whole history — five rows per issue, millions
//! at a province — for each report with a photo and each photo opened.
//! A file is carried by one move only, so its row can say whose it is.
//! Filled here from the moves that carry files; set by the move that
//! attaches a file from now on. (Files of release 0.1 have no row: they
//! are still found the old way.)

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(Table::alter().table("attachments").add_column(ColumnDef::new("issue_id").string().null()).to_owned()).await?;
        let db = m.get_connection();
        // Each move's files are a JSON array of ids ('[]' when none).
        let carried = match db.get_database_backend() {
            DbBackend::Postgres => {
                "SELECT f.value AS file, m.issue_id FROM moves m CROSS JOIN LATERAL jsonb_array_elements_text(m.attachments::jsonb) AS f(value) \
                 WHERE m.attachments LIKE '[_%'"
            }
            _ => "SELECT f.value AS file, m.issue_id FROM moves m, json_each(m.attachments) f WHERE m.attachments LIKE '[_%'",
        };
        db.execute_unprepared(&format!("UPDATE attachments SET issue_id = c.issue_id FROM ({carried}) AS c WHERE c.file = attachments.id")).await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(Table::alter().table("attachments").drop_column("issue_id").to_owned()).await
    }
}
