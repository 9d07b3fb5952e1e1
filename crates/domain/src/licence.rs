//! The licence aggregate: its fields, the cross-field rules, the transitions and the derived views.

use std::fmt;

use time::Date;
use time::macros::date;

use crate::authority::IssuingAuthority;
use crate::citizen_id::CitizenId;
use crate::class::{ClassSet, DrivingClass};
use crate::date::add_years;
use crate::file_number::FileNumber;
use crate::person::{Address, Nationality, PersonName, PhoneNumber};
use crate::points::{PointValue, Points, PointsCycle};
use crate::rollout::RolloutSchedule;
use crate::sex::Sex;
use crate::status::{DisplayState, StatusLetter, StatusSet};
use crate::validity::{Validity, ValidityEnd};

/// The minimum age at first issue (初次领证): 18.
pub const MIN_AGE_AT_FIRST_ISSUE: i32 = 18;

/// The day class C6 came into force (MPS decree 162).
pub const C6_INTRODUCED: Date = date!(2022 - 04 - 01);

/// Why a set of fields is not a consistent licence. Names the rule, never the data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum LicenceError {
    /// The birth date differs from the one in the citizen ID number.
    #[error("the birth date does not match the citizen ID number")]
    BirthDateMismatch,
    /// The sex differs from the one the citizen ID's sequence number encodes.
    #[error("the sex does not match the citizen ID number")]
    SexMismatch,
    /// The first issue date is before the holder's 18th birthday.
    #[error("the first issue date is before the holder's 18th birthday")]
    FirstIssueUnderAge,
    /// The validity starts before the first issue date.
    #[error("the validity starts before the first issue date")]
    ValidityBeforeFirstIssue,
    /// Class C6 on a validity that starts before 2022-04-01, when C6 did not exist.
    #[error("class C6 exists only from 2022-04-01")]
    C6BeforeIntroduction,
    /// 12 or more points without status B (超分).
    #[error("12 or more points require status B")]
    FullScoreWithoutStatusB,
    /// The points cycle start is not an anniversary of the first issue date.
    #[error("the points cycle does not start on an anniversary of the first issue date")]
    PointsCycleMisaligned,
    /// Points for a day before the first issue date.
    #[error("points cannot be added for a day before the first issue date")]
    PointsBeforeFirstIssue,
    /// Points for a day in a cycle earlier than the recorded one.
    #[error("points cannot be added to a cycle before the recorded one")]
    PointsInEarlierCycle,
    /// The edition (换证 counter) is 0; it starts at 1.
    #[error("the edition starts at 1")]
    EditionZero,
}

/// Why a renewal (换证) was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum RenewError {
    /// The new validity starts before the current one.
    #[error("the new validity starts before the current one")]
    StartBeforeCurrent,
    /// A renewal that changes only the validity, before the 90-day window opens (never for 长期).
    #[error(
        "a renewal without a class or authority change is possible only within 90 days before expiry or after it"
    )]
    OutsideRenewalWindow {
        /// The first day of the window, `None` for 长期.
        opens: Option<Date>,
    },
    /// The licence is revoked, cancelled or annulled (its e-licence is no longer displayed).
    #[error("a licence with status {} ({}) cannot be renewed", .letter.letter(), .letter.name_zh())]
    NotRenewable {
        /// The status letter that prevents it.
        letter: StatusLetter,
    },
    /// The renewed licence would break a licence rule.
    #[error("the renewed licence is inconsistent: {0}")]
    Invalid(#[source] LicenceError),
}

/// Why a holder may not claim (申领) an e-licence now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ClaimRefusal {
    /// A status letter whose display state is not black (the most severe one).
    #[error("status {} ({}) does not allow claiming", .0.letter(), .0.name_zh())]
    Status(StatusLetter),
    /// The licence has expired.
    #[error("the licence expired: it was valid until {on}")]
    Expired {
        /// The last day of validity.
        on: Date,
    },
    /// The licence's region is not (yet) switched on.
    #[error("e-licences cannot be claimed in the licence's region yet")]
    RegionNotEnabled {
        /// The day it opens, if scheduled (possibly later than today).
        since: Option<Date>,
    },
}

