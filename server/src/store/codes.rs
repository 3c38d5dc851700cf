//! Authorization codes: single use, kept only as the SHA-256 of the code.
//! Redeeming swaps the record for a tombstone instead of deleting it, so a
//! replay is recognised and can revoke what the first redemption issued.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::{Store, StoreError, from_json, to_json};
use crate::domain::crypto::sha256_hex;
use crate::domain::{AuthorizationCode, ClientId};

#[derive(Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
enum CodeEntry {
    Live(AuthorizationCode),
    Redeemed(AuthorizationCode),
}

/// What presenting a code found.
#[derive(Debug)]
pub enum CodeRedemption {
    /// First redemption: the code is now spent.
    Fresh(AuthorizationCode),
    /// The code was redeemed before.
    Replayed(AuthorizationCode),
    /// The code belongs to another client; it was left as it was.
    OtherClient,
    /// No such code, or it expired long ago.
    Unknown,
}

fn key(code: &str) -> String {
    format!("code:{}", sha256_hex(code.as_bytes()))
}

impl Store {
    pub async fn save_code(
        &self,
        code: &str,
        record: &AuthorizationCode,
        ttl: Duration,
    ) -> Result<(), StoreError> {
        let entry = to_json(&CodeEntry::Live(record.clone()))?;
        self.ephemeral.put(&key(code), &entry, ttl).await
    }

    /// Atomically mark the code redeemed by `client` and report what it
    /// was. A code of another client is refused untouched, so a wrong client
    /// cannot burn a code. The tombstone lives for `tombstone_ttl` so late
    /// replays are still caught.
    pub async fn redeem_code(
        &self,
        code: &str,
        client: &ClientId,
        tombstone_ttl: Duration,
    ) -> Result<CodeRedemption, StoreError> {
        let key = key(code);
        let Some(current) = self.ephemeral.get(&key).await? else {
            return Ok(CodeRedemption::Unknown);
        };
        let record = match from_json::<CodeEntry>("authorization code", &current)? {
            CodeEntry::Live(record) | CodeEntry::Redeemed(record) => record,
        };
        if record.client_id != *client {
            return Ok(CodeRedemption::OtherClient);
        }
        let tombstone = to_json(&CodeEntry::Redeemed(record))?;
        // The swap is the atomic step: of two concurrent redemptions exactly
        // one sees `Live` here.
        match self
            .ephemeral
            .replace_existing(&key, &tombstone, tombstone_ttl)
            .await?
        {
            None => Ok(CodeRedemption::Unknown),
            Some(previous) => Ok(
                match from_json::<CodeEntry>("authorization code", &previous)? {
                    CodeEntry::Live(record) => CodeRedemption::Fresh(record),
                    CodeEntry::Redeemed(record) => CodeRedemption::Replayed(record),
                },
            ),
        }
    }
}
