//! SSO sessions, and ending them: one transaction deletes the sessions,
//! revokes the grants issued under them, queues a back-channel notice for
//! every client that received tokens in them, and writes the audit record.

use std::collections::{BTreeMap, BTreeSet};

use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, Condition, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect, TransactionTrait,
};

use super::entities::{clients, grants, sessions, users};
use super::outbox::{self, NewNotice};
use super::revocations::Mark;
use super::{GatewayChange, Store, StoreError, Unit, from_json, to_json};
use crate::domain::{
    ClientId, EndTarget, EndedSession, Session, SessionId, SessionListing, SessionsEnded, UserId,
};

impl TryFrom<sessions::Model> for Session {
    type Error = StoreError;

    fn try_from(row: sessions::Model) -> Result<Self, Self::Error> {
        Ok(Session {
            amr: from_json("sessions.amr", &row.amr)?,
            id_hash: row.id_hash,
            sid: SessionId::from_trusted(row.sid),
            user_id: UserId::from_trusted(row.user_id),
            auth_time: row.auth_time,
            created_at: row.created_at,
            last_seen_at: row.last_seen_at,
            idle_expires_at: row.idle_expires_at,
            absolute_expires_at: row.absolute_expires_at,
            ip: row.ip,
            user_agent: row.user_agent,
            gateway_hash: row.gateway_hash,
        })
    }
}

fn active_model(session: &Session) -> Result<sessions::ActiveModel, StoreError> {
    Ok(sessions::ActiveModel {
        id_hash: Set(session.id_hash.clone()),
        sid: Set(session.sid.as_str().to_string()),
        user_id: Set(session.user_id.as_str().to_string()),
        auth_time: Set(session.auth_time),
        amr: Set(to_json(&session.amr)?),
        created_at: Set(session.created_at),
        last_seen_at: Set(session.last_seen_at),
        idle_expires_at: Set(session.idle_expires_at),
        absolute_expires_at: Set(session.absolute_expires_at),
        ip: Set(session.ip.clone()),
        user_agent: Set(session.user_agent.clone()),
        gateway_hash: Set(session.gateway_hash.clone()),
    })
}

/// Which sessions a listing shows.
#[derive(Clone, Debug, Default)]
pub struct SessionFilter {
    pub user: Option<UserId>,
    /// Sessions in which this client received tokens.
    pub client: Option<ClientId>,
    pub ip: Option<String>,
}

/// Rows per statement when a list may be long (`IN` lists, inserts): well
/// under the bind-parameter limits of PostgreSQL and SQLite.
const CHUNK: usize = 500;

/// Revoke the unrevoked grants matching `scope`; their ids.
async fn revoke_grants_where(
    txn: &sea_orm::DatabaseTransaction,
    scope: sea_orm::sea_query::SimpleExpr,
    now: i64,
) -> Result<Vec<String>, StoreError> {
    let ids: Vec<String> = grants::Entity::find()
        .select_only()
        .column(grants::Column::Id)
        .filter(scope)
        .filter(grants::Column::RevokedAt.is_null())
        .into_tuple()
        .all(txn)
        .await?;
    for chunk in ids.chunks(CHUNK) {
        grants::Entity::update_many()
            .set(grants::ActiveModel {
                revoked_at: Set(Some(now)),
                ..Default::default()
            })
            .filter(grants::Column::Id.is_in(chunk.to_vec()))
            .filter(grants::Column::RevokedAt.is_null())
            .exec(txn)
            .await?;
    }
    Ok(ids)
}

fn expired(now: i64) -> Condition {
    Condition::any()
        .add(sessions::Column::IdleExpiresAt.lte(now))
        .add(sessions::Column::AbsoluteExpiresAt.lte(now))
}

impl Store {
    pub async fn insert_session(&self, session: &Session) -> Result<(), StoreError> {
        let _writer = self.writing().await?;
        active_model(session)?.insert(&self.db).await?;
        Ok(())
    }

