//! Database migrations for jiaoban (sea-orm-migration), applied at start.
pub use sea_orm_migration::prelude::*;

mod m20261128_000001_create_tables;
mod m20261201_000001_delivery_leases;
mod m20261202_000001_corrections;
mod m20261203_000001_toolkit;
mod m20261204_000001_hardening;
mod m20261205_000001_charge_codes;
mod m20261206_000001_issue_order;
mod m20261207_000001_issue_counts;
mod m20261208_000001_open_index;
mod m20261209_000001_attachment_indexes;
mod m20261210_000001_charge_totals;
mod m20261211_000001_attachment_issue;
mod m20261212_000001_charge_unit_index;
mod m20261213_000001_unit_list_indexes;
mod m20261214_000001_history_head;
mod m20261215_000001_issue_final;
mod m20261216_000001_issue_total;
mod m20261217_000001_timers_standing;
mod m20261218_000001_charges_quarter_order;
mod m20261218_000002_outbox_claim;
mod m20261219_000001_record_indexes;
mod m20261219_000002_issue_final_tier;
mod m20261219_000003_unsealed_moves;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261128_000001_create_tables::Migration),
            Box::new(m20261201_000001_delivery_leases::Migration),
            Box::new(m20261202_000001_corrections::Migration),
            Box::new(m20261203_000001_toolkit::Migration),
            Box::new(m20261204_000001_hardening::Migration),
            Box::new(m20261205_000001_charge_codes::Migration),
            Box::new(m20261206_000001_issue_order::Migration),
            Box::new(m20261207_000001_issue_counts::Migration),
            Box::new(m20261208_000001_open_index::Migration),
            Box::new(m20261209_000001_attachment_indexes::Migration),
            Box::new(m20261210_000001_charge_totals::Migration),
            Box::new(m20261211_000001_attachment_issue::Migration),
            Box::new(m20261212_000001_charge_unit_index::Migration),
            Box::new(m20261213_000001_unit_list_indexes::Migration),
            Box::new(m20261214_000001_history_head::Migration),
            Box::new(m20261215_000001_issue_final::Migration),
            Box::new(m20261216_000001_issue_total::Migration),
            Box::new(m20261217_000001_timers_standing::Migration),
            Box::new(m20261218_000001_charges_quarter_order::Migration),
            Box::new(m20261218_000002_outbox_claim::Migration),
            Box::new(m20261219_000001_record_indexes::Migration),
            Box::new(m20261219_000002_issue_final_tier::Migration),
            Box::new(m20261219_000003_unsealed_moves::Migration),
        ]
    }
}
