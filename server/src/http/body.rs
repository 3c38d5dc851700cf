//! Request bodies, read whole before a handler runs: at most 64 KiB (413
//! beyond), and within the configured time (`request_body_timeout`; after
//! it the answer is 408 and the connection is closed). A body shorter than
//! its `Content-Length`, or a chunked body that never ends, so ties up a
//! connection for seconds, not forever.

use std::cell::RefCell;
use std::ops::Deref;
use std::pin::Pin;
use std::task::{Context, Poll};

use actix_web::body::{BodySize, MessageBody};
use actix_web::dev::Payload;
use actix_web::http::StatusCode;
use actix_web::http::header::{CACHE_CONTROL, CONTENT_LENGTH, CONTENT_TYPE};
use actix_web::web::{Bytes, BytesMut};
use actix_web::{FromRequest, HttpRequest, HttpResponse, ResponseError, web};
use futures_util::StreamExt;
use futures_util::future::LocalBoxFuture;

use crate::state::AppState;

/// The most a request body may hold.
pub const MAX_BODY: usize = 64 * 1024;

/// The body of a request, read in full.
pub struct Body(Bytes);

impl Deref for Body {
    type Target = Bytes;

    fn deref(&self) -> &Bytes {
        &self.0
    }
}

/// Why a body could not be read.
#[derive(Debug, thiserror::Error)]
pub enum BodyError {
    #[error("the request body did not arrive in time")]
    Timeout(HeldPayload),
    #[error("the request body is larger than 64 KiB")]
    TooLarge,
    #[error("the request body could not be read")]
    Broken,
}

/// What is left of a body that did not arrive in time. The server closes a
/// connection whose request body is still unread when it answers, but
/// drains a chunked one whose reader has gone (waiting for an end that may
/// never come); so the reader stays alive until the answer is sent.
pub struct HeldPayload(RefCell<Option<Payload>>);

impl std::fmt::Debug for HeldPayload {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("HeldPayload")
    }
}

impl ResponseError for BodyError {
    fn status_code(&self) -> StatusCode {
        match self {
            BodyError::Timeout(_) => StatusCode::REQUEST_TIMEOUT,
            BodyError::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            BodyError::Broken => StatusCode::BAD_REQUEST,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let mut response = HttpResponse::build(self.status_code());
        response
            .insert_header((CACHE_CONTROL, "no-store"))
            .insert_header((CONTENT_TYPE, "text/plain; charset=utf-8"));
        let text = Bytes::from(self.to_string());
        match self {
            BodyError::Timeout(held) => response.body(HeldUntilSent {
                text: Some(text),
                _payload: held.0.borrow_mut().take(),
            }),
            _ => response.body(text),
        }
    }
}

/// A short answer that keeps the unread request payload until it is sent.
struct HeldUntilSent {
    text: Option<Bytes>,
    _payload: Option<Payload>,
}

impl MessageBody for HeldUntilSent {
    type Error = std::convert::Infallible;

    fn size(&self) -> BodySize {
        BodySize::Sized(self.text.as_ref().map_or(0, |t| t.len() as u64))
    }

    fn poll_next(
        mut self: Pin<&mut Self>,
        _: &mut Context<'_>,
    ) -> Poll<Option<Result<Bytes, Self::Error>>> {
        Poll::Ready(self.text.take().map(Ok))
    }
}

impl FromRequest for Body {
    type Error = BodyError;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let timeout = req
            .app_data::<web::Data<AppState>>()
            .map_or(std::time::Duration::from_secs(10), |state| {
                state.web.request_body_timeout
            });
        let declared = req
            .headers()
            .get(CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<usize>().ok());
        let mut payload = payload.take();
        Box::pin(async move {
            if declared.is_some_and(|length| length > MAX_BODY) {
                return Err(BodyError::TooLarge);
            }
            let deadline = tokio::time::Instant::now() + timeout;
            let mut body = BytesMut::new();
            loop {
                match tokio::time::timeout_at(deadline, payload.next()).await {
                    Ok(Some(Ok(chunk))) => {
                        if body.len() + chunk.len() > MAX_BODY {
                            return Err(BodyError::TooLarge);
                        }
                        body.extend_from_slice(&chunk);
                    }
                    Ok(Some(Err(_))) => return Err(BodyError::Broken),
                    Ok(None) => return Ok(Body(body.freeze())),
                    Err(_) => {
                        return Err(BodyError::Timeout(HeldPayload(RefCell::new(Some(payload)))));
                    }
                }
            }
        })
    }
}
