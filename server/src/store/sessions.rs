use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, TransactionTrait,
};

use super::entities::sessions;
use super::{Store, StoreError, from_json, to_json};
use crate::domain::{Session, UserId};

impl TryFrom<sessions::Model> for Session {
    type Error = StoreError;

    fn try_from(row: sessions::Model) -> Result<Self, Self::Error> {
        Ok(Session {
            amr: from_json("sessions.amr", &row.amr)?,
            id_hash: row.id_hash,
            sid: row.sid,
            user_id: UserId::from_trusted(row.user_id),
            auth_time: row.auth_time,
            created_at: row.created_at,
            last_seen_at: row.last_seen_at,
            idle_expires_at: row.idle_expires_at,
            absolute_expires_at: row.absolute_expires_at,
            ip: row.ip,
            user_agent: row.user_agent,
        })
    }
}

fn active_model(session: &Session) -> Result<sessions::ActiveModel, StoreError> {
    Ok(sessions::ActiveModel {
        id_hash: Set(session.id_hash.clone()),
        sid: Set(session.sid.clone()),
        user_id: Set(session.user_id.as_str().to_string()),
        auth_time: Set(session.auth_time),
        amr: Set(to_json(&session.amr)?),
        created_at: Set(session.created_at),
        last_seen_at: Set(session.last_seen_at),
        idle_expires_at: Set(session.idle_expires_at),
        absolute_expires_at: Set(session.absolute_expires_at),
        ip: Set(session.ip.clone()),
        user_agent: Set(session.user_agent.clone()),
    })
}

impl Store {
    pub async fn insert_session(&self, session: &Session) -> Result<(), StoreError> {
        active_model(session)?.insert(&self.db).await?;
        Ok(())
    }

    /// Swap the session stored under `old_id_hash` for `session` in one
    /// transaction (a new cookie token after re-authentication).
    pub async fn replace_session(
        &self,
        old_id_hash: &str,
        session: &Session,
    ) -> Result<(), StoreError> {
        let txn = self.db.begin().await?;
        sessions::Entity::delete_by_id(old_id_hash)
            .exec(&txn)
            .await?;
        active_model(session)?.insert(&txn).await?;
        txn.commit().await?;
        Ok(())
    }

    pub async fn session_by_id_hash(&self, id_hash: &str) -> Result<Option<Session>, StoreError> {
        sessions::Entity::find_by_id(id_hash)
            .one(&self.db)
            .await?
            .map(Session::try_from)
            .transpose()
    }

    /// Record activity: a new last-seen time and idle expiry.
    pub async fn touch_session(
        &self,
        id_hash: &str,
        now: i64,
        idle_expires_at: i64,
    ) -> Result<(), StoreError> {
        sessions::Entity::update_many()
            .set(sessions::ActiveModel {
                last_seen_at: Set(now),
                idle_expires_at: Set(idle_expires_at),
                ..Default::default()
            })
            .filter(sessions::Column::IdHash.eq(id_hash))
            .exec(&self.db)
            .await?;
        Ok(())
    }

    pub async fn delete_session(&self, id_hash: &str) -> Result<(), StoreError> {
        sessions::Entity::delete_by_id(id_hash)
            .exec(&self.db)
            .await?;
        Ok(())
    }
}
