//! Logging: one line per request (method, path, request id, status, time in
//! integer microseconds), at INFO for answers up to 4xx and ERROR only for
//! the server's own failures (5xx). Each request has an id: the caller's
//! `X-Request-Id` when it is a sensible one, else a new random one; it is in
//! the request's log line and in the response's `X-Request-Id`. The
//! query string is never recorded: authorization requests carry hints and
//! state that do not belong in logs; nor are tokens, secrets or passwords,
//! anywhere.

use std::io::IsTerminal;
use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::{Error, HttpMessage};
use tracing::Span;
use tracing_actix_web::RootSpanBuilder;
use tracing_subscriber::EnvFilter;

/// What is logged without `RUST_LOG`: Tessera at INFO; the libraries'
/// start-up and shutdown chatter ("Tokio runtime found", workers starting
/// and stopping, queries) only when something is wrong.
pub const DEFAULT_LEVELS: &str =
    "info,sqlx=warn,sea_orm=warn,sea_orm_migration=warn,actix_server=warn";

/// Install the global subscriber: `RUST_LOG` if set, else [`DEFAULT_LEVELS`].
/// Logs go to stderr, so that stdout carries only command output (`--json`).
pub fn init() {
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::util::SubscriberInitExt;
    use tracing_subscriber::{Layer, filter};

    let levels =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(DEFAULT_LEVELS));
    // actix-http reports a request it could not even parse (a URI or head
    // too long, an invalid header) as an ERROR of its own; it has answered
    // 400 or 431 already, and such input is the client's fault, not ours.
    let not_client_input = filter::filter_fn(|meta| {
        !(meta.target().starts_with("actix_http::h1") && *meta.level() == tracing::Level::ERROR)
    });
    let _ = tracing_subscriber::registry()
        .with(
            tracing_subscriber::fmt::layer()
                .with_target(false)
                .with_ansi(std::io::stderr().is_terminal())
                .with_writer(std::io::stderr)
                .with_filter(not_client_input)
                .with_filter(levels),
        )
        .try_init();
}

struct Started(Instant);

/// The header that carries a request's id, both ways.
pub const REQUEST_ID: &str = "x-request-id";

/// A request's id (see the module documentation).
#[derive(Clone, Debug)]
pub struct RequestId(pub String);

impl RequestId {
    /// The caller's id if it is 1 to 64 characters of `A-Z a-z 0-9 . _ -`
    /// (anything else could forge log lines), else a new one.
    pub fn of(header: Option<&str>) -> Self {
        match header {
            Some(id)
                if (1..=64).contains(&id.len())
                    && id
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-')) =>
            {
                Self(id.to_string())
            }
            _ => Self(crate::domain::crypto::random_token(12)),
        }
    }
}

/// The request's one line.
fn log(status: u16, elapsed_us: u64) {
    if status >= 500 {
        tracing::error!(status, elapsed_us, "request failed");
    } else {
        tracing::info!(status, elapsed_us, "request");
    }
}

pub struct RequestSpan;

impl RootSpanBuilder for RequestSpan {
    fn on_request_start(request: &ServiceRequest) -> Span {
        request.extensions_mut().insert(Started(Instant::now()));
        let id = request
            .extensions()
            .get::<RequestId>()
            .map(|id| id.0.clone())
            .unwrap_or_default();
        tracing::info_span!("request", method = %request.method(), path = %request.path(), request_id = %id)
    }

    fn on_request_end<B: MessageBody>(span: Span, outcome: &Result<ServiceResponse<B>, Error>) {
        let _entered = span.enter();
        match outcome {
            Ok(response) => {
                let elapsed_us = response
                    .request()
                    .extensions()
                    .get::<Started>()
                    .map(|s| u64::try_from(s.0.elapsed().as_micros()).unwrap_or(u64::MAX))
                    .unwrap_or_default();
                log(response.status().as_u16(), elapsed_us);
            }
            Err(error) => log(error.as_response_error().status_code().as_u16(), 0),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_callers_request_id_is_kept_only_when_it_is_harmless() {
        assert_eq!(RequestId::of(Some("abc-123_x.y")).0, "abc-123_x.y");
        for bad in ["", "a b", "x\ny", &"a".repeat(65), "é"] {
            let made = RequestId::of(Some(bad)).0;
            assert_ne!(made, bad);
            assert_eq!(made.len(), 16);
        }
        assert_eq!(RequestId::of(None).0.len(), 16);
    }
}
