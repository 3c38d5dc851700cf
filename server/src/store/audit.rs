//! The audit log: append-only rows, written in the same transaction as the
//! change they describe.

use sea_orm::{
    ActiveValue::NotSet, ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, EntityTrait,
    QueryFilter, QueryOrder, QuerySelect,
};

use super::entities::audit_events;
use super::{Store, StoreError, from_json, to_json};
use crate::domain::{AuditEvent, AuditRecord};

/// Which records to read, newest first.
#[derive(Clone, Debug, Default)]
pub struct AuditQuery {
    pub action: Option<String>,
    /// Records whose target is any of these (none: any target).
    pub targets: Vec<String>,
    /// Records whose actor is any of these (none: any actor).
    pub actors: Vec<String>,
    /// Records about any of these parties either way: as actor or as target.
    pub subjects: Vec<String>,
    /// From this time on (Unix seconds, inclusive).
    pub since: Option<i64>,
    /// Before this time (exclusive).
    pub until: Option<i64>,
    /// Older than this record id (the cursor of the previous page).
    pub before_id: Option<i64>,
    pub limit: u64,
}

pub(super) async fn insert(
    conn: &impl ConnectionTrait,
    events: &[AuditEvent],
) -> Result<(), StoreError> {
    if events.is_empty() {
        return Ok(());
    }
    let rows = events
        .iter()
        .map(|event| {
            Ok(audit_events::ActiveModel {
                id: NotSet,
                at: Set(event.at),
                actor: Set(event.actor.to_string()),
                action: Set(event.action.to_string()),
                target: Set(event.target.clone()),
                reason: Set(event.reason.map(str::to_string)),
                ip: Set(event.ip.clone()),
                outcome: Set(event.outcome.to_string()),
                details: Set(Some(to_json(&event.details)?)),
            })
        })
        .collect::<Result<Vec<_>, StoreError>>()?;
    audit_events::Entity::insert_many(rows).exec(conn).await?;
    Ok(())
}

impl TryFrom<audit_events::Model> for AuditRecord {
    type Error = StoreError;

    fn try_from(row: audit_events::Model) -> Result<Self, Self::Error> {
        Ok(AuditRecord {
            details: match &row.details {
                Some(json) => from_json("audit_events.details", json)?,
                None => serde_json::Value::Null,
            },
            id: row.id,
            at: row.at,
            actor: row.actor,
            action: row.action,
            target: row.target,
            reason: row.reason,
            ip: row.ip,
            outcome: row.outcome,
        })
    }
}

/// Sign-in attempts in a period, by outcome.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SignInCounts {
    pub succeeded: u64,
    pub failed: u64,
    pub throttled: u64,
}

impl Store {
    /// Sign-in attempts recorded since `since`.
    pub async fn sign_in_counts(&self, since: i64) -> Result<SignInCounts, StoreError> {
        let rows: Vec<(String, i64)> = audit_events::Entity::find()
            .select_only()
            .column(audit_events::Column::Outcome)
            .column_as(audit_events::Column::Id.count(), "n")
            .filter(audit_events::Column::Action.eq("sign_in"))
            .filter(audit_events::Column::At.gte(since))
            .group_by(audit_events::Column::Outcome)
            .into_tuple()
            .all(&self.db)
            .await?;
        let mut counts = SignInCounts::default();
        for (outcome, n) in rows {
            let n = u64::try_from(n).unwrap_or(0);
            match outcome.as_str() {
                "success" => counts.succeeded = n,
                "failure" => counts.failed = n,
                "throttled" => counts.throttled = n,
                _ => {}
            }
        }
        Ok(counts)
    }

    pub async fn record_audit(&self, event: &AuditEvent) -> Result<(), StoreError> {
        let _writer = self.writing().await?;
        insert(&self.db, std::slice::from_ref(event)).await
    }

    pub async fn audit_events(&self, query: &AuditQuery) -> Result<Vec<AuditRecord>, StoreError> {
        let mut select = audit_events::Entity::find()
            .order_by_desc(audit_events::Column::Id)
            .limit(query.limit.clamp(1, 1001));
        if let Some(action) = &query.action {
            select = select.filter(audit_events::Column::Action.eq(action.as_str()));
        }
        if !query.targets.is_empty() {
            select = select.filter(audit_events::Column::Target.is_in(&query.targets));
        }
        if !query.actors.is_empty() {
            select = select.filter(audit_events::Column::Actor.is_in(&query.actors));
        }
        if !query.subjects.is_empty() {
            select = select.filter(
                Condition::any()
                    .add(audit_events::Column::Actor.is_in(&query.subjects))
                    .add(audit_events::Column::Target.is_in(&query.subjects)),
            );
        }
        if let Some(since) = query.since {
            select = select.filter(audit_events::Column::At.gte(since));
        }
        if let Some(until) = query.until {
            select = select.filter(audit_events::Column::At.lt(until));
        }
        if let Some(before) = query.before_id {
            select = select.filter(audit_events::Column::Id.lt(before));
        }
        select
            .all(&self.db)
            .await?
            .into_iter()
            .map(AuditRecord::try_from)
            .collect()
    }
}
