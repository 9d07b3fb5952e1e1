//! The values the [`Store`](crate::Store) trait takes and returns: ids, import records and outcomes, history, counts,
//! credentials, the holder's web-wallet accounts, sessions, check events and shares, and the operator console's
//! users, sessions, organisations, API keys, verification audit and daily rollups.

use std::fmt;

use edl_domain::{CitizenId, FileNumber, IssuingAuthority, Licence, RegionCode};
use time::{Date, OffsetDateTime, UtcOffset};

/// The database id of an issuing authority (发证机关).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AuthorityId(pub i64);

/// An issuing authority as stored, with its id.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuthorityRecord {
    /// The database id.
    pub id: AuthorityId,
    /// The authority's name and region.
    pub authority: IssuingAuthority,
}

/// A licence as stored, with the version that optimistic updates compare against.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredLicence {
    /// The licence.
    pub licence: Licence,
    /// Starts at 1 and grows by one with every [`Store::update_licence`](crate::Store::update_licence).
    pub version: i64,
}

/// The database id of one import source: a registry file, identified by its SHA-256.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ImportSourceId(pub i64);

/// One parsed row of a registry file, handed to [`Store::import_batch`](crate::Store::import_batch).
#[derive(Clone, Copy, Debug)]
pub struct ImportRecord<'a> {
    /// The 1-based physical line where the record starts in its file.
    pub line: u64,
    /// The licence the row describes.
    pub licence: &'a Licence,
    /// The id of the licence's issuing authority, from [`Store::ensure_authority`](crate::Store::ensure_authority).
    pub authority_id: AuthorityId,
    /// A digest of the canonical encoding of the licence (edl-csv's `ParsedRow::digest`).
    pub digest: [u8; 16],
}

/// What one [`Store::import_batch`](crate::Store::import_batch) did with its records.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BatchOutcome {
    /// Records that became new licences.
    pub inserted: u64,
    /// Records already in the registry exactly as given: from an earlier run of the same file, or from another file.
    pub unchanged: u64,
    /// Records that were not written, ordered by line.
    pub conflicts: Vec<ImportConflict>,
}

/// A record that was not imported, and why.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ImportConflict {
    /// The line of the refused record.
    pub line: u64,
    /// Why it was refused.
    pub kind: ConflictKind,
}

/// Why an import record was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConflictKind {
    /// The same file already has a record with this 档案编号 (file number), first at `first_line`.
    DuplicateInFile {
        /// The line of the record that was kept.
        first_line: u64,
    },
    /// The registry already holds a different licence under this 档案编号 (file number), from another source.
    DifferentRecordInRegistry,
}

/// What kind of change a history entry records.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ChangeKind {
    /// The status letters changed (for example 暂扣 D added).
    StatusChanged,
    /// Points (记分) were added.
    PointsAdded,
    /// The licence was renewed or changed (换证): new validity, classes or authority.
    Renewed,
}

impl ChangeKind {
    /// Every kind, in declaration order.
    pub const ALL: [ChangeKind; 3] = [Self::StatusChanged, Self::PointsAdded, Self::Renewed];

    /// The stable name stored in the database (`status_changed`, `points_added`, `renewed`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::StatusChanged => "status_changed",
            Self::PointsAdded => "points_added",
            Self::Renewed => "renewed",
        }
    }

    /// The kind named by [`ChangeKind::as_str`], if any.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|kind| kind.as_str() == s)
    }
}

/// One entry of a licence's append-only change history.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HistoryEntry {
    /// The database id; ids grow in the order entries were appended.
    pub id: i64,
    /// The licence the entry belongs to.
    pub file_number: FileNumber,
    /// When the change was made, as given by the caller's clock.
    pub at: OffsetDateTime,
    /// Who made the change (an operator or system name, never a citizen's data).
    pub actor: String,
    /// Why the change was made.
    pub reason: String,
    /// What kind of change it was.
    pub kind: ChangeKind,
    /// A short summary of the licence before the change, without personal data (see [`licence_summary`]).
    pub before: String,
    /// A short summary of the licence after the change, without personal data.
    pub after: String,
}

