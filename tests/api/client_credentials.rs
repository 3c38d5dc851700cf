//! The client_credentials grant (RFC 6749 §4.4): a confidential client gets
//! an access token for itself, limited to the scopes it may be granted, and
//! signed with the algorithm it registered.

use tessera::admin::clients::NewClient;
use tessera::domain::{GrantType, SigningAlg};

use crate::helpers::*;

async fn service(app: &TestApp, id: &str, alg: SigningAlg) -> TestClient {
    app.create_client(NewClient {
        id: Some(id.into()),
        name: format!("{id} service"),
        grant_types: vec![GrantType::ClientCredentials],
        scopes: vec!["api:read".into(), "api:write".into()],
        access_token_alg: alg,
        ..NewClient::default()
    })
    .await
}

async fn grant(app: &TestApp, client: &TestClient, scope: Option<&str>) -> reqwest::Response {
    let mut form = vec![("grant_type", "client_credentials")];
    if let Some(scope) = scope {
        form.push(("scope", scope));
    }
    token_request(app, client, &form).await
}

#[tokio::test]
async fn a_service_gets_an_access_token_for_itself() {
    let app = spawn_app().await;
    for (id, alg, jwt_alg) in [
        ("svc-rs", SigningAlg::RS256, jsonwebtoken::Algorithm::RS256),
        ("svc-es", SigningAlg::ES256, jsonwebtoken::Algorithm::ES256),
        ("svc-ed", SigningAlg::EdDSA, jsonwebtoken::Algorithm::EdDSA),
    ] {
        let client = service(&app, id, alg).await;
        let response = grant(&app, &client, Some("api:read")).await;
        assert_eq!(response.status(), 200);
        assert_eq!(response.headers()["cache-control"], "no-store");
        let body: serde_json::Value = response.json().await.expect("json");
        assert_eq!(body["token_type"], "Bearer");
        assert_eq!(body["scope"], "api:read");
        assert!(
            body.get("refresh_token").is_none(),
            "no refresh token (§4.4.3)"
        );
        assert!(body.get("id_token").is_none(), "no ID token: no user");
        let token = body["access_token"].as_str().expect("access token");

        let (header, claims) = verify_with_jwks(&app, token).await;
        assert_eq!(header.alg, jwt_alg, "{id}");
        assert_eq!(header.typ.as_deref(), Some("at+jwt"));
        assert_eq!(claims["sub"], id, "the client is the subject");
        assert_eq!(claims["client_id"], id);
        assert!(claims.get("gid").is_none() && claims.get("sid").is_none());

        let answer = introspect(&app, &client, token, None).await;
        assert_eq!(answer["active"], true);
        assert_eq!(answer["sub"], id);
        assert!(answer.get("username").is_none());
        assert_eq!(
            userinfo(&app, token).await.status(),
            403,
            "not an openid token"
        );
        assert_eq!(revoke(&app, &client, token, None).await.status(), 200);
        assert_eq!(
            introspect(&app, &client, token, None).await["active"],
            false
        );
    }
}

#[tokio::test]
async fn scope_is_limited_to_what_the_client_may_be_granted() {
    let app = spawn_app().await;
    let client = service(&app, "svc", SigningAlg::ES256).await;

    let all: serde_json::Value = grant(&app, &client, None).await.json().await.expect("json");
    assert_eq!(
        scope_set(&all["scope"]),
        scopes("api:read api:write"),
        "no scope asked: all of them"
    );
    for bad in ["api:admin", "api:read api:admin", "openid"] {
        let response = grant(&app, &client, Some(bad)).await;
        assert_eq!(response.status(), 400, "{bad}");
        let body: serde_json::Value = response.json().await.expect("json");
        assert_eq!(body["error"], "invalid_scope", "{bad}");
    }
}

#[tokio::test]
async fn only_registered_confidential_clients_may_use_it() {
    let app = spawn_app().await;
    let web_app = app.confidential_client("app1", APP1_HOST).await;
    let spa = app.public_client("spa", APP1_HOST).await;
    let not_registered = grant(&app, &web_app, None).await;
    assert_eq!(not_registered.status(), 400);
    let body: serde_json::Value = not_registered.json().await.expect("json");
    assert_eq!(body["error"], "unauthorized_client");
    let public = grant(&app, &spa, None).await;
    assert!(matches!(public.status().as_u16(), 400 | 401));
    let body: serde_json::Value = public.json().await.expect("json");
    assert!(matches!(
        body["error"].as_str(),
        Some("unauthorized_client" | "invalid_client")
    ));
    let svc = service(&app, "svc", SigningAlg::RS256).await;
    let wrong = TestClient {
        secret: Some("wrong".into()),
        ..svc
    };
    assert_eq!(grant(&app, &wrong, None).await.status(), 401);
}
