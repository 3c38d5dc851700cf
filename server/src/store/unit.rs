//! One use case's writes, committed together or not at all: the change,
//! its audit record, the revocations it implies and the back-channel
//! notices it queues. What can only happen after the commit (revocation
//! marks reaching Redis, waking the outbox worker) happens in
//! [`Unit::commit`], and never undoes the commit if it fails.

use sea_orm::{DatabaseTransaction, TransactionTrait};

use super::revocations::Mark;
use super::{Store, StoreError, audit};
use crate::domain::AuditEvent;

pub struct Unit<'a> {
    pub(super) store: &'a Store,
    /// The one writer (SQLite), held until the commit or the rollback.
    writer: super::WriteTurn,
    pub(super) txn: DatabaseTransaction,
    /// Revocations made in this unit, to publish once it has committed.
    pub(super) marks: Vec<Mark>,
    /// Back-channel notices were queued: wake the worker after the commit.
    pub(super) notices_queued: bool,
    /// Clients changed: forget this process's copies after the commit.
    pub(super) changed_clients: Vec<String>,
    /// APIs or what clients may do with them changed: forget this
    /// process's copies after the commit.
    pub(super) changed_resources: bool,
    /// Forward-auth answers changed: forget them here and tell the other
    /// replicas after the commit.
    pub(super) gateway_changes: Vec<super::gateway::GatewayChange>,
}

impl std::fmt::Debug for Unit<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Unit")
            .field("marks", &self.marks.len())
            .finish_non_exhaustive()
    }
}

impl Store {
    /// Begin a use case's writes.
    pub async fn unit(&self) -> Result<Unit<'_>, StoreError> {
        let writer = self.writing().await?;
        Ok(Unit {
            store: self,
            writer,
            txn: self.db.begin().await?,
            marks: Vec::new(),
            notices_queued: false,
            changed_clients: Vec::new(),
            changed_resources: false,
            gateway_changes: Vec::new(),
        })
    }
}

impl Unit<'_> {
    /// Commit everything; then publish the revocations (best effort: the
    /// database already holds them, readers fall back to it) and wake the
    /// back-channel worker.
    pub async fn commit(self) -> Result<(), StoreError> {
        let Unit {
            store,
            writer,
            txn,
            marks,
            notices_queued,
            changed_clients,
            changed_resources,
            gateway_changes,
        } = self;
        txn.commit().await?;
        drop(writer);
        // A client's view of an API goes with the client.
        if changed_resources || !changed_clients.is_empty() {
            store.local.resources.clear();
        }
        for id in changed_clients {
            store.local.clients.remove(&id);
        }
        store.gateway_changed(&gateway_changes).await;
        store.publish_marks(&marks).await;
        if notices_queued {
            store.ring_outbox();
        }
        Ok(())
    }

    /// Write audit records as part of this unit.
    pub async fn audit(&mut self, events: &[AuditEvent]) -> Result<(), StoreError> {
        for chunk in events.chunks(500) {
            audit::insert(&self.txn, chunk).await?;
        }
        Ok(())
    }

    pub(super) fn forget_client(&mut self, id: &crate::domain::ClientId) {
        self.changed_clients.push(id.to_string());
    }

    /// Revocations made in this unit: queued for Redis in the same
    /// transaction (when Redis is used), published after the commit.
    pub(super) async fn revoked(&mut self, marks: Vec<Mark>) -> Result<(), StoreError> {
        if self.store.ephemeral.is_shared() {
            super::revocations::queue(&self.txn, &marks).await?;
        }
        self.marks.extend(marks);
        Ok(())
    }
}
