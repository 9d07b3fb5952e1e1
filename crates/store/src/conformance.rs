//! The conformance suite: one async test per behaviour of [`Store`], run against every backend.
//!
//! A backend crate instantiates it in `tests/conformance.rs`:
//!
//! ```text
//! struct Fixture { store: SqliteStore, _dir: tempfile::TempDir }
//! impl edl_store::conformance::Backend for Fixture { /* store(), execute_raw() */ }
//! async fn fresh() -> Option<Fixture> { /* a new, empty database */ }
//! edl_store::store_conformance_tests!(fresh);
//! ```
//!
//! The macro expands to one `#[test]` per check, each on a fresh backend from the factory.
//! A factory returns `None` to skip (for example when a PostgreSQL server is not reachable and not required);
//! it should print why.
//! Every check is also a `pub async fn` here, so a backend can run one by hand.
//!
//! Test data comes from [`Licence::new`], with citizen ids built by [`CitizenId::from_parts`] and file numbers
//! `1201xxxxxxxx`; all dates are fixed, so the suite is deterministic.

use std::future::Future;
use std::sync::Arc;

use edl_domain::{
    Address, AuthorityName, CitizenId, ClassSet, FileNumber, IssuingAuthority, Licence,
    LicenceFields, Nationality, PersonName, PhoneNumber, Points, RegionCode, RolloutEntry, Sex,
    StatusSet, Validity, ValidityEnd,
};
use time::OffsetDateTime;
use time::macros::{date, datetime};

use crate::backend::{LicenceRow, fold_region_counts};
use crate::{
    Account, AuthorityId, BatchOutcome, ChangeKind, ConflictKind, ConsoleRole, CredentialState,
    DailyClaims, DailyVerifications, ImportConflict, ImportRecord, ImportSourceId,
    NationalDailyClaims, NationalDailyVerifications, NewAccount, NewApiKey, NewCheckEvent,
    NewConsoleSession, NewConsoleUser, NewCredential, NewHistoryEntry, NewOrganisation, NewSession,
    NewShare, NewVerification, RegionCount, Session, Store, StoreError, licence_summary,
};

/// A fresh, empty database for one test, with the hooks the suite needs beyond [`Store`].
pub trait Backend: Send + Sync + 'static {
    /// The store under test.
    type Store: Store;

    /// The store, already migrated and empty.
    fn store(&self) -> &Self::Store;

    /// Runs one SQL statement directly on the database, bypassing [`Store`], and returns the rows it changed
    /// or the database's error message.
    ///
    /// The suite uses it to check that the database itself refuses to change history
    /// (`UPDATE licence_history …`, `DELETE FROM licence_history`).
    fn execute_raw(&self, sql: &'static str) -> impl Future<Output = Result<u64, String>> + Send;

    /// Releases the database after the test, pass or fail (for example drops a per-test PostgreSQL database).
    fn teardown(self) -> impl Future<Output = ()> + Send
    where
        Self: Sized,
    {
        async {}
    }
}

/// Runs one check on a fresh backend from `make` on a new Tokio runtime; used by [`store_conformance_tests!`](crate::store_conformance_tests).
///
/// The check runs in its own task so that [`Backend::teardown`] runs even if it panics; the panic is then re-raised.
#[track_caller]
pub fn run<B, M, MF, T, TF>(make: M, check: T)
where
    B: Backend,
    M: FnOnce() -> MF,
    MF: Future<Output = Option<B>>,
    T: FnOnce(Arc<B>) -> TF,
    TF: Future<Output = ()> + Send + 'static,
{
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a test runtime can be built");
    runtime.block_on(async move {
        let Some(backend) = make().await else {
            return;
        };
        let backend = Arc::new(backend);
        let res = tokio::spawn(check(Arc::clone(&backend))).await;
        if let Some(backend) = Arc::into_inner(backend) {
            backend.teardown().await;
        }
        if let Err(err) = res {
            match err.try_into_panic() {
                Ok(payload) => std::panic::resume_unwind(payload),
                Err(err) => panic!("the check did not finish: {err}"),
            }
        }
    });
}

/// Expands to one `#[test]` per conformance check, each on a fresh backend from `$make`.
///
/// `$make` is a path to an `async fn() -> Option<B>` where `B:` [`Backend`](crate::conformance::Backend);
/// `None` skips the test.
#[macro_export]
macro_rules! store_conformance_tests {
    ($make:path) => {
        $crate::__store_conformance_checks! {
            $make;
            store:
            ping_answers,
            ensure_authority_is_idempotent,
            ensure_authority_refuses_another_region,
            insert_then_get_licence,
            insert_refuses_taken_file_number,
            licences_by_citizen_id_lists_the_holders_licences,
            count_licences_counts_every_licence,
            begin_import_is_idempotent_per_file,
            import_inserts_new_records_with_provenance,
            reimport_of_the_same_file_is_unchanged,
            restart_after_partial_import_stores_each_record_once,
            duplicate_inside_a_batch_names_the_first_line,
            duplicate_across_batches_names_the_first_line,
            same_record_from_another_file_is_unchanged,
            different_record_with_a_stored_file_number_conflicts,
            record_matching_a_licence_inserted_without_import_conflicts,
            import_refuses_a_mismatched_authority_id,
            finish_import_records_the_totals,
            update_licence_bumps_version_and_appends_history,
            update_licence_with_stale_version_writes_nothing,
            concurrent_updates_from_one_version_let_exactly_one_win,
            update_of_unknown_licence_is_not_found,
            update_licence_can_move_to_a_new_authority,
            history_of_unknown_licence_is_empty,
            rollout_set_is_an_upsert_by_region,
            region_counts_break_down_display_states,
            region_counts_stay_exact_across_imports_and_changes,
            concurrent_batches_of_one_source_store_each_record_once,
            one_stored_record_in_a_large_batch_is_found,
            import_into_an_unknown_source_fails_and_writes_nothing,
            credentials_get_consecutive_indexes_per_region,
            credential_states_follow_status_edition_and_withdrawal,
            credentials_of_unknown_licences_are_not_found,
            concurrent_credentials_never_share_an_index,
            last_status_change_follows_history_and_credentials,
            create_account_then_read_it_back,
            create_account_refuses_a_taken_licence_or_citizen_id,
            create_account_needs_the_licence_of_that_citizen_id,
            create_account_refuses_a_password_hash_that_is_not_argon2id,
            sessions_are_found_until_they_expire,
            sessions_end_on_logout_and_expired_ones_are_deleted,
            sessions_and_challenges_need_an_account_and_a_fresh_hash,
            claim_challenges_are_consumed_once_by_their_account_before_expiry,
            concurrent_claim_consumptions_let_exactly_one_win,
            check_events_are_listed_newest_first,
            check_events_of_unknown_licences_are_not_found,
            shares_are_listed_found_by_token_and_withdrawn,
            shares_refuse_another_accounts_licence_and_withdrawal,
            console_users_are_created_and_found,
            create_console_user_refuses_taken_names_bad_scopes_and_unknown_ids,
            console_sessions_expire_and_end_on_logout,
            console_users_are_disabled_and_sessions_swept,
            organisations_have_unique_names,
            api_keys_are_revoked_once_within_their_organisation,
            record_verifications_writes_audit_check_events_and_rollups,
            record_verifications_refuses_unknown_licences_and_writes_nothing,
            verifications_are_listed_newest_first_and_limited,
            insert_credential_feeds_daily_claims_and_claimed,
            concurrent_first_credentials_count_one_first_claim;
            backend:
            history_is_append_only_in_the_database,
            deleting_an_account_deletes_its_sessions_challenges_and_shares,
            verifications_are_append_only_in_the_database,
            verifications_reference_existing_rows_in_the_database,
        }
    };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __store_conformance_checks {
    ($make:path; store: $($check:ident),* $(,)?; backend: $($backend_check:ident),* $(,)?) => {
        $(
            #[test]
            fn $check() {
                $crate::conformance::run($make, |backend| async move {
                    $crate::conformance::$check($crate::conformance::Backend::store(&*backend)).await;
                });
            }
        )*
        $(
            #[test]
            fn $backend_check() {
                $crate::conformance::run($make, |backend| async move {
                    $crate::conformance::$backend_check(&*backend).await;
                });
            }
        )*
    };
}

// Test data.

const TIANJIN_CITY: u32 = 120100;
const CHENGDU_CITY: u32 = 510100;

fn region(code: u32) -> RegionCode {
    RegionCode::from_u32(code).expect("the test region is in the table")
}

/// 天津市公安局交通警察总队 (region 120100).
pub fn tianjin() -> IssuingAuthority {
    IssuingAuthority {
        name: AuthorityName::parse("天津市公安局交通警察总队").expect("valid authority name"),
        region: region(TIANJIN_CITY),
    }
}

/// 成都市公安局交通管理局 (region 510100).
pub fn chengdu() -> IssuingAuthority {
    IssuingAuthority {
        name: AuthorityName::parse("成都市公安局交通管理局").expect("valid authority name"),
        region: region(CHENGDU_CITY),
    }
}

/// The file number `1201` followed by `n` in eight digits.
pub fn file_number(n: u32) -> FileNumber {
    FileNumber::parse(&format!("1201{n:08}")).expect("twelve digits")
}

/// A valid licence with file number [`file_number`]`(n)`, issued by `authority`, for holder number `holder`.
///
/// Licences with the same `holder` share the citizen id; `n` varies the address so different `n` give
/// different records.
pub fn licence(n: u32, holder: u16, authority: &IssuingAuthority) -> Licence {
    let birth_date = date!(1980 - 05 - 17);
    // Odd sequence numbers are men, even ones women (GB 11643-1999).
    let sequence = holder % 999 + 1;
    let citizen_id =
        CitizenId::from_parts(region(120101), birth_date, sequence).expect("a valid citizen id");
    let sex = if sequence % 2 == 1 {
        Sex::Male
    } else {
        Sex::Female
    };
    let first_issue = date!(2003 - 08 - 01);
    Licence::new(LicenceFields {
        file_number: file_number(n),
        citizen_id,
        name: PersonName::parse("欧阳·测试").expect("valid name"),
        sex,
        nationality: Nationality::parse("CHN").expect("valid nationality"),
        birth_date,
        address: Address::parse(&format!("天津市和平区南京路{n}号")).expect("valid address"),
        first_issue,
        classes: ClassSet::parse("C1E").expect("valid classes"),
        validity: Validity::new(
            date!(2019 - 08 - 01),
            ValidityEnd::On(date!(2029 - 08 - 01)),
        )
        .expect("valid validity"),
        authority: authority.clone(),
        status: StatusSet::NORMAL,
        points: Points::new(date!(2024 - 08 - 01), 3),
        phone: Some(PhoneNumber::parse("13812345678").expect("valid phone")),
        edition: 1,
    })
    .expect("a consistent licence")
}

/// `licence` with its status replaced.
pub fn with_status(licence: &Licence, status: &str) -> Licence {
    let mut fields = licence.clone().into_fields();
    fields.status = StatusSet::parse(status).expect("valid status");
    Licence::new(fields).expect("a consistent licence")
}

fn at(second: u8) -> OffsetDateTime {
    datetime!(2025-03-01 08:00:00 UTC) + time::Duration::seconds(i64::from(second))
}

fn entry(kind: ChangeKind, before: &Licence, after: &Licence, second: u8) -> NewHistoryEntry {
    NewHistoryEntry::describing(at(second), "operator-7", "conformance", kind, before, after)
}

fn sha(byte: u8) -> [u8; 32] {
    [byte; 32]
}

/// The digest a record of `licence` carries; a stand-in for edl-csv's canonical digest.
fn digest(licence: &Licence) -> [u8; 16] {
    let summary = format!(
        "{}|{}|{}",
        licence.file_number(),
        licence.address().as_str(),
        licence_summary(licence)
    );
    // FNV-1a, twice with different offsets: enough to tell test records apart.
    let mut res = [0u8; 16];
    for (half, offset) in [0xcbf2_9ce4_8422_2325_u64, 0x8422_2325_cbf2_9ce4]
        .into_iter()
        .enumerate()
    {
        let mut hash = offset;
        for byte in summary.bytes() {
            hash ^= u64::from(byte);
            hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
        }
        res[half * 8..half * 8 + 8].copy_from_slice(&hash.to_be_bytes());
    }
    res
}

fn records<'a>(
    lines_and_licences: &'a [(u64, Licence)],
    authority_id: AuthorityId,
) -> Vec<ImportRecord<'a>> {
    lines_and_licences
        .iter()
        .map(|(line, licence)| ImportRecord {
            line: *line,
            licence,
            authority_id,
            digest: digest(licence),
        })
        .collect()
}

/// Ten lines of a registry file: lines 2..=11 (line 1 is the header), file numbers 1..=10.
fn file_of_ten() -> Vec<(u64, Licence)> {
    (1..=10u32)
        .map(|n| (u64::from(n) + 1, licence(n, 1, &tianjin())))
        .collect()
}

async fn import_all<S: Store>(
    store: &S,
    source: ImportSourceId,
    lines: &[(u64, Licence)],
    authority_id: AuthorityId,
    batch_size: usize,
) -> BatchOutcome {
    let mut total = BatchOutcome::default();
    for chunk in lines.chunks(batch_size) {
        let outcome = store
            .import_batch(source, &records(chunk, authority_id))
            .await
            .expect("import_batch");
        total.inserted += outcome.inserted;
        total.unchanged += outcome.unchanged;
        total.conflicts.extend(outcome.conflicts);
    }
    total
}

async fn stored<S: Store>(store: &S, licence: &Licence) -> crate::StoredLicence {
    store
        .licence(licence.file_number())
        .await
        .expect("licence")
        .expect("the licence is stored")
}

// Checks.

/// `ping` succeeds on a working store.
pub async fn ping_answers<S: Store>(store: &S) {
    store.ping().await.expect("ping");
}

/// `ensure_authority` returns the same id for the same authority and distinct ids for others.
pub async fn ensure_authority_is_idempotent<S: Store>(store: &S) {
    let first = store.ensure_authority(&tianjin()).await.expect("ensure");
    let again = store
        .ensure_authority(&tianjin())
        .await
        .expect("ensure again");
    let other = store
        .ensure_authority(&chengdu())
        .await
        .expect("ensure other");

    assert_eq!(first, again);
    assert_ne!(first, other);
    let listed = store.list_authorities().await.expect("list");
    assert_eq!(listed.len(), 2);
    assert_eq!((listed[0].id, &listed[0].authority), (first, &tianjin()));
    assert_eq!((listed[1].id, &listed[1].authority), (other, &chengdu()));
}

