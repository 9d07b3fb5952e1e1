//! The holder's personal data: name (姓名), address (住址), nationality (国籍) and phone number.
//!
//! These values are personal data: their `Debug` never prints them and their errors never contain them.

use std::fmt;
use std::str::FromStr;

use crate::text::{TextProblem, checked_text};

/// The most characters a name may have.
pub const PERSON_NAME_MAX_CHARS: usize = 30;
/// The most characters an address may have.
pub const ADDRESS_MAX_CHARS: usize = 128;

/// Why a text is not a person's name. Never contains the text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PersonNameError {
    /// Nothing but whitespace.
    #[error("the name is empty")]
    Empty,
    /// More than 30 characters after trimming.
    #[error("a name has at most 30 characters, found {found}")]
    TooLong {
        /// Characters found after trimming.
        found: usize,
    },
    /// A control character at this 0-based position of the trimmed name.
    #[error("character {position} of the name is a control character")]
    ControlCharacter {
        /// 0-based character position in the trimmed name.
        position: usize,
    },
    /// An ASCII digit at this 0-based position of the trimmed name.
    #[error("character {position} of the name is a digit")]
    Digit {
        /// 0-based character position in the trimmed name.
        position: usize,
    },
}

/// A 姓名: 1–30 characters after trimming, no control characters, no ASCII digits (`·` as in 买买提·艾力 is fine).
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PersonName(String);

impl PersonName {
    /// Trims surrounding whitespace, then checks length and characters.
    pub fn parse(s: &str) -> Result<PersonName, PersonNameError> {
        let t = checked_text(s, 1, PERSON_NAME_MAX_CHARS).map_err(|p| match p {
            TextProblem::TooShort { .. } => PersonNameError::Empty,
            TextProblem::TooLong { found } => PersonNameError::TooLong { found },
            TextProblem::Control { position } => PersonNameError::ControlCharacter { position },
        })?;
        if let Some(position) = t.chars().position(|c| c.is_ascii_digit()) {
            return Err(PersonNameError::Digit { position });
        }
        Ok(PersonName(t.to_owned()))
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for PersonName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for PersonName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PersonName(..)")
    }
}

impl FromStr for PersonName {
    type Err = PersonNameError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        PersonName::parse(s)
    }
}

/// Why a text is not an address. Never contains the text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum AddressError {
    /// Nothing but whitespace.
    #[error("the address is empty")]
    Empty,
    /// More than 128 characters after trimming.
    #[error("an address has at most 128 characters, found {found}")]
    TooLong {
        /// Characters found after trimming.
        found: usize,
    },
    /// A control character at this 0-based position of the trimmed address.
    #[error("character {position} of the address is a control character")]
    ControlCharacter {
        /// 0-based character position in the trimmed address.
        position: usize,
    },
}

/// A 住址: 1–128 characters after trimming, no control characters.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Address(String);

impl Address {
    /// Trims surrounding whitespace, then checks length and characters.
    pub fn parse(s: &str) -> Result<Address, AddressError> {
        let t = checked_text(s, 1, ADDRESS_MAX_CHARS).map_err(|p| match p {
            TextProblem::TooShort { .. } => AddressError::Empty,
            TextProblem::TooLong { found } => AddressError::TooLong { found },
            TextProblem::Control { position } => AddressError::ControlCharacter { position },
        })?;
        Ok(Address(t.to_owned()))
    }

    /// The address.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Address(..)")
    }
}

impl FromStr for Address {
    type Err = AddressError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Address::parse(s)
    }
}

/// Chinese names of the nationalities shown by name rather than code. Parsing accepts these names too.
const NATIONALITY_NAMES: &[(&str, &str)] = &[
    ("CHN", "中国"),
    ("USA", "美国"),
    ("GBR", "英国"),
    ("FRA", "法国"),
    ("DEU", "德国"),
    ("JPN", "日本"),
    ("KOR", "韩国"),
    ("RUS", "俄罗斯"),
    ("CAN", "加拿大"),
    ("AUS", "澳大利亚"),
    ("SGP", "新加坡"),
    ("MYS", "马来西亚"),
];

