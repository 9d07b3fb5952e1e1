//! The operator console on SQLite: console users and sessions, organisations, API keys, the verification audit
//! and the daily rollups. See `migrations/0004_console.sql`.
//!
//! Single-row writes are one statement (an `INSERT … SELECT … WHERE EXISTS` checks the row referred to);
//! [`record_verifications`] writes a whole batch in one `BEGIN IMMEDIATE` transaction with multi-row prepared
//! inserts and one upsert per distinct rollup key.

use std::collections::{HashMap, HashSet};
use std::sync::OnceLock;

use edl_domain::{FileNumber, RegionCode};
use edl_store::backend::{
    check_new_console_user, national_verification_rollup, purposes_from_column, purposes_to_column,
    region_from_column, region_to_column, verification_rollup,
};
use edl_store::{
    ApiKey, AuthorityId, ConsoleRole, ConsoleSession, ConsoleUser, DailyClaims, DailyVerifications,
    NationalDailyClaims, NationalDailyVerifications, NewApiKey, NewConsoleSession, NewConsoleUser,
    NewOrganisation, NewVerification, Organisation, StoreError, Verification, rollup_day,
};
use sqlx::sqlite::SqliteRow;
use sqlx::{SqliteConnection, SqlitePool};
use time::{Date, OffsetDateTime};

use crate::codec::{
    date_from_text, date_to_text, get, instant_from_text, instant_to_sortable_text,
};
use crate::error::map_err;
use crate::store::BEGIN_WRITE;

const USER_COLUMNS: &str = "id, username, password_hash, role, authority_id, organisation_id, created_at, \
     disabled_at";

const API_KEY_COLUMNS: &str =
    "id, organisation_id, key_hash, prefix, label, created_at, revoked_at";

const VERIFICATION_COLUMNS: &str = "id, at, organisation_id, api_key_id, user_id, purpose, channel, \
     result, file_number, region";

/// Rows per multi-row `INSERT` of a batch. A batch is written in chunks of this size and a remainder split into
/// powers of two, so at most nine statement texts per table reach sqlx's prepared-statement cache.
const ROWS_PER_INSERT: usize = 256;

/// Keys per `SELECT … WHERE … IN (…)`.
const KEYS_PER_SELECT: usize = 500;

pub(crate) async fn create_console_user(
    pool: &SqlitePool,
    user: &NewConsoleUser,
) -> Result<ConsoleUser, StoreError> {
    check_new_console_user(user)?;
    let mut tx = pool.begin_with(BEGIN_WRITE).await.map_err(map_err)?;
    if let Some(authority) = user.authority_id {
        let known: Option<i64> = sqlx::query_scalar("SELECT 1 FROM authorities WHERE id = ?")
            .bind(authority.0)
            .fetch_optional(&mut *tx)
            .await
            .map_err(map_err)?;
        if known.is_none() {
            return Err(StoreError::NotFound { what: "authority" });
        }
    }
    if let Some(organisation) = user.organisation_id {
        let known: Option<i64> = sqlx::query_scalar("SELECT 1 FROM organisations WHERE id = ?")
            .bind(organisation)
            .fetch_optional(&mut *tx)
            .await
            .map_err(map_err)?;
        if known.is_none() {
            return Err(StoreError::NotFound {
                what: "organisation",
            });
        }
    }
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO console_users (username, password_hash, role, authority_id, organisation_id, created_at) \
         VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
    )
    .bind(&user.username)
    .bind(&user.password_hash)
    .bind(user.role.as_str())
    .bind(user.authority_id.map(|id| id.0))
    .bind(user.organisation_id)
    .bind(instant_to_sortable_text(user.created_at)?)
    .fetch_one(&mut *tx)
    .await
    .map_err(map_err)?;
    tx.commit().await.map_err(map_err)?;
    Ok(ConsoleUser {
        id,
        user: user.clone(),
        disabled_at: None,
    })
}

pub(crate) async fn console_user(
    pool: &SqlitePool,
    id: i64,
) -> Result<Option<ConsoleUser>, StoreError> {
    let row = sqlx::query(&format!(
        "SELECT {USER_COLUMNS} FROM console_users WHERE id = ?"
    ))
    .bind(id)
    .fetch_optional(pool)
    .await
    .map_err(map_err)?;
    row.as_ref().map(user_from_row).transpose()
}

