//! The writes on the token endpoint's hot path, refresh-token rotations and
//! the grants that code redemptions create, committed together.
//!
//! A rotation marks the old token used and stores its successor in one
//! transaction, and only if the old one was still unused (so a token
//! rotates exactly once however many requests present it). A grant is
//! stored with its first refresh token, and only while its session lives.
//!
//! With SQLite, where writes take turns at the one writer, the writes of
//! concurrent requests are committed together: each request queues its
//! write and waits for the writer; whoever gets it takes every write queued
//! by then and commits them as one transaction (one `UPDATE … WHERE used_at
//! IS NULL … RETURNING` marks the rotated tokens still unused, one `INSERT`
//! stores the grants, one `SELECT` finds which of their sessions live, one
//! `INSERT` stores every new refresh token). The batch runs as a task of its
//! own, so a request that goes away does not take the others' answers with
//! it. If the batch fails, each of its writes is tried alone, so one write
//! that cannot be stored fails by itself. PostgreSQL, which writes
//! concurrently, commits each write by itself; a rotation there is one
//! statement (an `UPDATE … RETURNING` feeding an `INSERT`), so one round
//! trip rather than four.

use std::collections::HashSet;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use sea_orm::ActiveValue::Set;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseTransaction, DbBackend, EntityTrait,
    QueryFilter, QuerySelect, Statement, TransactionTrait,
};
use tokio::sync::oneshot;

use super::entities::{grants, refresh_tokens, sessions};
use super::grants::{grant_model, refresh_model};
use super::{Store, StoreError, WriteTurn};
use crate::domain::{Grant, RefreshTokenRecord};

/// Writes committed in one transaction at most (the rest wait for the next).
const BATCH: usize = 256;

/// The result of trying to rotate a refresh token.
#[derive(Debug, PartialEq, Eq)]
pub enum RotateOutcome {
    Rotated,
    /// Someone used the token first: reuse.
    AlreadyUsed,
}

#[derive(Clone)]
enum Write {
    Rotation {
        old_hash: String,
        successor: RefreshTokenRecord,
    },
    Grant {
        grant: Grant,
        refresh: Option<RefreshTokenRecord>,
    },
}

#[derive(Debug, PartialEq, Eq)]
enum Written {
    Rotation(RotateOutcome),
    Grant,
    /// The grant's session ended before it was stored.
    SessionEnded,
}

struct Queued {
    ticket: u64,
    write: Write,
    answer: oneshot::Sender<Result<Written, StoreError>>,
}

/// Writes waiting for the writer (SQLite).
#[derive(Default)]
pub(super) struct WriteQueue {
    queued: Mutex<Vec<Queued>>,
    tickets: AtomicU64,
}

impl std::fmt::Debug for WriteQueue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WriteQueue").finish_non_exhaustive()
    }
}

impl WriteQueue {
    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Queued>> {
        self.queued.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn push(&self, write: Write) -> (u64, oneshot::Receiver<Result<Written, StoreError>>) {
        let ticket = self.tickets.fetch_add(1, Ordering::Relaxed);
        let (answer, answered) = oneshot::channel();
        self.lock().push(Queued {
            ticket,
            write,
            answer,
        });
        (ticket, answered)
    }

    fn take(&self) -> Vec<Queued> {
        let mut queued = self.lock();
        let first = queued.len().min(BATCH);
        let rest = queued.split_off(first);
        std::mem::replace(&mut *queued, rest)
    }

    /// Take back the write `ticket`, if no batch has taken it yet.
    fn withdraw(&self, ticket: u64) -> bool {
        let mut queued = self.lock();
        let before = queued.len();
        queued.retain(|q| q.ticket != ticket);
        queued.len() != before
    }
}

impl Store {
    /// Mark the refresh token `old_hash` used and store `successor`, if the
    /// old token was still unused.
    pub async fn rotate_refresh_token(
        &self,
        old_hash: &str,
        successor: &RefreshTokenRecord,
        now: i64,
    ) -> Result<RotateOutcome, StoreError> {
        if self.writer.is_none() {
            return self.rotate_in_one_statement(old_hash, successor, now).await;
        }
        let write = Write::Rotation {
            old_hash: old_hash.to_string(),
            successor: successor.clone(),
        };
        match self.write_batched(write, now).await? {
            Written::Rotation(outcome) => Ok(outcome),
            other => Err(StoreError::Corrupt(format!(
                "a rotation was answered as {other:?}"
            ))),
        }
    }

