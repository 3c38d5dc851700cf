//! Argon2id password hashes (PHC strings). Hashing and verifying cost about
//! 7 MiB and tens of milliseconds each, so callers run them on a thread of
//! their own and cap how many run at once.

use std::fmt;

use argon2::password_hash::{PasswordHasher, phc};
use argon2::{ARGON2ID_IDENT, Algorithm, Argon2, Block, Params, Version};

use super::crypto::constant_time_eq;
use super::{DomainError, Secret};

/// Every new hash's parameters: argon2id with 7 MiB and five passes
/// (m=7168 KiB, t=5, p=1), one of the settings OWASP's password storage
/// guidance lists as equally strong. Its 19 MiB, two-pass setting costs the
/// same time for nearly three times the memory, held by every hash that
/// runs. Hashes made with other parameters still verify (a PHC string
/// carries its own) and are made again at the next sign-in.
const PARAMS: Result<Params, argon2::Error> = Params::new(7168, 5, 1, None);

/// How every hash made with [`PARAMS`] begins.
const PREFIX: &str = "$argon2id$v=19$m=7168,t=5,p=1$";

fn hasher() -> Result<Argon2<'static>, DomainError> {
    let params = PARAMS.map_err(|_| DomainError::PasswordHashing)?;
    Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
}

/// The memory of argon2id runs, kept from one run to the next: a hasher
/// thread that holds one keeps 7 MiB for as long as it lives, rather than
/// taking 7 MiB from the allocator for each check and leaving it to the
/// allocator when to give it back (which made a replica's memory move by
/// 7 MiB a hasher, at random). A hash made with more memory than
/// [`PARAMS`] gets memory of its own for that run only.
#[derive(Default)]
pub struct HashMemory(Vec<Block>);

impl HashMemory {
    fn with<T>(&mut self, blocks: usize, run: impl FnOnce(&mut [Block]) -> T) -> T {
        let kept = PARAMS.as_ref().map_or(0, Params::block_count);
        if blocks > kept {
            return run(&mut vec![Block::default(); blocks]);
        }
        if self.0.len() < blocks {
            self.0.resize(blocks, Block::default());
        }
        run(&mut self.0[..blocks])
    }
}

/// A PHC-format argon2id hash of a user's password.
#[derive(Clone, PartialEq, Eq)]
pub struct PasswordHash(String);

impl PasswordHash {
    pub const MIN_PASSWORD_LEN: usize = 8;
    pub const MAX_PASSWORD_LEN: usize = 1024;

    /// Hash a new password after checking the length policy. CPU-bound.
    pub fn create(password: &Secret) -> Result<Self, DomainError> {
        Self::check_policy(password)?;
        Self::hash(password)
    }

    /// The length policy of a new password, checked without hashing.
    pub fn check_policy(password: &Secret) -> Result<(), DomainError> {
        let len = password.expose().chars().count();
        if len < Self::MIN_PASSWORD_LEN {
            return Err(DomainError::InvalidPassword(
                "it must be at least 8 characters long",
            ));
        }
        if password.expose().len() > Self::MAX_PASSWORD_LEN {
            return Err(DomainError::InvalidPassword(
                "it must be at most 1024 bytes long",
            ));
        }
        Ok(())
    }

    /// Hash without the policy check: for the dummy hash that unknown users are
    /// verified against, so a failed login costs the same either way.
    pub fn hash(password: &Secret) -> Result<Self, DomainError> {
        hasher()?
            .hash_password(password.expose().as_bytes())
            .map(|hash| Self(hash.to_string()))
            .map_err(|_| DomainError::PasswordHashing)
    }

