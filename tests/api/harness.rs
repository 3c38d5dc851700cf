//! The harness: a real Tessera on port 0 per test, with its own database,
//! reached through real HTTP clients. The issuer is served as
//! `auth.example.test` (reqwest's `resolve` points the names at 127.0.0.1),
//! with relying parties on `app1.example.test` and `app2.example.test`.
//!
//! `TESSERA_TEST_DATABASE=postgres` runs every test against PostgreSQL and
//! Redis (`TESSERA_TEST_POSTGRES_URL`, `TESSERA_TEST_REDIS_URL`); otherwise
//! each test gets a fresh SQLite file and the in-process ephemeral store.
//! Tests named `…_on_postgres_and_redis` run on both servers whatever the
//! backend of the run.

use std::io::Write;
use std::net::{SocketAddr, TcpListener};
use std::sync::Arc;
use std::time::Duration;

use actix_web::dev::ServerHandle;
use actix_web::web;
use reqwest::cookie::Jar;
use reqwest::redirect::Policy;
use sea_orm::{ConnectionTrait, Database};
use tessera::admin::clients::{CreatedClient, NewClient, create_client};
use tessera::admin::users::{NewUser, create_user};
use tessera::clock::{Clock, ManualClock};
use tessera::config::Settings;
use tessera::domain::crypto::{Pepper, random_token};
use tessera::domain::{GrantType, RedirectUriPolicy, Secret, User};
use tessera::startup::{Application, Services, open_services};
use tessera::state::AppState;
use url::Url;

use crate::helpers::*;

/// Which database backs the test run.
fn use_postgres() -> bool {
    match std::env::var("TESSERA_TEST_DATABASE").as_deref() {
        Ok("postgres") => true,
        Ok("sqlite") | Err(_) => false,
        Ok(other) => panic!("TESSERA_TEST_DATABASE must be sqlite or postgres, not {other}"),
    }
}

/// A database that exists for one test and is removed afterwards.
pub enum TestDatabase {
    Sqlite { path: std::path::PathBuf },
    Postgres { admin_url: String, name: String },
}

impl TestDatabase {
    /// A fresh PostgreSQL database, whatever the backend of this test run.
    pub async fn postgres() -> (Self, String) {
        Self::create_on(true).await
    }

    pub async fn create_on(postgres: bool) -> (Self, String) {
        if postgres {
            let admin_url = std::env::var("TESSERA_TEST_POSTGRES_URL")
                .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into());
            Self::postgres_at(admin_url).await
        } else {
            let id = uuid::Uuid::new_v4().simple().to_string();
            let dir = std::env::temp_dir().join("tessera-tests");
            std::fs::create_dir_all(&dir).expect("temp dir");
            let path = dir.join(format!("{id}.db"));
            let url = format!("sqlite://{}?mode=rwc", path.display());
            (TestDatabase::Sqlite { path }, url)
        }
    }

    /// A fresh database on the PostgreSQL server that `admin_url` reaches.
    pub async fn postgres_at(admin_url: String) -> (Self, String) {
        let name = format!("tessera_test_{}", uuid::Uuid::new_v4().simple());
        let admin = Database::connect(&admin_url)
            .await
            .unwrap_or_else(|e| panic!("PostgreSQL at {admin_url} is required: {e}"));
        admin
            .execute_unprepared(&format!("CREATE DATABASE \"{name}\""))
            .await
            .expect("create test database");
        admin.close().await.expect("close admin connection");
        let mut url = Url::parse(&admin_url).expect("postgres url");
        url.set_path(&name);
        (TestDatabase::Postgres { admin_url, name }, url.to_string())
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        match self {
            TestDatabase::Sqlite { path } => {
                for suffix in ["", "-wal", "-shm"] {
                    let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
                }
            }
            TestDatabase::Postgres { admin_url, name } => {
                let (admin_url, name) = (admin_url.clone(), name.clone());
                // Drop runs inside the test's runtime; use a thread with its own.
                let _ = std::thread::spawn(move || {
                    let runtime = tokio::runtime::Builder::new_current_thread()
                        .enable_all()
                        .build()?;
                    runtime.block_on(async move {
                        if let Ok(admin) = Database::connect(&admin_url).await {
                            let _ = admin
                                .execute_unprepared(&format!(
                                    "DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"
                                ))
                                .await;
                            let _ = admin.close().await;
                        }
                    });
                    Ok::<(), std::io::Error>(())
                })
                .join();
            }
        }
    }
}

