//! A fresh PostgreSQL database per test: created on demand, migrated by [`PgStore::connect_with`], dropped after.
//!
//! The server comes from `EDL_TEST_DATABASE_URL` (default `postgres://postgres@127.0.0.1:5432/postgres`); that
//! database is only used to create and drop `edl_test_<random hex>` databases.
//! If the server cannot be reached the test prints `SKIPPED: PostgreSQL unreachable` and passes, unless
//! `EDL_REQUIRE_POSTGRES=1`, when it fails with the reason.

#![allow(dead_code, unreachable_pub)]

use std::hash::{BuildHasher as _, RandomState};
use std::str::FromStr as _;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use edl_store::conformance::Backend;
use edl_store_postgres::PgStore;
use sqlx::postgres::PgConnectOptions;
use sqlx::{ConnectOptions as _, Connection as _, PgConnection};

/// The default server, as CI and the developer machines run it.
pub const DEFAULT_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

/// Test databases older than this are left over from a killed run and are dropped by the next run.
const STALE_AFTER: Duration = Duration::from_secs(3600);

/// The prefix of every test database; the comment on each one records its creation time.
const PREFIX: &str = "edl_test_";
const COMMENT_PREFIX: &str = "edl-store-postgres test database created at unix ";

static SWEPT: AtomicBool = AtomicBool::new(false);
static COUNTER: AtomicU64 = AtomicU64::new(0);

/// The admin URL for tests.
pub fn admin_url() -> String {
    std::env::var("EDL_TEST_DATABASE_URL").unwrap_or_else(|_| DEFAULT_URL.to_owned())
}

fn required() -> bool {
    std::env::var("EDL_REQUIRE_POSTGRES").is_ok_and(|v| v == "1")
}

fn random_hex() -> String {
    let seed = COUNTER.fetch_add(1, Ordering::Relaxed)
        ^ u64::from(std::process::id()).rotate_left(32)
        ^ SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as u64);
    // RandomState is keyed from the OS's randomness once per process (then per thread); hashing the seed gives
    // names that differ across concurrent test processes too.
    format!("{:016x}", RandomState::new().hash_one(seed))
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

fn admin_options() -> Result<PgConnectOptions, String> {
    PgConnectOptions::from_str(&admin_url())
        .map(|options| options.disable_statement_logging())
        .map_err(|err| format!("EDL_TEST_DATABASE_URL does not parse: {err}"))
}

async fn admin_connection(options: &PgConnectOptions) -> Result<PgConnection, String> {
    match tokio::time::timeout(Duration::from_secs(10), PgConnection::connect_with(options)).await {
        Ok(Ok(conn)) => Ok(conn),
        Ok(Err(err)) => Err(format!(
            "cannot connect to {}:{}: {err}",
            options.get_host(),
            options.get_port()
        )),
        Err(_) => Err(format!(
            "timed out connecting to {}:{}",
            options.get_host(),
            options.get_port()
        )),
    }
}

/// Drops test databases a killed run left behind (older than [`STALE_AFTER`]); once per test process.
async fn sweep_stale(admin: &mut PgConnection) {
    if SWEPT.swap(true, Ordering::SeqCst) {
        return;
    }
    let rows: Vec<(String, Option<String>)> = sqlx::query_as(
        "SELECT datname, shobj_description(oid, 'pg_database') FROM pg_database \
         WHERE datname LIKE 'edl\\_test\\_%'",
    )
    .fetch_all(&mut *admin)
    .await
    .expect("list test databases");
    let now = unix_now();
    for (name, comment) in rows {
        let created = comment
            .as_deref()
            .and_then(|c| c.strip_prefix(COMMENT_PREFIX))
            .and_then(|secs| secs.parse::<u64>().ok());
        if created.is_some_and(|created| now.saturating_sub(created) > STALE_AFTER.as_secs()) {
            let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
                .execute(&mut *admin)
                .await;
        }
    }
}

/// One test's database and the store on it.
pub struct TestDb {
    store: PgStore,
    admin: PgConnectOptions,
    name: String,
}

impl TestDb {
    /// Creates and migrates a fresh database; `None` (after printing why) if PostgreSQL is unreachable and not
    /// required.
    pub async fn create() -> Option<Self> {
        let admin = match admin_options() {
            Ok(admin) => admin,
            Err(reason) => return skip(&reason),
        };
        let mut conn = match admin_connection(&admin).await {
            Ok(conn) => conn,
            Err(reason) => return skip(&reason),
        };
        // From here on the server answers, so any failure is a real error.
        sweep_stale(&mut conn).await;
        let name = format!("{PREFIX}{}", random_hex());
        sqlx::query(&format!("CREATE DATABASE \"{name}\""))
            .execute(&mut conn)
            .await
            .expect("create the test database");
        sqlx::query(&format!(
            "COMMENT ON DATABASE \"{name}\" IS '{COMMENT_PREFIX}{}'",
            unix_now()
        ))
        .execute(&mut conn)
        .await
        .expect("comment on the test database");
        let _ = conn.close().await;
        let db = Self {
            store: PgStore::connect_with(admin.clone().database(&name))
                .await
                .unwrap_or_else(|err| panic!("connect to the test database: {}", chain(&err))),
            admin,
            name,
        };
        Some(db)
    }

    /// The store on the test database.
    pub fn store(&self) -> &PgStore {
        &self.store
    }

    /// The test database's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Closes the store and drops the database.
    pub async fn drop_database(self) {
        self.store.close().await;
        let mut conn = admin_connection(&self.admin)
            .await
            .expect("reconnect to drop the test database");
        sqlx::query(&format!(
            "DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)",
            self.name
        ))
        .execute(&mut conn)
        .await
        .expect("drop the test database");
        let _ = conn.close().await;
    }
}

fn skip<T>(reason: &str) -> Option<T> {
    if required() {
        panic!("PostgreSQL is required (EDL_REQUIRE_POSTGRES=1) but unreachable: {reason}");
    }
    println!("SKIPPED: PostgreSQL unreachable ({reason})");
    None
}

/// An error and its sources, joined with `: `.
pub fn chain(err: &dyn std::error::Error) -> String {
    let mut res = err.to_string();
    let mut source = err.source();
    while let Some(err) = source {
        res.push_str(": ");
        res.push_str(&err.to_string());
        source = err.source();
    }
    res
}

impl Backend for TestDb {
    type Store = PgStore;

    fn store(&self) -> &PgStore {
        &self.store
    }

    async fn execute_raw(&self, sql: &'static str) -> Result<u64, String> {
        sqlx::query(sql)
            .execute(self.store.pool())
            .await
            .map(|res| res.rows_affected())
            .map_err(|err| err.to_string())
    }

    async fn teardown(self) {
        self.drop_database().await;
    }
}

/// A fresh database for one conformance check.
pub async fn fresh() -> Option<TestDb> {
    TestDb::create().await
}
