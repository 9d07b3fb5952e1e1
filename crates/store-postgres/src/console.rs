//! The operator console on PostgreSQL: console users and sessions, organisations, API keys, the verification
//! audit and the daily rollups. See `migrations/0004_console.sql`.
//!
//! Single-row writes are one statement (an `INSERT … SELECT … WHERE EXISTS` checks the row referred to).
//! [`record_verifications`] writes a whole batch in one transaction of five statements whatever its size: two
//! lookups (organisations, licences), then `INSERT … SELECT … FROM unnest(…)` into `verifications`, into
//! `check_events`, and into `daily_verifications` with one row per distinct rollup key. Each has one SQL text, so
//! sqlx prepares it once per connection.

use std::collections::{HashMap, HashSet};

use edl_domain::{FileNumber, RegionCode};
use edl_store::backend::{
    check_new_console_user, national_verification_rollup, purposes_from_column, purposes_to_column,
    region_from_column, verification_rollup,
};
use edl_store::{
    ApiKey, AuthorityId, ConsoleRole, ConsoleSession, ConsoleUser, DailyClaims, DailyVerifications,
    NationalDailyClaims, NationalDailyVerifications, NewApiKey, NewConsoleSession, NewConsoleUser,
    NewOrganisation, NewVerification, Organisation, StoreError, Verification, rollup_day,
};
use sqlx::PgConnection;
use sqlx::postgres::PgRow;
use time::{Date, OffsetDateTime};

use crate::PgStore;
use crate::store::get;

const USER_COLUMNS: &str = "id, username, password_hash, role, authority_id, organisation_id, created_at, \
     disabled_at";

const API_KEY_COLUMNS: &str =
    "id, organisation_id, key_hash, prefix, label, created_at, revoked_at";

const VERIFICATION_COLUMNS: &str = "id, at, organisation_id, api_key_id, user_id, purpose, channel, \
     result, file_number, region";

/// A region as a PostgreSQL `INTEGER`.
fn region_column(region: RegionCode) -> i32 {
    // Six-digit codes always fit.
    i32::try_from(region.as_u32()).unwrap_or(i32::MAX)
}

fn region_from_int(code: i32, column: &'static str) -> Result<RegionCode, StoreError> {
    region_from_column(i64::from(code), column)
}

pub(crate) async fn create_console_user(
    store: &PgStore,
    user: &NewConsoleUser,
) -> Result<ConsoleUser, StoreError> {
    check_new_console_user(user)?;
    let err = |e| store.err(e);
    let mut tx = store.pool.begin().await.map_err(err)?;
    if let Some(authority) = user.authority_id {
        let known: bool =
            sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM authorities WHERE id = $1)")
                .bind(authority.0)
                .fetch_one(&mut *tx)
                .await
                .map_err(err)?;
        if !known {
            return Err(StoreError::NotFound { what: "authority" });
        }
    }
    if let Some(organisation) = user.organisation_id {
        let known: bool =
            sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM organisations WHERE id = $1)")
                .bind(organisation)
                .fetch_one(&mut *tx)
                .await
                .map_err(err)?;
        if !known {
            return Err(StoreError::NotFound {
                what: "organisation",
            });
        }
    }
    // The foreign keys hold against a concurrent change between the checks and the insert.
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO console_users (username, password_hash, role, authority_id, organisation_id, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
    )
    .bind(&user.username)
    .bind(&user.password_hash)
    .bind(user.role.as_str())
    .bind(user.authority_id.map(|id| id.0))
    .bind(user.organisation_id)
    .bind(user.created_at)
    .fetch_one(&mut *tx)
    .await
    .map_err(err)?;
    tx.commit().await.map_err(err)?;
    Ok(ConsoleUser {
        id,
        user: user.clone(),
        disabled_at: None,
    })
}

