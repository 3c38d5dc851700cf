//! Signing out (OIDC RP-Initiated Logout 1.0): the end-session endpoint with
//! and without `id_token_hint`, its confirmation page and error pages, the
//! user's own Sign out button, and the account page's list of sessions.

use openidconnect::core::{CoreAuthenticationFlow, CoreClient, CoreIdToken, CoreProviderMetadata};
use openidconnect::{
    AuthorizationCode, ClientId, ClientSecret, CsrfToken, EndSessionUrl, IssuerUrl, LogoutRequest,
    Nonce, PkceCodeChallenge, PostLogoutRedirectUrl, ProviderMetadataWithLogout, RedirectUrl,
    TokenResponse,
};
use tessera::admin::clients::NewClient;

use crate::helpers::*;

const AFTER_LOGOUT: &str = "https://app1.example.test/signed-out";

/// A client that registered where to return after signing out.
async fn client_with_logout(app: &TestApp) -> TestClient {
    app.create_client(NewClient {
        post_logout_redirect_uris: vec![AFTER_LOGOUT.into()],
        ..client_spec("app1", APP1_HOST)
    })
    .await
}

/// The openidconnect crate signs `alice` in through `browser` and returns
/// the verified ID token with the token response's refresh token.
async fn sign_in(
    app: &TestApp,
    browser: &Browser,
    registered: &TestClient,
) -> (CoreIdToken, String) {
    let metadata = CoreProviderMetadata::discover_async(
        IssuerUrl::new(app.issuer.clone()).expect("issuer"),
        &app.http(),
    )
    .await
    .expect("discovery");
    let client = CoreClient::from_provider_metadata(
        metadata,
        ClientId::new(registered.id.clone()),
        Some(ClientSecret::new(
            registered.secret.clone().expect("secret"),
        )),
    )
    .set_redirect_uri(RedirectUrl::new(registered.redirect_uri.clone()).expect("redirect"));
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let (url, _, nonce) = client
        .authorize_url(
            CoreAuthenticationFlow::AuthorizationCode,
            CsrfToken::new_random,
            Nonce::new_random,
        )
        .add_scope(openidconnect::Scope::new("offline_access".into()))
        .set_pkce_challenge(challenge)
        .url();
    let mut redirect = redirect_of(&browser.get(url.as_str()).await, &app.issuer);
    if redirect.location.path() == "/login" {
        let response = browser
            .submit_login(redirect.location.as_str(), "alice", PASSWORD)
            .await;
        redirect = redirect_of(&response, &app.issuer);
    }
    let code = redirect.param("code").expect("a code");
    let tokens = client
        .exchange_code(AuthorizationCode::new(code))
        .expect("token endpoint")
        .set_pkce_verifier(verifier)
        .request_async(&app.http())
        .await
        .expect("token response");
    let id_token = tokens.id_token().expect("an ID token").clone();
    id_token
        .claims(&client.id_token_verifier(), &nonce)
        .expect("the ID token verifies");
    let refresh = openidconnect::OAuth2TokenResponse::refresh_token(&tokens)
        .expect("a refresh token")
        .secret()
        .clone();
    (id_token, refresh)
}

async fn end_session_url(app: &TestApp) -> EndSessionUrl {
    let metadata = ProviderMetadataWithLogout::discover_async(
        IssuerUrl::new(app.issuer.clone()).expect("issuer"),
        &app.http(),
    )
    .await
    .expect("discovery with logout metadata");
    metadata
        .additional_metadata()
        .end_session_endpoint
        .clone()
        .expect("end_session_endpoint is published")
}

fn set_cookies(response: &reqwest::Response) -> Vec<String> {
    response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok().map(str::to_string))
        .collect()
}

