//! Console sessions: each belongs to an SSO session and ends with it (a
//! foreign key with ON DELETE CASCADE), and after its own idle time.

use sea_orm::{ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter};

use super::entities::{admin_sessions, sessions, users};
use super::{Store, StoreError};
use crate::domain::{SessionId, UserId};

/// A console session that is still good, and whose it is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConsoleSession {
    pub id_hash: String,
    pub sid: SessionId,
    pub user_id: UserId,
    pub created_at: i64,
    pub last_seen_at: i64,
    pub idle_expires_at: i64,
}

impl Store {
    pub async fn insert_console_session(
        &self,
        id_hash: &str,
        sid: &SessionId,
        user: &UserId,
        now: i64,
        idle_expires_at: i64,
    ) -> Result<(), StoreError> {
        let _writer = self.writing().await?;
        admin_sessions::ActiveModel {
            id_hash: Set(id_hash.to_string()),
            sid: Set(sid.as_str().to_string()),
            user_id: Set(user.as_str().to_string()),
            created_at: Set(now),
            last_seen_at: Set(now),
            idle_expires_at: Set(idle_expires_at),
        }
        .insert(&self.db)
        .await?;
        Ok(())
    }

    /// The console session behind `id_hash` if it, its SSO session and its
    /// user are all still good at `now`: not idle too long, the SSO session
    /// live, the user an enabled administrator.
    pub async fn console_session(
        &self,
        id_hash: &str,
        now: i64,
    ) -> Result<Option<ConsoleSession>, StoreError> {
        let _writer = self.writing().await?;
        let Some(row) = admin_sessions::Entity::find_by_id(id_hash)
            .one(&self.db)
            .await?
        else {
            return Ok(None);
        };
        if row.idle_expires_at <= now {
            admin_sessions::Entity::delete_by_id(id_hash)
                .exec(&self.db)
                .await?;
            return Ok(None);
        }
        let sso = sessions::Entity::find()
            .filter(sessions::Column::Sid.eq(row.sid.as_str()))
            .filter(sessions::Column::IdleExpiresAt.gt(now))
            .filter(sessions::Column::AbsoluteExpiresAt.gt(now))
            .one(&self.db)
            .await?;
        let admin = users::Entity::find_by_id(row.user_id.as_str())
            .filter(users::Column::IsAdmin.eq(true))
            .filter(users::Column::Disabled.eq(false))
            .one(&self.db)
            .await?;
        if sso.is_none_or(|s| s.user_id != row.user_id) || admin.is_none() {
            return Ok(None);
        }
        Ok(Some(ConsoleSession {
            id_hash: row.id_hash,
            sid: SessionId::from_trusted(row.sid),
            user_id: UserId::from_trusted(row.user_id),
            created_at: row.created_at,
            last_seen_at: row.last_seen_at,
            idle_expires_at: row.idle_expires_at,
        }))
    }

    pub async fn touch_console_session(
        &self,
        id_hash: &str,
        now: i64,
        idle_expires_at: i64,
    ) -> Result<(), StoreError> {
        let _writer = self.writing().await?;
        admin_sessions::Entity::update_many()
            .set(admin_sessions::ActiveModel {
                last_seen_at: Set(now),
                idle_expires_at: Set(idle_expires_at),
                ..Default::default()
            })
            .filter(admin_sessions::Column::IdHash.eq(id_hash))
            .exec(&self.db)
            .await?;
        Ok(())
    }

    pub async fn delete_console_session(&self, id_hash: &str) -> Result<(), StoreError> {
        let _writer = self.writing().await?;
        admin_sessions::Entity::delete_by_id(id_hash)
            .exec(&self.db)
            .await?;
        Ok(())
    }
}
