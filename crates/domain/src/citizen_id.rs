//! The citizen ID number (公民身份号码, GB 11643-1999), which is also the licence number (证号).

use std::fmt;
use std::str::FromStr;

use time::Date;

use crate::date::{date_from_parts, digits};
use crate::region::{RegionCode, is_known_province};
use crate::sex::Sex;

/// The earliest birth year accepted in a citizen ID (the GB 11643 example 440524188001010014 is from 1880).
pub const MIN_BIRTH_YEAR: i32 = 1800;

/// ISO 7064 MOD 11-2 weights for the first 17 digits.
const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
/// The check character for each value of the weighted sum mod 11.
const CHECK_CHARACTERS: [char; 11] = ['1', '0', 'X', '9', '8', '7', '6', '5', '4', '3', '2'];

/// Why a text is not a citizen ID number. Never contains the number or any part of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum CitizenIdError {
    /// The text does not have 18 characters.
    #[error("a citizen ID number has 18 characters, found {found}")]
    WrongLength {
        /// The number of characters found.
        found: usize,
    },
    /// A character that is not allowed at this 0-based position (digits everywhere, `X` also last).
    #[error("character {position} of the citizen ID number is not allowed there")]
    InvalidCharacter {
        /// 0-based character position.
        position: usize,
    },
    /// The check character is a lower-case `x`; it must be upper-case `X`.
    #[error("the check character must be an upper-case X")]
    LowercaseX,
    /// The first two digits are not a province in the region table.
    #[error("the address code does not start with a known province")]
    UnknownProvince,
    /// Digits 7–14 are not a calendar date in YYYYMMDD form from 1800 on.
    #[error("the birth date in the citizen ID number is not a valid date")]
    InvalidBirthDate,
    /// The last character does not match the ISO 7064 MOD 11-2 check.
    #[error("the citizen ID number's check character does not match")]
    BadCheckCharacter,
    /// `from_parts` was given a sequence number above 999.
    #[error("the sequence number must be at most 999")]
    SequenceOutOfRange,
}

/// An 18-character citizen ID number with a valid check character, birth date and province.
///
/// `Display` shows the full number; `Debug` shows only [`CitizenId::masked`].
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CitizenId {
    text: String,
    birth_date: Date,
}

/// The ISO 7064 MOD 11-2 check character for the first 17 digits, or `None` if `first17` is not 17 ASCII digits.
pub fn check_character(first17: &str) -> Option<char> {
    let b = first17.as_bytes();
    if b.len() != 17 || !b.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let sum: u32 = b
        .iter()
        .zip(WEIGHTS)
        .map(|(&c, w)| u32::from(c - b'0') * w)
        .sum();
    CHECK_CHARACTERS.get((sum % 11) as usize).copied()
}

impl CitizenId {
    /// Parses an 18-character citizen ID number: 17 digits and a check digit or upper-case `X`,
    /// a known province, a valid birth date and a matching check character.
    pub fn parse(s: &str) -> Result<CitizenId, CitizenIdError> {
        let found = s.chars().count();
        if found != 18 {
            return Err(CitizenIdError::WrongLength { found });
        }
        for (position, c) in s.chars().enumerate() {
            let ok = c.is_ascii_digit() || (position == 17 && c == 'X');
            if !ok {
                if position == 17 && c == 'x' {
                    return Err(CitizenIdError::LowercaseX);
                }
                return Err(CitizenIdError::InvalidCharacter { position });
            }
        }
        // All 18 characters are ASCII now.
        let b = s.as_bytes();
        let province = digits(&b[0..2]).unwrap_or(0);
        if !u8::try_from(province).is_ok_and(is_known_province) {
            return Err(CitizenIdError::UnknownProvince);
        }
        let birth_date = birth_date_of(&b[6..14]).ok_or(CitizenIdError::InvalidBirthDate)?;
        if check_character(&s[..17]) != Some(char::from(b[17])) {
            return Err(CitizenIdError::BadCheckCharacter);
        }
        Ok(CitizenId {
            text: s.to_owned(),
            birth_date,
        })
    }

