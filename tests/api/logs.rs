//! What the server writes to its log, as an operator sees it: one line per
//! request, client errors never at ERROR, and never a password, secret,
//! token or query string. Runs the `tessera` binary itself and reads its
//! standard error.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use reqwest::redirect::Policy;

use crate::helpers::*;

struct Server {
    child: Child,
    port: u16,
    log: Arc<Mutex<String>>,
    dir: std::path::PathBuf,
}

impl Server {
    fn env(command: &mut Command, dir: &std::path::Path) {
        command
            .current_dir(dir)
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("TESSERA_ISSUER", format!("http://{AUTH_HOST}"))
            .env(
                "TESSERA_DATABASE_URL",
                format!("sqlite://{}/tessera.db?mode=rwc", dir.display()),
            )
            .env("TESSERA_PEPPER_FILE", dir.join("pepper"))
            .env(
                "TESSERA_BOOTSTRAP_ADMIN_PASSWORD",
                "bootstrap-admin-password",
            );
    }

    /// `tessera serve` on a port of its own choosing, logging what an
    /// operator running with `RUST_LOG=info,tessera=debug` would see.
    fn start() -> Server {
        Self::start_with(&[])
    }

    /// The same, with more environment variables.
    fn start_with(vars: &[(&str, &str)]) -> Server {
        let dir = tempfile_dir();
        let mut command = Command::new(env!("CARGO_BIN_EXE_tessera"));
        Self::env(&mut command, &dir);
        command.envs(vars.iter().copied());
        command
            .arg("serve")
            .env("TESSERA_BIND", "127.0.0.1:0")
            .env("RUST_LOG", "info,tessera=debug")
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        let mut child = command.spawn().expect("tessera serve");
        let stderr = child.stderr.take().expect("stderr");
        let log = Arc::new(Mutex::new(String::new()));
        let (port_tx, port_rx) = std::sync::mpsc::channel();
        std::thread::spawn({
            let log = log.clone();
            move || {
                for line in BufReader::new(stderr).lines() {
                    let Ok(line) = line else { break };
                    if let Some(port) = line
                        .split("port=")
                        .nth(1)
                        .or_else(|| line.split("\"port\":").nth(1))
                        .and_then(|rest| rest.split(|c: char| !c.is_ascii_digit()).next())
                        .and_then(|p| p.parse::<u16>().ok())
                        && line.contains("Tessera is ready")
                    {
                        let _ = port_tx.send(port);
                    }
                    let mut log = log.lock().expect("log");
                    log.push_str(&line);
                    log.push('\n');
                }
            }
        });
        let port = port_rx
            .recv_timeout(Duration::from_secs(60))
            .expect("Tessera says it is ready");
        Server {
            child,
            port,
            log,
            dir,
        }
    }

    /// A `tessera` command against the server's database; its stdout.
    fn cli(&self, args: &[&str], stdin: Option<&str>) -> String {
        use std::io::Write;
        let mut command = Command::new(env!("CARGO_BIN_EXE_tessera"));
        Self::env(&mut command, &self.dir);
        command
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = command.spawn().expect("tessera");
        if let Some(input) = stdin {
            child
                .stdin
                .take()
                .expect("stdin")
                .write_all(input.as_bytes())
                .expect("stdin");
        }
        drop(child.stdin.take());
        let output = child.wait_with_output().expect("tessera");
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8(output.stdout).expect("utf-8")
    }

    fn url(&self, path: &str) -> String {
        format!("http://{AUTH_HOST}:{}{path}", self.port)
    }

    fn http(&self, jar: Option<Arc<reqwest::cookie::Jar>>) -> reqwest::Client {
        let mut builder = reqwest::Client::builder().redirect(Policy::none()).resolve(
            AUTH_HOST,
            std::net::SocketAddr::from(([127, 0, 0, 1], self.port)),
        );
        if let Some(jar) = jar {
            builder = builder.cookie_provider(jar);
        }
        builder.build().expect("client")
    }

