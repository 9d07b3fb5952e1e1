//! GB/T 2260 administrative division codes (行政区划代码), checked against the vendored table `data/regions.tsv`.

use std::fmt;
use std::str::FromStr;
use std::sync::OnceLock;

/// The vendored region table: `code<TAB>name` lines, sorted by code (see `data/README.md`).
const REGIONS_TSV: &str = include_str!("../data/regions.tsv");

/// The parsed table, sorted by code.
fn table() -> &'static [(u32, &'static str)] {
    static TABLE: OnceLock<Vec<(u32, &'static str)>> = OnceLock::new();
    TABLE.get_or_init(|| {
        let mut rows: Vec<(u32, &'static str)> = REGIONS_TSV
            .lines()
            .filter_map(|line| {
                let (code, name) = line.split_once('\t')?;
                let code = six_digits(code)?;
                Some((code, name))
            })
            .collect();
        rows.sort_unstable_by_key(|&(code, _)| code);
        rows.dedup_by_key(|&mut (code, _)| code);
        rows
    })
}

/// Looks a code up in the table.
fn lookup(code: u32) -> Option<&'static str> {
    let t = table();
    t.binary_search_by_key(&code, |&(c, _)| c)
        .ok()
        .map(|i| t[i].1)
}

/// Reads exactly six ASCII digits.
fn six_digits(s: &str) -> Option<u32> {
    if s.len() != 6 {
        return None;
    }
    crate::date::digits(s.as_bytes())
}

/// Why a text or number is not a known region code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum RegionError {
    /// The text is not exactly six ASCII digits.
    #[error("a region code is exactly 6 digits")]
    NotSixDigits,
    /// Six digits, but not a code in the shipped GB/T 2260 table.
    #[error("not a known GB/T 2260 region code")]
    Unknown,
}

/// The level of an administrative division.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum RegionLevel {
    /// 省级: province, autonomous region or municipality (`XX0000`).
    Province,
    /// 地级: prefecture-level city, league, or a municipality's 市辖区 / 县 grouping (`XXXX00`).
    Prefecture,
    /// 县级: county, district or county-level city.
    County,
}

/// A GB/T 2260 region code (6 digits) that is present in the shipped table.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RegionCode(u32);

impl RegionCode {
    /// Parses six ASCII digits that name a region in the shipped table.
    pub fn parse(s: &str) -> Result<RegionCode, RegionError> {
        let code = six_digits(s).ok_or(RegionError::NotSixDigits)?;
        RegionCode::from_u32(code).ok_or(RegionError::Unknown)
    }

    /// The region for a number that is a code in the shipped table (e.g. `120100`); `None` otherwise.
    pub fn from_u32(code: u32) -> Option<RegionCode> {
        lookup(code).map(|_| RegionCode(code))
    }

    /// The code as a number (e.g. `120100`).
    pub fn as_u32(self) -> u32 {
        self.0
    }

    /// The region's Chinese name as in the table (e.g. `天津市`; municipalities' prefectures are `市辖区`).
    pub fn name(self) -> &'static str {
        lookup(self.0).unwrap_or("")
    }

    /// The name a person reads: the province's name followed by the prefecture's and the county's,
    /// skipping the table's placeholders (`市辖区` and `县` under the municipalities), e.g. `四川省成都市`
    /// for 510100, `北京市` for 110100 and `北京市朝阳区` for 110105.
    pub fn full_name(self) -> String {
        let mut out = String::from(self.province().name());
        let mut push = |code: RegionCode| {
            let name = code.name();
            if !matches!(name, "市辖区" | "县") {
                out.push_str(name);
            }
        };
        if let Some(prefecture) = self.prefecture() {
            push(prefecture);
        }
        if self.level() == RegionLevel::County {
            push(self);
        }
        out
    }

    /// Province, prefecture or county, from the code's shape.
    pub fn level(self) -> RegionLevel {
        if self.0.is_multiple_of(10_000) {
            RegionLevel::Province
        } else if self.0.is_multiple_of(100) {
            RegionLevel::Prefecture
        } else {
            RegionLevel::County
        }
    }

    /// The province containing this region (itself for a province).
    pub fn province(self) -> RegionCode {
        RegionCode(self.0 / 10_000 * 10_000)
    }

    /// The prefecture containing this region (itself for a prefecture); `None` for a province.
    pub fn prefecture(self) -> Option<RegionCode> {
        match self.level() {
            RegionLevel::Province => None,
            _ => {
                let code = self.0 / 100 * 100;
                // Every county in the table has its prefecture in the table (checked by a test).
                lookup(code).map(|_| RegionCode(code))
            }
        }
    }

    /// Whether `other` is this region or lies inside it.
    pub fn contains(self, other: &RegionCode) -> bool {
        match self.level() {
            RegionLevel::Province => other.province() == self,
            RegionLevel::Prefecture => other.prefecture() == Some(self),
            RegionLevel::County => *other == self,
        }
    }
}

impl fmt::Display for RegionCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:06}", self.0)
    }
}