    /// Swap the session stored under `old_id_hash` for `session` in one
    /// transaction (a new cookie token after re-authentication). Fails with
    /// `NotFound` if the old session ended meanwhile.
    pub async fn replace_session(
        &self,
        old_id_hash: &str,
        session: &Session,
    ) -> Result<(), StoreError> {
        let _writer = self.writing().await?;
        let txn = self.db.begin().await?;
        let deleted = sessions::Entity::delete_by_id(old_id_hash)
            .exec(&txn)
            .await?;
        if deleted.rows_affected == 0 {
            return Err(StoreError::NotFound);
        }
        active_model(session)?.insert(&txn).await?;
        txn.commit().await?;
        // The old gateway cookie stops counting at once.
        self.gateway_changed(&[GatewayChange::Session(session.sid.to_string())])
            .await;
        Ok(())
    }

    pub async fn session_by_id_hash(&self, id_hash: &str) -> Result<Option<Session>, StoreError> {
        sessions::Entity::find_by_id(id_hash)
            .one(&self.db)
            .await?
            .map(Session::try_from)
            .transpose()
    }

    /// The session whose gateway cookie secret hashes to `gateway_hash`.
    pub async fn session_by_gateway_hash(
        &self,
        gateway_hash: &str,
    ) -> Result<Option<Session>, StoreError> {
        sessions::Entity::find()
            .filter(sessions::Column::GatewayHash.eq(gateway_hash))
            .one(&self.db)
            .await?
            .map(Session::try_from)
            .transpose()
    }

    pub async fn session_by_sid(&self, sid: &SessionId) -> Result<Option<Session>, StoreError> {
        sessions::Entity::find()
            .filter(sessions::Column::Sid.eq(sid.as_str()))
            .one(&self.db)
            .await?
            .map(Session::try_from)
            .transpose()
    }

    /// Give a session a new gateway cookie secret (its hash); the old
    /// cookie stops counting at once.
    pub async fn set_gateway_hash(
        &self,
        id_hash: &str,
        sid: &SessionId,
        gateway_hash: &str,
    ) -> Result<(), StoreError> {
        let _writer = self.writing().await?;
        let result = sessions::Entity::update_many()
            .set(sessions::ActiveModel {
                gateway_hash: Set(Some(gateway_hash.to_string())),
                ..Default::default()
            })
            .filter(sessions::Column::IdHash.eq(id_hash))
            .exec(&self.db)
            .await?;
        if result.rows_affected == 0 {
            return Err(StoreError::NotFound);
        }
        self.gateway_changed(&[GatewayChange::Session(sid.to_string())])
            .await;
        Ok(())
    }

