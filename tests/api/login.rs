//! The hosted login page: CSRF, one generic error, throttling, the session
//! cookie's attributes, and a session that outlives a restart.

use tessera::admin::users::set_disabled;
use tessera::domain::{Actor, PasswordHash, Secret, Username};

use crate::helpers::*;

/// Start an authorization request and return the login page URL.
async fn login_url(app: &TestApp, browser: &Browser, client: &TestClient) -> String {
    let (_, challenge) = pkce_pair();
    let redirect = redirect_of(
        &browser
            .authorize(&code_params(client, &challenge, "s", "n"))
            .await,
        &app.issuer,
    );
    assert_eq!(redirect.location.path(), "/login");
    redirect.location.to_string()
}

fn set_cookies(response: &reqwest::Response) -> Vec<String> {
    response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok().map(str::to_string))
        .collect()
}

#[tokio::test]
async fn a_login_form_without_a_valid_csrf_token_is_rejected() {
    let app = spawn_app().await;
    app.create_user("alice").await;
    let client = app.confidential_client("app1", APP1_HOST).await;
    let browser = app.browser();
    let url = login_url(&app, &browser, &client).await;
    let html = browser.get(&url).await.text().await.expect("html");
    let request = hidden_field(&html, "request").expect("request id");

    for csrf in [None, Some("forged-token")] {
        let mut form = vec![
            ("username", "alice"),
            ("password", PASSWORD),
            ("request", request.as_str()),
        ];
        if let Some(token) = csrf {
            form.push(("csrf_token", token));
        }
        let response = browser.post_form(&app.url("/login"), &form).await;
        assert_eq!(response.status(), 403);
        assert!(
            !set_cookies(&response)
                .iter()
                .any(|c| c.starts_with("tessera_session=")),
            "no session without a valid CSRF token"
        );
    }

    // The token of another browser does not work either: it is bound to a cookie.
    let other = app.browser();
    let other_html = other.get(&url).await.text().await.expect("html");
    let stolen = hidden_field(&other_html, "csrf_token").expect("token");
    let form = [
        ("username", "alice"),
        ("password", PASSWORD),
        ("request", request.as_str()),
        ("csrf_token", stolen.as_str()),
    ];
    assert_eq!(
        browser.post_form(&app.url("/login"), &form).await.status(),
        403
    );

    // The form still works afterwards.
    let response = browser.submit_login(&url, "alice", PASSWORD).await;
    assert!(redirect_of(&response, &app.issuer).has_param("code"));
}

#[tokio::test]
async fn wrong_passwords_and_unknown_users_get_the_same_answer() {
    let app = spawn_app().await;
    app.create_user("alice").await;
    let client = app.confidential_client("app1", APP1_HOST).await;
    let browser = app.browser();
    let url = login_url(&app, &browser, &client).await;

    let wrong = browser.submit_login(&url, "alice", "wrong password").await;
    assert_eq!(wrong.status(), 401);
    let wrong_html = wrong.text().await.expect("html");
    let unknown = browser.submit_login(&url, "mallory", PASSWORD).await;
    assert_eq!(unknown.status(), 401);
    let unknown_html = unknown.text().await.expect("html");
    assert!(wrong_html.contains("Incorrect username or password."));
    assert!(unknown_html.contains("Incorrect username or password."));
    assert!(
        !wrong_html.contains(PASSWORD) && !wrong_html.contains("wrong password"),
        "the password is not echoed"
    );
}

/// `PASSWORD` hashed with argon2id's parameters before 7 MiB, five passes:
/// m=19456 KiB, t=2, p=1.
const OLD_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$6sFbvjUhJaxyf1F+grXnWQ$h6F/hKePm6J9owdtsu6T3U7RdtPUdUR124DU64j960s";

async fn stored_hash(app: &TestApp, username: &str) -> PasswordHash {
    app.services
        .store
        .user_by_username(&Username::parse(username).expect("name"))
        .await
        .expect("read")
        .expect("user")
        .password_hash
}

