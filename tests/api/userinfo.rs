//! `/userinfo`: claims by scope, the ways a token may arrive, and the
//! tokens that must be turned away with `invalid_token`.

use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use crate::helpers::*;

async fn access_token(app: &TestApp, username: &str) -> (String, serde_json::Value) {
    let client = app.confidential_client("app1", APP1_HOST).await;
    let body = login_and_exchange(app, &app.browser(), &client, username).await;
    (
        body["access_token"]
            .as_str()
            .expect("access token")
            .to_string(),
        body,
    )
}

/// Asserts a 401 whose challenge says `invalid_token`.
fn assert_invalid_token(response: &reqwest::Response, what: &str) {
    assert_eq!(response.status(), 401, "{what}");
    let challenge = response.headers()["www-authenticate"]
        .to_str()
        .expect("header");
    assert!(challenge.starts_with("Bearer"), "{what}: {challenge}");
    assert!(
        challenge.contains("error=\"invalid_token\""),
        "{what}: {challenge}"
    );
}

fn b64(value: &serde_json::Value) -> String {
    URL_SAFE_NO_PAD.encode(value.to_string())
}

#[tokio::test]
async fn claims_follow_the_granted_scopes() {
    let app = spawn_app().await;
    let alice = app.create_user("alice").await;
    let (token, body) = access_token(&app, "alice").await;
    let response = userinfo(&app, &token).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["cache-control"], "no-store");
    let info: serde_json::Value = response.json().await.expect("json");
    let id_claims = claims_of(&app, body["id_token"].as_str().expect("id")).await;
    assert_eq!(info["sub"], alice.id.as_str());
    assert_eq!(info["sub"], id_claims["sub"]);
    assert_eq!(info["email"], "alice@example.com");
    assert_eq!(info["email_verified"], true);
    assert_eq!(info["name"], "alice Example");
    assert_eq!(info["preferred_username"], "alice");

    // openid alone: only sub.
    let client = app.confidential_client("app2", APP2_HOST).await;
    let narrow = login_and_exchange_scope(&app, &app.browser(), &client, "alice", "openid").await;
    let info: serde_json::Value = userinfo(&app, narrow["access_token"].as_str().expect("at"))
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(
        info.as_object().expect("object").keys().collect::<Vec<_>>(),
        vec!["sub"]
    );
}

#[tokio::test]
async fn the_token_may_come_in_a_header_or_a_form_body_but_not_both() {
    let app = spawn_app().await;
    app.create_user("alice").await;
    let (token, _) = access_token(&app, "alice").await;
    let http = app.http();

    let post_header = http
        .post(app.url("/userinfo"))
        .bearer_auth(&token)
        .send()
        .await
        .expect("post");
    assert_eq!(post_header.status(), 200);
    let post_form = http
        .post(app.url("/userinfo"))
        .form(&[("access_token", token.as_str())])
        .send()
        .await
        .expect("post");
    assert_eq!(post_form.status(), 200);
    let both = http
        .post(app.url("/userinfo"))
        .bearer_auth(&token)
        .form(&[("access_token", token.as_str())])
        .send()
        .await
        .expect("post");
    assert_eq!(both.status(), 400);

    let missing = http.get(app.url("/userinfo")).send().await.expect("get");
    assert_eq!(missing.status(), 401);
    let challenge = missing.headers()["www-authenticate"]
        .to_str()
        .expect("header");
    assert!(
        challenge.starts_with("Bearer") && !challenge.contains("error="),
        "{challenge}"
    );

    // A query-string token is not accepted (RFC 9700 §2.4).
    let query = http
        .get(app.url(&format!("/userinfo?access_token={token}")))
        .send()
        .await
        .expect("get");
    assert_eq!(query.status(), 401);
}

#[tokio::test]
async fn tampered_unsigned_and_wrong_algorithm_tokens_are_refused() {
    let app = spawn_app().await;
    app.create_user("alice").await;
    app.create_user("mallory").await;
    let (token, body) = access_token(&app, "alice").await;
    let parts: Vec<&str> = token.split('.').collect();
    let header = jwt_header(&token);
    let mut claims = jwt_payload(&token);
    claims["sub"] = serde_json::json!("someone-else");

    let tampered = format!("{}.{}.{}", parts[0], b64(&claims), parts[2]);
    assert_invalid_token(&userinfo(&app, &tampered).await, "tampered payload");

    let mut none_header = header.clone();
    none_header["alg"] = serde_json::json!("none");
    let unsigned = format!("{}.{}.", b64(&none_header), parts[1]);
    assert_invalid_token(&userinfo(&app, &unsigned).await, "alg none");
    let unsigned_tampered = format!("{}.{}.", b64(&none_header), b64(&claims));
    assert_invalid_token(
        &userinfo(&app, &unsigned_tampered).await,
        "alg none, tampered",
    );

    // Algorithm confusion: HS256 keyed with the published RSA public key.
    let jwks: serde_json::Value = app
        .http()
        .get(app.url("/jwks"))
        .send()
        .await
        .expect("jwks")
        .json()
        .await
        .expect("json");
    let rsa = jwks["keys"]
        .as_array()
        .expect("keys")
        .iter()
        .find(|k| k["kid"] == header["kid"])
        .expect("the signing key is published")
        .clone();
    let mut hs_header = header.clone();
    hs_header["alg"] = serde_json::json!("HS256");
    let key = jsonwebtoken::EncodingKey::from_secret(rsa.to_string().as_bytes());
    let mut jwt_header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256);
    jwt_header.kid = header["kid"].as_str().map(str::to_string);
    jwt_header.typ = Some("at+jwt".into());
    let confused = jsonwebtoken::encode(&jwt_header, &claims, &key).expect("hs256");
    assert_invalid_token(
        &userinfo(&app, &confused).await,
        "HS256 with the public key",
    );

    // A signature from a key Tessera does not hold.
    let foreign_key = jsonwebtoken::EncodingKey::from_secret(b"some-other-secret-key-material!!");
    let foreign = jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
        &claims,
        &foreign_key,
    )
    .expect("hs256");
    assert_invalid_token(&userinfo(&app, &foreign).await, "unknown key");

    // An ID token is not an access token, though signed by the same issuer.
    let id_token = body["id_token"].as_str().expect("id token");
    assert_invalid_token(&userinfo(&app, id_token).await, "ID token as bearer");

    assert_invalid_token(&userinfo(&app, "not-a-jwt").await, "garbage");

    // The untouched token still works.
    assert_eq!(userinfo(&app, &token).await.status(), 200);
}

#[tokio::test]
async fn an_expired_access_token_is_refused() {
    let app = spawn_app_with(|s| s.access_token_lifetime = Duration::from_secs(60)).await;
    app.create_user("alice").await;
    let (token, _) = access_token(&app, "alice").await;
    app.clock.advance(59);
    assert_eq!(userinfo(&app, &token).await.status(), 200, "still fresh");
    app.clock.advance(1);
    assert_invalid_token(&userinfo(&app, &token).await, "expired");
}

#[tokio::test]
async fn a_disabled_users_tokens_stop_working() {
    let app = spawn_app().await;
    app.create_user("alice").await;
    let (token, _) = access_token(&app, "alice").await;
    tessera::admin::users::set_disabled(
        &app.services.store,
        "alice",
        true,
        tessera::domain::Actor::Cli,
        app.now(),
    )
    .await
    .expect("disable");
    assert_invalid_token(&userinfo(&app, &token).await, "disabled user");
}
