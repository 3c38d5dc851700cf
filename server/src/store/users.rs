use sea_orm::sea_query::{Expr, ExprTrait, Func, LikeExpr};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, Condition, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect,
};

use std::collections::HashMap;
use std::sync::Mutex;

use super::entities::users;
use super::{Store, StoreError};
use crate::domain::{Email, PasswordHash, Profile, User, UserId, Username};

/// Usernames by user id. A username never changes, so an entry is never
/// stale; the map is emptied when it grows past its bound.
#[derive(Debug, Default)]
pub(super) struct UsernameCache(Mutex<HashMap<String, String>>);

impl UsernameCache {
    const MAX: usize = 100_000;

    fn get(&self, id: &str) -> Option<String> {
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(id)
            .cloned()
    }

    fn put(&self, id: &str, username: &str) {
        let mut map = self.0.lock().unwrap_or_else(|p| p.into_inner());
        if map.len() >= Self::MAX {
            map.clear();
        }
        map.insert(id.to_string(), username.to_string());
    }
}

impl TryFrom<users::Model> for User {
    type Error = StoreError;

    fn try_from(row: users::Model) -> Result<Self, Self::Error> {
        Ok(User {
            id: UserId::from_trusted(row.id),
            username: Username::parse(&row.username)
                .map_err(|e| StoreError::Corrupt(format!("users.username: {e}")))?,
            email: row
                .email
                .map(|e| Email::parse(&e))
                .transpose()
                .map_err(|e| StoreError::Corrupt(format!("users.email: {e}")))?,
            email_verified: row.email_verified,
            profile: Profile {
                name: row.name,
                given_name: row.given_name,
                family_name: row.family_name,
            },
            password_hash: PasswordHash::from_trusted(row.password_hash),
            is_admin: row.is_admin,
            disabled: row.disabled,
            created_at: row.created_at,
            updated_at: row.updated_at,
        })
    }
}

/// `value` with the LIKE wildcards escaped (the escape character is `\\`).
pub(super) fn escape_like(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
}

impl Store {
    /// Fails with `Conflict` when the username is taken.
    pub async fn insert_user(&self, user: &User) -> Result<(), StoreError> {
        users::ActiveModel {
            id: Set(user.id.as_str().to_string()),
            username: Set(user.username.as_str().to_string()),
            email: Set(user.email.as_ref().map(|e| e.as_str().to_string())),
            email_verified: Set(user.email_verified),
            name: Set(user.profile.name.clone()),
            given_name: Set(user.profile.given_name.clone()),
            family_name: Set(user.profile.family_name.clone()),
            password_hash: Set(user.password_hash.as_str().to_string()),
            is_admin: Set(user.is_admin),
            disabled: Set(user.disabled),
            created_at: Set(user.created_at),
            updated_at: Set(user.updated_at),
        }
        .insert(&self.db)
        .await?;
        Ok(())
    }

    pub async fn user_by_id(&self, id: &UserId) -> Result<Option<User>, StoreError> {
        users::Entity::find_by_id(id.as_str())
            .one(&self.db)
            .await?
            .map(User::try_from)
            .transpose()
    }

    /// The username of user `id`, from memory after the first lookup.
    pub async fn username_of(&self, id: &UserId) -> Result<Option<String>, StoreError> {
        if let Some(username) = self.local.usernames.get(id.as_str()) {
            return Ok(Some(username));
        }
        let username: Option<String> = users::Entity::find_by_id(id.as_str())
            .select_only()
            .column(users::Column::Username)
            .into_tuple()
            .one(&self.db)
            .await?;
        if let Some(username) = &username {
            self.local.usernames.put(id.as_str(), username);
        }
        Ok(username)
    }

    pub async fn user_by_username(&self, username: &Username) -> Result<Option<User>, StoreError> {
        users::Entity::find()
            .filter(users::Column::Username.eq(username.as_str()))
            .one(&self.db)
            .await?
            .map(User::try_from)
            .transpose()
    }

