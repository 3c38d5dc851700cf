//! Client authentication at the token endpoint (RFC 6749 §2.3.1, OIDC Core §9):
//! `client_secret_basic`, `client_secret_post`, or `none` for public clients.
//! A client must use the method it registered, and only one per request.

use super::{OAuthError, Params, Provider};
use crate::domain::{AuthMethod, Client, ClientSecretHash, Secret};

/// The credentials a token request carried, and how.
#[derive(Debug)]
pub struct ClientCredentials {
    pub client_id: String,
    pub secret: Option<Secret>,
    pub method: AuthMethod,
}

impl ClientCredentials {
    /// From an HTTP Basic header (already split and form-decoded) and the body.
    pub fn extract(basic: Option<(String, Secret)>, params: &Params) -> Result<Self, OAuthError> {
        let body_id = params.get("client_id");
        let body_secret = params.get("client_secret");
        match basic {
            Some((client_id, secret)) => {
                if body_secret.is_some() {
                    return Err(OAuthError::invalid_request(
                        "use one client authentication method, not both Basic and client_secret",
                    ));
                }
                if body_id.is_some_and(|id| id != client_id) {
                    return Err(OAuthError::invalid_request(
                        "client_id in the body differs from the Basic credentials",
                    ));
                }
                Ok(Self {
                    client_id,
                    secret: Some(secret),
                    method: AuthMethod::ClientSecretBasic,
                })
            }
            None => {
                let client_id = body_id.ok_or_else(|| {
                    OAuthError::invalid_client("client authentication is required")
                })?;
                Ok(match body_secret {
                    Some(secret) => Self {
                        client_id: client_id.to_string(),
                        secret: Some(Secret::new(secret)),
                        method: AuthMethod::ClientSecretPost,
                    },
                    None => Self {
                        client_id: client_id.to_string(),
                        secret: None,
                        method: AuthMethod::None,
                    },
                })
            }
        }
    }
}

impl Provider {
    /// Authenticate the client; every failure is `invalid_client` (401).
    pub(super) async fn authenticate_client(
        &self,
        credentials: &ClientCredentials,
    ) -> Result<Client, OAuthError> {
        // The presented secret is hashed first, whatever comes next: how
        // long a refusal takes tells nothing of which clients exist or how
        // they authenticate.
        let presented = credentials
            .secret
            .as_ref()
            .map(|secret| ClientSecretHash::compute(&self.pepper, secret));
        let Some(client) = self.store.client_by_id(&credentials.client_id).await? else {
            return Err(OAuthError::invalid_client("client authentication failed"));
        };
        if client.auth_method() != credentials.method {
            return Err(OAuthError::invalid_client(match client.auth_method() {
                AuthMethod::None => "this public client must not send a client secret",
                AuthMethod::ClientSecretBasic => {
                    "this client authenticates with client_secret_basic"
                }
                AuthMethod::ClientSecretPost => "this client authenticates with client_secret_post",
            }));
        }
        match (client.secret_hash(), &credentials.secret, &presented) {
            (None, None, _) => Ok(client),
            (Some(stored), Some(secret), Some(presented)) if stored.is_legacy() => {
                if !stored.matches(&self.pepper, secret) {
                    return Err(OAuthError::invalid_client("client authentication failed"));
                }
                self.store
                    .upgrade_client_secret_hash(&client.id, stored, presented)
                    .await?;
                Ok(client)
            }
            (Some(stored), _, Some(presented)) if stored.is(presented) => Ok(client),
            _ => Err(OAuthError::invalid_client("client authentication failed")),
        }
    }

    /// Authenticate the caller of a client-authenticated endpoint
    /// (introspection, revocation) from its Basic header or form.
    pub(super) async fn authenticate_caller(
        &self,
        basic: Option<(String, Secret)>,
        params: &Params,
    ) -> Result<Client, OAuthError> {
        let credentials = ClientCredentials::extract(basic, params)?;
        self.authenticate_client(&credentials).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basic_and_post_are_exclusive() {
        let params = Params::from_urlencoded(b"client_secret=s").expect("params");
        let basic = Some(("app".to_string(), Secret::new("s")));
        assert!(ClientCredentials::extract(basic, &params).is_err());
    }

    #[test]
    fn the_method_follows_what_was_sent() {
        let post = ClientCredentials::extract(
            None,
            &Params::from_urlencoded(b"client_id=a&client_secret=s").expect("params"),
        )
        .expect("post");
        assert_eq!(post.method, AuthMethod::ClientSecretPost);
        let public = ClientCredentials::extract(
            None,
            &Params::from_urlencoded(b"client_id=a").expect("params"),
        )
        .expect("none");
        assert_eq!(public.method, AuthMethod::None);
        assert!(ClientCredentials::extract(None, &Params::default()).is_err());
    }
}
