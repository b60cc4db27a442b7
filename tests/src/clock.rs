//! A clock the tests move forward: the server reads the time only through
//! the application's `Clock` port, so links expire and codes age when a
//! test says so, not after real waiting.

use std::sync::atomic::{AtomicI64, Ordering};

use chrono::{DateTime, TimeDelta, Utc};
use porthole_app::ports::Clock;

/// Real time shifted by every [`TestClock::advance`] so far: it starts at
/// the real now and keeps ticking, so that things done one after another
/// still happen in order.
#[derive(Debug, Default)]
pub struct TestClock {
    offset_ms: AtomicI64,
}

impl TestClock {
    pub fn new() -> Self {
        Self::default()
    }

    /// What the server takes the time to be.
    pub fn now(&self) -> DateTime<Utc> {
        Utc::now() + TimeDelta::milliseconds(self.offset_ms.load(Ordering::SeqCst))
    }

    /// Moves the server's time forward by `by`.
    pub fn advance(&self, by: TimeDelta) {
        assert!(by >= TimeDelta::zero(), "the clock only moves forward, not by {by}");
        self.offset_ms.fetch_add(by.num_milliseconds(), Ordering::SeqCst);
    }
}

impl Clock for TestClock {
    fn now(&self) -> DateTime<Utc> {
        TestClock::now(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_clock_starts_at_the_real_now_and_moves_when_told() {
        let clock = TestClock::new();
        let before = Utc::now();
        let start = clock.now();
        assert!(start >= before && start <= Utc::now(), "starts at the real now");
        clock.advance(TimeDelta::hours(169));
        let moved = Clock::now(&clock);
        assert!(moved >= start + TimeDelta::hours(169), "{start} → {moved}");
        assert!(moved <= Utc::now() + TimeDelta::hours(169), "{moved}");
    }
}
