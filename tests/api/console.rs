//! The admin console: who may enter and how, its own cookie, fresh
//! authentication, idle and SSO-bound ends, CSRF and same-origin checks,
//! typed confirmations, and the pages doing their work.

use crate::gateway::*;
use crate::helpers::*;

const ADMIN_PASSWORD: &str = "bootstrap-admin-password";

fn set_cookies(response: &reqwest::Response) -> Vec<String> {
    response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok().map(str::to_string))
        .collect()
}

/// Sign `username` in on the console's own sign-in form (what `/admin`
/// shows without a console session); the form's answer.
async fn enter(
    app: &TestApp,
    browser: &Browser,
    username: &str,
    password: &str,
) -> reqwest::Response {
    let door = browser.get(&app.url("/admin")).await;
    assert_eq!(door.status(), 200, "the console's sign-in form");
    let html = door.text().await.expect("html");
    assert!(html.contains("action=\"/admin/sign-in\""), "{html}");
    let csrf = hidden_field(&html, "csrf_token").expect("a CSRF field");
    browser
        .post_form(
            &app.url("/admin/sign-in"),
            &[
                ("username", username),
                ("password", password),
                ("csrf_token", &csrf),
            ],
        )
        .await
}

/// An administrator inside the console; returns the CSRF token of its forms.
async fn admin_in_console(app: &TestApp, browser: &Browser) -> String {
    let opened = enter(app, browser, "admin", ADMIN_PASSWORD).await;
    assert_eq!(
        redirect_of(&opened, &app.issuer).location.path(),
        "/admin",
        "into the console"
    );
    let cookies = set_cookies(&opened);
    let console = cookies
        .iter()
        .find(|c| c.starts_with("tessera_admin="))
        .unwrap_or_else(|| panic!("a console cookie: {cookies:?}"));
    assert!(console.contains("Path=/admin"), "{console}");
    assert!(console.contains("SameSite=Strict"), "{console}");
    assert!(console.contains("HttpOnly"), "{console}");
    assert!(!console.contains("Domain="), "host-only: {console}");
    let overview = browser.get(&app.url("/admin")).await;
    assert_eq!(overview.status(), 200);
    let html = overview.text().await.expect("html");
    assert!(html.contains("Overview"), "{html}");
    hidden_field(&html, "csrf_token").expect("the console's CSRF token")
}

#[tokio::test]
async fn an_administrator_enters_through_the_consoles_sign_in_form() {
    let app = spawn_app().await;
    let browser = app.browser();
    let csrf = admin_in_console(&app, &browser).await;
    assert!(csrf.len() >= 40);
    let page = browser.get(&app.url("/admin")).await;
    let csp = page.headers()["content-security-policy"]
        .to_str()
        .expect("csp")
        .to_string();
    assert!(
        !csp.contains("script-src") && csp.contains("default-src 'none'"),
        "no script at all: {csp}"
    );
    assert!(csp.contains("frame-ancestors 'none'"));
    assert_eq!(page.headers()["x-frame-options"], "DENY");
    for path in [
        "/admin/users",
        "/admin/clients",
        "/admin/sessions",
        "/admin/keys",
        "/admin/audit",
        "/admin/users/new",
        "/admin/clients/new",
    ] {
        assert_eq!(browser.get(&app.url(path)).await.status(), 200, "{path}");
    }
}

#[tokio::test]
async fn anyone_else_is_refused() {
    let app = spawn_app().await;
    app.create_user("alice").await;
    let browser = app.browser();
    let refused = enter(&app, &browser, "alice", PASSWORD).await;
    assert_eq!(refused.status(), 403);
    assert!(
        !set_cookies(&refused)
            .iter()
            .any(|c| c.starts_with("tessera_admin=") || c.starts_with("tessera_session=")),
        "neither a console session nor an SSO session"
    );
    assert!(
        refused
            .text()
            .await
            .expect("html")
            .contains("Administrators only")
    );
    // Signed in on the hosted page, her SSO session opens no console page or API.
    browser
        .submit_login(&app.url("/login"), "alice", PASSWORD)
        .await;
    for path in ["/admin/users", "/admin/sessions"] {
        let response = browser.get(&app.url(path)).await;
        assert_eq!(
            redirect_of(&response, &app.issuer).location.path(),
            "/admin",
            "{path}"
        );
    }
    assert_eq!(
        browser.get(&app.url("/admin/api/v1/users")).await.status(),
        401
    );
}

