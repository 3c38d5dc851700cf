//! Proof Key for Code Exchange (RFC 7636) with the S256 method only: `plain`
//! offers no protection against a leaked authorization request and is refused
//! (RFC 9700 §2.1.1).

use crate::domain::crypto::{b64url, constant_time_eq, sha256};

use super::OAuthError;

fn is_unreserved(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~')
}

/// Validate the `code_challenge` and `code_challenge_method` of an
/// authorization request; returns the challenge if one was sent.
pub fn parse_challenge(
    challenge: Option<&str>,
    method: Option<&str>,
) -> Result<Option<String>, OAuthError> {
    match (challenge, method) {
        (None, None) => Ok(None),
        (None, Some(_)) => Err(OAuthError::invalid_request(
            "code_challenge_method was sent without code_challenge",
        )),
        (Some(_), None | Some("plain")) => Err(OAuthError::invalid_request(
            "code_challenge_method must be S256; plain is not supported",
        )),
        (Some(_), Some(m)) if m != "S256" => Err(OAuthError::invalid_request(
            "code_challenge_method must be S256",
        )),
        (Some(challenge), Some(_)) => {
            // BASE64URL(SHA-256(verifier)) is always 43 characters.
            let well_formed = challenge.len() == 43
                && challenge
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
            if well_formed {
                Ok(Some(challenge.to_string()))
            } else {
                Err(OAuthError::invalid_request(
                    "code_challenge must be the 43-character base64url SHA-256 of the verifier",
                ))
            }
        }
    }
}

/// Check a `code_verifier` against the stored challenge (RFC 7636 §4.6), in
/// constant time.
pub fn verify(challenge: &str, verifier: &str) -> Result<(), OAuthError> {
    let well_formed = (43..=128).contains(&verifier.len()) && verifier.bytes().all(is_unreserved);
    if !well_formed {
        return Err(OAuthError::invalid_grant(
            "code_verifier must be 43 to 128 unreserved characters",
        ));
    }
    let computed = b64url(&sha256(verifier.as_bytes()));
    if constant_time_eq(computed.as_bytes(), challenge.as_bytes()) {
        Ok(())
    } else {
        Err(OAuthError::invalid_grant(
            "code_verifier does not match the code_challenge",
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // The example of RFC 7636 Appendix B.
    const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
    const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

    #[test]
    fn the_rfc_example_verifies() {
        assert_eq!(
            parse_challenge(Some(CHALLENGE), Some("S256")),
            Ok(Some(CHALLENGE.into()))
        );
        assert_eq!(verify(CHALLENGE, VERIFIER), Ok(()));
    }

    #[test]
    fn plain_and_unknown_methods_are_refused() {
        assert!(parse_challenge(Some(CHALLENGE), Some("plain")).is_err());
        assert!(parse_challenge(Some(CHALLENGE), None).is_err());
        assert!(parse_challenge(Some(CHALLENGE), Some("S512")).is_err());
        assert!(parse_challenge(None, Some("S256")).is_err());
        assert!(parse_challenge(Some("short"), Some("S256")).is_err());
    }

    #[test]
    fn wrong_or_malformed_verifiers_fail() {
        let wrong = "x".repeat(43);
        assert!(verify(CHALLENGE, &wrong).is_err());
        assert!(verify(CHALLENGE, "tooshort").is_err());
        assert!(verify(CHALLENGE, &format!("{VERIFIER}!")).is_err());
        assert!(verify(CHALLENGE, &"a".repeat(129)).is_err());
    }
}
