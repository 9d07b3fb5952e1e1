//! Driving licence classes (准驾车型) and the set of classes on a licence.

use std::fmt;
use std::str::FromStr;

/// A 准驾车型 code, in the order of the regulation (MPS decree 123 as amended; C6 from decree 162, 2022-04-01).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DrivingClass {
    /// 大型客车 (large bus).
    A1,
    /// 牵引车 (tractor-trailer).
    A2,
    /// 城市公交车 (city bus).
    A3,
    /// 中型客车 (medium bus).
    B1,
    /// 大型货车 (large truck).
    B2,
    /// 小型汽车 (small car).
    C1,
    /// 小型自动挡汽车 (small automatic car).
    C2,
    /// 低速载货汽车 (low-speed truck).
    C3,
    /// 三轮汽车 (three-wheeled car).
    C4,
    /// 残疾人专用小型自动挡载客汽车 (adapted automatic car).
    C5,
    /// 轻型牵引挂车 (light trailer combination, from 2022-04-01; only added to a C1/C2-capable licence).
    C6,
    /// 普通三轮摩托车 (three-wheeled motorcycle).
    D,
    /// 普通二轮摩托车 (two-wheeled motorcycle).
    E,
    /// 轻便摩托车 (moped).
    F,
    /// 轮式自行机械车 (wheeled self-propelled machinery).
    M,
    /// 无轨电车 (trolleybus).
    N,
    /// 有轨电车 (tram).
    P,
}

use DrivingClass::*;

impl DrivingClass {
    /// Every class, in the standard order.
    pub const ALL: [DrivingClass; 17] =
        [A1, A2, A3, B1, B2, C1, C2, C3, C4, C5, C6, D, E, F, M, N, P];

    /// The code as printed, e.g. `"C1"`.
    pub fn code(self) -> &'static str {
        match self {
            A1 => "A1",
            A2 => "A2",
            A3 => "A3",
            B1 => "B1",
            B2 => "B2",
            C1 => "C1",
            C2 => "C2",
            C3 => "C3",
            C4 => "C4",
            C5 => "C5",
            C6 => "C6",
            D => "D",
            E => "E",
            F => "F",
            M => "M",
            N => "N",
            P => "P",
        }
    }

    /// The Chinese name, e.g. `"小型汽车"`.
    pub fn name_zh(self) -> &'static str {
        match self {
            A1 => "大型客车",
            A2 => "牵引车",
            A3 => "城市公交车",
            B1 => "中型客车",
            B2 => "大型货车",
            C1 => "小型汽车",
            C2 => "小型自动挡汽车",
            C3 => "低速载货汽车",
            C4 => "三轮汽车",
            C5 => "残疾人专用小型自动挡载客汽车",
            C6 => "轻型牵引挂车",
            D => "普通三轮摩托车",
            E => "普通二轮摩托车",
            F => "轻便摩托车",
            M => "轮式自行机械车",
            N => "无轨电车",
            P => "有轨电车",
        }
    }

    /// The other classes this class permits directly (DOMAIN.md §2.1); see [`ClassSet::implied`] for the closure.
    pub fn also_permits(self) -> &'static [DrivingClass] {
        match self {
            A1 => &[A3, B1, B2, C1, C2, C3, C4, M],
            A2 => &[B1, B2, C1, C2, C3, C4, M],
            A3 => &[C1, C2, C3, C4],
            B1 | B2 => &[C1, C2, C3, C4, M],
            C1 => &[C2, C3, C4],
            C3 => &[C4],
            D => &[E, F],
            E => &[F],
            C2 | C4 | C5 | C6 | F | M | N | P => &[],
        }
    }

    /// Parses one class code such as `"C1"` (exact, upper-case).
    pub fn parse(s: &str) -> Result<DrivingClass, ClassError> {
        DrivingClass::ALL
            .into_iter()
            .find(|c| c.code() == s)
            .ok_or(ClassError::UnknownClass { position: 0 })
    }

    fn bit(self) -> u32 {
        1 << (self as u32)
    }
}

impl fmt::Display for DrivingClass {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl FromStr for DrivingClass {
    type Err = ClassError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        DrivingClass::parse(s)
    }
}

/// Why a text or list is not a valid set of licence classes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ClassError {
    /// No class at all.
    #[error("no driving class given")]
    Empty,
    /// No class code starts at this 0-based character position.
    #[error("no driving class code at character {position}")]
    UnknownClass {
        /// 0-based character position.
        position: usize,
    },
    /// The same class appears twice.
    #[error("driving class {class} appears twice")]
    Duplicate {
        /// The repeated class.
        class: DrivingClass,
    },
    /// C6 is only granted on top of C1 or C2 (or a class that permits them).
    #[error("C6 requires C1, C2 or a class that permits them")]
    C6WithoutBase,
}

/// The classes on a licence: non-empty, and C6 only with a class that permits C1 or C2. Shown in standard order.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct ClassSet(u32);

