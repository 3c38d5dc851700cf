//! The consent page for clients that are not first-party: asked once per
//! client and scope set, remembered, and refusable.

use crate::helpers::*;

async fn third_party(app: &TestApp) -> TestClient {
    app.create_client(tessera::admin::clients::NewClient {
        first_party: false,
        ..client_spec("thirdapp", APP1_HOST)
    })
    .await
}

/// Follow an authorization to the consent page: (page URL, page HTML).
async fn to_consent(browser: &Browser, params: &[(&str, &str)]) -> (String, String) {
    let redirect = browser.authorize_through(params, "alice").await;
    assert_eq!(
        redirect.location.path(),
        "/consent",
        "{}",
        redirect.location
    );
    let url = redirect.location.to_string();
    let response = browser.get(&url).await;
    assert_eq!(response.status(), 200);
    (url, response.text().await.expect("html"))
}

#[tokio::test]
async fn a_third_party_client_asks_once_and_the_grant_is_remembered() {
    let app = spawn_app().await;
    app.create_user("alice").await;
    let client = third_party(&app).await;
    let browser = app.browser();
    let (_, challenge) = pkce_pair();
    let params = code_params(&client, &challenge, "s", "n");

    let (_, html) = to_consent(&browser, &params).await;
    assert!(html.contains("thirdapp app"), "the page names the client");
    assert!(html.contains("email"), "the page lists what is asked");
    let callback = decide_consent(&app, &browser, &html, "approve").await;
    assert!(callback.has_param("code"));

    // Same scopes again: no question.
    let again = redirect_of(&browser.authorize(&params).await, &app.issuer);
    assert!(again.has_param("code"), "{}", again.location);

    // A narrower set is covered by what was granted.
    let mut narrower = params.clone();
    narrower.retain(|(k, _)| *k != "scope");
    narrower.push(("scope", "openid email"));
    assert!(redirect_of(&browser.authorize(&narrower).await, &app.issuer).has_param("code"));

    // prompt=consent asks again even so.
    let mut forced = params.clone();
    forced.push(("prompt", "consent"));
    let forced = redirect_of(&browser.authorize(&forced).await, &app.issuer);
    assert_eq!(forced.location.path(), "/consent");
}

#[tokio::test]
async fn denying_consent_sends_access_denied_to_the_client() {
    let app = spawn_app().await;
    app.create_user("alice").await;
    let client = third_party(&app).await;
    let browser = app.browser();
    let (_, challenge) = pkce_pair();
    let (_, html) = to_consent(
        &browser,
        &code_params(&client, &challenge, "deny-state", "n"),
    )
    .await;
    let callback = decide_consent(&app, &browser, &html, "deny").await;
    assert!(callback.location.as_str().starts_with(&client.redirect_uri));
    assert_eq!(callback.param("error").as_deref(), Some("access_denied"));
    assert_eq!(callback.param("state").as_deref(), Some("deny-state"));
    assert_eq!(callback.param("iss").as_deref(), Some(app.issuer.as_str()));
}

#[tokio::test]
async fn prompt_none_without_consent_answers_consent_required() {
    let app = spawn_app().await;
    app.create_user("alice").await;
    let first_party = app.confidential_client("app2", APP2_HOST).await;
    let client = third_party(&app).await;
    let browser = app.browser();
    login_and_exchange(&app, &browser, &first_party, "alice").await;
    let (_, challenge) = pkce_pair();
    let mut params = code_params(&client, &challenge, "s", "n");
    params.push(("prompt", "none"));
    let redirect = redirect_of(&browser.authorize(&params).await, &app.issuer);
    assert_eq!(redirect.param("error").as_deref(), Some("consent_required"));
}

#[tokio::test]
async fn the_consent_form_needs_its_csrf_token() {
    let app = spawn_app().await;
    app.create_user("alice").await;
    let client = third_party(&app).await;
    let browser = app.browser();
    let (_, challenge) = pkce_pair();
    let (_, html) = to_consent(&browser, &code_params(&client, &challenge, "s", "n")).await;
    let request = hidden_field(&html, "request").expect("request");
    let response = browser
        .post_form(
            &app.url("/consent"),
            &[("request", request.as_str()), ("decision", "approve")],
        )
        .await;
    assert_eq!(response.status(), 403);
    assert!(response.headers().get("location").is_none());
    // The real form still works.
    assert!(
        decide_consent(&app, &browser, &html, "approve")
            .await
            .has_param("code")
    );
}