    /// Record activity: a new last-seen time and idle expiry.
    pub async fn touch_session(
        &self,
        id_hash: &str,
        now: i64,
        idle_expires_at: i64,
    ) -> Result<(), StoreError> {
        let _writer = self.writing().await?;
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

    /// Live sessions, of one user or of everyone, most recently used first,
    /// each with its user's name and the clients that received tokens in it.
    pub async fn sessions(
        &self,
        user: Option<&UserId>,
        now: i64,
        limit: u64,
    ) -> Result<Vec<SessionListing>, StoreError> {
        self.sessions_page(
            &SessionFilter {
                user: user.cloned(),
                ..SessionFilter::default()
            },
            None,
            now,
            limit,
        )
        .await
    }

    /// One page of live sessions matching `filter`, most recently used
    /// first, after `after` (the last-seen time and sid of the previous
    /// page's last row): keyset pagination over an index.
    pub async fn sessions_page(
        &self,
        filter: &SessionFilter,
        after: Option<(i64, &SessionId)>,
        now: i64,
        limit: u64,
    ) -> Result<Vec<SessionListing>, StoreError> {
        let mut select = sessions::Entity::find()
            .filter(sessions::Column::IdleExpiresAt.gt(now))
            .filter(sessions::Column::AbsoluteExpiresAt.gt(now))
            .order_by_desc(sessions::Column::LastSeenAt)
            .order_by_desc(sessions::Column::Sid)
            .limit(limit);
        if let Some(user) = &filter.user {
            select = select.filter(sessions::Column::UserId.eq(user.as_str()));
        }
        if let Some(ip) = &filter.ip {
            select = select.filter(sessions::Column::Ip.eq(ip.as_str()));
        }
        if let Some(client) = &filter.client {
            // Correlated, so the scan follows the last-seen index and stops
            // once the page is full, however many sessions the client has.
            let with_client = Query::select()
                .expr(Expr::val(1))
                .from(grants::Entity)
                .and_where(
                    Expr::col((grants::Entity, grants::Column::SessionSid))
                        .equals((sessions::Entity, sessions::Column::Sid)),
                )
                .and_where(
                    Expr::col((grants::Entity, grants::Column::ClientId)).eq(client.as_str()),
                )
                .to_owned();
            select = select.filter(Expr::exists(with_client));
        }
        if let Some((last_seen, sid)) = after {
            // The redundant bound is what an index range starts from; the
            // disjunction alone would be a filter over every newer row.
            select = select.filter(sessions::Column::LastSeenAt.lte(last_seen));
            select = select.filter(
                Condition::any()
                    .add(sessions::Column::LastSeenAt.lt(last_seen))
                    .add(
                        Condition::all()
                            .add(sessions::Column::LastSeenAt.eq(last_seen))
                            .add(sessions::Column::Sid.lt(sid.as_str())),
                    ),
            );
        }
        let rows = select.all(&self.db).await?;
        self.listings(rows).await
    }

    /// How many sessions are live.
    pub async fn count_live_sessions(&self, now: i64) -> Result<u64, StoreError> {
        Ok(sessions::Entity::find()
            .filter(sessions::Column::IdleExpiresAt.gt(now))
            .filter(sessions::Column::AbsoluteExpiresAt.gt(now))
            .count(&self.db)
            .await?)
    }

    /// Rows with their users' names and the clients that got tokens in them.
    async fn listings(
        &self,
        rows: Vec<sessions::Model>,
    ) -> Result<Vec<SessionListing>, StoreError> {
        let sids: Vec<String> = rows.iter().map(|r| r.sid.clone()).collect();
        let mut clients: BTreeMap<String, Vec<ClientId>> = BTreeMap::new();
        if !sids.is_empty() {
            let pairs: Vec<(Option<String>, String)> = grants::Entity::find()
                .select_only()
                .column(grants::Column::SessionSid)
                .column(grants::Column::ClientId)
                .distinct()
                .filter(grants::Column::SessionSid.is_in(sids))
                .order_by_asc(grants::Column::ClientId)
                .into_tuple()
                .all(&self.db)
                .await?;
            for (sid, client) in pairs {
                if let (Some(sid), Ok(client)) = (sid, ClientId::parse(&client)) {
                    clients.entry(sid).or_default().push(client);
                }
            }
        }
        let user_ids: BTreeSet<String> = rows.iter().map(|r| r.user_id.clone()).collect();
        let usernames: BTreeMap<String, String> = if user_ids.is_empty() {
            BTreeMap::new()
        } else {
            users::Entity::find()
                .select_only()
                .column(users::Column::Id)
                .column(users::Column::Username)
                .filter(users::Column::Id.is_in(user_ids))
                .into_tuple::<(String, String)>()
                .all(&self.db)
                .await?
                .into_iter()
                .collect()
        };
        // A row that cannot be read is left out (and logged), never the list.
        Ok(rows
            .into_iter()
            .filter_map(|row| {
                let sid = row.sid.clone();
                let session = Session::try_from(row)
                    .map_err(|err| tracing::error!(%sid, error = %err, "a stored session cannot be read"))
                    .ok()?;
                Some(SessionListing {
                    clients: clients.remove(session.sid.as_str()).unwrap_or_default(),
                    username: usernames
                        .get(session.user_id.as_str())
                        .cloned()
                        .unwrap_or_default(),
                    session,
                })
            })
            .collect())
    }
}

impl Unit<'_> {
    /// End the sessions `target` names, as part of this unit: delete them;
    /// if `revoke_grants`, revoke the grants issued under them (for a whole
    /// user: every grant of the user); and queue a back-channel notice for
    /// each client with a back-channel URI that received tokens in them. A
    /// session counts as ended by the caller whose DELETE returned it, so of
    /// two concurrent callers ending the same session only one queues its
    /// notices.
    pub async fn end_sessions(
        &mut self,
        target: &EndTarget,
        revoke_grants: bool,
        now: i64,
    ) -> Result<SessionsEnded, StoreError> {
        let txn = &self.txn;
        let delete = sessions::Entity::delete_many();
        let deleted = match target {
            EndTarget::Session(sid) => {
                delete
                    .filter(sessions::Column::Sid.eq(sid.as_str()))
                    .exec_with_returning(txn)
                    .await?
            }
            EndTarget::User(user) => {
                delete
                    .filter(sessions::Column::UserId.eq(user.as_str()))
                    .exec_with_returning(txn)
                    .await?
            }
            EndTarget::OtherSessions { user, keep_sid } => {
                delete
                    .filter(sessions::Column::UserId.eq(user.as_str()))
                    .filter(sessions::Column::Sid.ne(keep_sid.as_str()))
                    .exec_with_returning(txn)
                    .await?
            }
            EndTarget::Expired { limit } => {
                // One statement, so that the transaction writes first: one
                // that read before writing could find its snapshot stale
                // when another ending commits meanwhile (SQLite refuses it).
                let due = Query::select()
                    .column(sessions::Column::IdHash)
                    .from(sessions::Entity)
                    .cond_where(expired(now))
                    .limit(*limit)
                    .to_owned();
                delete
                    .filter(sessions::Column::IdHash.in_subquery(due))
                    .exec_with_returning(txn)
                    .await?
            }
            EndTarget::All => delete.exec_with_returning(txn).await?,
        };
        let ended: Vec<EndedSession> = deleted
            .into_iter()
            .map(|row| EndedSession {
                sid: SessionId::from_trusted(row.sid),
                user_id: UserId::from_trusted(row.user_id),
            })
            .collect();
        let sids: Vec<String> = ended.iter().map(|s| s.sid.to_string()).collect();

        let mut revoked: Vec<String> = Vec::new();
        if revoke_grants {
            match target {
                EndTarget::User(user) => {
                    revoked =
                        revoke_grants_where(txn, grants::Column::UserId.eq(user.as_str()), now)
                            .await?;
                }
                _ => {
                    for chunk in sids.chunks(CHUNK) {
                        revoked.extend(
                            revoke_grants_where(
                                txn,
                                grants::Column::SessionSid.is_in(chunk.to_vec()),
                                now,
                            )
                            .await?,
                        );
                    }
                }
            }
        }

        let mut notices = Vec::new();
        for chunk in sids.chunks(CHUNK) {
            notices.extend(notices_for(txn, chunk).await?);
        }
        for chunk in notices.chunks(CHUNK) {
            outbox::insert(txn, chunk, now).await?;
        }

        let summary = SessionsEnded {
            sessions: ended,
            families_revoked: revoked.len() as u64,
            notices_queued: notices.len() as u64,
        };
        for sid in sids {
            self.gateway(GatewayChange::Session(sid));
        }
        let until = self.store.grant_mark_expiry(now);
        let mut marks: Vec<Mark> = revoked.iter().map(|id| Mark::grant(id, until)).collect();
        if revoke_grants {
            marks.extend(
                summary
                    .sessions
                    .iter()
                    .map(|s| Mark::sid(s.sid.as_str(), until)),
            );
        }
        self.revoked(marks).await?;
        self.notices_queued |= !notices.is_empty();
        Ok(summary)
    }
}

