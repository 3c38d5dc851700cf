//! The refresh token grant (RFC 6749 §6, OIDC Core §12, RFC 9700 §4.14.2).
//! Every use rotates the token. Presenting a token that was already used means
//! it leaked: the whole grant (every access and refresh token) is revoked.

use super::super::tokens::{Issuance, TokenResponse};
use super::super::{OAuthError, Params, Provider};
use super::token_scope;
use crate::domain::crypto::sha256_hex;
use crate::domain::scope::OPENID;
use crate::domain::{Client, RefreshTokenRecord, Scopes, Secret};
use crate::store::RotateOutcome;

impl Provider {
    pub(super) async fn refresh(
        &self,
        client: &Client,
        refresh_token: &Secret,
        scope: Option<&Scopes>,
        params: &Params,
        now: i64,
    ) -> Result<TokenResponse, OAuthError> {
        let invalid =
            || OAuthError::invalid_grant("the refresh token is invalid, expired or revoked");
        let token_hash = sha256_hex(refresh_token.expose().as_bytes());
        let Some((record, grant)) = self.store.refresh_token_with_grant(&token_hash).await? else {
            return Err(invalid());
        };
        if record.client_id != client.id {
            return Err(OAuthError::invalid_grant(
                "the refresh token was issued to another client",
            ));
        }
        let Some(grant) = grant else {
            return Err(invalid());
        };
        if grant.is_revoked() || record.is_expired(now) {
            return Err(invalid());
        }
        if record.used_at.is_some() {
            self.revoke_family(&grant, now).await?;
            return Err(OAuthError::invalid_grant(
                "the refresh token was already used",
            ));
        }
        let scope = match scope {
            None => record.scope.clone(),
            Some(requested) if requested.is_subset(&record.scope) => requested.clone(),
            Some(_) => {
                return Err(OAuthError::invalid_scope(
                    "the requested scope exceeds the scope originally granted",
                ));
            }
        };
        // A user disabled or deleted has had this grant revoked already (read
        // above from the database); the user is read as `/userinfo` reads it.
        let user = self.store.user_described(&grant.user_id, now).await?;
        if !user.is_some_and(|u| u.can_sign_in()) {
            return Err(invalid());
        }
        // Narrowing to one of the grant's APIs (RFC 8707 §2.2) is checked
        // before the token is used up.
        let resource = self
            .resource_of_grant(client, params, &grant.resources)
            .await?;

        let new_token = Self::new_refresh_token();
        let successor = RefreshTokenRecord {
            token_hash: sha256_hex(new_token.as_bytes()),
            grant_id: grant.id.clone(),
            client_id: client.id.clone(),
            // The successor keeps the grant's full scope: narrowing applies
            // to this access token, not to the rights of the grant.
            scope: record.scope.clone(),
            issued_at: now,
            expires_at: record.expires_at,
            used_at: None,
        };
        if self
            .store
            .rotate_refresh_token(&token_hash, &successor, now)
            .await?
            == RotateOutcome::AlreadyUsed
        {
            // A concurrent request used it first: the same as reuse.
            self.revoke_family(&grant, now).await?;
            return Err(OAuthError::invalid_grant(
                "the refresh token was already used",
            ));
        }

        // OIDC Core §12.2: same iss, sub, aud and auth_time; no nonce.
        let id_token = scope.contains(OPENID);
        let scope = token_scope(&scope, client, resource.as_ref());
        let about = self
            .user_claims(&grant.user_id, &scope, resource.as_ref())
            .await?;
        self.issue(
            Issuance {
                client,
                grant: Some(&grant),
                scope: &scope,
                id_token,
                nonce: None,
                refresh_token: Some(new_token),
                resource: resource.as_ref(),
                audience: None,
                about,
            },
            now,
        )
        .await
    }

    async fn revoke_family(
        &self,
        grant: &crate::domain::Grant,
        now: i64,
    ) -> Result<(), OAuthError> {
        self.store.revoke_grant(&grant.id, now).await?;
        crate::metrics::refresh_reuse();
        tracing::warn!(grant_id = %grant.id, client_id = %grant.client_id,
            "refresh token reused; its grant is revoked");
        Ok(())
    }
}
