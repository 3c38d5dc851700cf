//! Assembling the application: configuration in, a bound server out. Port 0
//! works (tests use it), and everything the server needs is built here once.

use std::net::TcpListener;
use std::sync::Arc;
use std::time::{Duration, Instant};

use actix_web::cookie::time::Duration as CookieDuration;
use actix_web::dev::{Server, ServerHandle};
use actix_web::middleware::{Condition, DefaultHeaders, NormalizePath, TrailingSlash};
use actix_web::{App, HttpServer, web};
use anyhow::Context;
use migration::{Migrator, MigratorTrait};
use tokio::task::JoinHandle;
use tracing_actix_web::TracingLogger;

use crate::admin::bootstrap::{self, Bootstrap};
use crate::clock::{SharedClock, SystemClock};
use crate::config::Settings;
use crate::domain::crypto::{Pepper, random_token};
use crate::domain::{Secret, SessionLifetimes};
use crate::http::{TrustedProxies, routes};
use crate::oauth::backchannel::BackchannelClient;
use crate::oauth::keys::{
    self, JWKS_MAX_AGE_SECS, KeySealer, KeySet, PUBLISH_AHEAD_SECS, RotationPolicy,
};
use crate::oauth::metadata;
use crate::oauth::passwords::PasswordService;
use crate::oauth::{LoginThrottle, PendingLimits, Provider, ProviderConfig};
use crate::state::{AppState, CookieSettings, WebSettings};
use crate::store::{
    Ephemeral, StartupLock, Store, connect_database, create_private_dir, sqlite_file_path,
};
use crate::telemetry::{REQUEST_ID, RequestId, RequestSpan};
use actix_web::HttpMessage;
use actix_web::dev::Service;
use actix_web::http::header::{HeaderName, HeaderValue};

/// Whole seconds of a configured duration.
fn secs(d: Duration) -> i64 {
    i64::try_from(d.as_secs()).unwrap_or(i64::MAX)
}

/// The stores and the pepper: what both the server and the CLI need.
pub struct Services {
    pub store: Store,
    pub pepper: Pepper,
}

/// What the commands that manage a deployment open: its database, which
/// must exist already. A command run from the wrong directory, or with the
/// wrong `database_url`, is refused with the path it looked at, rather than
/// creating an empty database nobody uses.
pub async fn open_existing_services(
    settings: &Settings,
    clock: SharedClock,
) -> anyhow::Result<Services> {
    let missing = |what: String| {
        anyhow::anyhow!(
            "no Tessera database at {what}: start the server (`tessera`) or run `tessera migrate` with this configuration first, or set database_url (TESSERA_DATABASE_URL) to the database the server uses"
        )
    };
    if let Some(path) = sqlite_file_path(&settings.database_url) {
        let path = std::path::Path::new(&path);
        if !path.is_file() {
            let shown = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
            return Err(missing(shown.display().to_string()));
        }
    } else {
        let db = connect_database(&settings.database_url)
            .await
            .with_context(|| "cannot open the database (setting `database_url`)")?;
        let applied = Migrator::get_applied_migrations_read_only(&db)
            .await
            .unwrap_or_default();
        db.close().await.ok();
        if applied.is_empty() {
            return Err(missing(shown_url(&settings.database_url)));
        }
    }
    open_services(settings, clock).await
}

/// A database URL without its password.
fn shown_url(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut parsed) => {
            if parsed.password().is_some() {
                let _ = parsed.set_password(Some("***"));
            }
            parsed.to_string()
        }
        Err(_) => "the configured database_url".to_string(),
    }
}

/// Connect to the database (running pending migrations) and the ephemeral
/// store, whose expiries and caches follow `clock`.
pub async fn open_services(settings: &Settings, clock: SharedClock) -> anyhow::Result<Services> {
    let pepper = resolve_pepper(settings)?;
    let db = connect_database(&settings.database_url)
        .await
        .with_context(|| "cannot open the database (setting `database_url`)")?;
    let lock = StartupLock::acquire(&db).await?;
    Migrator::up(&db, None)
        .await
        .context("database migration failed")?;
    lock.release().await?;
    let ephemeral = match &settings.redis_url {
        Some(url) => Ephemeral::redis(url, &settings.redis_prefix)
            .with_context(|| "invalid Redis URL (setting `redis_url`)")?,
        None => Ephemeral::memory(clock.clone()),
    };
    let mut store = Store::new(db, ephemeral, secs(settings.access_token_lifetime), clock);
    if let Some(path) = sqlite_file_path(&settings.database_url) {
        store = store.with_sqlite_file(&path);
    }
    Ok(Services { store, pepper })
}