/// A history entry to append with [`Store::update_licence`](crate::Store::update_licence).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewHistoryEntry {
    /// When the change was made.
    pub at: OffsetDateTime,
    /// Who made the change.
    pub actor: String,
    /// Why the change was made.
    pub reason: String,
    /// What kind of change it was.
    pub kind: ChangeKind,
    /// A short summary of the licence before the change, without personal data.
    pub before: String,
    /// A short summary of the licence after the change, without personal data.
    pub after: String,
}

impl NewHistoryEntry {
    /// An entry describing the change from `before` to `after` with [`licence_summary`].
    pub fn describing(
        at: OffsetDateTime,
        actor: impl Into<String>,
        reason: impl Into<String>,
        kind: ChangeKind,
        before: &Licence,
        after: &Licence,
    ) -> Self {
        Self {
            at,
            actor: actor.into(),
            reason: reason.into(),
            kind,
            before: licence_summary(before),
            after: licence_summary(after),
        }
    }
}

/// A short summary of the parts of a licence that change, without personal data.
///
/// For example `status=A points=3 classes=C1 valid=2020-01-01..2026-01-01 authority=120100 edition=1`.
pub fn licence_summary(licence: &Licence) -> String {
    format!(
        "status={} points={} classes={} valid={}..{} authority={} edition={}",
        licence.status(),
        licence.points().total(),
        licence.classes(),
        licence.validity().start(),
        licence.validity().end(),
        licence.authority().region,
        licence.edition(),
    )
}

/// How many licences a region holds, broken down by what their credential would display.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RegionCount {
    /// The licences' region (their issuing authority's region).
    pub region: RegionCode,
    /// All licences of the region.
    pub licences: u64,
    /// Licences whose status displays a black QR code (normal use).
    pub black: u64,
    /// Licences whose status displays a red QR code (a restriction applies).
    pub red: u64,
    /// Licences whose status makes the credential invalid.
    pub invalid: u64,
    /// Licences whose status means no credential is displayed at all.
    pub not_displayed: u64,
    /// Licences of the region with at least one credential ever issued (claimed, 申领), counted in the licence's
    /// region at its first claim; 0 for a region whose licences were never claimed.
    pub claimed: u64,
    /// When electronic licences were enabled for the region, from the rollout schedule.
    pub enabled_from: Option<Date>,
}

/// One run of [`Store::begin_import`](crate::Store::begin_import) … [`Store::finish_import`](crate::Store::finish_import) for a file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ImportRun {
    /// The import source id.
    pub id: ImportSourceId,
    /// The SHA-256 of the whole file.
    pub file_sha256: [u8; 32],
    /// When the file was first imported.
    pub started_at: OffsetDateTime,
    /// When the last run over the file finished, if one did.
    pub finished_at: Option<OffsetDateTime>,
    /// Records inserted, as reported by the last finished run.
    pub inserted: u64,
    /// Records found unchanged, as reported by the last finished run.
    pub unchanged: u64,
    /// Records rejected (unparseable rows and conflicts), as reported by the last finished run.
    pub rejected: u64,
}

/// A credential about to be recorded: the issuance of a licence's mdoc to one holder device.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewCredential {
    /// The licence (档案编号).
    pub file_number: FileNumber,
    /// The issuer's region: whose status list holds the credential.
    pub region: RegionCode,
    /// The licence edition the credential carries; a later edition (换证) supersedes it.
    pub edition: u32,
    /// The device key's identifier (hex), to list and withdraw devices.
    pub device_key_id: String,
    /// When it was signed.
    pub issued_at: OffsetDateTime,
    /// The end of its MSO validity.
    pub valid_until: OffsetDateTime,
}

/// A recorded credential with its place in the issuer's status list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CredentialRecord {
    /// The database id.
    pub id: i64,
    /// Its index in the status list of `region`, allocated once, never reused.
    pub status_index: u64,
    /// What was recorded.
    pub credential: NewCredential,
    /// When the holder withdrew it (a lost phone), if they did.
    pub withdrawn_at: Option<OffsetDateTime>,
}

