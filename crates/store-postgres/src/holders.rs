//! The holder's web wallet on PostgreSQL: accounts, sessions, claim challenges, check events and shares.
//!
//! Every write is one statement in its own transaction; an `INSERT … SELECT … WHERE EXISTS` checks the row it
//! refers to in the same statement (the foreign keys still hold against a concurrent change).
//! See `migrations/0003_holders.sql`.

use edl_domain::{CitizenId, FileNumber};
use edl_store::{
    Account, CheckEvent, NewAccount, NewCheckEvent, NewSession, NewShare, Session, Share,
    StoreError,
};
use sqlx::postgres::PgRow;
use time::OffsetDateTime;

use crate::PgStore;
use crate::store::get;

const ACCOUNT_COLUMNS: &str = "id, citizen_id, file_number, password_hash, created_at";

const SHARE_COLUMNS: &str =
    "id, token_hash, account_id, file_number, purpose, created_at, expires_at, withdrawn_at";

pub(crate) async fn create_account(
    store: &PgStore,
    account: &NewAccount,
) -> Result<Account, StoreError> {
    // The account is inserted only if the licence exists and has this 证号.
    let inserted: Result<Option<i64>, sqlx::Error> = sqlx::query_scalar(
        "INSERT INTO accounts (citizen_id, file_number, password_hash, created_at) \
         SELECT $1, $2, $3, $4 \
         WHERE EXISTS (SELECT 1 FROM licences WHERE file_number = $2 AND citizen_id = $1) \
         RETURNING id",
    )
    .bind(account.citizen_id.as_str())
    .bind(account.file_number.as_str())
    .bind(&account.password_hash)
    .bind(account.created_at)
    .fetch_optional(&store.pool)
    .await;
    match inserted {
        Ok(Some(id)) => Ok(Account {
            id,
            citizen_id: account.citizen_id.clone(),
            file_number: account.file_number.clone(),
            password_hash: account.password_hash.clone(),
            created_at: account.created_at,
        }),
        Ok(None) => Err(StoreError::NotFound { what: "licence" }),
        Err(err) => match store.err(err) {
            StoreError::Conflict {
                constraint: "account_file_number" | "account_citizen_id",
            } => Err(account_conflict(store, &account.file_number).await?),
            other => Err(other),
        },
    }
}

/// Which uniqueness rule refused an account for `file_number`: the licence's (when it has an account) first,
/// whichever index the database happened to check first. The conflicting row is committed (a unique violation
/// waits for the inserting transaction), so this new statement sees it.
async fn account_conflict(
    store: &PgStore,
    file_number: &FileNumber,
) -> Result<StoreError, StoreError> {
    let taken: bool =
        sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM accounts WHERE file_number = $1)")
            .bind(file_number.as_str())
            .fetch_one(&store.pool)
            .await
            .map_err(|err| store.err(err))?;
    Ok(StoreError::Conflict {
        constraint: if taken {
            "account_file_number"
        } else {
            "account_citizen_id"
        },
    })
}

pub(crate) async fn account(store: &PgStore, id: i64) -> Result<Option<Account>, StoreError> {
    let row = sqlx::query(&format!(
        "SELECT {ACCOUNT_COLUMNS} FROM accounts WHERE id = $1"
    ))
    .bind(id)
    .fetch_optional(&store.pool)
    .await
    .map_err(|err| store.err(err))?;
    row.as_ref().map(account_from_row).transpose()
}

pub(crate) async fn account_by_citizen_id(
    store: &PgStore,
    citizen_id: &CitizenId,
) -> Result<Option<Account>, StoreError> {
    let row = sqlx::query(&format!(
        "SELECT {ACCOUNT_COLUMNS} FROM accounts WHERE citizen_id = $1"
    ))
    .bind(citizen_id.as_str())
    .fetch_optional(&store.pool)
    .await
    .map_err(|err| store.err(err))?;
    row.as_ref().map(account_from_row).transpose()
}

fn account_from_row(row: &PgRow) -> Result<Account, StoreError> {
    Ok(Account {
        id: get(row, 0, "accounts.id")?,
        citizen_id: CitizenId::parse(get(row, 1, "accounts.citizen_id")?)
            .map_err(|e| StoreError::corrupt("accounts.citizen_id", e))?,
        file_number: file_number(get(row, 2, "accounts.file_number")?, "accounts.file_number")?,
        password_hash: get(row, 3, "accounts.password_hash")?,
        created_at: get(row, 4, "accounts.created_at")?,
    })
}

