//! The product service: a catalogue anyone with `products:read` may read.

use actix_web::{HttpRequest, HttpResponse, web};
use serde::Serialize;

use crate::guard::Guard;

/// A product of the catalogue.
#[derive(Clone, Debug, Serialize)]
pub struct Product {
    pub id: u32,
    pub name: &'static str,
    pub price_cents: u32,
}

pub const CATALOGUE: [Product; 3] = [
    Product {
        id: 1,
        name: "Tessera mug",
        price_cents: 1200,
    },
    Product {
        id: 2,
        name: "Key ring",
        price_cents: 450,
    },
    Product {
        id: 3,
        name: "Sticker pack",
        price_cents: 300,
    },
];

/// The routes, for `App::configure`, with the service's [`Guard`] as app data.
pub fn routes(config: &mut web::ServiceConfig) {
    config
        .route("/products", web::get().to(list))
        .route("/products/{id}", web::get().to(one));
}

async fn list(req: HttpRequest, guard: web::Data<Guard>) -> HttpResponse {
    match guard.admit(&req, "products:read").await {
        Ok(_) => HttpResponse::Ok().json(CATALOGUE),
        Err(refusal) => refusal.response(),
    }
}

async fn one(req: HttpRequest, guard: web::Data<Guard>, id: web::Path<u32>) -> HttpResponse {
    let (_, claims) = match guard.admit(&req, "products:read").await {
        Ok(admitted) => admitted,
        Err(refusal) => return refusal.response(),
    };
    match CATALOGUE.iter().find(|p| p.id == *id) {
        Some(product) => HttpResponse::Ok().json(serde_json::json!({
            "product": product,
            // Who asked, as the token says: the user, and the service that
            // called on their behalf.
            "for": claims.sub,
            "act": claims.act,
        })),
        None => HttpResponse::NotFound().json(serde_json::json!({ "error": "no such product" })),
    }
}
