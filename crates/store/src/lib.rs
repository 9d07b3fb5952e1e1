//! The licence registry's storage interface: the [`Store`] trait, [`StoreError`] and the values they use.
//!
//! Use cases in `edl-app` are generic over [`Store`]; the backends `edl-store-sqlite` (an embedded file, the default)
//! and `edl-store-postgres` implement it.
//! [`StoreError`] is the only error a caller sees: backends map their driver errors into it.
//! The principal values are [`StoredLicence`] (a licence with its optimistic-concurrency version),
//! [`ImportRecord`] and [`BatchOutcome`] (idempotent bulk import with provenance), [`HistoryEntry`]
//! (the append-only change log), [`RegionCount`], and the credentials issued to holder devices with
//! their status-list indexes ([`NewCredential`], [`CredentialRecord`], [`CredentialState`]), and the holder's
//! web wallet: [`Account`]s bound to a licence, login [`Session`]s, one-time claim challenges, the [`CheckEvent`]s
//! that answer "who checked my licence", and [`Share`]s; and the operator console: [`ConsoleUser`]s with their
//! [`ConsoleRole`] and [`ConsoleSession`]s, verifier [`Organisation`]s and their [`ApiKey`]s, the append-only
//! [`Verification`] audit and the daily rollups the dashboard reads ([`DailyVerifications`], [`DailyClaims`]).
//! [`backend`] holds the column encoding, import classification, region-count summary changes and count folding
//! both SQL backends share.
//! With the feature `conformance`, the `conformance` module and the `store_conformance_tests!` macro give every backend
//! the same test suite.

pub mod backend;
mod error;
mod store;
mod types;

#[cfg(feature = "conformance")]
pub mod conformance;

pub use error::{BoxError, StoreError};
pub use store::Store;
pub use types::{
    Account, ApiKey, AuthorityId, AuthorityRecord, BatchOutcome, CHINA_STANDARD_TIME, ChangeKind,
    CheckEvent, ConflictKind, ConsoleRole, ConsoleSession, ConsoleUser, CredentialRecord,
    CredentialState, DailyClaims, DailyVerifications, HistoryEntry, ImportConflict, ImportRecord,
    ImportRun, ImportSourceId, NationalDailyClaims, NationalDailyVerifications, NewAccount,
    NewApiKey, NewCheckEvent, NewConsoleSession, NewConsoleUser, NewCredential, NewHistoryEntry,
    NewOrganisation, NewSession, NewShare, NewVerification, Organisation, RegionCount, Session,
    Share, StoredLicence, Verification, licence_summary, rollup_day,
};
