//! The admin API: bearer tokens Tessera issued for it (and nothing else),
//! read and write scopes, problem documents, keyset pages, and every
//! operation of the console.

use futures_util::future::join_all;
use tessera::admin::clients::NewClient;
use tessera::domain::GrantType;

use crate::helpers::*;

/// A client allowed `scopes`, and an access token it got for them.
async fn api_token(app: &TestApp, id: &str, scopes: &[&str]) -> String {
    let client = app
        .create_client(NewClient {
            id: Some(id.into()),
            name: format!("{id} automation"),
            grant_types: vec![GrantType::ClientCredentials],
            scopes: scopes.iter().map(|s| s.to_string()).collect(),
            ..NewClient::default()
        })
        .await;
    let response = token_request(app, &client, &[("grant_type", "client_credentials")]).await;
    assert_eq!(response.status(), 200);
    let body: serde_json::Value = response.json().await.expect("json");
    field(&body, "access_token")
}

struct Api<'a> {
    app: &'a TestApp,
    token: String,
}

impl Api<'_> {
    fn url(&self, path: &str) -> String {
        self.app.url(&format!("/admin/api/v1{path}"))
    }

    async fn get(&self, path: &str) -> reqwest::Response {
        self.app
            .http()
            .get(self.url(path))
            .bearer_auth(&self.token)
            .send()
            .await
            .expect("GET")
    }

    async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<serde_json::Value>,
    ) -> reqwest::Response {
        let mut request = self
            .app
            .http()
            .request(method, self.url(path))
            .bearer_auth(&self.token);
        if let Some(body) = body {
            request = request.json(&body);
        }
        request.send().await.expect("request")
    }

    async fn post(&self, path: &str, body: serde_json::Value) -> reqwest::Response {
        self.send(reqwest::Method::POST, path, Some(body)).await
    }

    async fn patch(&self, path: &str, body: serde_json::Value) -> reqwest::Response {
        self.send(reqwest::Method::PATCH, path, Some(body)).await
    }

    async fn delete(&self, path: &str) -> reqwest::Response {
        self.send(reqwest::Method::DELETE, path, None).await
    }
}

async fn writer(app: &TestApp) -> Api<'_> {
    Api {
        app,
        token: api_token(app, "automation", &["admin:write"]).await,
    }
}

async fn json_of(response: reqwest::Response, status: u16) -> serde_json::Value {
    let actual = response.status().as_u16();
    let body: serde_json::Value = response.json().await.unwrap_or(serde_json::Value::Null);
    assert_eq!(actual, status, "{body}");
    body
}

