//! Verifying the internal JWT a gateway in front of Tessera passes on
//! (`X-Internal-JWT`): signed by a key in Tessera's `/jwks`, of type
//! `tessera-internal+jwt`, from the expected issuer, for this application's
//! audience, and not expired. [`Verifier::verify_claims`] does the same for
//! any token type (the example services verify access tokens with it). The key set is fetched once and again when a
//! token names a key it does not hold (a rotation), at most once a second.
//!
//! Nothing else identifies the user: `Remote-User` and the other headers a
//! gateway adds are conveniences, and a request without a valid JWT is
//! refused whatever they say.

use std::collections::HashMap;
use std::str::FromStr;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use tokio::sync::{Mutex, RwLock};

/// The `typ` of Tessera's internal JWTs.
pub const INTERNAL_JWT_TYP: &str = "tessera-internal+jwt";
/// Clock difference tolerated between Tessera and this application.
const LEEWAY_SECS: i64 = 5;
/// The key set is fetched again at most this often (seconds).
const REFETCH_AFTER_SECS: i64 = 1;

/// Who the internal JWT says is signed in.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Identity {
    pub sub: String,
    pub sid: String,
    pub preferred_username: String,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub groups: Vec<String>,
    pub exp: i64,
    pub iat: i64,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum VerifyError {
    #[error("no internal JWT")]
    Missing,
    #[error("not a JWT")]
    Malformed,
    #[error("not an internal JWT (typ)")]
    WrongType,
    #[error("signed by a key Tessera does not publish")]
    UnknownKey,
    #[error("the key set could not be fetched: {0}")]
    KeySet(String),
    #[error("the signature, issuer or audience is not right: {0}")]
    Invalid(String),
    #[error("expired")]
    Expired,
}

/// When a token may be used.
#[derive(Deserialize)]
struct Times {
    exp: i64,
    #[serde(default)]
    iat: Option<i64>,
    #[serde(default)]
    nbf: Option<i64>,
}

struct Keys {
    by_kid: HashMap<String, (DecodingKey, Algorithm)>,
    /// Unix second of the last fetch.
    fetched_at: Option<i64>,
}

/// Verifies internal JWTs for one application.
pub struct Verifier {
    issuer: String,
    audience: String,
    jwks_url: String,
    http: reqwest::Client,
    keys: RwLock<Keys>,
    fetching: Mutex<()>,
}

impl std::fmt::Debug for Verifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Verifier")
            .field("issuer", &self.issuer)
            .field("audience", &self.audience)
            .finish_non_exhaustive()
    }
}

fn now_secs() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