/// The fields of a licence, all public, for building one with [`Licence::new`] or taking one apart.
/// `Debug` shows only the masked file number and the status.
#[derive(Clone, PartialEq, Eq)]
pub struct LicenceFields {
    /// 档案编号.
    pub file_number: FileNumber,
    /// 证号 (the citizen ID number).
    pub citizen_id: CitizenId,
    /// 姓名.
    pub name: PersonName,
    /// 性别.
    pub sex: Sex,
    /// 国籍.
    pub nationality: Nationality,
    /// 出生日期.
    pub birth_date: Date,
    /// 住址.
    pub address: Address,
    /// 初次领证日期: anchors the points cycle.
    pub first_issue: Date,
    /// 准驾车型.
    pub classes: ClassSet,
    /// 有效期限.
    pub validity: Validity,
    /// 发证机关 and the licence's region.
    pub authority: IssuingAuthority,
    /// 状态.
    pub status: StatusSet,
    /// 累积记分 of the recorded cycle.
    pub points: Points,
    /// The holder's mobile number, if recorded.
    pub phone: Option<PhoneNumber>,
    /// The 换证 counter, from 1; a credential names the edition it was issued for.
    pub edition: u32,
}

impl fmt::Debug for LicenceFields {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LicenceFields")
            .field("file_number", &self.file_number)
            .field("status", &self.status)
            .finish_non_exhaustive()
    }
}

/// A changed licence for a 换证: a new validity and optionally new classes or a new authority.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Renewal {
    /// The new validity.
    pub validity: Validity,
    /// New classes (增驾 / 降级), or `None` to keep them.
    pub classes: Option<ClassSet>,
    /// A new issuing authority (转入), or `None` to keep it.
    pub authority: Option<IssuingAuthority>,
}

/// A driving licence record whose fields agree with each other (see [`Licence::new`]).
/// `Debug` shows only the masked file number and the status.
#[derive(Clone, PartialEq, Eq)]
pub struct Licence(LicenceFields);

impl Licence {
    /// Checks the cross-field rules and builds the licence:
    /// the birth date and sex agree with the citizen ID; the first issue is on or after the 18th birthday;
    /// the validity starts on or after the first issue; C6 only on a validity starting on or after 2022-04-01;
    /// fewer than 12 points unless the status has B; the points cycle starts on an anniversary of the first issue;
    /// the edition is at least 1.
    pub fn new(fields: LicenceFields) -> Result<Licence, LicenceError> {
        let f = &fields;
        if f.edition == 0 {
            return Err(LicenceError::EditionZero);
        }
        if f.birth_date != f.citizen_id.birth_date() {
            return Err(LicenceError::BirthDateMismatch);
        }
        if f.sex != f.citizen_id.sex() {
            return Err(LicenceError::SexMismatch);
        }
        let adult = add_years(f.birth_date, MIN_AGE_AT_FIRST_ISSUE).unwrap_or(Date::MAX);
        if f.first_issue < adult {
            return Err(LicenceError::FirstIssueUnderAge);
        }
        if f.validity.start() < f.first_issue {
            return Err(LicenceError::ValidityBeforeFirstIssue);
        }
        if f.classes.contains(DrivingClass::C6) && f.validity.start() < C6_INTRODUCED {
            return Err(LicenceError::C6BeforeIntroduction);
        }
        if f.points.is_full_score() && !f.status.contains(StatusLetter::B) {
            return Err(LicenceError::FullScoreWithoutStatusB);
        }
        if !PointsCycle::is_cycle_start(f.first_issue, f.points.cycle_start()) {
            return Err(LicenceError::PointsCycleMisaligned);
        }
        Ok(Licence(fields))
    }

    /// The fields, for changing some and calling [`Licence::new`] again.
    pub fn into_fields(self) -> LicenceFields {
        self.0
    }

    /// 档案编号.
    pub fn file_number(&self) -> &FileNumber {
        &self.0.file_number
    }

    /// 证号.
    pub fn citizen_id(&self) -> &CitizenId {
        &self.0.citizen_id
    }

    /// 姓名.
    pub fn name(&self) -> &PersonName {
        &self.0.name
    }

    /// 性别.
    pub fn sex(&self) -> Sex {
        self.0.sex
    }

    /// 国籍.
    pub fn nationality(&self) -> Nationality {
        self.0.nationality
    }

    /// 出生日期.
    pub fn birth_date(&self) -> Date {
        self.0.birth_date
    }

    /// 住址.
    pub fn address(&self) -> &Address {
        &self.0.address
    }

    /// 初次领证日期.
    pub fn first_issue(&self) -> Date {
        self.0.first_issue
    }