pub(crate) async fn console_user(
    store: &PgStore,
    id: i64,
) -> Result<Option<ConsoleUser>, StoreError> {
    let row = sqlx::query(&format!(
        "SELECT {USER_COLUMNS} FROM console_users WHERE id = $1"
    ))
    .bind(id)
    .fetch_optional(&store.pool)
    .await
    .map_err(|e| store.err(e))?;
    row.as_ref().map(user_from_row).transpose()
}

pub(crate) async fn console_user_by_name(
    store: &PgStore,
    username: &str,
) -> Result<Option<ConsoleUser>, StoreError> {
    let row = sqlx::query(&format!(
        "SELECT {USER_COLUMNS} FROM console_users WHERE username = $1"
    ))
    .bind(username)
    .fetch_optional(&store.pool)
    .await
    .map_err(|e| store.err(e))?;
    row.as_ref().map(user_from_row).transpose()
}

pub(crate) async fn console_users(store: &PgStore) -> Result<Vec<ConsoleUser>, StoreError> {
    let rows = sqlx::query(&format!(
        "SELECT {USER_COLUMNS} FROM console_users ORDER BY id"
    ))
    .fetch_all(&store.pool)
    .await
    .map_err(|e| store.err(e))?;
    rows.iter().map(user_from_row).collect()
}

fn user_from_row(row: &PgRow) -> Result<ConsoleUser, StoreError> {
    let role: String = get(row, 3, "console_users.role")?;
    Ok(ConsoleUser {
        id: get(row, 0, "console_users.id")?,
        user: NewConsoleUser {
            username: get(row, 1, "console_users.username")?,
            password_hash: get(row, 2, "console_users.password_hash")?,
            role: ConsoleRole::parse(&role).ok_or(StoreError::Corrupt {
                what: "console_users.role",
                source: None,
            })?,
            authority_id: get::<Option<i64>>(row, 4, "console_users.authority_id")?
                .map(AuthorityId),
            organisation_id: get(row, 5, "console_users.organisation_id")?,
            created_at: get(row, 6, "console_users.created_at")?,
        },
        disabled_at: get(row, 7, "console_users.disabled_at")?,
    })
}

pub(crate) async fn create_console_session(
    store: &PgStore,
    session: &NewConsoleSession,
) -> Result<(), StoreError> {
    let done = sqlx::query(
        "INSERT INTO console_sessions (token_hash, user_id, csrf_token, created_at, expires_at) \
         SELECT $1, $2, $3, $4, $5 WHERE EXISTS (SELECT 1 FROM console_users WHERE id = $2)",
    )
    .bind(&session.token_hash[..])
    .bind(session.user_id)
    .bind(&session.csrf_token)
    .bind(session.created_at)
    .bind(session.expires_at)
    .execute(&store.pool)
    .await
    .map_err(|e| store.err(e))?;
    if done.rows_affected() == 0 {
        return Err(StoreError::NotFound {
            what: "console_user",
        });
    }
    Ok(())
}

pub(crate) async fn console_session(
    store: &PgStore,
    token_hash: &[u8; 32],
    now: OffsetDateTime,
) -> Result<Option<ConsoleSession>, StoreError> {
    let row = sqlx::query(
        "SELECT user_id, csrf_token, created_at, expires_at FROM console_sessions \
         WHERE token_hash = $1 AND expires_at > $2",
    )
    .bind(&token_hash[..])
    .bind(now)
    .fetch_optional(&store.pool)
    .await
    .map_err(|e| store.err(e))?;
    row.map(|row| {
        Ok(ConsoleSession {
            user_id: get(&row, 0, "console_sessions.user_id")?,
            csrf_token: get(&row, 1, "console_sessions.csrf_token")?,
            created_at: get(&row, 2, "console_sessions.created_at")?,
            expires_at: get(&row, 3, "console_sessions.expires_at")?,
        })
    })
    .transpose()
}