    /// A hash read back from storage.
    pub fn from_trusted(phc: String) -> Self {
        Self(phc)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Made with other parameters than a new hash gets: to be made again,
    /// once the password is known to be right.
    pub fn is_outdated(&self) -> bool {
        !self.0.starts_with(PREFIX)
    }

    /// CPU-bound; false for a wrong password or an unparseable hash. The
    /// parameters are the hash's own.
    pub fn verify(&self, password: &Secret) -> bool {
        self.verify_in(password, &mut HashMemory::default())
    }

    /// [`verify`](Self::verify), running in `memory`.
    pub fn verify_in(&self, password: &Secret, memory: &mut HashMemory) -> bool {
        if password.expose().len() > Self::MAX_PASSWORD_LEN {
            return false;
        }
        let Ok(parsed) = phc::PasswordHash::new(&self.0) else {
            return false;
        };
        let (Some(salt), Some(expected)) = (&parsed.salt, &parsed.hash) else {
            return false;
        };
        if parsed.algorithm != ARGON2ID_IDENT {
            return false;
        }
        let version = match parsed.version.map(Version::try_from) {
            None => Version::V0x13,
            Some(Ok(version)) => version,
            Some(Err(_)) => return false,
        };
        // The hash's own parameters, its output length among them.
        let Ok(params) = Params::try_from(&parsed) else {
            return false;
        };
        let blocks = params.block_count();
        let argon2 = Argon2::new(Algorithm::Argon2id, version, params);
        let mut computed = vec![0u8; expected.len()];
        let hashed = memory.with(blocks, |memory| {
            argon2.hash_password_into_with_memory(
                password.expose().as_bytes(),
                salt.as_ref(),
                &mut computed,
                memory,
            )
        });
        hashed.is_ok() && constant_time_eq(&computed, expected.as_bytes())
    }
}

impl fmt::Debug for PasswordHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PasswordHash(***)")
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// argon2id with m=19456 KiB, t=2, p=1 (before 7 MiB, five passes) of
    /// "correct horse".
    pub(crate) const OLD: &str = "$argon2id$v=19$m=19456,t=2,p=1$z1yzkcmplaBgl/zMyFf+Sw$jjE8IAF4mS6AaoRN+m9VnOzDHeYFXt4spk/GVgzU5TM";
    /// The same password with today's parameters.
    const NEW: &str = "$argon2id$v=19$m=7168,t=5,p=1$FQQ/8IE8A9Z7LTHtj9a58Q$WevXDSrmeC+qGKUSjqWgnwRGIOOHj1Cq80p+PJSXZbo";

    #[test]
    fn a_hash_verifies_its_own_password_only() {
        let hash = PasswordHash::create(&Secret::new("correct horse")).expect("hash");
        assert!(hash.as_str().starts_with("$argon2id$"));
        assert!(hash.verify(&Secret::new("correct horse")));
        assert!(!hash.verify(&Secret::new("battery staple")));
    }

    #[test]
    fn a_new_hash_has_the_parameters_it_is_checked_against() {
        let hash = PasswordHash::create(&Secret::new("correct horse")).expect("hash");
        assert!(hash.as_str().starts_with(PREFIX), "{}", hash.as_str());
        assert!(!hash.is_outdated());
    }

    #[test]
    fn a_hash_with_other_parameters_verifies_and_is_outdated() {
        let old = PasswordHash::from_trusted(OLD.to_string());
        assert!(old.verify(&Secret::new("correct horse")));
        assert!(!old.verify(&Secret::new("battery staple")));
        assert!(old.is_outdated());
    }

    /// The same check as the argon2 crate's own, on hashes made elsewhere.
    #[test]
    fn a_check_in_kept_memory_agrees_with_the_argon2_crate() {
        use argon2::password_hash::PasswordVerifier;
        let mut memory = HashMemory::default();
        // Made by the reference implementation (argon2-cffi), both settings.
        for phc in [OLD, NEW] {
            let hash = PasswordHash::from_trusted(phc.to_string());
            assert!(hash.verify_in(&Secret::new("correct horse"), &mut memory));
            assert!(!hash.verify_in(&Secret::new("correct horsf"), &mut memory));
            let parsed = phc::PasswordHash::new(phc).expect("phc");
            assert!(
                Argon2::default()
                    .verify_password(b"correct horse", &parsed)
                    .is_ok()
            );
        }
        // The memory kept is the new setting's, not the old one's.
        assert_eq!(memory.0.len(), 7168);
        let new = PasswordHash::create(&Secret::new("battery staple")).expect("hash");
        assert!(new.verify_in(&Secret::new("battery staple"), &mut memory));
        // Other algorithms, versions or mangled hashes never verify.
        for mangled in [
            NEW.replace("argon2id", "argon2i"),
            NEW.replace("v=19", "v=18"),
            NEW.replace("t=5", "t=4"),
            NEW.trim_end_matches(|c| c != '$').to_string(),
        ] {
            assert!(
                !PasswordHash::from_trusted(mangled.clone())
                    .verify_in(&Secret::new("correct horse"), &mut memory),
                "{mangled}"
            );
        }
    }

    #[test]
    fn short_passwords_are_refused() {
        assert!(matches!(
            PasswordHash::create(&Secret::new("short")),
            Err(DomainError::InvalidPassword(_))
        ));
    }

    #[test]
    fn a_corrupt_hash_never_verifies() {
        assert!(!PasswordHash::from_trusted("garbage".into()).verify(&Secret::new("anything")));
    }
}
