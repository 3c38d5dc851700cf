//! The door of each service: a bearer access token, verified with
//! Tessera's keys for this service's audience, not revoked, and carrying
//! the permission the route needs.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};
use tessera_whoami::Verifier;

use crate::revocation::{Revocations, TokenIds};

/// `typ` of Tessera's access tokens (RFC 9068 §2.1).
pub const ACCESS_TOKEN_TYPES: [&str; 2] = ["at+jwt", "application/at+jwt"];

/// What this service reads from an access token.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct AccessClaims {
    pub sub: String,
    pub client_id: String,
    pub jti: String,
    pub exp: i64,
    #[serde(default)]
    pub scope: String,
    #[serde(default)]
    pub sid: Option<String>,
    #[serde(default)]
    pub gid: Option<String>,
    #[serde(default)]
    pub roles: Vec<String>,
    #[serde(default)]
    pub permissions: Vec<String>,
    /// Who exchanged the token (RFC 8693 §4.1), if anyone.
    #[serde(default)]
    pub act: Option<serde_json::Value>,
}

impl AccessClaims {
    /// A user's token carries the permission (from the user's roles); a
    /// service's own client_credentials token carries it as a scope.
    pub fn may(&self, permission: &str) -> bool {
        if self.sid.is_some() {
            self.permissions.iter().any(|p| p == permission)
        } else {
            self.scope.split(' ').any(|s| s == permission)
        }
    }
}

/// Verifies and authorizes requests for one service.
#[derive(Debug)]
pub struct Guard {
    verifier: Verifier,
    revocations: Revocations,
}

/// Why a request is refused: 401 for no or a bad token, 403 for a missing
/// permission (RFC 6750 §3.1).
#[derive(Debug)]
pub struct Refusal {
    pub status: StatusCode,
    pub error: &'static str,
    pub description: String,
}

impl Refusal {
    pub fn response(&self) -> HttpResponse {
        HttpResponse::build(self.status)
            .insert_header((
                "WWW-Authenticate",
                format!(
                    "Bearer error=\"{}\", error_description=\"{}\"",
                    self.error,
                    self.description.replace('"', "'")
                ),
            ))
            .json(serde_json::json!({ "error": self.error, "error_description": self.description }))
    }

    fn token(description: impl Into<String>) -> Self {
        Self {
            status: StatusCode::UNAUTHORIZED,
            error: "invalid_token",
            description: description.into(),
        }
    }
}

/// The bearer token of a request.
pub fn bearer(req: &HttpRequest) -> Option<&str> {
    req.headers()
        .get("Authorization")?
        .to_str()
        .ok()?
        .strip_prefix("Bearer ")
        .map(str::trim)
}

fn kid_of(token: &str) -> Option<String> {
    jsonwebtoken::decode_header(token).ok()?.kid
}

impl Guard {
    /// `issuer`: Tessera's issuer; `identifier`: this service's API
    /// identifier (the `aud` its tokens must carry); `jwks_url`: where to
    /// fetch Tessera's keys.
    pub fn new(issuer: &str, identifier: &str, jwks_url: &str, revocations: Revocations) -> Self {
        Self {
            verifier: Verifier::new(issuer, identifier, jwks_url),
            revocations,
        }
    }

    /// Let `req` through if its token is good and carries `permission`.
    pub async fn admit(
        &self,
        req: &HttpRequest,
        permission: &str,
    ) -> Result<(String, AccessClaims), Refusal> {
        let token = bearer(req).ok_or_else(|| Refusal::token("an access token is required"))?;
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs() as i64)
            .unwrap_or(0);
        let claims: AccessClaims = self
            .verifier
            .verify_claims(token, &ACCESS_TOKEN_TYPES, now)
            .await
            .map_err(|e| Refusal::token(e.to_string()))?;
        let kid = kid_of(token);
        let ids = TokenIds {
            jti: &claims.jti,
            sid: claims.sid.as_deref(),
            gid: claims.gid.as_deref(),
            kid: kid.as_deref(),
        };
        if self.revocations.is_revoked(token, &ids).await {
            return Err(Refusal::token("the access token has been revoked"));
        }
        if !claims.may(permission) {
            return Err(Refusal {
                status: StatusCode::FORBIDDEN,
                error: "insufficient_scope",
                description: format!("this needs the {permission} permission"),
            });
        }
        Ok((token.to_string(), claims))
    }
}
