//! The token endpoint (RFC 6749 §3.2): authenticate the client, then hand the
//! request to the module of its grant type.

mod authorization_code;
mod client_credentials;
mod refresh_token;
mod token_exchange;

use super::request::TokenRequest;
use super::resources::token_scope;
use super::tokens::TokenResponse;
use super::{ClientCredentials, OAuthError, Params, Provider};
use crate::domain::{GrantType, Secret};

impl Provider {
    /// Answer a token request. `basic` is the decoded HTTP Basic credentials.
    pub async fn token(
        &self,
        basic: Option<(String, Secret)>,
        params: &Params,
        now: i64,
    ) -> Result<TokenResponse, OAuthError> {
        let credentials = ClientCredentials::extract(basic, params)?;
        let request = TokenRequest::parse(params)?;
        let client = self.authenticate_client(&credentials).await?;
        // RFC 6749 §4.4: a public client cannot prove it is itself.
        if request.grant_type() == GrantType::ClientCredentials && client.is_public() {
            return Err(OAuthError::unauthorized_client(
                "public clients may not use the client_credentials grant",
            ));
        }
        if !client.allows(request.grant_type()) {
            return Err(OAuthError::unauthorized_client(format!(
                "this client may not use the {} grant",
                request.grant_type()
            )));
        }
        let grant = request.grant_type();
        let issued = match request {
            TokenRequest::AuthorizationCode {
                code,
                redirect_uri,
                code_verifier,
            } => {
                self.exchange_code(
                    &client,
                    &code,
                    &redirect_uri,
                    code_verifier.as_ref(),
                    params,
                    now,
                )
                .await
            }
            TokenRequest::RefreshToken {
                refresh_token,
                scope,
            } => {
                self.refresh(&client, &refresh_token, scope.as_ref(), params, now)
                    .await
            }
            TokenRequest::ClientCredentials { scope } => {
                self.client_credentials(&client, scope.as_ref(), params, now)
                    .await
            }
            TokenRequest::TokenExchange(request) => {
                self.exchange_token(&client, request, now).await
            }
        }?;
        crate::metrics::token_issued(grant.as_str(), &issued.access_token);
        Ok(issued)
    }
}
