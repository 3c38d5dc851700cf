//! Grants and their refresh tokens. A refresh token is rotated by marking it
//! used with a conditional UPDATE, so of two concurrent refreshes with the
//! same token exactly one succeeds and the other is seen as reuse.

use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, JoinType, QueryFilter, QuerySelect,
};

use super::entities::{grants, refresh_tokens, users};
use super::revocations::Mark;
use super::{Store, StoreError, Unit, from_json, to_json};
use crate::domain::{
    ApiIdentifier, ClientId, Grant, RefreshTokenRecord, RefreshTokenStatus, Scopes, SessionId,
    UserId,
};

fn corrupt(column: &str, err: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(format!("{column}: {err}"))
}

impl TryFrom<grants::Model> for Grant {
    type Error = StoreError;

    fn try_from(row: grants::Model) -> Result<Self, Self::Error> {
        Ok(Grant {
            client_id: ClientId::parse(&row.client_id)
                .map_err(|e| corrupt("grants.client_id", e))?,
            scope: Scopes::parse(&row.scope).map_err(|e| corrupt("grants.scope", e))?,
            amr: from_json("grants.amr", &row.amr)?,
            id: row.id,
            user_id: UserId::from_trusted(row.user_id),
            session_sid: row.session_sid.map(SessionId::from_trusted),
            auth_time: row.auth_time,
            created_at: row.created_at,
            revoked_at: row.revoked_at,
            resources: row
                .resources
                .unwrap_or_default()
                .split(' ')
                .filter(|r| !r.is_empty())
                .map(|r| ApiIdentifier::from_trusted(r.to_string()))
                .collect(),
        })
    }
}

impl TryFrom<refresh_tokens::Model> for RefreshTokenRecord {
    type Error = StoreError;

    fn try_from(row: refresh_tokens::Model) -> Result<Self, Self::Error> {
        Ok(RefreshTokenRecord {
            client_id: ClientId::parse(&row.client_id)
                .map_err(|e| corrupt("refresh_tokens.client_id", e))?,
            scope: Scopes::parse(&row.scope).map_err(|e| corrupt("refresh_tokens.scope", e))?,
            token_hash: row.token_hash,
            grant_id: row.grant_id,
            issued_at: row.issued_at,
            expires_at: row.expires_at,
            used_at: row.used_at,
        })
    }
}

pub(super) fn grant_model(grant: &Grant) -> Result<grants::ActiveModel, StoreError> {
    Ok(grants::ActiveModel {
        id: Set(grant.id.clone()),
        client_id: Set(grant.client_id.as_str().to_string()),
        user_id: Set(grant.user_id.as_str().to_string()),
        session_sid: Set(grant.session_sid.as_ref().map(|s| s.as_str().to_string())),
        scope: Set(grant.scope.to_string()),
        auth_time: Set(grant.auth_time),
        amr: Set(to_json(&grant.amr)?),
        created_at: Set(grant.created_at),
        revoked_at: Set(grant.revoked_at),
        resources: Set((!grant.resources.is_empty()).then(|| {
            grant
                .resources
                .iter()
                .map(ApiIdentifier::as_str)
                .collect::<Vec<_>>()
                .join(" ")
        })),
    })
}

pub(super) fn refresh_model(token: &RefreshTokenRecord) -> refresh_tokens::ActiveModel {
    refresh_tokens::ActiveModel {
        token_hash: Set(token.token_hash.clone()),
        grant_id: Set(token.grant_id.clone()),
        client_id: Set(token.client_id.as_str().to_string()),
        scope: Set(token.scope.to_string()),
        issued_at: Set(token.issued_at),
        expires_at: Set(token.expires_at),
        used_at: Set(token.used_at),
    }
}

impl Store {
    /// Record a new grant and its first refresh token together (see
    /// `group_commit`). `SessionEnded` means its session ended since the
    /// code was issued.
    pub async fn create_grant(
        &self,
        grant: &Grant,
        refresh: Option<&RefreshTokenRecord>,
    ) -> Result<(), StoreError> {
        self.create_grant_batched(grant, refresh).await
    }

    pub async fn grant_by_id(&self, id: &str) -> Result<Option<Grant>, StoreError> {
        grants::Entity::find_by_id(id)
            .one(&self.db)
            .await?
            .map(Grant::try_from)
            .transpose()
    }

    /// Revoke grant `id` in a unit of its own (see [`Unit::revoke_grant`]).
    pub async fn revoke_grant(&self, id: &str, now: i64) -> Result<bool, StoreError> {
        let mut unit = self.unit().await?;
        let found = unit.revoke_grant(id, now).await?;
        unit.commit().await?;
        Ok(found)
    }

