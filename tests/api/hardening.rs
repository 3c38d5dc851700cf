//! Bad input and hostile traffic: bytes no parameter may hold, repeated
//! parameters, floods of unfinished sign-ins, codes presented by the wrong
//! client; and what protects the data at rest and in transit.

use std::time::Duration;

use tessera::clock::SystemClock;
use tessera::config::Settings;
use tessera::domain::crypto::random_token;
use tessera::domain::{Client, ClientSecretHash, Secret};
use tessera::startup::open_services;

use crate::helpers::*;

fn is_html(response: &reqwest::Response) -> bool {
    response.headers()["content-type"]
        .to_str()
        .is_ok_and(|ct| ct.starts_with("text/html"))
}

#[tokio::test]
async fn nul_bytes_and_invalid_utf8_are_a_bad_request_everywhere() {
    let app = spawn_app().await;
    let client = app.confidential_client("app1", APP1_HOST).await;
    let browser = app.browser();

    for query in [
        "client_id=a%00b",
        "client_id=app1&state=%C3%28",
        "client_id=%FF",
    ] {
        let response = browser.get(&app.url(&format!("/authorize?{query}"))).await;
        assert_eq!(response.status(), 400, "/authorize?{query}");
        assert!(is_html(&response), "an error page, not a redirect");
    }
    let posted = browser
        .http
        .post(app.url("/authorize"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("client_id=a%00b&response_type=code")
        .send()
        .await
        .expect("post");
    assert_eq!(posted.status(), 400);

    // The token endpoint: in HTTP Basic and in the body, a JSON error.
    use base64::Engine;
    let basic = base64::engine::general_purpose::STANDARD.encode("a%00b:secret");
    let in_basic = app
        .http()
        .post(app.url("/token"))
        .header("authorization", format!("Basic {basic}"))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .expect("token");
    assert_eq!(in_basic.status(), 400);
    let body: serde_json::Value = in_basic.json().await.expect("json");
    assert_eq!(body["error"], "invalid_request");
    for raw in [
        "grant_type=client_credentials&client_id=a%00b",
        "grant_type=authorization_code&code=%FF&client_id=app1",
    ] {
        let response = app
            .http()
            .post(app.url("/token"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(raw)
            .send()
            .await
            .expect("token");
        assert_eq!(response.status(), 400, "{raw}");
        let body: serde_json::Value = response.json().await.expect("json");
        assert_eq!(body["error"], "invalid_request", "{raw}");
    }
    for path in ["/introspect", "/revoke"] {
        let response = app
            .http()
            .post(app.url(path))
            .basic_auth(&client.id, client.secret.as_ref())
            .header("content-type", "application/x-www-form-urlencoded")
            .body("token=a%00b")
            .send()
            .await
            .expect("post");
        assert_eq!(response.status(), 400, "{path}");
    }
    let userinfo = app
        .http()
        .post(app.url("/userinfo"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("access_token=%C3%28")
        .send()
        .await
        .expect("userinfo");
    assert_eq!(userinfo.status(), 400);
    for (path, body) in [
        ("/login", "username=ali%00ce&password=x"),
        ("/consent", "request=%FF&decision=approve"),
        ("/logout", "state=%00&confirm=yes"),
        ("/account/sessions/end", "sid=%00"),
    ] {
        let response = browser
            .http
            .post(app.url(path))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .expect("post");
        assert_eq!(response.status(), 400, "{path}");
    }
    for path in [
        "/login?request=%00",
        "/consent?request=%FF",
        "/logout?state=%00",
        "/account?x=%FF",
    ] {
        assert_eq!(browser.get(&app.url(path)).await.status(), 400, "{path}");
    }
}

#[tokio::test]
async fn a_repeated_parameter_is_refused_on_every_endpoint() {
    let app = spawn_app().await;
    app.create_user("alice").await;
    let client = app.confidential_client("app1", APP1_HOST).await;
    let tokens = login_and_exchange(&app, &app.browser(), &client, "alice").await;
    let access = tokens["access_token"].as_str().expect("at");

    for path in ["/introspect", "/revoke"] {
        let response = app
            .http()
            .post(app.url(path))
            .basic_auth(&client.id, client.secret.as_ref())
            .form(&[("token", access), ("token", "other")])
            .send()
            .await
            .expect("post");
        assert_eq!(response.status(), 400, "{path}");
        let body: serde_json::Value = response.json().await.expect("json");
        assert_eq!(body["error"], "invalid_request", "{path}");
    }
    let userinfo = app
        .http()
        .post(app.url("/userinfo"))
        .form(&[("access_token", access), ("access_token", access)])
        .send()
        .await
        .expect("userinfo");
    assert_eq!(userinfo.status(), 400);
    let token = app
        .http()
        .post(app.url("/token"))
        .basic_auth(&client.id, client.secret.as_ref())
        .form(&[
            ("grant_type", "client_credentials"),
            ("grant_type", "refresh_token"),
        ])
        .send()
        .await
        .expect("token");
    assert_eq!(token.status(), 400);
    let body: serde_json::Value = token.json().await.expect("json");
    assert_eq!(body["error"], "invalid_request");
    let browser = app.browser();
    let logout = browser.get(&app.url("/logout?state=a&state=b")).await;
    assert_eq!(logout.status(), 400);
    // Forms with a valid CSRF token: refused for the repetition itself.
    let page = browser
        .get(&app.url("/login"))
        .await
        .text()
        .await
        .expect("login page");
    let csrf = hidden_field(&page, "csrf_token").expect("csrf");
    for (path, field, values) in [
        ("/login", "username", ["alice", "bob"]),
        ("/consent", "request", ["a", "b"]),
        ("/account/sessions/end", "sid", ["a", "b"]),
        ("/logout", "state", ["a", "b"]),
    ] {
        let form = [
            ("csrf_token", csrf.as_str()),
            (field, values[0]),
            (field, values[1]),
        ];
        let response = browser.post_form(&app.url(path), &form).await;
        assert_eq!(response.status(), 400, "{path}");
        let html = response.text().await.expect("html");
        assert!(
            html.contains("twice") || html.contains("repeated"),
            "{path}: {html}"
        );
    }
    assert_eq!(
        userinfo_status(&app, access).await,
        200,
        "nothing was revoked"
    );
}

async fn userinfo_status(app: &TestApp, token: &str) -> u16 {
    userinfo(app, token).await.status().as_u16()
}

#[tokio::test]
async fn a_code_presented_by_another_client_is_refused_and_not_burnt() {
    let app = spawn_app().await;
    app.create_user("alice").await;
    let app1 = app.confidential_client("app1", APP1_HOST).await;
    let app2 = app.confidential_client("app2", APP2_HOST).await;
    let (verifier, challenge) = pkce_pair();
    let redirect = app
        .browser()
        .authorize_through(&code_params(&app1, &challenge, "s", "n"), "alice")
        .await;
    let code = redirect.param("code").expect("code");

    let stolen = token_request(
        &app,
        &app2,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", &app1.redirect_uri),
            ("code_verifier", &verifier),
        ],
    )
    .await;
    assert_eq!(stolen.status(), 400);
    let body: serde_json::Value = stolen.json().await.expect("json");
    assert_eq!(body["error"], "invalid_grant");
    assert_eq!(
        body["error_description"],
        "the authorization code was issued to another client"
    );

    let owner = exchange_code(&app, &app1, &code, &verifier).await;
    assert_eq!(owner.status(), 200, "the rightful client still redeems it");
}

#[tokio::test]
async fn parked_sign_ins_are_capped_per_address_and_beyond_the_total_per_range() {
    let app = spawn_app_with(|s| {
        s.max_pending_authorizations_per_ip = 3;
        s.max_pending_authorizations = 5;
        s.trusted_proxies = vec!["127.0.0.0/8".parse().expect("network")];
    })
    .await;
    let client = app.confidential_client("app1", APP1_HOST).await;
    let from = |ip: &str| {
        let mut headers = reqwest::header::HeaderMap::new();
        headers.insert("x-forwarded-for", ip.parse().expect("header"));
        app.browser_with_headers(headers)
    };
    let start = |browser: Browser| {
        let client = client.clone();
        async move {
            let (_, challenge) = pkce_pair();
            browser
                .authorize(&code_params(&client, &challenge, "s", "n"))
                .await
        }
    };

    for _ in 0..3 {
        let response = start(from("198.51.100.1")).await;
        assert_eq!(
            redirect_of(&response, &app.issuer).location.path(),
            "/login"
        );
    }
    let fourth = start(from("198.51.100.1")).await;
    assert_eq!(fourth.status(), 429, "the fourth from one address");
    assert!(is_html(&fourth));
    assert!(
        fourth
            .text()
            .await
            .expect("html")
            .contains("Too many sign-ins")
    );

    // Other addresses of the same /24, until the total cap.
    for ip in ["198.51.100.2", "198.51.100.3"] {
        let response = start(from(ip)).await;
        assert_eq!(
            redirect_of(&response, &app.issuer).location.path(),
            "/login",
            "{ip}"
        );
    }
    let over = start(from("198.51.100.4")).await;
    assert_eq!(
        over.status(),
        429,
        "beyond the total, that busy range waits"
    );
    // Everyone else goes on, until twice the total.
    for ip in [
        "203.0.113.1",
        "192.0.2.1",
        "198.18.0.1",
        "198.18.1.1",
        "198.18.2.1",
    ] {
        let response = start(from(ip)).await;
        assert_eq!(
            redirect_of(&response, &app.issuer).location.path(),
            "/login",
            "{ip}"
        );
    }
    let full = start(from("198.18.3.1")).await;
    assert_eq!(full.status(), 429, "twice the total: nobody");
}

#[tokio::test]
async fn one_actor_rotating_ipv6_addresses_fills_only_its_own_range() {
    let app = spawn_app_with(|s| {
        s.max_pending_authorizations_per_ip = 3;
        s.max_pending_authorizations = 10;
        s.trusted_proxies = vec!["127.0.0.0/8".parse().expect("network")];
    })
    .await;
    let client = app.confidential_client("app1", APP1_HOST).await;
    let start = |ip: String| {
        let mut headers = reqwest::header::HeaderMap::new();
        headers.insert("x-forwarded-for", ip.parse().expect("header"));
        let browser = app.browser_with_headers(headers);
        let client = client.clone();
        async move {
            let (_, challenge) = pkce_pair();
            browser
                .authorize(&code_params(&client, &challenge, "s", "n"))
                .await
                .status()
                .as_u16()
        }
    };
    // A fresh address for every request: within one /64 they count as one.
    let mut statuses = Vec::new();
    for i in 1..=5 {
        statuses.push(start(format!("2001:db8:bad:1::{i:x}")).await);
    }
    assert_eq!(statuses, [302, 302, 302, 429, 429], "one /64, one limit");
    // A fresh /64 for every request, all of one /48: the actor parks until
    // the total, then its range is refused.
    let mut parked = 3;
    let mut refused = 0;
    for i in 2..200 {
        match start(format!("2001:db8:bad:{i:x}::1")).await {
            302 => parked += 1,
            429 => refused += 1,
            other => panic!("unexpected {other}"),
        }
    }
    assert_eq!(parked, 10, "up to the total");
    assert_eq!(refused, 198 - 7);
    // Someone else, on another network, still signs in.
    assert_eq!(start("2001:db8:600d::1".into()).await, 302);
    assert_eq!(start("203.0.113.7".into()).await, 302);
    // And what was refused left no counter behind.
    let keys = app
        .state
        .provider
        .store()
        .ephemeral_key_count()
        .await
        .expect("count");
    assert!(keys < 40, "{keys} keys after 200 requests");
}

#[tokio::test]
async fn strict_transport_security_comes_with_every_answer_of_an_https_issuer() {
    let https = spawn_app_with(|s| s.issuer = s.issuer.replace("http://", "https://")).await;
    let http = https.http();
    let url = |path: &str| format!("http://{AUTH_HOST}:{}{path}", https.port);
    let answers = vec![
        ("a page", http.get(url("/login")).send().await),
        (
            "discovery",
            http.get(url("/.well-known/openid-configuration"))
                .send()
                .await,
        ),
        (
            "a static file",
            http.get(url("/static/tessera.css")).send().await,
        ),
        ("an error page", http.get(url("/authorize")).send().await),
        ("a token error", http.post(url("/token")).send().await),
        ("a 404", http.get(url("/nowhere")).send().await),
        ("a 405", http.delete(url("/token")).send().await),
        ("a redirect", http.get(url("/account")).send().await),
        (
            "the admin API",
            http.get(url("/admin/api/v1/users")).send().await,
        ),
        ("health", http.get(url("/health")).send().await),
    ];
    for (what, answer) in answers {
        let answer = answer.expect(what);
        assert_eq!(
            answer
                .headers()
                .get("strict-transport-security")
                .and_then(|v| v.to_str().ok()),
            Some("max-age=31536000"),
            "{what} ({})",
            answer.status()
        );
    }
    let plain = spawn_app().await;
    let response = plain.browser().get(&plain.url("/login")).await;
    assert!(
        response
            .headers()
            .get("strict-transport-security")
            .is_none()
    );
}

#[cfg(unix)]
#[tokio::test]
async fn the_sqlite_database_is_readable_by_its_owner_only() {
    use std::os::unix::fs::PermissionsExt;
    let dir = std::env::temp_dir().join(format!("tessera-perms-{}", random_token(6)));
    let db = dir.join("data").join("tessera.db");
    let settings = Settings {
        database_url: format!("sqlite://{}?mode=rwc", db.display()),
        pepper_file: dir.join("data").join("pepper"),
        ..Settings::default()
    };
    let services = open_services(&settings, SystemClock::shared())
        .await
        .expect("open");
    services.store.ping().await.expect("ping");
    let mode = |path: &std::path::Path| {
        std::fs::metadata(path)
            .expect("metadata")
            .permissions()
            .mode()
            & 0o777
    };
    assert_eq!(mode(&db), 0o600, "the database");
    let wal = db.with_file_name("tessera.db-wal");
    assert!(wal.exists(), "WAL journaling");
    assert_eq!(mode(&wal), 0o600, "its WAL");
    assert_eq!(mode(&dir.join("data").join("pepper")), 0o600, "the pepper");
    assert_eq!(mode(&dir.join("data")), 0o700, "the directory");
    drop(services);

    // A file left world-readable by an older version is tightened.
    std::fs::set_permissions(&db, std::fs::Permissions::from_mode(0o644)).expect("chmod");
    let services = open_services(&settings, SystemClock::shared())
        .await
        .expect("reopen");
    assert_eq!(mode(&db), 0o600);
    drop(services);
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn a_secret_hashed_the_old_way_still_works_and_is_rehashed() {
    let app = spawn_app().await;
    let pepper = app.pepper().clone();
    let registered = app.confidential_client("svc", APP1_HOST).await;
    let secret = Secret::new(random_token(32));
    let legacy = ClientSecretHash::from_trusted(
        pepper.legacy_keyed_hash("client-secret", secret.expose().as_bytes()),
    );
    let store = &app.services.store;
    let client = store
        .client_by_id(&registered.id)
        .await
        .expect("load")
        .expect("client");
    let mut spec = client.to_spec();
    spec.secret_hash = Some(legacy);
    spec.grant_types
        .push(tessera::domain::GrantType::ClientCredentials);
    spec.scopes = Some(tessera::domain::Scopes::parse("api").expect("scope"));
    let mut unit = store.unit().await.expect("unit");
    unit.update_client(&Client::new(spec).expect("client"))
        .await
        .expect("store legacy hash");
    unit.commit().await.expect("commit");

    let client = TestClient {
        secret: Some(secret.expose().to_string()),
        ..registered
    };
    let response = token_request(&app, &client, &[("grant_type", "client_credentials")]).await;
    assert_eq!(response.status(), 200, "a legacy hash still verifies");
    let stored = store
        .client_by_id(&client.id)
        .await
        .expect("load")
        .expect("client");
    let hash = stored.secret_hash().expect("hash");
    assert!(!hash.is_legacy(), "rehashed with the per-purpose key");
    assert!(hash.matches(&pepper, &secret));
    let again = token_request(&app, &client, &[("grant_type", "client_credentials")]).await;
    assert_eq!(again.status(), 200);
}

#[tokio::test]
async fn upgrading_a_legacy_hash_never_overwrites_a_secret_rotated_meanwhile() {
    let app = spawn_app().await;
    let pepper = app.pepper().clone();
    let registered = app.confidential_client("svc", APP1_HOST).await;
    let store = &app.services.store;
    let id = tessera::domain::ClientId::parse(&registered.id).expect("id");
    let old_secret = Secret::new(random_token(32));
    let legacy = ClientSecretHash::from_trusted(
        pepper.legacy_keyed_hash("client-secret", old_secret.expose().as_bytes()),
    );
    // An authentication with the old secret matched the legacy hash; before
    // it writes the upgraded hash, an administrator rotates the secret.
    let (_, new_secret) = tessera::admin::clients::rotate_secret(
        store,
        &pepper,
        &registered.id,
        &tessera::domain::Actor::Cli,
        app.now(),
    )
    .await
    .expect("rotate");
    store
        .upgrade_client_secret_hash(
            &id,
            &legacy,
            &ClientSecretHash::compute(&pepper, &old_secret),
        )
        .await
        .expect("upgrade");
    let stored = store
        .client_by_id(&registered.id)
        .await
        .expect("load")
        .expect("client");
    let hash = stored.secret_hash().expect("hash");
    assert!(
        hash.matches(&pepper, &new_secret),
        "the rotated secret stands"
    );
    assert!(
        !hash.matches(&pepper, &old_secret),
        "the old one stays dead"
    );
}

#[tokio::test]
async fn static_assets_are_served_from_the_binary_with_etags() {
    let app = spawn_app().await;
    let browser = app.browser();
    let css = browser.get(&app.url("/static/tessera.css")).await;
    assert_eq!(css.status(), 200);
    assert!(
        css.headers()["content-type"]
            .to_str()
            .expect("ct")
            .starts_with("text/css")
    );
    assert!(
        css.headers()["cache-control"]
            .to_str()
            .expect("cc")
            .contains("max-age")
    );
    let etag = css.headers()["etag"].to_str().expect("etag").to_string();
    assert!(css.text().await.expect("css").contains(".card"));
    let cached = browser
        .http
        .get(app.url("/static/tessera.css"))
        .header("if-none-match", &etag)
        .send()
        .await
        .expect("revalidate");
    assert_eq!(cached.status(), 304);
    assert_eq!(
        browser.get(&app.url("/static/favicon.svg")).await.status(),
        200
    );
    assert_eq!(
        browser.get(&app.url("/static/missing.css")).await.status(),
        404
    );
}

/// Send a request head and the start of its body, then nothing more; the
/// status line of the answer, and whether the connection was then closed.
async fn starved_request(
    app: &TestApp,
    path: &str,
    chunked: bool,
    token: Option<&str>,
) -> (String, bool) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(app.addr())
        .await
        .expect("connect");
    let framing = if chunked {
        "Transfer-Encoding: chunked\r\n\r\n5\r\ngrant\r\n".to_string()
    } else {
        "Content-Length: 100\r\n\r\ngrant_type=".to_string()
    };
    let auth = token
        .map(|t| format!("Authorization: Bearer {t}\r\nContent-Type: application/json\r\n"))
        .unwrap_or_else(|| "Content-Type: application/x-www-form-urlencoded\r\n".into());
    let head = format!("POST {path} HTTP/1.1\r\nHost: {AUTH_HOST}\r\n{auth}{framing}");
    stream.write_all(head.as_bytes()).await.expect("write");
    let mut answer = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(20), async {
        let mut buf = [0u8; 4096];
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => return true,
                Ok(n) => answer.extend_from_slice(&buf[..n]),
            }
        }
    })
    .await;
    let text = String::from_utf8_lossy(&answer).to_string();
    let status = text.lines().next().unwrap_or_default().to_string();
    (status, read.unwrap_or(false))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_body_that_never_arrives_gets_a_408_and_its_connection_is_closed() {
    let app = spawn_app_with(|s| s.request_body_timeout = Duration::from_secs(1)).await;
    let admin = app
        .create_client(tessera::admin::clients::NewClient {
            id: Some("automation".into()),
            name: "automation".into(),
            grant_types: vec![tessera::domain::GrantType::ClientCredentials],
            scopes: vec!["admin:write".into()],
            ..tessera::admin::clients::NewClient::default()
        })
        .await;
    let token: serde_json::Value =
        token_request(&app, &admin, &[("grant_type", "client_credentials")])
            .await
            .json()
            .await
            .expect("json");
    let token = field(&token, "access_token");
    let mut cases = Vec::new();
    for chunked in [false, true] {
        for path in ["/token", "/introspect", "/revoke", "/login"] {
            cases.push((path, chunked, None));
        }
        cases.push(("/admin/api/v1/users", chunked, Some(token.as_str())));
    }
    let answers = futures_util::future::join_all(
        cases
            .iter()
            .map(|(path, chunked, token)| starved_request(&app, path, *chunked, *token)),
    )
    .await;
    for ((path, chunked, _), (status, closed)) in cases.iter().zip(answers) {
        assert!(
            status.starts_with("HTTP/1.1 408"),
            "{path} (chunked: {chunked}): {status:?}"
        );
        assert!(
            closed,
            "{path} (chunked: {chunked}): the connection is closed"
        );
    }
}
