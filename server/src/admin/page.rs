//! Keyset pagination for the console, the API and the command line: a page
//! of items and an opaque cursor for the next one. A cursor names the last
//! row shown, so the next page is an index range scan however deep it is.

use crate::domain::crypto::b64url;

/// At most this many rows a page.
pub const MAX_PAGE: u64 = 200;
pub const DEFAULT_PAGE: u64 = 50;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// Pass back to get the next page; `None` on the last one.
    pub next: Option<String>,
}

impl<T> Page<T> {
    /// From up to `limit + 1` rows: the extra row only says there is more.
    pub fn from_rows(mut rows: Vec<T>, limit: u64, cursor_of: impl Fn(&T) -> String) -> Self {
        let more = rows.len() as u64 > limit;
        rows.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
        let next = if more {
            rows.last().map(|last| encode(&cursor_of(last)))
        } else {
            None
        };
        Self { items: rows, next }
    }
}

/// A page size as asked for, within bounds.
pub fn limit(asked: Option<u64>) -> u64 {
    asked.unwrap_or(DEFAULT_PAGE).clamp(1, MAX_PAGE)
}

fn encode(key: &str) -> String {
    b64url(key.as_bytes())
}

/// The key a cursor stands for; `None` for one that was not made here.
pub fn decode(cursor: &str) -> Option<String> {
    use base64::Engine;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(cursor)
        .ok()?;
    String::from_utf8(bytes).ok().filter(|k| !k.contains('\0'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_extra_row_makes_a_cursor_to_the_last_shown() {
        let page = Page::from_rows(vec![1, 2, 3], 2, |n| n.to_string());
        assert_eq!(page.items, vec![1, 2]);
        assert_eq!(page.next.as_deref().and_then(decode), Some("2".into()));
        let last = Page::from_rows(vec![1, 2], 2, |n| n.to_string());
        assert_eq!(last.next, None);
        assert_eq!(decode("%%%"), None);
        assert_eq!(limit(Some(10_000)), MAX_PAGE);
        assert_eq!(limit(Some(0)), 1);
    }
}
