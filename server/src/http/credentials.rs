//! What the client-authenticated endpoints (token, introspection,
//! revocation) read from a request: a form body and client credentials in
//! an HTTP Basic header (RFC 6749 §2.3.1); and how they answer.

use actix_web::http::header::{AUTHORIZATION, CACHE_CONTROL, PRAGMA};
use actix_web::{HttpRequest, HttpResponse, HttpResponseBuilder};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;

use super::{HttpError, is_form};
use crate::domain::Secret;
use crate::oauth::{OAuthError, Params};

/// The Basic credentials and form parameters of a client's POST; errors are
/// RFC 6749 §5.2 JSON.
pub fn client_request(
    req: &HttpRequest,
    body: &[u8],
) -> Result<(Option<(String, Secret)>, Params), HttpError> {
    if !is_form(req) {
        return Err(HttpError::OAuth(OAuthError::invalid_request(
            "the body must be application/x-www-form-urlencoded",
        )));
    }
    let basic = basic_credentials(req).map_err(HttpError::OAuth)?;
    let params = Params::from_urlencoded(body).map_err(HttpError::malformed)?;
    Ok((basic, params))
}

/// A 200 that no cache keeps (RFC 6749 §5.1).
pub fn no_store() -> HttpResponseBuilder {
    let mut response = HttpResponse::Ok();
    response
        .insert_header((CACHE_CONTROL, "no-store"))
        .insert_header((PRAGMA, "no-cache"));
    response
}

/// HTTP Basic client credentials, each part form-urlencoded (RFC 6749 §2.3.1).
pub fn basic_credentials(req: &HttpRequest) -> Result<Option<(String, Secret)>, OAuthError> {
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
    // Bytes no client id or secret can hold are a malformed request (400),
    // not a failed authentication.
    let unreadable = || OAuthError::invalid_request("the Basic credentials are not valid UTF-8");
    let decoded = String::from_utf8(decoded).map_err(|_| unreadable())?;
    let (id, secret) = decoded.split_once(':').ok_or_else(malformed)?;
    let id = form_decode(id).ok_or_else(unreadable)?;
    let secret = form_decode(secret).ok_or_else(unreadable)?;
    if id.contains('\0') || secret.contains('\0') {
        return Err(OAuthError::invalid_request(
            "the Basic credentials contain a NUL byte",
        ));
    }
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

    #[test]
    fn nul_bytes_in_basic_are_a_bad_request() {
        let err = basic("a%00b:secret").expect_err("refused");
        assert_eq!(err.code, crate::oauth::ErrorCode::InvalidRequest);
    }
}
