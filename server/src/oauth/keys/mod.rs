//! Signing keys: generation (RSA-2048, P-256, Ed25519 via aws-lc-rs), sealing
//! at rest, the public JWK set (RFC 7517) and JWS signing and verification.
//!
//! Verification picks the key by `kid` and then demands that the header's
//! `alg` is exactly that key's algorithm, so `alg: none`, HMAC-with-the-public-
//! key and any other algorithm confusion fail by construction (RFC 8725 §3.1).

mod rotation;
mod seal;

pub use rotation::{KeyRevocation, RotationError, RotationPolicy, revoke, rotate, rotate_if_due};
pub use seal::KeySealer;

use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::rsa::KeySize;
use aws_lc_rs::signature::{
    ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, Ed25519KeyPair, RSA_PKCS1_SHA256, RsaKeyPair,
};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use jsonwebtoken::jwk::{Jwk, JwkSet, PublicKeyUse};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::Serialize;
use serde::de::DeserializeOwned;
use thiserror::Error;

use crate::domain::crypto::{b64url, random_token};
use crate::domain::{KeyState, SigningAlg, SigningKeyMaterial};

#[derive(Debug, Error)]
pub enum KeyError {
    #[error("key generation failed")]
    Generation,
    #[error("key {kid} cannot be unsealed: wrong pepper or corrupt data")]
    Unseal { kid: String },
    #[error("key {kid} is unusable: {reason}")]
    Unusable { kid: String, reason: String },
    #[error("no active {0} key")]
    NoActiveKey(SigningAlg),
    #[error("signing failed: {0}")]
    Signing(String),
    #[error("self-test of key {kid} failed: {reason}")]
    SelfTest { kid: String, reason: String },
}

/// Why a presented JWT was refused. Never shown in detail to clients.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum VerifyError {
    #[error("the token is not a well-formed JWS")]
    Malformed,
    #[error("the token names no key of this issuer")]
    UnknownKey,
    #[error("the token's key is retired or revoked")]
    KeyWithdrawn,
    #[error("the token's algorithm does not match its key")]
    AlgorithmMismatch,
    #[error("the token has the wrong type")]
    WrongType,
    #[error("the token's signature or claims are invalid")]
    Invalid,
}

/// How long relying parties may cache `/jwks` (its `Cache-Control:
/// max-age`).
pub const JWKS_MAX_AGE_SECS: i64 = 300;
/// How often replicas load keys another replica (or the command line) added.
pub const KEY_RELOAD_SECS: i64 = 10;
/// A new key is published this long before it signs: long enough for every
/// replica to have loaded it and every relying party's cached JWK set to
/// have expired, with half a minute to spare.
pub const PUBLISH_AHEAD_SECS: i64 = JWKS_MAX_AGE_SECS + KEY_RELOAD_SECS + 30;

pub fn jwt_algorithm(alg: SigningAlg) -> Algorithm {
    match alg {
        SigningAlg::RS256 => Algorithm::RS256,
        SigningAlg::ES256 => Algorithm::ES256,
        SigningAlg::EdDSA => Algorithm::EdDSA,
    }
}

/// Generate a fresh key pair for `alg`, sealed for storage, to start
/// signing at `activates_at`.
pub fn generate(
    alg: SigningAlg,
    now: i64,
    activates_at: i64,
    sealer: &KeySealer,
) -> Result<SigningKeyMaterial, KeyError> {
    let der: Vec<u8> = match alg {
        SigningAlg::RS256 => aws_lc_rs::rsa::KeyPair::generate(KeySize::Rsa2048)
            .and_then(|pair| pair.as_der())
            .map(|der| der.as_ref().to_vec())
            .map_err(|_| KeyError::Generation)?,
        SigningAlg::ES256 => {
            EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &SystemRandom::new())
                .map(|doc| doc.as_ref().to_vec())
                .map_err(|_| KeyError::Generation)?
        }
        SigningAlg::EdDSA => Ed25519KeyPair::generate_pkcs8v1(&SystemRandom::new())
            .map(|doc| doc.as_ref().to_vec())
            .map_err(|_| KeyError::Generation)?,
    };
    let kid = format!("{}-{}", alg.as_str().to_ascii_lowercase(), random_token(12));
    Ok(SigningKeyMaterial {
        sealed_private_key: sealer.seal(&kid, &der)?,
        kid,
        alg,
        created_at: now,
        activates_at,
        deactivated_at: None,
        published_until: None,
        revoked_at: None,
    })
}