/// Why a text is not a nationality.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum NationalityError {
    /// Neither a known Chinese country name nor three upper-case ASCII letters.
    #[error(
        "expected an ISO 3166-1 alpha-3 code (three upper-case letters) or a known name such as 中国"
    )]
    Unrecognised,
}

/// A 国籍 as an ISO 3166-1 alpha-3 code (`CHN`). Any three upper-case letters are accepted (the list changes).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Nationality([u8; 3]);

impl Nationality {
    /// China (`CHN`, shown as 中国).
    pub const CHINA: Nationality = Nationality(*b"CHN");

    /// Parses a Chinese country name from the built-in list (e.g. `中国`) or three upper-case ASCII letters.
    pub fn parse(s: &str) -> Result<Nationality, NationalityError> {
        if let Some(&(code, _)) = NATIONALITY_NAMES.iter().find(|&&(_, name)| name == s) {
            let b = code.as_bytes();
            return Ok(Nationality([b[0], b[1], b[2]]));
        }
        match s.as_bytes() {
            &[a, b, c] if [a, b, c].iter().all(u8::is_ascii_uppercase) => {
                Ok(Nationality([a, b, c]))
            }
            _ => Err(NationalityError::Unrecognised),
        }
    }

    /// The alpha-3 code, e.g. `CHN`.
    pub fn code(&self) -> &str {
        // Only ASCII upper-case letters are ever stored.
        std::str::from_utf8(&self.0).unwrap_or("???")
    }

    /// The Chinese name when it is in the built-in list (e.g. `中国`).
    pub fn name_zh(&self) -> Option<&'static str> {
        NATIONALITY_NAMES
            .iter()
            .find(|&&(code, _)| code.as_bytes() == self.0)
            .map(|&(_, name)| name)
    }
}

impl fmt::Display for Nationality {
    /// The Chinese name when known, else the code.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name_zh().unwrap_or_else(|| self.code()))
    }
}

impl fmt::Debug for Nationality {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Nationality(..)")
    }
}

impl FromStr for Nationality {
    type Err = NationalityError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Nationality::parse(s)
    }
}

/// Why a text is not a mobile phone number. Never contains the text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PhoneNumberError {
    /// Not 11 characters.
    #[error("a mobile phone number has 11 digits, found {found} characters")]
    WrongLength {
        /// Characters found.
        found: usize,
    },
    /// A character that is not an ASCII digit at this 0-based position.
    #[error("character {position} of the phone number is not a digit")]
    InvalidCharacter {
        /// 0-based character position.
        position: usize,
    },
    /// The first digit is not 1.
    #[error("a mobile phone number starts with 1")]
    BadPrefix,
}

/// A mainland mobile phone number: 11 ASCII digits starting with 1.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PhoneNumber(String);

impl PhoneNumber {
    /// Parses 11 ASCII digits starting with 1 (no spaces, no `+86`).
    pub fn parse(s: &str) -> Result<PhoneNumber, PhoneNumberError> {
        let found = s.chars().count();
        if found != 11 {
            return Err(PhoneNumberError::WrongLength { found });
        }
        if let Some(position) = s.chars().position(|c| !c.is_ascii_digit()) {
            return Err(PhoneNumberError::InvalidCharacter { position });
        }
        if !s.starts_with('1') {
            return Err(PhoneNumberError::BadPrefix);
        }
        Ok(PhoneNumber(s.to_owned()))
    }

    /// The 11 digits.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The first 3 and last 4 digits, the rest hidden: `138****5678`.
    pub fn masked(&self) -> String {
        format!("{}****{}", &self.0[..3], &self.0[7..])
    }
}

impl fmt::Display for PhoneNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for PhoneNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PhoneNumber(..)")
    }
}

impl FromStr for PhoneNumber {
    type Err = PhoneNumberError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        PhoneNumber::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn names() {
        assert_eq!(PersonName::parse(" 张三 ").expect("valid").as_str(), "张三");
        assert!(PersonName::parse("买买提·艾力").is_ok());
        assert!(PersonName::parse("王").is_ok());
        assert_eq!(PersonName::parse(" "), Err(PersonNameError::Empty));
        assert_eq!(
            PersonName::parse("张3"),
            Err(PersonNameError::Digit { position: 1 })
        );
        assert_eq!(
            PersonName::parse("张\t三"),
            Err(PersonNameError::ControlCharacter { position: 1 })
        );
        assert_eq!(
            PersonName::parse(&"张".repeat(31)),
            Err(PersonNameError::TooLong { found: 31 })
        );
        assert!(PersonName::parse(&"张".repeat(30)).is_ok());
        let name = PersonName::parse("张三").expect("valid");
        assert_eq!(format!("{name:?}"), "PersonName(..)");
    }