/// When keys rotate and retire, from the configured lifetimes.
pub fn rotation_policy(settings: &Settings) -> RotationPolicy {
    RotationPolicy {
        publish_ahead: PUBLISH_AHEAD_SECS,
        // The longest a token signed by a key lives, plus the JWKS cache
        // time for good measure.
        retire_after: secs(settings.access_token_lifetime).max(secs(settings.id_token_lifetime))
            + JWKS_MAX_AGE_SECS,
        interval: secs(settings.key_rotation_interval),
    }
}

/// The configured pepper, or the one kept in `pepper_file` (created on first
/// start with 256 random bits, readable by the owner only).
fn resolve_pepper(settings: &Settings) -> anyhow::Result<Pepper> {
    let text = match &settings.pepper {
        Some(secret) => secret.expose().to_string(),
        None => {
            let path = &settings.pepper_file;
            if path.exists() {
                std::fs::read_to_string(path)
                    .with_context(|| {
                        format!("cannot read {} (setting `pepper_file`)", path.display())
                    })?
                    .trim()
                    .to_string()
            } else {
                let value = random_token(32);
                if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
                    create_private_dir(parent)?;
                }
                write_private(path, &value).with_context(|| {
                    format!("cannot write {} (setting `pepper_file`)", path.display())
                })?;
                value
            }
        }
    };
    Pepper::new(text.into_bytes())
        .context("invalid setting `pepper`: at least 32 bytes are required")
}

#[cfg(unix)]
fn write_private(path: &std::path::Path, value: &str) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    file.write_all(value.as_bytes())
}

#[cfg(not(unix))]
fn write_private(path: &std::path::Path, value: &str) -> std::io::Result<()> {
    std::fs::write(path, value)
}

/// Load the signing keys, generating one per algorithm that has none. Under
/// the start-up lock, so replicas starting together generate one set.
pub async fn load_keys(store: &Store, sealer: &KeySealer, now: i64) -> anyhow::Result<KeySet> {
    let lock = store.startup_lock().await?;
    let mut materials = store.signing_keys().await?;
    // Keys sealed before per-purpose keys existed: seal them anew.
    for material in materials
        .iter_mut()
        .filter(|m| KeySealer::is_legacy(&m.sealed_private_key))
    {
        let resealed = sealer.reseal(&material.kid, &material.sealed_private_key)?;
        store.reseal_signing_key(&material.kid, &resealed).await?;
        material.sealed_private_key = resealed;
        tracing::info!(kid = %material.kid, "resealed a signing key");
    }
    let missing = KeySet::missing_algorithms(&materials, now);
    if !missing.is_empty() {
        // Nobody can have cached a JWK set without them: they sign at once.
        let generated = tokio::task::spawn_blocking({
            let sealer = sealer.clone();
            move || {
                missing
                    .into_iter()
                    .map(|alg| keys::generate(alg, now, now, &sealer))
                    .collect::<Result<Vec<_>, _>>()
            }
        })
        .await??;
        store.insert_signing_keys(&generated).await?;
        tracing::info!(count = generated.len(), "generated signing keys");
        materials = store.signing_keys().await?;
    }
    lock.release().await?;
    Ok(KeySet::load(&materials, sealer)?)
}

pub struct Application {
    port: u16,
    server: Server,
    state: web::Data<AppState>,
    /// Back-channel delivery, which gets to finish what it began.
    delivery: JoinHandle<()>,
    stopping: Arc<background::Stopping>,
    /// Everything else that runs beside the server.
    tasks: Vec<JoinHandle<()>>,
    /// SIGINT and SIGTERM, listened for from before the server says it is
    /// ready (a signal in between would otherwise kill it outright); only a
    /// server built by [`Application::build`] (the `serve` command) has them.
    signals: Option<StopSignals>,
    /// The `/metrics` listener, when `metrics_bind` is set.
    metrics: Option<(Server, u16)>,
}

