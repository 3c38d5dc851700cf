//! PostgreSQL restarted under load, on two replicas sharing it and Redis:
//! while it is down, what needs it answers 503 at once (never a 500, never
//! a wrong answer, never a hang); what does not need it goes on; when it is
//! back, everything works again by itself, and every refresh family is
//! intact.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};
use std::time::{Duration, Instant};

use futures_util::future::join_all;
use tokio::sync::Mutex;

use crate::faults::DedicatedPostgres;
use crate::helpers::*;

const BEFORE: u8 = 0;
const DOWN: u8 = 1;
const BACK: u8 = 2;

/// One answer a worker got, and in which phase of the restart.
#[derive(Debug)]
struct Answer {
    phase: u8,
    what: &'static str,
    replica: usize,
    status: u16,
    took: Duration,
    /// For introspection: the `active` member.
    active: Option<bool>,
}

async fn refresh(
    http: &reqwest::Client,
    replica: &TestApp,
    client: &TestClient,
    token: &str,
) -> (u16, Option<serde_json::Value>) {
    let answer = http
        .post(replica.url("/token"))
        .basic_auth(&client.id, client.secret.as_ref())
        .form(&[("grant_type", "refresh_token"), ("refresh_token", token)])
        .send()
        .await
        .expect("an answer, not a hang");
    let status = answer.status().as_u16();
    let body = answer.json().await.ok();
    (status, body)
}

async fn introspection(
    http: &reqwest::Client,
    replica: &TestApp,
    client: &TestClient,
    token: &str,
) -> (u16, Option<bool>) {
    let answer = http
        .post(replica.url("/introspect"))
        .basic_auth(&client.id, client.secret.as_ref())
        .form(&[("token", token)])
        .send()
        .await
        .expect("an answer, not a hang");
    let status = answer.status().as_u16();
    let body: Option<serde_json::Value> = answer.json().await.ok();
    (status, body.and_then(|b| b["active"].as_bool()))
}