impl ClassSet {
    /// Parses concatenated codes such as `"C1E"` or `"A2D"` (any order, no separators, no repeats).
    pub fn parse(s: &str) -> Result<ClassSet, ClassError> {
        // Every code is ASCII, so the bytes read before an unknown code are also its character position.
        let mut rest = s;
        while !rest.is_empty() {
            let class = leading_class(rest).ok_or(ClassError::UnknownClass {
                position: s.len() - rest.len(),
            })?;
            rest = &rest[class.code().len()..];
        }
        // Every code is known: read them again, without allocating, for the checks of `from_classes`.
        ClassSet::from_classes(classes_in(s))
    }

    /// Builds a set from classes, with the same checks as [`ClassSet::parse`] (empty, duplicates, C6 base).
    pub fn from_classes(
        classes: impl IntoIterator<Item = DrivingClass>,
    ) -> Result<ClassSet, ClassError> {
        let mut bits = 0u32;
        for class in classes {
            if bits & class.bit() != 0 {
                return Err(ClassError::Duplicate { class });
            }
            bits |= class.bit();
        }
        if bits == 0 {
            return Err(ClassError::Empty);
        }
        let set = ClassSet(bits);
        if set.contains(C6) {
            let base = ClassSet(bits & !C6.bit()).closure();
            if !base.contains(C1) && !base.contains(C2) {
                return Err(ClassError::C6WithoutBase);
            }
        }
        Ok(set)
    }

    /// Whether the set holds `class` itself (not counting implied classes; see [`ClassSet::implied`]).
    pub fn contains(&self, class: DrivingClass) -> bool {
        self.0 & class.bit() != 0
    }

    /// Whether the licence permits driving `class`, directly or through an implied class.
    pub fn permits(&self, class: DrivingClass) -> bool {
        self.implied().contains(class)
    }

    /// The classes in standard order.
    pub fn iter(&self) -> impl Iterator<Item = DrivingClass> + '_ {
        let bits = self.0;
        DrivingClass::ALL
            .into_iter()
            .filter(move |c| bits & c.bit() != 0)
    }

    /// Every class this licence permits: its classes and, transitively, everything they permit.
    pub fn implied(&self) -> ClassSet {
        self.closure()
    }

    fn closure(self) -> ClassSet {
        let mut bits = self.0;
        loop {
            let next = DrivingClass::ALL
                .into_iter()
                .filter(|c| bits & c.bit() != 0)
                .flat_map(|c| c.also_permits().iter().copied())
                .fold(bits, |acc, c| acc | c.bit());
            if next == bits {
                return ClassSet(bits);
            }
            bits = next;
        }
    }

    /// The number of classes in the set (not counting implied classes).
    pub fn len(&self) -> usize {
        self.0.count_ones() as usize
    }

    /// Always false for a set built by this crate; present for completeness.
    pub fn is_empty(&self) -> bool {
        self.0 == 0
    }
}

/// The class whose code starts `s`, trying the two-character codes first.
fn leading_class(s: &str) -> Option<DrivingClass> {
    let by_code = |code: &str| DrivingClass::ALL.into_iter().find(|c| c.code() == code);
    s.get(..2)
        .and_then(by_code)
        .or_else(|| s.get(..1).and_then(by_code))
}

/// The classes whose codes `s` concatenates, up to the first text that is not a code.
fn classes_in(s: &str) -> impl Iterator<Item = DrivingClass> + '_ {
    let mut rest = s;
    std::iter::from_fn(move || {
        let class = leading_class(rest)?;
        rest = &rest[class.code().len()..];
        Some(class)
    })
}

impl fmt::Display for ClassSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for c in self.iter() {
            f.write_str(c.code())?;
        }
        Ok(())
    }
}

impl fmt::Debug for ClassSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ClassSet({self})")
    }
}

impl FromStr for ClassSet {
    type Err = ClassError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ClassSet::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn set(s: &str) -> ClassSet {
        ClassSet::parse(s).expect("valid")
    }

    #[test]
    fn parses_concatenated_codes_and_shows_them_in_order() {
        assert_eq!(set("C1E").to_string(), "C1E");
        assert_eq!(set("EC1").to_string(), "C1E");
        assert_eq!(set("A2D").to_string(), "A2D");
        assert_eq!(set("C1C6").to_string(), "C1C6");
        assert_eq!(set("C1E").len(), 2);
        assert_eq!(set("C1E").iter().collect::<Vec<_>>(), vec![C1, E]);
        assert!(set("C1E").contains(E));
        assert!(!set("C1E").contains(C2));
        assert!(set("C1E").permits(C2));
        assert_eq!(format!("{:?}", set("B2E")), "ClassSet(B2E)");
    }

