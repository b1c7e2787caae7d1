//! Scale (issue 12): a charge row carries its issue's code.
//!
//! The quarter report lists every charge of the quarter with the issue's
//! code; joining 200,000 charges with the issues table to find it tripled
//! the report's time (two index lookups per row in a table of a million).
//! An issue's code never changes after registration, so it is copied when
//! the charge is made, and filled in here for the rows already charged.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(Table::alter().table("charges").add_column(string_null("code")).to_owned()).await?;
        m.get_connection()
            .execute_unprepared("UPDATE charges SET code = (SELECT i.code FROM issues i WHERE i.id = charges.issue_id) WHERE issue_id IS NOT NULL")
            .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(Table::alter().table("charges").drop_column("code").to_owned()).await?;
        Ok(())
    }
}