    fn log(&self) -> String {
        self.log.lock().expect("log").clone()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_log_has_one_line_per_request_and_no_secret_token_or_query_string() {
    let server = Server::start();
    let password = "a passphrase nobody logs";
    server.cli(
        &["user", "create", "--username", "alice", "--password-stdin"],
        Some(&format!("{password}\n")),
    );
    let created: serde_json::Value = serde_json::from_str(&server.cli(
        &[
            "--json",
            "client",
            "create",
            "--name",
            "App",
            "--id",
            "app1",
            "--redirect-uri",
            "https://app1.example.test/callback",
            "--first-party",
        ],
        None,
    ))
    .expect("json");
    let secret = field(&created, "client_secret");

    // A sign-in, a code, tokens, a refresh, userinfo, introspection,
    // revocation: everything that carries something secret.
    let jar = Arc::new(reqwest::cookie::Jar::default());
    let browser = server.http(Some(jar));
    let (verifier, challenge) = pkce_pair();
    let (state, nonce) = (
        "state-value-for-the-log-test",
        "nonce-value-for-the-log-test",
    );
    let mut authorize = url::Url::parse(&server.url("/authorize")).expect("url");
    authorize.query_pairs_mut().extend_pairs([
        ("response_type", "code"),
        ("client_id", "app1"),
        ("redirect_uri", "https://app1.example.test/callback"),
        ("scope", "openid profile offline_access"),
        ("state", state),
        ("nonce", nonce),
        ("code_challenge", challenge.as_str()),
        ("code_challenge_method", "S256"),
    ]);
    let to_login = browser
        .get(authorize.as_str())
        .send()
        .await
        .expect("authorize");
    let login_path = to_login.headers()["location"]
        .to_str()
        .expect("location")
        .to_string();
    let page = browser
        .get(server.url(&login_path))
        .send()
        .await
        .expect("login page")
        .text()
        .await
        .expect("html");
    let csrf = hidden_field(&page, "csrf_token").expect("csrf");
    let request = hidden_field(&page, "request").expect("request");
    let wrong = browser
        .post(server.url("/login"))
        .form(&[
            ("username", "alice"),
            ("password", "a wrong password nobody logs"),
            ("csrf_token", csrf.as_str()),
            ("request", request.as_str()),
        ])
        .send()
        .await
        .expect("wrong password");
    assert_eq!(wrong.status(), 401);
    let signed_in = browser
        .post(server.url("/login"))
        .form(&[
            ("username", "alice"),
            ("password", password),
            ("csrf_token", csrf.as_str()),
            ("request", request.as_str()),
        ])
        .send()
        .await
        .expect("sign in");
    let callback = url::Url::parse(signed_in.headers()["location"].to_str().expect("location"))
        .expect("callback");
    let code = callback
        .query_pairs()
        .find(|(k, _)| k == "code")
        .map(|(_, v)| v.into_owned())
        .expect("code");
    let http = server.http(None);
    let tokens: serde_json::Value = http
        .post(server.url("/token"))
        .basic_auth("app1", Some(&secret))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("redirect_uri", "https://app1.example.test/callback"),
            ("code_verifier", verifier.as_str()),
        ])
        .send()
        .await
        .expect("token")
        .json()
        .await
        .expect("json");
    let refreshed: serde_json::Value = http
        .post(server.url("/token"))
        .basic_auth("app1", Some(&secret))
        .form(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", field(&tokens, "refresh_token").as_str()),
        ])
        .send()
        .await
        .expect("refresh")
        .json()
        .await
        .expect("json");
    let access = field(&refreshed, "access_token");
    let userinfo = http
        .get(server.url("/userinfo"))
        .bearer_auth(&access)
        .send()
        .await
        .expect("userinfo");
    assert_eq!(userinfo.status(), 200);
    for path in ["/introspect", "/revoke"] {
        let answer = http
            .post(server.url(path))
            .basic_auth("app1", Some(&secret))
            .form(&[("token", access.as_str())])
            .send()
            .await
            .expect(path);
        assert_eq!(answer.status(), 200, "{path}");
    }
    // A bad client secret, and malformed requests the server refuses
    // before any handler sees them.
    let refused = http
        .post(server.url("/token"))
        .basic_auth("app1", Some("a-wrong-secret-nobody-logs"))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .expect("token");
    assert_eq!(refused.status(), 401);
    let long = http
        .get(server.url(&format!("/?{}", "x".repeat(70_000))))
        .send()
        .await
        .map(|r| r.status().as_u16());
    assert!(
        long.as_ref().map_or(true, |s| (400..500).contains(s)),
        "{long:?}"
    );
    let bad_header = {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", server.port))
            .await
            .expect("connect");
        stream
            .write_all(b"GET / HTTP/1.1\r\nHost: x\r\nthis is no header\r\n\r\n")
            .await
            .expect("write");
        let mut answer = [0u8; 64];
        let n = stream.read(&mut answer).await.unwrap_or(0);
        String::from_utf8_lossy(&answer[..n]).to_string()
    };
    assert!(bad_header.starts_with("HTTP/1.1 400"), "{bad_header:?}");
    tokio::time::sleep(Duration::from_millis(300)).await;
    let log = server.log();
    let secrets = [
        ("the password", password.to_string()),
        (
            "a wrong password",
            "a wrong password nobody logs".to_string(),
        ),
        ("the client secret", secret.clone()),
        (
            "a wrong client secret",
            "a-wrong-secret-nobody-logs".to_string(),
        ),
        ("the code", code.clone()),
        ("the code verifier", verifier.clone()),
        ("the state", state.to_string()),
        ("the nonce", nonce.to_string()),
        ("the CSRF token", csrf.clone()),
        ("the parked request id", request.clone()),
        ("the access token", field(&tokens, "access_token")),
        ("the ID token", field(&tokens, "id_token")),
        ("the refresh token", field(&tokens, "refresh_token")),
        (
            "the second refresh token",
            field(&refreshed, "refresh_token"),
        ),
        ("the second access token", access.clone()),
    ];
    for (what, value) in &secrets {
        assert!(
            !log.contains(value.as_str()),
            "{what} is in the log:\n{log}"
        );
    }
    for query in [
        "code_challenge=",
        "redirect_uri=",
        "client_id=app1",
        "xxxxxxxxxx",
    ] {
        assert!(
            !log.contains(query),
            "a query string ({query}) is in the log:\n{log}"
        );
    }
    assert!(
        !log.lines().any(|l| l.contains(" ERROR ")),
        "client errors are not the server's errors:\n{log}"
    );
    // One line per request.
    let lines_for = |path: &str| {
        log.lines()
            .filter(|l| {
                l.contains(&format!("path={path} request_id=")) && l.contains("}: request status=")
            })
            .count()
    };
    assert_eq!(lines_for("/token"), 3, "{log}");
    assert_eq!(lines_for("/login"), 3, "{log}");
    assert_eq!(lines_for("/userinfo"), 1, "{log}");
    assert!(
        log.lines().any(|l| l.contains("path=/token request_id=")
            && l.contains("status=401")
            && l.contains(" INFO ")),
        "a client error at INFO:\n{log}"
    );
}

