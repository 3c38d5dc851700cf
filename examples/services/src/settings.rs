//! Settings from the environment, shared by both services:
//!
//! - `TESSERA_ISSUER`: Tessera's issuer URL (required)
//! - `TESSERA_URL`: where to reach Tessera (default: the issuer)
//! - `SERVICE_IDENTIFIER`: this service's API identifier (required)
//! - `SERVICE_BIND`: the address to listen on
//! - `SERVICE_CLIENT_ID`, `SERVICE_CLIENT_SECRET`: this service's own
//!   client (introspection, and for the order service the exchange)
//! - `REDIS_URL`, `REDIS_PREFIX` (default `tessera:`): read Tessera's
//!   revocation marks there; without `REDIS_URL`, introspect every token
//!   with the client above

use crate::guard::Guard;
use crate::revocation::Revocations;
use crate::{optional_env, required_env};

#[derive(Clone, Debug)]
pub struct Settings {
    pub issuer: String,
    pub tessera_url: String,
    pub identifier: String,
    pub bind: String,
    pub client_id: Option<String>,
    pub client_secret: Option<String>,
    pub redis_url: Option<String>,
    pub redis_prefix: String,
}

impl Settings {
    pub fn from_env(default_bind: &str) -> Result<Self, String> {
        let issuer = required_env("TESSERA_ISSUER")?;
        Ok(Self {
            tessera_url: optional_env("TESSERA_URL")
                .unwrap_or_else(|| issuer.clone())
                .trim_end_matches('/')
                .to_string(),
            issuer,
            identifier: required_env("SERVICE_IDENTIFIER")?,
            bind: optional_env("SERVICE_BIND").unwrap_or_else(|| default_bind.to_string()),
            client_id: optional_env("SERVICE_CLIENT_ID"),
            client_secret: optional_env("SERVICE_CLIENT_SECRET"),
            redis_url: optional_env("REDIS_URL"),
            redis_prefix: optional_env("REDIS_PREFIX").unwrap_or_else(|| "tessera:".into()),
        })
    }

    /// This service's client credentials, required for introspection and
    /// for exchanging tokens.
    pub fn credentials(&self) -> Result<(String, String), String> {
        match (&self.client_id, &self.client_secret) {
            (Some(id), Some(secret)) => Ok((id.clone(), secret.clone())),
            _ => Err("SERVICE_CLIENT_ID and SERVICE_CLIENT_SECRET are required".into()),
        }
    }

    /// The guard of this service, with the revocation check configured.
    pub async fn guard(&self) -> Result<Guard, String> {
        let revocations = match &self.redis_url {
            Some(url) => Revocations::redis(url, &self.redis_prefix).await?,
            None => {
                let (client_id, client_secret) = self.credentials()?;
                Revocations::Introspection {
                    http: reqwest::Client::new(),
                    url: format!("{}/introspect", self.tessera_url),
                    client_id,
                    client_secret,
                }
            }
        };
        Ok(Guard::new(
            &self.issuer,
            &self.identifier,
            &format!("{}/jwks", self.tessera_url),
            revocations,
        ))
    }
}