pub(crate) async fn console_user_by_name(
    pool: &SqlitePool,
    username: &str,
) -> Result<Option<ConsoleUser>, StoreError> {
    let row = sqlx::query(&format!(
        "SELECT {USER_COLUMNS} FROM console_users WHERE username = ?"
    ))
    .bind(username)
    .fetch_optional(pool)
    .await
    .map_err(map_err)?;
    row.as_ref().map(user_from_row).transpose()
}

pub(crate) async fn console_users(pool: &SqlitePool) -> Result<Vec<ConsoleUser>, StoreError> {
    let rows = sqlx::query(&format!(
        "SELECT {USER_COLUMNS} FROM console_users ORDER BY id"
    ))
    .fetch_all(pool)
    .await
    .map_err(map_err)?;
    rows.iter().map(user_from_row).collect()
}

fn user_from_row(row: &SqliteRow) -> Result<ConsoleUser, StoreError> {
    let role: &str = get(row, 3, "console_users.role")?;
    Ok(ConsoleUser {
        id: get(row, 0, "console_users.id")?,
        user: NewConsoleUser {
            username: get(row, 1, "console_users.username")?,
            password_hash: get(row, 2, "console_users.password_hash")?,
            role: ConsoleRole::parse(role).ok_or(StoreError::Corrupt {
                what: "console_users.role",
                source: None,
            })?,
            authority_id: get::<Option<i64>>(row, 4, "console_users.authority_id")?
                .map(AuthorityId),
            organisation_id: get(row, 5, "console_users.organisation_id")?,
            created_at: instant_from_text(
                get(row, 6, "console_users.created_at")?,
                "console_users.created_at",
            )?,
        },
        disabled_at: get::<Option<&str>>(row, 7, "console_users.disabled_at")?
            .map(|text| instant_from_text(text, "console_users.disabled_at"))
            .transpose()?,
    })
}

pub(crate) async fn create_console_session(
    pool: &SqlitePool,
    session: &NewConsoleSession,
) -> Result<(), StoreError> {
    let done = sqlx::query(
        "INSERT INTO console_sessions (token_hash, user_id, csrf_token, created_at, expires_at) \
         SELECT ?1, ?2, ?3, ?4, ?5 WHERE EXISTS (SELECT 1 FROM console_users WHERE id = ?2)",
    )
    .bind(&session.token_hash[..])
    .bind(session.user_id)
    .bind(&session.csrf_token)
    .bind(instant_to_sortable_text(session.created_at)?)
    .bind(instant_to_sortable_text(session.expires_at)?)
    .execute(pool)
    .await
    .map_err(map_err)?;
    if done.rows_affected() == 0 {
        return Err(StoreError::NotFound {
            what: "console_user",
        });
    }
    Ok(())
}

pub(crate) async fn console_session(
    pool: &SqlitePool,
    token_hash: &[u8; 32],
    now: OffsetDateTime,
) -> Result<Option<ConsoleSession>, StoreError> {
    let row = sqlx::query(
        "SELECT user_id, csrf_token, created_at, expires_at FROM console_sessions \
         WHERE token_hash = ? AND expires_at > ?",
    )
    .bind(&token_hash[..])
    .bind(instant_to_sortable_text(now)?)
    .fetch_optional(pool)
    .await
    .map_err(map_err)?;
    row.map(|row| {
        Ok(ConsoleSession {
            user_id: get(&row, 0, "console_sessions.user_id")?,
            csrf_token: get(&row, 1, "console_sessions.csrf_token")?,
            created_at: instant_from_text(
                get(&row, 2, "console_sessions.created_at")?,
                "console_sessions.created_at",
            )?,
            expires_at: instant_from_text(
                get(&row, 3, "console_sessions.expires_at")?,
                "console_sessions.expires_at",
            )?,
        })
    })
    .transpose()
}

pub(crate) async fn delete_console_session(
    pool: &SqlitePool,
    token_hash: &[u8; 32],
) -> Result<(), StoreError> {
    sqlx::query("DELETE FROM console_sessions WHERE token_hash = ?")
        .bind(&token_hash[..])
        .execute(pool)
        .await
        .map_err(map_err)?;
    Ok(())
}

