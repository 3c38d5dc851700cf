//! Settings: built-in defaults, overridden by `tessera.toml`, overridden by
//! `TESSERA_*` environment variables, layered with figment and read into a
//! struct that refuses unknown names. Loaded once and passed down as a value.
//! An invalid value stops start-up with a message naming the setting.

use std::collections::BTreeMap;
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::time::Duration;

use ipnet::IpNet;
use thiserror::Error;
use url::Url;

use figment::error::Kind;
use figment::providers::{Format, Serialized, Toml};
use figment::{Figment, Provider};
use serde::{Deserialize, Serialize};

use crate::domain::Secret;
use crate::telemetry::LogFormat;

#[derive(Debug, Error, PartialEq, Eq)]
pub enum ConfigError {
    #[error("invalid setting `{setting}` (env TESSERA_{env}): {message}", env = .setting.to_uppercase())]
    Invalid { setting: String, message: String },
    #[error("cannot read {path}: {message}")]
    File { path: String, message: String },
    #[error("{path}: {message}")]
    Syntax { path: String, message: String },
}

fn invalid(setting: &str, message: impl Into<String>) -> ConfigError {
    ConfigError::Invalid {
        setting: setting.to_string(),
        message: message.into(),
    }
}

/// Validated settings. Lifetimes are whole seconds.
#[derive(Clone, Debug)]
pub struct Settings {
    /// The issuer identifier, without a trailing slash; every endpoint hangs off it.
    pub issuer: String,
    pub bind: SocketAddr,
    pub database_url: String,
    pub redis_url: Option<String>,
    pub redis_prefix: String,
    /// Parent domain for the SSO cookie, e.g. `example.com`; host-only when unset.
    pub cookie_domain: Option<String>,
    /// Key for client-secret hashes, CSRF tokens and sealing signing keys.
    pub pepper: Option<Secret>,
    /// Where the pepper is kept when `pepper` is unset (SQLite only).
    pub pepper_file: PathBuf,
    pub session_idle_lifetime: Duration,
    pub session_absolute_lifetime: Duration,
    pub code_lifetime: Duration,
    pub access_token_lifetime: Duration,
    pub id_token_lifetime: Duration,
    pub refresh_token_lifetime: Duration,
    pub login_max_failures_per_account: u64,
    pub login_max_failures_per_ip: u64,
    pub login_failure_window: Duration,
    pub bootstrap_admin_password: Option<Secret>,
    /// Reverse proxies whose `X-Forwarded-For` header names the client.
    pub trusted_proxies: Vec<IpNet>,
    /// Internal networks back-channel logout deliveries may reach (by
    /// default only public addresses).
    pub backchannel_allowed_networks: Vec<IpNet>,
    /// Back-channel deliveries under way at once, per replica.
    pub backchannel_concurrency: u64,
    /// How long a request body may take to arrive before the answer is 408.
    pub request_body_timeout: Duration,
    /// How often signing keys rotate on their own.
    pub key_rotation_interval: Duration,
    /// Caps on authorization requests parked while their users sign in.
    pub max_pending_authorizations: u64,
    pub max_pending_authorizations_per_ip: u64,
    /// A directory whose files replace the built-in stylesheet and icons
    /// under `/static`.
    pub static_dir: Option<PathBuf>,
    /// Sign-ins that may wait for a password check while every core is
    /// hashing one; beyond them, a 503 at once.
    pub password_hash_queue: u64,
    /// `text` for people, `json` for a log pipeline.
    pub log_format: LogFormat,
    /// Where Prometheus scrapes `/metrics`; off when unset.
    pub metrics_bind: Option<SocketAddr>,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            issuer: "http://localhost:8080".into(),
            bind: SocketAddr::from(([127, 0, 0, 1], 8080)),
            database_url: "sqlite://./data/tessera.db?mode=rwc".into(),
            redis_url: None,
            redis_prefix: "tessera:".into(),
            cookie_domain: None,
            pepper: None,
            pepper_file: PathBuf::from("./data/pepper"),
            session_idle_lifetime: Duration::from_secs(8 * 3600),
            session_absolute_lifetime: Duration::from_secs(7 * 24 * 3600),
            code_lifetime: Duration::from_secs(60),
            access_token_lifetime: Duration::from_secs(600),
            id_token_lifetime: Duration::from_secs(3600),
            refresh_token_lifetime: Duration::from_secs(30 * 24 * 3600),
            login_max_failures_per_account: 5,
            login_max_failures_per_ip: 50,
            login_failure_window: Duration::from_secs(15 * 60),
            bootstrap_admin_password: None,
            trusted_proxies: Vec::new(),
            backchannel_allowed_networks: Vec::new(),
            backchannel_concurrency: 16,
            request_body_timeout: Duration::from_secs(10),
            key_rotation_interval: Duration::from_secs(90 * 24 * 3600),
            max_pending_authorizations: 100_000,
            max_pending_authorizations_per_ip: 200,
            static_dir: None,
            password_hash_queue: 64,
            log_format: LogFormat::Text,
            metrics_bind: None,
        }
    }
}