impl Application {
    /// Build the server listening on `settings.bind`.
    /// It stops gracefully on SIGINT and SIGTERM (see `run_until_stopped`).
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        let signals = StopSignals::listen().context("cannot listen for SIGINT and SIGTERM")?;
        let listener = TcpListener::bind(settings.bind)
            .with_context(|| format!("cannot listen on {} (setting `bind`)", settings.bind))?;
        let mut app = Self::build_with(settings, listener, SystemClock::shared()).await?;
        app.signals = Some(signals);
        Ok(app)
    }

    /// Build the server on an already bound listener (tests bind port 0 first,
    /// so the issuer URL can name the port), with the wall clock.
    pub async fn build_with_listener(
        settings: Settings,
        listener: TcpListener,
    ) -> anyhow::Result<Self> {
        Self::build_with(settings, listener, SystemClock::shared()).await
    }

    /// Build the server on a bound listener with the given clock.
    pub async fn build_with(
        settings: Settings,
        listener: TcpListener,
        clock: SharedClock,
    ) -> anyhow::Result<Self> {
        let started = Instant::now();
        settings.validate()?;
        let Services { store, pepper } = open_services(&settings, clock.clone()).await?;
        store.serving();
        if store.ephemeral_is_shared() {
            store
                .ping()
                .await
                .context("cannot reach Redis (setting `redis_url`)")?;
        }
        let now = clock.now();

        let keys = load_keys(&store, &KeySealer::new(pepper.clone()), now).await?;
        keys.self_test(&settings.issuer)
            .context("signing self-test failed")?;
        let queue = usize::try_from(settings.password_hash_queue).unwrap_or(usize::MAX);
        let passwords = PasswordService::new(num_hashers(), queue)?;
        announce_bootstrap(
            bootstrap::ensure_admin(
                &store,
                &passwords,
                settings.bootstrap_admin_password.clone(),
                now,
            )
            .await?,
        );

        let config = ProviderConfig {
            issuer: settings.issuer.clone(),
            code_lifetime: secs(settings.code_lifetime),
            access_token_lifetime: secs(settings.access_token_lifetime),
            id_token_lifetime: secs(settings.id_token_lifetime),
            refresh_token_lifetime: secs(settings.refresh_token_lifetime),
            sessions: SessionLifetimes {
                idle_secs: secs(settings.session_idle_lifetime),
                absolute_secs: secs(settings.session_absolute_lifetime),
            },
            pending_lifetime: 15 * 60,
            pending_limits: PendingLimits {
                per_ip: settings.max_pending_authorizations_per_ip,
                total: settings.max_pending_authorizations,
            },
            login_throttle: LoginThrottle {
                max_failures_per_account: settings.login_max_failures_per_account,
                max_failures_per_ip: settings.login_max_failures_per_ip,
                window: settings.login_failure_window,
            },
            key_rotation: rotation_policy(&settings),
            gateway_cookie: settings.cookie_domain.is_some(),
            backchannel_concurrency: usize::try_from(settings.backchannel_concurrency)
                .unwrap_or(1)
                .max(1),
        };
        let endpoints = routes::endpoints(&settings.issuer);
        let discovery_json =
            serde_json::to_string(&metadata::discovery(&settings.issuer, &endpoints)?)?;
        let web = WebSettings {
            issuer: settings.issuer.clone(),
            endpoints,
            cookies: CookieSettings {
                secure: settings.issuer_is_https(),
                domain: settings.cookie_domain.clone(),
                session_max_age: CookieDuration::seconds(config.sessions.absolute_secs),
            },
            trusted_proxies: TrustedProxies::new(settings.trusted_proxies.clone()),
            discovery_json,
            request_body_timeout: settings.request_body_timeout,
        };
        let backchannel = BackchannelClient::new(settings.backchannel_allowed_networks.clone())
            .context("cannot build the HTTP client")?;
        let provider = Provider::new(store, keys, config, pepper, passwords, backchannel);
        let state = web::Data::new(AppState {
            provider,
            web,
            clock,
        });

        let port = listener.local_addr()?.port();
        let static_dir = settings.static_dir.clone();
        let https = settings.issuer_is_https();
        let server = HttpServer::new({
            let state = state.clone();
            move || {
                let static_dir = static_dir.clone();
                App::new()
                    .wrap(security_headers())
                    .wrap(Condition::new(https, strict_transport_security()))
                    .wrap(NormalizePath::new(TrailingSlash::Trim))
                    .wrap(TracingLogger::<RequestSpan>::new())
                    // Outermost: the id exists before the request's log span.
                    .wrap_fn(|request, service| {
                        let id = RequestId::of(
                            request
                                .headers()
                                .get(REQUEST_ID)
                                .and_then(|v| v.to_str().ok()),
                        );
                        request.extensions_mut().insert(id.clone());
                        let answer = service.call(request);
                        async move {
                            let mut response = answer.await?;
                            if let Ok(value) = HeaderValue::from_str(&id.0) {
                                response
                                    .headers_mut()
                                    .insert(HeaderName::from_static(REQUEST_ID), value);
                            }
                            Ok(response)
                        }
                    })
                    .app_data(state.clone())
                    .app_data(web::PayloadConfig::new(64 * 1024))
                    .configure(move |cfg| routes::configure(cfg, static_dir.as_deref()))
            }
        })
        .listen(listener)?
        // SIGINT and SIGTERM both stop gracefully (see `run_until_stopped`);
        // actix's own handling would make SIGINT a forced shutdown.
        .disable_signals()
        .shutdown_timeout(SHUTDOWN_GRACE_SECS)
        .run();
        let metrics = match settings.metrics_bind {
            Some(address) => Some(metrics_server(address, state.clone())?),
            None => None,
        };
        let stopping = Arc::new(background::Stopping::default());
        let delivery = tokio::spawn(background::deliver_notices(state.clone(), stopping.clone()));
        let mut tasks = vec![
            tokio::spawn(background::sweep(state.clone())),
            tokio::spawn(background::reload_keys(state.clone())),
        ];
        if metrics.is_some() {
            tasks.push(tokio::spawn(background::metrics_upkeep(state.clone())));
        }
        if state.provider.store().ephemeral_is_shared() {
            tasks.push(tokio::spawn(background::sync_revocation_marks(
                state.clone(),
            )));
            tasks.push(tokio::spawn(background::listen_for_gateway_changes(
                state.clone(),
            )));
            tasks.push(tokio::spawn(background::gateway_heartbeat(state.clone())));
        }
        tracing::info!(
            issuer = %settings.issuer,
            port,
            elapsed_ms = started.elapsed().as_millis() as u64,
            "Tessera is ready"
        );
        Ok(Self {
            port,
            server,
            state,
            delivery,
            stopping,
            tasks,
            signals: None,
            metrics,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The port `/metrics` is served on, when `metrics_bind` is set.
    pub fn metrics_port(&self) -> Option<u16> {
        self.metrics.as_ref().map(|(_, port)| *port)
    }

    /// What the handlers share (tests drive the protocol core through it).
    pub fn state(&self) -> web::Data<AppState> {
        self.state.clone()
    }

    /// Stops the server (and so its background work) from outside.
    pub fn handle(&self) -> ServerHandle {
        self.server.handle()
    }

    /// Serve until stopped; the background work stops with the server.
    /// Back-channel attempts under way finish first (each has 5 seconds),
    /// so that a notice is not cut off mid-delivery and sent again later;
    /// no new one begins.
    ///
    /// SIGINT (Ctrl-C) and SIGTERM stop it the same way: no new
    /// connections, requests under way finish (for at most
    /// [`SHUTDOWN_GRACE_SECS`] seconds), then the background work stops.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let handle = self.server.handle();
        let signals = self.signals.map(|mut stop| {
            tokio::spawn(async move {
                let name = stop.next().await;
                tracing::info!(
                    signal = name,
                    "stopping: no new connections, requests under way finish"
                );
                handle.stop(true).await;
            })
        });
        let metrics = self.metrics.map(|(server, _)| {
            let handle = server.handle();
            (tokio::spawn(server), handle)
        });
        let result = self.server.await;
        if let Some(signals) = signals {
            signals.abort();
        }
        if let Some((server, handle)) = metrics {
            handle.stop(true).await;
            let _ = server.await;
        }
        self.stopping.stop();
        match tokio::time::timeout(background::DELIVERY_GRACE, self.delivery).await {
            Ok(_) => tracing::info!("back-channel delivery stopped"),
            Err(_) => tracing::warn!(
                "back-channel delivery cut off by the shutdown; its notices are due again after their lease"
            ),
        }
        for task in self.tasks {
            task.abort();
        }
        result
    }
}

/// `/metrics` for Prometheus on its own listener, one worker, nothing else.
fn metrics_server(
    address: std::net::SocketAddr,
    state: web::Data<AppState>,
) -> anyhow::Result<(Server, u16)> {
    crate::metrics::install().context("cannot install the metrics recorder")?;
    let listener = TcpListener::bind(address)
        .with_context(|| format!("cannot listen on {address} (setting `metrics_bind`)"))?;
    let port = listener.local_addr()?.port();
    let server = HttpServer::new(move || {
        App::new().app_data(state.clone()).route(
            "/metrics",
            web::get().to(|state: web::Data<AppState>| async move {
                actix_web::HttpResponse::Ok()
                    .content_type("text/plain; version=0.0.4")
                    .body(crate::metrics::render(&state).await)
            }),
        )
    })
    .workers(1)
    .listen(listener)?
    .disable_signals()
    .shutdown_timeout(1)
    .run();
    tracing::info!(port, "metrics are served at /metrics");
    Ok((server, port))
}

/// How long a stopping server lets requests under way finish.
pub const SHUTDOWN_GRACE_SECS: u64 = 10;

/// SIGINT and SIGTERM, whose handlers are installed when this is made.
struct StopSignals {
    #[cfg(unix)]
    interrupt: tokio::signal::unix::Signal,
    #[cfg(unix)]
    terminate: tokio::signal::unix::Signal,
}

impl StopSignals {
    fn listen() -> std::io::Result<Self> {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            Ok(Self {
                interrupt: signal(SignalKind::interrupt())?,
                terminate: signal(SignalKind::terminate())?,
            })
        }
        #[cfg(not(unix))]
        {
            Ok(Self {})
        }
    }

    /// Wait for the next one; its name.
    async fn next(&mut self) -> &'static str {
        #[cfg(unix)]
        {
            tokio::select! {
                _ = self.interrupt.recv() => "SIGINT",
                _ = self.terminate.recv() => "SIGTERM",
            }
        }
        #[cfg(not(unix))]
        {
            let _ = tokio::signal::ctrl_c().await;
            "Ctrl-C"
        }
    }
}

