//! Tessera's database schema, as frozen history: each migration names its own
//! tables and columns and never imports the server's entities.

pub use sea_orm_migration::prelude::*;

mod m20261122_000001_create_core_tables;
mod m20261202_000001_add_logout_and_revocation;
mod m20261203_000001_admin_console;
mod m20261204_000001_security_review;
mod m20261205_000001_gateway;
mod m20261206_000001_services;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261122_000001_create_core_tables::Migration),
            Box::new(m20261202_000001_add_logout_and_revocation::Migration),
            Box::new(m20261203_000001_admin_console::Migration),
            Box::new(m20261204_000001_security_review::Migration),
            Box::new(m20261205_000001_gateway::Migration),
            Box::new(m20261206_000001_services::Migration),
        ]
    }
}
