//! Licence status letters (GA/T 16.25-2012 驾驶证状态代码), status sets, and THE status → display rule.

use std::fmt;
use std::str::FromStr;

/// A GA/T 16.25 status letter. A licence carries a set of them (e.g. `HI`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum StatusLetter {
    /// 正常 (normal).
    A,
    /// 超分 (12 points reached in a cycle).
    B,
    /// 转出 (transferred out to another authority).
    C,
    /// 暂扣 (suspended).
    D,
    /// 撤销 (cancelled as wrongly issued).
    E,
    /// 吊销 (revoked).
    F,
    /// 注销 (annulled).
    G,
    /// 违法未处理 (unprocessed violation).
    H,
    /// 事故未处理 (unprocessed accident).
    I,
    /// 停止使用 (use stopped).
    J,
    /// 协查 (under investigation on another authority's request).
    K,
    /// 锁定 (locked).
    L,
    /// 逾期未换证 (renewal overdue).
    M,
    /// 延期换证 (renewal deferred, approved).
    N,
    /// 延期体检 (medical check deferred, approved).
    P,
    /// 逾期未体检 (medical check overdue).
    R,
    /// 逾期未审 (review overdue).
    S,
    /// 扣留 (detained).
    U,
    /// 其他 (other).
    Z,
}

use StatusLetter as L;

impl StatusLetter {
    /// Every letter, in the standard order.
    pub const ALL: [StatusLetter; 19] = [
        L::A,
        L::B,
        L::C,
        L::D,
        L::E,
        L::F,
        L::G,
        L::H,
        L::I,
        L::J,
        L::K,
        L::L,
        L::M,
        L::N,
        L::P,
        L::R,
        L::S,
        L::U,
        L::Z,
    ];

    /// The letter as printed.
    pub fn letter(self) -> char {
        match self {
            L::A => 'A',
            L::B => 'B',
            L::C => 'C',
            L::D => 'D',
            L::E => 'E',
            L::F => 'F',
            L::G => 'G',
            L::H => 'H',
            L::I => 'I',
            L::J => 'J',
            L::K => 'K',
            L::L => 'L',
            L::M => 'M',
            L::N => 'N',
            L::P => 'P',
            L::R => 'R',
            L::S => 'S',
            L::U => 'U',
            L::Z => 'Z',
        }
    }

    /// The Chinese name, e.g. `正常`.
    pub fn name_zh(self) -> &'static str {
        match self {
            L::A => "正常",
            L::B => "超分",
            L::C => "转出",
            L::D => "暂扣",
            L::E => "撤销",
            L::F => "吊销",
            L::G => "注销",
            L::H => "违法未处理",
            L::I => "事故未处理",
            L::J => "停止使用",
            L::K => "协查",
            L::L => "锁定",
            L::M => "逾期未换证",
            L::N => "延期换证",
            L::P => "延期体检",
            L::R => "逾期未体检",
            L::S => "逾期未审",
            L::U => "扣留",
            L::Z => "其他",
        }
    }

    /// The letter for a character (upper-case only), if it is a status letter.
    pub fn from_char(c: char) -> Option<StatusLetter> {
        StatusLetter::ALL.into_iter().find(|l| l.letter() == c)
    }

    /// How this letter alone is displayed. The table is recorded in `docs/decisions/status-display.md`.
    pub fn display_state(self) -> DisplayState {
        match self {
            L::A | L::H | L::I | L::N | L::P => DisplayState::BlackQr,
            L::B | L::D | L::U | L::M | L::S | L::R | L::K | L::Z => DisplayState::RedQr,
            L::L | L::J | L::C => DisplayState::Invalid,
            L::E | L::F | L::G => DisplayState::NotDisplayed,
        }
    }

    fn bit(self) -> u32 {
        1 << (self as u32)
    }
}

impl fmt::Display for StatusLetter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.letter())
    }
}

