//! Services: API resources (RFC 8707), roles and permissions in their
//! tokens, token exchange between services (RFC 8693), who may introspect
//! an API's tokens, and the revocation marks services read.

use std::collections::BTreeSet;

use tessera::admin::apis::{
    AllowanceChange, Holder, NewApi, assign_role, change_allowance, create_api, create_role,
};
use tessera::admin::clients::NewClient;
use tessera::admin::groups::{add_member, create_group};
use tessera::admin::sessions::logout_user;
use tessera::admin::users::UserRef;
use tessera::domain::{Actor, GrantType};

use crate::faults::{redis_has, wipe_redis};
use crate::helpers::*;

pub const PRODUCT: &str = "https://product.example.test";
pub const ORDER: &str = "https://order.example.test";
pub const INVENTORY: &str = "https://inventory.example.test";
const EXCHANGE: &str = "urn:ietf:params:oauth:grant-type:token-exchange";
const ACCESS_TOKEN_TYPE: &str = "urn:ietf:params:oauth:token-type:access_token";

fn strings(value: &serde_json::Value) -> BTreeSet<String> {
    value
        .as_array()
        .unwrap_or_else(|| panic!("an array, not {value}"))
        .iter()
        .map(|v| v.as_str().expect("a string").to_string())
        .collect()
}

fn set(items: &[&str]) -> BTreeSet<String> {
    items.iter().map(|s| s.to_string()).collect()
}

/// The services family: product, order and inventory APIs; roles at each;
/// alice in group staff; app1 (a web app) allowed product and order;
/// order-svc acting as the order API and allowed to exchange to product;
/// product-svc acting as the product API and allowed to exchange to
/// inventory.
pub struct Family {
    pub app1: TestClient,
    pub order_svc: TestClient,
    pub product_svc: TestClient,
}

pub async fn service_client(app: &TestApp, id: &str) -> TestClient {
    app.create_client(NewClient {
        id: Some(id.into()),
        name: format!("{id} service"),
        grant_types: vec![GrantType::ClientCredentials],
        redirect_uris: Vec::new(),
        ..NewClient::default()
    })
    .await
}

async fn api(app: &TestApp, identifier: &str, scopes: &[&str], acting: &[&str]) {
    create_api(
        app.state.provider.store(),
        NewApi {
            identifier: identifier.into(),
            name: identifier.trim_start_matches("https://").into(),
            scopes: scopes.iter().map(|s| s.to_string()).collect(),
            introspectors: acting.iter().map(|s| s.to_string()).collect(),
            ..NewApi::default()
        },
        600,
        &Actor::Cli,
        app.now(),
    )
    .await
    .expect("create API");
}

pub async fn allow(app: &TestApp, client: &str, change: AllowanceChange) {
    change_allowance(
        app.state.provider.store(),
        client,
        change,
        &Actor::Cli,
        app.now(),
    )
    .await
    .expect("allowance");
}

async fn role(app: &TestApp, api: &str, name: &str, permissions: &[&str]) {
    let permissions: Vec<String> = permissions.iter().map(|s| s.to_string()).collect();
    create_role(
        app.state.provider.store(),
        api,
        name,
        &permissions,
        &Actor::Cli,
        app.now(),
    )
    .await
    .expect("role");
}

pub async fn give(app: &TestApp, api: &str, name: &str, holder: Holder<'_>, yes: bool) {
    assign_role(
        app.state.provider.store(),
        api,
        name,
        holder,
        yes,
        &Actor::Cli,
        app.now(),
    )
    .await
    .expect("assign");
}

