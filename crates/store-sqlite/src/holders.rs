//! The holder's web wallet on SQLite: accounts, sessions, claim challenges, check events and shares.
//!
//! Every write is one statement in its own (autocommit) transaction; an `INSERT … SELECT … WHERE EXISTS` checks
//! the row it refers to in the same statement. Instants are written with [`instant_to_sortable_text`], so the
//! expiry conditions and newest-first orders compare text. See `migrations/0003_holders.sql`.

use edl_domain::{CitizenId, FileNumber};
use edl_store::{
    Account, CheckEvent, NewAccount, NewCheckEvent, NewSession, NewShare, Session, Share,
    StoreError,
};
use sqlx::SqlitePool;
use sqlx::sqlite::SqliteRow;
use time::OffsetDateTime;

use crate::codec::{get, instant_from_text, instant_to_sortable_text};
use crate::error::map_err;

const ACCOUNT_COLUMNS: &str = "id, citizen_id, file_number, password_hash, created_at";

const SHARE_COLUMNS: &str =
    "id, token_hash, account_id, file_number, purpose, created_at, expires_at, withdrawn_at";

pub(crate) async fn create_account(
    pool: &SqlitePool,
    account: &NewAccount,
) -> Result<Account, StoreError> {
    // The account is inserted only if the licence exists and has this 证号.
    let inserted = sqlx::query(
        "INSERT INTO accounts (citizen_id, file_number, password_hash, created_at) \
         SELECT ?1, ?2, ?3, ?4 \
         WHERE EXISTS (SELECT 1 FROM licences WHERE file_number = ?2 AND citizen_id = ?1) \
         RETURNING id",
    )
    .bind(account.citizen_id.as_str())
    .bind(account.file_number.as_str())
    .bind(&account.password_hash)
    .bind(instant_to_sortable_text(account.created_at)?)
    .fetch_optional(pool)
    .await;
    match inserted {
        Ok(Some(row)) => Ok(Account {
            id: get(&row, 0, "accounts.id")?,
            citizen_id: account.citizen_id.clone(),
            file_number: account.file_number.clone(),
            password_hash: account.password_hash.clone(),
            created_at: account.created_at,
        }),
        Ok(None) => Err(StoreError::NotFound { what: "licence" }),
        Err(err) => match map_err(err) {
            StoreError::Conflict {
                constraint: "account_file_number" | "account_citizen_id",
            } => Err(account_conflict(pool, &account.file_number).await?),
            other => Err(other),
        },
    }
}

/// Which uniqueness rule refused an account for `file_number`: the licence's (when it has an account) first,
/// whichever index the database happened to check first.
async fn account_conflict(
    pool: &SqlitePool,
    file_number: &FileNumber,
) -> Result<StoreError, StoreError> {
    let taken: Option<i64> = sqlx::query_scalar("SELECT 1 FROM accounts WHERE file_number = ?")
        .bind(file_number.as_str())
        .fetch_optional(pool)
        .await
        .map_err(map_err)?;
    Ok(StoreError::Conflict {
        constraint: if taken.is_some() {
            "account_file_number"
        } else {
            "account_citizen_id"
        },
    })
}

pub(crate) async fn account(pool: &SqlitePool, id: i64) -> Result<Option<Account>, StoreError> {
    let row = sqlx::query(&format!(
        "SELECT {ACCOUNT_COLUMNS} FROM accounts WHERE id = ?"
    ))
    .bind(id)
    .fetch_optional(pool)
    .await
    .map_err(map_err)?;
    row.as_ref().map(account_from_row).transpose()
}

pub(crate) async fn account_by_citizen_id(
    pool: &SqlitePool,
    citizen_id: &CitizenId,
) -> Result<Option<Account>, StoreError> {
    let row = sqlx::query(&format!(
        "SELECT {ACCOUNT_COLUMNS} FROM accounts WHERE citizen_id = ?"
    ))
    .bind(citizen_id.as_str())
    .fetch_optional(pool)
    .await
    .map_err(map_err)?;
    row.as_ref().map(account_from_row).transpose()
}

fn account_from_row(row: &SqliteRow) -> Result<Account, StoreError> {
    Ok(Account {
        id: get(row, 0, "accounts.id")?,
        citizen_id: CitizenId::parse(get(row, 1, "accounts.citizen_id")?)
            .map_err(|e| StoreError::corrupt("accounts.citizen_id", e))?,
        file_number: file_number(get(row, 2, "accounts.file_number")?, "accounts.file_number")?,
        password_hash: get(row, 3, "accounts.password_hash")?,
        created_at: instant_from_text(get(row, 4, "accounts.created_at")?, "accounts.created_at")?,
    })
}

