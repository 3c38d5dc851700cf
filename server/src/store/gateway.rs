//! What forward-auth decisions read: the identity behind a gateway cookie
//! (session, user and groups in one query) and the application behind a
//! host, both remembered by this replica for at most a second of the
//! injected clock; and, the same way, the users `/userinfo` describes.
//!
//! Every write that changes an answer (a session ended or renewed, a user
//! changed, disabled or deleted, a group membership, an application)
//! reports a [`GatewayChange`] from its [`Unit`]; after the commit this
//! replica forgets what it covers at once, and where Redis is shared the
//! change is published on a channel every replica listens to. A replica
//! trusts its copies only while that channel is demonstrably alive (it hears
//! the heartbeats every replica publishes four times a second); otherwise
//! it reads the database on every decision. So a sign-out is refused by the
//! next request on every replica, and nothing is believed for longer than
//! a second whatever happens to Redis.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use futures_util::StreamExt;
use sea_orm::sea_query::{Alias, Expr, ExprTrait, JoinType, Query};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};

use super::cache::TtlCache;
use super::entities::{groups, sessions, user_groups, users};
use super::ephemeral::Ephemeral;
use super::{Store, StoreError, Unit};
use crate::domain::{
    App, AppHost, Email, GatewayIdentity, GroupName, SessionId, User, UserId, Username,
};

/// How long (seconds of the injected clock) a replica believes what it
/// read: an answer is at most this old, whatever reaches it or not.
const BELIEVE_SECS: i64 = 1;
/// How long the change channel may stay silent before this replica stops
/// trusting its copies.
const SILENCE_SECS: i64 = 1;
/// How often each replica speaks on the change channel.
pub const HEARTBEAT_EVERY: Duration = Duration::from_millis(250);
/// Activity is written back at most this often (as for Tessera's own pages).
const TOUCH_INTERVAL_SECS: i64 = 60;
const CACHED_IDENTITIES: usize = 100_000;
const CACHED_HOSTS: usize = 10_000;
/// The channel's name, after the deployment's Redis key prefix.
const CHANNEL: &str = "gateway:changes";
const HEARTBEAT: &str = "beat";

/// A change that may alter forward-auth decisions.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum GatewayChange {
    /// A session ended or got new cookies.
    Session(String),
    /// A user changed, was disabled or deleted, or joined or left a group.
    User(String),
    /// A group went away: whoever was in it changed.
    Everyone,
    /// An application was registered, changed or removed.
    Apps,
}

impl GatewayChange {
    fn encode(&self) -> String {
        match self {
            GatewayChange::Session(sid) => format!("s:{sid}"),
            GatewayChange::User(id) => format!("u:{id}"),
            GatewayChange::Everyone => "*".into(),
            GatewayChange::Apps => "apps".into(),
        }
    }

    fn decode(message: &str) -> Option<Self> {
        match message {
            "*" => Some(GatewayChange::Everyone),
            "apps" => Some(GatewayChange::Apps),
            _ => match message.split_once(':')? {
                ("s", sid) => Some(GatewayChange::Session(sid.to_string())),
                ("u", id) => Some(GatewayChange::User(id.to_string())),
                _ => None,
            },
        }
    }
}

/// This replica's copies, and whether it may believe them.
#[derive(Debug)]
pub(super) struct GatewayCaches {
    identities: TtlCache<String, Arc<GatewayIdentity>>,
    apps: TtlCache<String, Option<Arc<App>>>,
    /// Users as `/userinfo` describes them, by id.
    users: TtlCache<String, Arc<User>>,
    /// The second (injected clock) the change channel was last heard;
    /// `i64::MIN` while not listening.
    heard_at: AtomicI64,
}

impl Default for GatewayCaches {
    fn default() -> Self {
        Self {
            identities: TtlCache::new("gateway_sessions", CACHED_IDENTITIES),
            apps: TtlCache::new("gateway_hosts", CACHED_HOSTS),
            users: TtlCache::new("users", CACHED_IDENTITIES),
            heard_at: AtomicI64::new(i64::MIN),
        }
    }
}