/// PKCS#8 DER as a PEM "PRIVATE KEY" block, which is how jsonwebtoken takes RSA keys.
fn pkcs8_pem(der: &[u8]) -> String {
    let body = STANDARD.encode(der);
    let lines: Vec<&str> = body
        .as_bytes()
        .chunks(64)
        .map(|chunk| std::str::from_utf8(chunk).unwrap_or_default())
        .collect();
    format!(
        "-----BEGIN PRIVATE KEY-----\n{}\n-----END PRIVATE KEY-----\n",
        lines.join("\n")
    )
}

struct LoadedKey {
    material: SigningKeyMaterial,
    kid: String,
    alg: SigningAlg,
    signer: Signer,
    decoding: DecodingKey,
    jwk: Jwk,
}

/// A private key parsed once, at load. (Parsing and checking an RSA key
/// costs more than the signature itself; jsonwebtoken would redo it for
/// every token.)
enum Signer {
    Rsa(RsaKeyPair),
    Ecdsa(EcdsaKeyPair),
    Ed25519(Ed25519KeyPair),
}

impl Signer {
    fn parse(alg: SigningAlg, pkcs8: &[u8]) -> Result<Self, String> {
        match alg {
            SigningAlg::RS256 => RsaKeyPair::from_pkcs8(pkcs8)
                .map(Signer::Rsa)
                .map_err(|e| e.to_string()),
            SigningAlg::ES256 => EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8)
                .map(Signer::Ecdsa)
                .map_err(|e| e.to_string()),
            SigningAlg::EdDSA => Ed25519KeyPair::from_pkcs8_maybe_unchecked(pkcs8)
                .map(Signer::Ed25519)
                .map_err(|e| e.to_string()),
        }
    }

    /// The JWS signature of `message` (RFC 7518 §3.3, §3.4; RFC 8037 §3.1).
    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, KeyError> {
        let failed = |e: aws_lc_rs::error::Unspecified| KeyError::Signing(e.to_string());
        match self {
            Signer::Rsa(key) => {
                let mut signature = vec![0; key.public_modulus_len()];
                key.sign(
                    &RSA_PKCS1_SHA256,
                    &SystemRandom::new(),
                    message,
                    &mut signature,
                )
                .map_err(failed)?;
                Ok(signature)
            }
            Signer::Ecdsa(key) => Ok(key
                .sign(&SystemRandom::new(), message)
                .map_err(failed)?
                .as_ref()
                .to_vec()),
            Signer::Ed25519(key) => Ok(key.sign(message).as_ref().to_vec()),
        }
    }
}

/// All keys, ready to sign and verify. Built once from storage; cheap to share
/// behind an `Arc`.
pub struct KeySet {
    /// Newest first.
    keys: Vec<LoadedKey>,
}

impl std::fmt::Debug for KeySet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list()
            .entries(self.keys.iter().map(|k| &k.kid))
            .finish()
    }
}

