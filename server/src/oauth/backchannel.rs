//! OIDC Back-Channel Logout 1.0: when a session ends, every client that
//! received tokens in it and registered a `backchannel_logout_uri` gets a
//! logout token POSTed to it (§2.5). Notices wait in a persistent outbox
//! (see `store::outbox`); this module signs the tokens and makes the
//! attempts: 5 s each, retried with exponential backoff for a day, each
//! attempt made by exactly one replica.

use std::time::Duration;

use futures_util::StreamExt;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use super::{OAuthError, Provider};
use crate::domain::crypto::random_token;
use crate::domain::{Client, LogoutNotice};

/// `typ` of logout tokens (§2.4).
pub const LOGOUT_TOKEN_TYP: &str = "logout+jwt";
/// The member of `events` that makes a JWT a logout token (§2.4).
pub const BACKCHANNEL_LOGOUT_EVENT: &str = "http://schemas.openid.net/event/backchannel-logout";
/// How long a logout token is valid: long enough for one delivery.
const LOGOUT_TOKEN_LIFETIME: i64 = 120;
/// Deliveries under way at once, so one slow client does not hold up the rest.
const CONCURRENT_DELIVERIES: usize = 16;

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
/// at most [`LogoutNotice::ATTEMPT_TIMEOUT_SECS`] per attempt.
#[derive(Clone, Debug)]
pub struct BackchannelClient {
    http: reqwest::Client,
}

impl BackchannelClient {
    pub fn new() -> Result<Self, reqwest::Error> {
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(LogoutNotice::ATTEMPT_TIMEOUT_SECS))
            .user_agent(concat!("Tessera/", env!("CARGO_PKG_VERSION")))
            .build()?;
        Ok(Self { http })
    }

    /// POST `logout_token` to `uri`; `Err` describes the failure (never the token).
    async fn deliver(&self, uri: &str, logout_token: &str) -> Result<(), String> {
        let response = self
            .http
            .post(uri)
            .form(&[("logout_token", logout_token)])
            .send()
            .await
            .map_err(|e| {
                if e.is_timeout() {
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
            jti: random_token(16),
            sid: notice.sid.to_string(),
            events,
        };
        self.keys()
            .sign(client.id_token_alg, LOGOUT_TOKEN_TYP, &claims, now)
            .map_err(|e| OAuthError::internal("signing logout token", e))
    }

    /// Attempt every notice that is due: the outbox worker's one pass.
    pub async fn deliver_due_notices(&self, now: i64) -> Result<DeliveryReport, OAuthError> {
        let due = self.store.due_notices(now, 200).await?;
        let outcomes: Vec<Result<Attempt, OAuthError>> = futures_util::stream::iter(due)
            .map(|notice| self.attempt(notice, now))
            .buffer_unordered(CONCURRENT_DELIVERIES)
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

    async fn attempt(&self, notice: LogoutNotice, now: i64) -> Result<Attempt, OAuthError> {
        if !self.store.claim_notice(&notice.id, now).await? {
            return Ok(Attempt::Skipped);
        }
        let attempts = notice.attempts + 1;
        let client = self.store.client_by_id(notice.client_id.as_str()).await?;
        let result = match client
            .as_ref()
            .and_then(|c| c.logout.backchannel_logout_uri.as_ref().map(|u| (c, u)))
        {
            None => Err("the client no longer has a back-channel logout URI".to_string()),
            Some((client, uri)) => {
                let token = self.logout_token(client, &notice, now)?;
                self.backchannel.deliver(uri.as_str(), &token).await
            }
        };
        match result {
            Ok(()) => {
                self.store.notice_delivered(&notice.id, now).await?;
                tracing::info!(client_id = %notice.client_id, attempts, "back-channel logout delivered");
                Ok(Attempt::Delivered)
            }
            Err(error) => {
                let give_up = notice.gives_up_at(now) || client.is_none();
                let retry_at = (!give_up).then(|| now + LogoutNotice::retry_delay(attempts));
                self.store
                    .notice_failed(&notice.id, &error, retry_at)
                    .await?;
                tracing::warn!(client_id = %notice.client_id, attempts, %error, give_up,
                    "back-channel logout failed");
                Ok(if give_up {
                    Attempt::Abandoned
                } else {
                    Attempt::Failed
                })
            }
        }
    }
}