/// SIGINT and SIGTERM stop the server the same, graceful way: a request
/// under way is answered, the process exits 0, and the log says which
/// signal came (never a forced shutdown).
#[tokio::test]
async fn sigint_and_sigterm_stop_the_server_gracefully_and_exit_zero() {
    use std::io::{Read, Write};
    for signal in ["INT", "TERM"] {
        let mut server = Server::start();
        // A request whose body arrives in two parts, the signal between them.
        let body = "grant_type=client_credentials";
        let mut socket = std::net::TcpStream::connect(("127.0.0.1", server.port)).expect("connect");
        write!(
            socket,
            "POST /token HTTP/1.1\r\nHost: {AUTH_HOST}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{}",
            body.len(),
            &body[..10]
        )
        .expect("first part");
        socket.flush().expect("flush");
        std::thread::sleep(Duration::from_millis(200));
        let pid = server.child.id().to_string();
        let killed = Command::new("kill")
            .args([format!("-{signal}").as_str(), &pid])
            .status()
            .expect("kill");
        assert!(killed.success());
        std::thread::sleep(Duration::from_millis(200));
        socket.write_all(&body.as_bytes()[10..]).expect("the rest");
        let mut answer = String::new();
        socket.read_to_string(&mut answer).expect("answer");
        assert!(
            answer.starts_with("HTTP/1.1 401"),
            "SIG{signal}: the request under way gets its real answer: {answer}"
        );
        let status = server.child.wait().expect("exit");
        assert!(status.success(), "SIG{signal}: exit {status:?}");
        // The log reader may still be reading the last lines.
        for _ in 0..50 {
            if server.log().contains(&format!("SIG{signal}")) {
                break;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let log = server.log();
        assert!(log.contains(&format!("SIG{signal}")), "{log}");
        assert!(!log.to_lowercase().contains("forced"), "{log}");
    }
}

/// Every request has an id: the caller's when it is a harmless one, else a
/// new one; the response carries it and the request's one log line names
/// it, with the time in integer microseconds.
#[tokio::test]
async fn each_request_has_an_id_in_its_answer_and_its_log_line() {
    let server = Server::start();
    let http = server.http(None);
    let given = http
        .get(server.url("/health/live"))
        .header("X-Request-Id", "trace-42.a_b")
        .send()
        .await
        .expect("health");
    assert_eq!(given.headers()["x-request-id"], "trace-42.a_b");
    let forged = http
        .get(server.url("/health/live"))
        .header("X-Request-Id", "x\" status=500")
        .send()
        .await
        .expect("health");
    let made = forged.headers()["x-request-id"]
        .to_str()
        .expect("ascii")
        .to_string();
    assert_eq!(made.len(), 16, "a new id instead of {made}");
    for id in ["trace-42.a_b", made.as_str()] {
        let mut line = None;
        for _ in 0..50 {
            line = server
                .log()
                .lines()
                .find(|l| l.contains(&format!("request_id={id}")) && l.contains(" request status="))
                .map(str::to_string);
            if line.is_some() {
                break;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let line = line.unwrap_or_else(|| panic!("a line for {id}: {}", server.log()));
        let micros = line
            .split("elapsed_us=")
            .nth(1)
            .and_then(|rest| rest.split_whitespace().next())
            .unwrap_or_default();
        assert!(
            micros.parse::<u64>().is_ok(),
            "integer microseconds: {line}"
        );
    }
    assert_eq!(
        server.log().matches("request_id=trace-42.a_b").count(),
        1,
        "exactly one line for the request"
    );
}

/// Without `RUST_LOG`, a start and a stop log Tessera's own lines only:
/// none of the libraries' chatter ("Tokio runtime found", workers).
#[tokio::test]
async fn start_up_and_shutdown_log_only_tesseras_own_lines_by_default() {
    let dir = tempfile_dir();
    let mut command = Command::new(env!("CARGO_BIN_EXE_tessera"));
    Server::env(&mut command, &dir);
    let mut child = command
        .arg("serve")
        .env("TESSERA_BIND", "127.0.0.1:0")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("tessera serve");
    let stderr = child.stderr.take().expect("stderr");
    let mut lines = BufReader::new(stderr).lines();
    let mut seen = Vec::new();
    for line in lines.by_ref() {
        let line = line.expect("a line");
        let ready = line.contains("Tessera is ready");
        seen.push(line);
        if ready {
            break;
        }
    }
    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(killed.success());
    seen.extend(lines.map_while(Result::ok));
    assert!(child.wait().expect("exit").success());
    let _ = std::fs::remove_dir_all(&dir);
    let log = seen.join("\n");
    for noise in [
        "Tokio runtime found",
        "starting service",
        "workers",
        "accept thread",
    ] {
        assert!(!log.contains(noise), "{noise:?} in:\n{log}");
    }
    assert!(
        log.contains("Tessera is ready") && log.contains("SIGTERM"),
        "{log}"
    );
}

/// A request head too large to read (a 200 KB header) is the client's
/// fault: 431, and one INFO line, never an ERROR.
#[tokio::test]
async fn a_header_too_large_is_a_431_logged_once_at_info() {
    let server = Server::start_with(&[("RUST_LOG", "info")]);
    let answer = {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", server.port))
            .await
            .expect("connect");
        let head = format!(
            "GET /health HTTP/1.1\r\nHost: x\r\nX-Big: {}\r\n\r\n",
            "a".repeat(200_000)
        );
        // The server may answer and close before it has read all of it.
        let _ = stream.write_all(head.as_bytes()).await;
        let mut answer = [0u8; 64];
        let n = stream.read(&mut answer).await.unwrap_or(0);
        String::from_utf8_lossy(&answer[..n]).to_string()
    };
    assert!(answer.starts_with("HTTP/1.1 431"), "{answer:?}");
    let mut log = String::new();
    for _ in 0..50 {
        log = server.log();
        if log.contains("refused before routing") {
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let refused: Vec<&str> = log
        .lines()
        .filter(|l| l.contains("refused before routing"))
        .collect();
    assert_eq!(refused.len(), 1, "{log}");
    assert!(refused[0].contains(" INFO "), "{log}");
    assert!(!log.contains("ERROR"), "{log}");
    assert!(
        !log.contains("aaaaaaaaaa"),
        "the header is not logged: {log}"
    );
}

/// `log_format = json`: every line is one JSON object; a request's line has
/// its status, time and id, and the start-up line its port.
#[tokio::test]
async fn the_json_log_format_writes_one_object_per_line() {
    let server = Server::start_with(&[("TESSERA_LOG_FORMAT", "json")]);
    let answer = server
        .http(None)
        .get(server.url("/health/live"))
        .header("X-Request-Id", "json-line-1")
        .send()
        .await
        .expect("health");
    assert_eq!(answer.status(), 200);
    let mut request = None;
    for _ in 0..50 {
        let log = server.log();
        let lines: Vec<serde_json::Value> = log
            .lines()
            .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
            .collect();
        assert!(
            lines
                .iter()
                .all(|l| l["level"].is_string() && l["timestamp"].is_string())
        );
        request = lines
            .into_iter()
            .find(|l| l["span"]["request_id"] == "json-line-1");
        if request.is_some() {
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let request = request.unwrap_or_else(|| panic!("a line for the request: {}", server.log()));
    assert_eq!(request["level"], "INFO");
    assert_eq!(request["message"], "request");
    assert_eq!(request["status"], 200);
    assert!(request["elapsed_us"].is_u64(), "{request}");
    assert_eq!(request["span"]["path"], "/health/live");
    assert_eq!(request["span"]["method"], "GET");
}

/// The port a log line names (`port=N`).
fn port_in(line: &str) -> Option<u16> {
    line.split("port=")
        .nth(1)?
        .split(|c: char| !c.is_ascii_digit())
        .next()?
        .parse()
        .ok()
}

/// The value of the sample `series` (name and labels, as exported).
fn sample(metrics: &str, series: &str) -> Option<f64> {
    metrics.lines().find_map(|l| {
        l.strip_prefix(series)?
            .strip_prefix(' ')?
            .trim()
            .parse()
            .ok()
    })
}

/// With `metrics_bind`, Prometheus metrics are served on that listener
/// only; they count what happened (requests by route, sign-ins, tokens by
/// grant and algorithm) and read the stores' state when scraped, and every
/// metric the Grafana dashboard in `deploy/` charts exists.
#[tokio::test]
async fn metrics_are_served_on_their_own_listener_and_the_dashboard_names_only_real_ones() {
    let server = Server::start_with(&[("TESSERA_METRICS_BIND", "127.0.0.1:0")]);
    let log = server.log();
    let metrics_port = log
        .lines()
        .find(|l| l.contains("metrics are served"))
        .and_then(port_in)
        .unwrap_or_else(|| panic!("the metrics port in the log: {log}"));
    let http = server.http(None);
    let scrape = || async {
        let answer = reqwest::get(format!("http://127.0.0.1:{metrics_port}/metrics"))
            .await
            .expect("metrics");
        assert_eq!(answer.status(), 200);
        answer.text().await.expect("text")
    };
    // Not on the users' listener.
    let public = http
        .get(server.url("/metrics"))
        .send()
        .await
        .expect("public");
    assert_eq!(public.status(), 404);

    let before = scrape().await;
    assert_eq!(
        sample(&before, "tessera_sign_ins_total{outcome=\"failure\"}"),
        Some(0.0),
        "{before}"
    );
    let created: serde_json::Value = serde_json::from_str(&server.cli(
        &[
            "--json",
            "client",
            "create",
            "--name",
            "Service",
            "--id",
            "svc",
            "--grant",
            "client_credentials",
            "--access-token-alg",
            "ES256",
        ],
        None,
    ))
    .expect("json");
    let secret = field(&created, "client_secret");
    for _ in 0..2 {
        let token = http
            .post(server.url("/token"))
            .basic_auth("svc", Some(&secret))
            .form(&[("grant_type", "client_credentials")])
            .send()
            .await
            .expect("token");
        assert_eq!(token.status(), 200);
    }
    let jar = Arc::new(reqwest::cookie::Jar::default());
    let browser = server.http(Some(jar));
    let page = browser
        .get(server.url("/login"))
        .send()
        .await
        .expect("login page")
        .text()
        .await
        .expect("html");
    let csrf = hidden_field(&page, "csrf_token").expect("csrf");
    let wrong = browser
        .post(server.url("/login"))
        .form(&[
            ("username", "nobody"),
            ("password", "not a password"),
            ("csrf_token", csrf.as_str()),
        ])
        .send()
        .await
        .expect("sign in");
    assert_eq!(wrong.status(), 401);

    let after = scrape().await;
    assert_eq!(
        sample(
            &after,
            "tessera_tokens_issued_total{grant=\"client_credentials\",alg=\"ES256\"}"
        ),
        Some(2.0),
        "{after}"
    );
    assert_eq!(
        sample(&after, "tessera_sign_ins_total{outcome=\"failure\"}"),
        Some(1.0)
    );
    assert_eq!(
        sample(
            &after,
            "tessera_http_requests_total{method=\"POST\",route=\"/token\",status=\"200\"}"
        ),
        Some(2.0),
        "{after}"
    );
    assert!(
        after.contains(
            "tessera_http_request_duration_seconds_bucket{route=\"/token\",le=\"0.001\"}"
        ),
        "a latency histogram per route: {after}"
    );
    assert_eq!(sample(&after, "tessera_sessions_active"), Some(0.0));
    assert_eq!(
        sample(
            &after,
            "tessera_signing_keys{alg=\"ES256\",state=\"active\"}"
        ),
        Some(1.0),
        "{after}"
    );
    assert!(
        sample(
            &after,
            "tessera_cache_lookups_total{cache=\"clients\",result=\"hit\"}"
        )
        .is_some_and(|hits| hits >= 1.0),
        "the second token request found its client in the cache: {after}"
    );

    // Every metric the dashboard charts is exported.
    let dashboard: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../deploy/grafana/tessera.json"
        ))
        .expect("the dashboard"),
    )
    .expect("json");
    let mut named = Vec::new();
    for panel in dashboard["panels"].as_array().expect("panels") {
        for target in panel["targets"].as_array().expect("targets") {
            let expr = target["expr"].as_str().expect("expr");
            for (at, _) in expr.match_indices("tessera_") {
                let name: String = expr[at..]
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .collect();
                named.push(name);
            }
        }
    }
    assert!(named.len() >= 15, "{named:?}");
    let exported: Vec<&str> = after
        .lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| l.split(['{', ' ']).next())
        .collect();
    for name in &named {
        assert!(
            exported.contains(&name.as_str()),
            "the dashboard charts {name}, which is not exported:\n{after}"
        );
    }
}
