//! [`AnyStore`]: the backend chosen at start-up from the database URL, behind one type.
//!
//! An enum that forwards every [`Store`] method (nl-wallet's `SessionStoreVariant` pattern): handlers
//! and commands stay non-generic, with no `dyn` and no boxing.

use edl_domain::{
    CitizenId, FileNumber, IssuingAuthority, Licence, RegionCode, RolloutEntry, RolloutSchedule,
};
use edl_store::{
    Account, ApiKey, AuthorityId, AuthorityRecord, BatchOutcome, CheckEvent, ConsoleSession,
    ConsoleUser, CredentialRecord, CredentialState, DailyClaims, DailyVerifications, HistoryEntry,
    ImportRecord, ImportRun, ImportSourceId, NationalDailyClaims, NationalDailyVerifications,
    NewAccount, NewApiKey, NewCheckEvent, NewConsoleSession, NewConsoleUser, NewCredential,
    NewHistoryEntry, NewOrganisation, NewSession, NewShare, NewVerification, Organisation,
    RegionCount, Session, Share, Store, StoreError, StoredLicence, Verification,
};
use edl_store_postgres::PgStore;
use edl_store_sqlite::SqliteStore;
use time::{Date, OffsetDateTime};

use crate::DatabaseUrl;

/// The registry on whichever engine the URL names.
#[derive(Clone, Debug)]
pub enum AnyStore {
    /// An embedded SQLite file.
    Sqlite(SqliteStore),
    /// A PostgreSQL server.
    Postgres(PgStore),
}

impl AnyStore {
    /// Opens the registry (creating a SQLite file and its directory if needed) and applies migrations.
    pub async fn open(url: &DatabaseUrl) -> Result<AnyStore, StoreError> {
        match url {
            DatabaseUrl::Sqlite(path) => {
                if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
                    std::fs::create_dir_all(parent)
                        .map_err(|e| StoreError::Unavailable(Box::new(e)))?;
                }
                Ok(AnyStore::Sqlite(SqliteStore::open(path).await?))
            }
            DatabaseUrl::Postgres(url) => Ok(AnyStore::Postgres(PgStore::connect(url).await?)),
        }
    }

    /// The migration versions applied to the database, in order.
    pub async fn applied_migrations(&self) -> Result<Vec<i64>, StoreError> {
        match self {
            AnyStore::Sqlite(s) => s.migrate().await,
            AnyStore::Postgres(s) => s.migrate().await,
        }
    }
}

/// Runs the same expression on whichever backend `$store` holds.
macro_rules! dispatch {
    ($store:expr, $s:ident => $call:expr) => {
        match $store {
            AnyStore::Sqlite($s) => $call,
            AnyStore::Postgres($s) => $call,
        }
    };
}

impl Store for AnyStore {
    async fn ping(&self) -> Result<(), StoreError> {
        match self {
            AnyStore::Sqlite(s) => s.ping().await,
            AnyStore::Postgres(s) => s.ping().await,
        }
    }

    async fn ensure_authority(
        &self,
        authority: &IssuingAuthority,
    ) -> Result<AuthorityId, StoreError> {
        match self {
            AnyStore::Sqlite(s) => s.ensure_authority(authority).await,
            AnyStore::Postgres(s) => s.ensure_authority(authority).await,
        }
    }

    async fn list_authorities(&self) -> Result<Vec<AuthorityRecord>, StoreError> {
        match self {
            AnyStore::Sqlite(s) => s.list_authorities().await,
            AnyStore::Postgres(s) => s.list_authorities().await,
        }
    }

    async fn begin_import(
        &self,
        file_sha256: [u8; 32],
        at: OffsetDateTime,
    ) -> Result<ImportSourceId, StoreError> {
        match self {
            AnyStore::Sqlite(s) => s.begin_import(file_sha256, at).await,
            AnyStore::Postgres(s) => s.begin_import(file_sha256, at).await,
        }
    }