/// An authority name already stored with another region is a conflict on `authority_region`.
pub async fn ensure_authority_refuses_another_region<S: Store>(store: &S) {
    store.ensure_authority(&tianjin()).await.expect("ensure");
    let moved = IssuingAuthority {
        region: region(CHENGDU_CITY),
        ..tianjin()
    };

    let res = store.ensure_authority(&moved).await;

    assert!(
        matches!(
            res,
            Err(StoreError::Conflict {
                constraint: "authority_region"
            })
        ),
        "{res:?}"
    );
    let listed = store.list_authorities().await.expect("list");
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].authority, tianjin());
}

/// An inserted licence reads back equal, at version 1; an unknown file number reads as `None`.
pub async fn insert_then_get_licence<S: Store>(store: &S) {
    let authority_id = store.ensure_authority(&tianjin()).await.expect("ensure");
    let mut indefinite = licence(1, 1, &tianjin()).into_fields();
    indefinite.validity =
        Validity::new(date!(2019 - 08 - 01), ValidityEnd::Indefinite).expect("valid validity");
    indefinite.phone = None;
    let indefinite = Licence::new(indefinite).expect("a consistent licence");
    let with_phone = licence(2, 2, &tianjin());

    store
        .insert_licence(&indefinite, authority_id)
        .await
        .expect("insert");
    store
        .insert_licence(&with_phone, authority_id)
        .await
        .expect("insert");

    let got = stored(store, &indefinite).await;
    assert_eq!(got.licence, indefinite);
    assert_eq!(got.version, 1);
    assert_eq!(stored(store, &with_phone).await.licence, with_phone);
    assert_eq!(store.licence(&file_number(3)).await.expect("licence"), None);
}

/// Inserting a taken file number is a conflict on `file_number` and keeps the stored licence.
pub async fn insert_refuses_taken_file_number<S: Store>(store: &S) {
    let authority_id = store.ensure_authority(&tianjin()).await.expect("ensure");
    let original = licence(1, 1, &tianjin());
    store
        .insert_licence(&original, authority_id)
        .await
        .expect("insert");

    let res = store
        .insert_licence(&with_status(&original, "D"), authority_id)
        .await;

    assert!(
        matches!(
            res,
            Err(StoreError::Conflict {
                constraint: "file_number"
            })
        ),
        "{res:?}"
    );
    assert_eq!(stored(store, &original).await.licence, original);
}

/// `licences_by_citizen_id` returns the holder's licences ordered by file number, and nothing for others.
pub async fn licences_by_citizen_id_lists_the_holders_licences<S: Store>(store: &S) {
    let authority_id = store.ensure_authority(&tianjin()).await.expect("ensure");
    let newer = licence(7, 1, &tianjin());
    let older = licence(3, 1, &tianjin());
    let someone_else = licence(5, 2, &tianjin());
    for l in [&newer, &older, &someone_else] {
        store.insert_licence(l, authority_id).await.expect("insert");
    }

    let got = store
        .licences_by_citizen_id(older.citizen_id())
        .await
        .expect("by citizen id");

    let got: Vec<&Licence> = got.iter().map(|s| &s.licence).collect();
    assert_eq!(got, [&older, &newer]);
    let nobody = licence(9, 3, &tianjin());
    assert!(
        store
            .licences_by_citizen_id(nobody.citizen_id())
            .await
            .expect("by citizen id")
            .is_empty()
    );
}

/// `count_licences` counts inserted and imported licences.
pub async fn count_licences_counts_every_licence<S: Store>(store: &S) {
    assert_eq!(store.count_licences().await.expect("count"), 0);
    let authority_id = store.ensure_authority(&tianjin()).await.expect("ensure");
    store
        .insert_licence(&licence(100, 1, &tianjin()), authority_id)
        .await
        .expect("insert");
    let source = store.begin_import(sha(1), at(0)).await.expect("begin");
    import_all(store, source, &file_of_ten(), authority_id, 4).await;

    assert_eq!(store.count_licences().await.expect("count"), 11);
}

/// `begin_import` gives the same id for the same file hash and another id for another file.
pub async fn begin_import_is_idempotent_per_file<S: Store>(store: &S) {
    let first = store.begin_import(sha(1), at(0)).await.expect("begin");
    let again = store
        .begin_import(sha(1), at(9))
        .await
        .expect("begin again");
    let other = store
        .begin_import(sha(2), at(9))
        .await
        .expect("begin other");

    assert_eq!(first, again);
    assert_ne!(first, other);
    let runs = store.imports().await.expect("imports");
    assert_eq!(runs.len(), 2);
    assert_eq!(runs[0].id, first);
    assert_eq!(runs[0].file_sha256, sha(1));
    assert_eq!(runs[0].started_at, at(0), "a restart keeps the first start");
    assert_eq!(runs[0].finished_at, None);
    assert_eq!(runs[1].id, other);
}

/// New records are inserted, read back equal, at version 1.
pub async fn import_inserts_new_records_with_provenance<S: Store>(store: &S) {
    let authority_id = store.ensure_authority(&tianjin()).await.expect("ensure");
    let source = store.begin_import(sha(1), at(0)).await.expect("begin");
    let lines = file_of_ten();

    let outcome = store
        .import_batch(source, &records(&lines, authority_id))
        .await
        .expect("import");

    assert_eq!(
        outcome,
        BatchOutcome {
            inserted: 10,
            unchanged: 0,
            conflicts: vec![]
        }
    );
    for (_, l) in &lines {
        let got = stored(store, l).await;
        assert_eq!(&got.licence, l);
        assert_eq!(got.version, 1);
    }
    assert_eq!(
        store.import_batch(source, &[]).await.expect("empty batch"),
        BatchOutcome::default()
    );
}

/// Importing the same file again finds every record unchanged.
pub async fn reimport_of_the_same_file_is_unchanged<S: Store>(store: &S) {
    let authority_id = store.ensure_authority(&tianjin()).await.expect("ensure");
    let lines = file_of_ten();
    let source = store.begin_import(sha(1), at(0)).await.expect("begin");
    import_all(store, source, &lines, authority_id, 4).await;

    let again = store
        .begin_import(sha(1), at(5))
        .await
        .expect("begin again");
    let outcome = import_all(store, again, &lines, authority_id, 3).await;

    assert_eq!(again, source);
    assert_eq!(
        outcome,
        BatchOutcome {
            inserted: 0,
            unchanged: 10,
            conflicts: vec![]
        }
    );
    assert_eq!(store.count_licences().await.expect("count"), 10);
}

/// A run that stopped after some batches, restarted from the top with other batch sizes, stores each record once.
pub async fn restart_after_partial_import_stores_each_record_once<S: Store>(store: &S) {
    let authority_id = store.ensure_authority(&tianjin()).await.expect("ensure");
    let lines = file_of_ten();
    let source = store.begin_import(sha(1), at(0)).await.expect("begin");
    // The first run commits two batches of three, then stops.
    let partial = import_all(store, source, &lines[..6], authority_id, 3).await;

    let restarted = store.begin_import(sha(1), at(5)).await.expect("restart");
    let rest = import_all(store, restarted, &lines, authority_id, 4).await;

    assert_eq!(partial.inserted, 6);
    assert_eq!(
        rest,
        BatchOutcome {
            inserted: 4,
            unchanged: 6,
            conflicts: vec![]
        }
    );
    assert_eq!(store.count_licences().await.expect("count"), 10);
    for (_, l) in &lines {
        assert_eq!(&stored(store, l).await.licence, l);
    }
}

/// A file number repeated inside one batch keeps the first record and names its line for the others.
pub async fn duplicate_inside_a_batch_names_the_first_line<S: Store>(store: &S) {
    let authority_id = store.ensure_authority(&tianjin()).await.expect("ensure");
    let first = licence(1, 1, &tianjin());
    let lines = vec![
        (2, first.clone()),
        (3, licence(2, 1, &tianjin())),
        (4, with_status(&first, "D")),
        (5, first.clone()),
    ];
    let source = store.begin_import(sha(1), at(0)).await.expect("begin");

    let outcome = store
        .import_batch(source, &records(&lines, authority_id))
        .await
        .expect("import");

    let duplicate = ConflictKind::DuplicateInFile { first_line: 2 };
    assert_eq!(
        outcome,
        BatchOutcome {
            inserted: 2,
            unchanged: 0,
            conflicts: vec![
                ImportConflict {
                    line: 4,
                    kind: duplicate
                },
                ImportConflict {
                    line: 5,
                    kind: duplicate
                },
            ]
        }
    );
    assert_eq!(stored(store, &first).await.licence, first);
    // Re-importing the file reports the same duplicates, and everything else unchanged.
    let again = store
        .import_batch(source, &records(&lines, authority_id))
        .await
        .expect("import again");
    assert_eq!(again.inserted, 0);
    assert_eq!(again.unchanged, 2);
    assert_eq!(again.conflicts, outcome.conflicts);
}

/// A file number repeated in a later batch of the same file names the line of the stored record.
pub async fn duplicate_across_batches_names_the_first_line<S: Store>(store: &S) {
    let authority_id = store.ensure_authority(&tianjin()).await.expect("ensure");
    let first = licence(1, 1, &tianjin());
    let batch_one = vec![(2, first.clone()), (3, licence(2, 1, &tianjin()))];
    let batch_two = vec![
        (4, licence(3, 1, &tianjin())),
        (5, with_status(&first, "D")),
    ];
    let source = store.begin_import(sha(1), at(0)).await.expect("begin");
    store
        .import_batch(source, &records(&batch_one, authority_id))
        .await
        .expect("batch one");

    let outcome = store
        .import_batch(source, &records(&batch_two, authority_id))
        .await
        .expect("batch two");

    assert_eq!(
        outcome,
        BatchOutcome {
            inserted: 1,
            unchanged: 0,
            conflicts: vec![ImportConflict {
                line: 5,
                kind: ConflictKind::DuplicateInFile { first_line: 2 }
            }]
        }
    );
    assert_eq!(stored(store, &first).await.licence, first);
}

/// The same record in another file (another hash, other line) is unchanged.
pub async fn same_record_from_another_file_is_unchanged<S: Store>(store: &S) {
    let authority_id = store.ensure_authority(&tianjin()).await.expect("ensure");
    let first_file = file_of_ten();
    let source = store.begin_import(sha(1), at(0)).await.expect("begin");
    import_all(store, source, &first_file, authority_id, 10).await;
    // The second file holds three of the same records on other lines, and one new record.
    let second_file = vec![
        (2, licence(11, 1, &tianjin())),
        (3, first_file[4].1.clone()),
        (4, first_file[0].1.clone()),
        (5, first_file[9].1.clone()),
    ];

    let other = store.begin_import(sha(2), at(5)).await.expect("begin");
    let outcome = import_all(store, other, &second_file, authority_id, 10).await;

    assert_ne!(other, source);
    assert_eq!(
        outcome,
        BatchOutcome {
            inserted: 1,
            unchanged: 3,
            conflicts: vec![]
        }
    );
    assert_eq!(store.count_licences().await.expect("count"), 11);
}

/// Another file with a different record under a stored 档案编号 conflicts, and the stored licence stays.
pub async fn different_record_with_a_stored_file_number_conflicts<S: Store>(store: &S) {
    let authority_id = store.ensure_authority(&tianjin()).await.expect("ensure");
    let original = licence(1, 1, &tianjin());
    let source = store.begin_import(sha(1), at(0)).await.expect("begin");
    import_all(store, source, &[(2, original.clone())], authority_id, 10).await;
    let changed = vec![
        (2, with_status(&original, "D")),
        (3, licence(2, 1, &tianjin())),
    ];

    let other = store.begin_import(sha(2), at(5)).await.expect("begin");
    let outcome = import_all(store, other, &changed, authority_id, 10).await;

    assert_eq!(
        outcome,
        BatchOutcome {
            inserted: 1,
            unchanged: 0,
            conflicts: vec![ImportConflict {
                line: 2,
                kind: ConflictKind::DifferentRecordInRegistry
            }]
        }
    );
    assert_eq!(stored(store, &original).await.licence, original);
}

/// A licence inserted without import provenance is never "unchanged" for an import: it conflicts.
pub async fn record_matching_a_licence_inserted_without_import_conflicts<S: Store>(store: &S) {
    let authority_id = store.ensure_authority(&tianjin()).await.expect("ensure");
    let original = licence(1, 1, &tianjin());
    store
        .insert_licence(&original, authority_id)
        .await
        .expect("insert");

    let source = store.begin_import(sha(1), at(0)).await.expect("begin");
    let outcome = import_all(store, source, &[(2, original.clone())], authority_id, 10).await;

    assert_eq!(
        outcome.conflicts,
        [ImportConflict {
            line: 2,
            kind: ConflictKind::DifferentRecordInRegistry
        }]
    );
    assert_eq!((outcome.inserted, outcome.unchanged), (0, 0));
}

/// A record whose authority id is unknown, or names another authority than the licence's, fails the whole batch.
pub async fn import_refuses_a_mismatched_authority_id<S: Store>(store: &S) {
    let tianjin_id = store.ensure_authority(&tianjin()).await.expect("ensure");
    let chengdu_id = store.ensure_authority(&chengdu()).await.expect("ensure");
    let source = store.begin_import(sha(1), at(0)).await.expect("begin");
    let lines = vec![
        (2, licence(1, 1, &tianjin())),
        (3, licence(2, 1, &tianjin())),
    ];
    let mut mismatched = records(&lines, tianjin_id);
    mismatched[1].authority_id = chengdu_id;
    let mut unknown = records(&lines, tianjin_id);
    unknown[1].authority_id = AuthorityId(tianjin_id.0 + chengdu_id.0 + 1000);

    let mismatched = store.import_batch(source, &mismatched).await;
    let unknown = store.import_batch(source, &unknown).await;

    assert!(
        matches!(
            mismatched,
            Err(StoreError::Conflict {
                constraint: "authority_id"
            })
        ),
        "{mismatched:?}"
    );
    assert!(
        matches!(unknown, Err(StoreError::NotFound { what: "authority" })),
        "{unknown:?}"
    );
    assert_eq!(store.count_licences().await.expect("count"), 0);
}

/// `finish_import` records the totals of the last run; an unknown source is not found.
pub async fn finish_import_records_the_totals<S: Store>(store: &S) {
    let source = store.begin_import(sha(1), at(0)).await.expect("begin");
    store
        .finish_import(source, at(10), 7, 0, 2)
        .await
        .expect("finish");
    store
        .finish_import(source, at(20), 0, 7, 2)
        .await
        .expect("finish again");

    let runs = store.imports().await.expect("imports");
    assert_eq!(runs.len(), 1);
    assert_eq!(runs[0].started_at, at(0));
    assert_eq!(runs[0].finished_at, Some(at(20)));
    assert_eq!(
        (runs[0].inserted, runs[0].unchanged, runs[0].rejected),
        (0, 7, 2)
    );
    let res = store
        .finish_import(ImportSourceId(source.0 + 1000), at(30), 0, 0, 0)
        .await;
    assert!(
        matches!(res, Err(StoreError::NotFound { what: "import" })),
        "{res:?}"
    );
}