impl GatewayCaches {
    fn apply(&self, change: &GatewayChange) {
        match change {
            GatewayChange::Session(sid) => self.identities.retain(|_, i| i.sid.as_str() != sid),
            GatewayChange::User(id) => {
                self.identities.retain(|_, i| i.user_id.as_str() != id);
                self.users.remove(id);
            }
            GatewayChange::Everyone => {
                self.identities.clear();
                self.users.clear();
            }
            GatewayChange::Apps => self.apps.clear(),
        }
    }

    pub(super) fn forget_everything(&self) {
        self.identities.clear();
        self.apps.clear();
        self.users.clear();
    }
}

impl Store {
    /// May this replica answer from its copies at `now`? Alone (no Redis)
    /// it sees every change it makes; with Redis, only while it hears the
    /// change channel.
    pub fn gateway_copies_trusted(&self, now: i64) -> bool {
        if !self.ephemeral.is_shared() {
            self.notice_other_writers();
            return true;
        }
        now.saturating_sub(self.local.gateway.heard_at.load(Ordering::SeqCst)) <= SILENCE_SECS
    }

    /// The live identity behind a gateway cookie's hash: its session (not
    /// expired), its user (not disabled) and the user's groups. A cold
    /// lookup is one query (and, at most once a minute, a write recording
    /// activity).
    pub async fn gateway_identity(
        &self,
        gateway_hash: &str,
        now: i64,
    ) -> Result<Option<Arc<GatewayIdentity>>, StoreError> {
        let trusted = self.gateway_copies_trusted(now);
        if trusted
            && let Some(identity) = self
                .local
                .gateway
                .identities
                .get(&gateway_hash.to_string(), now)
            && identity.is_active(now)
        {
            return Ok(Some(identity));
        }
        let Some(mut identity) = self.read_gateway_identity(gateway_hash).await? else {
            return Ok(None);
        };
        if !identity.is_active(now) {
            return Ok(None);
        }
        if now - identity.last_seen_at >= TOUCH_INTERVAL_SECS {
            let idle_secs = identity.idle_expires_at - identity.last_seen_at;
            identity.idle_expires_at = std::cmp::min(now + idle_secs, identity.absolute_expires_at);
            identity.last_seen_at = now;
            self.touch_session(&identity.session_hash, now, identity.idle_expires_at)
                .await?;
        }
        let identity = Arc::new(identity);
        if trusted {
            let until = [
                now + BELIEVE_SECS,
                identity.idle_expires_at,
                identity.absolute_expires_at,
            ]
            .into_iter()
            .fold(i64::MAX, std::cmp::min);
            self.local.gateway.identities.insert(
                gateway_hash.to_string(),
                identity.clone(),
                until,
                now,
            );
        }
        Ok(Some(identity))
    }