/// One setting as written in the file or the environment: text, a whole
/// number or a boolean, each read as text by the setting's own parser.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(untagged)]
enum RawValue {
    Text(String),
    Integer(i64),
    Bool(bool),
}

impl RawValue {
    fn text(&self) -> String {
        match self {
            RawValue::Text(s) => s.clone(),
            RawValue::Integer(i) => i.to_string(),
            RawValue::Bool(b) => b.to_string(),
        }
    }
}

const EXPECTED_VALUE: &str = "expected a string, an integer or a boolean";

impl<'de> Deserialize<'de> for RawValue {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl serde::de::Visitor<'_> for Visitor {
            type Value = RawValue;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str(EXPECTED_VALUE)
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<RawValue, E> {
                Ok(RawValue::Text(v.to_string()))
            }
            fn visit_string<E: serde::de::Error>(self, v: String) -> Result<RawValue, E> {
                Ok(RawValue::Text(v))
            }
            fn visit_bool<E: serde::de::Error>(self, v: bool) -> Result<RawValue, E> {
                Ok(RawValue::Bool(v))
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<RawValue, E> {
                Ok(RawValue::Integer(v))
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<RawValue, E> {
                i64::try_from(v)
                    .map(RawValue::Integer)
                    .map_err(|_| E::custom(EXPECTED_VALUE))
            }
        }
        deserializer.deserialize_any(Visitor)
    }
}

/// Every setting there is, as written. serde refuses any other name, and
/// the refusal lists these.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSettings {
    issuer: Option<RawValue>,
    bind: Option<RawValue>,
    database_url: Option<RawValue>,
    redis_url: Option<RawValue>,
    redis_prefix: Option<RawValue>,
    cookie_domain: Option<RawValue>,
    pepper: Option<RawValue>,
    pepper_file: Option<RawValue>,
    session_idle_lifetime: Option<RawValue>,
    session_absolute_lifetime: Option<RawValue>,
    code_lifetime: Option<RawValue>,
    access_token_lifetime: Option<RawValue>,
    id_token_lifetime: Option<RawValue>,
    refresh_token_lifetime: Option<RawValue>,
    login_max_failures_per_account: Option<RawValue>,
    login_max_failures_per_ip: Option<RawValue>,
    login_failure_window: Option<RawValue>,
    bootstrap_admin_password: Option<RawValue>,
    trusted_proxies: Option<RawValue>,
    backchannel_allowed_networks: Option<RawValue>,
    backchannel_concurrency: Option<RawValue>,
    request_body_timeout: Option<RawValue>,
    key_rotation_interval: Option<RawValue>,
    max_pending_authorizations: Option<RawValue>,
    max_pending_authorizations_per_ip: Option<RawValue>,
    static_dir: Option<RawValue>,
    password_hash_queue: Option<RawValue>,
    log_format: Option<RawValue>,
    metrics_bind: Option<RawValue>,
}