/// An update with the current version writes the licence, bumps the version and appends history, oldest first.
pub async fn update_licence_bumps_version_and_appends_history<S: Store>(store: &S) {
    let authority_id = store.ensure_authority(&tianjin()).await.expect("ensure");
    let original = licence(1, 1, &tianjin());
    store
        .insert_licence(&original, authority_id)
        .await
        .expect("insert");
    let suspended = with_status(&original, "D");
    let restored = with_status(&original, "A");

    let v2 = store
        .update_licence(
            1,
            &suspended,
            entry(ChangeKind::StatusChanged, &original, &suspended, 1),
        )
        .await
        .expect("update");
    let v3 = store
        .update_licence(
            v2,
            &restored,
            entry(ChangeKind::StatusChanged, &suspended, &restored, 2),
        )
        .await
        .expect("update again");

    assert_eq!((v2, v3), (2, 3));
    let got = stored(store, &original).await;
    assert_eq!((got.licence, got.version), (restored.clone(), 3));
    let history = store
        .history(original.file_number())
        .await
        .expect("history");
    assert_eq!(history.len(), 2);
    assert!(history[0].id < history[1].id);
    assert_eq!(&history[0].file_number, original.file_number());
    assert_eq!(history[0].at, at(1));
    assert_eq!(history[0].actor, "operator-7");
    assert_eq!(history[0].reason, "conformance");
    assert_eq!(history[0].kind, ChangeKind::StatusChanged);
    assert_eq!(history[0].before, licence_summary(&original));
    assert_eq!(history[0].after, licence_summary(&suspended));
    assert_eq!(history[1].at, at(2));
    assert_eq!(history[1].before, licence_summary(&suspended));
    assert_eq!(history[1].after, licence_summary(&restored));
}

/// An update based on an old version fails with `StaleVersion` and writes neither licence nor history.
pub async fn update_licence_with_stale_version_writes_nothing<S: Store>(store: &S) {
    let authority_id = store.ensure_authority(&tianjin()).await.expect("ensure");
    let original = licence(1, 1, &tianjin());
    store
        .insert_licence(&original, authority_id)
        .await
        .expect("insert");
    let suspended = with_status(&original, "D");
    store
        .update_licence(
            1,
            &suspended,
            entry(ChangeKind::StatusChanged, &original, &suspended, 1),
        )
        .await
        .expect("update");

    // A second writer still holding version 1.
    let revoked = with_status(&original, "F");
    let res = store
        .update_licence(
            1,
            &revoked,
            entry(ChangeKind::StatusChanged, &original, &revoked, 2),
        )
        .await;

    assert!(matches!(res, Err(StoreError::StaleVersion)), "{res:?}");
    let got = stored(store, &original).await;
    assert_eq!((got.licence, got.version), (suspended, 2));
    assert_eq!(
        store
            .history(original.file_number())
            .await
            .expect("history")
            .len(),
        1
    );
}

/// Two writers racing from the same version: exactly one wins, the other gets `StaleVersion`.
pub async fn concurrent_updates_from_one_version_let_exactly_one_win<S: Store>(store: &S) {
    let authority_id = store.ensure_authority(&tianjin()).await.expect("ensure");
    let original = licence(1, 1, &tianjin());
    store
        .insert_licence(&original, authority_id)
        .await
        .expect("insert");
    let suspended = with_status(&original, "D");
    let revoked = with_status(&original, "F");

    let (first, second) = tokio::join!(
        store.update_licence(
            1,
            &suspended,
            entry(ChangeKind::StatusChanged, &original, &suspended, 1),
        ),
        store.update_licence(
            1,
            &revoked,
            entry(ChangeKind::StatusChanged, &original, &revoked, 2),
        ),
    );

    let winner = match (&first, &second) {
        (Ok(2), Err(StoreError::StaleVersion)) => &suspended,
        (Err(StoreError::StaleVersion), Ok(2)) => &revoked,
        other => panic!("expected one winner and one StaleVersion, got {other:?}"),
    };
    let got = stored(store, &original).await;
    assert_eq!((&got.licence, got.version), (winner, 2));
    let history = store
        .history(original.file_number())
        .await
        .expect("history");
    assert_eq!(history.len(), 1);
    assert_eq!(history[0].after, licence_summary(winner));
}

/// Updating a licence that is not stored fails with `NotFound` and appends no history.
pub async fn update_of_unknown_licence_is_not_found<S: Store>(store: &S) {
    store.ensure_authority(&tianjin()).await.expect("ensure");
    let missing = licence(1, 1, &tianjin());
    let suspended = with_status(&missing, "D");

    let res = store
        .update_licence(
            1,
            &suspended,
            entry(ChangeKind::StatusChanged, &missing, &suspended, 1),
        )
        .await;

    assert!(
        matches!(res, Err(StoreError::NotFound { what: "licence" })),
        "{res:?}"
    );
    assert!(
        store
            .history(missing.file_number())
            .await
            .expect("history")
            .is_empty()
    );
    assert_eq!(store.count_licences().await.expect("count"), 0);
}

/// An update to an authority that is not stored yet adds the authority and moves the licence's region.
pub async fn update_licence_can_move_to_a_new_authority<S: Store>(store: &S) {
    let authority_id = store.ensure_authority(&tianjin()).await.expect("ensure");
    let original = licence(1, 1, &tianjin());
    store
        .insert_licence(&original, authority_id)
        .await
        .expect("insert");
    let mut fields = original.clone().into_fields();
    fields.authority = chengdu();
    fields.edition = 2;
    let moved = Licence::new(fields).expect("a consistent licence");

    store
        .update_licence(1, &moved, entry(ChangeKind::Renewed, &original, &moved, 1))
        .await
        .expect("update");

    assert_eq!(stored(store, &original).await.licence, moved);
    let authorities = store.list_authorities().await.expect("list");
    assert_eq!(authorities.len(), 2);
    assert_eq!(authorities[1].authority, chengdu());
    let counts = store.region_counts().await.expect("counts");
    assert_eq!(counts.len(), 1);
    assert_eq!(counts[0].region, region(CHENGDU_CITY));
}

/// A licence without changes has no history, and neither has an unknown file number.
pub async fn history_of_unknown_licence_is_empty<S: Store>(store: &S) {
    let authority_id = store.ensure_authority(&tianjin()).await.expect("ensure");
    let inserted = licence(1, 1, &tianjin());
    store
        .insert_licence(&inserted, authority_id)
        .await
        .expect("insert");

    assert!(
        store
            .history(inserted.file_number())
            .await
            .expect("history")
            .is_empty()
    );
    assert!(
        store
            .history(&file_number(2))
            .await
            .expect("history")
            .is_empty()
    );
}

/// `set_rollout` adds or replaces the entry of its region; `rollout` lists entries by region.
pub async fn rollout_set_is_an_upsert_by_region<S: Store>(store: &S) {
    let tianjin_pilot = RolloutEntry {
        region: region(TIANJIN_CITY),
        enabled_from: date!(2021 - 06 - 01),
        phase: "pilot".to_owned(),
    };
    let chengdu_late = RolloutEntry {
        region: region(CHENGDU_CITY),
        enabled_from: date!(2021 - 12 - 10),
        phase: "nationwide".to_owned(),
    };
    let chengdu_pilot = RolloutEntry {
        enabled_from: date!(2021 - 06 - 01),
        phase: "pilot".to_owned(),
        ..chengdu_late.clone()
    };
    assert!(store.rollout().await.expect("rollout").0.is_empty());

    store.set_rollout(&chengdu_late).await.expect("set");
    store.set_rollout(&tianjin_pilot).await.expect("set");
    store.set_rollout(&chengdu_pilot).await.expect("upsert");

    let schedule = store.rollout().await.expect("rollout");
    assert_eq!(schedule.0, [tianjin_pilot, chengdu_pilot]);
    assert_eq!(
        schedule.enabled_from(region(CHENGDU_CITY)),
        Some(date!(2021 - 06 - 01))
    );
}

/// `region_counts` groups licences by region with the display-state breakdown and the rollout date.
pub async fn region_counts_break_down_display_states<S: Store>(store: &S) {
    let tianjin_id = store.ensure_authority(&tianjin()).await.expect("ensure");
    let chengdu_id = store.ensure_authority(&chengdu()).await.expect("ensure");
    // 天津: two black (A, HI), one red (D), one invalid (L), one not displayed (F).
    for (n, status) in [(1, "A"), (2, "HI"), (3, "D"), (4, "L"), (5, "F")] {
        let l = with_status(&licence(n, 1, &tianjin()), status);
        store.insert_licence(&l, tianjin_id).await.expect("insert");
    }
    // 成都: one black, imported, and one red (逾期未审 S).
    let source = store.begin_import(sha(1), at(0)).await.expect("begin");
    let chengdu_lines = vec![
        (2, licence(6, 2, &chengdu())),
        (3, with_status(&licence(7, 3, &chengdu()), "S")),
    ];
    import_all(store, source, &chengdu_lines, chengdu_id, 10).await;
    store
        .set_rollout(&RolloutEntry {
            region: region(TIANJIN_CITY),
            enabled_from: date!(2021 - 06 - 01),
            phase: "pilot".to_owned(),
        })
        .await
        .expect("set");

    let counts = store.region_counts().await.expect("counts");

    assert_eq!(counts.len(), 2);
    let tianjin_count = counts[0];
    assert_eq!(tianjin_count.region, region(TIANJIN_CITY));
    assert_eq!(
        (
            tianjin_count.licences,
            tianjin_count.black,
            tianjin_count.red,
            tianjin_count.invalid,
            tianjin_count.not_displayed
        ),
        (5, 2, 1, 1, 1)
    );
    assert_eq!(tianjin_count.enabled_from, Some(date!(2021 - 06 - 01)));
    let chengdu_count = counts[1];
    assert_eq!(chengdu_count.region, region(CHENGDU_CITY));
    assert_eq!(
        (
            chengdu_count.licences,
            chengdu_count.black,
            chengdu_count.red,
            chengdu_count.invalid,
            chengdu_count.not_displayed
        ),
        (2, 1, 1, 0, 0)
    );
    assert_eq!(chengdu_count.enabled_from, None);
}

/// The counts `region_counts` must give for the licences stored under `file_numbers` (every stored licence),
/// recomputed from the licences themselves.
async fn recounted<S: Store>(store: &S, file_numbers: &[FileNumber]) -> Vec<RegionCount> {
    let mut groups = Vec::new();
    for file_number in file_numbers {
        if let Some(stored) = store.licence(file_number).await.expect("licence") {
            let row = LicenceRow::from_licence(&stored.licence);
            groups.push((row.region, row.status, 1));
        }
    }
    let schedule = store.rollout().await.expect("rollout");
    fold_region_counts(groups, &schedule).expect("test counts fold")
}

/// `region_counts` after each step, compared with a recount of every stored licence.
async fn assert_counts_exact<S: Store>(store: &S, file_numbers: &[FileNumber], step: &str) {
    let counts = store.region_counts().await.expect("counts");
    assert_eq!(
        counts,
        recounted(store, file_numbers).await,
        "region_counts after {step}"
    );
    assert_eq!(
        counts.iter().map(|count| count.licences).sum::<u64>(),
        store.count_licences().await.expect("count"),
        "region_counts after {step} add up to count_licences"
    );
}

/// `region_counts` counts every licence exactly once through imports (with duplicates and conflicts), re-imports,
/// imports of overlapping files, direct inserts and status and authority changes.
pub async fn region_counts_stay_exact_across_imports_and_changes<S: Store>(store: &S) {
    let tianjin_id = store.ensure_authority(&tianjin()).await.expect("ensure");
    let chengdu_id = store.ensure_authority(&chengdu()).await.expect("ensure");
    let all: Vec<FileNumber> = (1..=20).map(file_number).collect();
    // Inserted directly: one black, one red.
    let direct = licence(1, 1, &tianjin());
    store
        .insert_licence(&direct, tianjin_id)
        .await
        .expect("insert");
    store
        .insert_licence(&with_status(&licence(2, 2, &tianjin()), "D"), tianjin_id)
        .await
        .expect("insert");
    assert_counts_exact(store, &all, "insert_licence").await;

    // A file with black, red, invalid and not-displayed records, a repeat inside the batch (a different
    // status, which must not be counted) and a different record under a directly inserted file number.
    let tianjin_file = vec![
        (2, licence(3, 3, &tianjin())),
        (3, with_status(&licence(4, 4, &tianjin()), "HI")),
        (4, with_status(&licence(5, 5, &tianjin()), "L")),
        (5, with_status(&licence(3, 3, &tianjin()), "F")),
        (6, with_status(&direct, "G")),
        (7, with_status(&licence(6, 6, &tianjin()), "F")),
    ];
    let source = store.begin_import(sha(1), at(0)).await.expect("begin");
    let first = import_all(store, source, &tianjin_file, tianjin_id, 10).await;
    assert_eq!((first.inserted, first.conflicts.len()), (4, 2));
    assert_counts_exact(store, &all, "the first import").await;
    let counts = store.region_counts().await.expect("counts");
    assert_eq!(counts.len(), 1);
    assert_eq!(
        (
            counts[0].licences,
            counts[0].black,
            counts[0].red,
            counts[0].invalid,
            counts[0].not_displayed
        ),
        (6, 3, 1, 1, 1)
    );

    // The same file again, in other batches: nothing new, nothing counted twice.
    let again = import_all(store, source, &tianjin_file, tianjin_id, 4).await;
    assert_eq!((again.inserted, again.unchanged), (0, 4));
    assert_counts_exact(store, &all, "a re-import").await;

    // Another file repeating two records and adding two of another region.
    let chengdu_file = [
        (2, tianjin_file[0].1.clone()),
        (3, licence(7, 7, &chengdu())),
        (4, with_status(&licence(8, 8, &chengdu()), "S")),
        (5, tianjin_file[2].1.clone()),
    ];
    let other = store.begin_import(sha(2), at(1)).await.expect("begin");
    let mut overlap = BatchOutcome::default();
    for chunk in chengdu_file.chunks(3) {
        let mut batch = records(chunk, tianjin_id);
        for record in &mut batch {
            if record.licence.authority() == &chengdu() {
                record.authority_id = chengdu_id;
            }
        }
        let outcome = store.import_batch(other, &batch).await.expect("import");
        overlap.inserted += outcome.inserted;
        overlap.unchanged += outcome.unchanged;
    }
    assert_eq!((overlap.inserted, overlap.unchanged), (2, 2));
    assert_counts_exact(store, &all, "an overlapping import").await;

    // Status changes that move licences between display states: black → red → black, and not displayed → black.
    let normal = stored(store, &licence(3, 3, &tianjin())).await;
    let suspended = with_status(&normal.licence, "D");
    let v2 = store
        .update_licence(
            normal.version,
            &suspended,
            entry(ChangeKind::StatusChanged, &normal.licence, &suspended, 2),
        )
        .await
        .expect("suspend");
    assert_counts_exact(store, &all, "a suspension").await;
    let restored = with_status(&suspended, "A");
    store
        .update_licence(
            v2,
            &restored,
            entry(ChangeKind::StatusChanged, &suspended, &restored, 3),
        )
        .await
        .expect("restore");
    assert_counts_exact(store, &all, "a restoration").await;
    let cancelled = stored(store, &licence(6, 6, &tianjin())).await;
    let reinstated = with_status(&cancelled.licence, "A");
    store
        .update_licence(
            cancelled.version,
            &reinstated,
            entry(
                ChangeKind::StatusChanged,
                &cancelled.licence,
                &reinstated,
                4,
            ),
        )
        .await
        .expect("reinstate");
    assert_counts_exact(store, &all, "a change from not displayed to black").await;

    // A change that keeps region and status (points) moves nothing; a stale one writes nothing.
    let before_points = stored(store, &licence(4, 4, &tianjin())).await;
    let mut fields = before_points.licence.clone().into_fields();
    fields.points = Points::new(date!(2024 - 08 - 01), 9);
    let more_points = Licence::new(fields).expect("a consistent licence");
    store
        .update_licence(
            before_points.version,
            &more_points,
            entry(
                ChangeKind::PointsAdded,
                &before_points.licence,
                &more_points,
                5,
            ),
        )
        .await
        .expect("points");
    let stale = store
        .update_licence(
            before_points.version,
            &with_status(&more_points, "F"),
            entry(ChangeKind::StatusChanged, &more_points, &more_points, 6),
        )
        .await;
    assert!(matches!(stale, Err(StoreError::StaleVersion)), "{stale:?}");
    assert_counts_exact(store, &all, "a points change and a stale update").await;

    // A renewal by another authority moves the licence to that region, with a new status.
    let renewing = stored(store, &licence(5, 5, &tianjin())).await;
    let mut fields = renewing.licence.clone().into_fields();
    fields.authority = chengdu();
    fields.status = StatusSet::NORMAL;
    fields.edition = 2;
    let moved = Licence::new(fields).expect("a consistent licence");
    store
        .update_licence(
            renewing.version,
            &moved,
            entry(ChangeKind::Renewed, &renewing.licence, &moved, 7),
        )
        .await
        .expect("move");
    assert_counts_exact(store, &all, "a move to another region").await;

    // A refused direct insert counts nothing; a new one counts once.
    let taken = store
        .insert_licence(&with_status(&direct, "D"), tianjin_id)
        .await;
    assert!(
        matches!(taken, Err(StoreError::Conflict { .. })),
        "{taken:?}"
    );
    store
        .insert_licence(&with_status(&licence(9, 9, &chengdu()), "D"), chengdu_id)
        .await
        .expect("insert");
    assert_counts_exact(store, &all, "a last insert_licence").await;
    let counts = store.region_counts().await.expect("counts");
    let totals: Vec<(u32, u64)> = counts
        .iter()
        .map(|count| (count.region.as_u32(), count.licences))
        .collect();
    assert_eq!(totals, [(TIANJIN_CITY, 5), (CHENGDU_CITY, 4)]);
}

