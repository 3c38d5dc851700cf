//! Parsing wire parameters into validated requests: the authorization request
//! of RFC 6749 §4.1.1 / OIDC Core §3.1.2.1, and the token request of
//! RFC 6749 §4.1.3 and §6 as an enum tagged by `grant_type`.

use serde::Deserialize;

use super::keys::KeySet;
use super::{OAuthError, Params, pkce};
use crate::domain::scope::{OFFLINE_ACCESS, is_admin_scope};
use crate::domain::{
    AuthorizationRequest, Client, GrantType, Prompt, RedirectUri, Resource, Scopes, Secret,
};

/// RFC 8693 §3: the token type of a Tessera access token.
pub const ACCESS_TOKEN_TYPE: &str = "urn:ietf:params:oauth:token-type:access_token";
/// RFC 8693 §3: a JWT, which Tessera's access tokens are.
pub const JWT_TOKEN_TYPE: &str = "urn:ietf:params:oauth:token-type:jwt";

/// Longest `state`, `nonce` or hint we carry; longer values are refused
/// rather than echoed into URLs and storage.
const MAX_PARAM_LEN: usize = 4096;

/// Validate everything but the client, its redirect URI and the resources
/// it names, which the caller has already matched (errors from here on are
/// redirected to the client).
pub fn authorization_request(
    params: &Params,
    client: &Client,
    redirect_uri: &RedirectUri,
    resources: &[Resource],
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

    let mut allowed = client.allowed_scopes();
    for resource in resources {
        allowed = allowed.union(&resource.allowed_scopes());
    }
    let scope = requested_scope(params.get("scope"), client, &allowed)?;
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
        resources: resources.iter().map(|r| r.api.identifier.clone()).collect(),
    })
}

/// The requested scopes, all of which the client may be granted (`allowed`:
/// its own and those of the APIs the request names). `offline_access` is
/// dropped for a client that may not use refresh tokens (OIDC Core §11).
fn requested_scope(
    value: Option<&str>,
    client: &Client,
    allowed: &Scopes,
) -> Result<Scopes, OAuthError> {
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
    if let Some(unknown) = scope.unknown_in(allowed).first() {
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
    /// RFC 8693 §2.1.
    TokenExchange(ExchangeRequest),
}

/// A token exchange request (RFC 8693 §2.1).
#[derive(Debug)]
pub struct ExchangeRequest {
    pub subject_token: Secret,
    pub actor_token: Option<Secret>,
    /// `resource` and `audience` values: the service the new token is for.
    pub targets: Vec<String>,
    pub scope: Option<Scopes>,
}

/// RFC 8693 §2.1: the token types Tessera takes and issues are its own
/// access tokens.
fn check_token_type(name: &str, value: Option<&str>) -> Result<(), OAuthError> {
    match value {
        Some(ACCESS_TOKEN_TYPE | JWT_TOKEN_TYPE) => Ok(()),
        None => Err(OAuthError::invalid_request(format!("{name} is required"))),
        Some(_) => Err(OAuthError::invalid_request(format!(
            "{name} must be {ACCESS_TOKEN_TYPE}"
        ))),
    }
}

impl ExchangeRequest {
    fn parse(params: &Params) -> Result<Self, OAuthError> {
        let subject_token = params
            .get("subject_token")
            .ok_or_else(|| OAuthError::invalid_request("subject_token is required"))?;
        check_token_type("subject_token_type", params.get("subject_token_type"))?;
        let actor_token = params.get("actor_token");
        match (actor_token, params.get("actor_token_type")) {
            (Some(_), kind) => check_token_type("actor_token_type", kind)?,
            (None, Some(_)) => {
                return Err(OAuthError::invalid_request(
                    "actor_token_type was sent without actor_token",
                ));
            }
            (None, None) => {}
        }
        if let Some(kind) = params.get("requested_token_type")
            && kind != ACCESS_TOKEN_TYPE
        {
            return Err(OAuthError::invalid_request(format!(
                "requested_token_type must be {ACCESS_TOKEN_TYPE}"
            )));
        }
        let mut targets: Vec<String> = params.get_all("resource").to_vec();
        targets.extend(params.get_all("audience").iter().cloned());
        targets.dedup();
        Ok(Self {
            subject_token: Secret::new(subject_token),
            actor_token: actor_token.map(Secret::new),
            targets,
            scope: params.get("scope").map(Scopes::parse).transpose()?,
        })
    }
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
            "urn:ietf:params:oauth:grant-type:token-exchange" => {
                Ok(TokenRequest::TokenExchange(ExchangeRequest::parse(params)?))
            }
            _ => Err(OAuthError::new(
                super::ErrorCode::UnsupportedGrantType,
                "grant_type must be authorization_code, refresh_token, client_credentials or urn:ietf:params:oauth:grant-type:token-exchange",
            )),
        }
    }

    pub fn grant_type(&self) -> GrantType {
        match self {
            TokenRequest::AuthorizationCode { .. } => GrantType::AuthorizationCode,
            TokenRequest::RefreshToken { .. } => GrantType::RefreshToken,
            TokenRequest::ClientCredentials { .. } => GrantType::ClientCredentials,
            TokenRequest::TokenExchange(_) => GrantType::TokenExchange,
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
