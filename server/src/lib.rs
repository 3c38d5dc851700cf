//! Tessera: an OpenID Connect provider.
//!
//! - [`domain`]: types with invariants, no I/O (users, clients, sessions, grants)
//! - [`store`]: the database and the ephemeral store; the only code with SQL or Redis
//! - [`oauth`]: the protocol core, free of web-framework types, clock injected
//! - [`admin`]: provisioning use-cases shared by the CLI and the server
//! - [`http`]: thin actix-web handlers and the hosted pages
//! - [`config`], [`startup`], [`state`], [`clock`], [`telemetry`], [`cli`]: wiring

pub mod admin;
pub mod cli;
pub mod clock;
pub mod config;
pub mod domain;
pub mod http;
pub mod metrics;
pub mod oauth;
pub mod startup;
pub mod state;
pub mod store;
pub mod telemetry;
