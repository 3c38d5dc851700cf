//! The `tessera` command line against the same database as a running
//! server: what it provisions works at once through the protocol.

use std::process::{Command, Output};

use crate::helpers::*;

fn json_of(output: &Output) -> serde_json::Value {
    assert!(
        output.status.success(),
        "tessera failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("JSON on stdout")
}

#[tokio::test]
async fn users_and_clients_provisioned_by_the_cli_can_sign_in_at_once() {
    let app = spawn_app().await;
    let user = json_of(&tessera(
        &app,
        &[
            "--json",
            "user",
            "create",
            "--username",
            "carol",
            "--email",
            "carol@example.com",
            "--password-stdin",
        ],
        Some(&format!("{PASSWORD}\n")),
    ));
    assert_eq!(user["username"], "carol");
    assert!(
        user["password"].is_null(),
        "a password from stdin is not printed"
    );

    let redirect_uri = format!("https://{APP1_HOST}/callback");
    let created = json_of(&tessera(
        &app,
        &[
            "--json",
            "client",
            "create",
            "--name",
            "Shop",
            "--id",
            "shop",
            "--redirect-uri",
            &redirect_uri,
            "--first-party",
        ],
        None,
    ));
    let secret = created["client_secret"]
        .as_str()
        .expect("the secret is printed once")
        .to_string();
    assert!(secret.len() >= 43, "at least 256 bits");
    assert_eq!(created["token_endpoint_auth_method"], "client_secret_basic");

    let listed = json_of(&tessera(&app, &["--json", "client", "list"], None));
    let listed = listed.as_array().expect("array");
    assert_eq!(listed.len(), 1);
    assert!(
        listed[0]["client_secret"].is_null(),
        "the secret is never shown again"
    );
    assert!(
        !String::from_utf8_lossy(&tessera(&app, &["client", "list"], None).stdout)
            .contains(&secret)
    );

    let client = TestClient {
        id: "shop".into(),
        secret: Some(secret),
        redirect_uri,
    };
    let tokens = login_and_exchange(&app, &app.browser(), &client, "carol").await;
    assert!(tokens["id_token"].is_string());

    let users = json_of(&tessera(&app, &["--json", "user", "list"], None));
    assert!(
        users
            .as_array()
            .expect("array")
            .iter()
            .any(|u| u["username"] == "carol")
    );
    // Both are in the audit log, by the command line.
    let audit = json_of(&tessera(&app, &["--json", "audit", "--actor", "cli"], None));
    let records: Vec<(String, String)> = audit["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|r| {
            (
                field(r, "action"),
                r["target"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect();
    assert!(
        records.contains(&(
            "user.create".into(),
            format!("user:{}", user["id"].as_str().expect("id"))
        )),
        "{records:?}"
    );
    assert!(
        records.contains(&("client.create".into(), "client:shop".into())),
        "{records:?}"
    );
}

#[tokio::test]
async fn a_generated_password_is_printed_once_and_works() {
    let app = spawn_app().await;
    app.create_user("dave").await;
    let changed = json_of(&tessera(
        &app,
        &["--json", "user", "set-password", "dave"],
        None,
    ));
    let password = changed["password"]
        .as_str()
        .expect("a generated password")
        .to_string();
    let client = app.confidential_client("app1", APP1_HOST).await;
    let browser = app.browser();
    let (_, challenge) = pkce_pair();
    let login = redirect_of(
        &browser
            .authorize(&code_params(&client, &challenge, "s", "n"))
            .await,
        &app.issuer,
    );
    assert_eq!(
        browser
            .submit_login(login.location.as_str(), "dave", PASSWORD)
            .await
            .status(),
        401
    );
    let callback = redirect_of(
        &browser
            .submit_login(login.location.as_str(), "dave", &password)
            .await,
        &app.issuer,
    );
    assert!(callback.has_param("code"));

    let disabled = json_of(&tessera(&app, &["--json", "user", "disable", "dave"], None));
    assert_eq!(disabled["disabled"], true);
}

#[tokio::test]
async fn deleting_a_client_stops_it_at_once() {
    let app = spawn_app().await;
    app.create_user("alice").await;
    let client = app.confidential_client("app1", APP1_HOST).await;
    let tokens = login_and_exchange(&app, &app.browser(), &client, "alice").await;
    let unconfirmed = tessera(
        &app,
        &["--json", "client", "delete", "app1", "--confirm", "app2"],
        None,
    );
    assert!(
        !unconfirmed.status.success(),
        "a wrong confirmation refuses"
    );
    assert_eq!(
        userinfo(&app, tokens["access_token"].as_str().expect("at"))
            .await
            .status(),
        200,
        "and the client lives on"
    );
    json_of(&tessera(
        &app,
        &["--json", "client", "delete", "app1", "--confirm", "app1"],
        None,
    ));
    let access = tokens["access_token"].as_str().expect("at");
    assert_eq!(
        userinfo(&app, access).await.status(),
        401,
        "its access tokens die at once"
    );
    // The server remembers a client for at most a second (of its clock).
    let refresh_token = tokens["refresh_token"].as_str().expect("rt").to_string();
    let refresh = [
        ("grant_type", "refresh_token"),
        ("refresh_token", refresh_token.as_str()),
    ];
    app.clock.advance(1);
    assert_eq!(
        token_request(&app, &client, &refresh).await.status(),
        401,
        "the deleted client is refused"
    );
    let (_, challenge) = pkce_pair();
    let response = app
        .browser()
        .authorize(&code_params(&client, &challenge, "s", "n"))
        .await;
    assert_eq!(
        response.status(),
        400,
        "an unknown client gets the error page"
    );
}

#[tokio::test]
async fn bad_input_and_bad_configuration_fail_with_a_clear_message() {
    let app = spawn_app().await;
    let bad_uri = tessera(
        &app,
        &[
            "client",
            "create",
            "--name",
            "X",
            "--redirect-uri",
            "not a url",
        ],
        None,
    );
    assert!(!bad_uri.status.success());
    assert!(
        String::from_utf8_lossy(&bad_uri.stderr).contains("redirect"),
        "{}",
        String::from_utf8_lossy(&bad_uri.stderr)
    );

    let duplicate = tessera(
        &app,
        &["user", "create", "--username", "admin", "--password-stdin"],
        Some("x-long-password\n"),
    );
    assert!(
        !duplicate.status.success(),
        "the bootstrap admin already exists"
    );

    let mut command = Command::new(env!("CARGO_BIN_EXE_tessera"));
    let dir = tempfile_dir();
    let output = command
        .arg("migrate")
        .current_dir(&dir)
        .env("TESSERA_ISSUER", &app.issuer)
        .env("TESSERA_DATABASE_URL", &app.settings.database_url)
        .env("TESSERA_ACCESS_TOKEN_LIFETIME", "ten minutes")
        .output()
        .expect("run");
    let _ = std::fs::remove_dir_all(dir);
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("access_token_lifetime"),
        "the message names the setting: {stderr}"
    );
    assert!(
        stderr.contains("TESSERA_ACCESS_TOKEN_LIFETIME"),
        "and its variable: {stderr}"
    );

    let migrated = json_of(&tessera(&app, &["--json", "migrate"], None));
    assert_eq!(migrated["migrated"], true);
}

#[tokio::test]
async fn what_the_command_line_changes_the_server_answers_with_next() {
    let app = spawn_app().await;
    app.create_user("alice").await;
    let client = app.confidential_client("app1", APP1_HOST).await;
    let tokens = login_and_exchange(&app, &app.browser(), &client, "alice").await;
    let access = tokens["access_token"].as_str().expect("at").to_string();
    let name_at_userinfo = || async {
        let response = userinfo(&app, &access).await;
        assert_eq!(response.status(), 200);
        let claims: serde_json::Value = response.json().await.expect("claims");
        claims["name"].as_str().map(str::to_string)
    };
    // Asked twice, so that the second answer may come from what the server
    // remembers; its clock stands still from here on.
    for _ in 0..2 {
        assert_ne!(name_at_userinfo().await.as_deref(), Some("Alice Liddell"));
        assert_eq!(
            introspect(&app, &client, &access, None).await["active"],
            true
        );
    }

    json_of(&tessera(
        &app,
        &[
            "--json",
            "user",
            "update",
            "alice",
            "--name",
            "Alice Liddell",
        ],
        None,
    ));
    // Without Redis the next request sees it; with Redis the replica hears
    // of it on the change channel.
    if app.settings.redis_url.is_none() {
        assert_eq!(name_at_userinfo().await.as_deref(), Some("Alice Liddell"));
    } else {
        within_a_second("the new name at /userinfo", || async {
            name_at_userinfo().await.as_deref() == Some("Alice Liddell")
        })
        .await;
    }

    json_of(&tessera(
        &app,
        &["--json", "user", "disable", "alice"],
        None,
    ));
    assert_eq!(userinfo(&app, &access).await.status(), 401);
    assert_eq!(
        introspect(&app, &client, &access, None).await["active"],
        false
    );
}

#[tokio::test]
async fn sessions_are_listed_and_ended_from_the_command_line() {
    let app = spawn_app().await;
    app.create_user("alice").await;
    app.create_user("bob").await;
    let rp = TestRp::start().await;
    let client = app
        .create_client(backchannel_client("app1", APP1_HOST, &rp.uri()))
        .await;
    let (laptop, phone, bobs) = (app.browser(), app.browser(), app.browser());
    login_and_exchange(&app, &laptop, &client, "alice").await;
    login_and_exchange(&app, &phone, &client, "alice").await;
    login_and_exchange(&app, &bobs, &client, "bob").await;

    let all = json_of(&tessera(&app, &["--json", "session", "list"], None));
    assert_eq!(all.as_array().expect("array").len(), 3);
    let alices = json_of(&tessera(
        &app,
        &["--json", "session", "list", "--user", "alice"],
        None,
    ));
    let alices = alices.as_array().expect("array");
    assert_eq!(alices.len(), 2);
    for session in alices {
        assert_eq!(session["username"], "alice");
        assert_eq!(session["clients"], serde_json::json!(["app1"]));
        assert_eq!(session["ip"], "127.0.0.1");
        assert!(session["last_seen_at"].is_i64() && session["expires_at"].is_i64());
    }

    let sid = alices[0]["sid"].as_str().expect("sid");
    let ended = json_of(&tessera(&app, &["--json", "session", "end", sid], None));
    assert_eq!(ended["sessions_ended"], serde_json::json!([sid]));
    assert_eq!(ended["families_revoked"], 1);
    assert_eq!(ended["notices_queued"], 1);
    let still = [
        signed_in(&laptop, &client).await,
        signed_in(&phone, &client).await,
    ];
    assert_eq!(
        still.iter().filter(|s| **s).count(),
        1,
        "that one session ended"
    );

    let logout = json_of(&tessera(&app, &["--json", "user", "logout", "alice"], None));
    assert_eq!(logout["sessions_ended"].as_array().expect("array").len(), 1);
    assert!(!signed_in(&laptop, &client).await && !signed_in(&phone, &client).await);

    let changed = json_of(&tessera(
        &app,
        &["--json", "user", "set-password", "bob", "--password-stdin"],
        Some("another long passphrase\n"),
    ));
    assert_eq!(
        changed["ended"]["sessions_ended"]
            .as_array()
            .expect("array")
            .len(),
        1
    );
    assert!(
        !signed_in(&bobs, &client).await,
        "a new password signs bob out"
    );

    // The server's outbox worker tells the application about all three, once
    // its clock has caught up with the command line's (a real one).
    app.clock
        .set(tessera::clock::Clock::now(&tessera::clock::SystemClock) + 1);
    rp.wait_for(3).await;

    let unknown = tessera(&app, &["session", "end", "no-such-session"], None);
    assert!(!unknown.status.success());
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("not found"));
}

#[tokio::test]
async fn clients_register_logout_and_token_settings_and_show_their_deliveries() {
    let app = spawn_app().await;
    let closed = ClosedPort::new();
    let rp_uri = TestRp::uri_on(closed.port);
    let created = json_of(&tessera(
        &app,
        &[
            "--json",
            "client",
            "create",
            "--name",
            "Shop",
            "--id",
            "shop",
            "--redirect-uri",
            "https://shop.example.test/cb",
            "--post-logout-redirect-uri",
            "https://shop.example.test/bye",
            "--post-logout-redirect-uri",
            "https://shop.example.test/bye2",
            "--backchannel-logout-uri",
            &rp_uri,
            "--backchannel-logout-session-required",
            "--grant",
            "authorization_code",
            "--grant",
            "client_credentials",
            "--scope",
            "openid",
            "--scope",
            "api:read",
            "--access-token-alg",
            "ES256",
        ],
        None,
    ));
    assert_eq!(
        created["post_logout_redirect_uris"],
        serde_json::json!([
            "https://shop.example.test/bye",
            "https://shop.example.test/bye2"
        ])
    );
    assert_eq!(created["backchannel_logout_uri"], rp_uri);
    assert_eq!(created["backchannel_logout_session_required"], true);
    assert_eq!(created["access_token_signed_response_alg"], "ES256");
    assert_eq!(created["scope"], "api:read openid");
    assert_eq!(
        created["grant_types"],
        serde_json::json!(["authorization_code", "client_credentials"])
    );

    let updated = json_of(&tessera(
        &app,
        &[
            "--json",
            "client",
            "update",
            "shop",
            "--post-logout-redirect-uri",
            "https://shop.example.test/after",
            "--access-token-alg",
            "EdDSA",
            "--name",
            "Shop 2",
        ],
        None,
    ));
    assert_eq!(updated["name"], "Shop 2");
    assert_eq!(
        updated["post_logout_redirect_uris"],
        serde_json::json!(["https://shop.example.test/after"])
    );
    assert_eq!(updated["access_token_signed_response_alg"], "EdDSA");
    assert_eq!(updated["backchannel_logout_uri"], rp_uri, "untouched");

    let shown = json_of(&tessera(&app, &["--json", "client", "show", "shop"], None));
    assert_eq!(shown["backchannel_delivery"]["pending"], 0);
    assert!(shown["backchannel_delivery"]["last_outcome"].is_null());
    assert!(shown.get("client_secret").is_none());

    let removed = json_of(&tessera(
        &app,
        &[
            "--json",
            "client",
            "update",
            "shop",
            "--backchannel-logout-uri",
            "",
        ],
        None,
    ));
    assert!(removed["backchannel_logout_uri"].is_null());

    let invalid = tessera(
        &app,
        &["client", "update", "shop", "--grant", "refresh_token"],
        None,
    );
    assert!(
        !invalid.status.success(),
        "refresh_token needs authorization_code"
    );
    let missing = tessera(&app, &["client", "show", "nope"], None);
    assert!(!missing.status.success());
}

#[tokio::test]
async fn signing_keys_are_listed_and_rotated_from_the_command_line() {
    let app = spawn_app().await;
    let listed = json_of(&tessera(&app, &["--json", "key", "list"], None));
    let listed = listed.as_array().expect("array");
    assert_eq!(listed.len(), 3);
    assert!(listed.iter().all(|k| k["state"] == "active"));

    let rotated = json_of(&tessera(&app, &["--json", "key", "rotate"], None));
    let rotated = rotated.as_array().expect("array");
    assert_eq!(rotated.len(), 3);
    assert!(
        rotated.iter().all(|k| k["state"] == "next"),
        "published, not signing yet"
    );

    let listed = json_of(&tessera(&app, &["--json", "key", "list"], None));
    let states: Vec<&str> = listed
        .as_array()
        .expect("array")
        .iter()
        .map(|k| k["state"].as_str().expect("state"))
        .collect();
    assert_eq!(states.iter().filter(|s| **s == "next").count(), 3);
    assert_eq!(states.iter().filter(|s| **s == "active").count(), 3);
    // The running server picks the new keys up and publishes them.
    app.state.provider.reload_keys().await.expect("reload");
    let jwks: serde_json::Value = app
        .http()
        .get(app.url("/jwks"))
        .send()
        .await
        .expect("jwks")
        .json()
        .await
        .expect("json");
    assert_eq!(jwks["keys"].as_array().expect("keys").len(), 6);

    // A key that leaked: revoked with a typed confirmation.
    let leaked = listed
        .as_array()
        .expect("array")
        .iter()
        .find(|k| k["state"] == "active" && k["alg"] == "ES256")
        .and_then(|k| k["kid"].as_str())
        .expect("the active ES256 key")
        .to_string();
    let unconfirmed = tessera(&app, &["key", "revoke", &leaked, "--confirm", "nope"], None);
    assert!(!unconfirmed.status.success());
    let revoked = json_of(&tessera(
        &app,
        &["--json", "key", "revoke", &leaked, "--confirm", &leaked],
        None,
    ));
    assert_eq!(revoked["revoked"], leaked.as_str());
    assert!(revoked["successor"].is_string(), "a waiting key takes over");
    let listed = json_of(&tessera(&app, &["--json", "key", "list"], None));
    let state_of = |kid: &str| {
        listed
            .as_array()
            .expect("array")
            .iter()
            .find(|k| k["kid"] == kid)
            .map(|k| k["state"].as_str().expect("state").to_string())
    };
    assert_eq!(state_of(&leaked).as_deref(), Some("revoked"));
    assert_eq!(
        state_of(revoked["successor"].as_str().expect("successor")).as_deref(),
        Some("active")
    );
}

#[tokio::test]
async fn every_console_operation_has_a_command() {
    let app = spawn_app_with(|s| s.login_max_failures_per_account = 1).await;
    app.create_user("alice").await;
    app.create_user("bob").await;
    let client = app.confidential_client("app1", APP1_HOST).await;
    let (alices, bobs) = (app.browser(), app.browser());
    let tokens = login_and_exchange(&app, &alices, &client, "alice").await;
    login_and_exchange(&app, &bobs, &client, "bob").await;

    let updated = json_of(&tessera(
        &app,
        &[
            "--json",
            "user",
            "update",
            "alice",
            "--email",
            "Alice.New@Example.com",
            "--email-verified",
            "false",
            "--name",
            "Alice New",
        ],
        None,
    ));
    assert_eq!(updated["email"], "Alice.New@Example.com");
    assert_eq!(updated["email_verified"], false);
    let admin = json_of(&tessera(
        &app,
        &["--json", "user", "grant-admin", "alice"],
        None,
    ));
    assert_eq!(admin["admin"], true);
    let shown = json_of(&tessera(&app, &["--json", "user", "show", "alice"], None));
    assert_eq!(shown["name"], "Alice New");
    assert_eq!(shown["admin"], true);
    assert_eq!(shown["sessions"].as_array().map(Vec::len), Some(1));
    assert_eq!(shown["sessions"][0]["clients"], serde_json::json!(["app1"]));
    let demoted = json_of(&tessera(
        &app,
        &["--json", "user", "revoke-admin", "alice"],
        None,
    ));
    assert_eq!(demoted["admin"], false);

    // A new secret replaces the old one.
    let rotated = json_of(&tessera(
        &app,
        &["--json", "client", "rotate-secret", "app1"],
        None,
    ));
    let new_secret = field(&rotated, "client_secret");
    assert_ne!(Some(new_secret.as_str()), client.secret.as_deref());
    // Client authentication at /introspect: the old secret stops working
    // (a server remembers a client for up to a second), the new one works.
    let introspect_with = |secret: String| {
        let app = &app;
        let (id, token) = (client.id.clone(), field(&tokens, "access_token"));
        async move {
            app.http()
                .post(app.url("/introspect"))
                .basic_auth(id, Some(secret))
                .form(&[("token", token)])
                .send()
                .await
                .expect("introspect")
                .status()
                .as_u16()
        }
    };
    app.clock.advance(1);
    assert_eq!(
        introspect_with(client.secret.clone().expect("secret")).await,
        401,
        "the old secret is refused within a second"
    );
    assert_eq!(introspect_with(new_secret).await, 200);

    // Unlock: the counters it resets are the server's only when shared.
    let browser = app.browser();
    let login = redirect_of(
        &browser
            .authorize(&code_params(&client, &pkce_pair().1, "s", "n"))
            .await,
        &app.issuer,
    )
    .location
    .to_string();
    assert_eq!(
        browser.submit_login(&login, "bob", "wrong").await.status(),
        401
    );
    assert_eq!(
        browser.submit_login(&login, "bob", PASSWORD).await.status(),
        429
    );
    let unlock = tessera(&app, &["--json", "user", "unlock", "bob"], None);
    if app.settings.redis_url.is_some() {
        json_of(&unlock);
        let signed_in = browser.submit_login(&login, "bob", PASSWORD).await;
        assert_eq!(signed_in.status(), 303, "unlocked");
    } else {
        assert!(!unlock.status.success());
        let stderr = String::from_utf8_lossy(&unlock.stderr);
        assert!(
            stderr.contains("redis_url") && stderr.contains("console"),
            "{stderr}"
        );
        assert_eq!(
            browser.submit_login(&login, "bob", PASSWORD).await.status(),
            429
        );
    }

    let overview = json_of(&tessera(&app, &["--json", "overview"], None));
    assert_eq!(overview["users"], 3, "admin, alice and bob");
    assert_eq!(overview["clients"], 1);
    let throttled = if app.settings.redis_url.is_some() {
        1
    } else {
        2
    };
    assert_eq!(overview["sign_ins_24h"]["throttled"], throttled);

    let refused = tessera(&app, &["session", "end-all", "--confirm", "yes"], None);
    assert!(!refused.status.success());
    assert!(signed_in(&alices, &client).await, "nothing ended");
    let ended = json_of(&tessera(
        &app,
        &[
            "--json",
            "session",
            "end-all",
            "--confirm",
            "end all sessions",
        ],
        None,
    ));
    assert!(ended["sessions_ended"].as_array().map(Vec::len) >= Some(2));
    assert!(!signed_in(&alices, &client).await && !signed_in(&bobs, &client).await);

    let wrong = tessera(&app, &["user", "delete", "alice", "--confirm", "bob"], None);
    assert!(!wrong.status.success());
    let deleted = json_of(&tessera(
        &app,
        &["--json", "user", "delete", "alice", "--confirm", "alice"],
        None,
    ));
    assert_eq!(deleted["deleted"], "alice");
    assert!(
        !tessera(&app, &["user", "show", "alice"], None)
            .status
            .success()
    );

    let audit = json_of(&tessera(
        &app,
        &["--json", "audit", "--actor", "cli", "--limit", "200"],
        None,
    ));
    let actions: std::collections::BTreeSet<_> = audit["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|r| r["action"].as_str().unwrap_or_default().to_string())
        .collect();
    for action in [
        "user.update",
        "user.grant_admin",
        "user.revoke_admin",
        "client.rotate_secret",
        "user.delete",
    ] {
        assert!(actions.contains(action), "{action} in {actions:?}");
    }
}

/// A command run where there is no database: refused with the path it
/// looked at, and nothing left behind (no empty database, no pepper).
#[tokio::test]
async fn a_command_refuses_a_database_that_does_not_exist_and_creates_nothing() {
    let dir = tempfile_dir();
    let run = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_tessera"))
            .args(args)
            .current_dir(&dir)
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("TESSERA_ISSUER", "http://localhost:8080")
            .output()
            .expect("run")
    };
    for args in [
        &["key", "list"][..],
        &["user", "list"],
        &[
            "client",
            "create",
            "--name",
            "Shop",
            "--redirect-uri",
            "http://localhost/cb",
        ],
        &["api", "list"],
    ] {
        let output = run(args);
        assert!(!output.status.success(), "{args:?}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            stderr.contains("no Tessera database at")
                && stderr.contains(&dir.join("data").display().to_string()),
            "{args:?}: {stderr}"
        );
        assert!(
            std::fs::read_dir(&dir).expect("dir").next().is_none(),
            "{args:?} left something behind"
        );
    }
    // `migrate` creates it; then the commands work.
    assert!(run(&["migrate"]).status.success());
    let listed = run(&["--json", "key", "list"]);
    assert!(
        listed.status.success(),
        "{}",
        String::from_utf8_lossy(&listed.stderr)
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn a_command_refuses_an_empty_postgresql_database_on_postgres_and_redis() {
    let (database, url) = crate::harness::TestDatabase::postgres().await;
    let output = Command::new(env!("CARGO_BIN_EXE_tessera"))
        .args(["user", "list"])
        .current_dir(tempfile_dir())
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("TESSERA_ISSUER", "http://localhost:8080")
        .env("TESSERA_DATABASE_URL", &url)
        .env(
            "TESSERA_PEPPER",
            "a-pepper-of-at-least-thirty-two-characters-long",
        )
        .output()
        .expect("run");
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("no Tessera database at postgres"),
        "{stderr}"
    );
    drop(database);
}

/// The audit log says what changed and on what: a client update records
/// each field before and after; a key rotation names the new keys; a
/// revocation names whose token it was.
#[tokio::test]
async fn audit_records_say_what_changed_and_on_what() {
    let app = spawn_app().await;
    app.create_user("alice").await;
    let client = app.confidential_client("shop", APP1_HOST).await;
    let tokens = login_and_exchange(&app, &app.browser(), &client, "alice").await;
    let run = |args: &[&str]| json_of(&tessera(&app, args, None));
    run(&[
        "--json",
        "client",
        "update",
        "shop",
        "--name",
        "The Shop",
        "--first-party",
        "false",
    ]);
    let update = &run(&["--json", "audit", "--action", "client.update"])["items"][0];
    assert_eq!(update["target"], "client:shop");
    assert_eq!(
        update["details"]["name"],
        serde_json::json!({ "from": "shop app", "to": "The Shop" })
    );
    assert_eq!(
        update["details"]["first_party"],
        serde_json::json!({ "from": true, "to": false })
    );
    assert!(update["details"].get("redirect_uris").is_none(), "{update}");

    let rotated = run(&["--json", "key", "rotate"]);
    let rotation = &run(&["--json", "audit", "--action", "key.rotate"])["items"][0];
    let target = rotation["target"].as_str().expect("a target");
    assert!(target.starts_with("key:"), "{target}");
    for key in rotated.as_array().into_iter().flatten() {
        if let Some(kid) = key["kid"].as_str() {
            assert!(target.contains(kid), "{target} names {kid}");
        }
    }

    let sub = claims_of(&app, &field(&tokens, "access_token")).await["sub"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(
        revoke(&app, &client, &field(&tokens, "refresh_token"), None)
            .await
            .status(),
        200
    );
    let revocation = &run(&["--json", "audit", "--action", "token.revoke"])["items"][0];
    assert_eq!(revocation["target"], format!("user:{sub}"));
}

/// A client's authentication method can change: between the two secret
/// methods the secret stays; public to confidential prints a new secret;
/// a change of kind ends the tokens the client held.
#[tokio::test]
async fn a_clients_authentication_method_and_kind_can_change() {
    let app = spawn_app().await;
    app.create_user("alice").await;
    let client = app.confidential_client("shop", APP1_HOST).await;
    let tokens = login_and_exchange(&app, &app.browser(), &client, "alice").await;
    let refresh = field(&tokens, "refresh_token");
    // The server remembers a client for a second: let it see each change.
    let run = |args: &[&str]| {
        let out = json_of(&tessera(&app, args, None));
        app.clock.advance(2);
        out
    };

    let post = run(&[
        "--json",
        "client",
        "update",
        "shop",
        "--auth-method",
        "client_secret_post",
    ]);
    assert_eq!(post["token_endpoint_auth_method"], "client_secret_post");
    assert!(post.get("client_secret").is_none(), "the secret stays");
    let form = |extra: &[(&'static str, String)]| {
        let mut form: Vec<(&str, String)> = vec![
            ("grant_type", "refresh_token".into()),
            ("client_id", "shop".into()),
        ];
        form.extend_from_slice(extra);
        form
    };
    let with_post = app
        .http()
        .post(app.url("/token"))
        .form(&form(&[
            ("refresh_token", refresh.clone()),
            ("client_secret", client.secret.clone().unwrap()),
        ]))
        .send()
        .await
        .unwrap();
    assert_eq!(with_post.status(), 200, "the same secret, in the body now");
    let refresh: String = field(&with_post.json().await.unwrap(), "refresh_token");

    // Public: no secret, and the tokens it held end.
    let public = run(&[
        "--json",
        "client",
        "update",
        "shop",
        "--auth-method",
        "none",
    ]);
    assert_eq!(public["public"], true);
    let after = app
        .http()
        .post(app.url("/token"))
        .form(&form(&[("refresh_token", refresh)]))
        .send()
        .await
        .unwrap();
    assert_eq!(after.status(), 400, "its refresh tokens were revoked");
    let audit = run(&["--json", "audit", "--action", "client.update"]);
    assert_eq!(
        audit["items"][0]["details"]["auth_method"],
        serde_json::json!({ "from": "client_secret_post", "to": "none" })
    );

    // Confidential again: a new secret, shown once, that works.
    let confidential = run(&[
        "--json",
        "client",
        "update",
        "shop",
        "--auth-method",
        "client_secret_basic",
    ]);
    let secret = field(&confidential, "client_secret");
    assert_ne!(Some(secret.clone()), client.secret);
    let renewed = TestClient {
        secret: Some(secret),
        ..client.clone()
    };
    let tokens = login_and_exchange(&app, &app.browser(), &renewed, "alice").await;
    assert!(tokens["access_token"].is_string());
    assert_eq!(
        refresh_status(&app, &client, &field(&tokens, "refresh_token")).await,
        401,
        "the secret from before is not this client's"
    );
}

/// `client show` says, for people, everything a registration holds.
#[tokio::test]
async fn client_show_tells_a_person_the_whole_registration() {
    let app = spawn_app().await;
    app.confidential_client("shop", APP1_HOST).await;
    let output = tessera(&app, &["client", "show", "shop"], None);
    assert!(output.status.success());
    let text = String::from_utf8_lossy(&output.stdout);
    for expected in [
        "shop app (shop)",
        "kind: confidential, authenticates with client_secret_basic",
        "grants: authorization_code refresh_token",
        "scopes: email offline_access openid profile",
        &format!("redirect URIs: https://{APP1_HOST}/callback"),
        "post-logout redirect URIs: none",
        "ID tokens: RS256, access tokens: RS256, first-party (no consent page)",
        "APIs: none",
        "registered 20",
    ] {
        assert!(text.contains(expected), "{expected:?} in:\n{text}");
    }
}

/// `tessera audit` for people: dates, and users by name where the log
/// records `user:ID`; `--json` keeps the recorded parties.
#[tokio::test]
async fn the_audit_log_on_the_command_line_names_users() {
    let app = spawn_app().await;
    let user = app.create_user("dana").await;
    let client = app.confidential_client("app1", APP1_HOST).await;
    login_and_exchange(&app, &app.browser(), &client, "dana").await;
    let output = tessera(
        &app,
        &["audit", "--action", "sign_in", "--since", "1h"],
        None,
    );
    assert!(output.status.success());
    let text = String::from_utf8_lossy(&output.stdout);
    let line = text
        .lines()
        .find(|l| l.contains("sign_in") && l.contains("success"))
        .unwrap_or_else(|| panic!("a sign-in line: {text}"));
    assert!(line.contains("  dana  "), "{line}");
    assert!(!line.contains("user:"), "{line}");
    let json = json_of(&tessera(
        &app,
        &["--json", "audit", "--action", "sign_in"],
        None,
    ));
    assert_eq!(json["items"][0]["target"], format!("user:{}", user.id));
}