pub(crate) async fn create_session(
    pool: &SqlitePool,
    session: &NewSession,
) -> Result<(), StoreError> {
    let done = sqlx::query(
        "INSERT INTO sessions (token_hash, account_id, csrf_token, created_at, expires_at) \
         SELECT ?1, ?2, ?3, ?4, ?5 WHERE EXISTS (SELECT 1 FROM accounts WHERE id = ?2)",
    )
    .bind(&session.token_hash[..])
    .bind(session.account_id)
    .bind(&session.csrf_token)
    .bind(instant_to_sortable_text(session.created_at)?)
    .bind(instant_to_sortable_text(session.expires_at)?)
    .execute(pool)
    .await
    .map_err(map_err)?;
    if done.rows_affected() == 0 {
        return Err(StoreError::NotFound { what: "account" });
    }
    Ok(())
}

pub(crate) async fn session(
    pool: &SqlitePool,
    token_hash: &[u8; 32],
    now: OffsetDateTime,
) -> Result<Option<Session>, StoreError> {
    let row = sqlx::query(
        "SELECT account_id, csrf_token, created_at, expires_at FROM sessions \
         WHERE token_hash = ? AND expires_at > ?",
    )
    .bind(&token_hash[..])
    .bind(instant_to_sortable_text(now)?)
    .fetch_optional(pool)
    .await
    .map_err(map_err)?;
    row.map(|row| {
        Ok(Session {
            account_id: get(&row, 0, "sessions.account_id")?,
            csrf_token: get(&row, 1, "sessions.csrf_token")?,
            created_at: instant_from_text(
                get(&row, 2, "sessions.created_at")?,
                "sessions.created_at",
            )?,
            expires_at: instant_from_text(
                get(&row, 3, "sessions.expires_at")?,
                "sessions.expires_at",
            )?,
        })
    })
    .transpose()
}

pub(crate) async fn delete_session(
    pool: &SqlitePool,
    token_hash: &[u8; 32],
) -> Result<(), StoreError> {
    sqlx::query("DELETE FROM sessions WHERE token_hash = ?")
        .bind(&token_hash[..])
        .execute(pool)
        .await
        .map_err(map_err)?;
    Ok(())
}

pub(crate) async fn delete_expired_sessions(
    pool: &SqlitePool,
    now: OffsetDateTime,
) -> Result<u64, StoreError> {
    let done = sqlx::query("DELETE FROM sessions WHERE expires_at <= ?")
        .bind(instant_to_sortable_text(now)?)
        .execute(pool)
        .await
        .map_err(map_err)?;
    Ok(done.rows_affected())
}

pub(crate) async fn create_claim_challenge(
    pool: &SqlitePool,
    nonce_hash: &[u8; 32],
    account_id: i64,
    expires_at: OffsetDateTime,
) -> Result<(), StoreError> {
    let done = sqlx::query(
        "INSERT INTO claim_challenges (nonce_hash, account_id, expires_at) \
         SELECT ?1, ?2, ?3 WHERE EXISTS (SELECT 1 FROM accounts WHERE id = ?2)",
    )
    .bind(&nonce_hash[..])
    .bind(account_id)
    .bind(instant_to_sortable_text(expires_at)?)
    .execute(pool)
    .await
    .map_err(map_err)?;
    if done.rows_affected() == 0 {
        return Err(StoreError::NotFound { what: "account" });
    }
    Ok(())
}

pub(crate) async fn consume_claim_challenge(
    pool: &SqlitePool,
    nonce_hash: &[u8; 32],
    account_id: i64,
    now: OffsetDateTime,
) -> Result<bool, StoreError> {
    // One statement: it takes the write lock before it reads, so concurrent calls run one after the other and
    // only the first finds used_at NULL.
    let done = sqlx::query(
        "UPDATE claim_challenges SET used_at = ?3 \
         WHERE nonce_hash = ?1 AND account_id = ?2 AND used_at IS NULL AND expires_at > ?3",
    )
    .bind(&nonce_hash[..])
    .bind(account_id)
    .bind(instant_to_sortable_text(now)?)
    .execute(pool)
    .await
    .map_err(map_err)?;
    Ok(done.rows_affected() == 1)
}

pub(crate) async fn insert_check_event(
    pool: &SqlitePool,
    event: &NewCheckEvent,
) -> Result<CheckEvent, StoreError> {
    let row = sqlx::query(
        "INSERT INTO check_events (file_number, at, verifier, purpose, channel, result) \
         SELECT ?1, ?2, ?3, ?4, ?5, ?6 WHERE EXISTS (SELECT 1 FROM licences WHERE file_number = ?1) \
         RETURNING id",
    )
    .bind(event.file_number.as_str())
    .bind(instant_to_sortable_text(event.at)?)
    .bind(&event.verifier)
    .bind(&event.purpose)
    .bind(&event.channel)
    .bind(&event.result)
    .fetch_optional(pool)
    .await
    .map_err(map_err)?;
    let Some(row) = row else {
        return Err(StoreError::NotFound { what: "licence" });
    };
    Ok(CheckEvent {
        id: get(&row, 0, "check_events.id")?,
        event: event.clone(),
    })
}

