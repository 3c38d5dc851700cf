//! Faults to inject: a TCP proxy between Tessera and Redis that can cut
//! every connection and refuse new ones, then let them through again, as a
//! Redis that stopped answering and came back; wiping what one test's
//! Tessera keeps in Redis, as a Redis restarted empty; and a PostgreSQL
//! server of the tests' own, to stop and start.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use tokio::net::{TcpListener, TcpStream};
use tokio::task::AbortHandle;

/// Where the tests' Redis listens.
pub fn redis_url() -> String {
    std::env::var("TESSERA_TEST_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into())
}

fn redis_addr() -> String {
    let url = url::Url::parse(&redis_url()).expect("redis url");
    format!(
        "{}:{}",
        url.host_str().expect("redis host"),
        url.port().unwrap_or(6379)
    )
}

pub struct RedisProxy {
    addr: SocketAddr,
    up: Arc<AtomicBool>,
    /// Stalled: connections stay open and nothing goes through.
    stalled: tokio::sync::watch::Sender<bool>,
    connections: Arc<Mutex<Vec<AbortHandle>>>,
    accept: AbortHandle,
}

impl RedisProxy {
    pub async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let up = Arc::new(AtomicBool::new(true));
        let (stalled, _) = tokio::sync::watch::channel(false);
        let connections = Arc::new(Mutex::new(Vec::new()));
        let target = redis_addr();
        let accept = tokio::spawn({
            let (up, connections, stalled) = (up.clone(), connections.clone(), stalled.clone());
            async move {
                while let Ok((mut client, _)) = listener.accept().await {
                    if !up.load(Ordering::SeqCst) {
                        // Refused: the connection closes at once.
                        drop(client);
                        continue;
                    }
                    let target = target.clone();
                    let mut stall = stalled.subscribe();
                    let task = tokio::spawn(async move {
                        let stalled_now = *stall.borrow_and_update();
                        if stalled_now {
                            // Accepted, never answered.
                            std::future::pending::<()>().await;
                        }
                        if let Ok(mut server) = TcpStream::connect(&target).await {
                            tokio::select! {
                                _ = tokio::io::copy_bidirectional(&mut client, &mut server) => {}
                                _ = async {
                                    loop {
                                        if stall.changed().await.is_err() {
                                            std::future::pending::<()>().await;
                                        }
                                        let stalled_now = *stall.borrow();
                                        if stalled_now {
                                            break;
                                        }
                                    }
                                } => {
                                    // Both sockets stay open; nothing moves.
                                    std::future::pending::<()>().await;
                                }
                            }
                        }
                    });
                    connections
                        .lock()
                        .expect("connections")
                        .push(task.abort_handle());
                }
            }
        })
        .abort_handle();
        Self {
            addr,
            up,
            stalled,
            connections,
            accept,
        }
    }

    /// The URL Tessera is given instead of Redis's own.
    pub fn url(&self) -> String {
        format!("redis://{}", self.addr)
    }

    /// Redis stops answering: open connections break, new ones are refused.
    pub fn cut(&self) {
        self.up.store(false, Ordering::SeqCst);
        for connection in self.connections.lock().expect("connections").drain(..) {
            connection.abort();
        }
    }

    /// Redis hangs (as a stopped process or a lost network path): every
    /// connection, open or new, stays open and gets no answer.
    pub fn stall(&self) {
        self.stalled.send_replace(true);
    }

    /// Redis is back (with everything it held); stalled connections break,
    /// as the client's would once the network heals.
    pub fn restore(&self) {
        if self.stalled.send_replace(false) {
            for connection in self.connections.lock().expect("connections").drain(..) {
                connection.abort();
            }
        }
        self.up.store(true, Ordering::SeqCst);
    }
}

impl Drop for RedisProxy {
    fn drop(&mut self) {
        self.accept.abort();
        self.cut();
    }
}