/// `pg_ctlcluster … stop` while 8 refresh families rotate and introspect
/// on both replicas as fast as they can, then `start`. While PostgreSQL is
/// down: refreshes and sign-in-free introspection answer 200 or 503 only
/// (a 503 within 2 s), the readiness check says 503, discovery and JWKS
/// answer 200. Once it is back, every family rotates again on both
/// replicas without a restart of Tessera, and no token was rotated twice.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_postgresql_restart_under_load_is_a_503_while_down_and_heals_by_itself_on_postgres_and_redis()
 {
    const FAMILIES: usize = 8;
    let cluster = Arc::new(DedicatedPostgres::ensure());
    let (database, url) = TestDatabase::postgres_at(cluster.admin_url()).await;
    let first = spawn_app_on_database(database, url, |_| {}).await;
    let second = first.replica().await;
    first.create_user("alice").await;
    let client = first.confidential_client("app1", APP1_HOST).await;
    let mut families = Vec::new();
    for _ in 0..FAMILIES {
        let tokens = login_and_exchange(&first, &first.browser(), &client, "alice").await;
        families.push((
            field(&tokens, "refresh_token"),
            field(&tokens, "access_token"),
        ));
    }
    let replicas = Arc::new([first, second]);
    let https = [replicas[0].http(), replicas[1].http()];
    let phase = Arc::new(AtomicU8::new(BEFORE));
    let finished = Arc::new(AtomicBool::new(false));
    let answers = Arc::new(Mutex::new(Vec::<Answer>::new()));

    // Each family refreshes and introspects in turn, alternating replicas,
    // keeping the last refresh token it was given: after a 503 it presents
    // the same one again, as a real client would.
    let workers = families.into_iter().enumerate().map(|(family, tokens)| {
        let (replicas, https, client) = (replicas.clone(), https.clone(), client.clone());
        let (phase, finished, answers) = (phase.clone(), finished.clone(), answers.clone());
        async move {
            let (mut refresh_token, mut access_token) = tokens;
            let mut turn = family;
            while !finished.load(Ordering::SeqCst) {
                turn += 1;
                let at = turn % 2;
                let now = phase.load(Ordering::SeqCst);
                let asked = Instant::now();
                let (status, body) =
                    refresh(&https[at], &replicas[at], &client, &refresh_token).await;
                let took = asked.elapsed();
                if status == 200
                    && let Some(body) = &body
                {
                    refresh_token = field(body, "refresh_token");
                    access_token = field(body, "access_token");
                }
                answers.lock().await.push(Answer {
                    phase: now,
                    what: "refresh",
                    replica: at,
                    status,
                    took,
                    active: None,
                });
                if status != 200 && status != 503 {
                    eprintln!("family {family}: refresh answered {status}: {body:?}");
                    break;
                }
                let asked = Instant::now();
                let (status, active) =
                    introspection(&https[1 - at], &replicas[1 - at], &client, &access_token).await;
                let took = asked.elapsed();
                answers.lock().await.push(Answer {
                    phase: now,
                    what: "introspect",
                    replica: 1 - at,
                    status,
                    took,
                    active,
                });
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
            refresh_token
        }
    });

    let operator = {
        let (replicas, https, phase, finished, answers) = (
            replicas.clone(),
            https.clone(),
            phase.clone(),
            finished.clone(),
            answers.clone(),
        );
        async move {
            tokio::time::sleep(Duration::from_millis(800)).await;
            let stopping = Instant::now();
            // Off this task: the workers are polled by it too, and must go
            // on (and have their answers timed) while pg_ctlcluster runs.
            let stopper = cluster.clone();
            tokio::task::spawn_blocking(move || stopper.stop())
                .await
                .expect("pg_ctlcluster stop");
            phase.store(DOWN, Ordering::SeqCst);
            println!(
                "PostgreSQL stopped in {} ms",
                stopping.elapsed().as_millis()
            );
            // Down until each replica has refused a refresh.
            eventually(
                "both replicas answer 503 while PostgreSQL is down",
                || async {
                    let answers = answers.lock().await;
                    (0..2).all(|r| {
                        answers
                            .iter()
                            .any(|a| a.phase == DOWN && a.replica == r && a.status == 503)
                    })
                },
            )
            .await;
            for (at, replica) in replicas.iter().enumerate() {
                for path in ["/.well-known/openid-configuration", "/jwks", "/health/live"] {
                    let answer = https[at].get(replica.url(path)).send().await.expect(path);
                    assert_eq!(answer.status(), 200, "{path} while PostgreSQL is down");
                }
                let ready = https[at]
                    .get(replica.url("/health/ready"))
                    .send()
                    .await
                    .expect("ready");
                assert_eq!(ready.status(), 503, "not ready while PostgreSQL is down");
            }
            let starter = cluster.clone();
            tokio::task::spawn_blocking(move || starter.start())
                .await
                .expect("pg_ctlcluster start");
            phase.store(BACK, Ordering::SeqCst);
            let restarted = Instant::now();
            // Back once every family has rotated on both replicas again.
            eventually("every family refreshes on both replicas again", || async {
                let answers = answers.lock().await;
                (0..2).all(|r| {
                    answers
                        .iter()
                        .filter(|a| a.phase == BACK && a.replica == r && a.what == "refresh")
                        .filter(|a| a.status == 200)
                        .count()
                        >= FAMILIES
                })
            })
            .await;
            println!(
                "every family rotates on both replicas {} ms after PostgreSQL started",
                restarted.elapsed().as_millis()
            );
            for (at, replica) in replicas.iter().enumerate() {
                let ready = https[at]
                    .get(replica.url("/health/ready"))
                    .send()
                    .await
                    .expect("ready");
                assert_eq!(ready.status(), 200, "ready again");
            }
            finished.store(true, Ordering::SeqCst);
        }
    };
    let (last_tokens, ()) = tokio::join!(join_all(workers), operator);

    let answers = answers.lock().await;
    let count = |phase: u8, status: u16| {
        answers
            .iter()
            .filter(|a| a.phase == phase && a.status == status)
            .count()
    };
    println!(
        "answers: before 200×{}; down 200×{} 503×{}; back 200×{} 503×{}; slowest 503 {} ms",
        count(BEFORE, 200),
        count(DOWN, 200),
        count(DOWN, 503),
        count(BACK, 200),
        count(BACK, 503),
        answers
            .iter()
            .filter(|a| a.status == 503)
            .map(|a| a.took.as_millis())
            .max()
            .unwrap_or_default()
    );
    for answer in answers.iter() {
        assert!(
            matches!(answer.status, 200 | 503),
            "only 200 or 503, never a refusal or a 500: {answer:?}"
        );
        if answer.status == 503 {
            assert!(answer.took < Duration::from_secs(2), "no hang: {answer:?}");
        }
        if answer.what == "introspect" && answer.status == 200 {
            assert_eq!(
                answer.active,
                Some(true),
                "a live token is never called inactive: {answer:?}"
            );
        }
    }
    assert!(count(BEFORE, 200) > 0, "the load ran before the restart");

    // No token was rotated twice, and every family's last token is alive.
    let forks = forked_refresh_families(&replicas[0].settings.database_url).await;
    assert_eq!(forks, 0, "{forks} families forked");
    for (family, token) in last_tokens.iter().enumerate() {
        let (status, _) = refresh(&https[1], &replicas[1], &client, token).await;
        assert_eq!(status, 200, "family {family} is alive");
    }
}
