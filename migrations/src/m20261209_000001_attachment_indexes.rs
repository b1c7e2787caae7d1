//! Scale (issue 12): the uploads waiting for their move, found by index.
//!
//! Every upload counts its owner's waiting uploads (the quota), and every
//! minute the housekeeping removes the waiting ones older than a day. With
//! no index but the id, both read the whole table — every report's photo,
//! a million rows at a province — and the load of `jiaoban bench` slowed
//! down as its photos piled up. Two indexes make them read only what they
//! count or remove.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_index(Index::create().name("attachments_owner").table("attachments").col("owner").col("attached").to_owned()).await?;
        m.create_index(Index::create().name("attachments_waiting").table("attachments").col("attached").col("uploaded_at").to_owned()).await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_index(Index::drop().name("attachments_waiting").table("attachments").to_owned()).await?;
        m.drop_index(Index::drop().name("attachments_owner").table("attachments").to_owned()).await?;
        Ok(())
    }
}