pub(crate) async fn set_console_user_disabled(
    pool: &SqlitePool,
    username: &str,
    disabled_at: Option<OffsetDateTime>,
) -> Result<ConsoleUser, StoreError> {
    let at = disabled_at.map(instant_to_sortable_text).transpose()?;
    let mut tx = pool.begin_with(BEGIN_WRITE).await.map_err(map_err)?;
    let row = sqlx::query(&format!(
        "UPDATE console_users SET disabled_at = ? WHERE username = ? RETURNING {USER_COLUMNS}"
    ))
    .bind(at)
    .bind(username)
    .fetch_optional(&mut *tx)
    .await
    .map_err(map_err)?;
    let user = match row {
        Some(row) => user_from_row(&row)?,
        None => {
            return Err(StoreError::NotFound {
                what: "console_user",
            });
        }
    };
    if disabled_at.is_some() {
        sqlx::query("DELETE FROM console_sessions WHERE user_id = ?")
            .bind(user.id)
            .execute(&mut *tx)
            .await
            .map_err(map_err)?;
    }
    tx.commit().await.map_err(map_err)?;
    Ok(user)
}

pub(crate) async fn delete_expired_console_sessions(
    pool: &SqlitePool,
    now: OffsetDateTime,
) -> Result<u64, StoreError> {
    let done = sqlx::query("DELETE FROM console_sessions WHERE expires_at <= ?")
        .bind(instant_to_sortable_text(now)?)
        .execute(pool)
        .await
        .map_err(map_err)?;
    Ok(done.rows_affected())
}

pub(crate) async fn create_organisation(
    pool: &SqlitePool,
    organisation: &NewOrganisation,
) -> Result<Organisation, StoreError> {
    let purposes = purposes_to_column(&organisation.purposes)?;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO organisations (name, kind, purposes, created_at) VALUES (?, ?, ?, ?) RETURNING id",
    )
    .bind(&organisation.name)
    .bind(&organisation.kind)
    .bind(purposes)
    .bind(instant_to_sortable_text(organisation.created_at)?)
    .fetch_one(pool)
    .await
    .map_err(map_err)?;
    Ok(Organisation {
        id,
        organisation: organisation.clone(),
    })
}

pub(crate) async fn organisation(
    pool: &SqlitePool,
    id: i64,
) -> Result<Option<Organisation>, StoreError> {
    let row =
        sqlx::query("SELECT id, name, kind, purposes, created_at FROM organisations WHERE id = ?")
            .bind(id)
            .fetch_optional(pool)
            .await
            .map_err(map_err)?;
    row.as_ref().map(organisation_from_row).transpose()
}

pub(crate) async fn organisations(pool: &SqlitePool) -> Result<Vec<Organisation>, StoreError> {
    let rows =
        sqlx::query("SELECT id, name, kind, purposes, created_at FROM organisations ORDER BY id")
            .fetch_all(pool)
            .await
            .map_err(map_err)?;
    rows.iter().map(organisation_from_row).collect()
}

fn organisation_from_row(row: &SqliteRow) -> Result<Organisation, StoreError> {
    Ok(Organisation {
        id: get(row, 0, "organisations.id")?,
        organisation: NewOrganisation {
            name: get(row, 1, "organisations.name")?,
            kind: get(row, 2, "organisations.kind")?,
            purposes: purposes_from_column(get(row, 3, "organisations.purposes")?),
            created_at: instant_from_text(
                get(row, 4, "organisations.created_at")?,
                "organisations.created_at",
            )?,
        },
    })
}

pub(crate) async fn create_api_key(
    pool: &SqlitePool,
    key: &NewApiKey,
) -> Result<ApiKey, StoreError> {
    let id: Option<i64> = sqlx::query_scalar(
        "INSERT INTO api_keys (organisation_id, key_hash, prefix, label, created_at) \
         SELECT ?1, ?2, ?3, ?4, ?5 WHERE EXISTS (SELECT 1 FROM organisations WHERE id = ?1) \
         RETURNING id",
    )
    .bind(key.organisation_id)
    .bind(&key.key_hash[..])
    .bind(&key.prefix)
    .bind(&key.label)
    .bind(instant_to_sortable_text(key.created_at)?)
    .fetch_optional(pool)
    .await
    .map_err(map_err)?;
    let Some(id) = id else {
        return Err(StoreError::NotFound {
            what: "organisation",
        });
    };
    Ok(ApiKey {
        id,
        key: key.clone(),
        revoked_at: None,
    })
}