#[tokio::test]
async fn the_sso_cookie_alone_never_authorizes_an_admin_action() {
    let app = spawn_app().await;
    let browser = app.browser();
    let csrf = admin_in_console(&app, &browser).await;
    // The same browser without its console cookie: only the SSO cookie.
    let sso_only = app.browser();
    for cookie in browser.cookies_for(&app.url("/")).split("; ") {
        if cookie.starts_with("tessera_session=") || cookie.starts_with("tessera_csrf=") {
            sso_only
                .jar
                .add_cookie_str(cookie, &url::Url::parse(&app.url("/")).expect("url"));
        }
    }
    let response = sso_only
        .post_form(
            &app.url("/admin/users"),
            &[("csrf_token", &csrf), ("username", "mallory")],
        )
        .await;
    assert_eq!(response.status(), 403);
    let api = sso_only
        .http
        .post(app.url("/admin/api/v1/users"))
        .header("x-csrf-token", &csrf)
        .json(&serde_json::json!({ "username": "mallory" }))
        .send()
        .await
        .expect("post");
    assert_eq!(api.status(), 401);
    assert!(
        app.services
            .store
            .user_by_username(&tessera::domain::Username::parse("mallory").expect("name"))
            .await
            .expect("lookup")
            .is_none()
    );
}

#[tokio::test]
async fn forms_need_the_csrf_token_and_the_same_origin() {
    let app = spawn_app().await;
    let browser = app.browser();
    let csrf = admin_in_console(&app, &browser).await;

    let missing = browser
        .post_form(&app.url("/admin/users"), &[("username", "mallory")])
        .await;
    assert_eq!(missing.status(), 403);
    let forged = browser
        .post_form(
            &app.url("/admin/users"),
            &[("username", "mallory"), ("csrf_token", "forged")],
        )
        .await;
    assert_eq!(forged.status(), 403);
    let cross_site = browser
        .http
        .post(app.url("/admin/users"))
        .header("origin", "https://evil.example.test")
        .form(&[("username", "mallory"), ("csrf_token", csrf.as_str())])
        .send()
        .await
        .expect("post");
    assert_eq!(cross_site.status(), 403);
    let fetch_site = browser
        .http
        .post(app.url("/admin/users"))
        .header("sec-fetch-site", "cross-site")
        .form(&[("username", "mallory"), ("csrf_token", csrf.as_str())])
        .send()
        .await
        .expect("post");
    assert_eq!(fetch_site.status(), 403);

    let same_site = browser
        .http
        .post(app.url("/admin/users"))
        .header("origin", &app.base)
        .header("sec-fetch-site", "same-origin")
        .form(&[("username", "carol"), ("csrf_token", csrf.as_str())])
        .send()
        .await
        .expect("post");
    assert_eq!(
        same_site.status(),
        200,
        "the generated password is shown once"
    );
    let html = same_site.text().await.expect("html");
    assert!(html.contains("carol was created"));

    // The admin API from the console: its cookie and the CSRF header.
    let api = |token: Option<&str>| {
        let mut request = browser
            .http
            .post(app.url("/admin/api/v1/users"))
            .json(&serde_json::json!({ "username": "dora" }));
        if let Some(token) = token {
            request = request.header("x-csrf-token", token);
        }
        request.send()
    };
    assert_eq!(api(None).await.expect("post").status(), 403);
    assert_eq!(api(Some(&csrf)).await.expect("post").status(), 201);
    let listed = browser
        .get(&app.url("/admin/api/v1/users?search=dora"))
        .await;
    assert_eq!(listed.status(), 200, "reads need no CSRF header");
}

