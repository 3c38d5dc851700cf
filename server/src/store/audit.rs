//! The audit log: append-only rows, written in the same transaction as the
//! change they describe.

use sea_orm::{
    ActiveValue::NotSet, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect,
};

use super::entities::audit_events;
use super::{Store, StoreError, from_json, to_json};
use crate::domain::{AuditEvent, AuditRecord};

/// Which records to read, newest first.
#[derive(Clone, Debug, Default)]
pub struct AuditQuery {
    pub action: Option<String>,
    pub target: Option<String>,
    pub actor: Option<String>,
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

impl Store {
    pub async fn record_audit(&self, event: &AuditEvent) -> Result<(), StoreError> {
        insert(&self.db, std::slice::from_ref(event)).await
    }

    pub async fn audit_events(&self, query: &AuditQuery) -> Result<Vec<AuditRecord>, StoreError> {
        let mut select = audit_events::Entity::find()
            .order_by_desc(audit_events::Column::Id)
            .limit(query.limit.clamp(1, 1000));
        if let Some(action) = &query.action {
            select = select.filter(audit_events::Column::Action.eq(action.as_str()));
        }
        if let Some(target) = &query.target {
            select = select.filter(audit_events::Column::Target.eq(target.as_str()));
        }
        if let Some(actor) = &query.actor {
            select = select.filter(audit_events::Column::Actor.eq(actor.as_str()));
        }
        select
            .all(&self.db)
            .await?
            .into_iter()
            .map(AuditRecord::try_from)
            .collect()
    }
}