pub(crate) async fn api_key_by_hash(
    pool: &SqlitePool,
    key_hash: &[u8; 32],
) -> Result<Option<ApiKey>, StoreError> {
    let row = sqlx::query(&format!(
        "SELECT {API_KEY_COLUMNS} FROM api_keys WHERE key_hash = ?"
    ))
    .bind(&key_hash[..])
    .fetch_optional(pool)
    .await
    .map_err(map_err)?;
    row.as_ref().map(api_key_from_row).transpose()
}

pub(crate) async fn api_keys(
    pool: &SqlitePool,
    organisation_id: i64,
) -> Result<Vec<ApiKey>, StoreError> {
    let rows = sqlx::query(&format!(
        "SELECT {API_KEY_COLUMNS} FROM api_keys WHERE organisation_id = ? ORDER BY id"
    ))
    .bind(organisation_id)
    .fetch_all(pool)
    .await
    .map_err(map_err)?;
    rows.iter().map(api_key_from_row).collect()
}

pub(crate) async fn revoke_api_key(
    pool: &SqlitePool,
    id: i64,
    organisation_id: i64,
    at: OffsetDateTime,
) -> Result<bool, StoreError> {
    let done = sqlx::query(
        "UPDATE api_keys SET revoked_at = ? \
         WHERE id = ? AND organisation_id = ? AND revoked_at IS NULL",
    )
    .bind(instant_to_sortable_text(at)?)
    .bind(id)
    .bind(organisation_id)
    .execute(pool)
    .await
    .map_err(map_err)?;
    Ok(done.rows_affected() == 1)
}

fn api_key_from_row(row: &SqliteRow) -> Result<ApiKey, StoreError> {
    Ok(ApiKey {
        id: get(row, 0, "api_keys.id")?,
        key: NewApiKey {
            organisation_id: get(row, 1, "api_keys.organisation_id")?,
            key_hash: get::<&[u8]>(row, 2, "api_keys.key_hash")?
                .try_into()
                .map_err(|_| StoreError::Corrupt {
                    what: "api_keys.key_hash",
                    source: None,
                })?,
            prefix: get(row, 3, "api_keys.prefix")?,
            label: get(row, 4, "api_keys.label")?,
            created_at: instant_from_text(
                get(row, 5, "api_keys.created_at")?,
                "api_keys.created_at",
            )?,
        },
        revoked_at: get::<Option<&str>>(row, 6, "api_keys.revoked_at")?
            .map(|text| instant_from_text(text, "api_keys.revoked_at"))
            .transpose()?,
    })
}

/// `INSERT INTO {table} ({columns}) VALUES (…), …` for `rows` rows of `width` values.
fn multi_insert_sql(table: &str, columns: &str, width: usize, rows: usize) -> String {
    let placeholders = format!("({})", vec!["?"; width].join(","));
    let mut sql = format!("INSERT INTO {table} ({columns}) VALUES ");
    for row in 0..rows {
        if row > 0 {
            sql.push(',');
        }
        sql.push_str(&placeholders);
    }
    sql
}

/// Splits `len` rows into chunk sizes: full [`ROWS_PER_INSERT`] chunks, then the remainder's powers of two.
fn chunk_sizes(len: usize) -> Vec<usize> {
    let mut res = vec![ROWS_PER_INSERT; len / ROWS_PER_INSERT];
    let rest = len % ROWS_PER_INSERT;
    let mut bit = ROWS_PER_INSERT;
    while bit > 0 {
        if rest & bit != 0 {
            res.push(bit);
        }
        bit >>= 1;
    }
    res
}

const VERIFICATION_INSERT_COLUMNS: &str =
    "at, organisation_id, api_key_id, user_id, purpose, channel, result, file_number, region";
const VERIFICATION_WIDTH: usize = 9;

// A full chunk stays within SQLite's default limit of 32,766 variables per statement.
const _: () = assert!(ROWS_PER_INSERT * VERIFICATION_WIDTH <= 32_766);
const CHECK_EVENT_INSERT_COLUMNS: &str = "file_number, at, verifier, purpose, channel, result";
const CHECK_EVENT_WIDTH: usize = 6;