/// One notice per (client with a back-channel URI, session) among the
/// grants made in sessions `sids`.
async fn notices_for(
    txn: &sea_orm::DatabaseTransaction,
    sids: &[String],
) -> Result<Vec<NewNotice>, StoreError> {
    let pairs: Vec<(String, Option<String>, String)> = grants::Entity::find()
        .select_only()
        .column(grants::Column::ClientId)
        .column(grants::Column::SessionSid)
        .column(grants::Column::UserId)
        .distinct()
        .filter(grants::Column::SessionSid.is_in(sids.to_vec()))
        .into_tuple()
        .all(txn)
        .await?;
    let client_ids: BTreeSet<String> = pairs.iter().map(|(c, _, _)| c.clone()).collect();
    if client_ids.is_empty() {
        return Ok(Vec::new());
    }
    let listening: BTreeSet<String> = clients::Entity::find()
        .select_only()
        .column(clients::Column::Id)
        .filter(clients::Column::Id.is_in(client_ids))
        .filter(clients::Column::BackchannelLogoutUri.is_not_null())
        .into_tuple::<String>()
        .all(txn)
        .await?
        .into_iter()
        .collect();
    Ok(pairs
        .into_iter()
        .filter(|(client, _, _)| listening.contains(client))
        .filter_map(|(client_id, sid, sub)| {
            sid.map(|sid| NewNotice {
                client_id,
                sid,
                sub,
            })
        })
        .collect())
}