/// Two batches of the same file written at the same time on different connections, sharing some file numbers:
/// every file number is stored once, each shared one is inserted by one batch and a duplicate for the other, and
/// `region_counts` counts every licence once.
pub async fn concurrent_batches_of_one_source_store_each_record_once<S: Store>(store: &S) {
    let authority_id = store.ensure_authority(&tianjin()).await.expect("ensure");
    // Batch one holds file numbers 1..=600 on lines 2..=601, batch two 301..=900 on lines 602..=1201.
    let one: Vec<(u64, Licence)> = (1..=600u32)
        .map(|n| (u64::from(n) + 1, licence(n, (n % 900) as u16, &tianjin())))
        .collect();
    let two: Vec<(u64, Licence)> = (301..=900u32)
        .map(|n| {
            let status = if n % 3 == 0 { "D" } else { "A" };
            (
                u64::from(n) + 301,
                with_status(&licence(n, (n % 900) as u16, &tianjin()), status),
            )
        })
        .collect();
    let source = store.begin_import(sha(1), at(0)).await.expect("begin");
    let (records_one, records_two) = (records(&one, authority_id), records(&two, authority_id));

    let (first, second) = tokio::join!(
        store.import_batch(source, &records_one),
        store.import_batch(source, &records_two),
    );

    let (first, second) = (first.expect("batch one"), second.expect("batch two"));
    assert_eq!((first.unchanged, second.unchanged), (0, 0));
    assert_eq!(first.inserted + second.inserted, 900);
    assert_eq!(
        first.conflicts.len() + second.conflicts.len(),
        300,
        "each shared file number is a duplicate in one batch"
    );
    let line_of = |n: u32, batch_one: bool| u64::from(n) + if batch_one { 1 } else { 301 };
    let mut conflicts: Vec<ImportConflict> = first.conflicts.clone();
    conflicts.extend(second.conflicts.iter().copied());
    for conflict in &conflicts {
        let in_one = conflict.line <= 601;
        let n = u32::try_from(conflict.line - if in_one { 1 } else { 301 }).expect("small");
        assert!((301..=600).contains(&n), "{conflict:?}");
        assert_eq!(
            conflict.kind,
            ConflictKind::DuplicateInFile {
                first_line: line_of(n, !in_one)
            }
        );
    }
    assert_eq!(store.count_licences().await.expect("count"), 900);
    let all: Vec<FileNumber> = (1..=900).map(file_number).collect();
    assert_counts_exact(store, &all, "two concurrent batches").await;
    // Whichever batch won a shared file number, the stored licence is that batch's record.
    for n in [1, 300, 301, 450, 600, 601, 900] {
        let got = store
            .licence(&file_number(n))
            .await
            .expect("licence")
            .expect("stored")
            .licence;
        let from_one = one
            .iter()
            .find(|(_, l)| l.file_number() == got.file_number());
        let from_two = two
            .iter()
            .find(|(_, l)| l.file_number() == got.file_number());
        assert!(
            from_one.is_some_and(|(_, l)| *l == got) || from_two.is_some_and(|(_, l)| *l == got),
            "licence {n} is one of the imported records"
        );
    }
}

/// A large batch in which a single record is already stored (from an earlier, interrupted run) inserts the others
/// and finds that one unchanged, wherever it sits in the batch.
pub async fn one_stored_record_in_a_large_batch_is_found<S: Store>(store: &S) {
    let authority_id = store.ensure_authority(&tianjin()).await.expect("ensure");
    let lines: Vec<(u64, Licence)> = (1..=1_000u32)
        .map(|n| (u64::from(n) + 1, licence(n, (n % 900) as u16, &tianjin())))
        .collect();
    let source = store.begin_import(sha(1), at(0)).await.expect("begin");
    for stored in [1, 2, 500] {
        store
            .import_batch(source, &records(&lines[stored..=stored], authority_id))
            .await
            .expect("one record");
    }

    let outcome = store
        .import_batch(source, &records(&lines, authority_id))
        .await
        .expect("the whole file");

    assert_eq!(
        outcome,
        BatchOutcome {
            inserted: 997,
            unchanged: 3,
            conflicts: vec![]
        }
    );
    assert_eq!(store.count_licences().await.expect("count"), 1_000);
    let all: Vec<FileNumber> = (1..=1_000).map(file_number).collect();
    assert_counts_exact(store, &all, "a large batch with stored records").await;
}

/// A batch for an import source that does not exist fails as a foreign-key conflict and writes nothing.
pub async fn import_into_an_unknown_source_fails_and_writes_nothing<S: Store>(store: &S) {
    let authority_id = store.ensure_authority(&tianjin()).await.expect("ensure");
    let known = store.begin_import(sha(1), at(0)).await.expect("begin");
    let lines = file_of_ten();

    let res = store
        .import_batch(
            ImportSourceId(known.0 + 1000),
            &records(&lines, authority_id),
        )
        .await;

    assert!(
        matches!(
            res,
            Err(StoreError::Conflict {
                constraint: "foreign_key"
            })
        ),
        "{res:?}"
    );
    assert_eq!(store.count_licences().await.expect("count"), 0);
    assert!(store.region_counts().await.expect("counts").is_empty());
}

/// The database itself refuses to update or delete history rows, whatever the caller.
pub async fn history_is_append_only_in_the_database<B: Backend>(backend: &B) {
    let store = backend.store();
    let authority_id = store.ensure_authority(&tianjin()).await.expect("ensure");
    let original = licence(1, 1, &tianjin());
    store
        .insert_licence(&original, authority_id)
        .await
        .expect("insert");
    let suspended = with_status(&original, "D");
    store
        .update_licence(
            1,
            &suspended,
            entry(ChangeKind::StatusChanged, &original, &suspended, 1),
        )
        .await
        .expect("update");
    let before = store
        .history(original.file_number())
        .await
        .expect("history");

    let update = backend
        .execute_raw("UPDATE licence_history SET reason = 'rewritten'")
        .await;
    let delete = backend.execute_raw("DELETE FROM licence_history").await;

    assert!(update.is_err(), "UPDATE was allowed: {update:?}");
    assert!(delete.is_err(), "DELETE was allowed: {delete:?}");
    let after = store
        .history(original.file_number())
        .await
        .expect("history");
    assert_eq!(after, before);
}

// Credentials and status lists.

fn new_credential(licence: &Licence, key: &str, second: u8) -> NewCredential {
    NewCredential {
        file_number: licence.file_number().clone(),
        region: licence.authority().region,
        edition: licence.edition(),
        device_key_id: key.to_owned(),
        issued_at: at(second),
        valid_until: at(second) + time::Duration::days(14),
    }
}

/// Each region's status list hands out 0, 1, 2 … and the records read back as written.
pub async fn credentials_get_consecutive_indexes_per_region<S: Store>(store: &S) {
    let tj = store.ensure_authority(&tianjin()).await.expect("ensure");
    let cd = store.ensure_authority(&chengdu()).await.expect("ensure");
    let a = licence(1, 1, &tianjin());
    let b = licence(2, 2, &chengdu());
    store.insert_licence(&a, tj).await.expect("insert");
    store.insert_licence(&b, cd).await.expect("insert");
    let mut indexes = Vec::new();
    for (i, l) in [&a, &a, &b, &a].into_iter().enumerate() {
        let record = store
            .insert_credential(&new_credential(l, &format!("key-{i}"), i as u8))
            .await
            .expect("insert credential");
        indexes.push(record.status_index);
    }
    assert_eq!(indexes, [0, 1, 0, 2]);
    assert_eq!(
        store.status_list_len(tianjin().region).await.expect("len"),
        3
    );
    assert_eq!(
        store.status_list_len(chengdu().region).await.expect("len"),
        1
    );
    assert_eq!(store.status_list_len(region(110100)).await.expect("len"), 0);
    // A place in a list names the licence the credential was issued for, and the credential's state.
    let licence_at = |r, i| async move {
        store
            .credential_licence(r, i)
            .await
            .map(|found| found.map(|(file_number, _)| file_number))
    };
    assert_eq!(
        store
            .credential_licence(tianjin().region, 2)
            .await
            .expect("lookup"),
        Some((
            a.file_number().clone(),
            CredentialState {
                status_index: 2,
                withdrawn: false,
                superseded: false,
                licence_status: a.status(),
            }
        ))
    );
    assert_eq!(
        licence_at(chengdu().region, 0).await.expect("lookup"),
        Some(b.file_number().clone())
    );
    assert_eq!(licence_at(chengdu().region, 1).await.expect("lookup"), None);
    assert_eq!(licence_at(region(110100), 0).await.expect("lookup"), None);
    assert_eq!(
        licence_at(tianjin().region, u64::MAX)
            .await
            .expect("lookup"),
        None
    );
    let listed = store.credentials(a.file_number()).await.expect("list");
    assert_eq!(listed.len(), 3);
    assert_eq!(listed[2].credential, new_credential(&a, "key-3", 3));
    assert_eq!(listed[2].status_index, 2);
    assert!(listed.iter().all(|c| c.withdrawn_at.is_none()));
}

/// What a status list is built from: the licence's letters, a newer edition, a withdrawal; paged.
pub async fn credential_states_follow_status_edition_and_withdrawal<S: Store>(store: &S) {
    let tj = store.ensure_authority(&tianjin()).await.expect("ensure");
    let a = licence(1, 1, &tianjin());
    let b = licence(2, 2, &tianjin());
    store.insert_licence(&a, tj).await.expect("insert");
    store.insert_licence(&b, tj).await.expect("insert");
    let first = store
        .insert_credential(&new_credential(&a, "k0", 0))
        .await
        .expect("c0");
    let second = store
        .insert_credential(&new_credential(&b, "k1", 1))
        .await
        .expect("c1");
    store
        .insert_credential(&new_credential(&b, "k2", 2))
        .await
        .expect("c2");

    let suspended = with_status(&a, "D");
    store
        .update_licence(
            1,
            &suspended,
            entry(ChangeKind::StatusChanged, &a, &suspended, 3),
        )
        .await
        .expect("suspend");
    store
        .withdraw_credential(second.id, at(4))
        .await
        .expect("withdraw");
    store
        .withdraw_credential(second.id, at(9))
        .await
        .expect("withdraw again");
    let mut fields = b.clone().into_fields();
    fields.edition = 2;
    let renewed = Licence::new(fields).expect("renewed");
    store
        .update_licence(1, &renewed, entry(ChangeKind::Renewed, &b, &renewed, 5))
        .await
        .expect("renew");

    let states = store
        .credential_states(tianjin().region, 0, 10)
        .await
        .expect("states");
    let normal = StatusSet::NORMAL;
    let d = StatusSet::parse("D").expect("D");
    assert_eq!(
        states,
        [
            CredentialState {
                status_index: 0,
                withdrawn: false,
                superseded: false,
                licence_status: d
            },
            CredentialState {
                status_index: 1,
                withdrawn: true,
                superseded: true,
                licence_status: normal
            },
            CredentialState {
                status_index: 2,
                withdrawn: false,
                superseded: true,
                licence_status: normal
            },
        ]
    );
    // The online verifier's single read agrees with the list's.
    for state in &states {
        let (_, found) = store
            .credential_licence(tianjin().region, state.status_index)
            .await
            .expect("one credential")
            .expect("listed");
        assert_eq!(&found, state);
    }
    // The batched read answers each place as the single read does, in the order asked, repeats,
    // unknown places and an index beyond any list included.
    let places = [
        (tianjin().region, 2),
        (chengdu().region, 0),
        (tianjin().region, 0),
        (tianjin().region, u64::MAX),
        (tianjin().region, 2),
        (tianjin().region, 1),
        (tianjin().region, 3),
    ];
    let batch = store
        .credential_licences(&places)
        .await
        .expect("batched read");
    let mut singles = Vec::new();
    for (region, index) in places {
        singles.push(
            store
                .credential_licence(region, index)
                .await
                .expect("single read"),
        );
    }
    assert_eq!(batch, singles);
    assert_eq!(
        batch.iter().map(Option::is_some).collect::<Vec<_>>(),
        [true, false, true, false, true, true, false]
    );
    assert_eq!(batch[2].as_ref().map(|(n, _)| n), Some(a.file_number()));
    assert!(
        store
            .credential_licences(&[])
            .await
            .expect("nothing asked")
            .is_empty()
    );
    let page = store
        .credential_states(tianjin().region, 1, 1)
        .await
        .expect("page");
    assert_eq!(page.iter().map(|s| s.status_index).collect::<Vec<_>>(), [1]);
    assert!(
        store
            .credential_states(chengdu().region, 0, 10)
            .await
            .expect("empty")
            .is_empty()
    );
    let listed = store.credentials(b.file_number()).await.expect("list");
    assert_eq!(
        listed[0].withdrawn_at,
        Some(at(4)),
        "the first withdrawal time is kept"
    );
    assert_eq!(first.status_index, 0);
}

