//! The `edl-store` conformance suite on [`SqliteStore`], each test on a fresh database file in its own temp dir.

use edl_store::conformance::Backend;
use edl_store_sqlite::SqliteStore;
use sqlx::Executor;

/// A fresh database file and the directory that holds it (and its `-wal`/`-shm` files) until the test ends.
struct Fixture {
    store: SqliteStore,
    _dir: tempfile::TempDir,
}

impl Backend for Fixture {
    type Store = SqliteStore;

    fn store(&self) -> &SqliteStore {
        &self.store
    }

    async fn execute_raw(&self, sql: &'static str) -> Result<u64, String> {
        self.store
            .pool()
            .execute(sql)
            .await
            .map(|done| done.rows_affected())
            .map_err(|err| err.to_string())
    }

    async fn teardown(self) {
        self.store.close().await;
    }
}

async fn fresh() -> Option<Fixture> {
    let dir = tempfile::tempdir().expect("a temp dir");
    let store = SqliteStore::open(dir.path().join("registry.sqlite3"))
        .await
        .expect("a fresh SQLite store");
    Some(Fixture { store, _dir: dir })
}

edl_store::store_conformance_tests!(fresh);