/// The Set-Cookies that remove the SSO cookies, each with the attributes
/// it was set with: the host-only session cookie and the gateway cookie.
fn assert_session_cookie_cleared(response: &reqwest::Response) {
    let cookies = set_cookies(response);
    let cleared = |name: &str| {
        cookies
            .iter()
            .find(|c| c.starts_with(&format!("{name}=")))
            .unwrap_or_else(|| panic!("{name} is cleared: {cookies:?}"))
            .clone()
    };
    let session = cleared("tessera_session");
    assert!(session.starts_with("tessera_session=;"), "{session}");
    assert!(!session.contains("Domain="), "{session}");
    assert!(session.contains("Path=/"), "{session}");
    assert!(session.contains("Max-Age=0"), "{session}");
    let gateway = cleared("tessera_gateway");
    assert!(gateway.starts_with("tessera_gateway=;"), "{gateway}");
    assert!(gateway.contains("Domain=example.test"), "{gateway}");
    assert!(gateway.contains("Max-Age=0"), "{gateway}");
}

#[tokio::test]
async fn a_valid_id_token_hint_signs_out_at_once_and_returns_to_the_app() {
    let app = spawn_app().await;
    app.create_user("alice").await;
    let client = client_with_logout(&app).await;
    let browser = app.browser();
    let (id_token, refresh) = sign_in(&app, &browser, &client).await;
    assert!(signed_in(&browser, &client).await);

    let url = LogoutRequest::from(end_session_url(&app).await)
        .set_id_token_hint(&id_token)
        .set_post_logout_redirect_uri(PostLogoutRedirectUrl::new(AFTER_LOGOUT.into()).expect("url"))
        .set_state(CsrfToken::new("st8".into()))
        .http_get_url();
    let response = browser.get(url.as_str()).await;

    let redirect = redirect_of(&response, &app.issuer);
    assert_eq!(
        redirect.location.as_str(),
        format!("{AFTER_LOGOUT}?state=st8"),
        "back to the registered URI with state and nothing else"
    );
    assert_session_cookie_cleared(&response);
    assert!(
        !signed_in(&browser, &client).await,
        "prompt=none now needs a login"
    );
    assert_eq!(
        refresh_status(&app, &client, &refresh).await,
        400,
        "the refresh token died with the session"
    );
}

#[tokio::test]
async fn without_a_hint_the_user_confirms_first() {
    let app = spawn_app().await;
    app.create_user("alice").await;
    let client = client_with_logout(&app).await;
    let browser = app.browser();
    sign_in(&app, &browser, &client).await;

    let query = [
        ("client_id", client.id.as_str()),
        ("post_logout_redirect_uri", AFTER_LOGOUT),
        ("state", "abc"),
    ];
    let url = reqwest::Url::parse_with_params(&app.url("/logout"), &query).expect("url");
    let page = browser.get(url.as_str()).await;
    assert_eq!(page.status(), 200, "a confirmation page, not a redirect");
    let html = page.text().await.expect("html");
    assert!(html.contains("Sign out?"), "{html}");
    assert!(html.contains("app1 app"), "names the application");
    assert!(
        signed_in(&browser, &client).await,
        "nothing ended before confirming"
    );

    // Confirming without the CSRF token does not count.
    let mut form: Vec<(&str, &str)> = query.to_vec();
    form.push(("confirm", "yes"));
    let forged = browser.post_form(&app.url("/logout"), &form).await;
    assert_eq!(forged.status(), 403);
    assert!(signed_in(&browser, &client).await);

    let csrf = hidden_field(&html, "csrf_token").expect("csrf field");
    assert_eq!(
        hidden_field(&html, "post_logout_redirect_uri").as_deref(),
        Some(AFTER_LOGOUT)
    );
    form.push(("csrf_token", csrf.as_str()));
    let confirmed = browser.post_form(&app.url("/logout"), &form).await;
    let redirect = redirect_of(&confirmed, &app.issuer);
    assert_eq!(
        redirect.location.as_str(),
        format!("{AFTER_LOGOUT}?state=abc")
    );
    assert_session_cookie_cleared(&confirmed);
    assert!(!signed_in(&browser, &client).await);
}

