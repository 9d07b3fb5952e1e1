//! Mapping `sqlx` errors to [`StoreError`], so callers never see a driver error or a password.

use std::fmt;

use edl_store::StoreError;
use sqlx::error::{DatabaseError, ErrorKind};

/// SQLSTATE `disk_full`.
const DISK_FULL: &str = "53100";

/// Where the store connects, for error messages: `host:port` (or the socket path) and never credentials.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Address(pub(crate) String);

impl fmt::Display for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Why the database cannot be used, as the source of [`StoreError::Unavailable`].
///
/// Every variant names the server address; none holds a password (the address never has one and `sqlx`
/// I/O and pool errors do not quote the connection URL).
#[derive(Debug, thiserror::Error)]
pub(crate) enum Unavailable {
    /// The server refused or dropped the connection, or the network failed.
    #[error("cannot reach PostgreSQL at {addr}")]
    Unreachable {
        /// The server.
        addr: Address,
        /// The I/O or TLS error.
        #[source]
        source: sqlx::Error,
    },
    /// Connecting took longer than the connect timeout (a silent network or an overloaded server).
    #[error("timed out after {seconds} s connecting to PostgreSQL at {addr}")]
    ConnectTimeout {
        /// The server.
        addr: Address,
        /// The timeout.
        seconds: u64,
    },
    /// No pooled connection became free, or a new one could not be opened, in time.
    #[error("no PostgreSQL connection to {addr} is available")]
    Pool {
        /// The server.
        addr: Address,
        /// The pool error.
        #[source]
        source: sqlx::Error,
    },
    /// SQLSTATE 53100 `disk_full`: the server has no space left to write.
    #[error(
        "PostgreSQL at {addr} is out of disk space (SQLSTATE 53100); free disk space and retry"
    )]
    DiskFull {
        /// The server.
        addr: Address,
        /// The server's error.
        #[source]
        source: PgError,
    },
    /// SQLSTATE classes 08 (connection), 53 (insufficient resources), 57P (shutdown) and 58 (system error).
    #[error("PostgreSQL at {addr} cannot serve requests right now")]
    Server {
        /// The server.
        addr: Address,
        /// The server's error.
        #[source]
        source: PgError,
    },
}

/// A PostgreSQL error reduced to what is safe to log: SQLSTATE, constraint and the message.
///
/// The server's `DETAIL` (which quotes row values, so personal data) is dropped, and so is anything after
/// `: "` in the message (PostgreSQL quotes the rejected input there, as in `invalid input syntax for type date: "…"`).
#[derive(Debug, thiserror::Error)]
#[error("PostgreSQL error {code}: {message}")]
pub(crate) struct PgError {
    /// The SQLSTATE.
    pub(crate) code: String,
    /// The violated constraint, if any.
    pub(crate) constraint: Option<String>,
    /// The message without quoted input.
    pub(crate) message: String,
}

impl PgError {
    fn from_database(db: &dyn DatabaseError) -> Self {
        let message = db.message();
        let message = message
            .find(": \"")
            .map_or(message, |end| &message[..end])
            .to_owned();
        Self {
            code: db.code().map(|code| code.into_owned()).unwrap_or_default(),
            constraint: db.constraint().map(str::to_owned),
            message,
        }
    }
}

/// Maps a `sqlx` error from the server at `addr` to a [`StoreError`].
pub(crate) fn map_err(addr: &Address, err: sqlx::Error) -> StoreError {
    let addr = addr.clone();
    match err {
        sqlx::Error::Database(db) => map_database_error(addr, db.as_ref()),
        err @ (sqlx::Error::Io(_) | sqlx::Error::Tls(_)) => {
            StoreError::Unavailable(Box::new(Unavailable::Unreachable { addr, source: err }))
        }
        err
        @ (sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::WorkerCrashed) => {
            StoreError::Unavailable(Box::new(Unavailable::Pool { addr, source: err }))
        }
        sqlx::Error::RowNotFound => StoreError::NotFound { what: "row" },
        // A decode error's message may quote the stored value, so it is dropped: the column name is enough.
        sqlx::Error::ColumnDecode { .. } | sqlx::Error::Decode(_) => StoreError::Corrupt {
            what: "a column does not decode",
            source: None,
        },
        // Configuration errors (a malformed URL) and protocol errors quote neither the URL nor row values.
        err => StoreError::Other(Box::new(err)),
    }
}

