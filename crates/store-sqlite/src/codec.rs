//! Text encodings of dates and instants in SQLite columns, and decoding of licence rows.

use edl_store::backend::LicenceRow;
use edl_store::{StoreError, StoredLicence};
use sqlx::Row;
use sqlx::sqlite::SqliteRow;
use time::format_description::well_known::Rfc3339;
use time::{Date, Month, OffsetDateTime, UtcOffset};

/// The columns [`licence_from_row`] reads, in order; `l` is `licences` and `a` is `authorities`.
pub(crate) const LICENCE_COLUMNS: &str = "l.file_number, l.citizen_id, l.name, l.sex, \
    l.nationality, l.birth_date, l.address, l.first_issue, l.classes, l.valid_from, l.valid_until, \
    a.name, a.region, l.status, l.points, l.points_cycle_start, l.phone, l.edition, l.version";

/// A date as `YYYY-MM-DD`, which sorts as text in date order.
///
/// Written by hand rather than with `format!`: an import formats five dates per row.
pub(crate) fn date_to_text(date: Date) -> String {
    let year = date.year();
    let Ok(year @ 0..=9999) = u32::try_from(year) else {
        // Outside the four-digit years the domain never produces; kept readable, and refused when read back.
        return format!("{year}-{:02}-{:02}", u8::from(date.month()), date.day());
    };
    let digit = |n: u32| char::from(b'0' + (n % 10) as u8);
    let mut res = String::with_capacity(10);
    res.extend([
        digit(year / 1000),
        digit(year / 100),
        digit(year / 10),
        digit(year),
        '-',
    ]);
    let month = u32::from(u8::from(date.month()));
    let day = u32::from(date.day());
    res.extend([
        digit(month / 10),
        digit(month),
        '-',
        digit(day / 10),
        digit(day),
    ]);
    res
}

/// Parses a `YYYY-MM-DD` column; the error names the column, not the value.
pub(crate) fn date_from_text(text: &str, column: &'static str) -> Result<Date, StoreError> {
    let corrupt = || StoreError::Corrupt {
        what: column,
        source: None,
    };
    let bytes = text.as_bytes();
    if bytes.len() != 10 || bytes[4] != b'-' || bytes[7] != b'-' {
        return Err(corrupt());
    }
    let number = |range: std::ops::Range<usize>| -> Result<u32, StoreError> {
        let part = &text[range];
        if part.bytes().all(|b| b.is_ascii_digit()) {
            part.parse().map_err(|_| corrupt())
        } else {
            Err(corrupt())
        }
    };
    let year = i32::try_from(number(0..4)?).map_err(|_| corrupt())?;
    let month = u8::try_from(number(5..7)?)
        .ok()
        .and_then(|m| Month::try_from(m).ok())
        .ok_or_else(corrupt)?;
    let day = u8::try_from(number(8..10)?).map_err(|_| corrupt())?;
    Date::from_calendar_date(year, month, day).map_err(|_| corrupt())
}

/// An instant as RFC 3339 in UTC.
pub(crate) fn instant_to_text(at: OffsetDateTime) -> Result<String, StoreError> {
    at.to_offset(UtcOffset::UTC)
        .format(&Rfc3339)
        .map_err(|e| StoreError::Other(Box::new(e)))
}

/// An instant as RFC 3339 in UTC with exactly nine fractional digits (`2025-03-01T08:00:00.000000000Z`).
///
/// Fixed width, so text order is time order: the web-wallet tables (`0003_holders.sql`) compare and sort these
/// columns in SQL (expiry, newest first). [`instant_to_text`] drops trailing zeros, and `…:00Z` sorts after
/// `…:00.5Z`. Read back with [`instant_from_text`]. Years outside 0000–9999 are refused, as RFC 3339 does.
pub(crate) fn instant_to_sortable_text(at: OffsetDateTime) -> Result<String, StoreError> {
    let utc = at.to_offset(UtcOffset::UTC);
    if !(0..=9999).contains(&utc.year()) {
        return Err(StoreError::Other(
            "an instant outside the years 0000-9999 cannot be stored".into(),
        ));
    }
    Ok(format!(
        "{}T{:02}:{:02}:{:02}.{:09}Z",
        date_to_text(utc.date()),
        utc.hour(),
        utc.minute(),
        utc.second(),
        utc.nanosecond()
    ))
}

/// Parses an RFC 3339 column.
pub(crate) fn instant_from_text(
    text: &str,
    column: &'static str,
) -> Result<OffsetDateTime, StoreError> {
    OffsetDateTime::parse(text, &Rfc3339).map_err(|e| StoreError::corrupt(column, e))
}

