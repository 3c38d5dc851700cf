//! Token introspection (RFC 7662): the client a token was issued to (or the
//! one it is addressed to) learns whether it is active; an inactive token,
//! or anyone else's, says nothing more.

use tessera::admin::sessions::logout_user;
use tessera::admin::users::set_disabled;
use tessera::domain::Actor;

use crate::helpers::*;

fn inactive() -> serde_json::Value {
    serde_json::json!({ "active": false })
}

#[tokio::test]
async fn an_active_access_token_is_described() {
    let app = spawn_app().await;
    let alice = app.create_user("alice").await;
    let client = app.confidential_client("app1", APP1_HOST).await;
    let tokens = login_and_exchange(&app, &app.browser(), &client, "alice").await;
    let access = field(&tokens, "access_token");
    let claims = claims_of(&app, &access).await;

    let answer = introspect(&app, &client, &access, None).await;
    assert_eq!(answer["active"], true);
    assert_eq!(answer["client_id"], client.id);
    assert_eq!(answer["username"], "alice");
    assert_eq!(answer["sub"], alice.id.as_str());
    assert_eq!(answer["aud"], client.id);
    assert_eq!(answer["iss"], app.issuer);
    assert_eq!(answer["token_type"], "Bearer");
    assert_eq!(answer["exp"], claims["exp"]);
    assert_eq!(answer["iat"], claims["iat"]);
    assert_eq!(answer["jti"], claims["jti"]);
    assert_eq!(
        answer["sid"],
        claims_of(&app, &field(&tokens, "id_token")).await["sid"]
    );
    assert_eq!(
        scope_set(&answer["scope"]),
        scopes("openid profile email offline_access")
    );
}

#[tokio::test]
async fn a_caller_learns_nothing_of_tokens_neither_issued_to_it_nor_addressed_to_it() {
    let app = spawn_app().await;
    app.create_user("alice").await;
    let client = app.confidential_client("app1", APP1_HOST).await;
    let other = app.confidential_client("other", APP2_HOST).await;
    let tokens = login_and_exchange(&app, &app.browser(), &client, "alice").await;
    let admin = app
        .create_client(tessera::admin::clients::NewClient {
            id: Some("automation".into()),
            name: "Automation".into(),
            grant_types: vec![tessera::domain::GrantType::ClientCredentials],
            scopes: vec!["admin:write".into()],
            ..tessera::admin::clients::NewClient::default()
        })
        .await;
    let admin_token: serde_json::Value =
        token_request(&app, &admin, &[("grant_type", "client_credentials")])
            .await
            .json()
            .await
            .expect("json");
    for (what, token) in [
        (
            "another client's access token",
            field(&tokens, "access_token"),
        ),
        (
            "another client's refresh token",
            field(&tokens, "refresh_token"),
        ),
        ("an admin API token", field(&admin_token, "access_token")),
    ] {
        assert_eq!(
            introspect(&app, &other, &token, None).await,
            inactive(),
            "{what}"
        );
    }
    assert_eq!(
        introspect(&app, &admin, &field(&admin_token, "access_token"), None).await["active"],
        true,
        "its own"
    );
}

#[tokio::test]
async fn an_active_refresh_token_is_described_whatever_the_hint() {
    let app = spawn_app().await;
    let alice = app.create_user("alice").await;
    let client = app.confidential_client("app1", APP1_HOST).await;
    let tokens = login_and_exchange(&app, &app.browser(), &client, "alice").await;
    let refresh = field(&tokens, "refresh_token");

    for hint in [
        None,
        Some("refresh_token"),
        Some("access_token"),
        Some("nonsense"),
    ] {
        let answer = introspect(&app, &client, &refresh, hint).await;
        assert_eq!(answer["active"], true, "{hint:?}");
        assert_eq!(answer["token_type"], "refresh_token");
        assert_eq!(answer["client_id"], client.id);
        assert_eq!(answer["sub"], alice.id.as_str());
        assert_eq!(answer["username"], "alice");
        assert_eq!(answer["iss"], app.issuer);
        assert!(answer["exp"].as_i64().expect("exp") > app.now());
    }
}

