//! The back-channel logout outbox. Notices are rows, written in the
//! transaction that ends their session; a replica delivers one only after
//! claiming it with a conditional UPDATE, so with several replicas each
//! attempt is made by exactly one of them. A claim is a lease: if its
//! replica dies mid-attempt, the notice is due again when the lease runs out.

use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect,
};

use super::entities::logout_notices;
use super::{Store, StoreError};
use crate::domain::{ClientId, DeliveryStatus, LogoutNotice, NoticeState, SessionId, UserId};

/// A notice to queue: client `client_id` learns that session `sid` of `sub` ended.
pub(super) struct NewNotice {
    pub client_id: String,
    pub sid: String,
    pub sub: String,
}

pub(super) async fn insert(
    conn: &impl ConnectionTrait,
    notices: &[NewNotice],
    now: i64,
) -> Result<(), StoreError> {
    if notices.is_empty() {
        return Ok(());
    }
    let rows = notices.iter().map(|n| logout_notices::ActiveModel {
        id: Set(uuid::Uuid::new_v4().to_string()),
        client_id: Set(n.client_id.clone()),
        sid: Set(n.sid.clone()),
        sub: Set(n.sub.clone()),
        state: Set(NoticeState::Pending.as_str().to_string()),
        created_at: Set(now),
        next_attempt_at: Set(now),
        attempts: Set(0),
        locked_until: Set(None),
        last_attempt_at: Set(None),
        last_error: Set(None),
        delivered_at: Set(None),
    });
    logout_notices::Entity::insert_many(rows).exec(conn).await?;
    Ok(())
}

impl TryFrom<logout_notices::Model> for LogoutNotice {
    type Error = StoreError;

    fn try_from(row: logout_notices::Model) -> Result<Self, Self::Error> {
        let corrupt =
            |column: &str, e: String| StoreError::Corrupt(format!("logout_notices.{column}: {e}"));
        Ok(LogoutNotice {
            client_id: ClientId::parse(&row.client_id)
                .map_err(|e| corrupt("client_id", e.to_string()))?,
            state: NoticeState::parse(&row.state)
                .ok_or_else(|| corrupt("state", row.state.clone()))?,
            attempts: u32::try_from(row.attempts).unwrap_or(0),
            id: row.id,
            sid: SessionId::from_trusted(row.sid),
            sub: UserId::from_trusted(row.sub),
            created_at: row.created_at,
            next_attempt_at: row.next_attempt_at,
            last_attempt_at: row.last_attempt_at,
            last_error: row.last_error,
            delivered_at: row.delivered_at,
        })
    }
}

fn pending() -> Condition {
    Condition::all().add(logout_notices::Column::State.eq(NoticeState::Pending.as_str()))
}

fn unclaimed(now: i64) -> Condition {
    Condition::any()
        .add(logout_notices::Column::LockedUntil.is_null())
        .add(logout_notices::Column::LockedUntil.lte(now))
}

impl Store {
    /// Pending notices whose next attempt is due and that nobody holds.
    pub async fn due_notices(&self, now: i64, limit: u64) -> Result<Vec<LogoutNotice>, StoreError> {
        logout_notices::Entity::find()
            .filter(pending())
            .filter(logout_notices::Column::NextAttemptAt.lte(now))
            .filter(unclaimed(now))
            .order_by_asc(logout_notices::Column::NextAttemptAt)
            .limit(limit)
            .all(&self.db)
            .await?
            .into_iter()
            .map(LogoutNotice::try_from)
            .collect()
    }

    /// Take notice `id` for one attempt, leasing it until `now` plus the
    /// lease. Of several replicas asking at once, exactly one gets the lease
    /// (`Some(locked_until)`); the attempt counter moves with the claim.
    pub async fn claim_notice(&self, id: &str, now: i64) -> Result<Option<i64>, StoreError> {
        let _writer = self.writing().await?;
        let lease = now + LogoutNotice::LEASE_SECS;
        let result = logout_notices::Entity::update_many()
            .col_expr(logout_notices::Column::LockedUntil, Expr::value(lease))
            .col_expr(
                logout_notices::Column::Attempts,
                Expr::col(logout_notices::Column::Attempts).add(1),
            )
            .col_expr(logout_notices::Column::LastAttemptAt, Expr::value(now))
            .filter(logout_notices::Column::Id.eq(id))
            .filter(pending())
            .filter(logout_notices::Column::NextAttemptAt.lte(now))
            .filter(unclaimed(now))
            .exec(&self.db)
            .await?;
        Ok((result.rows_affected == 1).then_some(lease))
    }

    /// Record a delivery, if the lease `lease` still holds the notice;
    /// `false` if it ran out and another replica took it over.
    pub async fn notice_delivered(
        &self,
        id: &str,
        lease: i64,
        now: i64,
    ) -> Result<bool, StoreError> {
        let _writer = self.writing().await?;
        let result = logout_notices::Entity::update_many()
            .set(logout_notices::ActiveModel {
                state: Set(NoticeState::Delivered.as_str().to_string()),
                delivered_at: Set(Some(now)),
                locked_until: Set(None),
                last_error: Set(None),
                ..Default::default()
            })
            .filter(logout_notices::Column::Id.eq(id))
            .filter(logout_notices::Column::LockedUntil.eq(lease))
            .exec(&self.db)
            .await?;
        Ok(result.rows_affected == 1)
    }