/// No credential for a licence the registry does not hold; no withdrawal of an unknown credential.
pub async fn credentials_of_unknown_licences_are_not_found<S: Store>(store: &S) {
    store.ensure_authority(&tianjin()).await.expect("ensure");
    let ghost = licence(9, 9, &tianjin());
    let err = store
        .insert_credential(&new_credential(&ghost, "k", 0))
        .await
        .expect_err("unknown");
    assert!(
        matches!(err, StoreError::NotFound { what: "licence" }),
        "{err:?}"
    );
    assert_eq!(
        store.status_list_len(tianjin().region).await.expect("len"),
        0,
        "no index was spent"
    );
    let err = store
        .withdraw_credential(424242, at(0))
        .await
        .expect_err("unknown");
    assert!(
        matches!(err, StoreError::NotFound { what: "credential" }),
        "{err:?}"
    );
}

/// Credentials issued at the same moment by many requests get distinct indexes with no gap.
pub async fn concurrent_credentials_never_share_an_index<S: Store>(store: &S) {
    let tj = store.ensure_authority(&tianjin()).await.expect("ensure");
    let a = licence(1, 1, &tianjin());
    store.insert_licence(&a, tj).await.expect("insert");
    let tasks: Vec<_> = (0..16u8)
        .map(|i| {
            let store = store.clone();
            let credential = new_credential(&a, &format!("k{i}"), i);
            tokio::spawn(async move {
                // SQLite reports a busy database under write contention; a caller retries.
                for _ in 0..50 {
                    match store.insert_credential(&credential).await {
                        Ok(record) => return record.status_index,
                        Err(StoreError::Unavailable(_) | StoreError::Conflict { .. }) => {
                            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
                        }
                        Err(other) => panic!("insert credential: {other:?}"),
                    }
                }
                panic!("insert credential kept failing")
            })
        })
        .collect();
    let mut indexes = Vec::new();
    for task in tasks {
        indexes.push(task.await.expect("task"));
    }
    indexes.sort_unstable();
    assert_eq!(indexes, (0..16).collect::<Vec<u64>>());
}

/// The newest of history entries, issuances and withdrawals of a region.
pub async fn last_status_change_follows_history_and_credentials<S: Store>(store: &S) {
    let tj = store.ensure_authority(&tianjin()).await.expect("ensure");
    let a = licence(1, 1, &tianjin());
    store.insert_licence(&a, tj).await.expect("insert");
    assert_eq!(
        store
            .last_status_change(tianjin().region)
            .await
            .expect("none"),
        None
    );
    let c = store
        .insert_credential(&new_credential(&a, "k", 10))
        .await
        .expect("c");
    assert_eq!(
        store
            .last_status_change(tianjin().region)
            .await
            .expect("issued"),
        Some(at(10))
    );
    let suspended = with_status(&a, "D");
    store
        .update_licence(
            1,
            &suspended,
            entry(ChangeKind::StatusChanged, &a, &suspended, 20),
        )
        .await
        .expect("suspend");
    assert_eq!(
        store
            .last_status_change(tianjin().region)
            .await
            .expect("changed"),
        Some(at(20))
    );
    store
        .withdraw_credential(c.id, at(30))
        .await
        .expect("withdraw");
    assert_eq!(
        store
            .last_status_change(tianjin().region)
            .await
            .expect("withdrawn"),
        Some(at(30))
    );
    assert_eq!(
        store
            .last_status_change(chengdu().region)
            .await
            .expect("other"),
        None
    );
}

// The holder's web wallet (issue 6).

/// A well-formed Argon2id PHC string (the hash of no particular password).
const PASSWORD_HASH: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaA";

/// The account request for `licence`, with its own 证号.
fn new_account(licence: &Licence) -> NewAccount {
    NewAccount {
        citizen_id: licence.citizen_id().clone(),
        file_number: licence.file_number().clone(),
        password_hash: PASSWORD_HASH.to_owned(),
        created_at: at(1),
    }
}

/// Stores `licences` (issued in Tianjin) and an account for the first of them.
async fn account_for<S: Store>(store: &S, licences: &[&Licence]) -> Account {
    let tj = store.ensure_authority(&tianjin()).await.expect("ensure");
    for licence in licences {
        store.insert_licence(licence, tj).await.expect("insert");
    }
    store
        .create_account(&new_account(licences[0]))
        .await
        .expect("create account")
}

fn new_session(token: u8, account_id: i64, expires_at: OffsetDateTime) -> NewSession {
    NewSession {
        token_hash: sha(token),
        account_id,
        csrf_token: format!("csrf-token-{token:0>16}"),
        created_at: at(0),
        expires_at,
    }
}

fn new_share(token: u8, account: &Account, created: u8, expires: u8) -> NewShare {
    NewShare {
        token_hash: sha(token),
        account_id: account.id,
        file_number: account.file_number.clone(),
        purpose: "car_rental".to_owned(),
        created_at: at(created),
        expires_at: at(expires),
    }
}

fn check_event(licence: &Licence, second: u8, verifier: &str) -> NewCheckEvent {
    NewCheckEvent {
        file_number: licence.file_number().clone(),
        at: at(second),
        verifier: verifier.to_owned(),
        purpose: "roadside".to_owned(),
        channel: "api".to_owned(),
        result: "valid".to_owned(),
    }
}

/// An error with its sources, and its `Debug`, must not contain the licence's 证号 or file number.
#[track_caller]
fn assert_no_personal_data(err: &StoreError, licence: &Licence) {
    let mut text = format!("{err} {err:?}");
    let mut source = std::error::Error::source(err);
    while let Some(inner) = source {
        text.push_str(&format!(" {inner} {inner:?}"));
        source = inner.source();
    }
    assert!(!text.contains(licence.citizen_id().as_str()), "{text}");
    assert!(!text.contains(licence.file_number().as_str()), "{text}");
}

/// An account is bound to its licence and found by id and by 证号.
pub async fn create_account_then_read_it_back<S: Store>(store: &S) {
    let a = licence(1, 1, &tianjin());
    let b = licence(2, 2, &tianjin());
    let first = account_for(store, &[&a, &b]).await;
    let second = store
        .create_account(&new_account(&b))
        .await
        .expect("second account");

    assert_ne!(first.id, second.id);
    assert_eq!(first.citizen_id, *a.citizen_id());
    assert_eq!(first.file_number, *a.file_number());
    assert_eq!(first.password_hash, PASSWORD_HASH);
    assert_eq!(first.created_at, at(1));
    assert_eq!(
        store.account(first.id).await.expect("account"),
        Some(first.clone())
    );
    assert_eq!(
        store
            .account_by_citizen_id(b.citizen_id())
            .await
            .expect("by citizen id"),
        Some(second.clone())
    );
    assert_eq!(
        store.account(second.id + 1000).await.expect("unknown"),
        None
    );
    let stranger = licence(3, 3, &tianjin());
    assert_eq!(
        store
            .account_by_citizen_id(stranger.citizen_id())
            .await
            .expect("unknown"),
        None
    );
}

/// One account per licence and one per 证号, each refusal naming its rule and no personal data.
pub async fn create_account_refuses_a_taken_licence_or_citizen_id<S: Store>(store: &S) {
    // Holder 1 has two licences (a transferred-out record and its successor, say).
    let a = licence(1, 1, &tianjin());
    let a2 = licence(2, 1, &tianjin());
    let first = account_for(store, &[&a, &a2]).await;

    let mut again = new_account(&a);
    again.password_hash.push('x');
    let err = store
        .create_account(&again)
        .await
        .expect_err("the licence has an account");
    assert!(
        matches!(
            err,
            StoreError::Conflict {
                constraint: "account_file_number"
            }
        ),
        "{err:?}"
    );
    assert_no_personal_data(&err, &a);

    let err = store
        .create_account(&new_account(&a2))
        .await
        .expect_err("the 证号 has an account");
    assert!(
        matches!(
            err,
            StoreError::Conflict {
                constraint: "account_citizen_id"
            }
        ),
        "{err:?}"
    );
    assert_no_personal_data(&err, &a2);

    assert_eq!(
        store
            .account_by_citizen_id(a.citizen_id())
            .await
            .expect("account"),
        Some(first),
        "the first account is unchanged"
    );
}

/// An account needs a stored licence whose 证号 is the account's.
pub async fn create_account_needs_the_licence_of_that_citizen_id<S: Store>(store: &S) {
    let a = licence(1, 1, &tianjin());
    store.ensure_authority(&tianjin()).await.expect("ensure");

    let err = store
        .create_account(&new_account(&a))
        .await
        .expect_err("unknown licence");
    assert!(
        matches!(err, StoreError::NotFound { what: "licence" }),
        "{err:?}"
    );
    assert_no_personal_data(&err, &a);

    let tj = store.ensure_authority(&tianjin()).await.expect("ensure");
    store.insert_licence(&a, tj).await.expect("insert");
    let someone_else = licence(2, 2, &tianjin());
    let mut mismatched = new_account(&a);
    mismatched.citizen_id = someone_else.citizen_id().clone();
    let err = store
        .create_account(&mismatched)
        .await
        .expect_err("another holder's 证号");
    assert!(
        matches!(err, StoreError::NotFound { what: "licence" }),
        "{err:?}"
    );
    assert_no_personal_data(&err, &someone_else);
    assert_eq!(
        store
            .account_by_citizen_id(someone_else.citizen_id())
            .await
            .expect("none"),
        None
    );
    store
        .create_account(&new_account(&a))
        .await
        .expect("the licence is still free");
}

/// The database refuses a password hash that is not an Argon2id PHC string (a plain password, say).
pub async fn create_account_refuses_a_password_hash_that_is_not_argon2id<S: Store>(store: &S) {
    let a = licence(1, 1, &tianjin());
    let tj = store.ensure_authority(&tianjin()).await.expect("ensure");
    store.insert_licence(&a, tj).await.expect("insert");
    for hash in ["hunter2", "$argon2i$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA", ""] {
        let mut account = new_account(&a);
        account.password_hash = hash.to_owned();

        let err = store
            .create_account(&account)
            .await
            .expect_err("not an Argon2id hash");

        assert_no_personal_data(&err, &a);
        if !hash.is_empty() {
            assert!(!format!("{err} {err:?}").contains(hash), "{err:?}");
        }
    }
    assert_eq!(
        store
            .account_by_citizen_id(a.citizen_id())
            .await
            .expect("none"),
        None
    );
}

/// A session is found by its token hash until it expires (`expires_at <= now`), to the sub-second.
pub async fn sessions_are_found_until_they_expire<S: Store>(store: &S) {
    let a = licence(1, 1, &tianjin());
    let account = account_for(store, &[&a]).await;
    let expires_at = at(10) + time::Duration::milliseconds(500);
    let new = new_session(1, account.id, expires_at);
    store.create_session(&new).await.expect("create session");
    let expected = Session {
        account_id: account.id,
        csrf_token: new.csrf_token.clone(),
        created_at: at(0),
        expires_at,
    };

    for now in [
        at(0),
        at(5),
        at(10),
        expires_at - time::Duration::milliseconds(1),
    ] {
        assert_eq!(
            store.session(&sha(1), now).await.expect("session"),
            Some(expected.clone()),
            "live at {now}"
        );
    }
    for now in [expires_at, at(11), at(200)] {
        assert_eq!(
            store.session(&sha(1), now).await.expect("session"),
            None,
            "expired at {now}"
        );
    }
    assert_eq!(store.session(&sha(2), at(0)).await.expect("unknown"), None);
}

/// Logout deletes one session (and is idempotent); the sweep deletes exactly the expired ones.
pub async fn sessions_end_on_logout_and_expired_ones_are_deleted<S: Store>(store: &S) {
    let a = licence(1, 1, &tianjin());
    let account = account_for(store, &[&a]).await;
    for (token, expires) in [(1, 10), (2, 20), (3, 30), (4, 40)] {
        store
            .create_session(&new_session(token, account.id, at(expires)))
            .await
            .expect("create session");
    }

    store.delete_session(&sha(1)).await.expect("logout");
    store.delete_session(&sha(1)).await.expect("logout again");
    store
        .delete_session(&sha(9))
        .await
        .expect("unknown session");
    assert_eq!(store.session(&sha(1), at(0)).await.expect("gone"), None);
    assert!(store.session(&sha(2), at(0)).await.expect("live").is_some());

    assert_eq!(
        store.delete_expired_sessions(at(30)).await.expect("sweep"),
        2,
        "the sessions ending at 20 and 30"
    );
    assert_eq!(
        store.delete_expired_sessions(at(30)).await.expect("sweep"),
        0
    );
    assert!(
        store
            .session(&sha(4), at(30))
            .await
            .expect("live")
            .is_some()
    );
    assert_eq!(
        store.delete_expired_sessions(at(100)).await.expect("sweep"),
        1
    );
}

/// Sessions and claim challenges belong to an existing account, and a token or nonce hash is stored once.
pub async fn sessions_and_challenges_need_an_account_and_a_fresh_hash<S: Store>(store: &S) {
    let a = licence(1, 1, &tianjin());
    let account = account_for(store, &[&a]).await;
    let ghost = account.id + 1000;

    let err = store
        .create_session(&new_session(1, ghost, at(10)))
        .await
        .expect_err("unknown account");
    assert!(
        matches!(err, StoreError::NotFound { what: "account" }),
        "{err:?}"
    );
    let err = store
        .create_claim_challenge(&sha(1), ghost, at(10))
        .await
        .expect_err("unknown account");
    assert!(
        matches!(err, StoreError::NotFound { what: "account" }),
        "{err:?}"
    );

    store
        .create_session(&new_session(1, account.id, at(10)))
        .await
        .expect("create session");
    let err = store
        .create_session(&new_session(1, account.id, at(20)))
        .await
        .expect_err("token hash taken");
    assert!(
        matches!(
            err,
            StoreError::Conflict {
                constraint: "session_token"
            }
        ),
        "{err:?}"
    );
    assert_eq!(
        store
            .session(&sha(1), at(0))
            .await
            .expect("session")
            .map(|s| s.expires_at),
        Some(at(10)),
        "the first session is unchanged"
    );

    store
        .create_claim_challenge(&sha(1), account.id, at(10))
        .await
        .expect("create challenge");
    let err = store
        .create_claim_challenge(&sha(1), account.id, at(20))
        .await
        .expect_err("nonce hash taken");
    assert!(
        matches!(
            err,
            StoreError::Conflict {
                constraint: "claim_nonce"
            }
        ),
        "{err:?}"
    );
}

