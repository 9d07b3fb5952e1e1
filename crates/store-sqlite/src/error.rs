//! Mapping `sqlx` errors to [`StoreError`], so callers never see a driver error.

use edl_store::StoreError;
use sqlx::error::{DatabaseError, ErrorKind};

/// SQLite's primary result codes we treat specially (the low byte of an extended code).
/// See <https://www.sqlite.org/rescode.html>.
const SQLITE_BUSY: i64 = 5;
const SQLITE_LOCKED: i64 = 6;
const SQLITE_NOMEM: i64 = 7;
const SQLITE_READONLY: i64 = 8;
const SQLITE_IOERR: i64 = 10;
const SQLITE_CORRUPT: i64 = 11;
const SQLITE_FULL: i64 = 13;
const SQLITE_CANTOPEN: i64 = 14;
const SQLITE_NOTADB: i64 = 26;
/// `SQLITE_CONSTRAINT_TRIGGER`: a trigger's `RAISE(ABORT, …)`, which only the append-only triggers of
/// `licence_history` and `verifications` use.
const SQLITE_CONSTRAINT_TRIGGER: i64 = 1811;

/// Why the database cannot be used, as the source of [`StoreError::Unavailable`].
#[derive(Debug, thiserror::Error)]
pub(crate) enum Unavailable {
    /// `SQLITE_FULL`: no space left for the database file or its write-ahead log.
    #[error("the SQLite database or the disk holding it is full; free disk space and retry")]
    DiskFull(#[source] sqlx::Error),
    /// `SQLITE_IOERR`, `SQLITE_CANTOPEN`, `SQLITE_READONLY`, `SQLITE_NOMEM`: the file cannot be read or written.
    #[error("the SQLite database file cannot be opened, read or written")]
    Io(#[source] sqlx::Error),
    /// `SQLITE_BUSY`/`SQLITE_LOCKED` after the busy timeout: another process holds the write lock.
    #[error("the SQLite database stayed locked by another writer beyond the busy timeout")]
    Busy(#[source] sqlx::Error),
    /// `SQLITE_CORRUPT`/`SQLITE_NOTADB`: the file is damaged or not a database.
    #[error("the file is not a usable SQLite database (corrupt or another format)")]
    NotADatabase(#[source] sqlx::Error),
    /// The connection pool is closed, timed out or lost its worker thread.
    #[error("no SQLite connection is available")]
    Pool(#[source] sqlx::Error),
}

/// Maps a `sqlx` error to a [`StoreError`].
///
/// SQLite messages name tables and columns, never values, so they are safe to keep as sources.
pub(crate) fn map_err(err: sqlx::Error) -> StoreError {
    match &err {
        sqlx::Error::Database(db) => {
            if let Some(conflict) = map_database_error(db.as_ref()) {
                return conflict;
            }
            let unavailable = match primary_code(db.as_ref()) {
                Some(SQLITE_FULL) => Unavailable::DiskFull(err),
                Some(SQLITE_IOERR | SQLITE_CANTOPEN | SQLITE_READONLY | SQLITE_NOMEM) => {
                    Unavailable::Io(err)
                }
                Some(SQLITE_BUSY | SQLITE_LOCKED) => Unavailable::Busy(err),
                Some(SQLITE_CORRUPT | SQLITE_NOTADB) => Unavailable::NotADatabase(err),
                _ => return StoreError::Other(Box::new(err)),
            };
            StoreError::Unavailable(Box::new(unavailable))
        }
        sqlx::Error::Io(_) => StoreError::Unavailable(Box::new(Unavailable::Io(err))),
        sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::WorkerCrashed => {
            StoreError::Unavailable(Box::new(Unavailable::Pool(err)))
        }
        sqlx::Error::RowNotFound => StoreError::NotFound { what: "row" },
        // A decode error's message may quote the stored value, so it is dropped: the column name is enough.
        sqlx::Error::ColumnDecode { .. } | sqlx::Error::Decode(_) => StoreError::Corrupt {
            what: "a column does not decode",
            source: None,
        },
        _ => StoreError::Other(Box::new(err)),
    }
}

/// Maps constraint violations to [`StoreError::Conflict`] with a backend-independent name.
fn map_database_error(db: &dyn DatabaseError) -> Option<StoreError> {
    let constraint = match db.kind() {
        ErrorKind::UniqueViolation => unique_constraint(db.message()),
        ErrorKind::ForeignKeyViolation => "foreign_key",
        // The named CHECK the store also checks before writing; other CHECKs stay `Other`.
        ErrorKind::CheckViolation if db.message().ends_with(": console_role_scope") => {
            "console_role_scope"
        }
        _ if extended_code(db) == Some(SQLITE_CONSTRAINT_TRIGGER) => {
            if db.message().starts_with("verifications ") {
                "verifications_append_only"
            } else {
                "licence_history_append_only"
            }
        }
        _ => return None,
    };
    Some(StoreError::Conflict { constraint })
}

/// The constraint name for SQLite's "UNIQUE constraint failed: table.column" message.
fn unique_constraint(message: &str) -> &'static str {
    let columns = message.rsplit(": ").next().unwrap_or_default();
    match columns {
        "licences.file_number" => "file_number",
        "authorities.name" => "authority_name",
        "imports.file_sha256" => "import_file",
        "rollout.region" => "rollout_region",
        "accounts.file_number" => "account_file_number",
        "accounts.citizen_id" => "account_citizen_id",
        "sessions.token_hash" => "session_token",
        "claim_challenges.nonce_hash" => "claim_nonce",
        "shares.token_hash" => "share_token",
        "console_users.username" => "console_username",
        "console_sessions.token_hash" => "console_session_token",
        "organisations.name" => "organisation_name",
        "api_keys.key_hash" => "api_key",
        _ => "unique",
    }
}

fn extended_code(db: &dyn DatabaseError) -> Option<i64> {
    db.code().and_then(|code| code.parse().ok())
}

fn primary_code(db: &dyn DatabaseError) -> Option<i64> {
    extended_code(db).map(|code| code & 0xff)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unique_messages_name_backend_independent_constraints() {
        assert_eq!(
            unique_constraint("UNIQUE constraint failed: licences.file_number"),
            "file_number"
        );
        assert_eq!(
            unique_constraint("UNIQUE constraint failed: authorities.name"),
            "authority_name"
        );
        assert_eq!(
            unique_constraint("UNIQUE constraint failed: accounts.citizen_id"),
            "account_citizen_id"
        );
        assert_eq!(unique_constraint("something else"), "unique");
    }

    #[test]
    fn pool_errors_are_unavailable() {
        let err = map_err(sqlx::Error::PoolTimedOut);

        assert!(matches!(err, StoreError::Unavailable(_)), "{err:?}");
    }
}
