//! Whether an access token still stands: neither its `jti` deny-listed
//! (RFC 7009), nor its grant revoked (a refresh family that died, an ended
//! session, a disabled user), nor its signing key revoked. Asked on every
//! `/introspect` and `/userinfo`.
//!
//! The database is the truth: every revocation is a row there (the
//! deny-list, `grants.revoked_at`, `signing_keys.revoked_at`), committed
//! with the operation that made it, which succeeds with the database alone.
//!
//! With Redis, each revocation is also a *mark* there (`revoked:jti:…`,
//! `revoked:grant:…`, `revoked:sid:…` for a session whose tokens were
//! revoked, `revoked:kid:…`, each until the tokens it covers have expired),
//! so that any replica, and any service that reads them, answers with one
//! round trip. Marks reach
//! Redis after the commit, through an outbox written in the same
//! transaction (`mark_outbox`): published at once when Redis answers, by
//! the sync worker of any replica otherwise. Redis's silence counts as "not
//! revoked" only when all of this holds:
//!
//! - Redis holds `revoked:ready`, which a sync sets once every mark is
//!   there. A Redis that lost its data (restarted empty) lacks it: readers
//!   ask the database until a sync has replayed every mark that still
//!   matters from the database.
//! - This replica's own last sync succeeded within a second (a sync flushes
//!   the outbox first), and nothing failed since: after a Redis outage a
//!   replica asks the database until it has flushed what was queued meanwhile.
//!
//! Otherwise, and whenever Redis fails to answer, the database answers.
//!
//! Without Redis there is one server. Revocations it has seen are
//! remembered in memory until their tokens expire, and the database's "not
//! revoked" for a second; its own revocations count at once (they are
//! checked first), and so do those of the command line, whose writes make
//! the server forget every "not revoked" (see `beacon`).

use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use sea_orm::sea_query::{Expr, Query};
use sea_orm::{
    ActiveValue::NotSet, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect,
};

use super::entities::{grants, mark_outbox, sessions, signing_keys, token_denylist};
use super::ephemeral::RedisStore;
use super::{Ephemeral, Store, StoreError};

/// Revocations this process remembers at most (each until the tokens it
/// covers expire).
pub(super) const CACHED_REVOCATIONS: usize = 100_000;
/// Without Redis, how long (seconds of the injected clock) a "not revoked"
/// from the database is believed; revocations this process makes, and
/// those another process announces (see `beacon`), count at once.
const NOT_REVOKED_SECS: i64 = 1;
/// Set in Redis by a sync once every mark is there.
const READY_KEY: &str = "revoked:ready";
/// How long `revoked:ready` lives unless a sync renews it (real time).
const READY_TTL: Duration = Duration::from_millis(1500);
/// How long a replica trusts Redis after its last good sync (seconds of
/// the injected clock).
const TRUST_SECS: i64 = 1;
/// Marks written to Redis per round trip.
const BATCH: usize = 1000;

/// What a mark is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum MarkKind {
    /// An access token, by `jti`.
    Jti,
    /// A grant: every access token issued under it.
    Grant,
    /// A signing key: every token it signed.
    Kid,
    /// An SSO session: every token issued in it (the grants of the session
    /// are revoked too; this mark is for services, which see `sid`).
    Sid,
}

impl MarkKind {
    fn as_str(self) -> &'static str {
        match self {
            MarkKind::Jti => "jti",
            MarkKind::Grant => "grant",
            MarkKind::Kid => "kid",
            MarkKind::Sid => "sid",
        }
    }

    fn parse(value: &str) -> Option<Self> {
        match value {
            "jti" => Some(MarkKind::Jti),
            "grant" => Some(MarkKind::Grant),
            "kid" => Some(MarkKind::Kid),
            "sid" => Some(MarkKind::Sid),
            _ => None,
        }
    }
}

/// One revocation, as the fast check sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Mark {
    pub kind: MarkKind,
    pub value: String,
    /// When every token it covers has expired.
    pub expires_at: i64,
}

