//! Anything single-use or counted, hit by many parallel requests at once:
//! exactly one winner, and limits that hold.

use std::sync::Arc;

use futures_util::future::join_all;

use crate::helpers::*;

const PARALLEL: usize = 20;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn one_refresh_token_used_in_parallel_rotates_once() {
    let app = Arc::new(spawn_app().await);
    app.create_user("alice").await;
    let client = app.confidential_client("app1", APP1_HOST).await;
    let tokens = login_and_exchange(&app, &app.browser(), &client, "alice").await;
    let refresh = tokens["refresh_token"].as_str().expect("rt").to_string();

    let attempts = (0..PARALLEL).map(|_| {
        let (app, client, refresh) = (app.clone(), client.clone(), refresh.clone());
        tokio::spawn(async move {
            token_request(
                &app,
                &client,
                &[("grant_type", "refresh_token"), ("refresh_token", &refresh)],
            )
            .await
            .status()
            .as_u16()
        })
    });
    let statuses: Vec<u16> = join_all(attempts)
        .await
        .into_iter()
        .map(|r| r.expect("task"))
        .collect();
    assert_eq!(
        statuses.iter().filter(|s| **s == 200).count(),
        1,
        "{statuses:?}"
    );
    assert_eq!(statuses.iter().filter(|s| **s == 400).count(), PARALLEL - 1);
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

    let attempts = (0..PARALLEL).map(|_| {
        let (app, client, code, verifier) =
            (app.clone(), client.clone(), code.clone(), verifier.clone());
        tokio::spawn(async move {
            exchange_code(&app, &client, &code, &verifier)
                .await
                .status()
                .as_u16()
        })
    });
    let statuses: Vec<u16> = join_all(attempts)
        .await
        .into_iter()
        .map(|r| r.expect("task"))
        .collect();
    assert_eq!(
        statuses.iter().filter(|s| **s == 200).count(),
        1,
        "{statuses:?}"
    );
    assert_eq!(statuses.iter().filter(|s| **s == 400).count(), PARALLEL - 1);
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

    let attempts = (0..PARALLEL).map(|i| {
        let (app, browser, csrf, request) =
            (app.clone(), browser.clone(), csrf.clone(), request.clone());
        tokio::spawn(async move {
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
        })
    });
    let statuses: Vec<u16> = join_all(attempts)
        .await
        .into_iter()
        .map(|r| r.expect("task"))
        .collect();
    assert_eq!(
        statuses.iter().filter(|s| **s == 401).count(),
        5,
        "exactly the limit of guesses were checked: {statuses:?}"
    );
    assert_eq!(statuses.iter().filter(|s| **s == 429).count(), PARALLEL - 5);
    // The right password is refused too while the account is throttled.
    let response = browser.submit_login(&login, "alice", PASSWORD).await;
    assert_eq!(response.status(), 429);
}