/// What a status list needs to know of one credential.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CredentialState {
    /// Its index in the status list.
    pub status_index: u64,
    /// Withdrawn by the holder.
    pub withdrawn: bool,
    /// The licence has a newer edition than the credential carries.
    pub superseded: bool,
    /// The licence's current status letters.
    pub licence_status: edl_domain::StatusSet,
}

/// A holder's web-wallet account about to be created with [`Store::create_account`](crate::Store::create_account):
/// real-name registration binds it to one registry licence.
///
/// `Debug` shows the masked 证号 and file number and never the password hash.
#[derive(Clone, PartialEq, Eq)]
pub struct NewAccount {
    /// The holder's 证号 (citizen id); it must be the licence's.
    pub citizen_id: CitizenId,
    /// The licence (档案编号) the account is bound to.
    pub file_number: FileNumber,
    /// The password as an Argon2id PHC string (`$argon2id$v=19$…`), never the password itself.
    pub password_hash: String,
    /// When the account was created.
    pub created_at: OffsetDateTime,
}

impl fmt::Debug for NewAccount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NewAccount")
            .field("citizen_id", &self.citizen_id)
            .field("file_number", &self.file_number)
            .field("password_hash", &REDACTED)
            .field("created_at", &self.created_at)
            .finish()
    }
}

/// A stored web-wallet account.
///
/// `Debug` shows the masked 证号 and file number and never the password hash.
#[derive(Clone, PartialEq, Eq)]
pub struct Account {
    /// The database id.
    pub id: i64,
    /// The holder's 证号 (citizen id); one account per 证号.
    pub citizen_id: CitizenId,
    /// The licence (档案编号) the account is bound to; one account per licence.
    pub file_number: FileNumber,
    /// The password as an Argon2id PHC string.
    pub password_hash: String,
    /// When the account was created.
    pub created_at: OffsetDateTime,
}

impl fmt::Debug for Account {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Account")
            .field("id", &self.id)
            .field("citizen_id", &self.citizen_id)
            .field("file_number", &self.file_number)
            .field("password_hash", &REDACTED)
            .field("created_at", &self.created_at)
            .finish()
    }
}

/// A login session about to be recorded with [`Store::create_session`](crate::Store::create_session).
///
/// `Debug` never shows the token hash or the CSRF token.
#[derive(Clone, PartialEq, Eq)]
pub struct NewSession {
    /// The SHA-256 of the session cookie's token; the token itself is never stored.
    pub token_hash: [u8; 32],
    /// The account that logged in.
    pub account_id: i64,
    /// The session's CSRF token, which every form of the session carries.
    pub csrf_token: String,
    /// When the session started.
    pub created_at: OffsetDateTime,
    /// When the session ends; it is not found from then on.
    pub expires_at: OffsetDateTime,
}

impl fmt::Debug for NewSession {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NewSession")
            .field("token_hash", &REDACTED)
            .field("account_id", &self.account_id)
            .field("csrf_token", &REDACTED)
            .field("created_at", &self.created_at)
            .field("expires_at", &self.expires_at)
            .finish()
    }
}

/// A live session, found by its token hash with [`Store::session`](crate::Store::session).
///
/// `Debug` never shows the CSRF token.
#[derive(Clone, PartialEq, Eq)]
pub struct Session {
    /// The account that logged in.
    pub account_id: i64,
    /// The session's CSRF token.
    pub csrf_token: String,
    /// When the session started.
    pub created_at: OffsetDateTime,
    /// When the session ends.
    pub expires_at: OffsetDateTime,
}

impl fmt::Debug for Session {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Session")
            .field("account_id", &self.account_id)
            .field("csrf_token", &REDACTED)
            .field("created_at", &self.created_at)
            .field("expires_at", &self.expires_at)
            .finish()
    }
}

