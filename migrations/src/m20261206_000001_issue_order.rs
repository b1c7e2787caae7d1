//! Scale (issue 12): the orders issues are listed and numbered in are indexed.
//!
//! Registration numbers an issue after the last one (`ORDER BY reg_seq DESC
//! LIMIT 1`), a dispatch or a reassignment after the last dispatched one,
//! and lists page in registration order; without an index each of these
//! read every issue — at a province's 1,000,000 issues, a registration that
//! scans the table.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_index(Index::create().name("issues_reg_seq").table("issues").col("reg_seq").col("id").to_owned()).await?;
        m.create_index(Index::create().name("issues_dispatch_seq").table("issues").col("dispatch_seq").to_owned()).await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for index in ["issues_reg_seq", "issues_dispatch_seq"] {
            m.drop_index(Index::drop().name(index).table("issues").to_owned()).await?;
        }
        Ok(())
    }
}
