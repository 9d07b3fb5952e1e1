//! Shared checks for free-text fields (names, addresses, authority names): trimming, length, control characters.

/// What is wrong with a free-text field, before it is turned into a field-specific error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TextProblem {
    /// Fewer characters than the minimum after trimming.
    TooShort { found: usize },
    /// More characters than the maximum after trimming.
    TooLong { found: usize },
    /// A control character at this 0-based character position of the trimmed text.
    Control { position: usize },
}

/// Trims surrounding whitespace and checks the length (in characters) and the absence of control characters.
pub(crate) fn checked_text(s: &str, min: usize, max: usize) -> Result<&str, TextProblem> {
    let t = s.trim();
    let found = t.chars().count();
    if found < min {
        return Err(TextProblem::TooShort { found });
    }
    if found > max {
        return Err(TextProblem::TooLong { found });
    }
    if let Some(position) = t.chars().position(char::is_control) {
        return Err(TextProblem::Control { position });
    }
    Ok(t)
}
