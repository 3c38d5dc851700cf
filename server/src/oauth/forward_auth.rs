//! Forward authentication: a reverse proxy asks, for each request to an
//! application it protects, whether to let it through; Tessera answers
//! from the gateway cookie ("session id outside") and, when the answer is
//! yes, with a short-lived JWT for the application ("JWT inside").
//!
//! The hot path makes no store round trip: the identity behind a cookie
//! and the application behind a host are remembered for at most a second
//! (and forgotten at once on any change, see `store::gateway`), and an
//! internal JWT minted for a (session, application) is handed out again
//! until [`REUSE_MARGIN_SECS`] before it expires, as long as nothing in it
//! would read differently.

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::sync::Mutex;

use serde::{Deserialize, Serialize};

use super::{OAuthError, Provider};
use crate::domain::crypto::{random_token, sha256_hex};
use crate::domain::{App, AppHost, GatewayIdentity, ReturnUrl};
use crate::store::TtlCache;

/// `typ` of internal JWTs: no verifier of access or ID tokens accepts it,
/// and an application's verifier accepts nothing else.
pub const INTERNAL_JWT_TYP: &str = "tessera-internal+jwt";
/// How long an internal JWT lives.
pub const INTERNAL_JWT_LIFETIME: i64 = 60;
/// An internal JWT is handed out again until this long before it expires.
pub const REUSE_MARGIN_SECS: i64 = 10;
/// Minted JWTs remembered at once (about a kilobyte each): enough for the
/// sessions that are browsing right now; another session's JWT is minted
/// again, which costs one signature.
const CACHED_JWTS: usize = 4_096;
/// Unknown hosts are logged once per host per this many seconds...
const UNKNOWN_HOST_LOG_SECS: i64 = 60;
/// ...and at most this many lines a minute in all.
const UNKNOWN_HOST_LINES: u64 = 100;

/// The claims of an internal JWT.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct InternalClaims {
    pub iss: String,
    pub sub: String,
    pub aud: String,
    pub sid: String,
    pub iat: i64,
    pub exp: i64,
    pub jti: String,
    pub preferred_username: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    pub groups: Vec<String>,
}

/// The original request, as the proxy describes it.
#[derive(Clone, Debug, Default)]
pub struct ForwardRequest<'a> {
    /// The host the browser asked for (`X-Forwarded-Host`, or the host of
    /// `X-Original-URL`).
    pub host: Option<&'a str>,
    /// The URL the browser asked for, when it can be told.
    pub url: Option<String>,
    /// The gateway cookie's value.
    pub gateway_token: Option<&'a str>,
}

/// What the proxy is told.
#[derive(Debug)]
pub enum ForwardDecision {
    Allowed(Pass),
    /// Nobody is signed in: send the browser to sign in, and back to
    /// `return_to` afterwards when it is a page of this application.
    SignIn {
        return_to: Option<ReturnUrl>,
    },
    /// Signed in, but this application does not allow the user.
    Forbidden {
        app_name: String,
    },
    /// No application is registered for this host.
    UnknownHost,
}

/// What the application receives about an allowed request.
#[derive(Clone, Debug)]
pub struct Pass {
    pub jwt: String,
    pub username: String,
    pub email: String,
    pub name: String,
    /// Comma-joined names.
    pub groups: String,
}

/// What this replica keeps for forward authentication besides the store's
/// copies: minted JWTs, and which unknown hosts it has logged lately.
pub struct ForwardAuthState {
    jwts: TtlCache<(String, String), (String, u64)>,
    unknown_hosts: TtlCache<String, ()>,
    log_window: Mutex<(i64, u64)>,
}

impl Default for ForwardAuthState {
    fn default() -> Self {
        Self {
            jwts: TtlCache::new("gateway_jwts", CACHED_JWTS),
            unknown_hosts: TtlCache::new("unknown_hosts", 10_000),
            log_window: Mutex::new((i64::MIN, 0)),
        }
    }
}

impl std::fmt::Debug for ForwardAuthState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ForwardAuthState").finish_non_exhaustive()
    }
}

impl ForwardAuthState {
    /// Log an unknown host once per host per minute, and a hundred lines a
    /// minute at most however many hosts are tried; whether it logged.
    fn log_unknown_host(&self, host: &str, now: i64) -> bool {
        let key: String = host.chars().take(253).collect();
        if self.unknown_hosts.get(&key, now).is_some() {
            return false;
        }
        self.unknown_hosts
            .insert(key.clone(), (), now + UNKNOWN_HOST_LOG_SECS, now);
        let mut window = self.log_window.lock().unwrap_or_else(|p| p.into_inner());
        if now.saturating_sub(window.0) >= UNKNOWN_HOST_LOG_SECS {
            *window = (now, 0);
        }
        window.1 += 1;
        if window.1 > UNKNOWN_HOST_LINES {
            return false;
        }
        tracing::warn!(host = %key, "forward-auth for a host no application is registered on");
        true
    }
}

/// What an internal JWT says, reduced to a number: a JWT minted for
/// different contents is never handed out for these.
fn fingerprint(app: &App, identity: &GatewayIdentity, kid: &str) -> u64 {
    let mut hasher = DefaultHasher::new();
    (
        &app.audience,
        app.token_alg.as_str(),
        kid,
        identity.user_id.as_str(),
        identity.username.as_str(),
        &identity.name,
        identity.email.as_ref().map(|e| e.as_str()),
        &identity.groups,
    )
        .hash(&mut hasher);
    hasher.finish()
}

