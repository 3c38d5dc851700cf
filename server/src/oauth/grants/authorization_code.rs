//! The authorization code grant (RFC 6749 §4.1.3, OIDC Core §3.1.3, RFC 7636
//! §4.6). A code is single use; presenting it again revokes every token the
//! first redemption produced (RFC 6749 §4.1.2, RFC 9700 §4.2.4).

use std::time::Duration;

use super::super::tokens::{Issuance, TokenResponse};
use super::super::{OAuthError, Params, Provider, pkce};
use super::token_scope;
use crate::domain::crypto::sha256_hex;
use crate::domain::scope::{OFFLINE_ACCESS, OPENID};
use crate::domain::{AuthorizationCode, Client, Grant, GrantType, RefreshTokenRecord, Secret};
use crate::store::{CodeRedemption, StoreError};

/// A redeemed code's tombstone outlives the code, so a replay minutes later
/// still revokes the tokens.
const TOMBSTONE_TTL: Duration = Duration::from_secs(15 * 60);

impl Provider {
    pub(super) async fn exchange_code(
        &self,
        client: &Client,
        code: &Secret,
        redirect_uri: &str,
        code_verifier: Option<&Secret>,
        params: &Params,
        now: i64,
    ) -> Result<TokenResponse, OAuthError> {
        let record = match self
            .store
            .redeem_code(code.expose(), &client.id, TOMBSTONE_TTL)
            .await?
        {
            CodeRedemption::Fresh(record) => record,
            CodeRedemption::OtherClient => {
                return Err(OAuthError::invalid_grant(
                    "the authorization code was issued to another client",
                ));
            }
            CodeRedemption::Replayed(record) => {
                self.revoke_replayed(&record, now).await?;
                return Err(OAuthError::invalid_grant(
                    "the authorization code was already used",
                ));
            }
            CodeRedemption::Unknown => {
                return Err(OAuthError::invalid_grant(
                    "the authorization code is invalid or expired",
                ));
            }
        };
        check_code(&record, client, redirect_uri, code_verifier, now)?;
        // Read as `/userinfo` reads it; a user disabled or deleted since has
        // no session left, which `create_grant` checks in the database.
        let user = self.store.user_described(&record.user_id, now).await?;
        if !user.is_some_and(|u| u.can_sign_in()) {
            return Err(OAuthError::invalid_grant("the user can no longer sign in"));
        }

        let grant = grant_of(&record, now);
        // A refresh token only when the user granted offline_access (OIDC
        // Core §11) to a client allowed to use it.
        let refresh_token = (client.allows(GrantType::RefreshToken)
            && grant.scope.contains(OFFLINE_ACCESS))
        .then(Self::new_refresh_token);
        let refresh_record = refresh_token.as_ref().map(|token| RefreshTokenRecord {
            token_hash: sha256_hex(token.as_bytes()),
            grant_id: grant.id.clone(),
            client_id: client.id.clone(),
            scope: grant.scope.clone(),
            issued_at: now,
            expires_at: now + self.config.refresh_token_lifetime,
            used_at: None,
        });
        match self
            .store
            .create_grant(&grant, refresh_record.as_ref())
            .await
        {
            Ok(()) => {}
            Err(StoreError::SessionEnded) => {
                return Err(OAuthError::invalid_grant(
                    "the user signed out after the code was issued",
                ));
            }
            Err(other) => return Err(other.into()),
        }
        let resource = self
            .resource_of_grant(client, params, &grant.resources)
            .await?;
        let scope = token_scope(&grant.scope, client, resource.as_ref());
        let about = self
            .user_claims(&grant.user_id, &scope, resource.as_ref())
            .await?;
        self.issue(
            Issuance {
                client,
                grant: Some(&grant),
                scope: &scope,
                id_token: grant.scope.contains(OPENID),
                nonce: record.nonce.as_deref(),
                refresh_token,
                resource: resource.as_ref(),
                audience: None,
                about,
            },
            now,
        )
        .await
    }
}

impl Provider {
    /// A code presented again: revoke what its first redemption issued. If
    /// that redemption is still under way (parallel requests), wait for its
    /// grant to be stored, so the first one still wins and this one revokes it.
    async fn revoke_replayed(
        &self,
        record: &AuthorizationCode,
        now: i64,
    ) -> Result<(), OAuthError> {
        for _ in 0..REPLAY_WAIT_STEPS {
            if self.store.revoke_grant(&record.grant_id, now).await? {
                tracing::warn!(grant_id = %record.grant_id, client_id = %record.client_id,
                    "authorization code replayed; its grant is revoked");
                return Ok(());
            }
            tokio::time::sleep(REPLAY_WAIT_STEP).await;
        }
        // The first redemption failed (a wrong verifier, say): nothing was issued.
        Ok(())
    }
}

/// How long a replay waits for the first redemption's grant: 20 × 50 ms.
const REPLAY_WAIT_STEPS: u32 = 20;
const REPLAY_WAIT_STEP: Duration = Duration::from_millis(50);

/// The grant a code turns into.
fn grant_of(record: &AuthorizationCode, now: i64) -> Grant {
    Grant {
        id: record.grant_id.clone(),
        client_id: record.client_id.clone(),
        user_id: record.user_id.clone(),
        session_sid: Some(record.session_sid.clone()),
        scope: record.scope.clone(),
        auth_time: record.auth_time,
        amr: record.amr.clone(),
        created_at: now,
        revoked_at: None,
        resources: record.resources.clone(),
    }
}

/// Each rule of RFC 6749 §4.1.3 and RFC 7636 §4.6, with its own message.
fn check_code(
    record: &AuthorizationCode,
    client: &Client,
    redirect_uri: &str,
    code_verifier: Option<&Secret>,
    now: i64,
) -> Result<(), OAuthError> {
    if record.is_expired(now) {
        return Err(OAuthError::invalid_grant(
            "the authorization code has expired",
        ));
    }
    if record.redirect_uri.as_str() != redirect_uri {
        return Err(OAuthError::invalid_grant(
            "redirect_uri does not match the authorization request",
        ));
    }
    match (&record.code_challenge, code_verifier) {
        (Some(challenge), Some(verifier)) => pkce::verify(challenge, verifier.expose()),
        (Some(_), None) => Err(OAuthError::invalid_grant("code_verifier is required")),
        // RFC 9700 §4.8.2: a verifier without a challenge is a downgrade attempt.
        (None, Some(_)) => Err(OAuthError::invalid_grant(
            "code_verifier was sent but the authorization request had no code_challenge",
        )),
        (None, None) if client.is_public() => {
            Err(OAuthError::invalid_grant("public clients must use PKCE"))
        }
        (None, None) => Ok(()),
    }
}
