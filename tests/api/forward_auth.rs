//! Forward authentication, as Traefik, Caddy and nginx ask for it: who
//! passes and with what, where everyone else is sent, and how fast a change
//! (a sign-out, a group) reaches the gateway.

use tessera::admin::groups::{add_member, create_group, remove_member};
use tessera::admin::sessions::logout_user;
use tessera::admin::users::{UserRef, set_disabled};
use tessera::domain::Actor;

use crate::gateway::*;
use crate::helpers::*;

#[tokio::test]
async fn a_signed_in_user_passes_with_a_short_lived_jwt_for_the_application() {
    let app = spawn_app().await;
    let alice = app.create_user("alice").await;
    register_app(&app, GATED_HOST, &[], &[]).await;
    let browser = app.browser();
    sign_in_through_gateway(&app, &browser, "alice").await;

    for proxy in [Proxy::Forwarded, Proxy::Nginx] {
        let response = ask(&app, &browser, proxy, Ask::default()).await;
        assert_eq!(response.status(), 200, "{proxy:?}");
        assert_eq!(header(&response, "Remote-User").as_deref(), Some("alice"));
        assert_eq!(
            header(&response, "Remote-Email").as_deref(),
            Some("alice@example.com")
        );
        assert_eq!(
            header(&response, "Remote-Name").as_deref(),
            Some("alice Example")
        );
        assert_eq!(
            header(&response, "Remote-Groups").as_deref(),
            Some(""),
            "present even when empty"
        );
        assert_eq!(
            header(&response, "Cache-Control").as_deref(),
            Some("no-store")
        );
        let jwt = internal_jwt(&response);
        let (jwt_header, claims) = verify_with_jwks(&app, &jwt).await;
        assert_eq!(jwt_header.typ.as_deref(), Some("tessera-internal+jwt"));
        assert_eq!(jwt_header.alg, jsonwebtoken::Algorithm::ES256);
        assert_eq!(claims["iss"], app.issuer);
        assert_eq!(claims["sub"], alice.id.as_str());
        assert_eq!(claims["aud"], format!("https://{GATED_HOST}"));
        assert_eq!(
            claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap(),
            60
        );
        assert_eq!(claims["preferred_username"], "alice");
        assert_eq!(claims["name"], "alice Example");
        assert_eq!(claims["email"], "alice@example.com");
        assert_eq!(claims["groups"], serde_json::json!([]));
        assert!(claims["sid"].as_str().is_some_and(|s| !s.is_empty()));
        assert!(claims["jti"].as_str().is_some_and(|s| !s.is_empty()));
    }
}

#[tokio::test]
async fn without_a_session_pages_go_to_sign_in_and_scripts_get_401() {
    let app = spawn_app().await;
    register_app(&app, GATED_HOST, &[], &[]).await;
    let browser = app.browser();
    let expected_login = format!(
        "{}/login?rd={}",
        app.issuer,
        url::form_urlencoded::byte_serialize(format!("{GATED_ORIGIN}/reports?q=1").as_bytes())
            .collect::<String>()
    );

    // Traefik and Caddy: the proxy hands Tessera's answer to the browser.
    let page = Ask {
        uri: "/reports?q=1",
        ..Ask::default()
    };
    let response = ask(&app, &browser, Proxy::Forwarded, page).await;
    assert_eq!(response.status(), 302);
    assert_eq!(header(&response, "Location"), Some(expected_login.clone()));
    let head = Ask {
        method: "HEAD",
        uri: "/reports?q=1",
        ..Ask::default()
    };
    assert_eq!(
        ask(&app, &browser, Proxy::Forwarded, head).await.status(),
        302
    );
    let form_post = Ask {
        method: "POST",
        uri: "/reports?q=1",
        ..Ask::default()
    };
    let response = ask(&app, &browser, Proxy::Forwarded, form_post).await;
    assert_eq!(response.status(), 303, "another method: see other");
    assert_eq!(header(&response, "Location"), Some(expected_login.clone()));
    for script in [
        Ask {
            accept: Some("application/json"),
            ..Ask::default()
        },
        Ask {
            accept: Some("*/*"),
            ..Ask::default()
        },
        Ask {
            accept: None,
            ..Ask::default()
        },
        Ask {
            xhr: true,
            ..Ask::default()
        },
    ] {
        let response = ask(&app, &browser, Proxy::Forwarded, script).await;
        assert_eq!(
            response.status(),
            401,
            "a script gets 401, never a login page"
        );
        assert_eq!(header(&response, "Location"), None);
    }

    // nginx: always 401 with the login URL; X-Auth-Redirect for pages only.
    let page = Ask {
        uri: "/reports?q=1",
        ..Ask::default()
    };
    let response = ask(&app, &browser, Proxy::Nginx, page).await;
    assert_eq!(response.status(), 401);
    assert_eq!(header(&response, "Location"), Some(expected_login.clone()));
    assert_eq!(header(&response, "X-Auth-Redirect"), Some(expected_login));
    let script = Ask {
        accept: Some("application/json"),
        ..Ask::default()
    };
    let response = ask(&app, &browser, Proxy::Nginx, script).await;
    assert_eq!(response.status(), 401);
    assert!(header(&response, "Location").is_some());
    assert_eq!(header(&response, "X-Auth-Redirect"), None);
}

