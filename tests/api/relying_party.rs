//! The `openidconnect` crate as the relying party, against the real server:
//! discovery, PKCE + nonce, hosted login, code exchange with ID token
//! verification, userinfo, refresh, and SSO across subdomains.

use openidconnect::core::{
    CoreAuthenticationFlow, CoreClient, CoreJwsSigningAlgorithm, CoreProviderMetadata,
    CoreUserInfoClaims,
};
use openidconnect::{
    AccessTokenHash, AuthorizationCode, ClientId, ClientSecret, CsrfToken, IssuerUrl, Nonce,
    OAuth2TokenResponse, PkceCodeChallenge, RedirectUrl, Scope, TokenResponse,
};
use tessera::admin::clients::NewClient;
use tessera::domain::SigningAlg;

use crate::helpers::*;

async fn discover(app: &TestApp) -> CoreProviderMetadata {
    CoreProviderMetadata::discover_async(
        IssuerUrl::new(app.issuer.clone()).expect("issuer"),
        &app.http(),
    )
    .await
    .expect("discovery document accepted by openidconnect")
}

#[tokio::test]
async fn an_oidc_client_signs_in_refreshes_and_reads_userinfo() {
    // Arrange
    let app = spawn_app().await;
    let user = app.create_user("alice").await;
    let registered = app.confidential_client("app1", APP1_HOST).await;
    let metadata = discover(&app).await;
    let client = CoreClient::from_provider_metadata(
        metadata,
        ClientId::new(registered.id.clone()),
        Some(ClientSecret::new(
            registered.secret.clone().expect("secret"),
        )),
    )
    .set_redirect_uri(RedirectUrl::new(registered.redirect_uri.clone()).expect("redirect"));
    let http = app.http();
    let browser = app.browser();

    // Act: authorize with PKCE and a nonce, sign in through the hosted form.
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let (auth_url, state, nonce) = client
        .authorize_url(
            CoreAuthenticationFlow::AuthorizationCode,
            CsrfToken::new_random,
            Nonce::new_random,
        )
        .add_scope(Scope::new("profile".into()))
        .add_scope(Scope::new("email".into()))
        .add_scope(Scope::new("offline_access".into()))
        .set_pkce_challenge(challenge)
        .url();
    let to_login = redirect_of(&browser.get(auth_url.as_str()).await, &app.issuer);
    assert_eq!(to_login.location.path(), "/login");
    let callback = redirect_of(
        &browser
            .submit_login(to_login.location.as_str(), "alice", PASSWORD)
            .await,
        &app.issuer,
    );

    // Assert: the callback carries code, state and iss.
    assert_eq!(callback.status, 303);
    assert_eq!(callback.location.host_str(), Some(APP1_HOST));
    assert_eq!(
        callback.param("state").as_deref(),
        Some(state.secret().as_str())
    );
    assert_eq!(callback.param("iss").as_deref(), Some(app.issuer.as_str()));
    let code = callback.param("code").expect("code");
    assert!(code.len() >= 43, "codes carry at least 256 bits");

    let tokens = client
        .exchange_code(AuthorizationCode::new(code))
        .expect("token endpoint")
        .set_pkce_verifier(verifier)
        .request_async(&http)
        .await
        .expect("code exchange");
    let id_token = tokens.id_token().expect("an ID token");
    let verifier = client.id_token_verifier();
    let claims = id_token
        .claims(&verifier, &nonce)
        .expect("a valid ID token");
    assert_eq!(claims.subject().as_str(), user.id.as_str());
    assert!(claims.auth_time().is_some());
    let expected_hash = AccessTokenHash::from_token(
        tokens.access_token(),
        id_token.signing_alg().expect("alg"),
        id_token.signing_key(&verifier).expect("key"),
    )
    .expect("at_hash");
    assert_eq!(claims.access_token_hash(), Some(&expected_hash));

    let info: CoreUserInfoClaims = client
        .user_info(
            tokens.access_token().clone(),
            Some(claims.subject().clone()),
        )
        .expect("userinfo endpoint")
        .request_async(&http)
        .await
        .expect("userinfo");
    assert_eq!(info.preferred_username().map(|u| u.as_str()), Some("alice"));
    assert_eq!(info.email().map(|e| e.as_str()), Some("alice@example.com"));

    let refresh_token = tokens.refresh_token().expect("a refresh token");
    let refreshed = client
        .exchange_refresh_token(refresh_token)
        .expect("token endpoint")
        .request_async(&http)
        .await
        .expect("refresh");
    assert_ne!(
        refreshed.refresh_token().map(|t| t.secret()),
        Some(refresh_token.secret())
    );
    let new_claims = refreshed
        .id_token()
        .expect("a refreshed ID token")
        .claims(&verifier, |_: Option<&Nonce>| Ok(()))
        .expect("valid refreshed ID token");
    assert_eq!(new_claims.subject(), claims.subject());
    assert_eq!(new_claims.auth_time(), claims.auth_time());
}