/// One check of a licence, about to be recorded with [`Store::insert_check_event`](crate::Store::insert_check_event):
/// an online verification or an access to a share, listed for the holder ("who checked my licence").
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewCheckEvent {
    /// The licence (档案编号) that was checked.
    pub file_number: FileNumber,
    /// When it was checked.
    pub at: OffsetDateTime,
    /// Who checked: an organisation's name, or `"share link"`.
    pub verifier: String,
    /// The purpose the check was for.
    pub purpose: String,
    /// How it was checked: `"api"`, `"share"`, ….
    pub channel: String,
    /// The outcome: `"valid"` or `"not_valid"`.
    pub result: String,
}

/// A recorded check of a licence.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CheckEvent {
    /// The database id; ids grow in the order events were recorded.
    pub id: i64,
    /// What was recorded.
    pub event: NewCheckEvent,
}

/// A share (分享) about to be recorded with [`Store::insert_share`](crate::Store::insert_share): a purpose-bound,
/// time-limited copy of the holder's licence for a third party, opened by a link that carries its token.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewShare {
    /// The SHA-256 of the link's token; the token itself is never stored.
    pub token_hash: [u8; 32],
    /// The account that shares; the licence must be the account's.
    pub account_id: i64,
    /// The licence (档案编号) shared.
    pub file_number: FileNumber,
    /// The purpose the share discloses the licence for.
    pub purpose: String,
    /// When the share was made.
    pub created_at: OffsetDateTime,
    /// When the share stops opening.
    pub expires_at: OffsetDateTime,
}

/// A recorded share.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Share {
    /// The database id.
    pub id: i64,
    /// What was recorded.
    pub share: NewShare,
    /// When the holder withdrew it, if they did; a withdrawn share no longer opens.
    pub withdrawn_at: Option<OffsetDateTime>,
}

// The operator console (issue 7): console users and their sessions, verifier organisations, their API keys, the
// verification audit and the daily rollups the dashboard reads.

/// China Standard Time (UTC+08:00): the rollup tables count an instant on its calendar day here.
pub const CHINA_STANDARD_TIME: UtcOffset = time::macros::offset!(+8);

/// The day an instant is counted on in `daily_verifications` and `daily_claims`: its calendar day in China
/// Standard Time (UTC+08:00), so `2025-03-01T17:00:00Z` counts on 2025-03-02.
pub fn rollup_day(at: OffsetDateTime) -> Date {
    at.to_offset(CHINA_STANDARD_TIME).date()
}

/// What a console user may do, and over which scope.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ConsoleRole {
    /// The platform's own staff: every region and organisation; no authority or organisation.
    Platform,
    /// An issuing authority's operator: changes the authority's licences; has an authority, no organisation.
    Operator,
    /// An issuing authority's auditor: reads the authority's data and audit; has an authority, no organisation.
    Auditor,
    /// A verifier organisation's staff: scans licences and manages the organisation's API keys; has an organisation,
    /// no authority.
    Verifier,
}

impl ConsoleRole {
    /// Every role, in declaration order.
    pub const ALL: [ConsoleRole; 4] = [
        Self::Platform,
        Self::Operator,
        Self::Auditor,
        Self::Verifier,
    ];

    /// The stable name stored in the database (`platform`, `operator`, `auditor`, `verifier`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Platform => "platform",
            Self::Operator => "operator",
            Self::Auditor => "auditor",
            Self::Verifier => "verifier",
        }
    }

    /// The role named by [`ConsoleRole::as_str`], if any.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|role| role.as_str() == s)
    }

    /// Whether a user of this role may have this scope: `operator` and `auditor` need an authority and no
    /// organisation, `verifier` an organisation and no authority, `platform` neither.
    /// [`Store::create_console_user`](crate::Store::create_console_user) refuses any other combination with
    /// [`StoreError::Conflict`](crate::StoreError::Conflict) `{ constraint: "console_role_scope" }`.
    pub fn allows_scope(self, has_authority: bool, has_organisation: bool) -> bool {
        match self {
            Self::Platform => !has_authority && !has_organisation,
            Self::Operator | Self::Auditor => has_authority && !has_organisation,
            Self::Verifier => !has_authority && has_organisation,
        }
    }
}

