//! Authorization codes: single use, kept only as the SHA-256 of the code.
//! Redeeming swaps the record for a tombstone instead of deleting it, so a
//! replay is recognised and can revoke what the first redemption issued.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::{Store, StoreError, from_json, to_json};
use crate::domain::AuthorizationCode;
use crate::domain::crypto::sha256_hex;

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

    /// Atomically mark the code redeemed and report what it was. The
    /// tombstone lives for `tombstone_ttl` so late replays are still caught.
    pub async fn redeem_code(
        &self,
        code: &str,
        tombstone_ttl: Duration,
    ) -> Result<CodeRedemption, StoreError> {
        let key = key(code);
        let Some(current) = self.ephemeral.get(&key).await? else {
            return Ok(CodeRedemption::Unknown);
        };
        let record = match from_json::<CodeEntry>("authorization code", &current)? {
            CodeEntry::Live(record) | CodeEntry::Redeemed(record) => record,
        };
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
