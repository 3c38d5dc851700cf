//! Several replicas on one PostgreSQL database, as in production: started at
//! the same moment on an empty database, they agree on one schema, one set of
//! signing keys and one first administrator.

use std::net::TcpListener;

use tessera::clock::{Clock, SystemClock};
use tessera::config::Settings;
use tessera::domain::Secret;
use tessera::domain::crypto::random_token;
use tessera::oauth::keys::KeySealer;
use tessera::startup::{Application, load_keys, open_services};

use crate::helpers::*;

async fn start_replica(settings: Settings) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind port 0");
    let app = Application::build_with_listener(settings, listener)
        .await
        .expect("a replica starts");
    let port = app.port();
    tokio::spawn(app.run_until_stopped());
    port
}

async fn jwks(port: u16) -> serde_json::Value {
    reqwest::get(format!("http://127.0.0.1:{port}/jwks"))
        .await
        .expect("jwks")
        .json()
        .await
        .expect("jwks json")
}

/// Settings for replicas sharing a fresh PostgreSQL database.
async fn replica_settings() -> (TestDatabase, Settings) {
    let (database, database_url) = TestDatabase::postgres().await;
    let settings = Settings {
        issuer: format!("http://{AUTH_HOST}"),
        database_url,
        pepper: Some(Secret::new(random_token(32))),
        bootstrap_admin_password: Some(Secret::new("bootstrap-admin-password")),
        ..Settings::default()
    };
    (database, settings)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn replicas_starting_together_share_one_set_of_keys_and_one_admin_on_postgres_and_redis() {
    let (_database, settings) = replica_settings().await;

    // Three `tessera migrate` at once on the empty database.
    let migrated = tokio::join!(
        open_services(&settings, SystemClock::shared()),
        open_services(&settings, SystemClock::shared()),
        open_services(&settings, SystemClock::shared())
    );
    for outcome in [migrated.0, migrated.1, migrated.2] {
        outcome.expect("every concurrent migration succeeds");
    }

    // Then three replicas at once, as after compose's `migrate` service,
    // each on its own thread.
    let starts: Vec<_> = (0..3)
        .map(|_| tokio::spawn(start_replica(settings.clone())))
        .collect();
    let mut ports = Vec::new();
    for start in starts {
        ports.push(start.await.expect("replica task"));
    }
    let [a, b, c] = ports[..] else {
        unreachable!("three replicas")
    };

    let services = open_services(&settings, SystemClock::shared())
        .await
        .expect("services");
    let keys = services.store.signing_keys().await.expect("keys");
    let algs: Vec<&str> = keys.iter().map(|k| k.alg.as_str()).collect();
    assert_eq!(
        keys.len(),
        3,
        "one key per algorithm, not one per replica: {algs:?}"
    );

    let published = jwks(a).await;
    assert_eq!(published["keys"].as_array().map(Vec::len), Some(3));
    assert_eq!(
        jwks(b).await,
        published,
        "every replica publishes the same keys"
    );
    assert_eq!(jwks(c).await, published);

    let users = services.store.count_users().await.expect("users");
    assert_eq!(users, 1, "one first administrator");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_first_signing_keys_are_generated_once_however_many_replicas_ask_on_postgres_and_redis()
{
    let (_database, settings) = replica_settings().await;
    let services = open_services(&settings, SystemClock::shared())
        .await
        .expect("migrated");
    let sealer = KeySealer::new(services.pepper.clone());
    let loads: Vec<_> = (0..4)
        .map(|_| {
            let (store, sealer) = (services.store.clone(), sealer.clone());
            tokio::spawn(async move {
                let keys = load_keys(&store, &sealer, SystemClock.now())
                    .await
                    .expect("keys");
                serde_json::to_value(keys.jwks(SystemClock.now())).expect("jwks json")
            })
        })
        .collect();
    let mut published = Vec::new();
    for load in loads {
        published.push(load.await.expect("task"));
    }

    let stored = services.store.signing_keys().await.expect("keys");
    assert_eq!(stored.len(), 3, "one key per algorithm");
    assert!(
        published.iter().all(|set| *set == published[0]),
        "every replica holds the same keys"
    );
}
