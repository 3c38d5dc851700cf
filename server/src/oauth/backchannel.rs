//! OIDC Back-Channel Logout 1.0: when a session ends, every client that
//! received tokens in it and registered a `backchannel_logout_uri` gets a
//! logout token POSTed to it (§2.5). Notices wait in a persistent outbox
//! (see `store::outbox`); this module signs the tokens and makes the
//! attempts: 5 s each, retried with exponential backoff for a day, each
//! attempt made by one replica at a time (under a lease). Delivery is at
//! least once: an attempt whose answer was lost is made again, with the
//! same `jti`.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use futures_util::StreamExt;
use ipnet::IpNet;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use super::{OAuthError, Provider};
use crate::clock::Clock;
use crate::domain::{Client, LogoutNotice};

/// `typ` of logout tokens (§2.4).
pub const LOGOUT_TOKEN_TYP: &str = "logout+jwt";
/// The member of `events` that makes a JWT a logout token (§2.4).
pub const BACKCHANNEL_LOGOUT_EVENT: &str = "http://schemas.openid.net/event/backchannel-logout";
/// How long a logout token is valid: long enough for one delivery.
const LOGOUT_TOKEN_LIFETIME: i64 = 120;
/// Deliveries under way at once by default, so one slow client does not
/// hold up the rest.
pub const CONCURRENT_DELIVERIES: usize = 16;

/// The claims of a logout token (§2.4): no `nonce`, ever.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct LogoutTokenClaims {
    pub iss: String,
    pub sub: String,
    pub aud: String,
    pub iat: i64,
    pub exp: i64,
    pub jti: String,
    pub sid: String,
    pub events: Map<String, Value>,
}

/// The HTTP client that delivers logout tokens: no redirects followed (§2.5),
/// at most [`LogoutNotice::ATTEMPT_TIMEOUT_SECS`] per attempt, no proxy from
/// the environment, and only to public addresses (plus the internal networks
/// an operator allowed), checked on the addresses a name resolves to, so a
/// registered URI cannot make Tessera probe its own network.
#[derive(Clone, Debug)]
pub struct BackchannelClient {
    http: reqwest::Client,
    guard: Arc<AddressGuard>,
}

/// Which addresses deliveries may reach.
#[derive(Debug)]
struct AddressGuard {
    allowed_internal: Vec<IpNet>,
}

/// A name that resolves to no address a delivery may reach.
#[derive(Debug, thiserror::Error)]
#[error("the host resolves to no public address")]
struct NotPublic;

impl AddressGuard {
    fn allows(&self, ip: IpAddr) -> bool {
        let ip = ip.to_canonical();
        is_public(ip) || self.allowed_internal.iter().any(|net| net.contains(&ip))
    }
}

