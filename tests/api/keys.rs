//! Signing-key rotation: a new key is published before it signs, the old one
//! stays published until its tokens have expired, and keys rotate on their
//! own with one replica doing it.

use std::time::Duration;

use tessera::admin::clients::NewClient;
use tessera::domain::{Actor, GrantType, SigningAlg};

use crate::helpers::*;

async fn published_kids(app: &TestApp) -> Vec<String> {
    let jwks: serde_json::Value = app
        .http()
        .get(app.url("/jwks"))
        .send()
        .await
        .expect("jwks")
        .json()
        .await
        .expect("json");
    let mut kids: Vec<String> = jwks["keys"]
        .as_array()
        .expect("keys")
        .iter()
        .map(|k| k["kid"].as_str().expect("kid").to_string())
        .collect();
    kids.sort();
    kids
}

async fn service_token(app: &TestApp, client: &TestClient) -> String {
    let response = token_request(app, client, &[("grant_type", "client_credentials")]).await;
    assert_eq!(response.status(), 200);
    let body: serde_json::Value = response.json().await.expect("json");
    field(&body, "access_token")
}

fn kid_of(token: &str) -> String {
    jwt_header(token)["kid"].as_str().expect("kid").to_string()
}

#[tokio::test]
async fn a_rotated_key_is_published_before_it_signs_and_the_old_one_retires_later() {
    let app = spawn_app().await;
    let client = app
        .create_client(NewClient {
            id: Some("svc".into()),
            name: "svc".into(),
            grant_types: vec![GrantType::ClientCredentials],
            scopes: vec!["api".into()],
            access_token_alg: SigningAlg::ES256,
            ..NewClient::default()
        })
        .await;
    let before = published_kids(&app).await;
    assert_eq!(before.len(), 3);
    let old_token = service_token(&app, &client).await;
    let old_kid = kid_of(&old_token);

    let fresh = app
        .state
        .provider
        .rotate_keys(Actor::Cli, app.now())
        .await
        .expect("rotate");
    assert_eq!(fresh.len(), 3, "one new key per algorithm");
    let during = published_kids(&app).await;
    assert_eq!(during.len(), 6, "published at once, beside the old ones");
    assert_eq!(
        kid_of(&service_token(&app, &client).await),
        old_kid,
        "not signing before relying parties can have fetched it"
    );

    // A little over five minutes on (the JWKS cache time, the replicas'
    // reload interval and a margin), the new key signs.
    app.clock
        .advance(tessera::oauth::keys::PUBLISH_AHEAD_SECS - 1);
    assert_eq!(kid_of(&service_token(&app, &client).await), old_kid);
    app.clock.advance(1);
    let new_token = service_token(&app, &client).await;
    let new_kid = kid_of(&new_token);
    assert_ne!(new_kid, old_kid);
    assert!(fresh.iter().any(|k| k.kid == new_kid));
    // Both verify with what /jwks publishes, as a relying party checks them.
    verify_with_jwks(&app, &old_token).await;
    verify_with_jwks(&app, &new_token).await;

    // Once every token the old keys signed has expired, they leave /jwks.
    let retire_after = 3600 + 300;
    app.clock.advance(retire_after - 1);
    assert_eq!(published_kids(&app).await.len(), 6);
    app.clock.advance(1);
    let after = published_kids(&app).await;
    assert_eq!(after.len(), 3);
    assert!(
        before.iter().all(|kid| !after.contains(kid)),
        "the old keys are retired"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn keys_rotate_on_their_own_and_only_one_replica_does_it_on_postgres_and_redis() {
    let a =
        spawn_replicated_app_with(|s| s.key_rotation_interval = Duration::from_secs(86_400)).await;
    let b = a.replica().await;
    assert!(
        a.state
            .provider
            .rotate_keys_if_due(a.now())
            .await
            .expect("check")
            .is_empty()
    );

    // A day on: each replica's own sweep finds the keys due, and so do
    // three explicit checks, all at once.
    a.clock.advance(86_400);
    let barrier = std::sync::Arc::new(tokio::sync::Barrier::new(3));
    let checks: Vec<_> = [&a, &b, &a]
        .into_iter()
        .map(|replica| {
            let (state, barrier, now) = (replica.state.clone(), barrier.clone(), replica.now());
            tokio::spawn(async move {
                barrier.wait().await;
                state.provider.rotate_keys_if_due(now).await.expect("check")
            })
        })
        .collect();
    for check in checks {
        check.await.expect("joined");
    }
    let stored = a.services.store.signing_keys().await.expect("keys");
    assert_eq!(
        stored.len(),
        6,
        "one new key per algorithm, whoever made it"
    );

    // Both replicas publish the same keys once they have reloaded.
    b.state.provider.reload_keys().await.expect("reload");
    a.state.provider.reload_keys().await.expect("reload");
    assert_eq!(published_kids(&a).await, published_kids(&b).await);
    assert_eq!(published_kids(&a).await.len(), 6);
    let audit = a
        .services
        .store
        .audit_events(&tessera::store::AuditQuery {
            action: Some("key.rotate".into()),
            limit: 10,
            ..Default::default()
        })
        .await
        .expect("audit");
    assert_eq!(audit.len(), 1);
    assert_eq!(audit[0].actor, "system");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn rotating_while_a_key_waits_replaces_it_and_rotations_take_turns() {
    let a = spawn_app().await;
    let b = a.replica().await;
    // Ten clicks on "Rotate now", on two replicas, at once.
    let barrier = std::sync::Arc::new(tokio::sync::Barrier::new(10));
    let clicks: Vec<_> = (0..10)
        .map(|i| {
            let replica = if i % 2 == 0 { &a } else { &b };
            let (state, barrier, now) = (replica.state.clone(), barrier.clone(), replica.now());
            tokio::spawn(async move {
                barrier.wait().await;
                state
                    .provider
                    .rotate_keys(Actor::Cli, now)
                    .await
                    .expect("rotate")
            })
        })
        .collect();
    for click in clicks {
        click.await.expect("joined");
    }
    let stored = a.services.store.signing_keys().await.expect("keys");
    assert_eq!(
        stored.len(),
        6,
        "the keys in use and one waiting key per algorithm, not one per click"
    );
    a.state.provider.reload_keys().await.expect("reload");
    assert_eq!(published_kids(&a).await.len(), 6);
    // The waiting keys take over in time: every algorithm keeps a signer.
    a.clock.advance(tessera::oauth::keys::PUBLISH_AHEAD_SECS);
    let audit = a
        .services
        .store
        .audit_events(&tessera::store::AuditQuery {
            action: Some("key.rotate".into()),
            limit: 20,
            ..Default::default()
        })
        .await
        .expect("audit");
    assert_eq!(audit.len(), 10, "every rotation is audited");
}

/// A client_credentials client allowed the admin API, signing ES256.
async fn admin_service(app: &TestApp) -> TestClient {
    app.create_client(NewClient {
        id: Some("automation".into()),
        name: "automation".into(),
        grant_types: vec![GrantType::ClientCredentials],
        scopes: vec!["admin:read".into()],
        access_token_alg: SigningAlg::ES256,
        ..NewClient::default()
    })
    .await
}

async fn admin_api_status(app: &TestApp, token: &str) -> u16 {
    app.http()
        .get(app.url("/admin/api/v1/users"))
        .bearer_auth(token)
        .send()
        .await
        .expect("admin api")
        .status()
        .as_u16()
}

#[tokio::test]
async fn a_revoked_key_is_unpublished_and_nothing_it_signed_is_accepted() {
    let app = spawn_app().await;
    app.create_user("alice").await;
    let client = app
        .create_client(NewClient {
            access_token_alg: SigningAlg::ES256,
            ..client_spec("app1", APP1_HOST)
        })
        .await;
    let service = admin_service(&app).await;
    let user_tokens = login_and_exchange(&app, &app.browser(), &client, "alice").await;
    let user_access = field(&user_tokens, "access_token");
    let admin_token = service_token(&app, &service).await;
    let leaked = kid_of(&user_access);
    assert_eq!(kid_of(&admin_token), leaked);
    assert_eq!(userinfo(&app, &user_access).await.status(), 200);
    assert_eq!(admin_api_status(&app, &admin_token).await, 200);

    // An administrator revokes it, through the admin API.
    let operator = app
        .create_client(NewClient {
            id: Some("operator".into()),
            name: "operator".into(),
            grant_types: vec![GrantType::ClientCredentials],
            scopes: vec!["admin:write".into()],
            access_token_alg: SigningAlg::EdDSA,
            ..NewClient::default()
        })
        .await;
    let operator_token = service_token(&app, &operator).await;
    let revoked = app
        .http()
        .post(app.url(&format!("/admin/api/v1/keys/{leaked}/revoke")))
        .bearer_auth(&operator_token)
        .send()
        .await
        .expect("revoke");
    assert_eq!(revoked.status(), 200);
    let keys: serde_json::Value = revoked.json().await.expect("json");
    let state_of = |kid: &str| {
        keys["items"]
            .as_array()
            .expect("items")
            .iter()
            .find(|k| k["kid"] == kid)
            .map(|k| k["state"].as_str().expect("state").to_string())
    };
    assert_eq!(state_of(&leaked).as_deref(), Some("revoked"));

    assert!(
        !published_kids(&app).await.contains(&leaked),
        "unpublished at once"
    );
    assert_eq!(userinfo(&app, &user_access).await.status(), 401);
    assert_eq!(
        introspect(&app, &client, &user_access, None).await,
        serde_json::json!({ "active": false })
    );
    assert_eq!(admin_api_status(&app, &admin_token).await, 401);
    // ES256 tokens are signed by another key from now on, and they work.
    let fresh = service_token(&app, &service).await;
    let successor = kid_of(&fresh);
    assert_ne!(successor, leaked);
    assert_eq!(state_of(&successor).as_deref(), Some("active"));
    verify_with_jwks(&app, &fresh).await;
    assert_eq!(admin_api_status(&app, &fresh).await, 200);
    // And a second revocation of the same key is refused plainly.
    let again = app
        .http()
        .post(app.url(&format!("/admin/api/v1/keys/{leaked}/revoke")))
        .bearer_auth(&operator_token)
        .send()
        .await
        .expect("revoke");
    assert_eq!(again.status(), 409);
}

#[tokio::test]
async fn a_retired_key_verifies_nothing_even_a_token_it_signed_to_last() {
    let app = spawn_app().await;
    let service = admin_service(&app).await;
    let genuine = service_token(&app, &service).await;
    let kid = kid_of(&genuine);
    let signed_at = app.now();

    // Someone holding the (later retired) private key signs an admin token
    // that lasts ten days.
    let materials = app.services.store.signing_keys().await.expect("keys");
    let keys = tessera::oauth::keys::KeySet::load(
        &materials,
        &tessera::oauth::keys::KeySealer::new(app.pepper().clone()),
    )
    .expect("keys");
    let mut claims = jwt_payload(&genuine);
    claims["exp"] = serde_json::json!(signed_at + 10 * 86_400);
    claims["jti"] = serde_json::json!("long-lived");
    let forged = keys
        .sign(SigningAlg::ES256, "at+jwt", &claims, signed_at)
        .expect("sign");
    assert_eq!(kid_of(&forged), kid);
    assert_eq!(
        admin_api_status(&app, &forged).await,
        200,
        "while published"
    );

    // The key is rotated away, and retires once its tokens have expired.
    app.state
        .provider
        .rotate_keys(Actor::Cli, app.now())
        .await
        .expect("rotate");
    app.clock
        .advance(tessera::oauth::keys::PUBLISH_AHEAD_SECS + 3600 + 300);
    app.state.provider.reload_keys().await.expect("reload");
    assert!(!published_kids(&app).await.contains(&kid), "retired");
    let fresh_service = TestClient { ..service.clone() };
    assert_eq!(admin_api_status(&app, &forged).await, 401);
    assert_eq!(
        introspect(&app, &fresh_service, &forged, None).await,
        serde_json::json!({ "active": false })
    );
}

#[tokio::test]
async fn keys_rotated_by_the_command_line_are_loaded_within_ten_seconds() {
    let app = spawn_app().await;
    assert_eq!(published_kids(&app).await.len(), 3);
    tessera::admin::keys::rotate_keys(
        &app.services.store,
        app.pepper(),
        tessera::startup::rotation_policy(&app.settings),
        Actor::Cli,
        app.now(),
    )
    .await
    .expect("rotate from outside the server");
    assert_eq!(published_kids(&app).await.len(), 3, "not yet loaded");
    // Ten seconds of the server's clock: its own reload picks them up.
    app.clock.advance(10);
    eventually("the server to load the new keys", || async {
        published_kids(&app).await.len() == 6
    })
    .await;
}