pub async fn family(app: &TestApp) -> Family {
    let store = app.state.provider.store();
    app.create_user("alice").await;
    app.create_user("bob").await;
    let app1 = app.confidential_client("app1", "app1.example.test").await;
    let order_svc = service_client(app, "order-svc").await;
    let product_svc = service_client(app, "product-svc").await;
    api(
        app,
        PRODUCT,
        &["products:read", "products:write"],
        &["product-svc"],
    )
    .await;
    api(app, ORDER, &["orders:read", "orders:write"], &["order-svc"]).await;
    api(app, INVENTORY, &["stock:read"], &[]).await;
    role(app, PRODUCT, "viewer", &["products:read"]).await;
    role(app, PRODUCT, "editor", &["products:read", "products:write"]).await;
    role(app, ORDER, "buyer", &["orders:read", "orders:write"]).await;
    role(app, INVENTORY, "stock-viewer", &["stock:read"]).await;
    create_group(store, "staff", &Actor::Cli, app.now())
        .await
        .unwrap();
    add_member(
        store,
        UserRef::Username("alice"),
        "staff",
        &Actor::Cli,
        app.now(),
    )
    .await
    .unwrap();
    give(app, ORDER, "buyer", Holder::Group("staff"), true).await;
    give(
        app,
        PRODUCT,
        "viewer",
        Holder::User(UserRef::Username("alice")),
        true,
    )
    .await;
    give(
        app,
        INVENTORY,
        "stock-viewer",
        Holder::User(UserRef::Username("alice")),
        true,
    )
    .await;
    allow(
        app,
        "app1",
        AllowanceChange::Direct {
            api: PRODUCT.into(),
        },
    )
    .await;
    allow(app, "app1", AllowanceChange::Direct { api: ORDER.into() }).await;
    for (client, target) in [("order-svc", PRODUCT), ("product-svc", INVENTORY)] {
        allow(
            app,
            client,
            AllowanceChange::Exchange { api: target.into() },
        )
        .await;
        let update = tessera::admin::clients::ClientUpdate {
            grant_types: Some(vec![GrantType::ClientCredentials, GrantType::TokenExchange]),
            ..Default::default()
        };
        tessera::admin::clients::update_client(
            store,
            tessera::domain::RedirectUriPolicy { allow_http: true },
            client,
            update,
            &Actor::Cli,
            app.now(),
        )
        .await
        .expect("token exchange grant");
    }
    allow(
        app,
        "order-svc",
        AllowanceChange::Direct { api: ORDER.into() },
    )
    .await;
    Family {
        app1,
        order_svc,
        product_svc,
    }
}

/// Sign alice in to app1 for both APIs and redeem the code for `resource`.
pub async fn user_tokens(
    app: &TestApp,
    family: &Family,
    resource: Option<&str>,
) -> serde_json::Value {
    let (verifier, challenge) = pkce_pair();
    let mut params = code_params(&family.app1, &challenge, "st", "n0nce");
    params.retain(|(k, _)| *k != "scope");
    params.push((
        "scope",
        "openid offline_access products:read orders:write orders:read",
    ));
    params.push(("resource", PRODUCT));
    params.push(("resource", ORDER));
    let redirect = app.browser().authorize_through(&params, "alice").await;
    let code = redirect.param("code").expect("a code");
    let mut form = vec![
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", family.app1.redirect_uri.as_str()),
        ("code_verifier", verifier.as_str()),
    ];
    if let Some(resource) = resource {
        form.push(("resource", resource));
    }
    let response = token_request(app, &family.app1, &form).await;
    assert_eq!(response.status(), 200, "the code exchange succeeds");
    response.json().await.unwrap()
}

pub async fn exchange(
    app: &TestApp,
    caller: &TestClient,
    subject: &str,
    extra: &[(&str, &str)],
) -> reqwest::Response {
    let mut form = vec![
        ("grant_type", EXCHANGE),
        ("subject_token", subject),
        ("subject_token_type", ACCESS_TOKEN_TYPE),
    ];
    form.extend_from_slice(extra);
    token_request(app, caller, &form).await
}

async fn error_of(response: reqwest::Response) -> String {
    assert_eq!(response.status(), 400);
    let body: serde_json::Value = response.json().await.unwrap();
    field(&body, "error")
}

