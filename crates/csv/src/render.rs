//! The canonical text of each column for a licence, shared by the writer and the digest.
//!
//! Parsing a rendered field gives back the same value, and every value has exactly one rendering
//! (classes and status letters in standard order, sex as 男/女, dates as `YYYY-MM-DD`), so two rows that parse to
//! the same licence render, and therefore hash, identically however they were written.

use edl_domain::{INDEFINITE_TEXT, Licence, Sex, ValidityEnd};
use sha2::{Digest, Sha256};
use time::Date;

use crate::Column;

/// Domain separation for the digest: changing the canonical form must change this tag.
const DIGEST_TAG: &[u8] = b"edl-csv licence digest v1\n";

/// One licence rendered as its seventeen canonical field texts, in one reusable buffer (for the writer).
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
            push_field(&mut self.text, licence, column);
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
}

/// Computes import digests ([`licence_digest`]) in a reusable buffer, so a reader allocates nothing per record.
#[derive(Debug, Default)]
pub(crate) struct Digester {
    /// The bytes hashed: the tag, then each field as a 4-byte big-endian length and its UTF-8 bytes.
    input: Vec<u8>,
}

impl Digester {
    /// The first 16 bytes of SHA-256 over the tag and each canonical field as a 4-byte big-endian length and its
    /// UTF-8 bytes. Length prefixes make the encoding unambiguous whatever the fields contain.
    ///
    /// The fields are rendered straight into the hashed bytes, which are hashed in one call: cheaper than
    /// rendering the text first and feeding the hasher 35 pieces.
    pub(crate) fn digest(&mut self, licence: &Licence) -> [u8; 16] {
        let input = &mut self.input;
        input.clear();
        input.extend_from_slice(DIGEST_TAG);
        for column in Column::ALL {
            // The length goes first; it is known once the field is written.
            let length_at = input.len();
            input.extend_from_slice(&[0; 4]);
            push_field(input, licence, column);
            // A field is at most a few hundred bytes; `u32` cannot overflow for anything a licence holds.
            let len = u32::try_from(input.len() - length_at - 4).unwrap_or(u32::MAX);
            input[length_at..length_at + 4].copy_from_slice(&len.to_be_bytes());
        }
        let full = Sha256::digest(&self.input);
        let mut digest = [0u8; 16];
        digest.copy_from_slice(&full[..16]);
        digest
    }
}

/// Where canonical text is appended: the writer's `String`, or the digest's bytes.
trait TextBuffer {
    /// Appends `text`.
    fn push_str(&mut self, text: &str);

    /// Appends ASCII bytes (digits and dashes) as text.
    fn push_ascii(&mut self, ascii: &[u8]);
}

impl TextBuffer for String {
    fn push_str(&mut self, text: &str) {
        String::push_str(self, text);
    }

    fn push_ascii(&mut self, ascii: &[u8]) {
        debug_assert!(ascii.is_ascii());
        self.extend(ascii.iter().map(|&b| char::from(b)));
    }
}

impl TextBuffer for Vec<u8> {
    fn push_str(&mut self, text: &str) {
        self.extend_from_slice(text.as_bytes());
    }

    fn push_ascii(&mut self, ascii: &[u8]) {
        debug_assert!(ascii.is_ascii());
        self.extend_from_slice(ascii);
    }
}

/// Appends the canonical text of one column.
///
/// Values are written directly rather than through `Display` (the formatting machinery costs more than the rest
/// of a field); the text is the same as the values' `Display`, which a test checks.
fn push_field(out: &mut impl TextBuffer, licence: &Licence, column: Column) {
    match column {
        Column::FileNumber => out.push_str(licence.file_number().as_str()),
        Column::CitizenId => out.push_str(licence.citizen_id().as_str()),
        Column::Name => out.push_str(licence.name().as_str()),
        Column::Sex => out.push_str(match licence.sex() {
            Sex::Male => "男",
            Sex::Female => "女",
        }),
        Column::Nationality => {
            let nationality = licence.nationality();
            out.push_str(nationality.name_zh().unwrap_or_else(|| nationality.code()));
        }
        Column::BirthDate => push_date(out, licence.birth_date()),
        Column::Address => out.push_str(licence.address().as_str()),
        Column::FirstIssueDate => push_date(out, licence.first_issue()),
        Column::Classes => {
            for class in licence.classes().iter() {
                out.push_str(class.code());
            }
        }
        Column::ValidFrom => push_date(out, licence.validity().start()),
        Column::ValidUntil => match licence.validity().end() {
            ValidityEnd::On(date) => push_date(out, date),
            ValidityEnd::Indefinite => out.push_str(INDEFINITE_TEXT),
        },
        Column::Authority => out.push_str(licence.authority().name.as_str()),
        Column::AuthorityRegion => push_number(out, licence.authority().region.as_u32(), 6),
        Column::Status => {
            for letter in licence.status().iter() {
                out.push_str(letter.letter().encode_utf8(&mut [0; 4]));
            }
        }
        Column::Points => push_number(out, u32::from(licence.points().total()), 1),
        Column::PointsCycleStart => push_date(out, licence.points().cycle_start()),
        Column::Phone => {
            if let Some(phone) = licence.phone() {
                out.push_str(phone.as_str());
            }
        }
    }
}

