//! PostgreSQL-specific behaviour beyond the conformance suite: fast, password-free failure on an unreachable
//! server, error mapping, the append-only history, COPY escaping and bulk import.

mod common;

use std::str::FromStr as _;
use std::time::{Duration, Instant};

use edl_domain::{Address, Licence};
use edl_store::conformance::{file_number, licence, tianjin};
use edl_store::{AuthorityId, BatchOutcome, ImportRecord, Store, StoreError};
use edl_store_postgres::PgStore;

use common::{TestDb, chain};

fn digest(n: u32) -> [u8; 16] {
    let mut res = [0x5a; 16];
    res[..4].copy_from_slice(&n.to_be_bytes());
    res
}

fn records(licences: &[(u64, Licence)], authority_id: AuthorityId) -> Vec<ImportRecord<'_>> {
    licences
        .iter()
        .map(|(line, licence)| ImportRecord {
            line: *line,
            licence,
            authority_id,
            digest: digest(u32::try_from(*line).expect("small line")),
        })
        .collect()
}

#[tokio::test]
async fn unreachable_server_is_unavailable_quickly_and_names_the_address() {
    let started = Instant::now();

    let res = PgStore::connect("postgres://edl:s3cret-pw@127.0.0.1:1/registry").await;

    let elapsed = started.elapsed();
    let err = res.expect_err("nothing listens on port 1");
    assert!(matches!(err, StoreError::Unavailable(_)), "{err:?}");
    let message = chain(&err);
    assert!(message.contains("127.0.0.1:1"), "{message}");
    assert!(!message.contains("s3cret-pw"), "{message}");
    assert!(!format!("{err:?}").contains("s3cret-pw"), "{err:?}");
    // Generous for a loaded machine; the point is that the pool's 10 s retry loop is not waited out.
    assert!(elapsed < Duration::from_secs(5), "took {elapsed:?}");
}

#[tokio::test]
async fn malformed_url_is_an_error_without_the_url() {
    let err = PgStore::connect("postgres://edl:s3cret-pw@127.0.0.1:notaport/registry")
        .await
        .expect_err("the port does not parse");

    assert!(matches!(err, StoreError::Other(_)), "{err:?}");
    assert!(!chain(&err).contains("s3cret-pw"));
    assert!(!format!("{err:?}").contains("s3cret-pw"));
}

#[tokio::test]
async fn migrate_is_idempotent_and_debug_shows_no_password() {
    let Some(db) = TestDb::create().await else {
        return;
    };

    let versions = db.store().migrate().await.expect("migrate again");
    let debug = format!("{:?}", db.store());

    assert_eq!(versions, [1, 2, 3, 4, 5]);
    assert!(debug.contains(db.name()), "{debug}");
    db.drop_database().await;
}

#[tokio::test]
async fn history_cannot_be_truncated() {
    let Some(db) = TestDb::create().await else {
        return;
    };

    let res = sqlx::query("TRUNCATE licence_history")
        .execute(db.store().pool())
        .await;

    let err = res.expect_err("TRUNCATE is refused");
    assert!(err.to_string().contains("append-only"), "{err}");
    db.drop_database().await;
}

#[tokio::test]
async fn disk_full_is_unavailable() {
    let Some(db) = TestDb::create().await else {
        return;
    };
    // Make every licence write fail as a full disk would (SQLSTATE 53100).
    sqlx::raw_sql(
        "CREATE FUNCTION fail_disk_full() RETURNS trigger LANGUAGE plpgsql AS $$ \
         BEGIN RAISE EXCEPTION 'could not extend file: No space left on device' \
         USING ERRCODE = 'disk_full'; END $$; \
         CREATE TRIGGER fail_disk_full BEFORE INSERT ON licences \
         FOR EACH ROW EXECUTE FUNCTION fail_disk_full();",
    )
    .execute(db.store().pool())
    .await
    .expect("install the failing trigger");
    let store = db.store();
    let authority_id = store.ensure_authority(&tianjin()).await.expect("ensure");
    let licence = licence(1, 1, &tianjin());

    let single = store.insert_licence(&licence, authority_id).await;
    let source = store
        .begin_import([7; 32], time::OffsetDateTime::UNIX_EPOCH)
        .await
        .expect("begin");
    let lines = [(2, licence.clone())];
    let batch = store
        .import_batch(source, &records(&lines, authority_id))
        .await;

    for res in [single.map(drop), batch.map(drop)] {
        let err = res.expect_err("the disk is full");
        assert!(matches!(err, StoreError::Unavailable(_)), "{err:?}");
        let message = chain(&err);
        assert!(message.contains("53100"), "{message}");
        assert!(message.contains("out of disk space"), "{message}");
    }
    assert_eq!(store.count_licences().await.expect("count"), 0);
    db.drop_database().await;
}