/// A claim challenge is good once, for its own account, before it expires; a replay gets `false`.
pub async fn claim_challenges_are_consumed_once_by_their_account_before_expiry<S: Store>(
    store: &S,
) {
    let a = licence(1, 1, &tianjin());
    let b = licence(2, 2, &tianjin());
    let owner = account_for(store, &[&a, &b]).await;
    let other = store.create_account(&new_account(&b)).await.expect("other");
    store
        .create_claim_challenge(&sha(1), owner.id, at(10))
        .await
        .expect("challenge 1");
    store
        .create_claim_challenge(&sha(2), owner.id, at(10))
        .await
        .expect("challenge 2");

    assert!(
        !store
            .consume_claim_challenge(&sha(1), other.id, at(5))
            .await
            .expect("another account"),
        "another account's challenge"
    );
    assert!(
        store
            .consume_claim_challenge(&sha(1), owner.id, at(5))
            .await
            .expect("consume"),
        "the owner's first use"
    );
    assert!(
        !store
            .consume_claim_challenge(&sha(1), owner.id, at(6))
            .await
            .expect("replay"),
        "a replay"
    );
    assert!(
        !store
            .consume_claim_challenge(&sha(2), owner.id, at(10))
            .await
            .expect("expired"),
        "expired at expires_at"
    );
    assert!(
        !store
            .consume_claim_challenge(&sha(2), owner.id, at(11))
            .await
            .expect("expired"),
        "expired"
    );
    assert!(
        !store
            .consume_claim_challenge(&sha(3), owner.id, at(0))
            .await
            .expect("unknown"),
        "an unknown nonce"
    );
}

/// Eight concurrent uses of one challenge: exactly one succeeds.
pub async fn concurrent_claim_consumptions_let_exactly_one_win<S: Store>(store: &S) {
    let a = licence(1, 1, &tianjin());
    let account = account_for(store, &[&a]).await;
    store
        .create_claim_challenge(&sha(7), account.id, at(60))
        .await
        .expect("challenge");

    let barrier = Arc::new(tokio::sync::Barrier::new(8));
    let tasks: Vec<_> = (0..8u8)
        .map(|i| {
            let store = store.clone();
            let barrier = Arc::clone(&barrier);
            tokio::spawn(async move {
                barrier.wait().await;
                store
                    .consume_claim_challenge(&sha(7), account.id, at(i))
                    .await
                    .expect("consume")
            })
        })
        .collect();
    let mut wins = 0;
    for task in tasks {
        if task.await.expect("task") {
            wins += 1;
        }
    }

    assert_eq!(wins, 1);
}

/// Checks of a licence come back newest first (by when they happened, not by insertion), limited.
pub async fn check_events_are_listed_newest_first<S: Store>(store: &S) {
    let tj = store.ensure_authority(&tianjin()).await.expect("ensure");
    let a = licence(1, 1, &tianjin());
    let b = licence(2, 2, &tianjin());
    store.insert_licence(&a, tj).await.expect("insert");
    store.insert_licence(&b, tj).await.expect("insert");
    let mut shared = check_event(&a, 20, "share link");
    shared.channel = "share".to_owned();
    shared.purpose = "car_rental".to_owned();
    shared.result = "not_valid".to_owned();
    let mut ids = Vec::new();
    for event in [
        check_event(&a, 10, "天津市公安局交通警察总队"),
        check_event(&a, 30, "某某汽车租赁有限公司"),
        shared.clone(),
        check_event(&b, 40, "某某保险股份有限公司"),
    ] {
        let recorded = store.insert_check_event(&event).await.expect("insert");
        assert_eq!(recorded.event, event);
        ids.push(recorded.id);
    }
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "{ids:?}");

    let listed = store.check_events(a.file_number(), 10).await.expect("list");
    assert_eq!(
        listed.iter().map(|e| e.event.at).collect::<Vec<_>>(),
        [at(30), at(20), at(10)]
    );
    assert_eq!(listed[1].id, ids[2]);
    assert_eq!(listed[1].event, shared);
    let limited = store
        .check_events(a.file_number(), 2)
        .await
        .expect("limited");
    assert_eq!(limited, listed[..2]);
    assert_eq!(
        store
            .check_events(b.file_number(), 10)
            .await
            .expect("other")
            .len(),
        1
    );
    assert!(
        store
            .check_events(&file_number(99), 10)
            .await
            .expect("none")
            .is_empty()
    );
}

/// A check of a licence the registry does not hold is refused.
pub async fn check_events_of_unknown_licences_are_not_found<S: Store>(store: &S) {
    store.ensure_authority(&tianjin()).await.expect("ensure");
    let ghost = licence(9, 9, &tianjin());

    let err = store
        .insert_check_event(&check_event(&ghost, 1, "某某汽车租赁有限公司"))
        .await
        .expect_err("unknown licence");

    assert!(
        matches!(err, StoreError::NotFound { what: "licence" }),
        "{err:?}"
    );
    assert_no_personal_data(&err, &ghost);
}

/// Shares are listed newest first, found by token hash (withdrawn or not) and withdrawn once.
pub async fn shares_are_listed_found_by_token_and_withdrawn<S: Store>(store: &S) {
    let a = licence(1, 1, &tianjin());
    let account = account_for(store, &[&a]).await;
    let older = store
        .insert_share(&new_share(1, &account, 10, 50))
        .await
        .expect("share 1");
    let newer = store
        .insert_share(&new_share(2, &account, 20, 30))
        .await
        .expect("share 2");
    assert_eq!(older.share, new_share(1, &account, 10, 50));
    assert_eq!(older.withdrawn_at, None);
    assert_ne!(older.id, newer.id);

    assert_eq!(
        store.shares(account.id).await.expect("list"),
        [newer.clone(), older.clone()]
    );
    assert_eq!(
        store.share_by_token(&sha(1)).await.expect("by token"),
        Some(older.clone())
    );
    assert_eq!(store.share_by_token(&sha(3)).await.expect("unknown"), None);

    assert!(
        store
            .withdraw_share(older.id, account.id, at(40))
            .await
            .expect("withdraw")
    );
    assert!(
        !store
            .withdraw_share(older.id, account.id, at(45))
            .await
            .expect("withdraw again"),
        "already withdrawn"
    );
    let withdrawn = store
        .share_by_token(&sha(1))
        .await
        .expect("by token")
        .expect("still stored");
    assert_eq!(
        withdrawn.withdrawn_at,
        Some(at(40)),
        "the first time is kept"
    );
    assert_eq!(
        store.share_by_token(&sha(2)).await.expect("by token"),
        Some(newer),
        "the other share is untouched"
    );
    assert!(
        store
            .shares(account.id + 1000)
            .await
            .expect("unknown account")
            .is_empty()
    );
}

/// A share is of the account's own licence; a token hash is stored once; nobody withdraws another's share.
pub async fn shares_refuse_another_accounts_licence_and_withdrawal<S: Store>(store: &S) {
    let a = licence(1, 1, &tianjin());
    let b = licence(2, 2, &tianjin());
    let owner = account_for(store, &[&a, &b]).await;
    let other = store.create_account(&new_account(&b)).await.expect("other");
    let share = store
        .insert_share(&new_share(1, &owner, 10, 50))
        .await
        .expect("share");

    let mut of_another_licence = new_share(2, &other, 10, 50);
    of_another_licence.file_number = a.file_number().clone();
    let err = store
        .insert_share(&of_another_licence)
        .await
        .expect_err("not the account's licence");
    assert!(
        matches!(err, StoreError::NotFound { what: "account" }),
        "{err:?}"
    );
    assert_no_personal_data(&err, &a);
    let mut of_nobody = new_share(2, &owner, 10, 50);
    of_nobody.account_id = other.id + 1000;
    let err = store
        .insert_share(&of_nobody)
        .await
        .expect_err("unknown account");
    assert!(
        matches!(err, StoreError::NotFound { what: "account" }),
        "{err:?}"
    );
    let err = store
        .insert_share(&new_share(1, &other, 10, 50))
        .await
        .expect_err("token hash taken");
    assert!(
        matches!(
            err,
            StoreError::Conflict {
                constraint: "share_token"
            }
        ),
        "{err:?}"
    );
    assert!(
        store.shares(other.id).await.expect("list").is_empty(),
        "nothing was stored for the other account"
    );

    assert!(
        !store
            .withdraw_share(share.id, other.id, at(20))
            .await
            .expect("another account's share"),
    );
    assert!(
        !store
            .withdraw_share(share.id + 1000, owner.id, at(20))
            .await
            .expect("unknown share"),
    );
    assert_eq!(
        store.share_by_token(&sha(1)).await.expect("by token"),
        Some(share),
        "untouched"
    );
}

/// Deleting an account (raw SQL: the trait has no such method yet) cascades to its sessions, challenges and
/// shares, and leaves other accounts' rows alone.
pub async fn deleting_an_account_deletes_its_sessions_challenges_and_shares<B: Backend>(
    backend: &B,
) {
    let store = backend.store();
    let a = licence(1, 1, &tianjin());
    let account = account_for(store, &[&a]).await;
    store
        .create_session(&new_session(1, account.id, at(50)))
        .await
        .expect("session");
    store
        .create_claim_challenge(&sha(1), account.id, at(50))
        .await
        .expect("challenge");
    store
        .insert_share(&new_share(1, &account, 10, 50))
        .await
        .expect("share");

    assert_eq!(backend.execute_raw("DELETE FROM accounts").await, Ok(1));

    assert_eq!(store.account(account.id).await.expect("account"), None);
    assert_eq!(store.session(&sha(1), at(0)).await.expect("session"), None);
    assert_eq!(store.share_by_token(&sha(1)).await.expect("share"), None);
    assert_eq!(
        backend.execute_raw("DELETE FROM claim_challenges").await,
        Ok(0),
        "the challenge went with the account"
    );
    assert!(
        store
            .licence(a.file_number())
            .await
            .expect("licence")
            .is_some(),
        "the licence stays"
    );
}

// The operator console.

const CONSOLE_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$Y29uc29sZXNhbHQ$Y29uc29sZWhhc2g";

fn console_user(
    username: &str,
    role: ConsoleRole,
    authority_id: Option<AuthorityId>,
    organisation_id: Option<i64>,
) -> NewConsoleUser {
    NewConsoleUser {
        username: username.to_owned(),
        password_hash: CONSOLE_HASH.to_owned(),
        role,
        authority_id,
        organisation_id,
        created_at: at(1),
    }
}

fn new_organisation(name: &str) -> NewOrganisation {
    NewOrganisation {
        name: name.to_owned(),
        kind: "car_rental".to_owned(),
        purposes: vec!["car_rental".to_owned(), "identity".to_owned()],
        created_at: at(2),
    }
}

fn new_api_key(organisation_id: i64, byte: u8) -> NewApiKey {
    NewApiKey {
        organisation_id,
        key_hash: sha(byte),
        prefix: format!("edl_{byte:02x}"),
        label: format!("key {byte}"),
        created_at: at(3),
    }
}

fn new_console_session(token: u8, user_id: i64, expires_at: OffsetDateTime) -> NewConsoleSession {
    NewConsoleSession {
        token_hash: sha(token),
        user_id,
        csrf_token: format!("console-csrf-{token:0>16}"),
        created_at: at(0),
        expires_at,
    }
}

/// A verification by `organisation_id` at `when`, of `licence` if given (with its region).
fn verification(
    organisation_id: i64,
    when: OffsetDateTime,
    licence: Option<&Licence>,
    result: &str,
) -> NewVerification {
    NewVerification {
        at: when,
        organisation_id,
        api_key_id: None,
        user_id: None,
        purpose: "car_rental".to_owned(),
        channel: "api".to_owned(),
        result: result.to_owned(),
        file_number: licence.map(|l| l.file_number().clone()),
        region: licence.map(|l| l.authority().region),
    }
}

#[track_caller]
fn assert_conflict<T: std::fmt::Debug>(res: Result<T, StoreError>, expected: &'static str) {
    match res {
        Err(StoreError::Conflict { constraint }) if constraint == expected => {}
        other => panic!("expected Conflict {{ constraint: {expected:?} }}, got {other:?}"),
    }
}

#[track_caller]
fn assert_not_found<T: std::fmt::Debug>(res: Result<T, StoreError>, expected: &'static str) {
    match res {
        Err(StoreError::NotFound { what }) if what == expected => {}
        other => panic!("expected NotFound {{ what: {expected:?} }}, got {other:?}"),
    }
}

/// Console users of each role are created with their scope and found by id and by name, listed by id; their
/// `Debug` hides the password hash.
pub async fn console_users_are_created_and_found<S: Store>(store: &S) {
    let tj = store.ensure_authority(&tianjin()).await.expect("ensure");
    let org = store
        .create_organisation(&new_organisation("某某汽车租赁有限公司"))
        .await
        .expect("organisation");
    let platform = console_user("admin", ConsoleRole::Platform, None, None);
    let operator = console_user("天津-operator", ConsoleRole::Operator, Some(tj), None);
    let auditor = console_user("tj-auditor", ConsoleRole::Auditor, Some(tj), None);
    let verifier = console_user("rental-desk", ConsoleRole::Verifier, None, Some(org.id));

    let mut created = Vec::new();
    for user in [&platform, &operator, &auditor, &verifier] {
        let stored = store.create_console_user(user).await.expect("create");
        assert_eq!(&stored.user, user);
        assert_eq!(stored.disabled_at, None);
        created.push(stored);
    }

    assert!(created.windows(2).all(|w| w[0].id < w[1].id), "{created:?}");
    assert_eq!(store.console_users().await.expect("list"), created);
    assert_eq!(
        store.console_user(created[1].id).await.expect("by id"),
        Some(created[1].clone())
    );
    assert_eq!(
        store
            .console_user_by_name("rental-desk")
            .await
            .expect("by name"),
        Some(created[3].clone())
    );
    assert_eq!(
        store.console_user_by_name("Admin").await.expect("by name"),
        None,
        "names are case-sensitive"
    );
    assert_eq!(
        store.console_user(created[3].id + 100).await.expect("none"),
        None
    );
    let debug = format!("{:?}", created[0]);
    assert!(!debug.contains("argon2"), "{debug}");
    assert_eq!(ConsoleRole::parse("auditor"), Some(ConsoleRole::Auditor));
    assert!(
        ConsoleRole::ALL
            .iter()
            .all(|role| ConsoleRole::parse(role.as_str()) == Some(*role))
    );
}

