//! A real Tessera on port 0 per test, with its own database, reached through
//! real HTTP clients. The issuer is served as `auth.example.test` (reqwest's
//! `resolve` points the names at 127.0.0.1), with relying parties on
//! `app1.example.test` and `app2.example.test`.
//!
//! `TESSERA_TEST_DATABASE=postgres` runs every test against PostgreSQL and
//! Redis (`TESSERA_TEST_POSTGRES_URL`, `TESSERA_TEST_REDIS_URL`); otherwise
//! each test gets a fresh SQLite file and the in-process ephemeral store.

use std::io::Write;
use std::net::{SocketAddr, TcpListener};
use std::sync::Arc;
use std::time::Duration;

use actix_web::dev::ServerHandle;
use actix_web::web;
use reqwest::cookie::{CookieStore, Jar};
use reqwest::redirect::Policy;
use sea_orm::{ConnectionTrait, Database};
use tessera::admin::clients::{CreatedClient, NewClient, create_client};
use tessera::admin::users::{NewUser, create_user};
use tessera::clock::{Clock, ManualClock};
use tessera::config::Settings;
use tessera::domain::crypto::{Pepper, b64url, random_token, sha256};
use tessera::domain::{GrantType, RedirectUriPolicy, Secret, User};
use tessera::startup::{Application, Services, open_services};
use tessera::state::AppState;
use url::Url;

pub const AUTH_HOST: &str = "auth.example.test";
pub const APP1_HOST: &str = "app1.example.test";
pub const APP2_HOST: &str = "app2.example.test";
pub const PASSWORD: &str = "correct horse battery staple";

pub use crate::rp::*;

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
        let id = uuid::Uuid::new_v4().simple().to_string();
        if postgres {
            let admin_url = std::env::var("TESSERA_TEST_POSTGRES_URL")
                .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into());
            let name = format!("tessera_test_{id}");
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
        } else {
            let dir = std::env::temp_dir().join("tessera-tests");
            std::fs::create_dir_all(&dir).expect("temp dir");
            let path = dir.join(format!("{id}.db"));
            let url = format!("sqlite://{}?mode=rwc", path.display());
            (TestDatabase::Sqlite { path }, url)
        }
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

/// A PKCE pair: (verifier, S256 challenge).
pub fn pkce_pair() -> (String, String) {
    let verifier = random_token(32);
    let challenge = b64url(&sha256(verifier.as_bytes()));
    (verifier, challenge)
}

/// A browser-like client with a cookie jar.
pub struct Browser {
    pub http: reqwest::Client,
    pub jar: Arc<Jar>,
    /// Where it sends requests for the issuer.
    issuer: String,
}

/// Where a redirect went, parsed.
#[derive(Debug)]
pub struct Redirect {
    pub status: u16,
    pub location: Url,
}

impl Redirect {
    pub fn param(&self, name: &str) -> Option<String> {
        self.location
            .query_pairs()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.into_owned())
    }

    pub fn has_param(&self, name: &str) -> bool {
        self.param(name).is_some()
    }
}

/// The redirect a response makes; panics if it is not one.
pub fn redirect_of(response: &reqwest::Response, base: &str) -> Redirect {
    let status = response.status().as_u16();
    assert!(
        (300..400).contains(&status),
        "expected a redirect, got {status}"
    );
    let location = response
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .expect("a Location header");
    let location = Url::parse(base)
        .expect("base")
        .join(location)
        .expect("location url");
    Redirect { status, location }
}

/// The value of a hidden form field in one of Tessera's pages.
pub fn hidden_field(html: &str, name: &str) -> Option<String> {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html.find(&marker)? + marker.len();
    let end = html[start..].find('"')? + start;
    Some(html[start..end].to_string())
}

impl Browser {
    pub async fn get(&self, url: &str) -> reqwest::Response {
        self.http.get(url).send().await.expect("GET")
    }

    /// POST a form the way a browser posts one from Tessera's own pages:
    /// with the page's `Origin`.
    pub async fn post_form(&self, url: &str, form: &[(&str, &str)]) -> reqwest::Response {
        self.http
            .post(url)
            .header("origin", self.issuer.as_str())
            .form(form)
            .send()
            .await
            .expect("POST")
    }

    /// Start an authorization request and return where Tessera sends the browser.
    pub async fn authorize(&self, params: &[(&str, &str)]) -> reqwest::Response {
        let mut url = Url::parse(&format!("{}/authorize", self.issuer)).expect("url");
        url.query_pairs_mut().extend_pairs(params);
        self.get(url.as_str()).await
    }

