//! `product-service`: `GET /products`, `GET /products/{id}` (`products:read`).
//! Settings: see `tessera_services::settings` (default bind 127.0.0.1:9101).

use actix_web::{App, HttpServer, web};
use tessera_services::product;
use tessera_services::settings::Settings;

#[actix_web::main]
async fn main() -> std::io::Result<()> {
    let settings = Settings::from_env("127.0.0.1:9101").map_err(std::io::Error::other)?;
    let guard = web::Data::new(settings.guard().await.map_err(std::io::Error::other)?);
    println!(
        "product-service for {} on http://{}",
        settings.identifier, settings.bind
    );
    HttpServer::new(move || {
        App::new()
            .app_data(guard.clone())
            .configure(product::routes)
    })
    .bind(&settings.bind)?
    .run()
    .await
}
