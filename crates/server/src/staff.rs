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

/// A staff login name, trimmed: 1 to 64 characters without spaces or control characters. `None` if
/// it is not one.
pub(crate) fn login_name(text: &str) -> Option<&str> {
    let text = text.trim();
    (!text.is_empty()
        && text.chars().count() <= 64
        && !text.chars().any(|c| c.is_control() || c.is_whitespace()))
    .then_some(text)
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
    let username = login_name(username).ok_or(StaffError::BadUsername)?;
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

#[cfg(test)]
mod tests {
    use super::login_name;
    use crate::routes::console::short_name;

    #[test]
    fn names_typed_into_forms_are_trimmed_and_bounded() {
        assert_eq!(login_name("  tj-op "), Some("tj-op"));
        assert_eq!(
            short_name(" 某某汽车租赁 有限公司 "),
            Some("某某汽车租赁 有限公司")
        );
        let longest = "名".repeat(64);
        assert_eq!(login_name(&longest), Some(longest.as_str()));
        assert_eq!(short_name(&longest), Some(longest.as_str()));
        for bad in ["", "   ", "a\u{7}b", &"名".repeat(65)] {
            assert_eq!(login_name(bad), None, "{bad:?}");
            assert_eq!(short_name(bad), None, "{bad:?}");
        }
        // Spaces inside are allowed in names, never in logins.
        assert_eq!(login_name("tj op"), None);
    }
}
