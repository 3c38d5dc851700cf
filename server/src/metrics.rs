//! Prometheus metrics, served on a listener of their own (`metrics_bind`,
//! off by default) so that they are never exposed where users reach
//! Tessera. Events are counted where they happen; facts about the stores
//! (live sessions, the back-channel outbox, the database pool, signing
//! keys) are read when Prometheus scrapes. Without `metrics_bind` no
//! recorder is installed and every call here does nothing.
//!
//! `deploy/grafana/tessera.json` charts these names; a test checks that
//! each name it uses is exported.

use std::sync::OnceLock;

use metrics::{counter, gauge, histogram};
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};

use crate::domain::{KeyState, SigningAlg};
use crate::state::AppState;

pub const HTTP_REQUESTS: &str = "tessera_http_requests_total";
pub const HTTP_DURATION: &str = "tessera_http_request_duration_seconds";
pub const SIGN_INS: &str = "tessera_sign_ins_total";
pub const TOKENS_ISSUED: &str = "tessera_tokens_issued_total";
pub const REFRESH_REUSE: &str = "tessera_refresh_token_reuse_total";
pub const SESSIONS_ACTIVE: &str = "tessera_sessions_active";
pub const OUTBOX_PENDING: &str = "tessera_backchannel_outbox_pending";
pub const OUTBOX_FAILING: &str = "tessera_backchannel_outbox_failing";
pub const OUTBOX_ABANDONED: &str = "tessera_backchannel_outbox_abandoned";
pub const OUTBOX_OLDEST: &str = "tessera_backchannel_outbox_oldest_age_seconds";
pub const BACKCHANNEL_DELIVERIES: &str = "tessera_backchannel_deliveries_total";
pub const DB_CONNECTIONS: &str = "tessera_db_connections";
pub const DB_WRITE_WAIT: &str = "tessera_db_write_wait_seconds";
pub const CACHE_LOOKUPS: &str = "tessera_cache_lookups_total";
pub const SIGNING_KEYS: &str = "tessera_signing_keys";
pub const SIGNING_KEY_AGE: &str = "tessera_signing_key_active_age_seconds";
pub const PASSWORD_HASHES: &str = "tessera_password_hashes_waiting";

/// Latency buckets, in seconds: from 0.1 ms (a cached answer) to 10 s.
const BUCKETS: &[f64] = &[
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
    5.0, 10.0,
];

static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();

/// Fold recorded histogram samples into their buckets (a scrape does it
/// too); see `background::metrics_upkeep`.
pub fn upkeep() {
    if let Some(handle) = HANDLE.get() {
        handle.run_upkeep();
    }
}

/// Install the process-wide recorder (once; later calls reuse it).
pub fn install() -> anyhow::Result<PrometheusHandle> {
    if let Some(handle) = HANDLE.get() {
        return Ok(handle.clone());
    }
    let recorder = PrometheusBuilder::new()
        .set_buckets(BUCKETS)?
        .build_recorder();
    let handle = recorder.handle();
    metrics::set_global_recorder(recorder)?;
    describe();
    // Series that exist from the start, at zero, so that a rate over them
    // is 0 rather than missing.
    for outcome in SignIn::ALL {
        counter!(SIGN_INS, "outcome" => outcome.as_str()).absolute(0);
    }
    counter!(REFRESH_REUSE).absolute(0);
    for result in ["delivered", "failed", "abandoned"] {
        counter!(BACKCHANNEL_DELIVERIES, "result" => result).absolute(0);
    }
    let _ = HANDLE.set(handle.clone());
    Ok(handle)
}

fn describe() {
    use metrics::{Unit, describe_counter, describe_gauge, describe_histogram};
    describe_counter!(
        HTTP_REQUESTS,
        "Requests answered, by method, route and status."
    );
    describe_histogram!(
        HTTP_DURATION,
        Unit::Seconds,
        "Time to answer a request, by route."
    );
    describe_counter!(SIGN_INS, "Password sign-ins, by outcome.");
    describe_counter!(
        TOKENS_ISSUED,
        "Token responses, by grant and access token algorithm."
    );
    describe_counter!(
        REFRESH_REUSE,
        "Refresh tokens presented again (their grants revoked)."
    );
    describe_gauge!(SESSIONS_ACTIVE, "Live SSO sessions.");
    describe_gauge!(
        OUTBOX_PENDING,
        "Back-channel logout notices waiting for delivery."
    );
    describe_gauge!(OUTBOX_FAILING, "Waiting notices whose last attempt failed.");
    describe_gauge!(OUTBOX_ABANDONED, "Notices given up on (kept until purged).");
    describe_gauge!(
        OUTBOX_OLDEST,
        Unit::Seconds,
        "Age of the oldest waiting notice."
    );
    describe_counter!(
        BACKCHANNEL_DELIVERIES,
        "Back-channel delivery attempts, by result."
    );
    describe_gauge!(
        DB_CONNECTIONS,
        "Database pool connections, by state (in_use, idle)."
    );
    describe_histogram!(
        DB_WRITE_WAIT,
        Unit::Seconds,
        "Time a write waited for SQLite's one writer."
    );
    describe_counter!(
        CACHE_LOOKUPS,
        "In-process cache lookups, by cache and result."
    );
    describe_gauge!(SIGNING_KEYS, "Signing keys, by algorithm and state.");
    describe_gauge!(
        SIGNING_KEY_AGE,
        Unit::Seconds,
        "Age of the key that signs now, by algorithm."
    );
    describe_gauge!(PASSWORD_HASHES, "Password checks running or queued.");
}