    /// A rotation as one statement (PostgreSQL): the successor is stored
    /// only if marking the old token used found it unused, and a statement
    /// is atomic, so no transaction is needed around it. A concurrent
    /// rotation of the same token waits for the row's lock and then finds
    /// it used.
    async fn rotate_in_one_statement(
        &self,
        old_hash: &str,
        successor: &RefreshTokenRecord,
        now: i64,
    ) -> Result<RotateOutcome, StoreError> {
        let statement = Statement::from_sql_and_values(
            DbBackend::Postgres,
            "WITH used AS (UPDATE refresh_tokens SET used_at = $1 \
               WHERE token_hash = $2 AND used_at IS NULL RETURNING token_hash) \
             INSERT INTO refresh_tokens \
               (token_hash, grant_id, client_id, scope, issued_at, expires_at, used_at) \
             SELECT $3, $4, $5, $6, $7, $8, NULL FROM used",
            [
                now.into(),
                old_hash.into(),
                successor.token_hash.as_str().into(),
                successor.grant_id.as_str().into(),
                successor.client_id.as_str().into(),
                successor.scope.to_string().into(),
                successor.issued_at.into(),
                successor.expires_at.into(),
            ],
        );
        let inserted = self.db.execute_raw(statement).await?.rows_affected();
        Ok(if inserted == 1 {
            RotateOutcome::Rotated
        } else {
            RotateOutcome::AlreadyUsed
        })
    }

    /// With SQLite, [`Store::create_grant`]: stored with the grants and
    /// rotations of concurrent requests.
    pub(super) async fn create_grant_batched(
        &self,
        grant: &Grant,
        refresh: Option<&RefreshTokenRecord>,
    ) -> Result<(), StoreError> {
        let write = Write::Grant {
            grant: grant.clone(),
            refresh: refresh.cloned(),
        };
        match self.write_batched(write, grant.created_at).await? {
            Written::Grant => Ok(()),
            Written::SessionEnded => Err(StoreError::SessionEnded),
            other => Err(StoreError::Corrupt(format!(
                "a grant was answered as {other:?}"
            ))),
        }
    }

    async fn write_batched(&self, write: Write, now: i64) -> Result<Written, StoreError> {
        if self.writer.is_none() {
            return self.commit_writes(&[&write], now).await.map(first);
        }
        let (ticket, mut answered) = self.local.writes.push(write);
        let interrupted = |_| Err(StoreError::Unavailable("the write was interrupted".into()));
        tokio::select! {
            // A batch took it while this request waited for the writer.
            answer = &mut answered => return answer.unwrap_or_else(interrupted),
            turn = self.writing() => match turn {
                Ok(turn) => {
                    let batch = self.local.writes.take();
                    if !batch.is_empty() {
                        let store = self.clone();
                        tokio::spawn(async move { store.run_batch(batch, now, turn).await });
                    }
                }
                // Never tried: take it back. Otherwise a batch has it.
                Err(err) if self.local.writes.withdraw(ticket) => return Err(err),
                Err(_) => {}
            },
        }
        answered.await.unwrap_or_else(interrupted)
    }

    async fn run_batch(&self, batch: Vec<Queued>, now: i64, turn: WriteTurn) {
        let writes: Vec<&Write> = batch.iter().map(|q| &q.write).collect();
        let result = self.commit_writes(&writes, now).await;
        match result {
            Ok(outcomes) => {
                drop(turn);
                for (queued, outcome) in batch.into_iter().zip(outcomes) {
                    let _ = queued.answer.send(Ok(outcome));
                }
            }
            Err(err) if batch.len() == 1 => {
                drop(turn);
                if let Some(queued) = batch.into_iter().next() {
                    let _ = queued.answer.send(Err(err));
                }
            }
            // One of them may be at fault: each alone, still on this turn.
            Err(_) => {
                for queued in batch {
                    let alone = self.commit_writes(&[&queued.write], now).await;
                    let _ = queued.answer.send(alone.map(first));
                }
                drop(turn);
            }
        }
    }

