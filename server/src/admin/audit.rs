//! Reading the audit log.

use super::AdminError;
use super::page::{self, Page};
use crate::domain::AuditRecord;
use crate::store::{AuditQuery, Store};

/// Filters of the audit page; `cursor` from the previous page.
#[derive(Clone, Debug, Default)]
pub struct AuditFilter {
    pub actor: Option<String>,
    pub action: Option<String>,
    pub target: Option<String>,
    /// Records about this party, as actor or as target.
    pub subject: Option<String>,
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
    let rows = store
        .audit_events(&AuditQuery {
            action: filter.action,
            target: filter.target,
            actor: filter.actor,
            subject: filter.subject,
            since: filter.since,
            until: filter.until,
            before_id,
            limit: limit + 1,
        })
        .await?;
    Ok(Page::from_rows(rows, limit, |r| r.id.to_string()))
}
