//! Sealing private keys at rest (AES-256-GCM under the pepper's key-sealing key).

use aws_lc_rs::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;

use super::KeyError;
use crate::domain::crypto::Pepper;

/// Seals private keys with AES-256-GCM under the pepper's key-sealing key.
/// The kid is the associated data, so a sealed key cannot be moved to another
/// row. `v2:` values use the key derived for sealing alone; `v1:` values
/// (the pepper's HMAC as the key) are still read, and resealed at start-up.
#[derive(Clone, Debug)]
pub struct KeySealer {
    pepper: Pepper,
}

impl KeySealer {
    pub fn new(pepper: Pepper) -> Self {
        Self { pepper }
    }

    fn key(&self, version: SealVersion) -> Result<LessSafeKey, KeyError> {
        let bytes = match version {
            SealVersion::V2 => self.pepper.seal_key().to_vec(),
            SealVersion::V1 => self.pepper.legacy_mac("signing-key-seal", b""),
        };
        UnboundKey::new(&AES_256_GCM, &bytes)
            .map(LessSafeKey::new)
            .map_err(|_| KeyError::Generation)
    }

    pub fn seal(&self, kid: &str, der: &[u8]) -> Result<String, KeyError> {
        let mut nonce = [0u8; NONCE_LEN];
        aws_lc_rs::rand::fill(&mut nonce).map_err(|_| KeyError::Generation)?;
        let mut data = der.to_vec();
        self.key(SealVersion::V2)?
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(kid.as_bytes()),
                &mut data,
            )
            .map_err(|_| KeyError::Generation)?;
        let mut out = nonce.to_vec();
        out.extend_from_slice(&data);
        Ok(format!("v2:{}", STANDARD.encode(out)))
    }

    /// Sealed the old way: reseal it with [`KeySealer::reseal`].
    pub fn is_legacy(sealed: &str) -> bool {
        sealed.starts_with("v1:")
    }

    /// The same private key sealed the current way.
    pub fn reseal(&self, kid: &str, sealed: &str) -> Result<String, KeyError> {
        self.seal(kid, &self.unseal(kid, sealed)?)
    }

    pub(super) fn unseal(&self, kid: &str, sealed: &str) -> Result<Vec<u8>, KeyError> {
        let fail = || KeyError::Unseal {
            kid: kid.to_string(),
        };
        let (version, payload) = if let Some(payload) = sealed.strip_prefix("v2:") {
            (SealVersion::V2, payload)
        } else if let Some(payload) = sealed.strip_prefix("v1:") {
            (SealVersion::V1, payload)
        } else {
            return Err(fail());
        };
        let bytes = STANDARD.decode(payload).map_err(|_| fail())?;
        if bytes.len() <= NONCE_LEN {
            return Err(fail());
        }
        let (nonce, ciphertext) = bytes.split_at(NONCE_LEN);
        let nonce = Nonce::try_assume_unique_for_key(nonce).map_err(|_| fail())?;
        let mut data = ciphertext.to_vec();
        let plain = self
            .key(version)?
            .open_in_place(nonce, Aad::from(kid.as_bytes()), &mut data)
            .map_err(|_| fail())?;
        Ok(plain.to_vec())
    }
}

#[derive(Clone, Copy)]
enum SealVersion {
    V1,
    V2,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sealer() -> KeySealer {
        KeySealer::new(Pepper::new(vec![7; 32]).expect("pepper"))
    }

    #[test]
    fn keys_sealed_the_old_way_still_open_and_reseal() {
        let sealer = sealer();
        let der = b"private key bytes".to_vec();
        // The v1 format: AES-256-GCM under HMAC(pepper, "signing-key-seal" || 0).
        let key = LessSafeKey::new(
            UnboundKey::new(
                &AES_256_GCM,
                &sealer.pepper.legacy_mac("signing-key-seal", b""),
            )
            .expect("key"),
        );
        let nonce = [3u8; NONCE_LEN];
        let mut data = der.clone();
        key.seal_in_place_append_tag(
            Nonce::assume_unique_for_key(nonce),
            Aad::from(b"kid-1".as_slice()),
            &mut data,
        )
        .expect("seal");
        let mut sealed = nonce.to_vec();
        sealed.extend_from_slice(&data);
        let v1 = format!("v1:{}", STANDARD.encode(sealed));

        assert!(KeySealer::is_legacy(&v1));
        assert_eq!(sealer.unseal("kid-1", &v1).expect("unseal v1"), der);
        let v2 = sealer.reseal("kid-1", &v1).expect("reseal");
        assert!(v2.starts_with("v2:") && !KeySealer::is_legacy(&v2));
        assert_eq!(sealer.unseal("kid-1", &v2).expect("unseal v2"), der);
        assert!(sealer.unseal("kid-2", &v2).is_err(), "bound to its kid");
    }
}