#[tokio::test]
async fn the_sso_cookie_replayed_to_the_console_mints_nothing_however_fresh_its_sign_in() {
    let app = spawn_app().await;
    // The administrator signs in to an ordinary application, just now.
    let victim = app.browser();
    let signed_in = victim
        .submit_login(&app.url("/login"), "admin", ADMIN_PASSWORD)
        .await;
    assert_eq!(redirect_of(&signed_in, &app.issuer).location.path(), "/");
    let sso = victim
        .cookies_for(&app.url("/"))
        .split("; ")
        .find(|c| c.starts_with("tessera_session="))
        .expect("the SSO cookie")
        .to_string();

    // A server replays that cookie alone: no Origin, no Sec-Fetch-*.
    let replay = |path: &str| {
        app.http()
            .get(app.url(path))
            .header("cookie", sso.as_str())
            .send()
    };
    let door = replay("/admin").await.expect("GET /admin");
    assert_eq!(door.status(), 200, "the sign-in form, nothing more");
    assert!(
        !set_cookies(&door)
            .iter()
            .any(|c| c.starts_with("tessera_admin=")),
        "no console cookie from a GET"
    );
    assert!(door.text().await.expect("html").contains("/admin/sign-in"));
    let users = replay("/admin/users").await.expect("GET /admin/users");
    assert_eq!(redirect_of(&users, &app.issuer).location.path(), "/admin");
    assert_eq!(
        replay("/admin/api/v1/users").await.expect("api").status(),
        401
    );

    // Even the right password, posted without the console page's origin,
    // opens nothing.
    let form = victim
        .get(&app.url("/admin"))
        .await
        .text()
        .await
        .expect("html");
    let csrf = hidden_field(&form, "csrf_token").expect("csrf");
    let blind = victim
        .http
        .post(app.url("/admin/sign-in"))
        .form(&[
            ("username", "admin"),
            ("password", ADMIN_PASSWORD),
            ("csrf_token", csrf.as_str()),
        ])
        .send()
        .await
        .expect("post");
    assert_eq!(blind.status(), 403);
    let cross_site = victim
        .http
        .post(app.url("/admin/sign-in"))
        .header("origin", "http://app1.example.test")
        .header("sec-fetch-site", "same-site")
        .form(&[
            ("username", "admin"),
            ("password", ADMIN_PASSWORD),
            ("csrf_token", csrf.as_str()),
        ])
        .send()
        .await
        .expect("post");
    assert_eq!(cross_site.status(), 403);
    for response in [&blind, &cross_site] {
        assert!(
            !set_cookies(response)
                .iter()
                .any(|c| c.starts_with("tessera_admin="))
        );
    }

    // The console's own form, from the console's page, with the password.
    let wrong = enter(&app, &victim, "admin", "wrong").await;
    assert_eq!(wrong.status(), 401);
    let right = enter(&app, &victim, "admin", ADMIN_PASSWORD).await;
    assert_eq!(redirect_of(&right, &app.issuer).location.path(), "/admin");
    assert!(
        set_cookies(&right)
            .iter()
            .any(|c| c.starts_with("tessera_admin="))
    );
    let overview = victim
        .get(&app.url("/admin"))
        .await
        .text()
        .await
        .expect("html");
    assert!(overview.contains("Overview"));
}

#[tokio::test]
async fn a_console_session_ends_eight_hours_after_it_began_however_busy() {
    let app = spawn_app().await;
    let browser = app.browser();
    admin_in_console(&app, &browser).await;
    // Used every 20 minutes, it never goes idle...
    for _ in 0..23 {
        app.clock.advance(20 * 60);
        assert_eq!(browser.get(&app.url("/admin/users")).await.status(), 200);
    }
    // ...but eight hours after it began it ends.
    app.clock.advance(20 * 60);
    let closed = browser.get(&app.url("/admin/users")).await;
    assert_eq!(redirect_of(&closed, &app.issuer).location.path(), "/admin");
}

#[tokio::test]
async fn the_console_session_ends_when_idle_and_with_the_sso_session() {
    let app = spawn_app().await;
    let browser = app.browser();
    admin_in_console(&app, &browser).await;

    // Used every 20 minutes it stays open...
    app.clock.advance(20 * 60);
    assert_eq!(browser.get(&app.url("/admin/users")).await.status(), 200);
    // ...30 idle minutes close it.
    app.clock.advance(30 * 60);
    let closed = browser.get(&app.url("/admin/users")).await;
    assert_eq!(redirect_of(&closed, &app.issuer).location.path(), "/admin");

    // A new console session, then Sign out of the SSO session ends it too.
    let second = app.browser();
    admin_in_console(&app, &second).await;
    second.sign_out().await;
    let after = second.get(&app.url("/admin/users")).await;
    assert_eq!(redirect_of(&after, &app.issuer).location.path(), "/admin");
}