pub(crate) async fn delete_console_session(
    store: &PgStore,
    token_hash: &[u8; 32],
) -> Result<(), StoreError> {
    sqlx::query("DELETE FROM console_sessions WHERE token_hash = $1")
        .bind(&token_hash[..])
        .execute(&store.pool)
        .await
        .map_err(|e| store.err(e))?;
    Ok(())
}

pub(crate) async fn set_console_user_disabled(
    store: &PgStore,
    username: &str,
    disabled_at: Option<OffsetDateTime>,
) -> Result<ConsoleUser, StoreError> {
    let err = |e| store.err(e);
    let mut tx = store.pool.begin().await.map_err(err)?;
    let row = sqlx::query(&format!(
        "UPDATE console_users SET disabled_at = $1 WHERE username = $2 RETURNING {USER_COLUMNS}"
    ))
    .bind(disabled_at)
    .bind(username)
    .fetch_optional(&mut *tx)
    .await
    .map_err(err)?;
    let user = match row {
        Some(row) => user_from_row(&row)?,
        None => {
            return Err(StoreError::NotFound {
                what: "console_user",
            });
        }
    };
    if disabled_at.is_some() {
        sqlx::query("DELETE FROM console_sessions WHERE user_id = $1")
            .bind(user.id)
            .execute(&mut *tx)
            .await
            .map_err(err)?;
    }
    tx.commit().await.map_err(err)?;
    Ok(user)
}

pub(crate) async fn delete_expired_console_sessions(
    store: &PgStore,
    now: OffsetDateTime,
) -> Result<u64, StoreError> {
    let done = sqlx::query("DELETE FROM console_sessions WHERE expires_at <= $1")
        .bind(now)
        .execute(&store.pool)
        .await
        .map_err(|e| store.err(e))?;
    Ok(done.rows_affected())
}

pub(crate) async fn create_organisation(
    store: &PgStore,
    organisation: &NewOrganisation,
) -> Result<Organisation, StoreError> {
    let purposes = purposes_to_column(&organisation.purposes)?;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO organisations (name, kind, purposes, created_at) VALUES ($1, $2, $3, $4) RETURNING id",
    )
    .bind(&organisation.name)
    .bind(&organisation.kind)
    .bind(purposes)
    .bind(organisation.created_at)
    .fetch_one(&store.pool)
    .await
    .map_err(|e| store.err(e))?;
    Ok(Organisation {
        id,
        organisation: organisation.clone(),
    })
}

pub(crate) async fn organisation(
    store: &PgStore,
    id: i64,
) -> Result<Option<Organisation>, StoreError> {
    let row =
        sqlx::query("SELECT id, name, kind, purposes, created_at FROM organisations WHERE id = $1")
            .bind(id)
            .fetch_optional(&store.pool)
            .await
            .map_err(|e| store.err(e))?;
    row.as_ref().map(organisation_from_row).transpose()
}

pub(crate) async fn organisations(store: &PgStore) -> Result<Vec<Organisation>, StoreError> {
    let rows =
        sqlx::query("SELECT id, name, kind, purposes, created_at FROM organisations ORDER BY id")
            .fetch_all(&store.pool)
            .await
            .map_err(|e| store.err(e))?;
    rows.iter().map(organisation_from_row).collect()
}

fn organisation_from_row(row: &PgRow) -> Result<Organisation, StoreError> {
    let purposes: String = get(row, 3, "organisations.purposes")?;
    Ok(Organisation {
        id: get(row, 0, "organisations.id")?,
        organisation: NewOrganisation {
            name: get(row, 1, "organisations.name")?,
            kind: get(row, 2, "organisations.kind")?,
            purposes: purposes_from_column(&purposes),
            created_at: get(row, 4, "organisations.created_at")?,
        },
    })
}

