//! Request parameters with the rules of RFC 6749 §3.1 and §3.2: a parameter
//! sent without a value counts as omitted, and one sent twice is an error.
//! Decoding is strict: a value that is not UTF-8 once percent-decoded, or
//! that holds a NUL byte, makes the whole request malformed (it would
//! otherwise be mangled, or refused by PostgreSQL deep inside a query).

use std::collections::hash_map::Entry;
use std::collections::{BTreeSet, HashMap};

use thiserror::Error;

/// Why a query string or form body could not be read.
#[derive(Clone, Copy, Debug, Error, PartialEq, Eq)]
pub enum ParamsError {
    #[error("a parameter is not valid UTF-8")]
    InvalidUtf8,
    #[error("a parameter contains a NUL byte")]
    Nul,
}

/// Parameters that may be sent several times: RFC 8707 §2 `resource` and
/// RFC 8693 §2.1 `audience`.
const MULTI_VALUED: [&str; 2] = ["resource", "audience"];

#[derive(Clone, Debug, Default)]
pub struct Params {
    values: HashMap<String, String>,
    repeated: BTreeSet<String>,
    /// Every value of a [`MULTI_VALUED`] parameter, in order.
    multi: HashMap<String, Vec<String>>,
}

impl Params {
    pub fn from_pairs<K, V>(pairs: impl IntoIterator<Item = (K, V)>) -> Self
    where
        K: Into<String>,
        V: Into<String>,
    {
        let mut params = Params::default();
        for (name, value) in pairs {
            let (name, value) = (name.into(), value.into());
            if value.is_empty() {
                continue;
            }
            params.insert(name, value);
        }
        params
    }

    fn insert(&mut self, name: String, value: String) {
        if MULTI_VALUED.contains(&name.as_str()) {
            let values = self.multi.entry(name.clone()).or_default();
            values.push(value.clone());
            self.values.entry(name).or_insert(value);
            return;
        }
        match self.values.entry(name) {
            Entry::Occupied(entry) => {
                self.repeated.insert(entry.key().clone());
            }
            Entry::Vacant(entry) => {
                entry.insert(value);
            }
        }
    }

    /// Parse `application/x-www-form-urlencoded` text (a query string or a body).
    pub fn from_urlencoded(input: &[u8]) -> Result<Self, ParamsError> {
        let mut pairs = Vec::new();
        for piece in input.split(|b| *b == b'&').filter(|p| !p.is_empty()) {
            let (name, value) = match piece.iter().position(|b| *b == b'=') {
                Some(at) => (&piece[..at], &piece[at + 1..]),
                None => (piece, &[][..]),
            };
            pairs.push((decode(name)?, decode(value)?));
        }
        Ok(Self::from_pairs(pairs))
    }

    /// The value of `name`, or `None` if it was absent or empty.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.values.get(name).map(String::as_str)
    }

    /// Every value of a parameter that may repeat (`resource`, `audience`).
    pub fn get_all(&self, name: &str) -> &[String] {
        self.multi.get(name).map_or(&[], Vec::as_slice)
    }

    pub fn is_repeated(&self, name: &str) -> bool {
        self.repeated.contains(name)
    }

    /// `Err(name)` for the first parameter that was sent more than once.
    pub fn reject_repeated(&self) -> Result<(), &str> {
        match self.first_repeated() {
            Some(name) => Err(name),
            None => Ok(()),
        }
    }

    /// The first repeated parameter, in name order.
    pub fn first_repeated(&self) -> Option<&str> {
        self.repeated.iter().next().map(String::as_str)
    }

    /// Merge `other` into `self` (GET query and POST body); a name in both
    /// counts as repeated.
    pub fn merge(mut self, other: Params) -> Self {
        for (name, value) in other.values {
            if !MULTI_VALUED.contains(&name.as_str()) {
                self.insert(name, value);
            }
        }
        for (name, values) in other.multi {
            for value in values {
                self.insert(name.clone(), value);
            }
        }
        self.repeated.extend(other.repeated);
        self
    }
}

/// Percent-decode one name or value (`+` is a space), strictly.
fn decode(raw: &[u8]) -> Result<String, ParamsError> {
    let spaced: Vec<u8> = raw
        .iter()
        .map(|b| if *b == b'+' { b' ' } else { *b })
        .collect();
    let bytes: Vec<u8> = percent_encoding::percent_decode(&spaced).collect();
    if bytes.contains(&0) {
        return Err(ParamsError::Nul);
    }
    String::from_utf8(bytes).map_err(|_| ParamsError::InvalidUtf8)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(input: &str) -> Params {
        Params::from_urlencoded(input.as_bytes()).expect("well-formed")
    }

    #[test]
    fn nul_bytes_and_invalid_utf8_are_refused() {
        assert_eq!(
            Params::from_urlencoded(b"client_id=a%00b").map(|_| ()),
            Err(ParamsError::Nul)
        );
        assert_eq!(
            Params::from_urlencoded(b"client_id=%C3%28").map(|_| ()),
            Err(ParamsError::InvalidUtf8)
        );
        assert_eq!(
            Params::from_urlencoded(b"a%00=1").map(|_| ()),
            Err(ParamsError::Nul)
        );
        assert_eq!(parse("name=%C3%A9t%C3%A9").get("name"), Some("été"));
    }

    #[test]
    fn empty_values_count_as_absent() {
        let params = parse("prompt=&state=abc&flag");
        assert_eq!(params.get("prompt"), None);
        assert_eq!(params.get("state"), Some("abc"));
    }

    #[test]
    fn repeated_parameters_are_detected() {
        let params = parse("response_type=code&response_type=token&a=1");
        assert!(params.is_repeated("response_type"));
        assert_eq!(params.first_repeated(), Some("response_type"));
        assert_eq!(params.get("response_type"), Some("code"));
        assert!(!params.is_repeated("a"));
        assert_eq!(params.reject_repeated(), Err("response_type"));
    }

    #[test]
    fn resource_and_audience_may_repeat() {
        let params = parse("resource=https%3A%2F%2Fa&resource=https%3A%2F%2Fb&scope=x");
        assert_eq!(params.get_all("resource"), ["https://a", "https://b"]);
        assert_eq!(params.first_repeated(), None);
        let merged = params.merge(parse("resource=https%3A%2F%2Fc"));
        assert_eq!(
            merged.get_all("resource"),
            ["https://a", "https://b", "https://c"]
        );
        assert!(parse("scope=x").get_all("resource").is_empty());
    }

    #[test]
    fn values_are_percent_decoded() {
        let params = parse("redirect_uri=https%3A%2F%2Fa.example%2Fcb&s=a+b");
        assert_eq!(params.get("redirect_uri"), Some("https://a.example/cb"));
        assert_eq!(params.get("s"), Some("a b"));
    }
}