/// How an e-licence with a given status is shown, and whether it may be claimed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DisplayState {
    /// Shown with a black QR code: valid for driving; may be claimed.
    BlackQr,
    /// Shown with a red QR code and a status line saying it is not valid for driving; may not be claimed.
    RedQr,
    /// No longer displayed at all (撤销, 吊销, 注销).
    NotDisplayed,
    /// Shown as invalid (锁定, 停止使用, 转出).
    Invalid,
}

impl DisplayState {
    /// Severity rank: BlackQr 0 < RedQr 1 < Invalid 2 < NotDisplayed 3.
    pub fn severity(self) -> u8 {
        match self {
            DisplayState::BlackQr => 0,
            DisplayState::RedQr => 1,
            DisplayState::Invalid => 2,
            DisplayState::NotDisplayed => 3,
        }
    }

    /// The more severe of two states.
    pub fn most_severe(self, other: DisplayState) -> DisplayState {
        if other.severity() > self.severity() {
            other
        } else {
            self
        }
    }
}

/// Why a text is not a status set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum StatusError {
    /// No letter at all.
    #[error("the status is empty")]
    Empty,
    /// A character that is not a GA/T 16.25 status letter at this 0-based character position.
    #[error("character {position} is not a status letter")]
    UnknownLetter {
        /// 0-based character position.
        position: usize,
    },
    /// The same letter twice.
    #[error("status letter {letter} appears twice")]
    Duplicate {
        /// The repeated letter.
        letter: StatusLetter,
    },
    /// A (正常) combined with another letter; A is only valid alone.
    #[error("status A (正常) cannot be combined with other letters")]
    NormalWithOthers,
}

/// A licence's status letters: non-empty, and `A` only alone. Shown as letters in standard order (`HI`).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct StatusSet(u32);

impl StatusSet {
    /// 正常: `{A}`.
    pub const NORMAL: StatusSet = StatusSet(1 << (StatusLetter::A as u32));

    /// Parses letters such as `A` or `HI` (any order, no separators, no repeats, A only alone).
    pub fn parse(s: &str) -> Result<StatusSet, StatusError> {
        if let Some(position) = s.chars().position(|c| StatusLetter::from_char(c).is_none()) {
            return Err(StatusError::UnknownLetter { position });
        }
        // Every character is a letter: read them again, without allocating, for the checks of `from_letters`.
        StatusSet::from_letters(s.chars().filter_map(StatusLetter::from_char))
    }

    /// Builds a set with the same checks as [`StatusSet::parse`].
    pub fn from_letters(
        letters: impl IntoIterator<Item = StatusLetter>,
    ) -> Result<StatusSet, StatusError> {
        let mut bits = 0u32;
        for letter in letters {
            if bits & letter.bit() != 0 {
                return Err(StatusError::Duplicate { letter });
            }
            bits |= letter.bit();
        }
        if bits == 0 {
            return Err(StatusError::Empty);
        }
        if bits & StatusLetter::A.bit() != 0 && bits != StatusLetter::A.bit() {
            return Err(StatusError::NormalWithOthers);
        }
        Ok(StatusSet(bits))
    }

    /// Whether the set holds `letter`.
    pub fn contains(&self, letter: StatusLetter) -> bool {
        self.0 & letter.bit() != 0
    }

    /// Whether the set is exactly `{A}`.
    pub fn is_normal(&self) -> bool {
        *self == StatusSet::NORMAL
    }

    /// The set with `letter` added. Adding any letter other than A removes A; adding A gives `{A}`
    /// (正常 replaces every other state).
    pub fn with(self, letter: StatusLetter) -> StatusSet {
        if letter == StatusLetter::A {
            StatusSet::NORMAL
        } else {
            StatusSet((self.0 & !StatusLetter::A.bit()) | letter.bit())
        }
    }

    /// The set without `letter`; removing the last letter gives `{A}`.
    pub fn without(self, letter: StatusLetter) -> StatusSet {
        let bits = self.0 & !letter.bit();
        if bits == 0 {
            StatusSet::NORMAL
        } else {
            StatusSet(bits)
        }
    }

