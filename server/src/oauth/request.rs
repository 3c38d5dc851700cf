//! Parsing wire parameters into validated requests: the authorization request
//! of RFC 6749 §4.1.1 / OIDC Core §3.1.2.1, and the token request of
//! RFC 6749 §4.1.3 and §6 as an enum tagged by `grant_type`.

use serde::Deserialize;

use super::keys::KeySet;
use super::{OAuthError, Params, pkce};
use crate::domain::scope::{OFFLINE_ACCESS, is_admin_scope};
use crate::domain::{AuthorizationRequest, Client, GrantType, Prompt, RedirectUri, Scopes, Secret};

/// Longest `state`, `nonce` or hint we carry; longer values are refused
/// rather than echoed into URLs and storage.
const MAX_PARAM_LEN: usize = 4096;

/// Validate everything but the client and redirect URI, which the caller has
/// already matched (errors from here on are redirected to the client).
pub fn authorization_request(
    params: &Params,
    client: &Client,
    redirect_uri: &RedirectUri,
    keys: &KeySet,
    issuer: &str,
    now: i64,
) -> Result<AuthorizationRequest, OAuthError> {
    if let Some(name) = params.first_repeated() {
        return Err(OAuthError::invalid_request(format!(
            "the {name} parameter is repeated"
        )));
    }
    if params.get("request").is_some() {
        return Err(OAuthError::new(
            super::ErrorCode::RequestNotSupported,
            "request objects are not supported",
        ));
    }
    if params.get("request_uri").is_some() {
        return Err(OAuthError::new(
            super::ErrorCode::RequestUriNotSupported,
            "request_uri is not supported",
        ));
    }
    match params.get("response_type") {
        None => return Err(OAuthError::invalid_request("response_type is required")),
        Some("code") => {}
        Some(_) => {
            return Err(OAuthError::new(
                super::ErrorCode::UnsupportedResponseType,
                "only response_type=code is supported",
            ));
        }
    }
    if !client.allows(GrantType::AuthorizationCode) {
        return Err(OAuthError::unauthorized_client(
            "this client may not use the authorization code grant",
        ));
    }
    if params
        .get("response_mode")
        .is_some_and(|mode| mode != "query")
    {
        return Err(OAuthError::invalid_request(
            "only response_mode=query is supported",
        ));
    }
    for name in ["state", "nonce", "login_hint", "id_token_hint"] {
        if params.get(name).is_some_and(|v| v.len() > MAX_PARAM_LEN) {
            return Err(OAuthError::invalid_request(format!("{name} is too long")));
        }
    }

    let scope = requested_scope(params.get("scope"), client)?;
    let code_challenge = pkce::parse_challenge(
        params.get("code_challenge"),
        params.get("code_challenge_method"),
    )?;
    if code_challenge.is_none() && client.is_public() {
        return Err(OAuthError::invalid_request(
            "public clients must use PKCE: send code_challenge with code_challenge_method=S256",
        ));
    }
    let prompt = parse_prompt(params.get("prompt"))?;
    let max_age = match params.get("max_age") {
        None => None,
        Some(text) => match text.parse::<i64>() {
            Ok(age) if age >= 0 => Some(age),
            _ => {
                return Err(OAuthError::invalid_request(
                    "max_age must be a non-negative integer",
                ));
            }
        },
    };
    let id_token_hint_sub = match params.get("id_token_hint") {
        None => None,
        Some(hint) => Some(hint_subject(keys, hint, issuer, now)?),
    };

    Ok(AuthorizationRequest {
        client_id: client.id.clone(),
        redirect_uri: redirect_uri.clone(),
        scope,
        state: params.get("state").map(str::to_string),
        nonce: params.get("nonce").map(str::to_string),
        code_challenge,
        prompt,
        max_age,
        login_hint: params.get("login_hint").map(str::to_string),
        id_token_hint_sub,
    })
}

/// The requested scopes, all of which the client may be granted.
/// `offline_access` is dropped for a client that may not use refresh tokens
/// (OIDC Core §11).
fn requested_scope(value: Option<&str>, client: &Client) -> Result<Scopes, OAuthError> {
    let scope = Scopes::parse(value.unwrap_or_default())?;
    if scope.is_empty() {
        return Err(OAuthError::invalid_scope(
            "scope is required, e.g. scope=openid",
        ));
    }
    if scope.iter().any(is_admin_scope) {
        return Err(OAuthError::invalid_scope(
            "admin scopes are never granted to a user",
        ));
    }
    if let Some(unknown) = scope.unknown_in(&client.allowed_scopes()).first() {
        // Echo a little of what was asked, never a page of it.
        let shown: String = unknown.chars().take(64).collect();
        return Err(OAuthError::invalid_scope(format!("unknown scope {shown}")));
    }
    if scope.contains(OFFLINE_ACCESS) && !client.allows(GrantType::RefreshToken) {
        return Ok(scope.without(OFFLINE_ACCESS));
    }
    Ok(scope)
}

