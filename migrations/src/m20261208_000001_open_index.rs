//! Scale (issue 12): the open list from an index of the open issues only.
//!
//! The open list (`GET /api/reports/open`, the board's carried-over issues,
//! the workbook's third sheet) is the dispatched issues not yet charged, in
//! dispatch order. At a province's 1,000,000 issues about a thousand are
//! open, and without this index every list read all of them: 2.5 s. A
//! partial index holds only the open ones, so it stays as small as the
//! list. Its condition is written as the query writes it (`charged =
//! false`), since a database uses a partial index only for a query whose
//! condition implies the index's.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.get_connection().execute_unprepared("CREATE INDEX issues_open ON issues (dispatch_seq) WHERE dispatched_at IS NOT NULL AND charged = false").await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_index(Index::drop().name("issues_open").table("issues").to_owned()).await?;
        Ok(())
    }
}
