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

    // Five minutes on (the JWKS cache time), the new key signs.
    app.clock.advance(300);
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
async fn keys_rotate_on_their_own_and_only_one_replica_does_it() {
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

    a.clock.advance(86_400);
    let (ra, rb, ra2) = tokio::join!(
        a.state.provider.rotate_keys_if_due(a.now()),
        b.state.provider.rotate_keys_if_due(b.now()),
        a.state.provider.rotate_keys_if_due(a.now()),
    );
    let rotated = ra.expect("a").len() + rb.expect("b").len() + ra2.expect("a again").len();
    assert_eq!(rotated, 3, "one new key per algorithm, whoever made it");
    let stored = a.services.store.signing_keys().await.expect("keys");
    assert_eq!(stored.len(), 6);

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
