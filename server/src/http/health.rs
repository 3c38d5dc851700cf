//! Health for orchestrators: `/health/live` says the process answers;
//! `/health/ready` (and its alias `/health`) says it can serve: the
//! database answers, Redis answers when configured, and signing keys are
//! loaded. Each check gives up after a second, so a hung dependency makes
//! the answer 503, never a hang.

use std::future::Future;
use std::time::Duration;

use actix_web::{HttpResponse, web};
use serde_json::json;

use crate::domain::SigningAlg;
use crate::state::AppState;

const CHECK_TIMEOUT: Duration = Duration::from_secs(1);

/// The process answers.
pub async fn live_get() -> HttpResponse {
    HttpResponse::Ok()
        .insert_header(("Cache-Control", "no-store"))
        .json(json!({ "status": "live" }))
}

async fn check<E: std::fmt::Display>(
    what: &'static str,
    probe: impl Future<Output = Result<(), E>>,
) -> &'static str {
    match tokio::time::timeout(CHECK_TIMEOUT, probe).await {
        Ok(Ok(())) => "ok",
        Ok(Err(err)) => {
            tracing::warn!(error = %err, check = what, "readiness check failed");
            "unavailable"
        }
        Err(_) => {
            tracing::warn!(check = what, "readiness check timed out after 1 s");
            "unavailable"
        }
    }
}

/// Ready when the database (and Redis, if configured) answer and a
/// signing key of every algorithm is loaded.
pub async fn ready_get(state: web::Data<AppState>) -> HttpResponse {
    let store = state.provider.store();
    let database = check("database", store.ping_database()).await;
    let redis = if store.ephemeral_is_shared() {
        check("redis", store.ping_ephemeral()).await
    } else {
        "not configured"
    };
    let now = state.now();
    let keys = state.provider.keys();
    let keys = if SigningAlg::ALL
        .iter()
        .all(|alg| keys.signing_kid(*alg, now).is_some())
    {
        "ok"
    } else {
        "missing"
    };
    let ready = database == "ok" && redis != "unavailable" && keys == "ok";
    let body = json!({
        "status": if ready { "ready" } else { "unavailable" },
        "database": database,
        "redis": redis,
        "keys": keys,
    });
    if ready {
        HttpResponse::Ok()
            .insert_header(("Cache-Control", "no-store"))
            .json(body)
    } else {
        HttpResponse::ServiceUnavailable()
            .insert_header(("Cache-Control", "no-store"))
            .json(body)
    }
}
