//! What every handler receives: the protocol core and the web settings.

use actix_web::cookie::time::Duration as CookieDuration;

use crate::clock::SharedClock;
use crate::http::TrustedProxies;
use crate::oauth::Provider;
use crate::oauth::metadata::Endpoints;

pub struct AppState {
    pub provider: Provider,
    pub web: WebSettings,
    pub clock: SharedClock,
}

impl AppState {
    pub fn now(&self) -> i64 {
        self.clock.now()
    }
}

/// Settings of the web layer, derived once at start-up.
pub struct WebSettings {
    pub issuer: String,
    pub endpoints: Endpoints,
    pub cookies: CookieSettings,
    /// Reverse proxies whose `X-Forwarded-For` names the client.
    pub trusted_proxies: TrustedProxies,
    /// The discovery document, serialised once.
    pub discovery_json: String,
    /// How long a request body may take to arrive.
    pub request_body_timeout: std::time::Duration,
}

#[derive(Clone, Debug)]
pub struct CookieSettings {
    /// Set `Secure` (and use the `__Host-` prefix where allowed): the issuer is https.
    pub secure: bool,
    /// Parent domain of the gateway cookie, e.g. `example.com`; none: no
    /// gateway cookie at all.
    pub domain: Option<String>,
    pub session_max_age: CookieDuration,
}

impl CookieSettings {
    /// The host-only cookie that signs a browser in to Tessera itself.
    /// `__Host-` over https: no sibling subdomain can set or shadow it.
    pub fn session_name(&self) -> &'static str {
        if self.secure {
            "__Host-tessera_session"
        } else {
            "tessera_session"
        }
    }

    /// The parent-domain cookie that identifies the session to gateways.
    pub fn gateway_name(&self) -> &'static str {
        if self.secure {
            "__Secure-tessera_gateway"
        } else {
            "tessera_gateway"
        }
    }

    /// `__Host-` pins the CSRF cookie to this exact host over https, so a
    /// sibling subdomain cannot plant one.
    pub fn csrf_name(&self) -> &'static str {
        if self.secure {
            "__Host-tessera_csrf"
        } else {
            "tessera_csrf"
        }
    }
}
