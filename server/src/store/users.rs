use sea_orm::sea_query::{Expr, ExprTrait, Func};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, Condition, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect,
};

use std::collections::HashMap;
use std::sync::Mutex;

use super::entities::users;
use super::{GatewayChange, Store, StoreError, Unit};
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

/// Values were checked on their way in, so a row always reads back.
impl From<users::Model> for User {
    fn from(row: users::Model) -> Self {
        User {
            id: UserId::from_trusted(row.id),
            username: Username::from_trusted(row.username),
            email: row.email.map(Email::from_trusted),
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
        }
    }
}

/// `value` starts with `prefix`: `value >= prefix AND value < prefix‹max›`,
/// a range an index serves (where LIKE needs a collation-specific index).
fn starts_with(value: Expr, prefix: &str) -> Condition {
    Condition::all()
        .add(value.clone().gte(prefix))
        .add(value.lt(format!("{prefix}\u{10FFFF}")))
}

/// How many email-prefix matches a user search merges with the username
/// matches itself; beyond it the database orders the union.
const EMAIL_MATCHES_MERGED: u64 = 20_000;

impl Store {
    pub async fn user_by_id(&self, id: &UserId) -> Result<Option<User>, StoreError> {
        Ok(users::Entity::find_by_id(id.as_str())
            .one(&self.db)
            .await?
            .map(User::from))
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

    /// The usernames of users `ids` (those that exist), by id: from memory
    /// where known, the rest in one query.
    pub async fn usernames_of(
        &self,
        ids: &[UserId],
    ) -> Result<HashMap<UserId, String>, StoreError> {
        let mut names = HashMap::new();
        let mut missing = Vec::new();
        for id in ids {
            match self.local.usernames.get(id.as_str()) {
                Some(username) => {
                    names.insert(id.clone(), username);
                }
                None => missing.push(id.as_str()),
            }
        }
        if missing.is_empty() {
            return Ok(names);
        }
        let rows: Vec<(String, String)> = users::Entity::find()
            .select_only()
            .column(users::Column::Id)
            .column(users::Column::Username)
            .filter(users::Column::Id.is_in(missing))
            .into_tuple()
            .all(&self.db)
            .await?;
        for (id, username) in rows {
            self.local.usernames.put(&id, &username);
            names.insert(UserId::from_trusted(id), username);
        }
        Ok(names)
    }

    pub async fn user_by_username(&self, username: &Username) -> Result<Option<User>, StoreError> {
        Ok(users::Entity::find()
            .filter(users::Column::Username.eq(username.as_str()))
            .one(&self.db)
            .await?
            .map(User::from))
    }

    pub async fn list_users(&self) -> Result<Vec<User>, StoreError> {
        Ok(users::Entity::find()
            .order_by_asc(users::Column::Username)
            .all(&self.db)
            .await?
            .into_iter()
            .map(User::from)
            .collect())
    }

    /// One page of users by username, after the username `after`: keyset
    /// pagination, as fast on the thousandth page as on the first. `search`
    /// matches the start of the username or (case-insensitively) of the
    /// email address.
    pub async fn users_page(
        &self,
        search: Option<&str>,
        after: Option<&str>,
        limit: u64,
    ) -> Result<Vec<User>, StoreError> {
        let Some(search) = search.map(str::trim).filter(|s| !s.is_empty()) else {
            return self.users_by_username(Condition::all(), after, limit).await;
        };
        // Usernames are lowercase.
        let search = search.to_lowercase();
        let by_name = starts_with(Expr::col(users::Column::Username), &search);
        let by_email = starts_with(Func::lower(Expr::col(users::Column::Email)).into(), &search);
        // "username OR email, by username" is no single index range, and a
        // database that walks the username index filtering on the email reads
        // most of the table when the matches sit far down it. So: the
        // username matches through their index, the email matches through
        // the index on lower(email), merged here while they are few enough.
        let mut page = self
            .users_by_username(by_name.clone(), after, limit)
            .await?;
        let mut email_matches = users::Entity::find()
            .select_only()
            .column(users::Column::Username)
            .filter(by_email.clone())
            .filter(Condition::all().add_option(after.map(|a| users::Column::Username.gt(a))))
            .limit(EMAIL_MATCHES_MERGED + 1)
            .into_tuple::<String>()
            .all(&self.db)
            .await?;
        if email_matches.len() as u64 > EMAIL_MATCHES_MERGED {
            let either = Condition::any().add(by_name).add(by_email);
            return self.users_by_username(either, after, limit).await;
        }
        email_matches.sort_unstable();
        let last = page.last().map(|user| user.username.as_str().to_string());
        let wanted: Vec<String> = email_matches
            .into_iter()
            .filter(|name| page.len() < limit as usize || last.as_ref().is_some_and(|l| name < l))
            .filter(|name| page.iter().all(|user| user.username.as_str() != name))
            .take(limit as usize)
            .collect();
        if !wanted.is_empty() {
            let rest = Condition::all().add(users::Column::Username.is_in(wanted));
            page.extend(self.users_by_username(rest, None, limit).await?);
            page.sort_by(|a, b| a.username.as_str().cmp(b.username.as_str()));
            page.truncate(limit as usize);
        }
        Ok(page)
    }

    async fn users_by_username(
        &self,
        condition: Condition,
        after: Option<&str>,
        limit: u64,
    ) -> Result<Vec<User>, StoreError> {
        let mut select = users::Entity::find()
            .filter(condition)
            .order_by_asc(users::Column::Username);
        if let Some(after) = after {
            select = select.filter(users::Column::Username.gt(after));
        }
        Ok(select
            .limit(limit)
            .all(&self.db)
            .await?
            .into_iter()
            .map(User::from)
            .collect())
    }

    /// Replace a user's password hash by the same password's hash made
    /// with today's parameters, unless the hash changed meanwhile (a new
    /// password set in between wins). Not a password change: no session
    /// ends and `updated_at` stays. True if it was replaced.
    pub async fn upgrade_password_hash(
        &self,
        id: &UserId,
        old: &PasswordHash,
        new: &PasswordHash,
    ) -> Result<bool, StoreError> {
        let _writer = self.writing().await?;
        let result = users::Entity::update_many()
            .col_expr(users::Column::PasswordHash, Expr::value(new.as_str()))
            .filter(users::Column::Id.eq(id.as_str()))
            .filter(users::Column::PasswordHash.eq(old.as_str()))
            .exec(&self.db)
            .await?;
        Ok(result.rows_affected == 1)
    }

    pub async fn count_users(&self) -> Result<u64, StoreError> {
        Ok(users::Entity::find().count(&self.db).await?)
    }
}

impl Unit<'_> {
    /// Fails with `Conflict` when the username is taken.
    pub async fn insert_user(&mut self, user: &User) -> Result<(), StoreError> {
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
        .insert(&self.txn)
        .await?;
        Ok(())
    }

