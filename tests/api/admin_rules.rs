//! Rules an administrator meets: the last administrator stays, nobody takes
//! away their own access; names are normalized before they are checked and
//! must read as they are stored; lengths are checked where values are
//! parsed, alike on both databases; a stored row that cannot be read never
//! takes a whole listing down.

use tessera::admin::users::{delete_user, set_admin, set_disabled};
use tessera::domain::Actor;

use crate::helpers::*;

const ADMIN_PASSWORD: &str = "bootstrap-admin-password";

async fn admin_token(app: &TestApp) -> String {
    let client = app
        .create_client(tessera::admin::clients::NewClient {
            id: Some("automation".into()),
            name: "automation".into(),
            grant_types: vec![tessera::domain::GrantType::ClientCredentials],
            scopes: vec!["admin:write".into()],
            ..tessera::admin::clients::NewClient::default()
        })
        .await;
    let body: serde_json::Value =
        token_request(app, &client, &[("grant_type", "client_credentials")])
            .await
            .json()
            .await
            .expect("json");
    field(&body, "access_token")
}

async fn api(
    app: &TestApp,
    token: &str,
    method: reqwest::Method,
    path: &str,
    body: serde_json::Value,
) -> (u16, serde_json::Value) {
    let response = app
        .http()
        .request(method, app.url(&format!("/admin/api/v1{path}")))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .expect("api");
    let status = response.status().as_u16();
    (
        status,
        response.json().await.unwrap_or(serde_json::Value::Null),
    )
}

#[tokio::test]
async fn the_last_administrator_keeps_the_role_and_nobody_removes_their_own() {
    let app = spawn_app().await;
    let store = &app.services.store;
    let admin = store
        .user_by_username(&tessera::domain::Username::parse("admin").expect("name"))
        .await
        .expect("lookup")
        .expect("the first administrator");
    // The only administrator: not demoted, disabled or deleted, by anyone.
    let refused = |result: Result<(), tessera::admin::AdminError>| {
        let err = result.expect_err("refused");
        assert!(err.to_string().contains("last administrator"), "{err}");
    };
    refused(
        set_admin(store, &admin.id, false, &Actor::Cli, app.now())
            .await
            .map(|_| ()),
    );
    refused(
        set_disabled(store, &admin.id, true, Actor::Cli, app.now())
            .await
            .map(|_| ()),
    );
    refused(
        delete_user(store, &admin.id, Actor::Cli, app.now())
            .await
            .map(|_| ()),
    );

    // With a second one, another may demote them, but not themselves.
    let carol = app.create_user("carol").await;
    set_admin(store, &carol.id, true, &Actor::Cli, app.now())
        .await
        .expect("grant");
    let own = set_admin(
        store,
        &carol.id,
        false,
        &Actor::Admin(carol.id.clone()),
        app.now(),
    )
    .await
    .expect_err("not her own");
    assert!(own.to_string().contains("your own"), "{own}");
    let own = set_disabled(
        store,
        &carol.id,
        true,
        Actor::Admin(carol.id.clone()),
        app.now(),
    )
    .await
    .expect_err("not her own");
    assert!(own.to_string().contains("your own"), "{own}");
    set_admin(
        store,
        &carol.id,
        false,
        &Actor::Admin(admin.id.clone()),
        app.now(),
    )
    .await
    .expect("another administrator may");

    // Through the admin API: 409 with the reason.
    let token = admin_token(&app).await;
    let (status, body) = api(
        &app,
        &token,
        reqwest::Method::PATCH,
        &format!("/users/{}", admin.id),
        serde_json::json!({ "admin": false }),
    )
    .await;
    assert_eq!(status, 409, "{body}");
    assert!(
        body["detail"]
            .as_str()
            .expect("detail")
            .contains("last administrator")
    );
    let (status, _) = api(
        &app,
        &token,
        reqwest::Method::DELETE,
        &format!("/users/{}", admin.id),
        serde_json::Value::Null,
    )
    .await;
    assert_eq!(status, 409);
    // And the console still opens for them.
    let browser = app.browser();
    let door = browser
        .get(&app.url("/admin"))
        .await
        .text()
        .await
        .expect("html");
    let csrf = hidden_field(&door, "csrf_token").expect("csrf");
    let opened = browser
        .post_form(
            &app.url("/admin/sign-in"),
            &[
                ("username", "admin"),
                ("password", ADMIN_PASSWORD),
                ("csrf_token", &csrf),
            ],
        )
        .await;
    assert_eq!(redirect_of(&opened, &app.issuer).location.path(), "/admin");
}