/// A direct connection to the tests' Redis.
pub async fn redis() -> redis::aio::MultiplexedConnection {
    redis::Client::open(redis_url())
        .expect("redis url")
        .get_multiplexed_async_connection()
        .await
        .expect("Redis is required")
}

/// Delete every key under `prefix`: for that Tessera, Redis restarted empty.
pub async fn wipe_redis(prefix: &str) {
    let mut conn = redis().await;
    let keys: Vec<String> = redis::cmd("KEYS")
        .arg(format!("{prefix}*"))
        .query_async(&mut conn)
        .await
        .expect("KEYS");
    if !keys.is_empty() {
        let _: () = redis::cmd("DEL")
            .arg(&keys)
            .query_async(&mut conn)
            .await
            .expect("DEL");
    }
}

/// Does `key` (with `prefix`) exist in Redis?
pub async fn redis_has(prefix: &str, key: &str) -> bool {
    let mut conn = redis().await;
    let found: u64 = redis::cmd("EXISTS")
        .arg(format!("{prefix}{key}"))
        .query_async(&mut conn)
        .await
        .expect("EXISTS");
    found > 0
}

/// Set what a sync sets once every revocation mark is in Redis, as if a
/// short outage had not yet let it expire.
pub async fn mark_redis_complete(prefix: &str) {
    let mut conn = redis().await;
    let _: () = redis::cmd("SET")
        .arg(format!("{prefix}revoked:ready"))
        .arg("")
        .arg("PX")
        .arg(60_000)
        .query_async(&mut conn)
        .await
        .expect("SET");
}

/// A PostgreSQL cluster of the tests' own (`tessera_faults`, port 5439,
/// trust authentication on loopback), made with Debian's
/// `pg_createcluster` the first time and run with `pg_ctlcluster`, so that
/// a test can stop and start a real PostgreSQL server without touching the
/// one every other test shares. Needs root, as `.ci/run` has.
pub struct DedicatedPostgres {
    version: String,
}

impl DedicatedPostgres {
    const NAME: &str = "tessera_faults";
    const PORT: u16 = 5439;

    /// The cluster, created if missing and started if stopped.
    pub fn ensure() -> Self {
        let version = std::fs::read_dir("/etc/postgresql")
            .expect("Debian's PostgreSQL (/etc/postgresql) is required")
            .filter_map(Result::ok)
            .map(|entry| entry.file_name().to_string_lossy().into_owned())
            .max()
            .expect("a PostgreSQL version under /etc/postgresql");
        let cluster = DedicatedPostgres { version };
        if !std::path::Path::new(&format!(
            "/etc/postgresql/{}/{}",
            cluster.version,
            Self::NAME
        ))
        .exists()
        {
            run(std::process::Command::new("pg_createcluster").args([
                cluster.version.as_str(),
                Self::NAME,
                "--port",
                &Self::PORT.to_string(),
                "--",
                "--auth=trust",
            ]));
        }
        if !cluster.is_up() {
            cluster.start();
        }
        cluster
    }

    /// Where a test connects to create its database.
    pub fn admin_url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", Self::PORT)
    }

    fn ctl(&self, action: &str) -> std::process::Command {
        let mut command = std::process::Command::new("pg_ctlcluster");
        command.args([
            "--skip-systemctl-redirect",
            &self.version,
            Self::NAME,
            action,
        ]);
        command
    }

    fn is_up(&self) -> bool {
        self.ctl("status")
            .output()
            .map(|out| out.status.success())
            .unwrap_or(false)
    }

    /// Stop the server (fast mode: open transactions are rolled back and
    /// every connection closed), as an operator's restart begins.
    pub fn stop(&self) {
        run(&mut self.ctl("stop"));
    }

    pub fn start(&self) {
        run(&mut self.ctl("start"));
    }
}

fn run(command: &mut std::process::Command) {
    let output = command
        .output()
        .unwrap_or_else(|e| panic!("cannot run {command:?}: {e}"));
    assert!(
        output.status.success(),
        "{command:?} failed: {}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}