/// Work that runs beside the server: delivering back-channel logout notices
/// and ending expired sessions.
mod background {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::time::Duration;

    use actix_web::web;
    use tokio::sync::Notify;

    use crate::oauth::backchannel::DeliveryPass;
    use crate::state::AppState;

    /// How often the outbox is polled for notices queued by other replicas
    /// or due for a retry; this replica's own notices ring a bell at once.
    const OUTBOX_POLL: Duration = Duration::from_secs(1);
    /// How often (seconds of the injected clock) expired sessions are
    /// ended, old records purged and keys rotated when due.
    const SWEEP_EVERY: i64 = 60;
    /// How often keys added elsewhere (another replica, the command line)
    /// are picked up; a new key is published minutes before it signs.
    const RELOAD_KEYS_EVERY: i64 = crate::oauth::keys::KEY_RELOAD_SECS;
    /// Seconds between folds of the metrics' histogram samples.
    const METRICS_UPKEEP_EVERY: i64 = 5;

    /// How long a stopping server waits for back-channel attempts under
    /// way (each gives up after 5 s).
    pub const DELIVERY_GRACE: Duration = Duration::from_secs(10);

    /// Set once the server stops: background work begins nothing new.
    #[derive(Debug, Default)]
    pub struct Stopping {
        flag: AtomicBool,
        bell: Notify,
    }

