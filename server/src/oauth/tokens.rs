//! The tokens Tessera signs: ID tokens (OIDC Core §2, §3.1.3.6) and JWT access
//! tokens (RFC 9068), plus the JSON of a successful token response
//! (RFC 6749 §5.1). Refresh tokens are opaque random strings.

use serde::{Deserialize, Serialize};

use super::keys::{KeySet, VerifyError};
use super::{OAuthError, Provider};
use crate::domain::crypto::{b64url, random_token, sha256, sha256_array, sha256_hex, sha512};
use crate::domain::scope::{EMAIL, GROUPS, is_admin_scope};
use crate::domain::{
    Client, Entitlements, Grant, OpaqueToken, Resource, Scopes, SigningAlg, TokenFormat, UserId,
};

/// How an opaque access token begins: never a JWT (two dots) nor a refresh
/// token (base64url, no dot), so its shape says what it is.
pub const OPAQUE_TOKEN_PREFIX: &str = "at.";

/// Is `token` shaped like one of Tessera's opaque access tokens?
pub fn is_opaque_token(token: &str) -> bool {
    token.starts_with(OPAQUE_TOKEN_PREFIX) && token.bytes().filter(|b| *b == b'.').count() == 1
}

/// `typ` of JWT access tokens (RFC 9068 §2.1).
pub const ACCESS_TOKEN_TYP: &str = "at+jwt";
pub(super) const ACCESS_TOKEN_TYPES: [&str; 2] = [ACCESS_TOKEN_TYP, "application/at+jwt"];

/// Verified access tokens remembered at once, per process (by digest: 48
/// bytes each in the map, nothing beside).
pub const CACHED_VERIFICATIONS: usize = 10_000;

/// The claims of a JWT access token (RFC 9068 §2.2).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct AccessTokenClaims {
    pub iss: String,
    /// The user, or for client_credentials the client itself (§2.2.3).
    pub sub: String,
    pub aud: String,
    pub exp: i64,
    pub iat: i64,
    pub jti: String,
    pub client_id: String,
    pub scope: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth_time: Option<i64>,
    /// The SSO session the token was issued in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sid: Option<String>,
    /// The grant the token belongs to; revoking the grant revokes the token.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gid: Option<String>,
    /// The user's groups, when the `groups` scope was granted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub groups: Option<Vec<String>>,
    /// The user's roles at the API the token is for (that API's only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub roles: Option<Vec<String>>,
    /// The permissions of those roles.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub permissions: Option<Vec<String>>,
    /// The user's email address, in a token for an API when the `email`
    /// scope was granted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// RFC 8693 §4.1: the client that exchanged a token for this one, and
    /// before it whoever exchanged the token it presented.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub act: Option<Act>,
}

/// The actor of an exchanged token (RFC 8693 §4.1), nested for a chain.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct Act {
    pub sub: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub act: Option<Box<Act>>,
}

impl AccessTokenClaims {
    /// Issued to a user (through a grant), not to a client for itself.
    pub fn user_id(&self) -> Option<UserId> {
        self.gid
            .as_ref()
            .map(|_| UserId::from_trusted(self.sub.clone()))
    }
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
    /// The user's groups, when the `groups` scope was granted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub groups: Option<Vec<String>>,
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
    /// RFC 8693 §2.2.1: what a token exchange issued.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub issued_token_type: Option<&'static str>,
}

/// What a token response is made of, whatever the grant.
pub(super) struct Issuance<'a> {
    pub client: &'a Client,
    /// The user's grant; `None` for a client acting for itself.
    pub grant: Option<&'a Grant>,
    /// The access token's scope (the grant's, or narrower).
    pub scope: &'a Scopes,
    /// Issue an ID token (the scope has `openid` and a user is involved).
    pub id_token: bool,
    /// OIDC Core §3.1.2.1: echoed into the ID token of a code exchange only.
    pub nonce: Option<&'a str>,
    /// An opaque refresh token, already stored hashed.
    pub refresh_token: Option<String>,
    /// The API the access token is for (RFC 8707); it decides the token's
    /// algorithm and lifetime.
    pub resource: Option<&'a Resource>,
    /// Another audience (Tessera's admin API); the client itself when
    /// neither this nor `resource` is given.
    pub audience: Option<&'a str>,
    /// What the user's tokens say about them beyond `sub`, read at
    /// issuance: a change is seen by the next token.
    pub about: UserClaims,
}