/// A value given for a setting, as text. `TESSERA_REDIS_URL=` (as a compose
/// file's `${VAR:-}` writes it) leaves an optional setting unset rather than
/// invalid; a required one stays required.
fn given(value: Option<RawValue>) -> Option<String> {
    value.map(|v| v.text())
}

fn given_optional(value: Option<RawValue>) -> Option<String> {
    given(value).filter(|text| !text.trim().is_empty())
}

impl RawSettings {
    fn into_settings(self) -> Result<Settings, ConfigError> {
        let mut s = Settings::default();
        if let Some(text) = given(self.issuer) {
            s.issuer = parse_issuer(&text)?;
        }
        if let Some(text) = given(self.bind) {
            s.bind = text
                .parse()
                .map_err(|_| invalid("bind", "expected an address like 0.0.0.0:8080"))?;
        }
        if let Some(text) = given(self.database_url) {
            s.database_url = parse_database_url(&text)?;
        }
        if let Some(text) = given_optional(self.redis_url) {
            s.redis_url = parse_redis_url(&text)?;
        }
        if let Some(text) = given(self.redis_prefix) {
            s.redis_prefix = text;
        }
        if let Some(text) = given_optional(self.cookie_domain) {
            let domain = text.trim().trim_start_matches('.').to_ascii_lowercase();
            s.cookie_domain = (!domain.is_empty()).then_some(domain);
        }
        if let Some(text) = given_optional(self.pepper) {
            if text.len() < 32 {
                return Err(invalid(
                    "pepper",
                    "must be at least 32 characters of random data",
                ));
            }
            s.pepper = Some(Secret::new(text));
        }
        if let Some(text) = given(self.pepper_file) {
            s.pepper_file = PathBuf::from(text);
        }
        let durations = [
            (
                "session_idle_lifetime",
                self.session_idle_lifetime,
                &mut s.session_idle_lifetime,
            ),
            (
                "session_absolute_lifetime",
                self.session_absolute_lifetime,
                &mut s.session_absolute_lifetime,
            ),
            ("code_lifetime", self.code_lifetime, &mut s.code_lifetime),
            (
                "access_token_lifetime",
                self.access_token_lifetime,
                &mut s.access_token_lifetime,
            ),
            (
                "id_token_lifetime",
                self.id_token_lifetime,
                &mut s.id_token_lifetime,
            ),
            (
                "refresh_token_lifetime",
                self.refresh_token_lifetime,
                &mut s.refresh_token_lifetime,
            ),
            (
                "login_failure_window",
                self.login_failure_window,
                &mut s.login_failure_window,
            ),
            (
                "request_body_timeout",
                self.request_body_timeout,
                &mut s.request_body_timeout,
            ),
            (
                "key_rotation_interval",
                self.key_rotation_interval,
                &mut s.key_rotation_interval,
            ),
        ];
        for (name, value, field) in durations {
            if let Some(text) = given(value) {
                *field = parse_duration(name, &text)?;
            }
        }
        let counts = [
            (
                "login_max_failures_per_account",
                self.login_max_failures_per_account,
                &mut s.login_max_failures_per_account,
            ),
            (
                "login_max_failures_per_ip",
                self.login_max_failures_per_ip,
                &mut s.login_max_failures_per_ip,
            ),
            (
                "backchannel_concurrency",
                self.backchannel_concurrency,
                &mut s.backchannel_concurrency,
            ),
            (
                "max_pending_authorizations",
                self.max_pending_authorizations,
                &mut s.max_pending_authorizations,
            ),
            (
                "max_pending_authorizations_per_ip",
                self.max_pending_authorizations_per_ip,
                &mut s.max_pending_authorizations_per_ip,
            ),
            (
                "password_hash_queue",
                self.password_hash_queue,
                &mut s.password_hash_queue,
            ),
        ];
        for (name, value, field) in counts {
            if let Some(text) = given(value) {
                *field = parse_count(name, &text)?;
            }
        }
        if let Some(text) = given_optional(self.bootstrap_admin_password) {
            s.bootstrap_admin_password = Some(Secret::new(text));
        }
        if let Some(text) = given(self.trusted_proxies) {
            s.trusted_proxies = parse_networks("trusted_proxies", &text)?;
        }
        if let Some(text) = given(self.backchannel_allowed_networks) {
            s.backchannel_allowed_networks = parse_networks("backchannel_allowed_networks", &text)?;
        }
        if let Some(text) = given_optional(self.metrics_bind) {
            s.metrics_bind =
                Some(text.parse().map_err(|_| {
                    invalid("metrics_bind", "expected an address like 127.0.0.1:9100")
                })?);
        }
        if let Some(text) = given(self.log_format) {
            s.log_format = text.parse().map_err(|e| invalid("log_format", e))?;
        }
        if let Some(text) = given_optional(self.static_dir) {
            let dir = PathBuf::from(text);
            if !dir.is_dir() {
                return Err(invalid(
                    "static_dir",
                    format!("{} is not a directory", dir.display()),
                ));
            }
            s.static_dir = Some(dir);
        }
        Ok(s)
    }
}

