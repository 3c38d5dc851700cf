//! Who is calling the admin API, and reading its input strictly.

use actix_web::dev::Payload;
use actix_web::http::header::{AUTHORIZATION, CONTENT_TYPE};
use actix_web::{FromRequest, HttpRequest, web};
use futures_util::future::LocalBoxFuture;
use serde::de::DeserializeOwned;

use super::ApiError;
use crate::domain::Actor;
use crate::http::admin::console_session::ConsoleCaller;
use crate::oauth::Params;
use crate::state::AppState;

/// An authenticated caller of the admin API: may read.
#[derive(Clone, Debug)]
pub struct ApiCaller {
    /// Recorded in the audit log.
    pub actor: Actor,
    can_write: bool,
}

/// An authenticated caller allowed to change things: `admin:write`, or the
/// console. A handler that changes anything takes this, so no handler can
/// forget to check.
#[derive(Clone, Debug)]
pub struct WriteCaller {
    /// Recorded in the audit log for what the caller changes.
    pub actor: Actor,
}

impl FromRequest for ApiCaller {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move { authenticate(&req).await })
    }
}

impl FromRequest for WriteCaller {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let caller = authenticate(&req).await?;
            if !caller.can_write {
                return Err(ApiError::Forbidden(
                    "this needs the admin:write scope".into(),
                ));
            }
            Ok(WriteCaller {
                actor: caller.actor,
            })
        })
    }
}

async fn authenticate(req: &HttpRequest) -> Result<ApiCaller, ApiError> {
    let state = req
        .app_data::<web::Data<AppState>>()
        .ok_or(ApiError::Internal)?;
    if let Some(header) = req.headers().get(AUTHORIZATION) {
        let value = header.to_str().unwrap_or_default();
        let token = match value.split_once(' ') {
            Some((scheme, token)) if scheme.eq_ignore_ascii_case("bearer") => token.trim(),
            _ => {
                return Err(ApiError::Unauthorized(
                    "the Authorization header must be Bearer <token>".into(),
                ));
            }
        };
        let caller = state.provider.admin_api_caller(token, state.now()).await?;
        return Ok(ApiCaller {
            actor: Actor::Client(caller.client_id),
            can_write: caller.can_write,
        });
    }
    // The console's own session, with its CSRF token for anything but reads.
    match ConsoleCaller::from_api_request(req, state).await? {
        Some(console) => Ok(ApiCaller {
            actor: Actor::Admin(console.user_id),
            can_write: true,
        }),
        None => Err(ApiError::Unauthorized(
            "a bearer access token for the admin API is required".into(),
        )),
    }
}

/// The query string, strictly decoded, no parameter twice.
pub fn query(req: &HttpRequest) -> Result<Params, ApiError> {
    let params = Params::from_urlencoded(req.query_string().as_bytes())
        .map_err(|e| ApiError::BadRequest(e.to_string()))?;
    if let Err(name) = params.reject_repeated() {
        return Err(ApiError::BadRequest(format!(
            "the {name} parameter is repeated"
        )));
    }
    Ok(params)
}

/// A numeric query parameter.
pub fn number<T: std::str::FromStr>(params: &Params, name: &str) -> Result<Option<T>, ApiError> {
    params
        .get(name)
        .map(|v| {
            v.parse::<T>()
                .map_err(|_| ApiError::invalid(name, "expected a whole number"))
        })
        .transpose()
}

/// A JSON body; a value of the wrong shape is a 422 naming its field.
pub fn json<T: DeserializeOwned>(req: &HttpRequest, body: &[u8]) -> Result<T, ApiError> {
    let is_json = req
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("application/json"));
    if !is_json {
        return Err(ApiError::BadRequest(
            "the body must be application/json".into(),
        ));
    }
    // A NUL in a JSON string is legal JSON, but no field may hold one.
    if body.windows(6).any(|w| w.eq_ignore_ascii_case(b"\\u0000")) {
        return Err(ApiError::BadRequest(
            "a value contains a NUL character".into(),
        ));
    }
    let mut deserializer = serde_json::Deserializer::from_slice(body);
    serde_path_to_error::deserialize(&mut deserializer).map_err(|err| {
        let path = err.path().to_string();
        let inner = err.into_inner();
        if inner.is_syntax() || inner.is_eof() {
            ApiError::BadRequest(format!("the body is not valid JSON: {inner}"))
        } else {
            let field = if path == "." {
                missing_field(&inner.to_string())
            } else {
                path
            };
            ApiError::invalid(field, inner.to_string())
        }
    })
}

/// `missing field `name`` names its field only in the message.
fn missing_field(message: &str) -> String {
    message
        .split('`')
        .nth(1)
        .map_or_else(|| "body".to_string(), str::to_string)
}