#[tokio::test]
async fn a_resource_addresses_the_token_to_that_api_with_its_scopes_and_the_users_roles_there() {
    let app = spawn_app().await;
    let family = family(&app).await;

    let tokens = user_tokens(&app, &family, Some(ORDER)).await;
    let access = claims_of(&app, &field(&tokens, "access_token")).await;
    assert_eq!(access["aud"], ORDER);
    assert!(access["sub"].as_str().is_some());
    assert_eq!(
        scope_set(&access["scope"]),
        set(&["openid", "orders:read", "orders:write"]),
        "the order API's scopes and the user scopes, never the product API's"
    );
    assert_eq!(
        strings(&access["roles"]),
        set(&["buyer"]),
        "through the group"
    );
    assert_eq!(
        strings(&access["permissions"]),
        set(&["orders:read", "orders:write"])
    );
    assert!(access.get("email").is_none(), "no email without the scope");
    assert_eq!(
        jwt_header(&field(&tokens, "access_token"))["alg"],
        "ES256",
        "the API's algorithm"
    );
    let id_token = claims_of(&app, &field(&tokens, "id_token")).await;
    assert_eq!(id_token["aud"], "app1", "the ID token stays the client's");

    // A refresh narrows to the other API of the grant.
    let refresh = field(&tokens, "refresh_token");
    let response = token_request(
        &app,
        &family.app1,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", &refresh),
            ("resource", PRODUCT),
        ],
    )
    .await;
    assert_eq!(response.status(), 200);
    let refreshed: serde_json::Value = response.json().await.unwrap();
    let product = claims_of(&app, &field(&refreshed, "access_token")).await;
    assert_eq!(product["aud"], PRODUCT);
    assert_eq!(
        scope_set(&product["scope"]),
        set(&["openid", "products:read"])
    );
    assert_eq!(
        strings(&product["roles"]),
        set(&["viewer"]),
        "product roles only"
    );
    assert_eq!(strings(&product["permissions"]), set(&["products:read"]));

    // An API the grant was not made for, or one that does not exist.
    let refresh = field(&refreshed, "refresh_token");
    for (target, why) in [
        (INVENTORY, "not part of the authorization"),
        ("https://nowhere.example.test", "unknown"),
        ("not a uri", "not a URI"),
    ] {
        let response = token_request(
            &app,
            &family.app1,
            &[
                ("grant_type", "refresh_token"),
                ("refresh_token", &refresh),
                ("resource", target),
            ],
        )
        .await;
        assert_eq!(error_of(response).await, "invalid_target", "{why}");
    }
    assert_eq!(
        refresh_status(&app, &family.app1, &refresh).await,
        200,
        "a refused narrowing does not use the refresh token up"
    );

    // Without resource at the token endpoint, a grant of two APIs gives a
    // token for the client itself, as without resource indicators.
    let plain = user_tokens(&app, &family, None).await;
    let own = claims_of(&app, &field(&plain, "access_token")).await;
    assert_eq!(own["aud"], "app1");
    assert!(own.get("roles").is_none() && own.get("permissions").is_none());
    assert_eq!(scope_set(&own["scope"]), set(&["openid", "offline_access"]));
    assert_eq!(
        userinfo(&app, &field(&plain, "access_token"))
            .await
            .status(),
        200
    );
}

#[tokio::test]
async fn an_authorization_request_names_only_apis_the_client_may_have_and_their_scopes() {
    let app = spawn_app().await;
    let family = family(&app).await;
    let browser = app.browser();
    let (_, challenge) = pkce_pair();
    let attempt = |resource: &'static str, scope: &'static str| {
        let mut params = code_params(&family.app1, &challenge, "st", "n");
        params.retain(|(k, _)| *k != "scope");
        params.push(("scope", scope));
        params.push(("resource", resource));
        params
    };
    for (resource, scope, error) in [
        ("https://nowhere.example.test", "openid", "invalid_target"),
        (INVENTORY, "openid stock:read", "invalid_target"),
        ("https://a.example.test/#frag", "openid", "invalid_target"),
        (PRODUCT, "openid orders:write", "invalid_scope"),
        (PRODUCT, "openid stock:read", "invalid_scope"),
    ] {
        let redirect = redirect_of(
            &browser.authorize(&attempt(resource, scope)).await,
            "http://x",
        );
        assert_eq!(
            redirect.param("error").as_deref(),
            Some(error),
            "{resource} {scope}"
        );
    }
    // An API's scope without naming the API is unknown too.
    let mut params = code_params(&family.app1, &challenge, "st", "n");
    params.retain(|(k, _)| *k != "scope");
    params.push(("scope", "openid products:read"));
    let redirect = redirect_of(&browser.authorize(&params).await, "http://x");
    assert_eq!(redirect.param("error").as_deref(), Some("invalid_scope"));
}