    /// 准驾车型.
    pub fn classes(&self) -> ClassSet {
        self.0.classes
    }

    /// 有效期限.
    pub fn validity(&self) -> Validity {
        self.0.validity
    }

    /// 发证机关.
    pub fn authority(&self) -> &IssuingAuthority {
        &self.0.authority
    }

    /// 状态.
    pub fn status(&self) -> StatusSet {
        self.0.status
    }

    /// The recorded points (see [`Licence::points_as_of`] for the current total).
    pub fn points(&self) -> Points {
        self.0.points
    }

    /// The holder's mobile number, if recorded.
    pub fn phone(&self) -> Option<&PhoneNumber> {
        self.0.phone.as_ref()
    }

    /// The 换证 counter (from 1).
    pub fn edition(&self) -> u32 {
        self.0.edition
    }

    /// The same licence with another status.
    pub fn with_status(&self, status: StatusSet) -> Result<Licence, LicenceError> {
        let mut fields = self.0.clone();
        fields.status = status;
        Licence::new(fields)
    }

    /// The same licence with another points record (e.g. cleared after full-score education).
    pub fn with_points(&self, points: Points) -> Result<Licence, LicenceError> {
        let mut fields = self.0.clone();
        fields.points = points;
        Licence::new(fields)
    }

    /// Records an offence's points on day `on`. If `on` is in a later cycle than the recorded one, the total
    /// starts again from zero in that cycle. Reaching 12 adds status B (and removes A).
    pub fn add_points(&self, value: PointValue, on: Date) -> Result<Licence, LicenceError> {
        let first_issue = self.0.first_issue;
        if on < first_issue {
            return Err(LicenceError::PointsBeforeFirstIssue);
        }
        let cycle = PointsCycle::containing(first_issue, on);
        let recorded = self.0.points;
        let points = if cycle.start() < recorded.cycle_start() {
            return Err(LicenceError::PointsInEarlierCycle);
        } else if cycle.start() > recorded.cycle_start() {
            Points::new(cycle.start(), value.get())
        } else {
            Points::new(cycle.start(), recorded.total().saturating_add(value.get()))
        };
        let mut fields = self.0.clone();
        fields.points = points;
        if points.is_full_score() {
            fields.status = fields.status.with(StatusLetter::B);
        }
        Licence::new(fields)
    }

    /// 换证: a new validity, optionally new classes or a new authority; the edition goes up by one and
    /// M (逾期未换证) is removed. A renewal that changes neither classes nor authority is possible only
    /// within the 90-day window before expiry or after expiry. Revoked, cancelled or annulled licences
    /// (E, F, G) cannot be renewed.
    pub fn renew(&self, renewal: Renewal, today: Date) -> Result<Licence, RenewError> {
        if let Some(letter) = self.0.status.blocking_letter()
            && letter.display_state() == DisplayState::NotDisplayed
        {
            return Err(RenewError::NotRenewable { letter });
        }
        let current = self.0.validity;
        if renewal.validity.start() < current.start() {
            return Err(RenewError::StartBeforeCurrent);
        }
        let changes_classes = renewal.classes.is_some_and(|c| c != self.0.classes);
        let changes_authority = renewal
            .authority
            .as_ref()
            .is_some_and(|a| *a != self.0.authority);
        if !changes_classes
            && !changes_authority
            && !current.in_renewal_window(today)
            && !current.expired_on(today)
        {
            return Err(RenewError::OutsideRenewalWindow {
                opens: current.renewal_window_opens(),
            });
        }
        let mut fields = self.0.clone();
        fields.validity = renewal.validity;
        if let Some(classes) = renewal.classes {
            fields.classes = classes;
        }
        if let Some(authority) = renewal.authority {
            fields.authority = authority;
        }
        fields.status = fields.status.without(StatusLetter::M);
        fields.edition = fields.edition.saturating_add(1);
        Licence::new(fields).map_err(RenewError::Invalid)
    }

    /// How the e-licence is shown on `today`: the status rule, and at least [`DisplayState::RedQr`] once expired.
    pub fn display_state(&self, today: Date) -> DisplayState {
        let state = self.0.status.display_state();
        if self.0.validity.expired_on(today) {
            state.most_severe(DisplayState::RedQr)
        } else {
            state
        }
    }

