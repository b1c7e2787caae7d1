//! Scale (issue 12): a unit's list pages read in order from an index.
//!
//! A 街道 officer's list is their unit's issues in registration order, often
//! narrowed to one state (its closed ones, say). With only `issues_unit`
//! the database found all the unit's issues — ten thousand of them at a
//! province's size — fetched each row to check its state, and sorted them
//! all to show fifty. Measured on PostgreSQL with 20,000 issues: a unit's
//! closed issues, first page, 13.9 ms, of which a hash join over every
//! charge; with these indexes 1.3 ms, the fifty rows read in order.
//!
//! `(unit_id, reg_seq, id)` replaces `issues_unit`, whose every use it
//! serves as a prefix: one index more to keep up to date with each move,
//! not two.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_index(Index::create().name("issues_unit_reg").table("issues").col("unit_id").col("reg_seq").col("id").to_owned()).await?;
        m.create_index(Index::create().name("issues_unit_state_reg").table("issues").col("unit_id").col("state").col("reg_seq").col("id").to_owned()).await?;
        m.drop_index(Index::drop().name("issues_unit").table("issues").to_owned()).await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_index(Index::create().name("issues_unit").table("issues").col("unit_id").to_owned()).await?;
        m.drop_index(Index::drop().name("issues_unit_state_reg").table("issues").to_owned()).await?;
        m.drop_index(Index::drop().name("issues_unit_reg").table("issues").to_owned()).await
    }
}
