//! `/health/live`, `/health/ready` and `/health`: what an orchestrator asks.

use std::time::Instant;

use crate::faults::RedisProxy;
use crate::helpers::*;

async fn get(app: &TestApp, path: &str) -> (u16, serde_json::Value) {
    let response = app.http().get(app.url(path)).send().await.expect("health");
    let status = response.status().as_u16();
    (status, response.json().await.expect("json"))
}

#[tokio::test]
async fn a_running_server_is_live_and_ready_with_its_database_and_keys() {
    let app = spawn_app().await;
    let (status, live) = get(&app, "/health/live").await;
    assert_eq!((status, &live["status"]), (200, &serde_json::json!("live")));
    for path in ["/health/ready", "/health"] {
        let (status, ready) = get(&app, path).await;
        assert_eq!(status, 200, "{path}: {ready}");
        assert_eq!(ready["status"], "ready");
        assert_eq!(ready["database"], "ok");
        assert_eq!(ready["keys"], "ok");
        assert_eq!(
            ready["redis"],
            if app.settings.redis_url.is_some() {
                "ok"
            } else {
                "not configured"
            }
        );
    }
}

#[tokio::test]
async fn without_redis_a_server_is_live_but_not_ready_and_says_why_on_postgres_and_redis() {
    let proxy = RedisProxy::start().await;
    let app = spawn_replicated_app_with(|s| s.redis_url = Some(proxy.url())).await;
    assert_eq!(get(&app, "/health/ready").await.0, 200);
    proxy.cut();
    let asked = Instant::now();
    let (status, ready) = get(&app, "/health/ready").await;
    let waited = asked.elapsed();
    assert_eq!(status, 503, "{ready}");
    assert_eq!(ready["redis"], "unavailable");
    assert_eq!(ready["database"], "ok");
    println!("not ready answered after {} ms", waited.as_millis());
    assert_eq!(get(&app, "/health/live").await.0, 200);
    proxy.restore();
    eventually("ready again once Redis is back", || async {
        get(&app, "/health/ready").await.0 == 200
    })
    .await;
}
