//! Penalty points (累积记分): the per-offence values and the 12-month cycle anchored on the first issue date.

use time::Date;

use crate::date::add_years;

/// The full score: reaching it in a cycle sets status B (超分).
pub const FULL_SCORE: u8 = 12;

/// The points one offence scores since 2022-04-01 (MPS decree 163): 12, 9, 6, 3 or 1. (2 is no longer a value.)
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PointValue {
    /// 1 point.
    One,
    /// 3 points.
    Three,
    /// 6 points.
    Six,
    /// 9 points.
    Nine,
    /// 12 points.
    Twelve,
}

impl PointValue {
    /// The number of points.
    pub fn get(self) -> u8 {
        match self {
            PointValue::One => 1,
            PointValue::Three => 3,
            PointValue::Six => 6,
            PointValue::Nine => 9,
            PointValue::Twelve => 12,
        }
    }
}

/// Why a number is not a per-offence point value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PointsError {
    /// Not one of 1, 3, 6, 9, 12.
    #[error("an offence scores 1, 3, 6, 9 or 12 points, not {value}")]
    InvalidValue {
        /// The number given.
        value: u8,
    },
}

impl TryFrom<u8> for PointValue {
    type Error = PointsError;
    fn try_from(value: u8) -> Result<Self, Self::Error> {
        match value {
            1 => Ok(PointValue::One),
            3 => Ok(PointValue::Three),
            6 => Ok(PointValue::Six),
            9 => Ok(PointValue::Nine),
            12 => Ok(PointValue::Twelve),
            _ => Err(PointsError::InvalidValue { value }),
        }
    }
}

/// One 12-month points cycle: from an anniversary of the first issue date (inclusive) to the next (exclusive).
/// Anniversaries of 29 February fall on 28 February in years without it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PointsCycle {
    start: Date,
    end: Date,
}

impl PointsCycle {
    /// The cycle containing `on` for a licence first issued on `first_issue`.
    /// A day before the first issue gets the first cycle.
    pub fn containing(first_issue: Date, on: Date) -> PointsCycle {
        let n = cycle_index(first_issue, on);
        PointsCycle {
            start: anniversary(first_issue, n),
            end: anniversary(first_issue, n + 1),
        }
    }

    /// The first day of the cycle.
    pub fn start(&self) -> Date {
        self.start
    }

    /// The day after the cycle's last day (exclusive end): the start of the next cycle.
    pub fn end(&self) -> Date {
        self.end
    }

    /// Whether `day` is in the cycle.
    pub fn contains(&self, day: Date) -> bool {
        self.start <= day && day < self.end
    }

    /// The following cycle.
    pub fn next(&self, first_issue: Date) -> PointsCycle {
        PointsCycle::containing(first_issue, self.end)
    }

    /// Whether `day` is the start of a cycle for a licence first issued on `first_issue`.
    pub fn is_cycle_start(first_issue: Date, day: Date) -> bool {
        day >= first_issue && PointsCycle::containing(first_issue, day).start == day
    }
}

/// The number of whole cycles between `first_issue` and `on` (0 for the first cycle or earlier days).
fn cycle_index(first_issue: Date, on: Date) -> i32 {
    if on <= first_issue {
        return 0;
    }
    let n = on.year() - first_issue.year();
    if anniversary(first_issue, n) > on {
        n - 1
    } else {
        n
    }
}

/// The `n`th anniversary of `first_issue`, saturating at the largest supported date.
fn anniversary(first_issue: Date, n: i32) -> Date {
    add_years(first_issue, n).unwrap_or(Date::MAX)
}

/// The points total recorded for one cycle (identified by its start date).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Points {
    cycle_start: Date,
    total: u8,
}

impl Points {
    /// A total recorded for the cycle starting on `cycle_start`. (Whether that is a real cycle start is checked by
    /// [`crate::Licence::new`].)
    pub fn new(cycle_start: Date, total: u8) -> Points {
        Points { cycle_start, total }
    }

    /// No points in `cycle`.
    pub fn zero(cycle: PointsCycle) -> Points {
        Points {
            cycle_start: cycle.start,
            total: 0,
        }
    }

    /// The start of the cycle the total belongs to.
    pub fn cycle_start(&self) -> Date {
        self.cycle_start
    }

    /// The recorded total (may be 12 or more when status B is set).
    pub fn total(&self) -> u8 {
        self.total
    }

    /// The total as of `on`: the recorded total while its cycle lasts, 0 once a later cycle has started
    /// (points are cleared at the end of a cycle).
    pub fn as_of(&self, first_issue: Date, on: Date) -> u8 {
        if PointsCycle::containing(first_issue, on).start > self.cycle_start {
            0
        } else {
            self.total
        }
    }

