//! The authorization endpoint (RFC 6749 §4.1.1-4.1.2, OIDC Core §3.1.2).
//!
//! A request is checked in two stages. Until the client and its redirect URI
//! are known to match, every failure is an error page: redirecting to an
//! unverified URI would make Tessera an open redirector (RFC 9700 §4.11).
//! After that, failures go back to the client with `error`, `state` and
//! `iss` (RFC 9207). A request that needs the user parks itself in the
//! ephemeral store and sends the browser to the login or consent page, which
//! resume it.

use super::{ErrorCode, OAuthError, Params, Provider, request};
use crate::domain::crypto::random_token;
use crate::domain::{
    AuthorizationCode, AuthorizationRequest, PendingAuthorization, RedirectUri, Session, User,
    address,
};

/// What the browser should see next.
#[derive(Debug, PartialEq, Eq)]
pub enum AuthorizeStep {
    /// An HTML error page; the client cannot be trusted with a redirect.
    ErrorPage(String),
    /// Too many sign-ins are in progress (from this address, or at all).
    TooManyRequests(String),
    /// Redirect to the client (a code or an error).
    Redirect(String),
    /// Show the login page for the parked request.
    Login { request_id: String },
    /// Show the consent page for the parked request.
    Consent { request_id: String },
}

/// Why the user has to be involved.
enum Decision {
    Login,
    Consent,
    Issue,
    Fail(OAuthError),
}

impl Provider {
    /// Handle a fresh authorization request (GET query or POST form) from
    /// the browser at `client_ip`.
    pub async fn authorize(
        &self,
        params: &Params,
        session_token: Option<&str>,
        client_ip: Option<&str>,
        now: i64,
    ) -> Result<AuthorizeStep, OAuthError> {
        if params.is_repeated("client_id") || params.is_repeated("redirect_uri") {
            return Ok(page("The client_id or redirect_uri parameter is repeated."));
        }
        let Some(client_id) = params.get("client_id") else {
            return Ok(page("The request has no client_id."));
        };
        let Some(client) = self.store.client_by_id(client_id).await? else {
            return Ok(page(
                "The application that sent you here is not registered.",
            ));
        };
        let Some(redirect_param) = params.get("redirect_uri") else {
            return Ok(page("The request has no redirect_uri."));
        };
        let Some(redirect_uri) = client.registered_redirect_uri(redirect_param).cloned() else {
            return Ok(page(
                "The redirect_uri of this request is not registered for the application.",
            ));
        };
        let state = if params.is_repeated("state") {
            None
        } else {
            params.get("state")
        };
        let resources = match self.named_resources(&client, params).await {
            Ok(resources) => resources,
            Err(error) if error.code == ErrorCode::InvalidTarget => {
                return Ok(AuthorizeStep::Redirect(self.error_redirect(
                    &redirect_uri,
                    state,
                    &error,
                )));
            }
            Err(other) => return Err(other),
        };
        let request = match request::authorization_request(
            params,
            &client,
            &redirect_uri,
            &resources,
            &self.keys(),
            &self.config.issuer,
            now,
        ) {
            Ok(request) => request,
            Err(error) => {
                return Ok(AuthorizeStep::Redirect(self.error_redirect(
                    &redirect_uri,
                    state,
                    &error,
                )));
            }
        };
        let pending = PendingAuthorization {
            request,
            created_at: now,
            signed_in_here: false,
            consent_given: false,
        };
        self.proceed(pending, Parked::New { client_ip }, session_token, now)
            .await
    }

    /// Continue a parked request right after the user signed in for it.
    pub async fn resume_after_login(
        &self,
        request_id: &str,
        session_token: &str,
        now: i64,
    ) -> Result<AuthorizeStep, OAuthError> {
        match self.store.pending(request_id).await? {
            Some(pending) => {
                let pending = PendingAuthorization {
                    signed_in_here: true,
                    ..pending
                };
                self.proceed(pending, Parked::As(request_id), Some(session_token), now)
                    .await
            }
            None => Ok(expired_page()),
        }
    }

    /// The parked request `request_id`, if it is still waiting.
    pub async fn pending_authorization(
        &self,
        request_id: &str,
    ) -> Result<Option<PendingAuthorization>, OAuthError> {
        Ok(self.store.pending(request_id).await?)
    }

