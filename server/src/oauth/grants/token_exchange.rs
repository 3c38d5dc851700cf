//! Token exchange (RFC 8693): a service presents the access token it was
//! called with (`subject_token`) and gets a short-lived token for the
//! service it calls next (`resource` or `audience`), never more than it had.
//!
//! - The subject token must be one of Tessera's access tokens, still valid,
//!   and addressed to the caller: to the client itself, or to an API that
//!   names the client as one it acts as. A token meant for someone else is
//!   refused (`invalid_grant`).
//! - The caller needs a policy for the target (`client update --exchange-to`);
//!   otherwise `invalid_target`.
//! - An `actor_token` (delegation) must be the caller's own
//!   client_credentials token.
//! - The new token keeps the user's `sub`, `sid` and grant (so it dies with
//!   the session), carries `act: {sub: caller}` nested over the subject's
//!   own `act`, lives at most five minutes and never past the subject
//!   token's expiry. Its user scopes are at most the subject's; its API
//!   scopes at most what the caller's policy allows; permissions are the
//!   user's at the target, narrowed to the subject's when the target is the
//!   same API.
//! - Every exchange is in the audit log.

use serde_json::json;

use super::super::request::{ACCESS_TOKEN_TYPE, ExchangeRequest};
use super::super::tokens::{AccessTokenClaims, Act, TokenResponse};
use super::super::{ErrorCode, OAuthError, Provider};
use crate::domain::api::EXCHANGED_TOKEN_LIFETIME;
use crate::domain::crypto::random_token;
use crate::domain::scope::{OFFLINE_ACCESS, SUPPORTED};
use crate::domain::{Actor, AuditEvent, Client, Resource, Scopes, UserId};

impl Provider {
    pub(super) async fn exchange_token(
        &self,
        client: &Client,
        request: ExchangeRequest,
        now: i64,
    ) -> Result<TokenResponse, OAuthError> {
        let target = match request.targets.as_slice() {
            [] => {
                return Err(OAuthError::invalid_request(
                    "name the service the token is for with resource or audience",
                ));
            }
            [one] => one,
            _ => {
                return Err(OAuthError::invalid_target("name one service per exchange"));
            }
        };
        let resource = self.resource(client, target).await?;
        if !resource.exchange() {
            return Err(OAuthError::invalid_target(format!(
                "this client may not exchange tokens for tokens to {}",
                resource.api.identifier
            )));
        }
        let subject = self
            .verified(request.subject_token.expose(), "subject", now)
            .await?;
        self.check_addressed_to(client, &subject).await?;
        if let Some(actor) = &request.actor_token {
            let actor = self.verified(actor.expose(), "actor", now).await?;
            if actor.sub != client.id.as_str()
                || actor.client_id != client.id.as_str()
                || actor.gid.is_some()
            {
                return Err(OAuthError::invalid_grant(
                    "the actor token must be this client's own client_credentials token",
                ));
            }
        }

        let scope = exchanged_scope(
            &subject,
            &resource,
            &client.allowed_scopes(),
            request.scope.as_ref(),
        )?;
        let user = subject.user_id();
        let mut about = match &user {
            Some(user) => self.user_claims(user, &scope, Some(&resource)).await?,
            None => Default::default(),
        };
        if subject.aud == resource.api.identifier.as_str()
            && let (Some(mine), Some(theirs)) = (about.entitlements.take(), &subject.permissions)
        {
            about.entitlements = Some(mine.narrowed_to(theirs));
        }
        let iat = now.max(client.tokens_valid_after);
        let exp = (iat + EXCHANGED_TOKEN_LIFETIME.min(resource.api.lifetime)).min(subject.exp);
        let entitlements = about.entitlements;
        let claims = AccessTokenClaims {
            iss: self.config.issuer.clone(),
            sub: subject.sub.clone(),
            aud: resource.api.identifier.to_string(),
            exp,
            iat,
            jti: random_token(16),
            client_id: client.id.to_string(),
            scope: scope.to_string(),
            auth_time: subject.auth_time,
            sid: subject.sid.clone(),
            gid: subject.gid.clone(),
            groups: about.groups,
            roles: entitlements.as_ref().map(|e| e.roles.clone()),
            permissions: entitlements.map(|e| e.permissions),
            email: about.email,
            act: Some(Act {
                sub: client.id.to_string(),
                act: subject.act.clone().map(Box::new),
            }),
        };
        let access_token = self
            .mint_access_token(&claims, Some(&resource), resource.api.access_token_alg, now)
            .await?;
        self.audit_exchange(client, &subject, &claims, user.as_ref(), now)
            .await?;
        Ok(TokenResponse {
            access_token,
            token_type: "Bearer",
            expires_in: exp - now,
            refresh_token: None,
            id_token: None,
            scope: scope.to_string(),
            issued_token_type: Some(ACCESS_TOKEN_TYPE),
        })
    }