#[tokio::test]
async fn a_service_gets_a_token_for_an_api_it_may_call_with_client_credentials() {
    let app = spawn_app().await;
    let family = family(&app).await;
    let response = token_request(
        &app,
        &family.order_svc,
        &[("grant_type", "client_credentials"), ("resource", ORDER)],
    )
    .await;
    assert_eq!(response.status(), 200);
    let body: serde_json::Value = response.json().await.unwrap();
    let claims = claims_of(&app, &field(&body, "access_token")).await;
    assert_eq!(claims["aud"], ORDER);
    assert_eq!(claims["sub"], "order-svc");
    assert_eq!(
        scope_set(&claims["scope"]),
        set(&["orders:read", "orders:write"])
    );
    assert!(claims.get("roles").is_none(), "no user, no roles");

    let narrow = token_request(
        &app,
        &family.order_svc,
        &[
            ("grant_type", "client_credentials"),
            ("resource", ORDER),
            ("scope", "products:read"),
        ],
    )
    .await;
    assert_eq!(error_of(narrow).await, "invalid_scope");
    let elsewhere = token_request(
        &app,
        &family.order_svc,
        &[("grant_type", "client_credentials"), ("resource", PRODUCT)],
    )
    .await;
    assert_eq!(
        error_of(elsewhere).await,
        "invalid_target",
        "exchanging to an API is not getting tokens for it"
    );
}

#[tokio::test]
async fn a_role_change_is_in_the_next_token() {
    let app = spawn_app().await;
    let family = family(&app).await;
    let tokens = user_tokens(&app, &family, Some(PRODUCT)).await;
    give(
        &app,
        PRODUCT,
        "editor",
        Holder::User(UserRef::Username("alice")),
        true,
    )
    .await;
    give(
        &app,
        PRODUCT,
        "viewer",
        Holder::User(UserRef::Username("alice")),
        false,
    )
    .await;
    let refreshed: serde_json::Value = token_request(
        &app,
        &family.app1,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", &field(&tokens, "refresh_token")),
            ("resource", PRODUCT),
        ],
    )
    .await
    .json()
    .await
    .unwrap();
    let claims = claims_of(&app, &field(&refreshed, "access_token")).await;
    assert_eq!(strings(&claims["roles"]), set(&["editor"]));
    assert_eq!(
        strings(&claims["permissions"]),
        set(&["products:read", "products:write"])
    );
}

