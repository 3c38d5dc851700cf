//! `/authorize`: which mistakes get an error page and which a redirect, and
//! the request parameters OIDC Core asks a provider to honour.

use crate::helpers::*;

/// An HTML error page, never a redirect: returns the page text.
async fn assert_error_page(response: reqwest::Response) -> String {
    assert_eq!(response.status(), 400);
    assert!(
        response.headers().get("location").is_none(),
        "no redirect to an untrusted URI"
    );
    let content_type = response.headers()["content-type"]
        .to_str()
        .expect("header")
        .to_string();
    assert!(content_type.starts_with("text/html"), "{content_type}");
    response.text().await.expect("page")
}

#[tokio::test]
async fn an_unregistered_redirect_uri_gets_an_error_page_not_a_redirect() {
    let app = spawn_app().await;
    let client = app.confidential_client("app1", APP1_HOST).await;
    let browser = app.browser();
    let (_, challenge) = pkce_pair();
    let registered = client.redirect_uri.clone();
    for candidate in [
        "https://evil.example/callback".to_string(),
        format!("{registered}/extra"),
        format!("{registered}?next=1"),
        registered.replace("https://", "http://"),
        registered.to_uppercase(),
        format!("{registered}#frag"),
        registered.replace("/callback", "/callback/"),
    ] {
        let mut params = code_params(&client, &challenge, "st", "n");
        params.retain(|(k, _)| *k != "redirect_uri");
        params.push(("redirect_uri", &candidate));
        let page = assert_error_page(browser.authorize(&params).await).await;
        assert!(
            page.contains("redirect_uri"),
            "{candidate}: the page names the problem"
        );
    }
}

#[tokio::test]
async fn an_unknown_client_or_a_missing_redirect_uri_gets_an_error_page() {
    let app = spawn_app().await;
    let client = app.confidential_client("app1", APP1_HOST).await;
    let browser = app.browser();
    let (_, challenge) = pkce_pair();

    let mut unknown = code_params(&client, &challenge, "st", "n");
    unknown.retain(|(k, _)| *k != "client_id");
    unknown.push(("client_id", "nobody"));
    assert_error_page(browser.authorize(&unknown).await).await;

    let mut missing = code_params(&client, &challenge, "st", "n");
    missing.retain(|(k, _)| *k != "redirect_uri");
    assert_error_page(browser.authorize(&missing).await).await;

    let mut repeated = code_params(&client, &challenge, "st", "n");
    repeated.push(("client_id", "app1"));
    assert_error_page(browser.authorize(&repeated).await).await;
}

/// Asserts an error redirect to the client carrying `error`, `state` and `iss`.
fn assert_error_redirect(
    redirect: &Redirect,
    client: &TestClient,
    issuer: &str,
    error: &str,
    state: &str,
) {
    assert!(
        redirect.location.as_str().starts_with(&client.redirect_uri),
        "{}",
        redirect.location
    );
    assert_eq!(
        redirect.param("error").as_deref(),
        Some(error),
        "{}",
        redirect.location
    );
    assert!(redirect.has_param("error_description"));
    assert_eq!(redirect.param("state").as_deref(), Some(state));
    assert_eq!(redirect.param("iss").as_deref(), Some(issuer));
    assert!(!redirect.has_param("code"));
}

#[tokio::test]
async fn a_public_client_without_pkce_or_with_plain_pkce_is_refused() {
    let app = spawn_app().await;
    let client = app.public_client("spa", APP1_HOST).await;
    let browser = app.browser();
    let (verifier, challenge) = pkce_pair();

    let mut without = code_params(&client, &challenge, "s1", "n");
    without.retain(|(k, _)| !k.starts_with("code_challenge"));
    let redirect = redirect_of(&browser.authorize(&without).await, &app.issuer);
    assert_error_redirect(&redirect, &client, &app.issuer, "invalid_request", "s1");

    let mut plain = code_params(&client, &verifier, "s2", "n");
    plain.retain(|(k, _)| *k != "code_challenge_method");
    plain.push(("code_challenge_method", "plain"));
    let redirect = redirect_of(&browser.authorize(&plain).await, &app.issuer);
    assert_error_redirect(&redirect, &client, &app.issuer, "invalid_request", "s2");

    let mut short = code_params(&client, "tooshort", "s3", "n");
    short.retain(|(k, _)| *k != "code_challenge");
    short.push(("code_challenge", "tooshort"));
    let redirect = redirect_of(&browser.authorize(&short).await, &app.issuer);
    assert_error_redirect(&redirect, &client, &app.issuer, "invalid_request", "s3");
}