#[tokio::test]
async fn a_password_hashed_with_older_parameters_is_hashed_again_at_sign_in() {
    let app = spawn_app().await;
    let alice = app.create_user("alice").await;
    let mut unit = app.services.store.unit().await.expect("unit");
    unit.set_password_hash(
        &alice.id,
        &PasswordHash::from_trusted(OLD_HASH.into()),
        app.now(),
    )
    .await
    .expect("old hash");
    unit.commit().await.expect("commit");
    let client = app.confidential_client("app1", APP1_HOST).await;

    // A wrong password changes nothing.
    let browser = app.browser();
    let url = login_url(&app, &browser, &client).await;
    let wrong = browser.submit_login(&url, "alice", "wrong password").await;
    assert_eq!(wrong.status(), 401);
    assert_eq!(stored_hash(&app, "alice").await.as_str(), OLD_HASH);

    // The right one signs in, and the hash is made again with today's
    // parameters: the same password, a new salt.
    let first = app.browser();
    login_and_exchange(&app, &first, &client, "alice").await;
    let rehashed = stored_hash(&app, "alice").await;
    assert!(
        rehashed
            .as_str()
            .starts_with("$argon2id$v=19$m=7168,t=5,p=1$"),
        "{}",
        rehashed.as_str()
    );
    assert!(rehashed.verify(&Secret::new(PASSWORD)));

    // Not a password change: the session stays, and the next sign-in uses
    // the new hash as it is.
    let second = app.browser();
    login_and_exchange(&app, &second, &client, "alice").await;
    assert_eq!(stored_hash(&app, "alice").await, rehashed);
    assert!(signed_in(&first, &client).await);
}

/// A rehash stores only over the hash it was made from: a password set
/// in the meantime is not overwritten by the old password's new hash.
#[tokio::test]
async fn a_rehash_never_overwrites_a_password_set_in_the_meantime() {
    let app = spawn_app().await;
    let alice = app.create_user("alice").await;
    let set_meanwhile = stored_hash(&app, "alice").await;
    let old = PasswordHash::from_trusted(OLD_HASH.into());
    let rehashed = PasswordHash::create(&Secret::new(PASSWORD)).expect("hash");
    let store = &app.services.store;
    assert!(
        !store
            .upgrade_password_hash(&alice.id, &old, &rehashed)
            .await
            .expect("upgrade")
    );
    assert_eq!(stored_hash(&app, "alice").await, set_meanwhile);
    assert!(
        store
            .upgrade_password_hash(&alice.id, &set_meanwhile, &rehashed)
            .await
            .expect("upgrade")
    );
    assert_eq!(stored_hash(&app, "alice").await, rehashed);
}

#[tokio::test]
async fn a_disabled_user_cannot_sign_in() {
    let app = spawn_app().await;
    app.create_user("alice").await;
    set_disabled(&app.services.store, "alice", true, Actor::Cli, app.now())
        .await
        .expect("disable");
    let client = app.confidential_client("app1", APP1_HOST).await;
    let browser = app.browser();
    let url = login_url(&app, &browser, &client).await;
    let response = browser.submit_login(&url, "alice", PASSWORD).await;
    assert_eq!(response.status(), 401);
}

#[tokio::test]
async fn repeated_failures_for_one_account_are_throttled() {
    let app = spawn_app_with(|s| s.login_max_failures_per_account = 3).await;
    app.create_user("alice").await;
    let client = app.confidential_client("app1", APP1_HOST).await;
    let browser = app.browser();
    let url = login_url(&app, &browser, &client).await;
    for _ in 0..3 {
        assert_eq!(
            browser.submit_login(&url, "alice", "nope").await.status(),
            401
        );
    }
    let throttled = browser.submit_login(&url, "alice", PASSWORD).await;
    assert_eq!(
        throttled.status(),
        429,
        "even the right password waits once the limit is hit"
    );
    assert!(
        throttled
            .text()
            .await
            .expect("html")
            .contains("Too many failed attempts")
    );
}