    /// Whether the holder may claim an e-licence on `today` (status first, then expiry; rollout not considered).
    pub fn claim_eligibility(&self, today: Date) -> Result<(), ClaimRefusal> {
        if let Some(letter) = self.0.status.blocking_letter() {
            return Err(ClaimRefusal::Status(letter));
        }
        match self.0.validity.end() {
            ValidityEnd::On(end) if today > end => Err(ClaimRefusal::Expired { on: end }),
            _ => Ok(()),
        }
    }

    /// Like [`Licence::claim_eligibility`], then also requires the licence's region (the authority's) to be
    /// switched on in `schedule`.
    pub fn claim_eligibility_with(
        &self,
        today: Date,
        schedule: &RolloutSchedule,
    ) -> Result<(), ClaimRefusal> {
        self.claim_eligibility(today)?;
        let region = self.0.authority.region;
        if schedule.is_enabled(region, today) {
            Ok(())
        } else {
            Err(ClaimRefusal::RegionNotEnabled {
                since: schedule.enabled_from(region),
            })
        }
    }

    /// The points total on `today` (0 once the recorded cycle has ended).
    pub fn points_as_of(&self, today: Date) -> u8 {
        self.0.points.as_of(self.0.first_issue, today)
    }
}

impl fmt::Debug for Licence {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Licence")
            .field("file_number", &self.0.file_number)
            .field("status", &self.0.status)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::authority::AuthorityName;
    use crate::region::RegionCode;
    use crate::rollout::RolloutEntry;
    use crate::validity::ValidityTerm;

    fn region(code: u32) -> RegionCode {
        RegionCode::from_u32(code).expect("in table")
    }

    fn tianjin() -> IssuingAuthority {
        IssuingAuthority {
            name: AuthorityName::parse("天津市公安局交通警察总队").expect("valid"),
            region: region(120_100),
        }
    }

    /// A woman born 1990-03-15 in 天津, first licensed 2010-05-20, on her second (10-year) term.
    fn fields() -> LicenceFields {
        let birth_date = date!(1990 - 03 - 15);
        let first_issue = date!(2010 - 05 - 20);
        LicenceFields {
            file_number: FileNumber::parse("120100000042").expect("valid"),
            citizen_id: CitizenId::from_parts(region(120_101), birth_date, 2).expect("valid"),
            name: PersonName::parse("欧阳娜娜").expect("valid"),
            sex: Sex::Female,
            nationality: Nationality::CHINA,
            birth_date,
            address: Address::parse("天津市和平区南京路1号").expect("valid"),
            first_issue,
            classes: ClassSet::parse("C1").expect("valid"),
            validity: Validity::for_term(date!(2016 - 05 - 20), ValidityTerm::TenYears),
            authority: tianjin(),
            status: StatusSet::NORMAL,
            points: Points::new(date!(2024 - 05 - 20), 3),
            phone: Some(PhoneNumber::parse("13812345678").expect("valid")),
            edition: 2,
        }
    }

    fn licence() -> Licence {
        Licence::new(fields()).expect("consistent")
    }

    fn status(s: &str) -> StatusSet {
        StatusSet::parse(s).expect("valid")
    }

    fn err(f: impl FnOnce(&mut LicenceFields)) -> LicenceError {
        let mut fields = fields();
        f(&mut fields);
        Licence::new(fields).expect_err("inconsistent")
    }

    #[test]
    fn a_consistent_licence_builds_and_round_trips() {
        let l = licence();
        assert_eq!(l.classes().to_string(), "C1");
        assert_eq!(l.edition(), 2);
        assert_eq!(l.clone().into_fields(), fields());
        assert_eq!(l.authority().region, region(120_100));
    }

    #[test]
    fn cross_field_rules() {
        assert_eq!(
            err(|f| f.birth_date = date!(1990 - 03 - 16)),
            LicenceError::BirthDateMismatch
        );
        assert_eq!(err(|f| f.sex = Sex::Male), LicenceError::SexMismatch);
        assert_eq!(err(|f| f.edition = 0), LicenceError::EditionZero);
        assert_eq!(
            err(|f| f.validity = Validity::for_term(date!(2010 - 05 - 19), ValidityTerm::SixYears)),
            LicenceError::ValidityBeforeFirstIssue
        );
        assert_eq!(
            err(|f| f.points = Points::new(date!(2024 - 05 - 20), 12)),
            LicenceError::FullScoreWithoutStatusB
        );
        assert_eq!(
            err(|f| f.points = Points::new(date!(2024 - 05 - 21), 0)),
            LicenceError::PointsCycleMisaligned
        );
        assert_eq!(
            err(|f| f.points = Points::new(date!(2009 - 05 - 20), 0)),
            LicenceError::PointsCycleMisaligned
        );
        // 12 points are fine with B.
        let mut f = fields();
        f.points = Points::new(date!(2024 - 05 - 20), 12);
        f.status = status("B");
        assert!(Licence::new(f).is_ok());
    }