#[tokio::test]
async fn the_console_closes_when_the_admin_role_is_taken_away() {
    let app = spawn_app().await;
    let carol = app.create_user("carol").await;
    let store = &app.services.store;
    let cli = tessera::domain::Actor::Cli;
    tessera::admin::users::set_admin(store, &carol.id, true, &cli, app.now())
        .await
        .expect("grant");
    let browser = app.browser();
    let opened = enter(&app, &browser, "carol", PASSWORD).await;
    assert_eq!(redirect_of(&opened, &app.issuer).location.path(), "/admin");
    let users = browser.get(&app.url("/admin/users")).await;
    assert_eq!(users.status(), 200, "carol is in the console");

    tessera::admin::users::set_admin(store, &carol.id, false, &cli, app.now())
        .await
        .expect("revoke");
    let after = browser.get(&app.url("/admin/users")).await;
    assert_eq!(redirect_of(&after, &app.issuer).location.path(), "/admin");
    let again = enter(&app, &browser, "carol", PASSWORD).await;
    assert_eq!(again.status(), 403, "no way back in");
    let api = browser.get(&app.url("/admin/api/v1/users")).await;
    assert_eq!(api.status(), 401, "nor the API with the console cookie");
}

/// Posts console forms with the CSRF token.
struct Console<'a> {
    app: &'a TestApp,
    browser: &'a Browser,
    csrf: String,
}

impl Console<'_> {
    async fn post(&self, path: &str, mut form: Vec<(&str, &str)>) -> reqwest::Response {
        form.push(("csrf_token", self.csrf.as_str()));
        self.browser.post_form(&self.app.url(path), &form).await
    }
}

