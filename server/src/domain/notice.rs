//! Back-channel logout notices (OIDC Back-Channel Logout 1.0 §2.5): one per
//! client and ended session, kept in a persistent outbox until the client
//! has acknowledged it, retried with exponential backoff for a day.

use super::{ClientId, SessionId, UserId};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NoticeState {
    /// Waiting for its next attempt.
    Pending,
    /// The client answered 200 (or 204).
    Delivered,
    /// Still failing after [`LogoutNotice::RETRY_FOR_SECS`]; no more attempts.
    Abandoned,
}

impl NoticeState {
    pub fn as_str(self) -> &'static str {
        match self {
            NoticeState::Pending => "pending",
            NoticeState::Delivered => "delivered",
            NoticeState::Abandoned => "abandoned",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        match value {
            "pending" => Some(NoticeState::Pending),
            "delivered" => Some(NoticeState::Delivered),
            "abandoned" => Some(NoticeState::Abandoned),
            _ => None,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LogoutNotice {
    pub id: String,
    pub client_id: ClientId,
    /// The ended session's public id.
    pub sid: SessionId,
    pub sub: UserId,
    pub state: NoticeState,
    pub created_at: i64,
    pub next_attempt_at: i64,
    pub attempts: u32,
    pub last_attempt_at: Option<i64>,
    pub last_error: Option<String>,
    pub delivered_at: Option<i64>,
}

impl LogoutNotice {
    /// How long a failing notice is retried.
    pub const RETRY_FOR_SECS: i64 = 24 * 3600;
    /// Each attempt waits at most this long for the client.
    pub const ATTEMPT_TIMEOUT_SECS: u64 = 5;
    /// A claimed notice is left to its claimant this long; if that replica
    /// dies, another one takes it over afterwards.
    pub const LEASE_SECS: i64 = 30;
    const FIRST_RETRY_SECS: i64 = 5;
    const MAX_RETRY_SECS: i64 = 3600;

    /// The wait after the `attempts`-th failed attempt: 5 s, 10 s, 20 s, …,
    /// at most an hour.
    pub fn retry_delay(attempts: u32) -> i64 {
        let doublings = attempts.saturating_sub(1).min(20);
        (Self::FIRST_RETRY_SECS << doublings).min(Self::MAX_RETRY_SECS)
    }

    /// After a failed attempt at `now`: has it been tried for long enough?
    pub fn gives_up_at(&self, now: i64) -> bool {
        now - self.created_at >= Self::RETRY_FOR_SECS
    }
}

/// How a client's back-channel deliveries are going.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DeliveryStatus {
    pub pending: u64,
    pub delivered: u64,
    pub abandoned: u64,
    pub last_attempt_at: Option<i64>,
    /// `delivered`, or the error of the last failed attempt.
    pub last_outcome: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_back_off_exponentially_up_to_an_hour() {
        assert_eq!(LogoutNotice::retry_delay(1), 5);
        assert_eq!(LogoutNotice::retry_delay(2), 10);
        assert_eq!(LogoutNotice::retry_delay(5), 80);
        assert_eq!(LogoutNotice::retry_delay(12), 3600);
        assert_eq!(LogoutNotice::retry_delay(u32::MAX), 3600);
        // Over a day that is at least 30 attempts.
        let mut elapsed = 0;
        let mut attempts = 0;
        while elapsed < LogoutNotice::RETRY_FOR_SECS {
            attempts += 1;
            elapsed += LogoutNotice::retry_delay(attempts);
        }
        assert!(attempts >= 30, "{attempts}");
    }
}
