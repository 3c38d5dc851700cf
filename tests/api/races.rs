//! Anything single-use or counted, hit by many parallel requests at once
//! (tasks on a multi-threaded runtime, released together by a barrier, each
//! race run several times): exactly one winner, limits that hold, and an
//! ending that no concurrent refresh outlives.

use std::sync::Arc;

use futures_util::future::join_all;

use crate::helpers::*;

const PARALLEL: usize = 20;
/// Each race is run this many times.
const ROUNDS: usize = 3;

/// Start `attempt(i)` for every i below [`PARALLEL`] at once (each its own
/// task, all released by one barrier); their outcomes.
async fn in_parallel<F, Fut, T>(attempt: F) -> Vec<T>
where
    F: Fn(usize) -> Fut,
    Fut: std::future::Future<Output = T> + Send + 'static,
    T: Send + 'static,
{
    let barrier = Arc::new(tokio::sync::Barrier::new(PARALLEL));
    let tasks = (0..PARALLEL).map(|i| {
        let (barrier, attempt) = (barrier.clone(), attempt(i));
        tokio::spawn(async move {
            barrier.wait().await;
            attempt.await
        })
    });
    join_all(tasks)
        .await
        .into_iter()
        .map(|r| r.expect("task"))
        .collect()
}

fn count(statuses: &[u16], status: u16) -> usize {
    statuses.iter().filter(|s| **s == status).count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn one_refresh_token_used_in_parallel_rotates_once() {
    let app = Arc::new(spawn_app().await);
    app.create_user("alice").await;
    let client = app.confidential_client("app1", APP1_HOST).await;
    for _ in 0..ROUNDS {
        let tokens = login_and_exchange(&app, &app.browser(), &client, "alice").await;
        let refresh = tokens["refresh_token"].as_str().expect("rt").to_string();

        let statuses = in_parallel(|_| {
            let (app, client, refresh) = (app.clone(), client.clone(), refresh.clone());
            async move { refresh_status(&app, &client, &refresh).await }
        })
        .await;
        assert_eq!(count(&statuses, 200), 1, "{statuses:?}");
        assert_eq!(count(&statuses, 400), PARALLEL - 1);
    }
}

/// Refreshes of many families at once (with SQLite, committed together):
/// each family's token rotates exactly once, the request that rotated it
/// gets a successor that works, and a token presented twice at once
/// rotates for one request only.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn many_families_refreshed_at_once_each_rotate_exactly_once() {
    let app = Arc::new(spawn_app().await);
    app.create_user("alice").await;
    let client = app.confidential_client("app1", APP1_HOST).await;
    let mut tokens = Vec::new();
    for _ in 0..PARALLEL {
        let issued = login_and_exchange(&app, &app.browser(), &client, "alice").await;
        tokens.push(field(&issued, "refresh_token"));
    }
    let refresh = |token: String| {
        let (app, client) = (app.clone(), client.clone());
        async move {
            let response = token_request(
                &app,
                &client,
                &[("grant_type", "refresh_token"), ("refresh_token", &token)],
            )
            .await;
            let status = response.status().as_u16();
            let body: serde_json::Value = response.json().await.expect("json");
            (status, body["refresh_token"].as_str().map(str::to_string))
        }
    };
    // Every family once, at once, round after round on the successors.
    for _ in 0..ROUNDS {
        let answers = in_parallel(|i| refresh(tokens[i].clone())).await;
        for (i, (status, successor)) in answers.into_iter().enumerate() {
            assert_eq!(status, 200, "family {i}");
            tokens[i] = successor.expect("a successor");
        }
    }
    // Half the families, each token presented by two requests at once.
    let families = PARALLEL / 2;
    let answers = in_parallel(|i| refresh(tokens[i % families].clone())).await;
    let mut rotated = vec![0; families];
    for (i, (status, _)) in answers.iter().enumerate() {
        match status {
            200 => rotated[i % families] += 1,
            400 => {}
            other => panic!("status {other}"),
        }
    }
    assert_eq!(rotated, vec![1; families], "each family rotated once");
    assert_eq!(forked_refresh_families(&app.settings.database_url).await, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn one_code_redeemed_in_parallel_works_once() {
    let app = Arc::new(spawn_app().await);
    app.create_user("alice").await;
    let client = app.confidential_client("app1", APP1_HOST).await;
    for _ in 0..ROUNDS {
        let (verifier, challenge) = pkce_pair();
        let redirect = app
            .browser()
            .authorize_through(&code_params(&client, &challenge, "s", "n"), "alice")
            .await;
        let code = redirect.param("code").expect("code");

        let winner = Arc::new(std::sync::Mutex::new(None::<String>));
        let statuses = in_parallel(|_| {
            let (app, client, code, verifier, winner) = (
                app.clone(),
                client.clone(),
                code.clone(),
                verifier.clone(),
                winner.clone(),
            );
            async move {
                let response = exchange_code(&app, &client, &code, &verifier).await;
                let status = response.status().as_u16();
                if status == 200 {
                    let body: serde_json::Value = response.json().await.expect("json");
                    *winner.lock().expect("lock") = Some(field(&body, "access_token"));
                }
                status
            }
        })
        .await;
        assert_eq!(count(&statuses, 200), 1, "{statuses:?}");
        assert_eq!(count(&statuses, 400), PARALLEL - 1);
        // The replays revoked what the one redemption issued (RFC 6749 §4.1.2).
        let access = winner
            .lock()
            .expect("lock")
            .clone()
            .expect("the winner's token");
        assert_eq!(userinfo(&app, &access).await.status(), 401);
    }
}

/// Code redemptions and refreshes at once (with SQLite, committed
/// together): each code of a live session gives tokens whose refresh token
/// then rotates, each code whose session ended before it was redeemed is
/// refused, and each refresh rotates.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn codes_and_refreshes_at_once_each_commit_or_are_refused() {
    let app = Arc::new(spawn_app().await);
    app.create_user("alice").await;
    app.create_user("bob").await;
    let client = app.confidential_client("app1", APP1_HOST).await;
    let (alice, bob) = (app.browser(), app.browser());
    let mut refresh_tokens: Vec<String> = Vec::new();
    for _ in 0..PARALLEL / 4 {
        let issued = login_and_exchange(&app, &alice, &client, "alice").await;
        refresh_tokens.push(field(&issued, "refresh_token"));
    }
    for _ in 0..ROUNDS {
        // Half the requests redeem alice's codes, a quarter bob's, whose
        // session ends first; the rest refresh.
        let mut codes = Vec::new();
        for i in 0..PARALLEL * 3 / 4 {
            let (browser, user) = if i % 3 == 2 {
                (&bob, "bob")
            } else {
                (&alice, "alice")
            };
            let (verifier, challenge) = pkce_pair();
            let redirect = browser
                .authorize_through(&code_params(&client, &challenge, "s", "n"), user)
                .await;
            codes.push((redirect.param("code").expect("code"), verifier, user));
        }
        assert!(bob.sign_out().await.status().is_success());
        let answers = in_parallel(|i| {
            let (app, client) = (app.clone(), client.clone());
            let code = codes.get(i).cloned();
            let token = i
                .checked_sub(codes.len())
                .and_then(|n| refresh_tokens.get(n).cloned());
            async move {
                let response = match code {
                    Some((code, verifier, _)) => {
                        exchange_code(&app, &client, &code, &verifier).await
                    }
                    None => {
                        let token = token.expect("a refresh token");
                        token_request(
                            &app,
                            &client,
                            &[("grant_type", "refresh_token"), ("refresh_token", &token)],
                        )
                        .await
                    }
                };
                let status = response.status().as_u16();
                let body: serde_json::Value = response.json().await.expect("json");
                (status, body)
            }
        })
        .await;
        for (i, (status, body)) in answers.iter().enumerate() {
            match codes.get(i) {
                Some((_, _, "bob")) => {
                    assert_eq!(*status, 400, "bob's code {i}: {body}");
                    assert_eq!(body["error"], "invalid_grant");
                }
                Some(_) => {
                    assert_eq!(*status, 200, "alice's code {i}: {body}");
                    // Its grant and refresh token were stored.
                    let token = field(body, "refresh_token");
                    assert_eq!(refresh_status(&app, &client, &token).await, 200);
                }
                None => {
                    assert_eq!(*status, 200, "refresh {i}: {body}");
                    refresh_tokens[i - codes.len()] = field(body, "refresh_token");
                }
            }
        }
    }
    assert_eq!(forked_refresh_families(&app.settings.database_url).await, 0);
}

/// A write that cannot be stored (here, a grant for a client deleted since)
/// fails alone: the writes committed beside it are stored.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_grant_that_cannot_be_stored_fails_alone() {
    use tessera::domain::{ClientId, Grant, RefreshTokenRecord, Scopes};
    let app = Arc::new(spawn_app().await);
    let alice = app.create_user("alice").await;
    let client = app.confidential_client("app1", APP1_HOST).await;
    for round in 0..ROUNDS {
        let now = app.now();
        let user_id = alice.id.clone();
        let grant = move |i: usize| {
            let client_id = if i == 0 { "deleted-client" } else { "app1" };
            Grant {
                id: format!("grant-{round}-{i}"),
                client_id: ClientId::parse(client_id).expect("client id"),
                user_id: user_id.clone(),
                session_sid: None,
                scope: Scopes::parse("openid offline_access").expect("scope"),
                auth_time: now,
                amr: vec!["pwd".into()],
                created_at: now,
                revoked_at: None,
                resources: Vec::new(),
            }
        };
        let results = in_parallel(|i| {
            let (app, grant) = (app.clone(), grant(i));
            async move {
                let token = RefreshTokenRecord {
                    token_hash: format!("{:064x}", round * PARALLEL + i),
                    grant_id: grant.id.clone(),
                    client_id: grant.client_id.clone(),
                    scope: grant.scope.clone(),
                    issued_at: now,
                    expires_at: now + 3600,
                    used_at: None,
                };
                app.services.store.create_grant(&grant, Some(&token)).await
            }
        })
        .await;
        assert!(
            results[0].is_err(),
            "a grant for a client that does not exist"
        );
        for (i, result) in results.iter().enumerate().skip(1) {
            assert!(result.is_ok(), "grant {i}: {result:?}");
            let stored = app
                .services
                .store
                .grant_by_id(&format!("grant-{round}-{i}"))
                .await
                .expect("grant");
            assert_eq!(
                stored.map(|g| g.client_id.as_str().to_string()),
                Some(client.id.clone())
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn parallel_wrong_passwords_get_no_more_guesses_than_the_limit() {
    let app = Arc::new(spawn_app_with(|s| s.login_max_failures_per_account = 5).await);
    app.create_user("alice").await;
    let client = app.confidential_client("app1", APP1_HOST).await;
    let browser = Arc::new(app.browser());
    let login = redirect_of(
        &browser
            .authorize(&code_params(&client, &pkce_pair().1, "s", "n"))
            .await,
        &app.issuer,
    )
    .location
    .to_string();
    // Load the form once so every request shares one CSRF cookie and token.
    let html = browser.get(&login).await.text().await.expect("html");
    let csrf = hidden_field(&html, "csrf_token").expect("csrf");
    let request = hidden_field(&html, "request").expect("request");

    let statuses = in_parallel(|i| {
        let (app, browser, csrf, request) =
            (app.clone(), browser.clone(), csrf.clone(), request.clone());
        async move {
            let password = format!("wrong password {i}");
            browser
                .post_form(
                    &app.url("/login"),
                    &[
                        ("username", "alice"),
                        ("password", &password),
                        ("csrf_token", &csrf),
                        ("request", &request),
                    ],
                )
                .await
                .status()
                .as_u16()
        }
    })
    .await;
    assert_eq!(
        count(&statuses, 401),
        5,
        "exactly the limit of guesses were checked: {statuses:?}"
    );
    assert_eq!(count(&statuses, 429), PARALLEL - 5);
    // The right password is refused too while the account is throttled.
    let response = browser.submit_login(&login, "alice", PASSWORD).await;
    assert_eq!(response.status(), 429);
}

/// Refreshes of one token racing something that ends its family: whatever
/// the order, afterwards no refresh token of the family works and no access
/// token issued in the race is accepted.
async fn refreshes_racing(
    app: &Arc<TestApp>,
    client: &TestClient,
    end: impl Fn(String) -> std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send>>,
) {
    let tokens = login_and_exchange(app, &app.browser(), client, "alice").await;
    let refresh = field(&tokens, "refresh_token");
    let outcomes = in_parallel(|i| {
        let (app, client, refresh) = (app.clone(), client.clone(), refresh.clone());
        let ending = (i == PARALLEL / 2).then(|| end(refresh.clone()));
        async move {
            if let Some(ending) = ending {
                ending.await;
                return None;
            }
            let response = token_request(
                &app,
                &client,
                &[("grant_type", "refresh_token"), ("refresh_token", &refresh)],
            )
            .await;
            if response.status() == 200 {
                let body: serde_json::Value = response.json().await.expect("json");
                Some((field(&body, "access_token"), field(&body, "refresh_token")))
            } else {
                None
            }
        }
    })
    .await;
    let issued: Vec<(String, String)> = outcomes.into_iter().flatten().collect();
    assert!(issued.len() <= 1, "one rotation at most");
    assert_eq!(refresh_status(app, client, &refresh).await, 400);
    for (access, successor) in issued {
        assert_eq!(
            refresh_status(app, client, &successor).await,
            400,
            "no live successor"
        );
        assert_eq!(
            userinfo(app, &access).await.status(),
            401,
            "no live access token"
        );
    }
    assert_eq!(
        userinfo(app, &field(&tokens, "access_token"))
            .await
            .status(),
        401
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn refreshes_racing_a_revocation_leave_nothing_alive() {
    let app = Arc::new(spawn_app().await);
    app.create_user("alice").await;
    let client = app.confidential_client("app1", APP1_HOST).await;
    for _ in 0..ROUNDS {
        let (app2, client2) = (app.clone(), client.clone());
        // The family is revoked with the very token every refresh presents.
        refreshes_racing(&app, &client, move |refresh| {
            let (app, client) = (app2.clone(), client2.clone());
            Box::pin(async move {
                assert_eq!(revoke(&app, &client, &refresh, None).await.status(), 200);
            })
        })
        .await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn refreshes_racing_a_logout_leave_nothing_alive() {
    let app = Arc::new(spawn_app().await);
    app.create_user("alice").await;
    let client = app.confidential_client("app1", APP1_HOST).await;
    for _ in 0..ROUNDS {
        let app2 = app.clone();
        refreshes_racing(&app, &client, move |_| {
            let app = app2.clone();
            Box::pin(async move {
                tessera::admin::sessions::logout_user(
                    app.state.provider.store(),
                    "alice",
                    tessera::domain::Actor::Cli,
                    app.now(),
                )
                .await
                .expect("logout");
            })
        })
        .await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_sweep_racing_a_sign_out_ends_a_session_once() {
    let app = Arc::new(spawn_app().await);
    app.create_user("alice").await;
    let rp = TestRp::start().await;
    let client = app
        .create_client(backchannel_client("app1", APP1_HOST, &rp.uri()))
        .await;
    for round in 0..ROUNDS {
        let browser = Arc::new(app.browser());
        login_and_exchange(&app, &browser, &client, "alice").await;
        let sid = app
            .services
            .store
            .sessions(None, app.now(), 10)
            .await
            .expect("sessions")
            .remove(0)
            .session
            .sid;
        // A second short of its idle expiry; then, a second later, swept by
        // several passes and ended by its user, all at once.
        app.clock.advance(8 * 3600 - 1);
        let outcomes = in_parallel(|i| {
            let (app, sid) = (app.clone(), sid.clone());
            async move {
                let now = app.now() + 1;
                if i % 2 == 0 {
                    app.state
                        .provider
                        .sweep(now)
                        .await
                        .expect("sweep")
                        .sessions_expired
                } else {
                    let ended = app
                        .state
                        .provider
                        .end_sessions(
                            tessera::oauth::ending::EndSessions {
                                target: tessera::domain::EndTarget::Session(sid),
                                reason: tessera::domain::EndReason::SignOut,
                                actor: tessera::domain::Actor::System,
                                ip: None,
                            },
                            now,
                        )
                        .await
                        .expect("end");
                    ended.sessions.len()
                }
            }
        })
        .await;
        assert_eq!(
            outcomes.iter().sum::<usize>(),
            1,
            "ended once: {outcomes:?}"
        );
        app.clock.advance(1);
        // Once every delivery under way has finished, the RP heard once.
        let expected = round + 1;
        rp.wait_for(expected).await;
        eventually("deliveries under way to finish", || async {
            app.services
                .store
                .notices_for_client(&tessera::domain::ClientId::parse("app1").expect("id"))
                .await
                .expect("notices")
                .iter()
                .all(|n| n.state == tessera::domain::NoticeState::Delivered)
        })
        .await;
        assert_eq!(rp.tokens().len(), expected, "one notice per ending");
        let _ = browser;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_burst_of_sign_ins_beyond_the_hashers_and_their_queue_gets_503_at_once() {
    let app = Arc::new(
        spawn_app_with(|s| {
            s.password_hash_queue = 1;
            s.login_max_failures_per_account = 1000;
        })
        .await,
    );
    app.create_user("alice").await;
    let browser = Arc::new(app.browser());
    // The sign-in page itself (no authorization request to resume).
    let login = app.url("/login");
    let html = browser.get(&login).await.text().await.expect("html");
    let csrf = hidden_field(&html, "csrf_token").expect("csrf");

    let answers = in_parallel(|_| {
        let (app, browser, csrf) = (app.clone(), browser.clone(), csrf.clone());
        async move {
            let response = browser
                .post_form(
                    &app.url("/login"),
                    &[
                        ("username", "alice"),
                        ("password", PASSWORD),
                        ("csrf_token", &csrf),
                    ],
                )
                .await;
            let status = response.status().as_u16();
            let retry_after = retry_after(&response);
            let page = response.text().await.unwrap_or_default();
            (status, retry_after, page)
        }
    })
    .await;
    let statuses: Vec<u16> = answers.iter().map(|a| a.0).collect();
    // One hash per core runs and one more waits; the rest are told at once
    // (the exact count is the unit test's: here requests trickle in).
    assert!(
        statuses.iter().all(|s| *s == 303 || *s == 503),
        "{statuses:?}"
    );
    assert!(count(&statuses, 303) >= 1, "{statuses:?}");
    assert!(count(&statuses, 503) >= 1, "{statuses:?}");
    for (status, retry_after, page) in &answers {
        if *status == 503 {
            assert_eq!(retry_after.as_deref(), Some("1"));
            assert!(page.contains("try again in a moment"), "{page}");
            assert!(
                page.contains("name=\"password\""),
                "the form is shown again"
            );
        }
    }
    // Once the burst is over, signing in works as before.
    let response = app.browser().submit_login(&login, "alice", PASSWORD).await;
    assert!(response.status().is_redirection(), "{}", response.status());
}
