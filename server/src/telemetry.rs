//! Logging: one line per request (method, path, status, time), at INFO for
//! answers up to 4xx and ERROR only for the server's own failures (5xx). The
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

/// Install the global subscriber: `RUST_LOG` if set, else info for Tessera.
/// Logs go to stderr, so that stdout carries only command output (`--json`).
pub fn init() {
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::util::SubscriberInitExt;
    use tracing_subscriber::{Layer, filter};

    let levels = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,sea_orm=warn"));
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

/// The request's one line.
fn log(status: u16, elapsed_ms: f64) {
    if status >= 500 {
        tracing::error!(status, elapsed_ms, "request failed");
    } else {
        tracing::info!(status, elapsed_ms, "request");
    }
}

pub struct RequestSpan;

impl RootSpanBuilder for RequestSpan {
    fn on_request_start(request: &ServiceRequest) -> Span {
        request.extensions_mut().insert(Started(Instant::now()));
        tracing::info_span!("request", method = %request.method(), path = %request.path())
    }

    fn on_request_end<B: MessageBody>(span: Span, outcome: &Result<ServiceResponse<B>, Error>) {
        let _entered = span.enter();
        match outcome {
            Ok(response) => {
                let elapsed_ms = response
                    .request()
                    .extensions()
                    .get::<Started>()
                    .map(|s| s.0.elapsed().as_secs_f64() * 1000.0)
                    .unwrap_or_default();
                log(response.status().as_u16(), elapsed_ms);
            }
            Err(error) => log(error.as_response_error().status_code().as_u16(), 0.0),
        }
    }
}
