//! Two small services that use Tessera the way a family of APIs does:
//!
//! - [`guard`]: every request carries an access token, verified here with
//!   Tessera's published keys (signature, `iss`, `aud` = this service's own
//!   identifier, `exp`, `nbf`, `typ` = `at+jwt`), checked against the
//!   revocation contract ([`revocation`]), and authorized by permission.
//! - [`product`]: `GET /products` and `GET /products/{id}` (`products:read`).
//! - [`order`]: `POST /orders` (`orders:write`) exchanges the caller's token
//!   for one addressed to the product service (RFC 8693) and calls it.
//!
//! Neither holds a private key or a secret shared with the other; the order
//! service holds its own client credentials, for the exchange.

pub mod guard;
pub mod order;
pub mod product;
pub mod revocation;
pub mod settings;

/// Read an environment variable that must be set.
pub fn required_env(name: &str) -> Result<String, String> {
    std::env::var(name)
        .ok()
        .filter(|v| !v.trim().is_empty())
        .ok_or_else(|| format!("{name} is required"))
}

/// Read an environment variable, if set and not empty.
pub fn optional_env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}
