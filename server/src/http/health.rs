use actix_web::{HttpResponse, web};
use serde_json::json;

use crate::state::AppState;

/// Ready when both stores answer.
pub async fn health_get(state: web::Data<AppState>) -> HttpResponse {
    match state.provider.store().ping().await {
        Ok(()) => HttpResponse::Ok().json(json!({ "status": "ok" })),
        Err(err) => {
            tracing::warn!(error = %err, "health check failed");
            HttpResponse::ServiceUnavailable().json(json!({ "status": "unavailable" }))
        }
    }
}
