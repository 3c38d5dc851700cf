use std::fmt;

use super::SigningAlg;

/// A private signing key as stored: PKCS#8 DER sealed with AES-256-GCM under
/// a key derived from the server's pepper, so a copy of the database does not
/// hold a usable key. Only the public half is ever published (at `/jwks`).
#[derive(Clone)]
pub struct SigningKeyMaterial {
    pub kid: String,
    pub alg: SigningAlg,
    pub sealed_private_key: String,
    /// Active keys sign; inactive ones are still published so tokens they
    /// signed keep verifying until they expire.
    pub active: bool,
    pub created_at: i64,
}

impl fmt::Debug for SigningKeyMaterial {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SigningKeyMaterial")
            .field("kid", &self.kid)
            .field("alg", &self.alg)
            .field("active", &self.active)
            .field("created_at", &self.created_at)
            .finish_non_exhaustive()
    }
}