/// `TESSERA_*` variables that belong to the CLI and the test tooling, not to
/// the settings.
const NOT_SETTINGS: &[&str] = &["config", "bin", "chromium"];

/// The layers, lowest first: the file (`config_file`, or `./tessera.toml`
/// if it exists), then the environment. Defaults are [`Settings::default`].
fn layers(
    config_file: Option<&Path>,
    vars: impl Iterator<Item = (String, String)>,
) -> Result<(Figment, Option<PathBuf>), ConfigError> {
    let mut figment = Figment::new();
    let default_file = Path::new("tessera.toml");
    let file = config_file.or(default_file.exists().then_some(default_file));
    if let Some(path) = file {
        let text = std::fs::read_to_string(path).map_err(|e| ConfigError::File {
            path: path.display().to_string(),
            message: e.to_string(),
        })?;
        let toml = Toml::string(&text);
        // Syntax errors surface here, named by the file.
        toml.data().map_err(|e| ConfigError::Syntax {
            path: path.display().to_string(),
            message: e.kind.to_string(),
        })?;
        figment = figment.merge(toml);
    }
    let env: BTreeMap<String, RawValue> = env_overrides(vars).collect();
    Ok((
        figment.merge(Serialized::globals(env)),
        file.map(Path::to_path_buf),
    ))
}

impl Settings {
    /// Load from `config_file` (or `./tessera.toml` if it exists) and the
    /// process environment.
    pub fn load(config_file: Option<&Path>) -> Result<Self, ConfigError> {
        let (figment, file) = layers(config_file, std::env::vars())?;
        Self::extract(&figment, file.as_deref())
    }

    /// Only the log format, for the logger that starts before the settings
    /// are read: `TESSERA_LOG_FORMAT`, else the file's `log_format`, else
    /// text. A wrong value is reported by [`Settings::load`].
    pub fn peek_log_format(config_file: Option<&Path>) -> LogFormat {
        layers(config_file, std::env::vars())
            .ok()
            .and_then(|(figment, _)| figment.extract_inner::<RawValue>("log_format").ok())
            .and_then(|format| format.text().parse().ok())
            .unwrap_or_default()
    }

    /// The settings the layers give; an unknown name or a value of the wrong
    /// shape is an error naming it.
    fn extract(figment: &Figment, file: Option<&Path>) -> Result<Self, ConfigError> {
        let raw: RawSettings = figment.extract().map_err(|error| {
            let key = error.path.join(".");
            let message = match &error.kind {
                Kind::UnknownField(name, known) => {
                    return invalid(
                        name,
                        format!("unknown setting; known: {}", known.join(", ")),
                    );
                }
                Kind::InvalidType(..) | Kind::InvalidValue(..) => EXPECTED_VALUE.to_string(),
                kind => kind.to_string(),
            };
            match file {
                Some(path) => ConfigError::Syntax {
                    path: path.display().to_string(),
                    message: format!("`{key}`: {message}"),
                },
                None => invalid(&key, message),
            }
        })?;
        let s = raw.into_settings()?;
        s.validate()?;
        Ok(s)
    }

