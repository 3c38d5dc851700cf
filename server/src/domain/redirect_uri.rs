//! Registered redirect URIs. They are compared byte for byte with the
//! `redirect_uri` of each request (RFC 9700 §4.1.3: exact matching), so a URI
//! is stored exactly as registered and never normalised.

use std::fmt;

use serde::{Deserialize, Serialize};
use url::Url;

use super::DomainError;

/// Which redirect URIs may be registered.
#[derive(Clone, Copy, Debug, Default)]
pub struct RedirectUriPolicy {
    /// Allow `http:` URIs on hosts other than loopback. Only for a development
    /// issuer that is itself served over plain http (RFC 9700 §2.6).
    pub allow_http: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct RedirectUri(String);

impl RedirectUri {
    /// Longest URI accepted (and stored).
    pub const MAX_LEN: usize = 2048;

    pub fn parse(value: &str, policy: RedirectUriPolicy) -> Result<Self, DomainError> {
        let invalid = |reason| DomainError::InvalidRedirectUri {
            uri: value.chars().take(100).collect(),
            reason,
        };
        if value.len() > Self::MAX_LEN {
            return Err(invalid("it is longer than 2048 characters"));
        }
        if value.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(invalid("it contains whitespace"));
        }
        let url = Url::parse(value).map_err(|_| invalid("it is not an absolute URI"))?;
        if url.fragment().is_some() || value.contains('#') {
            return Err(invalid("it must not contain a fragment"));
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(invalid("it must not contain credentials"));
        }
        match url.scheme() {
            "https" => {
                if url.host().is_none() {
                    return Err(invalid("it has no host"));
                }
            }
            "http" => {
                if !is_loopback(&url) && !policy.allow_http {
                    return Err(invalid(
                        "http is only allowed for loopback hosts; use https",
                    ));
                }
            }
            // Private-use schemes of native apps are reverse domain names (RFC 8252 §7.1).
            scheme if scheme.contains('.') => {}
            _ => {
                return Err(invalid(
                    "use https, loopback http or a reverse-domain app scheme",
                ));
            }
        }
        Ok(Self(value.to_string()))
    }

    /// A back-channel logout URI (OIDC Back-Channel Logout 1.0 §2.2), where
    /// Tessera itself sends requests: an absolute https URL (http only for a
    /// development issuer that is itself served over http), with a host,
    /// without credentials or fragment, at most 2,048 characters. Where it
    /// may lead is checked again at each delivery, after name resolution.
    pub fn parse_backchannel(value: &str, allow_http: bool) -> Result<Self, DomainError> {
        let invalid = |reason| DomainError::InvalidBackchannelUri {
            uri: value.chars().take(100).collect(),
            reason,
        };
        if value.len() > Self::MAX_LEN {
            return Err(invalid("it is longer than 2048 characters"));
        }
        if value.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(invalid("it contains whitespace"));
        }
        let url = Url::parse(value).map_err(|_| invalid("it is not an absolute URL"))?;
        match url.scheme() {
            "https" => {}
            "http" if allow_http => {}
            "http" => return Err(invalid("it must be https")),
            _ => return Err(invalid("it must be an https URL")),
        }
        if url.host().is_none() {
            return Err(invalid("it has no host"));
        }
        if url.fragment().is_some() || value.contains('#') {
            return Err(invalid("it must not contain a fragment"));
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(invalid("it must not contain credentials"));
        }
        Ok(Self(value.to_string()))
    }

    /// A URI read back from storage, where it was validated on the way in.
    pub fn from_trusted(value: String) -> Self {
        Self(value)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The URI with `params` appended to its query, keeping any query it was
    /// registered with (RFC 6749 §3.1.2).
    pub fn with_params<'a>(&self, params: impl IntoIterator<Item = (&'a str, &'a str)>) -> String {
        let mut params = params.into_iter().peekable();
        if params.peek().is_none() {
            // Exactly as registered: not even an empty `?`.
            return self.0.clone();
        }
        match Url::parse(&self.0) {
            Ok(mut url) => {
                {
                    let mut query = url.query_pairs_mut();
                    for (name, value) in params {
                        query.append_pair(name, value);
                    }
                }
                url.to_string()
            }
            // Unreachable for a parsed URI; fall back to the registered value.
            Err(_) => self.0.clone(),
        }
    }
}

fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(domain)) => domain == "localhost",
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

impl fmt::Display for RedirectUri {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const STRICT: RedirectUriPolicy = RedirectUriPolicy { allow_http: false };

    #[test]
    fn https_loopback_and_app_schemes_are_accepted() {
        for uri in [
            "https://app.example.com/callback",
            "https://app.example.com/cb?tenant=1",
            "http://localhost:3000/cb",
            "http://127.0.0.1/cb",
            "http://[::1]:8080/cb",
            "com.example.app:/oauth2redirect",
        ] {
            assert!(RedirectUri::parse(uri, STRICT).is_ok(), "{uri}");
        }
    }

    #[test]
    fn dangerous_or_vague_uris_are_refused() {
        for uri in [
            "http://app.example.com/cb",
            "https://app.example.com/cb#frag",
            "javascript:alert(1)",
            "/relative/path",
            "https://user:pw@app.example.com/cb",
            "https://app.example.com/a b",
        ] {
            assert!(RedirectUri::parse(uri, STRICT).is_err(), "{uri}");
        }
    }

    #[test]
    fn backchannel_uris_are_https_unless_the_issuer_is_in_development() {
        assert!(RedirectUri::parse_backchannel("https://rp.example.com/bc", false).is_ok());
        for uri in [
            "http://rp.example.com/bc",
            "http://127.0.0.1:8080/bc",
            "com.example.app:/bc",
            "https://user:pw@rp.example.com/bc",
            "https://rp.example.com/bc#x",
            "/bc",
        ] {
            assert!(RedirectUri::parse_backchannel(uri, false).is_err(), "{uri}");
        }
        assert!(RedirectUri::parse_backchannel("http://127.0.0.1:8080/bc", true).is_ok());
        let long = format!("https://rp.example.com/{}", "a".repeat(2048));
        assert!(RedirectUri::parse_backchannel(&long, false).is_err());
        assert!(RedirectUri::parse(&long, RedirectUriPolicy::default()).is_err());
    }

    #[test]
    fn plain_http_needs_the_development_policy() {
        let dev = RedirectUriPolicy { allow_http: true };
        assert!(RedirectUri::parse("http://app1.example.test:8080/cb", dev).is_ok());
    }

    #[test]
    fn no_params_leave_the_uri_as_registered() {
        let uri = RedirectUri::parse("https://a.example.com/out", STRICT).expect("valid");
        assert_eq!(uri.with_params([]), "https://a.example.com/out");
    }

    #[test]
    fn params_are_appended_to_a_registered_query() {
        let uri = RedirectUri::parse("https://a.example.com/cb?k=v", STRICT).expect("valid");
        assert_eq!(
            uri.with_params([("code", "abc"), ("state", "x y")]),
            "https://a.example.com/cb?k=v&code=abc&state=x+y"
        );
    }
}
