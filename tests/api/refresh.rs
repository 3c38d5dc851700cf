//! The refresh_token grant: rotation on every use, reuse detection that
//! kills the family, scope that only narrows.

use crate::helpers::*;

async fn refresh(
    app: &TestApp,
    client: &TestClient,
    token: &str,
    scope: Option<&str>,
) -> reqwest::Response {
    let mut form = vec![("grant_type", "refresh_token"), ("refresh_token", token)];
    if let Some(scope) = scope {
        form.push(("scope", scope));
    }
    token_request(app, client, &form).await
}

async fn error_of(response: reqwest::Response) -> (u16, String) {
    let status = response.status().as_u16();
    let body: serde_json::Value = response.json().await.expect("json");
    (status, field(&body, "error"))
}

#[tokio::test]
async fn every_refresh_rotates_the_token() {
    let app = spawn_app().await;
    app.create_user("alice").await;
    let client = app.confidential_client("app1", APP1_HOST).await;
    let first = login_and_exchange(&app, &app.browser(), &client, "alice").await;
    let mut token = field(&first, "refresh_token");
    let first_sid = claims_of(&app, &field(&first, "id_token")).await["sid"].clone();
    for _ in 0..3 {
        let response = refresh(&app, &client, &token, None).await;
        assert_eq!(response.status(), 200);
        assert_eq!(response.headers()["cache-control"], "no-store");
        let body: serde_json::Value = response.json().await.expect("json");
        let next = field(&body, "refresh_token");
        assert_ne!(next, token);
        assert_eq!(
            userinfo(&app, &field(&body, "access_token")).await.status(),
            200
        );
        assert_eq!(
            claims_of(&app, &field(&body, "id_token")).await["sid"],
            first_sid
        );
        token = next;
    }
}

#[tokio::test]
async fn reusing_a_rotated_refresh_token_kills_the_whole_family() {
    let app = spawn_app().await;
    app.create_user("alice").await;
    let client = app.confidential_client("app1", APP1_HOST).await;
    let first = login_and_exchange(&app, &app.browser(), &client, "alice").await;
    let original = field(&first, "refresh_token");
    let rotated: serde_json::Value = refresh(&app, &client, &original, None)
        .await
        .json()
        .await
        .expect("json");
    let current = field(&rotated, "refresh_token");
    let current_access = field(&rotated, "access_token");

    // An attacker replays the old token.
    assert_eq!(
        error_of(refresh(&app, &client, &original, None).await).await,
        (400, "invalid_grant".into())
    );

    // The legitimate holder's newer tokens are dead too.
    assert_eq!(
        error_of(refresh(&app, &client, &current, None).await).await,
        (400, "invalid_grant".into())
    );
    assert_eq!(userinfo(&app, &current_access).await.status(), 401);
    assert_eq!(
        userinfo(&app, &field(&first, "access_token"))
            .await
            .status(),
        401
    );
}

#[tokio::test]
async fn scope_may_narrow_but_never_widen() {
    let app = spawn_app().await;
    app.create_user("alice").await;
    let client = app.confidential_client("app1", APP1_HOST).await;
    let body = login_and_exchange_scope(
        &app,
        &app.browser(),
        &client,
        "alice",
        "openid email offline_access",
    )
    .await;
    let token = field(&body, "refresh_token");

    let wider = refresh(
        &app,
        &client,
        &token,
        Some("openid email profile offline_access"),
    )
    .await;
    assert_eq!(error_of(wider).await, (400, "invalid_scope".into()));

    let narrower: serde_json::Value = refresh(&app, &client, &token, Some("openid"))
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(narrower["scope"], "openid");
    let info: serde_json::Value = userinfo(&app, &field(&narrower, "access_token"))
        .await
        .json()
        .await
        .expect("json");
    assert!(
        info["email"].is_null(),
        "the narrowed token cannot read the email: {info}"
    );

    // Narrowing one access token does not shrink the grant itself.
    let again: serde_json::Value = refresh(&app, &client, &field(&narrower, "refresh_token"), None)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(
        scope_set(&again["scope"]),
        scopes("openid email offline_access")
    );
}

#[tokio::test]
async fn a_refresh_token_only_works_for_its_own_client() {
    let app = spawn_app().await;
    app.create_user("alice").await;
    let app1 = app.confidential_client("app1", APP1_HOST).await;
    let app2 = app.confidential_client("app2", APP2_HOST).await;
    let body = login_and_exchange(&app, &app.browser(), &app1, "alice").await;
    let token = field(&body, "refresh_token");
    assert_eq!(
        error_of(refresh(&app, &app2, &token, None).await).await,
        (400, "invalid_grant".into())
    );
    // The attempt did not spend it.
    assert_eq!(refresh(&app, &app1, &token, None).await.status(), 200);

    let unauthenticated = app
        .http()
        .post(app.url("/token"))
        .form(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", token.as_str()),
            ("client_id", "app1"),
        ])
        .send()
        .await
        .expect("post");
    assert_eq!(
        error_of(unauthenticated).await,
        (401, "invalid_client".into())
    );
    assert_eq!(
        error_of(refresh(&app, &app1, "garbage", None).await).await,
        (400, "invalid_grant".into())
    );
}

#[tokio::test]
async fn offline_access_is_needed_for_a_refresh_token() {
    let app = spawn_app().await;
    app.create_user("alice").await;
    let client = app.confidential_client("app1", APP1_HOST).await;
    let body =
        login_and_exchange_scope(&app, &app.browser(), &client, "alice", "openid profile").await;
    assert!(body["access_token"].is_string());
    assert!(body["refresh_token"].is_null(), "{body}");
}

#[tokio::test]
async fn rotation_never_extends_the_familys_lifetime() {
    let app = spawn_app().await;
    app.create_user("alice").await;
    let client = app.confidential_client("app1", APP1_HOST).await;
    let tokens = login_and_exchange(&app, &app.browser(), &client, "alice").await;
    let mut current = field(&tokens, "refresh_token");
    let family_expires = introspect(&app, &client, &current, None).await["exp"]
        .as_i64()
        .expect("exp");
    assert_eq!(family_expires, app.now() + 30 * 86_400);
    // Rotated every ten days, then a second before the end: each successor
    // keeps the family's expiry, thirty days after the original grant.
    for wait in [
        10 * 86_400,
        10 * 86_400,
        family_expires - app.now() - 20 * 86_400 - 1,
    ] {
        app.clock.advance(wait);
        let rotated: serde_json::Value = refresh(&app, &client, &current, None)
            .await
            .json()
            .await
            .expect("json");
        current = field(&rotated, "refresh_token");
        let exp = introspect(&app, &client, &current, None).await["exp"]
            .as_i64()
            .expect("exp");
        assert_eq!(exp, family_expires, "a successor keeps the family's expiry");
    }
    app.clock.advance(1);
    let (status, error) = error_of(refresh(&app, &client, &current, None).await).await;
    assert_eq!(
        (status, error.as_str()),
        (400, "invalid_grant"),
        "thirty days are up"
    );
}