    #[test]
    fn parse_errors() {
        assert_eq!(ClassSet::parse(""), Err(ClassError::Empty));
        assert_eq!(
            ClassSet::parse("C"),
            Err(ClassError::UnknownClass { position: 0 })
        );
        assert_eq!(
            ClassSet::parse("C1C7"),
            Err(ClassError::UnknownClass { position: 2 })
        );
        assert_eq!(
            ClassSet::parse("C1 E"),
            Err(ClassError::UnknownClass { position: 2 })
        );
        assert_eq!(
            ClassSet::parse("c1"),
            Err(ClassError::UnknownClass { position: 0 })
        );
        assert_eq!(
            ClassSet::parse("C1C1"),
            Err(ClassError::Duplicate { class: C1 })
        );
        assert_eq!(ClassSet::parse("C6"), Err(ClassError::C6WithoutBase));
        assert_eq!(ClassSet::parse("C6E"), Err(ClassError::C6WithoutBase));
        assert_eq!(ClassSet::parse("C5C6"), Err(ClassError::C6WithoutBase));
        assert!(ClassSet::parse("C2C6").is_ok());
        assert!(ClassSet::parse("A1C6").is_ok());
        assert!(ClassSet::parse("B2C6").is_ok());
    }

    #[test]
    fn implied_classes() {
        assert_eq!(set("A1").implied().to_string(), "A1A3B1B2C1C2C3C4M");
        assert_eq!(set("A2").implied().to_string(), "A2B1B2C1C2C3C4M");
        assert_eq!(set("A3").implied().to_string(), "A3C1C2C3C4");
        assert_eq!(set("C1").implied().to_string(), "C1C2C3C4");
        assert_eq!(set("C3").implied().to_string(), "C3C4");
        assert_eq!(set("D").implied().to_string(), "DEF");
        assert_eq!(set("C1E").implied().to_string(), "C1C2C3C4EF");
        assert_eq!(set("C2").implied().to_string(), "C2");
        assert_eq!(set("N").implied().to_string(), "N");
    }

    #[test]
    fn single_class_codes() {
        for c in DrivingClass::ALL {
            assert_eq!(DrivingClass::parse(c.code()), Ok(c));
            assert!(!c.name_zh().is_empty());
            assert!(!c.also_permits().contains(&c));
        }
        assert_eq!(
            DrivingClass::parse("G"),
            Err(ClassError::UnknownClass { position: 0 })
        );
        assert!(DrivingClass::ALL.windows(2).all(|w| w[0] < w[1]));
    }

    /// The parser as first written (collecting characters and strings), to check the allocation-free one against.
    fn reference_parse(s: &str) -> Result<ClassSet, ClassError> {
        let chars: Vec<char> = s.chars().collect();
        let mut classes = Vec::new();
        let mut i = 0;
        while i < chars.len() {
            let two: String = chars[i..chars.len().min(i + 2)].iter().collect();
            let one: String = chars[i..=i].iter().collect();
            if let Some(c) = DrivingClass::ALL
                .into_iter()
                .find(|c| c.code().len() == 2 && c.code() == two)
            {
                classes.push(c);
                i += 2;
            } else if let Some(c) = DrivingClass::ALL
                .into_iter()
                .find(|c| c.code().len() == 1 && c.code() == one)
            {
                classes.push(c);
                i += 1;
            } else {
                return Err(ClassError::UnknownClass { position: i });
            }
        }
        ClassSet::from_classes(classes)
    }

    fn any_set() -> impl Strategy<Value = ClassSet> {
        (1u32..(1 << 17)).prop_filter_map("invalid", |bits| {
            ClassSet::from_classes(
                DrivingClass::ALL
                    .into_iter()
                    .filter(|c| bits & c.bit() != 0),
            )
            .ok()
        })
    }

    proptest! {
        #[test]
        fn parse_after_display_is_identity(s in any_set()) {
            prop_assert_eq!(ClassSet::parse(&s.to_string()), Ok(s));
            prop_assert_eq!(ClassSet::parse(&s.implied().to_string()), Ok(s.implied()));
            prop_assert!(s.implied().iter().all(|c| s.permits(c)));
        }

        #[test]
        fn arbitrary_text_never_panics(s in ".*") {
            let _ = ClassSet::parse(&s);
            let _ = DrivingClass::parse(&s);
        }

        #[test]
        fn parse_agrees_with_the_reference(s in "[A-FMNP1-7c 中]{0,12}") {
            prop_assert_eq!(ClassSet::parse(&s), reference_parse(&s));
        }

        #[test]
        fn parse_agrees_with_the_reference_on_any_text(s in ".{0,8}") {
            prop_assert_eq!(ClassSet::parse(&s), reference_parse(&s));
        }

        #[test]
        fn class_like_text_never_panics(s in "[A-FMNP1-7]{0,12}") {
            if let Ok(set) = ClassSet::parse(&s) {
                prop_assert_eq!(set.to_string().len(), s.len());
            }
        }
    }
}
