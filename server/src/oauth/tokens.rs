//! The tokens Tessera signs: ID tokens (OIDC Core §2, §3.1.3.6) and JWT access
//! tokens (RFC 9068), plus the JSON of a successful token response
//! (RFC 6749 §5.1). Refresh tokens are opaque random strings.

use serde::{Deserialize, Serialize};

use super::keys::VerifyError;
use super::{OAuthError, Provider};
use crate::domain::crypto::{b64url, random_token, sha256, sha512};
use crate::domain::{Client, Grant, Scopes, SigningAlg};

/// `typ` of JWT access tokens (RFC 9068 §2.1).
pub const ACCESS_TOKEN_TYP: &str = "at+jwt";
const ACCESS_TOKEN_TYPES: [&str; 2] = [ACCESS_TOKEN_TYP, "application/at+jwt"];

/// The claims of a JWT access token (RFC 9068 §2.2).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct AccessTokenClaims {
    pub iss: String,
    pub sub: String,
    pub aud: String,
    pub exp: i64,
    pub iat: i64,
    pub jti: String,
    pub client_id: String,
    pub scope: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth_time: Option<i64>,
    /// The grant the token belongs to; revoking the grant revokes the token.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gid: Option<String>,
}

/// The claims of an ID token (OIDC Core §2).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct IdTokenClaims {
    pub iss: String,
    pub sub: String,
    pub aud: String,
    pub exp: i64,
    pub iat: i64,
    pub auth_time: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nonce: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at_hash: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sid: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub amr: Vec<String>,
}

/// A successful token response (RFC 6749 §5.1, OIDC Core §3.1.3.3).
#[derive(Debug, Serialize)]
pub struct TokenResponse {
    pub access_token: String,
    pub token_type: &'static str,
    pub expires_in: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id_token: Option<String>,
    pub scope: String,
}

/// `at_hash`: the left half of the hash of the access token, with the hash
/// of the ID token's algorithm (SHA-512 for Ed25519), base64url.
pub fn at_hash(access_token: &str, alg: SigningAlg) -> String {
    let digest = match alg {
        SigningAlg::RS256 | SigningAlg::ES256 => sha256(access_token.as_bytes()),
        SigningAlg::EdDSA => sha512(access_token.as_bytes()),
    };
    b64url(&digest[..digest.len() / 2])
}

impl Provider {
    /// Sign an access token for `grant`, limited to `scope`.
    pub(super) fn access_token(
        &self,
        grant: &Grant,
        scope: &Scopes,
        now: i64,
    ) -> Result<String, OAuthError> {
        let claims = AccessTokenClaims {
            iss: self.config.issuer.clone(),
            sub: grant.user_id.to_string(),
            aud: grant.client_id.to_string(),
            exp: now + self.config.access_token_lifetime,
            iat: now,
            jti: random_token(16),
            client_id: grant.client_id.to_string(),
            scope: scope.to_string(),
            auth_time: Some(grant.auth_time),
            gid: Some(grant.id.clone()),
        };
        self.keys
            .sign(SigningAlg::RS256, ACCESS_TOKEN_TYP, &claims)
            .map_err(|e| OAuthError::internal("signing access token", e))
    }

    /// Sign an ID token for `client`, with the client's algorithm.
    pub(super) fn id_token(
        &self,
        client: &Client,
        grant: &Grant,
        nonce: Option<&str>,
        access_token: &str,
        now: i64,
    ) -> Result<String, OAuthError> {
        let alg = client.id_token_alg;
        let claims = IdTokenClaims {
            iss: self.config.issuer.clone(),
            sub: grant.user_id.to_string(),
            aud: client.id.to_string(),
            exp: now + self.config.id_token_lifetime,
            iat: now,
            auth_time: grant.auth_time,
            nonce: nonce.map(str::to_string),
            at_hash: Some(at_hash(access_token, alg)),
            sid: grant.session_sid.clone(),
            amr: grant.amr.clone(),
        };
        self.keys
            .sign(alg, "JWT", &claims)
            .map_err(|e| OAuthError::internal("signing ID token", e))
    }

    /// Verify a presented access token: our signature, `typ: at+jwt`, not
    /// expired, and neither the token nor its grant revoked.
    pub async fn verify_access_token(
        &self,
        token: &str,
        now: i64,
    ) -> Result<AccessTokenClaims, OAuthError> {
        let claims: AccessTokenClaims = self
            .keys
            .verify(token, &ACCESS_TOKEN_TYPES, &self.config.issuer)
            .map_err(|e: VerifyError| OAuthError::invalid_token(e.to_string()))?;
        if now >= claims.exp {
            return Err(OAuthError::invalid_token("the access token has expired"));
        }
        if let Some(gid) = &claims.gid {
            let revoked = self
                .store
                .grant_by_id(gid)
                .await?
                .is_none_or(|g| g.is_revoked());
            if revoked {
                return Err(OAuthError::invalid_token(
                    "the access token has been revoked",
                ));
            }
        }
        Ok(claims)
    }

    /// A new opaque refresh token: 256 random bits.
    pub(super) fn new_refresh_token() -> String {
        random_token(32)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn at_hash_matches_the_oidc_example() {
        // OIDC Core A.3: at_hash of "jHkWEdUXMU1BwAsC4vtUsZwnNvTIxEl0z9K3vx5KF0Y" with RS256.
        assert_eq!(
            at_hash(
                "jHkWEdUXMU1BwAsC4vtUsZwnNvTIxEl0z9K3vx5KF0Y",
                SigningAlg::RS256
            ),
            "77QmUPtjPfzWtF2AnpK9RQ"
        );
    }
}
