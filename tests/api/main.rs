//! Tessera's API tests: one binary, a real server per test (port 0, fresh
//! database), driven by real clients. See `helpers` for the harness.

// A failed expectation in a test or its harness is a test failure.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod admin_api;
mod admin_rules;
mod atomicity;
mod authorize;
mod backchannel;
mod browser;
mod cli;
mod client_credentials;
mod consent;
mod console;
mod cors;
mod crash;
mod deploy;
mod discovery;
mod faults;
mod forward_auth;
mod gateway;
mod groups;
mod hardening;
mod harness;
mod health;
mod helpers;
mod introspection;
mod jwt;
mod keys;
mod login;
mod logout;
mod logs;
mod oauth;
mod outages;
mod postgres_restart;
mod races;
mod refresh;
mod relying_party;
mod replicas;
mod revocation;
mod revocation_outage;
mod rp;
mod service_examples;
mod services;
mod sessions;
mod token;
mod userinfo;
mod whoami;
