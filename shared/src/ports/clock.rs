//! The clock, a port so that tests can move time (token expiry, TTL, periods).

use std::sync::Mutex;

use time::OffsetDateTime;

pub trait Clock: Send + Sync {
    fn now(&self) -> OffsetDateTime;
}

pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> OffsetDateTime {
        OffsetDateTime::now_utc()
    }
}

/// The machine's clock set ahead: the local runtime run as if later (`--clock-ahead-minutes`),
/// to see what a wait does (a load that stopped, a link or session that ran out).
pub struct AheadClock(pub time::Duration);

impl AheadClock {
    pub fn minutes(minutes: u32) -> Self {
        AheadClock(time::Duration::minutes(minutes.into()))
    }
}

impl Clock for AheadClock {
    fn now(&self) -> OffsetDateTime {
        OffsetDateTime::now_utc() + self.0
    }
}

/// A clock that stands still until moved.
pub struct ManualClock(Mutex<OffsetDateTime>);

impl ManualClock {
    pub fn at(now: OffsetDateTime) -> Self {
        ManualClock(Mutex::new(now))
    }
    pub fn advance(&self, by: time::Duration) {
        let mut now = self.0.lock().unwrap_or_else(|e| e.into_inner());
        *now += by;
    }
}

impl Clock for ManualClock {
    fn now(&self) -> OffsetDateTime {
        *self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}
