//! The provider's keys over time: publishing the JWK set of the moment,
//! picking up keys another replica (or the command line) added, and rotating.

use std::sync::Arc;

use super::keys::{self, KeyRevocation, KeySet, RotationError};
use super::{OAuthError, Provider};
use crate::domain::{Actor, SigningAlg, SigningKeyMaterial};

impl From<RotationError> for OAuthError {
    fn from(err: RotationError) -> Self {
        match err {
            RotationError::Store(store) => store.into(),
            other => OAuthError::internal("key rotation", other),
        }
    }
}

/// What identifies a stored key's life: if none changed, nothing to reload.
fn fingerprint<'a>(
    materials: impl Iterator<Item = &'a SigningKeyMaterial>,
) -> Vec<(String, i64, Option<i64>, Option<i64>)> {
    let mut rows: Vec<_> = materials
        .map(|m| {
            (
                m.kid.clone(),
                m.activates_at,
                m.deactivated_at,
                m.published_until,
            )
        })
        .collect();
    rows.sort();
    rows
}

impl Provider {
    /// The JWK set published at `now`, as JSON.
    pub fn jwks_json(&self, now: i64) -> String {
        serde_json::to_string(&self.keys().jwks(now)).unwrap_or_else(|_| r#"{"keys":[]}"#.into())
    }

    /// Load the stored keys again if they changed; `true` if they did.
    pub async fn reload_keys(&self) -> Result<bool, OAuthError> {
        let materials = self.store.signing_keys().await?;
        if fingerprint(materials.iter()) == fingerprint(self.keys().materials()) {
            return Ok(false);
        }
        let sealer = self.sealer.clone();
        // Unsealing and parsing RSA keys is CPU work.
        let loaded = tokio::task::spawn_blocking(move || KeySet::load(&materials, &sealer))
            .await
            .map_err(|e| OAuthError::internal("loading keys", e))?
            .map_err(|e| OAuthError::internal("loading keys", e))?;
        *self.keys.write().unwrap_or_else(|p| p.into_inner()) = Arc::new(loaded);
        tracing::info!("signing keys reloaded");
        Ok(true)
    }

    /// Rotate every algorithm's key now (the console's "Rotate now"), under
    /// the same lock as the schedule, and load the new keys.
    pub async fn rotate_keys(
        &self,
        actor: Actor,
        now: i64,
    ) -> Result<Vec<SigningKeyMaterial>, OAuthError> {
        let _one_at_a_time = self.rotating.lock().await;
        let fresh = keys::rotate(
            &self.store,
            &self.sealer,
            SigningAlg::ALL,
            self.config.key_rotation,
            actor,
            now,
        )
        .await?;
        self.reload_keys().await?;
        Ok(fresh)
    }

    /// Rotate the keys that are older than the rotation interval, if this
    /// replica is the one to do it.
    pub async fn rotate_keys_if_due(
        &self,
        now: i64,
    ) -> Result<Vec<SigningKeyMaterial>, OAuthError> {
        let _one_at_a_time = self.rotating.lock().await;
        let fresh =
            keys::rotate_if_due(&self.store, &self.sealer, self.config.key_rotation, now).await?;
        if !fresh.is_empty() {
            self.reload_keys().await?;
        }
        Ok(fresh)
    }

    /// Revoke a key (it leaked): unpublished and refused from now on, here
    /// at once, on other replicas at their next check (the revocation marks,
    /// then their next key reload).
    pub async fn revoke_key(
        &self,
        kid: &str,
        actor: Actor,
        now: i64,
    ) -> Result<KeyRevocation, RotationError> {
        let _one_at_a_time = self.rotating.lock().await;
        let revoked = keys::revoke(&self.store, &self.sealer, kid, actor, now).await?;
        if let Err(err) = self.reload_keys().await {
            // Done anyway by the next periodic reload.
            tracing::warn!(error = %err.description, "reloading keys after a revocation failed");
        }
        Ok(revoked)
    }
}