    #[test]
    fn minimum_age_18_at_first_issue() {
        assert_eq!(
            err(|f| f.first_issue = date!(2008 - 03 - 14)),
            LicenceError::FirstIssueUnderAge
        );
        let mut f = fields();
        f.first_issue = date!(2008 - 03 - 15);
        f.points = Points::new(date!(2024 - 03 - 15), 0);
        assert!(Licence::new(f).is_ok());
        // Born on 29 February: the 18th birthday in a common year is 28 February.
        let mut f = fields();
        f.birth_date = date!(1992 - 02 - 29);
        f.citizen_id = CitizenId::from_parts(region(120_101), f.birth_date, 2).expect("valid");
        f.first_issue = date!(2010 - 02 - 28);
        f.points = Points::new(date!(2024 - 02 - 28), 0);
        f.validity = Validity::for_term(date!(2010 - 02 - 28), ValidityTerm::SixYears);
        assert!(Licence::new(f.clone()).is_ok());
        f.first_issue = date!(2010 - 02 - 27);
        f.points = Points::new(date!(2024 - 02 - 27), 0);
        assert_eq!(Licence::new(f), Err(LicenceError::FirstIssueUnderAge));
    }

    #[test]
    fn c6_only_on_a_validity_from_2022_04_01() {
        let c1c6 = ClassSet::parse("C1C6").expect("valid");
        assert_eq!(
            err(|f| f.classes = c1c6),
            LicenceError::C6BeforeIntroduction
        );
        let mut f = fields();
        f.classes = c1c6;
        f.validity = Validity::for_term(C6_INTRODUCED, ValidityTerm::TenYears);
        assert!(Licence::new(f.clone()).is_ok());
        f.validity = Validity::for_term(date!(2022 - 03 - 31), ValidityTerm::TenYears);
        assert_eq!(Licence::new(f), Err(LicenceError::C6BeforeIntroduction));
    }

    #[test]
    fn status_changes() {
        let l = licence();
        let d = l.with_status(status("D")).expect("consistent");
        assert_eq!(d.status(), status("D"));
        assert_eq!(d.display_state(date!(2025 - 01 - 01)), DisplayState::RedQr);
        let f = l.with_status(status("F")).expect("consistent");
        assert_eq!(
            f.display_state(date!(2025 - 01 - 01)),
            DisplayState::NotDisplayed
        );
        let hi = l.with_status(status("HI")).expect("consistent");
        assert_eq!(
            hi.display_state(date!(2025 - 01 - 01)),
            DisplayState::BlackQr
        );
        assert_eq!(hi.claim_eligibility(date!(2025 - 01 - 01)), Ok(()));
    }

    #[test]
    fn reaching_12_points_sets_b() {
        let l = licence(); // 3 points in the cycle from 2024-05-20
        let l = l
            .add_points(PointValue::Six, date!(2024 - 09 - 01))
            .expect("ok");
        assert_eq!((l.points().total(), l.status()), (9, StatusSet::NORMAL));
        let l = l
            .add_points(PointValue::Three, date!(2025 - 05 - 19))
            .expect("ok");
        assert_eq!(l.points().total(), 12);
        assert_eq!(l.status(), status("B"));
        assert_eq!(l.display_state(date!(2025 - 05 - 19)), DisplayState::RedQr);
        assert_eq!(
            l.claim_eligibility(date!(2025 - 05 - 19)),
            Err(ClaimRefusal::Status(StatusLetter::B))
        );
        // B is kept with other letters; A is gone.
        let h = licence().with_status(status("H")).expect("ok");
        let h = h
            .add_points(PointValue::Twelve, date!(2024 - 06 - 01))
            .expect("ok");
        assert_eq!(h.status(), status("BH"));
        // Clearing the points after education, then restoring A.
        let cleared = l
            .with_points(Points::zero(PointsCycle::containing(
                l.first_issue(),
                date!(2025 - 05 - 19),
            )))
            .expect("ok")
            .with_status(StatusSet::NORMAL)
            .expect("ok");
        assert_eq!(cleared.points().total(), 0);
        // A cannot be restored while 12 points stand.
        assert_eq!(
            l.with_status(StatusSet::NORMAL),
            Err(LicenceError::FullScoreWithoutStatusB)
        );
    }

