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

/// How log lines are written: for people (`text`) or for a log pipeline
/// (`json`, one object per line).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum LogFormat {
    #[default]
    Text,
    Json,
}

impl std::str::FromStr for LogFormat {
    type Err = &'static str;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text.trim().to_ascii_lowercase().as_str() {
            "text" => Ok(Self::Text),
            "json" => Ok(Self::Json),
            _ => Err("expected text or json"),
        }
    }
}

/// Install the global subscriber: `RUST_LOG` if set, else [`DEFAULT_LEVELS`].
/// Logs go to stderr, so that stdout carries only command output (`--json`).
pub fn init(format: LogFormat) {
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::util::SubscriberInitExt;
    use tracing_subscriber::{Layer, fmt};

    let levels =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(DEFAULT_LEVELS));
    // The levels filter the whole subscriber (a global filter): as a filter
    // of a boxed layer, EnvFilter's per-callsite interest is not always
    // consulted, and events went missing.
    type Filtered = tracing_subscriber::layer::Layered<EnvFilter, tracing_subscriber::Registry>;
    let layer: Box<dyn Layer<Filtered> + Send + Sync> = match format {
        LogFormat::Text => fmt::layer()
            .with_ansi(std::io::stderr().is_terminal())
            .with_writer(std::io::stderr)
            .event_format(ClientInputAtInfo {
                json: false,
                inner: fmt::format().with_target(false),
            })
            .boxed(),
        LogFormat::Json => fmt::layer()
            .with_writer(std::io::stderr)
            .event_format(ClientInputAtInfo {
                json: true,
                inner: fmt::format()
                    .json()
                    .flatten_event(true)
                    .with_current_span(true)
                    .with_span_list(false)
                    .with_target(false),
            })
            .fmt_fields(fmt::format::JsonFields::new())
            .boxed(),
    };
    let _ = tracing_subscriber::registry()
        .with(levels)
        .with(layer)
        .try_init();
}

/// actix-http answers a request it could not even parse (a head over
/// 128 KiB gets 431, an invalid header 400) before any middleware runs, and
/// reports it as an ERROR of its own, sometimes twice. Such input is the
/// client's fault: it becomes one INFO line, "request refused before
/// routing", and the rest of that chatter is dropped. Every other event is
/// written by `inner`.
struct ClientInputAtInfo<F> {
    json: bool,
    inner: F,
}

impl<S, N, F> tracing_subscriber::fmt::FormatEvent<S, N> for ClientInputAtInfo<F>
where
    S: tracing::Subscriber + for<'a> tracing_subscriber::registry::LookupSpan<'a>,
    N: for<'a> tracing_subscriber::fmt::FormatFields<'a> + 'static,
    F: tracing_subscriber::fmt::FormatEvent<S, N>,
{
    fn format_event(
        &self,
        ctx: &tracing_subscriber::fmt::FmtContext<'_, S, N>,
        mut writer: tracing_subscriber::fmt::format::Writer<'_>,
        event: &tracing::Event<'_>,
    ) -> std::fmt::Result {
        let meta = event.metadata();
        if !(meta.target().starts_with("actix_http::h1") && *meta.level() == tracing::Level::ERROR)
        {
            return self.inner.format_event(ctx, writer, event);
        }
        let mut message = Message(String::new());
        event.record(&mut message);
        let Some(error) = message.0.strip_prefix("stream error: ") else {
            return Ok(());
        };
        let now = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
        if self.json {
            let line = serde_json::json!({
                "timestamp": now,
                "level": "INFO",
                "message": "request refused before routing",
                "error": error,
            });
            writeln!(writer, "{line}")
        } else {
            writeln!(
                writer,
                "{now}  INFO request refused before routing error={error:?}"
            )
        }
    }
}

struct Message(String);

impl tracing::field::Visit for Message {
    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
        if field.name() == "message" {
            self.0 = format!("{value:?}");
        }
    }
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
                let request = response.request();
                let elapsed = request
                    .extensions()
                    .get::<Started>()
                    .map(|s| s.0.elapsed())
                    .unwrap_or_default();
                let elapsed_us = u64::try_from(elapsed.as_micros()).unwrap_or(u64::MAX);
                let status = response.status().as_u16();
                log(status, elapsed_us);
                if crate::metrics::enabled() {
                    // The route's pattern, not the path: one series per route.
                    let route = request.match_pattern();
                    crate::metrics::request(
                        request.method().as_str(),
                        route.as_deref().unwrap_or("unmatched"),
                        status,
                        elapsed.as_secs_f64(),
                    );
                }
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