/// A taken name, a role with the wrong scope, an unknown authority or organisation and a name of the wrong length
/// are refused, and nothing is written.
pub async fn create_console_user_refuses_taken_names_bad_scopes_and_unknown_ids<S: Store>(
    store: &S,
) {
    let tj = store.ensure_authority(&tianjin()).await.expect("ensure");
    let org = store
        .create_organisation(&new_organisation("某某保险股份有限公司"))
        .await
        .expect("organisation");
    let first = store
        .create_console_user(&console_user("admin", ConsoleRole::Platform, None, None))
        .await
        .expect("first");

    assert_conflict(
        store
            .create_console_user(&console_user(
                "admin",
                ConsoleRole::Operator,
                Some(tj),
                None,
            ))
            .await,
        "console_username",
    );
    for (role, authority, organisation) in [
        (ConsoleRole::Platform, Some(tj), None),
        (ConsoleRole::Platform, None, Some(org.id)),
        (ConsoleRole::Operator, None, None),
        (ConsoleRole::Operator, Some(tj), Some(org.id)),
        (ConsoleRole::Auditor, None, Some(org.id)),
        (ConsoleRole::Verifier, None, None),
        (ConsoleRole::Verifier, Some(tj), Some(org.id)),
        (ConsoleRole::Verifier, Some(tj), None),
    ] {
        assert_conflict(
            store
                .create_console_user(&console_user("someone", role, authority, organisation))
                .await,
            "console_role_scope",
        );
    }
    assert_not_found(
        store
            .create_console_user(&console_user(
                "ghost-operator",
                ConsoleRole::Operator,
                Some(AuthorityId(tj.0 + 100)),
                None,
            ))
            .await,
        "authority",
    );
    assert_not_found(
        store
            .create_console_user(&console_user(
                "ghost-verifier",
                ConsoleRole::Verifier,
                None,
                Some(org.id + 100),
            ))
            .await,
        "organisation",
    );
    for name in [String::new(), "管".repeat(65)] {
        assert_conflict(
            store
                .create_console_user(&console_user(&name, ConsoleRole::Platform, None, None))
                .await,
            "console_username_length",
        );
    }
    let mut bad_hash = console_user("plain", ConsoleRole::Platform, None, None);
    bad_hash.password_hash = "hunter2".to_owned();
    let err = store
        .create_console_user(&bad_hash)
        .await
        .expect_err("not an Argon2id hash");
    assert!(!format!("{err} {err:?}").contains("hunter2"), "{err:?}");

    assert_eq!(store.console_users().await.expect("list"), [first]);
    let longest = "管".repeat(64);
    store
        .create_console_user(&console_user(&longest, ConsoleRole::Platform, None, None))
        .await
        .expect("64 characters are allowed");
}

/// A console session is found until it expires (`expires_at <= now`), ends on logout (idempotently) and needs a
/// known user and a fresh token hash.
pub async fn console_sessions_expire_and_end_on_logout<S: Store>(store: &S) {
    let user = store
        .create_console_user(&console_user("admin", ConsoleRole::Platform, None, None))
        .await
        .expect("user");
    let expires = at(30) + time::Duration::nanoseconds(500_000_000);
    let session = new_console_session(1, user.id, expires);
    store
        .create_console_session(&session)
        .await
        .expect("session");
    store
        .create_console_session(&new_console_session(2, user.id, at(60)))
        .await
        .expect("second session");

    let found = store
        .console_session(&sha(1), at(30))
        .await
        .expect("live")
        .expect("found before expiry");
    assert_eq!(found.user_id, user.id);
    assert_eq!(found.csrf_token, session.csrf_token);
    assert_eq!((found.created_at, found.expires_at), (at(0), expires));
    assert!(!format!("{found:?} {session:?}").contains("console-csrf"));
    assert_eq!(
        store
            .console_session(&sha(1), expires)
            .await
            .expect("expired"),
        None
    );
    assert_eq!(
        store
            .console_session(&sha(9), at(0))
            .await
            .expect("unknown"),
        None
    );

    store.delete_console_session(&sha(1)).await.expect("logout");
    store
        .delete_console_session(&sha(1))
        .await
        .expect("logout again");
    assert_eq!(
        store.console_session(&sha(1), at(0)).await.expect("gone"),
        None
    );
    assert!(
        store
            .console_session(&sha(2), at(0))
            .await
            .expect("other")
            .is_some(),
        "another session stays"
    );

    assert_not_found(
        store
            .create_console_session(&new_console_session(3, user.id + 100, at(60)))
            .await,
        "console_user",
    );
    assert_conflict(
        store
            .create_console_session(&new_console_session(2, user.id, at(90)))
            .await,
        "console_session_token",
    );
}

/// Disabling a console user ends its sessions at once and is visible on the user; re-enabling clears it; the
/// sweep deletes exactly the expired console sessions.
pub async fn console_users_are_disabled_and_sessions_swept<S: Store>(store: &S) {
    let admin = store
        .create_console_user(&console_user("admin", ConsoleRole::Platform, None, None))
        .await
        .expect("admin");
    let other = store
        .create_console_user(&console_user("other", ConsoleRole::Platform, None, None))
        .await
        .expect("other");
    for (seed, user, expires) in [(1, admin.id, 60), (2, admin.id, 90), (3, other.id, 20)] {
        store
            .create_console_session(&new_console_session(seed, user, at(expires)))
            .await
            .expect("session");
    }

    let disabled = store
        .set_console_user_disabled("admin", Some(at(10)))
        .await
        .expect("disable");
    assert_eq!(
        (disabled.id, disabled.disabled_at),
        (admin.id, Some(at(10)))
    );
    assert_eq!(
        store
            .console_user_by_name("admin")
            .await
            .expect("read")
            .expect("still there")
            .disabled_at,
        Some(at(10))
    );
    for seed in [1, 2] {
        assert_eq!(
            store
                .console_session(&sha(seed), at(0))
                .await
                .expect("read"),
            None,
            "the disabled user's sessions end"
        );
    }
    assert!(
        store
            .console_session(&sha(3), at(0))
            .await
            .expect("read")
            .is_some(),
        "another user's session stays"
    );

    let enabled = store
        .set_console_user_disabled("admin", None)
        .await
        .expect("enable");
    assert_eq!(enabled.disabled_at, None);
    assert_not_found(
        store
            .set_console_user_disabled("nobody", Some(at(10)))
            .await,
        "console_user",
    );

    store
        .create_console_session(&new_console_session(4, admin.id, at(60)))
        .await
        .expect("new session");
    assert_eq!(
        store
            .delete_expired_console_sessions(at(19))
            .await
            .expect("sweep"),
        0
    );
    assert_eq!(
        store
            .delete_expired_console_sessions(at(20))
            .await
            .expect("sweep"),
        1,
        "a session expiring at the sweep's instant is expired"
    );
    assert!(
        store
            .console_session(&sha(4), at(20))
            .await
            .expect("read")
            .is_some()
    );
    assert_eq!(
        store
            .delete_expired_console_sessions(at(100))
            .await
            .expect("sweep"),
        1
    );
}

/// Organisations are listed by id, found by id with their purposes, and their names are unique.
pub async fn organisations_have_unique_names<S: Store>(store: &S) {
    let a = store
        .create_organisation(&new_organisation("某某汽车租赁有限公司"))
        .await
        .expect("a");
    let mut no_purposes = new_organisation("某某保险股份有限公司");
    no_purposes.purposes = Vec::new();
    no_purposes.kind = "insurer".to_owned();
    let b = store.create_organisation(&no_purposes).await.expect("b");

    assert!(a.id < b.id);
    assert_eq!(a.organisation, new_organisation("某某汽车租赁有限公司"));
    assert_eq!(
        store.organisations().await.expect("list"),
        [a.clone(), b.clone()]
    );
    assert_eq!(store.organisation(b.id).await.expect("b"), Some(b.clone()));
    assert_eq!(store.organisation(b.id + 100).await.expect("none"), None);

    assert_conflict(
        store
            .create_organisation(&new_organisation("某某汽车租赁有限公司"))
            .await,
        "organisation_name",
    );
    let mut spaced = new_organisation("另一家公司");
    spaced.purposes = vec!["car rental".to_owned()];
    assert_conflict(
        store.create_organisation(&spaced).await,
        "organisation_purposes",
    );
    assert_eq!(store.organisations().await.expect("list"), [a, b]);
}

/// API keys are found by hash (revoked ones too), listed per organisation, revoked once, and never across
/// organisations.
pub async fn api_keys_are_revoked_once_within_their_organisation<S: Store>(store: &S) {
    let a = store
        .create_organisation(&new_organisation("某某汽车租赁有限公司"))
        .await
        .expect("a");
    let b = store
        .create_organisation(&new_organisation("某某保险股份有限公司"))
        .await
        .expect("b");
    let a1 = store
        .create_api_key(&new_api_key(a.id, 1))
        .await
        .expect("a1");
    let b1 = store
        .create_api_key(&new_api_key(b.id, 2))
        .await
        .expect("b1");
    let a2 = store
        .create_api_key(&new_api_key(a.id, 3))
        .await
        .expect("a2");

    assert_eq!(a1.key, new_api_key(a.id, 1));
    assert_eq!(a1.revoked_at, None);
    assert!(!format!("{a1:?}").contains("[1, 1"), "{a1:?}");
    assert_eq!(
        store.api_key_by_hash(&sha(2)).await.expect("by hash"),
        Some(b1.clone())
    );
    assert_eq!(store.api_key_by_hash(&sha(9)).await.expect("none"), None);
    assert_eq!(
        store.api_keys(a.id).await.expect("a's"),
        [a1.clone(), a2.clone()]
    );
    assert_not_found(
        store.create_api_key(&new_api_key(b.id + 100, 4)).await,
        "organisation",
    );
    assert_conflict(store.create_api_key(&new_api_key(b.id, 1)).await, "api_key");

    assert!(
        !store
            .revoke_api_key(a1.id, b.id, at(10))
            .await
            .expect("another organisation's key"),
    );
    assert_eq!(
        store.api_key_by_hash(&sha(1)).await.expect("untouched"),
        Some(a1.clone())
    );
    assert!(
        store
            .revoke_api_key(a1.id, a.id, at(10))
            .await
            .expect("revoke")
    );
    assert!(
        !store
            .revoke_api_key(a1.id, a.id, at(20))
            .await
            .expect("again"),
    );
    assert!(
        !store
            .revoke_api_key(a2.id + 100, a.id, at(20))
            .await
            .expect("unknown"),
    );
    let revoked = store
        .api_key_by_hash(&sha(1))
        .await
        .expect("revoked")
        .expect("still found");
    assert_eq!(revoked.revoked_at, Some(at(10)), "the first time is kept");
    assert_eq!(revoked.key, a1.key);
    let listed = store.api_keys(a.id).await.expect("a's");
    assert_eq!(listed[0].revoked_at, Some(at(10)));
    assert_eq!(listed[1], a2);
    assert_eq!(store.api_keys(b.id).await.expect("b's"), [b1]);
}

/// A batch of verifications is audited, each named licence gets a check event under the organisation's name, and
/// the daily rollup counts them by day in UTC+08:00, region and purpose.
pub async fn record_verifications_writes_audit_check_events_and_rollups<S: Store>(store: &S) {
    let tj = store.ensure_authority(&tianjin()).await.expect("ensure");
    let cd = store.ensure_authority(&chengdu()).await.expect("ensure");
    let a = licence(1, 1, &tianjin());
    let b = licence(2, 2, &chengdu());
    store.insert_licence(&a, tj).await.expect("insert");
    store.insert_licence(&b, cd).await.expect("insert");
    let org = store
        .create_organisation(&new_organisation("某某汽车租赁有限公司"))
        .await
        .expect("organisation");
    let key = store
        .create_api_key(&new_api_key(org.id, 1))
        .await
        .expect("key");
    let desk = store
        .create_console_user(&console_user(
            "desk",
            ConsoleRole::Verifier,
            None,
            Some(org.id),
        ))
        .await
        .expect("user");
    // 15:59:59Z is 23:59:59 on 2025-03-01 in Beijing; 17:00:00Z is 01:00 on 2025-03-02.
    let evening = datetime!(2025-03-01 15:59:59 UTC);
    let after_midnight = datetime!(2025-03-01 17:00:00 UTC);
    let mut by_key = verification(org.id, evening, Some(&a), "valid");
    by_key.api_key_id = Some(key.id);
    let mut scanned = verification(org.id, after_midnight, Some(&a), "not_valid");
    scanned.channel = "scanner".to_owned();
    scanned.user_id = Some(desk.id);
    let mut identity = verification(org.id, after_midnight, Some(&b), "valid");
    identity.purpose = "identity".to_owned();
    let unnamed = verification(org.id, evening, None, "not_valid");
    let batch = [
        by_key.clone(),
        scanned.clone(),
        identity.clone(),
        unnamed.clone(),
    ];

    store.record_verifications(&batch).await.expect("record");
    store.record_verifications(&[]).await.expect("empty batch");

    let audit = store.verifications(org.id, 10).await.expect("audit");
    let recorded: Vec<NewVerification> = audit.iter().map(|v| v.verification.clone()).collect();
    assert_eq!(recorded, [identity, scanned, unnamed, by_key]);
    let events = store
        .check_events(a.file_number(), 10)
        .await
        .expect("events");
    assert_eq!(
        events.iter().map(|e| e.event.clone()).collect::<Vec<_>>(),
        [
            NewCheckEvent {
                file_number: a.file_number().clone(),
                at: after_midnight,
                verifier: "某某汽车租赁有限公司".to_owned(),
                purpose: "car_rental".to_owned(),
                channel: "scanner".to_owned(),
                result: "not_valid".to_owned(),
            },
            NewCheckEvent {
                file_number: a.file_number().clone(),
                at: evening,
                verifier: "某某汽车租赁有限公司".to_owned(),
                purpose: "car_rental".to_owned(),
                channel: "api".to_owned(),
                result: "valid".to_owned(),
            },
        ]
    );
    assert_eq!(
        store
            .check_events(b.file_number(), 10)
            .await
            .expect("b's")
            .len(),
        1
    );

    let day = |region: Option<RegionCode>, purpose: &str, d: time::Date, valid, not_valid| {
        DailyVerifications {
            day: d,
            region,
            purpose: purpose.to_owned(),
            valid,
            not_valid,
        }
    };
    let (first, second) = (date!(2025 - 03 - 01), date!(2025 - 03 - 02));
    let national = store
        .daily_verifications(None, first, second)
        .await
        .expect("national");
    assert_eq!(
        national,
        [
            day(None, "car_rental", first, 0, 1),
            day(Some(tianjin().region), "car_rental", first, 1, 0),
            day(Some(tianjin().region), "car_rental", second, 0, 1),
            day(Some(chengdu().region), "identity", second, 1, 0),
        ]
    );
    assert_eq!(
        store
            .daily_verifications(Some(chengdu().region), first, second)
            .await
            .expect("chengdu"),
        [day(Some(chengdu().region), "identity", second, 1, 0)]
    );
    assert_eq!(
        store
            .daily_verifications(None, second, second)
            .await
            .expect("one day")
            .len(),
        2
    );
    assert!(
        store
            .daily_verifications(
                Some(tianjin().region),
                date!(2025 - 03 - 03),
                date!(2025 - 03 - 31)
            )
            .await
            .expect("later")
            .is_empty()
    );

    // A second batch adds to the same rollup rows.
    store
        .record_verifications(&[verification(org.id, evening, Some(&a), "valid")])
        .await
        .expect("second batch");
    assert_eq!(
        store
            .daily_verifications(Some(tianjin().region), first, first)
            .await
            .expect("tianjin"),
        [day(Some(tianjin().region), "car_rental", first, 2, 0)]
    );

    // The national rollup is the regional one summed over regions (and verifications naming none), kept by the
    // same writes.
    let nation = |d: time::Date, purpose: &str, valid, not_valid| NationalDailyVerifications {
        day: d,
        purpose: purpose.to_owned(),
        valid,
        not_valid,
    };
    assert_eq!(
        store
            .national_daily_verifications(first, second)
            .await
            .expect("national rollup"),
        [
            nation(first, "car_rental", 2, 1),
            nation(second, "car_rental", 0, 1),
            nation(second, "identity", 1, 0),
        ]
    );
    assert_eq!(
        store
            .national_daily_verifications(second, second)
            .await
            .expect("one day")
            .len(),
        2
    );
    assert!(
        store
            .national_daily_verifications(date!(2025 - 03 - 03), date!(2025 - 03 - 31))
            .await
            .expect("later")
            .is_empty()
    );
}

