//! Calendar helpers shared by the domain rules: strict `YYYY-MM-DD` parsing and formatting, and anniversaries.
//!
//! Every anniversary in the domain (validity terms, points cycles, the 18th birthday) uses the same rule:
//! a 29 February date falls on 28 February in a year that has no 29 February.

use std::fmt;

use time::{Date, Month};

/// Why a text is not a `YYYY-MM-DD` calendar date.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum DateError {
    /// The text is not exactly ten characters in the form `YYYY-MM-DD`.
    #[error("expected a date in the form YYYY-MM-DD")]
    WrongFormat,
    /// The form is right but no such day exists (for example `2023-02-29`).
    #[error("no such calendar day")]
    NoSuchDay,
}

/// Parses a date written exactly as `YYYY-MM-DD` (four-digit year, two-digit month and day, no sign, no spaces).
pub fn parse_date(s: &str) -> Result<Date, DateError> {
    let b = s.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return Err(DateError::WrongFormat);
    }
    let year = digits(&b[0..4]).ok_or(DateError::WrongFormat)?;
    let month = digits(&b[5..7]).ok_or(DateError::WrongFormat)?;
    let day = digits(&b[8..10]).ok_or(DateError::WrongFormat)?;
    date_from_parts(year, month, day).ok_or(DateError::NoSuchDay)
}

/// Builds a date from a year, month (1–12) and day (1–31); `None` if there is no such day.
pub(crate) fn date_from_parts(year: u32, month: u32, day: u32) -> Option<Date> {
    let year = i32::try_from(year).ok()?;
    let month = Month::try_from(u8::try_from(month).ok()?).ok()?;
    let day = u8::try_from(day).ok()?;
    Date::from_calendar_date(year, month, day).ok()
}

/// Reads ASCII digits as a number; `None` if any byte is not a digit.
pub(crate) fn digits(b: &[u8]) -> Option<u32> {
    b.iter().try_fold(0u32, |acc, &c| {
        c.is_ascii_digit().then(|| acc * 10 + u32::from(c - b'0'))
    })
}

/// A [`Date`] shown as `YYYY-MM-DD` (the form [`parse_date`] reads).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IsoDate(pub Date);

impl fmt::Display for IsoDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:04}-{:02}-{:02}",
            self.0.year(),
            u8::from(self.0.month()),
            self.0.day()
        )
    }
}

/// Formats a date as `YYYY-MM-DD`.
pub fn format_date(date: Date) -> String {
    IsoDate(date).to_string()
}

/// The same calendar day `years` years later (or earlier, if negative); 29 February falls on 28 February
/// in a year without it. `None` if the result is outside the dates [`Date`] supports.
pub fn add_years(date: Date, years: i32) -> Option<Date> {
    let year = date.year().checked_add(years)?;
    Date::from_calendar_date(year, date.month(), date.day())
        .or_else(|_| {
            // Only 29 February can fail once the year is in range.
            Date::from_calendar_date(year, date.month(), date.day() - 1)
        })
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use time::macros::date;

    #[test]
    fn parses_strict_iso_dates() {
        assert_eq!(parse_date("2020-02-29"), Ok(date!(2020 - 02 - 29)));
        assert_eq!(parse_date("2021-02-29"), Err(DateError::NoSuchDay));
        assert_eq!(parse_date("2021-13-01"), Err(DateError::NoSuchDay));
        assert_eq!(parse_date("2021-1-01"), Err(DateError::WrongFormat));
        assert_eq!(parse_date("+021-01-01"), Err(DateError::WrongFormat));
        assert_eq!(parse_date("2021/01/01"), Err(DateError::WrongFormat));
        assert_eq!(parse_date("2021-01-01 "), Err(DateError::WrongFormat));
        assert_eq!(parse_date(""), Err(DateError::WrongFormat));
        assert_eq!(parse_date("0000-01-01"), Ok(date!(0000 - 01 - 01)));
    }

    #[test]
    fn formats_with_padding() {
        assert_eq!(format_date(date!(0987 - 03 - 04)), "0987-03-04");
        assert_eq!(format_date(date!(2024 - 12 - 31)), "2024-12-31");
    }

    #[test]
    fn anniversaries_of_29_february_fall_on_28_february() {
        assert_eq!(
            add_years(date!(2020 - 02 - 29), 1),
            Some(date!(2021 - 02 - 28))
        );
        assert_eq!(
            add_years(date!(2020 - 02 - 29), 4),
            Some(date!(2024 - 02 - 29))
        );
        assert_eq!(
            add_years(date!(2020 - 02 - 29), 6),
            Some(date!(2026 - 02 - 28))
        );
        assert_eq!(
            add_years(date!(2021 - 03 - 01), 6),
            Some(date!(2027 - 03 - 01))
        );
        assert_eq!(
            add_years(date!(2021 - 03 - 01), -3),
            Some(date!(2018 - 03 - 01))
        );
        assert_eq!(add_years(date!(9999 - 01 - 01), 1), None);
    }

    fn any_date() -> impl Strategy<Value = Date> {
        (0i32..=9999, 1u8..=12, 1u8..=31).prop_filter_map("no such day", |(y, m, d)| {
            Date::from_calendar_date(y, Month::try_from(m).ok()?, d).ok()
        })
    }

    proptest! {
        #[test]
        fn parse_after_format_is_identity(d in any_date()) {
            prop_assert_eq!(parse_date(&format_date(d)), Ok(d));
        }

        #[test]
        fn arbitrary_text_never_panics(s in ".*") {
            let _ = parse_date(&s);
        }

        #[test]
        fn date_like_text_never_panics(s in "[0-9+-]{4}-[0-9]{2}-[0-9]{2}") {
            if let Ok(d) = parse_date(&s) {
                prop_assert_eq!(format_date(d), s);
            }
        }
    }
}
