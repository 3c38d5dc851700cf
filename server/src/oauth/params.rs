//! Request parameters with the rules of RFC 6749 §3.1 and §3.2: a parameter
//! sent without a value counts as omitted, and one sent twice is an error.

use std::collections::hash_map::Entry;
use std::collections::{BTreeSet, HashMap};

#[derive(Clone, Debug, Default)]
pub struct Params {
    values: HashMap<String, String>,
    repeated: BTreeSet<String>,
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
    pub fn from_urlencoded(input: &[u8]) -> Self {
        Self::from_pairs(url::form_urlencoded::parse(input).into_owned())
    }

    /// The value of `name`, or `None` if it was absent or empty.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.values.get(name).map(String::as_str)
    }

    pub fn is_repeated(&self, name: &str) -> bool {
        self.repeated.contains(name)
    }

    /// The first repeated parameter, in name order.
    pub fn first_repeated(&self) -> Option<&str> {
        self.repeated.iter().next().map(String::as_str)
    }

    /// Merge `other` into `self` (GET query and POST body); a name in both
    /// counts as repeated.
    pub fn merge(mut self, other: Params) -> Self {
        for (name, value) in other.values {
            self.insert(name, value);
        }
        self.repeated.extend(other.repeated);
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_values_count_as_absent() {
        let params = Params::from_urlencoded(b"prompt=&state=abc");
        assert_eq!(params.get("prompt"), None);
        assert_eq!(params.get("state"), Some("abc"));
    }

    #[test]
    fn repeated_parameters_are_detected() {
        let params = Params::from_urlencoded(b"response_type=code&response_type=token&a=1");
        assert!(params.is_repeated("response_type"));
        assert_eq!(params.first_repeated(), Some("response_type"));
        assert_eq!(params.get("response_type"), Some("code"));
        assert!(!params.is_repeated("a"));
    }

    #[test]
    fn values_are_percent_decoded() {
        let params = Params::from_urlencoded(b"redirect_uri=https%3A%2F%2Fa.example%2Fcb&s=a+b");
        assert_eq!(params.get("redirect_uri"), Some("https://a.example/cb"));
        assert_eq!(params.get("s"), Some("a b"));
    }
}
