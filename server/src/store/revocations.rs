//! Whether an access token still stands: neither its `jti` deny-listed
//! (RFC 7009 revocation) nor its grant revoked (a refresh family that died, an
//! ended session, a disabled user). Asked on every `/introspect` and
//! `/userinfo`, so the answer costs one store round trip:
//!
//! - with Redis, one `EXISTS` over two marker keys that revocation writes
//!   (besides the durable rows) and that expire with the tokens they cover;
//! - without Redis, one SQL query over `grants` and `token_denylist`, with
//!   positive answers kept in process until the token expires.

use std::time::Duration;

use sea_orm::sea_query::{Expr, Query};
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};

use super::entities::{grants, token_denylist};
use super::{Store, StoreError};

fn jti_key(jti: &str) -> String {
    format!("revoked:jti:{jti}")
}

fn grant_key(grant_id: &str) -> String {
    format!("revoked:grant:{grant_id}")
}

/// Revocations this process remembers at most (each until the tokens it
/// covers expire).
pub(super) const CACHED_REVOCATIONS: usize = 100_000;

fn ttl(until: i64, now: i64) -> Duration {
    Duration::from_secs(u64::try_from(until - now).unwrap_or(0).max(1))
}

impl Store {
    /// Deny-list an access token by `jti` until it expires (RFC 7009 §2.1).
    pub async fn deny_access_token(
        &self,
        jti: &str,
        expires_at: i64,
        now: i64,
    ) -> Result<(), StoreError> {
        token_denylist::Entity::insert(token_denylist::ActiveModel {
            jti: Set(jti.to_string()),
            expires_at: Set(expires_at),
        })
        .on_conflict_do_nothing_on([token_denylist::Column::Jti])
        .exec(&self.db)
        .await?;
        let key = jti_key(jti);
        if self.ephemeral.is_shared() {
            self.ephemeral.put_all(&[key], ttl(expires_at, now)).await?;
        } else {
            self.local.revoked.insert(key, (), expires_at, now);
        }
        Ok(())
    }

    /// After grants were revoked in the database: make their access tokens
    /// fail the fast check too, for as long as any of them can live.
    pub(super) async fn mark_grants_revoked(
        &self,
        grant_ids: &[String],
        now: i64,
    ) -> Result<(), StoreError> {
        // A token signed just before the revocation committed lives this long.
        let until = now + self.access_token_ttl + 60;
        let keys: Vec<String> = grant_ids.iter().map(|id| grant_key(id)).collect();
        if self.ephemeral.is_shared() {
            self.ephemeral.put_all(&keys, ttl(until, now)).await
        } else {
            for key in keys {
                self.local.revoked.insert(key, (), until, now);
            }
            Ok(())
        }
    }

    /// Is the access token `jti` of grant `grant_id` (none for
    /// client_credentials tokens), expiring at `expires_at`, revoked?
    pub async fn is_access_token_revoked(
        &self,
        jti: &str,
        grant_id: Option<&str>,
        expires_at: i64,
        now: i64,
    ) -> Result<bool, StoreError> {
        let mut keys = vec![jti_key(jti)];
        if let Some(grant_id) = grant_id {
            keys.push(grant_key(grant_id));
        }
        if self.ephemeral.is_shared() {
            return self.ephemeral.any_exists(&keys).await;
        }
        if keys.iter().any(|k| self.local.revoked.get(k, now).is_some()) {
            return Ok(true);
        }
        let denied = Query::select()
            .expr(Expr::val(1))
            .from(token_denylist::Entity)
            .and_where(token_denylist::Column::Jti.eq(jti))
            .to_owned();
        let revoked = match grant_id {
            Some(grant_id) => {
                let query = Query::select()
                    .column(grants::Column::RevokedAt)
                    .expr_as(Expr::exists(denied), "denied")
                    .from(grants::Entity)
                    .and_where(grants::Column::Id.eq(grant_id))
                    .to_owned();
                match self.db.query_one(&query).await? {
                    // The grant is gone with its client or user.
                    None => true,
                    Some(row) => {
                        let revoked_at: Option<i64> = row.try_get("", "revoked_at")?;
                        let denied: bool = row.try_get("", "denied")?;
                        revoked_at.is_some() || denied
                    }
                }
            }
            None => self.db.query_one(&denied).await?.is_some(),
        };
        if revoked {
            // Revocation is forever: remember it until the token expires.
            self.local
                .revoked
                .insert(keys.swap_remove(0), (), expires_at, now);
        }
        Ok(revoked)
    }

    /// Forget deny-list entries whose tokens have expired anyway.
    pub async fn purge_expired_denylist(&self, now: i64) -> Result<u64, StoreError> {
        Ok(token_denylist::Entity::delete_many()
            .filter(token_denylist::Column::ExpiresAt.lt(now))
            .exec(&self.db)
            .await?
            .rows_affected)
    }
}
