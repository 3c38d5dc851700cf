//! `/token` with the authorization_code grant: client authentication, PKCE,
//! single-use codes, and RFC 6749 §5.2 errors.

use std::time::Duration;

use tessera::admin::clients::NewClient;
use tessera::domain::AuthMethod;

use crate::helpers::*;

/// A code and its PKCE verifier for `client`, with alice signed in.
async fn fresh_code(browser: &Browser, client: &TestClient) -> (String, String) {
    let (verifier, challenge) = pkce_pair();
    let redirect = browser
        .authorize_through(&code_params(client, &challenge, "s", "n"), "alice")
        .await;
    (redirect.param("code").expect("a code"), verifier)
}

fn exchange<'a>(
    code: &'a str,
    client: &'a TestClient,
    verifier: &'a str,
) -> Vec<(&'a str, &'a str)> {
    vec![
        ("grant_type", "authorization_code"),
        ("code", code),
        ("redirect_uri", client.redirect_uri.as_str()),
        ("code_verifier", verifier),
    ]
}

/// Asserts an RFC 6749 §5.2 error response.
async fn assert_token_error(
    response: reqwest::Response,
    status: u16,
    error: &str,
) -> serde_json::Value {
    assert_eq!(response.status(), status);
    assert_eq!(response.headers()["cache-control"], "no-store");
    assert!(
        response.headers()["content-type"]
            .to_str()
            .expect("ct")
            .starts_with("application/json")
    );
    let body: serde_json::Value = response.json().await.expect("json error");
    assert_eq!(body["error"], error, "{body}");
    body
}

#[tokio::test]
async fn a_successful_exchange_returns_well_formed_tokens() {
    let app = spawn_app().await;
    let alice = app.create_user("alice").await;
    let client = app.confidential_client("app1", APP1_HOST).await;
    let browser = app.browser();
    let (code, verifier) = fresh_code(&browser, &client).await;
    let response = exchange_code(&app, &client, &code, &verifier).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["cache-control"], "no-store");
    assert_eq!(response.headers()["pragma"], "no-cache");
    let body: serde_json::Value = response.json().await.expect("json");
    assert_eq!(body["token_type"], "Bearer");
    assert!(body["expires_in"].as_i64().expect("expires_in") > 0);
    assert_eq!(
        scope_set(&body["scope"]),
        scopes("openid profile email offline_access")
    );
    assert!(body["refresh_token"].is_string());

    let access = body["access_token"].as_str().expect("access token");
    let header = jwt_header(access);
    assert_eq!(header["typ"], "at+jwt");
    assert!(header["kid"].is_string());
    let claims = claims_of(&app, access).await;
    assert_eq!(claims["iss"], app.issuer);
    assert_eq!(claims["sub"], alice.id.as_str());
    assert_eq!(claims["client_id"], "app1");
    assert_eq!(
        scope_set(&claims["scope"]),
        scopes("openid profile email offline_access")
    );
    for claim in ["aud", "exp", "iat", "jti"] {
        assert!(!claims[claim].is_null(), "access token claim {claim}");
    }
    let id = claims_of(&app, body["id_token"].as_str().expect("id token")).await;
    assert_eq!(id["aud"], "app1");
    assert_eq!(id["nonce"], "n");
    for claim in ["iss", "sub", "exp", "iat", "auth_time", "at_hash", "sid"] {
        assert!(!id[claim].is_null(), "ID token claim {claim}");
    }
}

#[tokio::test]
async fn a_replayed_code_is_refused_and_revokes_what_it_issued() {
    let app = spawn_app().await;
    app.create_user("alice").await;
    let client = app.confidential_client("app1", APP1_HOST).await;
    let browser = app.browser();
    let (code, verifier) = fresh_code(&browser, &client).await;
    let first: serde_json::Value = exchange_code(&app, &client, &code, &verifier)
        .await
        .json()
        .await
        .expect("json");
    let access = first["access_token"].as_str().expect("access token");
    assert_eq!(userinfo(&app, access).await.status(), 200);

    let replay = exchange_code(&app, &client, &code, &verifier).await;
    assert_token_error(replay, 400, "invalid_grant").await;

    let after = userinfo(&app, access).await;
    assert_eq!(
        after.status(),
        401,
        "the first exchange's access token is revoked"
    );
    let refresh = token_request(
        &app,
        &client,
        &[
            ("grant_type", "refresh_token"),
            (
                "refresh_token",
                first["refresh_token"].as_str().expect("rt"),
            ),
        ],
    )
    .await;
    assert_token_error(refresh, 400, "invalid_grant").await;
}

