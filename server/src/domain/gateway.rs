//! What a gateway learns about a request's user, and where a user may be
//! sent back to after signing in for a protected application.

use url::Url;

use super::{AppHost, DomainError, Email, GroupName, SessionId, UserId, Username};

/// The session behind a gateway cookie with the user it belongs to: all a
/// forward-auth decision needs, read in one store round trip and cached
/// per replica for at most a second.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GatewayIdentity {
    /// SHA-256 of the session's own (host-only) cookie token: the key to
    /// record activity under.
    pub session_hash: String,
    pub sid: SessionId,
    pub user_id: UserId,
    pub username: Username,
    pub name: Option<String>,
    pub email: Option<Email>,
    /// Names, sorted.
    pub groups: Vec<GroupName>,
    pub last_seen_at: i64,
    pub idle_expires_at: i64,
    pub absolute_expires_at: i64,
}

impl GatewayIdentity {
    pub fn is_active(&self, now: i64) -> bool {
        now < self.idle_expires_at && now < self.absolute_expires_at
    }
}

/// The page a user asked for before being sent to sign in: an absolute
/// http(s) URL without userinfo, whose host is a name (the caller checks
/// that it is a registered application's).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReturnUrl {
    url: Url,
    host: AppHost,
}

impl ReturnUrl {
    pub const MAX_LEN: usize = 2048;

    /// `allow_http`: plain http is accepted (an issuer that is itself plain
    /// http, for development); otherwise https only.
    pub fn parse(raw: &str, allow_http: bool) -> Result<Self, DomainError> {
        let refuse = |why| DomainError::InvalidReturnUrl(why);
        if raw.len() > Self::MAX_LEN {
            return Err(refuse("it is too long"));
        }
        if raw
            .chars()
            .any(|c| c.is_control() || c.is_whitespace() || c == '\\')
        {
            return Err(refuse(
                "it contains spaces, backslashes or control characters",
            ));
        }
        let url = Url::parse(raw).map_err(|_| refuse("it is not an absolute URL"))?;
        match url.scheme() {
            "https" => {}
            "http" if allow_http => {}
            _ => return Err(refuse("it is not an https URL")),
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(refuse("it carries a user name or password"));
        }
        let host = match url.host() {
            Some(url::Host::Domain(name)) => {
                AppHost::parse(name).map_err(|_| refuse("its host is not a DNS name"))?
            }
            _ => return Err(refuse("its host is not a DNS name")),
        };
        Ok(Self { url, host })
    }

    pub fn host(&self) -> &AppHost {
        &self.host
    }

    pub fn as_str(&self) -> &str {
        self.url.as_str()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_absolute_urls_to_a_named_host_return() {
        let ok = ReturnUrl::parse("https://app.example.test/a/b?c=d#e", false).expect("valid");
        assert_eq!(ok.host().as_str(), "app.example.test");
        assert_eq!(ok.as_str(), "https://app.example.test/a/b?c=d#e");
        for bad in [
            "javascript:alert(1)",
            "//evil.example/",
            "/relative",
            "https://app.example.test@evil.example/",
            "https://user:pw@app.example.test/",
            "https:\\\\evil.example",
            "https://127.0.0.1/",
            "https://[::1]/",
            "data:text/html,hi",
            "https://app.example.test/\nSet-Cookie:x",
            "http://app.example.test/",
        ] {
            assert!(ReturnUrl::parse(bad, false).is_err(), "{bad}");
        }
        assert!(ReturnUrl::parse("http://app.example.test:8080/", true).is_ok());
        assert!(ReturnUrl::parse(&format!("https://a.test/{}", "x".repeat(3000)), false).is_err());
    }
}
