//! Looking inside the tokens Tessera signs.

use crate::helpers::*;

/// The decoded JSON payload of a JWT (no verification: tests look inside).
pub fn jwt_payload(token: &str) -> serde_json::Value {
    use base64::Engine;
    let payload = token.split('.').nth(1).expect("a JWT payload");
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .expect("base64url");
    serde_json::from_slice(&bytes).expect("json payload")
}

pub fn jwt_header(token: &str) -> serde_json::Value {
    use base64::Engine;
    let header = token.split('.').next().expect("a JWT header");
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(header)
        .expect("base64url");
    serde_json::from_slice(&bytes).expect("json header")
}

/// Verify a JWT against the issuer's published `/jwks` (as any relying party
/// would) and return its header and claims.
pub async fn verify_with_jwks(
    app: &TestApp,
    token: &str,
) -> (jsonwebtoken::Header, serde_json::Value) {
    let jwks: jsonwebtoken::jwk::JwkSet = app
        .http()
        .get(app.url("/jwks"))
        .send()
        .await
        .expect("jwks")
        .json()
        .await
        .expect("jwks json");
    let header = jsonwebtoken::decode_header(token).expect("a JWS header");
    let kid = header.kid.clone().expect("a kid");
    let jwk = jwks.find(&kid).expect("the kid is published");
    let key = jsonwebtoken::DecodingKey::from_jwk(jwk).expect("decoding key");
    let mut validation = jsonwebtoken::Validation::new(header.alg);
    validation.set_issuer(&[&app.issuer]);
    validation.validate_aud = false;
    validation.required_spec_claims.clear();
    let data = jsonwebtoken::decode::<serde_json::Value>(token, &key, &validation)
        .expect("the signature verifies");
    (header, data.claims)
}

/// The claims of a token Tessera signed, checked as a relying party checks
/// them: against `/jwks`.
pub async fn claims_of(app: &TestApp, token: &str) -> serde_json::Value {
    verify_with_jwks(app, token).await.1
}