pub struct TestApp {
    pub issuer: String,
    /// Where this instance answers: the issuer's host with this instance's
    /// port (replicas listen on ports of their own).
    pub base: String,
    pub port: u16,
    pub services: Services,
    pub settings: Settings,
    /// The app's clock: it stands still until a test moves it.
    pub clock: Arc<ManualClock>,
    /// The running app's state, to drive its protocol core directly.
    pub state: web::Data<AppState>,
    pub handle: ServerHandle,
    /// The instance's `run_until_stopped`, to wait for a real stop.
    serving: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
    /// Its listening socket, kept for a restart on the same port.
    listener: Option<TcpListener>,
    database: Option<TestDatabase>,
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

/// Start Tessera with default test settings, adjusted by `configure`.
pub async fn spawn_app_with(configure: impl FnOnce(&mut Settings)) -> TestApp {
    spawn_app_on(use_postgres(), configure).await
}

/// Start Tessera on PostgreSQL and Redis whatever the backend of this test
/// run: for tests of several replicas sharing them.
pub async fn spawn_replicated_app() -> TestApp {
    spawn_app_on(true, |_| {}).await
}

/// The same, with settings adjusted by `configure`.
pub async fn spawn_replicated_app_with(configure: impl FnOnce(&mut Settings)) -> TestApp {
    spawn_app_on(true, configure).await
}

async fn spawn_app_on(postgres: bool, configure: impl FnOnce(&mut Settings)) -> TestApp {
    let (database, database_url) = TestDatabase::create_on(postgres).await;
    spawn_app_on_database(database, database_url, configure).await
}

/// Start Tessera on `database` (reached at `database_url`) and, for
/// PostgreSQL, the tests' Redis.
pub async fn spawn_app_on_database(
    database: TestDatabase,
    database_url: String,
    configure: impl FnOnce(&mut Settings),
) -> TestApp {
    let postgres = matches!(database, TestDatabase::Postgres { .. });
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind port 0");
    let port = listener.local_addr().expect("local addr").port();
    let issuer = format!("http://{AUTH_HOST}:{port}");
    let redis_url = postgres.then(|| {
        std::env::var("TESSERA_TEST_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into())
    });
    let mut settings = Settings {
        issuer: issuer.clone(),
        database_url,
        redis_url,
        redis_prefix: format!("tessera-test:{}:", random_token(8)),
        cookie_domain: Some("example.test".into()),
        // The test relying parties listen on loopback addresses.
        backchannel_allowed_networks: vec!["127.0.0.0/8".parse().expect("network")],
        pepper: Some(Secret::new(random_token(32))),
        bootstrap_admin_password: Some(Secret::new("bootstrap-admin-password")),
        ..Settings::default()
    };
    configure(&mut settings);
    start(
        settings,
        listener,
        ManualClock::starting_now(),
        Some(database),
    )
    .await
}

/// Start Tessera with `settings` on `listener`, reading `clock`.
async fn start(
    settings: Settings,
    listener: TcpListener,
    clock: Arc<ManualClock>,
    database: Option<TestDatabase>,
) -> TestApp {
    let port = listener.local_addr().expect("local addr").port();
    // The socket stays bound while this instance lives and across a
    // restart, so no other test can take its port in between.
    let kept = listener.try_clone().expect("keep the listening socket");
    let app = Application::build_with(settings.clone(), listener, clock.clone())
        .await
        .expect("Tessera starts");
    let state = app.state();
    let handle = app.handle();
    let serving = tokio::spawn(app.run_until_stopped());
    let services = open_services(&settings, clock.clone())
        .await
        .expect("open services");
    TestApp {
        issuer: settings.issuer.clone(),
        base: format!("http://{AUTH_HOST}:{port}"),
        port,
        services,
        settings,
        clock,
        state,
        handle,
        serving: Some(serving),
        listener: Some(kept),
        database,
    }
}

impl TestApp {
    /// The current time of the app's clock.
    pub fn now(&self) -> i64 {
        self.clock.now()
    }

    /// Stop this instance as a shutdown does: no more requests, background
    /// work finished or cut off, `run_until_stopped` returned.
    pub async fn stop(&mut self) {
        self.handle.stop(true).await;
        if let Some(serving) = self.serving.take() {
            serving
                .await
                .expect("the server task")
                .expect("a clean stop");
        }
    }

    /// Stop this instance, then start a new one on the same database, Redis
    /// prefix, port and clock: a restart.
    pub async fn restart(mut self) -> TestApp {
        self.stop().await;
        let listener = self.listener.take().expect("the kept socket");
        let database = self.database.take();
        start(
            self.settings.clone(),
            listener,
            self.clock.clone(),
            database,
        )
        .await
    }

    /// Another replica on the same database and Redis (its own port and
    /// issuer URL host port are shared through `issuer`).
    pub async fn replica(&self) -> TestApp {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind port 0");
        start(self.settings.clone(), listener, self.clock.clone(), None).await
    }
}

/// A port of this test's own where nothing listens yet: connections to it
/// are refused, and no other test can take it (it stays bound) until
/// [`ClosedPort::open`] starts listening on it.
pub struct ClosedPort {
    socket: tokio::net::TcpSocket,
    pub port: u16,
}

impl ClosedPort {
    pub fn new() -> Self {
        let socket = tokio::net::TcpSocket::new_v4().expect("socket");
        socket
            .bind(SocketAddr::from(([127, 0, 0, 1], 0)))
            .expect("bind");
        let port = socket.local_addr().expect("addr").port();
        Self { socket, port }
    }

    /// Listen on it now.
    pub fn open(self) -> TcpListener {
        let listener = self.socket.listen(1024).expect("listen");
        let listener = listener.into_std().expect("std listener");
        listener.set_nonblocking(false).expect("blocking");
        listener
    }
}

/// What a test client needs to know about a registered client.
#[derive(Clone, Debug)]
pub struct TestClient {
    pub id: String,
    pub secret: Option<String>,
    pub redirect_uri: String,
}

impl TestApp {
    pub fn pepper(&self) -> &Pepper {
        &self.services.pepper
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub fn addr(&self) -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], self.port))
    }

    /// A new browser: its own cookie jar, no redirects followed.
    pub fn browser(&self) -> Browser {
        self.browser_with_headers(reqwest::header::HeaderMap::new())
    }

    /// A browser whose every request carries `headers`, as if a reverse
    /// proxy added them.
    pub fn browser_with_headers(&self, headers: reqwest::header::HeaderMap) -> Browser {
        let jar = Arc::new(Jar::default());
        let http = reqwest::Client::builder()
            .default_headers(headers)
            .redirect(Policy::none())
            .cookie_provider(jar.clone())
            .resolve(AUTH_HOST, self.addr())
            .timeout(Duration::from_secs(30))
            .build()
            .expect("http client");
        Browser {
            http,
            jar,
            issuer: self.base.clone(),
        }
    }

    /// A plain HTTP client for back-channel calls (token, userinfo, discovery).
    pub fn http(&self) -> reqwest::Client {
        reqwest::Client::builder()
            .redirect(Policy::none())
            .resolve(AUTH_HOST, self.addr())
            .timeout(Duration::from_secs(30))
            .build()
            .expect("http client")
    }

    pub async fn create_user(&self, username: &str) -> User {
        create_user(
            &self.services.store,
            self.state.provider.passwords(),
            NewUser {
                username: username.into(),
                password: Some(Secret::new(PASSWORD)),
                email: Some(format!("{username}@example.com")),
                email_verified: true,
                name: Some(format!("{username} Example")),
                given_name: Some(username.into()),
                family_name: Some("Example".into()),
                is_admin: false,
            },
            &tessera::domain::Actor::Cli,
            self.now(),
        )
        .await
        .expect("create user")
        .user
    }

    pub async fn create_client(&self, new: NewClient) -> TestClient {
        let redirect_uri = new.redirect_uris.first().cloned().unwrap_or_default();
        let CreatedClient { client, secret } = create_client(
            &self.services.store,
            self.pepper(),
            RedirectUriPolicy { allow_http: true },
            new,
            &tessera::domain::Actor::Cli,
            self.now(),
        )
        .await
        .expect("create client");
        TestClient {
            id: client.id.to_string(),
            secret: secret.map(|s| s.expose().to_string()),
            redirect_uri,
        }
    }

    /// A confidential, first-party client on `host` using client_secret_basic.
    pub async fn confidential_client(&self, id: &str, host: &str) -> TestClient {
        self.create_client(client_spec(id, host)).await
    }

    /// A public client (no secret, PKCE required) on `host`.
    pub async fn public_client(&self, id: &str, host: &str) -> TestClient {
        self.create_client(NewClient {
            public: true,
            ..client_spec(id, host)
        })
        .await
    }
}