    #[test]
    fn addresses() {
        assert!(Address::parse("天津市和平区南京路1号").is_ok());
        assert_eq!(Address::parse(""), Err(AddressError::Empty));
        assert_eq!(
            Address::parse(&"路".repeat(129)),
            Err(AddressError::TooLong { found: 129 })
        );
        assert_eq!(
            Address::parse("南京路\u{7}1号"),
            Err(AddressError::ControlCharacter { position: 3 })
        );
        let a = Address::parse("天津市和平区南京路1号").expect("valid");
        assert_eq!(format!("{a:?}"), "Address(..)");
    }

    #[test]
    fn nationalities() {
        let china = Nationality::parse("中国").expect("valid");
        assert_eq!(china, Nationality::CHINA);
        assert_eq!(Nationality::parse("CHN"), Ok(china));
        assert_eq!(china.code(), "CHN");
        assert_eq!(china.to_string(), "中国");
        let other = Nationality::parse("XKX").expect("valid");
        assert_eq!(other.to_string(), "XKX");
        assert_eq!(other.name_zh(), None);
        assert_eq!(
            Nationality::parse("chn"),
            Err(NationalityError::Unrecognised)
        );
        assert_eq!(
            Nationality::parse("CN"),
            Err(NationalityError::Unrecognised)
        );
        assert_eq!(
            Nationality::parse("火星"),
            Err(NationalityError::Unrecognised)
        );
        assert_eq!(format!("{china:?}"), "Nationality(..)");
    }

    #[test]
    fn phones() {
        let p = PhoneNumber::parse("13812345678").expect("valid");
        assert_eq!(p.masked(), "138****5678");
        assert_eq!(format!("{p:?}"), "PhoneNumber(..)");
        assert_eq!(
            PhoneNumber::parse("23812345678"),
            Err(PhoneNumberError::BadPrefix)
        );
        assert_eq!(
            PhoneNumber::parse("1381234567"),
            Err(PhoneNumberError::WrongLength { found: 10 })
        );
        assert_eq!(
            PhoneNumber::parse("138-1234567"),
            Err(PhoneNumberError::InvalidCharacter { position: 3 })
        );
        let e = PhoneNumber::parse("1381234567").expect_err("invalid");
        assert!(!e.to_string().contains("138"));
    }

    proptest! {
        #[test]
        fn name_parse_after_display_is_identity(s in "[^\\p{Cc}\\s0-9]([^\\p{Cc}0-9]{0,28}[^\\p{Cc}\\s0-9])?") {
            let name = PersonName::parse(&s).expect("valid");
            prop_assert_eq!(PersonName::parse(&name.to_string()), Ok(name));
        }

        #[test]
        fn address_parse_after_display_is_identity(s in "[^\\p{Cc}\\s]([^\\p{Cc}]{0,126}[^\\p{Cc}\\s])?") {
            let a = Address::parse(&s).expect("valid");
            prop_assert_eq!(Address::parse(&a.to_string()), Ok(a));
        }

        #[test]
        fn nationality_parse_after_display_is_identity(s in "[A-Z]{3}") {
            let n = Nationality::parse(&s).expect("valid");
            prop_assert_eq!(Nationality::parse(&n.to_string()), Ok(n));
            prop_assert_eq!(n.code(), s.as_str());
        }

        #[test]
        fn phone_parse_after_display_is_identity(s in "1[0-9]{10}") {
            let p = PhoneNumber::parse(&s).expect("valid");
            prop_assert_eq!(PhoneNumber::parse(&p.to_string()), Ok(p));
        }

        #[test]
        fn arbitrary_text_never_panics(s in ".*") {
            let _ = PersonName::parse(&s);
            let _ = Address::parse(&s);
            let _ = Nationality::parse(&s);
            if let Ok(p) = PhoneNumber::parse(&s) {
                let _ = p.masked();
            }
        }
    }
}
