//! The `tessera` command line against the same database as a running
//! server: what it provisions works at once through the protocol.

use std::io::Write;
use std::process::{Command, Output, Stdio};

use crate::helpers::*;

/// Run `tessera --json <args>` against `app`'s database, with `stdin`.
fn tessera(app: &TestApp, args: &[&str], stdin: Option<&str>) -> Output {
    let dir = tempfile_dir();
    let mut command = Command::new(env!("CARGO_BIN_EXE_tessera"));
    command
        .args(args)
        .current_dir(&dir)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("TESSERA_ISSUER", &app.issuer)
        .env("TESSERA_DATABASE_URL", &app.settings.database_url)
        .env(
            "TESSERA_PEPPER",
            app.settings.pepper.as_ref().expect("pepper").expose(),
        )
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if let Some(redis) = &app.settings.redis_url {
        command
            .env("TESSERA_REDIS_URL", redis)
            .env("TESSERA_REDIS_PREFIX", &app.settings.redis_prefix);
    }
    let mut child = command.spawn().expect("run tessera");
    if let Some(input) = stdin {
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(input.as_bytes())
            .expect("write stdin");
    }
    drop(child.stdin.take());
    let output = child.wait_with_output().expect("tessera finishes");
    let _ = std::fs::remove_dir_all(dir);
    output
}

fn tempfile_dir() -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("tessera-cli-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

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
    json_of(&tessera(
        &app,
        &["--json", "client", "delete", "app1"],
        None,
    ));
    let refresh = token_request(
        &app,
        &client,
        &[
            ("grant_type", "refresh_token"),
            (
                "refresh_token",
                tokens["refresh_token"].as_str().expect("rt"),
            ),
        ],
    )
    .await;
    assert_eq!(refresh.status(), 401);
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