    /// Cross-setting rules; also run on settings built in code.
    pub fn validate(&self) -> Result<(), ConfigError> {
        parse_issuer(&self.issuer)?;
        if self.code_lifetime > Duration::from_secs(60) {
            return Err(invalid("code_lifetime", "must be at most 60 seconds"));
        }
        if self.session_idle_lifetime > self.session_absolute_lifetime {
            return Err(invalid(
                "session_idle_lifetime",
                "must not exceed session_absolute_lifetime",
            ));
        }
        if let Some(domain) = &self.cookie_domain {
            let host = Url::parse(&self.issuer)
                .ok()
                .and_then(|u| u.host_str().map(str::to_ascii_lowercase))
                .unwrap_or_default();
            if host != *domain && !host.ends_with(&format!(".{domain}")) {
                return Err(invalid(
                    "cookie_domain",
                    format!("the issuer host {host} is not within {domain}"),
                ));
            }
        }
        if self.pepper.is_none() && !self.database_url.starts_with("sqlite:") {
            return Err(invalid(
                "pepper",
                "required with PostgreSQL: every replica must share it",
            ));
        }
        Ok(())
    }

    pub fn issuer_is_https(&self) -> bool {
        self.issuer.starts_with("https://")
    }
}

/// `TESSERA_FOO_BAR=x` sets `foo_bar`. Variables for the CLI and the tests
/// are skipped; any other unknown one (a misspelt setting) is an error later.
fn env_overrides(
    vars: impl Iterator<Item = (String, String)>,
) -> impl Iterator<Item = (String, RawValue)> {
    vars.filter_map(|(key, value)| {
        let name = key.strip_prefix("TESSERA_")?.to_ascii_lowercase();
        let tooling = NOT_SETTINGS.contains(&name.as_str()) || name.starts_with("test_");
        (!tooling).then_some((name, RawValue::Text(value)))
    })
}

fn parse_issuer(text: &str) -> Result<String, ConfigError> {
    let url = Url::parse(text).map_err(|_| invalid("issuer", "expected an absolute URL"))?;
    if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
        return Err(invalid(
            "issuer",
            "expected an http or https URL with a host",
        ));
    }
    if url.query().is_some() || url.fragment().is_some() || !url.username().is_empty() {
        return Err(invalid(
            "issuer",
            "must not have a query, fragment or credentials",
        ));
    }
    Ok(text.trim_end_matches('/').to_string())
}

fn parse_database_url(text: &str) -> Result<String, ConfigError> {
    if text.starts_with("sqlite:")
        || text.starts_with("postgres://")
        || text.starts_with("postgresql://")
    {
        Ok(text.to_string())
    } else {
        Err(invalid(
            "database_url",
            "expected sqlite://PATH or postgres://…",
        ))
    }
}

fn parse_redis_url(text: &str) -> Result<Option<String>, ConfigError> {
    if text.is_empty() {
        Ok(None)
    } else if text.starts_with("redis://") || text.starts_with("rediss://") {
        Ok(Some(text.to_string()))
    } else {
        Err(invalid("redis_url", "expected redis://HOST:PORT"))
    }
}

/// Seconds, or a number with a unit: `90`, `90s`, `15m`, `8h`, `30d`.
fn parse_duration(name: &str, text: &str) -> Result<Duration, ConfigError> {
    let text = text.trim();
    let (digits, unit) = match text.find(|c: char| !c.is_ascii_digit()) {
        Some(at) => text.split_at(at),
        None => (text, "s"),
    };
    let value: u64 = digits
        .parse()
        .map_err(|_| invalid(name, "expected a duration like 90, 15m, 8h or 30d"))?;
    let factor = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86400,
        _ => return Err(invalid(name, "expected a duration like 90, 15m, 8h or 30d")),
    };
    if value == 0 {
        return Err(invalid(name, "must be greater than zero"));
    }
    Ok(Duration::from_secs(value.saturating_mul(factor)))
}

