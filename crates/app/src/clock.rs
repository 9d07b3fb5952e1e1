//! The clock, injected so that expiry, points cycles and tests are deterministic.

use time::{Date, OffsetDateTime, UtcOffset};

/// China Standard Time (UTC+8): licence dates (validity, points cycles) are calendar dates in this zone.
pub const CHINA_STANDARD_TIME: UtcOffset = match UtcOffset::from_hms(8, 0, 0) {
    Ok(offset) => offset,
    Err(_) => UtcOffset::UTC,
};

/// Where the application reads the time. Nothing in `edl-app` calls the system clock directly.
pub trait Clock: Send + Sync {
    /// The current instant.
    fn now(&self) -> OffsetDateTime;

    /// Today's calendar date in China Standard Time, the zone licence dates are written in.
    fn today(&self) -> Date {
        self.now().to_offset(CHINA_STANDARD_TIME).date()
    }
}

/// The real clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> OffsetDateTime {
        OffsetDateTime::now_utc()
    }
}

/// A clock stopped at one instant, for tests, audits and reproducible runs.
#[derive(Debug, Clone, Copy)]
pub struct FixedClock(pub OffsetDateTime);

impl Clock for FixedClock {
    fn now(&self) -> OffsetDateTime {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn today_is_the_date_in_china_standard_time() {
        // 20:00 UTC on 31 Dec is already 1 Jan in Beijing.
        let clock = FixedClock(datetime!(2025-12-31 20:00 UTC));
        assert_eq!(clock.today(), time::macros::date!(2026 - 01 - 01));
    }
}
