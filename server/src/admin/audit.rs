//! Reading the audit log.

use std::collections::HashMap;

use super::AdminError;
use super::page::{self, Page};
use crate::domain::{AuditRecord, UserId, Username};
use crate::store::{AuditQuery, Store};

/// Filters of the audit page; `cursor` from the previous page. An actor or
/// target is a party as recorded (`user:ID`, `admin:ID`, `client:ID`,
/// `session:SID`, `cli`, …) or a username, which stands for that user
/// (as actor: acting for themselves or as an administrator).
#[derive(Clone, Debug, Default)]
pub struct AuditFilter {
    pub actor: Option<String>,
    pub action: Option<String>,
    pub target: Option<String>,
    /// Records about this user, as actor (either way) or as target.
    pub about: Option<UserId>,
    pub since: Option<i64>,
    pub until: Option<i64>,
    pub cursor: Option<String>,
    pub limit: Option<u64>,
}

pub async fn audit_page(
    store: &Store,
    filter: AuditFilter,
) -> Result<Page<AuditRecord>, AdminError> {
    let limit = page::limit(filter.limit);
    let before_id = match &filter.cursor {
        None => None,
        Some(cursor) => Some(
            page::decode(cursor)
                .and_then(|key| key.parse::<i64>().ok())
                .ok_or_else(|| AdminError::BadCursor)?,
        ),
    };
    let actors = match filter.actor {
        Some(actor) => match user_named(store, &actor).await? {
            Some(id) => as_any_party(&id),
            None => vec![actor],
        },
        None => Vec::new(),
    };
    let targets = match filter.target {
        Some(target) => match user_named(store, &target).await? {
            Some(id) => vec![format!("user:{id}")],
            None => vec![target],
        },
        None => Vec::new(),
    };
    let rows = store
        .audit_events(&AuditQuery {
            action: filter.action,
            targets,
            actors,
            subjects: filter.about.as_ref().map(as_any_party).unwrap_or_default(),
            since: filter.since,
            until: filter.until,
            before_id,
            limit: limit + 1,
        })
        .await?;
    Ok(Page::from_rows(rows, limit, |r| r.id.to_string()))
}

/// The parties a user appears as: themselves, and as an administrator.
fn as_any_party(id: &UserId) -> Vec<String> {
    vec![format!("user:{id}"), format!("admin:{id}")]
}

/// The user a filter value names when it is a username rather than a
/// recorded party (those have a `:`, or are `cli`, `system`, `anonymous`).
async fn user_named(store: &Store, value: &str) -> Result<Option<UserId>, AdminError> {
    if value.contains(':') || matches!(value, "cli" | "system" | "anonymous") {
        return Ok(None);
    }
    let Ok(username) = Username::parse(value) else {
        return Ok(None);
    };
    Ok(store.user_by_username(&username).await?.map(|u| u.id))
}

/// The user a party of the audit log (`user:ID`, `admin:ID`) stands for.
fn user_of(party: &str) -> Option<UserId> {
    let (kind, id) = party.split_once(':')?;
    matches!(kind, "user" | "admin")
        .then(|| UserId::parse(id))
        .flatten()
}

/// The usernames behind the users named in `records` as actor or target,
/// by party (`user:ID` → `alice`); deleted users are left out.
pub async fn party_names(
    store: &Store,
    records: &[AuditRecord],
) -> Result<HashMap<String, String>, AdminError> {
    let parties: Vec<&str> = records
        .iter()
        .flat_map(|r| [Some(r.actor.as_str()), r.target.as_deref()])
        .flatten()
        .collect();
    let mut ids: Vec<UserId> = parties.iter().filter_map(|p| user_of(p)).collect();
    ids.sort_by(|a, b| a.as_str().cmp(b.as_str()));
    ids.dedup();
    let names = store.usernames_of(&ids).await?;
    Ok(parties
        .into_iter()
        .filter_map(|party| {
            let name = names.get(&user_of(party)?)?;
            Some((party.to_string(), name.clone()))
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::user_of;

    #[test]
    fn users_and_admins_are_parties_with_a_user_id() {
        let id = "0b6c8f52-0c3e-4b9e-9a55-4e38cdee255e";
        assert_eq!(
            user_of(&format!("user:{id}"))
                .map(|u| u.to_string())
                .as_deref(),
            Some(id)
        );
        assert!(user_of(&format!("admin:{id}")).is_some());
        assert!(user_of(&format!("client:{id}")).is_none());
        assert!(user_of("user:not-a-uuid").is_none());
        assert!(user_of("cli").is_none());
    }
}