#[tokio::test]
async fn the_console_manages_users_clients_sessions_and_keys() {
    let app = spawn_app().await;
    let admin = app.browser();
    let csrf = admin_in_console(&app, &admin).await;
    let console = Console {
        app: &app,
        browser: &admin,
        csrf: csrf.clone(),
    };

    // A user, with a chosen password.
    let created = console
        .post(
            "/admin/users",
            vec![
                ("username", "erin"),
                ("email", "erin@example.com"),
                ("password", PASSWORD),
            ],
        )
        .await;
    let user_page = redirect_of(&created, &app.issuer).location;
    let user_id = user_page.path().rsplit('/').next().expect("id").to_string();
    let erin = app.browser();
    let client_created = console
        .post(
            "/admin/clients",
            vec![
                ("kind", "confidential"),
                ("id", "shop"),
                ("name", "Shop"),
                ("redirect_uris", "https://app1.example.test/callback"),
                ("grant_authorization_code", "yes"),
                ("grant_refresh_token", "yes"),
                ("first_party", "yes"),
                ("id_token_alg", "ES256"),
                ("access_token_alg", "RS256"),
            ],
        )
        .await;
    assert_eq!(client_created.status(), 200);
    let html = client_created.text().await.expect("html");
    let secret = html
        .split("<code id=\"secret\">")
        .nth(1)
        .and_then(|rest| rest.split("</code>").next())
        .expect("the secret, shown once")
        .to_string();
    let shop = TestClient {
        id: "shop".into(),
        secret: Some(secret),
        redirect_uri: "https://app1.example.test/callback".into(),
    };
    let tokens = login_and_exchange(&app, &erin, &shop, "erin").await;

    // Her session is on the Sessions page, filtered by user and client.
    let sessions = admin
        .get(&app.url("/admin/sessions?user=erin&client=shop"))
        .await
        .text()
        .await
        .expect("html");
    let sid = jwt_payload(&field(&tokens, "id_token"))["sid"]
        .as_str()
        .expect("sid")
        .to_string();
    assert!(sessions.contains(&sid));
    let ended = console
        .post(&format!("/admin/sessions/{sid}/end"), vec![])
        .await;
    let notice = admin
        .get(redirect_of(&ended, &app.issuer).location.as_str())
        .await
        .text()
        .await
        .expect("html");
    assert!(
        notice.contains("Ended 1 session(s), revoked 1 token family"),
        "{notice}"
    );
    assert!(!signed_in(&erin, &shop).await);
    assert_eq!(
        refresh_status(&app, &shop, &field(&tokens, "refresh_token")).await,
        400
    );

    // Edit, disable, typed confirmation on delete.
    console
        .post(
            &format!("/admin/users/{user_id}"),
            vec![("email", "erin@example.org"), ("name", "Erin E")],
        )
        .await;
    let page = admin
        .get(&app.url(&format!("/admin/users/{user_id}")))
        .await
        .text()
        .await
        .expect("html");
    assert!(page.contains("erin@example.org") && page.contains("Erin E"));
    console
        .post(&format!("/admin/users/{user_id}/disable"), vec![])
        .await;
    assert!(
        admin
            .get(&app.url(&format!("/admin/users/{user_id}")))
            .await
            .text()
            .await
            .expect("html")
            .contains("disabled")
    );
    let unconfirmed = console
        .post(
            &format!("/admin/users/{user_id}/delete"),
            vec![("confirm", "nope")],
        )
        .await;
    assert_eq!(unconfirmed.status(), 422);
    let deleted = console
        .post(
            &format!("/admin/users/{user_id}/delete"),
            vec![("confirm", "erin")],
        )
        .await;
    assert_eq!(
        redirect_of(&deleted, &app.issuer).location.path(),
        "/admin/users"
    );

    // Rotate keys: six published now.
    let rotated = console.post("/admin/keys/rotate", vec![]).await;
    assert_eq!(
        redirect_of(&rotated, &app.issuer).location.path(),
        "/admin/keys"
    );
    let jwks: serde_json::Value = app
        .http()
        .get(app.url("/jwks"))
        .send()
        .await
        .expect("jwks")
        .json()
        .await
        .expect("json");
    assert_eq!(jwks["keys"].as_array().map(Vec::len), Some(6));

    // Every action is in the audit log, by this administrator.
    let audit = app
        .services
        .store
        .audit_events(&tessera::store::AuditQuery {
            limit: 100,
            ..Default::default()
        })
        .await
        .expect("audit");
    let admin_id = app
        .services
        .store
        .user_by_username(&tessera::domain::Username::parse("admin").expect("name"))
        .await
        .expect("lookup")
        .expect("admin")
        .id;
    let by_admin: Vec<&str> = audit
        .iter()
        .filter(|r| r.actor == format!("admin:{admin_id}"))
        .map(|r| r.action.as_str())
        .collect();
    for action in [
        "user.create",
        "client.create",
        "session.end",
        "user.update",
        "user.disable",
        "user.delete",
        "key.rotate",
    ] {
        assert!(by_admin.contains(&action), "{action} in {by_admin:?}");
    }
    let audit_page = admin
        .get(&app.url("/admin/audit?action=user.create"))
        .await
        .text()
        .await
        .expect("html");
    assert!(audit_page.contains("user.create"));
    assert!(
        audit_page.contains(&format!(
            "<a href=\"/admin/users/{admin_id}\" title=\"admin:{admin_id}\">admin (admin)</a>"
        )),
        "the actor by name, linked to their page: {audit_page}"
    );
    assert!(
        audit_page.contains(&format!("user:{user_id}")),
        "a deleted user as recorded"
    );

    // The administrator by username: what they did as admin and as themselves.
    let by_name = admin
        .get(&app.url("/admin/audit?actor=admin"))
        .await
        .text()
        .await
        .expect("html");
    assert!(by_name.contains("user.create") && by_name.contains("sign_in"));

    // End all sessions needs its words typed.
    let refused = console
        .post("/admin/sessions/end-all", vec![("confirm", "yes")])
        .await;
    assert_eq!(refused.status(), 422);
    let all = console
        .post(
            "/admin/sessions/end-all",
            vec![("confirm", "end all sessions")],
        )
        .await;
    assert_eq!(
        redirect_of(&all, &app.issuer).location.path(),
        "/admin/sessions"
    );
    // All of them: the administrator's own too, and the console with it.
    let out = admin.get(&app.url("/admin/sessions")).await;
    assert_eq!(redirect_of(&out, &app.issuer).location.path(), "/admin");
}

