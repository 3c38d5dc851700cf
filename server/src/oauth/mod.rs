//! The protocol core: OpenID Connect Core 1.0 and OAuth 2.0 (RFC 6749, 7636,
//! 9068, 9207, 9700) without a web framework. Handlers hand it parsed
//! parameters and the current time; it answers with what to send back.
//!
//! - [`authorize`]: the authorization endpoint and its login/consent detours
//! - [`login`], [`session`], [`consent`]: the hosted pages' use-cases
//! - [`grants`]: the token endpoint, one module per grant type
//! - [`tokens`]: ID token and JWT access token claims, assembled in one place
//! - [`ending`]: the one operation that ends sessions; [`logout`] (sign-out
//!   and RP-initiated logout) and [`backchannel`] (telling the clients)
//! - [`introspect`], [`revoke`]: RFC 7662 and RFC 7009
//! - [`userinfo`], [`metadata`], [`keys`]: the resource and discovery side

pub mod admin_api;
pub mod authorize;
pub mod backchannel;
mod client_auth;
pub mod consent;
pub mod console;
pub mod ending;
pub mod error;
pub mod forward_auth;
pub mod grants;
pub mod introspect;
pub mod key_rotation;
pub mod keys;
pub mod login;
pub mod logout;
pub mod metadata;
pub mod params;
pub mod passwords;
pub mod pkce;
pub mod request;
mod resources;
pub mod revoke;
pub mod session;
pub mod tokens;
pub mod userinfo;

use std::sync::{Arc, RwLock};
use std::time::Duration;

pub use authorize::AuthorizeStep;
pub use client_auth::ClientCredentials;
pub use error::{ErrorCode, OAuthError};
pub use params::{Params, ParamsError};

use crate::domain::SessionLifetimes;
use crate::domain::crypto::Pepper;
use crate::store::Store;
use backchannel::BackchannelClient;
use keys::{KeySealer, KeySet, RotationPolicy};
use passwords::PasswordService;

/// Protocol settings, in seconds.
#[derive(Clone, Debug)]
pub struct ProviderConfig {
    pub issuer: String,
    pub code_lifetime: i64,
    pub access_token_lifetime: i64,
    pub id_token_lifetime: i64,
    pub refresh_token_lifetime: i64,
    pub sessions: SessionLifetimes,
    /// How long a sign-in may take before its parked request is forgotten.
    pub pending_lifetime: i64,
    pub pending_limits: PendingLimits,
    pub login_throttle: LoginThrottle,
    /// Give each session a parent-domain gateway cookie (`cookie_domain`).
    pub gateway_cookie: bool,
    /// Back-channel deliveries under way at once.
    pub backchannel_concurrency: usize,
    pub key_rotation: RotationPolicy,
}

/// Caps on authorization requests parked while their users sign in.
#[derive(Clone, Copy, Debug)]
pub struct PendingLimits {
    pub per_ip: u64,
    pub total: u64,
}

#[derive(Clone, Copy, Debug)]
pub struct LoginThrottle {
    pub max_failures_per_account: u64,
    pub max_failures_per_ip: u64,
    pub window: Duration,
}

/// Everything the protocol needs, shared by all workers.
pub struct Provider {
    store: Store,
    /// Swapped whole when the stored keys change (rotation, here or on
    /// another replica); readers hold an `Arc` of the set they started with.
    keys: RwLock<Arc<KeySet>>,
    sealer: KeySealer,
    /// One rotation at a time in this process (the store's lock covers
    /// other processes on PostgreSQL).
    rotating: tokio::sync::Mutex<()>,
    config: ProviderConfig,
    pepper: Pepper,
    passwords: PasswordService,
    backchannel: BackchannelClient,
    forward: forward_auth::ForwardAuthState,
    /// Access tokens whose signature checked out, by the SHA-256 of the
    /// token, until they expire (see [`Provider::verify_access_token`]).
    /// Only the digest is kept, inline: the claims are read again from the
    /// token, so an entry holds no memory of its own.
    verified: crate::store::TtlCache<[u8; 32], ()>,
}

impl Provider {
    pub fn new(
        store: Store,
        keys: KeySet,
        config: ProviderConfig,
        pepper: Pepper,
        passwords: PasswordService,
        backchannel: BackchannelClient,
    ) -> Self {
        Self {
            store,
            keys: RwLock::new(Arc::new(keys)),
            sealer: KeySealer::new(pepper.clone()),
            rotating: tokio::sync::Mutex::new(()),
            config,
            pepper,
            passwords,
            backchannel,
            forward: forward_auth::ForwardAuthState::default(),
            verified: crate::store::TtlCache::new("verified_tokens", tokens::CACHED_VERIFICATIONS),
        }
    }

    pub fn config(&self) -> &ProviderConfig {
        &self.config
    }

    /// The signing keys as last loaded.
    pub fn keys(&self) -> Arc<KeySet> {
        self.keys.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// The password hashers, for an administrator setting a password.
    pub fn passwords(&self) -> &PasswordService {
        &self.passwords
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    pub fn pepper(&self) -> &Pepper {
        &self.pepper
    }

    fn secs(value: i64) -> Duration {
        Duration::from_secs(u64::try_from(value).unwrap_or(0))
    }
}