#[tokio::test]
async fn a_second_app_on_another_subdomain_gets_a_code_without_a_second_login() {
    // Arrange: one browser signed in for app1.
    let app = spawn_app().await;
    app.create_user("alice").await;
    let app1 = app.confidential_client("app1", APP1_HOST).await;
    let app2 = app.confidential_client("app2", APP2_HOST).await;
    let browser = app.browser();
    let first = login_and_exchange(&app, &browser, &app1, "alice").await;

    // The session cookie is Tessera's alone (host-only): SSO needs no
    // cookie shared with the applications, each sends the browser here.
    assert!(
        browser
            .cookies_for(&format!("http://{AUTH_HOST}/"))
            .contains("tessera_session=")
    );
    for host in [APP1_HOST, APP2_HOST] {
        assert!(
            !browser
                .cookies_for(&format!("http://{host}/"))
                .contains("tessera_session="),
            "the session cookie never reaches {host}"
        );
    }

    // Act: app2 starts its own authorization request in the same browser.
    let (verifier, challenge) = pkce_pair();
    let response = browser
        .authorize(&code_params(&app2, &challenge, "s2", "n2"))
        .await;

    // Assert: straight to app2's callback with a code, no login page.
    let callback = redirect_of(&response, &app.issuer);
    assert_eq!(callback.location.host_str(), Some(APP2_HOST));
    let code = callback
        .param("code")
        .expect("a code without logging in again");
    let response = exchange_code(&app, &app2, &code, &verifier).await;
    assert_eq!(response.status(), 200);
    let second: serde_json::Value = response.json().await.expect("json");
    let (a, b) = (
        claims_of(&app, first["id_token"].as_str().expect("id token")).await,
        claims_of(&app, second["id_token"].as_str().expect("id token")).await,
    );
    assert_eq!(a["sub"], b["sub"]);
    assert_eq!(a["sid"], b["sid"], "both apps see the same SSO session");
    assert_eq!(a["auth_time"], b["auth_time"]);
    assert_eq!(b["aud"], "app2");
}

#[tokio::test]
async fn es256_and_eddsa_id_tokens_verify_against_the_published_keys() {
    let app = spawn_app().await;
    app.create_user("alice").await;
    for (id, alg, core_alg) in [
        (
            "es-app",
            SigningAlg::ES256,
            CoreJwsSigningAlgorithm::EcdsaP256Sha256,
        ),
        ("ed-app", SigningAlg::EdDSA, CoreJwsSigningAlgorithm::EdDsa),
    ] {
        let registered = app
            .create_client(NewClient {
                id_token_alg: alg,
                ..client_spec(id, APP1_HOST)
            })
            .await;
        let client = CoreClient::from_provider_metadata(
            discover(&app).await,
            ClientId::new(registered.id.clone()),
            Some(ClientSecret::new(
                registered.secret.clone().expect("secret"),
            )),
        )
        .set_redirect_uri(RedirectUrl::new(registered.redirect_uri.clone()).expect("redirect"));
        let browser = app.browser();
        let (auth_url, _, nonce) = client
            .authorize_url(
                CoreAuthenticationFlow::AuthorizationCode,
                CsrfToken::new_random,
                Nonce::new_random,
            )
            .url();
        let to_login = redirect_of(&browser.get(auth_url.as_str()).await, &app.issuer);
        let callback = redirect_of(
            &browser
                .submit_login(to_login.location.as_str(), "alice", PASSWORD)
                .await,
            &app.issuer,
        );
        let tokens = client
            .exchange_code(AuthorizationCode::new(
                callback.param("code").expect("code"),
            ))
            .expect("token endpoint")
            .request_async(&app.http())
            .await
            .expect("exchange");
        let id_token = tokens.id_token().expect("id token");
        assert_eq!(id_token.signing_alg().expect("alg"), &core_alg);
        let verifier = client
            .id_token_verifier()
            .set_allowed_algs(vec![core_alg.clone()]);
        let claims = id_token
            .claims(&verifier, &nonce)
            .expect("verifies with the JWKS");
        let expected_hash = AccessTokenHash::from_token(
            tokens.access_token(),
            id_token.signing_alg().expect("alg"),
            id_token.signing_key(&verifier).expect("key"),
        )
        .expect("at_hash");
        assert_eq!(
            claims.access_token_hash(),
            Some(&expected_hash),
            "{id}: at_hash"
        );
    }
}