/// The multi-row insert SQL for `rows` verifications, built once per size.
fn verification_sql(rows: usize) -> &'static str {
    static SQL: OnceLock<Vec<String>> = OnceLock::new();
    cached_sql(&SQL, rows, |rows| {
        multi_insert_sql(
            "verifications",
            VERIFICATION_INSERT_COLUMNS,
            VERIFICATION_WIDTH,
            rows,
        )
    })
}

/// The multi-row insert SQL for `rows` check events, built once per size.
fn check_event_sql(rows: usize) -> &'static str {
    static SQL: OnceLock<Vec<String>> = OnceLock::new();
    cached_sql(&SQL, rows, |rows| {
        multi_insert_sql(
            "check_events",
            CHECK_EVENT_INSERT_COLUMNS,
            CHECK_EVENT_WIDTH,
            rows,
        )
    })
}

/// The SQL for a chunk of `rows` (a size [`chunk_sizes`] returns), from the texts built once in `cell`.
fn cached_sql(
    cell: &'static OnceLock<Vec<String>>,
    rows: usize,
    build: impl Fn(usize) -> String,
) -> &'static str {
    // Index 0 holds ROWS_PER_INSERT rows, index k + 1 holds 2^k rows.
    let texts = cell.get_or_init(|| {
        let mut texts = vec![build(ROWS_PER_INSERT)];
        let mut size = 1;
        while size < ROWS_PER_INSERT {
            texts.push(build(size));
            size <<= 1;
        }
        texts
    });
    if rows == ROWS_PER_INSERT {
        &texts[0]
    } else {
        &texts[rows.trailing_zeros() as usize + 1]
    }
}

pub(crate) async fn record_verifications(
    pool: &SqlitePool,
    verifications: &[NewVerification],
) -> Result<(), StoreError> {
    if verifications.is_empty() {
        return Ok(());
    }
    let mut timestamps = Vec::with_capacity(verifications.len());
    for v in verifications {
        timestamps.push(instant_to_sortable_text(v.at)?);
    }
    let deltas = verification_rollup(verifications);
    let mut tx = pool.begin_with(BEGIN_WRITE).await.map_err(map_err)?;
    let names = organisation_names(&mut tx, verifications).await?;
    check_licences(&mut tx, verifications).await?;

    let mut start = 0;
    for size in chunk_sizes(verifications.len()) {
        let mut query = sqlx::query(verification_sql(size));
        for (v, at) in verifications[start..start + size]
            .iter()
            .zip(&timestamps[start..start + size])
        {
            query = query
                .bind(at.as_str())
                .bind(v.organisation_id)
                .bind(v.api_key_id)
                .bind(v.user_id)
                .bind(v.purpose.as_str())
                .bind(v.channel.as_str())
                .bind(v.result.as_str())
                .bind(v.file_number.as_ref().map(FileNumber::as_str))
                .bind(v.region.map(region_to_column));
        }
        query.execute(&mut *tx).await.map_err(map_err)?;
        start += size;
    }

    let checks: Vec<(&NewVerification, &str)> = verifications
        .iter()
        .zip(&timestamps)
        .filter(|(v, _)| v.file_number.is_some())
        .map(|(v, at)| (v, at.as_str()))
        .collect();
    let mut start = 0;
    for size in chunk_sizes(checks.len()) {
        let mut query = sqlx::query(check_event_sql(size));
        for &(v, at) in &checks[start..start + size] {
            let verifier = names
                .get(&v.organisation_id)
                .map(String::as_str)
                .unwrap_or_default();
            query = query
                .bind(v.file_number.as_ref().map(FileNumber::as_str))
                .bind(at)
                .bind(verifier)
                .bind(v.purpose.as_str())
                .bind(v.channel.as_str())
                .bind(v.result.as_str());
        }
        query.execute(&mut *tx).await.map_err(map_err)?;
        start += size;
    }

    let national = national_verification_rollup(&deltas);
    for ((day, purpose), (valid, not_valid)) in national {
        sqlx::query(
            "INSERT INTO national_daily_verifications (day, purpose, valid, not_valid) VALUES (?, ?, ?, ?) \
             ON CONFLICT (day, purpose) DO UPDATE \
             SET valid = valid + excluded.valid, not_valid = not_valid + excluded.not_valid",
        )
        .bind(date_to_text(day))
        .bind(purpose)
        .bind(valid)
        .bind(not_valid)
        .execute(&mut *tx)
        .await
        .map_err(map_err)?;
    }
    for ((day, region, purpose), (valid, not_valid)) in deltas {
        sqlx::query(
            "INSERT INTO daily_verifications (day, region, purpose, valid, not_valid) VALUES (?, ?, ?, ?, ?) \
             ON CONFLICT (day, region, purpose) DO UPDATE \
             SET valid = valid + excluded.valid, not_valid = not_valid + excluded.not_valid",
        )
        .bind(date_to_text(day))
        .bind(region)
        .bind(purpose)
        .bind(valid)
        .bind(not_valid)
        .execute(&mut *tx)
        .await
        .map_err(map_err)?;
    }
    tx.commit().await.map_err(map_err)?;
    Ok(())
}

