//! Types with invariants and no I/O: users, clients, sessions, grants and the
//! small value types (`Username`, `RedirectUri`, `Scopes`, …) that wire strings
//! are parsed into at the edge. Nothing here imports another Tessera module.

pub mod address;
pub mod api;
pub mod app;
pub mod audit;
pub mod authorization;
pub mod client;
pub mod crypto;
pub mod ending;
pub mod error;
pub mod gateway;
pub mod grant;
pub mod group;
pub mod notice;
pub mod password;
pub mod redirect_uri;
pub mod scope;
pub mod secret;
pub mod session;
pub mod signing_key;
pub mod user;

pub use api::{
    Api, ApiAllowance, ApiIdentifier, Entitlements, OpaqueToken, Resource, Role, RoleName,
    TokenFormat,
};
pub use app::{App, AppHost};
pub use audit::{AuditEvent, AuditRecord};
pub use authorization::{AuthorizationCode, AuthorizationRequest, PendingAuthorization, Prompt};
pub use client::{
    AuthMethod, Client, ClientId, ClientSecretHash, ClientSpec, GrantType, LogoutRegistration,
    SigningAlg,
};
pub use ending::{Actor, EndReason, EndTarget, EndedSession, SessionsEnded};
pub use error::DomainError;
pub use gateway::{GatewayIdentity, ReturnUrl};
pub use grant::{Grant, RefreshTokenRecord, RefreshTokenStatus};
pub use group::{Group, GroupName};
pub use notice::{DeliveryStatus, LogoutNotice, NoticeState};
pub use password::PasswordHash;
pub use redirect_uri::{RedirectUri, RedirectUriPolicy};
pub use scope::Scopes;
pub use secret::Secret;
pub use session::{Session, SessionId, SessionLifetimes, SessionListing};
pub use signing_key::{KeyState, SigningKeyMaterial};
pub use user::{Email, Profile, User, UserId, Username};
