//! OIDC Back-Channel Logout 1.0: when a session ends, each client that
//! received tokens in it gets a logout token, through a persistent outbox
//! that retries with backoff, survives restarts and delivers once.

use std::time::Duration;

use tessera::admin::sessions::logout_user;
use tessera::clock::Clock;
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
    let id_token = jwt_payload(tokens["id_token"].as_str().expect("id token"));

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
    let report = app
        .state
        .provider
        .deliver_due_notices(app.now())
        .await
        .expect("a pass");
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
    let port = closed_port();
    let client = app
        .create_client(backchannel_client("app1", APP1_HOST, &TestRp::uri_on(port)))
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
    let early = app
        .state
        .provider
        .deliver_due_notices(app.now())
        .await
        .expect("pass");
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
    app.create_user("alice").await;
    let client = app
        .create_client(backchannel_client(
            "app1",
            APP1_HOST,
            &TestRp::uri_on(closed_port()),
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
        app.state
            .provider
            .deliver_due_notices(app.now())
            .await
            .expect("pass");
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
    assert!(
        app.now() - started >= 24 * 3600,
        "retried for at least a day"
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
    // An RP that accepts connections and never answers.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let accepted = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counter = accepted.clone();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            held.push(socket);
        }
    });
    let client = app
        .create_client(backchannel_client("app1", APP1_HOST, &TestRp::uri_on(port)))
        .await;
    let browser = app.browser();
    login_and_exchange(&app, &browser, &client, "alice").await;

    let signed_out = browser.sign_out().await;
    assert_eq!(signed_out.status(), 200, "the user is signed out");
    eventually("the delivery attempt to reach the RP", || async {
        accepted.load(std::sync::atomic::Ordering::SeqCst) >= 1
    })
    .await;
    let notice = notices(&app, &client.id).await.remove(0);
    assert!(
        notice.last_error.is_none(),
        "the attempt was still under way"
    );

    // The attempt gives up after its 5 s timeout and is rescheduled.
    for _ in 0..200 {
        if notices(&app, &client.id).await[0].last_error.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let notice = notices(&app, &client.id).await.remove(0);
    assert_eq!(notice.last_error.as_deref(), Some("no answer within 5 s"));
    assert_eq!(notice.state, NoticeState::Pending);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_replicas_deliver_each_notice_exactly_once() {
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
    let (ra, rb) = tokio::join!(
        a.state.provider.deliver_due_notices(a.clock.now()),
        b.state.provider.deliver_due_notices(b.clock.now()),
    );
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