#[tokio::test]
async fn with_nowhere_to_go_back_to_the_signed_out_page_is_shown() {
    let app = spawn_app().await;
    app.create_user("alice").await;
    let client = client_with_logout(&app).await;
    let browser = app.browser();
    let (id_token, _) = sign_in(&app, &browser, &client).await;

    let url = LogoutRequest::from(end_session_url(&app).await)
        .set_id_token_hint(&id_token)
        .http_get_url();
    let response = browser.get(url.as_str()).await;
    assert_eq!(response.status(), 200);
    assert_session_cookie_cleared(&response);
    assert!(
        response
            .text()
            .await
            .expect("html")
            .contains("You are signed out")
    );
    assert!(!signed_in(&browser, &client).await);
}

#[tokio::test]
async fn an_unregistered_post_logout_redirect_uri_gets_an_error_page() {
    let app = spawn_app().await;
    app.create_user("alice").await;
    let client = client_with_logout(&app).await;
    let browser = app.browser();
    let (id_token, _) = sign_in(&app, &browser, &client).await;

    for bad in [
        "https://evil.example.test/signed-out".to_string(),
        format!("{AFTER_LOGOUT}?foo=bar"),
        format!("{AFTER_LOGOUT}/"),
    ] {
        let url = LogoutRequest::from(end_session_url(&app).await)
            .set_id_token_hint(&id_token)
            .set_post_logout_redirect_uri(PostLogoutRedirectUrl::new(bad.clone()).expect("url"))
            .set_state(CsrfToken::new("s".into()))
            .http_get_url();
        let response = browser.get(url.as_str()).await;
        assert_eq!(response.status(), 400, "{bad}");
        assert!(
            response.headers().get("location").is_none(),
            "never a redirect"
        );
        let html = response.text().await.expect("html");
        assert!(html.contains("not registered"), "{html}");
    }
    // A post-logout URI with no application to check it against.
    let url = reqwest::Url::parse_with_params(
        &app.url("/logout"),
        &[("post_logout_redirect_uri", AFTER_LOGOUT), ("state", "s")],
    )
    .expect("url");
    let response = browser.get(url.as_str()).await;
    assert_eq!(response.status(), 400);
    assert!(response.headers().get("location").is_none());
    assert!(signed_in(&browser, &client).await, "nothing was ended");
}