#[tokio::test]
async fn repeated_failures_from_one_address_are_throttled_across_accounts() {
    let app = spawn_app_with(|s| s.login_max_failures_per_ip = 4).await;
    app.create_user("alice").await;
    let client = app.confidential_client("app1", APP1_HOST).await;
    let browser = app.browser();
    let url = login_url(&app, &browser, &client).await;
    for i in 0..4 {
        let name = format!("guess{i}");
        assert_eq!(
            browser.submit_login(&url, &name, "nope").await.status(),
            401
        );
    }
    assert_eq!(
        browser.submit_login(&url, "alice", PASSWORD).await.status(),
        429
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn twenty_thousand_long_random_usernames_from_one_address_leave_memory_and_the_audit_log_bounded()
 {
    let app = spawn_app().await;
    let browser = app.browser();
    let page = browser
        .get(&app.url("/login"))
        .await
        .text()
        .await
        .expect("html");
    let csrf = hidden_field(&page, "csrf_token").expect("csrf");
    let keys_before = app
        .state
        .provider
        .store()
        .ephemeral_key_count()
        .await
        .expect("count");

    let statuses = futures_util::future::join_all((0..16).map(|worker| {
        let (http, url, csrf) = (browser.http.clone(), app.url("/login"), csrf.clone());
        tokio::spawn(async move {
            let mut statuses = std::collections::BTreeMap::<u16, u32>::new();
            for i in 0..20_000 / 16 {
                let username = format!("{worker}-{i}-{}", "x".repeat(10 * 1024));
                let status = http
                    .post(&url)
                    .form(&[
                        ("username", username.as_str()),
                        ("password", "guess"),
                        ("csrf_token", csrf.as_str()),
                    ])
                    .send()
                    .await
                    .expect("POST /login")
                    .status()
                    .as_u16();
                *statuses.entry(status).or_default() += 1;
            }
            statuses
        })
    }))
    .await;
    let mut total = std::collections::BTreeMap::<u16, u32>::new();
    for worker in statuses {
        for (status, n) in worker.expect("worker") {
            *total.entry(status).or_default() += n;
        }
    }
    assert_eq!(total.get(&401), Some(&50), "the address limit: {total:?}");
    assert_eq!(total.get(&429), Some(&(20_000 - 50)), "{total:?}");

    let keys_after = app
        .state
        .provider
        .store()
        .ephemeral_key_count()
        .await
        .expect("count");
    assert!(
        keys_after - keys_before <= 3,
        "no counter per name tried: {keys_before} keys before, {keys_after} after"
    );
    let sign_ins = app
        .services
        .store
        .audit_events(&tessera::store::AuditQuery {
            action: Some("sign_in".into()),
            limit: 1000,
            ..Default::default()
        })
        .await
        .expect("audit");
    let throttled = sign_ins.iter().filter(|r| r.outcome == "throttled").count();
    assert_eq!(sign_ins.len(), 51, "50 failures and one throttled record");
    assert_eq!(throttled, 1, "one record per address and window");
    assert!(
        sign_ins
            .iter()
            .all(|r| r.target.as_deref().is_some_and(|t| t.len() <= 80)),
        "targets are bounded"
    );
}

#[tokio::test]
async fn the_address_limit_lifts_when_its_window_has_passed() {
    let app = spawn_app_with(|s| s.login_max_failures_per_ip = 2).await;
    app.create_user("alice").await;
    let client = app.confidential_client("app1", APP1_HOST).await;
    let browser = app.browser();
    let url = login_url(&app, &browser, &client).await;
    for name in ["guess0", "guess1"] {
        assert_eq!(browser.submit_login(&url, name, "nope").await.status(), 401);
    }
    assert_eq!(
        browser.submit_login(&url, "alice", PASSWORD).await.status(),
        429
    );
    // 15 minutes after the first failure, the window is over.
    app.clock.advance(15 * 60 - 1);
    assert_eq!(
        browser.submit_login(&url, "alice", PASSWORD).await.status(),
        429,
        "one second short of the window"
    );
    app.clock.advance(1);
    let url = login_url(&app, &browser, &client).await;
    let response = browser.submit_login(&url, "alice", PASSWORD).await;
    assert!(response.status().is_redirection(), "{}", response.status());
}

#[tokio::test]
async fn ipv6_addresses_of_one_slash_64_share_one_limit() {
    let app = spawn_app_with(|s| {
        s.login_max_failures_per_ip = 3;
        s.login_max_failures_per_account = 100;
        s.trusted_proxies = vec!["127.0.0.0/8".parse().expect("network")];
    })
    .await;
    app.create_user("alice").await;
    let client = app.confidential_client("app1", APP1_HOST).await;
    // One actor, a fresh address of its /64 for every attempt.
    for i in 1..=3 {
        let attacker = via_proxy(&app, &format!("2001:db8:a:b::{i:x}"));
        let url = login_url(&app, &attacker, &client).await;
        let name = format!("guess{i}");
        assert_eq!(
            attacker.submit_login(&url, &name, "nope").await.status(),
            401
        );
    }
    let attacker = via_proxy(&app, "2001:db8:a:b:ffff:ffff:ffff:fffe");
    let url = login_url(&app, &attacker, &client).await;
    assert_eq!(
        attacker
            .submit_login(&url, "alice", PASSWORD)
            .await
            .status(),
        429,
        "the /64 is throttled"
    );
    // The next /64 is someone else.
    let neighbour = via_proxy(&app, "2001:db8:a:c::1");
    let url = login_url(&app, &neighbour, &client).await;
    let response = neighbour.submit_login(&url, "alice", PASSWORD).await;
    assert!(response.status().is_redirection(), "{}", response.status());
}

/// A browser behind a proxy that reports `client` in `X-Forwarded-For`.
fn via_proxy(app: &TestApp, client: &str) -> Browser {
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert("x-forwarded-for", client.parse().expect("a header value"));
    app.browser_with_headers(headers)
}

#[tokio::test]
async fn behind_a_trusted_proxy_each_forwarded_client_is_throttled_on_its_own() {
    let app = spawn_app_with(|s| {
        s.login_max_failures_per_ip = 2;
        s.login_max_failures_per_account = 100;
        s.trusted_proxies = vec!["127.0.0.0/8".parse().expect("network")];
    })
    .await;
    app.create_user("alice").await;
    let client = app.confidential_client("app1", APP1_HOST).await;

    let attacker = via_proxy(&app, "203.0.113.66");
    let url = login_url(&app, &attacker, &client).await;
    for i in 0..2 {
        let name = format!("guess{i}");
        assert_eq!(
            attacker.submit_login(&url, &name, "nope").await.status(),
            401
        );
    }
    let url = login_url(&app, &attacker, &client).await;
    assert_eq!(
        attacker
            .submit_login(&url, "alice", PASSWORD)
            .await
            .status(),
        429,
        "the forwarded address is throttled"
    );

    // Another user behind the same proxy is not locked out with it.
    let user = via_proxy(&app, "198.51.100.7");
    let url = login_url(&app, &user, &client).await;
    let response = user.submit_login(&url, "alice", PASSWORD).await;
    assert!(response.status().is_redirection(), "{}", response.status());
}

#[tokio::test]
async fn forwarded_for_from_an_untrusted_peer_is_ignored() {
    let app = spawn_app_with(|s| {
        s.login_max_failures_per_ip = 2;
        s.login_max_failures_per_account = 100;
    })
    .await;
    app.create_user("alice").await;
    let client = app.confidential_client("app1", APP1_HOST).await;

    // Claiming a fresh address on every attempt does not escape the limit.
    for (i, claimed) in ["203.0.113.1", "203.0.113.2"].iter().enumerate() {
        let browser = via_proxy(&app, claimed);
        let url = login_url(&app, &browser, &client).await;
        let name = format!("guess{i}");
        assert_eq!(
            browser.submit_login(&url, &name, "nope").await.status(),
            401
        );
    }
    let browser = via_proxy(&app, "203.0.113.3");
    let url = login_url(&app, &browser, &client).await;
    assert_eq!(
        browser.submit_login(&url, "alice", PASSWORD).await.status(),
        429
    );
}

#[tokio::test]
async fn the_login_page_is_a_proper_form_with_protective_headers() {
    let app = spawn_app().await;
    let client = app.confidential_client("app1", APP1_HOST).await;
    let browser = app.browser();
    let url = login_url(&app, &browser, &client).await;
    let response = browser.get(&url).await;
    let headers = response.headers().clone();
    assert_eq!(headers["x-frame-options"], "DENY");
    assert!(
        headers["content-security-policy"]
            .to_str()
            .expect("csp")
            .contains("frame-ancestors 'none'")
    );
    assert_eq!(headers["cache-control"], "no-store");
    let html = response.text().await.expect("html");
    assert!(html.contains("autocomplete=\"username\""));
    assert!(html.contains("autocomplete=\"current-password\""));
    assert!(html.contains("app1 app"), "the page names the client");
    assert!(
        !html.contains("https://") && !html.contains("src=\"//"),
        "no external assets"
    );
    assert!(html.contains("/static/tessera.css"));
    let css = browser.get(&app.url("/static/tessera.css")).await;
    assert_eq!(css.status(), 200);
}

/// `name=value` of the Set-Cookie named `name`, with its attributes.
fn cookie_named(cookies: &[String], name: &str) -> String {
    cookies
        .iter()
        .find(|c| c.starts_with(&format!("{name}=")))
        .unwrap_or_else(|| panic!("a {name} cookie in {cookies:?}"))
        .clone()
}

fn cookie_value(cookie: &str) -> String {
    cookie
        .split_once('=')
        .and_then(|(_, rest)| rest.split(';').next())
        .expect("value")
        .to_string()
}

#[tokio::test]
async fn the_session_cookie_is_host_only_and_the_gateway_cookie_has_its_own_secret() {
    let app = spawn_app().await;
    app.create_user("alice").await;
    let client = app.confidential_client("app1", APP1_HOST).await;
    let browser = app.browser();
    let url = login_url(&app, &browser, &client).await;
    let response = browser.submit_login(&url, "alice", PASSWORD).await;
    let cookies = set_cookies(&response);

    let session = cookie_named(&cookies, "tessera_session");
    let lower = session.to_ascii_lowercase();
    assert!(lower.contains("httponly"), "{session}");
    assert!(lower.contains("samesite=lax"), "{session}");
    assert!(!lower.contains("domain="), "host-only: {session}");
    assert!(lower.contains("path=/"), "{session}");
    assert!(!lower.contains("secure"), "plain http issuer: {session}");
    assert!(cookie_value(&session).len() >= 22, "at least 128 bits");

    let gateway = cookie_named(&cookies, "tessera_gateway");
    let lower = gateway.to_ascii_lowercase();
    assert!(lower.contains("domain=example.test"), "{gateway}");
    assert!(lower.contains("httponly"), "{gateway}");
    assert!(lower.contains("samesite=lax"), "{gateway}");
    assert_ne!(
        cookie_value(&gateway),
        cookie_value(&session),
        "a secret of its own"
    );

    // What a sibling subdomain receives is the gateway cookie alone.
    let sibling = browser.cookies_for(&format!("http://{APP1_HOST}/"));
    assert!(sibling.contains("tessera_gateway="), "{sibling}");
    assert!(!sibling.contains("tessera_session="), "{sibling}");

    // It is bound to the same session, stored hashed, and ends with it.
    let (session_row, user) = app
        .state
        .provider
        .gateway_session(Some(&cookie_value(&gateway)), app.now())
        .await
        .expect("lookup")
        .expect("the gateway cookie names the session");
    assert_eq!(user.username.as_str(), "alice");
    assert_eq!(
        session_row.gateway_hash.as_deref(),
        Some(tessera::domain::crypto::sha256_hex(cookie_value(&gateway).as_bytes()).as_str())
    );
    browser.sign_out().await;
    assert!(
        app.state
            .provider
            .gateway_session(Some(&cookie_value(&gateway)), app.now())
            .await
            .expect("lookup")
            .is_none(),
        "ended with the session"
    );
}

#[tokio::test]
async fn the_gateway_cookie_replayed_to_tesseras_own_pages_is_no_session() {
    let app = spawn_app().await;
    app.create_user("alice").await;
    let client = app.confidential_client("app1", APP1_HOST).await;
    let browser = app.browser();
    let url = login_url(&app, &browser, &client).await;
    let response = browser.submit_login(&url, "alice", PASSWORD).await;
    let gateway = cookie_named(&set_cookies(&response), "tessera_gateway");
    let gateway = gateway.split(';').next().expect("name=value").to_string();

    // What a sibling subdomain holds, replayed to Tessera itself.
    let replay = |path: String| {
        app.http()
            .get(app.url(&path))
            .header("cookie", gateway.as_str())
            .send()
    };
    let (_, challenge) = pkce_pair();
    let mut silent = url::Url::parse(&app.url("/authorize")).expect("url");
    silent
        .query_pairs_mut()
        .extend_pairs(code_params(&client, &challenge, "s", "n"))
        .append_pair("prompt", "none");
    let authorize = replay(format!("/authorize?{}", silent.query().expect("query")))
        .await
        .expect("authorize");
    let answer = redirect_of(&authorize, &app.issuer);
    assert_eq!(answer.param("error").as_deref(), Some("login_required"));

    let account = replay("/account".into()).await.expect("account");
    assert_eq!(redirect_of(&account, &app.issuer).location.path(), "/login");

    let console = replay("/admin".into()).await.expect("admin");
    assert_eq!(console.status(), 200);
    let html = console.text().await.expect("html");
    assert!(html.contains("/admin/sign-in"), "only the sign-in form");
    assert!(
        !html.contains("value=\"alice\""),
        "nobody is signed in: {html}"
    );

    let logout = replay("/logout".into()).await.expect("logout");
    assert_eq!(logout.status(), 200);
    let html = logout.text().await.expect("html");
    assert!(!html.contains("alice"), "nobody to sign out: {html}");

    // And the session it belongs to is untouched.
    assert!(signed_in(&browser, &client).await);
}

#[tokio::test]
async fn cookies_are_secure_and_host_prefixed_when_the_issuer_is_https() {
    let app = spawn_app_with(|s| s.issuer = s.issuer.replace("http://", "https://")).await;
    app.create_user("alice").await;
    // The listener itself speaks plain HTTP (TLS ends at a proxy in front),
    // so the cookie jar would not send Secure cookies: handle them by hand.
    let http = app.http();
    let page = http
        .get(format!("http://{AUTH_HOST}:{}/login", app.port))
        .send()
        .await
        .expect("login page");
    let cookies = set_cookies(&page);
    let csrf_cookie = cookie_named(&cookies, "__Host-tessera_csrf");
    assert!(
        csrf_cookie.to_ascii_lowercase().contains("secure"),
        "{csrf_cookie}"
    );
    let html = page.text().await.expect("html");
    let csrf = hidden_field(&html, "csrf_token").expect("csrf field");
    let signed_in = http
        .post(format!("http://{AUTH_HOST}:{}/login", app.port))
        .header(
            "cookie",
            format!("__Host-tessera_csrf={}", cookie_value(&csrf_cookie)),
        )
        .form(&[
            ("username", "alice"),
            ("password", PASSWORD),
            ("csrf_token", csrf.as_str()),
        ])
        .send()
        .await
        .expect("sign in");
    assert_eq!(signed_in.status(), 303);
    let cookies = set_cookies(&signed_in);
    let session = cookie_named(&cookies, "__Host-tessera_session");
    let lower = session.to_ascii_lowercase();
    assert!(
        lower.contains("secure") && lower.contains("path=/"),
        "{session}"
    );
    assert!(!lower.contains("domain="), "{session}");
    let gateway = cookie_named(&cookies, "__Secure-tessera_gateway");
    let lower = gateway.to_ascii_lowercase();
    assert!(lower.contains("secure"), "{gateway}");
    assert!(lower.contains("domain=example.test"), "{gateway}");
    assert!(
        !cookies.iter().any(|c| c.starts_with("tessera_session=")),
        "no unprefixed session cookie over https: {cookies:?}"
    );
}

#[tokio::test]
async fn a_session_survives_a_restart() {
    let app = spawn_app().await;
    app.create_user("alice").await;
    let client = app.confidential_client("app1", APP1_HOST).await;
    let browser = app.browser();
    login_and_exchange(&app, &browser, &client, "alice").await;

    // The server stops and starts again on the same database and port:
    // the browser's cookie still works.
    let _restarted = app.restart().await;
    assert!(signed_in(&browser, &client).await);
}