#[tokio::test]
async fn with_an_https_issuer_the_console_cookie_is_host_prefixed() {
    let app = spawn_app_with(|s| s.issuer = s.issuer.replace("http://", "https://")).await;
    // TLS ends at a proxy; the listener speaks http, so cookies go by hand.
    let http = app.http();
    let url = |path: &str| format!("http://{AUTH_HOST}:{}{path}", app.port);
    let door = http.get(url("/admin")).send().await.expect("door");
    let csrf_cookie = set_cookies(&door)
        .into_iter()
        .find(|c| c.starts_with("__Host-tessera_csrf="))
        .expect("csrf cookie");
    let csrf_value = csrf_cookie.split(';').next().expect("pair").to_string();
    let html = door.text().await.expect("html");
    let csrf = hidden_field(&html, "csrf_token").expect("csrf");
    let opened = http
        .post(url("/admin/sign-in"))
        .header("cookie", &csrf_value)
        .header("origin", app.issuer.as_str())
        .form(&[
            ("username", "admin"),
            ("password", ADMIN_PASSWORD),
            ("csrf_token", csrf.as_str()),
        ])
        .send()
        .await
        .expect("sign in");
    assert_eq!(opened.status(), 303);
    let cookies = set_cookies(&opened);
    let console = cookies
        .iter()
        .find(|c| c.starts_with("__Host-tessera_admin="))
        .unwrap_or_else(|| panic!("a __Host- console cookie: {cookies:?}"));
    for attribute in ["Secure", "HttpOnly", "SameSite=Strict", "Path=/"] {
        assert!(console.contains(attribute), "{attribute}: {console}");
    }
    assert!(!console.contains("Domain="), "{console}");
    assert!(
        !cookies.iter().any(|c| c.starts_with("tessera_admin=")),
        "no unprefixed console cookie: {cookies:?}"
    );
}

#[tokio::test]
async fn the_console_manages_groups_and_applications_and_the_gateway_follows() {
    let app = spawn_app().await;
    let erin = app.create_user("erin").await;
    let admin = app.browser();
    let csrf = admin_in_console(&app, &admin).await;
    let console = Console {
        app: &app,
        browser: &admin,
        csrf,
    };

    // A group, and erin in it from her user page.
    let made = console.post("/admin/groups", vec![("name", "Staff")]).await;
    assert_eq!(
        redirect_of(&made, &app.issuer).location.path(),
        "/admin/groups/staff"
    );
    let page = admin
        .get(&app.url(&format!("/admin/users/{}", erin.id)))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("<option value=\"staff\">staff</option>"),
        "{page}"
    );
    let added = console
        .post(
            &format!("/admin/users/{}/groups", erin.id),
            vec![("group", "staff")],
        )
        .await;
    assert_eq!(added.status(), 303);
    let group_page = admin
        .get(&app.url("/admin/groups/staff"))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        group_page.contains(&format!("/admin/users/{}\">erin</a>", erin.id)),
        "{group_page}"
    );
    let list = admin
        .get(&app.url("/admin/groups"))
        .await
        .text()
        .await
        .unwrap();
    assert!(list.contains("<td>1</td>"), "one member: {list}");

    // An application for the group; a host outside the cookie domain is
    // refused with the reason, on the form again.
    let outside = console
        .post(
            "/admin/apps",
            vec![
                ("name", "Wiki"),
                ("host", "wiki.other.test"),
                ("alg", "ES256"),
            ],
        )
        .await;
    assert_eq!(outside.status(), 422);
    let html = outside.text().await.unwrap();
    assert!(
        html.contains("not under the gateway cookie&#39;s domain example.test")
            || html.contains("not under the gateway cookie's domain example.test"),
        "{html}"
    );
    assert!(
        html.contains("value=\"wiki.other.test\""),
        "what was typed is kept"
    );
    let created = console
        .post(
            "/admin/apps",
            vec![
                ("name", "Wiki"),
                ("host", GATED_HOST),
                ("alg", "EdDSA"),
                ("groups", "staff"),
                ("users", ""),
                ("audience", ""),
            ],
        )
        .await;
    let app_page = redirect_of(&created, &app.issuer).location;
    let listed = admin
        .get(&app.url("/admin/apps"))
        .await
        .text()
        .await
        .unwrap();
    assert!(listed.contains("group staff"), "{listed}");

    // The gateway lets erin in, with the algorithm chosen.
    let browser = app.browser();
    sign_in_through_gateway(&app, &browser, "erin").await;
    let jwt = internal_jwt(&ask_page(&app, &browser).await);
    assert_eq!(jwt_header(&jwt)["alg"], "EdDSA");

    // Out of the group from the group's page: refused at the next request.
    let removed = console
        .post(
            &format!("/admin/groups/staff/members/{}/remove", erin.id),
            vec![],
        )
        .await;
    assert_eq!(removed.status(), 303);
    assert_eq!(ask_page(&app, &browser).await.status(), 403);

    // Removing the application and the group needs their names typed.
    let delete_path = format!("{}/delete", app_page.path());
    let refused = console.post(&delete_path, vec![("confirm", "wiki")]).await;
    assert_eq!(refused.status(), 409);
    let deleted = console
        .post(&delete_path, vec![("confirm", GATED_HOST)])
        .await;
    assert_eq!(deleted.status(), 303);
    assert_eq!(
        ask_page(&app, &browser).await.status(),
        403,
        "an unknown host now"
    );
    let refused = console
        .post("/admin/groups/staff/delete", vec![("confirm", "nope")])
        .await;
    assert_eq!(refused.status(), 409);
    let deleted = console
        .post("/admin/groups/staff/delete", vec![("confirm", "staff")])
        .await;
    assert_eq!(deleted.status(), 303);
    let audit = admin
        .get(&app.url("/admin/audit"))
        .await
        .text()
        .await
        .unwrap();
    for action in [
        "group.create",
        "group.add_member",
        "app.create",
        "group.remove_member",
        "app.delete",
        "group.delete",
    ] {
        assert!(audit.contains(action), "{action} in the audit log");
    }
}