impl fmt::Debug for RegionCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RegionCode({:06})", self.0)
    }
}

impl FromStr for RegionCode {
    type Err = RegionError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        RegionCode::parse(s)
    }
}

/// Every region in the shipped table, in code order.
pub fn regions() -> impl Iterator<Item = RegionCode> {
    table().iter().map(|&(code, _)| RegionCode(code))
}

/// Whether `code2` (the first two digits of a region code, e.g. `12`) is a province in the table.
pub fn is_known_province(code2: u8) -> bool {
    code2 < 100 && lookup(u32::from(code2) * 10_000).is_some()
}

#[cfg(test)]
mod tests {
    #[test]
    fn full_names_read_naturally() {
        let name = |code: &str| RegionCode::parse(code).unwrap().full_name();
        assert_eq!(name("510100"), "四川省成都市");
        assert_eq!(name("110100"), "北京市");
        assert_eq!(name("110105"), "北京市朝阳区");
        assert_eq!(name("320500"), "江苏省苏州市");
        assert_eq!(name("510000"), "四川省");
    }

    use super::*;
    use proptest::prelude::*;

    fn r(code: u32) -> RegionCode {
        RegionCode::from_u32(code).expect("code in table")
    }

    #[test]
    fn the_whole_table_parses() {
        let lines = REGIONS_TSV.lines().count();
        assert_eq!(table().len(), lines);
        assert!(lines > 3000);
        assert!(table().windows(2).all(|w| w[0].0 < w[1].0));
        assert_eq!(
            regions()
                .filter(|r| r.level() == RegionLevel::Province)
                .count(),
            31
        );
    }

    #[test]
    fn every_region_has_its_parents_in_the_table() {
        for region in regions() {
            assert!(lookup(region.province().as_u32()).is_some(), "{region}");
            if region.level() != RegionLevel::Province {
                assert!(region.prefecture().is_some(), "{region}");
            }
            assert!(!region.name().is_empty());
        }
    }

    #[test]
    fn parses_known_codes_only() {
        assert_eq!(RegionCode::parse("120100"), Ok(r(120_100)));
        assert_eq!(r(120_000).name(), "天津市");
        assert_eq!(r(110_100).name(), "市辖区");
        assert_eq!(r(510_100).name(), "成都市");
        assert_eq!(RegionCode::parse("12010"), Err(RegionError::NotSixDigits));
        assert_eq!(RegionCode::parse("1201000"), Err(RegionError::NotSixDigits));
        assert_eq!(RegionCode::parse("12010a"), Err(RegionError::NotSixDigits));
        assert_eq!(RegionCode::parse("+12010"), Err(RegionError::NotSixDigits));
        assert_eq!(RegionCode::parse("990000"), Err(RegionError::Unknown));
        assert_eq!(RegionCode::parse("000000"), Err(RegionError::Unknown));
        assert_eq!(RegionCode::from_u32(1_201_000), None);
        assert_eq!(RegionCode::from_u32(990_000), None);
    }

    #[test]
    fn hierarchy() {
        let beijing = r(110_000);
        let city = r(110_100);
        let chaoyang = r(110_105);
        assert_eq!(beijing.level(), RegionLevel::Province);
        assert_eq!(city.level(), RegionLevel::Prefecture);
        assert_eq!(chaoyang.level(), RegionLevel::County);
        assert_eq!(beijing.prefecture(), None);
        assert_eq!(city.prefecture(), Some(city));
        assert_eq!(chaoyang.prefecture(), Some(city));
        assert_eq!(chaoyang.province(), beijing);
        assert!(beijing.contains(&chaoyang));
        assert!(city.contains(&chaoyang));
        assert!(chaoyang.contains(&chaoyang));
        assert!(!chaoyang.contains(&city));
        assert!(!r(120_000).contains(&chaoyang));
        assert!(!r(320_500).contains(&r(320_100)));
        assert!(r(320_000).contains(&r(320_506)));
    }

    #[test]
    fn known_provinces() {
        assert!(is_known_province(11));
        assert!(is_known_province(65));
        assert!(!is_known_province(10));
        assert!(!is_known_province(71)); // 台湾 is not in the table's 31 provinces
        assert!(!is_known_province(0));
        assert!(!is_known_province(255));
    }

    #[test]
    fn display_and_debug() {
        assert_eq!(r(110_000).to_string(), "110000");
        assert_eq!(format!("{:?}", r(110_000)), "RegionCode(110000)");
    }

    proptest! {
        #[test]
        fn parse_after_display_is_identity(i in 0usize..3348) {
            let all: Vec<RegionCode> = regions().collect();
            let region = all[i % all.len()];
            prop_assert_eq!(RegionCode::parse(&region.to_string()), Ok(region));
        }

        #[test]
        fn arbitrary_text_never_panics(s in ".*") {
            let _ = RegionCode::parse(&s);
        }

        #[test]
        fn arbitrary_numbers_never_panic(n in any::<u32>()) {
            if let Some(region) = RegionCode::from_u32(n) {
                prop_assert_eq!(region.as_u32(), n);
            }
        }
    }
}
