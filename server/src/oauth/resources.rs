//! Resource indicators (RFC 8707): a request names the API its tokens are
//! for with `resource`. Each must be a registered API that the client may
//! ask tokens for; otherwise the answer is `invalid_target`. An access
//! token for an API carries that API as its `aud`, the API's scopes the
//! client may have, and the user's roles and permissions there.

use super::{OAuthError, Params, Provider};
use crate::domain::scope::{OFFLINE_ACCESS, SUPPORTED};
use crate::domain::{ApiIdentifier, Client, Resource, Scopes};

/// Echo a little of what was asked, never a page of it.
fn shown(value: &str) -> String {
    value.chars().take(200).collect()
}

impl Provider {
    /// The API `value` names, as `client` sees it.
    pub(super) async fn resource(
        &self,
        client: &Client,
        value: &str,
    ) -> Result<Resource, OAuthError> {
        if ApiIdentifier::parse(value).is_err() {
            return Err(OAuthError::invalid_target(
                "a resource must be an absolute URI without a fragment",
            ));
        }
        self.store
            .resource_for(&client.id, value)
            .await?
            .ok_or_else(|| OAuthError::invalid_target(format!("unknown resource {}", shown(value))))
    }

    /// The APIs a request names with `resource`, each one the client may
    /// ask tokens for (repeats counted once).
    pub(super) async fn named_resources(
        &self,
        client: &Client,
        params: &Params,
    ) -> Result<Vec<Resource>, OAuthError> {
        let mut resources: Vec<Resource> = Vec::new();
        for value in params.get_all("resource") {
            let resource = self.resource(client, value).await?;
            if !resource.direct() {
                return Err(OAuthError::invalid_target(format!(
                    "this client may not have tokens for {}",
                    shown(value)
                )));
            }
            if !resources.iter().any(|r| r.api.id == resource.api.id) {
                resources.push(resource);
            }
        }
        Ok(resources)
    }

    /// The one API a token request names, among those of its grant.
    pub(super) async fn resource_of_grant(
        &self,
        client: &Client,
        params: &Params,
        granted: &[ApiIdentifier],
    ) -> Result<Option<Resource>, OAuthError> {
        let named = params.get_all("resource");
        match named {
            [] if granted.len() == 1 => {
                let resource = self.resource(client, granted[0].as_str()).await?;
                Ok(Some(resource).filter(Resource::direct))
            }
            [] => Ok(None),
            [one] => {
                if !granted.iter().any(|g| g.as_str() == one) {
                    return Err(OAuthError::invalid_target(format!(
                        "{} was not part of the authorization",
                        shown(one)
                    )));
                }
                let resource = self.resource(client, one).await?;
                if !resource.direct() {
                    return Err(OAuthError::invalid_target(format!(
                        "this client may no longer have tokens for {}",
                        shown(one)
                    )));
                }
                Ok(Some(resource))
            }
            _ => Err(OAuthError::invalid_target(
                "name one resource per token request",
            )),
        }
    }
}

/// The scope of an access token: for an API, the user scopes granted
/// (`offline_access` is about the refresh token, not the API) and the
/// API's scopes the client may have; for the client itself, what the client
/// may be granted (never an API's scopes).
pub(super) fn token_scope(scope: &Scopes, client: &Client, resource: Option<&Resource>) -> Scopes {
    match resource {
        Some(resource) => scope.intersection(
            &Scopes::from_tokens(SUPPORTED)
                .without(OFFLINE_ACCESS)
                .intersection(&client.allowed_scopes())
                .union(&resource.allowed_scopes()),
        ),
        None => scope.intersection(&client.allowed_scopes()),
    }
}