    async fn read_gateway_identity(
        &self,
        gateway_hash: &str,
    ) -> Result<Option<GatewayIdentity>, StoreError> {
        let (s, u, ug, g) = (
            Alias::new("s"),
            Alias::new("u"),
            Alias::new("ug"),
            Alias::new("g"),
        );
        let query = Query::select()
            .expr_as(
                Expr::col((s.clone(), sessions::Column::IdHash)),
                Alias::new("id_hash"),
            )
            .expr_as(
                Expr::col((s.clone(), sessions::Column::Sid)),
                Alias::new("sid"),
            )
            .expr_as(
                Expr::col((s.clone(), sessions::Column::UserId)),
                Alias::new("user_id"),
            )
            .expr_as(
                Expr::col((s.clone(), sessions::Column::LastSeenAt)),
                Alias::new("last_seen_at"),
            )
            .expr_as(
                Expr::col((s.clone(), sessions::Column::IdleExpiresAt)),
                Alias::new("idle_expires_at"),
            )
            .expr_as(
                Expr::col((s.clone(), sessions::Column::AbsoluteExpiresAt)),
                Alias::new("absolute_expires_at"),
            )
            .expr_as(
                Expr::col((u.clone(), users::Column::Username)),
                Alias::new("username"),
            )
            .expr_as(
                Expr::col((u.clone(), users::Column::Name)),
                Alias::new("name"),
            )
            .expr_as(
                Expr::col((u.clone(), users::Column::Email)),
                Alias::new("email"),
            )
            .expr_as(
                Expr::col((g.clone(), groups::Column::Name)),
                Alias::new("group_name"),
            )
            .from_as(sessions::Entity, s.clone())
            .join_as(
                JoinType::InnerJoin,
                users::Entity,
                u.clone(),
                Expr::col((u.clone(), users::Column::Id))
                    .equals((s.clone(), sessions::Column::UserId)),
            )
            .join_as(
                JoinType::LeftJoin,
                user_groups::Entity,
                ug.clone(),
                Expr::col((ug.clone(), user_groups::Column::UserId))
                    .equals((u.clone(), users::Column::Id)),
            )
            .join_as(
                JoinType::LeftJoin,
                groups::Entity,
                g.clone(),
                Expr::col((g.clone(), groups::Column::Id))
                    .equals((ug.clone(), user_groups::Column::GroupId)),
            )
            .and_where(Expr::col((s.clone(), sessions::Column::GatewayHash)).eq(gateway_hash))
            .and_where(Expr::col((u.clone(), users::Column::Disabled)).eq(false))
            .to_owned();
        let rows = self.db.query_all(&query).await?;
        let Some(first) = rows.first() else {
            return Ok(None);
        };
        let text = |row: &sea_orm::QueryResult, column: &str| -> Result<String, StoreError> {
            row.try_get::<String>("", column)
                .map_err(|e| StoreError::Corrupt(format!("gateway identity {column}: {e}")))
        };
        let number = |column: &str| -> Result<i64, StoreError> {
            first
                .try_get::<i64>("", column)
                .map_err(|e| StoreError::Corrupt(format!("gateway identity {column}: {e}")))
        };
        let optional = |column: &str| -> Result<Option<String>, StoreError> {
            first
                .try_get::<Option<String>>("", column)
                .map_err(|e| StoreError::Corrupt(format!("gateway identity {column}: {e}")))
        };
        let mut groups: Vec<GroupName> = rows
            .iter()
            .filter_map(|row| {
                row.try_get::<Option<String>>("", "group_name")
                    .ok()
                    .flatten()
            })
            .map(GroupName::from_trusted)
            .collect();
        groups.sort();
        groups.dedup();
        Ok(Some(GatewayIdentity {
            session_hash: text(first, "id_hash")?,
            sid: SessionId::from_trusted(text(first, "sid")?),
            user_id: UserId::from_trusted(text(first, "user_id")?),
            username: Username::from_trusted(text(first, "username")?),
            name: optional("name")?,
            email: optional("email")?.map(Email::from_trusted),
            groups,
            last_seen_at: number("last_seen_at")?,
            idle_expires_at: number("idle_expires_at")?,
            absolute_expires_at: number("absolute_expires_at")?,
        }))
    }

    /// The application registered for `host`, remembered like identities.
    pub async fn app_for_host(
        &self,
        host: &AppHost,
        now: i64,
    ) -> Result<Option<Arc<App>>, StoreError> {
        let trusted = self.gateway_copies_trusted(now);
        let key = host.as_str().to_string();
        if trusted && let Some(app) = self.local.gateway.apps.get(&key, now) {
            return Ok(app);
        }
        let app = self.app_by_host(host).await?.map(Arc::new);
        if trusted {
            self.local
                .gateway
                .apps
                .insert(key, app.clone(), now + BELIEVE_SECS, now);
        }
        Ok(app)
    }

    /// User `id` as `/userinfo` describes it, remembered like identities:
    /// every change to a user forgets it.
    pub async fn user_described(
        &self,
        id: &UserId,
        now: i64,
    ) -> Result<Option<Arc<User>>, StoreError> {
        let trusted = self.gateway_copies_trusted(now);
        let key = id.as_str().to_string();
        if trusted && let Some(user) = self.local.gateway.users.get(&key, now) {
            return Ok(Some(user));
        }
        let Some(user) = self.user_by_id(id).await?.map(Arc::new) else {
            return Ok(None);
        };
        if trusted {
            self.local
                .gateway
                .users
                .insert(key, user.clone(), now + BELIEVE_SECS, now);
        }
        Ok(Some(user))
    }

