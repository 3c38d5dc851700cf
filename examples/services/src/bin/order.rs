//! `order-service`: `POST /orders` (`orders:write`), which calls the product
//! service with an exchanged token. Settings: see
//! `tessera_services::settings` (default bind 127.0.0.1:9102), plus
//! `PRODUCT_URL` (default http://127.0.0.1:9101) and `PRODUCT_IDENTIFIER`
//! (required).

use actix_web::{App, HttpServer, web};
use tessera_services::order::{self, Upstream};
use tessera_services::settings::Settings;
use tessera_services::{optional_env, required_env};

#[actix_web::main]
async fn main() -> std::io::Result<()> {
    let settings = Settings::from_env("127.0.0.1:9102").map_err(std::io::Error::other)?;
    let (client_id, client_secret) = settings.credentials().map_err(std::io::Error::other)?;
    let upstream = web::Data::new(Upstream {
        http: reqwest::Client::new(),
        token_url: format!("{}/token", settings.tessera_url),
        client_id,
        client_secret,
        product_url: optional_env("PRODUCT_URL").unwrap_or_else(|| "http://127.0.0.1:9101".into()),
        product_identifier: required_env("PRODUCT_IDENTIFIER").map_err(std::io::Error::other)?,
    });
    let guard = web::Data::new(settings.guard().await.map_err(std::io::Error::other)?);
    println!(
        "order-service for {} on http://{}",
        settings.identifier, settings.bind
    );
    HttpServer::new(move || {
        App::new()
            .app_data(guard.clone())
            .app_data(upstream.clone())
            .configure(order::routes)
    })
    .bind(&settings.bind)?
    .run()
    .await
}