impl Mark {
    pub fn jti(jti: &str, expires_at: i64) -> Self {
        Self {
            kind: MarkKind::Jti,
            value: jti.to_string(),
            expires_at,
        }
    }

    pub fn grant(id: &str, expires_at: i64) -> Self {
        Self {
            kind: MarkKind::Grant,
            value: id.to_string(),
            expires_at,
        }
    }

    pub fn sid(sid: &str, expires_at: i64) -> Self {
        Self {
            kind: MarkKind::Sid,
            value: sid.to_string(),
            expires_at,
        }
    }

    pub fn kid(kid: &str, expires_at: i64) -> Self {
        Self {
            kind: MarkKind::Kid,
            value: kid.to_string(),
            expires_at,
        }
    }

    fn key(&self) -> String {
        key(self.kind, &self.value)
    }
}

/// The Redis key (under the configured prefix) of a mark: the stable
/// contract for services that check revocations themselves.
fn key(kind: MarkKind, value: &str) -> String {
    format!("revoked:{}:{value}", kind.as_str())
}

fn ttl(until: i64, now: i64) -> Duration {
    Duration::from_secs(std::cmp::max(u64::try_from(until - now).unwrap_or(0), 1))
}

/// Whether this replica may take Redis's silence for "not revoked".
#[derive(Debug, Default)]
pub(super) struct MarkTrust {
    /// Trusted while the injected clock is at or before this second.
    until: AtomicI64,
}

impl MarkTrust {
    fn trusted(&self, now: i64) -> bool {
        now <= self.until.load(Ordering::SeqCst)
    }

    fn renew(&self, now: i64) {
        self.until.store(now + TRUST_SECS, Ordering::SeqCst);
    }

    fn lose(&self) {
        self.until.store(i64::MIN, Ordering::SeqCst);
    }
}

/// Queue `marks` for Redis in the transaction that made the revocations.
pub(super) async fn queue(conn: &impl ConnectionTrait, marks: &[Mark]) -> Result<(), StoreError> {
    for chunk in marks.chunks(500) {
        let rows = chunk.iter().map(|mark| mark_outbox::ActiveModel {
            id: NotSet,
            kind: Set(mark.kind.as_str().to_string()),
            value: Set(mark.value.clone()),
            expires_at: Set(mark.expires_at),
        });
        mark_outbox::Entity::insert_many(rows).exec(conn).await?;
    }
    Ok(())
}

impl Store {
    /// When a grant revoked now stops mattering: its last access token,
    /// signed just before the revocation committed, has expired.
    pub(super) fn grant_mark_expiry(&self, now: i64) -> i64 {
        now + self.access_token_ttl + 60
    }

    fn redis(&self) -> Option<&RedisStore> {
        match &self.ephemeral {
            Ephemeral::Redis(redis) => Some(redis),
            Ephemeral::Memory(_) => None,
        }
    }

    /// After a commit: without Redis, remember the marks here; with Redis,
    /// write them there and take them off the outbox. A failure is logged
    /// and left to the sync worker (this replica asks the database until
    /// then); the revocation itself is already durable. With Redis the marks
    /// are not kept here too: every replica asks Redis, so a copy would only
    /// hold memory (a busy replica ends a hundred grants a second, each mark
    /// kept for an access token's lifetime).
    pub(super) async fn publish_marks(&self, marks: &[Mark]) {
        if marks.is_empty() {
            return;
        }
        let now = self.clock.now();
        let Some(redis) = self.redis() else {
            for mark in marks {
                self.local
                    .revoked
                    .insert(mark.key(), (), mark.expires_at, now);
            }
            return;
        };
        if let Err(err) = super::ephemeral::within(self.push(redis, marks, now)).await {
            self.local.mark_trust.lose();
            tracing::warn!(error = %err, "revocation marks wait for Redis");
            return;
        }
        let values: Vec<String> = marks.iter().map(|m| m.value.clone()).collect();
        let _writer = match self.writing().await {
            Ok(writer) => writer,
            Err(err) => {
                tracing::warn!(error = %err, "published revocation marks stay queued");
                return;
            }
        };
        for chunk in values.chunks(500) {
            if let Err(err) = mark_outbox::Entity::delete_many()
                .filter(mark_outbox::Column::Value.is_in(chunk.to_vec()))
                .exec(&self.db)
                .await
            {
                tracing::warn!(error = %err, "published revocation marks stay queued");
            }
        }
    }