#[tokio::test]
async fn after_signing_in_the_browser_lands_on_the_page_it_asked_for() {
    let app = spawn_app().await;
    app.create_user("alice").await;
    register_app(&app, GATED_HOST, &[], &[]).await;
    for proxy in [Proxy::Forwarded, Proxy::Nginx] {
        let browser = app.browser();
        let page = Ask {
            uri: "/deep/page?tab=2&x=%2F",
            ..Ask::default()
        };
        let response = ask(&app, &browser, proxy, page).await;
        let login = header(&response, "Location").expect("login URL");
        let done = browser.submit_login(&login, "alice", PASSWORD).await;
        assert_eq!(done.status(), 303);
        assert_eq!(
            header(&done, "Location").as_deref(),
            Some(format!("{GATED_ORIGIN}/deep/page?tab=2&x=%2F").as_str()),
            "{proxy:?}"
        );
        assert_eq!(ask_page(&app, &browser).await.status(), 200);
    }
}

#[tokio::test]
async fn the_return_url_never_leads_anywhere_but_a_registered_application() {
    let app = spawn_app().await;
    app.create_user("alice").await;
    register_app(&app, GATED_HOST, &[], &[]).await;
    let attempts = [
        "javascript:alert(document.domain)".to_string(),
        "//evil.test/".to_string(),
        "/\\evil.test".to_string(),
        format!("http://{GATED_HOST}@evil.test/"),
        format!("http://user:pw@{GATED_HOST}/"),
        "http://evil.test/".to_string(),
        "http://unregistered.example.test/".to_string(),
        format!("http://{GATED_HOST}.evil.test/"),
        "http://127.0.0.1/".to_string(),
        format!("data:text/html,<a href=http://{GATED_HOST}/>"),
    ];
    for rd in &attempts {
        let browser = app.browser();
        let mut login = url::Url::parse(&app.url("/login")).unwrap();
        login.query_pairs_mut().append_pair("rd", rd);
        let done = browser
            .submit_login(login.as_str(), "alice", PASSWORD)
            .await;
        assert_eq!(done.status(), 303);
        assert_eq!(header(&done, "Location").as_deref(), Some("/"), "{rd}");
        // Signed in already: the login page with that rd sends nowhere either.
        let again = browser.get(login.as_str()).await;
        assert_eq!(again.status(), 200, "{rd}: the page, not a redirect");
    }
    // The registered application is where it goes.
    let browser = app.browser();
    let mut login = url::Url::parse(&app.url("/login")).unwrap();
    login
        .query_pairs_mut()
        .append_pair("rd", &format!("{GATED_ORIGIN}/x"));
    let done = browser
        .submit_login(login.as_str(), "alice", PASSWORD)
        .await;
    assert_eq!(
        header(&done, "Location").as_deref(),
        Some(format!("{GATED_ORIGIN}/x").as_str())
    );
}

