//! SQLite-specific behaviour: file settings, migrations, reopening, error mapping.

use edl_store::conformance::{licence, tianjin};
use edl_store::{ImportRecord, Store, StoreError};
use edl_store_sqlite::SqliteStore;
use sqlx::sqlite::SqliteConnectOptions;

#[tokio::test]
async fn open_sets_wal_foreign_keys_and_synchronous_normal() {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = SqliteStore::open(dir.path().join("r.sqlite3"))
        .await
        .expect("open");

    let journal: String = sqlx::query_scalar("PRAGMA journal_mode")
        .fetch_one(store.pool())
        .await
        .expect("pragma");
    let foreign_keys: i64 = sqlx::query_scalar("PRAGMA foreign_keys")
        .fetch_one(store.pool())
        .await
        .expect("pragma");
    let synchronous: i64 = sqlx::query_scalar("PRAGMA synchronous")
        .fetch_one(store.pool())
        .await
        .expect("pragma");

    assert_eq!(journal, "wal");
    assert_eq!(foreign_keys, 1);
    assert_eq!(synchronous, 1, "NORMAL");
}

#[tokio::test]
async fn migrations_apply_once_and_data_survives_reopening() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("r.sqlite3");
    let store = SqliteStore::open(&path).await.expect("open");
    let authority_id = store.ensure_authority(&tianjin()).await.expect("ensure");
    let l = licence(1, 1, &tianjin());
    store
        .insert_licence(&l, authority_id)
        .await
        .expect("insert");
    assert_eq!(
        store.migrate().await.expect("migrate again"),
        [1, 2, 3, 4, 5]
    );
    store.close().await;

    let url = format!("sqlite://{}", path.display());
    let reopened = SqliteStore::connect(&url).await.expect("reopen");

    assert_eq!(reopened.migrate().await.expect("migrate"), [1, 2, 3, 4, 5]);
    let got = reopened
        .licence(l.file_number())
        .await
        .expect("licence")
        .expect("stored");
    assert_eq!(got.licence, l);
    assert!(format!("{reopened:?}").contains("r.sqlite3"));
}

#[tokio::test]
async fn disk_full_is_unavailable_with_a_clear_message() {
    let dir = tempfile::tempdir().expect("temp dir");
    // 64 pages of 4 KiB hold the schema but not 2,000 licences.
    let options = SqliteConnectOptions::new()
        .filename(dir.path().join("small.sqlite3"))
        .pragma("max_page_count", "64");
    let store = SqliteStore::open_with(options).await.expect("open");
    let authority_id = store.ensure_authority(&tianjin()).await.expect("ensure");
    let licences: Vec<_> = (1..=2_000).map(|n| licence(n, 1, &tianjin())).collect();
    let records: Vec<_> = licences
        .iter()
        .zip(2..)
        .map(|(licence, line)| ImportRecord {
            line,
            licence,
            authority_id,
            digest: [7; 16],
        })
        .collect();
    let source = store
        .begin_import([1; 32], time::macros::datetime!(2025-03-01 08:00 UTC))
        .await
        .expect("begin");

    let res = store.import_batch(source, &records).await;

    let Err(StoreError::Unavailable(source)) = res else {
        panic!("expected Unavailable, got {res:?}");
    };
    assert!(source.to_string().contains("full"), "{source}");
    assert_eq!(
        store.count_licences().await.expect("count"),
        0,
        "the batch rolled back"
    );
}

#[tokio::test]
async fn a_directory_that_does_not_exist_is_unavailable() {
    let dir = tempfile::tempdir().expect("temp dir");

    let res = SqliteStore::open(dir.path().join("missing").join("r.sqlite3")).await;

    assert!(matches!(res, Err(StoreError::Unavailable(_))), "{res:?}");
}

/// Rewrites a CHECK of `licences` in the stored schema (as an older or newer schema might differ), then reopens.
async fn with_licences_check(path: &std::path::Path, from: &str, to: &str) -> SqliteStore {
    let store = SqliteStore::open(path).await.expect("open");
    let mut conn = store.pool().acquire().await.expect("connection");
    sqlx::query("PRAGMA writable_schema = ON")
        .execute(&mut *conn)
        .await
        .expect("writable schema");
    let changed = sqlx::query(
        "UPDATE sqlite_master SET sql = replace(sql, ?, ?) WHERE type = 'table' AND name = 'licences'",
    )
    .bind(from)
    .bind(to)
    .execute(&mut *conn)
    .await
    .expect("rewrite the CHECK");
    assert_eq!(changed.rows_affected(), 1);
    sqlx::query("PRAGMA writable_schema = OFF")
        .execute(&mut *conn)
        .await
        .expect("writable schema off");
    drop(conn);
    store.close().await;
    SqliteStore::open(path).await.expect("reopen")
}

#[tokio::test]
async fn a_row_that_breaks_a_check_fails_the_batch_instead_of_being_ignored() {
    let dir = tempfile::tempdir().expect("temp dir");
    // Every licence below is edition 1, which this schema refuses.
    let store = with_licences_check(
        &dir.path().join("r.sqlite3"),
        "CHECK (edition >= 1)",
        "CHECK (edition >= 2)",
    )
    .await;
    let authority_id = store.ensure_authority(&tianjin()).await.expect("ensure");
    let licences: Vec<_> = (1..=3).map(|n| licence(n, 1, &tianjin())).collect();
    let records: Vec<_> = licences
        .iter()
        .zip(2..)
        .map(|(licence, line)| ImportRecord {
            line,
            licence,
            authority_id,
            digest: [7; 16],
        })
        .collect();
    let source = store
        .begin_import([1; 32], time::macros::datetime!(2025-03-01 08:00 UTC))
        .await
        .expect("begin");

    let res = store.import_batch(source, &records).await;

    let Err(StoreError::Other(source)) = res else {
        panic!("expected Other, got {res:?}");
    };
    let message = source.to_string();
    assert!(message.contains("violate a constraint"), "{message}");
    assert!(
        !message.contains(licences[0].file_number().as_str())
            && !message.contains(licences[0].citizen_id().as_str()),
        "{message}"
    );
    assert_eq!(store.count_licences().await.expect("count"), 0);
    assert!(store.region_counts().await.expect("counts").is_empty());
}

#[tokio::test]
async fn a_row_that_breaks_a_unique_index_fails_the_batch_instead_of_being_ignored() {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = SqliteStore::open(dir.path().join("r.sqlite3"))
        .await
        .expect("open");
    // A second UNIQUE constraint besides file_number, as a later schema could add.
    sqlx::query("CREATE UNIQUE INDEX licences_one_per_holder ON licences (citizen_id)")
        .execute(store.pool())
        .await
        .expect("unique index");
    let authority_id = store.ensure_authority(&tianjin()).await.expect("ensure");
    // Two licences of the same holder.
    let licences = [licence(1, 1, &tianjin()), licence(2, 1, &tianjin())];
    let records: Vec<_> = licences
        .iter()
        .zip(2..)
        .map(|(licence, line)| ImportRecord {
            line,
            licence,
            authority_id,
            digest: [7; 16],
        })
        .collect();
    let source = store
        .begin_import([1; 32], time::macros::datetime!(2025-03-01 08:00 UTC))
        .await
        .expect("begin");

    let res = store.import_batch(source, &records).await;

    assert!(matches!(res, Err(StoreError::Other(_))), "{res:?}");
    assert_eq!(store.count_licences().await.expect("count"), 0);
    assert!(store.region_counts().await.expect("counts").is_empty());
}