/// The names of the organisations the batch names; [`StoreError::NotFound`] if one is unknown.
async fn organisation_names(
    conn: &mut SqliteConnection,
    verifications: &[NewVerification],
) -> Result<HashMap<i64, String>, StoreError> {
    let ids: Vec<i64> = verifications
        .iter()
        .map(|v| v.organisation_id)
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    let mut res = HashMap::with_capacity(ids.len());
    for chunk in ids.chunks(KEYS_PER_SELECT) {
        let sql = format!(
            "SELECT id, name FROM organisations WHERE id IN ({})",
            vec!["?"; chunk.len()].join(",")
        );
        let mut query = sqlx::query(&sql);
        for id in chunk {
            query = query.bind(id);
        }
        for row in query.fetch_all(&mut *conn).await.map_err(map_err)? {
            res.insert(
                get::<i64>(&row, 0, "organisations.id")?,
                get::<String>(&row, 1, "organisations.name")?,
            );
        }
    }
    if res.len() != ids.len() {
        return Err(StoreError::NotFound {
            what: "organisation",
        });
    }
    Ok(res)
}

/// [`StoreError::NotFound`] `{ what: "licence" }` if a verification of the batch names an unknown licence.
async fn check_licences(
    conn: &mut SqliteConnection,
    verifications: &[NewVerification],
) -> Result<(), StoreError> {
    let file_numbers: Vec<&str> = verifications
        .iter()
        .filter_map(|v| v.file_number.as_ref().map(FileNumber::as_str))
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    for chunk in file_numbers.chunks(KEYS_PER_SELECT) {
        let sql = format!(
            "SELECT count(*) FROM licences WHERE file_number IN ({})",
            vec!["?"; chunk.len()].join(",")
        );
        let mut query = sqlx::query_scalar::<_, i64>(&sql);
        for file_number in chunk {
            query = query.bind(*file_number);
        }
        let found = query.fetch_one(&mut *conn).await.map_err(map_err)?;
        if found != chunk.len() as i64 {
            return Err(StoreError::NotFound { what: "licence" });
        }
    }
    Ok(())
}

pub(crate) async fn verifications(
    pool: &SqlitePool,
    organisation_id: i64,
    limit: u32,
) -> Result<Vec<Verification>, StoreError> {
    let rows = sqlx::query(&format!(
        "SELECT {VERIFICATION_COLUMNS} FROM verifications WHERE organisation_id = ? \
         ORDER BY at DESC, id DESC LIMIT ?"
    ))
    .bind(organisation_id)
    .bind(i64::from(limit))
    .fetch_all(pool)
    .await
    .map_err(map_err)?;
    rows.iter()
        .map(|row| {
            Ok(Verification {
                id: get(row, 0, "verifications.id")?,
                verification: NewVerification {
                    at: instant_from_text(get(row, 1, "verifications.at")?, "verifications.at")?,
                    organisation_id: get(row, 2, "verifications.organisation_id")?,
                    api_key_id: get(row, 3, "verifications.api_key_id")?,
                    user_id: get(row, 4, "verifications.user_id")?,
                    purpose: get(row, 5, "verifications.purpose")?,
                    channel: get(row, 6, "verifications.channel")?,
                    result: get(row, 7, "verifications.result")?,
                    file_number: get::<Option<&str>>(row, 8, "verifications.file_number")?
                        .map(|text| {
                            FileNumber::parse(text)
                                .map_err(|e| StoreError::corrupt("verifications.file_number", e))
                        })
                        .transpose()?,
                    region: get::<Option<i64>>(row, 9, "verifications.region")?
                        .map(|code| region_from_column(code, "verifications.region"))
                        .transpose()?,
                },
            })
        })
        .collect()
}