#[tokio::test]
async fn a_service_exchanges_the_users_token_for_a_short_token_to_the_service_it_calls() {
    let app = spawn_app().await;
    let family = family(&app).await;
    let tokens = user_tokens(&app, &family, Some(ORDER)).await;
    let subject = field(&tokens, "access_token");
    let subject_claims = claims_of(&app, &subject).await;

    let response = exchange(&app, &family.order_svc, &subject, &[("resource", PRODUCT)]).await;
    assert_eq!(response.status(), 200);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["issued_token_type"], ACCESS_TOKEN_TYPE);
    assert_eq!(body["token_type"], "Bearer");
    assert!(body.get("refresh_token").is_none());
    let exchanged = field(&body, "access_token");
    let claims = claims_of(&app, &exchanged).await;
    assert_eq!(claims["aud"], PRODUCT);
    assert_eq!(
        claims["sub"], subject_claims["sub"],
        "the user stays the subject"
    );
    assert_eq!(claims["sid"], subject_claims["sid"]);
    assert_eq!(claims["client_id"], "order-svc");
    assert_eq!(claims["act"], serde_json::json!({ "sub": "order-svc" }));
    assert_eq!(
        strings(&claims["roles"]),
        set(&["viewer"]),
        "the user's product roles"
    );
    assert_eq!(strings(&claims["permissions"]), set(&["products:read"]));
    assert!(!scope_set(&claims["scope"]).contains("offline_access"));
    let lifetime = claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap();
    assert!(lifetime <= 300, "five minutes at most, not {lifetime}");
    assert_eq!(body["expires_in"].as_i64(), Some(lifetime));

    // The product service exchanges again, to the inventory: act nests.
    let again = exchange(
        &app,
        &family.product_svc,
        &exchanged,
        &[("audience", INVENTORY)],
    )
    .await;
    assert_eq!(again.status(), 200);
    let again: serde_json::Value = again.json().await.unwrap();
    let nested = claims_of(&app, &field(&again, "access_token")).await;
    assert_eq!(
        nested["act"],
        serde_json::json!({ "sub": "product-svc", "act": { "sub": "order-svc" } })
    );
    assert_eq!(nested["aud"], INVENTORY);

    // The exchange is in the audit log.
    let audit = tessera(
        &app,
        &["--json", "audit", "--action", "token.exchange"],
        None,
    );
    let rows: serde_json::Value = serde_json::from_slice(&audit.stdout)
        .unwrap_or_else(|_| panic!("audit JSON: {}", String::from_utf8_lossy(&audit.stderr)));
    assert_eq!(rows["items"].as_array().map(Vec::len), Some(2), "{rows}");
}

#[tokio::test]
async fn an_exchange_is_refused_beyond_the_policy_the_subject_or_its_lifetime() {
    let app = spawn_app().await;
    let family = family(&app).await;
    let tokens = user_tokens(&app, &family, Some(ORDER)).await;
    let subject = field(&tokens, "access_token");

    // No policy for the inventory.
    let response = exchange(
        &app,
        &family.order_svc,
        &subject,
        &[("resource", INVENTORY)],
    )
    .await;
    assert_eq!(error_of(response).await, "invalid_target");
    // No target, several targets.
    assert_eq!(
        error_of(exchange(&app, &family.order_svc, &subject, &[]).await).await,
        "invalid_request"
    );
    let two = exchange(
        &app,
        &family.order_svc,
        &subject,
        &[("resource", PRODUCT), ("audience", INVENTORY)],
    )
    .await;
    assert_eq!(error_of(two).await, "invalid_target");
    // Widening: a user scope the subject did not have; an API scope beyond the policy.
    let wider = exchange(
        &app,
        &family.order_svc,
        &subject,
        &[("resource", PRODUCT), ("scope", "email")],
    )
    .await;
    assert_eq!(error_of(wider).await, "invalid_scope");
    allow(
        &app,
        "order-svc",
        AllowanceChange::Direct {
            api: format!("{PRODUCT}:products:read"),
        },
    )
    .await;
    let beyond = exchange(
        &app,
        &family.order_svc,
        &subject,
        &[("resource", PRODUCT), ("scope", "products:write")],
    )
    .await;
    assert_eq!(error_of(beyond).await, "invalid_scope");
    // A token meant for someone else: the product service cannot exchange
    // a token addressed to the order API.
    let stolen = exchange(
        &app,
        &family.product_svc,
        &subject,
        &[("resource", INVENTORY)],
    )
    .await;
    assert_eq!(error_of(stolen).await, "invalid_grant");
    // A client without the grant at all.
    let app1 = exchange(&app, &family.app1, &subject, &[("resource", PRODUCT)]).await;
    assert_eq!(error_of(app1).await, "unauthorized_client");
    // Bad token types.
    let bad_type = token_request(
        &app,
        &family.order_svc,
        &[
            ("grant_type", EXCHANGE),
            ("subject_token", &subject),
            (
                "subject_token_type",
                "urn:ietf:params:oauth:token-type:saml2",
            ),
            ("resource", PRODUCT),
        ],
    )
    .await;
    assert_eq!(error_of(bad_type).await, "invalid_request");

    // Delegation: the actor token must be the caller's own.
    let own: serde_json::Value = token_request(
        &app,
        &family.order_svc,
        &[("grant_type", "client_credentials"), ("resource", ORDER)],
    )
    .await
    .json()
    .await
    .unwrap();
    let with_actor = exchange(
        &app,
        &family.order_svc,
        &subject,
        &[
            ("resource", PRODUCT),
            ("actor_token", &field(&own, "access_token")),
            ("actor_token_type", ACCESS_TOKEN_TYPE),
        ],
    )
    .await;
    assert_eq!(with_actor.status(), 200);
    let someone_elses = exchange(
        &app,
        &family.order_svc,
        &subject,
        &[
            ("resource", PRODUCT),
            ("actor_token", &subject),
            ("actor_token_type", ACCESS_TOKEN_TYPE),
        ],
    )
    .await;
    assert_eq!(error_of(someone_elses).await, "invalid_grant");

    // Never past the subject token's own expiry.
    let subject_exp = claims_of(&app, &subject).await["exp"].as_i64().unwrap();
    app.clock.advance(subject_exp - app.now() - 100);
    let late: serde_json::Value =
        exchange(&app, &family.order_svc, &subject, &[("resource", PRODUCT)])
            .await
            .json()
            .await
            .unwrap();
    assert_eq!(
        claims_of(&app, &field(&late, "access_token")).await["exp"].as_i64(),
        Some(subject_exp)
    );
    app.clock.advance(200);
    let expired = exchange(&app, &family.order_svc, &subject, &[("resource", PRODUCT)]).await;
    assert_eq!(error_of(expired).await, "invalid_grant");
}