#[tokio::test]
async fn expired_tampered_and_unknown_tokens_are_inactive() {
    let app = spawn_app().await;
    app.create_user("alice").await;
    let client = app.confidential_client("app1", APP1_HOST).await;
    let tokens = login_and_exchange(&app, &app.browser(), &client, "alice").await;
    let access = field(&tokens, "access_token");

    let parts: Vec<&str> = access.split('.').collect();
    let mut claims = jwt_payload(&access);
    claims["scope"] = serde_json::json!("openid admin");
    let forged = {
        use base64::Engine;
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(claims.to_string())
    };
    let tampered = format!("{}.{forged}.{}", parts[0], parts[2]);
    let id_token = field(&tokens, "id_token");
    for (what, token) in [
        ("tampered", tampered.as_str()),
        ("an ID token", id_token.as_str()),
        ("garbage", "garbage"),
        ("unknown refresh token", &"A".repeat(43)),
    ] {
        assert_eq!(
            introspect(&app, &client, token, None).await,
            inactive(),
            "{what}"
        );
    }

    // Expiry, by the clock: ten minutes for access tokens.
    app.clock.advance(599);
    assert_eq!(
        introspect(&app, &client, &access, None).await["active"],
        true
    );
    app.clock.advance(1);
    assert_eq!(
        introspect(&app, &client, &access, None).await,
        inactive(),
        "expired"
    );
    // The refresh token lives on (30 days), until it too expires.
    let refresh = field(&tokens, "refresh_token");
    assert_eq!(
        introspect(&app, &client, &refresh, None).await["active"],
        true
    );
    app.clock.advance(30 * 24 * 3600);
    assert_eq!(
        introspect(&app, &client, &refresh, None).await,
        inactive(),
        "expired refresh token"
    );
}

#[tokio::test]
async fn tokens_of_an_ended_session_or_a_disabled_user_are_inactive() {
    let app = spawn_app().await;
    app.create_user("alice").await;
    app.create_user("bob").await;
    let client = app.confidential_client("app1", APP1_HOST).await;
    let alice = login_and_exchange(&app, &app.browser(), &client, "alice").await;
    let bob = login_and_exchange(&app, &app.browser(), &client, "bob").await;

    logout_user(&app.services.store, "alice", Actor::Cli, app.now())
        .await
        .expect("logout");
    for token in ["access_token", "refresh_token"] {
        assert_eq!(
            introspect(&app, &client, &field(&alice, token), None).await,
            inactive(),
            "alice {token}"
        );
    }

    set_disabled(&app.services.store, "bob", true, Actor::Cli, app.now())
        .await
        .expect("disable");
    for token in ["access_token", "refresh_token"] {
        assert_eq!(
            introspect(&app, &client, &field(&bob, token), None).await,
            inactive(),
            "bob {token}"
        );
    }
}

#[tokio::test]
async fn a_rotated_refresh_token_is_inactive() {
    let app = spawn_app().await;
    app.create_user("alice").await;
    let client = app.confidential_client("app1", APP1_HOST).await;
    let tokens = login_and_exchange(&app, &app.browser(), &client, "alice").await;
    let old = field(&tokens, "refresh_token");
    let rotated = token_request(
        &app,
        &client,
        &[("grant_type", "refresh_token"), ("refresh_token", &old)],
    )
    .await;
    assert_eq!(rotated.status(), 200);
    assert_eq!(introspect(&app, &client, &old, None).await, inactive());
}

#[tokio::test]
async fn introspection_needs_a_confidential_client() {
    let app = spawn_app().await;
    app.create_user("alice").await;
    let client = app.confidential_client("app1", APP1_HOST).await;
    let spa = app.public_client("spa", APP2_HOST).await;
    let tokens = login_and_exchange(&app, &app.browser(), &client, "alice").await;
    let access = field(&tokens, "access_token");

    let anonymous = app
        .http()
        .post(app.url("/introspect"))
        .form(&[("token", access.as_str())])
        .send()
        .await
        .expect("introspect");
    assert_eq!(anonymous.status(), 401);
    let public = app
        .http()
        .post(app.url("/introspect"))
        .form(&[("token", access.as_str()), ("client_id", spa.id.as_str())])
        .send()
        .await
        .expect("introspect");
    assert_eq!(public.status(), 401);
    let body: serde_json::Value = public.json().await.expect("json");
    assert_eq!(body["error"], "invalid_client");
    let wrong = app
        .http()
        .post(app.url("/introspect"))
        .basic_auth(&client.id, Some("wrong"))
        .form(&[("token", access.as_str())])
        .send()
        .await
        .expect("introspect");
    assert_eq!(wrong.status(), 401);
    let missing_token = app
        .http()
        .post(app.url("/introspect"))
        .basic_auth(&client.id, client.secret.as_ref())
        .form(&[("token_type_hint", "access_token")])
        .send()
        .await
        .expect("introspect");
    assert_eq!(missing_token.status(), 400);
}
