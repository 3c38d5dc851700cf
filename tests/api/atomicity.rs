//! One transaction per use case: a change, its audit record, the sessions
//! it ends (with their revocations and notices) commit together or not at
//! all. Failures are injected in the database itself (a trigger refusing
//! the audit record), and a failure the server did not expect is a 500
//! whose text never reaches the answer.

use sea_orm::ConnectionTrait;

use crate::helpers::*;

/// From now on the database refuses to record `action` in the audit log.
async fn refuse_audit_of(app: &TestApp, action: &str) {
    let db = sea_orm::Database::connect(&app.settings.database_url)
        .await
        .expect("db");
    let statements = if app.settings.database_url.starts_with("sqlite:") {
        vec![format!(
            "CREATE TRIGGER refuse_{name} BEFORE INSERT ON audit_events \
             WHEN NEW.action = '{action}' BEGIN SELECT RAISE(ABORT, 'injected failure'); END",
            name = action.replace('.', "_")
        )]
    } else {
        vec![
            format!(
                "CREATE FUNCTION refuse_{name}() RETURNS trigger AS $$ BEGIN \
                 IF NEW.action = '{action}' THEN RAISE EXCEPTION 'injected failure'; END IF; \
                 RETURN NEW; END $$ LANGUAGE plpgsql",
                name = action.replace('.', "_")
            ),
            format!(
                "CREATE TRIGGER refuse_{name} BEFORE INSERT ON audit_events \
                 FOR EACH ROW EXECUTE FUNCTION refuse_{name}()",
                name = action.replace('.', "_")
            ),
        ]
    };
    for statement in statements {
        db.execute_unprepared(&statement).await.expect("trigger");
    }
}

async fn writer_token(app: &TestApp) -> String {
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

/// The answer of a failure the server did not expect: 500, and nothing of
/// what happened inside.
async fn assert_internal_error(response: reqwest::Response) {
    assert_eq!(response.status(), 500);
    let body = response.text().await.expect("body").to_lowercase();
    for inside in ["injected", "database", "query", "sql", "trigger"] {
        assert!(!body.contains(inside), "{inside} in {body}");
    }
}

#[tokio::test]
async fn a_new_password_that_cannot_be_audited_changes_nothing() {
    let app = spawn_app().await;
    let alice = app.create_user("alice").await;
    let client = app.confidential_client("app1", APP1_HOST).await;
    let browser = app.browser();
    let tokens = login_and_exchange(&app, &browser, &client, "alice").await;
    let token = writer_token(&app).await;
    refuse_audit_of(&app, "user.set_password").await;

    let response = app
        .http()
        .post(app.url(&format!("/admin/api/v1/users/{}/password", alice.id)))
        .bearer_auth(&token)
        .json(&serde_json::json!({ "password": "a completely new passphrase" }))
        .send()
        .await
        .expect("set password");
    assert_internal_error(response).await;

    // The old password, the session and its tokens are all as they were.
    assert!(signed_in(&browser, &client).await, "the session is alive");
    assert_eq!(
        userinfo(&app, &field(&tokens, "access_token"))
            .await
            .status(),
        200
    );
    let again = app.browser();
    let redirect = again
        .authorize_through(&code_params(&client, &pkce_pair().1, "s", "n"), "alice")
        .await;
    assert!(redirect.has_param("code"), "the old password still works");
}

#[tokio::test]
async fn disabling_or_deleting_a_user_that_cannot_be_audited_ends_nothing() {
    let app = spawn_app().await;
    let alice = app.create_user("alice").await;
    let client = app.confidential_client("app1", APP1_HOST).await;
    let browser = app.browser();
    login_and_exchange(&app, &browser, &client, "alice").await;
    let token = writer_token(&app).await;
    refuse_audit_of(&app, "user.disable").await;
    refuse_audit_of(&app, "user.delete").await;

    let disable = app
        .http()
        .patch(app.url(&format!("/admin/api/v1/users/{}", alice.id)))
        .bearer_auth(&token)
        .json(&serde_json::json!({ "disabled": true }))
        .send()
        .await
        .expect("disable");
    assert_internal_error(disable).await;
    let delete = app
        .http()
        .delete(app.url(&format!("/admin/api/v1/users/{}", alice.id)))
        .bearer_auth(&token)
        .send()
        .await
        .expect("delete");
    assert_internal_error(delete).await;

    assert!(signed_in(&browser, &client).await, "her session is alive");
    let stored = app
        .services
        .store
        .user_by_id(&alice.id)
        .await
        .expect("lookup")
        .expect("still there");
    assert!(!stored.disabled);
    let ended = app
        .services
        .store
        .audit_events(&tessera::store::AuditQuery {
            action: Some("session.end".into()),
            limit: 10,
            ..Default::default()
        })
        .await
        .expect("audit");
    assert!(ended.is_empty(), "no half-written ending: {ended:?}");
}

#[tokio::test]
async fn a_client_that_cannot_be_audited_is_not_registered_and_the_console_says_nothing_of_why() {
    let app = spawn_app().await;
    refuse_audit_of(&app, "client.create").await;
    // Through the console: a 500 page, not a 422 with the database's words.
    let browser = app.browser();
    let door = browser
        .get(&app.url("/admin"))
        .await
        .text()
        .await
        .expect("html");
    let csrf = hidden_field(&door, "csrf_token").expect("csrf");
    browser
        .post_form(
            &app.url("/admin/sign-in"),
            &[
                ("username", "admin"),
                ("password", "bootstrap-admin-password"),
                ("csrf_token", &csrf),
            ],
        )
        .await;
    let page = browser
        .get(&app.url("/admin/clients/new"))
        .await
        .text()
        .await
        .expect("html");
    let csrf = hidden_field(&page, "csrf_token").expect("console csrf");
    let response = browser
        .post_form(
            &app.url("/admin/clients"),
            &[
                ("csrf_token", &csrf),
                ("kind", "confidential"),
                ("id", "shop"),
                ("name", "Shop"),
                ("redirect_uris", "https://app1.example.test/callback"),
                ("grant_authorization_code", "yes"),
            ],
        )
        .await;
    assert_internal_error(response).await;
    assert!(
        app.services
            .store
            .client_by_id("shop")
            .await
            .expect("lookup")
            .is_none(),
        "not registered without its audit record"
    );
}