    impl Stopping {
        pub fn stop(&self) {
            self.flag.store(true, Ordering::SeqCst);
            self.bell.notify_waiters();
        }
    }

    pub async fn deliver_notices(state: web::Data<AppState>, stopping: Arc<Stopping>) {
        let concurrency = state.provider.config().backchannel_concurrency;
        while !stopping.flag.load(Ordering::SeqCst) {
            let pass = DeliveryPass {
                clock: state.clock.as_ref(),
                concurrency,
                stopping: &stopping.flag,
            };
            if let Err(err) = state.provider.deliver_due_notices(&pass).await {
                tracing::warn!(error = %err.description, "back-channel delivery pass failed");
            }
            tokio::select! {
                () = state.provider.store().outbox_queued() => {}
                () = tokio::time::sleep(OUTBOX_POLL) => {}
                () = stopping.bell.notified() => {}
            }
        }
    }

    pub async fn sweep(state: web::Data<AppState>) {
        loop {
            state.clock.sleep(SWEEP_EVERY).await;
            if let Err(err) = state.provider.sweep(state.now()).await {
                tracing::warn!(error = %err.description, "expiry sweep failed");
            }
            if let Err(err) = state.provider.rotate_keys_if_due(state.now()).await {
                tracing::warn!(error = %err.description, "key rotation failed");
            }
        }
    }