/// A batch naming an unknown licence or organisation is refused whole: no audit row, check event or count.
pub async fn record_verifications_refuses_unknown_licences_and_writes_nothing<S: Store>(store: &S) {
    let tj = store.ensure_authority(&tianjin()).await.expect("ensure");
    let a = licence(1, 1, &tianjin());
    store.insert_licence(&a, tj).await.expect("insert");
    let ghost = licence(9, 9, &tianjin());
    let org = store
        .create_organisation(&new_organisation("某某汽车租赁有限公司"))
        .await
        .expect("organisation");
    store
        .record_verifications(&[verification(org.id, at(1), Some(&a), "valid")])
        .await
        .expect("first batch");
    let days = (date!(2025 - 03 - 01), date!(2025 - 03 - 01));
    let rollup_before = store
        .daily_verifications(None, days.0, days.1)
        .await
        .expect("rollup");

    let err = store
        .record_verifications(&[
            verification(org.id, at(2), Some(&a), "valid"),
            verification(org.id, at(3), None, "valid"),
            verification(org.id, at(4), Some(&ghost), "not_valid"),
        ])
        .await
        .expect_err("unknown licence");
    assert!(
        matches!(err, StoreError::NotFound { what: "licence" }),
        "{err:?}"
    );
    assert_no_personal_data(&err, &ghost);
    assert_not_found(
        store
            .record_verifications(&[
                verification(org.id, at(5), Some(&a), "valid"),
                verification(org.id + 100, at(6), Some(&a), "valid"),
            ])
            .await,
        "organisation",
    );

    assert_eq!(
        store.verifications(org.id, 10).await.expect("audit").len(),
        1
    );
    assert_eq!(
        store
            .check_events(a.file_number(), 10)
            .await
            .expect("events")
            .len(),
        1
    );
    assert_eq!(
        store
            .daily_verifications(None, days.0, days.1)
            .await
            .expect("rollup"),
        rollup_before
    );
}

/// An organisation's verifications are listed newest first (ties by id, newest first), limited, and never
/// another organisation's.
pub async fn verifications_are_listed_newest_first_and_limited<S: Store>(store: &S) {
    let org = store
        .create_organisation(&new_organisation("某某汽车租赁有限公司"))
        .await
        .expect("organisation");
    let other = store
        .create_organisation(&new_organisation("某某保险股份有限公司"))
        .await
        .expect("other");
    store
        .record_verifications(&[
            verification(org.id, at(20), None, "valid"),
            verification(org.id, at(10), None, "valid"),
            verification(other.id, at(50), None, "valid"),
        ])
        .await
        .expect("first batch");
    let mut tie = verification(org.id, at(20), None, "not_valid");
    tie.purpose = "identity".to_owned();
    store
        .record_verifications(&[verification(org.id, at(5), None, "valid"), tie.clone()])
        .await
        .expect("second batch");

    let listed = store.verifications(org.id, 10).await.expect("list");
    assert_eq!(
        listed.iter().map(|v| v.verification.at).collect::<Vec<_>>(),
        [at(20), at(20), at(10), at(5)]
    );
    assert_eq!(
        listed[0].verification, tie,
        "the later of two at the same instant first"
    );
    assert!(listed[0].id > listed[1].id);
    assert_eq!(
        store.verifications(org.id, 2).await.expect("limited"),
        listed[..2]
    );
    assert_eq!(
        store
            .verifications(other.id, 10)
            .await
            .expect("other")
            .len(),
        1
    );
    assert!(
        store
            .verifications(other.id + 100, 10)
            .await
            .expect("unknown")
            .is_empty()
    );
}

/// Every credential counts as a claim on its day (UTC+08:00) in its licence's region, a licence's first as a first
/// claim, and `region_counts` reports how many licences of each region were ever claimed.
pub async fn insert_credential_feeds_daily_claims_and_claimed<S: Store>(store: &S) {
    let tj = store.ensure_authority(&tianjin()).await.expect("ensure");
    let cd = store.ensure_authority(&chengdu()).await.expect("ensure");
    let a = licence(1, 1, &tianjin());
    let b = licence(2, 2, &tianjin());
    let c = licence(3, 3, &chengdu());
    let d = licence(4, 4, &chengdu());
    for (l, authority) in [(&a, tj), (&b, tj), (&c, cd), (&d, cd)] {
        store.insert_licence(l, authority).await.expect("insert");
    }
    let mut late = new_credential(&c, "key-c", 0);
    late.issued_at = datetime!(2025-03-01 17:00:00 UTC);
    for credential in [
        new_credential(&a, "key-a1", 1),
        new_credential(&a, "key-a2", 2),
        late,
    ] {
        store
            .insert_credential(&credential)
            .await
            .expect("credential");
    }

    let (first, second) = (date!(2025 - 03 - 01), date!(2025 - 03 - 02));
    let claims = |day, code: u32, claims, first_claims| DailyClaims {
        day,
        region: region(code),
        claims,
        first_claims,
    };
    assert_eq!(
        store
            .daily_claims(None, first, second)
            .await
            .expect("national"),
        [
            claims(first, TIANJIN_CITY, 2, 1),
            claims(second, CHENGDU_CITY, 1, 1)
        ]
    );
    assert_eq!(
        store
            .daily_claims(Some(tianjin().region), first, second)
            .await
            .expect("tianjin"),
        [claims(first, TIANJIN_CITY, 2, 1)]
    );
    assert!(
        store
            .daily_claims(Some(chengdu().region), first, first)
            .await
            .expect("chengdu on the first")
            .is_empty()
    );
    let counts = store.region_counts().await.expect("counts");
    assert_eq!(
        counts
            .iter()
            .map(|c| (c.region.as_u32(), c.licences, c.claimed))
            .collect::<Vec<_>>(),
        [(TIANJIN_CITY, 2, 1), (CHENGDU_CITY, 2, 1)]
    );

    store
        .insert_credential(&new_credential(&b, "key-b", 3))
        .await
        .expect("b's first");
    let counts = store.region_counts().await.expect("counts");
    assert_eq!(
        (counts[0].region.as_u32(), counts[0].claimed),
        (TIANJIN_CITY, 2)
    );
    assert_eq!(
        store
            .daily_claims(Some(tianjin().region), first, first)
            .await
            .expect("tianjin"),
        [claims(first, TIANJIN_CITY, 3, 2)]
    );

    // The national view sums the regions of a day: Chengdu's licence d is claimed on the first too.
    store
        .insert_credential(&new_credential(&d, "key-d", 4))
        .await
        .expect("d's first");
    let nation = |day, claims, first_claims| NationalDailyClaims {
        day,
        claims,
        first_claims,
    };
    assert_eq!(
        store
            .national_daily_claims(first, second)
            .await
            .expect("national"),
        [nation(first, 4, 3), nation(second, 1, 1)]
    );
    assert_eq!(
        store
            .national_daily_claims(second, date!(2025 - 03 - 31))
            .await
            .expect("from the second"),
        [nation(second, 1, 1)]
    );
}

/// A region whose licences were never claimed reports 0 claimed; concurrent first credentials of one licence
/// count one first claim.
pub async fn concurrent_first_credentials_count_one_first_claim<S: Store>(store: &S) {
    let tj = store.ensure_authority(&tianjin()).await.expect("ensure");
    let cd = store.ensure_authority(&chengdu()).await.expect("ensure");
    let a = licence(1, 1, &tianjin());
    store.insert_licence(&a, tj).await.expect("insert");
    store
        .insert_licence(&licence(2, 2, &chengdu()), cd)
        .await
        .expect("insert");
    let tasks: Vec<_> = (0..8u8)
        .map(|i| {
            let store = store.clone();
            let credential = new_credential(&a, &format!("k{i}"), i);
            tokio::spawn(async move {
                // SQLite reports a busy database under write contention; a caller retries.
                for _ in 0..50 {
                    match store.insert_credential(&credential).await {
                        Ok(_) => return,
                        Err(StoreError::Unavailable(_)) => {
                            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
                        }
                        Err(other) => panic!("insert credential: {other:?}"),
                    }
                }
                panic!("insert credential kept failing")
            })
        })
        .collect();
    for task in tasks {
        task.await.expect("task");
    }

    let day = date!(2025 - 03 - 01);
    assert_eq!(
        store.daily_claims(None, day, day).await.expect("claims"),
        [DailyClaims {
            day,
            region: tianjin().region,
            claims: 8,
            first_claims: 1,
        }]
    );
    let counts = store.region_counts().await.expect("counts");
    assert_eq!(
        counts
            .iter()
            .map(|c| (c.region.as_u32(), c.claimed))
            .collect::<Vec<_>>(),
        [(TIANJIN_CITY, 1), (CHENGDU_CITY, 0)]
    );
}

/// The database itself refuses to update or delete audited verifications, whatever the caller.
pub async fn verifications_are_append_only_in_the_database<B: Backend>(backend: &B) {
    let store = backend.store();
    let org = store
        .create_organisation(&new_organisation("某某汽车租赁有限公司"))
        .await
        .expect("organisation");
    store
        .record_verifications(&[
            verification(org.id, at(1), None, "valid"),
            verification(org.id, at(2), None, "not_valid"),
        ])
        .await
        .expect("record");
    let before = store.verifications(org.id, 10).await.expect("audit");

    let update = backend
        .execute_raw("UPDATE verifications SET result = 'valid'")
        .await;
    let delete = backend.execute_raw("DELETE FROM verifications").await;

    assert!(update.is_err(), "UPDATE was allowed: {update:?}");
    assert!(delete.is_err(), "DELETE was allowed: {delete:?}");
    assert_eq!(
        store.verifications(org.id, 10).await.expect("audit"),
        before
    );
}

/// The database itself refuses an audited verification that names an unknown organisation, API key, console user
/// or licence, and refuses to delete an organisation, API key or console user that the audit names.
pub async fn verifications_reference_existing_rows_in_the_database<B: Backend>(backend: &B) {
    let store = backend.store();
    let tj = store.ensure_authority(&tianjin()).await.expect("ensure");
    let a = licence(1, 1, &tianjin());
    store.insert_licence(&a, tj).await.expect("insert");
    let org = store
        .create_organisation(&new_organisation("某某汽车租赁有限公司"))
        .await
        .expect("organisation");
    let key = store
        .create_api_key(&new_api_key(org.id, 1))
        .await
        .expect("key");
    let desk = store
        .create_console_user(&console_user(
            "desk",
            ConsoleRole::Verifier,
            None,
            Some(org.id),
        ))
        .await
        .expect("user");
    let mut by_key = verification(org.id, at(1), Some(&a), "valid");
    by_key.api_key_id = Some(key.id);
    let mut scanned = verification(org.id, at(2), None, "valid");
    scanned.channel = "scanner".to_owned();
    scanned.user_id = Some(desk.id);
    store
        .record_verifications(&[by_key, scanned])
        .await
        .expect("record");

    for sql in [
        "INSERT INTO verifications (at, organisation_id, purpose, channel, result) \
         VALUES ('2025-03-01T08:00:00.000000000Z', 999999, 'car_rental', 'api', 'valid')",
        "INSERT INTO verifications (at, organisation_id, api_key_id, purpose, channel, result) \
         SELECT '2025-03-01T08:00:00.000000000Z', id, 999999, 'car_rental', 'api', 'valid' FROM organisations",
        "INSERT INTO verifications (at, organisation_id, user_id, purpose, channel, result) \
         SELECT '2025-03-01T08:00:00.000000000Z', id, 999999, 'car_rental', 'scanner', 'valid' FROM organisations",
        "INSERT INTO verifications (at, organisation_id, purpose, channel, result, file_number) \
         SELECT '2025-03-01T08:00:00.000000000Z', id, 'car_rental', 'api', 'valid', '120199999999' FROM organisations",
        "DELETE FROM console_users",
        "DELETE FROM api_keys",
        "DELETE FROM organisations",
    ] {
        let res = backend.execute_raw(sql).await;
        assert!(res.is_err(), "allowed: {sql}: {res:?}");
    }
    assert_eq!(
        store.verifications(org.id, 10).await.expect("audit").len(),
        2
    );
    assert_eq!(store.console_users().await.expect("users").len(), 1);
    assert_eq!(store.api_keys(org.id).await.expect("keys").len(), 1);
    assert_eq!(store.organisations().await.expect("organisations").len(), 1);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_licences_are_distinct_records() {
        let a = licence(1, 1, &tianjin());
        let b = licence(2, 1, &tianjin());

        assert_ne!(digest(&a), digest(&b));
        assert_ne!(digest(&a), digest(&with_status(&a, "D")));
        assert_eq!(a.citizen_id(), b.citizen_id());
    }
}
