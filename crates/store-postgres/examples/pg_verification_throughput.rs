//! Measures how fast the verification audit is written into PostgreSQL:
//! `cargo run --release -p edl-store-postgres --example pg_verification_throughput [ROWS] [BATCH] [WRITERS]`.
//!
//! Creates a scratch database `edl_bench_<pid>` on the server of `EDL_TEST_DATABASE_URL` (default
//! `postgres://postgres@127.0.0.1:5432/postgres`) and drops it afterwards. Each batch goes through
//! `record_verifications` (audit row, check event for the nine in ten that name one of 10,000 licences, daily
//! rollup); `WRITERS` tasks write batches at once, as the verification API's batcher would.
//! A measuring tool, not a test: it asserts nothing about speed.

use std::str::FromStr as _;
use std::time::Instant;

use edl_store::conformance::{licence, tianjin};
use edl_store::{ImportRecord, NewApiKey, NewOrganisation, NewVerification, Store};
use edl_store_postgres::PgStore;
use sqlx::postgres::PgConnectOptions;
use sqlx::{Connection as _, PgConnection};
use time::macros::datetime;

type Error = Box<dyn std::error::Error + Send + Sync>;

#[tokio::main]
async fn main() -> Result<(), Error> {
    let mut args = std::env::args().skip(1);
    let rows: usize = args.next().map_or(Ok(200_000), |a| a.parse())?;
    let batch: usize = args.next().map_or(Ok(1_000), |a| a.parse())?;
    let writers: usize = args.next().map_or(Ok(2), |a| a.parse())?;
    let admin = PgConnectOptions::from_str(
        &std::env::var("EDL_TEST_DATABASE_URL")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned()),
    )?;
    let name = format!("edl_bench_{}", std::process::id());
    let mut conn = PgConnection::connect_with(&admin).await?;
    sqlx::query(&format!("CREATE DATABASE \"{name}\""))
        .execute(&mut conn)
        .await?;
    let res = run(admin.clone().database(&name), rows, batch, writers).await;
    sqlx::query(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
        .execute(&mut conn)
        .await?;
    res
}

async fn run(
    options: PgConnectOptions,
    rows: usize,
    batch: usize,
    writers: usize,
) -> Result<(), Error> {
    let store = PgStore::connect_with(options).await?;
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
    let batches: Vec<Vec<NewVerification>> =
        verifications.chunks(batch).map(<[_]>::to_vec).collect();
    let per_writer = batches.len().div_ceil(writers.max(1));

    let started = Instant::now();
    let mut tasks = Vec::new();
    for share in batches.chunks(per_writer.max(1)) {
        let store = store.clone();
        let share = share.to_vec();
        tasks.push(tokio::spawn(async move {
            for chunk in &share {
                store.record_verifications(chunk).await?;
            }
            Ok::<(), edl_store::StoreError>(())
        }));
    }
    for task in tasks {
        task.await??;
    }
    let elapsed = started.elapsed();
    eprintln!(
        "recorded {rows} verifications in {:.2} s: {:.0} rows/s (batches of {batch}, {writers} writers)",
        elapsed.as_secs_f64(),
        rows as f64 / elapsed.as_secs_f64()
    );
    store.close().await;
    Ok(())
}
