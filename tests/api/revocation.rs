//! Token revocation (RFC 7009): a refresh token takes its family with it, an
//! access token is deny-listed until it expires, and anything else (another
//! client's token, garbage) changes nothing and still gets a 200.

use crate::helpers::*;

async fn refresh(app: &TestApp, client: &TestClient, token: &str) -> reqwest::Response {
    token_request(
        app,
        client,
        &[("grant_type", "refresh_token"), ("refresh_token", token)],
    )
    .await
}

#[tokio::test]
async fn revoking_a_refresh_token_kills_its_whole_family() {
    let app = spawn_app().await;
    app.create_user("alice").await;
    let client = app.confidential_client("app1", APP1_HOST).await;
    let first = login_and_exchange(&app, &app.browser(), &client, "alice").await;
    let rotated: serde_json::Value = refresh(&app, &client, &field(&first, "refresh_token"))
        .await
        .json()
        .await
        .expect("json");
    let current = field(&rotated, "refresh_token");
    let access = field(&rotated, "access_token");
    assert_eq!(
        introspect(&app, &client, &current, None).await["active"],
        true
    );

    // The hint is wrong; the token is found anyway.
    let response = revoke(&app, &client, &current, Some("access_token")).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["cache-control"], "no-store");

    assert_eq!(refresh(&app, &client, &current).await.status(), 400);
    assert_eq!(
        introspect(&app, &client, &current, None).await,
        serde_json::json!({"active": false})
    );
    assert_eq!(
        introspect(&app, &client, &access, None).await["active"],
        false,
        "the family's access tokens die with it"
    );
    assert_eq!(userinfo(&app, &access).await.status(), 401);
    // Revoking it again is harmless.
    assert_eq!(revoke(&app, &client, &current, None).await.status(), 200);
}

#[tokio::test]
async fn revoking_an_access_token_deny_lists_it() {
    let app = spawn_app().await;
    app.create_user("alice").await;
    let client = app.confidential_client("app1", APP1_HOST).await;
    let browser = app.browser();
    let first = login_and_exchange(&app, &browser, &client, "alice").await;
    let second = login_and_exchange(&app, &browser, &client, "alice").await;
    let access = field(&first, "access_token");

    let response = revoke(&app, &client, &access, Some("refresh_token")).await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        introspect(&app, &client, &access, None).await,
        serde_json::json!({"active": false})
    );
    let denied = userinfo(&app, &access).await;
    assert_eq!(denied.status(), 401);
    assert!(
        denied.headers()["www-authenticate"]
            .to_str()
            .expect("challenge")
            .contains("error=\"invalid_token\"")
    );
    // Only that token: its refresh token and other tokens still work.
    assert_eq!(
        userinfo(&app, &field(&second, "access_token"))
            .await
            .status(),
        200
    );
    assert_eq!(
        refresh(&app, &client, &field(&first, "refresh_token"))
            .await
            .status(),
        200
    );
}

#[tokio::test]
async fn another_clients_token_or_garbage_is_not_revoked() {
    let app = spawn_app().await;
    app.create_user("alice").await;
    let owner = app.confidential_client("app1", APP1_HOST).await;
    let intruder = app.confidential_client("app2", APP2_HOST).await;
    let tokens = login_and_exchange(&app, &app.browser(), &owner, "alice").await;
    let (access, refresh_token) = (
        field(&tokens, "access_token"),
        field(&tokens, "refresh_token"),
    );

    for token in [&access, &refresh_token] {
        assert_eq!(revoke(&app, &intruder, token, None).await.status(), 200);
    }
    for garbage in ["garbage", "a.b.c", &"x".repeat(43)] {
        assert_eq!(
            revoke(&app, &owner, garbage, Some("bogus_hint"))
                .await
                .status(),
            200
        );
    }
    assert_eq!(userinfo(&app, &access).await.status(), 200, "still valid");
    assert_eq!(
        refresh(&app, &owner, &refresh_token).await.status(),
        200,
        "still valid"
    );
}

#[tokio::test]
async fn revocation_needs_client_authentication() {
    let app = spawn_app().await;
    app.create_user("alice").await;
    let client = app.confidential_client("app1", APP1_HOST).await;
    let tokens = login_and_exchange(&app, &app.browser(), &client, "alice").await;
    let refresh_token = field(&tokens, "refresh_token");

    let wrong_secret = app
        .http()
        .post(app.url("/revoke"))
        .basic_auth(&client.id, Some("wrong"))
        .form(&[("token", refresh_token.as_str())])
        .send()
        .await
        .expect("revoke");
    assert_eq!(wrong_secret.status(), 401);
    let body: serde_json::Value = wrong_secret.json().await.expect("json");
    assert_eq!(body["error"], "invalid_client");
    let missing = app
        .http()
        .post(app.url("/revoke"))
        .form(&[("token", refresh_token.as_str())])
        .send()
        .await
        .expect("revoke");
    assert_eq!(missing.status(), 401);
    assert_eq!(
        refresh(&app, &client, &refresh_token).await.status(),
        200,
        "not revoked"
    );
}

#[tokio::test]
async fn a_public_client_revokes_its_own_tokens() {
    let app = spawn_app().await;
    app.create_user("alice").await;
    let spa = app.public_client("spa", APP1_HOST).await;
    let tokens = login_and_exchange(&app, &app.browser(), &spa, "alice").await;
    let refresh_token = field(&tokens, "refresh_token");
    assert_eq!(revoke(&app, &spa, &refresh_token, None).await.status(), 200);
    assert_eq!(refresh(&app, &spa, &refresh_token).await.status(), 400);
}

/// Without Redis, the server believes the database's "not revoked" for at
/// most a second: a revocation that reached the database by a way that told
/// the server nothing (here, SQL by hand) counts a second later.
#[tokio::test]
async fn without_redis_a_not_revoked_is_believed_for_at_most_a_second() {
    let (database, url) = TestDatabase::create_on(false).await;
    let app = spawn_app_on_database(database, url.clone(), |_| {}).await;
    app.create_user("alice").await;
    let client = app.confidential_client("app1", APP1_HOST).await;
    let tokens = login_and_exchange(&app, &app.browser(), &client, "alice").await;
    let access = tokens["access_token"].as_str().expect("at");
    for _ in 0..2 {
        assert_eq!(userinfo(&app, access).await.status(), 200);
        assert_eq!(
            introspect(&app, &client, access, None).await["active"],
            true
        );
    }
    let db = tessera::store::connect_database(&url)
        .await
        .expect("the database");
    sea_orm::ConnectionTrait::execute_unprepared(
        &db,
        &format!("UPDATE grants SET revoked_at = {}", app.now()),
    )
    .await
    .expect("revoke by hand");
    app.clock.advance(1);
    assert_eq!(userinfo(&app, access).await.status(), 401);
    assert_eq!(
        introspect(&app, &client, access, None).await["active"],
        false
    );
}