#[tokio::test]
async fn the_console_defines_apis_and_roles_and_the_next_token_carries_them() {
    let app = spawn_app().await;
    let erin = app.create_user("erin").await;
    let admin = app.browser();
    let csrf = admin_in_console(&app, &admin).await;
    let console = Console {
        app: &app,
        browser: &admin,
        csrf,
    };
    let made = console
        .post(
            "/admin/apis",
            vec![
                ("identifier", "https://product.example.test"),
                ("name", "Products"),
                ("scopes", "products:read products:write"),
                ("token_format", "jwt"),
                ("alg", "ES256"),
                ("lifetime", "300"),
                ("introspectors", ""),
            ],
        )
        .await;
    assert_eq!(made.status(), 303);
    let page_path = redirect_of(&made, &app.issuer).location.path().to_string();
    let refused = console
        .post(
            "/admin/apis",
            vec![("identifier", "products"), ("name", "Bad")],
        )
        .await;
    assert_eq!(refused.status(), 422);
    let text = refused.text().await.unwrap();
    assert!(text.contains("absolute URI"), "{text}");

    let role = console
        .post(
            &format!("{page_path}/roles"),
            vec![("role", "viewer"), ("permissions", "products:read")],
        )
        .await;
    assert_eq!(role.status(), 303);
    let given = console
        .post(
            &format!("{page_path}/roles/viewer/assign"),
            vec![("holder", "erin")],
        )
        .await;
    assert_eq!(given.status(), 303);
    let page = admin.get(&app.url(&page_path)).await.text().await.unwrap();
    assert!(page.contains("products:read"), "{page}");
    assert!(
        page.contains(&format!("/admin/users/{}\">erin</a>", erin.id)),
        "{page}"
    );
    let user_page = admin
        .get(&app.url(&format!("/admin/users/{}", erin.id)))
        .await
        .text()
        .await
        .unwrap();
    assert!(user_page.contains("Take away viewer"), "{user_page}");

    // The role is in erin's next token for the API; taken away, it is not.
    let store = app.state.provider.store();
    let client = app.confidential_client("app1", APP1_HOST).await;
    tessera::admin::apis::change_allowance(
        store,
        "app1",
        tessera::admin::apis::AllowanceChange::Direct {
            api: "https://product.example.test".into(),
        },
        &tessera::domain::Actor::Cli,
        app.now(),
    )
    .await
    .unwrap();
    let permissions = |browser: Browser| {
        let app = &app;
        let client = &client;
        async move {
            let (verifier, challenge) = pkce_pair();
            let mut params = code_params(client, &challenge, "st", "n");
            params.retain(|(k, _)| *k != "scope");
            params.push(("scope", "openid products:read"));
            params.push(("resource", "https://product.example.test"));
            let redirect = browser.authorize_through(&params, "erin").await;
            let tokens: serde_json::Value =
                exchange_code(app, client, &redirect.param("code").unwrap(), &verifier)
                    .await
                    .json()
                    .await
                    .unwrap();
            claims_of(app, &field(&tokens, "access_token")).await["permissions"].clone()
        }
    };
    assert_eq!(
        permissions(app.browser()).await,
        serde_json::json!(["products:read"])
    );
    let taken = console
        .post(
            &format!("{page_path}/roles/viewer/holders/user/{}/remove", erin.id),
            vec![("back", "user")],
        )
        .await;
    assert_eq!(
        redirect_of(&taken, &app.issuer).location.path(),
        format!("/admin/users/{}", erin.id)
    );
    assert_eq!(permissions(app.browser()).await, serde_json::json!([]));
}