#[tokio::test]
async fn pkce_must_be_presented_and_must_match() {
    let app = spawn_app().await;
    app.create_user("alice").await;
    let client = app.confidential_client("app1", APP1_HOST).await;
    let browser = app.browser();

    let (code, _) = fresh_code(&browser, &client).await;
    let mut missing = exchange(&code, &client, "");
    missing.retain(|(k, _)| *k != "code_verifier");
    assert_token_error(
        token_request(&app, &client, &missing).await,
        400,
        "invalid_grant",
    )
    .await;

    let (code, _) = fresh_code(&browser, &client).await;
    let wrong = random_verifier();
    assert_token_error(
        exchange_code(&app, &client, &code, &wrong).await,
        400,
        "invalid_grant",
    )
    .await;

    // A verifier sent for a code that had no challenge is a downgrade attempt.
    let redirect = browser
        .authorize_through(
            &[
                ("response_type", "code"),
                ("client_id", "app1"),
                ("redirect_uri", client.redirect_uri.as_str()),
                ("scope", "openid"),
            ],
            "alice",
        )
        .await;
    let code = redirect
        .param("code")
        .expect("code without PKCE for a confidential client");
    let verifier = random_verifier();
    assert_token_error(
        exchange_code(&app, &client, &code, &verifier).await,
        400,
        "invalid_grant",
    )
    .await;
}

fn random_verifier() -> String {
    pkce_pair().0
}

#[tokio::test]
async fn a_wrong_client_secret_is_a_401_with_a_challenge() {
    let app = spawn_app().await;
    app.create_user("alice").await;
    let client = app.confidential_client("app1", APP1_HOST).await;
    let browser = app.browser();
    let (code, verifier) = fresh_code(&browser, &client).await;
    let impostor = TestClient {
        secret: Some("not-the-secret".into()),
        ..client.clone()
    };
    let response = token_request(&app, &impostor, &exchange(&code, &client, &verifier)).await;
    let challenge = response.headers()["www-authenticate"]
        .to_str()
        .expect("header")
        .to_ascii_lowercase();
    assert!(challenge.starts_with("basic"), "{challenge}");
    assert_token_error(response, 401, "invalid_client").await;

    // No credentials at all.
    let response = app
        .http()
        .post(app.url("/token"))
        .form(&exchange(&code, &client, &verifier))
        .send()
        .await
        .expect("post");
    assert_token_error(response, 401, "invalid_client").await;

    // The wrong secret did not burn the code: the real client still redeems it.
    let response = exchange_code(&app, &client, &code, &verifier).await;
    assert_eq!(response.status(), 200);
}

#[tokio::test]
async fn a_code_only_works_for_its_client_and_its_redirect_uri() {
    let app = spawn_app().await;
    app.create_user("alice").await;
    let app1 = app.confidential_client("app1", APP1_HOST).await;
    let mut spec = client_spec("app2", APP2_HOST);
    spec.redirect_uris
        .push(format!("https://{APP2_HOST}/other"));
    let app2 = app.create_client(spec).await;
    let browser = app.browser();

    let (code, verifier) = fresh_code(&browser, &app1).await;
    let response = token_request(&app, &app2, &exchange(&code, &app1, &verifier)).await;
    assert_token_error(response, 400, "invalid_grant").await;

    let (code, verifier) = fresh_code(&browser, &app2).await;
    let mut form = exchange(&code, &app2, &verifier);
    form.retain(|(k, _)| *k != "redirect_uri");
    let other = format!("https://{APP2_HOST}/other");
    form.push(("redirect_uri", &other));
    assert_token_error(
        token_request(&app, &app2, &form).await,
        400,
        "invalid_grant",
    )
    .await;
}

#[tokio::test]
async fn an_expired_code_is_refused() {
    let app = spawn_app_with(|s| s.code_lifetime = Duration::from_secs(30)).await;
    app.create_user("alice").await;
    let client = app.confidential_client("app1", APP1_HOST).await;
    let browser = app.browser();
    let (code, verifier) = fresh_code(&browser, &client).await;
    app.clock.advance(30);
    let response = exchange_code(&app, &client, &code, &verifier).await;
    let body = assert_token_error(response, 400, "invalid_grant").await;
    assert_eq!(
        body["error_description"],
        "the authorization code has expired"
    );
}