#[tokio::test]
async fn protocol_errors_after_the_redirect_uri_is_trusted_are_redirected() {
    let app = spawn_app().await;
    let client = app.confidential_client("app1", APP1_HOST).await;
    let browser = app.browser();
    let (_, challenge) = pkce_pair();
    let cases: [(&str, &str, &str); 7] = [
        ("response_type", "token", "unsupported_response_type"),
        ("response_type", "", "invalid_request"),
        ("response_mode", "fragment", "invalid_request"),
        ("scope", "", "invalid_scope"),
        ("scope", "openid admin", "invalid_scope"),
        (
            "request",
            "eyJhbGciOiJub25lIn0.e30.",
            "request_not_supported",
        ),
        (
            "request_uri",
            "https://app1.example.test/req",
            "request_uri_not_supported",
        ),
    ];
    for (name, value, error) in cases {
        let mut params = code_params(&client, &challenge, "state-1", "n");
        params.retain(|(k, _)| *k != name);
        params.push((name, value));
        let redirect = redirect_of(&browser.authorize(&params).await, &app.issuer);
        assert_error_redirect(&redirect, &client, &app.issuer, error, "state-1");
    }
}

#[tokio::test]
async fn an_error_echoes_little_of_a_huge_scope() {
    let app = spawn_app().await;
    let client = app.confidential_client("app1", APP1_HOST).await;
    let huge = format!("openid {}", "x".repeat(30_000));
    let (_, challenge) = pkce_pair();
    let mut params = code_params(&client, &challenge, "s", "n");
    params.retain(|(k, _)| *k != "scope");
    params.push(("scope", &huge));
    let redirect = redirect_of(&app.browser().authorize(&params).await, &app.issuer);
    assert_eq!(redirect.param("error").as_deref(), Some("invalid_scope"));
    let description = redirect.param("error_description").expect("description");
    assert!(
        description.len() <= 100,
        "{} bytes echoed",
        description.len()
    );
    // The token endpoint says as little.
    let service = app
        .create_client(tessera::admin::clients::NewClient {
            id: Some("svc".into()),
            name: "svc".into(),
            grant_types: vec![tessera::domain::GrantType::ClientCredentials],
            scopes: vec!["api".into()],
            ..tessera::admin::clients::NewClient::default()
        })
        .await;
    let response = token_request(
        &app,
        &service,
        &[("grant_type", "client_credentials"), ("scope", &huge)],
    )
    .await;
    assert_eq!(response.status(), 400);
    let body: serde_json::Value = response.json().await.expect("json");
    assert!(field(&body, "error_description").len() <= 250, "{body}");
}

#[tokio::test]
async fn prompt_none_without_a_session_answers_login_required() {
    let app = spawn_app().await;
    let client = app.confidential_client("app1", APP1_HOST).await;
    let (_, challenge) = pkce_pair();
    let long_state = "s".repeat(128);
    let mut params = code_params(&client, &challenge, &long_state, "n");
    params.push(("prompt", "none"));
    let redirect = redirect_of(&app.browser().authorize(&params).await, &app.issuer);
    assert_error_redirect(
        &redirect,
        &client,
        &app.issuer,
        "login_required",
        &long_state,
    );
}

#[tokio::test]
async fn prompt_none_with_a_session_and_an_id_token_hint_is_silent() {
    let app = spawn_app().await;
    app.create_user("alice").await;
    app.create_user("bob").await;
    let client = app.confidential_client("app1", APP1_HOST).await;
    let browser = app.browser();
    let first = login_and_exchange(&app, &browser, &client, "alice").await;
    let id_token = first["id_token"].as_str().expect("id token");
    let (_, challenge) = pkce_pair();

    let mut silent = code_params(&client, &challenge, "s", "n");
    silent.extend([("prompt", "none"), ("id_token_hint", id_token)]);
    let redirect = redirect_of(&browser.authorize(&silent).await, &app.issuer);
    assert!(redirect.has_param("code"), "{}", redirect.location);

    // A hint naming someone else must not silently hand out alice's session.
    let bob_browser = app.browser();
    let bob_tokens = login_and_exchange(&app, &bob_browser, &client, "bob").await;
    let mut mismatched = code_params(&client, &challenge, "s", "n");
    mismatched.extend([
        ("prompt", "none"),
        (
            "id_token_hint",
            bob_tokens["id_token"].as_str().expect("id"),
        ),
    ]);
    let redirect = redirect_of(&browser.authorize(&mismatched).await, &app.issuer);
    assert_eq!(redirect.param("error").as_deref(), Some("login_required"));

    let mut garbage = code_params(&client, &challenge, "s", "n");
    garbage.extend([("prompt", "none"), ("id_token_hint", "not-a-jwt")]);
    let redirect = redirect_of(&browser.authorize(&garbage).await, &app.issuer);
    assert_eq!(redirect.param("error").as_deref(), Some("invalid_request"));
}

