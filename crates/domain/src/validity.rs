//! Licence validity (有效期限): a start date and an end date or 长期, the 6 → 10 → 长期 terms and the renewal window.

use std::fmt;
use std::str::FromStr;

use time::{Date, Duration};

use crate::date::{DateError, IsoDate, add_years, parse_date};

/// How many days before the end of validity a renewal may be applied for (inclusive).
pub const RENEWAL_WINDOW_DAYS: i64 = 90;

/// The text shown for an indefinite (permanent) validity.
pub const INDEFINITE_TEXT: &str = "长期";

/// Why a validity or validity end is not acceptable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ValidityError {
    /// The end text is neither `长期` nor a `YYYY-MM-DD` date.
    #[error("expected 长期 or a date YYYY-MM-DD: {0}")]
    InvalidEnd(DateError),
    /// The end date is on or before the start date.
    #[error("the validity must end after it starts")]
    EndNotAfterStart,
}

/// The last day of validity, or 长期 (indefinite).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ValidityEnd {
    /// Valid up to and including this day.
    On(Date),
    /// 长期: no end.
    Indefinite,
}

impl ValidityEnd {
    /// Parses `长期` or a `YYYY-MM-DD` date.
    pub fn parse(s: &str) -> Result<ValidityEnd, ValidityError> {
        if s == INDEFINITE_TEXT {
            return Ok(ValidityEnd::Indefinite);
        }
        parse_date(s)
            .map(ValidityEnd::On)
            .map_err(ValidityError::InvalidEnd)
    }

    /// The end date, or `None` for 长期.
    pub fn date(self) -> Option<Date> {
        match self {
            ValidityEnd::On(d) => Some(d),
            ValidityEnd::Indefinite => None,
        }
    }
}

impl fmt::Display for ValidityEnd {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ValidityEnd::On(d) => IsoDate(*d).fmt(f),
            ValidityEnd::Indefinite => f.write_str(INDEFINITE_TEXT),
        }
    }
}

impl FromStr for ValidityEnd {
    type Err = ValidityError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ValidityEnd::parse(s)
    }
}

/// The three validity terms: a first licence gets 6 years, then 10 years, then 长期.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ValidityTerm {
    /// 6 years: the first licence.
    SixYears,
    /// 10 years: after a 6-year term without a full-score (12-point) cycle.
    TenYears,
    /// 长期: after a 10-year term without a full-score cycle.
    Indefinite,
}

impl ValidityTerm {
    /// The term of the next licence: 6 → 10 → 长期; a full-score (12-point) cycle during the term keeps the same term.
    pub fn next(self, full_score_during_term: bool) -> ValidityTerm {
        if full_score_during_term {
            return self;
        }
        match self {
            ValidityTerm::SixYears => ValidityTerm::TenYears,
            ValidityTerm::TenYears | ValidityTerm::Indefinite => ValidityTerm::Indefinite,
        }
    }

    /// The length in years, or `None` for 长期.
    pub fn years(self) -> Option<i32> {
        match self {
            ValidityTerm::SixYears => Some(6),
            ValidityTerm::TenYears => Some(10),
            ValidityTerm::Indefinite => None,
        }
    }
}

/// A licence's validity: from `start` (inclusive) to `end` (inclusive) or 长期. The end is after the start.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Validity {
    start: Date,
    end: ValidityEnd,
}

impl Validity {
    /// A validity from `start` to `end`; the end must be after the start.
    pub fn new(start: Date, end: ValidityEnd) -> Result<Validity, ValidityError> {
        if let ValidityEnd::On(e) = end
            && e <= start
        {
            return Err(ValidityError::EndNotAfterStart);
        }
        Ok(Validity { start, end })
    }

    /// A validity of `term` from `start`: the end is the same calendar day 6 or 10 years later
    /// (29 February → 28 February), or 长期.
    ///
    /// Infallible: an end beyond the last supported date (9999-12-31) is clamped to it, and a start on that
    /// very day gets 长期 (dates that far out do not occur in a registry).
    pub fn for_term(start: Date, term: ValidityTerm) -> Validity {
        let end = match term.years() {
            Some(years) => match add_years(start, years).unwrap_or(Date::MAX) {
                end if end > start => ValidityEnd::On(end),
                _ => ValidityEnd::Indefinite,
            },
            None => ValidityEnd::Indefinite,
        };
        Validity { start, end }
    }

