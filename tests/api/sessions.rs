//! Ending sessions: the one operation behind every sign-out, what it ends
//! (sessions, token families, access tokens) and whom it tells, the expiry
//! sweep, and replicas that agree at once.

use tessera::admin::sessions::end_session;
use tessera::admin::users::{set_disabled, set_password};
use tessera::domain::{Actor, Secret};
use tessera::store::AuditQuery;

use crate::helpers::*;

#[tokio::test]
async fn ending_a_session_revokes_its_tokens_tells_its_apps_and_is_audited() {
    let app = spawn_app().await;
    let alice = app.create_user("alice").await;
    let rp = TestRp::start().await;
    let app1 = app
        .create_client(backchannel_client("app1", APP1_HOST, &rp.uri()))
        .await;
    let app2 = app.confidential_client("app2", APP2_HOST).await;
    let browser = app.browser();
    let t1 = login_and_exchange(&app, &browser, &app1, "alice").await;
    let t2 = login_and_exchange(&app, &browser, &app2, "alice").await;
    let sid = claims_of(&app, &field(&t1, "id_token")).await["sid"]
        .as_str()
        .expect("sid")
        .to_string();

    let ended = end_session(&app.services.store, &sid, Actor::Cli, app.now())
        .await
        .expect("end");

    assert_eq!(ended.sessions.len(), 1);
    assert_eq!(ended.sessions[0].sid.as_str(), sid);
    assert_eq!(ended.families_revoked, 2, "both apps' grants");
    assert_eq!(ended.notices_queued, 1, "app1 listens, app2 does not");
    assert!(
        !signed_in(&browser, &app1).await,
        "the cookie signs nobody in"
    );
    for (client, tokens) in [(&app1, &t1), (&app2, &t2)] {
        assert_eq!(
            refresh_status(&app, client, &field(tokens, "refresh_token")).await,
            400
        );
        assert_eq!(
            userinfo(&app, &field(tokens, "access_token"))
                .await
                .status(),
            401
        );
    }
    rp.wait_for(1).await;

    let audit = app
        .services
        .store
        .audit_events(&AuditQuery {
            action: Some("session.end".into()),
            limit: 10,
            ..AuditQuery::default()
        })
        .await
        .expect("audit");
    assert_eq!(audit.len(), 1);
    assert_eq!(audit[0].actor, "cli");
    assert_eq!(
        audit[0].target.as_deref(),
        Some(format!("session:{sid}").as_str())
    );
    assert_eq!(audit[0].reason.as_deref(), Some("admin_logout"));
    assert_eq!(audit[0].details["families_revoked"], 2);
    assert_eq!(audit[0].details["notices_queued"], 1);
    assert_eq!(audit[0].at, app.now());
    let _ = alice;

    // Ending it again finds nothing.
    assert!(
        end_session(&app.services.store, &sid, Actor::Cli, app.now())
            .await
            .is_err()
    );
}

#[tokio::test]
async fn a_new_password_or_a_disabled_account_ends_every_session() {
    let app = spawn_app().await;
    app.create_user("alice").await;
    app.create_user("bob").await;
    let client = app.confidential_client("app1", APP1_HOST).await;
    let (a1, a2) = (app.browser(), app.browser());
    let t1 = login_and_exchange(&app, &a1, &client, "alice").await;
    let t2 = login_and_exchange(&app, &a2, &client, "alice").await;

    let ended = set_password(
        &app.services.store,
        app.state.provider.passwords(),
        "alice",
        Secret::new("a brand new passphrase"),
        Actor::Cli,
        app.now(),
    )
    .await
    .expect("set password");
    assert_eq!(ended.sessions.len(), 2);
    assert_eq!(ended.families_revoked, 2);
    assert!(!signed_in(&a1, &client).await && !signed_in(&a2, &client).await);
    for tokens in [&t1, &t2] {
        assert_eq!(
            refresh_status(&app, &client, &field(tokens, "refresh_token")).await,
            400
        );
    }

    let b = app.browser();
    let tb = login_and_exchange(&app, &b, &client, "bob").await;
    let (_, ended) = set_disabled(&app.services.store, "bob", true, Actor::Cli, app.now())
        .await
        .expect("disable");
    assert_eq!((ended.sessions.len(), ended.families_revoked), (1, 1));
    assert!(!signed_in(&b, &client).await);
    assert_eq!(
        userinfo(&app, &field(&tb, "access_token")).await.status(),
        401
    );
}

#[tokio::test]
async fn the_minute_sweep_ends_expired_sessions_and_tells_their_apps_but_offline_grants_live_on() {
    let app = spawn_app().await;
    app.create_user("alice").await;
    let rp = TestRp::start().await;
    let client = app
        .create_client(backchannel_client("app1", APP1_HOST, &rp.uri()))
        .await;
    let browser = app.browser();
    let tokens = login_and_exchange(&app, &browser, &client, "alice").await;

    // Idle for the session's idle lifetime (8 h). Nobody asks about the
    // session: the server's own sweep, run every minute of its clock, ends
    // it and queues the notice.
    app.clock.advance(8 * 3600);
    let received = rp.wait_for(1).await;
    let (_, claims) = verify_with_jwks(&app, &received[0]).await;
    assert_eq!(
        claims["sid"],
        claims_of(&app, &field(&tokens, "id_token")).await["sid"]
    );
    assert!(!signed_in(&browser, &client).await);
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
    assert_eq!(ended.len(), 1, "ended once");
    assert_eq!(ended[0].actor, "system", "by the sweep");
    // offline_access is for exactly this: the refresh token still works.
    assert_eq!(
        refresh_status(&app, &client, &field(&tokens, "refresh_token")).await,
        200
    );
    let again = app.state.provider.sweep(app.now()).await.expect("sweep");
    assert_eq!(again.sessions_expired, 0, "a session ends once");
}