fn map_database_error(addr: Address, db: &dyn DatabaseError) -> StoreError {
    match db.kind() {
        ErrorKind::UniqueViolation => {
            return StoreError::Conflict {
                constraint: unique_constraint(db.constraint()),
            };
        }
        ErrorKind::ForeignKeyViolation => {
            return StoreError::Conflict {
                constraint: "foreign_key",
            };
        }
        // The named CHECK the store also checks before writing; other CHECKs stay `Other`.
        ErrorKind::CheckViolation if db.constraint() == Some("console_role_scope") => {
            return StoreError::Conflict {
                constraint: "console_role_scope",
            };
        }
        _ => {}
    }
    let err = PgError::from_database(db);
    let code = err.code.as_str();
    if code == DISK_FULL {
        StoreError::Unavailable(Box::new(Unavailable::DiskFull { addr, source: err }))
    } else if code.starts_with("08")
        || code.starts_with("53")
        || code.starts_with("57P")
        || code.starts_with("58")
    {
        StoreError::Unavailable(Box::new(Unavailable::Server { addr, source: err }))
    } else {
        StoreError::Other(Box::new(err))
    }
}

/// The backend-independent name of a unique constraint (the same names edl-store-sqlite reports).
fn unique_constraint(constraint: Option<&str>) -> &'static str {
    match constraint {
        Some("licences_pkey") => "file_number",
        Some("authorities_name_key") => "authority_name",
        Some("imports_file_sha256_key") => "import_file",
        Some("rollout_pkey") => "rollout_region",
        Some("accounts_file_number_key") => "account_file_number",
        Some("accounts_citizen_id_key") => "account_citizen_id",
        Some("sessions_pkey") => "session_token",
        Some("claim_challenges_pkey") => "claim_nonce",
        Some("shares_token_hash_key") => "share_token",
        Some("console_users_username_key") => "console_username",
        Some("console_sessions_pkey") => "console_session_token",
        Some("organisations_name_key") => "organisation_name",
        Some("api_keys_key_hash_key") => "api_key",
        _ => "unique",
    }
}

/// The connect timeout error for `addr`.
pub(crate) fn connect_timeout(addr: &Address, seconds: u64) -> StoreError {
    StoreError::Unavailable(Box::new(Unavailable::ConnectTimeout {
        addr: addr.clone(),
        seconds,
    }))
}

#[cfg(test)]
mod tests {
    use std::error::Error as _;

    use super::*;

    fn addr() -> Address {
        Address("db.example:5432".to_owned())
    }

    fn chain(err: &dyn std::error::Error) -> String {
        let mut res = err.to_string();
        let mut source = err.source();
        while let Some(err) = source {
            res.push_str(": ");
            res.push_str(&err.to_string());
            source = err.source();
        }
        res
    }

    #[test]
    fn unique_constraints_have_backend_independent_names() {
        assert_eq!(unique_constraint(Some("licences_pkey")), "file_number");
        assert_eq!(
            unique_constraint(Some("authorities_name_key")),
            "authority_name"
        );
        assert_eq!(
            unique_constraint(Some("imports_file_sha256_key")),
            "import_file"
        );
        assert_eq!(unique_constraint(Some("rollout_pkey")), "rollout_region");
        assert_eq!(
            unique_constraint(Some("accounts_file_number_key")),
            "account_file_number"
        );
        assert_eq!(unique_constraint(None), "unique");
    }

    #[test]
    fn io_errors_are_unavailable_and_name_the_address() {
        let io = std::io::Error::from(std::io::ErrorKind::ConnectionRefused);

        let err = map_err(&addr(), sqlx::Error::Io(io));

        assert!(matches!(err, StoreError::Unavailable(_)), "{err:?}");
        let message = chain(&err);
        assert!(message.contains("db.example:5432"), "{message}");
    }

    #[test]
    fn pool_errors_are_unavailable() {
        let err = map_err(&addr(), sqlx::Error::PoolTimedOut);

        assert!(matches!(err, StoreError::Unavailable(_)), "{err:?}");
        assert!(chain(&err).contains("db.example:5432"));
        assert!(err.source().is_some());
    }

    #[test]
    fn row_not_found_is_not_found() {
        let err = map_err(&addr(), sqlx::Error::RowNotFound);

        assert!(
            matches!(err, StoreError::NotFound { what: "row" }),
            "{err:?}"
        );
    }
}