    /// Load the login page at `login_url` and submit it with these credentials.
    pub async fn submit_login(
        &self,
        login_url: &str,
        username: &str,
        password: &str,
    ) -> reqwest::Response {
        let page = self.get(login_url).await;
        assert_eq!(page.status(), 200, "the login page loads");
        let html = page.text().await.expect("login html");
        let csrf = hidden_field(&html, "csrf_token").expect("a CSRF field");
        let mut form = vec![
            ("username", username),
            ("password", password),
            ("csrf_token", csrf.as_str()),
        ];
        let request = hidden_field(&html, "request");
        if let Some(request) = &request {
            form.push(("request", request.as_str()));
        }
        self.post_form(&format!("{}/login", self.issuer), &form)
            .await
    }

    /// Run an authorization request through to the client's callback,
    /// signing in on the way if Tessera asks. Returns the callback redirect.
    pub async fn authorize_through(&self, params: &[(&str, &str)], username: &str) -> Redirect {
        let response = self.authorize(params).await;
        let mut redirect = redirect_of(&response, &self.issuer);
        if redirect.location.path() == "/login" {
            let response = self
                .submit_login(redirect.location.as_str(), username, PASSWORD)
                .await;
            redirect = redirect_of(&response, &self.issuer);
        }
        redirect
    }

    /// The session cookie as it would be sent to `url`.
    pub fn cookies_for(&self, url: &str) -> String {
        self.jar
            .cookies(&Url::parse(url).expect("url"))
            .and_then(|v| v.to_str().ok().map(str::to_string))
            .unwrap_or_default()
    }
}

/// Authorization parameters for a confidential client with PKCE.
pub fn code_params<'a>(
    client: &'a TestClient,
    challenge: &'a str,
    state: &'a str,
    nonce: &'a str,
) -> Vec<(&'a str, &'a str)> {
    vec![
        ("response_type", "code"),
        ("client_id", client.id.as_str()),
        ("redirect_uri", client.redirect_uri.as_str()),
        ("scope", "openid profile email offline_access"),
        ("state", state),
        ("nonce", nonce),
        ("code_challenge", challenge),
        ("code_challenge_method", "S256"),
    ]
}

/// POST /token with HTTP Basic client authentication.
pub async fn token_request(
    app: &TestApp,
    client: &TestClient,
    form: &[(&str, &str)],
) -> reqwest::Response {
    let mut request = app.http().post(app.url("/token")).form(form);
    match &client.secret {
        Some(secret) => request = request.basic_auth(&client.id, Some(secret)),
        None => {
            let mut with_id = form.to_vec();
            with_id.push(("client_id", client.id.as_str()));
            request = app.http().post(app.url("/token")).form(&with_id);
        }
    }
    request.send().await.expect("token request")
}

/// Exchange `code` (with its PKCE verifier) at the token endpoint.
pub async fn exchange_code(
    app: &TestApp,
    client: &TestClient,
    code: &str,
    verifier: &str,
) -> reqwest::Response {
    token_request(
        app,
        client,
        &[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", &client.redirect_uri),
            ("code_verifier", verifier),
        ],
    )
    .await
}

/// Sign in `username` and exchange the code: the token response JSON.
pub async fn login_and_exchange(
    app: &TestApp,
    browser: &Browser,
    client: &TestClient,
    username: &str,
) -> serde_json::Value {
    login_and_exchange_scope(
        app,
        browser,
        client,
        username,
        "openid profile email offline_access",
    )
    .await
}

/// Sign in `username`, asking for `scope`, and exchange the code.
pub async fn login_and_exchange_scope(
    app: &TestApp,
    browser: &Browser,
    client: &TestClient,
    username: &str,
    scope: &str,
) -> serde_json::Value {
    let (verifier, challenge) = pkce_pair();
    let mut params = code_params(client, &challenge, "st", "n0nce");
    params.retain(|(k, _)| *k != "scope");
    params.push(("scope", scope));
    let redirect = browser.authorize_through(&params, username).await;
    let code = redirect.param("code").expect("a code");
    let response = exchange_code(app, client, &code, &verifier).await;
    assert_eq!(response.status(), 200, "the code exchange succeeds");
    response.json().await.expect("token json")
}

/// GET /userinfo with a bearer token.
pub async fn userinfo(app: &TestApp, access_token: &str) -> reqwest::Response {
    app.http()
        .get(app.url("/userinfo"))
        .bearer_auth(access_token)
        .send()
        .await
        .expect("userinfo")
}