    async fn import_batch(
        &self,
        source: ImportSourceId,
        records: &[ImportRecord<'_>],
    ) -> Result<BatchOutcome, StoreError> {
        match self {
            AnyStore::Sqlite(s) => s.import_batch(source, records).await,
            AnyStore::Postgres(s) => s.import_batch(source, records).await,
        }
    }

    async fn finish_import(
        &self,
        source: ImportSourceId,
        at: OffsetDateTime,
        inserted: u64,
        unchanged: u64,
        rejected: u64,
    ) -> Result<(), StoreError> {
        match self {
            AnyStore::Sqlite(s) => {
                s.finish_import(source, at, inserted, unchanged, rejected)
                    .await
            }
            AnyStore::Postgres(s) => {
                s.finish_import(source, at, inserted, unchanged, rejected)
                    .await
            }
        }
    }

    async fn imports(&self) -> Result<Vec<ImportRun>, StoreError> {
        match self {
            AnyStore::Sqlite(s) => s.imports().await,
            AnyStore::Postgres(s) => s.imports().await,
        }
    }

    async fn insert_licence(
        &self,
        licence: &Licence,
        authority_id: AuthorityId,
    ) -> Result<(), StoreError> {
        match self {
            AnyStore::Sqlite(s) => s.insert_licence(licence, authority_id).await,
            AnyStore::Postgres(s) => s.insert_licence(licence, authority_id).await,
        }
    }

    async fn licence(&self, file_number: &FileNumber) -> Result<Option<StoredLicence>, StoreError> {
        match self {
            AnyStore::Sqlite(s) => s.licence(file_number).await,
            AnyStore::Postgres(s) => s.licence(file_number).await,
        }
    }

    async fn licences_by_citizen_id(
        &self,
        citizen_id: &CitizenId,
    ) -> Result<Vec<StoredLicence>, StoreError> {
        match self {
            AnyStore::Sqlite(s) => s.licences_by_citizen_id(citizen_id).await,
            AnyStore::Postgres(s) => s.licences_by_citizen_id(citizen_id).await,
        }
    }

    async fn update_licence(
        &self,
        expected_version: i64,
        licence: &Licence,
        entry: NewHistoryEntry,
    ) -> Result<i64, StoreError> {
        match self {
            AnyStore::Sqlite(s) => s.update_licence(expected_version, licence, entry).await,
            AnyStore::Postgres(s) => s.update_licence(expected_version, licence, entry).await,
        }
    }

    async fn history(&self, file_number: &FileNumber) -> Result<Vec<HistoryEntry>, StoreError> {
        match self {
            AnyStore::Sqlite(s) => s.history(file_number).await,
            AnyStore::Postgres(s) => s.history(file_number).await,
        }
    }

    async fn count_licences(&self) -> Result<u64, StoreError> {
        match self {
            AnyStore::Sqlite(s) => s.count_licences().await,
            AnyStore::Postgres(s) => s.count_licences().await,
        }
    }

    async fn set_rollout(&self, entry: &RolloutEntry) -> Result<(), StoreError> {
        match self {
            AnyStore::Sqlite(s) => s.set_rollout(entry).await,
            AnyStore::Postgres(s) => s.set_rollout(entry).await,
        }
    }

    async fn rollout(&self) -> Result<RolloutSchedule, StoreError> {
        match self {
            AnyStore::Sqlite(s) => s.rollout().await,
            AnyStore::Postgres(s) => s.rollout().await,
        }
    }

    async fn region_counts(&self) -> Result<Vec<RegionCount>, StoreError> {
        match self {
            AnyStore::Sqlite(s) => s.region_counts().await,
            AnyStore::Postgres(s) => s.region_counts().await,
        }
    }

    async fn insert_credential(
        &self,
        credential: &NewCredential,
    ) -> Result<CredentialRecord, StoreError> {
        dispatch!(self, s => s.insert_credential(credential).await)
    }

    async fn credentials(
        &self,
        file_number: &FileNumber,
    ) -> Result<Vec<CredentialRecord>, StoreError> {
        dispatch!(self, s => s.credentials(file_number).await)
    }

    async fn withdraw_credential(&self, id: i64, at: OffsetDateTime) -> Result<(), StoreError> {
        dispatch!(self, s => s.withdraw_credential(id, at).await)
    }

    async fn credential_licence(
        &self,
        region: RegionCode,
        status_index: u64,
    ) -> Result<Option<(FileNumber, CredentialState)>, StoreError> {
        dispatch!(self, s => s.credential_licence(region, status_index).await)
    }

    async fn credential_licences(
        &self,
        places: &[(RegionCode, u64)],
    ) -> Result<Vec<Option<(FileNumber, CredentialState)>>, StoreError> {
        dispatch!(self, s => s.credential_licences(places).await)
    }

    async fn status_list_len(&self, region: RegionCode) -> Result<u64, StoreError> {
        dispatch!(self, s => s.status_list_len(region).await)
    }

    async fn credential_states(
        &self,
        region: RegionCode,
        from: u64,
        limit: u32,
    ) -> Result<Vec<CredentialState>, StoreError> {
        dispatch!(self, s => s.credential_states(region, from, limit).await)
    }

    async fn last_status_change(
        &self,
        region: RegionCode,
    ) -> Result<Option<OffsetDateTime>, StoreError> {
        dispatch!(self, s => s.last_status_change(region).await)
    }

    async fn create_account(&self, account: &NewAccount) -> Result<Account, StoreError> {
        dispatch!(self, s => s.create_account(account).await)
    }

    async fn account(&self, id: i64) -> Result<Option<Account>, StoreError> {
        dispatch!(self, s => s.account(id).await)
    }

    async fn account_by_citizen_id(
        &self,
        citizen_id: &CitizenId,
    ) -> Result<Option<Account>, StoreError> {
        dispatch!(self, s => s.account_by_citizen_id(citizen_id).await)
    }

    async fn create_session(&self, session: &NewSession) -> Result<(), StoreError> {
        dispatch!(self, s => s.create_session(session).await)
    }

    async fn session(
        &self,
        token_hash: &[u8; 32],
        now: OffsetDateTime,
    ) -> Result<Option<Session>, StoreError> {
        dispatch!(self, s => s.session(token_hash, now).await)
    }

    async fn delete_session(&self, token_hash: &[u8; 32]) -> Result<(), StoreError> {
        dispatch!(self, s => s.delete_session(token_hash).await)
    }

    async fn delete_expired_sessions(&self, now: OffsetDateTime) -> Result<u64, StoreError> {
        dispatch!(self, s => s.delete_expired_sessions(now).await)
    }

    async fn create_claim_challenge(
        &self,
        nonce_hash: &[u8; 32],
        account_id: i64,
        expires_at: OffsetDateTime,
    ) -> Result<(), StoreError> {
        dispatch!(self, s => s.create_claim_challenge(nonce_hash, account_id, expires_at).await)
    }

    async fn consume_claim_challenge(
        &self,
        nonce_hash: &[u8; 32],
        account_id: i64,
        now: OffsetDateTime,
    ) -> Result<bool, StoreError> {
        dispatch!(self, s => s.consume_claim_challenge(nonce_hash, account_id, now).await)
    }

    async fn insert_check_event(&self, event: &NewCheckEvent) -> Result<CheckEvent, StoreError> {
        dispatch!(self, s => s.insert_check_event(event).await)
    }

    async fn check_events(
        &self,
        file_number: &FileNumber,
        limit: u32,
    ) -> Result<Vec<CheckEvent>, StoreError> {
        dispatch!(self, s => s.check_events(file_number, limit).await)
    }

    async fn insert_share(&self, share: &NewShare) -> Result<Share, StoreError> {
        dispatch!(self, s => s.insert_share(share).await)
    }

    async fn shares(&self, account_id: i64) -> Result<Vec<Share>, StoreError> {
        dispatch!(self, s => s.shares(account_id).await)
    }

    async fn share_by_token(&self, token_hash: &[u8; 32]) -> Result<Option<Share>, StoreError> {
        dispatch!(self, s => s.share_by_token(token_hash).await)
    }

    async fn withdraw_share(
        &self,
        id: i64,
        account_id: i64,
        at: OffsetDateTime,
    ) -> Result<bool, StoreError> {
        dispatch!(self, s => s.withdraw_share(id, account_id, at).await)
    }

    async fn create_console_user(&self, user: &NewConsoleUser) -> Result<ConsoleUser, StoreError> {
        dispatch!(self, s => s.create_console_user(user).await)
    }

    async fn console_user(&self, id: i64) -> Result<Option<ConsoleUser>, StoreError> {
        dispatch!(self, s => s.console_user(id).await)
    }

    async fn console_user_by_name(
        &self,
        username: &str,
    ) -> Result<Option<ConsoleUser>, StoreError> {
        dispatch!(self, s => s.console_user_by_name(username).await)
    }

    async fn console_users(&self) -> Result<Vec<ConsoleUser>, StoreError> {
        dispatch!(self, s => s.console_users().await)
    }

    async fn create_console_session(&self, session: &NewConsoleSession) -> Result<(), StoreError> {
        dispatch!(self, s => s.create_console_session(session).await)
    }

    async fn console_session(
        &self,
        token_hash: &[u8; 32],
        now: OffsetDateTime,
    ) -> Result<Option<ConsoleSession>, StoreError> {
        dispatch!(self, s => s.console_session(token_hash, now).await)
    }

    async fn delete_console_session(&self, token_hash: &[u8; 32]) -> Result<(), StoreError> {
        dispatch!(self, s => s.delete_console_session(token_hash).await)
    }

    async fn set_console_user_disabled(
        &self,
        username: &str,
        disabled_at: Option<OffsetDateTime>,
    ) -> Result<ConsoleUser, StoreError> {
        dispatch!(self, s => s.set_console_user_disabled(username, disabled_at).await)
    }

    async fn delete_expired_console_sessions(
        &self,
        now: OffsetDateTime,
    ) -> Result<u64, StoreError> {
        dispatch!(self, s => s.delete_expired_console_sessions(now).await)
    }

    async fn create_organisation(
        &self,
        organisation: &NewOrganisation,
    ) -> Result<Organisation, StoreError> {
        dispatch!(self, s => s.create_organisation(organisation).await)
    }

    async fn organisation(&self, id: i64) -> Result<Option<Organisation>, StoreError> {
        dispatch!(self, s => s.organisation(id).await)
    }

    async fn organisations(&self) -> Result<Vec<Organisation>, StoreError> {
        dispatch!(self, s => s.organisations().await)
    }

    async fn create_api_key(&self, key: &NewApiKey) -> Result<ApiKey, StoreError> {
        dispatch!(self, s => s.create_api_key(key).await)
    }

    async fn api_key_by_hash(&self, key_hash: &[u8; 32]) -> Result<Option<ApiKey>, StoreError> {
        dispatch!(self, s => s.api_key_by_hash(key_hash).await)
    }

    async fn api_keys(&self, organisation_id: i64) -> Result<Vec<ApiKey>, StoreError> {
        dispatch!(self, s => s.api_keys(organisation_id).await)
    }

    async fn revoke_api_key(
        &self,
        id: i64,
        organisation_id: i64,
        at: OffsetDateTime,
    ) -> Result<bool, StoreError> {
        dispatch!(self, s => s.revoke_api_key(id, organisation_id, at).await)
    }

    async fn record_verifications(
        &self,
        verifications: &[NewVerification],
    ) -> Result<(), StoreError> {
        dispatch!(self, s => s.record_verifications(verifications).await)
    }

    async fn verifications(
        &self,
        organisation_id: i64,
        limit: u32,
    ) -> Result<Vec<Verification>, StoreError> {
        dispatch!(self, s => s.verifications(organisation_id, limit).await)
    }

    async fn daily_verifications(
        &self,
        region: Option<RegionCode>,
        from: Date,
        to: Date,
    ) -> Result<Vec<DailyVerifications>, StoreError> {
        dispatch!(self, s => s.daily_verifications(region, from, to).await)
    }

    async fn daily_claims(
        &self,
        region: Option<RegionCode>,
        from: Date,
        to: Date,
    ) -> Result<Vec<DailyClaims>, StoreError> {
        dispatch!(self, s => s.daily_claims(region, from, to).await)
    }

    async fn national_daily_verifications(
        &self,
        from: Date,
        to: Date,
    ) -> Result<Vec<NationalDailyVerifications>, StoreError> {
        dispatch!(self, s => s.national_daily_verifications(from, to).await)
    }

    async fn national_daily_claims(
        &self,
        from: Date,
        to: Date,
    ) -> Result<Vec<NationalDailyClaims>, StoreError> {
        dispatch!(self, s => s.national_daily_claims(from, to).await)
    }
}
