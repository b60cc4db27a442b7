//! Password hashing with argon2id (m = 19 MiB, t = 2, p = 1).
//!
//! Hashing costs tens of milliseconds of CPU and 19 MiB of memory, so it
//! runs on the blocking pool, never on the async executor, and a semaphore
//! bounds how many hashes run at once: a burst of sign-ins queues instead of
//! exhausting memory or starving the request threads.

use std::sync::{Arc, OnceLock};

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher as _, PasswordVerifier as _, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use tokio::sync::Semaphore;

use crate::error::AppError;

const MEMORY_KIB: u32 = 19 * 1024;
const ITERATIONS: u32 = 2;
const PARALLELISM: u32 = 1;

/// Hashes and verifies passwords off the executor.
#[derive(Debug, Clone)]
pub struct Passwords {
    permits: Arc<Semaphore>,
}

impl Default for Passwords {
    /// One hash per CPU at a time.
    fn default() -> Self {
        let cpus = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2);
        Self::new(cpus)
    }
}

impl Passwords {
    pub fn new(concurrent_hashes: usize) -> Self {
        Self { permits: Arc::new(Semaphore::new(concurrent_hashes.max(1))) }
    }

    /// The PHC string of `password` with a fresh random salt.
    pub async fn hash(&self, password: String) -> Result<String, AppError> {
        self.blocking(move || hash_now(&password)).await?
    }

    /// Whether `password` matches `stored`. With no stored hash (unknown
    /// user, or no password set yet) a dummy hash is checked instead, so the
    /// answer takes as long as for a real user with a wrong password.
    pub async fn verify(&self, password: String, stored: Option<String>) -> Result<bool, AppError> {
        self.blocking(move || match stored {
            Some(stored) => verify_now(&password, &stored),
            None => {
                verify_now(&password, dummy_hash());
                false
            }
        })
        .await
    }

    async fn blocking<T: Send + 'static>(&self, work: impl FnOnce() -> T + Send + 'static) -> Result<T, AppError> {
        let _permit =
            self.permits.acquire().await.map_err(|_| AppError::Unavailable("password hashing stopped".into()))?;
        tokio::task::spawn_blocking(work).await.map_err(|e| AppError::Unavailable(format!("password hashing: {e}")))
    }
}

fn argon2() -> Argon2<'static> {
    let params = Params::new(MEMORY_KIB, ITERATIONS, PARALLELISM, None).expect("constant argon2 parameters are valid");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

fn hash_now(password: &str) -> Result<String, AppError> {
    let salt = SaltString::generate(&mut OsRng);
    argon2()
        .hash_password(password.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|e| AppError::Unavailable(format!("password hashing: {e}")))
}

/// A stored hash that cannot be parsed matches nothing.
fn verify_now(password: &str, stored: &str) -> bool {
    PasswordHash::new(stored).is_ok_and(|parsed| argon2().verify_password(password.as_bytes(), &parsed).is_ok())
}

fn dummy_hash() -> &'static str {
    static DUMMY: OnceLock<String> = OnceLock::new();
    DUMMY.get_or_init(|| hash_now("porthole-timing-equaliser").unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hashes_are_argon2id_with_the_spec_parameters_and_verify() {
        let passwords = Passwords::new(1);
        let hash = passwords.hash("correct horse".into()).await.expect("hash");
        assert!(hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{hash}");
        assert!(passwords.verify("correct horse".into(), Some(hash.clone())).await.expect("verify"));
        assert!(!passwords.verify("wrong horse".into(), Some(hash.clone())).await.expect("verify"));
        assert!(!passwords.verify("correct horse".into(), None).await.expect("verify"));
        assert!(!passwords.verify("correct horse".into(), Some("not a hash".into())).await.expect("verify"));
        let again = passwords.hash("correct horse".into()).await.expect("hash");
        assert_ne!(hash, again, "every hash has its own salt");
    }
}