pub(crate) async fn create_session(
    store: &PgStore,
    session: &NewSession,
) -> Result<(), StoreError> {
    let done = sqlx::query(
        "INSERT INTO sessions (token_hash, account_id, csrf_token, created_at, expires_at) \
         SELECT $1, $2, $3, $4, $5 WHERE EXISTS (SELECT 1 FROM accounts WHERE id = $2)",
    )
    .bind(&session.token_hash[..])
    .bind(session.account_id)
    .bind(&session.csrf_token)
    .bind(session.created_at)
    .bind(session.expires_at)
    .execute(&store.pool)
    .await
    .map_err(|err| store.err(err))?;
    if done.rows_affected() == 0 {
        return Err(StoreError::NotFound { what: "account" });
    }
    Ok(())
}

pub(crate) async fn session(
    store: &PgStore,
    token_hash: &[u8; 32],
    now: OffsetDateTime,
) -> Result<Option<Session>, StoreError> {
    let row = sqlx::query(
        "SELECT account_id, csrf_token, created_at, expires_at FROM sessions \
         WHERE token_hash = $1 AND expires_at > $2",
    )
    .bind(&token_hash[..])
    .bind(now)
    .fetch_optional(&store.pool)
    .await
    .map_err(|err| store.err(err))?;
    row.map(|row| {
        Ok(Session {
            account_id: get(&row, 0, "sessions.account_id")?,
            csrf_token: get(&row, 1, "sessions.csrf_token")?,
            created_at: get(&row, 2, "sessions.created_at")?,
            expires_at: get(&row, 3, "sessions.expires_at")?,
        })
    })
    .transpose()
}

pub(crate) async fn delete_session(
    store: &PgStore,
    token_hash: &[u8; 32],
) -> Result<(), StoreError> {
    sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
        .bind(&token_hash[..])
        .execute(&store.pool)
        .await
        .map_err(|err| store.err(err))?;
    Ok(())
}

pub(crate) async fn delete_expired_sessions(
    store: &PgStore,
    now: OffsetDateTime,
) -> Result<u64, StoreError> {
    let done = sqlx::query("DELETE FROM sessions WHERE expires_at <= $1")
        .bind(now)
        .execute(&store.pool)
        .await
        .map_err(|err| store.err(err))?;
    Ok(done.rows_affected())
}

pub(crate) async fn create_claim_challenge(
    store: &PgStore,
    nonce_hash: &[u8; 32],
    account_id: i64,
    expires_at: OffsetDateTime,
) -> Result<(), StoreError> {
    let done = sqlx::query(
        "INSERT INTO claim_challenges (nonce_hash, account_id, expires_at) \
         SELECT $1, $2, $3 WHERE EXISTS (SELECT 1 FROM accounts WHERE id = $2)",
    )
    .bind(&nonce_hash[..])
    .bind(account_id)
    .bind(expires_at)
    .execute(&store.pool)
    .await
    .map_err(|err| store.err(err))?;
    if done.rows_affected() == 0 {
        return Err(StoreError::NotFound { what: "account" });
    }
    Ok(())
}

pub(crate) async fn consume_claim_challenge(
    store: &PgStore,
    nonce_hash: &[u8; 32],
    account_id: i64,
    now: OffsetDateTime,
) -> Result<bool, StoreError> {
    // One statement. A concurrent UPDATE of the same row waits for the first to commit, then re-checks the WHERE
    // clause on the new row version (READ COMMITTED), finds used_at set and changes nothing.
    let done = sqlx::query(
        "UPDATE claim_challenges SET used_at = $3 \
         WHERE nonce_hash = $1 AND account_id = $2 AND used_at IS NULL AND expires_at > $3",
    )
    .bind(&nonce_hash[..])
    .bind(account_id)
    .bind(now)
    .execute(&store.pool)
    .await
    .map_err(|err| store.err(err))?;
    Ok(done.rows_affected() == 1)
}

pub(crate) async fn insert_check_event(
    store: &PgStore,
    event: &NewCheckEvent,
) -> Result<CheckEvent, StoreError> {
    let id: Option<i64> = sqlx::query_scalar(
        "INSERT INTO check_events (file_number, at, verifier, purpose, channel, result) \
         SELECT $1, $2, $3, $4, $5, $6 WHERE EXISTS (SELECT 1 FROM licences WHERE file_number = $1) \
         RETURNING id",
    )
    .bind(event.file_number.as_str())
    .bind(event.at)
    .bind(&event.verifier)
    .bind(&event.purpose)
    .bind(&event.channel)
    .bind(&event.result)
    .fetch_optional(&store.pool)
    .await
    .map_err(|err| store.err(err))?;
    let Some(id) = id else {
        return Err(StoreError::NotFound { what: "licence" });
    };
    Ok(CheckEvent {
        id,
        event: event.clone(),
    })
}

