//! Sex (性别) as printed on the licence and encoded in the citizen ID's sequence number.

use std::fmt;
use std::str::FromStr;

/// The holder's sex as recorded on the licence.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Sex {
    /// 男: an odd citizen ID sequence number; ISO/IEC 5218 code 1.
    Male,
    /// 女: an even citizen ID sequence number; ISO/IEC 5218 code 2.
    Female,
}

/// Why a text is not a recognised sex value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SexError {
    /// The text is none of 男, 女, M, F, 1, 2.
    #[error("expected one of 男, 女, M, F, 1, 2")]
    Unrecognised,
}

impl Sex {
    /// Parses 男/女, M/F or the ISO/IEC 5218 codes 1/2 (exact, no surrounding spaces).
    pub fn parse(s: &str) -> Result<Sex, SexError> {
        match s {
            "男" | "M" | "1" => Ok(Sex::Male),
            "女" | "F" | "2" => Ok(Sex::Female),
            _ => Err(SexError::Unrecognised),
        }
    }

    /// The ISO/IEC 5218 code: 1 for male, 2 for female.
    pub fn iso5218(self) -> u8 {
        match self {
            Sex::Male => 1,
            Sex::Female => 2,
        }
    }

    /// The sex a citizen ID sequence number encodes: odd is male, even is female.
    pub fn from_sequence(sequence: u16) -> Sex {
        if sequence % 2 == 1 {
            Sex::Male
        } else {
            Sex::Female
        }
    }
}

impl fmt::Display for Sex {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Sex::Male => "男",
            Sex::Female => "女",
        })
    }
}

impl FromStr for Sex {
    type Err = SexError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Sex::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn parses_all_forms() {
        for s in ["男", "M", "1"] {
            assert_eq!(Sex::parse(s), Ok(Sex::Male));
        }
        for s in ["女", "F", "2"] {
            assert_eq!(Sex::parse(s), Ok(Sex::Female));
        }
        for s in ["", "m", "0", "3", " 男", "男性", "X"] {
            assert_eq!(Sex::parse(s), Err(SexError::Unrecognised));
        }
        assert_eq!(Sex::Male.to_string(), "男");
        assert_eq!(Sex::Female.iso5218(), 2);
        assert_eq!(Sex::from_sequence(1), Sex::Male);
        assert_eq!(Sex::from_sequence(2), Sex::Female);
        assert_eq!(Sex::from_sequence(0), Sex::Female);
    }

    proptest! {
        #[test]
        fn parse_after_display_is_identity(male in any::<bool>()) {
            let sex = if male { Sex::Male } else { Sex::Female };
            prop_assert_eq!(Sex::parse(&sex.to_string()), Ok(sex));
            prop_assert_eq!(Sex::parse(&sex.iso5218().to_string()), Ok(sex));
        }

        #[test]
        fn arbitrary_text_never_panics(s in ".*") {
            let _ = Sex::parse(&s);
        }
    }
}
