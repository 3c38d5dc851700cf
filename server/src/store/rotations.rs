//! Refresh-token rotation: the old token is marked used and its successor
//! stored, in one transaction, and only if the old one was still unused
//! (so a token rotates exactly once however many requests present it).
//!
//! With SQLite, where writes take turns at the one writer, the rotations
//! of concurrent requests are committed together: each request queues its
//! rotation and waits for the writer; whoever gets it takes every rotation
//! queued by then and commits them as one transaction (one `UPDATE … WHERE
//! used_at IS NULL … RETURNING` marks the tokens still unused, one `INSERT`
//! stores their successors). The batch runs as a task of its own, so a
//! request that goes away does not take the others' answers with it.
//! PostgreSQL, which writes concurrently, commits each rotation by itself.

use std::collections::HashSet;
use std::sync::Mutex;

use sea_orm::ActiveValue::Set;
use sea_orm::{ActiveModelTrait, ColumnTrait, DbErr, EntityTrait, QueryFilter, TransactionTrait};
use tokio::sync::oneshot;

use super::entities::refresh_tokens;
use super::grants::refresh_model;
use super::{Store, StoreError, WriteTurn};
use crate::domain::RefreshTokenRecord;

/// Rotations committed in one transaction at most (the rest wait for the next).
const BATCH: usize = 256;

/// The result of trying to rotate a refresh token.
#[derive(Debug, PartialEq, Eq)]
pub enum RotateOutcome {
    Rotated,
    /// Someone used the token first: reuse.
    AlreadyUsed,
}

struct Rotation {
    old_hash: String,
    successor: RefreshTokenRecord,
    answer: oneshot::Sender<Result<RotateOutcome, StoreError>>,
}

/// Rotations waiting for the writer (SQLite).
#[derive(Default)]
pub(super) struct RotationQueue(Mutex<Vec<Rotation>>);

impl std::fmt::Debug for RotationQueue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RotationQueue").finish_non_exhaustive()
    }
}

impl RotationQueue {
    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Rotation>> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn push(&self, rotation: Rotation) {
        self.lock().push(rotation);
    }

    fn take(&self) -> Vec<Rotation> {
        let mut queued = self.lock();
        let first = queued.len().min(BATCH);
        let rest = queued.split_off(first);
        std::mem::replace(&mut *queued, rest)
    }

    /// Take back the rotation whose successor is `successor_hash`, if no
    /// batch has taken it yet.
    fn withdraw(&self, successor_hash: &str) -> bool {
        let mut queued = self.lock();
        let before = queued.len();
        queued.retain(|r| r.successor.token_hash != successor_hash);
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
            let mut outcomes = self.commit_rotations(&[(old_hash, successor)], now).await?;
            return Ok(outcomes.remove(0));
        }
        let (answer, answered) = oneshot::channel();
        self.local.rotations.push(Rotation {
            old_hash: old_hash.to_string(),
            successor: successor.clone(),
            answer,
        });
        let interrupted = |_| {
            Err(StoreError::Unavailable(
                "the refresh token rotation was interrupted".into(),
            ))
        };
        let mut answered = answered;
        tokio::select! {
            // A batch took it while this request waited for the writer.
            answer = &mut answered => return answer.unwrap_or_else(interrupted),
            turn = self.writing() => match turn {
                Ok(turn) => {
                    let batch = self.local.rotations.take();
                    if !batch.is_empty() {
                        let store = self.clone();
                        tokio::spawn(async move { store.run_batch(batch, now, turn).await });
                    }
                }
                // Never tried: take it back. Otherwise a batch has it.
                Err(err) if self.local.rotations.withdraw(&successor.token_hash) => {
                    return Err(err);
                }
                Err(_) => {}
            },
        }
        answered.await.unwrap_or_else(interrupted)
    }

    async fn run_batch(&self, batch: Vec<Rotation>, now: i64, turn: WriteTurn) {
        let rotations: Vec<(&str, &RefreshTokenRecord)> = batch
            .iter()
            .map(|r| (r.old_hash.as_str(), &r.successor))
            .collect();
        let result = self.commit_rotations(&rotations, now).await;
        drop(turn);
        match result {
            Ok(outcomes) => {
                for (rotation, outcome) in batch.into_iter().zip(outcomes) {
                    let _ = rotation.answer.send(Ok(outcome));
                }
            }
            Err(err) => {
                for rotation in batch {
                    let _ = rotation.answer.send(Err(same_error(&err)));
                }
            }
        }
    }

    /// One transaction for `rotations` (old token hash, successor): the
    /// outcome of each, in order.
    async fn commit_rotations(
        &self,
        rotations: &[(&str, &RefreshTokenRecord)],
        now: i64,
    ) -> Result<Vec<RotateOutcome>, StoreError> {
        let txn = self.db.begin().await?;
        let mut olds: Vec<String> = rotations.iter().map(|(old, _)| old.to_string()).collect();
        olds.sort();
        olds.dedup();
        let mut unused: HashSet<String> = refresh_tokens::Entity::update_many()
            .set(refresh_tokens::ActiveModel {
                used_at: Set(Some(now)),
                ..Default::default()
            })
            .filter(refresh_tokens::Column::TokenHash.is_in(olds))
            .filter(refresh_tokens::Column::UsedAt.is_null())
            .exec_with_returning(&txn)
            .await?
            .into_iter()
            .map(|row| row.token_hash)
            .collect();
        let mut outcomes = Vec::with_capacity(rotations.len());
        let mut successors = Vec::new();
        for (old, successor) in rotations {
            // The first to present an unused token rotates it; the rest reuse it.
            if unused.remove(*old) {
                outcomes.push(RotateOutcome::Rotated);
                successors.push(refresh_model(successor));
            } else {
                outcomes.push(RotateOutcome::AlreadyUsed);
            }
        }
        match successors.len() {
            0 => {}
            1 => {
                successors.remove(0).insert(&txn).await?;
            }
            _ => {
                refresh_tokens::Entity::insert_many(successors)
                    .exec(&txn)
                    .await?;
            }
        }
        txn.commit().await?;
        Ok(outcomes)
    }
}

/// The error of a batch, for each rotation in it.
fn same_error(err: &StoreError) -> StoreError {
    match err {
        StoreError::NotFound => StoreError::NotFound,
        StoreError::Conflict => StoreError::Conflict,
        StoreError::SessionEnded => StoreError::SessionEnded,
        StoreError::Corrupt(what) => StoreError::Corrupt(what.clone()),
        StoreError::Unavailable(what) => StoreError::Unavailable(what.clone()),
        StoreError::Database(err) => StoreError::Database(DbErr::Custom(err.to_string())),
    }
}