    pub async fn list_users(&self) -> Result<Vec<User>, StoreError> {
        users::Entity::find()
            .order_by_asc(users::Column::Username)
            .all(&self.db)
            .await?
            .into_iter()
            .map(User::try_from)
            .collect()
    }

    /// One page of users by username, after the username `after`: keyset
    /// pagination, as fast on the thousandth page as on the first. `search`
    /// matches the start of the username or of the email address.
    pub async fn users_page(
        &self,
        search: Option<&str>,
        after: Option<&str>,
        limit: u64,
    ) -> Result<Vec<User>, StoreError> {
        let mut select = users::Entity::find().order_by_asc(users::Column::Username);
        if let Some(search) = search.map(str::trim).filter(|s| !s.is_empty()) {
            let pattern = format!("{}%", escape_like(&search.to_lowercase()));
            select = select.filter(
                Condition::any()
                    .add(
                        Expr::col(users::Column::Username)
                            .like(LikeExpr::new(&pattern).escape('\\')),
                    )
                    .add(
                        Func::lower(Expr::col(users::Column::Email))
                            .like(LikeExpr::new(&pattern).escape('\\')),
                    ),
            );
        }
        if let Some(after) = after {
            select = select.filter(users::Column::Username.gt(after));
        }
        select
            .limit(limit)
            .all(&self.db)
            .await?
            .into_iter()
            .map(User::try_from)
            .collect()
    }

    /// Change a user's profile (name, email, verified flag).
    pub async fn update_profile(&self, user: &User, now: i64) -> Result<(), StoreError> {
        let email = user.email.as_ref().map(|e| e.as_str().to_string());
        let profile = user.profile.clone();
        let verified = user.email_verified;
        self.update_user(&user.id, |row| {
            row.email = Set(email);
            row.email_verified = Set(verified);
            row.name = Set(profile.name);
            row.given_name = Set(profile.given_name);
            row.family_name = Set(profile.family_name);
            row.updated_at = Set(now);
        })
        .await
    }

    pub async fn set_user_admin(
        &self,
        id: &UserId,
        admin: bool,
        now: i64,
    ) -> Result<(), StoreError> {
        self.update_user(id, |row| {
            row.is_admin = Set(admin);
            row.updated_at = Set(now);
        })
        .await
    }

    /// Delete a user; their sessions, consents and grants go with them.
    pub async fn delete_user(&self, id: &UserId) -> Result<(), StoreError> {
        let result = users::Entity::delete_by_id(id.as_str())
            .exec(&self.db)
            .await?;
        if result.rows_affected == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    pub async fn count_users(&self) -> Result<u64, StoreError> {
        Ok(users::Entity::find().count(&self.db).await?)
    }

    pub async fn set_password_hash(
        &self,
        id: &UserId,
        hash: &PasswordHash,
        now: i64,
    ) -> Result<(), StoreError> {
        self.update_user(id, |row| {
            row.password_hash = Set(hash.as_str().to_string());
            row.updated_at = Set(now);
        })
        .await
    }

    pub async fn set_user_disabled(
        &self,
        id: &UserId,
        disabled: bool,
        now: i64,
    ) -> Result<(), StoreError> {
        self.update_user(id, |row| {
            row.disabled = Set(disabled);
            row.updated_at = Set(now);
        })
        .await
    }

    async fn update_user(
        &self,
        id: &UserId,
        change: impl FnOnce(&mut users::ActiveModel),
    ) -> Result<(), StoreError> {
        let mut row = users::ActiveModel {
            id: Set(id.as_str().to_string()),
            ..Default::default()
        };
        change(&mut row);
        let result = users::Entity::update_many()
            .set(row)
            .filter(users::Column::Id.eq(id.as_str()))
            .exec(&self.db)
            .await?;
        if result.rows_affected == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }
}