    /// A refresh token with what decides whether it is active, in one query.
    pub async fn refresh_token_status(
        &self,
        token_hash: &str,
    ) -> Result<Option<RefreshTokenStatus>, StoreError> {
        let rt = refresh_tokens::Entity;
        let query = Query::select()
            .expr_as(
                Expr::col((rt, refresh_tokens::Column::ClientId)),
                "client_id",
            )
            .expr_as(Expr::col((rt, refresh_tokens::Column::Scope)), "scope")
            .expr_as(
                Expr::col((rt, refresh_tokens::Column::IssuedAt)),
                "issued_at",
            )
            .expr_as(
                Expr::col((rt, refresh_tokens::Column::ExpiresAt)),
                "expires_at",
            )
            .expr_as(Expr::col((rt, refresh_tokens::Column::UsedAt)), "used_at")
            .expr_as(
                Expr::col((grants::Entity, grants::Column::RevokedAt)),
                "revoked_at",
            )
            .expr_as(
                Expr::col((grants::Entity, grants::Column::SessionSid)),
                "sid",
            )
            .expr_as(Expr::col((users::Entity, users::Column::Id)), "user_id")
            .expr_as(
                Expr::col((users::Entity, users::Column::Username)),
                "username",
            )
            .expr_as(
                Expr::col((users::Entity, users::Column::Disabled)),
                "disabled",
            )
            .from(rt)
            .inner_join(
                grants::Entity,
                Expr::col((grants::Entity, grants::Column::Id))
                    .equals((rt, refresh_tokens::Column::GrantId)),
            )
            .inner_join(
                users::Entity,
                Expr::col((users::Entity, users::Column::Id))
                    .equals((grants::Entity, grants::Column::UserId)),
            )
            .and_where(Expr::col((rt, refresh_tokens::Column::TokenHash)).eq(token_hash))
            .to_owned();
        let Some(row) = self.db.query_one(&query).await? else {
            return Ok(None);
        };
        let client_id: String = row.try_get("", "client_id")?;
        let scope: String = row.try_get("", "scope")?;
        Ok(Some(RefreshTokenStatus {
            client_id: ClientId::parse(&client_id)
                .map_err(|e| corrupt("refresh_tokens.client_id", e))?,
            scope: Scopes::parse(&scope).map_err(|e| corrupt("refresh_tokens.scope", e))?,
            issued_at: row.try_get("", "issued_at")?,
            expires_at: row.try_get("", "expires_at")?,
            used_at: row.try_get("", "used_at")?,
            grant_revoked_at: row.try_get("", "revoked_at")?,
            session_sid: row
                .try_get::<Option<String>>("", "sid")?
                .map(SessionId::from_trusted),
            user_id: UserId::from_trusted(row.try_get("", "user_id")?),
            username: row.try_get("", "username")?,
            user_disabled: row.try_get("", "disabled")?,
        }))
    }

    pub async fn refresh_token_by_hash(
        &self,
        token_hash: &str,
    ) -> Result<Option<RefreshTokenRecord>, StoreError> {
        refresh_tokens::Entity::find_by_id(token_hash)
            .one(&self.db)
            .await?
            .map(RefreshTokenRecord::try_from)
            .transpose()
    }

    /// A refresh token and its grant (none if the grant is gone), in one
    /// query: what a refresh reads before it rotates the token.
    pub async fn refresh_token_with_grant(
        &self,
        token_hash: &str,
    ) -> Result<Option<(RefreshTokenRecord, Option<Grant>)>, StoreError> {
        let to_grant = refresh_tokens::Entity::belongs_to(grants::Entity)
            .from(refresh_tokens::Column::GrantId)
            .to(grants::Column::Id)
            .into();
        let Some((token, grant)) = refresh_tokens::Entity::find_by_id(token_hash)
            .join(JoinType::LeftJoin, to_grant)
            .select_also(grants::Entity)
            .one(&self.db)
            .await?
        else {
            return Ok(None);
        };
        Ok(Some((
            RefreshTokenRecord::try_from(token)?,
            grant.map(Grant::try_from).transpose()?,
        )))
    }
}

impl Unit<'_> {
    /// Revoke grant `id` and so every token issued under it. `false` if no
    /// such grant is stored (yet: its code may be being redeemed right now).
    pub async fn revoke_grant(&mut self, id: &str, now: i64) -> Result<bool, StoreError> {
        let updated = grants::Entity::update_many()
            .set(grants::ActiveModel {
                revoked_at: Set(Some(now)),
                ..Default::default()
            })
            .filter(grants::Column::Id.eq(id))
            .filter(grants::Column::RevokedAt.is_null())
            .exec(&self.txn)
            .await?;
        let found = updated.rows_affected > 0
            || grants::Entity::find_by_id(id)
                .one(&self.txn)
                .await?
                .is_some();
        if found {
            let until = self.store.grant_mark_expiry(now);
            self.revoked(vec![Mark::grant(id, until)]).await?;
        }
        Ok(found)
    }
}
