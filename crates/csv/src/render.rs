//! The canonical text of each column for a licence, shared by the writer and the digest.
//!
//! Parsing a rendered field gives back the same value, and every value has exactly one rendering
//! (classes and status letters in standard order, sex as 男/女, dates as `YYYY-MM-DD`), so two rows that parse to
//! the same licence render, and therefore hash, identically however they were written.

use std::fmt::Write as _;

use edl_domain::{INDEFINITE_TEXT, Licence, ValidityEnd};
use sha2::{Digest, Sha256};
use time::Date;

use crate::Column;

/// Domain separation for the digest: changing the canonical form must change this tag.
const DIGEST_TAG: &[u8] = b"edl-csv licence digest v1\n";

/// One licence rendered as its seventeen canonical field texts, in one reusable buffer.
#[derive(Debug, Default)]
pub(crate) struct RenderedRow {
    text: String,
    /// `ends[i]` is the end offset of column `i` in `text`; column `i` starts where column `i - 1` ends.
    ends: [usize; Column::COUNT],
}

impl RenderedRow {
    /// Renders `licence`, replacing what the buffer held.
    pub(crate) fn fill(&mut self, licence: &Licence) {
        self.text.clear();
        for column in Column::ALL {
            // Writing to a String cannot fail.
            let _ = render_field(&mut self.text, licence, column);
            self.ends[column.index()] = self.text.len();
        }
    }

    /// The rendered text of `column`.
    pub(crate) fn field(&self, column: Column) -> &str {
        let i = column.index();
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        &self.text[start..self.ends[i]]
    }

    /// The fields in column order.
    pub(crate) fn fields(&self) -> impl Iterator<Item = &str> + '_ {
        Column::ALL.into_iter().map(|c| self.field(c))
    }

    /// The first 16 bytes of SHA-256 over the tag and each field as a 4-byte big-endian length and its UTF-8 bytes.
    /// Length prefixes make the encoding unambiguous whatever the fields contain.
    pub(crate) fn digest(&self) -> [u8; 16] {
        let mut hasher = Sha256::new();
        hasher.update(DIGEST_TAG);
        for field in self.fields() {
            // A field is at most a few hundred bytes; `u32` cannot overflow for anything a licence holds.
            let len = u32::try_from(field.len()).unwrap_or(u32::MAX);
            hasher.update(len.to_be_bytes());
            hasher.update(field.as_bytes());
        }
        let full = hasher.finalize();
        let mut digest = [0u8; 16];
        digest.copy_from_slice(&full[..16]);
        digest
    }
}

/// Appends the canonical text of one column.
fn render_field(out: &mut String, licence: &Licence, column: Column) -> std::fmt::Result {
    match column {
        Column::FileNumber => out.push_str(licence.file_number().as_str()),
        Column::CitizenId => out.push_str(licence.citizen_id().as_str()),
        Column::Name => out.push_str(licence.name().as_str()),
        Column::Sex => write!(out, "{}", licence.sex())?,
        Column::Nationality => write!(out, "{}", licence.nationality())?,
        Column::BirthDate => push_date(out, licence.birth_date()),
        Column::Address => out.push_str(licence.address().as_str()),
        Column::FirstIssueDate => push_date(out, licence.first_issue()),
        Column::Classes => write!(out, "{}", licence.classes())?,
        Column::ValidFrom => push_date(out, licence.validity().start()),
        Column::ValidUntil => match licence.validity().end() {
            ValidityEnd::On(date) => push_date(out, date),
            ValidityEnd::Indefinite => out.push_str(INDEFINITE_TEXT),
        },
        Column::Authority => out.push_str(licence.authority().name.as_str()),
        Column::AuthorityRegion => write!(out, "{}", licence.authority().region)?,
        Column::Status => write!(out, "{}", licence.status())?,
        Column::Points => push_number(out, u32::from(licence.points().total()), 1),
        Column::PointsCycleStart => push_date(out, licence.points().cycle_start()),
        Column::Phone => {
            if let Some(phone) = licence.phone() {
                out.push_str(phone.as_str());
            }
        }
    }
    Ok(())
}

/// Appends a date as `YYYY-MM-DD` (the form `edl_domain::parse_date` reads), without the formatting machinery:
/// four of the seventeen columns are dates, and writing files is meant to be fast.
fn push_date(out: &mut String, date: Date) {
    // Registry dates are years 0..=9999; `parse_date` rejects anything else, so such a date cannot come from a
    // parsed file, and a negative year is written with its sign for visibility rather than silently changed.
    if date.year() < 0 {
        out.push('-');
    }
    push_number(out, date.year().unsigned_abs(), 4);
    out.push('-');
    push_number(out, u32::from(u8::from(date.month())), 2);
    out.push('-');
    push_number(out, u32::from(date.day()), 2);
}

/// Appends `n` in decimal, zero-padded to at least `width` digits.
fn push_number(out: &mut String, n: u32, width: usize) {
    let mut digits = [0u8; 10];
    let mut i = digits.len();
    let mut rest = n;
    loop {
        i -= 1;
        digits[i] = b'0' + (rest % 10) as u8;
        rest /= 10;
        if rest == 0 {
            break;
        }
    }
    for _ in (digits.len() - i)..width {
        out.push('0');
    }
    for &d in &digits[i..] {
        out.push(char::from(d));
    }
}

/// The import digest of a licence: the first 16 bytes of SHA-256 over the canonical text of its seventeen
/// exchange-format columns (see `docs/import-format.md`).
///
/// It covers exactly what the exchange format carries, so the platform-local edition counter is not part of it.
/// Two rows with the same digest describe the same registry record, whatever their encoding, header language or
/// spelling of equivalent values (`M`/`男`, `EC1`/`C1E`, `CHN`/`中国`).
pub fn licence_digest(licence: &Licence) -> [u8; 16] {
    let mut row = RenderedRow::default();
    row.fill(licence);
    row.digest()
}

#[cfg(test)]
mod tests {
    use edl_domain::IsoDate;
    use time::macros::date;

    use super::*;

    #[test]
    fn dates_and_numbers_match_the_domain_formatting() {
        for d in [
            date!(2025 - 06 - 30),
            date!(0987 - 03 - 04),
            date!(2000 - 12 - 01),
            date!(9999 - 12 - 31),
        ] {
            let mut out = String::new();
            push_date(&mut out, d);
            assert_eq!(out, IsoDate(d).to_string());
        }
        for n in [0u32, 7, 12, 255, 1_000_000] {
            let mut out = String::new();
            push_number(&mut out, n, 1);
            assert_eq!(out, n.to_string());
        }
    }
}