pub(crate) async fn create_api_key(store: &PgStore, key: &NewApiKey) -> Result<ApiKey, StoreError> {
    let id: Option<i64> = sqlx::query_scalar(
        "INSERT INTO api_keys (organisation_id, key_hash, prefix, label, created_at) \
         SELECT $1, $2, $3, $4, $5 WHERE EXISTS (SELECT 1 FROM organisations WHERE id = $1) \
         RETURNING id",
    )
    .bind(key.organisation_id)
    .bind(&key.key_hash[..])
    .bind(&key.prefix)
    .bind(&key.label)
    .bind(key.created_at)
    .fetch_optional(&store.pool)
    .await
    .map_err(|e| store.err(e))?;
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
    store: &PgStore,
    key_hash: &[u8; 32],
) -> Result<Option<ApiKey>, StoreError> {
    let row = sqlx::query(&format!(
        "SELECT {API_KEY_COLUMNS} FROM api_keys WHERE key_hash = $1"
    ))
    .bind(&key_hash[..])
    .fetch_optional(&store.pool)
    .await
    .map_err(|e| store.err(e))?;
    row.as_ref().map(api_key_from_row).transpose()
}

pub(crate) async fn api_keys(
    store: &PgStore,
    organisation_id: i64,
) -> Result<Vec<ApiKey>, StoreError> {
    let rows = sqlx::query(&format!(
        "SELECT {API_KEY_COLUMNS} FROM api_keys WHERE organisation_id = $1 ORDER BY id"
    ))
    .bind(organisation_id)
    .fetch_all(&store.pool)
    .await
    .map_err(|e| store.err(e))?;
    rows.iter().map(api_key_from_row).collect()
}

pub(crate) async fn revoke_api_key(
    store: &PgStore,
    id: i64,
    organisation_id: i64,
    at: OffsetDateTime,
) -> Result<bool, StoreError> {
    // A concurrent revocation of the same key waits for this one, re-checks the condition and changes nothing.
    let done = sqlx::query(
        "UPDATE api_keys SET revoked_at = $1 \
         WHERE id = $2 AND organisation_id = $3 AND revoked_at IS NULL",
    )
    .bind(at)
    .bind(id)
    .bind(organisation_id)
    .execute(&store.pool)
    .await
    .map_err(|e| store.err(e))?;
    Ok(done.rows_affected() == 1)
}

fn api_key_from_row(row: &PgRow) -> Result<ApiKey, StoreError> {
    let key_hash: Vec<u8> = get(row, 2, "api_keys.key_hash")?;
    Ok(ApiKey {
        id: get(row, 0, "api_keys.id")?,
        key: NewApiKey {
            organisation_id: get(row, 1, "api_keys.organisation_id")?,
            key_hash: key_hash.try_into().map_err(|_| StoreError::Corrupt {
                what: "api_keys.key_hash",
                source: None,
            })?,
            prefix: get(row, 3, "api_keys.prefix")?,
            label: get(row, 4, "api_keys.label")?,
            created_at: get(row, 5, "api_keys.created_at")?,
        },
        revoked_at: get(row, 6, "api_keys.revoked_at")?,
    })
}

/// Appends a batch to the audit, in the order given.
const INSERT_VERIFICATIONS: &str = "INSERT INTO verifications \
     (at, organisation_id, api_key_id, user_id, purpose, channel, result, file_number, region) \
     SELECT at, organisation_id, api_key_id, user_id, purpose, channel, result, file_number, region \
     FROM unnest($1::timestamptz[], $2::bigint[], $3::bigint[], $4::bigint[], $5::text[], $6::text[], \
     $7::text[], $8::text[], $9::integer[]) WITH ORDINALITY \
     AS v (at, organisation_id, api_key_id, user_id, purpose, channel, result, file_number, region, ord) \
     ORDER BY ord";

/// Adds the batch's check events, in the order given.
const INSERT_CHECK_EVENTS: &str = "INSERT INTO check_events \
     (file_number, at, verifier, purpose, channel, result) \
     SELECT file_number, at, verifier, purpose, channel, result \
     FROM unnest($1::text[], $2::timestamptz[], $3::text[], $4::text[], $5::text[], $6::text[]) \
     WITH ORDINALITY AS e (file_number, at, verifier, purpose, channel, result, ord) \
     ORDER BY ord";

