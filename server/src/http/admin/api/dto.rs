//! The admin API's request and response bodies, with their OpenAPI schemas.
//! Domain and store types never go on the wire directly.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::admin::keys::KeyInfo;
use crate::admin::overview::Overview;
use crate::domain::{
    Api, ApiAllowance, ApiIdentifier, App, AuditRecord, Client, DeliveryStatus, Group, Role,
    SessionListing, SessionsEnded, User,
};
use crate::store::Consent;

#[derive(Debug, Serialize, ToSchema)]
pub struct UserOut {
    pub id: String,
    pub username: String,
    pub email: Option<String>,
    pub email_verified: bool,
    pub name: Option<String>,
    pub given_name: Option<String>,
    pub family_name: Option<String>,
    pub admin: bool,
    pub disabled: bool,
    pub created_at: i64,
    pub updated_at: i64,
}

impl From<&User> for UserOut {
    fn from(u: &User) -> Self {
        Self {
            id: u.id.to_string(),
            username: u.username.to_string(),
            email: u.email.as_ref().map(|e| e.as_str().to_string()),
            email_verified: u.email_verified,
            name: u.profile.name.clone(),
            given_name: u.profile.given_name.clone(),
            family_name: u.profile.family_name.clone(),
            admin: u.is_admin,
            disabled: u.disabled,
            created_at: u.created_at,
            updated_at: u.updated_at,
        }
    }
}

