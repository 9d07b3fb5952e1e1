//! Which database a command or the service talks to, parsed from a URL or a file path.

use std::fmt;
use std::path::PathBuf;

/// The database the platform runs on.
///
/// `sqlite://PATH`, `sqlite:PATH` or a bare path mean an embedded SQLite file;
/// `postgres://…` or `postgresql://…` mean PostgreSQL.
#[derive(Clone, PartialEq, Eq)]
pub enum DatabaseUrl {
    /// An embedded SQLite file (the default).
    Sqlite(PathBuf),
    /// A PostgreSQL server, with the URL as given (it may hold a password; `Display` redacts it).
    Postgres(String),
}

/// Why a database URL was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum DatabaseUrlError {
    /// The URL was empty.
    #[error("the database URL is empty")]
    Empty,
    /// A scheme other than sqlite or postgres.
    #[error("unsupported database scheme `{0}`: use sqlite://PATH or postgres://HOST/DB")]
    UnsupportedScheme(String),
}

impl DatabaseUrl {
    /// The default: `edl-data/edl.sqlite3` under the working directory.
    pub fn default_sqlite() -> DatabaseUrl {
        DatabaseUrl::Sqlite(PathBuf::from("edl-data").join("edl.sqlite3"))
    }

    /// Parses a URL or a path.
    pub fn parse(s: &str) -> Result<DatabaseUrl, DatabaseUrlError> {
        let s = s.trim();
        if s.is_empty() {
            return Err(DatabaseUrlError::Empty);
        }
        if s.starts_with("postgres://") || s.starts_with("postgresql://") {
            return Ok(DatabaseUrl::Postgres(s.to_owned()));
        }
        if let Some(path) = s
            .strip_prefix("sqlite://")
            .or_else(|| s.strip_prefix("sqlite:"))
        {
            let path = path.split('?').next().unwrap_or(path);
            if path.is_empty() {
                return Err(DatabaseUrlError::Empty);
            }
            return Ok(DatabaseUrl::Sqlite(PathBuf::from(path)));
        }
        if let Some((scheme, _)) = s.split_once("://") {
            return Err(DatabaseUrlError::UnsupportedScheme(scheme.to_owned()));
        }
        Ok(DatabaseUrl::Sqlite(PathBuf::from(s)))
    }

    /// A short name of the engine, for logs and the landing page.
    pub fn engine(&self) -> &'static str {
        match self {
            DatabaseUrl::Sqlite(_) => "SQLite",
            DatabaseUrl::Postgres(_) => "PostgreSQL",
        }
    }
}

/// Shows the URL with any password replaced by `***`.
impl fmt::Display for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DatabaseUrl::Sqlite(path) => write!(f, "sqlite://{}", path.display()),
            DatabaseUrl::Postgres(url) => f.write_str(&redact_password(url)),
        }
    }
}

impl fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DatabaseUrl({self})")
    }
}

/// Replaces the password of `scheme://user:password@host/...` with `***`.
pub fn redact_password(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let authority_end = rest.find('/').unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    match authority.rsplit_once('@') {
        Some((userinfo, host)) => match userinfo.split_once(':') {
            Some((user, _password)) => format!("{scheme}://{user}:***@{host}{tail}"),
            None => url.to_owned(),
        },
        None => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_forms_a_user_types() {
        assert_eq!(
            DatabaseUrl::parse("sqlite://data/x.db").unwrap(),
            DatabaseUrl::Sqlite("data/x.db".into())
        );
        assert_eq!(
            DatabaseUrl::parse("sqlite:x.db?mode=rwc").unwrap(),
            DatabaseUrl::Sqlite("x.db".into())
        );
        assert_eq!(
            DatabaseUrl::parse("./registry.sqlite3").unwrap(),
            DatabaseUrl::Sqlite("./registry.sqlite3".into())
        );
        assert!(matches!(
            DatabaseUrl::parse("postgresql://u@h/db").unwrap(),
            DatabaseUrl::Postgres(_)
        ));
        assert_eq!(
            DatabaseUrl::parse("mysql://h/db"),
            Err(DatabaseUrlError::UnsupportedScheme("mysql".into()))
        );
        assert_eq!(DatabaseUrl::parse("  "), Err(DatabaseUrlError::Empty));
    }

    #[test]
    fn display_and_debug_never_show_a_password() {
        let url = DatabaseUrl::parse("postgres://edl:s3cret@db.example:5432/edl").unwrap();
        assert_eq!(url.to_string(), "postgres://edl:***@db.example:5432/edl");
        assert!(!format!("{url:?}").contains("s3cret"));
        let no_password = DatabaseUrl::parse("postgres://postgres@127.0.0.1/test").unwrap();
        assert_eq!(
            no_password.to_string(),
            "postgres://postgres@127.0.0.1/test"
        );
    }
}