impl Verifier {
    /// `issuer`: Tessera's issuer URL; `audience`: this application's
    /// (`https://HOST` unless registered otherwise); `jwks_url`: where this
    /// application reaches Tessera's `/jwks`.
    pub fn new(issuer: &str, audience: &str, jwks_url: &str) -> Self {
        Self {
            issuer: issuer.to_string(),
            audience: audience.to_string(),
            jwks_url: jwks_url.to_string(),
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(5))
                .build()
                .unwrap_or_default(),
            keys: RwLock::new(Keys {
                by_kid: HashMap::new(),
                fetched_at: None,
            }),
            fetching: Mutex::new(()),
        }
    }

    /// Verify `token` now.
    pub async fn verify(&self, token: &str) -> Result<Identity, VerifyError> {
        self.verify_at(token, now_secs()).await
    }

    /// Verify `token` as of `now` (Unix seconds).
    pub async fn verify_at(&self, token: &str, now: i64) -> Result<Identity, VerifyError> {
        self.verify_claims(token, &[INTERNAL_JWT_TYP], now).await
    }

    /// Verify any JWT Tessera signed for this audience, whose `typ` is one
    /// of `types` (compared without case), as of `now`, and read its claims.
    pub async fn verify_claims<C: DeserializeOwned>(
        &self,
        token: &str,
        types: &[&str],
        now: i64,
    ) -> Result<C, VerifyError> {
        let token = token.trim();
        if token.is_empty() {
            return Err(VerifyError::Missing);
        }
        let header = jsonwebtoken::decode_header(token).map_err(|_| VerifyError::Malformed)?;
        if !header
            .typ
            .as_deref()
            .is_some_and(|t| types.iter().any(|want| t.eq_ignore_ascii_case(want)))
        {
            return Err(VerifyError::WrongType);
        }
        let kid = header.kid.as_deref().ok_or(VerifyError::UnknownKey)?;
        let (key, alg) = self.key(kid, now).await?;
        // The algorithm is the published key's, never the token's say-so:
        // `none`, HMAC with the public key and other confusions fail here.
        if header.alg != alg {
            return Err(VerifyError::Invalid("algorithm".into()));
        }
        let mut validation = Validation::new(alg);
        validation.set_issuer(&[&self.issuer]);
        validation.set_audience(&[&self.audience]);
        validation.validate_exp = false;
        validation.leeway = 0;
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        let data = jsonwebtoken::decode::<serde_json::Value>(token, &key, &validation)
            .map_err(|e| VerifyError::Invalid(e.to_string()))?;
        let times: Times = serde_json::from_value(data.claims.clone())
            .map_err(|e| VerifyError::Invalid(e.to_string()))?;
        if now >= times.exp + LEEWAY_SECS
            || times.iat.is_some_and(|iat| iat > now + LEEWAY_SECS)
            || times.nbf.is_some_and(|nbf| nbf > now + LEEWAY_SECS)
        {
            return Err(VerifyError::Expired);
        }
        serde_json::from_value(data.claims).map_err(|e| VerifyError::Invalid(e.to_string()))
    }

    /// The published key `kid`, fetching the key set again if it is not
    /// known (at most once a second).
    async fn key(&self, kid: &str, now: i64) -> Result<(DecodingKey, Algorithm), VerifyError> {
        if let Some(found) = self.keys.read().await.by_kid.get(kid) {
            return Ok(found.clone());
        }
        let _one_at_a_time = self.fetching.lock().await;
        {
            let keys = self.keys.read().await;
            if let Some(found) = keys.by_kid.get(kid) {
                return Ok(found.clone());
            }
            if keys
                .fetched_at
                .is_some_and(|at| now < at.saturating_add(REFETCH_AFTER_SECS))
            {
                return Err(VerifyError::UnknownKey);
            }
        }
        let fetched = self.fetch().await;
        let mut keys = self.keys.write().await;
        keys.fetched_at = Some(now);
        keys.by_kid = fetched?;
        keys.by_kid.get(kid).cloned().ok_or(VerifyError::UnknownKey)
    }

    async fn fetch(&self) -> Result<HashMap<String, (DecodingKey, Algorithm)>, VerifyError> {
        let failed = |e: String| VerifyError::KeySet(e);
        let body = self
            .http
            .get(&self.jwks_url)
            .send()
            .await
            .and_then(reqwest::Response::error_for_status)
            .map_err(|e| failed(e.to_string()))?
            .bytes()
            .await
            .map_err(|e| failed(e.to_string()))?;
        let set: JwkSet = serde_json::from_slice(&body).map_err(|e| failed(e.to_string()))?;
        let mut by_kid = HashMap::new();
        for jwk in &set.keys {
            let (Some(kid), Some(alg)) = (&jwk.common.key_id, &jwk.common.key_algorithm) else {
                continue;
            };
            let Ok(alg) = Algorithm::from_str(&alg.to_string()) else {
                continue;
            };
            if !matches!(alg, Algorithm::ES256 | Algorithm::RS256 | Algorithm::EdDSA) {
                continue;
            }
            if let Ok(key) = DecodingKey::from_jwk(jwk) {
                by_kid.insert(kid.clone(), (key, alg));
            }
        }
        Ok(by_kid)
    }

    /// When the key set was last fetched (Unix seconds).
    pub async fn fetched_at(&self) -> Option<i64> {
        self.keys.read().await.fetched_at
    }
}