fn parse_prompt(value: Option<&str>) -> Result<Prompt, OAuthError> {
    let mut prompt = Prompt::default();
    for token in value
        .unwrap_or_default()
        .split(' ')
        .filter(|t| !t.is_empty())
    {
        match token {
            "none" => prompt.none = true,
            "login" => prompt.login = true,
            "consent" => prompt.consent = true,
            "select_account" => prompt.select_account = true,
            _ => {
                return Err(OAuthError::invalid_request(format!(
                    "unknown prompt value {token}"
                )));
            }
        }
    }
    if prompt.none && (prompt.login || prompt.consent || prompt.select_account) {
        return Err(OAuthError::invalid_request(
            "prompt=none cannot be combined with other values",
        ));
    }
    Ok(prompt)
}

/// The subject of an ID token we issued. Expired hints are fine (OIDC Core
/// §3.1.2.1: the hint identifies, it does not authenticate).
fn hint_subject(keys: &KeySet, hint: &str, issuer: &str, now: i64) -> Result<String, OAuthError> {
    #[derive(Deserialize)]
    struct Hint {
        sub: String,
    }
    keys.verify::<Hint>(hint, &["JWT"], issuer, now)
        .map(|hint| hint.sub)
        .map_err(|_| {
            OAuthError::invalid_request("id_token_hint is not an ID token from this issuer")
        })
}

/// A token request, after `grant_type` has been dispatched on.
#[derive(Debug)]
pub enum TokenRequest {
    AuthorizationCode {
        code: Secret,
        redirect_uri: String,
        code_verifier: Option<Secret>,
    },
    RefreshToken {
        refresh_token: Secret,
        scope: Option<Scopes>,
    },
    ClientCredentials {
        scope: Option<Scopes>,
    },
}

impl TokenRequest {
    pub fn parse(params: &Params) -> Result<Self, OAuthError> {
        if let Some(name) = params.first_repeated() {
            return Err(OAuthError::invalid_request(format!(
                "the {name} parameter is repeated"
            )));
        }
        let required = |name: &'static str| {
            params
                .get(name)
                .ok_or_else(|| OAuthError::invalid_request(format!("{name} is required")))
        };
        match required("grant_type")? {
            "authorization_code" => Ok(TokenRequest::AuthorizationCode {
                code: Secret::new(required("code")?),
                redirect_uri: required("redirect_uri")?.to_string(),
                code_verifier: params.get("code_verifier").map(Secret::new),
            }),
            "refresh_token" => Ok(TokenRequest::RefreshToken {
                refresh_token: Secret::new(required("refresh_token")?),
                scope: params.get("scope").map(Scopes::parse).transpose()?,
            }),
            "client_credentials" => Ok(TokenRequest::ClientCredentials {
                scope: params.get("scope").map(Scopes::parse).transpose()?,
            }),
            _ => Err(OAuthError::new(
                super::ErrorCode::UnsupportedGrantType,
                "grant_type must be authorization_code, refresh_token or client_credentials",
            )),
        }
    }

    pub fn grant_type(&self) -> GrantType {
        match self {
            TokenRequest::AuthorizationCode { .. } => GrantType::AuthorizationCode,
            TokenRequest::RefreshToken { .. } => GrantType::RefreshToken,
            TokenRequest::ClientCredentials { .. } => GrantType::ClientCredentials,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prompt_none_stands_alone() {
        assert!(parse_prompt(Some("none")).is_ok_and(|p| p.none));
        assert!(parse_prompt(Some("login consent")).is_ok_and(|p| p.login && p.consent));
        assert!(parse_prompt(Some("none login")).is_err());
        assert!(parse_prompt(Some("bogus")).is_err());
    }

    #[test]
    fn token_requests_are_tagged_by_grant_type() {
        let parse = |body: &str| {
            TokenRequest::parse(&Params::from_urlencoded(body.as_bytes()).expect("params"))
        };
        assert!(matches!(
            parse("grant_type=authorization_code&code=c&redirect_uri=https://a/cb"),
            Ok(TokenRequest::AuthorizationCode { .. })
        ));
        assert_eq!(
            parse("grant_type=password").map(|_| ()).unwrap_err().code,
            super::super::ErrorCode::UnsupportedGrantType
        );
        assert_eq!(
            parse("code=c").map(|_| ()).unwrap_err().code,
            super::super::ErrorCode::InvalidRequest
        );
        assert_eq!(
            parse("grant_type=refresh_token&refresh_token=a&refresh_token=b")
                .map(|_| ())
                .unwrap_err()
                .code,
            super::super::ErrorCode::InvalidRequest
        );
    }
}