/// A page of users; pass `next` as `cursor` for the following one.
#[derive(Debug, Serialize, ToSchema)]
pub struct UserPage {
    pub items: Vec<UserOut>,
    pub next: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewUserIn {
    pub username: String,
    /// Generated and returned once when absent.
    pub password: Option<String>,
    pub email: Option<String>,
    #[serde(default)]
    pub email_verified: bool,
    pub name: Option<String>,
    pub given_name: Option<String>,
    pub family_name: Option<String>,
    #[serde(default)]
    pub admin: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedUserOut {
    pub user: UserOut,
    /// The generated password, shown this once.
    pub password: Option<String>,
}

/// Changes to a user; absent fields stay, an empty string clears a name or
/// the email address.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UserPatch {
    pub email: Option<String>,
    pub email_verified: Option<bool>,
    pub name: Option<String>,
    pub given_name: Option<String>,
    pub family_name: Option<String>,
    /// Disabling ends every session of the user and revokes every token.
    pub disabled: Option<bool>,
    pub admin: Option<bool>,
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordIn {
    /// Generated and returned once when absent.
    pub password: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PasswordOut {
    pub password: Option<String>,
    pub ended: EndedOut,
}

/// What ending sessions did.
#[derive(Debug, Serialize, ToSchema)]
pub struct EndedOut {
    pub sessions_ended: Vec<String>,
    pub families_revoked: u64,
    pub notices_queued: u64,
}

impl From<&SessionsEnded> for EndedOut {
    fn from(e: &SessionsEnded) -> Self {
        Self {
            sessions_ended: e.sessions.iter().map(|s| s.sid.to_string()).collect(),
            families_revoked: e.families_revoked,
            notices_queued: e.notices_queued,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ConsentOut {
    pub client_id: String,
    pub scope: String,
    pub granted_at: i64,
}

impl From<&Consent> for ConsentOut {
    fn from(c: &Consent) -> Self {
        Self {
            client_id: c.client_id.to_string(),
            scope: c.scope.to_string(),
            granted_at: c.granted_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RevokedOut {
    pub families_revoked: usize,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SessionOut {
    /// The session's public id (the `sid` of its tokens).
    pub id: String,
    pub user_id: String,
    pub username: String,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    pub auth_time: i64,
    pub created_at: i64,
    pub last_seen_at: i64,
    pub expires_at: i64,
    /// The clients that received tokens in it.
    pub clients: Vec<String>,
}

impl From<&SessionListing> for SessionOut {
    fn from(l: &SessionListing) -> Self {
        let s = &l.session;
        Self {
            id: s.sid.to_string(),
            user_id: s.user_id.to_string(),
            username: l.username.clone(),
            ip: s.ip.clone(),
            user_agent: s.user_agent.clone(),
            auth_time: s.auth_time,
            created_at: s.created_at,
            last_seen_at: s.last_seen_at,
            expires_at: s.idle_expires_at.min(s.absolute_expires_at),
            clients: l.clients.iter().map(|c| c.to_string()).collect(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SessionPage {
    pub items: Vec<SessionOut>,
    pub next: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EndAllIn {
    /// Exactly `end all sessions`.
    pub confirm: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DeliveryOut {
    pub pending: u64,
    pub delivered: u64,
    pub abandoned: u64,
    pub last_attempt_at: Option<i64>,
    pub last_outcome: Option<String>,
}

impl From<&DeliveryStatus> for DeliveryOut {
    fn from(d: &DeliveryStatus) -> Self {
        Self {
            pending: d.pending,
            delivered: d.delivered,
            abandoned: d.abandoned,
            last_attempt_at: d.last_attempt_at,
            last_outcome: d.last_outcome.clone(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ClientOut {
    pub client_id: String,
    pub name: String,
    pub public: bool,
    pub token_endpoint_auth_method: String,
    pub redirect_uris: Vec<String>,
    pub grant_types: Vec<String>,
    pub scope: String,
    pub first_party: bool,
    pub id_token_signed_response_alg: String,
    pub access_token_signed_response_alg: String,
    pub post_logout_redirect_uris: Vec<String>,
    pub backchannel_logout_uri: Option<String>,
    pub backchannel_logout_session_required: bool,
    pub created_at: i64,
    /// How its back-channel logout deliveries are going (single client reads).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub backchannel_delivery: Option<DeliveryOut>,
    /// The new secret of a client that an update made confidential, shown
    /// this once.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_secret: Option<String>,
}

impl From<&Client> for ClientOut {
    fn from(c: &Client) -> Self {
        let uris = |list: &[crate::domain::RedirectUri]| {
            list.iter()
                .map(|u| u.as_str().to_string())
                .collect::<Vec<_>>()
        };
        Self {
            client_id: c.id.to_string(),
            name: c.name.clone(),
            public: c.is_public(),
            token_endpoint_auth_method: c.auth_method().as_str().to_string(),
            redirect_uris: uris(&c.redirect_uris),
            grant_types: c
                .grant_types
                .iter()
                .map(|g| g.as_str().to_string())
                .collect(),
            scope: c.allowed_scopes().to_string(),
            first_party: c.first_party,
            id_token_signed_response_alg: c.id_token_alg.as_str().to_string(),
            access_token_signed_response_alg: c.access_token_alg.as_str().to_string(),
            post_logout_redirect_uris: uris(&c.logout.post_logout_redirect_uris),
            backchannel_logout_uri: c
                .logout
                .backchannel_logout_uri
                .as_ref()
                .map(|u| u.as_str().to_string()),
            backchannel_logout_session_required: c.logout.backchannel_logout_session_required,
            created_at: c.created_at,
            backchannel_delivery: None,
            client_secret: None,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ClientList {
    pub items: Vec<ClientOut>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewClientIn {
    /// Generated when absent.
    pub id: Option<String>,
    pub name: String,
    #[serde(default)]
    pub public: bool,
    /// `client_secret_basic` (default) or `client_secret_post`.
    pub auth_method: Option<String>,
    #[serde(default)]
    pub redirect_uris: Vec<String>,
    /// Default: authorization_code and refresh_token.
    #[serde(default)]
    pub grant_types: Vec<String>,
    #[serde(default)]
    pub first_party: bool,
    pub id_token_alg: Option<String>,
    pub access_token_alg: Option<String>,
    #[serde(default)]
    pub post_logout_redirect_uris: Vec<String>,
    pub backchannel_logout_uri: Option<String>,
    #[serde(default)]
    pub backchannel_logout_session_required: bool,
    /// Default: the OpenID scopes.
    #[serde(default)]
    pub scopes: Vec<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedClientOut {
    pub client: ClientOut,
    /// A confidential client's secret, shown this once.
    pub client_secret: Option<String>,
}

/// Changes to a client; absent fields stay, a list given replaces the
/// registered one, an empty back-channel URI removes it.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ClientPatch {
    pub name: Option<String>,
    /// `client_secret_basic`, `client_secret_post` or `none` (public).
    /// Becoming confidential returns a new `client_secret` once; a change
    /// between public and confidential ends every token the client holds.
    pub token_endpoint_auth_method: Option<String>,
    pub redirect_uris: Option<Vec<String>>,
    pub grant_types: Option<Vec<String>>,
    pub first_party: Option<bool>,
    pub id_token_alg: Option<String>,
    pub access_token_alg: Option<String>,
    pub post_logout_redirect_uris: Option<Vec<String>>,
    pub backchannel_logout_uri: Option<String>,
    pub backchannel_logout_session_required: Option<bool>,
    pub scopes: Option<Vec<String>>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SecretOut {
    pub client_id: String,
    /// The new secret, shown this once.
    pub client_secret: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct KeyOut {
    pub kid: String,
    pub alg: String,
    /// `next`, `active`, `retiring`, `retired` or `revoked`.
    pub state: String,
    pub created_at: i64,
    pub activates_at: i64,
    pub deactivated_at: Option<i64>,
    pub published_until: Option<i64>,
    pub revoked_at: Option<i64>,
}

impl From<&KeyInfo> for KeyOut {
    fn from(k: &KeyInfo) -> Self {
        Self {
            kid: k.kid.clone(),
            alg: k.alg.as_str().to_string(),
            state: k.state.as_str().to_string(),
            created_at: k.created_at,
            activates_at: k.activates_at,
            deactivated_at: k.deactivated_at,
            published_until: k.published_until,
            revoked_at: k.revoked_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct KeyList {
    pub items: Vec<KeyOut>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AuditOut {
    pub id: i64,
    pub at: i64,
    pub actor: String,
    pub action: String,
    pub target: Option<String>,
    pub reason: Option<String>,
    pub ip: Option<String>,
    pub outcome: String,
    #[schema(value_type = Object)]
    pub details: serde_json::Value,
}

impl From<&AuditRecord> for AuditOut {
    fn from(r: &AuditRecord) -> Self {
        Self {
            id: r.id,
            at: r.at,
            actor: r.actor.clone(),
            action: r.action.clone(),
            target: r.target.clone(),
            reason: r.reason.clone(),
            ip: r.ip.clone(),
            outcome: r.outcome.clone(),
            details: r.details.clone(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AuditPage {
    pub items: Vec<AuditOut>,
    pub next: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OverviewOut {
    pub users: u64,
    pub clients: u64,
    pub live_sessions: u64,
    pub sign_ins_succeeded_24h: u64,
    pub sign_ins_failed_24h: u64,
    pub sign_ins_throttled_24h: u64,
    pub notices_pending: u64,
    pub notices_failing: u64,
    pub notices_abandoned: u64,
}

impl From<&Overview> for OverviewOut {
    fn from(o: &Overview) -> Self {
        Self {
            users: o.users,
            clients: o.clients,
            live_sessions: o.live_sessions,
            sign_ins_succeeded_24h: o.sign_ins_24h.succeeded,
            sign_ins_failed_24h: o.sign_ins_24h.failed,
            sign_ins_throttled_24h: o.sign_ins_24h.throttled,
            notices_pending: o.notices_pending,
            notices_failing: o.notices_failing,
            notices_abandoned: o.notices_abandoned,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct GroupOut {
    pub id: String,
    pub name: String,
    pub members: u64,
    pub created_at: i64,
    /// Its members by username (the first thousand; single group reads).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub users: Option<Vec<MemberOut>>,
}

impl From<&Group> for GroupOut {
    fn from(g: &Group) -> Self {
        Self {
            id: g.id.clone(),
            name: g.name.to_string(),
            members: g.members,
            created_at: g.created_at,
            users: None,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MemberOut {
    pub id: String,
    pub username: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct GroupList {
    pub items: Vec<GroupOut>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewGroupIn {
    /// 1 to 64 characters of a-z 0-9 . _ - (upper case is folded).
    pub name: String,
}

/// A user's groups, by name.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UserGroups {
    pub groups: Vec<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AppOut {
    pub id: String,
    pub name: String,
    pub host: String,
    /// The `aud` of its internal JWTs.
    pub audience: String,
    /// What its internal JWTs are signed with.
    pub alg: String,
    /// Members of these groups may use it.
    pub allow_groups: Vec<String>,
    /// These users may use it. Both lists empty: anyone signed in.
    pub allow_users: Vec<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

impl From<&App> for AppOut {
    fn from(a: &App) -> Self {
        Self {
            id: a.id.clone(),
            name: a.name.clone(),
            host: a.host.to_string(),
            audience: a.audience.clone(),
            alg: a.token_alg.as_str().to_string(),
            allow_groups: a.allowed_groups.iter().map(ToString::to_string).collect(),
            allow_users: a
                .allowed_users
                .iter()
                .map(|u| u.as_str().to_string())
                .collect(),
            created_at: a.created_at,
            updated_at: a.updated_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AppList {
    pub items: Vec<AppOut>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewAppIn {
    pub name: String,
    /// The host its gateway serves it on; under `cookie_domain`.
    pub host: String,
    /// Default: `https://HOST`.
    pub audience: Option<String>,
    /// `ES256` (default), `RS256` or `EdDSA`.
    pub alg: Option<String>,
    #[serde(default)]
    pub allow_groups: Vec<String>,
    /// Usernames.
    #[serde(default)]
    pub allow_users: Vec<String>,
}

/// Fields given replace the registered ones; an empty audience restores
/// the default.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AppPatch {
    pub name: Option<String>,
    pub host: Option<String>,
    pub audience: Option<String>,
    pub alg: Option<String>,
    pub allow_groups: Option<Vec<String>>,
    pub allow_users: Option<Vec<String>>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RoleOut {
    pub name: String,
    pub permissions: Vec<String>,
}

impl From<&Role> for RoleOut {
    fn from(r: &Role) -> Self {
        Self {
            name: r.name.to_string(),
            permissions: r.permissions.iter().map(str::to_string).collect(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ApiOut {
    pub id: String,
    /// The `aud` of its access tokens (an absolute URI).
    pub identifier: String,
    pub name: String,
    pub scopes: Vec<String>,
    /// `jwt` or `opaque`.
    pub token_format: String,
    pub access_token_alg: String,
    /// Access-token lifetime in seconds.
    pub lifetime: i64,
    /// Clients that act as this API: they introspect its tokens and exchange them.
    pub introspectors: Vec<String>,
    pub roles: Vec<RoleOut>,
    pub created_at: i64,
    pub updated_at: i64,
}

impl ApiOut {
    pub fn new(a: &Api, roles: &[Role]) -> Self {
        Self {
            id: a.id.clone(),
            identifier: a.identifier.to_string(),
            name: a.name.clone(),
            scopes: a.scopes.iter().map(str::to_string).collect(),
            token_format: a.token_format.as_str().to_string(),
            access_token_alg: a.access_token_alg.as_str().to_string(),
            lifetime: a.lifetime,
            introspectors: a
                .introspectors
                .iter()
                .map(|c| c.as_str().to_string())
                .collect(),
            roles: roles.iter().map(RoleOut::from).collect(),
            created_at: a.created_at,
            updated_at: a.updated_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ApiList {
    pub items: Vec<ApiOut>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewApiIn {
    pub identifier: String,
    pub name: String,
    #[serde(default)]
    pub scopes: Vec<String>,
    /// `jwt` (default) or `opaque`.
    pub token_format: Option<String>,
    /// `ES256` (default), `RS256` or `EdDSA`.
    pub access_token_alg: Option<String>,
    /// Seconds, 60 to 86400 (default: the server's access-token lifetime).
    pub lifetime: Option<i64>,
    /// Client ids.
    #[serde(default)]
    pub introspectors: Vec<String>,
}

/// Fields given replace the registered ones.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ApiPatch {
    pub name: Option<String>,
    pub scopes: Option<Vec<String>>,
    pub token_format: Option<String>,
    pub access_token_alg: Option<String>,
    pub lifetime: Option<i64>,
    pub introspectors: Option<Vec<String>>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RoleIn {
    pub permissions: Vec<String>,
}

/// What a client may do with an API.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ClientApiIn {
    /// Ask for tokens for it with `resource`.
    #[serde(default)]
    pub tokens: bool,
    /// Exchange tokens it receives for tokens to it (RFC 8693).
    #[serde(default)]
    pub exchange: bool,
    /// Within these of the API's scopes; absent: all of them.
    pub scopes: Option<Vec<String>>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ClientApiOut {
    pub api: String,
    pub tokens: bool,
    pub exchange: bool,
    pub scopes: Option<Vec<String>>,
}

impl ClientApiOut {
    pub fn new(api: &ApiIdentifier, a: &ApiAllowance) -> Self {
        Self {
            api: api.to_string(),
            tokens: a.direct,
            exchange: a.exchange,
            scopes: a
                .scopes
                .as_ref()
                .map(|s| s.iter().map(str::to_string).collect()),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ClientApiList {
    pub items: Vec<ClientApiOut>,
}