    pub(super) async fn proceed(
        &self,
        pending: PendingAuthorization,
        parked: Parked<'_>,
        session_token: Option<&str>,
        now: i64,
    ) -> Result<AuthorizeStep, OAuthError> {
        let current = self.current_session(session_token, now).await?;
        let request = &pending.request;
        let decision = match &current {
            None => Decision::Login,
            Some((session, user)) => self.decide(&pending, session, user, now).await?,
        };
        let decision = match decision {
            Decision::Login if request.prompt.none => Decision::Fail(OAuthError::new(
                ErrorCode::LoginRequired,
                "the user is not signed in",
            )),
            Decision::Consent if request.prompt.none => Decision::Fail(OAuthError::new(
                ErrorCode::ConsentRequired,
                "the user has not granted these scopes to this client",
            )),
            other => other,
        };
        match decision {
            Decision::Fail(error) => {
                self.forget(parked).await?;
                let state = request.state.as_deref();
                Ok(AuthorizeStep::Redirect(self.error_redirect(
                    &request.redirect_uri,
                    state,
                    &error,
                )))
            }
            Decision::Login => Ok(match self.park(&pending, parked).await? {
                Ok(request_id) => AuthorizeStep::Login { request_id },
                Err(full) => full,
            }),
            Decision::Consent => Ok(match self.park(&pending, parked).await? {
                Ok(request_id) => AuthorizeStep::Consent { request_id },
                Err(full) => full,
            }),
            Decision::Issue => {
                self.forget(parked).await?;
                let Some((session, _)) = current else {
                    return Err(OAuthError::internal(
                        "authorize",
                        "issuing without a session",
                    ));
                };
                let code = self.issue_code(request, &session, now).await?;
                let mut params = vec![("code", code.as_str())];
                if let Some(state) = request.state.as_deref() {
                    params.push(("state", state));
                }
                params.push(("iss", self.config.issuer.as_str()));
                Ok(AuthorizeStep::Redirect(
                    request.redirect_uri.with_params(params),
                ))
            }
        }
    }

    /// Given a live session, does this request need a (new) login, consent,
    /// or neither? A sign-in on this request's own login page counts as
    /// fresh, so `prompt=login` and `max_age` are satisfied by it.
    async fn decide(
        &self,
        pending: &PendingAuthorization,
        session: &Session,
        user: &User,
        now: i64,
    ) -> Result<Decision, OAuthError> {
        let request = &pending.request;
        let fresh = pending.signed_in_here;
        let too_old = request
            .max_age
            .is_some_and(|max_age| max_age == 0 || now - session.auth_time > max_age);
        let other_user = request
            .id_token_hint_sub
            .as_deref()
            .is_some_and(|sub| sub != user.id.as_str());
        if !fresh && (request.prompt.login || too_old || other_user) {
            return Ok(Decision::Login);
        }
        if other_user {
            return Ok(Decision::Fail(OAuthError::new(
                ErrorCode::LoginRequired,
                "the signed-in user is not the one named by id_token_hint",
            )));
        }
        Ok(
            if self
                .needs_consent(request, user, pending.consent_given)
                .await?
            {
                Decision::Consent
            } else {
                Decision::Issue
            },
        )
    }

    async fn needs_consent(
        &self,
        request: &AuthorizationRequest,
        user: &User,
        consent_given: bool,
    ) -> Result<bool, OAuthError> {
        if consent_given {
            return Ok(false);
        }
        let Some(client) = self.store.client_by_id(request.client_id.as_str()).await? else {
            return Err(OAuthError::invalid_request("the client no longer exists"));
        };
        if client.first_party {
            return Ok(false);
        }
        if request.prompt.consent {
            return Ok(true);
        }
        let granted = self.store.consent(&user.id, &client.id).await?;
        Ok(!granted.is_some_and(|granted| request.scope.is_subset(&granted)))
    }

    async fn issue_code(
        &self,
        request: &AuthorizationRequest,
        session: &Session,
        now: i64,
    ) -> Result<String, OAuthError> {
        let code = random_token(32);
        let record = AuthorizationCode {
            grant_id: uuid::Uuid::new_v4().to_string(),
            client_id: request.client_id.clone(),
            redirect_uri: request.redirect_uri.clone(),
            scope: request.scope.clone(),
            nonce: request.nonce.clone(),
            code_challenge: request.code_challenge.clone(),
            user_id: session.user_id.clone(),
            session_sid: session.sid.clone(),
            auth_time: session.auth_time,
            amr: session.amr.clone(),
            issued_at: now,
            expires_at: now + self.config.code_lifetime,
            resources: request.resources.clone(),
        };
        self.store
            // Kept a minute past its expiry, so that a late redemption is
            // told the code expired rather than that it is unknown.
            .save_code(&code, &record, Self::secs(self.config.code_lifetime + 60))
            .await?;
        Ok(code)
    }

