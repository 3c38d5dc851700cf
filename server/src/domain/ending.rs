//! Ending sessions (OIDC RP-Initiated Logout 1.0, Back-Channel Logout 1.0):
//! why a session ends, who ended it, and what ending it touched.

use std::fmt;

use super::{ClientId, SessionId, UserId};

/// Why sessions end. Every reason but expiry also revokes the refresh-token
/// families issued under them: a session that simply ran out of time leaves
/// `offline_access` grants alone, which is what that scope asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EndReason {
    /// The user pressed Sign out, or ended a session on the account page.
    SignOut,
    /// An application sent the user to the end-session endpoint.
    RpLogout,
    /// The user's password was changed.
    PasswordChanged,
    /// The account was disabled.
    UserDisabled,
    /// An administrator ended it.
    AdminLogout,
    /// Another user signed in with the same browser.
    Replaced,
    /// The idle or absolute lifetime passed.
    Expired,
}

impl EndReason {
    pub fn as_str(self) -> &'static str {
        match self {
            EndReason::SignOut => "sign_out",
            EndReason::RpLogout => "rp_logout",
            EndReason::PasswordChanged => "password_changed",
            EndReason::UserDisabled => "user_disabled",
            EndReason::AdminLogout => "admin_logout",
            EndReason::Replaced => "replaced",
            EndReason::Expired => "expired",
        }
    }

    pub fn revokes_tokens(self) -> bool {
        self != EndReason::Expired
    }
}

impl fmt::Display for EndReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Who did something: recorded in the audit log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Actor {
    /// A signed-in user acting on their own account.
    User(UserId),
    /// An administrator in the console or the admin API.
    Admin(UserId),
    /// A client application (RP-initiated logout, revocation).
    Client(ClientId),
    /// An operator at the command line.
    Cli,
    /// Tessera itself (expiry sweeps).
    System,
    /// Someone not (yet) signed in: a sign-in attempt.
    Anonymous,
}

impl fmt::Display for Actor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Actor::User(id) => write!(f, "user:{id}"),
            Actor::Admin(id) => write!(f, "admin:{id}"),
            Actor::Client(id) => write!(f, "client:{id}"),
            Actor::Cli => f.write_str("cli"),
            Actor::System => f.write_str("system"),
            Actor::Anonymous => f.write_str("anonymous"),
        }
    }
}

/// Which sessions to end.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EndTarget {
    /// One session, by its public `sid`.
    Session(SessionId),
    /// Every session of a user. With a reason that revokes tokens, every
    /// grant of the user is revoked too, including those whose session is
    /// long gone (`offline_access`).
    User(UserId),
    /// Every session of a user but one (the account page's "sign out
    /// everywhere else").
    OtherSessions { user: UserId, keep_sid: SessionId },
    /// Sessions past their idle or absolute expiry, at most `limit` of them.
    Expired { limit: u64 },
    /// Every session there is (an administrator's "End all sessions").
    All,
}

/// A session that was ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EndedSession {
    pub sid: SessionId,
    pub user_id: UserId,
}

/// What ending sessions did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SessionsEnded {
    pub sessions: Vec<EndedSession>,
    /// Grants (refresh-token families and their access tokens) revoked.
    pub families_revoked: u64,
    /// Back-channel logout notices queued.
    pub notices_queued: u64,
}

impl SessionsEnded {
    pub fn is_empty(&self) -> bool {
        self.sessions.is_empty() && self.families_revoked == 0
    }
}