#[tokio::test]
async fn a_username_that_grows_when_lowercased_is_refused_and_listings_stay_whole() {
    let app = spawn_app().await;
    let token = admin_token(&app).await;
    // 33 × U+0130 is 33 characters typed, 66 once lowercased.
    let (status, body) = api(
        &app,
        &token,
        reqwest::Method::POST,
        "/users",
        serde_json::json!({ "username": "\u{130}".repeat(33) }),
    )
    .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["errors"][0]["field"], "username");
    // What fits once normalized is stored normalized, and reads back.
    let (status, body) = api(
        &app,
        &token,
        reqwest::Method::POST,
        "/users",
        serde_json::json!({ "username": "\u{FF21}nna", "password": PASSWORD }),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["user"]["username"], "anna");
    let (status, listed) = api(
        &app,
        &token,
        reqwest::Method::GET,
        "/users",
        serde_json::Value::Null,
    )
    .await;
    assert_eq!(status, 200);
    assert!(
        listed["items"]
            .as_array()
            .expect("items")
            .iter()
            .any(|u| u["username"] == "anna")
    );
    // She signs in with either spelling.
    let client = app.confidential_client("app1", APP1_HOST).await;
    let redirect = app
        .browser()
        .authorize_through(&code_params(&client, &pkce_pair().1, "s", "n"), "ANNA")
        .await;
    assert!(redirect.has_param("code"));
}

#[tokio::test]
async fn names_that_read_otherwise_than_they_are_stored_are_refused() {
    let app = spawn_app().await;
    let token = admin_token(&app).await;
    for name in ["Mallory \u{202E}nimda", "a\u{2066}b", "line\nbreak"] {
        let (status, body) = api(
            &app,
            &token,
            reqwest::Method::POST,
            "/users",
            serde_json::json!({ "username": "mallory", "name": name }),
        )
        .await;
        assert_eq!(status, 422, "{name:?}: {body}");
        assert_eq!(body["errors"][0]["field"], "name");
        let (status, _) = api(
            &app,
            &token,
            reqwest::Method::POST,
            "/clients",
            serde_json::json!({
                "name": name,
                "redirect_uris": ["https://app1.example.test/callback"]
            }),
        )
        .await;
        assert_eq!(status, 422, "client name {name:?}");
    }
}

#[tokio::test]
async fn overlong_uris_are_refused_where_they_are_parsed_on_every_surface() {
    let app = spawn_app().await;
    let token = admin_token(&app).await;
    let long = format!("https://app1.example.test/{}", "a".repeat(2100));
    let (status, body) = api(
        &app,
        &token,
        reqwest::Method::POST,
        "/clients",
        serde_json::json!({
            "name": "Long",
            "redirect_uris": ["https://app1.example.test/callback"],
            "backchannel_logout_uri": long,
        }),
    )
    .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["errors"][0]["field"], "backchannel_logout_uri");
    let (status, body) = api(
        &app,
        &token,
        reqwest::Method::POST,
        "/clients",
        serde_json::json!({ "name": "Long", "redirect_uris": [long] }),
    )
    .await;
    assert_eq!(status, 422, "{body}");
    // The command line says the same, not a database error.
    let output = tessera(
        &app,
        &[
            "client",
            "create",
            "--name",
            "Long",
            "--redirect-uri",
            "https://app1.example.test/callback",
            "--backchannel-logout-uri",
            &long,
        ],
        None,
    );
    assert!(!output.status.success());
    let said = String::from_utf8_lossy(&output.stderr);
    assert!(said.contains("longer than 2048"), "{said}");
    assert!(!said.to_lowercase().contains("database"), "{said}");
}

#[tokio::test]
async fn a_stored_client_that_cannot_be_read_leaves_the_rest_of_the_list() {
    let app = spawn_app().await;
    app.confidential_client("app1", APP1_HOST).await;
    app.confidential_client("app2", APP2_HOST).await;
    sea_orm::ConnectionTrait::execute_unprepared(
        &sea_orm::Database::connect(&app.settings.database_url)
            .await
            .expect("db"),
        "UPDATE clients SET grant_types = 'not json' WHERE id = 'app2'",
    )
    .await
    .expect("damage a row");
    let token = admin_token(&app).await;
    let (status, listed) = api(
        &app,
        &token,
        reqwest::Method::GET,
        "/clients",
        serde_json::Value::Null,
    )
    .await;
    assert_eq!(status, 200, "{listed}");
    let ids: Vec<&str> = listed["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|c| c["client_id"].as_str().expect("client_id"))
        .collect();
    assert!(ids.contains(&"app1") && !ids.contains(&"app2"), "{ids:?}");
}