    /// How often the revocation marks in Redis are checked and completed
    /// (real time: it is about Redis being there, not about expiry).
    const SYNC_MARKS_EVERY: Duration = Duration::from_millis(250);

    pub async fn sync_revocation_marks(state: web::Data<AppState>) {
        let mut failing = false;
        loop {
            match state
                .provider
                .store()
                .sync_revocation_marks(state.now())
                .await
            {
                Ok(()) if failing => {
                    failing = false;
                    tracing::info!("revocation marks in Redis are complete again");
                }
                Ok(()) => {}
                Err(err) if !failing => {
                    failing = true;
                    tracing::warn!(error = %err, "revocation checks use the database until Redis is back");
                }
                Err(_) => {}
            }
            tokio::time::sleep(SYNC_MARKS_EVERY).await;
        }
    }

    /// Forget gateway decisions other replicas changed (see `store::gateway`).
    pub async fn listen_for_gateway_changes(state: web::Data<AppState>) {
        state.provider.store().listen_for_gateway_changes().await;
    }

    /// Speak on the gateway change channel, so every replica (this one
    /// too) knows it is alive and may trust its copies.
    pub async fn gateway_heartbeat(state: web::Data<AppState>) {
        loop {
            // A failure shows as silence on the channel, which is the point.
            let _ = state.provider.store().gateway_heartbeat().await;
            tokio::time::sleep(crate::store::GATEWAY_HEARTBEAT_EVERY).await;
        }
    }

    /// Fold the latency samples recorded since into the histograms. The
    /// recorder keeps each sample until then, so with nobody scraping
    /// `/metrics` its memory would grow with every request.
    pub async fn metrics_upkeep(state: web::Data<AppState>) {
        loop {
            state.clock.sleep(METRICS_UPKEEP_EVERY).await;
            crate::metrics::upkeep();
        }
    }

    pub async fn reload_keys(state: web::Data<AppState>) {
        loop {
            state.clock.sleep(RELOAD_KEYS_EVERY).await;
            if let Err(err) = state.provider.reload_keys().await {
                tracing::warn!(error = %err.description, "reloading signing keys failed");
            }
        }
    }
}

/// `Strict-Transport-Security` when the issuer is https: browsers then never
/// reach the login page over plain http.
fn strict_transport_security() -> DefaultHeaders {
    DefaultHeaders::new().add(("Strict-Transport-Security", "max-age=31536000"))
}

/// Clickjacking and content-sniffing protection on every response
/// (RFC 9700 §4.16).
fn security_headers() -> DefaultHeaders {
    DefaultHeaders::new()
        .add(("X-Frame-Options", "DENY"))
        .add((
            "Content-Security-Policy",
            "default-src 'none'; style-src 'self'; img-src 'self'; frame-ancestors 'none'; base-uri 'none'",
        ))
        .add(("X-Content-Type-Options", "nosniff"))
        .add(("Referrer-Policy", "no-referrer"))
}

/// How many argon2 hashes may run at once (each needs ~7 MiB and a core):
/// one per core this process may run on.
fn num_hashers() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// Print the generated first-admin password, once, to the console (not the log).
fn announce_bootstrap(outcome: Bootstrap) {
    match outcome {
        Bootstrap::NotNeeded => {}
        Bootstrap::Created => {
            tracing::info!(
                username = bootstrap::BOOTSTRAP_USERNAME,
                "created the first administrator"
            );
        }
        Bootstrap::CreatedWithPassword(password) => print_password_banner(&password),
    }
}

fn print_password_banner(password: &Secret) {
    println!();
    println!("  First administrator created. This password is shown once; store it now.");
    println!("    username: {}", bootstrap::BOOTSTRAP_USERNAME);
    println!("    password: {}", password.expose());
    println!();
}