    /// A presented token, verified like any access token; `invalid_grant`
    /// when it does not stand (RFC 8693 §2.2.2).
    async fn verified(
        &self,
        token: &str,
        which: &str,
        now: i64,
    ) -> Result<AccessTokenClaims, OAuthError> {
        match self.verify_access_token(token, now).await {
            Ok(claims) => Ok(claims),
            Err(err) if err.code == ErrorCode::InvalidToken => Err(OAuthError::invalid_grant(
                format!("the {which} token is invalid, expired or revoked"),
            )),
            Err(other) => Err(other),
        }
    }

    /// The subject token was meant for the caller: issued to it or for it,
    /// or for an API it acts as.
    async fn check_addressed_to(
        &self,
        client: &Client,
        subject: &AccessTokenClaims,
    ) -> Result<(), OAuthError> {
        if subject.aud == client.id.as_str() {
            return Ok(());
        }
        let serves = self
            .store
            .resource_for(&client.id, &subject.aud)
            .await?
            .is_some_and(|r| r.api.is_served_by(&client.id));
        if serves {
            Ok(())
        } else {
            Err(OAuthError::invalid_grant(
                "the subject token is not addressed to this client",
            ))
        }
    }

    async fn audit_exchange(
        &self,
        client: &Client,
        subject: &AccessTokenClaims,
        issued: &AccessTokenClaims,
        user: Option<&UserId>,
        now: i64,
    ) -> Result<(), OAuthError> {
        let mut unit = self.store.unit().await?;
        unit.audit(&[AuditEvent {
            at: now,
            actor: Actor::Client(client.id.clone()),
            action: "token.exchange",
            target: Some(match user {
                Some(user) => format!("user:{user}"),
                None => format!("client:{}", subject.sub),
            }),
            reason: None,
            ip: None,
            outcome: "success",
            details: json!({
                "from": subject.aud,
                "to": issued.aud,
                "scope": issued.scope,
                "expires_at": issued.exp,
                "act": issued.act,
            }),
        }])
        .await?;
        unit.commit().await?;
        Ok(())
    }
}

/// The exchanged token's scope: user scopes only from the subject's and the
/// caller's own (never
/// `offline_access`: no refresh token comes of an exchange), API scopes only
/// from what the caller may have at the target; exactly the subject's at
/// most when the target is the subject's own API. Without `scope`, all of
/// that; with it, `invalid_scope` for anything beyond.
fn exchanged_scope(
    subject: &AccessTokenClaims,
    resource: &Resource,
    client_scopes: &Scopes,
    requested: Option<&Scopes>,
) -> Result<Scopes, OAuthError> {
    let subject_scope = Scopes::parse(&subject.scope)
        .map_err(|_| OAuthError::invalid_grant("the subject token's scope is malformed"))?;
    let user_scopes = subject_scope
        .intersection(&Scopes::from_tokens(SUPPORTED))
        .intersection(client_scopes)
        .without(OFFLINE_ACCESS);
    let mut allowed = user_scopes.union(&resource.allowed_scopes());
    if subject.aud == resource.api.identifier.as_str() {
        allowed = allowed.intersection(&subject_scope);
    }
    match requested {
        None => Ok(allowed),
        Some(requested) if requested.is_subset(&allowed) => Ok(requested.clone()),
        Some(requested) => {
            let beyond: String = requested
                .unknown_in(&allowed)
                .join(" ")
                .chars()
                .take(200)
                .collect();
            Err(OAuthError::invalid_scope(format!(
                "an exchange only narrows: {beyond} is beyond what the subject token and this client's policy allow"
            )))
        }
    }
}
