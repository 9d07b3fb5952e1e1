//! The import and change commands against a real PostgreSQL server, each test in a fresh database.
//!
//! The server is `EDL_TEST_DATABASE_URL` (default `postgres://postgres@127.0.0.1:5432/postgres`). If it
//! does not answer, the tests print why and pass, unless `EDL_REQUIRE_POSTGRES=1` (as in CI), where they fail.

#![allow(clippy::unwrap_used)] // Test helpers: a panic is the test failing, with its message.

mod support;

use sqlx::{Connection, PgConnection};
use support::Edl;

/// A database created for one test and dropped afterwards.
struct TestDatabase {
    admin_url: String,
    name: String,
    url: String,
}

impl TestDatabase {
    fn create() -> Option<TestDatabase> {
        let admin_url = std::env::var("EDL_TEST_DATABASE_URL")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned());
        let name = format!("edl_cli_test_{:016x}", rand_suffix());
        let runtime = runtime();
        let created = runtime.block_on(async {
            let mut conn = PgConnection::connect(&admin_url).await?;
            sqlx::query(&format!("CREATE DATABASE {name}"))
                .execute(&mut conn)
                .await?;
            Ok::<_, sqlx::Error>(())
        });
        match created {
            Ok(()) => {
                let base = admin_url
                    .rsplit_once('/')
                    .map(|(b, _)| b)
                    .unwrap_or(&admin_url);
                let url = format!("{base}/{name}");
                Some(TestDatabase {
                    admin_url,
                    name,
                    url,
                })
            }
            Err(error) => {
                if std::env::var("EDL_REQUIRE_POSTGRES").as_deref() == Ok("1") {
                    panic!(
                        "PostgreSQL is required (EDL_REQUIRE_POSTGRES=1) but unreachable: {error}"
                    );
                }
                eprintln!("SKIPPED: PostgreSQL unreachable ({error})");
                None
            }
        }
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let _ = runtime().block_on(async {
            let mut conn = PgConnection::connect(&self.admin_url).await?;
            sqlx::query(&format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                self.name
            ))
            .execute(&mut conn)
            .await
        });
    }
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
}

fn rand_suffix() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default()
            .as_nanos(),
    );
    h.finish()
}

#[test]
fn postgres_import_is_idempotent_and_restartable_after_a_kill() {
    let Some(db) = TestDatabase::create() else {
        return;
    };
    let edl = Edl::with_database(db.url.clone());
    let csv = edl.path("big.csv");
    let total: u64 = 200_000;
    edl.ok(&[
        "gen-licences",
        "--count",
        &total.to_string(),
        "--seed",
        "6",
        "-o",
        csv.to_str().unwrap(),
    ]);

    let after_kill = edl.import_and_kill_once_committed(&csv);
    assert!(
        after_kill > 0 && after_kill < total,
        "committed {after_kill} of {total} before the kill"
    );

    let out = edl
        .ok(&["import", csv.to_str().unwrap(), "--no-progress"])
        .stdout;
    assert_eq!(edl.total_licences(), total, "{out}");
    assert!(
        out.contains(&format!(
            "{} new, {after_kill} already present, 0 rejected",
            total - after_kill
        )),
        "{out}"
    );

    let again = edl
        .ok(&["import", csv.to_str().unwrap(), "--no-progress"])
        .stdout;
    assert!(
        again.contains(&format!("0 new, {total} already present, 0 rejected")),
        "{again}"
    );
}

#[test]
fn postgres_licence_changes_and_history() {
    let Some(db) = TestDatabase::create() else {
        return;
    };
    let edl = Edl::with_database(db.url.clone());
    let csv = edl.path("l.csv");
    edl.ok(&[
        "gen-licences",
        "--count",
        "100",
        "--seed",
        "8",
        "--encoding",
        "gbk",
        "-o",
        csv.to_str().unwrap(),
    ]);
    let out = edl
        .ok(&["import", csv.to_str().unwrap(), "--no-progress"])
        .stdout;
    assert!(out.contains("(GBK)") && out.contains("100 new"), "{out}");
    let utf8 = edl.path("u.csv");
    edl.ok(&[
        "gen-licences",
        "--count",
        "100",
        "--seed",
        "8",
        "-o",
        utf8.to_str().unwrap(),
    ]);
    let number = edl.first_normal_file_number(&utf8);
    let out = edl
        .ok(&[
            "licence",
            "set-status",
            "--file-number",
            &number,
            "--status",
            "HI",
            "--by",
            "cd-0001",
            "--reason",
            "违法未处理 + 事故未处理",
        ])
        .stdout;
    assert!(
        out.contains("status=HI") && out.contains("BlackQr"),
        "{out}"
    );
    let history = edl
        .ok(&["licence", "history", "--file-number", &number])
        .stdout;
    assert!(history.contains("by cd-0001"), "{history}");
    edl.ok(&[
        "rollout",
        "enable",
        "510100",
        "--from",
        "2021-06-01",
        "--phase",
        "pilot",
    ]);
    assert!(edl.ok(&["rollout", "list"]).stdout.contains("510100"));
}