    /// Store the request under a new random id, or update it under its own.
    /// A new request counts against the caps on parked requests: each costs
    /// memory until it expires, and anyone can send `/authorize` requests.
    ///
    /// - Per address (an IPv6 /64, an IPv4 address): `per_ip` in a window.
    /// - In total, `total`: beyond it only address *ranges* (an IPv6 /48, an
    ///   IPv4 /24) that have parked fewer than `per_ip` may park more, so
    ///   one actor rotating through its addresses fills its own range and
    ///   is refused there while everyone else goes on; at twice `total`,
    ///   nobody may, which bounds what parked requests can cost.
    ///
    /// Counters are only created for requests that pass the range checks,
    /// so refused requests cost no memory either. Counting in windows as
    /// long as a request lives bounds the live ones. `Err` holds the page to
    /// show when a cap is reached.
    async fn park(
        &self,
        pending: &PendingAuthorization,
        parked: Parked<'_>,
    ) -> Result<Result<String, AuthorizeStep>, OAuthError> {
        let ttl = Self::secs(self.config.pending_lifetime);
        let id = match parked {
            Parked::As(id) => id.to_string(),
            Parked::New { client_ip } => {
                if let Some(refusal) = self.admit_parked(client_ip, ttl).await? {
                    return Ok(Err(refusal));
                }
                random_token(24)
            }
        };
        self.store.save_pending(&id, pending, ttl).await?;
        Ok(Ok(id))
    }

    /// Whether a new request from `client_ip` may be parked (see
    /// [`Self::park`]); the page to show if not.
    async fn admit_parked(
        &self,
        client_ip: Option<&str>,
        window: std::time::Duration,
    ) -> Result<Option<AuthorizeStep>, OAuthError> {
        const TOTAL: &str = "authreq-total";
        let busy = || {
            Some(AuthorizeStep::TooManyRequests(
                "Too many sign-ins are in progress right now. Wait a few minutes and try again."
                    .into(),
            ))
        };
        let from_your_network = || {
            Some(AuthorizeStep::TooManyRequests(
                "Too many sign-ins were started from your network in the last minutes. Wait a few minutes and try again.".into(),
            ))
        };
        let limits = self.config.pending_limits;
        let total = self.store.window_count(TOTAL, window).await?;
        if total >= limits.total.saturating_mul(2) {
            tracing::warn!("too many parked authorization requests");
            return Ok(busy());
        }
        if let Some(ip) = client_ip {
            let range = format!("authreq-range:{}", address::range(ip));
            if total >= limits.total
                && self.store.window_count(&range, window).await? >= limits.per_ip
            {
                tracing::warn!(range = %address::range(ip), "parked authorization requests limited to light address ranges");
                return Ok(from_your_network());
            }
            let per_address = format!("authreq-ip:{}", address::per_address(ip));
            if self.store.count_in_window(&per_address, window).await? > limits.per_ip {
                tracing::warn!(address = %address::per_address(ip), "too many parked authorization requests from one address");
                return Ok(from_your_network());
            }
            self.store.count_in_window(&range, window).await?;
        } else if total >= limits.total {
            return Ok(busy());
        }
        self.store.count_in_window(TOTAL, window).await?;
        Ok(None)
    }

    async fn forget(&self, parked: Parked<'_>) -> Result<(), OAuthError> {
        if let Parked::As(id) = parked {
            self.store.delete_pending(id).await?;
        }
        Ok(())
    }

    /// The client's redirect URI with `error`, `error_description`, `state`
    /// and `iss` (RFC 6749 §4.1.2.1, RFC 9207 §2).
    pub fn error_redirect(
        &self,
        redirect_uri: &RedirectUri,
        state: Option<&str>,
        error: &OAuthError,
    ) -> String {
        let mut params = vec![
            ("error", error.code.as_str()),
            ("error_description", &*error.description),
        ];
        if let Some(state) = state {
            params.push(("state", state));
        }
        params.push(("iss", self.config.issuer.as_str()));
        redirect_uri.with_params(params)
    }
}

/// Where a request being decided is parked.
#[derive(Clone, Copy, Debug)]
pub(super) enum Parked<'a> {
    /// Not yet: a fresh request from the browser at `client_ip`.
    New { client_ip: Option<&'a str> },
    /// Under this id, since an earlier step.
    As(&'a str),
}

fn page(message: &str) -> AuthorizeStep {
    AuthorizeStep::ErrorPage(message.to_string())
}

pub(super) fn expired_page() -> AuthorizeStep {
    page(
        "This sign-in request has expired or was already completed. Go back to the application and try again.",
    )
}
