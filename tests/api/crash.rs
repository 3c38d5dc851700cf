//! A replica killed outright (`kill -9`) in the middle of a storm of
//! refreshes on two replicas that share PostgreSQL and Redis: afterwards
//! every refresh family is consistent. Each token was rotated at most once
//! (no family forked into two live chains), and no family is both alive
//! and revoked: the client's last token refreshes exactly when its grant
//! is not revoked, on the surviving replica and on a fresh one.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use futures_util::future::join_all;
use sea_orm::{ConnectionTrait, Database, Statement};

use crate::helpers::*;

/// `tessera serve` as its own process on `app`'s database and Redis.
struct Replica {
    child: Child,
    port: u16,
}

impl Replica {
    fn start(app: &TestApp) -> Replica {
        let dir = tempfile_dir();
        let mut command = Command::new(env!("CARGO_BIN_EXE_tessera"));
        command
            .arg("serve")
            .current_dir(&dir)
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("TESSERA_ISSUER", &app.issuer)
            .env("TESSERA_BIND", "127.0.0.1:0")
            .env("TESSERA_DATABASE_URL", &app.settings.database_url)
            .env(
                "TESSERA_PEPPER",
                app.settings.pepper.as_ref().expect("pepper").expose(),
            )
            .env(
                "TESSERA_REDIS_URL",
                app.settings.redis_url.as_ref().expect("redis"),
            )
            .env("TESSERA_REDIS_PREFIX", &app.settings.redis_prefix)
            .env("RUST_LOG", "warn,tessera=info")
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        // Owned at once, so that a failure below still kills the process.
        let mut replica = Replica {
            child: command.spawn().expect("tessera serve"),
            port: 0,
        };
        let stderr = replica.child.stderr.take().expect("stderr");
        let (port_tx, port_rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                eprintln!("replica {line}");
                if line.contains("Tessera is ready")
                    && let Some(port) = line
                        .split("port=")
                        .nth(1)
                        .and_then(|rest| rest.split_whitespace().next())
                        .and_then(|p| p.parse::<u16>().ok())
                {
                    let _ = port_tx.send(port);
                }
            }
        });
        // Waiting blocks this thread: hand its other tasks (the test's own
        // in-process replica among them) to the runtime's other threads.
        replica.port =
            tokio::task::block_in_place(|| port_rx.recv_timeout(Duration::from_secs(60)))
                .expect("the replica says it is ready");
        replica
    }

    fn token_url(&self) -> String {
        format!("http://127.0.0.1:{}/token", self.port)
    }
}

impl Drop for Replica {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// POST /token refresh at `url`; the new refresh token, `Err(Some(status))`
/// for a refusal, `Err(None)` when no answer came (the replica died).
async fn refresh_at(
    http: &reqwest::Client,
    url: &str,
    client: &TestClient,
    token: &str,
) -> Result<String, Option<u16>> {
    let answer = http
        .post(url)
        .basic_auth(&client.id, client.secret.as_ref())
        .form(&[("grant_type", "refresh_token"), ("refresh_token", token)])
        .send()
        .await
        .map_err(|_| None)?;
    let status = answer.status().as_u16();
    if status != 200 {
        return Err(Some(status));
    }
    let body: serde_json::Value = answer.json().await.map_err(|_| None)?;
    Ok(field(&body, "refresh_token"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_replica_killed_during_a_refresh_storm_leaves_every_family_consistent_on_postgres_and_redis()
 {
    const FAMILIES: usize = 16;
    let app = spawn_replicated_app().await;
    app.create_user("alice").await;
    let client = app.confidential_client("app1", APP1_HOST).await;
    let mut tokens = Vec::new();
    for _ in 0..FAMILIES {
        let tokens_now = login_and_exchange(&app, &app.browser(), &client, "alice").await;
        tokens.push(field(&tokens_now, "refresh_token"));
    }
    let mut doomed = Replica::start(&app);
    let survivor = Replica::start(&app);
    let (doomed_url, survivor_url) = (doomed.token_url(), survivor.token_url());
    let dead = Arc::new(AtomicBool::new(false));
    let rotations = Arc::new(AtomicU64::new(0));
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .expect("client");

    // Each family refreshes as fast as it can, alternating replicas (only
    // the survivor once the other is dead), holding on to the last token
    // it was given. An answer lost with the replica leaves the client with
    // its previous token, which it presents again, as a real client would.
    let storm = (0..FAMILIES).map(|family| {
        let (http, client, dead, rotations) = (
            http.clone(),
            client.clone(),
            dead.clone(),
            rotations.clone(),
        );
        let (doomed_url, survivor_url) = (doomed_url.clone(), survivor_url.clone());
        let mut token = tokens[family].clone();
        async move {
            let deadline = tokio::time::Instant::now() + Duration::from_secs(4);
            let mut turn = family;
            while tokio::time::Instant::now() < deadline {
                turn += 1;
                let url = if turn % 2 == 0 && !dead.load(Ordering::SeqCst) {
                    &doomed_url
                } else {
                    &survivor_url
                };
                match refresh_at(&http, url, &client, &token).await {
                    Ok(next) => {
                        token = next;
                        rotations.fetch_add(1, Ordering::SeqCst);
                    }
                    // Refused: the family was revoked (reuse after a lost
                    // answer). It stays refused; stop.
                    Err(Some(_)) => break,
                    Err(None) => {}
                }
            }
            token
        }
    });
    let killer = {
        let dead = dead.clone();
        async move {
            tokio::time::sleep(Duration::from_millis(1500)).await;
            doomed.child.kill().expect("kill -9");
            dead.store(true, Ordering::SeqCst);
            let _ = doomed.child.wait();
        }
    };
    let (last_tokens, ()) = tokio::join!(join_all(storm), killer);
    println!(
        "{} rotations over {FAMILIES} families; one replica killed after 1.5 s",
        rotations.load(Ordering::SeqCst)
    );
    assert!(
        rotations.load(Ordering::SeqCst) >= FAMILIES as u64,
        "the storm ran"
    );

    // No token was rotated twice: at most one unused token per family.
    let forks = forked_refresh_families(&app.settings.database_url).await;
    assert_eq!(forks, 0, "{forks} families forked");
    let db = Database::connect(&app.settings.database_url)
        .await
        .expect("database");

    // Alive exactly when not revoked, as every replica sees it.
    let fresh = Replica::start(&app);
    for (family, token) in last_tokens.iter().enumerate() {
        let grant = db
            .query_one_raw(Statement::from_sql_and_values(
                db.get_database_backend(),
                "SELECT g.revoked_at FROM grants g JOIN refresh_tokens r ON r.grant_id = g.id \
                 WHERE r.token_hash = $1",
                [tessera::domain::crypto::sha256_hex(token.as_bytes()).into()],
            ))
            .await
            .expect("query")
            .expect("the token's grant");
        let revoked: Option<i64> = grant.try_get("", "revoked_at").expect("revoked_at");
        let answer = refresh_at(&http, &fresh.token_url(), &client, token).await;
        match revoked {
            None => assert!(answer.is_ok(), "family {family} is alive: {answer:?}"),
            Some(_) => assert_eq!(answer, Err(Some(400)), "family {family} is revoked"),
        }
    }
    drop(survivor);
}
