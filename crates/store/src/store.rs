//! The [`Store`] trait: the registry's persistence in domain terms.

use std::future::Future;

use edl_domain::{
    CitizenId, FileNumber, IssuingAuthority, Licence, RegionCode, RolloutEntry, RolloutSchedule,
};
use time::{Date, OffsetDateTime};

use crate::{
    Account, ApiKey, AuthorityId, AuthorityRecord, BatchOutcome, CheckEvent, ConsoleSession,
    ConsoleUser, CredentialRecord, CredentialState, DailyClaims, DailyVerifications, HistoryEntry,
    ImportRecord, ImportRun, ImportSourceId, NationalDailyClaims, NationalDailyVerifications,
    NewAccount, NewApiKey, NewCheckEvent, NewConsoleSession, NewConsoleUser, NewCredential,
    NewHistoryEntry, NewOrganisation, NewSession, NewShare, NewVerification, Organisation,
    RegionCount, Session, Share, StoreError, StoredLicence, Verification,
};

/// The licence registry's storage: authorities, licences with their history, imports, the rollout schedule,
/// credentials, the holder's web-wallet accounts, sessions, claim challenges, check events and shares, and the
/// operator console's users, sessions, organisations, API keys, verification audit and daily rollups.
///
/// Every backend (SQLite, PostgreSQL) implements it and passes the same conformance suite
/// (`edl_store::conformance`, feature `conformance`).
/// A store is a cheap handle around a connection pool: clone it freely.
///
/// Methods return futures that are `Send`, so use cases can run them on a multi-threaded runtime.
/// No method returns personal data in an error.
pub trait Store: Send + Sync + Clone + 'static {
    /// Checks that the database answers.
    fn ping(&self) -> impl Future<Output = Result<(), StoreError>> + Send;

    // Authorities.

    /// Returns the id of the authority with this name, adding it first if it is new.
    ///
    /// Idempotent. Fails with [`StoreError::Conflict`] `{ constraint: "authority_region" }` if an authority with
    /// the same name is stored with another region.
    fn ensure_authority(
        &self,
        authority: &IssuingAuthority,
    ) -> impl Future<Output = Result<AuthorityId, StoreError>> + Send;

    /// Every stored authority, ordered by id.
    fn list_authorities(
        &self,
    ) -> impl Future<Output = Result<Vec<AuthorityRecord>, StoreError>> + Send;

    // Import.

    /// Registers an import of the file with this SHA-256 and returns its source id.
    ///
    /// Idempotent: the same hash always gives the same id, so a restarted import continues under its first id
    /// (and keeps its first `started_at`).
    fn begin_import(
        &self,
        file_sha256: [u8; 32],
        at: OffsetDateTime,
    ) -> impl Future<Output = Result<ImportSourceId, StoreError>> + Send;

    /// Imports one batch of records from `source` in one transaction.
    ///
    /// Each record is classified:
    /// - no licence with its 档案编号 (file number) is stored: inserted, with `source`, line and digest as provenance;
    /// - an earlier record of `records` has the same file number: [`ConflictKind::DuplicateInFile`](crate::ConflictKind::DuplicateInFile) naming that record's line;
    /// - the stored licence came from the same source and line: unchanged (a restarted import);
    /// - the stored licence came from the same source but another line: `DuplicateInFile` naming the stored line;
    /// - the stored licence came from another source with the same digest: unchanged;
    /// - otherwise (another source and digest, or a licence inserted without provenance):
    ///   [`ConflictKind::DifferentRecordInRegistry`](crate::ConflictKind::DifferentRecordInRegistry).
    ///
    /// Importing the same file again, whole or from any restart point, therefore stores each record exactly once.
    ///
    /// Every `authority_id` must name the record's licence authority (the licence's region is stored from it):
    /// an unknown id fails the batch with [`StoreError::NotFound`] `{ what: "authority" }`, another authority's id
    /// with [`StoreError::Conflict`] `{ constraint: "authority_id" }`; a failed batch writes nothing.
    fn import_batch(
        &self,
        source: ImportSourceId,
        records: &[ImportRecord<'_>],
    ) -> impl Future<Output = Result<BatchOutcome, StoreError>> + Send;

    /// Records that a run over `source` finished at `at` with these totals (replacing an earlier run's totals).
    ///
    /// Fails with [`StoreError::NotFound`] `{ what: "import" }` for an unknown source.
    fn finish_import(
        &self,
        source: ImportSourceId,
        at: OffsetDateTime,
        inserted: u64,
        unchanged: u64,
        rejected: u64,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Every import source, ordered by id.
    fn imports(&self) -> impl Future<Output = Result<Vec<ImportRun>, StoreError>> + Send;

    // Licences.

    /// Adds one licence without import provenance (for tests and demos), at version 1.
    ///
    /// Fails with [`StoreError::Conflict`] `{ constraint: "file_number" }` if the file number is taken.
    fn insert_licence(
        &self,
        licence: &Licence,
        authority_id: AuthorityId,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// The licence with this 档案编号 (file number), if stored.
    fn licence(
        &self,
        file_number: &FileNumber,
    ) -> impl Future<Output = Result<Option<StoredLicence>, StoreError>> + Send;

    /// Every licence of the holder with this 证号 (citizen id), ordered by file number.
    fn licences_by_citizen_id(
        &self,
        citizen_id: &CitizenId,
    ) -> impl Future<Output = Result<Vec<StoredLicence>, StoreError>> + Send;

    /// Replaces the stored licence with the same file number and appends `entry` to its history, in one transaction.
    ///
    /// The write happens only if the stored version is still `expected_version`; it returns the new version
    /// (`expected_version + 1`).
    /// Fails with [`StoreError::StaleVersion`] if the licence changed in the meantime and with
    /// [`StoreError::NotFound`] `{ what: "licence" }` if there is no such licence; neither writes anything.
    /// A licence whose authority is not stored yet adds it as [`Store::ensure_authority`] would.
    fn update_licence(
        &self,
        expected_version: i64,
        licence: &Licence,
        entry: NewHistoryEntry,
    ) -> impl Future<Output = Result<i64, StoreError>> + Send;

    /// The change history of a licence, oldest first (in the order entries were appended).
    ///
    /// History is append-only: there is no way to change or remove an entry, and backends make the database refuse it too.
    fn history(
        &self,
        file_number: &FileNumber,
    ) -> impl Future<Output = Result<Vec<HistoryEntry>, StoreError>> + Send;

    /// How many licences are stored.
    fn count_licences(&self) -> impl Future<Output = Result<u64, StoreError>> + Send;

    // Rollout.

    /// Adds the rollout entry for its region, or replaces the region's entry.
    fn set_rollout(
        &self,
        entry: &RolloutEntry,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// The rollout schedule: every entry, ordered by region.
    fn rollout(&self) -> impl Future<Output = Result<RolloutSchedule, StoreError>> + Send;

    /// Licence counts per licence region, ordered by region, with the display-state breakdown of their status
    /// (from [`StatusSet::display_state`](edl_domain::StatusSet::display_state), so expiry is not considered),
    /// how many of them were ever claimed (see [`Store::insert_credential`]) and the region's rollout date.
    ///
    /// Reads only summary tables kept beside the licences, never the licences themselves.
    fn region_counts(&self) -> impl Future<Output = Result<Vec<RegionCount>, StoreError>> + Send;

    // Credentials and status lists.

    /// Records an issued credential and allocates its status-list index: the next unused index
    /// of its region, in the same transaction. Fails with `NotFound` if the licence is unknown.
    ///
    /// In the same transaction it counts the claim for the dashboard, under the licence's region and the
    /// [`rollup_day`](crate::rollup_day) of `issued_at`: one more claim in [`Store::daily_claims`], and, if the
    /// licence had no credential before, one more first claim there and one more claimed licence of the region
    /// in [`Store::region_counts`]. Concurrent credentials for one licence count one first claim.
    fn insert_credential(
        &self,
        credential: &NewCredential,
    ) -> impl Future<Output = Result<CredentialRecord, StoreError>> + Send;

    /// The credentials issued for a licence, oldest first.
    fn credentials(
        &self,
        file_number: &FileNumber,
    ) -> impl Future<Output = Result<Vec<CredentialRecord>, StoreError>> + Send;

    /// Marks a credential withdrawn at `at` (idempotent: an earlier withdrawal time is kept).
    /// `NotFound` if there is no such credential.
    fn withdraw_credential(
        &self,
        id: i64,
        at: OffsetDateTime,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// The licence a credential was issued for and the credential's state now, found by its place
    /// in a status list: what an online verifier learns from a verified code (the state it would
    /// otherwise read from the published list, and whose licence it is even when the code discloses
    /// neither 档案编号 nor 证号), in one read. `None` if no credential has this index in `region`'s
    /// list.
    fn credential_licence(
        &self,
        region: RegionCode,
        status_index: u64,
    ) -> impl Future<Output = Result<Option<(FileNumber, CredentialState)>, StoreError>> + Send;

    /// [`credential_licence`](Store::credential_licence) of many places in one read: one answer per
    /// place, in the order given (a place may repeat). An online verifier under load reads the
    /// states of the codes that arrived together at once, one round trip for all of them.
    fn credential_licences(
        &self,
        places: &[(RegionCode, u64)],
    ) -> impl Future<Output = Result<Vec<Option<(FileNumber, CredentialState)>>, StoreError>> + Send;

    /// How many indexes the status list of `region` has allocated (its length).
    fn status_list_len(
        &self,
        region: RegionCode,
    ) -> impl Future<Output = Result<u64, StoreError>> + Send;

    /// The state of the credentials of `region` with index `>= from`, ordered by index, at most
    /// `limit` of them: a status list is built page by page in constant memory.
    fn credential_states(
        &self,
        region: RegionCode,
        from: u64,
        limit: u32,
    ) -> impl Future<Output = Result<Vec<CredentialState>, StoreError>> + Send;

    /// When anything that decides the statuses of `region`'s list last changed: the newest
    /// history entry of its licences, credential issued or withdrawn. `None` if nothing ever did.
    fn last_status_change(
        &self,
        region: RegionCode,
    ) -> impl Future<Output = Result<Option<OffsetDateTime>, StoreError>> + Send;

    // The holder's web wallet (issue 6): accounts, sessions, claim challenges, check events, shares.
    // Tokens and nonces are stored only as their SHA-256.

    /// Creates a web-wallet account bound to the licence `account.file_number`.
    ///
    /// Fails with [`StoreError::NotFound`] `{ what: "licence" }` if no licence has this file number and this 证号
    /// (an unknown licence, or a 证号 that is not the licence's), and with [`StoreError::Conflict`]
    /// `{ constraint: "account_file_number" }` if the licence already has an account, or
    /// `{ constraint: "account_citizen_id" }` if the 证号 already has one (through another of its licences).
    /// A licence that is taken is reported as such even if its 证号 is taken too. Nothing is written on failure.
    fn create_account(
        &self,
        account: &NewAccount,
    ) -> impl Future<Output = Result<Account, StoreError>> + Send;

    /// The account with this id, if any.
    fn account(&self, id: i64) -> impl Future<Output = Result<Option<Account>, StoreError>> + Send;

    /// The account of the holder with this 证号 (citizen id), if any.
    fn account_by_citizen_id(
        &self,
        citizen_id: &CitizenId,
    ) -> impl Future<Output = Result<Option<Account>, StoreError>> + Send;

    /// Records a login session.
    ///
    /// Fails with [`StoreError::NotFound`] `{ what: "account" }` for an unknown account and with
    /// [`StoreError::Conflict`] `{ constraint: "session_token" }` if the token hash is already stored.
    fn create_session(
        &self,
        session: &NewSession,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// The session whose token has this SHA-256, unless it has expired at `now` (`expires_at <= now`).
    fn session(
        &self,
        token_hash: &[u8; 32],
        now: OffsetDateTime,
    ) -> impl Future<Output = Result<Option<Session>, StoreError>> + Send;

    /// Ends the session whose token has this SHA-256 (logout). Idempotent: an unknown session is not an error.
    fn delete_session(
        &self,
        token_hash: &[u8; 32],
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Deletes every session that has expired at `now` and returns how many there were.
    fn delete_expired_sessions(
        &self,
        now: OffsetDateTime,
    ) -> impl Future<Output = Result<u64, StoreError>> + Send;

    /// Records a claim (申领) challenge for `account_id`: the SHA-256 of the nonce the holder's device must sign,
    /// usable once until `expires_at`.
    ///
    /// Fails with [`StoreError::NotFound`] `{ what: "account" }` for an unknown account and with
    /// [`StoreError::Conflict`] `{ constraint: "claim_nonce" }` if the nonce hash is already stored.
    fn create_claim_challenge(
        &self,
        nonce_hash: &[u8; 32],
        account_id: i64,
        expires_at: OffsetDateTime,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Uses up the claim challenge with this nonce hash: `true` exactly once, for its own account, before it
    /// expires (`now < expires_at`).
    ///
    /// `false` for an unknown nonce, an expired one, another account's, or one already used (a replay).
    /// Atomic: one conditional `UPDATE`, so of any number of concurrent calls at most one gets `true`.
    fn consume_claim_challenge(
        &self,
        nonce_hash: &[u8; 32],
        account_id: i64,
        now: OffsetDateTime,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;

    /// Records a check of a licence (an online verification or a share opened).
    ///
    /// Fails with [`StoreError::NotFound`] `{ what: "licence" }` if the licence is unknown.
    fn insert_check_event(
        &self,
        event: &NewCheckEvent,
    ) -> impl Future<Output = Result<CheckEvent, StoreError>> + Send;

    /// The checks of a licence, newest first (by `at`, then by id), at most `limit` of them.
    fn check_events(
        &self,
        file_number: &FileNumber,
        limit: u32,
    ) -> impl Future<Output = Result<Vec<CheckEvent>, StoreError>> + Send;

    /// Records a share of the account's licence.
    ///
    /// Fails with [`StoreError::NotFound`] `{ what: "account" }` if the account is unknown or `share.file_number`
    /// is not its licence, and with [`StoreError::Conflict`] `{ constraint: "share_token" }` if the token hash is
    /// already stored.
    fn insert_share(
        &self,
        share: &NewShare,
    ) -> impl Future<Output = Result<Share, StoreError>> + Send;

    /// The shares an account made, newest first (by `created_at`, then by id), withdrawn and expired ones included.
    fn shares(
        &self,
        account_id: i64,
    ) -> impl Future<Output = Result<Vec<Share>, StoreError>> + Send;

    /// The share whose link token has this SHA-256, if any, whether or not it is withdrawn or expired (the caller
    /// refuses those, and can say why).
    fn share_by_token(
        &self,
        token_hash: &[u8; 32],
    ) -> impl Future<Output = Result<Option<Share>, StoreError>> + Send;

    /// Withdraws the share `id` of `account_id` at `at`: `true` if it did, `false` if the share is unknown,
    /// another account's or already withdrawn. Never changes another account's share.
    fn withdraw_share(
        &self,
        id: i64,
        account_id: i64,
        at: OffsetDateTime,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;

    // The operator console (issue 7): console users and sessions, verifier organisations and their API keys,
    // the verification audit and the daily rollups. Session tokens and API keys are stored only as their SHA-256.

    /// Creates a console user.
    ///
    /// The role decides the scope (see [`ConsoleRole::allows_scope`](crate::ConsoleRole::allows_scope)); any other
    /// combination fails with [`StoreError::Conflict`] `{ constraint: "console_role_scope" }`, and a username that
    /// is empty or longer than 64 characters with `{ constraint: "console_username_length" }`, both before
    /// anything is read. Fails with [`StoreError::NotFound`] `{ what: "authority" }` or `{ what: "organisation" }`
    /// for an unknown id, and with [`StoreError::Conflict`] `{ constraint: "console_username" }` if the username
    /// is taken. Nothing is written on failure.
    fn create_console_user(
        &self,
        user: &NewConsoleUser,
    ) -> impl Future<Output = Result<ConsoleUser, StoreError>> + Send;

    /// The console user with this id, if any.
    fn console_user(
        &self,
        id: i64,
    ) -> impl Future<Output = Result<Option<ConsoleUser>, StoreError>> + Send;

    /// The console user with this username (exact, case-sensitive), if any.
    fn console_user_by_name(
        &self,
        username: &str,
    ) -> impl Future<Output = Result<Option<ConsoleUser>, StoreError>> + Send;

    /// Every console user, ordered by id.
    fn console_users(&self) -> impl Future<Output = Result<Vec<ConsoleUser>, StoreError>> + Send;

    /// Records a console login session.
    ///
    /// Fails with [`StoreError::NotFound`] `{ what: "console_user" }` for an unknown user and with
    /// [`StoreError::Conflict`] `{ constraint: "console_session_token" }` if the token hash is already stored.
    fn create_console_session(
        &self,
        session: &NewConsoleSession,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// The console session whose token has this SHA-256, unless it has expired at `now` (`expires_at <= now`).
    ///
    /// Whether the user is disabled is the caller's to check ([`ConsoleUser::disabled_at`](crate::ConsoleUser)).
    fn console_session(
        &self,
        token_hash: &[u8; 32],
        now: OffsetDateTime,
    ) -> impl Future<Output = Result<Option<ConsoleSession>, StoreError>> + Send;

    /// Ends the console session whose token has this SHA-256 (logout). Idempotent: an unknown session is not an
    /// error.
    fn delete_console_session(
        &self,
        token_hash: &[u8; 32],
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Disables (`Some(at)`) or re-enables (`None`) the console user with this name and returns the user as now
    /// stored. Disabling also ends every session of the user, in the same transaction; a disabled user cannot log
    /// in (the caller checks [`ConsoleUser::disabled_at`](crate::ConsoleUser)). Users are never deleted: the
    /// history and the audit name them.
    ///
    /// Fails with [`StoreError::NotFound`] `{ what: "console_user" }` for an unknown name.
    fn set_console_user_disabled(
        &self,
        username: &str,
        disabled_at: Option<OffsetDateTime>,
    ) -> impl Future<Output = Result<ConsoleUser, StoreError>> + Send;

    /// Deletes every console session expired at `now` (`expires_at <= now`) and returns how many.
    fn delete_expired_console_sessions(
        &self,
        now: OffsetDateTime,
    ) -> impl Future<Output = Result<u64, StoreError>> + Send;

    /// Creates a verifier organisation.
    ///
    /// Fails with [`StoreError::Conflict`] `{ constraint: "organisation_name" }` if the name is taken, and with
    /// `{ constraint: "organisation_purposes" }` if a purpose is empty or contains whitespace (purposes are stored
    /// space-separated).
    fn create_organisation(
        &self,
        organisation: &NewOrganisation,
    ) -> impl Future<Output = Result<Organisation, StoreError>> + Send;

    /// The organisation with this id, if any.
    fn organisation(
        &self,
        id: i64,
    ) -> impl Future<Output = Result<Option<Organisation>, StoreError>> + Send;

    /// Every organisation, ordered by id.
    fn organisations(&self) -> impl Future<Output = Result<Vec<Organisation>, StoreError>> + Send;

    /// Records an API key of an organisation.
    ///
    /// Fails with [`StoreError::NotFound`] `{ what: "organisation" }` for an unknown organisation and with
    /// [`StoreError::Conflict`] `{ constraint: "api_key" }` if the key hash is already stored.
    fn create_api_key(
        &self,
        key: &NewApiKey,
    ) -> impl Future<Output = Result<ApiKey, StoreError>> + Send;

    /// The API key whose SHA-256 is `key_hash`, if any, revoked or not (the caller refuses a revoked key).
    fn api_key_by_hash(
        &self,
        key_hash: &[u8; 32],
    ) -> impl Future<Output = Result<Option<ApiKey>, StoreError>> + Send;

    /// The API keys of an organisation, revoked ones included, ordered by id.
    fn api_keys(
        &self,
        organisation_id: i64,
    ) -> impl Future<Output = Result<Vec<ApiKey>, StoreError>> + Send;

    /// Revokes the key `id` of `organisation_id` at `at`: `true` if it did now, `false` if the key is unknown,
    /// another organisation's or already revoked (whose earlier revocation time is kept). Never changes another
    /// organisation's key.
    fn revoke_api_key(
        &self,
        id: i64,
        organisation_id: i64,
        at: OffsetDateTime,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;

    /// Records a batch of verifications in one transaction (the verification API batches its audit writes).
    ///
    /// Each one is appended to the audit (listed by [`Store::verifications`]); one that names a licence is also a
    /// check event of that licence ([`Store::check_events`]) with the organisation's name as verifier; and each is
    /// counted in the [`Store::daily_verifications`] rollup under the [`rollup_day`](crate::rollup_day) of `at`,
    /// its region (none if `None`), purpose and result.
    ///
    /// Fails with [`StoreError::NotFound`] `{ what: "organisation" }` or `{ what: "licence" }` if any verification
    /// names an unknown one; a failed batch writes nothing. An empty batch writes nothing and succeeds.
    /// The audit is append-only: there is no way to change or remove a verification, and the database refuses it.
    fn record_verifications(
        &self,
        verifications: &[NewVerification],
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// The verifications of an organisation, newest first (by `at`, then by id), at most `limit` of them.
    fn verifications(
        &self,
        organisation_id: i64,
        limit: u32,
    ) -> impl Future<Output = Result<Vec<Verification>, StoreError>> + Send;

    /// The daily verification counts from `from` to `to` (inclusive days in China Standard Time), ordered by day,
    /// region (no region first) and purpose.
    ///
    /// `None` gives every region's rows (the national view, one row per region), `Some(region)` only that
    /// region's. Reads only the rollup table.
    fn daily_verifications(
        &self,
        region: Option<RegionCode>,
        from: Date,
        to: Date,
    ) -> impl Future<Output = Result<Vec<DailyVerifications>, StoreError>> + Send;

    /// The daily claim counts from `from` to `to` (inclusive days in China Standard Time), ordered by day and
    /// region; `None` gives every region's rows, `Some(region)` only that region's. Reads only the rollup table.
    fn daily_claims(
        &self,
        region: Option<RegionCode>,
        from: Date,
        to: Date,
    ) -> impl Future<Output = Result<Vec<DailyClaims>, StoreError>> + Send;

    /// The nation's daily verification counts from `from` to `to` (inclusive days in China Standard Time), one
    /// row per day and purpose with verifications, summed over every region (and over verifications that named
    /// no region), ordered by day and purpose. Reads only the `national_daily_verifications` rollup, which
    /// [`Store::record_verifications`] keeps in the same transaction as the audit.
    fn national_daily_verifications(
        &self,
        from: Date,
        to: Date,
    ) -> impl Future<Output = Result<Vec<NationalDailyVerifications>, StoreError>> + Send;

    /// The nation's daily claim counts from `from` to `to` (inclusive days in China Standard Time), one row per
    /// day with claims, summed over every region of the `daily_claims` rollup, ordered by day.
    fn national_daily_claims(
        &self,
        from: Date,
        to: Date,
    ) -> impl Future<Output = Result<Vec<NationalDailyClaims>, StoreError>> + Send;
}