impl KeySet {
    pub fn load(materials: &[SigningKeyMaterial], sealer: &KeySealer) -> Result<Self, KeyError> {
        let mut newest_first: Vec<&SigningKeyMaterial> = materials.iter().collect();
        newest_first.sort_by(|a, b| (b.created_at, &b.kid).cmp(&(a.created_at, &a.kid)));
        let keys = newest_first
            .into_iter()
            .map(|material| load_key(material, sealer))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self { keys })
    }

    /// Algorithms with no key that signs now or will sign.
    pub fn missing_algorithms(materials: &[SigningKeyMaterial], now: i64) -> Vec<SigningAlg> {
        SigningAlg::ALL
            .iter()
            .copied()
            .filter(|alg| {
                !materials.iter().any(|m| {
                    m.alg == *alg && matches!(m.state(now), KeyState::Active | KeyState::Next)
                })
            })
            .collect()
    }

    /// The key that signs `alg` at `now`: the active one that activated last.
    fn signer(&self, alg: SigningAlg, now: i64) -> Result<&LoadedKey, KeyError> {
        self.keys
            .iter()
            .filter(|k| k.alg == alg && k.material.state(now) == KeyState::Active)
            .max_by_key(|k| (k.material.activates_at, k.material.created_at))
            .ok_or(KeyError::NoActiveKey(alg))
    }

    /// Sign `claims` as a compact JWS with the key that signs `alg` at `now`,
    /// naming it in `kid` and setting `typ`.
    pub fn sign<T: Serialize>(
        &self,
        alg: SigningAlg,
        typ: &str,
        claims: &T,
        now: i64,
    ) -> Result<String, KeyError> {
        let key = self.signer(alg, now)?;
        let mut header = Header::new(jwt_algorithm(alg));
        header.kid = Some(key.kid.clone());
        header.typ = Some(typ.to_string());
        compact_jws(&key.signer, &header, claims)
    }

    /// The `kid` of the key that signs `alg` at `now`.
    pub fn signing_kid(&self, alg: SigningAlg, now: i64) -> Option<&str> {
        self.signer(alg, now).ok().map(|k| k.kid.as_str())
    }

    /// The stored keys this set was loaded from.
    pub fn materials(&self) -> impl Iterator<Item = &SigningKeyMaterial> {
        self.keys.iter().map(|k| &k.material)
    }

    /// Verify a JWS signed by one of our keys and return its claims. `typ`
    /// lists the accepted `typ` header values (compared case-insensitively).
    /// Only a key published at `now` verifies: a retired key (every token it
    /// signed has expired) or a revoked one (it leaked) vouches for nothing.
    /// Expiry and audience are left to the caller, who knows the rules.
    pub fn verify<T: DeserializeOwned>(
        &self,
        token: &str,
        typ: &[&str],
        issuer: &str,
        now: i64,
    ) -> Result<T, VerifyError> {
        let header = jsonwebtoken::decode_header(token).map_err(|_| VerifyError::Malformed)?;
        let kid = header.kid.as_deref().ok_or(VerifyError::UnknownKey)?;
        let key = self
            .keys
            .iter()
            .find(|k| k.kid == kid)
            .ok_or(VerifyError::UnknownKey)?;
        if !key.material.state(now).is_published() {
            return Err(VerifyError::KeyWithdrawn);
        }
        decode_with(key, &header, token, typ, issuer)
    }

    /// Whether the key `kid` is ours and published at `now`: what
    /// [`KeySet::verify`] asks of a token's key before its signature.
    pub fn publishes(&self, kid: &str, now: i64) -> bool {
        self.keys
            .iter()
            .any(|k| k.kid == kid && k.material.state(now).is_published())
    }

    /// The claims and `kid` of a token whose signature [`KeySet::verify`]
    /// accepted before, read again without checking the signature: only
    /// for a token known, by its digest, to have been verified. `None` if
    /// its key is no longer published at `now` (it vouches for nothing).
    pub fn reread<T: DeserializeOwned>(&self, token: &str, now: i64) -> Option<(T, String)> {
        let data = jsonwebtoken::dangerous::insecure_decode::<T>(token).ok()?;
        let kid = data.header.kid?;
        self.publishes(&kid, now).then_some((data.claims, kid))
    }

    /// The `kid` of a token's header, if it has one.
    pub fn kid_of(token: &str) -> Option<String> {
        jsonwebtoken::decode_header(token).ok()?.kid
    }

    /// The public keys published at `now` (next, active and retiring ones),
    /// each with `kid`, `alg` and `use: sig`.
    pub fn jwks(&self, now: i64) -> JwkSet {
        JwkSet {
            keys: self
                .keys
                .iter()
                .filter(|k| k.material.state(now).is_published())
                .map(|k| k.jwk.clone())
                .collect(),
        }
    }

    /// Sign a token with every key and verify it with jsonwebtoken (the
    /// verifier of every request): a wrong crypto backend or a damaged key
    /// stops start-up instead of the first login.
    pub fn self_test(&self, issuer: &str) -> Result<(), KeyError> {
        #[derive(Serialize, serde::Deserialize)]
        struct Probe {
            iss: String,
            nonce: String,
        }
        for key in &self.keys {
            let fail = |reason: String| KeyError::SelfTest {
                kid: key.kid.clone(),
                reason,
            };
            let probe = Probe {
                iss: issuer.to_string(),
                nonce: random_token(8),
            };
            let mut header = Header::new(jwt_algorithm(key.alg));
            header.kid = Some(key.kid.clone());
            header.typ = Some("JWT".into());
            let token =
                compact_jws(&key.signer, &header, &probe).map_err(|e| fail(e.to_string()))?;
            let back: Probe = decode_with(key, &header, &token, &["JWT"], issuer)
                .map_err(|e| fail(e.to_string()))?;
            if back.nonce != probe.nonce {
                return Err(fail("round trip changed the claims".into()));
            }
        }
        Ok(())
    }
}