/// Appends a date as `YYYY-MM-DD` (the form `edl_domain::parse_date` reads), without the formatting machinery:
/// four of the seventeen columns are dates, and both writing files and digesting rows are meant to be fast.
fn push_date(out: &mut impl TextBuffer, date: Date) {
    let (year, month, day) = date.to_calendar_date();
    // Registry dates are years 0..=9999; `parse_date` rejects anything else, so such a date cannot come from a
    // parsed file, and a negative year is written with its sign for visibility rather than silently changed.
    if year < 0 {
        out.push_ascii(b"-");
    }
    let year = year.unsigned_abs();
    if year > 9999 {
        push_number(out, year / 10_000, 1);
    }
    let [y1, y2] = two_digits(year / 100);
    let [y3, y4] = two_digits(year);
    let [m1, m2] = two_digits(u32::from(u8::from(month)));
    let [d1, d2] = two_digits(u32::from(day));
    out.push_ascii(&[y1, y2, y3, y4, b'-', m1, m2, b'-', d1, d2]);
}

/// The last two decimal digits of `n`, as ASCII.
fn two_digits(n: u32) -> [u8; 2] {
    let n = n % 100;
    [b'0' + (n / 10) as u8, b'0' + (n % 10) as u8]
}

/// Appends `n` in decimal, zero-padded to at least `width` digits.
fn push_number(out: &mut impl TextBuffer, n: u32, width: usize) {
    let mut digits = [0u8; 10];
    let mut start = digits.len();
    let mut rest = n;
    loop {
        start -= 1;
        digits[start] = b'0' + (rest % 10) as u8;
        rest /= 10;
        if rest == 0 {
            break;
        }
    }
    for _ in (digits.len() - start)..width {
        out.push_ascii(b"0");
    }
    out.push_ascii(&digits[start..]);
}

/// The import digest of a licence: the first 16 bytes of SHA-256 over the canonical text of its seventeen
/// exchange-format columns (see `docs/import-format.md`).
///
/// It covers exactly what the exchange format carries, so the platform-local edition counter is not part of it.
/// Two rows with the same digest describe the same registry record, whatever their encoding, header language or
/// spelling of equivalent values (`M`/`男`, `EC1`/`C1E`, `CHN`/`中国`).
pub fn licence_digest(licence: &Licence) -> [u8; 16] {
    Digester::default().digest(licence)
}

#[cfg(test)]
mod tests {
    use std::fmt::Write as _;

    use edl_domain::{IsoDate, Nationality};
    use edl_synth::Generator;
    use time::macros::date;

    use super::*;

    /// The canonical text as first written, through the values' `Display`.
    fn reference_field(licence: &Licence, column: Column) -> String {
        let mut out = String::new();
        let _ = match column {
            Column::FileNumber => write!(out, "{}", licence.file_number()),
            Column::CitizenId => write!(out, "{}", licence.citizen_id()),
            Column::Name => write!(out, "{}", licence.name()),
            Column::Sex => write!(out, "{}", licence.sex()),
            Column::Nationality => write!(out, "{}", licence.nationality()),
            Column::BirthDate => write!(out, "{}", IsoDate(licence.birth_date())),
            Column::Address => write!(out, "{}", licence.address()),
            Column::FirstIssueDate => write!(out, "{}", IsoDate(licence.first_issue())),
            Column::Classes => write!(out, "{}", licence.classes()),
            Column::ValidFrom => write!(out, "{}", IsoDate(licence.validity().start())),
            Column::ValidUntil => write!(out, "{}", licence.validity().end()),
            Column::Authority => write!(out, "{}", licence.authority().name),
            Column::AuthorityRegion => write!(out, "{}", licence.authority().region),
            Column::Status => write!(out, "{}", licence.status()),
            Column::Points => write!(out, "{}", licence.points().total()),
            Column::PointsCycleStart => write!(out, "{}", IsoDate(licence.points().cycle_start())),
            Column::Phone => match licence.phone() {
                Some(phone) => write!(out, "{phone}"),
                None => Ok(()),
            },
        };
        out
    }

    #[test]
    fn canonical_fields_are_the_values_display() {
        let nationalities = ["CHN", "USA", "XKX", "MYS"]
            .map(|code| Nationality::parse(code).expect("three upper-case letters"));
        let licences = Generator::new(7, date!(2025 - 06 - 30)).take(3_000);
        for (i, licence) in licences.enumerate() {
            let mut fields = licence.into_fields();
            fields.nationality = nationalities[i % nationalities.len()];
            let licence = Licence::new(fields).expect("only the nationality changed");
            for column in Column::ALL {
                let mut text = String::new();
                push_field(&mut text, &licence, column);
                assert_eq!(text, reference_field(&licence, column), "{column}");
                let mut bytes = Vec::new();
                push_field(&mut bytes, &licence, column);
                assert_eq!(bytes, text.as_bytes(), "{column}");
            }
        }
    }

    #[test]
    fn dates_and_numbers_match_the_domain_formatting() {
        for d in [
            date!(2025 - 06 - 30),
            date!(0987 - 03 - 04),
            date!(2000 - 12 - 01),
            date!(9999 - 12 - 31),
            date!(0000 - 01 - 01),
            date!(0009 - 10 - 09),
        ] {
            let mut out = String::new();
            push_date(&mut out, d);
            assert_eq!(out, IsoDate(d).to_string());
        }
        for n in [0u32, 7, 12, 255, 1_000_000, u32::MAX] {
            let mut out = String::new();
            push_number(&mut out, n, 1);
            assert_eq!(out, n.to_string());
            let mut out = String::new();
            push_number(&mut out, n, 6);
            assert_eq!(out, format!("{n:06}"));
        }
    }
}