#[tokio::test]
async fn copy_escapes_backslashes_and_the_null_marker() {
    let Some(db) = TestDb::create().await else {
        return;
    };
    let store = db.store();
    let authority_id = store.ensure_authority(&tianjin()).await.expect("ensure");
    let mut fields = licence(1, 1, &tianjin()).into_fields();
    fields.address = Address::parse(r"\N").expect("valid address");
    let null_marker = Licence::new(fields).expect("consistent");
    let mut fields = licence(2, 1, &tianjin()).into_fields();
    fields.address = Address::parse(r"天津市\和平区\\南京路\t1号\.").expect("valid address");
    let backslashes = Licence::new(fields).expect("consistent");
    let lines = [(2, null_marker.clone()), (3, backslashes.clone())];

    let outcome = store
        .import_batch(
            store
                .begin_import([1; 32], time::OffsetDateTime::UNIX_EPOCH)
                .await
                .expect("begin"),
            &records(&lines, authority_id),
        )
        .await
        .expect("import");

    assert_eq!(outcome.inserted, 2);
    for expected in [null_marker, backslashes] {
        let got = store
            .licence(expected.file_number())
            .await
            .expect("licence")
            .expect("stored");
        assert_eq!(got.licence, expected);
    }
    db.drop_database().await;
}

#[tokio::test]
async fn bulk_import_in_batches_then_reimport_is_unchanged() {
    let Some(db) = TestDb::create().await else {
        return;
    };
    let store = db.store();
    let authority_id = store.ensure_authority(&tianjin()).await.expect("ensure");
    let lines: Vec<(u64, Licence)> = (1..=12_000u32)
        .map(|n| (u64::from(n) + 1, licence(n, (n % 900) as u16, &tianjin())))
        .collect();
    let source = store
        .begin_import([2; 32], time::OffsetDateTime::UNIX_EPOCH)
        .await
        .expect("begin");

    let mut first = BatchOutcome::default();
    let mut again = BatchOutcome::default();
    for chunk in lines.chunks(5_000) {
        let outcome = store
            .import_batch(source, &records(chunk, authority_id))
            .await
            .expect("import");
        first.inserted += outcome.inserted;
        first.conflicts.extend(outcome.conflicts);
    }
    for chunk in lines.chunks(5_000) {
        let outcome = store
            .import_batch(source, &records(chunk, authority_id))
            .await
            .expect("reimport");
        again.unchanged += outcome.unchanged;
        again.conflicts.extend(outcome.conflicts);
    }

    assert_eq!((first.inserted, first.conflicts.len()), (12_000, 0));
    assert_eq!(
        (again.inserted, again.unchanged, again.conflicts.len()),
        (0, 12_000, 0)
    );
    assert_eq!(store.count_licences().await.expect("count"), 12_000);
    let got = store
        .licence(&file_number(4_321))
        .await
        .expect("licence")
        .expect("stored");
    assert_eq!(got.licence, lines[4_320].1);
    db.drop_database().await;
}

