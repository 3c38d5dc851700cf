//! Rotating signing keys. A new key is published in `/jwks` at once but
//! signs only `publish_ahead` later (relying parties cache the JWK set for up
//! to that long, so they know it before they see a token it signed); the key
//! it replaces stops signing then and stays published for `retire_after`,
//! until every token it signed has expired. Keys rotate on demand ("Rotate
//! now", `tessera key rotate`) and on their own every `interval`; with
//! several replicas, one of them does it (a lock, and the check repeated
//! under it).

use thiserror::Error;

use super::{KeyError, KeySealer, generate};
use crate::domain::{KeyState, SigningAlg, SigningKeyMaterial};
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
}

/// Rotate the keys of `algs` now; returns the new keys.
pub async fn rotate(
    store: &Store,
    sealer: &KeySealer,
    algs: &[SigningAlg],
    policy: RotationPolicy,
    now: i64,
) -> Result<Vec<SigningKeyMaterial>, RotationError> {
    let activates_at = now + policy.publish_ahead;
    let algs = algs.to_vec();
    let sealer = sealer.clone();
    // RSA key generation takes a while: off the async runtime.
    let fresh = tokio::task::spawn_blocking(move || {
        algs.into_iter()
            .map(|alg| generate(alg, now, activates_at, &sealer))
            .collect::<Result<Vec<_>, _>>()
    })
    .await
    .map_err(|_| RotationError::Interrupted)??;
    store
        .rotate_signing_keys(&fresh, policy.retire_after)
        .await?;
    tracing::info!(
        kids = ?fresh.iter().map(|k| k.kid.as_str()).collect::<Vec<_>>(),
        activates_at,
        "signing keys rotated"
    );
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
        rotate(store, sealer, &algs, policy, now).await?
    };
    lock.release().await?;
    Ok(fresh)
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
