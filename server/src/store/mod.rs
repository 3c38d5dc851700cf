//! The only code that knows SQL or Redis. Repositories are `impl Store` blocks,
//! one file per aggregate, taking and returning domain types.
//!
//! Durable state (users, clients, keys, sessions, consents, grants, refresh
//! tokens) lives in the relational database; short-lived state (authorization
//! codes, pending authorization requests, login throttling) lives in the
//! [`Ephemeral`] store: in-process by default, Redis when configured, so
//! several replicas can share it.

mod admin_sessions;
mod apis;
mod apps;
mod audit;
mod beacon;
mod cache;
mod clients;
mod codes;
mod consents;
pub mod entities;
pub mod ephemeral;
mod error;
mod gateway;
mod grants;
mod group_commit;
mod groups;
mod keys;
mod opaque;
mod outbox;
mod pending;
mod revocations;
mod sessions;
mod startup_lock;
mod throttle;
mod unit;
mod users;

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{ConnectOptions, Database, DatabaseConnection};

use crate::clock::SharedClock;

pub use admin_sessions::ConsoleSession;
pub use apps::AppRules;
pub use audit::{AuditQuery, SignInCounts};
pub(crate) use cache::TtlCache;
pub use codes::CodeRedemption;
pub use consents::Consent;
pub use ephemeral::Ephemeral;
pub use error::StoreError;
pub use gateway::{GatewayChange, HEARTBEAT_EVERY as GATEWAY_HEARTBEAT_EVERY};
pub use group_commit::RotateOutcome;
pub use sessions::SessionFilter;
pub use startup_lock::StartupLock;
pub use unit::Unit;

/// Handle to both stores; cloning is shallow (pools inside).
#[derive(Clone, Debug)]
pub struct Store {
    db: DatabaseConnection,
    ephemeral: Ephemeral,
    local: Arc<Local>,
    /// The access-token lifetime: how long a revocation must be remembered
    /// for the fast check (see `revocations`).
    access_token_ttl: i64,
    /// What the caches below expire by.
    clock: SharedClock,
    /// With SQLite, the one writer: every write statement and transaction
    /// takes it first, so writers queue here, in order, instead of in
    /// SQLite's busy handler (which sleeps and retries, and made the tail
    /// of every write path). Readers never take it (WAL lets them read
    /// beside the writer). PostgreSQL writes concurrently without it.
    writer: Option<Arc<tokio::sync::Mutex<()>>>,
    /// With a SQLite file: how processes sharing it learn of each other's
    /// writes (see `beacon`).
    beacon: Option<Arc<beacon::Beacon>>,
}

/// A turn at writing, from [`Store::writing`]: ends when dropped, after the
/// write it was taken for.
pub(crate) struct WriteTurn {
    guard: Option<tokio::sync::OwnedMutexGuard<()>>,
    beacon: Option<Arc<beacon::Beacon>>,
}

impl Drop for WriteTurn {
    fn drop(&mut self) {
        self.guard.take();
        if let Some(beacon) = &self.beacon {
            beacon.announce();
        }
    }
}

/// The longest a write waits for the one writer before giving up with
/// `Unavailable` (a nested write would otherwise wait forever).
const WRITER_WAIT: Duration = Duration::from_secs(10);

/// What this process keeps beside the stores: caches of facts that never
/// change back (a revocation, a user's username), clients for a second, and
/// the outbox's doorbell.
#[derive(Debug)]
struct Local {
    revoked: cache::TtlCache<String, ()>,
    /// Access tokens (by `jti`) the database said were not revoked, for a
    /// second (without Redis only: see `revocations`).
    not_revoked: cache::TtlCache<String, ()>,
    usernames: users::UsernameCache,
    clients: cache::TtlCache<String, Option<crate::domain::Client>>,
    /// A client's view of an API, by "client\0identifier".
    resources: cache::TtlCache<String, Option<crate::domain::Resource>>,
    mark_trust: revocations::MarkTrust,
    outbox: tokio::sync::Notify,
    gateway: gateway::GatewayCaches,
    writes: group_commit::WriteQueue,
}

impl Local {
    fn new() -> Self {
        Self {
            revoked: cache::TtlCache::new("revocations", revocations::CACHED_REVOCATIONS),
            not_revoked: cache::TtlCache::new("not_revoked", revocations::CACHED_REVOCATIONS),
            usernames: users::UsernameCache::default(),
            clients: cache::TtlCache::new("clients", clients::CACHED_CLIENTS),
            resources: cache::TtlCache::new("resources", apis::CACHED_RESOURCES),
            mark_trust: revocations::MarkTrust::default(),
            outbox: tokio::sync::Notify::new(),
            gateway: gateway::GatewayCaches::default(),
            writes: group_commit::WriteQueue::default(),
        }
    }

