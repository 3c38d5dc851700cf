//! The order service: `POST /orders` (`orders:write`) checks the product
//! with the product service, calling it with a token exchanged for the
//! caller's (RFC 8693): addressed to the product service, for the same
//! user, naming this service as the actor, and short-lived. The caller's
//! own token, addressed to the order service, would be refused there.

use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;

use crate::guard::Guard;

/// Where the order service finds Tessera and the product service, and who
/// it is to Tessera.
#[derive(Clone, Debug)]
pub struct Upstream {
    pub http: reqwest::Client,
    /// Tessera's token endpoint.
    pub token_url: String,
    pub client_id: String,
    pub client_secret: String,
    /// The product service's base URL and API identifier.
    pub product_url: String,
    pub product_identifier: String,
}

#[derive(Debug, Deserialize)]
pub struct NewOrder {
    pub product_id: u32,
    pub quantity: u32,
}

/// The routes, for `App::configure`, with the [`Guard`] and the
/// [`Upstream`] as app data.
pub fn routes(config: &mut web::ServiceConfig) {
    config.route("/orders", web::post().to(place));
}

fn failed(status: u16, what: String) -> HttpResponse {
    HttpResponse::build(
        actix_web::http::StatusCode::from_u16(status)
            .unwrap_or(actix_web::http::StatusCode::BAD_GATEWAY),
    )
    .json(serde_json::json!({ "error": what }))
}

async fn place(
    req: HttpRequest,
    guard: web::Data<Guard>,
    upstream: web::Data<Upstream>,
    order: web::Json<NewOrder>,
) -> HttpResponse {
    let (token, claims) = match guard.admit(&req, "orders:write").await {
        Ok(admitted) => admitted,
        Err(refusal) => return refusal.response(),
    };
    if order.quantity == 0 || order.quantity > 100 {
        return failed(400, "quantity must be 1 to 100".into());
    }
    let exchanged = match upstream.exchange(&token).await {
        Ok(token) => token,
        Err(why) => return failed(502, format!("token exchange failed: {why}")),
    };
    let product = match upstream.product(order.product_id, &exchanged).await {
        Ok(product) => product,
        Err((status, why)) => return failed(status, why),
    };
    HttpResponse::Created().json(serde_json::json!({
        "user": claims.sub,
        "quantity": order.quantity,
        "product": product["product"],
        "product_service_saw": { "for": product["for"], "act": product["act"] },
    }))
}

impl Upstream {
    /// Exchange the caller's token for one addressed to the product service.
    pub async fn exchange(&self, subject: &str) -> Result<String, String> {
        let response = self
            .http
            .post(&self.token_url)
            .basic_auth(&self.client_id, Some(&self.client_secret))
            .form(&[
                (
                    "grant_type",
                    "urn:ietf:params:oauth:grant-type:token-exchange",
                ),
                ("subject_token", subject),
                (
                    "subject_token_type",
                    "urn:ietf:params:oauth:token-type:access_token",
                ),
                ("resource", &self.product_identifier),
                ("scope", "products:read"),
            ])
            .send()
            .await
            .map_err(|e| e.to_string())?;
        let status = response.status();
        let body: serde_json::Value =
            serde_json::from_slice(&response.bytes().await.map_err(|e| e.to_string())?)
                .map_err(|e| e.to_string())?;
        if !status.is_success() {
            return Err(format!(
                "{} ({})",
                body["error"].as_str().unwrap_or("error"),
                body["error_description"].as_str().unwrap_or_default()
            ));
        }
        body["access_token"]
            .as_str()
            .map(str::to_string)
            .ok_or_else(|| "no access_token in the answer".to_string())
    }

    /// `GET /products/{id}` at the product service with `token`.
    pub async fn product(&self, id: u32, token: &str) -> Result<serde_json::Value, (u16, String)> {
        let response = self
            .http
            .get(format!("{}/products/{id}", self.product_url))
            .bearer_auth(token)
            .send()
            .await
            .map_err(|e| (502, e.to_string()))?;
        let status = response.status().as_u16();
        let body: serde_json::Value = response
            .bytes()
            .await
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok())
            .unwrap_or_default();
        match status {
            200 => Ok(body),
            404 => Err((404, "no such product".into())),
            _ => Err((
                502,
                format!("the product service answered {status}: {body}"),
            )),
        }
    }
}
