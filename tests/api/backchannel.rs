//! OIDC Back-Channel Logout 1.0: when a session ends, each client that
//! received tokens in it gets a logout token, through a persistent outbox
//! that retries with backoff, survives restarts and delivers once.

use tessera::admin::sessions::logout_user;
use tessera::domain::{Actor, ClientId, NoticeState, SigningAlg};

use crate::helpers::*;

const EVENT: &str = "http://schemas.openid.net/event/backchannel-logout";

async fn notices(app: &TestApp, client: &str) -> Vec<tessera::domain::LogoutNotice> {
    app.services
        .store
        .notices_for_client(&ClientId::parse(client).expect("id"))
        .await
        .expect("notices")
}

#[tokio::test]
async fn a_relying_party_receives_a_logout_token_it_can_verify() {
    let app = spawn_app().await;
    app.create_user("alice").await;
    let rp = TestRp::start().await;
    let client = app
        .create_client(tessera::admin::clients::NewClient {
            id_token_alg: SigningAlg::ES256,
            ..backchannel_client("app1", APP1_HOST, &rp.uri())
        })
        .await;
    let quiet = app.confidential_client("app2", APP2_HOST).await;
    let elsewhere = app
        .create_client(backchannel_client("app3", APP2_HOST, &rp.uri()))
        .await;
    let browser = app.browser();
    let tokens = login_and_exchange(&app, &browser, &client, "alice").await;
    login_and_exchange(&app, &browser, &quiet, "alice").await;
    let id_token = claims_of(&app, tokens["id_token"].as_str().expect("id token")).await;

    let signed_out = browser.sign_out().await;
    assert_eq!(signed_out.status(), 200);

    let received = rp.wait_for(1).await;
    let (header, claims) = verify_with_jwks(&app, &received[0]).await;
    assert_eq!(header.typ.as_deref(), Some("logout+jwt"));
    assert_eq!(
        header.alg,
        jsonwebtoken::Algorithm::ES256,
        "signed like the client's ID tokens"
    );
    assert_eq!(claims["iss"], app.issuer);
    assert_eq!(claims["aud"], client.id);
    assert_eq!(claims["sub"], id_token["sub"]);
    assert_eq!(
        claims["sid"], id_token["sid"],
        "the sid of the ended session"
    );
    assert_eq!(claims["events"][EVENT], serde_json::json!({}));
    assert!(
        claims.get("nonce").is_none(),
        "a logout token never has a nonce"
    );
    assert!(claims["jti"].as_str().is_some_and(|j| j.len() >= 16));
    let iat = claims["iat"].as_i64().expect("iat");
    assert!(claims["exp"].as_i64().expect("exp") > iat);

    // Delivered once, and recorded as delivered.
    eventually("the notice to be marked delivered", || async {
        notices(&app, &client.id).await[0].state == NoticeState::Delivered
    })
    .await;
    let report = delivery_pass(&app).await.expect("a pass");
    assert_eq!(report.delivered, 0, "nothing left to deliver");
    assert_eq!(rp.tokens().len(), 1);
    assert!(
        notices(&app, &elsewhere.id).await.is_empty(),
        "app3 had no tokens in that session"
    );
    let (_, status) = tessera::admin::clients::show_client(&app.services.store, &client.id)
        .await
        .expect("show");
    assert_eq!(status.delivered, 1);
    assert_eq!(status.last_outcome.as_deref(), Some("delivered"));
}