    #[test]
    fn points_roll_into_the_next_cycle() {
        let l = licence();
        assert_eq!(l.points_as_of(date!(2025 - 05 - 19)), 3);
        assert_eq!(l.points_as_of(date!(2025 - 05 - 20)), 0);
        let next = l
            .add_points(PointValue::One, date!(2025 - 05 - 20))
            .expect("ok");
        assert_eq!(next.points(), Points::new(date!(2025 - 05 - 20), 1));
        let later = l
            .add_points(PointValue::Nine, date!(2027 - 01 - 01))
            .expect("ok");
        assert_eq!(later.points(), Points::new(date!(2026 - 05 - 20), 9));
        assert_eq!(
            next.add_points(PointValue::One, date!(2025 - 05 - 19)),
            Err(LicenceError::PointsInEarlierCycle)
        );
        assert_eq!(
            l.add_points(PointValue::One, date!(2010 - 05 - 19)),
            Err(LicenceError::PointsBeforeFirstIssue)
        );
    }

    fn renewal(start: Date) -> Renewal {
        Renewal {
            validity: Validity::for_term(start, ValidityTerm::Indefinite),
            classes: None,
            authority: None,
        }
    }

    #[test]
    fn renewal_within_the_window_or_after_expiry() {
        let l = licence(); // valid 2016-05-20 ..= 2026-05-20; window opens 2026-02-19
        let opens = date!(2026 - 02 - 19);
        assert_eq!(l.validity().renewal_window_opens(), Some(opens));
        assert_eq!(
            l.renew(renewal(date!(2026 - 02 - 18)), date!(2026 - 02 - 18)),
            Err(RenewError::OutsideRenewalWindow { opens: Some(opens) })
        );
        let renewed = l.renew(renewal(opens), opens).expect("in window");
        assert_eq!(renewed.edition(), 3);
        assert_eq!(renewed.validity().end(), ValidityEnd::Indefinite);
        let late = l
            .renew(renewal(date!(2027 - 01 - 01)), date!(2027 - 01 - 01))
            .expect("after expiry");
        assert_eq!(late.edition(), 3);
        assert_eq!(
            l.renew(renewal(date!(2016 - 05 - 19)), opens),
            Err(RenewError::StartBeforeCurrent)
        );
        // 长期 cannot be renewed without a change.
        assert_eq!(
            renewed.renew(renewal(date!(2030 - 01 - 01)), date!(2030 - 01 - 01)),
            Err(RenewError::OutsideRenewalWindow { opens: None })
        );
    }

    #[test]
    fn renewal_removes_m_and_class_changes_need_no_window() {
        let overdue = licence().with_status(status("HM")).expect("ok");
        let renewed = overdue
            .renew(renewal(date!(2026 - 06 - 01)), date!(2026 - 06 - 01))
            .expect("ok");
        assert_eq!(renewed.status(), status("H"));
        let only_m = licence().with_status(status("M")).expect("ok");
        let renewed = only_m
            .renew(renewal(date!(2026 - 06 - 01)), date!(2026 - 06 - 01))
            .expect("ok");
        assert_eq!(renewed.status(), StatusSet::NORMAL);

        let today = date!(2023 - 01 - 01);
        let add_c6 = Renewal {
            validity: Validity::for_term(today, ValidityTerm::TenYears),
            classes: Some(ClassSet::parse("C1C6").expect("valid")),
            authority: None,
        };
        let upgraded = licence()
            .renew(add_c6, today)
            .expect("class change needs no window");
        assert_eq!(upgraded.classes().to_string(), "C1C6");
        assert_eq!(upgraded.edition(), 3);

        let chengdu = IssuingAuthority {
            name: AuthorityName::parse("成都市公安局交通管理局").expect("valid"),
            region: region(510_100),
        };
        let moved = Renewal {
            validity: Validity::for_term(today, ValidityTerm::TenYears),
            classes: None,
            authority: Some(chengdu.clone()),
        };
        let moved = licence()
            .renew(moved, today)
            .expect("authority change needs no window");
        assert_eq!(moved.authority(), &chengdu);

        let same_classes = Renewal {
            validity: Validity::for_term(today, ValidityTerm::TenYears),
            classes: Some(licence().classes()),
            authority: Some(tianjin()),
        };
        assert!(matches!(
            licence().renew(same_classes, today),
            Err(RenewError::OutsideRenewalWindow { .. })
        ));

        let too_early_c6 = Renewal {
            validity: Validity::for_term(date!(2021 - 01 - 01), ValidityTerm::TenYears),
            classes: Some(ClassSet::parse("C1C6").expect("valid")),
            authority: None,
        };
        assert_eq!(
            licence().renew(too_early_c6, date!(2021 - 01 - 01)),
            Err(RenewError::Invalid(LicenceError::C6BeforeIntroduction))
        );
    }

