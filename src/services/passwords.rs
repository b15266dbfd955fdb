//! Password hashing with argon2id at OWASP's minimum parameters (19 MiB, 2
//! passes, 1 lane). Each takes tens of milliseconds and 19 MiB by design, so
//! requests go through [`Hashing`]: at most a few at once on the blocking pool,
//! and a request past that is refused at once (503, Retry-After) rather than
//! queued, since a queue of hashes is memory and latency without bound.

use std::sync::{Arc, OnceLock};

use argon2::{
    password_hash::{rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString},
    Algorithm, Argon2, Params, Version,
};

use crate::domain::Password;
use crate::error::{AppError, AppResult};

/// The bounded gate every request's hashing goes through (`ROSTER_HASH_CONCURRENCY`).
#[derive(Clone)]
pub struct Hashing {
    permits: Arc<tokio::sync::Semaphore>,
}

impl Hashing {
    pub fn new(concurrency: usize) -> Self {
        Self {
            permits: Arc::new(tokio::sync::Semaphore::new(concurrency.max(1))),
        }
    }

    async fn gated<T: Send + 'static>(
        &self,
        f: impl FnOnce() -> T + Send + 'static,
    ) -> AppResult<T> {
        let Ok(permit) = self.permits.clone().try_acquire_owned() else {
            return Err(AppError::Unavailable {
                message: "Roster is busy checking other passwords. Please try again in a moment."
                    .into(),
                retry_after: 1,
            });
        };
        let result = actix_web::web::block(move || {
            let result = f();
            drop(permit);
            result
        })
        .await?;
        Ok(result)
    }

    pub async fn hash(&self, password: Password) -> AppResult<String> {
        self.gated(move || hash(&password))
            .await?
            .map_err(AppError::Unexpected)
    }

    /// [`verify`], through the gate.
    pub async fn verify(&self, candidate: String, stored: Option<String>) -> AppResult<bool> {
        self.gated(move || verify(&candidate, stored.as_deref()))
            .await
    }
}

fn argon2() -> Argon2<'static> {
    let params = Params::new(19_456, 2, 1, None).expect("static argon2 parameters are valid");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

pub fn hash(password: &Password) -> anyhow::Result<String> {
    let salt = SaltString::generate(&mut OsRng);
    argon2()
        .hash_password(password.expose().as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| anyhow::anyhow!("hashing failed: {e}"))
}

/// Checks a password against a stored hash. With no usable hash (an unknown
/// email, or an account that has no password yet) it checks against a fixed
/// dummy, so that every case costs the same time and answers false.
pub fn verify(candidate: &str, stored: Option<&str>) -> bool {
    static DUMMY: OnceLock<String> = OnceLock::new();
    let dummy = DUMMY.get_or_init(|| {
        let filler =
            Password::parse("a password nobody has, only for timing").expect("long enough");
        hash(&filler).unwrap_or_default()
    });
    let (parsed, real) = match stored.and_then(|h| PasswordHash::new(h).ok()) {
        Some(parsed) => (parsed, true),
        None => match PasswordHash::new(dummy) {
            Ok(parsed) => (parsed, false),
            Err(_) => return false,
        },
    };
    // The parameters stored in the hash decide the work, so old hashes still verify.
    let matches = argon2()
        .verify_password(candidate.as_bytes(), &parsed)
        .is_ok();
    matches && real
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_are_argon2id_at_owasp_parameters_and_verify() {
        let pw = Password::parse("correct horse battery staple").unwrap();
        let h = hash(&pw).unwrap();
        assert!(h.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{h}");
        assert!(verify("correct horse battery staple", Some(&h)));
        assert!(!verify("correct horse battery stapl", Some(&h)));
        assert!(!verify("a password nobody has, only for timing", None));
        assert!(!verify(
            "a password nobody has, only for timing",
            Some("!no-password")
        ));
    }

    #[test]
    fn an_unusable_stored_hash_costs_as_much_as_a_real_one() {
        let pw = Password::parse("correct horse battery staple").unwrap();
        let real = hash(&pw).unwrap();
        verify("warm up", None);
        let time = |stored: Option<&str>| {
            let started = std::time::Instant::now();
            for _ in 0..3 {
                assert!(!verify("wrong guess at it", stored));
            }
            started.elapsed()
        };
        let (real, none) = (time(Some(&real)), time(Some("!no-password")));
        // Both run argon2 at the same parameters; a skipped check would be
        // a hundred times faster, so half is a wide margin for a busy machine.
        assert!(none * 2 > real, "no-password {none:?} vs real {real:?}");
    }
}
