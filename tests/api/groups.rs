//! Groups: the `groups` scope and claim, and managing groups and gated
//! applications from the command line.

use std::process::Output;

use tessera::admin::clients::NewClient;
use tessera::admin::groups::{add_member, create_group, remove_member};
use tessera::admin::users::UserRef;
use tessera::domain::Actor;

use crate::gateway::*;
use crate::helpers::*;

fn json_of(output: &Output) -> serde_json::Value {
    assert!(
        output.status.success(),
        "tessera failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("JSON on stdout")
}

fn failure_of(output: &Output) -> String {
    assert!(!output.status.success(), "tessera should have refused");
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[tokio::test]
async fn the_groups_scope_names_the_users_groups_in_tokens_and_userinfo_as_they_are_now() {
    let app = spawn_app().await;
    app.create_user("alice").await;
    let store = app.state.provider.store();
    for group in ["ops", "dev"] {
        create_group(store, group, &Actor::Cli, app.now())
            .await
            .unwrap();
        add_member(
            store,
            UserRef::Username("alice"),
            group,
            &Actor::Cli,
            app.now(),
        )
        .await
        .unwrap();
    }
    let client = app
        .create_client(NewClient {
            scopes: ["openid", "profile", "offline_access", "groups"]
                .map(String::from)
                .to_vec(),
            ..client_spec("app1", APP1_HOST)
        })
        .await;
    let tokens = login_and_exchange_scope(
        &app,
        &app.browser(),
        &client,
        "alice",
        "openid groups offline_access",
    )
    .await;
    let both = serde_json::json!(["dev", "ops"]);
    assert_eq!(
        claims_of(&app, &field(&tokens, "id_token")).await["groups"],
        both
    );
    let access = field(&tokens, "access_token");
    assert_eq!(claims_of(&app, &access).await["groups"], both);
    let info: serde_json::Value = userinfo(&app, &access).await.json().await.unwrap();
    assert_eq!(info["groups"], both);

    // A change: userinfo says so at once, the next tokens too.
    remove_member(
        store,
        UserRef::Username("alice"),
        "dev",
        &Actor::Cli,
        app.now(),
    )
    .await
    .unwrap();
    let info: serde_json::Value = userinfo(&app, &access).await.json().await.unwrap();
    assert_eq!(info["groups"], serde_json::json!(["ops"]));
    let refreshed: serde_json::Value = token_request(
        &app,
        &client,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", &field(&tokens, "refresh_token")),
        ],
    )
    .await
    .json()
    .await
    .unwrap();
    for token in ["id_token", "access_token"] {
        assert_eq!(
            claims_of(&app, &field(&refreshed, token)).await["groups"],
            serde_json::json!(["ops"]),
            "{token}"
        );
    }

    // Without the scope, no claim.
    let plain = login_and_exchange_scope(&app, &app.browser(), &client, "alice", "openid").await;
    assert!(
        claims_of(&app, &field(&plain, "id_token"))
            .await
            .get("groups")
            .is_none()
    );
    assert!(
        claims_of(&app, &field(&plain, "access_token"))
            .await
            .get("groups")
            .is_none()
    );
}

#[tokio::test]
async fn a_client_not_allowed_the_groups_scope_does_not_get_it() {
    let app = spawn_app().await;
    app.create_user("alice").await;
    let client = app.confidential_client("app1", APP1_HOST).await;
    let (_, challenge) = pkce_pair();
    let mut params = code_params(&client, &challenge, "s", "n");
    params.retain(|(k, _)| *k != "scope");
    params.push(("scope", "openid groups"));
    let redirect = redirect_of(&app.browser().authorize(&params).await, "http://x");
    assert_eq!(redirect.param("error").as_deref(), Some("invalid_scope"));
    let discovery: serde_json::Value = app
        .http()
        .get(app.url("/.well-known/openid-configuration"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(
        discovery["claims_supported"]
            .as_array()
            .unwrap()
            .contains(&serde_json::json!("groups"))
    );
}

#[tokio::test]
async fn groups_and_applications_are_managed_from_the_command_line_and_audited() {
    let app = spawn_app().await;
    app.create_user("alice").await;
    app.create_user("bob").await;

    let group = json_of(&tessera(&app, &["--json", "group", "create", "Ops"], None));
    assert_eq!(group["name"], "ops", "names are folded to lower case");
    let refused = failure_of(&tessera(&app, &["group", "create", "a,b"], None));
    assert!(refused.contains("invalid group name"), "{refused}");
    json_of(&tessera(
        &app,
        &["--json", "group", "add", "alice", "ops"],
        None,
    ));
    let again = json_of(&tessera(
        &app,
        &["--json", "group", "add", "alice", "ops"],
        None,
    ));
    assert_eq!(again["changed"], false);
    let missing = failure_of(&tessera(&app, &["group", "add", "nobody", "ops"], None));
    assert!(missing.contains("not found"), "{missing}");
    let shown = json_of(&tessera(&app, &["--json", "group", "show", "ops"], None));
    assert_eq!(shown["users"], serde_json::json!(["alice"]));
    let list = json_of(&tessera(&app, &["--json", "group", "list"], None));
    assert_eq!(list[0]["members"], 1);

    // Applications: hosts under cookie_domain only, with a clear reason.
    let outside = failure_of(&tessera(
        &app,
        &[
            "app",
            "create",
            "--name",
            "Wiki",
            "--host",
            "wiki.other.test",
        ],
        None,
    ));
    assert!(
        outside.contains("not under the gateway cookie's domain example.test"),
        "{outside}"
    );
    // The gateway asks about the host before it exists, and remembers.
    let wiki = || async {
        ask(
            &app,
            &app.browser(),
            Proxy::Forwarded,
            Ask {
                host: "wiki.example.test",
                ..Ask::default()
            },
        )
        .await
        .status()
    };
    assert_eq!(wiki().await, 403);
    let created = json_of(&tessera(
        &app,
        &[
            "--json",
            "app",
            "create",
            "--name",
            "Wiki",
            "--host",
            "wiki.example.test",
            "--allow-group",
            "ops",
            "--allow-user",
            "bob",
        ],
        None,
    ));
    assert_eq!(created["audience"], "https://wiki.example.test");
    assert_eq!(created["alg"], "ES256");
    assert_eq!(created["allow_groups"], serde_json::json!(["ops"]));
    assert_eq!(created["allow_users"], serde_json::json!(["bob"]));
    let updated = json_of(&tessera(
        &app,
        &[
            "--json",
            "app",
            "update",
            "wiki.example.test",
            "--audience",
            "urn:wiki",
            "--alg",
            "EdDSA",
            "--no-users",
        ],
        None,
    ));
    assert_eq!(updated["audience"], "urn:wiki");
    assert_eq!(updated["allow_users"], serde_json::json!([]));
    assert_eq!(updated["allow_groups"], serde_json::json!(["ops"]), "kept");
    let shown = json_of(&tessera(
        &app,
        &["--json", "app", "show", "wiki.example.test"],
        None,
    ));
    assert_eq!(shown["alg"], "EdDSA");
    let list = json_of(&tessera(&app, &["--json", "app", "list"], None));
    assert_eq!(list.as_array().unwrap().len(), 1);

    // The gateway's next decision sees it: without Redis, the command line
    // tells the server through the file beside the database; with Redis,
    // through the change channel.
    if app.settings.redis_url.is_none() {
        assert_eq!(wiki().await, 302);
    } else {
        within_a_second("the new application at the gateway", || async {
            wiki().await == 302
        })
        .await;
    }
    let browser = app.browser();
    let response = ask(
        &app,
        &browser,
        Proxy::Forwarded,
        Ask {
            host: "wiki.example.test",
            ..Ask::default()
        },
    )
    .await;
    assert_eq!(response.status(), 302);
    let login = header(&response, "Location").unwrap();
    browser.submit_login(&login, "alice", PASSWORD).await;
    let allowed = ask(
        &app,
        &browser,
        Proxy::Forwarded,
        Ask {
            host: "wiki.example.test",
            ..Ask::default()
        },
    )
    .await;
    let claims = claims_of(&app, &internal_jwt(&allowed)).await;
    assert_eq!(claims["aud"], "urn:wiki");

    let refused = failure_of(&tessera(
        &app,
        &["app", "delete", "wiki.example.test", "--confirm", "wrong"],
        None,
    ));
    assert!(refused.contains("--confirm"), "{refused}");
    json_of(&tessera(
        &app,
        &[
            "--json",
            "app",
            "delete",
            "wiki.example.test",
            "--confirm",
            "wiki.example.test",
        ],
        None,
    ));
    json_of(&tessera(
        &app,
        &["--json", "group", "remove", "alice", "ops"],
        None,
    ));
    json_of(&tessera(
        &app,
        &["--json", "group", "delete", "ops", "--confirm", "ops"],
        None,
    ));

    let audit = json_of(&tessera(
        &app,
        &["--json", "audit", "--actor", "cli", "--limit", "50"],
        None,
    ));
    let actions: Vec<&str> = audit["items"]
        .as_array()
        .expect("audit records")
        .iter()
        .filter_map(|r| r["action"].as_str())
        .collect();
    for action in [
        "group.create",
        "group.add_member",
        "app.create",
        "app.update",
        "app.delete",
        "group.remove_member",
        "group.delete",
    ] {
        assert!(actions.contains(&action), "{action} in {actions:?}");
    }
}

/// An access token for the admin API with `scopes`.
async fn api_token(app: &TestApp, id: &str, scopes: &[&str]) -> String {
    let client = app
        .create_client(NewClient {
            id: Some(id.into()),
            name: format!("{id} automation"),
            grant_types: vec![tessera::domain::GrantType::ClientCredentials],
            scopes: scopes.iter().map(|s| s.to_string()).collect(),
            ..NewClient::default()
        })
        .await;
    let response = token_request(app, &client, &[("grant_type", "client_credentials")]).await;
    assert_eq!(response.status(), 200);
    let body: serde_json::Value = response.json().await.expect("json");
    field(&body, "access_token")
}

#[tokio::test]
async fn groups_and_applications_through_the_admin_api() {
    let app = spawn_app().await;
    let alice = app.create_user("alice").await;
    let writer = api_token(&app, "ops-bot", &["admin:write"]).await;
    let reader = api_token(&app, "auditor", &["admin:read"]).await;
    let http = app.http();
    let api = |path: &str| app.url(&format!("/admin/api/v1{path}"));
    let send = |request: reqwest::RequestBuilder, token: &str| request.bearer_auth(token).send();

    let made = send(
        http.post(api("/groups"))
            .json(&serde_json::json!({"name": "Ops"})),
        &writer,
    )
    .await
    .unwrap();
    assert_eq!(made.status(), 201);
    assert_eq!(
        made.json::<serde_json::Value>().await.unwrap()["name"],
        "ops"
    );
    let twice = send(
        http.post(api("/groups"))
            .json(&serde_json::json!({"name": "ops"})),
        &writer,
    )
    .await
    .unwrap();
    assert_eq!(twice.status(), 409);
    let bad = send(
        http.post(api("/groups"))
            .json(&serde_json::json!({"name": "a b"})),
        &writer,
    )
    .await
    .unwrap();
    assert_eq!(bad.status(), 422);
    let read_only = send(
        http.post(api("/groups"))
            .json(&serde_json::json!({"name": "x"})),
        &reader,
    )
    .await
    .unwrap();
    assert_eq!(read_only.status(), 403);
    send(
        http.post(api("/groups"))
            .json(&serde_json::json!({"name": "dev"})),
        &writer,
    )
    .await
    .unwrap();

    let member = format!("/users/{}/groups/ops", alice.id);
    assert_eq!(
        send(http.put(api(&member)), &writer)
            .await
            .unwrap()
            .status(),
        204
    );
    let groups: serde_json::Value = send(
        http.get(api(&format!("/users/{}/groups", alice.id))),
        &reader,
    )
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    assert_eq!(groups["groups"], serde_json::json!(["ops"]));
    let replaced: serde_json::Value = send(
        http.put(api(&format!("/users/{}/groups", alice.id)))
            .json(&serde_json::json!({"groups": ["dev"]})),
        &writer,
    )
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    assert_eq!(replaced["groups"], serde_json::json!(["dev"]));
    let shown: serde_json::Value = send(http.get(api("/groups/dev")), &reader)
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(shown["members"], 1);
    assert_eq!(shown["users"][0]["username"], "alice");

    // Applications.
    let outside = send(
        http.post(api("/apps"))
            .json(&serde_json::json!({"name": "Wiki", "host": "wiki.elsewhere.test"})),
        &writer,
    )
    .await
    .unwrap();
    assert_eq!(outside.status(), 422);
    let problem: serde_json::Value = outside.json().await.unwrap();
    assert_eq!(problem["errors"][0]["field"], "host", "{problem}");
    let unknown_group = send(
        http.post(api("/apps")).json(
            &serde_json::json!({"name": "Wiki", "host": "wiki.example.test", "allow_groups": ["nope"]}),
        ),
        &writer,
    )
    .await
    .unwrap();
    assert_eq!(unknown_group.status(), 404);
    let created: serde_json::Value = send(
        http.post(api("/apps")).json(&serde_json::json!({
            "name": "Wiki", "host": "wiki.example.test", "allow_groups": ["dev"], "alg": "RS256"
        })),
        &writer,
    )
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    assert_eq!(created["audience"], "https://wiki.example.test");
    assert_eq!(created["alg"], "RS256");
    let id = created["id"].as_str().unwrap().to_string();
    let patched: serde_json::Value = send(
        http.patch(api(&format!("/apps/{id}")))
            .json(&serde_json::json!({"allow_users": ["alice"], "allow_groups": []})),
        &writer,
    )
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    assert_eq!(patched["allow_users"], serde_json::json!(["alice"]));
    assert_eq!(patched["allow_groups"], serde_json::json!([]));
    let by_host = send(http.get(api("/apps/wiki.example.test")), &reader)
        .await
        .unwrap();
    assert_eq!(by_host.status(), 200);
    let list: serde_json::Value = send(http.get(api("/apps")), &reader)
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(list["items"].as_array().unwrap().len(), 1);
    assert_eq!(
        send(http.delete(api(&format!("/apps/{id}"))), &writer)
            .await
            .unwrap()
            .status(),
        204
    );
    assert_eq!(
        send(http.delete(api("/groups/dev")), &writer)
            .await
            .unwrap()
            .status(),
        204
    );
    assert_eq!(
        send(http.get(api("/groups/dev")), &reader)
            .await
            .unwrap()
            .status(),
        404
    );

    // All of it in the OpenAPI document.
    let doc: serde_json::Value = http
        .get(app.url("/admin/api/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    for path in [
        "/admin/api/v1/groups",
        "/admin/api/v1/groups/{name}",
        "/admin/api/v1/users/{id}/groups",
        "/admin/api/v1/users/{id}/groups/{name}",
        "/admin/api/v1/apps",
        "/admin/api/v1/apps/{id}",
    ] {
        assert!(
            doc["paths"].get(path).is_some(),
            "{path} in the OpenAPI document"
        );
    }
}