/// Adds `($4[i], $5[i])` to the `($1[i], $2[i], $3[i])` rollup row, inserting rows in array (key) order.
const ADD_DAILY_VERIFICATIONS: &str = "INSERT INTO daily_verifications \
     (day, region, purpose, valid, not_valid) \
     SELECT day, region, purpose, valid, not_valid \
     FROM unnest($1::date[], $2::integer[], $3::text[], $4::bigint[], $5::bigint[]) WITH ORDINALITY \
     AS d (day, region, purpose, valid, not_valid, ord) \
     ORDER BY ord \
     ON CONFLICT (day, region, purpose) DO UPDATE \
     SET valid = daily_verifications.valid + EXCLUDED.valid, \
         not_valid = daily_verifications.not_valid + EXCLUDED.not_valid";

/// Adds `($3[i], $4[i])` to the `($1[i], $2[i])` national rollup row, inserting rows in array (key) order.
const ADD_NATIONAL_DAILY_VERIFICATIONS: &str = "INSERT INTO national_daily_verifications \
     (day, purpose, valid, not_valid) \
     SELECT day, purpose, valid, not_valid \
     FROM unnest($1::date[], $2::text[], $3::bigint[], $4::bigint[]) WITH ORDINALITY \
     AS d (day, purpose, valid, not_valid, ord) \
     ORDER BY ord \
     ON CONFLICT (day, purpose) DO UPDATE \
     SET valid = national_daily_verifications.valid + EXCLUDED.valid, \
         not_valid = national_daily_verifications.not_valid + EXCLUDED.not_valid";

