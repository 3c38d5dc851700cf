//! Rotating and revoking signing keys. A new key is published in `/jwks` at
//! once but signs only `publish_ahead` later: relying parties cache the JWK
//! set for up to `JWKS_MAX_AGE_SECS` and replicas reload keys every
//! `KEY_RELOAD_SECS`, so every party knows the key before it sees a token it
//! signed. The key it replaces stops signing then and stays published for
//! `retire_after`, until every token it signed has expired. Keys rotate on
//! demand ("Rotate now", `tessera key rotate`) and on their own every
//! `interval`; whichever asks, one rotation at a time (a lock, and for the
//! schedule the check repeated under it). A revoked key (it leaked) is
//! unpublished at once and verifies nothing; if it was signing, a waiting
//! key takes over at once, or a new one is made that signs at once.

use serde_json::json;
use thiserror::Error;

use super::{KeyError, KeySealer, generate};
use crate::domain::{Actor, AuditEvent, KeyState, SigningAlg, SigningKeyMaterial};
use crate::store::{Store, StoreError};

#[derive(Clone, Copy, Debug)]
pub struct RotationPolicy {
    /// How long a new key is published before it signs.
    pub publish_ahead: i64,
    /// How long a key stays published after it stops signing.
    pub retire_after: i64,
    /// How often keys rotate on their own.
    pub interval: i64,
}

