//! Scale (issue 12): a unit's charges of a quarter, found by index.
//!
//! A 街道 reads its own quarter report: its few hundred charges among a
//! province's 200,000. Found through `charges_quarter`, each of the
//! quarter's charges was read to drop the others' (a unit's report cost
//! what the whole province's did); this index reads the unit's alone, in
//! the report's order.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_index(Index::create().name("charges_unit_quarter").table("charges").col("unit_id").col("quarter").col("known_at").col("id").to_owned()).await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_index(Index::drop().name("charges_unit_quarter").table("charges").to_owned()).await
    }
}
