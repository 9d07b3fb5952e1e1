//! Measures bulk-import throughput into a fresh SQLite file: `cargo run --release -p edl-store-sqlite --example import_throughput [ROWS] [BATCH]`.
//!
//! A measuring tool, not a test: it asserts nothing about speed, so slow machines never fail a build.

use std::time::Instant;

use edl_store::conformance::{licence, tianjin};
use edl_store::{ImportRecord, Store};
use edl_store_sqlite::SqliteStore;

#[tokio::main(flavor = "current_thread")]
async fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let rows: u32 = args.next().map_or(Ok(100_000), |a| a.parse())?;
    let batch: usize = args.next().map_or(Ok(5_000), |a| a.parse())?;
    let dir = tempfile::tempdir()?;
    let store = SqliteStore::open(dir.path().join("throughput.sqlite3")).await?;
    let authority_id = store.ensure_authority(&tianjin()).await?;
    // File numbers in scrambled order, as registry files have them: n * odd mod 10^8 is a bijection.
    let licences: Vec<_> = (1..=rows)
        .map(|n| {
            let scrambled = (u64::from(n) * 48_271 % 100_000_000) as u32;
            licence(scrambled, (n % 900) as u16, &tianjin())
        })
        .collect();
    let records: Vec<_> = licences
        .iter()
        .zip(2u64..)
        .map(|(licence, line)| ImportRecord {
            line,
            licence,
            authority_id,
            digest: line.to_be_bytes().repeat(2).try_into().unwrap_or_default(),
        })
        .collect();
    let source = store
        .begin_import([1; 32], time::OffsetDateTime::UNIX_EPOCH)
        .await?;

    let started = Instant::now();
    let mut inserted = 0;
    for chunk in records.chunks(batch) {
        inserted += store.import_batch(source, chunk).await?.inserted;
    }
    let first = started.elapsed();
    let started = Instant::now();
    let mut unchanged = 0;
    for chunk in records.chunks(batch) {
        unchanged += store.import_batch(source, chunk).await?.unchanged;
    }
    let again = started.elapsed();

    eprintln!(
        "inserted {inserted} rows in {:.2} s: {:.0} rows/s (batches of {batch})",
        first.as_secs_f64(),
        f64::from(rows) / first.as_secs_f64()
    );
    eprintln!(
        "re-imported {unchanged} unchanged rows in {:.2} s: {:.0} rows/s",
        again.as_secs_f64(),
        f64::from(rows) / again.as_secs_f64()
    );
    store.close().await;
    Ok(())
}