#[derive(Debug, Error)]
pub enum RotationError {
    #[error(transparent)]
    Key(#[from] KeyError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("key generation was interrupted")]
    Interrupted,
    #[error("no key {0}")]
    NotFound(String),
    #[error("key {0} is revoked already")]
    AlreadyRevoked(String),
}

/// What revoking a key did.
#[derive(Clone, Debug)]
pub struct KeyRevocation {
    pub kid: String,
    /// The key that signs in its place from now on, if it was signing.
    pub successor: Option<String>,
}

/// Make keys for `algs`, sealed, off the async runtime (RSA takes a while).
async fn make_keys(
    sealer: &KeySealer,
    algs: Vec<SigningAlg>,
    now: i64,
    activates_at: i64,
) -> Result<Vec<SigningKeyMaterial>, RotationError> {
    let sealer = sealer.clone();
    tokio::task::spawn_blocking(move || {
        algs.into_iter()
            .map(|alg| generate(alg, now, activates_at, &sealer))
            .collect::<Result<Vec<_>, _>>()
    })
    .await
    .map_err(|_| RotationError::Interrupted)?
    .map_err(RotationError::from)
}

fn audit(actor: Actor, action: &'static str, details: serde_json::Value, now: i64) -> AuditEvent {
    AuditEvent {
        at: now,
        actor,
        action,
        target: None,
        reason: None,
        ip: None,
        outcome: "success",
        details,
    }
}

/// Rotate the keys of `algs` now, under the rotation lock; returns the new
/// keys. The rotation and its audit record commit together.
pub async fn rotate(
    store: &Store,
    sealer: &KeySealer,
    algs: &[SigningAlg],
    policy: RotationPolicy,
    actor: Actor,
    now: i64,
) -> Result<Vec<SigningKeyMaterial>, RotationError> {
    let lock = store.key_rotation_lock().await?;
    let fresh = rotate_locked(store, sealer, algs.to_vec(), policy, actor, now).await?;
    lock.release().await?;
    Ok(fresh)
}

async fn rotate_locked(
    store: &Store,
    sealer: &KeySealer,
    algs: Vec<SigningAlg>,
    policy: RotationPolicy,
    actor: Actor,
    now: i64,
) -> Result<Vec<SigningKeyMaterial>, RotationError> {
    let activates_at = now + policy.publish_ahead;
    let fresh = make_keys(sealer, algs, now, activates_at).await?;
    let mut unit = store.unit().await?;
    unit.rotate_signing_keys(&fresh, policy.retire_after, now)
        .await?;
    let kids: Vec<&str> = fresh.iter().map(|k| k.kid.as_str()).collect();
    unit.audit(&[AuditEvent {
        // The new keys, one target for all of them.
        target: Some(format!("key:{}", kids.join(","))),
        ..audit(
            actor,
            "key.rotate",
            json!({ "kids": kids, "activates_at": activates_at }),
            now,
        )
    }])
    .await?;
    unit.commit().await?;
    tracing::info!(kids = ?kids, activates_at, "signing keys rotated");
    Ok(fresh)
}

/// The algorithms whose newest key (active or next) is older than the interval.
fn due(materials: &[SigningKeyMaterial], policy: RotationPolicy, now: i64) -> Vec<SigningAlg> {
    SigningAlg::ALL
        .iter()
        .copied()
        .filter(|alg| {
            materials
                .iter()
                .filter(|m| {
                    m.alg == *alg && matches!(m.state(now), KeyState::Active | KeyState::Next)
                })
                .map(|m| m.activates_at)
                .max()
                .is_some_and(|newest| newest + policy.interval <= now)
        })
        .collect()
}

/// Rotate the algorithms that are due, if any, as the only replica doing so.
pub async fn rotate_if_due(
    store: &Store,
    sealer: &KeySealer,
    policy: RotationPolicy,
    now: i64,
) -> Result<Vec<SigningKeyMaterial>, RotationError> {
    if due(&store.signing_keys().await?, policy, now).is_empty() {
        return Ok(Vec::new());
    }
    let lock = store.key_rotation_lock().await?;
    // Another replica may have rotated while this one waited for the lock.
    let algs = due(&store.signing_keys().await?, policy, now);
    let fresh = if algs.is_empty() {
        Vec::new()
    } else {
        rotate_locked(store, sealer, algs, policy, Actor::System, now).await?
    };
    lock.release().await?;
    Ok(fresh)
}

/// Revoke key `kid` now (it leaked), under the rotation lock, with its
/// audit record. Its algorithm keeps a key that signs: a waiting one takes
/// over at once, or a new one is made to sign at once (relying parties
/// that cached the JWK set fetch it again when they meet the new `kid`).
pub async fn revoke(
    store: &Store,
    sealer: &KeySealer,
    kid: &str,
    actor: Actor,
    now: i64,
) -> Result<KeyRevocation, RotationError> {
    let lock = store.key_rotation_lock().await?;
    let materials = store.signing_keys().await?;
    let key = materials
        .iter()
        .find(|m| m.kid == kid)
        .ok_or_else(|| RotationError::NotFound(kid.to_string()))?;
    if key.revoked_at.is_some() {
        return Err(RotationError::AlreadyRevoked(kid.to_string()));
    }
    let alg = key.alg;
    let others: Vec<&SigningKeyMaterial> = materials
        .iter()
        .filter(|m| m.alg == alg && m.kid != kid && m.revoked_at.is_none())
        .collect();
    let signing = others.iter().any(|m| m.state(now) == KeyState::Active);
    let waiting = others
        .iter()
        .filter(|m| m.state(now) == KeyState::Next)
        .min_by_key(|m| m.activates_at)
        .map(|m| m.kid.clone());
    let made = if !signing && waiting.is_none() {
        make_keys(sealer, vec![alg], now, now).await?
    } else {
        Vec::new()
    };

    let mut unit = store.unit().await?;
    if !unit.revoke_signing_key(kid, now).await? {
        return Err(RotationError::AlreadyRevoked(kid.to_string()));
    }
    let successor = match (&waiting, made.first()) {
        (Some(next), _) if !signing => {
            unit.activate_signing_key(next, now).await?;
            Some(next.clone())
        }
        (_, Some(new)) => {
            unit.insert_signing_keys(&made).await?;
            Some(new.kid.clone())
        }
        _ => None,
    };
    if waiting.is_none() {
        // Nothing takes over from the keys signing now: they sign on.
        unit.keep_signing(alg.as_str(), now).await?;
    }
    unit.audit(&[AuditEvent {
        target: Some(format!("key:{kid}")),
        ..audit(
            actor,
            "key.revoke",
            json!({ "alg": alg.as_str(), "successor": successor }),
            now,
        )
    }])
    .await?;
    unit.commit().await?;
    lock.release().await?;
    tracing::warn!(kid, successor = ?successor, "signing key revoked");
    Ok(KeyRevocation {
        kid: kid.to_string(),
        successor,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(alg: SigningAlg, activates_at: i64) -> SigningKeyMaterial {
        SigningKeyMaterial {
            kid: format!("{alg}-{activates_at}"),
            alg,
            sealed_private_key: String::new(),
            created_at: activates_at,
            activates_at,
            deactivated_at: None,
            published_until: None,
            revoked_at: None,
        }
    }

    #[test]
    fn an_algorithm_is_due_when_its_newest_key_is_older_than_the_interval() {
        let policy = RotationPolicy {
            publish_ahead: 300,
            retire_after: 3900,
            interval: 1000,
        };
        let keys = [
            key(SigningAlg::RS256, 0),
            key(SigningAlg::ES256, 500),
            key(SigningAlg::EdDSA, 0),
            key(SigningAlg::EdDSA, 1200),
        ];
        assert_eq!(due(&keys, policy, 999), Vec::<SigningAlg>::new());
        assert_eq!(due(&keys, policy, 1000), vec![SigningAlg::RS256]);
        assert_eq!(
            due(&keys, policy, 1500),
            vec![SigningAlg::RS256, SigningAlg::ES256]
        );
    }
}