#[tokio::test]
async fn a_session_in_constant_use_still_ends_at_its_absolute_lifetime() {
    let app = spawn_app().await;
    app.create_user("alice").await;
    let client = app.confidential_client("app1", APP1_HOST).await;
    let browser = app.browser();
    login_and_exchange(&app, &browser, &client, "alice").await;

    // Used every seven hours, it never goes idle (8 h)...
    let absolute = 7 * 24 * 3600;
    let mut elapsed = 0;
    while elapsed + 7 * 3600 < absolute {
        app.clock.advance(7 * 3600);
        elapsed += 7 * 3600;
        assert!(signed_in(&browser, &client).await, "after {elapsed} s");
    }
    // ...but seven days after sign-in it ends regardless.
    app.clock.advance(absolute - elapsed);
    assert!(!signed_in(&browser, &client).await);
}

#[tokio::test]
async fn a_code_issued_before_sign_out_is_worthless_after_it() {
    let app = spawn_app().await;
    app.create_user("alice").await;
    let client = app.confidential_client("app1", APP1_HOST).await;
    let browser = app.browser();
    let (verifier, challenge) = pkce_pair();
    let redirect = browser
        .authorize_through(&code_params(&client, &challenge, "s", "n"), "alice")
        .await;
    let code = redirect.param("code").expect("code");
    browser.sign_out().await;
    let response = exchange_code(&app, &client, &code, &verifier).await;
    assert_eq!(response.status(), 400);
    let body: serde_json::Value = response.json().await.expect("json");
    assert_eq!(body["error"], "invalid_grant");
    assert_eq!(
        body["error_description"],
        "the user signed out after the code was issued"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_session_ended_on_one_replica_is_refused_on_the_other_at_once_on_postgres_and_redis() {
    let a = spawn_replicated_app().await;
    let b = a.replica().await;
    a.create_user("alice").await;
    let client = a.confidential_client("app1", APP1_HOST).await;
    // One browser: the cookie jar is shared by both replicas' hosts.
    let on_a = a.browser();
    let tokens = login_and_exchange(&a, &on_a, &client, "alice").await;
    let on_b = b.browser();
    for cookie in on_a.cookies_for(&a.url("/")).split("; ") {
        on_b.jar
            .add_cookie_str(cookie, &url::Url::parse(&b.url("/")).expect("url"));
    }
    assert!(
        signed_in(&on_b, &client).await,
        "replica B knows the session"
    );

    let signed_out = on_b.sign_out().await;
    assert_eq!(signed_out.status(), 200);

    // The very next request on replica A, with the old cookie: nobody.
    let (_, challenge) = pkce_pair();
    let mut on_a_params = code_params(&client, &challenge, "s", "n");
    on_a_params.push(("prompt", "none"));
    let redirect = redirect_of(&on_a.authorize(&on_a_params).await, "http://x");
    assert_eq!(redirect.param("error").as_deref(), Some("login_required"));
    assert_eq!(
        refresh_status(&a, &client, &field(&tokens, "refresh_token")).await,
        400
    );
    assert_eq!(
        userinfo(&a, &field(&tokens, "access_token")).await.status(),
        401
    );
}

#[tokio::test]
async fn deleting_a_user_with_live_sessions_ends_them_and_tells_their_apps() {
    let app = spawn_app().await;
    let alice = app.create_user("alice").await;
    let rp = TestRp::start().await;
    let client = app
        .create_client(backchannel_client("app1", APP1_HOST, &rp.uri()))
        .await;
    let browser = app.browser();
    let tokens = login_and_exchange(&app, &browser, &client, "alice").await;
    assert!(signed_in(&browser, &client).await);

    // Deleted while signed in: nothing ended beforehand.
    let ended = tessera::admin::users::delete_user(
        &app.services.store,
        &alice.id,
        tessera::domain::Actor::Cli,
        app.now(),
    )
    .await
    .expect("delete");
    assert_eq!(ended.sessions.len(), 1);
    assert_eq!(ended.notices_queued, 1);

    assert!(!signed_in(&browser, &client).await);
    assert_eq!(
        userinfo(&app, &field(&tokens, "access_token"))
            .await
            .status(),
        401
    );
    assert_eq!(
        refresh_status(&app, &client, &field(&tokens, "refresh_token")).await,
        400
    );
    let received = rp.wait_for(1).await;
    let (_, claims) = verify_with_jwks(&app, &received[0]).await;
    assert_eq!(claims["sub"], alice.id.as_str());
}