/// A console user about to be created with [`Store::create_console_user`](crate::Store::create_console_user).
///
/// `Debug` never shows the password hash.
#[derive(Clone, PartialEq, Eq)]
pub struct NewConsoleUser {
    /// The login name: unique, 1 to 64 characters.
    pub username: String,
    /// The password as an Argon2id PHC string (`$argon2id$v=19$…`), never the password itself.
    pub password_hash: String,
    /// What the user may do.
    pub role: ConsoleRole,
    /// The authority an `operator` or `auditor` works for; `None` for the other roles.
    pub authority_id: Option<AuthorityId>,
    /// The organisation a `verifier` works for; `None` for the other roles.
    pub organisation_id: Option<i64>,
    /// When the user was created.
    pub created_at: OffsetDateTime,
}

impl fmt::Debug for NewConsoleUser {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NewConsoleUser")
            .field("username", &self.username)
            .field("password_hash", &REDACTED)
            .field("role", &self.role)
            .field("authority_id", &self.authority_id)
            .field("organisation_id", &self.organisation_id)
            .field("created_at", &self.created_at)
            .finish()
    }
}

/// A stored console user. `Debug` never shows the password hash.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConsoleUser {
    /// The database id.
    pub id: i64,
    /// What was stored.
    pub user: NewConsoleUser,
    /// When the user was disabled, if they were; a disabled user cannot log in (the caller refuses).
    pub disabled_at: Option<OffsetDateTime>,
}

/// A console login session about to be recorded with
/// [`Store::create_console_session`](crate::Store::create_console_session).
///
/// `Debug` never shows the token hash or the CSRF token.
#[derive(Clone, PartialEq, Eq)]
pub struct NewConsoleSession {
    /// The SHA-256 of the session cookie's token; the token itself is never stored.
    pub token_hash: [u8; 32],
    /// The console user who logged in.
    pub user_id: i64,
    /// The session's CSRF token, which every form of the session carries (at least 16 characters).
    pub csrf_token: String,
    /// When the session started.
    pub created_at: OffsetDateTime,
    /// When the session ends; it is not found from then on.
    pub expires_at: OffsetDateTime,
}

impl fmt::Debug for NewConsoleSession {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NewConsoleSession")
            .field("token_hash", &REDACTED)
            .field("user_id", &self.user_id)
            .field("csrf_token", &REDACTED)
            .field("created_at", &self.created_at)
            .field("expires_at", &self.expires_at)
            .finish()
    }
}

/// A live console session, found by its token hash with [`Store::console_session`](crate::Store::console_session).
///
/// `Debug` never shows the CSRF token.
#[derive(Clone, PartialEq, Eq)]
pub struct ConsoleSession {
    /// The console user who logged in.
    pub user_id: i64,
    /// The session's CSRF token.
    pub csrf_token: String,
    /// When the session started.
    pub created_at: OffsetDateTime,
    /// When the session ends.
    pub expires_at: OffsetDateTime,
}

impl fmt::Debug for ConsoleSession {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConsoleSession")
            .field("user_id", &self.user_id)
            .field("csrf_token", &REDACTED)
            .field("created_at", &self.created_at)
            .field("expires_at", &self.expires_at)
            .finish()
    }
}

/// A verifier organisation (a rental company, an insurer, a police unit …) about to be created with
/// [`Store::create_organisation`](crate::Store::create_organisation).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewOrganisation {
    /// Its name, unique; shown to holders as who checked their licence.
    pub name: String,
    /// What kind of organisation it is (free text chosen by the console, for example `"car_rental"`).
    pub kind: String,
    /// The purposes it may verify licences for; each non-empty and without whitespace (stored space-separated).
    pub purposes: Vec<String>,
    /// When it was created.
    pub created_at: OffsetDateTime,
}

/// A stored organisation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Organisation {
    /// The database id.
    pub id: i64,
    /// What was stored.
    pub organisation: NewOrganisation,
}

