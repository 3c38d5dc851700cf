//! Anything single-use or counted, hit by many parallel requests at once:
//! exactly one winner, and limits that hold.

use std::sync::Arc;

use futures_util::future::join_all;

use crate::helpers::*;

const PARALLEL: usize = 20;

/// Start `attempt(i)` for every i below [`PARALLEL`] at once; their statuses.
async fn in_parallel<F, Fut>(attempt: F) -> Vec<u16>
where
    F: Fn(usize) -> Fut,
    Fut: std::future::Future<Output = u16> + Send + 'static,
{
    let tasks = (0..PARALLEL).map(|i| tokio::spawn(attempt(i)));
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

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn one_code_redeemed_in_parallel_works_once() {
    let app = Arc::new(spawn_app().await);
    app.create_user("alice").await;
    let client = app.confidential_client("app1", APP1_HOST).await;
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