pub(crate) async fn record_verifications(
    store: &PgStore,
    verifications: &[NewVerification],
) -> Result<(), StoreError> {
    if verifications.is_empty() {
        return Ok(());
    }
    let err = |e| store.err(e);
    let rollup = verification_rollup(verifications);
    let n = verifications.len();
    let mut ats = Vec::with_capacity(n);
    let mut organisation_ids = Vec::with_capacity(n);
    let mut api_key_ids = Vec::with_capacity(n);
    let mut user_ids = Vec::with_capacity(n);
    let mut purposes = Vec::with_capacity(n);
    let mut channels = Vec::with_capacity(n);
    let mut results = Vec::with_capacity(n);
    let mut file_numbers = Vec::with_capacity(n);
    let mut regions = Vec::with_capacity(n);
    for v in verifications {
        ats.push(v.at);
        organisation_ids.push(v.organisation_id);
        api_key_ids.push(v.api_key_id);
        user_ids.push(v.user_id);
        purposes.push(v.purpose.as_str());
        channels.push(v.channel.as_str());
        results.push(v.result.as_str());
        file_numbers.push(v.file_number.as_ref().map(FileNumber::as_str));
        regions.push(v.region.map(region_column));
    }

    let mut tx = store.pool.begin().await.map_err(err)?;
    let names = organisation_names(store, &mut tx, verifications).await?;
    check_licences(store, &mut tx, verifications).await?;

    sqlx::query(INSERT_VERIFICATIONS)
        .bind(&ats)
        .bind(&organisation_ids)
        .bind(&api_key_ids)
        .bind(&user_ids)
        .bind(&purposes)
        .bind(&channels)
        .bind(&results)
        .bind(&file_numbers)
        .bind(&regions)
        .execute(&mut *tx)
        .await
        .map_err(err)?;

    let mut check_files = Vec::new();
    let mut check_ats = Vec::new();
    let mut check_verifiers = Vec::new();
    let mut check_purposes = Vec::new();
    let mut check_channels = Vec::new();
    let mut check_results = Vec::new();
    for v in verifications {
        let Some(file_number) = &v.file_number else {
            continue;
        };
        check_files.push(file_number.as_str());
        check_ats.push(v.at);
        check_verifiers.push(
            names
                .get(&v.organisation_id)
                .map(String::as_str)
                .unwrap_or_default(),
        );
        check_purposes.push(v.purpose.as_str());
        check_channels.push(v.channel.as_str());
        check_results.push(v.result.as_str());
    }
    if !check_files.is_empty() {
        sqlx::query(INSERT_CHECK_EVENTS)
            .bind(&check_files)
            .bind(&check_ats)
            .bind(&check_verifiers)
            .bind(&check_purposes)
            .bind(&check_channels)
            .bind(&check_results)
            .execute(&mut *tx)
            .await
            .map_err(err)?;
    }

    let mut days = Vec::with_capacity(rollup.len());
    let mut rollup_regions = Vec::with_capacity(rollup.len());
    let mut rollup_purposes = Vec::with_capacity(rollup.len());
    let mut valid = Vec::with_capacity(rollup.len());
    let mut not_valid = Vec::with_capacity(rollup.len());
    for ((day, region, purpose), (v, nv)) in &rollup {
        days.push(*day);
        rollup_regions.push(
            i32::try_from(*region).map_err(|_| {
                StoreError::Other("daily_verifications.region exceeds INTEGER".into())
            })?,
        );
        rollup_purposes.push(*purpose);
        valid.push(*v);
        not_valid.push(*nv);
    }
    sqlx::query(ADD_DAILY_VERIFICATIONS)
        .bind(&days)
        .bind(&rollup_regions)
        .bind(&rollup_purposes)
        .bind(&valid)
        .bind(&not_valid)
        .execute(&mut *tx)
        .await
        .map_err(err)?;

    let national = national_verification_rollup(&rollup);
    let mut national_days = Vec::with_capacity(national.len());
    let mut national_purposes = Vec::with_capacity(national.len());
    let mut national_valid = Vec::with_capacity(national.len());
    let mut national_not_valid = Vec::with_capacity(national.len());
    for ((day, purpose), (v, nv)) in national {
        national_days.push(day);
        national_purposes.push(purpose);
        national_valid.push(v);
        national_not_valid.push(nv);
    }
    sqlx::query(ADD_NATIONAL_DAILY_VERIFICATIONS)
        .bind(&national_days)
        .bind(&national_purposes)
        .bind(&national_valid)
        .bind(&national_not_valid)
        .execute(&mut *tx)
        .await
        .map_err(err)?;
    tx.commit().await.map_err(err)?;
    Ok(())
}

/// The names of the organisations the batch names; [`StoreError::NotFound`] if one is unknown.
async fn organisation_names(
    store: &PgStore,
    conn: &mut PgConnection,
    verifications: &[NewVerification],
) -> Result<HashMap<i64, String>, StoreError> {
    let ids: Vec<i64> = verifications
        .iter()
        .map(|v| v.organisation_id)
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    let rows: Vec<(i64, String)> =
        sqlx::query_as("SELECT id, name FROM organisations WHERE id = ANY($1)")
            .bind(&ids)
            .fetch_all(&mut *conn)
            .await
            .map_err(|e| store.err(e))?;
    if rows.len() != ids.len() {
        return Err(StoreError::NotFound {
            what: "organisation",
        });
    }
    Ok(rows.into_iter().collect())
}

/// [`StoreError::NotFound`] `{ what: "licence" }` if a verification of the batch names an unknown licence.
async fn check_licences(
    store: &PgStore,
    conn: &mut PgConnection,
    verifications: &[NewVerification],
) -> Result<(), StoreError> {
    let file_numbers: Vec<&str> = verifications
        .iter()
        .filter_map(|v| v.file_number.as_ref().map(FileNumber::as_str))
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    if file_numbers.is_empty() {
        return Ok(());
    }
    let found: i64 =
        sqlx::query_scalar("SELECT count(*) FROM licences WHERE file_number = ANY($1)")
            .bind(&file_numbers)
            .fetch_one(&mut *conn)
            .await
            .map_err(|e| store.err(e))?;
    if found != file_numbers.len() as i64 {
        return Err(StoreError::NotFound { what: "licence" });
    }
    Ok(())
}