    /// Builds the number for a region, birth date and sequence number (0–999), computing the check character.
    pub fn from_parts(
        address_code: RegionCode,
        birth_date: Date,
        sequence: u16,
    ) -> Result<CitizenId, CitizenIdError> {
        if sequence > 999 {
            return Err(CitizenIdError::SequenceOutOfRange);
        }
        if !(MIN_BIRTH_YEAR..=9999).contains(&birth_date.year()) {
            return Err(CitizenIdError::InvalidBirthDate);
        }
        let first17 = format!(
            "{address_code}{:04}{:02}{:02}{sequence:03}",
            birth_date.year(),
            u8::from(birth_date.month()),
            birth_date.day()
        );
        let check = check_character(&first17).ok_or(CitizenIdError::InvalidBirthDate)?;
        let mut text = first17;
        text.push(check);
        Ok(CitizenId { text, birth_date })
    }

    /// The full 18 characters.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The 6-digit address code (the birth-place region when the number was assigned; it may no longer exist).
    pub fn address_code(&self) -> &str {
        &self.text[..6]
    }

    /// The birth date encoded in characters 7–14.
    pub fn birth_date(&self) -> Date {
        self.birth_date
    }

    /// The 3-digit sequence number (odd for men, even for women).
    pub fn sequence(&self) -> u16 {
        let b = self.text.as_bytes();
        b[14..17]
            .iter()
            .fold(0u16, |acc, &c| acc * 10 + u16::from(c - b'0'))
    }

    /// The sex encoded by the sequence number's parity.
    pub fn sex(&self) -> Sex {
        Sex::from_sequence(self.sequence())
    }

    /// The first 3 and last 4 characters, the rest hidden: `120***********002X`.
    pub fn masked(&self) -> String {
        format!("{}***********{}", &self.text[..3], &self.text[14..])
    }
}

/// Reads YYYYMMDD as a date from [`MIN_BIRTH_YEAR`] on.
fn birth_date_of(b: &[u8]) -> Option<Date> {
    let year = digits(&b[0..4])?;
    if year < MIN_BIRTH_YEAR as u32 {
        return None;
    }
    date_from_parts(year, digits(&b[4..6])?, digits(&b[6..8])?)
}

impl fmt::Display for CitizenId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl fmt::Debug for CitizenId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CitizenId({})", self.masked())
    }
}

impl FromStr for CitizenId {
    type Err = CitizenIdError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        CitizenId::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::region::regions;
    use proptest::prelude::*;
    use time::Month;
    use time::macros::date;

    #[test]
    fn the_standard_examples_are_valid() {
        let a = CitizenId::parse("11010519491231002X").expect("valid");
        assert_eq!(a.address_code(), "110105");
        assert_eq!(a.birth_date(), date!(1949 - 12 - 31));
        assert_eq!(a.sequence(), 2);
        assert_eq!(a.sex(), Sex::Female);
        assert_eq!(a.masked(), "110***********002X");
        assert_eq!(a.to_string(), "11010519491231002X");

        let b = CitizenId::parse("440524188001010014").expect("valid");
        assert_eq!(b.birth_date(), date!(1880 - 01 - 01));
        assert_eq!(b.sequence(), 1);
        assert_eq!(b.sex(), Sex::Male);
        // 440524 (潮阳县) is no longer in the table; only the province must be known.
        assert!(RegionCode::parse("440524").is_err());
    }

    #[test]
    fn check_characters() {
        assert_eq!(check_character("11010519491231002"), Some('X'));
        assert_eq!(check_character("44052418800101001"), Some('4'));
        assert_eq!(check_character("4405241880010100"), None);
        assert_eq!(check_character("4405241880010100a"), None);
    }