fn count(value: i64, column: &'static str) -> Result<u64, StoreError> {
    u64::try_from(value).map_err(|_| StoreError::Corrupt {
        what: column,
        source: None,
    })
}

pub(crate) async fn daily_verifications(
    pool: &SqlitePool,
    region: Option<RegionCode>,
    from: Date,
    to: Date,
) -> Result<Vec<DailyVerifications>, StoreError> {
    let sql = match region {
        None => {
            "SELECT day, region, purpose, valid, not_valid FROM daily_verifications \
             WHERE day BETWEEN ?1 AND ?2 ORDER BY day, region, purpose"
        }
        Some(_) => {
            "SELECT day, region, purpose, valid, not_valid FROM daily_verifications \
             WHERE region = ?3 AND day BETWEEN ?1 AND ?2 ORDER BY day, region, purpose"
        }
    };
    let mut query = sqlx::query(sql)
        .bind(date_to_text(from))
        .bind(date_to_text(to));
    if let Some(region) = region {
        query = query.bind(region_to_column(region));
    }
    let rows = query.fetch_all(pool).await.map_err(map_err)?;
    rows.iter()
        .map(|row| {
            let region: i64 = get(row, 1, "daily_verifications.region")?;
            Ok(DailyVerifications {
                day: date_from_text(
                    get(row, 0, "daily_verifications.day")?,
                    "daily_verifications.day",
                )?,
                region: match region {
                    0 => None,
                    code => Some(region_from_column(code, "daily_verifications.region")?),
                },
                purpose: get(row, 2, "daily_verifications.purpose")?,
                valid: count(
                    get(row, 3, "daily_verifications.valid")?,
                    "daily_verifications.valid",
                )?,
                not_valid: count(
                    get(row, 4, "daily_verifications.not_valid")?,
                    "daily_verifications.not_valid",
                )?,
            })
        })
        .collect()
}

pub(crate) async fn daily_claims(
    pool: &SqlitePool,
    region: Option<RegionCode>,
    from: Date,
    to: Date,
) -> Result<Vec<DailyClaims>, StoreError> {
    let sql = match region {
        None => {
            "SELECT day, region, claims, first_claims FROM daily_claims \
             WHERE day BETWEEN ?1 AND ?2 ORDER BY day, region"
        }
        Some(_) => {
            "SELECT day, region, claims, first_claims FROM daily_claims \
             WHERE region = ?3 AND day BETWEEN ?1 AND ?2 ORDER BY day, region"
        }
    };
    let mut query = sqlx::query(sql)
        .bind(date_to_text(from))
        .bind(date_to_text(to));
    if let Some(region) = region {
        query = query.bind(region_to_column(region));
    }
    let rows = query.fetch_all(pool).await.map_err(map_err)?;
    rows.iter()
        .map(|row| {
            Ok(DailyClaims {
                day: date_from_text(get(row, 0, "daily_claims.day")?, "daily_claims.day")?,
                region: region_from_column(
                    get(row, 1, "daily_claims.region")?,
                    "daily_claims.region",
                )?,
                claims: count(get(row, 2, "daily_claims.claims")?, "daily_claims.claims")?,
                first_claims: count(
                    get(row, 3, "daily_claims.first_claims")?,
                    "daily_claims.first_claims",
                )?,
            })
        })
        .collect()
}

pub(crate) async fn national_daily_verifications(
    pool: &SqlitePool,
    from: Date,
    to: Date,
) -> Result<Vec<NationalDailyVerifications>, StoreError> {
    let rows = sqlx::query(
        "SELECT day, purpose, valid, not_valid FROM national_daily_verifications \
         WHERE day BETWEEN ?1 AND ?2 ORDER BY day, purpose",
    )
    .bind(date_to_text(from))
    .bind(date_to_text(to))
    .fetch_all(pool)
    .await
    .map_err(map_err)?;
    rows.iter()
        .map(|row| {
            Ok(NationalDailyVerifications {
                day: date_from_text(
                    get(row, 0, "national_daily_verifications.day")?,
                    "national_daily_verifications.day",
                )?,
                purpose: get(row, 1, "national_daily_verifications.purpose")?,
                valid: count(
                    get(row, 2, "national_daily_verifications.valid")?,
                    "national_daily_verifications.valid",
                )?,
                not_valid: count(
                    get(row, 3, "national_daily_verifications.not_valid")?,
                    "national_daily_verifications.not_valid",
                )?,
            })
        })
        .collect()
}

