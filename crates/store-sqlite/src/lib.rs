//! The [`Store`](edl_store::Store) trait on an embedded SQLite file: [`SqliteStore`], the default backend.
//!
//! [`SqliteStore::open`] creates or opens the file in WAL mode with `synchronous = NORMAL`, foreign keys on and a
//! busy timeout, and applies the embedded migrations (`migrations/0001_registry.sql` … `0004_console.sql`).
//! Bulk import uses multi-row prepared `INSERT OR IGNORE` statements, one transaction per batch (see `import.rs`);
//! `region_status_counts` is kept in the same transactions, so `region_counts` reads a few rows.
//! Every `sqlx` error is mapped to [`StoreError`] in `error.rs`; none reaches callers.

mod codec;
mod console;
mod error;
mod holders;
mod import;
mod store;

use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

use edl_store::StoreError;
use sqlx::SqlitePool;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};

use crate::error::map_err;

/// The migrations in `migrations/`, embedded at build time.
static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// How long a connection waits for another writer's lock before failing with `SQLITE_BUSY`.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// Rows the SQLite worker thread may hand over before the reader takes them. With the default (50) the reader is
/// woken a hundred times for the provenance of one re-imported batch.
const ROW_BUFFER: usize = 1024;

/// Connections in the pool. WAL lets readers run beside the one writer; more would only contend for the lock.
const MAX_CONNECTIONS: u32 = 4;

/// The page cache per connection, in KiB (SQLite's negative `cache_size`), a limit that a connection only reaches
/// by touching that many pages: in practice the one writing an import. Imports insert file numbers and citizen ids
/// in random order, so every batch touches index pages all over the file; 256 MiB holds both indexes of several
/// million licences (a million take about 50 MiB), where the default 2 MiB re-reads pages for every batch.
const CACHE_SIZE_KIB: i64 = 256 * 1024;

/// The licence registry in one SQLite database file.
///
/// A cheap handle around a connection pool: clone it freely.
#[derive(Clone)]
pub struct SqliteStore {
    pool: SqlitePool,
    path: PathBuf,
}

impl fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // A SQLite URL has no credentials, so the path is safe to show.
        f.debug_struct("SqliteStore")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

impl SqliteStore {
    /// Opens the database file at `path`, creating it if missing, and applies pending migrations.
    pub async fn open(path: impl AsRef<Path>) -> Result<Self, StoreError> {
        Self::open_with(SqliteConnectOptions::new().filename(path)).await
    }

    /// Opens the database named by a `sqlite:` URL (`sqlite://data/registry.sqlite3`, `sqlite:registry.sqlite3`).
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        let options = SqliteConnectOptions::from_str(url).map_err(map_err)?;
        Self::open_with(options).await
    }

    /// Opens the database with `options`, after forcing the settings every [`SqliteStore`] relies on:
    /// create if missing, WAL journal, `synchronous = NORMAL`, foreign keys and the busy timeout.
    ///
    /// Other options (extra pragmas, for example) are kept; tests use this to limit the file size.
    pub async fn open_with(options: SqliteConnectOptions) -> Result<Self, StoreError> {
        let options = options
            .create_if_missing(true)
            // WAL lets readers proceed while a batch is written. NORMAL syncs at checkpoints rather than at
            // every commit: durable against application crashes, never corrupt, but a power loss or OS crash
            // can roll back the last commits. Imports redo those batches on restart; operator changes would
            // have to be redone, which is the trade-off of the embedded default (PostgreSQL for production).
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(BUSY_TIMEOUT)
            .row_buffer_size(ROW_BUFFER)
            .pragma("cache_size", (-CACHE_SIZE_KIB).to_string())
            .pragma("temp_store", "memory");
        let path = options.get_filename().to_owned();
        let pool = SqlitePoolOptions::new()
            .max_connections(MAX_CONNECTIONS)
            // A connection to a file cannot be lost the way a network connection can, so the
            // pool's ping before every acquire (a round trip to the connection's worker thread,
            // a third of a point read's cost) buys nothing here.
            .test_before_acquire(false)
            .connect_with(options)
            .await
            .map_err(map_err)?;
        let store = Self { pool, path };
        store.migrate().await?;
        Ok(store)
    }

    /// Applies pending migrations and returns the versions applied so far, in order (`[1]` for 0001).
    pub async fn migrate(&self) -> Result<Vec<i64>, StoreError> {
        MIGRATOR.run(&self.pool).await.map_err(|err| match err {
            sqlx::migrate::MigrateError::Execute(err) => map_err(err),
            other => StoreError::Other(Box::new(other)),
        })?;
        sqlx::query_scalar("SELECT version FROM _sqlx_migrations WHERE success ORDER BY version")
            .fetch_all(&self.pool)
            .await
            .map_err(map_err)
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The connection pool, for maintenance and backend tests.
    ///
    /// Writing through it bypasses the rules [`Store`](edl_store::Store) keeps (history triggers still apply).
    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }

    /// Closes every connection, checkpointing the write-ahead log into the database file.
    pub async fn close(&self) {
        self.pool.close().await;
    }
}
