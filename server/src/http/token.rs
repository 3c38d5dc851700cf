//! `POST /token` (RFC 6749 §3.2). Answers are JSON with `Cache-Control:
//! no-store` (§5.1), errors per §5.2.

use actix_web::http::header::{AUTHORIZATION, CACHE_CONTROL, PRAGMA};
use actix_web::{HttpRequest, HttpResponse, web};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;

use super::{HttpError, is_form};
use crate::domain::Secret;
use crate::oauth::{OAuthError, Params};
use crate::state::AppState;

pub async fn token_post(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, HttpError> {
    if !is_form(&req) {
        return Err(HttpError::OAuth(OAuthError::invalid_request(
            "the body must be application/x-www-form-urlencoded",
        )));
    }
    let basic = basic_credentials(&req).map_err(HttpError::OAuth)?;
    let params = Params::from_urlencoded(&body);
    let response = state
        .provider
        .token(basic, &params, state.now())
        .await
        .map_err(HttpError::OAuth)?;
    Ok(HttpResponse::Ok()
        .insert_header((CACHE_CONTROL, "no-store"))
        .insert_header((PRAGMA, "no-cache"))
        .json(response))
}

/// HTTP Basic client credentials, each part form-urlencoded (RFC 6749 §2.3.1).
fn basic_credentials(req: &HttpRequest) -> Result<Option<(String, Secret)>, OAuthError> {
    let Some(header) = req.headers().get(AUTHORIZATION) else {
        return Ok(None);
    };
    let malformed = || OAuthError::invalid_client("malformed Basic credentials");
    let value = header.to_str().map_err(|_| malformed())?;
    let Some((scheme, encoded)) = value.split_once(' ') else {
        return Err(malformed());
    };
    if !scheme.eq_ignore_ascii_case("basic") {
        return Err(OAuthError::invalid_client(
            "only Basic client authentication is supported",
        ));
    }
    let decoded = STANDARD.decode(encoded.trim()).map_err(|_| malformed())?;
    let decoded = String::from_utf8(decoded).map_err(|_| malformed())?;
    let (id, secret) = decoded.split_once(':').ok_or_else(malformed)?;
    let id = form_decode(id).ok_or_else(malformed)?;
    let secret = form_decode(secret).ok_or_else(malformed)?;
    if id.is_empty() {
        return Err(malformed());
    }
    Ok(Some((id, Secret::new(secret))))
}

fn form_decode(value: &str) -> Option<String> {
    let spaced = value.replace('+', " ");
    percent_encoding::percent_decode_str(&spaced)
        .decode_utf8()
        .ok()
        .map(|v| v.into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;

    fn basic(raw: &str) -> Result<Option<(String, Secret)>, OAuthError> {
        let req = TestRequest::default()
            .insert_header((AUTHORIZATION, format!("Basic {}", STANDARD.encode(raw))))
            .to_http_request();
        basic_credentials(&req)
    }

    #[test]
    fn basic_parts_are_form_decoded() {
        let (id, secret) = basic("my%3Aapp:p%40ss+word")
            .expect("valid")
            .expect("present");
        assert_eq!(id, "my:app");
        assert_eq!(secret.expose(), "p@ss word");
    }

    #[test]
    fn malformed_basic_is_invalid_client() {
        assert!(basic("no-colon").is_err());
        assert!(basic(":secret").is_err());
    }
}