    /// Change a user's profile (name, email, verified flag).
    pub async fn update_profile(&mut self, user: &User, now: i64) -> Result<(), StoreError> {
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
        &mut self,
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
    pub async fn delete_user(&mut self, id: &UserId) -> Result<(), StoreError> {
        let result = users::Entity::delete_by_id(id.as_str())
            .exec(&self.txn)
            .await?;
        if result.rows_affected == 0 {
            return Err(StoreError::NotFound);
        }
        self.gateway(GatewayChange::User(id.to_string()));
        Ok(())
    }

    pub async fn set_password_hash(
        &mut self,
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
        &mut self,
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
        &mut self,
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
            .exec(&self.txn)
            .await?;
        if result.rows_affected == 0 {
            return Err(StoreError::NotFound);
        }
        self.gateway(GatewayChange::User(id.to_string()));
        Ok(())
    }

    /// Lock the enabled administrators' rows until this unit ends (on
    /// PostgreSQL; SQLite has one writer at a time anyway), and count them:
    /// of two concurrent changes that each leave one administrator, the
    /// second sees the first.
    pub async fn lock_administrators(&mut self) -> Result<Vec<UserId>, StoreError> {
        let ids: Vec<String> = users::Entity::find()
            .select_only()
            .column(users::Column::Id)
            .filter(users::Column::IsAdmin.eq(true))
            .filter(users::Column::Disabled.eq(false))
            .lock_exclusive()
            .into_tuple()
            .all(&self.txn)
            .await?;
        Ok(ids.into_iter().map(UserId::from_trusted).collect())
    }
}