#[tokio::test]
async fn prompt_login_and_max_age_force_a_fresh_sign_in() {
    let app = spawn_app().await;
    app.create_user("alice").await;
    let client = app.confidential_client("app1", APP1_HOST).await;
    let browser = app.browser();
    login_and_exchange(&app, &browser, &client, "alice").await;
    let (_, challenge) = pkce_pair();

    for extra in [("prompt", "login"), ("max_age", "0")] {
        let mut params = code_params(&client, &challenge, "s", "n");
        params.push(extra);
        let redirect = redirect_of(&browser.authorize(&params).await, &app.issuer);
        assert_eq!(
            redirect.location.path(),
            "/login",
            "{extra:?} asks for the password again"
        );
    }

    // A generous max_age is satisfied by the existing session.
    let mut params = code_params(&client, &challenge, "s", "n");
    params.push(("max_age", "3600"));
    let redirect = redirect_of(&browser.authorize(&params).await, &app.issuer);
    assert!(redirect.has_param("code"));

    // prompt=none together with prompt=login is contradictory.
    let mut params = code_params(&client, &challenge, "s", "n");
    params.push(("prompt", "none login"));
    let redirect = redirect_of(&browser.authorize(&params).await, &app.issuer);
    assert_eq!(redirect.param("error").as_deref(), Some("invalid_request"));
}

#[tokio::test]
async fn login_hint_prefills_and_optional_parameters_are_accepted() {
    let app = spawn_app().await;
    let client = app.confidential_client("app1", APP1_HOST).await;
    let browser = app.browser();
    let (_, challenge) = pkce_pair();
    let mut params = code_params(&client, &challenge, "s", "n");
    params.extend([
        ("login_hint", "alice@example.com"),
        ("display", "page"),
        ("ui_locales", "en fr"),
        ("claims_locales", "en"),
        ("acr_values", "urn:example:acr"),
        ("something_unknown", "x"),
    ]);
    let redirect = redirect_of(&browser.authorize(&params).await, &app.issuer);
    assert_eq!(redirect.location.path(), "/login");
    let html = browser
        .get(redirect.location.as_str())
        .await
        .text()
        .await
        .expect("html");
    assert!(
        html.contains("value=\"alice@example.com\""),
        "login_hint fills the username"
    );
}

#[tokio::test]
async fn the_request_may_be_a_form_post_and_state_and_nonce_come_back() {
    let app = spawn_app().await;
    app.create_user("alice").await;
    let client = app.confidential_client("app1", APP1_HOST).await;
    let browser = app.browser();
    let (verifier, challenge) = pkce_pair();
    let params = code_params(&client, &challenge, "posted-state", "posted-nonce");
    let response = browser.post_form(&app.url("/authorize"), &params).await;
    let to_login = redirect_of(&response, &app.issuer);
    assert_eq!(to_login.status, 303);
    let callback = redirect_of(
        &browser
            .submit_login(to_login.location.as_str(), "alice", PASSWORD)
            .await,
        &app.issuer,
    );
    assert_eq!(callback.param("state").as_deref(), Some("posted-state"));
    let code = callback.param("code").expect("code");
    let tokens: serde_json::Value = exchange_code(&app, &client, &code, &verifier)
        .await
        .json()
        .await
        .expect("json");
    let claims = claims_of(&app, tokens["id_token"].as_str().expect("id token")).await;
    assert_eq!(claims["nonce"], "posted-nonce");

    let wrong_type = browser
        .http
        .post(app.url("/authorize"))
        .body("{}")
        .header("content-type", "application/json");
    assert_eq!(wrong_type.send().await.expect("post").status(), 415);
}

#[tokio::test]
async fn a_registered_query_string_is_kept_on_the_callback() {
    let app = spawn_app().await;
    app.create_user("alice").await;
    let mut spec = client_spec("app1", APP1_HOST);
    spec.redirect_uris = vec![format!("https://{APP1_HOST}/callback?tenant=blue")];
    let client = app.create_client(spec).await;
    let (_, challenge) = pkce_pair();
    let redirect = app
        .browser()
        .authorize_through(&code_params(&client, &challenge, "s", "n"), "alice")
        .await;
    assert_eq!(redirect.param("tenant").as_deref(), Some("blue"));
    assert!(redirect.has_param("code"));
}