#[tokio::test]
async fn an_rp_that_is_down_gets_its_notice_later_even_after_a_restart() {
    let app = spawn_app().await;
    app.create_user("alice").await;
    let port = ClosedPort::new();
    let client = app
        .create_client(backchannel_client(
            "app1",
            APP1_HOST,
            &TestRp::uri_on(port.port),
        ))
        .await;
    let browser = app.browser();
    login_and_exchange(&app, &browser, &client, "alice").await;
    let ended = logout_user(&app.services.store, "alice", Actor::Cli, app.now())
        .await
        .expect("logout");
    assert_eq!(ended.notices_queued, 1);

    // The first attempt fails at once (connection refused) and is rescheduled.
    eventually("a failed first attempt", || async {
        let n = notices(&app, &client.id).await;
        n[0].attempts >= 1 && n[0].last_error.is_some()
    })
    .await;
    let notice = notices(&app, &client.id).await.remove(0);
    assert_eq!(notice.state, NoticeState::Pending);
    assert_eq!(notice.last_error.as_deref(), Some("connection failed"));
    assert_eq!(notice.next_attempt_at, app.now() + 5, "retried after 5 s");
    let (_, status) = tessera::admin::clients::show_client(&app.services.store, &client.id)
        .await
        .expect("show");
    assert_eq!((status.pending, status.delivered), (1, 0));
    assert_eq!(status.last_outcome.as_deref(), Some("connection failed"));

    // Tessera restarts; the RP comes up; nothing is due yet.
    let app = app.restart().await;
    let rp = TestRp::start_on(port).await;
    let early = delivery_pass(&app).await.expect("pass");
    assert_eq!(early.delivered, 0, "the backoff is respected");
    assert!(rp.tokens().is_empty());

    // Once the retry is due, the restarted Tessera delivers it.
    app.clock.advance(5);
    let received = rp.wait_for(1).await;
    let (_, claims) = verify_with_jwks(&app, &received[0]).await;
    assert_eq!(claims["sid"], ended.sessions[0].sid.as_str());
    eventually("the notice to be marked delivered", || async {
        notices(&app, &client.id).await[0].state == NoticeState::Delivered
    })
    .await;
    assert_eq!(rp.tokens().len(), 1, "exactly one delivery");
}

#[tokio::test]
async fn a_notice_is_retried_with_backoff_for_a_day_then_abandoned() {
    let app = spawn_app().await;
    let closed = ClosedPort::new();
    app.create_user("alice").await;
    let client = app
        .create_client(backchannel_client(
            "app1",
            APP1_HOST,
            &TestRp::uri_on(closed.port),
        ))
        .await;
    login_and_exchange(&app, &app.browser(), &client, "alice").await;
    logout_user(&app.services.store, "alice", Actor::Cli, app.now())
        .await
        .expect("logout");
    let started = app.now();

    let mut delays = Vec::new();
    let mut last_attempts = 0;
    loop {
        // Run a pass right away rather than wait for the worker's next poll.
        delivery_pass(&app).await.expect("pass");
        eventually("the next attempt", || async {
            let notice = notices(&app, &client.id).await.remove(0);
            notice.attempts > last_attempts && notice.last_error.is_some()
                || notice.state == NoticeState::Abandoned
        })
        .await;
        let notice = notices(&app, &client.id).await.remove(0);
        last_attempts = notice.attempts;
        if notice.state == NoticeState::Abandoned {
            break;
        }
        let wait = notice.next_attempt_at - app.now();
        delays.push(wait);
        app.clock.advance(wait);
    }
    assert_eq!(&delays[..4], [5, 10, 20, 40], "exponential backoff");
    assert!(delays.iter().all(|d| *d <= 3600), "at most an hour apart");
    let retried_for = app.now() - started;
    assert!(retried_for >= 24 * 3600, "retried for at least a day");
    assert!(
        retried_for <= 24 * 3600 + 3600,
        "and given up within the hour after ({retried_for} s)"
    );
    assert!(last_attempts >= 30, "{last_attempts} attempts");
    let (_, status) = tessera::admin::clients::show_client(&app.services.store, &client.id)
        .await
        .expect("show");
    assert_eq!((status.pending, status.abandoned), (0, 1));
}