/// Header values cannot hold control characters; names never do (they are
/// refused on the way in), but a header must not break if one slipped by.
fn header_safe(value: &str) -> String {
    value.chars().filter(|c| !c.is_control()).collect()
}

impl Provider {
    /// Decide about one proxied request (see the module documentation).
    pub async fn forward_auth(
        &self,
        request: ForwardRequest<'_>,
        now: i64,
    ) -> Result<ForwardDecision, OAuthError> {
        let Some(host) = request.host.and_then(AppHost::from_header) else {
            if let Some(raw) = request.host {
                let _ = self.forward.log_unknown_host(raw, now);
            }
            return Ok(ForwardDecision::UnknownHost);
        };
        let Some(app) = self.store.app_for_host(&host, now).await? else {
            let _ = self.forward.log_unknown_host(host.as_str(), now);
            return Ok(ForwardDecision::UnknownHost);
        };
        let identity = match request
            .gateway_token
            .filter(|t| !t.is_empty() && t.len() <= 128)
        {
            Some(token) => {
                self.store
                    .gateway_identity(&sha256_hex(token.as_bytes()), now)
                    .await?
            }
            None => None,
        };
        let Some(identity) = identity else {
            let allow_http = self.config.issuer.starts_with("http://");
            let return_to = request
                .url
                .as_deref()
                .and_then(|url| ReturnUrl::parse(url, allow_http).ok())
                .filter(|url| url.host() == &app.host);
            return Ok(ForwardDecision::SignIn { return_to });
        };
        if !app.allows(&identity.username, &identity.groups) {
            return Ok(ForwardDecision::Forbidden {
                app_name: app.name.clone(),
            });
        }
        let jwt = self.internal_jwt(&app, &identity, now)?;
        Ok(ForwardDecision::Allowed(Pass {
            jwt,
            username: identity.username.as_str().to_string(),
            email: identity
                .email
                .as_ref()
                .map(|e| header_safe(e.as_str()))
                .unwrap_or_default(),
            name: identity
                .name
                .as_deref()
                .map(header_safe)
                .unwrap_or_default(),
            groups: identity
                .groups
                .iter()
                .map(|g| g.as_str())
                .collect::<Vec<_>>()
                .join(","),
        }))
    }

    /// Where to send a browser after it signed in for an application: `raw`
    /// if it is an http(s) URL of a registered application's host (plain
    /// http only with a plain-http issuer); never anywhere else.
    pub async fn gateway_return(
        &self,
        raw: &str,
        now: i64,
    ) -> Result<Option<ReturnUrl>, OAuthError> {
        let allow_http = self.config.issuer.starts_with("http://");
        let Ok(url) = ReturnUrl::parse(raw, allow_http) else {
            return Ok(None);
        };
        Ok(self.store.app_for_host(url.host(), now).await?.map(|_| url))
    }

    /// Whether browsers get a gateway cookie at all (`cookie_domain`).
    pub fn serves_gateways(&self) -> bool {
        self.config.gateway_cookie
    }

    /// The internal JWT for `identity` at `app`: the one minted before if
    /// it has more than [`REUSE_MARGIN_SECS`] to live and would read the
    /// same, else a new one.
    fn internal_jwt(
        &self,
        app: &App,
        identity: &GatewayIdentity,
        now: i64,
    ) -> Result<String, OAuthError> {
        let keys = self.keys();
        let kid = keys.signing_kid(app.token_alg, now).unwrap_or_default();
        let print = fingerprint(app, identity, kid);
        let key = (identity.sid.to_string(), app.id.clone());
        if let Some((jwt, cached_print)) = self.forward.jwts.get(&key, now)
            && cached_print == print
        {
            return Ok(jwt);
        }
        let claims = InternalClaims {
            iss: self.config.issuer.clone(),
            sub: identity.user_id.to_string(),
            aud: app.audience.clone(),
            sid: identity.sid.to_string(),
            iat: now,
            exp: now + INTERNAL_JWT_LIFETIME,
            jti: random_token(16),
            preferred_username: identity.username.as_str().to_string(),
            name: identity.name.clone(),
            email: identity.email.as_ref().map(|e| e.as_str().to_string()),
            groups: identity.groups.iter().map(ToString::to_string).collect(),
        };
        let jwt = keys
            .sign(app.token_alg, INTERNAL_JWT_TYP, &claims, now)
            .map_err(|e| OAuthError::internal("signing an internal JWT", e))?;
        self.forward.jwts.insert(
            key,
            (jwt.clone(), print),
            claims.exp - REUSE_MARGIN_SECS,
            now,
        );
        Ok(jwt)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unknown_host_is_logged_once_a_minute_and_a_flood_of_them_a_hundred_times() {
        let state = ForwardAuthState::default();
        assert!(state.log_unknown_host("a.example.test", 1000));
        assert!(!state.log_unknown_host("a.example.test", 1059));
        assert!(state.log_unknown_host("a.example.test", 1060));
        let logged = (0..10_000)
            .filter(|i| state.log_unknown_host(&format!("h{i}.example.test"), 2000))
            .count();
        assert_eq!(logged as u64, UNKNOWN_HOST_LINES);
        assert!(
            state.log_unknown_host("late.example.test", 2060),
            "a new minute"
        );
    }
}
