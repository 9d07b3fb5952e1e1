//! Staff accounts made outside the console: the first platform operator of a deployment, from
//! `edl staff add`. The password is hashed here with the console's own Argon2id settings.

use edl_app::AnyStore;
use edl_store::{ConsoleRole, ConsoleUser, NewConsoleUser, Store, StoreError};
use time::OffsetDateTime;

use crate::auth::{MAX_PASSWORD_BYTES, MIN_PASSWORD_CHARS, hash_password};

/// Why a staff account was not made.
#[derive(Debug, thiserror::Error)]
pub enum StaffError {
    /// The username is empty, too long or has spaces or control characters.
    #[error("the username must be 1 to 64 characters without spaces or control characters")]
    BadUsername,
    /// The password is too short or too long.
    #[error("the password must be {MIN_PASSWORD_CHARS} to {MAX_PASSWORD_BYTES} characters long")]
    BadPassword,
    /// No authority has this name.
    #[error("no issuing authority has this name (see edl authority list)")]
    UnknownAuthority,
    /// The role needs an authority (operator, auditor) or an organisation (verifier), or none (platform).
    #[error(
        "operators and auditors need --authority; platform operators take none; verifier staff are made in the console"
    )]
    BadScope,
    /// The username is taken.
    #[error("the username is taken")]
    Taken,
    /// Hashing failed.
    #[error("password hashing failed: {0}")]
    Hash(&'static str),
    /// The registry failed.
    #[error(transparent)]
    Store(StoreError),
}

/// Makes a platform operator (`authority` None) or an authority's operator or auditor.
pub async fn add_staff(
    store: &AnyStore,
    username: &str,
    password: String,
    role: ConsoleRole,
    authority: Option<&str>,
    now: OffsetDateTime,
) -> Result<ConsoleUser, StaffError> {
    let username = username.trim();
    if username.is_empty()
        || username.chars().count() > 64
        || username
            .chars()
            .any(|c| c.is_control() || c.is_whitespace())
    {
        return Err(StaffError::BadUsername);
    }
    if password.chars().count() < MIN_PASSWORD_CHARS || password.len() > MAX_PASSWORD_BYTES {
        return Err(StaffError::BadPassword);
    }
    let authority_id = match (role, authority) {
        (ConsoleRole::Platform, None) => None,
        (ConsoleRole::Operator | ConsoleRole::Auditor, Some(name)) => Some(
            store
                .list_authorities()
                .await
                .map_err(StaffError::Store)?
                .into_iter()
                .find(|a| a.authority.name.as_str() == name.trim())
                .ok_or(StaffError::UnknownAuthority)?
                .id,
        ),
        _ => return Err(StaffError::BadScope),
    };
    let password_hash = hash_password(password).await.map_err(StaffError::Hash)?;
    store
        .create_console_user(&NewConsoleUser {
            username: username.to_owned(),
            password_hash,
            role,
            authority_id,
            organisation_id: None,
            created_at: now,
        })
        .await
        .map_err(|e| match e {
            StoreError::Conflict {
                constraint: "console_username",
            } => StaffError::Taken,
            e => StaffError::Store(e),
        })
}