    #[test]
    fn revoked_licences_cannot_be_renewed() {
        for s in ["E", "F", "G", "FD"] {
            let l = licence().with_status(status(s)).expect("ok");
            assert!(matches!(
                l.renew(renewal(date!(2026 - 03 - 01)), date!(2026 - 03 - 01)),
                Err(RenewError::NotRenewable { .. })
            ));
        }
        // Suspended (D) can still renew.
        let d = licence().with_status(status("D")).expect("ok");
        assert!(
            d.renew(renewal(date!(2026 - 03 - 01)), date!(2026 - 03 - 01))
                .is_ok()
        );
    }

    #[test]
    fn an_expired_licence_shows_at_least_red_and_cannot_claim() {
        let l = licence();
        let last = date!(2026 - 05 - 20);
        let after = date!(2026 - 05 - 21);
        assert_eq!(l.display_state(last), DisplayState::BlackQr);
        assert_eq!(l.claim_eligibility(last), Ok(()));
        assert_eq!(l.display_state(after), DisplayState::RedQr);
        assert_eq!(
            l.claim_eligibility(after),
            Err(ClaimRefusal::Expired { on: last })
        );
        let locked = l.with_status(status("L")).expect("ok");
        assert_eq!(locked.display_state(after), DisplayState::Invalid);
        let revoked = l.with_status(status("F")).expect("ok");
        assert_eq!(revoked.display_state(after), DisplayState::NotDisplayed);
        // A status refusal is reported before expiry.
        let d = l.with_status(status("D")).expect("ok");
        assert_eq!(
            d.claim_eligibility(after),
            Err(ClaimRefusal::Status(StatusLetter::D))
        );
        let hi = l.with_status(status("HI")).expect("ok");
        assert_eq!(
            hi.claim_eligibility(after),
            Err(ClaimRefusal::Expired { on: last })
        );
    }

    #[test]
    fn claims_need_an_enabled_region() {
        let l = licence();
        let schedule = RolloutSchedule::new(vec![RolloutEntry {
            region: region(120_000),
            enabled_from: date!(2021 - 06 - 01),
            phase: "pilot".to_owned(),
        }]);
        assert_eq!(
            l.claim_eligibility_with(date!(2021 - 06 - 01), &schedule),
            Ok(())
        );
        assert_eq!(
            l.claim_eligibility_with(date!(2021 - 05 - 31), &schedule),
            Err(ClaimRefusal::RegionNotEnabled {
                since: Some(date!(2021 - 06 - 01))
            })
        );
        assert_eq!(
            l.claim_eligibility_with(date!(2021 - 05 - 31), &RolloutSchedule::default()),
            Err(ClaimRefusal::RegionNotEnabled { since: None })
        );
        let d = l.with_status(status("D")).expect("ok");
        assert_eq!(
            d.claim_eligibility_with(date!(2022 - 01 - 01), &schedule),
            Err(ClaimRefusal::Status(StatusLetter::D))
        );
    }

    #[test]
    fn debug_and_errors_carry_no_personal_data() {
        let l = licence();
        let f = fields();
        for text in [format!("{l:?}"), format!("{f:?}")] {
            assert!(text.contains("1201******42"), "{text}");
            assert!(text.contains("StatusSet(A)"), "{text}");
            for secret in [
                l.citizen_id().as_str(),
                "欧阳",
                "南京路",
                "13812345678",
                "120100000042",
                "1990",
            ] {
                assert!(!text.contains(secret), "{text}");
            }
        }
        let refusal = ClaimRefusal::Status(StatusLetter::D).to_string();
        assert_eq!(refusal, "status D (暂扣) does not allow claiming");
    }
}