#[tokio::test]
async fn an_exchanged_token_dies_with_the_users_session() {
    let app = spawn_app().await;
    let family = family(&app).await;
    let tokens = user_tokens(&app, &family, Some(ORDER)).await;
    let subject = field(&tokens, "access_token");
    let body: serde_json::Value =
        exchange(&app, &family.order_svc, &subject, &[("resource", PRODUCT)])
            .await
            .json()
            .await
            .unwrap();
    let exchanged = field(&body, "access_token");
    let before = introspect(&app, &family.product_svc, &exchanged, None).await;
    assert_eq!(
        before["active"], true,
        "the product API's own client may introspect"
    );
    assert_eq!(strings(&before["permissions"]), set(&["products:read"]));

    logout_user(app.state.provider.store(), "alice", Actor::Cli, app.now())
        .await
        .unwrap();
    let after = introspect(&app, &family.product_svc, &exchanged, None).await;
    assert_eq!(after, serde_json::json!({ "active": false }));
    let again = exchange(&app, &family.order_svc, &subject, &[("resource", PRODUCT)]).await;
    assert_eq!(error_of(again).await, "invalid_grant");
}

#[tokio::test]
async fn an_apis_tokens_are_introspected_only_by_their_client_and_the_api_itself() {
    let app = spawn_app().await;
    let family = family(&app).await;
    let tokens = user_tokens(&app, &family, Some(ORDER)).await;
    let token = field(&tokens, "access_token");
    let issued_to = introspect(&app, &family.app1, &token, None).await;
    assert_eq!(issued_to["active"], true);
    let api = introspect(&app, &family.order_svc, &token, None).await;
    assert_eq!(api["active"], true);
    assert_eq!(strings(&api["roles"]), set(&["buyer"]));
    let other = introspect(&app, &family.product_svc, &token, None).await;
    assert_eq!(other, serde_json::json!({ "active": false }));

    // A client that loses the API loses its tokens for it.
    allow(&app, "app1", AllowanceChange::Remove { api: ORDER.into() }).await;
    assert_eq!(
        introspect(&app, &family.order_svc, &token, None).await["active"],
        false
    );
}