#[tokio::test]
async fn the_console_changes_how_a_client_authenticates() {
    let app = spawn_app().await;
    let admin = app.browser();
    let csrf = admin_in_console(&app, &admin).await;
    let console = Console {
        app: &app,
        browser: &admin,
        csrf,
    };
    let created = console
        .post(
            "/admin/clients",
            vec![
                ("kind", "confidential"),
                ("id", "svc"),
                ("name", "Service"),
                ("grant_client_credentials", "yes"),
                ("id_token_alg", "ES256"),
                ("access_token_alg", "ES256"),
            ],
        )
        .await;
    let html = created.text().await.expect("html");
    let secret = html
        .split("<code id=\"secret\">")
        .nth(1)
        .and_then(|rest| rest.split("</code>").next())
        .expect("the secret, shown once")
        .to_string();
    let page = admin
        .get(&app.url("/admin/clients/svc"))
        .await
        .text()
        .await
        .expect("html");
    assert!(
        page.contains("<option value=\"client_secret_basic\" selected>"),
        "{page}"
    );
    let with_basic = || {
        app.http()
            .post(app.url("/token"))
            .basic_auth("svc", Some(&secret))
            .form(&[("grant_type", "client_credentials")])
            .send()
    };
    let with_post = || {
        app.http()
            .post(app.url("/token"))
            .form(&[
                ("grant_type", "client_credentials"),
                ("client_id", "svc"),
                ("client_secret", secret.as_str()),
            ])
            .send()
    };
    assert_eq!(with_basic().await.expect("token").status(), 200);
    assert_eq!(with_post().await.expect("token").status(), 401);

    // To client_secret_post: the same secret, sent the other way.
    let changed = console
        .post(
            "/admin/clients/svc/auth-method",
            vec![("auth_method", "client_secret_post")],
        )
        .await;
    assert_eq!(changed.status(), 303);
    app.clock.advance(2);
    assert_eq!(with_post().await.expect("token").status(), 200);
    assert_eq!(with_basic().await.expect("token").status(), 401);
    let audit = admin
        .get(&app.url("/admin/audit"))
        .await
        .text()
        .await
        .expect("html");
    assert!(
        audit.contains("client_secret_post"),
        "the audit says what changed"
    );

    // A client that uses client_credentials cannot become public: the page
    // says why and nothing changes.
    let refused = console
        .post(
            "/admin/clients/svc/auth-method",
            vec![("auth_method", "none")],
        )
        .await;
    assert_eq!(refused.status(), 422);
    let page = refused.text().await.expect("html");
    assert!(page.contains("client_credentials"), "{page}");
    assert!(
        page.contains("<option value=\"client_secret_post\" selected>"),
        "{page}"
    );
    assert_eq!(with_post().await.expect("token").status(), 200);
}
