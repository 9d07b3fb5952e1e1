//! `edl-domain`: the electronic driving licence domain model. Pure: no I/O, no async, no database.
//!
//! The principal types are [`Licence`] (the aggregate, built from [`LicenceFields`] by [`Licence::new`]),
//! the values it holds — [`CitizenId`] (证号, GB 11643), [`FileNumber`] (档案编号), [`PersonName`], [`Address`],
//! [`Nationality`], [`PhoneNumber`], [`Sex`], [`ClassSet`] of [`DrivingClass`] (准驾车型), [`Validity`]
//! (有效期限, 6 → 10 → 长期), [`StatusSet`] of [`StatusLetter`] (GA/T 16.25), [`Points`] and [`PointsCycle`]
//! (累积记分), [`IssuingAuthority`] and [`RegionCode`] (GB/T 2260) — and the [`RolloutSchedule`].
//!
//! The status → display rule lives in exactly one place, [`StatusSet::display_state`].
//! Every parser returns a specific error enum whose messages never contain personal data, and the `Debug`
//! output of personal values is masked or elided.

#![warn(missing_docs)]

mod authority;
mod citizen_id;
mod class;
mod date;
mod file_number;
mod licence;
mod person;
mod points;
mod region;
mod rollout;
mod sex;
mod status;
mod text;
mod validity;

pub use authority::{
    AUTHORITY_NAME_MAX_CHARS, AUTHORITY_NAME_MIN_CHARS, AuthorityName, AuthorityNameError,
    IssuingAuthority,
};
pub use citizen_id::{CitizenId, CitizenIdError, MIN_BIRTH_YEAR, check_character};
pub use class::{ClassError, ClassSet, DrivingClass};
pub use date::{DateError, IsoDate, add_years, format_date, parse_date};
pub use file_number::{FileNumber, FileNumberError};
pub use licence::{
    C6_INTRODUCED, ClaimRefusal, Licence, LicenceError, LicenceFields, MIN_AGE_AT_FIRST_ISSUE,
    RenewError, Renewal,
};
pub use person::{
    ADDRESS_MAX_CHARS, Address, AddressError, Nationality, NationalityError, PERSON_NAME_MAX_CHARS,
    PersonName, PersonNameError, PhoneNumber, PhoneNumberError,
};
pub use points::{FULL_SCORE, PointValue, Points, PointsCycle, PointsError};
pub use region::{RegionCode, RegionError, RegionLevel, is_known_province, regions};
pub use rollout::{RolloutEntry, RolloutSchedule};
pub use sex::{Sex, SexError};
pub use status::{DisplayState, StatusError, StatusLetter, StatusSet};
pub use validity::{
    INDEFINITE_TEXT, RENEWAL_WINDOW_DAYS, Validity, ValidityEnd, ValidityError, ValidityTerm,
};
