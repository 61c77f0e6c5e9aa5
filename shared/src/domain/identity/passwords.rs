//! Passwords: the policy (NIST SP 800-63B: length and a list of common passwords, no
//! composition rules) and argon2id hashing at OWASP's parameters (t=2, m=19 MiB, p=1).
//!
//! Hashing is deliberately slow and memory-hungry, so it runs on the blocking pool and at
//! most [`Hasher::permits`] hashes run at once: a burst of sign-ins waits its turn instead of
//! exhausting the function's memory or CPU.

use std::sync::{Arc, LazyLock};

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use tokio::sync::Semaphore;

pub const MIN_LENGTH: usize = 12;
pub const MAX_LENGTH: usize = 256;

/// 19,640 common passwords (Django's list, from Royce Williams' 2017 collection), lower case.
static COMMON: LazyLock<std::collections::HashSet<&'static str>> =
    LazyLock::new(|| include_str!("common-passwords.txt").lines().collect());

/// Why a password is refused, in words for the person choosing it.
pub fn check_policy(password: &str, context: &[&str]) -> Result<(), String> {
    let length = password.chars().count();
    if length < MIN_LENGTH {
        return Err(format!("use at least {MIN_LENGTH} characters"));
    }
    if length > MAX_LENGTH {
        return Err(format!("use at most {MAX_LENGTH} characters"));
    }
    let lower = password.to_lowercase();
    // A common word padded with digits or symbols ("password1234!") is as weak as the word.
    let stem = lower.trim_matches(|c: char| !c.is_alphabetic());
    let repeats = lower.chars().all(|c| lower.starts_with(c));
    if COMMON.contains(lower.as_str()) || (stem.len() >= 3 && COMMON.contains(stem)) || repeats {
        return Err("this password is too common; choose another".into());
    }
    for word in context.iter().map(|w| w.trim().to_lowercase()) {
        let personal = || Err("do not use your username, email or name as your password".into());
        if word.len() >= 4 && (stem == word || lower == word) {
            return personal();
        }
        // The word repeated, or with only digits and symbols around it ("sam2026!!!!!",
        // "jojojojojojo"), is as easy to guess as the word.
        if word.chars().count() >= 2 && lower.contains(&word) {
            let rest = lower.replace(&word, "");
            if !rest.chars().any(char::is_alphabetic) {
                return personal();
            }
        }
    }
    Ok(())
}

fn argon2() -> Argon2<'static> {
    let params = Params::new(19 * 1024, 2, 1, None).unwrap_or_default();
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

#[derive(Debug, thiserror::Error)]
#[error("password hashing failed: {0}")]
pub struct HashError(String);

/// Hashes and verifies, a bounded number at a time.
#[derive(Clone)]
pub struct Hasher {
    permits: Arc<Semaphore>,
    /// A hash of a password nobody has, verified when a username is unknown, so an unknown
    /// username takes as long to refuse as a wrong password.
    decoy: Arc<tokio::sync::OnceCell<String>>,
}

impl Hasher {
    /// `concurrent`: how many hashes may run at once (each holds 19 MiB).
    pub fn new(concurrent: usize) -> Self {
        Hasher {
            permits: Arc::new(Semaphore::new(concurrent.max(1))),
            decoy: Arc::new(tokio::sync::OnceCell::new()),
        }
    }

    /// One per CPU the process may use.
    pub fn for_this_machine() -> Self {
        Hasher::new(std::thread::available_parallelism().map_or(1, |n| n.get()))
    }

    pub fn permits(&self) -> usize {
        self.permits.available_permits()
    }

    pub async fn hash(&self, password: &str) -> Result<String, HashError> {
        let password = password.to_owned();
        self.run(move || {
            let salt = SaltString::encode_b64(&rand::random::<[u8; 16]>())
                .map_err(|e| HashError(e.to_string()))?;
            argon2()
                .hash_password(password.as_bytes(), &salt)
                .map(|h| h.to_string())
                .map_err(|e| HashError(e.to_string()))
        })
        .await
    }

    /// Does `password` match `stored` (a PHC string)? A malformed stored hash never matches.
    pub async fn verify(&self, password: &str, stored: &str) -> Result<bool, HashError> {
        let password = password.to_owned();
        let stored = stored.to_owned();
        self.run(move || {
            let Ok(parsed) = PasswordHash::new(&stored) else {
                return Ok(false);
            };
            Ok(argon2()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok())
        })
        .await
    }

    /// Spends the time a verification would, for an unknown username.
    pub async fn verify_decoy(&self, password: &str) -> Result<(), HashError> {
        let decoy = self
            .decoy
            .get_or_try_init(|| self.hash("a decoy nobody ever signs in with"))
            .await?
            .clone();
        self.verify(password, &decoy).await.map(|_| ())
    }

    async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> Result<T, HashError> + Send + 'static,
    ) -> Result<T, HashError> {
        let _permit = self
            .permits
            .acquire()
            .await
            .map_err(|e| HashError(e.to_string()))?;
        tokio::task::spawn_blocking(work)
            .await
            .map_err(|e| HashError(e.to_string()))?
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_common_and_padded_common_passwords_are_refused() {
        assert!(
            check_policy("short", &[])
                .unwrap_err()
                .contains("at least 12")
        );
        assert!(check_policy("q1w2e3r4t5y6", &[]).is_err());
        assert!(
            check_policy("Password12345!", &[])
                .unwrap_err()
                .contains("common")
        );
        assert!(check_policy("aaaaaaaaaaaaaa", &[]).is_err());
        assert!(check_policy(&"x".repeat(257), &[]).is_err());
        assert!(check_policy("jo.bloggs.2026", &["jo.bloggs"]).is_err());
    }

    #[test]
    fn long_uncommon_passwords_need_no_particular_characters() {
        // The whole email address, the username with digits, a short username repeated.
        let jo = ["jo", "jo.bloggs", "jo.bloggs@example.com", "Jo Bloggs"];
        for personal in [
            "jo.bloggs@example.com",
            "jo123456789012",
            "jojojojojojo",
            "jo.bloggs!!!!",
            "2026-jo-2026-jo",
        ] {
            assert!(check_policy(personal, &jo).is_err(), "{personal}");
        }
        assert_eq!(check_policy("enjoy the long river walk", &jo), Ok(()));
        assert_eq!(check_policy("correct horse battery staple", &[]), Ok(()));
        assert_eq!(check_policy("zebra-lantern-quietly", &["jo"]), Ok(()));
        assert_eq!(check_policy(&"ab1".repeat(42), &[]), Ok(()));
    }

    #[tokio::test]
    async fn a_hash_is_argon2id_and_verifies_only_its_password() {
        let hasher = Hasher::new(2);
        let hash = hasher.hash("correct horse battery staple").await.unwrap();
        assert!(
            hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{hash}"
        );
        assert!(
            hasher
                .verify("correct horse battery staple", &hash)
                .await
                .unwrap()
        );
        assert!(
            !hasher
                .verify("correct horse battery stapler", &hash)
                .await
                .unwrap()
        );
        assert!(!hasher.verify("anything", "not a hash").await.unwrap());
    }
}