#[tokio::test]
async fn concurrent_imports_of_the_same_records_store_each_once() {
    let Some(db) = TestDb::create().await else {
        return;
    };
    let store = db.store().clone();
    let authority_id = store.ensure_authority(&tianjin()).await.expect("ensure");
    let lines: std::sync::Arc<Vec<(u64, Licence)>> = std::sync::Arc::new(
        (1..=4_000u32)
            .map(|n| (u64::from(n) + 1, licence(n, 1, &tianjin())))
            .collect(),
    );
    // Two files with the same records on the same lines (so the same digests), imported at the same time.
    let mut tasks = Vec::new();
    for file in [3u8, 4] {
        let store = store.clone();
        let lines = std::sync::Arc::clone(&lines);
        tasks.push(tokio::spawn(async move {
            let source = store
                .begin_import([file; 32], time::OffsetDateTime::UNIX_EPOCH)
                .await
                .expect("begin");
            let mut total = BatchOutcome::default();
            for chunk in lines.chunks(1_000) {
                let outcome = store
                    .import_batch(source, &records(chunk, authority_id))
                    .await
                    .expect("import");
                total.inserted += outcome.inserted;
                total.unchanged += outcome.unchanged;
                total.conflicts.extend(outcome.conflicts);
            }
            total
        }));
    }
    let mut inserted = 0;
    let mut unchanged = 0;
    for task in tasks {
        let total = task.await.expect("import task");
        assert_eq!(total.conflicts, []);
        inserted += total.inserted;
        unchanged += total.unchanged;
    }

    assert_eq!((inserted, unchanged), (4_000, 4_000));
    assert_eq!(store.count_licences().await.expect("count"), 4_000);
    db.drop_database().await;
}

#[tokio::test]
async fn licence_references_are_enforced_like_foreign_keys() {
    let Some(db) = TestDb::create().await else {
        return;
    };
    let store = db.store();
    let pool = store.pool();
    let tianjin_id = store.ensure_authority(&tianjin()).await.expect("ensure");
    let unused_id = store
        .ensure_authority(&edl_store::conformance::chengdu())
        .await
        .expect("ensure");
    let source = store
        .begin_import([5; 32], time::OffsetDateTime::UNIX_EPOCH)
        .await
        .expect("begin");
    let lines = [(2, licence(1, 1, &tianjin()))];
    store
        .import_batch(source, &records(&lines, tianjin_id))
        .await
        .expect("import");
    let sqlstate = |res: Result<sqlx::postgres::PgQueryResult, sqlx::Error>| match res {
        Err(sqlx::Error::Database(db)) => db.code().map(|code| code.into_owned()),
        other => panic!("expected a database error, got {other:?}"),
    };

    let bad_authority = sqlx::query("UPDATE licences SET authority_id = $1")
        .bind(tianjin_id.0 + unused_id.0 + 100)
        .execute(pool)
        .await;
    let bad_import = sqlx::query("UPDATE licences SET import_source_id = $1")
        .bind(source.0 + 100)
        .execute(pool)
        .await;
    let delete_used = sqlx::query("DELETE FROM authorities WHERE id = $1")
        .bind(tianjin_id.0)
        .execute(pool)
        .await;
    let renumber = sqlx::query("UPDATE authorities SET id = DEFAULT WHERE id = $1")
        .bind(tianjin_id.0)
        .execute(pool)
        .await;
    let delete_import = sqlx::query("DELETE FROM imports").execute(pool).await;
    let truncate_imports = sqlx::query("TRUNCATE imports").execute(pool).await;

    for res in [
        bad_authority,
        bad_import,
        delete_used,
        renumber,
        delete_import,
        truncate_imports,
    ] {
        assert_eq!(sqlstate(res).as_deref(), Some("23503"));
    }
    let deleted = sqlx::query("DELETE FROM authorities WHERE id = $1")
        .bind(unused_id.0)
        .execute(pool)
        .await
        .expect("an unreferenced authority can be deleted");
    assert_eq!(deleted.rows_affected(), 1);
    let got = store
        .licence(lines[0].1.file_number())
        .await
        .expect("licence")
        .expect("stored");
    assert_eq!(got.licence, lines[0].1);
    db.drop_database().await;
}

#[tokio::test]
async fn unknown_database_names_the_server() {
    let Some(db) = TestDb::create().await else {
        return;
    };
    let options = sqlx::postgres::PgConnectOptions::from_str(&common::admin_url())
        .expect("url")
        .database("edl_test_does_not_exist");

    let err = PgStore::connect_with(options)
        .await
        .expect_err("no such database");

    assert!(matches!(err, StoreError::Other(_)), "{err:?}");
    let message = chain(&err);
    assert!(message.contains("refused the connection"), "{message}");
    assert!(message.contains("3D000"), "{message}");
    db.drop_database().await;
}