impl reqwest::dns::Resolve for AddressGuard {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let allowed_internal = self.allowed_internal.clone();
        Box::pin(async move {
            let guard = AddressGuard { allowed_internal };
            let addrs: Vec<SocketAddr> = tokio::net::lookup_host((name.as_str(), 0))
                .await?
                .filter(|addr| guard.allows(addr.ip()))
                .collect();
            if addrs.is_empty() {
                return Err(Box::new(NotPublic) as Box<dyn std::error::Error + Send + Sync>);
            }
            Ok(Box::new(addrs.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

/// Is `ip` on the public internet? Not loopback, unspecified, private
/// (RFC 1918), shared (RFC 6598), link-local, unique-local (RFC 4193),
/// multicast, broadcast, documentation, benchmarking or reserved.
pub fn is_public(ip: IpAddr) -> bool {
    match ip.to_canonical() {
        IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            !(v4.is_unspecified()
                || v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_multicast()
                || v4.is_broadcast()
                || v4.is_documentation()
                || a == 0
                || a >= 240
                || (a == 100 && (64..128).contains(&b))
                || (a == 198 && (b == 18 || b == 19))
                || (a == 192 && b == 0 && v4.octets()[2] == 0))
        }
        IpAddr::V6(v6) => {
            let first = v6.segments()[0];
            !(v6.is_unspecified()
                || v6.is_loopback()
                || v6.is_multicast()
                || (first & 0xfe00) == 0xfc00
                || (first & 0xffc0) == 0xfe80
                || (first & 0xffc0) == 0xfec0
                || (first == 0x2001 && v6.segments()[1] == 0x0db8)
                || (first == 0x0064 && v6.segments()[1] == 0xff9b))
        }
    }
}

impl BackchannelClient {
    /// A client that may reach public addresses and `allowed_internal`.
    pub fn new(allowed_internal: Vec<IpNet>) -> Result<Self, reqwest::Error> {
        let guard = Arc::new(AddressGuard { allowed_internal });
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(LogoutNotice::ATTEMPT_TIMEOUT_SECS))
            .no_proxy()
            .dns_resolver(guard.clone())
            .user_agent(concat!("Tessera/", env!("CARGO_PKG_VERSION")))
            .build()?;
        Ok(Self { http, guard })
    }

    /// POST `logout_token` to `uri`; `Err` describes the failure (never the token).
    async fn deliver(&self, uri: &str, logout_token: &str) -> Result<(), String> {
        // An address written into the URI is checked here (no resolution);
        // a name, as it resolves.
        let literal = url::Url::parse(uri).ok().and_then(|url| match url.host() {
            Some(url::Host::Ipv4(ip)) => Some(IpAddr::V4(ip)),
            Some(url::Host::Ipv6(ip)) => Some(IpAddr::V6(ip)),
            _ => None,
        });
        if literal.is_some_and(|ip| !self.guard.allows(ip)) {
            return Err("refused: not a public address".to_string());
        }
        let response = self
            .http
            .post(uri)
            .form(&[("logout_token", logout_token)])
            .send()
            .await
            .map_err(|e| {
                if is_not_public(&e) {
                    "refused: the host resolves to no public address".to_string()
                } else if e.is_timeout() {
                    format!("no answer within {} s", LogoutNotice::ATTEMPT_TIMEOUT_SECS)
                } else if e.is_connect() {
                    "connection failed".to_string()
                } else {
                    format!("request failed: {}", e.without_url())
                }
            })?;
        // §2.8: 200 means the logout succeeded; 204 is accepted as well.
        match response.status().as_u16() {
            200 | 204 => Ok(()),
            status => Err(format!("HTTP {status}")),
        }
    }
}

/// Was this failure our resolver refusing the name?
fn is_not_public(err: &reqwest::Error) -> bool {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(err);
    while let Some(current) = source {
        if current.downcast_ref::<NotPublic>().is_some() {
            return true;
        }
        source = current.source();
    }
    false
}

/// What one pass over the outbox did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DeliveryReport {
    pub delivered: u32,
    pub failed: u32,
    pub abandoned: u32,
    /// Due, but claimed by another replica first.
    pub skipped: u32,
}

enum Attempt {
    Delivered,
    Failed,
    Abandoned,
    Skipped,
}

impl Provider {
    /// The logout token telling `client` that session `notice.sid` ended,
    /// signed like the client's ID tokens.
    pub fn logout_token(
        &self,
        client: &Client,
        notice: &LogoutNotice,
        now: i64,
    ) -> Result<String, OAuthError> {
        let mut events = Map::new();
        events.insert(BACKCHANNEL_LOGOUT_EVENT.to_string(), json!({}));
        let claims = LogoutTokenClaims {
            iss: self.config.issuer.clone(),
            sub: notice.sub.to_string(),
            aud: client.id.to_string(),
            iat: now,
            exp: now + LOGOUT_TOKEN_LIFETIME,
            // The notice's own id: a retry of the same notice carries the
            // same `jti`, so an application that got it twice can tell.
            jti: notice.id.clone(),
            sid: notice.sid.to_string(),
            events,
        };
        self.keys()
            .sign(client.id_token_alg, LOGOUT_TOKEN_TYP, &claims, now)
            .map_err(|e| OAuthError::internal("signing logout token", e))
    }

    /// Attempt every notice that is due: the outbox worker's one pass.
    /// The clock is read for each claim and each outcome, never once for
    /// the pass: a pass can outlast a lease, and a lease taken with an old
    /// time would be over before its attempt began. Once `stopping` is
    /// set, no new attempt begins; those under way finish.
    pub async fn deliver_due_notices(
        &self,
        pass: &DeliveryPass<'_>,
    ) -> Result<DeliveryReport, OAuthError> {
        let due = self.store.due_notices(pass.clock.now(), 200).await?;
        let outcomes: Vec<Result<Attempt, OAuthError>> = futures_util::stream::iter(due)
            .map(|notice| self.attempt(notice, pass))
            .buffer_unordered(pass.concurrency.max(1))
            .collect()
            .await;
        let mut report = DeliveryReport::default();
        for outcome in outcomes {
            match outcome? {
                Attempt::Delivered => report.delivered += 1,
                Attempt::Failed => report.failed += 1,
                Attempt::Abandoned => report.abandoned += 1,
                Attempt::Skipped => report.skipped += 1,
            }
        }
        Ok(report)
    }

    async fn attempt(
        &self,
        notice: LogoutNotice,
        pass: &DeliveryPass<'_>,
    ) -> Result<Attempt, OAuthError> {
        if pass.stopping.load(Ordering::SeqCst) {
            return Ok(Attempt::Skipped);
        }
        let claimed_at = pass.clock.now();
        let Some(lease) = self.store.claim_notice(&notice.id, claimed_at).await? else {
            return Ok(Attempt::Skipped);
        };
        let attempts = notice.attempts + 1;
        let client = self.store.client_by_id(notice.client_id.as_str()).await?;
        let result = match client
            .as_ref()
            .and_then(|c| c.logout.backchannel_logout_uri.as_ref().map(|u| (c, u)))
        {
            None => Err("the client no longer has a back-channel logout URI".to_string()),
            Some((client, uri)) => {
                let token = self.logout_token(client, &notice, claimed_at)?;
                self.backchannel.deliver(uri.as_str(), &token).await
            }
        };
        let now = pass.clock.now();
        match result {
            Ok(()) => {
                if !self.store.notice_delivered(&notice.id, lease, now).await? {
                    tracing::warn!(client_id = %notice.client_id, attempts,
                        "back-channel logout delivered after its lease ran out; it may be sent again");
                }
                tracing::info!(client_id = %notice.client_id, attempts, "back-channel logout delivered");
                crate::metrics::backchannel_delivery("delivered");
                Ok(Attempt::Delivered)
            }
            Err(error) => {
                let give_up = notice.gives_up_at(now) || client.is_none();
                let retry_at = (!give_up).then(|| now + LogoutNotice::retry_delay(attempts));
                self.store
                    .notice_failed(&notice.id, lease, &error, retry_at)
                    .await?;
                tracing::warn!(client_id = %notice.client_id, attempts, %error, give_up,
                    "back-channel logout failed");
                crate::metrics::backchannel_delivery(if give_up { "abandoned" } else { "failed" });
                Ok(if give_up {
                    Attempt::Abandoned
                } else {
                    Attempt::Failed
                })
            }
        }
    }
}

/// How one delivery pass runs.
pub struct DeliveryPass<'a> {
    /// Read at every claim and outcome.
    pub clock: &'a dyn Clock,
    /// Attempts under way at once.
    pub concurrency: usize,
    /// Set when the server is stopping: no new attempt begins.
    pub stopping: &'a AtomicBool,
}
