//! Errors of the admin API as RFC 9457 problem documents
//! (`application/problem+json`), with the field at fault for validation
//! errors (422).

use actix_web::http::StatusCode;
use actix_web::http::header::{CACHE_CONTROL, RETRY_AFTER, WWW_AUTHENTICATE};
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;
use utoipa::ToSchema;

use crate::admin::AdminError;
use crate::oauth::{ErrorCode, OAuthError};
use crate::store::StoreError;

/// An RFC 9457 problem document.
#[derive(Debug, Serialize, ToSchema)]
pub struct Problem {
    /// A URI naming the kind of problem (`about:blank`: just the status).
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub title: String,
    pub status: u16,
    pub detail: String,
    /// For validation errors: which fields are wrong, and why.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// No credentials, or a token that is invalid, expired or revoked.
    #[error("{0}")]
    Unauthorized(String),
    /// Credentials that do not allow this (read-only scope writing, say).
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    BadRequest(String),
    #[error("{0} not found")]
    NotFound(String),
    #[error("{0} already exists")]
    Conflict(String),
    /// A rule forbids it in the current state (the last administrator).
    #[error("{0}")]
    Refused(String),
    /// Each invalid field of the input, and why.
    #[error("{}", .0.iter().map(|e| format!("{}: {}", e.field, e.message)).collect::<Vec<_>>().join("; "))]
    Invalid(Vec<FieldError>),
    #[error("{0}")]
    Unavailable(String),
    #[error("internal error")]
    Internal,
}

impl ApiError {
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        ApiError::Invalid(vec![FieldError {
            field: field.into(),
            message: message.into(),
        }])
    }

    fn title(&self) -> &'static str {
        match self {
            ApiError::Unauthorized(_) => "Unauthorized",
            ApiError::Forbidden(_) => "Forbidden",
            ApiError::BadRequest(_) => "Bad request",
            ApiError::NotFound(_) => "Not found",
            ApiError::Conflict(_) | ApiError::Refused(_) => "Conflict",
            ApiError::Invalid(_) => "Invalid input",
            ApiError::Unavailable(_) => "Service unavailable",
            ApiError::Internal => "Internal error",
        }
    }
}

impl From<AdminError> for ApiError {
    fn from(err: AdminError) -> Self {
        match err {
            AdminError::Invalid(domain) => ApiError::invalid(domain.field(), domain.to_string()),
            AdminError::InvalidFields(fields) => ApiError::Invalid(
                fields
                    .into_iter()
                    .map(|f| FieldError {
                        field: f.field.to_string(),
                        message: f.error.to_string(),
                    })
                    .collect(),
            ),
            AdminError::NotFound(what) => ApiError::NotFound(what),
            AdminError::Conflict(what) => ApiError::Conflict(what),
            AdminError::Refused(reason) => ApiError::Refused(reason.to_string()),
            AdminError::Busy => ApiError::Unavailable(AdminError::Busy.to_string()),
            AdminError::BadCursor => ApiError::BadRequest(err_text(&AdminError::BadCursor)),
            AdminError::Store(store) => store.into(),
            AdminError::Failed(reason) => {
                tracing::error!(%reason, "admin operation failed");
                ApiError::Internal
            }
        }
    }
}

fn err_text(err: &AdminError) -> String {
    err.to_string()
}

impl From<StoreError> for ApiError {
    fn from(err: StoreError) -> Self {
        match err {
            StoreError::NotFound => ApiError::NotFound("the resource".into()),
            StoreError::Conflict => ApiError::Conflict("the resource".into()),
            StoreError::Unavailable(reason) => {
                tracing::error!(%reason, "storage unavailable");
                ApiError::Unavailable("storage is unavailable, try again".into())
            }
            other => {
                tracing::error!(error = %other, "admin API store error");
                ApiError::Internal
            }
        }
    }
}

impl From<OAuthError> for ApiError {
    fn from(err: OAuthError) -> Self {
        match err.code {
            ErrorCode::InvalidToken | ErrorCode::InvalidClient => {
                ApiError::Unauthorized(err.description.into_owned())
            }
            ErrorCode::InsufficientScope => ApiError::Forbidden(err.description.into_owned()),
            ErrorCode::TemporarilyUnavailable => {
                ApiError::Unavailable(err.description.into_owned())
            }
            ErrorCode::ServerError => ApiError::Internal,
            _ => ApiError::BadRequest(err.description.into_owned()),
        }
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            ApiError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::Conflict(_) | ApiError::Refused(_) => StatusCode::CONFLICT,
            ApiError::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let status = self.status_code();
        let errors = match self {
            ApiError::Invalid(errors) => errors.clone(),
            _ => Vec::new(),
        };
        let problem = Problem {
            kind: "about:blank",
            title: self.title().to_string(),
            status: status.as_u16(),
            detail: match self {
                ApiError::Internal => "the server could not complete the request".to_string(),
                other => other.to_string(),
            },
            errors,
        };
        let mut response = HttpResponse::build(status);
        response
            .insert_header((CACHE_CONTROL, "no-store"))
            .content_type("application/problem+json");
        match self {
            ApiError::Unauthorized(detail) => {
                response.insert_header((
                    WWW_AUTHENTICATE,
                    format!(
                        "Bearer realm=\"tessera-admin\", error=\"invalid_token\", error_description=\"{}\"",
                        detail.replace(['"', '\\'], "")
                    ),
                ));
            }
            ApiError::Forbidden(_) => {
                response.insert_header((
                    WWW_AUTHENTICATE,
                    "Bearer realm=\"tessera-admin\", error=\"insufficient_scope\"",
                ));
            }
            ApiError::Unavailable(_) => {
                response.insert_header((RETRY_AFTER, "1"));
            }
            _ => {}
        }
        response.body(serde_json::to_string(&problem).unwrap_or_default())
    }
}

/// Any path under the API that is not one.
pub async fn not_found() -> Result<HttpResponse, ApiError> {
    Err(ApiError::NotFound("this API path".into()))
}