/// An organisation's API key about to be recorded with [`Store::create_api_key`](crate::Store::create_api_key).
///
/// `Debug` never shows the key hash.
#[derive(Clone, PartialEq, Eq)]
pub struct NewApiKey {
    /// The organisation the key belongs to.
    pub organisation_id: i64,
    /// The SHA-256 of the key; the key itself is never stored.
    pub key_hash: [u8; 32],
    /// The key's first characters, shown in the console to tell keys apart (not a secret).
    pub prefix: String,
    /// The organisation's own name for the key.
    pub label: String,
    /// When the key was created.
    pub created_at: OffsetDateTime,
}

impl fmt::Debug for NewApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NewApiKey")
            .field("organisation_id", &self.organisation_id)
            .field("key_hash", &REDACTED)
            .field("prefix", &self.prefix)
            .field("label", &self.label)
            .field("created_at", &self.created_at)
            .finish()
    }
}

/// A stored API key. `Debug` never shows the key hash.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApiKey {
    /// The database id.
    pub id: i64,
    /// What was stored.
    pub key: NewApiKey,
    /// When the key was revoked, if it was; a revoked key is still found by its hash (the caller refuses it).
    pub revoked_at: Option<OffsetDateTime>,
}

/// One verification of a licence by an organisation, about to be recorded with
/// [`Store::record_verifications`](crate::Store::record_verifications): the audit of the verification API and the
/// console's scanner.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewVerification {
    /// When it was verified.
    pub at: OffsetDateTime,
    /// The organisation that verified.
    pub organisation_id: i64,
    /// The API key it used, for the `"api"` channel.
    pub api_key_id: Option<i64>,
    /// The console user who scanned, for the `"scanner"` channel.
    pub user_id: Option<i64>,
    /// The purpose it verified for.
    pub purpose: String,
    /// How: `"api"` or `"scanner"`.
    pub channel: String,
    /// The outcome: `"valid"` or `"not_valid"`.
    pub result: String,
    /// The licence (档案编号), when the presented credential named a stored one.
    pub file_number: Option<FileNumber>,
    /// The licence's region, when known; counted under "no region" otherwise.
    pub region: Option<RegionCode>,
}

/// A recorded verification.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verification {
    /// The database id; ids grow in the order verifications were recorded.
    pub id: i64,
    /// What was recorded.
    pub verification: NewVerification,
}

/// How many verifications of one day, region and purpose gave each result (the `daily_verifications` rollup).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DailyVerifications {
    /// The calendar day in China Standard Time (see [`rollup_day`]).
    pub day: Date,
    /// The licences' region; `None` for verifications that named no region.
    pub region: Option<RegionCode>,
    /// The purpose.
    pub purpose: String,
    /// Verifications whose result was `"valid"`.
    pub valid: u64,
    /// Verifications whose result was `"not_valid"`.
    pub not_valid: u64,
}

/// How many verifications of one day and purpose gave each result, over every region (the
/// `national_daily_verifications` rollup, which equals [`DailyVerifications`] summed over regions).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NationalDailyVerifications {
    /// The calendar day in China Standard Time (see [`rollup_day`]).
    pub day: Date,
    /// The purpose.
    pub purpose: String,
    /// Verifications whose result was `"valid"`.
    pub valid: u64,
    /// Verifications whose result was `"not_valid"`.
    pub not_valid: u64,
}

/// How many credentials were claimed on one day over every region ([`DailyClaims`] summed over regions).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NationalDailyClaims {
    /// The calendar day in China Standard Time (see [`rollup_day`]) of the credentials' `issued_at`.
    pub day: Date,
    /// Credentials issued.
    pub claims: u64,
    /// Credentials that were their licence's first.
    pub first_claims: u64,
}

/// How many credentials were claimed (申领) on one day in one region (the `daily_claims` rollup).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DailyClaims {
    /// The calendar day in China Standard Time (see [`rollup_day`]) of the credential's `issued_at`.
    pub day: Date,
    /// The licences' region.
    pub region: RegionCode,
    /// Credentials issued.
    pub claims: u64,
    /// Credentials that were their licence's first.
    pub first_claims: u64,
}

/// What `Debug` shows in place of a secret.
const REDACTED: Redacted = Redacted;