/// Inserts `licence` as imported from `source` at `line` with `digest`, on `conn`, bypassing the store.
async fn insert_raw(
    conn: &mut sqlx::PgConnection,
    licence: &Licence,
    authority_id: AuthorityId,
    source: edl_store::ImportSourceId,
    line: i64,
    digest: [u8; 16],
) {
    let row = edl_store::backend::LicenceRow::from_licence(licence);
    sqlx::query(
        "INSERT INTO licences (file_number, region, citizen_id, name, sex, nationality, birth_date, address, \
         first_issue, classes, valid_from, valid_until, authority_id, status, points, points_cycle_start, phone, \
         edition, import_source_id, import_line, import_digest) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21)",
    )
    .bind(row.file_number)
    .bind(i32::try_from(row.region).expect("region"))
    .bind(row.citizen_id)
    .bind(row.name)
    .bind(i16::try_from(row.sex).expect("sex"))
    .bind(row.nationality)
    .bind(row.birth_date)
    .bind(row.address)
    .bind(row.first_issue)
    .bind(row.classes)
    .bind(row.valid_from)
    .bind(row.valid_until)
    .bind(authority_id.0)
    .bind(row.status)
    .bind(i16::try_from(row.points).expect("points"))
    .bind(row.points_cycle_start)
    .bind(row.phone)
    .bind(i32::try_from(row.edition).expect("edition"))
    .bind(source.0)
    .bind(line)
    .bind(&digest[..])
    .execute(conn)
    .await
    .expect("raw insert");
}

/// A file number another transaction inserts after the batch's probe: the direct `COPY` waits for it, fails on the
/// primary key once it commits, and the batch is redone on the staging path, which classifies that record.
#[tokio::test]
async fn a_file_number_taken_after_the_probe_is_classified_not_an_error() {
    let Some(db) = TestDb::create().await else {
        return;
    };
    let store = db.store().clone();
    let authority_id = store.ensure_authority(&tianjin()).await.expect("ensure");
    let lines: Vec<(u64, Licence)> = (1..=50u32)
        .map(|n| (u64::from(n) + 1, licence(n, 1, &tianjin())))
        .collect();
    let other = store
        .begin_import([8; 32], time::OffsetDateTime::UNIX_EPOCH)
        .await
        .expect("begin other");
    let source = store
        .begin_import([9; 32], time::OffsetDateTime::UNIX_EPOCH)
        .await
        .expect("begin");
    // Another import holds file number 30 (the same record, so the same digest) in an open transaction.
    let mut blocker = store.pool().begin().await.expect("blocker");
    insert_raw(
        &mut blocker,
        &lines[29].1,
        authority_id,
        other,
        7,
        digest(31),
    )
    .await;

    let import = tokio::spawn({
        let store = store.clone();
        let lines = lines.clone();
        async move {
            store
                .import_batch(source, &records(&lines, authority_id))
                .await
        }
    });
    // Wait until the batch's COPY waits for the blocker's row lock, then let the blocker commit.
    let mut waiting = 0;
    for _ in 0..600 {
        waiting = sqlx::query_scalar::<_, i64>(
            "SELECT count(*) FROM pg_stat_activity \
             WHERE datname = current_database() AND wait_event_type = 'Lock'",
        )
        .fetch_one(store.pool())
        .await
        .expect("pg_stat_activity");
        if waiting > 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(waiting, 1, "the batch never waited for the blocker");
    blocker.commit().await.expect("commit the blocker");
    let outcome = import.await.expect("import task").expect("import");

    assert_eq!(
        outcome,
        BatchOutcome {
            inserted: 49,
            unchanged: 1,
            conflicts: vec![]
        }
    );
    assert_eq!(store.count_licences().await.expect("count"), 50);
    // The blocker bypassed the store, so only the batch's 49 rows are in the summary.
    let counts = store.region_counts().await.expect("counts");
    assert_eq!(counts.len(), 1);
    assert_eq!(counts[0].licences, 49);
    db.drop_database().await;
}