    async fn push(&self, redis: &RedisStore, marks: &[Mark], now: i64) -> Result<(), StoreError> {
        let entries: Vec<(String, Duration)> = marks
            .iter()
            .filter(|m| m.expires_at > now)
            .map(|m| (m.key(), ttl(m.expires_at, now)))
            .collect();
        for chunk in entries.chunks(BATCH) {
            redis.put_marks(chunk).await?;
        }
        Ok(())
    }

    /// Deny-list an access token by `jti` until it expires (RFC 7009 §2.1).
    pub(super) async fn deny_in(
        txn: &impl ConnectionTrait,
        jti: &str,
        expires_at: i64,
    ) -> Result<Mark, StoreError> {
        token_denylist::Entity::insert(token_denylist::ActiveModel {
            jti: Set(jti.to_string()),
            expires_at: Set(expires_at),
        })
        .on_conflict_do_nothing_on([token_denylist::Column::Jti])
        .exec(txn)
        .await?;
        Ok(Mark::jti(jti, expires_at))
    }

    /// Is the access token `jti` of grant `grant_id` (none for
    /// client_credentials tokens), signed by key `kid` and expiring at
    /// `expires_at`, revoked? See the module documentation for who answers.
    pub async fn is_access_token_revoked(
        &self,
        jti: &str,
        grant_id: Option<&str>,
        kid: Option<&str>,
        expires_at: i64,
        now: i64,
    ) -> Result<bool, StoreError> {
        let mut keys = vec![key(MarkKind::Jti, jti)];
        if let Some(grant_id) = grant_id {
            keys.push(key(MarkKind::Grant, grant_id));
        }
        if let Some(kid) = kid {
            keys.push(key(MarkKind::Kid, kid));
        }
        if keys
            .iter()
            .any(|k| self.local.revoked.get(k, now).is_some())
        {
            return Ok(true);
        }
        let alone = !self.ephemeral.is_shared();
        if alone {
            self.notice_other_writers();
            if self.local.not_revoked.get(&jti.to_string(), now).is_some() {
                return Ok(false);
            }
        }
        if let Some(redis) = self.redis()
            && self.local.mark_trust.trusted(now)
        {
            match super::ephemeral::within(redis.any_exists_and(&keys, READY_KEY)).await {
                Ok((true, _)) => {
                    self.local
                        .revoked
                        .insert(keys.swap_remove(0), (), expires_at, now);
                    return Ok(true);
                }
                Ok((false, true)) => return Ok(false),
                // Redis lost its marks: the database until a sync replays them.
                Ok((false, false)) => self.local.mark_trust.lose(),
                Err(err) => {
                    self.local.mark_trust.lose();
                    tracing::warn!(error = %err, "revocation check falls back to the database");
                }
            }
        }
        let revoked = self.revoked_in_database(jti, grant_id, kid).await?;
        if revoked {
            // Revocation is forever: remember it until the token expires.
            self.local
                .revoked
                .insert(keys.swap_remove(0), (), expires_at, now);
        } else if alone {
            let until = std::cmp::min(now + NOT_REVOKED_SECS, expires_at);
            self.local
                .not_revoked
                .insert(jti.to_string(), (), until, now);
        }
        Ok(revoked)
    }