/// How a sign-in attempt ended.
#[derive(Clone, Copy, Debug)]
pub enum SignIn {
    Success,
    Failure,
    Throttled,
    Busy,
}

impl SignIn {
    const ALL: [SignIn; 4] = [Self::Success, Self::Failure, Self::Throttled, Self::Busy];

    fn as_str(self) -> &'static str {
        match self {
            Self::Success => "success",
            Self::Failure => "failure",
            Self::Throttled => "throttled",
            Self::Busy => "busy",
        }
    }
}

/// Whether metrics are being recorded (`metrics_bind` is set).
pub fn enabled() -> bool {
    HANDLE.get().is_some()
}

pub fn request(method: &str, route: &str, status: u16, seconds: f64) {
    counter!(HTTP_REQUESTS, "method" => method.to_string(), "route" => route.to_string(),
        "status" => status.to_string())
    .increment(1);
    histogram!(HTTP_DURATION, "route" => route.to_string()).record(seconds);
}

pub fn sign_in(outcome: SignIn) {
    counter!(SIGN_INS, "outcome" => outcome.as_str()).increment(1);
}

pub fn token_issued(grant: &'static str, access_token: &str) {
    if HANDLE.get().is_none() {
        return;
    }
    counter!(TOKENS_ISSUED, "grant" => grant, "alg" => algorithm_of(access_token)).increment(1);
}

pub fn refresh_reuse() {
    counter!(REFRESH_REUSE).increment(1);
}

pub fn backchannel_delivery(result: &'static str) {
    counter!(BACKCHANNEL_DELIVERIES, "result" => result).increment(1);
}

pub fn cache_lookup(cache: &'static str, hit: bool) {
    counter!(CACHE_LOOKUPS, "cache" => cache, "result" => if hit { "hit" } else { "miss" })
        .increment(1);
}

pub fn write_wait(seconds: f64) {
    histogram!(DB_WRITE_WAIT).record(seconds);
}

pub fn password_hashes(waiting: usize) {
    gauge!(PASSWORD_HASHES).set(waiting as f64);
}

/// The `alg` of a JWT's header, or `opaque`.
fn algorithm_of(token: &str) -> &'static str {
    use base64::Engine;
    let header = token
        .split('.')
        .next()
        .and_then(|h| {
            base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(h)
                .ok()
        })
        .and_then(|h| serde_json::from_slice::<serde_json::Value>(&h).ok());
    let alg = header.as_ref().and_then(|h| h["alg"].as_str());
    SigningAlg::ALL
        .iter()
        .find(|known| Some(known.as_str()) == alg)
        .map_or("opaque", |known| known.as_str())
}

/// The text Prometheus scrapes, with the stores' facts read now. A store
/// that cannot answer leaves its gauges as they were (and says so in the
/// log); the rest is still served.
pub async fn render(state: &AppState) -> String {
    let now = state.now();
    let store = state.provider.store();
    match store.count_live_sessions(now).await {
        Ok(count) => gauge!(SESSIONS_ACTIVE).set(count as f64),
        Err(err) => tracing::warn!(error = %err, "metrics: cannot count sessions"),
    }
    match store.notice_counts().await {
        Ok((pending, failing, abandoned)) => {
            gauge!(OUTBOX_PENDING).set(pending as f64);
            gauge!(OUTBOX_FAILING).set(failing as f64);
            gauge!(OUTBOX_ABANDONED).set(abandoned as f64);
        }
        Err(err) => tracing::warn!(error = %err, "metrics: cannot count notices"),
    }
    match store.oldest_pending_notice().await {
        Ok(oldest) => {
            gauge!(OUTBOX_OLDEST).set(oldest.map_or(0, |created| (now - created).max(0)) as f64)
        }
        Err(err) => tracing::warn!(error = %err, "metrics: cannot age notices"),
    }
    let (size, idle) = store.pool_usage();
    gauge!(DB_CONNECTIONS, "state" => "in_use").set((size as usize).saturating_sub(idle) as f64);
    gauge!(DB_CONNECTIONS, "state" => "idle").set(idle as f64);
    let keys = state.provider.keys();
    for &alg in SigningAlg::ALL {
        let mut counts = [0u32; 5];
        let signing = keys.signing_kid(alg, now);
        for key in keys.materials().filter(|k| k.alg == alg) {
            counts[state_index(key.state(now))] += 1;
            if signing == Some(key.kid.as_str()) {
                gauge!(SIGNING_KEY_AGE, "alg" => alg.as_str())
                    .set((now - key.activates_at).max(0) as f64);
            }
        }
        for key_state in KEY_STATES {
            gauge!(SIGNING_KEYS, "alg" => alg.as_str(), "state" => key_state.as_str())
                .set(f64::from(counts[state_index(key_state)]));
        }
    }
    let Some(handle) = HANDLE.get() else {
        return String::new();
    };
    handle.run_upkeep();
    handle.render()
}

const KEY_STATES: [KeyState; 5] = [
    KeyState::Next,
    KeyState::Active,
    KeyState::Retiring,
    KeyState::Retired,
    KeyState::Revoked,
];

fn state_index(state: KeyState) -> usize {
    KEY_STATES.iter().position(|s| *s == state).unwrap_or(0)
}
