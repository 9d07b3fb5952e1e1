//! The [`Store`](edl_store::Store) trait on PostgreSQL: [`PgStore`], the scale-out backend.
//!
//! [`PgStore::connect`] checks that the server answers (failing fast with
//! [`StoreError::Unavailable`] naming `host:port` when it does not), opens a connection pool and applies the
//! embedded migrations (`migrations/0001_registry.sql` … `0004_console.sql`, the same tables and version numbers as
//! edl-store-sqlite).
//! Bulk import looks up which of a batch's file numbers are stored, then sends the new rows straight into `licences`
//! with one binary `COPY … FROM STDIN`; if a concurrent import takes one of them in between, the batch is redone
//! through a temporary staging table and one `INSERT … SELECT … ON CONFLICT (file_number) DO NOTHING` (see
//! `import.rs`). `region_status_counts` is kept in the same transactions, so `region_counts` reads a few rows.
//! Every `sqlx` error is mapped to [`StoreError`] in `error.rs`; none reaches callers, and no message or `Debug`
//! output carries a password or a row's personal data.

mod console;
mod copy;
mod error;
mod holders;
mod import;
mod store;

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use edl_store::StoreError;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{Connection as _, PgConnection, PgPool};

use crate::error::{Address, connect_timeout, map_err};

/// The migrations in `migrations/`, embedded at build time.
static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// How long [`PgStore::connect`] waits for the server before giving up.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// How long an operation waits for a pooled connection (or a new one) before failing as unavailable.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(10);

/// Connections in the pool: enough for the HTTP service's concurrent requests and an import side by side.
const MAX_CONNECTIONS: u32 = 8;

/// The licence registry in one PostgreSQL database.
///
/// A cheap handle around a connection pool: clone it freely.
/// Its `Debug` shows the server, database and user, never the password.
#[derive(Clone)]
pub struct PgStore {
    pool: PgPool,
    addr: Address,
    /// The connection URL with any password replaced by `***`.
    redacted_url: String,
}

impl fmt::Debug for PgStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PgStore")
            .field("url", &self.redacted_url)
            .finish_non_exhaustive()
    }
}

impl PgStore {
    /// Connects to the database named by a `postgres://user:password@host:port/database` URL and applies pending
    /// migrations.
    ///
    /// Fails quickly with [`StoreError::Unavailable`] (whose source names `host:port`) if the server refuses the
    /// connection or does not answer within 10 s, and with [`StoreError::Other`] for a malformed URL.
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        let options = PgConnectOptions::from_str(url)
            .map_err(|err| StoreError::Other(Box::new(InvalidUrl(err))))?;
        Self::connect_inner(options, redact_url(url)).await
    }

    /// Connects with `options` (for example a test database chosen at run time) and applies pending migrations.
    pub async fn connect_with(options: PgConnectOptions) -> Result<Self, StoreError> {
        let redacted_url = options_url(&options);
        Self::connect_inner(options, redacted_url).await
    }

    async fn connect_inner(
        options: PgConnectOptions,
        redacted_url: String,
    ) -> Result<Self, StoreError> {
        let addr = address(&options);
        // The pool retries a refused connection until its acquire timeout and then reports only a timeout, so one
        // direct connection first gives a prompt answer with the real cause.
        let probe = tokio::time::timeout(CONNECT_TIMEOUT, PgConnection::connect_with(&options))
            .await
            .map_err(|_| connect_timeout(&addr, CONNECT_TIMEOUT.as_secs()))?
            .map_err(|err| match map_err(&addr, err) {
                // Refused by the server itself (authentication, unknown database): say which server.
                StoreError::Other(source) => StoreError::Other(Box::new(ConnectFailed {
                    addr: addr.clone(),
                    source,
                })),
                other => other,
            })?;
        // Closing is a courtesy to the server; a failure here changes nothing for the pool.
        let _ = probe.close().await;
        let pool = PgPoolOptions::new()
            .max_connections(MAX_CONNECTIONS)
            .acquire_timeout(ACQUIRE_TIMEOUT)
            .connect_lazy_with(options);
        let store = Self {
            pool,
            addr,
            redacted_url,
        };
        store.migrate().await?;
        Ok(store)
    }

    /// Applies pending migrations and returns the versions applied so far, in order (`[1]` for 0001).
    pub async fn migrate(&self) -> Result<Vec<i64>, StoreError> {
        MIGRATOR.run(&self.pool).await.map_err(|err| match err {
            sqlx::migrate::MigrateError::Execute(err) => self.err(err),
            other => StoreError::Other(Box::new(other)),
        })?;
        sqlx::query_scalar("SELECT version FROM _sqlx_migrations WHERE success ORDER BY version")
            .fetch_all(&self.pool)
            .await
            .map_err(|err| self.err(err))
    }

    /// The connection pool, for maintenance and backend tests.
    ///
    /// Writing through it bypasses the rules [`Store`](edl_store::Store) keeps (the history triggers still apply).
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// Closes every connection of the pool.
    pub async fn close(&self) {
        self.pool.close().await;
    }

    /// Maps a `sqlx` error of this store.
    pub(crate) fn err(&self, err: sqlx::Error) -> StoreError {
        map_err(&self.addr, err)
    }
}

