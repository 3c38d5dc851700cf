//! Cross-origin access: a single-page app may call `/token` and `/userinfo`
//! from its own origin, never with cookies; the hosted pages allow no one.

use reqwest::Method;

use crate::helpers::*;

const APP_ORIGIN: &str = "https://spa.example.test";

async fn preflight(app: &TestApp, path: &str, method: &str) -> reqwest::Response {
    app.http()
        .request(Method::OPTIONS, app.url(path))
        .header("origin", APP_ORIGIN)
        .header("access-control-request-method", method)
        .header(
            "access-control-request-headers",
            "authorization, content-type",
        )
        .send()
        .await
        .expect("preflight")
}

fn header<'a>(response: &'a reqwest::Response, name: &str) -> Option<&'a str> {
    response
        .headers()
        .get(name)
        .and_then(|value| value.to_str().ok())
}

#[tokio::test]
async fn token_and_userinfo_answer_preflights_without_credentials() {
    let app = spawn_app().await;
    for (path, method, allowed) in [
        ("/token", "POST", "POST"),
        ("/userinfo", "GET", "GET, POST"),
    ] {
        let response = preflight(&app, path, method).await;
        assert_eq!(response.status(), 204, "{path}");
        assert_eq!(header(&response, "access-control-allow-origin"), Some("*"));
        assert_eq!(
            header(&response, "access-control-allow-methods"),
            Some(allowed)
        );
        let headers = header(&response, "access-control-allow-headers")
            .unwrap_or_default()
            .to_ascii_lowercase();
        assert!(headers.contains("authorization") && headers.contains("content-type"));
        assert_eq!(
            header(&response, "access-control-allow-credentials"),
            None,
            "cookies never travel cross-origin"
        );
    }
}

#[tokio::test]
async fn a_public_client_redeems_its_code_and_reads_userinfo_cross_origin() {
    let app = spawn_app().await;
    app.create_user("alice").await;
    let client = app.public_client("spa", APP1_HOST).await;
    let browser = app.browser();
    let (verifier, challenge) = pkce_pair();
    let code = browser
        .authorize_through(&code_params(&client, &challenge, "s", "n"), "alice")
        .await
        .param("code")
        .expect("code");

    let response = app
        .http()
        .post(app.url("/token"))
        .header("origin", APP_ORIGIN)
        .form(&[
            ("grant_type", "authorization_code"),
            ("client_id", client.id.as_str()),
            ("code", &code),
            ("redirect_uri", &client.redirect_uri),
            ("code_verifier", &verifier),
        ])
        .send()
        .await
        .expect("token");
    assert_eq!(response.status(), 200);
    assert_eq!(header(&response, "access-control-allow-origin"), Some("*"));
    let tokens: serde_json::Value = response.json().await.expect("json");
    let access = tokens["access_token"].as_str().expect("access token");

    let info = app
        .http()
        .get(app.url("/userinfo"))
        .header("origin", APP_ORIGIN)
        .bearer_auth(access)
        .send()
        .await
        .expect("userinfo");
    assert_eq!(info.status(), 200);
    assert_eq!(header(&info, "access-control-allow-origin"), Some("*"));
}

#[tokio::test]
async fn errors_are_readable_cross_origin_too() {
    let app = spawn_app().await;
    let response = app
        .http()
        .post(app.url("/token"))
        .header("origin", APP_ORIGIN)
        .form(&[("grant_type", "authorization_code"), ("code", "nope")])
        .send()
        .await
        .expect("token");
    assert!(response.status().is_client_error());
    assert_eq!(header(&response, "access-control-allow-origin"), Some("*"));

    let response = app
        .http()
        .get(app.url("/userinfo"))
        .header("origin", APP_ORIGIN)
        .bearer_auth("not-a-token")
        .send()
        .await
        .expect("userinfo");
    assert_eq!(response.status(), 401);
    assert_eq!(header(&response, "access-control-allow-origin"), Some("*"));
    assert_eq!(
        header(&response, "access-control-expose-headers"),
        Some("WWW-Authenticate"),
        "the app can read the challenge"
    );
}

#[tokio::test]
async fn the_hosted_pages_allow_no_other_origin() {
    let app = spawn_app().await;
    let client = app.confidential_client("app1", APP1_HOST).await;
    let (_, challenge) = pkce_pair();
    let browser = app.browser();
    let authorize = browser
        .authorize(&code_params(&client, &challenge, "s", "n"))
        .await;
    assert_eq!(header(&authorize, "access-control-allow-origin"), None);
    let login = preflight(&app, "/login", "POST").await;
    assert_eq!(header(&login, "access-control-allow-origin"), None);
    assert_ne!(login.status(), 204);
}
