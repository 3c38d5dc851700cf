//! Redis lost in the middle of serving: what needs it fails fast with a
//! 503, never hangs, what does not need it goes on, and everything
//! recovers by itself when Redis answers again.

use std::time::{Duration, Instant};

use futures_util::future::join_all;

use crate::faults::RedisProxy;
use crate::helpers::*;

/// Redis hangs (connections open, no answers, as a stopped process or a
/// broken network path): sign-ins, which park their request in Redis, are
/// refused with a 503 within about a second, in parallel rather than in
/// lock-step; discovery, JWKS and introspection (which falls back to the
/// database) still answer; once Redis is back, sign-ins work again without
/// a restart.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_hung_redis_fails_what_needs_it_within_a_second_and_recovers_on_postgres_and_redis() {
    let proxy = RedisProxy::start().await;
    let app = spawn_replicated_app_with(|s| s.redis_url = Some(proxy.url())).await;
    let client = app.confidential_client("app1", APP1_HOST).await;
    let service = crate::services::service_client(&app, "svc").await;
    let answer = token_request(&app, &service, &[("grant_type", "client_credentials")]).await;
    assert_eq!(answer.status(), 200);
    let answer: serde_json::Value = answer.json().await.expect("json");
    let token = answer["access_token"].as_str().expect("token").to_string();
    let (_, challenge) = pkce_pair();
    let start = |browser: Browser| {
        let (client, challenge) = (client.clone(), challenge.clone());
        async move {
            let asked = Instant::now();
            let status = browser
                .authorize(&code_params(&client, &challenge, "s", "n"))
                .await
                .status()
                .as_u16();
            (status, asked.elapsed())
        }
    };
    // To the sign-in page, the request parked in Redis.
    assert_eq!(start(app.browser()).await.0, 302, "before the outage");

    proxy.stall();
    let answers = join_all((0..8).map(|_| start(app.browser()))).await;
    let slowest = answers.iter().map(|a| a.1).max().unwrap_or_default();
    println!(
        "with Redis hung, 8 parallel sign-ins refused; the slowest after {} ms",
        slowest.as_millis()
    );
    for (status, took) in &answers {
        assert_eq!(*status, 503, "{answers:?}");
        assert!(*took < Duration::from_secs(2), "no hang: {answers:?}");
    }
    for path in ["/.well-known/openid-configuration", "/jwks"] {
        let answer = app.http().get(app.url(path)).send().await.expect(path);
        assert_eq!(answer.status(), 200, "{path}");
    }
    let introspected = introspect(&app, &service, &token, None).await;
    assert_eq!(
        introspected["active"], true,
        "the database answers: {introspected}"
    );

    proxy.restore();
    eventually("sign-ins work again once Redis is back", || async {
        start(app.browser()).await.0 == 302
    })
    .await;
}
