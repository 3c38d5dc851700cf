//! `whoami`: a page and an API behind a gateway in front of Tessera. It
//! trusts nothing but the internal JWT the gateway passes on.
//!
//! Settings (environment):
//! - `WHOAMI_ISSUER`: Tessera's issuer URL (required)
//! - `WHOAMI_AUDIENCE`: this application's audience (required, e.g.
//!   `https://app.example.com`)
//! - `WHOAMI_JWKS_URL`: where to fetch Tessera's keys (default
//!   `$WHOAMI_ISSUER/jwks`)
//! - `WHOAMI_BIND`: the address to listen on (default `127.0.0.1:9000`)

use std::sync::Arc;

use actix_web::http::header::{self, ContentType};
use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use tessera_whoami::{Identity, Verifier};

struct Settings {
    issuer: String,
    verifier: Verifier,
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

async fn identity(req: &HttpRequest, settings: &Settings) -> Result<Identity, String> {
    let token = req
        .headers()
        .get("X-Internal-JWT")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    settings
        .verifier
        .verify(token)
        .await
        .map_err(|e| e.to_string())
}

async fn page(req: HttpRequest, settings: web::Data<Settings>) -> HttpResponse {
    let who = match identity(&req, &settings).await {
        Ok(who) => who,
        Err(why) => {
            return HttpResponse::Unauthorized()
                .content_type(ContentType::html())
                .insert_header((header::CACHE_CONTROL, "no-store"))
                .body(format!(
                    "<!doctype html><title>Not signed in</title><h1>Not signed in</h1><p id=\"why\">{}</p>",
                    escape(&why)
                ));
        }
    };
    let name = who.name.as_deref().unwrap_or(&who.preferred_username);
    let groups = if who.groups.is_empty() {
        "none".to_string()
    } else {
        who.groups.join(", ")
    };
    HttpResponse::Ok()
        .content_type(ContentType::html())
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(format!(
            "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>whoami</title></head><body>\
             <h1>Hello, <span id=\"name\">{}</span></h1>\
             <dl><dt>Username</dt><dd id=\"username\">{}</dd>\
             <dt>Email</dt><dd id=\"email\">{}</dd>\
             <dt>Groups</dt><dd id=\"groups\">{}</dd>\
             <dt>Subject</dt><dd id=\"sub\">{}</dd>\
             <dt>Session</dt><dd id=\"sid\">{}</dd></dl>\
             <p><a href=\"{}/logout\">Sign out</a></p></body></html>",
            escape(name),
            escape(&who.preferred_username),
            escape(who.email.as_deref().unwrap_or("")),
            escape(&groups),
            escape(&who.sub),
            escape(&who.sid),
            escape(&settings.issuer),
        ))
}

/// Who the JWT says is signed in, and (to show what the gateway passed on)
/// the `Remote-User` header this request arrived with.
async fn api(req: HttpRequest, settings: web::Data<Settings>) -> HttpResponse {
    let remote_user = req
        .headers()
        .get("Remote-User")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    match identity(&req, &settings).await {
        Ok(who) => HttpResponse::Ok()
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .json(serde_json::json!({ "identity": who, "remote_user": remote_user })),
        Err(why) => HttpResponse::Unauthorized().json(serde_json::json!({ "error": why })),
    }
}

#[actix_web::main]
async fn main() -> std::io::Result<()> {
    let invalid =
        |what: &str| std::io::Error::new(std::io::ErrorKind::InvalidInput, what.to_string());
    let issuer = env("WHOAMI_ISSUER").ok_or_else(|| invalid("set WHOAMI_ISSUER"))?;
    let issuer = issuer.trim_end_matches('/').to_string();
    let audience = env("WHOAMI_AUDIENCE").ok_or_else(|| invalid("set WHOAMI_AUDIENCE"))?;
    let jwks_url = env("WHOAMI_JWKS_URL").unwrap_or_else(|| format!("{issuer}/jwks"));
    let bind = env("WHOAMI_BIND").unwrap_or_else(|| "127.0.0.1:9000".into());
    let settings = web::Data::from(Arc::new(Settings {
        verifier: Verifier::new(&issuer, &audience, &jwks_url),
        issuer,
    }));
    println!("whoami listening on {bind}");
    HttpServer::new(move || {
        App::new()
            .app_data(settings.clone())
            .route("/api/whoami", web::get().to(api))
            .default_service(web::get().to(page))
    })
    .workers(2)
    .bind(bind)?
    .run()
    .await
}