    #[test]
    fn rejections() {
        use CitizenIdError::*;
        assert_eq!(CitizenId::parse("11010519491231002x"), Err(LowercaseX));
        assert_eq!(
            CitizenId::parse("110105194912310021"),
            Err(BadCheckCharacter)
        );
        assert_eq!(
            CitizenId::parse("1101051949123100X2"),
            Err(InvalidCharacter { position: 16 })
        );
        assert_eq!(
            CitizenId::parse("11010519491231002"),
            Err(WrongLength { found: 17 })
        );
        assert_eq!(CitizenId::parse(""), Err(WrongLength { found: 0 }));
        assert_eq!(
            CitizenId::parse("11010519491231002X "),
            Err(WrongLength { found: 19 })
        );
        assert_eq!(
            CitizenId::parse("１1010519491231002X"),
            Err(InvalidCharacter { position: 0 })
        );
        // Province 99 does not exist (check character recomputed so only the province is wrong).
        let first17 = "99010519491231002";
        let id = format!("{first17}{}", check_character(first17).expect("digits"));
        assert_eq!(CitizenId::parse(&id), Err(UnknownProvince));
        let first17 = "11010519490229002";
        let id = format!("{first17}{}", check_character(first17).expect("digits"));
        assert_eq!(CitizenId::parse(&id), Err(InvalidBirthDate));
        let first17 = "11010517991231002";
        let id = format!("{first17}{}", check_character(first17).expect("digits"));
        assert_eq!(CitizenId::parse(&id), Err(InvalidBirthDate));
    }

    #[test]
    fn errors_and_debug_do_not_leak_the_number() {
        let id = CitizenId::parse("11010519491231002X").expect("valid");
        let debug = format!("{id:?}");
        assert!(!debug.contains("19491231"), "{debug}");
        for bad in [
            "11010519491231002x",
            "110105194912310021",
            "1101051949123100",
        ] {
            let e = CitizenId::parse(bad).expect_err("invalid");
            assert!(!e.to_string().contains("110105"));
            assert!(!format!("{e:?}").contains("110105"));
        }
    }

    #[test]
    fn from_parts_computes_the_check_character() {
        let region = RegionCode::parse("110105").expect("known");
        let id = CitizenId::from_parts(region, date!(1949 - 12 - 31), 2).expect("valid");
        assert_eq!(id.as_str(), "11010519491231002X");
        assert_eq!(
            CitizenId::from_parts(region, date!(1949 - 12 - 31), 1000),
            Err(CitizenIdError::SequenceOutOfRange)
        );
        assert_eq!(
            CitizenId::from_parts(region, date!(1700 - 01 - 01), 1),
            Err(CitizenIdError::InvalidBirthDate)
        );
    }

    fn any_id() -> impl Strategy<Value = CitizenId> {
        let all: Vec<RegionCode> = regions().collect();
        (0..all.len(), 1800i32..=2030, 1u8..=12, 1u8..=31, 0u16..=999).prop_filter_map(
            "no such day",
            move |(i, y, m, d, seq)| {
                let date = Date::from_calendar_date(y, Month::try_from(m).ok()?, d).ok()?;
                CitizenId::from_parts(all[i], date, seq).ok()
            },
        )
    }

    proptest! {
        #[test]
        fn parse_after_display_is_identity(id in any_id()) {
            let parsed = CitizenId::parse(&id.to_string());
            prop_assert_eq!(parsed.as_ref(), Ok(&id));
            prop_assert_eq!(id.masked().chars().count(), 18);
        }

        #[test]
        fn arbitrary_text_never_panics(s in ".*") {
            let _ = CitizenId::parse(&s);
        }

        #[test]
        fn id_like_text_never_panics(s in "[0-9]{17}[0-9Xx]") {
            if let Ok(id) = CitizenId::parse(&s) {
                prop_assert_eq!(id.as_str(), s.as_str());
            }
        }

        #[test]
        fn a_single_changed_digit_is_detected(id in any_id(), pos in 0usize..17, delta in 1u8..10) {
            let mut bytes = id.as_str().as_bytes().to_vec();
            bytes[pos] = b'0' + (bytes[pos] - b'0' + delta) % 10;
            let changed = String::from_utf8(bytes).expect("ascii");
            prop_assert!(CitizenId::parse(&changed).is_err());
        }
    }
}