/// Prints `<redacted>` as a `Debug` field value.
struct Redacted;

impl fmt::Debug for Redacted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

#[cfg(test)]
mod tests {
    use edl_domain::RegionCode;
    use time::macros::{date, datetime};

    use super::*;

    fn citizen_id() -> CitizenId {
        let region = RegionCode::from_u32(120101).expect("a region in the table");
        CitizenId::from_parts(region, date!(1980 - 05 - 17), 1).expect("a valid citizen id")
    }

    #[test]
    fn debug_of_accounts_masks_the_citizen_id_and_hides_the_password_hash() {
        let file_number = FileNumber::parse("120100001234").expect("twelve digits");
        let hash = "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNo".to_owned();
        let new = NewAccount {
            citizen_id: citizen_id(),
            file_number: file_number.clone(),
            password_hash: hash.clone(),
            created_at: datetime!(2025-03-01 08:00:00 UTC),
        };
        let account = Account {
            id: 7,
            citizen_id: citizen_id(),
            file_number,
            password_hash: hash.clone(),
            created_at: new.created_at,
        };

        for debug in [format!("{new:?}"), format!("{account:?}")] {
            assert!(!debug.contains(citizen_id().as_str()), "{debug}");
            assert!(!debug.contains("120100001234"), "{debug}");
            assert!(!debug.contains("argon2"), "{debug}");
            assert!(debug.contains(&citizen_id().masked()), "{debug}");
        }
    }

    #[test]
    fn debug_of_sessions_hides_the_tokens() {
        let new = NewSession {
            token_hash: [0xab; 32],
            account_id: 7,
            csrf_token: "csrf-secret-0123456789".to_owned(),
            created_at: datetime!(2025-03-01 08:00:00 UTC),
            expires_at: datetime!(2025-03-01 09:00:00 UTC),
        };
        let session = Session {
            account_id: 7,
            csrf_token: new.csrf_token.clone(),
            created_at: new.created_at,
            expires_at: new.expires_at,
        };

        for debug in [format!("{new:?}"), format!("{session:?}")] {
            assert!(!debug.contains("csrf-secret"), "{debug}");
            assert!(!debug.contains("171"), "{debug}");
        }
    }

    #[test]
    fn debug_of_console_values_hides_password_hashes_keys_and_tokens() {
        let user = NewConsoleUser {
            username: "admin".to_owned(),
            password_hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".to_owned(),
            role: ConsoleRole::Platform,
            authority_id: None,
            organisation_id: None,
            created_at: datetime!(2025-03-01 08:00:00 UTC),
        };
        let stored = ConsoleUser {
            id: 1,
            user: user.clone(),
            disabled_at: None,
        };
        let session = NewConsoleSession {
            token_hash: [0xab; 32],
            user_id: 1,
            csrf_token: "csrf-secret-0123456789".to_owned(),
            created_at: datetime!(2025-03-01 08:00:00 UTC),
            expires_at: datetime!(2025-03-01 09:00:00 UTC),
        };
        let live = ConsoleSession {
            user_id: 1,
            csrf_token: session.csrf_token.clone(),
            created_at: session.created_at,
            expires_at: session.expires_at,
        };
        let key = NewApiKey {
            organisation_id: 1,
            key_hash: [0xcd; 32],
            prefix: "edl_cd".to_owned(),
            label: "front desk".to_owned(),
            created_at: datetime!(2025-03-01 08:00:00 UTC),
        };
        let api_key = ApiKey {
            id: 1,
            key: key.clone(),
            revoked_at: None,
        };

        for debug in [
            format!("{user:?}"),
            format!("{stored:?}"),
            format!("{session:?}"),
            format!("{live:?}"),
            format!("{key:?}"),
            format!("{api_key:?}"),
        ] {
            assert!(!debug.contains("argon2"), "{debug}");
            assert!(!debug.contains("csrf-secret"), "{debug}");
            assert!(!debug.contains("171"), "{debug}");
            assert!(!debug.contains("205"), "{debug}");
        }
        assert!(format!("{api_key:?}").contains("edl_cd"));
    }
}
