//! `StoreError`, the one error type every backend returns.

/// A boxed error from a backend driver, kept as the `source` of a [`StoreError`].
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// What went wrong in a storage operation, in terms callers can act on.
///
/// Backends map their driver errors into these variants, so callers never see `sqlx::Error`.
/// Messages never contain personal data: they name constraints, tables and columns, never values.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The addressed row does not exist.
    #[error("not found: {what}")]
    NotFound {
        /// What was looked for, for example `"licence"` or `"import"`.
        what: &'static str,
    },
    /// A uniqueness or consistency rule refused the write.
    #[error("conflict on {constraint}")]
    Conflict {
        /// The backend-independent name of the rule, for example `"file_number"` or `"authority_region"`.
        constraint: &'static str,
    },
    /// An optimistic update found a newer version than the one it was based on.
    #[error("the licence was changed concurrently; reload and retry")]
    StaleVersion,
    /// The database cannot be reached or cannot write: connection refused, I/O error, disk full.
    #[error("the database is unavailable")]
    Unavailable(#[source] BoxError),
    /// A stored value no longer parses as the domain type it was written from.
    #[error("stored data is corrupt: {what}")]
    Corrupt {
        /// The table and column that failed, for example `"licences.citizen_id"`.
        what: &'static str,
        /// The parse error, when there is one; domain errors never carry the value.
        #[source]
        source: Option<BoxError>,
    },
    /// Any other database error: a bug in a query or a broken schema.
    #[error("database error")]
    Other(#[source] BoxError),
}

impl StoreError {
    /// A [`StoreError::Corrupt`] for `what` caused by `source`.
    pub fn corrupt(what: &'static str, source: impl Into<BoxError>) -> Self {
        Self::Corrupt {
            what,
            source: Some(source.into()),
        }
    }
}
