//! Measures how fast the verification audit is written into a fresh SQLite file:
//! `cargo run --release -p edl-store-sqlite --example verification_throughput [ROWS] [BATCH]`.
//!
//! Each batch goes through `record_verifications` (audit row, check event for the nine in ten that name one of
//! 10,000 licences, daily rollup). A measuring tool, not a test: it asserts nothing about speed.

use std::time::Instant;

use edl_store::conformance::{licence, tianjin};
use edl_store::{ImportRecord, NewApiKey, NewOrganisation, NewVerification, Store};
use edl_store_sqlite::SqliteStore;
use time::macros::datetime;

#[tokio::main(flavor = "current_thread")]
async fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let rows: usize = args.next().map_or(Ok(200_000), |a| a.parse())?;
    let batch: usize = args.next().map_or(Ok(1_000), |a| a.parse())?;
    let dir = tempfile::tempdir()?;
    let store = SqliteStore::open(dir.path().join("verifications.sqlite3")).await?;
    let authority_id = store.ensure_authority(&tianjin()).await?;
    let licences: Vec<_> = (1..=10_000u32)
        .map(|n| licence(n, (n % 900) as u16, &tianjin()))
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
    store.import_batch(source, &records).await?;
    let org = store
        .create_organisation(&NewOrganisation {
            name: "某某汽车租赁有限公司".to_owned(),
            kind: "car_rental".to_owned(),
            purposes: vec!["car_rental".to_owned()],
            created_at: time::OffsetDateTime::UNIX_EPOCH,
        })
        .await?;
    let key = store
        .create_api_key(&NewApiKey {
            organisation_id: org.id,
            key_hash: [7; 32],
            prefix: "edl_07".to_owned(),
            label: "bench".to_owned(),
            created_at: time::OffsetDateTime::UNIX_EPOCH,
        })
        .await?;
    let purposes = ["car_rental", "identity", "insurance"];
    let verifications: Vec<NewVerification> = (0..rows)
        .map(|i| {
            let licence = (i % 10 != 0).then(|| &licences[i * 7_919 % licences.len()]);
            NewVerification {
                at: datetime!(2025-03-01 00:00:00 UTC) + time::Duration::milliseconds(i as i64),
                organisation_id: org.id,
                api_key_id: Some(key.id),
                user_id: None,
                purpose: purposes[i % purposes.len()].to_owned(),
                channel: "api".to_owned(),
                result: if i % 13 == 0 { "not_valid" } else { "valid" }.to_owned(),
                file_number: licence.map(|l| l.file_number().clone()),
                region: licence.map(|l| l.authority().region),
            }
        })
        .collect();

    let started = Instant::now();
    for chunk in verifications.chunks(batch) {
        store.record_verifications(chunk).await?;
    }
    let elapsed = started.elapsed();
    eprintln!(
        "recorded {rows} verifications in {:.2} s: {:.0} rows/s (batches of {batch})",
        elapsed.as_secs_f64(),
        rows as f64 / elapsed.as_secs_f64()
    );
    store.close().await;
    Ok(())
}