pub(crate) async fn check_events(
    pool: &SqlitePool,
    file_number: &FileNumber,
    limit: u32,
) -> Result<Vec<CheckEvent>, StoreError> {
    let rows = sqlx::query(
        "SELECT id, at, verifier, purpose, channel, result FROM check_events \
         WHERE file_number = ? ORDER BY at DESC, id DESC LIMIT ?",
    )
    .bind(file_number.as_str())
    .bind(i64::from(limit))
    .fetch_all(pool)
    .await
    .map_err(map_err)?;
    rows.iter()
        .map(|row| {
            Ok(CheckEvent {
                id: get(row, 0, "check_events.id")?,
                event: NewCheckEvent {
                    file_number: file_number.clone(),
                    at: instant_from_text(get(row, 1, "check_events.at")?, "check_events.at")?,
                    verifier: get(row, 2, "check_events.verifier")?,
                    purpose: get(row, 3, "check_events.purpose")?,
                    channel: get(row, 4, "check_events.channel")?,
                    result: get(row, 5, "check_events.result")?,
                },
            })
        })
        .collect()
}

pub(crate) async fn insert_share(pool: &SqlitePool, share: &NewShare) -> Result<Share, StoreError> {
    // Only the account's own licence can be shared.
    let row = sqlx::query(
        "INSERT INTO shares (token_hash, account_id, file_number, purpose, created_at, expires_at) \
         SELECT ?1, ?2, ?3, ?4, ?5, ?6 \
         WHERE EXISTS (SELECT 1 FROM accounts WHERE id = ?2 AND file_number = ?3) \
         RETURNING id",
    )
    .bind(&share.token_hash[..])
    .bind(share.account_id)
    .bind(share.file_number.as_str())
    .bind(&share.purpose)
    .bind(instant_to_sortable_text(share.created_at)?)
    .bind(instant_to_sortable_text(share.expires_at)?)
    .fetch_optional(pool)
    .await
    .map_err(map_err)?;
    let Some(row) = row else {
        return Err(StoreError::NotFound { what: "account" });
    };
    Ok(Share {
        id: get(&row, 0, "shares.id")?,
        share: share.clone(),
        withdrawn_at: None,
    })
}

pub(crate) async fn shares(pool: &SqlitePool, account_id: i64) -> Result<Vec<Share>, StoreError> {
    let rows = sqlx::query(&format!(
        "SELECT {SHARE_COLUMNS} FROM shares WHERE account_id = ? ORDER BY created_at DESC, id DESC"
    ))
    .bind(account_id)
    .fetch_all(pool)
    .await
    .map_err(map_err)?;
    rows.iter().map(share_from_row).collect()
}

pub(crate) async fn share_by_token(
    pool: &SqlitePool,
    token_hash: &[u8; 32],
) -> Result<Option<Share>, StoreError> {
    let row = sqlx::query(&format!(
        "SELECT {SHARE_COLUMNS} FROM shares WHERE token_hash = ?"
    ))
    .bind(&token_hash[..])
    .fetch_optional(pool)
    .await
    .map_err(map_err)?;
    row.as_ref().map(share_from_row).transpose()
}

pub(crate) async fn withdraw_share(
    pool: &SqlitePool,
    id: i64,
    account_id: i64,
    at: OffsetDateTime,
) -> Result<bool, StoreError> {
    let done = sqlx::query(
        "UPDATE shares SET withdrawn_at = ? \
         WHERE id = ? AND account_id = ? AND withdrawn_at IS NULL",
    )
    .bind(instant_to_sortable_text(at)?)
    .bind(id)
    .bind(account_id)
    .execute(pool)
    .await
    .map_err(map_err)?;
    Ok(done.rows_affected() == 1)
}

fn share_from_row(row: &SqliteRow) -> Result<Share, StoreError> {
    Ok(Share {
        id: get(row, 0, "shares.id")?,
        share: NewShare {
            token_hash: get::<&[u8]>(row, 1, "shares.token_hash")?
                .try_into()
                .map_err(|_| StoreError::Corrupt {
                    what: "shares.token_hash",
                    source: None,
                })?,
            account_id: get(row, 2, "shares.account_id")?,
            file_number: file_number(get(row, 3, "shares.file_number")?, "shares.file_number")?,
            purpose: get(row, 4, "shares.purpose")?,
            created_at: instant_from_text(get(row, 5, "shares.created_at")?, "shares.created_at")?,
            expires_at: instant_from_text(get(row, 6, "shares.expires_at")?, "shares.expires_at")?,
        },
        withdrawn_at: get::<Option<&str>>(row, 7, "shares.withdrawn_at")?
            .map(|text| instant_from_text(text, "shares.withdrawn_at"))
            .transpose()?,
    })
}

fn file_number(text: &str, column: &'static str) -> Result<FileNumber, StoreError> {
    FileNumber::parse(text).map_err(|e| StoreError::corrupt(column, e))
}