type Form<'a> = Vec<(&'a str, &'a str)>;

#[tokio::test]
async fn malformed_token_requests_get_spec_shaped_errors() {
    let app = spawn_app().await;
    let client = app.confidential_client("app1", APP1_HOST).await;
    let cases: Vec<(Form, u16, &str)> = vec![
        (vec![], 400, "invalid_request"),
        (
            vec![
                ("grant_type", "password"),
                ("username", "a"),
                ("password", "b"),
            ],
            400,
            "unsupported_grant_type",
        ),
        (
            vec![("grant_type", "authorization_code")],
            400,
            "invalid_request",
        ),
        (
            vec![
                ("grant_type", "authorization_code"),
                ("code", "garbage"),
                ("redirect_uri", &client.redirect_uri),
            ],
            400,
            "invalid_grant",
        ),
        (
            vec![("grant_type", "refresh_token")],
            400,
            "invalid_request",
        ),
        (
            // Not registered for this client (RFC 6749 §5.2).
            vec![("grant_type", "client_credentials")],
            400,
            "unauthorized_client",
        ),
    ];
    for (form, status, error) in cases {
        assert_token_error(token_request(&app, &client, &form).await, status, error).await;
    }
    let json_body = app
        .http()
        .post(app.url("/token"))
        .basic_auth(&client.id, client.secret.as_deref())
        .json(&serde_json::json!({"grant_type": "authorization_code"}))
        .send()
        .await
        .expect("post");
    assert_token_error(json_body, 400, "invalid_request").await;
    let get = app.http().get(app.url("/token")).send().await.expect("get");
    assert_eq!(get.status(), 405);
}

#[tokio::test]
async fn a_client_limited_to_one_grant_cannot_use_another() {
    let app = spawn_app().await;
    app.create_user("alice").await;
    let mut spec = client_spec("app1", APP1_HOST);
    spec.grant_types = vec![tessera::domain::GrantType::AuthorizationCode];
    let client = app.create_client(spec).await;
    let body = login_and_exchange(&app, &app.browser(), &client, "alice").await;
    assert!(
        body["refresh_token"].is_null(),
        "no refresh token for a client without the grant"
    );
    let response = token_request(
        &app,
        &client,
        &[("grant_type", "refresh_token"), ("refresh_token", "x")],
    )
    .await;
    assert_token_error(response, 400, "unauthorized_client").await;
}

#[tokio::test]
async fn public_clients_authenticate_with_pkce_alone() {
    let app = spawn_app().await;
    app.create_user("alice").await;
    let client = app.public_client("spa", APP1_HOST).await;
    let browser = app.browser();
    let (code, verifier) = fresh_code(&browser, &client).await;
    let response = exchange_code(&app, &client, &code, &verifier).await;
    assert_eq!(response.status(), 200);

    // A public client cannot pretend to have a secret.
    let (code, verifier) = fresh_code(&browser, &client).await;
    let with_secret = TestClient {
        secret: Some("anything".into()),
        ..client.clone()
    };
    assert_token_error(
        token_request(&app, &with_secret, &exchange(&code, &client, &verifier)).await,
        401,
        "invalid_client",
    )
    .await;
}

#[tokio::test]
async fn client_secret_post_is_honoured_and_basic_is_then_refused() {
    let app = spawn_app().await;
    app.create_user("alice").await;
    let client = app
        .create_client(NewClient {
            auth_method: Some(AuthMethod::ClientSecretPost),
            ..client_spec("app1", APP1_HOST)
        })
        .await;
    let secret = client.secret.clone().expect("secret");
    let browser = app.browser();

    let (code, verifier) = fresh_code(&browser, &client).await;
    let basic = exchange_code(&app, &client, &code, &verifier).await;
    assert_token_error(basic, 401, "invalid_client").await;

    let mut form = exchange(&code, &client, &verifier);
    form.extend([("client_id", "app1"), ("client_secret", secret.as_str())]);
    let response = app
        .http()
        .post(app.url("/token"))
        .form(&form)
        .send()
        .await
        .expect("post");
    assert_eq!(response.status(), 200);
}