    /// Record a failed attempt under lease `lease`: try again at `retry_at`,
    /// or give up if `None`. Nothing changes if the lease was lost.
    pub async fn notice_failed(
        &self,
        id: &str,
        lease: i64,
        error: &str,
        retry_at: Option<i64>,
    ) -> Result<bool, StoreError> {
        let _writer = self.writing().await?;
        let (state, next) = match retry_at {
            Some(at) => (NoticeState::Pending, Set(at)),
            None => (NoticeState::Abandoned, sea_orm::ActiveValue::NotSet),
        };
        let result = logout_notices::Entity::update_many()
            .set(logout_notices::ActiveModel {
                state: Set(state.as_str().to_string()),
                next_attempt_at: next,
                locked_until: Set(None),
                last_error: Set(Some(error.chars().take(500).collect())),
                ..Default::default()
            })
            .filter(logout_notices::Column::Id.eq(id))
            .filter(logout_notices::Column::LockedUntil.eq(lease))
            .exec(&self.db)
            .await?;
        Ok(result.rows_affected == 1)
    }

    /// Every notice for `client`, newest first (for the console and tests).
    pub async fn notices_for_client(
        &self,
        client: &ClientId,
    ) -> Result<Vec<LogoutNotice>, StoreError> {
        logout_notices::Entity::find()
            .filter(logout_notices::Column::ClientId.eq(client.as_str()))
            .order_by_desc(logout_notices::Column::CreatedAt)
            .all(&self.db)
            .await?
            .into_iter()
            .map(LogoutNotice::try_from)
            .collect()
    }

    /// How `client`'s back-channel deliveries are going.
    pub async fn delivery_status(&self, client: &ClientId) -> Result<DeliveryStatus, StoreError> {
        let counts: Vec<(String, i64)> = logout_notices::Entity::find()
            .select_only()
            .column(logout_notices::Column::State)
            .column_as(logout_notices::Column::Id.count(), "n")
            .filter(logout_notices::Column::ClientId.eq(client.as_str()))
            .group_by(logout_notices::Column::State)
            .into_tuple()
            .all(&self.db)
            .await?;
        let mut status = DeliveryStatus::default();
        for (state, n) in counts {
            let n = u64::try_from(n).unwrap_or(0);
            match NoticeState::parse(&state) {
                Some(NoticeState::Pending) => status.pending = n,
                Some(NoticeState::Delivered) => status.delivered = n,
                Some(NoticeState::Abandoned) => status.abandoned = n,
                None => {}
            }
        }
        let last = logout_notices::Entity::find()
            .filter(logout_notices::Column::ClientId.eq(client.as_str()))
            .filter(logout_notices::Column::LastAttemptAt.is_not_null())
            .order_by_desc(logout_notices::Column::LastAttemptAt)
            .one(&self.db)
            .await?;
        if let Some(last) = last {
            status.last_attempt_at = last.last_attempt_at;
            status.last_outcome = Some(if last.state == NoticeState::Delivered.as_str() {
                "delivered".to_string()
            } else {
                last.last_error.unwrap_or_else(|| "in progress".to_string())
            });
        }
        Ok(status)
    }

    /// Notices across all clients: (pending, failing, abandoned), where
    /// failing ones are pending after at least one failed attempt.
    pub async fn notice_counts(&self) -> Result<(u64, u64, u64), StoreError> {
        let count = |condition: Condition| async move {
            logout_notices::Entity::find()
                .filter(condition)
                .count(&self.db)
                .await
        };
        let waiting = count(pending()).await?;
        let failing = count(pending().add(logout_notices::Column::LastError.is_not_null())).await?;
        let abandoned = count(
            Condition::all().add(logout_notices::Column::State.eq(NoticeState::Abandoned.as_str())),
        )
        .await?;
        Ok((waiting, failing, abandoned))
    }

    /// When the oldest notice still waiting was made, if any.
    pub async fn oldest_pending_notice(&self) -> Result<Option<i64>, StoreError> {
        Ok(logout_notices::Entity::find()
            .filter(pending())
            .order_by_asc(logout_notices::Column::CreatedAt)
            .one(&self.db)
            .await?
            .map(|notice| notice.created_at))
    }

    /// Forget notices delivered or abandoned before `before`.
    pub async fn purge_finished_notices(&self, before: i64) -> Result<u64, StoreError> {
        let _writer = self.writing().await?;
        Ok(logout_notices::Entity::delete_many()
            .filter(logout_notices::Column::State.ne(NoticeState::Pending.as_str()))
            .filter(logout_notices::Column::CreatedAt.lt(before))
            .exec(&self.db)
            .await?
            .rows_affected)
    }
}
