//! The example application's verifier (`examples/whoami`): it accepts the
//! internal JWT Tessera minted for its audience and nothing else.

use base64::Engine;
use tessera::domain::Actor;
use tessera_whoami::{Verifier, VerifyError};

use crate::gateway::*;
use crate::helpers::*;

fn b64(value: &serde_json::Value) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(value.to_string())
}

/// Where the example reaches Tessera's keys: straight at its address.
fn jwks_url(app: &TestApp) -> String {
    format!("http://127.0.0.1:{}/jwks", app.port)
}

fn verifier_for(app: &TestApp, audience: &str) -> Verifier {
    Verifier::new(&app.issuer, audience, &jwks_url(app))
}

/// A signed-in browser and the internal JWT the gateway got for it.
async fn signed_in_jwt(app: &TestApp) -> (Browser, String) {
    app.create_user("alice").await;
    register_app(app, GATED_HOST, &[], &[]).await;
    let browser = app.browser();
    sign_in_through_gateway(app, &browser, "alice").await;
    let jwt = internal_jwt(&ask_page(app, &browser).await);
    (browser, jwt)
}

#[tokio::test]
async fn the_verifier_takes_the_internal_jwt_for_its_audience_and_refuses_every_other() {
    let app = spawn_app().await;
    let (_, jwt) = signed_in_jwt(&app).await;
    let verifier = verifier_for(&app, &format!("https://{GATED_HOST}"));
    let now = app.now();
    let who = verifier.verify_at(&jwt, now).await.expect("the real thing");
    assert_eq!(who.preferred_username, "alice");
    assert_eq!(who.name.as_deref(), Some("alice Example"));

    // Forged: the claims changed under the signature; a signature made up.
    let parts: Vec<&str> = jwt.split('.').collect();
    let mut claims = claims_of(&app, &jwt).await;
    claims["preferred_username"] = serde_json::json!("admin");
    let forged = format!("{}.{}.{}", parts[0], b64(&claims), parts[2]);
    assert!(matches!(
        verifier.verify_at(&forged, now).await,
        Err(VerifyError::Invalid(_))
    ));
    let made_up = format!("{}.{}.{}", parts[0], parts[1], "A".repeat(86));
    assert!(verifier.verify_at(&made_up, now).await.is_err());
    // `alg: none`, and HMAC keyed with the public key's kid.
    let header = jwt_header(&jwt);
    for alg in ["none", "HS256"] {
        let mut h = header.clone();
        h["alg"] = serde_json::json!(alg);
        let token = format!("{}.{}.", b64(&h), parts[1]);
        assert!(verifier.verify_at(&token, now).await.is_err(), "{alg}");
    }

    // Expired: a minute and the leeway later.
    assert_eq!(
        verifier.verify_at(&jwt, now + 66).await,
        Err(VerifyError::Expired)
    );

    // Wrong audience: the JWT of another application, replayed to this one.
    let other = verifier_for(&app, "https://other.example.test");
    assert!(matches!(
        other.verify_at(&jwt, now).await,
        Err(VerifyError::Invalid(_))
    ));

    // Another issuer's verifier.
    let elsewhere = Verifier::new(
        "https://evil.test",
        &format!("https://{GATED_HOST}"),
        &app.url("/jwks"),
    );
    assert!(elsewhere.verify_at(&jwt, now).await.is_err());

    // Nothing but an internal JWT, however genuine: access and ID tokens
    // have another `typ`.
    let client = app.confidential_client("app1", APP1_HOST).await;
    let tokens = login_and_exchange(&app, &app.browser(), &client, "alice").await;
    for token in ["access_token", "id_token"] {
        assert_eq!(
            verifier.verify_at(&field(&tokens, token), now).await,
            Err(VerifyError::WrongType),
            "{token}"
        );
    }
    assert_eq!(verifier.verify_at("", now).await, Err(VerifyError::Missing));
}

#[tokio::test]
async fn the_key_set_is_fetched_again_for_a_new_key_at_most_once_a_second() {
    let app = spawn_app().await;
    let (browser, jwt) = signed_in_jwt(&app).await;
    let verifier = verifier_for(&app, &format!("https://{GATED_HOST}"));
    let start = app.now();
    verifier.verify_at(&jwt, start).await.expect("verified");
    assert_eq!(verifier.fetched_at().await, Some(start));

    // A key nobody published: no second fetch within the second.
    let mut header = jwt_header(&jwt);
    header["kid"] = serde_json::json!("not-a-published-key");
    let parts: Vec<&str> = jwt.split('.').collect();
    let unknown = format!("{}.{}.{}", b64(&header), parts[1], parts[2]);
    assert_eq!(
        verifier.verify_at(&unknown, start).await,
        Err(VerifyError::UnknownKey)
    );
    assert_eq!(
        verifier.fetched_at().await,
        Some(start),
        "not fetched again"
    );

    // Tessera rotates; once the new key signs, the verifier fetches the set
    // again for it.
    app.state
        .provider
        .rotate_keys(Actor::Cli, app.now())
        .await
        .expect("rotate");
    app.clock
        .advance(tessera::oauth::keys::PUBLISH_AHEAD_SECS + 1);
    let rotated = internal_jwt(&ask_page(&app, &browser).await);
    assert_ne!(jwt_header(&rotated)["kid"], jwt_header(&jwt)["kid"]);
    let who = verifier
        .verify_at(&rotated, app.now())
        .await
        .expect("verified with the new key");
    assert_eq!(who.preferred_username, "alice");
    assert_eq!(verifier.fetched_at().await, Some(app.now()));
}
