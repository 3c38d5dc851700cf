//! Randomness, hashing and comparison primitives shared by every layer.
//!
//! Every identifier a client or browser could guess is drawn from the OS-seeded
//! CSPRNG behind `rand::rng()`; every comparison of a secret runs in constant time.

use std::fmt;

use aws_lc_rs::{digest, hmac};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore;
use subtle::ConstantTimeEq;

/// `bytes` random bytes, base64url-encoded without padding (32 bytes → 43 characters).
pub fn random_token(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    rand::rng().fill_bytes(&mut buf);
    URL_SAFE_NO_PAD.encode(buf)
}

pub fn b64url(data: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(data)
}

pub fn sha256(data: &[u8]) -> Vec<u8> {
    digest::digest(&digest::SHA256, data).as_ref().to_vec()
}

pub fn sha512(data: &[u8]) -> Vec<u8> {
    digest::digest(&digest::SHA512, data).as_ref().to_vec()
}

/// SHA-256 as lowercase hex: how high-entropy tokens (refresh tokens, session
/// ids, codes) are stored, so a copy of the database cannot be replayed.
pub fn sha256_hex(data: &[u8]) -> String {
    hex(&sha256(data))
}

pub fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut out, b| {
            let _ = write!(out, "{b:02x}");
            out
        })
}

pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.ct_eq(b).into()
}

/// The server-side key that client secrets and CSRF tokens are bound to. It is
/// configuration, not data: a stolen database alone cannot verify a guess.
#[derive(Clone)]
pub struct Pepper(Vec<u8>);

impl Pepper {
    pub const MIN_LEN: usize = 32;

    pub fn new(bytes: Vec<u8>) -> Option<Self> {
        (bytes.len() >= Self::MIN_LEN).then_some(Self(bytes))
    }

    /// HMAC-SHA-256 over `label || 0x00 || data`, hex-encoded. The label keeps
    /// the uses of one pepper apart (a CSRF token is never a valid secret hash).
    pub fn keyed_hash(&self, label: &str, data: &[u8]) -> String {
        hex(&self.mac(label, data))
    }

    pub fn mac(&self, label: &str, data: &[u8]) -> Vec<u8> {
        let key = hmac::Key::new(hmac::HMAC_SHA256, &self.0);
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
    fn random_tokens_are_long_and_distinct() {
        let a = random_token(32);
        let b = random_token(32);
        assert_eq!(a.len(), 43);
        assert_ne!(a, b);
    }

    #[test]
    fn keyed_hash_depends_on_label_and_key() {
        let p1 = Pepper::new(vec![1; 32]).expect("32 bytes");
        let p2 = Pepper::new(vec![2; 32]).expect("32 bytes");
        assert_ne!(p1.keyed_hash("a", b"x"), p1.keyed_hash("b", b"x"));
        assert_ne!(p1.keyed_hash("a", b"x"), p2.keyed_hash("a", b"x"));
        assert_eq!(p1.keyed_hash("a", b"x").len(), 64);
    }

    #[test]
    fn short_peppers_are_refused() {
        assert!(Pepper::new(vec![0; 31]).is_none());
    }
}