    /// The letters in standard order.
    pub fn iter(&self) -> impl Iterator<Item = StatusLetter> + '_ {
        let bits = self.0;
        StatusLetter::ALL
            .into_iter()
            .filter(move |l| bits & l.bit() != 0)
    }

    /// The number of letters.
    pub fn len(&self) -> usize {
        self.0.count_ones() as usize
    }

    /// Always false for a set built by this crate; present for completeness.
    pub fn is_empty(&self) -> bool {
        self.0 == 0
    }

    /// THE display rule: the most severe state among the letters
    /// (A/H/I/N/P black; B/D/U/M/S/R/K/Z red; L/J/C invalid; E/F/G not displayed).
    pub fn display_state(&self) -> DisplayState {
        self.iter()
            .map(StatusLetter::display_state)
            .fold(DisplayState::BlackQr, DisplayState::most_severe)
    }

    /// The most severe letter that is not black (the first in standard order among equals), to explain the state.
    pub fn blocking_letter(&self) -> Option<StatusLetter> {
        self.iter()
            .filter(|l| l.display_state() != DisplayState::BlackQr)
            .fold(None, |best: Option<StatusLetter>, l| match best {
                Some(b) if b.display_state().severity() >= l.display_state().severity() => Some(b),
                _ => Some(l),
            })
    }

    /// Whether a holder with this status may claim an e-licence (the state is [`DisplayState::BlackQr`]).
    pub fn may_claim(&self) -> bool {
        self.display_state() == DisplayState::BlackQr
    }
}

impl fmt::Display for StatusSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for l in self.iter() {
            write!(f, "{}", l.letter())?;
        }
        Ok(())
    }
}

impl fmt::Debug for StatusSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "StatusSet({self})")
    }
}

impl FromStr for StatusSet {
    type Err = StatusError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        StatusSet::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn set(s: &str) -> StatusSet {
        StatusSet::parse(s).expect("valid")
    }

    #[test]
    fn the_display_table() {
        for (letters, state) in [
            ("AHINP", DisplayState::BlackQr),
            ("BDUMSRKZ", DisplayState::RedQr),
            ("LJC", DisplayState::Invalid),
            ("EFG", DisplayState::NotDisplayed),
        ] {
            for c in letters.chars() {
                let letter = StatusLetter::from_char(c).expect("letter");
                assert_eq!(letter.display_state(), state, "{c}");
                assert_eq!(set(&c.to_string()).display_state(), state, "{c}");
            }
        }
        // Every letter is in exactly one row.
        assert_eq!("AHINPBDUMSRKZLJCEFG".len(), StatusLetter::ALL.len());
    }

    #[test]
    fn most_severe_wins() {
        assert_eq!(set("HI").display_state(), DisplayState::BlackQr);
        assert!(set("HI").may_claim());
        assert_eq!(set("HI").blocking_letter(), None);
        assert_eq!(set("HB").display_state(), DisplayState::RedQr);
        assert_eq!(set("HB").blocking_letter(), Some(StatusLetter::B));
        assert_eq!(set("BL").display_state(), DisplayState::Invalid);
        assert_eq!(set("BL").blocking_letter(), Some(StatusLetter::L));
        assert_eq!(set("LF").display_state(), DisplayState::NotDisplayed);
        assert_eq!(set("FL").blocking_letter(), Some(StatusLetter::F));
        assert_eq!(set("CE").display_state(), DisplayState::NotDisplayed);
        assert_eq!(set("DB").blocking_letter(), Some(StatusLetter::B));
        assert_eq!(set("NP").display_state(), DisplayState::BlackQr);
        assert!(!set("HM").may_claim());
        assert!(StatusSet::NORMAL.may_claim());
        assert_eq!(StatusSet::NORMAL.blocking_letter(), None);
    }

