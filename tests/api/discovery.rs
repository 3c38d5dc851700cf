//! Discovery and JWKS: what an OIDC library reads before anything else.

use openidconnect::IssuerUrl;
use openidconnect::core::CoreProviderMetadata;

use crate::helpers::*;

#[tokio::test]
async fn discovery_lists_exactly_what_is_offered() {
    let app = spawn_app().await;
    let metadata = CoreProviderMetadata::discover_async(
        IssuerUrl::new(app.issuer.clone()).expect("issuer"),
        &app.http(),
    )
    .await
    .expect("openidconnect accepts the document");
    assert_eq!(metadata.issuer().as_str(), app.issuer);

    let doc: serde_json::Value = app
        .http()
        .get(app.url("/.well-known/openid-configuration"))
        .send()
        .await
        .expect("discovery")
        .json()
        .await
        .expect("json");
    assert_eq!(doc["authorization_endpoint"], app.url("/authorize"));
    assert_eq!(doc["token_endpoint"], app.url("/token"));
    assert_eq!(doc["userinfo_endpoint"], app.url("/userinfo"));
    assert_eq!(doc["jwks_uri"], app.url("/jwks"));
    assert_eq!(doc["response_types_supported"], serde_json::json!(["code"]));
    assert_eq!(
        doc["grant_types_supported"],
        serde_json::json!([
            "authorization_code",
            "refresh_token",
            "client_credentials",
            "urn:ietf:params:oauth:grant-type:token-exchange"
        ])
    );
    assert_eq!(
        doc["code_challenge_methods_supported"],
        serde_json::json!(["S256"])
    );
    assert_eq!(
        doc["scopes_supported"],
        serde_json::json!(["openid", "profile", "email", "offline_access", "groups"])
    );
    assert_eq!(
        doc["token_endpoint_auth_methods_supported"],
        serde_json::json!(["client_secret_basic", "client_secret_post", "none"])
    );
    assert_eq!(
        doc["id_token_signing_alg_values_supported"],
        serde_json::json!(["RS256", "ES256", "EdDSA"])
    );
    assert_eq!(doc["authorization_response_iss_parameter_supported"], true);
    assert_eq!(doc["end_session_endpoint"], app.url("/logout"));
    assert_eq!(doc["backchannel_logout_supported"], true);
    assert_eq!(doc["backchannel_logout_session_supported"], true);
    assert_eq!(doc["revocation_endpoint"], app.url("/revoke"));
    assert_eq!(doc["introspection_endpoint"], app.url("/introspect"));
    assert_eq!(
        doc["revocation_endpoint_auth_methods_supported"],
        serde_json::json!(["client_secret_basic", "client_secret_post", "none"])
    );
    assert_eq!(
        doc["introspection_endpoint_auth_methods_supported"],
        serde_json::json!(["client_secret_basic", "client_secret_post"])
    );
    assert_eq!(doc["request_parameter_supported"], false);
    assert_eq!(doc["request_uri_parameter_supported"], false);

    // Every advertised endpoint answers as what it says it is.
    let http = app.http();
    let authorize = http
        .get(app.url("/authorize"))
        .send()
        .await
        .expect("authorize");
    assert_eq!(authorize.status(), 400, "an error page without a client");
    assert!(authorize.text().await.expect("html").contains("client_id"));
    let jwks: serde_json::Value = http
        .get(app.url("/jwks"))
        .send()
        .await
        .expect("jwks")
        .json()
        .await
        .expect("a JWK set");
    assert_eq!(jwks["keys"].as_array().map(Vec::len), Some(3));
    let token = http
        .post(app.url("/token"))
        .form(&[("grant_type", "authorization_code")])
        .send()
        .await
        .expect("token");
    assert_eq!(token.status(), 401);
    let body: serde_json::Value = token.json().await.expect("json");
    assert_eq!(body["error"], "invalid_client");
    let userinfo = http
        .get(app.url("/userinfo"))
        .send()
        .await
        .expect("userinfo");
    assert_eq!(userinfo.status(), 401);
    assert!(
        userinfo.headers()["www-authenticate"]
            .to_str()
            .expect("challenge")
            .starts_with("Bearer")
    );
    for endpoint in ["/revoke", "/introspect"] {
        let response = http
            .post(app.url(endpoint))
            .form(&[("token", "x")])
            .send()
            .await
            .expect(endpoint);
        assert_eq!(response.status(), 401, "{endpoint} wants a client");
        let body: serde_json::Value = response.json().await.expect("json");
        assert_eq!(body["error"], "invalid_client", "{endpoint}");
    }
    let logout = http.get(app.url("/logout")).send().await.expect("logout");
    assert_eq!(logout.status(), 200, "the signed-out page");
}

#[tokio::test]
async fn the_jwks_holds_public_keys_only_each_with_a_kid() {
    let app = spawn_app().await;
    let response = app.http().get(app.url("/jwks")).send().await.expect("jwks");
    assert_eq!(response.status(), 200);
    let jwks: serde_json::Value = response.json().await.expect("json");
    let keys = jwks["keys"].as_array().expect("keys");
    let mut algs: Vec<&str> = keys
        .iter()
        .map(|k| k["alg"].as_str().expect("alg"))
        .collect();
    algs.sort_unstable();
    assert_eq!(algs, vec!["ES256", "EdDSA", "RS256"]);
    for key in keys {
        assert!(key["kid"].as_str().is_some_and(|k| !k.is_empty()), "{key}");
        assert_eq!(key["use"], "sig");
        for private in ["d", "p", "q", "dp", "dq", "qi"] {
            assert!(key[private].is_null(), "private member {private} in {key}");
        }
    }
}

#[tokio::test]
async fn signing_keys_persist_across_restarts() {
    let app = spawn_app().await;
    let jwks = |app: &TestApp| {
        let request = app.http().get(app.url("/jwks")).send();
        async move {
            request
                .await
                .expect("jwks")
                .json::<serde_json::Value>()
                .await
                .expect("json")
        }
    };
    let before = jwks(&app).await;
    let app = app.restart().await;
    assert_eq!(before, jwks(&app).await);
}
