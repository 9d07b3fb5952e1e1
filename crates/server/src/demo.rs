//! Demo staff for `edl serve --demo`: a platform operator, an operator and an auditor for each demo
//! issuing authority, and two verifier organisations with a staff login each. Their passwords are
//! public (README.md): this is for trying the console, never for a real registry.

use edl_app::AnyStore;
use edl_store::{ConsoleRole, NewConsoleUser, NewOrganisation, Store, StoreError};
use time::OffsetDateTime;

use crate::auth::hash_password;

/// The demo platform operator's login.
pub const PLATFORM: (&str, &str) = ("platform", "demo-platform");
/// The password of every demo authority operator (`op-<region code>`).
pub const OPERATOR_PASSWORD: &str = "demo-operator";
/// The password of every demo auditor (`audit-<region code>`).
pub const AUDITOR_PASSWORD: &str = "demo-auditor";
/// The demo verifier organisations: name, kind, purposes, staff login, staff password.
pub const ORGANISATIONS: [(&str, &str, &[&str], &str, &str); 2] = [
    (
        "示例汽车租赁有限公司",
        "car_rental",
        &["car_rental"],
        "rental",
        "demo-verifier",
    ),
    (
        "示例市公安局交警支队",
        "police",
        &["roadside", "business_window"],
        "police",
        "demo-verifier",
    ),
];

/// What seeding did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConsoleDemoOutcome {
    /// Staff accounts existed already: nothing was added.
    AlreadyThere,
    /// The demo staff and organisations were created.
    Seeded {
        /// Staff accounts made.
        users: usize,
    },
}

/// Why the demo staff could not be made.
#[derive(Debug, thiserror::Error)]
pub enum ConsoleDemoError {
    /// The registry failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Password hashing failed.
    #[error("password hashing failed: {0}")]
    Hash(&'static str),
}

/// Creates the demo staff unless the registry has staff accounts already.
pub async fn seed_console_demo(
    store: &AnyStore,
    now: OffsetDateTime,
) -> Result<ConsoleDemoOutcome, ConsoleDemoError> {
    if !store.console_users().await?.is_empty() {
        return Ok(ConsoleDemoOutcome::AlreadyThere);
    }
    let hash = |p: &str| {
        let p = p.to_owned();
        async move { hash_password(p).await.map_err(ConsoleDemoError::Hash) }
    };
    let user = |username: String, password_hash: String, role, authority_id, organisation_id| {
        NewConsoleUser {
            username,
            password_hash,
            role,
            authority_id,
            organisation_id,
            created_at: now,
        }
    };
    let mut made = 0;
    store
        .create_console_user(&user(
            PLATFORM.0.to_owned(),
            hash(PLATFORM.1).await?,
            ConsoleRole::Platform,
            None,
            None,
        ))
        .await?;
    made += 1;
    let operator_hash = hash(OPERATOR_PASSWORD).await?;
    let auditor_hash = hash(AUDITOR_PASSWORD).await?;
    for authority in store.list_authorities().await? {
        let region = authority.authority.region;
        for (prefix, role, password_hash) in [
            ("op", ConsoleRole::Operator, &operator_hash),
            ("audit", ConsoleRole::Auditor, &auditor_hash),
        ] {
            store
                .create_console_user(&user(
                    format!("{prefix}-{region}"),
                    password_hash.clone(),
                    role,
                    Some(authority.id),
                    None,
                ))
                .await?;
            made += 1;
        }
    }
    for (name, kind, purposes, staff, password) in ORGANISATIONS {
        let organisation = store
            .create_organisation(&NewOrganisation {
                name: name.to_owned(),
                kind: kind.to_owned(),
                purposes: purposes.iter().map(|p| (*p).to_owned()).collect(),
                created_at: now,
            })
            .await?;
        store
            .create_console_user(&user(
                staff.to_owned(),
                hash(password).await?,
                ConsoleRole::Verifier,
                None,
                Some(organisation.id),
            ))
            .await?;
        made += 1;
    }
    Ok(ConsoleDemoOutcome::Seeded { users: made })
}