    #[test]
    fn severity_order() {
        use DisplayState::*;
        assert!(NotDisplayed.severity() > Invalid.severity());
        assert!(Invalid.severity() > RedQr.severity());
        assert!(RedQr.severity() > BlackQr.severity());
        assert_eq!(RedQr.most_severe(Invalid), Invalid);
        assert_eq!(NotDisplayed.most_severe(Invalid), NotDisplayed);
    }

    #[test]
    fn parse_rules() {
        assert_eq!(set("IH").to_string(), "HI");
        assert_eq!(StatusSet::parse(""), Err(StatusError::Empty));
        assert_eq!(StatusSet::parse("AH"), Err(StatusError::NormalWithOthers));
        assert_eq!(
            StatusSet::parse("HH"),
            Err(StatusError::Duplicate {
                letter: StatusLetter::H
            })
        );
        assert_eq!(
            StatusSet::parse("HO"),
            Err(StatusError::UnknownLetter { position: 1 })
        );
        assert_eq!(
            StatusSet::parse("a"),
            Err(StatusError::UnknownLetter { position: 0 })
        );
        assert_eq!(
            StatusSet::parse("H I"),
            Err(StatusError::UnknownLetter { position: 1 })
        );
        assert_eq!(format!("{:?}", set("HI")), "StatusSet(HI)");
    }

    #[test]
    fn with_and_without_keep_a_alone() {
        assert_eq!(StatusSet::NORMAL.with(StatusLetter::B), set("B"));
        assert_eq!(set("H").with(StatusLetter::I), set("HI"));
        assert_eq!(set("HI").with(StatusLetter::A), StatusSet::NORMAL);
        assert_eq!(set("B").without(StatusLetter::B), StatusSet::NORMAL);
        assert_eq!(set("HI").without(StatusLetter::H), set("I"));
        assert_eq!(
            StatusSet::NORMAL.without(StatusLetter::A),
            StatusSet::NORMAL
        );
        assert!(StatusSet::NORMAL.is_normal());
        assert_eq!(set("HIB").len(), 3);
    }

    fn any_set() -> impl Strategy<Value = StatusSet> {
        (1u32..(1 << 19)).prop_filter_map("invalid", |bits| {
            StatusSet::from_letters(
                StatusLetter::ALL
                    .into_iter()
                    .filter(|l| bits & l.bit() != 0),
            )
            .ok()
        })
    }

    /// The parser as first written (collecting the letters), to check the allocation-free one against.
    fn reference_parse(s: &str) -> Result<StatusSet, StatusError> {
        let mut letters = Vec::new();
        for (position, c) in s.chars().enumerate() {
            letters
                .push(StatusLetter::from_char(c).ok_or(StatusError::UnknownLetter { position })?);
        }
        StatusSet::from_letters(letters)
    }

    proptest! {
        #[test]
        fn parse_agrees_with_the_reference(s in "[A-Za 中]{0,8}") {
            prop_assert_eq!(StatusSet::parse(&s), reference_parse(&s));
        }

        #[test]
        fn parse_after_display_is_identity(s in any_set()) {
            prop_assert_eq!(StatusSet::parse(&s.to_string()), Ok(s));
        }

        #[test]
        fn display_state_is_the_most_severe_letter(s in any_set()) {
            let max = s.iter().map(|l| l.display_state().severity()).max();
            prop_assert_eq!(Some(s.display_state().severity()), max);
            prop_assert_eq!(s.may_claim(), s.blocking_letter().is_none());
            if let Some(b) = s.blocking_letter() {
                prop_assert_eq!(b.display_state(), s.display_state());
            }
        }

        #[test]
        fn with_and_without_stay_valid(s in any_set(), i in 0usize..19) {
            let letter = StatusLetter::ALL[i];
            for t in [s.with(letter), s.without(letter)] {
                prop_assert_eq!(StatusSet::parse(&t.to_string()), Ok(t));
            }
        }

        #[test]
        fn arbitrary_text_never_panics(s in ".*") {
            let _ = StatusSet::parse(&s);
        }
    }
}