pub(crate) async fn verifications(
    store: &PgStore,
    organisation_id: i64,
    limit: u32,
) -> Result<Vec<Verification>, StoreError> {
    let rows = sqlx::query(&format!(
        "SELECT {VERIFICATION_COLUMNS} FROM verifications WHERE organisation_id = $1 \
         ORDER BY at DESC, id DESC LIMIT $2"
    ))
    .bind(organisation_id)
    .bind(i64::from(limit))
    .fetch_all(&store.pool)
    .await
    .map_err(|e| store.err(e))?;
    rows.iter()
        .map(|row| {
            Ok(Verification {
                id: get(row, 0, "verifications.id")?,
                verification: NewVerification {
                    at: get(row, 1, "verifications.at")?,
                    organisation_id: get(row, 2, "verifications.organisation_id")?,
                    api_key_id: get(row, 3, "verifications.api_key_id")?,
                    user_id: get(row, 4, "verifications.user_id")?,
                    purpose: get(row, 5, "verifications.purpose")?,
                    channel: get(row, 6, "verifications.channel")?,
                    result: get(row, 7, "verifications.result")?,
                    file_number: get::<Option<String>>(row, 8, "verifications.file_number")?
                        .map(|text| {
                            FileNumber::parse(&text)
                                .map_err(|e| StoreError::corrupt("verifications.file_number", e))
                        })
                        .transpose()?,
                    region: get::<Option<i32>>(row, 9, "verifications.region")?
                        .map(|code| region_from_int(code, "verifications.region"))
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
    store: &PgStore,
    region: Option<RegionCode>,
    from: Date,
    to: Date,
) -> Result<Vec<DailyVerifications>, StoreError> {
    // `$3 IS NULL OR region = $3` would plan one generic query for both cases; two texts keep the region index.
    let sql = match region {
        None => {
            "SELECT day, region, purpose, valid, not_valid FROM daily_verifications \
             WHERE day BETWEEN $1 AND $2 ORDER BY day, region, purpose"
        }
        Some(_) => {
            "SELECT day, region, purpose, valid, not_valid FROM daily_verifications \
             WHERE region = $3 AND day BETWEEN $1 AND $2 ORDER BY day, region, purpose"
        }
    };
    let mut query = sqlx::query(sql).bind(from).bind(to);
    if let Some(region) = region {
        query = query.bind(region_column(region));
    }
    let rows = query
        .fetch_all(&store.pool)
        .await
        .map_err(|e| store.err(e))?;
    rows.iter()
        .map(|row| {
            let region: i32 = get(row, 1, "daily_verifications.region")?;
            Ok(DailyVerifications {
                day: get(row, 0, "daily_verifications.day")?,
                region: match region {
                    0 => None,
                    code => Some(region_from_int(code, "daily_verifications.region")?),
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
    store: &PgStore,
    region: Option<RegionCode>,
    from: Date,
    to: Date,
) -> Result<Vec<DailyClaims>, StoreError> {
    let sql = match region {
        None => {
            "SELECT day, region, claims, first_claims FROM daily_claims \
             WHERE day BETWEEN $1 AND $2 ORDER BY day, region"
        }
        Some(_) => {
            "SELECT day, region, claims, first_claims FROM daily_claims \
             WHERE region = $3 AND day BETWEEN $1 AND $2 ORDER BY day, region"
        }
    };
    let mut query = sqlx::query(sql).bind(from).bind(to);
    if let Some(region) = region {
        query = query.bind(region_column(region));
    }
    let rows = query
        .fetch_all(&store.pool)
        .await
        .map_err(|e| store.err(e))?;
    rows.iter()
        .map(|row| {
            Ok(DailyClaims {
                day: get(row, 0, "daily_claims.day")?,
                region: region_from_int(
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
    store: &PgStore,
    from: Date,
    to: Date,
) -> Result<Vec<NationalDailyVerifications>, StoreError> {
    let rows = sqlx::query(
        "SELECT day, purpose, valid, not_valid FROM national_daily_verifications \
         WHERE day BETWEEN $1 AND $2 ORDER BY day, purpose",
    )
    .bind(from)
    .bind(to)
    .fetch_all(&store.pool)
    .await
    .map_err(|e| store.err(e))?;
    rows.iter()
        .map(|row| {
            Ok(NationalDailyVerifications {
                day: get(row, 0, "national_daily_verifications.day")?,
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
    store: &PgStore,
    from: Date,
    to: Date,
) -> Result<Vec<NationalDailyClaims>, StoreError> {
    // sum(bigint) is numeric in PostgreSQL; the sums of a day's regions fit a bigint.
    let rows = sqlx::query(
        "SELECT day, sum(claims)::bigint, sum(first_claims)::bigint FROM daily_claims \
         WHERE day BETWEEN $1 AND $2 GROUP BY day ORDER BY day",
    )
    .bind(from)
    .bind(to)
    .fetch_all(&store.pool)
    .await
    .map_err(|e| store.err(e))?;
    rows.iter()
        .map(|row| {
            Ok(NationalDailyClaims {
                day: get(row, 0, "daily_claims.day")?,
                claims: count(get(row, 1, "daily_claims.claims")?, "daily_claims.claims")?,
                first_claims: count(
                    get(row, 2, "daily_claims.first_claims")?,
                    "daily_claims.first_claims",
                )?,
            })
        })
        .collect()
}

/// Counts one credential of the licence `file_number` (of region `licence_region`), issued at `issued_at`, in
/// the claim rollups. Call inside `insert_credential`'s transaction after locking the licence row, before the
/// credential row is inserted: the lock makes concurrent credentials of one licence count one first claim.
pub(crate) async fn count_claim(
    store: &PgStore,
    conn: &mut PgConnection,
    licence_region: i32,
    file_number: &str,
    issued_at: OffsetDateTime,
) -> Result<(), StoreError> {
    let err = |e| store.err(e);
    let claimed_before: bool =
        sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM credentials WHERE file_number = $1)")
            .bind(file_number)
            .fetch_one(&mut *conn)
            .await
            .map_err(err)?;
    let first = i64::from(!claimed_before);
    sqlx::query(
        "INSERT INTO daily_claims (day, region, claims, first_claims) VALUES ($1, $2, 1, $3) \
         ON CONFLICT (day, region) DO UPDATE \
         SET claims = daily_claims.claims + 1, \
             first_claims = daily_claims.first_claims + EXCLUDED.first_claims",
    )
    .bind(rollup_day(issued_at))
    .bind(licence_region)
    .bind(first)
    .execute(&mut *conn)
    .await
    .map_err(err)?;
    if first == 1 {
        sqlx::query(
            "INSERT INTO region_claims (region, claimed_licences) VALUES ($1, 1) \
             ON CONFLICT (region) DO UPDATE \
             SET claimed_licences = region_claims.claimed_licences + 1",
        )
        .bind(licence_region)
        .execute(&mut *conn)
        .await
        .map_err(err)?;
    }
    Ok(())
}

/// The `region_claims` counters, by region.
pub(crate) async fn region_claims(
    store: &PgStore,
    conn: &mut PgConnection,
) -> Result<HashMap<i64, u64>, StoreError> {
    let rows: Vec<(i32, i64)> =
        sqlx::query_as("SELECT region, claimed_licences FROM region_claims")
            .fetch_all(&mut *conn)
            .await
            .map_err(|e| store.err(e))?;
    rows.into_iter()
        .map(|(region, claimed)| {
            Ok((
                i64::from(region),
                count(claimed, "region_claims.claimed_licences")?,
            ))
        })
        .collect()
}