    /// The durable answer: one query over the deny-list, the grant and the key.
    async fn revoked_in_database(
        &self,
        jti: &str,
        grant_id: Option<&str>,
        kid: Option<&str>,
    ) -> Result<bool, StoreError> {
        let denied = Query::select()
            .expr(Expr::val(1))
            .from(token_denylist::Entity)
            .and_where(token_denylist::Column::Jti.eq(jti))
            .to_owned();
        let key_revoked = Query::select()
            .expr(Expr::val(1))
            .from(signing_keys::Entity)
            .and_where(signing_keys::Column::Kid.eq(kid.unwrap_or_default()))
            .and_where(signing_keys::Column::RevokedAt.is_not_null())
            .to_owned();
        let grant_live = Query::select()
            .expr(Expr::val(1))
            .from(grants::Entity)
            .and_where(grants::Column::Id.eq(grant_id.unwrap_or_default()))
            .and_where(grants::Column::RevokedAt.is_null())
            .to_owned();
        let query = Query::select()
            .expr_as(Expr::exists(denied), "denied")
            .expr_as(Expr::exists(key_revoked), "key_revoked")
            .expr_as(Expr::exists(grant_live), "grant_live")
            .to_owned();
        let Some(row) = self.db.query_one(&query).await? else {
            return Ok(true);
        };
        let denied: bool = row.try_get("", "denied")?;
        let key_revoked: bool = row.try_get("", "key_revoked")?;
        // A grant that is gone went with its client or user.
        let grant_live: bool = row.try_get("", "grant_live")?;
        Ok(denied || key_revoked || (grant_id.is_some() && !grant_live))
    }

    /// One pass of the sync worker (Redis only): replay every mark that
    /// still matters if Redis lost them, else publish what the outbox
    /// holds; then tell Redis the marks are complete and trust it for a
    /// second more.
    pub async fn sync_revocation_marks(&self, now: i64) -> Result<(), StoreError> {
        let Some(redis) = self.redis() else {
            return Ok(());
        };
        let result = self.sync_with(redis, now).await;
        match &result {
            Ok(()) => self.local.mark_trust.renew(now),
            Err(_) => self.local.mark_trust.lose(),
        }
        result
    }

    async fn sync_with(&self, redis: &RedisStore, now: i64) -> Result<(), StoreError> {
        if !redis.exists(READY_KEY).await? {
            self.replay_marks(redis, now).await?;
            redis.set(READY_KEY, READY_TTL).await?;
            tracing::info!("revocation marks replayed into Redis");
            return Ok(());
        }
        loop {
            let rows = mark_outbox::Entity::find()
                .order_by_asc(mark_outbox::Column::Id)
                .limit(BATCH as u64)
                .all(&self.db)
                .await?;
            if rows.is_empty() {
                break;
            }
            let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
            let marks: Vec<Mark> = rows.into_iter().filter_map(row_mark).collect();
            self.push(redis, &marks, now).await?;
            let writer = self.writing().await?;
            mark_outbox::Entity::delete_many()
                .filter(mark_outbox::Column::Id.is_in(ids.clone()))
                .exec(&self.db)
                .await?;
            drop(writer);
            if ids.len() < BATCH {
                break;
            }
        }
        // Renewed only if still there: a Redis that restarted meanwhile
        // is replayed by the next pass.
        if redis.renew(READY_KEY, READY_TTL).await? {
            Ok(())
        } else {
            Err(StoreError::Unavailable(
                "Redis lost its revocation marks".into(),
            ))
        }
    }