    /// The groups `user` belongs to, by name.
    pub async fn groups_of_user(&self, user: &UserId) -> Result<Vec<GroupName>, StoreError> {
        let ids: Vec<String> = user_groups::Entity::find()
            .filter(user_groups::Column::UserId.eq(user.as_str()))
            .all(&self.db)
            .await?
            .into_iter()
            .map(|row| row.group_id)
            .collect();
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let mut names: Vec<GroupName> = groups::Entity::find()
            .filter(groups::Column::Id.is_in(ids))
            .all(&self.db)
            .await?
            .into_iter()
            .map(|row| GroupName::from_trusted(row.name))
            .collect();
        names.sort();
        Ok(names)
    }

    /// Forget this replica's copies that `changes` cover, and tell the
    /// other replicas (best effort: they stop believing a silent channel).
    pub(super) async fn gateway_changed(&self, changes: &[GatewayChange]) {
        for change in changes {
            self.local.gateway.apply(change);
        }
        if let Ephemeral::Redis(redis) = &self.ephemeral {
            for change in changes {
                if let Err(err) = redis.publish(CHANNEL, &change.encode()).await {
                    tracing::warn!(error = %err, "a gateway change could not be published; other replicas see it within a second");
                    break;
                }
            }
        }
    }

    /// Where Redis is shared: listen to the change channel for as long as
    /// the process runs, forgetting what the changes cover; after any gap
    /// (a reconnection), forget everything, since changes may have been
    /// missed.
    pub async fn listen_for_gateway_changes(&self) {
        let Ephemeral::Redis(redis) = &self.ephemeral else {
            return;
        };
        let caches = &self.local.gateway;
        let mut failing = false;
        loop {
            match redis.subscribe(CHANNEL).await {
                Ok(mut messages) => {
                    if failing {
                        tracing::info!("listening to gateway changes again");
                        failing = false;
                    }
                    caches.forget_everything();
                    while let Some(message) = messages.next().await {
                        let Ok(payload) = message.get_payload::<String>() else {
                            continue;
                        };
                        if payload != HEARTBEAT
                            && let Some(change) = GatewayChange::decode(&payload)
                        {
                            caches.apply(&change);
                        }
                        caches.heard_at.store(self.clock.now(), Ordering::SeqCst);
                    }
                    caches.heard_at.store(i64::MIN, Ordering::SeqCst);
                }
                Err(err) => {
                    caches.heard_at.store(i64::MIN, Ordering::SeqCst);
                    if !failing {
                        tracing::warn!(error = %err, "gateway decisions read the database until Redis is back");
                        failing = true;
                    }
                }
            }
            tokio::time::sleep(HEARTBEAT_EVERY).await;
        }
    }

    /// Speak on the change channel, so that every replica knows it is alive.
    pub async fn gateway_heartbeat(&self) -> Result<(), StoreError> {
        match &self.ephemeral {
            Ephemeral::Redis(redis) => redis.publish(CHANNEL, HEARTBEAT).await,
            Ephemeral::Memory(_) => Ok(()),
        }
    }
}

impl Unit<'_> {
    /// Record a change to forward-auth answers, applied after the commit.
    /// Many sessions or users at once (ending every session, say) are one
    /// message that forgets every identity.
    pub(super) fn gateway(&mut self, change: GatewayChange) {
        const MANY: usize = 32;
        let changes = &mut self.gateway_changes;
        let personal =
            |c: &GatewayChange| matches!(c, GatewayChange::Session(_) | GatewayChange::User(_));
        if changes.contains(&change)
            || (personal(&change) && changes.contains(&GatewayChange::Everyone))
        {
            return;
        }
        changes.push(change);
        if changes.iter().filter(|c| personal(c)).count() > MANY {
            changes.retain(|c| !personal(c));
            changes.push(GatewayChange::Everyone);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn changes_read_back_as_written() {
        for change in [
            GatewayChange::Session("s1".into()),
            GatewayChange::User("u:1".into()),
            GatewayChange::Everyone,
            GatewayChange::Apps,
        ] {
            assert_eq!(GatewayChange::decode(&change.encode()), Some(change));
        }
        assert_eq!(GatewayChange::decode(HEARTBEAT), None);
    }
}