    /// Whether the recorded total reaches the full score (12).
    pub fn is_full_score(&self) -> bool {
        self.total >= FULL_SCORE
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use time::Month;
    use time::macros::date;

    #[test]
    fn point_values() {
        for v in [1u8, 3, 6, 9, 12] {
            assert_eq!(PointValue::try_from(v).map(PointValue::get), Ok(v));
        }
        for v in [0u8, 2, 4, 5, 7, 8, 10, 11, 13, 255] {
            assert_eq!(
                PointValue::try_from(v),
                Err(PointsError::InvalidValue { value: v })
            );
        }
    }

    #[test]
    fn cycles_are_anchored_on_the_first_issue_date() {
        let first = date!(2015 - 06 - 10);
        let c = PointsCycle::containing(first, date!(2024 - 06 - 09));
        assert_eq!(
            (c.start(), c.end()),
            (date!(2023 - 06 - 10), date!(2024 - 06 - 10))
        );
        let c = PointsCycle::containing(first, date!(2024 - 06 - 10));
        assert_eq!(
            (c.start(), c.end()),
            (date!(2024 - 06 - 10), date!(2025 - 06 - 10))
        );
        let c = PointsCycle::containing(first, first);
        assert_eq!((c.start(), c.end()), (first, date!(2016 - 06 - 10)));
        let c = PointsCycle::containing(first, date!(2010 - 01 - 01));
        assert_eq!(c.start(), first);
        assert!(c.contains(date!(2016 - 06 - 09)));
        assert!(!c.contains(date!(2016 - 06 - 10)));
        assert_eq!(c.next(first).start(), date!(2016 - 06 - 10));
        assert!(PointsCycle::is_cycle_start(first, date!(2020 - 06 - 10)));
        assert!(!PointsCycle::is_cycle_start(first, date!(2020 - 06 - 11)));
        assert!(!PointsCycle::is_cycle_start(first, date!(2014 - 06 - 10)));
    }

    #[test]
    fn cycles_from_29_february() {
        let first = date!(2016 - 02 - 29);
        let c = PointsCycle::containing(first, date!(2017 - 02 - 27));
        assert_eq!((c.start(), c.end()), (first, date!(2017 - 02 - 28)));
        let c = PointsCycle::containing(first, date!(2017 - 02 - 28));
        assert_eq!(
            (c.start(), c.end()),
            (date!(2017 - 02 - 28), date!(2018 - 02 - 28))
        );
        let c = PointsCycle::containing(first, date!(2020 - 02 - 28));
        assert_eq!(
            (c.start(), c.end()),
            (date!(2019 - 02 - 28), date!(2020 - 02 - 29))
        );
        let c = PointsCycle::containing(first, date!(2020 - 02 - 29));
        assert_eq!(
            (c.start(), c.end()),
            (date!(2020 - 02 - 29), date!(2021 - 02 - 28))
        );
        let c = PointsCycle::containing(first, date!(2021 - 03 - 01));
        assert_eq!(c.start(), date!(2021 - 02 - 28));
    }

    #[test]
    fn points_clear_when_their_cycle_ends() {
        let first = date!(2015 - 06 - 10);
        let p = Points::new(date!(2023 - 06 - 10), 9);
        assert_eq!(p.as_of(first, date!(2023 - 06 - 10)), 9);
        assert_eq!(p.as_of(first, date!(2024 - 06 - 09)), 9);
        assert_eq!(p.as_of(first, date!(2024 - 06 - 10)), 0);
        assert_eq!(p.as_of(first, date!(2030 - 01 - 01)), 0);
        let z = Points::zero(PointsCycle::containing(first, date!(2024 - 07 - 01)));
        assert_eq!((z.cycle_start(), z.total()), (date!(2024 - 06 - 10), 0));
        assert!(Points::new(first, 12).is_full_score());
        assert!(!Points::new(first, 11).is_full_score());
    }

    fn any_date() -> impl Strategy<Value = Date> {
        (1900i32..=2100, 1u8..=12, 1u8..=31).prop_filter_map("no such day", |(y, m, d)| {
            Date::from_calendar_date(y, Month::try_from(m).ok()?, d).ok()
        })
    }

    proptest! {
        #[test]
        fn cycles_tile_the_calendar(first in any_date(), offset in 0i64..40_000) {
            let on = first.checked_add(time::Duration::days(offset)).unwrap_or(first);
            let c = PointsCycle::containing(first, on);
            prop_assert!(c.contains(on));
            prop_assert!(PointsCycle::is_cycle_start(first, c.start()));
            prop_assert_eq!(c.next(first).start(), c.end());
            let len = (c.end() - c.start()).whole_days();
            prop_assert!((365..=366).contains(&len));
        }

        #[test]
        fn any_number_never_panics(v in any::<u8>()) {
            if let Ok(p) = PointValue::try_from(v) {
                prop_assert_eq!(p.get(), v);
            }
        }
    }
}