pub(crate) async fn national_daily_claims(
    pool: &SqlitePool,
    from: Date,
    to: Date,
) -> Result<Vec<NationalDailyClaims>, StoreError> {
    let rows = sqlx::query(
        "SELECT day, sum(claims), sum(first_claims) FROM daily_claims \
         WHERE day BETWEEN ?1 AND ?2 GROUP BY day ORDER BY day",
    )
    .bind(date_to_text(from))
    .bind(date_to_text(to))
    .fetch_all(pool)
    .await
    .map_err(map_err)?;
    rows.iter()
        .map(|row| {
            Ok(NationalDailyClaims {
                day: date_from_text(get(row, 0, "daily_claims.day")?, "daily_claims.day")?,
                claims: count(get(row, 1, "daily_claims.claims")?, "daily_claims.claims")?,
                first_claims: count(
                    get(row, 2, "daily_claims.first_claims")?,
                    "daily_claims.first_claims",
                )?,
            })
        })
        .collect()
}

/// Counts one credential of the licence `file_number`, issued at `issued_at`, in the claim rollups: call inside
/// `insert_credential`'s transaction, before the credential row is inserted.
pub(crate) async fn count_claim(
    conn: &mut SqliteConnection,
    licence_region: i64,
    file_number: &str,
    issued_at: OffsetDateTime,
) -> Result<(), StoreError> {
    let claimed_before: Option<i64> =
        sqlx::query_scalar("SELECT 1 FROM credentials WHERE file_number = ? LIMIT 1")
            .bind(file_number)
            .fetch_optional(&mut *conn)
            .await
            .map_err(map_err)?;
    let first = i64::from(claimed_before.is_none());
    sqlx::query(
        "INSERT INTO daily_claims (day, region, claims, first_claims) VALUES (?, ?, 1, ?) \
         ON CONFLICT (day, region) DO UPDATE \
         SET claims = claims + 1, first_claims = first_claims + excluded.first_claims",
    )
    .bind(date_to_text(rollup_day(issued_at)))
    .bind(licence_region)
    .bind(first)
    .execute(&mut *conn)
    .await
    .map_err(map_err)?;
    if first == 1 {
        sqlx::query(
            "INSERT INTO region_claims (region, claimed_licences) VALUES (?, 1) \
             ON CONFLICT (region) DO UPDATE SET claimed_licences = claimed_licences + 1",
        )
        .bind(licence_region)
        .execute(&mut *conn)
        .await
        .map_err(map_err)?;
    }
    Ok(())
}

/// The `region_claims` counters, by region column.
pub(crate) async fn region_claims(
    conn: &mut SqliteConnection,
) -> Result<HashMap<i64, u64>, StoreError> {
    let rows = sqlx::query("SELECT region, claimed_licences FROM region_claims")
        .fetch_all(&mut *conn)
        .await
        .map_err(map_err)?;
    rows.iter()
        .map(|row| {
            Ok((
                get::<i64>(row, 0, "region_claims.region")?,
                count(
                    get(row, 1, "region_claims.claimed_licences")?,
                    "region_claims.claimed_licences",
                )?,
            ))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_cover_the_batch_with_few_distinct_sizes() {
        for len in [0, 1, 2, 3, 255, 256, 257, 1000, 15_000] {
            let sizes = chunk_sizes(len);
            assert_eq!(sizes.iter().sum::<usize>(), len, "{len}");
            assert!(
                sizes
                    .iter()
                    .all(|&s| s == ROWS_PER_INSERT || s.is_power_of_two())
            );
        }
        assert_eq!(chunk_sizes(259), [256, 2, 1]);
    }

    #[test]
    fn cached_sql_has_the_right_number_of_rows() {
        for size in [1, 2, 4, 128, 256] {
            assert_eq!(
                verification_sql(size).matches('?').count(),
                size * VERIFICATION_WIDTH
            );
            assert_eq!(
                check_event_sql(size).matches('?').count(),
                size * CHECK_EVENT_WIDTH
            );
        }
    }
}
