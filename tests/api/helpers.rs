//! Everything the tests share, one module per concern: [`harness`] (a
//! running Tessera per test), [`browser`], [`oauth`] (a relying party's
//! back-end calls), [`jwt`], [`rp`] (a relying party's endpoints) and
//! [`faults`]. Test files `use crate::helpers::*`.
//!
//! [`harness`]: crate::harness
//! [`browser`]: crate::browser
//! [`oauth`]: crate::oauth
//! [`jwt`]: crate::jwt
//! [`rp`]: crate::rp
//! [`faults`]: crate::faults

pub use crate::browser::*;
pub use crate::harness::*;
pub use crate::jwt::*;
pub use crate::oauth::*;
pub use crate::rp::*;

pub const AUTH_HOST: &str = "auth.example.test";
pub const APP1_HOST: &str = "app1.example.test";
pub const APP2_HOST: &str = "app2.example.test";
pub const PASSWORD: &str = "correct horse battery staple";