pub(crate) async fn check_events(
    store: &PgStore,
    file_number: &FileNumber,
    limit: u32,
) -> Result<Vec<CheckEvent>, StoreError> {
    let rows = sqlx::query(
        "SELECT id, at, verifier, purpose, channel, result FROM check_events \
         WHERE file_number = $1 ORDER BY at DESC, id DESC LIMIT $2",
    )
    .bind(file_number.as_str())
    .bind(i64::from(limit))
    .fetch_all(&store.pool)
    .await
    .map_err(|err| store.err(err))?;
    rows.iter()
        .map(|row| {
            Ok(CheckEvent {
                id: get(row, 0, "check_events.id")?,
                event: NewCheckEvent {
                    file_number: file_number.clone(),
                    at: get(row, 1, "check_events.at")?,
                    verifier: get(row, 2, "check_events.verifier")?,
                    purpose: get(row, 3, "check_events.purpose")?,
                    channel: get(row, 4, "check_events.channel")?,
                    result: get(row, 5, "check_events.result")?,
                },
            })
        })
        .collect()
}

pub(crate) async fn insert_share(store: &PgStore, share: &NewShare) -> Result<Share, StoreError> {
    // Only the account's own licence can be shared.
    let id: Option<i64> = sqlx::query_scalar(
        "INSERT INTO shares (token_hash, account_id, file_number, purpose, created_at, expires_at) \
         SELECT $1, $2, $3, $4, $5, $6 \
         WHERE EXISTS (SELECT 1 FROM accounts WHERE id = $2 AND file_number = $3) \
         RETURNING id",
    )
    .bind(&share.token_hash[..])
    .bind(share.account_id)
    .bind(share.file_number.as_str())
    .bind(&share.purpose)
    .bind(share.created_at)
    .bind(share.expires_at)
    .fetch_optional(&store.pool)
    .await
    .map_err(|err| store.err(err))?;
    let Some(id) = id else {
        return Err(StoreError::NotFound { what: "account" });
    };
    Ok(Share {
        id,
        share: share.clone(),
        withdrawn_at: None,
    })
}

pub(crate) async fn shares(store: &PgStore, account_id: i64) -> Result<Vec<Share>, StoreError> {
    let rows = sqlx::query(&format!(
        "SELECT {SHARE_COLUMNS} FROM shares WHERE account_id = $1 ORDER BY created_at DESC, id DESC"
    ))
    .bind(account_id)
    .fetch_all(&store.pool)
    .await
    .map_err(|err| store.err(err))?;
    rows.iter().map(share_from_row).collect()
}

pub(crate) async fn share_by_token(
    store: &PgStore,
    token_hash: &[u8; 32],
) -> Result<Option<Share>, StoreError> {
    let row = sqlx::query(&format!(
        "SELECT {SHARE_COLUMNS} FROM shares WHERE token_hash = $1"
    ))
    .bind(&token_hash[..])
    .fetch_optional(&store.pool)
    .await
    .map_err(|err| store.err(err))?;
    row.as_ref().map(share_from_row).transpose()
}

pub(crate) async fn withdraw_share(
    store: &PgStore,
    id: i64,
    account_id: i64,
    at: OffsetDateTime,
) -> Result<bool, StoreError> {
    let done = sqlx::query(
        "UPDATE shares SET withdrawn_at = $3 \
         WHERE id = $1 AND account_id = $2 AND withdrawn_at IS NULL",
    )
    .bind(id)
    .bind(account_id)
    .bind(at)
    .execute(&store.pool)
    .await
    .map_err(|err| store.err(err))?;
    Ok(done.rows_affected() == 1)
}

fn share_from_row(row: &PgRow) -> Result<Share, StoreError> {
    let token_hash: Vec<u8> = get(row, 1, "shares.token_hash")?;
    Ok(Share {
        id: get(row, 0, "shares.id")?,
        share: NewShare {
            token_hash: token_hash.try_into().map_err(|_| StoreError::Corrupt {
                what: "shares.token_hash",
                source: None,
            })?,
            account_id: get(row, 2, "shares.account_id")?,
            file_number: file_number(get(row, 3, "shares.file_number")?, "shares.file_number")?,
            purpose: get(row, 4, "shares.purpose")?,
            created_at: get(row, 5, "shares.created_at")?,
            expires_at: get(row, 6, "shares.expires_at")?,
        },
        withdrawn_at: get(row, 7, "shares.withdrawn_at")?,
    })
}

fn file_number(text: &str, column: &'static str) -> Result<FileNumber, StoreError> {
    FileNumber::parse(text).map_err(|e| StoreError::corrupt(column, e))
}
