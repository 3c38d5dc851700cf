//! Refusing revoked tokens without waiting for them to expire, the two ways
//! Tessera documents:
//!
//! - **Redis marks**: Tessera writes `{prefix}revoked:jti:{jti}`,
//!   `{prefix}revoked:sid:{sid}`, `{prefix}revoked:grant:{gid}` and
//!   `{prefix}revoked:kid:{kid}`, each until the tokens it covers have
//!   expired, and keeps `{prefix}revoked:ready` while the marks are complete.
//!   A token is revoked if any of its keys exists; without `revoked:ready`
//!   (Redis restarted empty) the marks cannot be trusted and the answer is
//!   "revoked" until Tessera has replayed them, within a second.
//! - **Introspection**: `POST /introspect` with this service's own client
//!   credentials (the API names the client with `api update --introspector`);
//!   `active: false` means refused.

use redis::AsyncCommands;

/// How this service learns of revocations.
pub enum Revocations {
    Redis {
        redis: redis::aio::ConnectionManager,
        prefix: String,
    },
    Introspection {
        http: reqwest::Client,
        url: String,
        client_id: String,
        client_secret: String,
    },
}

impl std::fmt::Debug for Revocations {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Revocations::Redis { prefix, .. } => write!(f, "Redis marks under {prefix:?}"),
            Revocations::Introspection { url, client_id, .. } => {
                write!(f, "introspection at {url} as {client_id}")
            }
        }
    }
}

/// What identifies a token to the revocation contract.
#[derive(Clone, Debug, Default)]
pub struct TokenIds<'a> {
    pub jti: &'a str,
    pub sid: Option<&'a str>,
    pub gid: Option<&'a str>,
    pub kid: Option<&'a str>,
}

impl Revocations {
    /// Redis marks at `url` under `prefix` (Tessera's `redis_prefix`).
    pub async fn redis(url: &str, prefix: &str) -> Result<Self, String> {
        let client = redis::Client::open(url).map_err(|e| e.to_string())?;
        let redis = redis::aio::ConnectionManager::new(client)
            .await
            .map_err(|e| e.to_string())?;
        Ok(Revocations::Redis {
            redis,
            prefix: prefix.to_string(),
        })
    }

    /// Is the token revoked? An error or an incomplete set of marks counts
    /// as revoked: a service never lets a token through on doubt.
    pub async fn is_revoked(&self, token: &str, ids: &TokenIds<'_>) -> bool {
        match self {
            Revocations::Redis { redis, prefix } => {
                let mut keys = vec![format!("{prefix}revoked:jti:{}", ids.jti)];
                for (kind, value) in [("sid", ids.sid), ("grant", ids.gid), ("kid", ids.kid)] {
                    if let Some(value) = value {
                        keys.push(format!("{prefix}revoked:{kind}:{value}"));
                    }
                }
                let mut redis = redis.clone();
                let marked: Result<u64, _> = redis.exists(&keys).await;
                let ready: Result<bool, _> = redis.exists(format!("{prefix}revoked:ready")).await;
                !matches!((marked, ready), (Ok(0), Ok(true)))
            }
            Revocations::Introspection {
                http,
                url,
                client_id,
                client_secret,
            } => {
                let answer = http
                    .post(url)
                    .basic_auth(client_id, Some(client_secret))
                    .form(&[("token", token)])
                    .send()
                    .await;
                let Ok(answer) = answer else { return true };
                let Ok(body) = answer.bytes().await else {
                    return true;
                };
                let active = serde_json::from_slice::<serde_json::Value>(&body)
                    .ok()
                    .and_then(|v| v["active"].as_bool());
                active != Some(true)
            }
        }
    }
}