/// The claims about a user that depend on the scope and the audience.
#[derive(Clone, Debug, Default)]
pub(super) struct UserClaims {
    /// The `groups` claim of both tokens, when the scope has `groups`.
    pub groups: Option<Vec<String>>,
    /// Roles and permissions at the API the access token is for.
    pub entitlements: Option<Entitlements>,
    /// The email address, for an API's token with the `email` scope.
    pub email: Option<String>,
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
    /// Assemble the token response of any grant: the access token (signed
    /// with the client's access-token algorithm), the ID token when asked
    /// for, and the refresh token the grant produced.
    pub(super) async fn issue(
        &self,
        issuance: Issuance<'_>,
        now: i64,
    ) -> Result<TokenResponse, OAuthError> {
        let Issuance {
            client,
            grant,
            scope,
            id_token,
            nonce,
            refresh_token,
            resource,
            audience,
            about,
        } = issuance;
        // Never issued "before" the client's last secret rotation, even
        // within the second of it: such a token would be refused at once.
        let iat = now.max(client.tokens_valid_after);
        let (alg, lifetime) = match resource {
            Some(r) => (r.api.access_token_alg, r.api.lifetime),
            None => (client.access_token_alg, self.config.access_token_lifetime),
        };
        let entitlements = about.entitlements.clone();
        let claims = AccessTokenClaims {
            iss: self.config.issuer.clone(),
            sub: grant.map_or_else(|| client.id.to_string(), |g| g.user_id.to_string()),
            aud: match (resource, audience) {
                (Some(r), _) => r.api.identifier.to_string(),
                (None, Some(aud)) => aud.to_string(),
                (None, None) => client.id.to_string(),
            },
            exp: iat + lifetime,
            iat,
            jti: random_token(16),
            client_id: client.id.to_string(),
            scope: scope.to_string(),
            auth_time: grant.map(|g| g.auth_time),
            sid: grant.and_then(|g| g.session_sid.as_ref().map(|s| s.to_string())),
            gid: grant.map(|g| g.id.clone()),
            groups: about.groups.clone(),
            roles: entitlements.as_ref().map(|e| e.roles.clone()),
            permissions: entitlements.map(|e| e.permissions),
            email: about.email.clone(),
            act: None,
        };
        let access_token = self.mint_access_token(&claims, resource, alg, now).await?;
        let groups = about.groups;
        let id_token = match grant {
            Some(grant) if id_token => {
                Some(self.id_token(client, grant, nonce, &access_token, groups, now)?)
            }
            _ => None,
        };
        Ok(TokenResponse {
            access_token,
            token_type: "Bearer",
            expires_in: claims.exp - now,
            refresh_token,
            id_token,
            scope: scope.to_string(),
            issued_token_type: None,
        })
    }

    /// The access token for `claims`: a JWT signed with `alg`, or for an API
    /// that wants them an opaque handle, stored hashed with its claims.
    pub(super) async fn mint_access_token(
        &self,
        claims: &AccessTokenClaims,
        resource: Option<&Resource>,
        alg: SigningAlg,
        now: i64,
    ) -> Result<String, OAuthError> {
        match resource {
            Some(resource) if resource.api.token_format == TokenFormat::Opaque => {
                let token = format!("{OPAQUE_TOKEN_PREFIX}{}", random_token(32));
                self.store
                    .insert_opaque_token(&OpaqueToken {
                        token_hash: sha256_hex(token.as_bytes()),
                        api_id: resource.api.id.clone(),
                        client_id: crate::domain::ClientId::parse(&claims.client_id)
                            .map_err(|e| OAuthError::internal("opaque token client", e))?,
                        grant_id: claims.gid.clone(),
                        claims: serde_json::to_string(claims)
                            .map_err(|e| OAuthError::internal("opaque token claims", e))?,
                        expires_at: claims.exp,
                        revoked_at: None,
                    })
                    .await?;
                Ok(token)
            }
            _ => self
                .keys()
                .sign(alg, ACCESS_TOKEN_TYP, claims, now)
                .map_err(|e| OAuthError::internal("signing access token", e)),
        }
    }

    /// The claims of an opaque access token, if it was issued, is not
    /// revoked itself, and has not expired.
    async fn opaque_claims(&self, token: &str, now: i64) -> Result<AccessTokenClaims, OAuthError> {
        let unknown =
            || OAuthError::invalid_token("the access token is unknown, revoked or expired");
        let stored = self
            .store
            .opaque_token(&sha256_hex(token.as_bytes()))
            .await?
            .ok_or_else(unknown)?;
        if stored.revoked_at.is_some() || now >= stored.expires_at {
            return Err(unknown());
        }
        serde_json::from_str(&stored.claims)
            .map_err(|e| OAuthError::internal("stored opaque token claims", e))
    }