/// A first-party confidential client with both grants, redirecting to `host`.
pub fn client_spec(id: &str, host: &str) -> NewClient {
    NewClient {
        id: Some(id.into()),
        name: format!("{id} app"),
        public: false,
        auth_method: None,
        redirect_uris: vec![format!("https://{host}/callback")],
        grant_types: vec![GrantType::AuthorizationCode, GrantType::RefreshToken],
        first_party: true,
        ..NewClient::default()
    }
}

/// Poll until `check` holds (background work such as outbox delivery).
pub async fn eventually<F, Fut>(what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    for _ in 0..200 {
        if check().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("timed out waiting for {what}");
}

/// Poll `check` for up to a second: a change must reach every replica
/// within that. The clock stands still meanwhile, so nothing remembered
/// expires on its own: only the change channel can make `check` hold.
pub async fn within_a_second<F, Fut>(what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(1);
    loop {
        if check().await {
            return;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "{what} within a second"
        );
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
}

/// Run `tessera --json <args>` against `app`'s database, with `stdin`.
pub fn tessera(app: &TestApp, args: &[&str], stdin: Option<&str>) -> std::process::Output {
    let dir = tempfile_dir();
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_tessera"));
    command
        .args(args)
        .current_dir(&dir)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("TESSERA_ISSUER", &app.issuer)
        .env("TESSERA_DATABASE_URL", &app.settings.database_url)
        .env(
            "TESSERA_PEPPER",
            app.settings.pepper.as_ref().expect("pepper").expose(),
        )
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    if let Some(domain) = &app.settings.cookie_domain {
        command.env("TESSERA_COOKIE_DOMAIN", domain);
    }
    if let Some(redis) = &app.settings.redis_url {
        command
            .env("TESSERA_REDIS_URL", redis)
            .env("TESSERA_REDIS_PREFIX", &app.settings.redis_prefix);
    }
    let mut child = command.spawn().expect("run tessera");
    if let Some(input) = stdin {
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(input.as_bytes())
            .expect("write stdin");
    }
    drop(child.stdin.take());
    let output = child.wait_with_output().expect("tessera finishes");
    let _ = std::fs::remove_dir_all(dir);
    output
}

pub fn tempfile_dir() -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("tessera-cli-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

/// One back-channel delivery pass of `app`, as its worker makes them.
pub async fn delivery_pass(
    app: &TestApp,
) -> Result<tessera::oauth::backchannel::DeliveryReport, tessera::oauth::OAuthError> {
    let never = std::sync::atomic::AtomicBool::new(false);
    app.state
        .provider
        .deliver_due_notices(&tessera::oauth::backchannel::DeliveryPass {
            clock: app.clock.as_ref(),
            concurrency: 16,
            stopping: &never,
        })
        .await
}

/// The `Retry-After` header of `response`, if any.
pub fn retry_after(response: &reqwest::Response) -> Option<String> {
    response
        .headers()
        .get("retry-after")
        .map(|v| v.to_str().unwrap_or_default().to_string())
}