    /// Forget every copy of what may change (not revocations, which never
    /// change back).
    fn forget_copies(&self) {
        self.not_revoked.clear();
        self.clients.clear();
        self.resources.clear();
        self.gateway.forget_everything();
    }
}

impl Store {
    pub fn new(
        db: DatabaseConnection,
        ephemeral: Ephemeral,
        access_token_ttl: i64,
        clock: SharedClock,
    ) -> Self {
        let writer = (db.get_database_backend() == sea_orm::DbBackend::Sqlite)
            .then(|| Arc::new(tokio::sync::Mutex::new(())));
        Self {
            db,
            ephemeral,
            local: Arc::new(Local::new()),
            access_token_ttl,
            clock,
            writer,
            beacon: None,
        }
    }

    /// Processes sharing the SQLite file `path` tell each other of their
    /// writes (see `beacon`).
    pub fn with_sqlite_file(mut self, path: &str) -> Self {
        self.beacon = Some(Arc::new(beacon::Beacon::beside(path)));
        self
    }

    /// This process is the server: it keeps its own writes to itself.
    pub fn serving(&self) {
        if let Some(beacon) = &self.beacon {
            beacon.stop_announcing();
        }
    }

    /// Before believing a copy: if another process wrote the database since
    /// this one last looked, forget every copy.
    pub(super) fn notice_other_writers(&self) {
        if let Some(beacon) = &self.beacon
            && beacon.moved()
        {
            self.local.forget_copies();
        }
    }

    /// Take the one writer (SQLite), held until the turn drops (which,
    /// outside the server, tells the server of the write); nothing to take
    /// with PostgreSQL.
    pub(crate) async fn writing(&self) -> Result<WriteTurn, StoreError> {
        let Some(writer) = &self.writer else {
            return Ok(WriteTurn {
                guard: None,
                beacon: None,
            });
        };
        let asked = std::time::Instant::now();
        let guard = tokio::time::timeout(WRITER_WAIT, writer.clone().lock_owned())
            .await
            .map_err(|_| StoreError::Unavailable("the database writer is busy".into()))?;
        crate::metrics::write_wait(asked.elapsed().as_secs_f64());
        Ok(WriteTurn {
            guard: Some(guard),
            beacon: self.beacon.clone(),
        })
    }

    /// The database pool: (connections open, of which idle).
    pub fn pool_usage(&self) -> (u32, usize) {
        match self.db.get_database_backend() {
            sea_orm::DbBackend::Sqlite => {
                let pool = self.db.get_sqlite_connection_pool();
                (pool.size(), pool.num_idle())
            }
            sea_orm::DbBackend::Postgres => {
                let pool = self.db.get_postgres_connection_pool();
                (pool.size(), pool.num_idle())
            }
            _ => (0, 0),
        }
    }

    /// The clock the store's caches and the in-process ephemeral store follow.
    pub fn clock(&self) -> &SharedClock {
        &self.clock
    }

    /// How many keys the ephemeral store holds (see [`Ephemeral::key_count`]).
    pub async fn ephemeral_key_count(&self) -> Result<u64, StoreError> {
        self.ephemeral.key_count().await
    }

    /// Whether codes, sign-in counters and revocation marks live in Redis,
    /// shared by every process, rather than in this process alone.
    pub fn ephemeral_is_shared(&self) -> bool {
        self.ephemeral.is_shared()
    }

    /// Wait until this process queues a back-channel notice (or is woken).
    pub async fn outbox_queued(&self) {
        self.local.outbox.notified().await;
    }

    fn ring_outbox(&self) {
        self.local.outbox.notify_one();
    }

    /// Take the start-up lock (see [`StartupLock`]).
    pub async fn startup_lock(&self) -> Result<StartupLock, StoreError> {
        StartupLock::acquire(&self.db).await
    }

    /// Take the lock around key rotation: one replica rotates at a time.
    pub async fn key_rotation_lock(&self) -> Result<StartupLock, StoreError> {
        StartupLock::acquire_key(&self.db, startup_lock::KEY_ROTATION).await
    }

    /// Ask both stores whether they answer.
    pub async fn ping(&self) -> Result<(), StoreError> {
        self.ping_database().await?;
        self.ping_ephemeral().await
    }

    /// Does the database answer?
    pub async fn ping_database(&self) -> Result<(), StoreError> {
        Ok(self.db.ping().await?)
    }

