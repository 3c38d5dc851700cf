//! Revocation fails closed (PostgreSQL + Redis). The database is the
//! truth: an ending succeeds with the database alone, its marks reach Redis
//! afterwards, and no replica takes Redis's silence for "still active" when
//! Redis lost its marks, cannot be reached, or has not yet been given what
//! was revoked while it was away.

use crate::faults::*;
use crate::helpers::*;

/// Until both replicas take Redis's word again (or no longer do).
async fn trusted(replicas: &[&TestApp], trusted: bool) {
    eventually("the replicas' trust in Redis", || async {
        replicas
            .iter()
            .all(|r| r.state.provider.store().revocation_marks_trusted() == trusted)
    })
    .await;
}

/// Lock the outbox of revocation marks (as a slow database would hold it)
/// until the returned transaction is dropped.
async fn hold_mark_outbox(database_url: &str) -> sea_orm::DatabaseTransaction {
    use sea_orm::{ConnectionTrait, TransactionTrait};
    let db = sea_orm::Database::connect(database_url)
        .await
        .expect("database");
    let txn = db.begin().await.expect("begin");
    txn.execute_unprepared("LOCK TABLE mark_outbox IN ACCESS EXCLUSIVE MODE")
        .await
        .expect("lock");
    txn
}

async fn active(app: &TestApp, caller: &TestClient, token: &str) -> bool {
    introspect(app, caller, token, None).await["active"] == true
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn revocations_hold_when_redis_comes_back_empty_on_postgres_and_redis() {
    let a = spawn_replicated_app().await;
    let b = a.replica().await;
    a.create_user("alice").await;
    let client = a.confidential_client("app1", APP1_HOST).await;
    let revoked = login_and_exchange(&a, &a.browser(), &client, "alice").await;
    let kept = login_and_exchange(&a, &a.browser(), &client, "alice").await;
    let revoked_access = field(&revoked, "access_token");
    let kept_access = field(&kept, "access_token");
    trusted(&[&a, &b], true).await;

    assert_eq!(
        revoke(&a, &client, &revoked_access, None).await.status(),
        200
    );
    let jti = jwt_payload(&revoked_access)["jti"]
        .as_str()
        .expect("jti")
        .to_string();
    assert!(redis_has(&a.settings.redis_prefix, &format!("revoked:jti:{jti}")).await);

    // Redis restarts empty: every mark is gone.
    wipe_redis(&a.settings.redis_prefix).await;
    for replica in [&a, &b] {
        assert_eq!(userinfo(replica, &revoked_access).await.status(), 401);
        assert!(!active(replica, &client, &revoked_access).await);
        assert_eq!(userinfo(replica, &kept_access).await.status(), 200);
    }
    // A sync replays the marks from the database; still refused.
    trusted(&[&a, &b], true).await;
    assert!(redis_has(&a.settings.redis_prefix, &format!("revoked:jti:{jti}")).await);
    for replica in [&a, &b] {
        assert_eq!(userinfo(replica, &revoked_access).await.status(), 401);
        assert_eq!(userinfo(replica, &kept_access).await.status(), 200);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn what_ends_while_redis_is_down_stays_ended_on_every_replica_on_postgres_and_redis() {
    let proxy = RedisProxy::start().await;
    let a = spawn_replicated_app_with(|s| s.redis_url = Some(proxy.url())).await;
    let b = a.replica().await;
    a.create_user("alice").await;
    a.create_user("bob").await;
    let client = a.confidential_client("app1", APP1_HOST).await;
    let alice = login_and_exchange(&a, &a.browser(), &client, "alice").await;
    // Her second session's token is looked at only after Redis is back
    // (each replica remembers what it found revoked in the database).
    let alice_later = field(
        &login_and_exchange(&b, &b.browser(), &client, "alice").await,
        "access_token",
    );
    let bob = login_and_exchange(&a, &a.browser(), &client, "bob").await;
    let alice_access = field(&alice, "access_token");
    let bob_access = field(&bob, "access_token");
    trusted(&[&a, &b], true).await;
    for replica in [&a, &b] {
        assert_eq!(userinfo(replica, &alice_access).await.status(), 200);
    }

    // Redis stops answering.
    proxy.cut();
    trusted(&[&a, &b], false).await;
    // An operator ends alice's sessions from the command line...
    let ended = tessera(&a, &["--json", "user", "logout", "alice"], None);
    assert!(
        ended.status.success(),
        "user logout works without Redis: {}",
        String::from_utf8_lossy(&ended.stderr)
    );
    // ...and bob's application revokes his access token.
    assert_eq!(revoke(&a, &client, &bob_access, None).await.status(), 200);
    for replica in [&a, &b] {
        assert_eq!(userinfo(replica, &alice_access).await.status(), 401);
        assert_eq!(userinfo(replica, &bob_access).await.status(), 401);
        assert!(!active(replica, &client, &alice_access).await);
    }
    assert_eq!(
        refresh_status(&a, &client, &field(&alice, "refresh_token")).await,
        400
    );

    // Redis is back, with what it held before: no mark of either, and (a
    // short outage) still its word that its marks are complete. The
    // replicas' syncs are held up (the outbox is locked), so Redis answers
    // before anything queued meanwhile has reached it.
    let held = hold_mark_outbox(&a.settings.database_url).await;
    mark_redis_complete(&a.settings.redis_prefix).await;
    proxy.restore();
    for replica in [&a, &b] {
        eventually("Redis to answer the replica again", || async {
            replica.state.provider.store().ping().await.is_ok()
        })
        .await;
    }
    for replica in [&a, &b] {
        assert_eq!(userinfo(replica, &alice_later).await.status(), 401);
        assert!(!active(replica, &client, &alice_later).await);
    }
    // Once a sync has gone through, the replicas take Redis's word again,
    // and the marks are in it.
    drop(held);
    trusted(&[&a, &b], true).await;
    let gid = jwt_payload(&alice_access)["gid"]
        .as_str()
        .expect("gid")
        .to_string();
    assert!(redis_has(&a.settings.redis_prefix, &format!("revoked:grant:{gid}")).await);
    for replica in [&a, &b] {
        assert_eq!(userinfo(replica, &alice_access).await.status(), 401);
        assert_eq!(userinfo(replica, &alice_later).await.status(), 401);
        assert_eq!(userinfo(replica, &bob_access).await.status(), 401);
        assert!(!active(replica, &client, &bob_access).await);
    }
}