/// The decoded JSON payload of a JWT (no verification: tests look inside).
pub fn jwt_payload(token: &str) -> serde_json::Value {
    use base64::Engine;
    let payload = token.split('.').nth(1).expect("a JWT payload");
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .expect("base64url");
    serde_json::from_slice(&bytes).expect("json payload")
}

pub fn jwt_header(token: &str) -> serde_json::Value {
    use base64::Engine;
    let header = token.split('.').next().expect("a JWT header");
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(header)
        .expect("base64url");
    serde_json::from_slice(&bytes).expect("json header")
}

/// A space-separated scope value as a sorted set (scope order carries no meaning).
pub fn scope_set(value: &serde_json::Value) -> std::collections::BTreeSet<String> {
    value
        .as_str()
        .unwrap_or_default()
        .split(' ')
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

/// The sorted set of the scopes in `value`.
pub fn scopes(value: &str) -> std::collections::BTreeSet<String> {
    scope_set(&serde_json::Value::String(value.into()))
}

/// POST /introspect as `caller` (HTTP Basic); the JSON answer.
pub async fn introspect(
    app: &TestApp,
    caller: &TestClient,
    token: &str,
    hint: Option<&str>,
) -> serde_json::Value {
    let mut form = vec![("token", token)];
    if let Some(hint) = hint {
        form.push(("token_type_hint", hint));
    }
    let response = app
        .http()
        .post(app.url("/introspect"))
        .basic_auth(&caller.id, caller.secret.as_ref())
        .form(&form)
        .send()
        .await
        .expect("introspect");
    assert_eq!(response.status(), 200, "introspection answers 200");
    assert_eq!(response.headers()["cache-control"], "no-store");
    response.json().await.expect("introspection json")
}

/// POST /revoke as `client` (HTTP Basic, or client_id for a public client).
pub async fn revoke(
    app: &TestApp,
    client: &TestClient,
    token: &str,
    hint: Option<&str>,
) -> reqwest::Response {
    let mut form = vec![("token", token)];
    if let Some(hint) = hint {
        form.push(("token_type_hint", hint));
    }
    let request = app.http().post(app.url("/revoke"));
    let request = match &client.secret {
        Some(secret) => request.basic_auth(&client.id, Some(secret)).form(&form),
        None => {
            form.push(("client_id", client.id.as_str()));
            request.form(&form)
        }
    };
    request.send().await.expect("revoke")
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

impl Browser {
    /// Press Sign out on Tessera's home page.
    pub async fn sign_out(&self) -> reqwest::Response {
        let home = self
            .get(&format!("{}/", self.issuer))
            .await
            .text()
            .await
            .expect("home page");
        let csrf = hidden_field(&home, "csrf_token").expect("a Sign out form");
        self.post_form(
            &format!("{}/logout", self.issuer),
            &[("csrf_token", csrf.as_str()), ("confirm", "yes")],
        )
        .await
    }
}

/// Is `browser` signed in? A silent (`prompt=none`) request for `client` answers.
pub async fn signed_in(browser: &Browser, client: &TestClient) -> bool {
    let (_, challenge) = pkce_pair();
    let mut params = code_params(client, &challenge, "s", "n");
    params.push(("prompt", "none"));
    let redirect = redirect_of(&browser.authorize(&params).await, "http://x");
    match redirect.param("error").as_deref() {
        None => redirect.has_param("code"),
        Some("login_required") => false,
        Some(other) => panic!("unexpected error {other}"),
    }
}

/// The status of a refresh with `token`.
pub async fn refresh_status(app: &TestApp, client: &TestClient, token: &str) -> u16 {
    token_request(
        app,
        client,
        &[("grant_type", "refresh_token"), ("refresh_token", token)],
    )
    .await
    .status()
    .as_u16()
}

/// A string member of a JSON body.
pub fn field(body: &serde_json::Value, name: &str) -> String {
    body[name]
        .as_str()
        .unwrap_or_else(|| panic!("{name} in {body}"))
        .to_string()
}

/// Answer the consent page `html` with `decision` (`approve` or `deny`).
pub async fn decide_consent(
    app: &TestApp,
    browser: &Browser,
    html: &str,
    decision: &str,
) -> Redirect {
    let csrf = hidden_field(html, "csrf_token").expect("csrf");
    let request = hidden_field(html, "request").expect("request");
    let response = browser
        .post_form(
            &app.url("/consent"),
            &[
                ("csrf_token", &csrf),
                ("request", &request),
                ("decision", decision),
            ],
        )
        .await;
    redirect_of(&response, &app.issuer)
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
