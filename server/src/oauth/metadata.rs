//! OpenID Provider metadata (OIDC Discovery 1.0 §3, RFC 8414 §2), built from
//! the endpoints the router actually serves and the features actually
//! implemented: nothing is advertised that is not offered.

use openidconnect::core::{
    CoreClaimName, CoreClientAuthMethod, CoreGrantType, CoreJwsSigningAlgorithm, CoreResponseMode,
    CoreResponseType, CoreSubjectIdentifierType,
};
use openidconnect::{
    AdditionalProviderMetadata, AuthUrl, IssuerUrl, JsonWebKeySetUrl, ProviderMetadata,
    ResponseTypes, Scope, TokenUrl, UserInfoUrl,
};
use serde::{Deserialize, Serialize};

use crate::domain::scope::SUPPORTED;
use crate::domain::{AuthMethod, GrantType, SigningAlg};

/// Absolute URLs of the endpoints, from the router.
#[derive(Clone, Debug)]
pub struct Endpoints {
    pub authorization: String,
    pub token: String,
    pub userinfo: String,
    pub jwks: String,
    pub end_session: String,
    pub revocation: String,
    pub introspection: String,
}

/// Members that `openidconnect` has no field for.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct TesseraMetadata {
    pub code_challenge_methods_supported: Vec<String>,
    pub authorization_response_iss_parameter_supported: bool,
    /// OIDC RP-Initiated Logout 1.0 §2.1.
    pub end_session_endpoint: String,
    /// OIDC Back-Channel Logout 1.0 §2.1.
    pub backchannel_logout_supported: bool,
    pub backchannel_logout_session_supported: bool,
    /// RFC 7009 / RFC 8414 §2.
    pub revocation_endpoint: String,
    pub revocation_endpoint_auth_methods_supported: Vec<String>,
    /// RFC 7662 / RFC 8414 §2.
    pub introspection_endpoint: String,
    pub introspection_endpoint_auth_methods_supported: Vec<String>,
    /// RFC 8707: `resource` is understood at the authorization and token
    /// endpoints (and `audience` in token exchange, RFC 8693).
    pub resource_indicators_supported: bool,
}

impl AdditionalProviderMetadata for TesseraMetadata {}

pub type Metadata = ProviderMetadata<
    TesseraMetadata,
    openidconnect::core::CoreAuthDisplay,
    CoreClientAuthMethod,
    CoreClaimName,
    openidconnect::core::CoreClaimType,
    CoreGrantType,
    openidconnect::core::CoreJweContentEncryptionAlgorithm,
    openidconnect::core::CoreJweKeyManagementAlgorithm,
    openidconnect::core::CoreJsonWebKey,
    CoreResponseMode,
    CoreResponseType,
    CoreSubjectIdentifierType,
>;

fn signing_alg(alg: SigningAlg) -> CoreJwsSigningAlgorithm {
    match alg {
        SigningAlg::RS256 => CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256,
        SigningAlg::ES256 => CoreJwsSigningAlgorithm::EcdsaP256Sha256,
        SigningAlg::EdDSA => CoreJwsSigningAlgorithm::EdDsa,
    }
}

/// The discovery document for `issuer`.
pub fn discovery(issuer: &str, endpoints: &Endpoints) -> Result<Metadata, url::ParseError> {
    let metadata = Metadata::new(
        IssuerUrl::new(issuer.to_string())?,
        AuthUrl::new(endpoints.authorization.clone())?,
        JsonWebKeySetUrl::new(endpoints.jwks.clone())?,
        vec![ResponseTypes::new(vec![CoreResponseType::Code])],
        vec![CoreSubjectIdentifierType::Public],
        SigningAlg::ALL.iter().copied().map(signing_alg).collect(),
        TesseraMetadata {
            code_challenge_methods_supported: vec!["S256".into()],
            authorization_response_iss_parameter_supported: true,
            end_session_endpoint: endpoints.end_session.clone(),
            backchannel_logout_supported: true,
            backchannel_logout_session_supported: true,
            revocation_endpoint: endpoints.revocation.clone(),
            revocation_endpoint_auth_methods_supported: AuthMethod::ALL
                .iter()
                .map(|m| m.as_str().to_string())
                .collect(),
            introspection_endpoint: endpoints.introspection.clone(),
            // Only clients that can prove who they are may introspect.
            introspection_endpoint_auth_methods_supported: AuthMethod::ALL
                .iter()
                .filter(|m| **m != AuthMethod::None)
                .map(|m| m.as_str().to_string())
                .collect(),
            resource_indicators_supported: true,
        },
    )
    .set_token_endpoint(Some(TokenUrl::new(endpoints.token.clone())?))
    .set_userinfo_endpoint(Some(UserInfoUrl::new(endpoints.userinfo.clone())?))
    .set_scopes_supported(Some(
        SUPPORTED
            .iter()
            .map(|s| Scope::new(s.to_string()))
            .collect(),
    ))
    .set_response_modes_supported(Some(vec![CoreResponseMode::Query]))
    .set_grant_types_supported(Some(
        GrantType::ALL
            .iter()
            .map(|g| match g {
                GrantType::AuthorizationCode => CoreGrantType::AuthorizationCode,
                GrantType::RefreshToken => CoreGrantType::RefreshToken,
                GrantType::ClientCredentials => CoreGrantType::ClientCredentials,
                GrantType::TokenExchange => CoreGrantType::Extension(g.as_str().to_string()),
            })
            .collect(),
    ))
    .set_token_endpoint_auth_methods_supported(Some(
        AuthMethod::ALL
            .iter()
            .map(|m| match m {
                AuthMethod::ClientSecretBasic => CoreClientAuthMethod::ClientSecretBasic,
                AuthMethod::ClientSecretPost => CoreClientAuthMethod::ClientSecretPost,
                AuthMethod::None => CoreClientAuthMethod::None,
            })
            .collect(),
    ))
    .set_claims_supported(Some(
        [
            "sub",
            "iss",
            "aud",
            "exp",
            "iat",
            "auth_time",
            "nonce",
            "at_hash",
            "sid",
            "amr",
            "name",
            "given_name",
            "family_name",
            "preferred_username",
            "updated_at",
            "email",
            "email_verified",
            "groups",
            "roles",
            "permissions",
            "act",
        ]
        .iter()
        .map(|c| CoreClaimName::new(c.to_string()))
        .collect(),
    ))
    .set_claims_parameter_supported(Some(false))
    .set_request_parameter_supported(Some(false))
    .set_request_uri_parameter_supported(Some(false));
    Ok(metadata)
}