#[tokio::test]
async fn the_logout_page_never_waits_for_a_slow_application() {
    let app = spawn_app().await;
    app.create_user("alice").await;
    // An RP that answers only when the test says so.
    let mut rp = HeldRp::start().await;
    let client = app
        .create_client(backchannel_client("app1", APP1_HOST, &rp.uri()))
        .await;
    let browser = app.browser();
    login_and_exchange(&app, &browser, &client, "alice").await;

    let signed_out = browser.sign_out().await;
    assert_eq!(signed_out.status(), 200, "the user is signed out");
    // The page was answered while the RP had not answered (or not even
    // been asked) yet: it never waited for the application.
    let (_token, answer) = rp.next().await;
    let notice = notices(&app, &client.id).await.remove(0);
    assert_eq!(notice.state, NoticeState::Pending, "still under way");
    answer.send(()).expect("answer");
    eventually("the notice to be delivered", || async {
        notices(&app, &client.id).await[0].state == NoticeState::Delivered
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_replicas_deliver_each_notice_exactly_once_on_postgres_and_redis() {
    let a = spawn_replicated_app().await;
    let b = a.replica().await;
    a.create_user("alice").await;
    let rp = TestRp::start().await;
    let client = a
        .create_client(backchannel_client("app1", APP1_HOST, &rp.uri()))
        .await;
    // Twenty browsers, half signed in through each replica.
    for i in 0..20 {
        let replica = if i % 2 == 0 { &a } else { &b };
        login_and_exchange(replica, &replica.browser(), &client, "alice").await;
    }

    let ended = logout_user(&a.services.store, "alice", Actor::Cli, a.now())
        .await
        .expect("logout");
    assert_eq!(ended.sessions.len(), 20);
    assert_eq!(ended.notices_queued, 20);
    // Both replicas (besides their background workers) race for them.
    let (ra, rb) = tokio::join!(delivery_pass(&a), delivery_pass(&b),);
    let (ra, rb) = (ra.expect("pass a"), rb.expect("pass b"));
    assert!(ra.delivered + rb.delivered <= 20);

    let received = rp.wait_for(20).await;
    eventually("every notice delivered", || async {
        notices(&a, &client.id)
            .await
            .iter()
            .all(|n| n.state == NoticeState::Delivered)
    })
    .await;
    let mut sids = Vec::new();
    for token in rp.tokens() {
        let (_, claims) = verify_with_jwks(&a, &token).await;
        sids.push(claims["sid"].as_str().expect("sid").to_string());
    }
    sids.sort();
    sids.dedup();
    assert!(received.len() >= 20);
    assert_eq!(rp.tokens().len(), 20, "no notice delivered twice");
    assert_eq!(sids.len(), 20, "one notice per session");
}

/// The `sid` and `jti` a logout token carries (unverified: tests look inside).
fn sid_and_jti(token: &str) -> (String, String) {
    let claims = jwt_payload(token);
    (field(&claims, "sid"), field(&claims, "jti"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_pass_slower_than_the_lease_never_delivers_a_notice_twice() {
    // One attempt at a time, so the pass takes its notices one after another.
    let app = spawn_app_with(|s| s.backchannel_concurrency = 1).await;
    app.create_user("alice").await;
    let mut rp = HeldRp::start().await;
    let client = app
        .create_client(backchannel_client("app1", APP1_HOST, &rp.uri()))
        .await;
    login_and_exchange(&app, &app.browser(), &client, "alice").await;
    login_and_exchange(&app, &app.browser(), &client, "alice").await;
    logout_user(app.state.provider.store(), "alice", Actor::Cli, app.now())
        .await
        .expect("logout");

    // The worker's pass takes the first notice; that attempt outlasts a lease.
    let (first, answer) = rp.next().await;
    app.clock
        .advance(tessera::domain::LogoutNotice::LEASE_SECS + 1);
    answer.send(()).expect("answer");
    // The same pass then takes the second notice. While that attempt is
    // under way, another pass looks for due notices.
    let (second, held) = rp.next().await;
    assert_ne!(sid_and_jti(&first).0, sid_and_jti(&second).0);
    let mut other = tokio::spawn({
        let (state, clock) = (app.state.clone(), app.clock.clone());
        async move {
            let never = std::sync::atomic::AtomicBool::new(false);
            state
                .provider
                .deliver_due_notices(&tessera::oauth::backchannel::DeliveryPass {
                    clock: clock.as_ref(),
                    concurrency: 16,
                    stopping: &never,
                })
                .await
                .expect("pass")
        }
    });
    let mut duplicates = Vec::new();
    let report = loop {
        tokio::select! {
            report = async { (&mut other).await } => break report.expect("joined"),
            arrival = rp.next() => {
                duplicates.push(sid_and_jti(&arrival.0));
                let _ = arrival.1.send(());
            }
        }
    };
    assert!(duplicates.is_empty(), "delivered again: {duplicates:?}");
    assert_eq!(
        report.delivered + report.failed + report.skipped,
        0,
        "{report:?}"
    );
    held.send(()).expect("answer");
    eventually("both notices delivered", || async {
        notices(&app, &client.id)
            .await
            .iter()
            .all(|n| n.state == NoticeState::Delivered)
    })
    .await;
    // Each token's jti is its notice's own id.
    let ids: Vec<String> = notices(&app, &client.id)
        .await
        .into_iter()
        .map(|n| n.id)
        .collect();
    for token in [&first, &second] {
        assert!(ids.contains(&sid_and_jti(token).1));
    }
}

#[tokio::test]
async fn a_stopping_server_lets_a_delivery_under_way_finish_and_never_sends_it_again() {
    let app = spawn_app().await;
    app.create_user("alice").await;
    let mut rp = HeldRp::start().await;
    let client = app
        .create_client(backchannel_client("app1", APP1_HOST, &rp.uri()))
        .await;
    let browser = app.browser();
    login_and_exchange(&app, &browser, &client, "alice").await;
    browser.sign_out().await;
    let (token, answer) = rp.next().await;

    // The server is told to stop while the attempt is under way; it stops
    // serving, and waits for the attempt.
    let mut app = app;
    app.handle.stop(true).await;
    answer.send(()).expect("answer");
    app.stop().await;
    let notice = notices(&app, &client.id).await.remove(0);
    assert_eq!(notice.state, NoticeState::Delivered);
    assert_eq!(notice.attempts, 1);
    assert_eq!(sid_and_jti(&token).1, notice.id, "jti is the notice's id");

    // Started again, later: nothing is sent again.
    let app = app.restart().await;
    app.clock.advance(60);
    let report = delivery_pass(&app).await.expect("pass");
    assert_eq!(report.delivered + report.failed, 0);
    assert!(rp.arrivals.try_recv().is_err(), "no second delivery");
}

#[tokio::test]
async fn deliveries_never_reach_an_internal_address_unless_its_network_is_allowed() {
    let app = spawn_app_with(|s| s.backchannel_allowed_networks = Vec::new()).await;
    app.create_user("alice").await;
    let rp = TestRp::start().await;
    let by_address = app
        .create_client(backchannel_client("app1", APP1_HOST, &rp.uri()))
        .await;
    let by_name = app
        .create_client(backchannel_client(
            "app2",
            APP2_HOST,
            &format!("http://localhost:{}/backchannel", rp.port),
        ))
        .await;
    let browser = app.browser();
    login_and_exchange(&app, &browser, &by_address, "alice").await;
    login_and_exchange(&app, &browser, &by_name, "alice").await;
    browser.sign_out().await;
    eventually("both attempts made", || async {
        let all = [
            notices(&app, &by_address.id).await,
            notices(&app, &by_name.id).await,
        ];
        all.iter().all(|n| n[0].last_error.is_some())
    })
    .await;
    assert_eq!(
        notices(&app, &by_address.id).await[0].last_error.as_deref(),
        Some("refused: not a public address")
    );
    assert_eq!(
        notices(&app, &by_name.id).await[0].last_error.as_deref(),
        Some("refused: the host resolves to no public address"),
        "checked after name resolution"
    );
    assert!(
        rp.tokens().is_empty(),
        "nothing reached the internal address"
    );
}

#[tokio::test]
async fn with_an_https_issuer_back_channel_uris_must_be_https() {
    let app = spawn_app_with(|s| s.issuer = s.issuer.replace("http://", "https://")).await;
    let policy = tessera::domain::RedirectUriPolicy { allow_http: false };
    let register = |uri: &str| {
        tessera::admin::clients::create_client(
            &app.services.store,
            app.pepper(),
            policy,
            backchannel_client(
                &format!("c{}", uuid::Uuid::new_v4().simple()),
                APP1_HOST,
                uri,
            ),
            &Actor::Cli,
            app.now(),
        )
    };
    for refused in [
        "http://rp.example.com/backchannel",
        "http://127.0.0.1:9/backchannel",
        "com.example.app:/backchannel",
    ] {
        let err = register(refused).await.expect_err(refused);
        assert!(err.to_string().contains("back-channel logout URI"), "{err}");
    }
    register("https://rp.example.com/backchannel")
        .await
        .expect("https is fine");
}