/// Addresses or CIDR networks, separated by commas or spaces.
fn parse_networks(name: &str, text: &str) -> Result<Vec<IpNet>, ConfigError> {
    text.split(|c: char| c == ',' || c.is_whitespace())
        .filter(|item| !item.is_empty())
        .map(|item| {
            item.parse::<IpNet>()
                .or_else(|_| item.parse::<IpAddr>().map(IpNet::from))
                .map_err(|_| {
                    invalid(
                        name,
                        format!("`{item}` is not an address or a network like 10.0.0.0/8"),
                    )
                })
        })
        .collect()
}

fn parse_count(name: &str, text: &str) -> Result<u64, ConfigError> {
    match text.trim().parse::<u64>() {
        Ok(n) if n > 0 => Ok(n),
        _ => Err(invalid(name, "expected a positive whole number")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(pairs: &[(&str, &str)]) -> Result<Settings, ConfigError> {
        let vars = pairs
            .iter()
            .map(|(k, v)| (format!("TESSERA_{}", k.to_uppercase()), v.to_string()));
        let (figment, file) = layers(Some(Path::new("/dev/null")), vars)?;
        Settings::extract(&figment, file.as_deref())
    }

    fn load_file(text: &str) -> Result<Settings, ConfigError> {
        let path = std::env::temp_dir().join(format!("tessera-{}.toml", uuid::Uuid::new_v4()));
        std::fs::write(&path, text).expect("write");
        let loaded = layers(Some(&path), std::iter::empty())
            .and_then(|(figment, file)| Settings::extract(&figment, file.as_deref()));
        std::fs::remove_file(&path).expect("remove");
        loaded
    }

    #[test]
    fn defaults_are_valid() {
        let s = load(&[]).expect("defaults");
        assert_eq!(s.issuer, "http://localhost:8080");
        assert_eq!(s.code_lifetime, Duration::from_secs(60));
    }

    #[test]
    fn durations_take_units() {
        let s = load(&[
            ("session_idle_lifetime", "15m"),
            ("access_token_lifetime", "90"),
        ])
        .expect("valid");
        assert_eq!(s.session_idle_lifetime, Duration::from_secs(900));
        assert_eq!(s.access_token_lifetime, Duration::from_secs(90));
    }

    #[test]
    fn errors_name_the_setting() {
        let err = load(&[("access_token_lifetime", "soon")]).expect_err("invalid");
        assert!(err.to_string().contains("`access_token_lifetime`"), "{err}");
        assert!(
            err.to_string().contains("TESSERA_ACCESS_TOKEN_LIFETIME"),
            "{err}"
        );
        let err = load(&[("issuer", "not a url")]).expect_err("invalid");
        assert!(err.to_string().contains("`issuer`"));
        let err = load(&[("code_lifetime", "2m")]).expect_err("invalid");
        assert!(err.to_string().contains("`code_lifetime`"));
        let err = load(&[("colour", "blue")]).expect_err("unknown");
        assert!(err.to_string().contains("`colour`"));
    }

    #[test]
    fn the_log_format_is_text_or_json() {
        assert_eq!(load(&[]).expect("default").log_format, LogFormat::Text);
        assert_eq!(
            load(&[("log_format", "json")]).expect("json").log_format,
            LogFormat::Json
        );
        let err = load(&[("log_format", "xml")]).expect_err("invalid");
        assert!(err.to_string().contains("`log_format`"), "{err}");
        assert!(err.to_string().contains("expected text or json"), "{err}");
    }

    #[test]
    fn the_issuer_loses_its_trailing_slash() {
        let s = load(&[("issuer", "https://auth.example.com/")]).expect("valid");
        assert_eq!(s.issuer, "https://auth.example.com");
    }

    #[test]
    fn the_cookie_domain_must_contain_the_issuer() {
        assert!(
            load(&[
                ("issuer", "https://auth.example.com"),
                ("cookie_domain", ".example.com")
            ])
            .is_ok()
        );
        assert!(
            load(&[
                ("issuer", "https://auth.example.com"),
                ("cookie_domain", "other.com")
            ])
            .is_err()
        );
    }

    #[test]
    fn postgres_needs_an_explicit_pepper() {
        let err = load(&[("database_url", "postgres://localhost/tessera")]).expect_err("no pepper");
        assert!(err.to_string().contains("`pepper`"));
    }

    #[test]
    fn toml_values_are_read() {
        let s =
            load_file("issuer = \"https://id.example.com\"\ncode_lifetime = 30\n").expect("valid");
        assert_eq!(s.code_lifetime, Duration::from_secs(30));
        assert_eq!(s.issuer, "https://id.example.com");
        let err = load_file("issuer = [1]").expect_err("an array");
        assert!(matches!(err, ConfigError::Syntax { .. }), "{err}");
        assert!(
            err.to_string()
                .ends_with("`issuer`: expected a string, an integer or a boolean"),
            "{err}"
        );
        let err = load_file("issuer = ").expect_err("not TOML");
        assert!(matches!(err, ConfigError::Syntax { .. }), "{err}");
        let err = load_file("colour = \"blue\"").expect_err("unknown");
        assert!(err.to_string().contains("`colour`"), "{err}");
        assert!(err.to_string().contains("known: issuer, bind,"), "{err}");
    }

    #[test]
    fn trusted_proxies_are_addresses_or_networks() {
        let s = load(&[("trusted_proxies", "10.0.0.0/8, 172.28.0.10 ::1")]).expect("valid");
        let shown: Vec<String> = s.trusted_proxies.iter().map(ToString::to_string).collect();
        assert_eq!(shown, ["10.0.0.0/8", "172.28.0.10/32", "::1/128"]);
        let err = load(&[("trusted_proxies", "10.0.0.0/8,proxy")]).expect_err("invalid");
        assert!(err.to_string().contains("`trusted_proxies`"), "{err}");
    }

    #[test]
    fn tooling_variables_are_not_settings() {
        let vars = vec![
            (
                "TESSERA_ISSUER".to_string(),
                "https://x.example".to_string(),
            ),
            ("TESSERA_TEST_DATABASE".to_string(), "postgres".to_string()),
            ("TESSERA_CONFIG".to_string(), "t.toml".to_string()),
            ("TESSERA_ISUER".to_string(), "typo".to_string()),
            ("HOME".to_string(), "/root".to_string()),
        ];
        let names: Vec<String> = env_overrides(vars.into_iter()).map(|(k, _)| k).collect();
        assert_eq!(names, ["issuer", "isuer"]);
    }

    #[test]
    fn a_misspelt_environment_variable_stops_start_up() {
        let vars = [("TESSERA_ACCESS_TOKEN_LIFETIM".to_string(), "5m".to_string())];
        let (figment, _) = layers(Some(Path::new("/dev/null")), vars.into_iter()).expect("layers");
        let err = Settings::extract(&figment, None).expect_err("unknown");
        assert!(
            err.to_string().contains("TESSERA_ACCESS_TOKEN_LIFETIM"),
            "{err}"
        );
    }

    #[test]
    fn empty_optional_values_leave_the_setting_unset() {
        let s = load(&[
            ("redis_url", ""),
            ("cookie_domain", ""),
            ("bootstrap_admin_password", ""),
        ])
        .expect("valid");
        assert!(s.redis_url.is_none());
        assert!(s.cookie_domain.is_none());
        assert!(s.bootstrap_admin_password.is_none());
        assert!(
            load(&[("issuer", "")]).is_err(),
            "a required value stays required"
        );
    }
}