/// Reads a typed column, mapping a decode failure to [`StoreError::Corrupt`] naming `column`.
pub(crate) fn get<'r, T>(
    row: &'r SqliteRow,
    idx: usize,
    column: &'static str,
) -> Result<T, StoreError>
where
    T: sqlx::Decode<'r, sqlx::Sqlite> + sqlx::Type<sqlx::Sqlite>,
{
    row.try_get(idx).map_err(|_| StoreError::Corrupt {
        what: column,
        source: None,
    })
}

/// Decodes a row selected with [`LICENCE_COLUMNS`].
pub(crate) fn licence_from_row(row: &SqliteRow) -> Result<StoredLicence, StoreError> {
    let date = |idx: usize, column: &'static str| -> Result<Date, StoreError> {
        date_from_text(get::<&str>(row, idx, column)?, column)
    };
    let licence_row = LicenceRow {
        file_number: get(row, 0, "licences.file_number")?,
        citizen_id: get(row, 1, "licences.citizen_id")?,
        name: get(row, 2, "licences.name")?,
        sex: get(row, 3, "licences.sex")?,
        nationality: get(row, 4, "licences.nationality")?,
        birth_date: date(5, "licences.birth_date")?,
        address: get(row, 6, "licences.address")?,
        first_issue: date(7, "licences.first_issue")?,
        classes: get(row, 8, "licences.classes")?,
        valid_from: date(9, "licences.valid_from")?,
        valid_until: get::<Option<&str>>(row, 10, "licences.valid_until")?
            .map(|text| date_from_text(text, "licences.valid_until"))
            .transpose()?,
        authority_name: get(row, 11, "authorities.name")?,
        region: get(row, 12, "authorities.region")?,
        status: get(row, 13, "licences.status")?,
        points: get(row, 14, "licences.points")?,
        points_cycle_start: date(15, "licences.points_cycle_start")?,
        phone: get(row, 16, "licences.phone")?,
        edition: get(row, 17, "licences.edition")?,
    };
    Ok(StoredLicence {
        licence: licence_row.into_licence()?,
        version: get(row, 18, "licences.version")?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::{date, datetime};

    #[test]
    fn dates_round_trip_as_sortable_text() {
        for d in [
            date!(0001 - 01 - 01),
            date!(1950 - 01 - 01),
            date!(2024 - 02 - 29),
            date!(2024 - 10 - 31),
            date!(9999 - 12 - 31),
        ] {
            assert_eq!(date_from_text(&date_to_text(d), "c").ok(), Some(d));
        }
        assert_eq!(date_to_text(date!(2021 - 06 - 01)), "2021-06-01");
    }

    #[test]
    fn malformed_dates_are_corrupt_without_the_value() {
        for text in [
            "",
            "2021-6-01",
            "2021-13-01",
            "2021-02-30",
            "+021-01-01",
            "2021/01/01",
        ] {
            let err = date_from_text(text, "licences.birth_date");
            assert!(
                matches!(
                    err,
                    Err(StoreError::Corrupt {
                        what: "licences.birth_date",
                        source: None
                    })
                ),
                "{text}: {err:?}"
            );
        }
    }

    #[test]
    fn sortable_instants_have_a_fixed_width_and_sort_in_time_order() {
        let instants = [
            datetime!(0001-01-01 00:00:00 UTC),
            datetime!(2025-03-01 16:00:00 +08:00),
            datetime!(2025-03-01 08:00:00.000000001 UTC),
            datetime!(2025-03-01 08:00:00.5 UTC),
            datetime!(2025-03-01 08:00:01 UTC),
            datetime!(9999-12-31 23:59:59.999999999 UTC),
        ];

        let texts: Vec<String> = instants
            .iter()
            .map(|&at| instant_to_sortable_text(at).expect("formats"))
            .collect();

        assert_eq!(texts[1], "2025-03-01T08:00:00.000000000Z");
        assert!(texts.iter().all(|text| text.len() == 30), "{texts:?}");
        assert!(texts.windows(2).all(|w| w[0] < w[1]), "{texts:?}");
        for (text, at) in texts.iter().zip(instants) {
            assert_eq!(instant_from_text(text, "c").ok(), Some(at));
        }
        assert!(
            instant_to_sortable_text(
                datetime!(2025-03-01 08:00:00 UTC)
                    .replace_year(-1)
                    .expect("year")
            )
            .is_err()
        );
    }

    #[test]
    fn instants_are_stored_in_utc() {
        let at = datetime!(2025-03-01 16:00:00 +08:00);

        let text = instant_to_text(at).expect("formats");

        assert_eq!(text, "2025-03-01T08:00:00Z");
        assert_eq!(instant_from_text(&text, "c").ok(), Some(at));
    }
}
