//! The console's overview: how many users, clients and live sessions there
//! are, how sign-ins went in the last day, and how back-channel logout
//! deliveries are doing.

use super::AdminError;
use crate::store::{SignInCounts, Store};

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Overview {
    pub users: u64,
    pub clients: u64,
    pub live_sessions: u64,
    pub sign_ins_24h: SignInCounts,
    pub notices_pending: u64,
    pub notices_failing: u64,
    pub notices_abandoned: u64,
}

pub async fn overview(store: &Store, now: i64) -> Result<Overview, AdminError> {
    // Independent counts, each a scan of its own: side by side.
    let (users, clients, live_sessions, sign_ins_24h, (pending, failing, abandoned)) = tokio::try_join!(
        store.count_users(),
        store.count_clients(),
        store.count_live_sessions(now),
        store.sign_in_counts(now - 24 * 3600),
        store.notice_counts(),
    )?;
    Ok(Overview {
        users,
        clients,
        live_sessions,
        sign_ins_24h,
        notices_pending: pending,
        notices_failing: failing,
        notices_abandoned: abandoned,
    })
}