    /// Sign an ID token for `client`, with the client's algorithm.
    fn id_token(
        &self,
        client: &Client,
        grant: &Grant,
        nonce: Option<&str>,
        access_token: &str,
        groups: Option<Vec<String>>,
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
            sid: grant.session_sid.as_ref().map(|s| s.to_string()),
            amr: grant.amr.clone(),
            groups,
        };
        self.keys()
            .sign(alg, "JWT", &claims, now)
            .map_err(|e| OAuthError::internal("signing ID token", e))
    }

    /// Verify a presented access token: our signature by a key still
    /// published, `typ: at+jwt`, not expired (a signature once checked is
    /// remembered until the token expires: the same token presented again
    /// skips the signature, never the checks below); its client still registered,
    /// still allowed the token's scopes and not rotated since the token was
    /// issued (the client is remembered for at most a second); and neither
    /// the token, its grant nor its key revoked (one store round trip, see
    /// [`crate::store::Store::is_access_token_revoked`]).
    pub async fn verify_access_token(
        &self,
        token: &str,
        now: i64,
    ) -> Result<AccessTokenClaims, OAuthError> {
        let (claims, kid) = if is_opaque_token(token) {
            (self.opaque_claims(token, now).await?, None)
        } else {
            let digest = sha256_array(token.as_bytes());
            let keys = self.keys();
            // A signature checked before: its key must still be published,
            // since a retired or revoked key vouches for nothing, however
            // recently it was checked.
            let remembered = self
                .verified
                .get(&digest, now)
                .and_then(|()| keys.reread::<AccessTokenClaims>(token, now));
            match remembered {
                Some((claims, kid)) => (claims, Some(kid)),
                None => {
                    let claims: AccessTokenClaims = keys
                        .verify(token, &ACCESS_TOKEN_TYPES, &self.config.issuer, now)
                        .map_err(|e: VerifyError| OAuthError::invalid_token(e.to_string()))?;
                    let kid = KeySet::kid_of(token);
                    if kid.is_some() {
                        self.verified.insert(digest, (), claims.exp, now);
                    }
                    (claims, kid)
                }
            }
        };
        if now >= claims.exp {
            return Err(OAuthError::invalid_token("the access token has expired"));
        }
        self.check_token_client(&claims).await?;
        if self
            .store
            .is_access_token_revoked(
                &claims.jti,
                claims.gid.as_deref(),
                kid.as_deref(),
                claims.exp,
                now,
            )
            .await?
        {
            return Err(OAuthError::invalid_token(
                "the access token has been revoked",
            ));
        }
        Ok(claims)
    }

    /// An access token stands only as long as its client's registration
    /// vouches for it: the client exists, still may have the token's
    /// scopes, and has not had its secret rotated since the token was issued.
    async fn check_token_client(&self, claims: &AccessTokenClaims) -> Result<(), OAuthError> {
        let client = self
            .store
            .client_by_id(&claims.client_id)
            .await?
            .ok_or_else(|| {
                OAuthError::invalid_token("the access token's client no longer exists")
            })?;
        if claims.iat < client.tokens_valid_after {
            return Err(OAuthError::invalid_token(
                "the access token was issued before its client's secret was rotated",
            ));
        }
        let scope = Scopes::parse(&claims.scope)
            .map_err(|_| OAuthError::invalid_token("the access token's scope is malformed"))?;
        let mut allowed = client.allowed_scopes();
        if claims.aud != claims.client_id && claims.aud != self.admin_api_audience() {
            // A token for an API stands while its client may still have
            // tokens for that API, within the scopes it may still have.
            let resource = self
                .store
                .resource_for(&client.id, &claims.aud)
                .await?
                .filter(|r| r.direct() || r.exchange())
                .ok_or_else(|| {
                    OAuthError::invalid_token(
                        "the access token's client may no longer have tokens for its API",
                    )
                })?;
            allowed = allowed.union(&resource.allowed_scopes());
        }
        if !scope.is_subset(&allowed) {
            return Err(OAuthError::invalid_token(
                "the access token's scopes are no longer allowed to its client",
            ));
        }
        if claims.gid.is_some() && scope.iter().any(is_admin_scope) {
            return Err(OAuthError::invalid_token(
                "admin scopes are never granted to a user's token",
            ));
        }
        Ok(())
    }

    /// The `groups` claim for a token of `scope` issued to `user`: their
    /// groups' names as they are now, if the scope asks for them.
    pub(super) async fn groups_claim(
        &self,
        user: &UserId,
        scope: &Scopes,
    ) -> Result<Option<Vec<String>>, OAuthError> {
        if !scope.contains(GROUPS) {
            return Ok(None);
        }
        let names = self.store.groups_of_user(user).await?;
        Ok(Some(names.into_iter().map(|g| g.to_string()).collect()))
    }

    /// What a token of `scope` for `resource` (or for the client itself)
    /// says about `user`, as it is now: groups when asked for; for an API,
    /// the user's roles and permissions there, and the email address when
    /// the scope asks for it.
    pub(super) async fn user_claims(
        &self,
        user: &UserId,
        scope: &Scopes,
        resource: Option<&Resource>,
    ) -> Result<UserClaims, OAuthError> {
        let groups = self.groups_claim(user, scope).await?;
        let Some(resource) = resource else {
            return Ok(UserClaims {
                groups,
                ..UserClaims::default()
            });
        };
        let entitlements = self.store.entitlements(user, &resource.api.id).await?;
        let email = if scope.contains(EMAIL) {
            self.store
                .user_by_id(user)
                .await?
                .and_then(|u| u.email.map(|e| e.as_str().to_string()))
        } else {
            None
        };
        Ok(UserClaims {
            groups,
            entitlements: Some(entitlements),
            email,
        })
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