    /// Does the ephemeral store (Redis, when configured) answer?
    pub async fn ping_ephemeral(&self) -> Result<(), StoreError> {
        self.ephemeral.ping().await
    }
}

/// How long a request waits for a PostgreSQL connection (a new one
/// included) before it is answered 503.
pub const POSTGRES_DEADLINE: Duration = Duration::from_secs(1);

/// KiB of page cache per SQLite connection.
const SQLITE_CACHE_KIB: u32 = 512;

/// Open the database named by `url` (`sqlite://…` or `postgres://…`). For a
/// SQLite file, the parent directory is created and WAL journaling enabled.
pub async fn connect_database(url: &str) -> Result<DatabaseConnection, StoreError> {
    if let Some(path) = sqlite_file_path(url) {
        if let Some(parent) = Path::new(&path)
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
        {
            create_private_dir(parent).map_err(|e| {
                StoreError::Unavailable(format!("cannot create {}: {e}", parent.display()))
            })?;
        }
        restrict_sqlite_files(&path)
            .map_err(|e| StoreError::Unavailable(format!("cannot prepare {path}: {e}")))?;
    }
    let mut options = ConnectOptions::new(url);
    options
        .sqlx_logging(false)
        .connect_timeout(Duration::from_secs(5))
        .acquire_timeout(Duration::from_secs(10))
        .map_sqlx_sqlite_opts(|opts| {
            opts.create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                // Safe with WAL: a power cut may lose the last commits,
                // never the database.
                .synchronous(SqliteSynchronous::Normal)
                .busy_timeout(Duration::from_secs(10))
                .foreign_keys(true)
                // Each connection's page cache: SQLite's default of 2 MiB
                // on each of the pool's connections was 18 MiB of a
                // replica's memory once sessions outnumbered it; the
                // operating system caches the file for all of them.
                .pragma("cache_size", format!("-{SQLITE_CACHE_KIB}"))
        });
    if url.starts_with("sqlite:") {
        options.max_connections(8);
    } else {
        // A PostgreSQL that is down or restarting refuses connections; sqlx
        // retries until the acquire deadline, so the deadline is what a
        // request waits before its 503.
        options
            .max_connections(20)
            .connect_timeout(POSTGRES_DEADLINE)
            .acquire_timeout(POSTGRES_DEADLINE);
    }
    Database::connect(options).await.map_err(StoreError::from)
}

/// The file behind a `sqlite:` URL, if it names one (not `:memory:`).
pub fn sqlite_file_path(url: &str) -> Option<String> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next().unwrap_or_default();
    (!path.is_empty() && !path.contains(":memory:")).then(|| path.to_string())
}

/// A new directory is readable by its owner only; an existing one is left alone.
pub fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    if dir.is_dir() {
        return Ok(());
    }
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder.create(dir)
}

/// The database holds password hashes and sealed keys: create the file
/// readable by its owner only (SQLite gives its `-wal` and `-shm` files the
/// same mode), and take group and world access away from files made before.
#[cfg(unix)]
fn restrict_sqlite_files(path: &str) -> std::io::Result<()> {
    use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
    std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(false)
        .mode(0o600)
        .open(path)?;
    for suffix in ["", "-wal", "-shm"] {
        let file = format!("{path}{suffix}");
        if let Ok(meta) = std::fs::metadata(&file)
            && meta.permissions().mode() & 0o077 != 0
        {
            std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600))?;
            tracing::warn!(
                file,
                "restricted the database file to its owner (mode 0600)"
            );
        }
    }
    Ok(())
}

#[cfg(not(unix))]
fn restrict_sqlite_files(_path: &str) -> std::io::Result<()> {
    Ok(())
}

fn to_json<T: serde::Serialize>(value: &T) -> Result<String, StoreError> {
    serde_json::to_string(value).map_err(|e| StoreError::Corrupt(e.to_string()))
}

fn from_json<T: serde::de::DeserializeOwned>(what: &str, value: &str) -> Result<T, StoreError> {
    serde_json::from_str(value).map_err(|e| StoreError::Corrupt(format!("{what}: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_urls_name_their_file() {
        assert_eq!(
            sqlite_file_path("sqlite://./data/t.db?mode=rwc").as_deref(),
            Some("./data/t.db")
        );
        assert_eq!(
            sqlite_file_path("sqlite:data.db").as_deref(),
            Some("data.db")
        );
        assert_eq!(sqlite_file_path("sqlite::memory:"), None);
        assert_eq!(sqlite_file_path("postgres://localhost/x"), None);
    }
}
