//! The state of an authorization in progress (RFC 6749 §4.1, OIDC Core
//! §3.1.2): the validated request, the request parked while the user signs in
//! or consents, and the code it ends in.

use serde::{Deserialize, Serialize};

use super::{ApiIdentifier, ClientId, RedirectUri, Scopes, SessionId, UserId};

/// The `prompt` values of OIDC Core §3.1.2.1.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Prompt {
    pub none: bool,
    pub login: bool,
    pub consent: bool,
    pub select_account: bool,
}

/// An authorization request that passed every check of the authorization
/// endpoint: the client is known, the redirect URI registered, PKCE well formed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthorizationRequest {
    pub client_id: ClientId,
    pub redirect_uri: RedirectUri,
    pub scope: Scopes,
    pub state: Option<String>,
    pub nonce: Option<String>,
    /// S256 code challenge (RFC 7636 §4.2); `plain` is never accepted.
    pub code_challenge: Option<String>,
    pub prompt: Prompt,
    pub max_age: Option<i64>,
    pub login_hint: Option<String>,
    /// `sub` of a verified `id_token_hint`.
    pub id_token_hint_sub: Option<String>,
    /// The APIs the tokens are for (RFC 8707), each allowed to the client.
    #[serde(default)]
    pub resources: Vec<ApiIdentifier>,
}

/// A request parked while the browser visits the login or consent page.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingAuthorization {
    pub request: AuthorizationRequest,
    pub created_at: i64,
    /// The user signed in on the login page during this request, which
    /// satisfies `prompt=login`, `max_age` and `id_token_hint`.
    pub signed_in_here: bool,
    /// The user approved the consent page during this request.
    pub consent_given: bool,
}

/// What an authorization code stands for until it is redeemed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthorizationCode {
    /// The grant every token issued from this code will belong to.
    pub grant_id: String,
    pub client_id: ClientId,
    pub redirect_uri: RedirectUri,
    pub scope: Scopes,
    pub nonce: Option<String>,
    pub code_challenge: Option<String>,
    pub user_id: UserId,
    pub session_sid: SessionId,
    pub auth_time: i64,
    pub amr: Vec<String>,
    pub issued_at: i64,
    pub expires_at: i64,
    /// The APIs of the authorization request (RFC 8707).
    #[serde(default)]
    pub resources: Vec<ApiIdentifier>,
}

impl AuthorizationCode {
    pub fn is_expired(&self, now: i64) -> bool {
        now >= self.expires_at
    }
}