    /// The first day of validity.
    pub fn start(&self) -> Date {
        self.start
    }

    /// The last day of validity, or 长期.
    pub fn end(&self) -> ValidityEnd {
        self.end
    }

    /// The term this validity corresponds to, or `None` if its length is not exactly 6 or 10 years.
    pub fn term(&self) -> Option<ValidityTerm> {
        match self.end {
            ValidityEnd::Indefinite => Some(ValidityTerm::Indefinite),
            ValidityEnd::On(end) => [ValidityTerm::SixYears, ValidityTerm::TenYears]
                .into_iter()
                .find(|t| t.years().and_then(|y| add_years(self.start, y)) == Some(end)),
        }
    }

    /// Whether `day` is within the validity (start and end inclusive).
    pub fn is_valid_on(&self, day: Date) -> bool {
        day >= self.start && !self.expired_on(day)
    }

    /// Whether the validity has ended before `day` (the end day itself is still valid). Never for 长期.
    pub fn expired_on(&self, day: Date) -> bool {
        matches!(self.end, ValidityEnd::On(end) if day > end)
    }

    /// The first day a renewal may be applied for: 90 days before the end. `None` for 长期.
    pub fn renewal_window_opens(&self) -> Option<Date> {
        let end = self.end.date()?;
        Some(
            end.checked_sub(Duration::days(RENEWAL_WINDOW_DAYS))
                .unwrap_or(Date::MIN),
        )
    }