/// Check a token against `key`: the header's `alg` exactly the key's, an
/// accepted `typ`, the signature, the issuer.
fn decode_with<T: DeserializeOwned>(
    key: &LoadedKey,
    header: &Header,
    token: &str,
    typ: &[&str],
    issuer: &str,
) -> Result<T, VerifyError> {
    let alg = jwt_algorithm(key.alg);
    if header.alg != alg {
        return Err(VerifyError::AlgorithmMismatch);
    }
    let header_typ = header.typ.as_deref().unwrap_or_default();
    if !typ.iter().any(|t| t.eq_ignore_ascii_case(header_typ)) {
        return Err(VerifyError::WrongType);
    }
    let mut validation = Validation::new(alg);
    validation.validate_exp = false;
    validation.validate_nbf = false;
    validation.validate_aud = false;
    validation.required_spec_claims.clear();
    validation.set_issuer(&[issuer]);
    jsonwebtoken::decode::<T>(token, &key.decoding, &validation)
        .map(|data| data.claims)
        .map_err(|_| VerifyError::Invalid)
}

/// `base64url(header).base64url(claims).base64url(signature)` (RFC 7515 §7.1).
fn compact_jws<T: Serialize>(
    signer: &Signer,
    header: &Header,
    claims: &T,
) -> Result<String, KeyError> {
    let mut token = format!("{}.{}", b64url(&json(header)?), b64url(&json(claims)?));
    let signature = signer.sign(token.as_bytes())?;
    token.push('.');
    token.push_str(&b64url(&signature));
    Ok(token)
}

fn json<T: Serialize>(value: &T) -> Result<Vec<u8>, KeyError> {
    serde_json::to_vec(value).map_err(|e| KeyError::Signing(e.to_string()))
}

