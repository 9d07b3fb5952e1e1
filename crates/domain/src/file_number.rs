//! The licence file number (档案编号): exactly 12 ASCII digits, unique per licence file.

use std::fmt;
use std::str::FromStr;

/// Why a text is not a file number. Never contains the text itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum FileNumberError {
    /// The text does not have 12 characters.
    #[error("a file number has 12 digits, found {found} characters")]
    WrongLength {
        /// The number of characters found.
        found: usize,
    },
    /// A character that is not an ASCII digit, at this 0-based character position.
    #[error("a file number has only digits; character {position} is not one")]
    InvalidCharacter {
        /// 0-based character position.
        position: usize,
    },
}

/// A 档案编号: 12 ASCII digits. Treated as opaque; its leading digits usually encode the issuing region.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FileNumber(String);

impl FileNumber {
    /// Parses exactly 12 ASCII digits.
    pub fn parse(s: &str) -> Result<FileNumber, FileNumberError> {
        let found = s.chars().count();
        if found == 12
            && let Some(position) = s.chars().position(|c| !c.is_ascii_digit())
        {
            return Err(FileNumberError::InvalidCharacter { position });
        }
        if found != 12 {
            return Err(FileNumberError::WrongLength { found });
        }
        Ok(FileNumber(s.to_owned()))
    }

    /// The 12 digits.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The first 4 and last 2 digits, the rest hidden: `1201******34`.
    pub fn masked(&self) -> String {
        format!("{}******{}", &self.0[..4], &self.0[10..])
    }
}

impl fmt::Display for FileNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for FileNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "FileNumber({})", self.masked())
    }
}

impl FromStr for FileNumber {
    type Err = FileNumberError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        FileNumber::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn parses_twelve_digits() {
        let n = FileNumber::parse("120112345634").expect("valid");
        assert_eq!(n.as_str(), "120112345634");
        assert_eq!(n.to_string(), "120112345634");
        assert_eq!(n.masked(), "1201******34");
        assert_eq!(format!("{n:?}"), "FileNumber(1201******34)");
    }

    #[test]
    fn rejects_bad_input_without_echoing_it() {
        assert_eq!(
            FileNumber::parse("12011234563"),
            Err(FileNumberError::WrongLength { found: 11 })
        );
        assert_eq!(
            FileNumber::parse("1201123456345"),
            Err(FileNumberError::WrongLength { found: 13 })
        );
        assert_eq!(
            FileNumber::parse(""),
            Err(FileNumberError::WrongLength { found: 0 })
        );
        assert_eq!(
            FileNumber::parse("12011234563x"),
            Err(FileNumberError::InvalidCharacter { position: 11 })
        );
        assert_eq!(
            FileNumber::parse("１20112345634"),
            Err(FileNumberError::InvalidCharacter { position: 0 })
        );
        let message = FileNumber::parse("99999999999")
            .expect_err("invalid")
            .to_string();
        assert!(!message.contains("99999"));
    }

    proptest! {
        #[test]
        fn parse_after_display_is_identity(s in "[0-9]{12}") {
            let n = FileNumber::parse(&s).expect("valid");
            prop_assert_eq!(FileNumber::parse(&n.to_string()), Ok(n));
        }

        #[test]
        fn arbitrary_text_never_panics(s in ".*") {
            if let Ok(n) = FileNumber::parse(&s) {
                let _ = n.masked();
            }
        }
    }
}
