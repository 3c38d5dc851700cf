//! Signing keys for the operator: their life cycle, and rotating them now.

use super::AdminError;
use crate::domain::crypto::Pepper;
use crate::domain::{Actor, KeyState, SigningAlg, SigningKeyMaterial};
use crate::oauth::keys::{self, KeyRevocation, KeySealer, RotationError, RotationPolicy};
use crate::store::Store;

/// A key as the console and the command line show it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyInfo {
    pub kid: String,
    pub alg: SigningAlg,
    pub state: KeyState,
    pub created_at: i64,
    pub activates_at: i64,
    pub deactivated_at: Option<i64>,
    pub published_until: Option<i64>,
    pub revoked_at: Option<i64>,
}

impl KeyInfo {
    fn of(material: &SigningKeyMaterial, now: i64) -> Self {
        Self {
            kid: material.kid.clone(),
            alg: material.alg,
            state: material.state(now),
            created_at: material.created_at,
            activates_at: material.activates_at,
            deactivated_at: material.deactivated_at,
            published_until: material.published_until,
            revoked_at: material.revoked_at,
        }
    }
}

/// Every stored key, newest first.
pub async fn list_keys(store: &Store, now: i64) -> Result<Vec<KeyInfo>, AdminError> {
    let mut keys: Vec<KeyInfo> = store
        .signing_keys()
        .await?
        .iter()
        .map(|m| KeyInfo::of(m, now))
        .collect();
    keys.sort_by(|a, b| (b.created_at, &b.kid).cmp(&(a.created_at, &a.kid)));
    Ok(keys)
}

/// Rotate every algorithm's key now, from outside a running server (the
/// command line); servers pick the new keys up within seconds, long before
/// they sign.
pub async fn rotate_keys(
    store: &Store,
    pepper: &Pepper,
    policy: RotationPolicy,
    actor: Actor,
    now: i64,
) -> Result<Vec<KeyInfo>, AdminError> {
    let fresh = keys::rotate(
        store,
        &KeySealer::new(pepper.clone()),
        SigningAlg::ALL,
        policy,
        actor,
        now,
    )
    .await?;
    Ok(fresh.iter().map(|m| KeyInfo::of(m, now)).collect())
}

/// Revoke a key from outside a running server (the command line): servers
/// refuse what it signed at once, and stop publishing and signing with it
/// at their next key reload.
pub async fn revoke_key(
    store: &Store,
    pepper: &Pepper,
    kid: &str,
    actor: Actor,
    now: i64,
) -> Result<KeyRevocation, AdminError> {
    Ok(keys::revoke(store, &KeySealer::new(pepper.clone()), kid, actor, now).await?)
}

impl From<RotationError> for AdminError {
    fn from(err: RotationError) -> Self {
        match err {
            RotationError::NotFound(kid) => AdminError::NotFound(format!("key {kid}")),
            RotationError::AlreadyRevoked(_) => AdminError::Refused("the key is revoked already"),
            RotationError::Store(store) => AdminError::Store(store),
            other => AdminError::Failed(other.to_string()),
        }
    }
}
