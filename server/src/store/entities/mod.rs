//! sea-orm entities: row shapes only. Nothing outside `store` sees them.

pub mod admin_sessions;
pub mod api_introspectors;
pub mod api_roles;
pub mod apis;
pub mod app_groups;
pub mod app_users;
pub mod apps;
pub mod audit_events;
pub mod client_apis;
pub mod clients;
pub mod consents;
pub mod grants;
pub mod groups;
pub mod logout_notices;
pub mod mark_outbox;
pub mod opaque_tokens;
pub mod refresh_tokens;
pub mod role_groups;
pub mod role_users;
pub mod sessions;
pub mod signing_keys;
pub mod token_denylist;
pub mod user_groups;
pub mod users;