/// The fields a validation problem names, in order.
fn invalid_fields(problem: &serde_json::Value) -> Vec<String> {
    problem["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .map(|e| e["field"].as_str().expect("field").to_string())
        .collect()
}

/// A problem document with `status`.
async fn problem(response: reqwest::Response, status: u16) -> serde_json::Value {
    assert_eq!(response.status().as_u16(), status);
    assert_eq!(
        response.headers()["content-type"],
        "application/problem+json"
    );
    let body: serde_json::Value = response.json().await.expect("problem json");
    assert_eq!(body["status"], status);
    assert!(body["title"].is_string() && body["detail"].is_string());
    body
}

#[tokio::test]
async fn only_tokens_issued_for_the_admin_api_open_it() {
    let app = spawn_app().await;
    app.create_user("alice").await;
    let reader = Api {
        app: &app,
        token: api_token(&app, "reader", &["admin:read"]).await,
    };
    assert_eq!(reader.get("/users").await.status(), 200);

    // No token at all.
    let anonymous = app
        .http()
        .get(app.url("/admin/api/v1/users"))
        .send()
        .await
        .expect("get");
    assert!(
        anonymous.headers()["www-authenticate"]
            .to_str()
            .expect("challenge")
            .starts_with("Bearer")
    );
    problem(anonymous, 401).await;

    // A token of this issuer, but for another audience.
    let other = Api {
        app: &app,
        token: api_token(&app, "service", &["api:read"]).await,
    };
    problem(other.get("/users").await, 401).await;
    // A user's tokens from a sign-in.
    let client = app.confidential_client("app1", APP1_HOST).await;
    let tokens = login_and_exchange(&app, &app.browser(), &client, "alice").await;
    for token in ["access_token", "id_token"] {
        let user = Api {
            app: &app,
            token: field(&tokens, token),
        };
        problem(user.get("/users").await, 401).await;
    }
    // Garbage.
    let garbage = Api {
        app: &app,
        token: "not-a-token".into(),
    };
    problem(garbage.get("/users").await, 401).await;
    // The SSO cookie alone opens nothing.
    let browser = app.browser();
    browser
        .authorize_through(&code_params(&client, &pkce_pair().1, "s", "n"), "alice")
        .await;
    problem(browser.get(&app.url("/admin/api/v1/users")).await, 401).await;

    // A read-only token cannot write.
    let denied = reader
        .post("/users", serde_json::json!({ "username": "mallory" }))
        .await;
    assert!(
        denied.headers()["www-authenticate"]
            .to_str()
            .expect("challenge")
            .contains("insufficient_scope")
    );
    problem(denied, 403).await;
    problem(
        reader.post("/keys/rotate", serde_json::json!({})).await,
        403,
    )
    .await;

    // A revoked admin token is refused at once.
    let revoked = api_token(&app, "revoked", &["admin:read"]).await;
    let claims = jwt_payload(&revoked);
    let mut unit = app.services.store.unit().await.expect("unit");
    unit.deny_access_token(
        claims["jti"].as_str().expect("jti"),
        claims["exp"].as_i64().expect("exp"),
    )
    .await
    .expect("deny");
    unit.commit().await.expect("commit");
    // (With SQLite the running server reads the deny-list from the database.)
    let revoked = Api {
        app: &app,
        token: revoked,
    };
    problem(revoked.get("/users").await, 401).await;
}

#[tokio::test]
async fn admin_scopes_come_in_a_token_of_their_own() {
    let app = spawn_app().await;
    let client = app
        .create_client(NewClient {
            id: Some("mixed".into()),
            name: "mixed".into(),
            grant_types: vec![GrantType::ClientCredentials],
            scopes: vec!["admin:read".into(), "api:read".into()],
            ..NewClient::default()
        })
        .await;
    let mixed = token_request(
        &app,
        &client,
        &[
            ("grant_type", "client_credentials"),
            ("scope", "admin:read api:read"),
        ],
    )
    .await;
    assert_eq!(mixed.status(), 400);
    let admin = token_request(
        &app,
        &client,
        &[
            ("grant_type", "client_credentials"),
            ("scope", "admin:read"),
        ],
    )
    .await;
    let body: serde_json::Value = admin.json().await.expect("json");
    let claims = claims_of(&app, &field(&body, "access_token")).await;
    assert_eq!(claims["aud"], format!("{}/admin/api", app.issuer));
}

#[tokio::test]
async fn users_are_managed_through_the_api() {
    let app = spawn_app().await;
    let api = writer(&app).await;

    let created = json_of(
        api.post(
            "/users",
            serde_json::json!({ "username": "Carol", "email": "carol@example.com", "name": "Carol C" }),
        )
        .await,
        201,
    )
    .await;
    let id = created["user"]["id"].as_str().expect("id").to_string();
    assert_eq!(created["user"]["username"], "carol");
    let password = created["password"]
        .as_str()
        .expect("generated once")
        .to_string();
    assert!(password.len() >= 20);

    problem(
        api.post("/users", serde_json::json!({ "username": "carol" }))
            .await,
        409,
    )
    .await;
    let invalid = problem(
        api.post("/users", serde_json::json!({ "username": "a b" }))
            .await,
        422,
    )
    .await;
    assert_eq!(invalid["errors"][0]["field"], "username");
    let missing = problem(
        api.post("/users", serde_json::json!({ "email": "x@example.com" }))
            .await,
        422,
    )
    .await;
    assert_eq!(missing["errors"][0]["field"], "username");
    let wrong_type = problem(
        api.post(
            "/users",
            serde_json::json!({ "username": "dan", "admin": "yes" }),
        )
        .await,
        422,
    )
    .await;
    assert_eq!(wrong_type["errors"][0]["field"], "admin");
    let unknown = problem(
        api.post(
            "/users",
            serde_json::json!({ "username": "dan", "colour": "red" }),
        )
        .await,
        422,
    )
    .await;
    assert!(
        unknown["detail"]
            .as_str()
            .expect("detail")
            .contains("colour")
    );
    let bad_email = problem(
        api.post(
            "/users",
            serde_json::json!({ "username": "dan", "email": "nope" }),
        )
        .await,
        422,
    )
    .await;
    assert_eq!(bad_email["errors"][0]["field"], "email");
    let everything_wrong = problem(
        api.post(
            "/users",
            serde_json::json!({ "username": "a b", "email": "nope", "given_name": "x\u{202e}y", "password": "short" }),
        )
        .await,
        422,
    )
    .await;
    assert_eq!(
        invalid_fields(&everything_wrong),
        ["username", "email", "given_name", "password"],
        "each invalid field is named: {everything_wrong}"
    );

    // She signs in; disabling her through the API ends her session.
    let client = app.confidential_client("app1", APP1_HOST).await;
    let browser = app.browser();
    let (_, challenge) = pkce_pair();
    let login = redirect_of(
        &browser
            .authorize(&code_params(&client, &challenge, "s", "n"))
            .await,
        &app.issuer,
    );
    let signed_in = browser
        .submit_login(login.location.as_str(), "carol", &password)
        .await;
    assert!(redirect_of(&signed_in, &app.issuer).has_param("code"));

    let patched = json_of(
        api.patch(
            &format!("/users/{id}"),
            serde_json::json!({ "email": "c@example.com", "email_verified": true, "disabled": true }),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(patched["email"], "c@example.com");
    assert_eq!(patched["disabled"], true);
    assert!(!signed_in_now(&browser, &client).await);
    let fetched = json_of(api.get(&format!("/users/{id}")).await, 200).await;
    assert_eq!(fetched["email_verified"], true);
    problem(api.get("/users/not-a-uuid").await, 404).await;
    problem(
        api.get(&format!("/users/{}", uuid::Uuid::new_v4())).await,
        404,
    )
    .await;

    // Password, unlock, logout, consents.
    let changed = json_of(
        api.post(&format!("/users/{id}/password"), serde_json::json!({}))
            .await,
        200,
    )
    .await;
    assert!(changed["password"].is_string());
    json_of(
        api.post(&format!("/users/{id}/unlock"), serde_json::json!({}))
            .await,
        200,
    )
    .await;
    let ended = json_of(
        api.post(&format!("/users/{id}/logout"), serde_json::json!({}))
            .await,
        200,
    )
    .await;
    assert_eq!(ended["sessions_ended"].as_array().map(Vec::len), Some(0));
    assert_eq!(
        json_of(api.get(&format!("/users/{id}/consents")).await, 200).await,
        serde_json::json!([])
    );
    problem(api.delete(&format!("/users/{id}/consents/app1")).await, 404).await;

    let deleted = json_of(api.delete(&format!("/users/{id}")).await, 200).await;
    assert!(deleted["families_revoked"].is_u64());
    problem(api.get(&format!("/users/{id}")).await, 404).await;
}

async fn signed_in_now(browser: &Browser, client: &TestClient) -> bool {
    signed_in(browser, client).await
}

#[tokio::test]
async fn users_are_listed_a_page_at_a_time_and_searched() {
    let app = spawn_app().await;
    let api = writer(&app).await;
    for name in ["ann", "bea", "cat", "dee", "eve"] {
        app.create_user(name).await;
    }
    // admin (bootstrap), ann, bea, cat, dee, eve: 6 users, 2 a page.
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(c) => format!("/users?limit=2&cursor={c}"),
            None => "/users?limit=2".to_string(),
        };
        let page = json_of(api.get(&path).await, 200).await;
        for user in page["items"].as_array().expect("items") {
            seen.push(user["username"].as_str().expect("name").to_string());
        }
        match page["next"].as_str() {
            Some(next) => cursor = Some(next.to_string()),
            None => break,
        }
    }
    assert_eq!(seen, ["admin", "ann", "bea", "cat", "dee", "eve"]);
    let found = json_of(api.get("/users?search=de").await, 200).await;
    assert_eq!(found["items"].as_array().map(Vec::len), Some(1));
    let by_email = json_of(api.get("/users?search=EVE%40").await, 200).await;
    assert_eq!(by_email["items"][0]["username"], "eve");
    json_of(
        api.post(
            "/users",
            serde_json::json!({ "username": "zed", "email": "Zed.Mixed@Example.COM" }),
        )
        .await,
        201,
    )
    .await;
    let mixed_case = json_of(api.get("/users?search=zed.mixed%40ex").await, 200).await;
    assert_eq!(mixed_case["items"][0]["username"], "zed");
    // Username and email matches come merged, in username order, a page at
    // a time: "amy" by her email, "cat" by username.
    json_of(
        api.post(
            "/users",
            serde_json::json!({ "username": "amy", "email": "Cab@example.com" }),
        )
        .await,
        201,
    )
    .await;
    let first = json_of(api.get("/users?search=ca&limit=1").await, 200).await;
    assert_eq!(first["items"][0]["username"], "amy");
    let next = first["next"].as_str().expect("a second page");
    let second = json_of(
        api.get(&format!("/users?search=ca&limit=1&cursor={next}"))
            .await,
        200,
    )
    .await;
    assert_eq!(second["items"][0]["username"], "cat");
    assert_eq!(second["items"].as_array().map(Vec::len), Some(1));
    let wildcard = json_of(api.get("/users?search=%25").await, 200).await;
    assert_eq!(
        wildcard["items"].as_array().map(Vec::len),
        Some(0),
        "% is not a wildcard"
    );
    problem(api.get("/users?cursor=garbage!").await, 400).await;
    problem(api.get("/users?limit=2&limit=3").await, 400).await;
    problem(api.get("/users?limit=many").await, 422).await;
}

#[tokio::test]
async fn sessions_are_listed_filtered_and_ended_through_the_api() {
    let app = spawn_app().await;
    let api = writer(&app).await;
    let alice = app.create_user("alice").await;
    app.create_user("bob").await;
    let rp = TestRp::start().await;
    let app1 = app
        .create_client(backchannel_client("app1", APP1_HOST, &rp.uri()))
        .await;
    let app2 = app.confidential_client("app2", APP2_HOST).await;
    let (a1, a2, b1) = (app.browser(), app.browser(), app.browser());
    login_and_exchange(&app, &a1, &app1, "alice").await;
    login_and_exchange(&app, &a2, &app2, "alice").await;
    login_and_exchange(&app, &b1, &app1, "bob").await;

    let all = json_of(api.get("/sessions").await, 200).await;
    assert_eq!(all["items"].as_array().map(Vec::len), Some(3));
    let alices = json_of(
        api.get(&format!("/sessions?user_id={}", alice.id)).await,
        200,
    )
    .await;
    assert_eq!(alices["items"].as_array().map(Vec::len), Some(2));
    let with_app1 = json_of(api.get("/sessions?client_id=app1").await, 200).await;
    assert_eq!(with_app1["items"].as_array().map(Vec::len), Some(2));
    assert!(
        with_app1["items"][0]["clients"]
            .as_array()
            .expect("clients")
            .contains(&serde_json::json!("app1"))
    );
    let from_ip = json_of(api.get("/sessions?ip=127.0.0.1").await, 200).await;
    assert_eq!(from_ip["items"].as_array().map(Vec::len), Some(3));
    let nowhere = json_of(api.get("/sessions?ip=10.9.9.9").await, 200).await;
    assert_eq!(nowhere["items"].as_array().map(Vec::len), Some(0));
    let first = json_of(api.get("/sessions?limit=2").await, 200).await;
    let next = first["next"].as_str().expect("a second page");
    let second = json_of(
        api.get(&format!("/sessions?limit=2&cursor={next}")).await,
        200,
    )
    .await;
    assert_eq!(second["items"].as_array().map(Vec::len), Some(1));

    let sid = alices["items"][0]["id"].as_str().expect("sid");
    let ended = json_of(api.delete(&format!("/sessions/{sid}")).await, 200).await;
    assert_eq!(ended["sessions_ended"], serde_json::json!([sid]));
    problem(api.delete(&format!("/sessions/{sid}")).await, 404).await;

    let refused = problem(
        api.post("/sessions/end-all", serde_json::json!({ "confirm": "yes" }))
            .await,
        422,
    )
    .await;
    assert_eq!(refused["errors"][0]["field"], "confirm");
    let everything = json_of(
        api.post(
            "/sessions/end-all",
            serde_json::json!({ "confirm": "end all sessions" }),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(
        everything["sessions_ended"].as_array().map(Vec::len),
        Some(2)
    );
    assert!(
        !signed_in(&a1, &app1).await
            && !signed_in(&a2, &app2).await
            && !signed_in(&b1, &app1).await
    );
    // app1 got tokens in two of the sessions: two logout tokens.
    rp.wait_for(2).await;
}

#[tokio::test]
async fn clients_are_managed_through_the_api() {
    let app = spawn_app().await;
    let api = writer(&app).await;
    let created = json_of(
        api.post(
            "/clients",
            serde_json::json!({
                "id": "shop",
                "name": "Shop",
                "redirect_uris": ["https://shop.example.test/cb"],
                "grant_types": ["authorization_code", "client_credentials"],
                "scopes": ["openid", "orders:read"],
                "access_token_alg": "ES256",
                "backchannel_logout_uri": "https://shop.example.test/bc",
            }),
        )
        .await,
        201,
    )
    .await;
    let secret = created["client_secret"]
        .as_str()
        .expect("secret once")
        .to_string();
    assert_eq!(
        created["client"]["access_token_signed_response_alg"],
        "ES256"
    );
    let invalid = problem(
        api.post("/clients", serde_json::json!({ "name": "X", "redirect_uris": ["http://evil.example.test/cb"], "grant_types": ["nope"] })).await,
        422,
    )
    .await;
    assert_eq!(invalid["errors"][0]["field"], "grant_types");
    let bad_uri = problem(
        api.post(
            "/clients",
            serde_json::json!({ "name": "X", "redirect_uris": ["not a uri"] }),
        )
        .await,
        422,
    )
    .await;
    assert_eq!(bad_uri["errors"][0]["field"], "redirect_uris");
    let everything_wrong = problem(
        api.post(
            "/clients",
            serde_json::json!({
                "id": "no spaces allowed",
                "name": "",
                "redirect_uris": ["not a uri"],
                "post_logout_redirect_uris": ["https://shop.example.test/#fragment"],
                "scopes": ["openid", "open\"id"],
            }),
        )
        .await,
        422,
    )
    .await;
    assert_eq!(
        invalid_fields(&everything_wrong),
        [
            "id",
            "name",
            "redirect_uris",
            "post_logout_redirect_uris",
            "scopes"
        ],
        "each invalid field is named: {everything_wrong}"
    );

    let shown = json_of(api.get("/clients/shop").await, 200).await;
    assert_eq!(shown["backchannel_delivery"]["pending"], 0);
    assert!(shown.get("client_secret").is_none());
    let listed = json_of(api.get("/clients").await, 200).await;
    assert!(
        listed["items"]
            .as_array()
            .expect("items")
            .iter()
            .any(|c| c["client_id"] == "shop")
    );

    let patched = json_of(
        api.patch(
            "/clients/shop",
            serde_json::json!({ "name": "Shop 2", "backchannel_logout_uri": "" }),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(patched["name"], "Shop 2");
    assert!(patched["backchannel_logout_uri"].is_null());

    // A new secret: the old one stops working at once.
    let shop = TestClient {
        id: "shop".into(),
        secret: Some(secret),
        redirect_uri: "https://shop.example.test/cb".into(),
    };
    assert_eq!(
        token_request(
            &app,
            &shop,
            &[
                ("grant_type", "client_credentials"),
                ("scope", "orders:read")
            ]
        )
        .await
        .status(),
        200
    );
    let rotated = json_of(
        api.post("/clients/shop/secret", serde_json::json!({}))
            .await,
        200,
    )
    .await;
    let fresh = TestClient {
        secret: Some(rotated["client_secret"].as_str().expect("new").to_string()),
        ..shop.clone()
    };
    assert_eq!(
        token_request(
            &app,
            &shop,
            &[
                ("grant_type", "client_credentials"),
                ("scope", "orders:read")
            ]
        )
        .await
        .status(),
        401
    );
    assert_eq!(
        token_request(
            &app,
            &fresh,
            &[
                ("grant_type", "client_credentials"),
                ("scope", "orders:read")
            ]
        )
        .await
        .status(),
        200
    );

    assert_eq!(api.delete("/clients/shop").await.status(), 204);
    problem(api.get("/clients/shop").await, 404).await;
}

#[tokio::test]
async fn keys_audit_and_overview_are_read_through_the_api() {
    let app = spawn_app().await;
    let api = writer(&app).await;
    let keys = json_of(api.get("/keys").await, 200).await;
    assert_eq!(keys["items"].as_array().map(Vec::len), Some(3));
    let rotated = json_of(api.post("/keys/rotate", serde_json::json!({})).await, 200).await;
    let states: Vec<&str> = rotated["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|k| k["state"].as_str().expect("state"))
        .collect();
    assert_eq!(states.iter().filter(|s| **s == "next").count(), 3);

    let audit = json_of(api.get("/audit?action=key.rotate").await, 200).await;
    assert_eq!(audit["items"].as_array().map(Vec::len), Some(1));
    assert_eq!(audit["items"][0]["actor"], "client:automation");
    for _ in 0..3 {
        api.post(
            "/users",
            serde_json::json!({ "username": format!("u{}", uuid::Uuid::new_v4().simple()) }),
        )
        .await;
    }
    let first = json_of(api.get("/audit?action=user.create&limit=2").await, 200).await;
    let next = first["next"].as_str().expect("more");
    let second = json_of(
        api.get(&format!("/audit?action=user.create&limit=2&cursor={next}"))
            .await,
        200,
    )
    .await;
    // Three created here, and the first administrator, created at start-up.
    assert_eq!(second["items"].as_array().map(Vec::len), Some(2));
    assert_eq!(second["items"][1]["actor"], "system");
    assert!(
        first["items"][1]["id"].as_i64() > second["items"][0]["id"].as_i64(),
        "newest first"
    );
    let none_yet = json_of(
        api.get(&format!("/audit?since={}", app.now() + 1)).await,
        200,
    )
    .await;
    assert_eq!(none_yet["items"].as_array().map(Vec::len), Some(0));

    // A username stands for its user as target (and as actor).
    let grace = json_of(
        api.post("/users", serde_json::json!({ "username": "grace" }))
            .await,
        201,
    )
    .await;
    let about_grace = json_of(api.get("/audit?target=grace").await, 200).await;
    assert_eq!(about_grace["items"].as_array().map(Vec::len), Some(1));
    assert_eq!(
        about_grace["items"][0]["target"],
        format!("user:{}", field(&grace["user"], "id"))
    );
    let by_nobody = json_of(api.get("/audit?actor=nobody").await, 200).await;
    assert_eq!(by_nobody["items"].as_array().map(Vec::len), Some(0));

    let overview = json_of(api.get("/overview").await, 200).await;
    assert_eq!(overview["users"], 5);
    assert_eq!(overview["live_sessions"], 0);
}

#[tokio::test]
async fn bad_bodies_get_problem_documents() {
    let app = spawn_app().await;
    let api = writer(&app).await;
    let send = |body: &'static str, content_type: &'static str| {
        app.http()
            .post(api.url("/users"))
            .bearer_auth(&api.token)
            .header("content-type", content_type)
            .body(body)
            .send()
    };
    problem(
        send("{not json", "application/json").await.expect("post"),
        400,
    )
    .await;
    problem(
        send(r#"{"username":"a\u0000b"}"#, "application/json")
            .await
            .expect("post"),
        400,
    )
    .await;
    problem(
        send("username=a", "application/x-www-form-urlencoded")
            .await
            .expect("post"),
        400,
    )
    .await;
    problem(api.get("/nowhere").await, 404).await;
}

#[tokio::test]
async fn the_openapi_document_describes_the_api() {
    let app = spawn_app().await;
    let doc: serde_json::Value = app
        .http()
        .get(app.url("/admin/api/openapi.json"))
        .send()
        .await
        .expect("openapi")
        .json()
        .await
        .expect("json");
    assert!(doc["openapi"].as_str().expect("version").starts_with("3.1"));
    for path in [
        "/admin/api/v1/users",
        "/admin/api/v1/users/{id}",
        "/admin/api/v1/users/{id}/logout",
        "/admin/api/v1/sessions",
        "/admin/api/v1/sessions/{id}",
        "/admin/api/v1/clients",
        "/admin/api/v1/clients/{id}/secret",
        "/admin/api/v1/keys",
        "/admin/api/v1/keys/rotate",
        "/admin/api/v1/audit",
        "/admin/api/v1/apis",
        "/admin/api/v1/apis/{id}/roles/{role}",
        "/admin/api/v1/clients/{id}/apis/{api}",
    ] {
        assert!(doc["paths"][path].is_object(), "{path}");
    }
    assert_eq!(
        doc["components"]["securitySchemes"]["bearer"]["scheme"],
        "bearer"
    );
    assert!(doc["components"]["schemas"]["Problem"].is_object());
}

#[tokio::test]
async fn an_unlock_lets_a_throttled_user_in_and_a_withdrawn_consent_revokes_tokens() {
    let app = spawn_app_with(|s| s.login_max_failures_per_account = 2).await;
    let alice = app.create_user("alice").await;
    let client = app
        .create_client(NewClient {
            first_party: false,
            ..client_spec("thirdapp", APP1_HOST)
        })
        .await;
    let api = writer(&app).await;
    let id = alice.id.as_str();

    // Two wrong passwords throttle the account; the right one is refused too.
    let browser = app.browser();
    let (verifier, challenge) = pkce_pair();
    let params = code_params(&client, &challenge, "s", "n");
    let login = redirect_of(&browser.authorize(&params).await, &app.issuer)
        .location
        .to_string();
    for _ in 0..2 {
        let wrong = browser
            .submit_login(&login, "alice", "wrong password")
            .await;
        assert_eq!(wrong.status(), 401);
    }
    let throttled = browser.submit_login(&login, "alice", PASSWORD).await;
    assert_eq!(throttled.status(), 429);
    let audit = json_of(api.get("/audit?action=sign_in").await, 200).await;
    let outcomes: Vec<_> = audit["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|r| r["outcome"].as_str().unwrap_or_default().to_string())
        .collect();
    assert!(outcomes.contains(&"throttled".to_string()), "{outcomes:?}");

    json_of(
        api.post(&format!("/users/{id}/unlock"), serde_json::json!({}))
            .await,
        200,
    )
    .await;
    let unlocked = browser.submit_login(&login, "alice", PASSWORD).await;
    let consent = redirect_of(&unlocked, &app.issuer);
    assert_eq!(consent.location.path(), "/consent", "signed in at last");
    let html = browser
        .get(consent.location.as_str())
        .await
        .text()
        .await
        .expect("consent page");
    let callback = decide_consent(&app, &browser, &html, "approve").await;
    let code = callback.param("code").expect("a code");
    let tokens: serde_json::Value = exchange_code(&app, &client, &code, &verifier)
        .await
        .json()
        .await
        .expect("tokens");
    let refresh_token = field(&tokens, "refresh_token");

    // The consent is listed; withdrawing it revokes what the client holds.
    let consents = json_of(api.get(&format!("/users/{id}/consents")).await, 200).await;
    assert_eq!(consents[0]["client_id"], "thirdapp");
    let withdrawn = json_of(
        api.delete(&format!("/users/{id}/consents/thirdapp")).await,
        200,
    )
    .await;
    assert_eq!(withdrawn["families_revoked"], 1);
    assert_eq!(refresh_status(&app, &client, &refresh_token).await, 400);
    let access = field(&tokens, "access_token");
    assert_eq!(userinfo(&app, &access).await.status(), 401);
    let again = redirect_of(&browser.authorize(&params).await, &app.issuer);
    assert_eq!(
        again.location.path(),
        "/consent",
        "the client has to ask again"
    );
}

#[tokio::test]
async fn an_admin_token_dies_with_its_clients_rights_deletion_or_new_secret() {
    let app = spawn_app().await;
    let admin = writer(&app).await;
    let operator = Api {
        app: &app,
        token: api_token(&app, "operator", &["admin:write"]).await,
    };
    assert_eq!(admin.get("/users").await.status(), 200);

    // Its secret rotated: tokens got with the old one stop at once, one got
    // right after (in the same second) works.
    json_of(
        operator
            .post("/clients/automation/secret", serde_json::json!({}))
            .await,
        200,
    )
    .await;
    assert_eq!(admin.get("/users").await.status(), 401, "rotated");
    let rotated = app
        .services
        .store
        .client_by_id("automation")
        .await
        .expect("load");
    assert!(rotated.is_some());

    // Another token of its, then admin:write taken away: refused within a
    // second (the server remembers a client for at most that long).
    let narrowed = Api {
        app: &app,
        token: api_token(&app, "narrowed", &["admin:read", "admin:write"]).await,
    };
    assert_eq!(narrowed.get("/users").await.status(), 200);
    json_of(
        operator
            .patch(
                "/clients/narrowed",
                serde_json::json!({ "scopes": ["admin:read"] }),
            )
            .await,
        200,
    )
    .await;
    app.clock.advance(1);
    assert_eq!(
        narrowed.get("/users").await.status(),
        401,
        "no longer allowed admin:write"
    );

    // Deleted: refused.
    let deleted = Api {
        app: &app,
        token: api_token(&app, "deleted", &["admin:read"]).await,
    };
    assert_eq!(deleted.get("/users").await.status(), 200);
    assert_eq!(operator.delete("/clients/deleted").await.status(), 204);
    app.clock.advance(1);
    assert_eq!(deleted.get("/users").await.status(), 401, "client deleted");
    // And the operator's own token was never affected.
    assert_eq!(operator.get("/users").await.status(), 200);
}

#[tokio::test]
async fn a_token_issued_right_after_a_rotation_counts() {
    let app = spawn_app().await;
    let service = app
        .create_client(NewClient {
            id: Some("svc".into()),
            name: "svc".into(),
            grant_types: vec![GrantType::ClientCredentials],
            scopes: vec!["api:read".into()],
            ..NewClient::default()
        })
        .await;
    let old: serde_json::Value =
        token_request(&app, &service, &[("grant_type", "client_credentials")])
            .await
            .json()
            .await
            .expect("json");
    let (_, secret) = tessera::admin::clients::rotate_secret(
        &app.services.store,
        app.pepper(),
        "svc",
        &tessera::domain::Actor::Cli,
        app.now(),
    )
    .await
    .expect("rotate");
    app.clock.advance(1);
    let service = TestClient {
        secret: Some(secret.expose().to_string()),
        ..service
    };
    let new: serde_json::Value =
        token_request(&app, &service, &[("grant_type", "client_credentials")])
            .await
            .json()
            .await
            .expect("json");
    assert!(
        !introspect(&app, &service, &field(&old, "access_token"), None).await["active"]
            .as_bool()
            .expect("bool")
    );
    assert_eq!(
        introspect(&app, &service, &field(&new, "access_token"), None).await["active"],
        true
    );
}

#[tokio::test]
async fn admin_scopes_are_never_for_a_users_token() {
    let app = spawn_app().await;
    let admin = writer(&app).await;
    // Registration refuses them for a client that signs users in.
    let refused = admin
        .post(
            "/clients",
            serde_json::json!({
                "id": "sneaky",
                "name": "Sneaky",
                "redirect_uris": ["https://app1.example.test/callback"],
                "scopes": ["openid", "admin:write"]
            }),
        )
        .await;
    let body = problem(refused, 422).await;
    assert!(
        body["detail"]
            .as_str()
            .expect("detail")
            .contains("admin scopes"),
        "{body}"
    );
    // A registration that holds them anyway (written before this rule):
    // the scope parser grants them to no user.
    app.create_user("alice").await;
    let client = app.confidential_client("app1", APP1_HOST).await;
    sea_orm::ConnectionTrait::execute_unprepared(
        &sea_orm::Database::connect(&app.settings.database_url)
            .await
            .expect("db"),
        "UPDATE clients SET scopes = '[\"openid\",\"admin:write\"]' WHERE id = 'app1'",
    )
    .await
    .expect("legacy row");
    app.clock.advance(1);
    let (_, challenge) = pkce_pair();
    let mut params = code_params(&client, &challenge, "s", "n");
    params.retain(|(k, _)| *k != "scope");
    params.push(("scope", "openid admin:write"));
    let redirect = app.browser().authorize_through(&params, "alice").await;
    assert_eq!(redirect.param("error").as_deref(), Some("invalid_scope"));
}

#[tokio::test]
async fn every_change_the_api_offers_needs_admin_write() {
    let app = spawn_app().await;
    let reader = Api {
        app: &app,
        token: api_token(&app, "reader", &["admin:read"]).await,
    };
    let spec = json_of(
        app.http()
            .get(app.url("/admin/api/openapi.json"))
            .send()
            .await
            .expect("openapi"),
        200,
    )
    .await;
    let mut writes = 0;
    for (path, operations) in spec["paths"].as_object().expect("paths") {
        for method in operations.as_object().expect("operations").keys() {
            if method == "get" {
                continue;
            }
            writes += 1;
            let concrete = path
                .replace("/admin/api/v1", "")
                .replace("{id}", "00000000-0000-4000-8000-000000000000")
                .replace("{kid}", "es256-x")
                .replace("{client_id}", "app1");
            let method =
                reqwest::Method::from_bytes(method.to_uppercase().as_bytes()).expect("method");
            let response = reader
                .send(method.clone(), &concrete, Some(serde_json::json!({})))
                .await;
            assert_eq!(response.status(), 403, "{method} {path}");
        }
    }
    assert!(writes >= 15, "{writes} changes in the document");
}

#[tokio::test]
async fn apis_roles_and_client_allowances_are_managed_through_the_api() {
    let app = spawn_app().await;
    let alice = app.create_user("alice").await;
    app.confidential_client("shop", APP1_HOST).await;
    let api = writer(&app).await;
    let product = "https://product.example.test";
    let encoded = "https%3A%2F%2Fproduct.example.test";

    let created = json_of(
        api.post(
            "/apis",
            serde_json::json!({
                "identifier": product, "name": "Products",
                "scopes": ["products:read", "products:write"], "token_format": "opaque",
                "lifetime": 300
            }),
        )
        .await,
        201,
    )
    .await;
    assert_eq!(created["token_format"], "opaque");
    assert_eq!(created["access_token_alg"], "ES256");
    problem(
        api.post(
            "/apis",
            serde_json::json!({ "identifier": product, "name": "Again" }),
        )
        .await,
        409,
    )
    .await;
    let bad = problem(
        api.post(
            "/apis",
            serde_json::json!({ "identifier": "products", "name": "P" }),
        )
        .await,
        422,
    )
    .await;
    assert!(bad.to_string().contains("identifier"), "{bad}");

    let role = json_of(
        api.send(
            reqwest::Method::PUT,
            &format!("/apis/{encoded}/roles/viewer"),
            Some(serde_json::json!({ "permissions": ["products:read"] })),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(role["permissions"], serde_json::json!(["products:read"]));
    let assigned = api
        .send(
            reqwest::Method::PUT,
            &format!("/apis/{encoded}/roles/viewer/users/{}", alice.id),
            None,
        )
        .await;
    assert_eq!(assigned.status(), 204);
    let allowed = json_of(
        api.send(
            reqwest::Method::PUT,
            &format!("/clients/shop/apis/{encoded}"),
            Some(serde_json::json!({ "tokens": true, "scopes": ["products:read"] })),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(allowed["tokens"], true);
    assert_eq!(allowed["exchange"], false);
    let list = json_of(api.get("/clients/shop/apis").await, 200).await;
    assert_eq!(list["items"][0]["api"], product);

    let shown = json_of(
        api.patch(
            &format!("/apis/{}", created["id"].as_str().unwrap()),
            serde_json::json!({ "name": "Catalogue" }),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(shown["name"], "Catalogue");
    assert_eq!(shown["roles"][0]["name"], "viewer");
    assert_eq!(
        json_of(api.get("/apis").await, 200).await["items"]
            .as_array()
            .map(Vec::len),
        Some(1)
    );
    assert_eq!(api.delete(&format!("/apis/{encoded}")).await.status(), 204);
    problem(api.get(&format!("/apis/{encoded}")).await, 404).await;
}

/// Passwords set through the API are hashed on the same bounded hashers
/// as sign-ins: a burst beyond them and their queue is told 503 with
/// `Retry-After` at once, and nothing is half-created.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_burst_of_passwords_beyond_the_hashers_and_their_queue_gets_503() {
    let app = spawn_app_with(|s| s.password_hash_queue = 1).await;
    let api = writer(&app).await;
    let answers = join_all((0..16).map(|n| {
        let api = &api;
        async move {
            let response = api
                .post(
                    "/users",
                    serde_json::json!({ "username": format!("burst{n}"), "password": "a long enough password" }),
                )
                .await;
            let status = response.status().as_u16();
            (status, retry_after(&response))
        }
    }))
    .await;
    let created = answers.iter().filter(|a| a.0 == 201).count();
    let refused = answers.iter().filter(|a| a.0 == 503).count();
    assert_eq!(created + refused, answers.len(), "{answers:?}");
    assert!(created >= 1 && refused >= 1, "{answers:?}");
    for (status, retry_after) in &answers {
        if *status == 503 {
            assert_eq!(retry_after.as_deref(), Some("1"));
        }
    }
    let listed = json_of(api.get("/users?search=burst&limit=100").await, 200).await;
    assert_eq!(
        listed["items"].as_array().expect("items").len(),
        created,
        "exactly the users answered 201 exist"
    );
}
