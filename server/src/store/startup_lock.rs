//! Start-up work that must happen once per database (migrations, the first
//! signing keys) is done under a lock, so replicas that start together on one
//! PostgreSQL database take turns instead of racing. SQLite serves a single
//! process and needs none.

use sea_orm::{
    ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbBackend, TransactionTrait,
};

use super::StoreError;

/// Key of the PostgreSQL advisory lock ("tessera" in ASCII).
const LOCK_KEY: i64 = 0x0074_6573_7365_7261;
/// Key of the lock around key rotation ("tesskey" in ASCII).
pub(super) const KEY_ROTATION: i64 = 0x0074_6573_736b_6579;

/// Held until [`StartupLock::release`], or until dropped (the transaction
/// then rolls back, which releases the lock as well).
pub struct StartupLock(Option<DatabaseTransaction>);

impl StartupLock {
    /// Wait until no other process holds the lock, then take it.
    pub async fn acquire(db: &DatabaseConnection) -> Result<Self, StoreError> {
        Self::acquire_key(db, LOCK_KEY).await
    }

    /// The same, for another lock.
    pub(super) async fn acquire_key(db: &DatabaseConnection, key: i64) -> Result<Self, StoreError> {
        if db.get_database_backend() != DbBackend::Postgres {
            return Ok(Self(None));
        }
        let txn = db.begin().await?;
        txn.execute_unprepared(&format!("SELECT pg_advisory_xact_lock({key})"))
            .await?;
        Ok(Self(Some(txn)))
    }

    pub async fn release(self) -> Result<(), StoreError> {
        if let Some(txn) = self.0 {
            txn.commit().await?;
        }
        Ok(())
    }
}