    /// Whether `day` is in the renewal window: from 90 days before the end, inclusive, to the end day, inclusive.
    pub fn in_renewal_window(&self, day: Date) -> bool {
        match (self.renewal_window_opens(), self.end.date()) {
            (Some(opens), Some(end)) => opens <= day && day <= end,
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use time::Month;
    use time::macros::date;

    #[test]
    fn end_parse_and_display() {
        assert_eq!(ValidityEnd::parse("长期"), Ok(ValidityEnd::Indefinite));
        assert_eq!(
            ValidityEnd::parse("2026-01-01"),
            Ok(ValidityEnd::On(date!(2026 - 01 - 01)))
        );
        assert_eq!(ValidityEnd::Indefinite.to_string(), "长期");
        assert_eq!(
            ValidityEnd::On(date!(2026 - 01 - 01)).to_string(),
            "2026-01-01"
        );
        assert_eq!(
            ValidityEnd::parse("长久"),
            Err(ValidityError::InvalidEnd(DateError::WrongFormat))
        );
        assert_eq!(
            ValidityEnd::parse("2026-02-30"),
            Err(ValidityError::InvalidEnd(DateError::NoSuchDay))
        );
    }

    #[test]
    fn end_must_be_after_start() {
        let d = date!(2020 - 01 - 01);
        assert_eq!(
            Validity::new(d, ValidityEnd::On(d)),
            Err(ValidityError::EndNotAfterStart)
        );
        assert_eq!(
            Validity::new(d, ValidityEnd::On(date!(2019 - 12 - 31))),
            Err(ValidityError::EndNotAfterStart)
        );
        assert!(Validity::new(d, ValidityEnd::Indefinite).is_ok());
        assert!(Validity::new(d, ValidityEnd::On(date!(2020 - 01 - 02))).is_ok());
    }

    #[test]
    fn terms_progress_six_ten_indefinite() {
        assert_eq!(ValidityTerm::SixYears.next(false), ValidityTerm::TenYears);
        assert_eq!(ValidityTerm::TenYears.next(false), ValidityTerm::Indefinite);
        assert_eq!(
            ValidityTerm::Indefinite.next(false),
            ValidityTerm::Indefinite
        );
        assert_eq!(ValidityTerm::SixYears.next(true), ValidityTerm::SixYears);
        assert_eq!(ValidityTerm::TenYears.next(true), ValidityTerm::TenYears);
        assert_eq!(
            ValidityTerm::Indefinite.next(true),
            ValidityTerm::Indefinite
        );
    }

    #[test]
    fn for_term_and_term() {
        let v = Validity::for_term(date!(2020 - 01 - 01), ValidityTerm::SixYears);
        assert_eq!(v.end(), ValidityEnd::On(date!(2026 - 01 - 01)));
        assert_eq!(v.term(), Some(ValidityTerm::SixYears));
        let v = Validity::for_term(date!(2020 - 02 - 29), ValidityTerm::TenYears);
        assert_eq!(v.end(), ValidityEnd::On(date!(2030 - 02 - 28)));
        assert_eq!(v.term(), Some(ValidityTerm::TenYears));
        let v = Validity::for_term(date!(2020 - 02 - 29), ValidityTerm::Indefinite);
        assert_eq!(v.end(), ValidityEnd::Indefinite);
        assert_eq!(v.term(), Some(ValidityTerm::Indefinite));
        let odd = Validity::new(
            date!(2020 - 01 - 01),
            ValidityEnd::On(date!(2025 - 01 - 01)),
        )
        .expect("valid");
        assert_eq!(odd.term(), None);
        assert_eq!(
            Validity::for_term(date!(9995 - 01 - 01), ValidityTerm::SixYears).end(),
            ValidityEnd::On(Date::MAX)
        );
        assert_eq!(
            Validity::for_term(Date::MAX, ValidityTerm::SixYears).end(),
            ValidityEnd::Indefinite
        );
    }

    #[test]
    fn validity_days_are_inclusive() {
        let v = Validity::for_term(date!(2020 - 01 - 01), ValidityTerm::SixYears);
        assert!(!v.is_valid_on(date!(2019 - 12 - 31)));
        assert!(v.is_valid_on(date!(2020 - 01 - 01)));
        assert!(v.is_valid_on(date!(2026 - 01 - 01)));
        assert!(!v.expired_on(date!(2026 - 01 - 01)));
        assert!(v.expired_on(date!(2026 - 01 - 02)));
        assert!(!v.is_valid_on(date!(2026 - 01 - 02)));
        let forever = Validity::for_term(date!(2020 - 01 - 01), ValidityTerm::Indefinite);
        assert!(!forever.expired_on(date!(9999 - 12 - 31)));
        assert!(forever.is_valid_on(date!(9999 - 12 - 31)));
    }

    #[test]
    fn ninety_day_renewal_window() {
        let v = Validity::for_term(date!(2020 - 01 - 01), ValidityTerm::SixYears);
        // 2026-01-01 minus 90 days is 2025-10-03.
        assert_eq!(v.renewal_window_opens(), Some(date!(2025 - 10 - 03)));
        assert!(!v.in_renewal_window(date!(2025 - 10 - 02)));
        assert!(v.in_renewal_window(date!(2025 - 10 - 03)));
        assert!(v.in_renewal_window(date!(2026 - 01 - 01)));
        assert!(!v.in_renewal_window(date!(2026 - 01 - 02)));
        let forever = Validity::for_term(date!(2020 - 01 - 01), ValidityTerm::Indefinite);
        assert_eq!(forever.renewal_window_opens(), None);
        assert!(!forever.in_renewal_window(date!(2025 - 10 - 03)));
    }

    fn any_date() -> impl Strategy<Value = Date> {
        (1800i32..=9000, 1u8..=12, 1u8..=31).prop_filter_map("no such day", |(y, m, d)| {
            Date::from_calendar_date(y, Month::try_from(m).ok()?, d).ok()
        })
    }

    proptest! {
        #[test]
        fn end_parse_after_display_is_identity(d in any_date(), indefinite in any::<bool>()) {
            let end = if indefinite { ValidityEnd::Indefinite } else { ValidityEnd::On(d) };
            prop_assert_eq!(ValidityEnd::parse(&end.to_string()), Ok(end));
        }

        #[test]
        fn every_term_round_trips(d in any_date(), t in 0usize..3) {
            let term = [ValidityTerm::SixYears, ValidityTerm::TenYears, ValidityTerm::Indefinite][t];
            let v = Validity::for_term(d, term);
            prop_assert_eq!(v.term(), Some(term));
            prop_assert!(v.is_valid_on(d));
        }

        #[test]
        fn arbitrary_text_never_panics(s in ".*") {
            let _ = ValidityEnd::parse(&s);
        }
    }
}