#[tokio::test]
async fn a_browser_signed_in_to_tessera_without_a_gateway_cookie_goes_straight_back() {
    let app = spawn_app().await;
    app.create_user("alice").await;
    register_app(&app, GATED_HOST, &[], &[]).await;
    let browser = app.browser();
    sign_in_through_gateway(&app, &browser, "alice").await;
    let old_cookies = browser.cookies_for(&format!("{GATED_ORIGIN}/"));

    // The gateway cookie is lost (a new cookie_domain, say): the gateway
    // sends the browser to sign in; Tessera knows it, renews the gateway
    // cookie and sends it straight back, with no form and no loop.
    let fresh = app.browser();
    let session_cookie = browser.cookies_for(&app.url("/"));
    let login = {
        let response = ask_page(&app, &fresh).await;
        header(&response, "Location").expect("login")
    };
    let back = app
        .http()
        .get(&login)
        .header("Cookie", session_cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(back.status(), 303);
    assert_eq!(
        header(&back, "Location").as_deref(),
        Some(format!("{GATED_ORIGIN}/").as_str())
    );
    let renewed = back
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .find(|c| c.starts_with("tessera_gateway="))
        .expect("a new gateway cookie");
    assert!(renewed.contains("Domain=example.test"));
    let value = renewed.split(';').next().unwrap().to_string();
    let response = app
        .http()
        .get(app.url("/forward-auth"))
        .header("X-Forwarded-Host", GATED_HOST)
        .header("X-Forwarded-Uri", "/")
        .header("Accept", "text/html")
        .header("Cookie", value)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    // The old gateway cookie stopped counting at once.
    let response = app
        .http()
        .get(app.url("/forward-auth"))
        .header("X-Forwarded-Host", GATED_HOST)
        .header("Accept", "application/json")
        .header("Cookie", old_cookies)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
}

#[tokio::test]
async fn only_the_allowed_groups_and_users_pass_and_others_get_a_page_naming_the_application() {
    let app = spawn_app().await;
    app.create_user("alice").await;
    app.create_user("bob").await;
    app.create_user("carol").await;
    let store = app.state.provider.store();
    create_group(store, "ops", &Actor::Cli, app.now())
        .await
        .unwrap();
    add_member(
        store,
        UserRef::Username("alice"),
        "ops",
        &Actor::Cli,
        app.now(),
    )
    .await
    .unwrap();
    register_app(&app, GATED_HOST, &["ops"], &["carol"]).await;

    let alice = app.browser();
    sign_in_through_gateway(&app, &alice, "alice").await;
    let response = ask_page(&app, &alice).await;
    assert_eq!(header(&response, "Remote-Groups").as_deref(), Some("ops"));
    assert_eq!(
        claims_of(&app, &internal_jwt(&response)).await["groups"],
        serde_json::json!(["ops"])
    );

    let carol = app.browser();
    sign_in_through_gateway(&app, &carol, "carol").await;
    assert_eq!(
        ask_page(&app, &carol).await.status(),
        200,
        "allowed by name"
    );

    let bob = app.browser();
    sign_in_through_gateway(&app, &bob, "bob").await;
    for proxy in [Proxy::Forwarded, Proxy::Nginx] {
        let response = ask(&app, &bob, proxy, Ask::default()).await;
        assert_eq!(response.status(), 403);
        let page = response.text().await.unwrap();
        assert!(page.contains("The app.example.test application"), "{page}");
    }

    // Membership changes count at the very next decision (the clock stands
    // still: nothing expires meanwhile).
    add_member(
        store,
        UserRef::Username("bob"),
        "ops",
        &Actor::Cli,
        app.now(),
    )
    .await
    .unwrap();
    let response = ask_page(&app, &bob).await;
    assert_eq!(response.status(), 200);
    assert_eq!(header(&response, "Remote-Groups").as_deref(), Some("ops"));
    remove_member(
        store,
        UserRef::Username("alice"),
        "ops",
        &Actor::Cli,
        app.now(),
    )
    .await
    .unwrap();
    assert_eq!(ask_page(&app, &alice).await.status(), 403);
    tessera::admin::groups::delete_group(store, "ops", &Actor::Cli, app.now())
        .await
        .unwrap();
    assert_eq!(ask_page(&app, &bob).await.status(), 403);
    assert_eq!(ask_page(&app, &carol).await.status(), 200);
}

#[tokio::test]
async fn an_unknown_host_gets_403() {
    let app = spawn_app().await;
    app.create_user("alice").await;
    register_app(&app, GATED_HOST, &[], &[]).await;
    let browser = app.browser();
    sign_in_through_gateway(&app, &browser, "alice").await;
    for proxy in [Proxy::Forwarded, Proxy::Nginx] {
        for host in ["other.example.test", "evil.test", "-bad-"] {
            let response = ask(
                &app,
                &browser,
                proxy,
                Ask {
                    host,
                    ..Ask::default()
                },
            )
            .await;
            assert_eq!(response.status(), 403, "{proxy:?} {host}");
            assert_eq!(header(&response, "X-Internal-JWT"), None);
        }
    }
    let bare = app
        .http()
        .get(app.url("/forward-auth"))
        .send()
        .await
        .unwrap();
    assert_eq!(bare.status(), 403, "no host at all");
}

#[tokio::test]
async fn every_ending_is_refused_by_the_very_next_request() {
    let app = spawn_app().await;
    let alice = app.create_user("alice").await;
    register_app(&app, GATED_HOST, &[], &[]).await;
    let store = app.state.provider.store();

    // Sign-out at Tessera.
    let browser = app.browser();
    sign_in_through_gateway(&app, &browser, "alice").await;
    assert_eq!(ask_page(&app, &browser).await.status(), 200);
    let cookies = browser.cookies_for(&format!("{GATED_ORIGIN}/"));
    assert_eq!(browser.sign_out().await.status(), 200);
    let replayed = app
        .http()
        .get(app.url("/forward-auth"))
        .header("X-Forwarded-Host", GATED_HOST)
        .header("Accept", "application/json")
        .header("Cookie", cookies)
        .send()
        .await
        .unwrap();
    assert_eq!(
        replayed.status(),
        401,
        "the cookie kept by the proxy is dead too"
    );

    // An administrator ends all of the user's sessions.
    let browser = app.browser();
    sign_in_through_gateway(&app, &browser, "alice").await;
    assert_eq!(ask_page(&app, &browser).await.status(), 200);
    logout_user(store, UserRef::Id(&alice.id), Actor::Cli, app.now())
        .await
        .unwrap();
    assert_eq!(ask_page(&app, &browser).await.status(), 302);

    // The account is disabled.
    let browser = app.browser();
    sign_in_through_gateway(&app, &browser, "alice").await;
    assert_eq!(ask_page(&app, &browser).await.status(), 200);
    set_disabled(store, UserRef::Id(&alice.id), true, Actor::Cli, app.now())
        .await
        .unwrap();
    assert_eq!(ask_page(&app, &browser).await.status(), 302);
}

#[tokio::test]
async fn decisions_are_remembered_for_at_most_a_second() {
    let app = spawn_app().await;
    app.create_user("alice").await;
    register_app(&app, GATED_HOST, &[], &[]).await;
    let browser = app.browser();
    sign_in_through_gateway(&app, &browser, "alice").await;
    assert_eq!(ask_page(&app, &browser).await.status(), 200);

    // The session row goes behind the store's back (as another process
    // without Redis would end it): the remembered decision stands while
    // the clock stands still, and not a second longer.
    use sea_orm::ConnectionTrait;
    let db = sea_orm::Database::connect(&app.settings.database_url)
        .await
        .unwrap();
    db.execute_unprepared("DELETE FROM sessions").await.unwrap();
    assert_eq!(
        ask_page(&app, &browser).await.status(),
        200,
        "answered from memory"
    );
    app.clock.advance(1);
    assert_eq!(
        ask_page(&app, &browser).await.status(),
        302,
        "read again after a second"
    );
}

#[tokio::test]
async fn the_internal_jwt_is_handed_out_again_until_ten_seconds_before_it_expires() {
    let app = spawn_app().await;
    app.create_user("alice").await;
    register_app(&app, GATED_HOST, &[], &[]).await;
    let other = register_app(&app, "other.example.test", &[], &[]).await;
    let browser = app.browser();
    sign_in_through_gateway(&app, &browser, "alice").await;

    let first = internal_jwt(&ask_page(&app, &browser).await);
    app.clock.advance(49);
    assert_eq!(
        internal_jwt(&ask_page(&app, &browser).await),
        first,
        "reused"
    );
    let other_jwt = internal_jwt(
        &ask(
            &app,
            &browser,
            Proxy::Forwarded,
            Ask {
                host: "other.example.test",
                ..Ask::default()
            },
        )
        .await,
    );
    assert_ne!(other_jwt, first, "each application its own");
    assert_eq!(claims_of(&app, &other_jwt).await["aud"], other.audience);
    app.clock.advance(2);
    let renewed = internal_jwt(&ask_page(&app, &browser).await);
    assert_ne!(renewed, first, "fresh once fewer than ten seconds are left");
    assert!(claims_of(&app, &renewed).await["exp"].as_i64().unwrap() >= app.now() + 60);

    // What it says changes: a new one at once.
    let store = app.state.provider.store();
    create_group(store, "ops", &Actor::Cli, app.now())
        .await
        .unwrap();
    add_member(
        store,
        UserRef::Username("alice"),
        "ops",
        &Actor::Cli,
        app.now(),
    )
    .await
    .unwrap();
    let with_group = internal_jwt(&ask_page(&app, &browser).await);
    assert_ne!(with_group, renewed);
    assert_eq!(
        claims_of(&app, &with_group).await["groups"],
        serde_json::json!(["ops"])
    );
}

#[tokio::test]
async fn an_internal_jwt_is_never_taken_for_an_access_token() {
    let app = spawn_app().await;
    app.create_user("alice").await;
    register_app(&app, GATED_HOST, &[], &[]).await;
    let browser = app.browser();
    sign_in_through_gateway(&app, &browser, "alice").await;
    let jwt = internal_jwt(&ask_page(&app, &browser).await);

    assert_eq!(userinfo(&app, &jwt).await.status(), 401);
    let caller = app.confidential_client("app1", APP1_HOST).await;
    assert_eq!(introspect(&app, &caller, &jwt, None).await["active"], false);
    let admin = app
        .http()
        .get(app.url("/admin/api/v1/users"))
        .bearer_auth(&jwt)
        .send()
        .await
        .unwrap();
    assert_eq!(admin.status(), 401);
}

/// Until `replica` trusts its copies (it hears the change channel) or not.
async fn trusting(replica: &TestApp, trusted: bool) {
    eventually("the replica's trust in its gateway copies", || async {
        replica
            .state
            .provider
            .store()
            .gateway_copies_trusted(replica.now())
            == trusted
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_change_on_one_replica_is_seen_by_the_next_decision_on_another_on_postgres_and_redis() {
    let a = spawn_replicated_app().await;
    let b = a.replica().await;
    trusting(&b, true).await;
    a.create_user("alice").await;
    let store = a.state.provider.store();
    create_group(store, "ops", &Actor::Cli, a.now())
        .await
        .unwrap();
    add_member(
        store,
        UserRef::Username("alice"),
        "ops",
        &Actor::Cli,
        a.now(),
    )
    .await
    .unwrap();
    register_app(&a, GATED_HOST, &["ops"], &[]).await;
    let browser = a.browser();
    sign_in_through_gateway(&a, &browser, "alice").await;
    assert_eq!(
        ask_page(&b, &browser).await.status(),
        200,
        "b remembers this"
    );

    remove_member(
        store,
        UserRef::Username("alice"),
        "ops",
        &Actor::Cli,
        a.now(),
    )
    .await
    .unwrap();
    within_a_second("b refusing alice out of the group", || async {
        ask_page(&b, &browser).await.status() == 403
    })
    .await;
    add_member(
        store,
        UserRef::Username("alice"),
        "ops",
        &Actor::Cli,
        a.now(),
    )
    .await
    .unwrap();
    within_a_second("b letting alice in again", || async {
        ask_page(&b, &browser).await.status() == 200
    })
    .await;
    assert_eq!(
        header(&ask_page(&b, &browser).await, "Remote-Groups").as_deref(),
        Some("ops")
    );

    // A sign-out on a, an administrator's logout on b: each refused by
    // the other at once.
    assert_eq!(browser.sign_out().await.status(), 200);
    within_a_second("b refusing the signed-out browser", || async {
        ask_page(&b, &browser).await.status() == 302
    })
    .await;
    sign_in_through_gateway(&a, &browser, "alice").await;
    assert_eq!(
        ask_page(&a, &browser).await.status(),
        200,
        "a remembers this"
    );
    logout_user(
        b.state.provider.store(),
        UserRef::Username("alice"),
        Actor::Cli,
        b.now(),
    )
    .await
    .unwrap();
    within_a_second("a refusing the logged-out browser", || async {
        ask_page(&a, &browser).await.status() == 302
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_replica_that_cannot_hear_the_change_channel_asks_the_database_on_postgres_and_redis() {
    let proxy = crate::faults::RedisProxy::start().await;
    let a = spawn_replicated_app_with(|s| s.redis_url = Some(proxy.url())).await;
    let b = a.replica().await;
    trusting(&b, true).await;
    a.create_user("alice").await;
    register_app(&a, GATED_HOST, &[], &[]).await;
    let browser = a.browser();
    sign_in_through_gateway(&a, &browser, "alice").await;
    assert_eq!(ask_page(&b, &browser).await.status(), 200);

    // Redis goes away: changes cannot travel, so b stops believing what it
    // remembers and asks the database every time.
    proxy.cut();
    trusting(&b, false).await;
    assert_eq!(browser.sign_out().await.status(), 200);
    assert_eq!(
        ask_page(&b, &browser).await.status(),
        302,
        "refused at once"
    );

    // Back: b trusts (and fills) its copies again.
    proxy.restore();
    trusting(&b, true).await;
    sign_in_through_gateway(&a, &browser, "alice").await;
    assert_eq!(ask_page(&b, &browser).await.status(), 200);
}