    /// One transaction for `writes`: the outcome of each, in order.
    async fn commit_writes(&self, writes: &[&Write], now: i64) -> Result<Vec<Written>, StoreError> {
        let txn = self.db.begin().await?;
        let mut unused = mark_used(&txn, writes, now).await?;
        let ended = store_grants(&txn, writes).await?;
        let mut outcomes = Vec::with_capacity(writes.len());
        let mut tokens = Vec::new();
        for write in writes {
            match write {
                // The first to present an unused token rotates it; the rest reuse it.
                Write::Rotation {
                    old_hash,
                    successor,
                } => {
                    if unused.remove(old_hash) {
                        outcomes.push(Written::Rotation(RotateOutcome::Rotated));
                        tokens.push(refresh_model(successor));
                    } else {
                        outcomes.push(Written::Rotation(RotateOutcome::AlreadyUsed));
                    }
                }
                Write::Grant { grant, .. } if ended.contains(&grant.id) => {
                    outcomes.push(Written::SessionEnded);
                }
                Write::Grant { refresh, .. } => {
                    outcomes.push(Written::Grant);
                    tokens.extend(refresh.iter().map(refresh_model));
                }
            }
        }
        match tokens.len() {
            0 => {}
            1 => {
                tokens.remove(0).insert(&txn).await?;
            }
            _ => {
                refresh_tokens::Entity::insert_many(tokens)
                    .exec(&txn)
                    .await?;
            }
        }
        txn.commit().await?;
        Ok(outcomes)
    }
}

fn first(mut outcomes: Vec<Written>) -> Written {
    outcomes.remove(0)
}

/// Mark the rotated tokens used where they were unused: the hashes marked.
async fn mark_used(
    txn: &DatabaseTransaction,
    writes: &[&Write],
    now: i64,
) -> Result<HashSet<String>, StoreError> {
    let mut olds: Vec<String> = writes
        .iter()
        .filter_map(|w| match w {
            Write::Rotation { old_hash, .. } => Some(old_hash.clone()),
            Write::Grant { .. } => None,
        })
        .collect();
    if olds.is_empty() {
        return Ok(HashSet::new());
    }
    olds.sort();
    olds.dedup();
    Ok(refresh_tokens::Entity::update_many()
        .set(refresh_tokens::ActiveModel {
            used_at: Set(Some(now)),
            ..Default::default()
        })
        .filter(refresh_tokens::Column::TokenHash.is_in(olds))
        .filter(refresh_tokens::Column::UsedAt.is_null())
        .exec_with_returning(txn)
        .await?
        .into_iter()
        .map(|row| row.token_hash)
        .collect())
}

/// Store the grants, then read their sessions under a share lock: either
/// ending a session waits for this transaction and then revokes the new
/// grants with the others, or this one sees the session gone and takes its
/// grants back. The ids of the grants taken back.
async fn store_grants(
    txn: &DatabaseTransaction,
    writes: &[&Write],
) -> Result<HashSet<String>, StoreError> {
    let grants: Vec<&Grant> = writes
        .iter()
        .filter_map(|w| match w {
            Write::Grant { grant, .. } => Some(grant),
            Write::Rotation { .. } => None,
        })
        .collect();
    if grants.is_empty() {
        return Ok(HashSet::new());
    }
    let models = grants
        .iter()
        .map(|g| grant_model(g))
        .collect::<Result<Vec<_>, _>>()?;
    grants::Entity::insert_many(models).exec(txn).await?;
    let mut sids: Vec<&str> = grants
        .iter()
        .filter_map(|g| g.session_sid.as_ref().map(|s| s.as_str()))
        .collect();
    if sids.is_empty() {
        return Ok(HashSet::new());
    }
    sids.sort_unstable();
    sids.dedup();
    let live: HashSet<String> = sessions::Entity::find()
        .select_only()
        .column(sessions::Column::Sid)
        .filter(sessions::Column::Sid.is_in(sids))
        .lock_shared()
        .into_tuple::<String>()
        .all(txn)
        .await?
        .into_iter()
        .collect();
    let ended: HashSet<String> = grants
        .iter()
        .filter(|g| {
            g.session_sid
                .as_ref()
                .is_some_and(|s| !live.contains(s.as_str()))
        })
        .map(|g| g.id.clone())
        .collect();
    if !ended.is_empty() {
        grants::Entity::delete_many()
            .filter(grants::Column::Id.is_in(ended.iter().cloned()))
            .exec(txn)
            .await?;
    }
    Ok(ended)
}
