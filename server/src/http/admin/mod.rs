//! Tessera's admin surfaces under `/admin`: the JSON API (`api`) and the
//! console's pages (`console`), over the same use-cases (`crate::admin`).

pub mod api;
mod console;
pub mod console_session;

use actix_web::web;

/// Register the admin API and the console.
pub fn configure(cfg: &mut web::ServiceConfig) {
    api::configure(cfg);
    console::configure(cfg);
}