#[tokio::test]
async fn discovery_says_resources_and_token_exchange_are_supported() {
    let app = spawn_app().await;
    let discovery: serde_json::Value = app
        .http()
        .get(app.url("/.well-known/openid-configuration"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let oauth: serde_json::Value = app
        .http()
        .get(app.url("/.well-known/oauth-authorization-server"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(oauth, discovery, "RFC 8414 metadata says the same");
    assert_eq!(oauth["issuer"], app.issuer);
    assert!(strings(&discovery["grant_types_supported"]).contains(EXCHANGE));
    assert_eq!(discovery["resource_indicators_supported"], true);
    for claim in ["roles", "permissions", "act"] {
        assert!(
            strings(&discovery["claims_supported"]).contains(claim),
            "{claim}"
        );
    }
}

#[tokio::test]
async fn apis_roles_and_policies_are_managed_from_the_command_line() {
    let app = spawn_app().await;
    app.create_user("alice").await;
    app.create_client(NewClient {
        id: Some("order-svc".into()),
        name: "Orders".into(),
        grant_types: vec![GrantType::ClientCredentials],
        redirect_uris: Vec::new(),
        ..NewClient::default()
    })
    .await;
    let run = |args: &[&str]| {
        let output = tessera(&app, &[&["--json"][..], args].concat(), None);
        assert!(
            output.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        serde_json::from_slice::<serde_json::Value>(&output.stdout).expect("JSON")
    };
    let created = run(&[
        "api",
        "create",
        "--identifier",
        PRODUCT,
        "--name",
        "Products",
        "--scope",
        "products:read",
        "--scope",
        "products:write",
        "--lifetime",
        "120",
        "--introspector",
        "order-svc",
    ]);
    assert_eq!(created["identifier"], PRODUCT);
    assert_eq!(created["lifetime"], 120);
    run(&[
        "api",
        "role",
        "create",
        PRODUCT,
        "viewer",
        "--permission",
        "products:read",
    ]);
    run(&["group", "create", "staff"]);
    run(&["group", "add", "alice", "staff"]);
    let assigned = run(&[
        "api", "role", "assign", PRODUCT, "viewer", "--group", "staff",
    ]);
    assert_eq!(assigned["changed"], true);
    let client = run(&[
        "client",
        "update",
        "order-svc",
        "--allow-api",
        &format!("{PRODUCT}:products:read"),
        "--exchange-to",
        PRODUCT,
    ]);
    assert_eq!(client["apis"][0]["api"], PRODUCT);
    assert_eq!(client["apis"][0]["scopes"], "products:read");
    assert_eq!(client["apis"][0]["exchange"], true);
    assert!(strings(&client["grant_types"]).contains(EXCHANGE));
    let shown = run(&["api", "show", PRODUCT]);
    assert_eq!(shown["roles"][0]["name"], "viewer");
    assert_eq!(shown["introspectors"], serde_json::json!(["order-svc"]));

    // Refusals say what is wrong.
    for (args, says) in [
        (
            vec!["api", "create", "--identifier", "products", "--name", "P"],
            "absolute URI",
        ),
        (
            vec!["api", "create", "--identifier", PRODUCT, "--name", "P"],
            "already exists",
        ),
        (
            vec![
                "api",
                "create",
                "--identifier",
                ORDER,
                "--name",
                "O",
                "--lifetime",
                "5",
            ],
            "60 to 86400",
        ),
        (
            vec!["api", "delete", PRODUCT, "--confirm", ORDER],
            "--confirm",
        ),
    ] {
        let output = tessera(&app, &args, None);
        assert!(!output.status.success(), "{args:?}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains(says), "{args:?}: {stderr}");
    }
    let audit = run(&["audit", "--action", "api.role.assign"]);
    assert_eq!(audit["items"].as_array().map(Vec::len), Some(1));
    run(&["api", "delete", PRODUCT, "--confirm", PRODUCT]);
    assert_eq!(run(&["api", "list"]), serde_json::json!([]));
}

#[tokio::test]
async fn ending_a_session_marks_its_sid_in_redis_for_services_on_postgres_and_redis() {
    let app = spawn_replicated_app().await;
    let family = family(&app).await;
    let tokens = user_tokens(&app, &family, Some(ORDER)).await;
    let claims = claims_of(&app, &field(&tokens, "access_token")).await;
    let sid = claims["sid"].as_str().unwrap().to_string();
    let gid = claims["gid"].as_str().unwrap().to_string();
    let prefix = app.settings.redis_prefix.clone();
    assert!(!redis_has(&prefix, &format!("revoked:sid:{sid}")).await);
    logout_user(app.state.provider.store(), "alice", Actor::Cli, app.now())
        .await
        .unwrap();
    assert!(redis_has(&prefix, &format!("revoked:sid:{sid}")).await);
    assert!(redis_has(&prefix, &format!("revoked:grant:{gid}")).await);
    // Replayed from the database into a Redis that lost everything.
    wipe_redis(&prefix).await;
    app.state
        .provider
        .store()
        .sync_revocation_marks(app.now())
        .await
        .unwrap();
    assert!(redis_has(&prefix, &format!("revoked:sid:{sid}")).await);
}

pub const LEDGER: &str = "https://ledger.example.test";

#[tokio::test]
async fn an_api_may_want_opaque_tokens_that_introspection_answers_for_and_revocation_ends_at_once()
{
    let app = spawn_app().await;
    let family = family(&app).await;
    create_api(
        app.state.provider.store(),
        NewApi {
            identifier: LEDGER.into(),
            name: "Ledger".into(),
            scopes: vec!["ledger:read".into()],
            token_format: Some(tessera::domain::TokenFormat::Opaque),
            introspectors: vec!["product-svc".into()],
            ..NewApi::default()
        },
        600,
        &Actor::Cli,
        app.now(),
    )
    .await
    .unwrap();
    allow(&app, "app1", AllowanceChange::Direct { api: LEDGER.into() }).await;
    allow(
        &app,
        "order-svc",
        AllowanceChange::Direct { api: LEDGER.into() },
    )
    .await;

    // A service's own token: opaque, stored hashed, answered by introspection.
    let body: serde_json::Value = token_request(
        &app,
        &family.order_svc,
        &[("grant_type", "client_credentials"), ("resource", LEDGER)],
    )
    .await
    .json()
    .await
    .unwrap();
    let token = field(&body, "access_token");
    assert!(
        token.starts_with("at.") && !token.contains(".ey"),
        "{token}"
    );
    assert_eq!(body["expires_in"], 600);
    let seen = introspect(&app, &family.product_svc, &token, None).await;
    assert_eq!(seen["active"], true);
    assert_eq!(seen["aud"], LEDGER);
    assert_eq!(seen["scope"], "ledger:read");
    assert_eq!(
        introspect(&app, &family.app1, &token, None).await,
        serde_json::json!({ "active": false }),
        "neither its client nor the API's"
    );
    assert_eq!(
        revoke(&app, &family.order_svc, &token, None).await.status(),
        200
    );
    assert_eq!(
        introspect(&app, &family.product_svc, &token, None).await["active"],
        false,
        "revoked at once"
    );
    assert_eq!(
        introspect(&app, &family.product_svc, "at.forged", None).await["active"],
        false
    );

    // A user's opaque token ends with the session.
    let (verifier, challenge) = pkce_pair();
    let mut params = code_params(&family.app1, &challenge, "st", "n");
    params.retain(|(k, _)| *k != "scope");
    params.push(("scope", "openid ledger:read"));
    params.push(("resource", LEDGER));
    let redirect = app.browser().authorize_through(&params, "alice").await;
    let tokens: serde_json::Value = exchange_code(
        &app,
        &family.app1,
        &redirect.param("code").unwrap(),
        &verifier,
    )
    .await
    .json()
    .await
    .unwrap();
    let user_token = field(&tokens, "access_token");
    let active = introspect(&app, &family.product_svc, &user_token, None).await;
    assert_eq!(active["active"], true);
    assert_eq!(active["username"], "alice");
    logout_user(app.state.provider.store(), "alice", Actor::Cli, app.now())
        .await
        .unwrap();
    assert_eq!(
        introspect(&app, &family.product_svc, &user_token, None).await["active"],
        false
    );
}