/// A connection URL that does not parse; the URL itself is not repeated (it may hold a password).
#[derive(Debug, thiserror::Error)]
#[error("invalid PostgreSQL connection URL")]
struct InvalidUrl(#[source] sqlx::Error);

/// The server answered but refused the connection (wrong credentials, unknown database, …).
#[derive(Debug, thiserror::Error)]
#[error("PostgreSQL at {addr} refused the connection")]
struct ConnectFailed {
    addr: Address,
    #[source]
    source: edl_store::BoxError,
}

/// The server as `host:port` (brackets around an IPv6 address), or the Unix socket path.
fn address(options: &PgConnectOptions) -> Address {
    if let Some(socket) = options.get_socket() {
        return Address(socket.display().to_string());
    }
    let host = options.get_host();
    let port = options.get_port();
    if host.contains(':') && !host.starts_with('[') {
        Address(format!("[{host}]:{port}"))
    } else {
        Address(format!("{host}:{port}"))
    }
}

/// A URL describing `options` without credentials.
fn options_url(options: &PgConnectOptions) -> String {
    let database = options.get_database().unwrap_or_default();
    format!(
        "postgres://{}@{}/{database}",
        options.get_username(),
        address(options)
    )
}

/// `url` with the password of its user information and any `password=` query parameter replaced by `***`.
fn redact_url(url: &str) -> String {
    let rest_start = url.find("://").map_or(0, |idx| idx + 3);
    let (scheme, rest) = url.split_at(rest_start);
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    let mut res = String::with_capacity(url.len());
    res.push_str(scheme);
    match authority.rfind('@') {
        Some(at) => {
            let (userinfo, host) = authority.split_at(at);
            match userinfo.split_once(':') {
                Some((user, _password)) => {
                    res.push_str(user);
                    res.push_str(":***");
                }
                None => res.push_str(userinfo),
            }
            res.push_str(host);
        }
        None => res.push_str(authority),
    }
    let Some((path, query)) = tail.split_once('?') else {
        res.push_str(tail);
        return res;
    };
    res.push_str(path);
    res.push('?');
    let (query, fragment) = match query.split_once('#') {
        Some((query, fragment)) => (query, Some(fragment)),
        None => (query, None),
    };
    let params: Vec<String> = query
        .split('&')
        .map(|param| match param.split_once('=') {
            Some((key, _)) if key.eq_ignore_ascii_case("password") => format!("{key}=***"),
            _ => param.to_owned(),
        })
        .collect();
    res.push_str(&params.join("&"));
    if let Some(fragment) = fragment {
        res.push('#');
        res.push_str(fragment);
    }
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redact_url_hides_the_password() {
        assert_eq!(
            redact_url("postgres://edl:s3cret@db.example:5432/registry"),
            "postgres://edl:***@db.example:5432/registry"
        );
        assert_eq!(
            redact_url("postgresql://edl:p%40ss@[::1]:5433/registry?sslmode=require"),
            "postgresql://edl:***@[::1]:5433/registry?sslmode=require"
        );
    }

    #[test]
    fn redact_url_hides_a_password_parameter() {
        assert_eq!(
            redact_url("postgres://db.example/registry?user=edl&password=s3cret&sslmode=disable"),
            "postgres://db.example/registry?user=edl&password=***&sslmode=disable"
        );
    }

    #[test]
    fn redact_url_keeps_urls_without_password() {
        for url in [
            "postgres://postgres@127.0.0.1:5432/postgres",
            "postgres://127.0.0.1/edl",
            "postgres:///edl?host=/run/postgresql",
        ] {
            assert_eq!(redact_url(url), url);
        }
    }

    #[test]
    fn address_names_host_and_port() {
        let options = PgConnectOptions::from_str("postgres://u:pw@db.example:6543/x").expect("url");
        assert_eq!(address(&options).0, "db.example:6543");
        let options = PgConnectOptions::from_str("postgres://u@[::1]:5432/x").expect("url");
        assert!(address(&options).0.ends_with(":5432"));
        assert!(!options_url(&options).contains("pw"));
    }
}