fn load_key(material: &SigningKeyMaterial, sealer: &KeySealer) -> Result<LoadedKey, KeyError> {
    let unusable = |reason: String| KeyError::Unusable {
        kid: material.kid.clone(),
        reason,
    };
    let der = sealer.unseal(&material.kid, &material.sealed_private_key)?;
    let encoding = match material.alg {
        SigningAlg::RS256 => EncodingKey::from_rsa_pem(pkcs8_pem(&der).as_bytes())
            .map_err(|e| unusable(e.to_string()))?,
        SigningAlg::ES256 => EncodingKey::from_ec_der(&der),
        SigningAlg::EdDSA => EncodingKey::from_ed_der(&der),
    };
    let mut jwk = Jwk::from_encoding_key(&encoding, jwt_algorithm(material.alg))
        .map_err(|e| unusable(e.to_string()))?;
    jwk.common.key_id = Some(material.kid.clone());
    jwk.common.public_key_use = Some(PublicKeyUse::Signature);
    let decoding = DecodingKey::from_jwk(&jwk).map_err(|e| unusable(e.to_string()))?;
    let signer = Signer::parse(material.alg, &der).map_err(unusable)?;
    Ok(LoadedKey {
        material: material.clone(),
        kid: material.kid.clone(),
        alg: material.alg,
        signer,
        decoding,
        jwk,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    fn sealer() -> KeySealer {
        KeySealer::new(crate::domain::crypto::Pepper::new(vec![7; 32]).expect("pepper"))
    }

    fn keyset() -> KeySet {
        let sealer = sealer();
        let materials: Vec<_> = SigningAlg::ALL
            .iter()
            .map(|alg| generate(*alg, 1, 1, &sealer).expect("generate"))
            .collect();
        KeySet::load(&materials, &sealer).expect("load")
    }

    #[derive(Serialize, Deserialize, PartialEq, Debug)]
    struct Claims {
        iss: String,
        sub: String,
    }

    fn claims() -> Claims {
        Claims {
            iss: "https://id.example".into(),
            sub: "u1".into(),
        }
    }

    #[test]
    fn every_algorithm_signs_and_verifies() {
        let keys = keyset();
        keys.self_test("https://id.example").expect("self test");
        for alg in SigningAlg::ALL {
            let token = keys.sign(*alg, "JWT", &claims(), 2).expect("sign");
            let back: Claims = keys
                .verify(&token, &["JWT"], "https://id.example", 2)
                .expect("verify");
            assert_eq!(back, claims());
        }
    }

    #[test]
    fn the_newest_active_key_signs_and_retired_keys_leave_the_jwks() {
        let sealer = sealer();
        let mut old = generate(SigningAlg::ES256, 0, 0, &sealer).expect("old");
        let new = generate(SigningAlg::ES256, 100, 400, &sealer).expect("new");
        old.deactivated_at = Some(400);
        old.published_until = Some(4000);
        let keys = KeySet::load(&[old.clone(), new.clone()], &sealer).expect("load");
        let kid_of = |token: String| {
            jsonwebtoken::decode_header(&token)
                .expect("header")
                .kid
                .expect("kid")
        };
        let signed_at = |now| {
            kid_of(
                keys.sign(SigningAlg::ES256, "JWT", &claims(), now)
                    .expect("sign"),
            )
        };
        let published = |now| {
            keys.jwks(now)
                .keys
                .iter()
                .filter_map(|k| k.common.key_id.clone())
                .collect::<Vec<_>>()
        };
        assert_eq!(signed_at(399), old.kid, "the new key waits");
        assert_eq!(
            published(200).len(),
            2,
            "the new key is published before it signs"
        );
        assert_eq!(signed_at(400), new.kid);
        assert_eq!(published(3999).len(), 2, "the old key stays for its tokens");
        assert_eq!(published(4000), vec![new.kid.clone()], "then it is retired");
        // Tokens it signed verify while it is published (an expired
        // id_token_hint, say), and not once it is retired.
        let token = keys
            .sign(SigningAlg::ES256, "JWT", &claims(), 10)
            .expect("sign");
        assert!(
            keys.verify::<Claims>(&token, &["JWT"], "https://id.example", 3999)
                .is_ok()
        );
        assert_eq!(
            keys.verify::<Claims>(&token, &["JWT"], "https://id.example", 4000),
            Err(VerifyError::KeyWithdrawn)
        );
    }

    #[test]
    fn a_revoked_key_verifies_nothing_from_its_revocation_on() {
        let sealer = sealer();
        let mut key = generate(SigningAlg::EdDSA, 0, 0, &sealer).expect("key");
        let keys = KeySet::load(std::slice::from_ref(&key), &sealer).expect("load");
        let token = keys
            .sign(SigningAlg::EdDSA, "JWT", &claims(), 5)
            .expect("sign");
        key.revoked_at = Some(10);
        let keys = KeySet::load(&[key], &sealer).expect("load");
        assert!(
            keys.verify::<Claims>(&token, &["JWT"], "https://id.example", 9)
                .is_ok()
        );
        assert_eq!(
            keys.verify::<Claims>(&token, &["JWT"], "https://id.example", 10),
            Err(VerifyError::KeyWithdrawn)
        );
        assert!(keys.jwks(10).keys.is_empty(), "unpublished at once");
        keys.self_test("https://id.example")
            .expect("a revoked key does not stop start-up");
    }

    #[test]
    fn the_jwks_holds_public_keys_only() {
        let json = serde_json::to_value(keyset().jwks(2)).expect("json");
        let keys = json["keys"].as_array().expect("keys");
        assert_eq!(keys.len(), 3);
        for key in keys {
            assert!(key["kid"].is_string());
            assert_eq!(key["use"], "sig");
            for private in ["d", "p", "q", "dp", "dq", "qi", "k"] {
                assert!(key.get(private).is_none(), "{private} leaked");
            }
        }
    }

    #[test]
    fn alg_none_and_wrong_algorithms_are_refused() {
        let keys = keyset();
        let token = keys
            .sign(SigningAlg::RS256, "JWT", &claims(), 2)
            .expect("sign");
        let parts: Vec<&str> = token.split('.').collect();
        let header: serde_json::Value = serde_json::from_slice(
            &base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(parts[0])
                .expect("b64"),
        )
        .expect("json");
        let kid = header["kid"].as_str().expect("kid");
        let b64 = |v: serde_json::Value| {
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string())
        };
        let none = format!(
            "{}.{}.",
            b64(serde_json::json!({"alg": "none", "kid": kid, "typ": "JWT"})),
            parts[1]
        );
        assert_eq!(
            keys.verify::<Claims>(&none, &["JWT"], "https://id.example", 2),
            Err(VerifyError::Malformed)
        );
        let hs = format!(
            "{}.{}.{}",
            b64(serde_json::json!({"alg": "HS256", "kid": kid, "typ": "JWT"})),
            parts[1],
            parts[2]
        );
        assert_eq!(
            keys.verify::<Claims>(&hs, &["JWT"], "https://id.example", 2),
            Err(VerifyError::AlgorithmMismatch)
        );
        let es = format!(
            "{}.{}.{}",
            b64(serde_json::json!({"alg": "ES256", "kid": kid, "typ": "JWT"})),
            parts[1],
            parts[2]
        );
        assert_eq!(
            keys.verify::<Claims>(&es, &["JWT"], "https://id.example", 2),
            Err(VerifyError::AlgorithmMismatch)
        );
    }

    #[test]
    fn tampering_issuer_and_type_are_checked() {
        let keys = keyset();
        let token = keys
            .sign(SigningAlg::ES256, "at+jwt", &claims(), 2)
            .expect("sign");
        assert_eq!(
            keys.verify::<Claims>(&token, &["JWT"], "https://id.example", 2),
            Err(VerifyError::WrongType)
        );
        assert_eq!(
            keys.verify::<Claims>(&token, &["at+jwt"], "https://other.example", 2),
            Err(VerifyError::Invalid)
        );
        let parts: Vec<&str> = token.split('.').collect();
        let forged = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode(r#"{"iss":"https://id.example","sub":"admin"}"#);
        let tampered = format!("{}.{}.{}", parts[0], forged, parts[2]);
        assert_eq!(
            keys.verify::<Claims>(&tampered, &["at+jwt"], "https://id.example", 2),
            Err(VerifyError::Invalid)
        );
    }

    #[test]
    fn sealed_keys_need_the_same_pepper() {
        let material = generate(SigningAlg::EdDSA, 1, 1, &sealer()).expect("generate");
        let other =
            KeySealer::new(crate::domain::crypto::Pepper::new(vec![8; 32]).expect("pepper"));
        assert!(matches!(
            KeySet::load(&[material], &other),
            Err(KeyError::Unseal { .. })
        ));
    }
}