    /// Write every revocation whose tokens may still be alive into Redis,
    /// from the database; what the outbox held up to then is covered.
    async fn replay_marks(&self, redis: &RedisStore, now: i64) -> Result<(), StoreError> {
        let covered: Option<i64> = mark_outbox::Entity::find()
            .select_only()
            .column_as(mark_outbox::Column::Id.max(), "id")
            .into_tuple()
            .one(&self.db)
            .await?
            .flatten();
        let mut marks: Vec<Mark> = token_denylist::Entity::find()
            .filter(token_denylist::Column::ExpiresAt.gt(now))
            .all(&self.db)
            .await?
            .into_iter()
            .map(|row| Mark::jti(&row.jti, row.expires_at))
            .collect();
        let since = now - self.access_token_ttl - 60;
        let revoked_grants: Vec<(String, Option<String>, Option<i64>)> = grants::Entity::find()
            .select_only()
            .column(grants::Column::Id)
            .column(grants::Column::SessionSid)
            .column(grants::Column::RevokedAt)
            .filter(grants::Column::RevokedAt.gte(since))
            .into_tuple()
            .all(&self.db)
            .await?;
        let sids: Vec<String> = revoked_grants
            .iter()
            .filter_map(|(_, sid, _)| sid.clone())
            .collect();
        let live = self.live_sids(&sids).await?;
        for (id, sid, at) in revoked_grants {
            let Some(at) = at else { continue };
            let until = self.grant_mark_expiry(at);
            marks.push(Mark::grant(&id, until));
            // A grant revoked while its session lives on (a refresh token
            // reused) marks no session; one whose session is gone does.
            if let Some(sid) = sid
                && !live.contains(&sid)
            {
                marks.push(Mark::sid(&sid, until));
            }
        }
        let revoked_keys: Vec<(String, Option<i64>)> = signing_keys::Entity::find()
            .select_only()
            .column(signing_keys::Column::Kid)
            .column(signing_keys::Column::RevokedAt)
            .filter(signing_keys::Column::RevokedAt.gte(since))
            .into_tuple()
            .all(&self.db)
            .await?;
        marks.extend(
            revoked_keys
                .into_iter()
                .filter_map(|(kid, at)| at.map(|at| Mark::kid(&kid, self.grant_mark_expiry(at)))),
        );
        self.push(redis, &marks, now).await?;
        if let Some(covered) = covered {
            let _writer = self.writing().await?;
            mark_outbox::Entity::delete_many()
                .filter(mark_outbox::Column::Id.lte(covered))
                .exec(&self.db)
                .await?;
        }
        Ok(())
    }

    /// Which of `sids` are sessions that still exist.
    async fn live_sids(
        &self,
        sids: &[String],
    ) -> Result<std::collections::HashSet<String>, StoreError> {
        let mut live = std::collections::HashSet::new();
        for chunk in sids.chunks(500) {
            let found: Vec<String> = sessions::Entity::find()
                .select_only()
                .column(sessions::Column::Sid)
                .filter(sessions::Column::Sid.is_in(chunk.to_vec()))
                .into_tuple()
                .all(&self.db)
                .await?;
            live.extend(found);
        }
        Ok(live)
    }

    /// Whether this replica currently takes Redis's silence for "not
    /// revoked" (for tests and health reporting).
    pub fn revocation_marks_trusted(&self) -> bool {
        self.redis().is_some() && self.local.mark_trust.trusted(self.clock.now())
    }

    /// Forget deny-list entries whose tokens have expired anyway.
    pub async fn purge_expired_denylist(&self, now: i64) -> Result<u64, StoreError> {
        let _writer = self.writing().await?;
        Ok(token_denylist::Entity::delete_many()
            .filter(token_denylist::Column::ExpiresAt.lt(now))
            .exec(&self.db)
            .await?
            .rows_affected)
    }
}

fn row_mark(row: mark_outbox::Model) -> Option<Mark> {
    Some(Mark {
        kind: MarkKind::parse(&row.kind)?,
        value: row.value,
        expires_at: row.expires_at,
    })
}

impl super::Unit<'_> {
    /// Deny-list an access token by `jti` until it expires (RFC 7009 §2.1).
    pub async fn deny_access_token(
        &mut self,
        jti: &str,
        expires_at: i64,
    ) -> Result<(), StoreError> {
        let mark = Store::deny_in(&self.txn, jti, expires_at).await?;
        self.revoked(vec![mark]).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mark_keys_are_a_stable_contract() {
        assert_eq!(Mark::jti("j1", 0).key(), "revoked:jti:j1");
        assert_eq!(Mark::grant("g1", 0).key(), "revoked:grant:g1");
        assert_eq!(Mark::kid("es256-x", 0).key(), "revoked:kid:es256-x");
        assert_eq!(Mark::sid("s1", 0).key(), "revoked:sid:s1");
        for kind in [MarkKind::Jti, MarkKind::Grant, MarkKind::Kid, MarkKind::Sid] {
            assert_eq!(MarkKind::parse(kind.as_str()), Some(kind));
        }
    }
}