#[tokio::test]
async fn hints_not_issued_here_are_refused() {
    let app = spawn_app().await;
    let other = spawn_app().await;
    app.create_user("alice").await;
    other.create_user("alice").await;
    let client = client_with_logout(&app).await;
    let other_client = client_with_logout(&other).await;
    let browser = app.browser();
    let (id_token, _) = sign_in(&app, &browser, &client).await;
    let (foreign, _) = sign_in(&other, &other.browser(), &other_client).await;

    let raw = id_token.to_string();
    let parts: Vec<&str> = raw.split('.').collect();
    let none_header = base64_url(br#"{"alg":"none","typ":"JWT"}"#);
    let tampered_payload = {
        let mut claims = jwt_payload(&raw);
        claims["sub"] = serde_json::json!("someone-else");
        base64_url(claims.to_string().as_bytes())
    };
    let hints = [
        ("alg none", format!("{none_header}.{}.", parts[1])),
        (
            "tampered",
            format!("{}.{tampered_payload}.{}", parts[0], parts[2]),
        ),
        ("another issuer", foreign.to_string()),
        ("garbage", "not-a-jwt".to_string()),
    ];
    for (what, hint) in hints {
        let url = reqwest::Url::parse_with_params(
            &app.url("/logout"),
            &[
                ("id_token_hint", hint.as_str()),
                ("post_logout_redirect_uri", AFTER_LOGOUT),
            ],
        )
        .expect("url");
        let response = browser.get(url.as_str()).await;
        assert_eq!(response.status(), 400, "{what}");
        assert!(response.headers().get("location").is_none(), "{what}");
    }
    // A client_id that is not the hint's audience.
    let url = reqwest::Url::parse_with_params(
        &app.url("/logout"),
        &[
            ("id_token_hint", raw.as_str()),
            ("client_id", "someone-else"),
        ],
    )
    .expect("url");
    assert_eq!(browser.get(url.as_str()).await.status(), 400);
    assert!(signed_in(&browser, &client).await, "nothing was ended");
}

#[tokio::test]
async fn an_expired_hint_still_identifies_the_user() {
    let app = spawn_app().await;
    app.create_user("alice").await;
    let client = client_with_logout(&app).await;
    let browser = app.browser();
    let (id_token, _) = sign_in(&app, &browser, &client).await;
    app.clock.advance(2 * 3600);

    let url = LogoutRequest::from(end_session_url(&app).await)
        .set_id_token_hint(&id_token)
        .set_post_logout_redirect_uri(PostLogoutRedirectUrl::new(AFTER_LOGOUT.into()).expect("url"))
        .http_get_url();
    let redirect = redirect_of(&browser.get(url.as_str()).await, &app.issuer);
    assert_eq!(
        redirect.location.as_str(),
        AFTER_LOGOUT,
        "no state was sent, none comes back"
    );
    assert!(!signed_in(&browser, &client).await);
}

#[tokio::test]
async fn an_application_may_post_to_the_end_session_endpoint() {
    let app = spawn_app().await;
    app.create_user("alice").await;
    let client = client_with_logout(&app).await;
    let browser = app.browser();
    let (id_token, _) = sign_in(&app, &browser, &client).await;
    let response = browser
        .post_form(
            &app.url("/logout"),
            &[
                ("id_token_hint", id_token.to_string().as_str()),
                ("post_logout_redirect_uri", AFTER_LOGOUT),
                ("state", "p"),
                ("ui_locales", "de en"),
                ("logout_hint", "alice"),
            ],
        )
        .await;
    let redirect = redirect_of(&response, &app.issuer);
    assert_eq!(
        redirect.location.as_str(),
        format!("{AFTER_LOGOUT}?state=p")
    );
    assert!(!signed_in(&browser, &client).await);
}

#[tokio::test]
async fn the_users_own_sign_out_button_ends_the_session() {
    let app = spawn_app().await;
    app.create_user("alice").await;
    let client = app.confidential_client("app1", APP1_HOST).await;
    let browser = app.browser();
    sign_in(&app, &browser, &client).await;

    let home = browser.get(&app.url("/")).await.text().await.expect("home");
    assert!(
        home.contains("You are signed in as <strong>alice</strong>"),
        "{home}"
    );
    assert!(home.contains("Sign out"));
    let csrf = hidden_field(&home, "csrf_token").expect("csrf");
    let response = browser
        .post_form(
            &app.url("/logout"),
            &[("csrf_token", &csrf), ("confirm", "yes")],
        )
        .await;
    assert_eq!(response.status(), 200);
    assert_session_cookie_cleared(&response);
    assert!(
        response
            .text()
            .await
            .expect("html")
            .contains("You are signed out")
    );
    assert!(!signed_in(&browser, &client).await);
    let home = browser.get(&app.url("/")).await.text().await.expect("home");
    assert!(home.contains("Sign in"));
}

#[tokio::test]
async fn the_account_page_lists_a_users_sessions_and_ends_them() {
    let app = spawn_app().await;
    app.create_user("alice").await;
    app.create_user("bob").await;
    let client = app.confidential_client("app1", APP1_HOST).await;
    let laptop = app.browser();
    let phone = app.browser();
    let tablet = app.browser();
    sign_in(&app, &laptop, &client).await;
    sign_in(&app, &phone, &client).await;
    sign_in(&app, &tablet, &client).await;
    let bob = app.browser();
    let bob_url = redirect_of(
        &bob.authorize(&code_params(&client, &pkce_pair().1, "s", "n"))
            .await,
        &app.issuer,
    );
    bob.submit_login(bob_url.location.as_str(), "bob", PASSWORD)
        .await;
    let bob_sid = app
        .services
        .store
        .sessions(None, app.now(), 10)
        .await
        .expect("sessions")
        .into_iter()
        .find(|l| l.username == "bob")
        .expect("bob's session")
        .session
        .sid
        .to_string();

    let page = laptop.get(&app.url("/account")).await;
    assert_eq!(page.status(), 200);
    let html = page.text().await.expect("html");
    assert_eq!(
        html.matches("name=\"sid\"").count(),
        2,
        "two other sessions to end"
    );
    assert_eq!(html.matches("This browser").count(), 1);
    assert!(html.contains("127.0.0.1"), "the address is shown");
    assert!(
        html.contains(" UTC"),
        "sign-in and last-seen times are shown"
    );
    assert!(html.contains("app1"), "the applications are shown");
    assert!(!html.contains(&bob_sid), "only alice's own sessions");
    let csrf = hidden_field(&html, "csrf_token").expect("csrf");
    let phone_sid = hidden_field(&html, "sid").expect("a sid");

    // Someone else's session cannot be ended from here, nor without CSRF.
    let refused = laptop
        .post_form(&app.url("/account/sessions/end"), &[("sid", &bob_sid)])
        .await;
    assert_eq!(refused.status(), 403);
    let other_user = laptop
        .post_form(
            &app.url("/account/sessions/end"),
            &[("sid", &bob_sid), ("csrf_token", &csrf)],
        )
        .await;
    assert_eq!(
        redirect_of(&other_user, &app.issuer)
            .param("ended")
            .as_deref(),
        Some("0")
    );
    assert!(signed_in(&bob, &client).await, "bob is still signed in");

    // End one session.
    let ended = laptop
        .post_form(
            &app.url("/account/sessions/end"),
            &[("sid", &phone_sid), ("csrf_token", &csrf)],
        )
        .await;
    assert_eq!(
        redirect_of(&ended, &app.issuer).param("ended").as_deref(),
        Some("1")
    );
    let signed_in_now = [
        signed_in(&laptop, &client).await,
        signed_in(&phone, &client).await,
        signed_in(&tablet, &client).await,
    ];
    assert_eq!(
        signed_in_now.iter().filter(|s| **s).count(),
        2,
        "exactly one ended"
    );
    assert!(signed_in_now[0], "this browser stays signed in");

    // Then every other one.
    let ended = laptop
        .post_form(&app.url("/account/sessions/end"), &[("csrf_token", &csrf)])
        .await;
    assert_eq!(
        redirect_of(&ended, &app.issuer).param("ended").as_deref(),
        Some("1")
    );
    assert!(signed_in(&laptop, &client).await);
    assert!(!signed_in(&phone, &client).await);
    assert!(!signed_in(&tablet, &client).await);
    assert!(signed_in(&bob, &client).await);
}

#[tokio::test]
async fn the_account_page_needs_a_session() {
    let app = spawn_app().await;
    let response = app.browser().get(&app.url("/account")).await;
    assert_eq!(
        redirect_of(&response, &app.issuer).location.path(),
        "/login"
    );
}

fn base64_url(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

#[tokio::test]
async fn an_old_id_token_of_another_session_asks_before_it_ends_this_one() {
    let app = spawn_app().await;
    app.create_user("alice").await;
    let client = client_with_logout(&app).await;
    // An ID token from a session that has ended since (taken from a log,
    // say), then a new session in this browser.
    let earlier = app.browser();
    let (old_id_token, _) = sign_in(&app, &earlier, &client).await;
    earlier.sign_out().await;
    let browser = app.browser();
    sign_in(&app, &browser, &client).await;

    let url = LogoutRequest::from(end_session_url(&app).await)
        .set_id_token_hint(&old_id_token)
        .http_get_url();
    let response = browser.get(url.as_str()).await;
    assert_eq!(
        response.status(),
        200,
        "a confirmation page, not a redirect"
    );
    let html = response.text().await.expect("html");
    assert!(html.contains("confirm"), "{html}");
    assert!(
        signed_in(&browser, &client).await,
        "nothing ended without asking"
    );
}
