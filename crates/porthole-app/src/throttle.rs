//! Rate limits on guessing: sign-in attempts per account, verification
//! codes per share link, and both per client address.
//!
//! Limits live in memory, per server process: with several instances the
//! effective limit is that many times higher, which still defeats online
//! guessing against argon2-hashed passwords.

use std::hash::Hash;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::time::Duration;

use governor::clock::{Clock as _, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use crate::settings::{CodeLimits, SignInLimits};

/// Keys are dropped once their bucket has refilled, when this many are held.
const PRUNE_ABOVE: usize = 10_000;

/// Limits attempts at one target (an account, a link) and from one client
/// address, each a burst refilled at a steady rate.
#[derive(Debug)]
pub(crate) struct AttemptThrottle {
    per_target: DefaultKeyedRateLimiter<String>,
    per_address: DefaultKeyedRateLimiter<IpAddr>,
}

impl AttemptThrottle {
    pub(crate) fn sign_in(limits: SignInLimits) -> Self {
        Self {
            per_target: RateLimiter::keyed(quota(limits.per_account_per_minute, limits.per_account_burst)),
            per_address: RateLimiter::keyed(quota(limits.per_address_per_minute, limits.per_address_burst)),
        }
    }

    pub(crate) fn codes(limits: CodeLimits) -> Self {
        Self {
            per_target: RateLimiter::keyed(quota(limits.per_link_per_minute, limits.per_link_burst)),
            per_address: RateLimiter::keyed(quota(limits.per_address_per_minute, limits.per_address_burst)),
        }
    }

    /// Counts one attempt at `target` from `address`. `Err` carries how
    /// long the caller must wait.
    pub(crate) fn attempt(&self, target: &str, address: Option<IpAddr>) -> Result<(), Duration> {
        self.attempt_from(address)?;
        self.attempt_at(target)
    }

    /// Counts one attempt from `address`, whatever it aims at.
    pub(crate) fn attempt_from(&self, address: Option<IpAddr>) -> Result<(), Duration> {
        match address {
            Some(address) => check(&self.per_address, &address),
            None => Ok(()),
        }
    }

    /// Counts one attempt at `target`, from wherever it comes. Callers keep
    /// targets short (an id, a bounded login), since each is kept in memory.
    pub(crate) fn attempt_at(&self, target: &str) -> Result<(), Duration> {
        check(&self.per_target, &target.to_lowercase())
    }
}

fn check<K: Clone + Hash + Eq>(limiter: &DefaultKeyedRateLimiter<K>, key: &K) -> Result<(), Duration> {
    if limiter.len() > PRUNE_ABOVE {
        limiter.retain_recent();
    }
    limiter.check_key(key).map_err(|not_until| not_until.wait_time_from(DefaultClock::default().now()))
}

fn quota(per_minute: u32, burst: u32) -> Quota {
    let per_minute = NonZeroU32::new(per_minute).unwrap_or(NonZeroU32::MIN);
    let burst = NonZeroU32::new(burst).unwrap_or(NonZeroU32::MIN);
    Quota::per_minute(per_minute).allow_burst(burst)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits(account: u32, address: u32) -> SignInLimits {
        SignInLimits {
            per_account_burst: account,
            per_account_per_minute: 1,
            per_address_burst: address,
            per_address_per_minute: 1,
        }
    }

    #[test]
    fn an_account_is_limited_whatever_the_address() {
        let throttle = AttemptThrottle::sign_in(limits(3, 100));
        for i in 0..3u8 {
            assert!(throttle.attempt("Alice", Some(IpAddr::from([10, 0, 0, i]))).is_ok());
        }
        let wait = throttle.attempt("alice", Some(IpAddr::from([10, 0, 0, 9]))).expect_err("limited");
        assert!(wait > Duration::ZERO);
        assert!(throttle.attempt("bob", Some(IpAddr::from([10, 0, 0, 9]))).is_ok());
    }

    #[test]
    fn an_address_is_limited_whatever_the_account() {
        let throttle = AttemptThrottle::sign_in(limits(100, 2));
        let address = Some(IpAddr::from([192, 0, 2, 1]));
        assert!(throttle.attempt("a", address).is_ok());
        assert!(throttle.attempt("b", address).is_ok());
        assert!(throttle.attempt("c", address).is_err());
        assert!(throttle.attempt("c", Some(IpAddr::from([192, 0, 2, 2]))).is_ok());
    }
}
