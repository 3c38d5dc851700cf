//! Randomness, hashing and comparison primitives shared by every layer.
//!
//! Every identifier a client or browser could guess is drawn from the OS-seeded
//! CSPRNG behind `rand::rng()`; every comparison of a secret runs in constant time.

use std::fmt;

use aws_lc_rs::{digest, hkdf, hmac};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore;
use subtle::ConstantTimeEq;

/// `bytes` random bytes, base64url-encoded without padding (32 bytes → 43 characters).
pub fn random_token(bytes: usize) -> String {
    URL_SAFE_NO_PAD.encode(random_bytes(bytes))
}

pub fn random_bytes(bytes: usize) -> Vec<u8> {
    let mut buf = vec![0u8; bytes];
    rand::rng().fill_bytes(&mut buf);
    buf
}

pub fn b64url(data: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(data)
}

pub fn sha256(data: &[u8]) -> Vec<u8> {
    digest::digest(&digest::SHA256, data).as_ref().to_vec()
}

/// SHA-256 as a fixed array: a map key that needs no allocation of its own.
pub fn sha256_array(data: &[u8]) -> [u8; 32] {
    let mut out = [0u8; 32];
    out.copy_from_slice(digest::digest(&digest::SHA256, data).as_ref());
    out
}

pub fn sha512(data: &[u8]) -> Vec<u8> {
    digest::digest(&digest::SHA512, data).as_ref().to_vec()
}

/// SHA-256 as lowercase hex: how high-entropy tokens (refresh tokens, session
/// ids, codes) are stored, so a copy of the database cannot be replayed.
pub fn sha256_hex(data: &[u8]) -> String {
    hex(&sha256(data))
}

/// Lowercase hex, by table: on the path of every token request, where
/// `write!` per byte cost more than the hash it printed.
pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 0x0f)]));
    }
    out
}

pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.ct_eq(b).into()
}

/// What an HMAC key derived from the pepper is for. Each use gets its own
/// key (HKDF-SHA-256, RFC 5869), so no output of one can stand in for
/// another. The sealing key of private signing keys is derived the same way
/// but is no HMAC key at all, so it is not one of these.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyPurpose {
    ClientSecret,
    Csrf,
}

impl KeyPurpose {
    fn info(self) -> &'static [u8] {
        match self {
            KeyPurpose::ClientSecret => b"tessera v2 client-secret hash",
            KeyPurpose::Csrf => b"tessera v2 csrf token",
        }
    }
}

/// The HKDF info of the AES key that seals private signing keys.
const SEAL_INFO: &[u8] = b"tessera v2 signing-key seal";

/// The server-side secret that client secrets, CSRF tokens and sealed signing
/// keys are bound to. It is configuration, not data: a stolen database alone
/// cannot verify a guess or unseal a key.
#[derive(Clone)]
pub struct Pepper {
    raw: Vec<u8>,
    client_secret: hmac::Key,
    csrf: hmac::Key,
    seal: [u8; 32],
}

impl Pepper {
    pub const MIN_LEN: usize = 32;

    pub fn new(bytes: Vec<u8>) -> Option<Self> {
        if bytes.len() < Self::MIN_LEN {
            return None;
        }
        let derive = |info: &[u8]| -> Option<[u8; 32]> {
            let mut out = [0u8; 32];
            hkdf::Salt::new(hkdf::HKDF_SHA256, b"tessera pepper")
                .extract(&bytes)
                .expand(&[info], hkdf::HKDF_SHA256)
                .ok()?
                .fill(&mut out)
                .ok()?;
            Some(out)
        };
        let mac_key = |purpose: KeyPurpose| {
            derive(purpose.info()).map(|key| hmac::Key::new(hmac::HMAC_SHA256, &key))
        };
        Some(Self {
            client_secret: mac_key(KeyPurpose::ClientSecret)?,
            csrf: mac_key(KeyPurpose::Csrf)?,
            seal: derive(SEAL_INFO)?,
            raw: bytes,
        })
    }

    /// HMAC-SHA-256 of `data` under the key derived for `purpose`.
    pub fn mac(&self, purpose: KeyPurpose, data: &[u8]) -> Vec<u8> {
        let key = match purpose {
            KeyPurpose::ClientSecret => &self.client_secret,
            KeyPurpose::Csrf => &self.csrf,
        };
        hmac::sign(key, data).as_ref().to_vec()
    }

    /// The AES-256 key that seals private signing keys.
    pub fn seal_key(&self) -> &[u8; 32] {
        &self.seal
    }

    /// The derivation used before per-purpose keys: HMAC-SHA-256 under the
    /// pepper itself over `label || 0x00 || data`, hex-encoded. Kept only to
    /// read data written that way.
    pub fn legacy_keyed_hash(&self, label: &str, data: &[u8]) -> String {
        hex(&self.legacy_mac(label, data))
    }

    pub fn legacy_mac(&self, label: &str, data: &[u8]) -> Vec<u8> {
        let key = hmac::Key::new(hmac::HMAC_SHA256, &self.raw);
        let mut ctx = hmac::Context::with_key(&key);
        ctx.update(label.as_bytes());
        ctx.update(&[0]);
        ctx.update(data);
        ctx.sign().as_ref().to_vec()
    }
}

impl fmt::Debug for Pepper {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Pepper(***)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_is_lowercase_two_digits_a_byte() {
        assert_eq!(hex(&[0x00, 0x0f, 0xa0, 0xff, 0x5c]), "000fa0ff5c");
        assert_eq!(hex(&[]), "");
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn random_tokens_are_long_and_distinct() {
        let a = random_token(32);
        let b = random_token(32);
        assert_eq!(a.len(), 43);
        assert_ne!(a, b);
    }

    #[test]
    fn each_purpose_has_its_own_key() {
        let p1 = Pepper::new(vec![1; 32]).expect("32 bytes");
        let p2 = Pepper::new(vec![2; 32]).expect("32 bytes");
        let secret = p1.mac(KeyPurpose::ClientSecret, b"x");
        assert_ne!(secret, p1.mac(KeyPurpose::Csrf, b"x"));
        assert_ne!(secret.as_slice(), p1.seal_key().as_slice());
        assert_ne!(secret, p2.mac(KeyPurpose::ClientSecret, b"x"));
        assert_ne!(p1.seal_key(), p2.seal_key());
        assert_eq!(p1.legacy_keyed_hash("a", b"x").len(), 64);
        assert_ne!(
            p1.legacy_keyed_hash("a", b"x"),
            p1.legacy_keyed_hash("b", b"x")
        );
    }

    #[test]
    fn short_peppers_are_refused() {
        assert!(Pepper::new(vec![0; 31]).is_none());
    }
}
