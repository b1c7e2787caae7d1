//! Scale (issue 12): the start no longer reads the whole history.
//!
//! Each start looks for history rows written before the hash chain (release
//! 0.1's) to seal them (`app::history::seal`): `SELECT DISTINCT issue_id
//! FROM moves WHERE hash IS NULL`, a scan of every move. At 100,000 issues
//! (612,969 moves, a 555 MB database) `serve` took 6.1 s to answer after a
//! start with a cold page cache, 3.7 s of it that scan; a province has ten
//! times the moves. Rows written since carry their hash, so the partial
//! index holds only what is left to seal: nothing, once sealed.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // Partial: sea-query cannot say WHERE on an index for both backends.
        m.get_connection().execute_unprepared("CREATE INDEX moves_unsealed ON moves (issue_id) WHERE hash IS NULL").await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.get_connection().execute_unprepared("DROP INDEX IF EXISTS moves_unsealed").await?;
        Ok(())
    }
}
