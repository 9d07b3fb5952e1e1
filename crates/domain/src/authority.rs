//! The issuing authority (发证机关): a free-text name plus the region it serves.

use std::fmt;
use std::str::FromStr;

use crate::region::RegionCode;
use crate::text::{TextProblem, checked_text};

/// The fewest characters an authority name may have.
pub const AUTHORITY_NAME_MIN_CHARS: usize = 2;
/// The most characters an authority name may have.
pub const AUTHORITY_NAME_MAX_CHARS: usize = 64;

/// Why a text is not an authority name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum AuthorityNameError {
    /// Fewer than 2 characters after trimming.
    #[error("an authority name has at least 2 characters, found {found}")]
    TooShort {
        /// Characters found after trimming.
        found: usize,
    },
    /// More than 64 characters after trimming.
    #[error("an authority name has at most 64 characters, found {found}")]
    TooLong {
        /// Characters found after trimming.
        found: usize,
    },
    /// A control character (line break, tab, …) at this 0-based position of the trimmed name.
    #[error("character {position} of the authority name is a control character")]
    ControlCharacter {
        /// 0-based character position in the trimmed name.
        position: usize,
    },
}

impl From<TextProblem> for AuthorityNameError {
    fn from(p: TextProblem) -> Self {
        match p {
            TextProblem::TooShort { found } => AuthorityNameError::TooShort { found },
            TextProblem::TooLong { found } => AuthorityNameError::TooLong { found },
            TextProblem::Control { position } => AuthorityNameError::ControlCharacter { position },
        }
    }
}

/// A 发证机关 name such as `天津市公安局交通警察总队`: 2–64 characters, trimmed, no control characters.
/// An authority name is not personal data, so `Debug` shows it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AuthorityName(String);

impl AuthorityName {
    /// Trims surrounding whitespace, then checks length and characters.
    pub fn parse(s: &str) -> Result<AuthorityName, AuthorityNameError> {
        let t = checked_text(s, AUTHORITY_NAME_MIN_CHARS, AUTHORITY_NAME_MAX_CHARS)?;
        Ok(AuthorityName(t.to_owned()))
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for AuthorityName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for AuthorityName {
    type Err = AuthorityNameError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        AuthorityName::parse(s)
    }
}

/// An issuing authority: its name and the region whose licences it issues (the licence's region).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct IssuingAuthority {
    /// The 发证机关 name.
    pub name: AuthorityName,
    /// The region it serves, usually a prefecture or a province.
    pub region: RegionCode,
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn names() {
        let name = AuthorityName::parse("  天津市公安局交通警察总队 ").expect("valid");
        assert_eq!(name.as_str(), "天津市公安局交通警察总队");
        assert_eq!(
            AuthorityName::parse("津"),
            Err(AuthorityNameError::TooShort { found: 1 })
        );
        assert_eq!(
            AuthorityName::parse("   "),
            Err(AuthorityNameError::TooShort { found: 0 })
        );
        assert_eq!(
            AuthorityName::parse(&"局".repeat(65)),
            Err(AuthorityNameError::TooLong { found: 65 })
        );
        assert!(AuthorityName::parse(&"局".repeat(64)).is_ok());
        assert_eq!(
            AuthorityName::parse("天津\n总队"),
            Err(AuthorityNameError::ControlCharacter { position: 2 })
        );
    }

    proptest! {
        #[test]
        fn parse_after_display_is_identity(s in "[^\\p{Cc}\\s][^\\p{Cc}]{0,62}[^\\p{Cc}\\s]") {
            let name = AuthorityName::parse(&s).expect("valid");
            prop_assert_eq!(AuthorityName::parse(&name.to_string()), Ok(name));
        }

        #[test]
        fn arbitrary_text_never_panics(s in ".*") {
            let _ = AuthorityName::parse(&s);
        }
    }
}
