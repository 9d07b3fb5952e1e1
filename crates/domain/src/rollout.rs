//! The phased rollout: from which day e-licences may be claimed in a region.

use time::Date;

use crate::region::RegionCode;

/// One rollout step: `region` (and everything inside it) is enabled from `enabled_from`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RolloutEntry {
    /// The region switched on: a province, prefecture or county.
    pub region: RegionCode,
    /// The first day claiming is possible there.
    pub enabled_from: Date,
    /// A label for the phase, e.g. `pilot` or `nationwide`.
    pub phase: String,
}

/// Every rollout step. A region is enabled from the earliest date among entries for itself, its prefecture
/// or its province.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RolloutSchedule(pub Vec<RolloutEntry>);

impl RolloutSchedule {
    /// A schedule of these entries.
    pub fn new(entries: Vec<RolloutEntry>) -> RolloutSchedule {
        RolloutSchedule(entries)
    }

    /// The entries, in the order given.
    pub fn entries(&self) -> &[RolloutEntry] {
        &self.0
    }

    /// The day claiming opens in `region`: the earliest entry for the region itself, its prefecture or its
    /// province. `None` if no entry covers it.
    pub fn enabled_from(&self, region: RegionCode) -> Option<Date> {
        self.0
            .iter()
            .filter(|e| e.region.contains(&region))
            .map(|e| e.enabled_from)
            .min()
    }

    /// Whether claiming is open in `region` on `today`.
    pub fn is_enabled(&self, region: RegionCode, today: Date) -> bool {
        self.enabled_from(region).is_some_and(|from| from <= today)
    }
}

impl From<Vec<RolloutEntry>> for RolloutSchedule {
    fn from(entries: Vec<RolloutEntry>) -> Self {
        RolloutSchedule(entries)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    fn r(code: u32) -> RegionCode {
        RegionCode::from_u32(code).expect("in table")
    }

    fn entry(code: u32, from: Date, phase: &str) -> RolloutEntry {
        RolloutEntry {
            region: r(code),
            enabled_from: from,
            phase: phase.to_owned(),
        }
    }

    #[test]
    fn the_earliest_covering_entry_applies() {
        let schedule = RolloutSchedule::new(vec![
            entry(120_100, date!(2021 - 06 - 01), "pilot"),
            entry(510_100, date!(2021 - 06 - 01), "pilot"),
            entry(510_000, date!(2021 - 12 - 10), "nationwide"),
            entry(320_000, date!(2021 - 12 - 10), "nationwide"),
            entry(320_500, date!(2021 - 06 - 01), "pilot"),
            entry(320_506, date!(2022 - 01 - 01), "late county"),
        ]);
        // The prefecture's own entry.
        assert_eq!(
            schedule.enabled_from(r(510_100)),
            Some(date!(2021 - 06 - 01))
        );
        // A county inside a pilot prefecture.
        assert_eq!(
            schedule.enabled_from(r(510_104)),
            Some(date!(2021 - 06 - 01))
        );
        // Another prefecture of the same province: the province's entry.
        assert_eq!(
            schedule.enabled_from(r(510_300)),
            Some(date!(2021 - 12 - 10))
        );
        // A county with a later entry of its own still gets its prefecture's earlier date.
        assert_eq!(
            schedule.enabled_from(r(320_506)),
            Some(date!(2021 - 06 - 01))
        );
        // The province itself is not enabled by a prefecture's entry.
        assert_eq!(schedule.enabled_from(r(120_000)), None);
        assert_eq!(schedule.enabled_from(r(110_105)), None);
        assert!(schedule.is_enabled(r(510_104), date!(2021 - 06 - 01)));
        assert!(!schedule.is_enabled(r(510_104), date!(2021 - 05 - 31)));
        assert!(!schedule.is_enabled(r(110_105), date!(2030 - 01 - 01)));
        assert_eq!(schedule.entries().len(), 6);
        assert!(!RolloutSchedule::default().is_enabled(r(110_000), date!(2030 - 01 - 01)));
    }
}
