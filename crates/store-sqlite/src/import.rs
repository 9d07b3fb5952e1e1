//! Bulk import: multi-row prepared `INSERT OR IGNORE` statements, one transaction per batch.
//!
//! A batch is deduplicated by file number in memory; the file numbers already stored are classified from their
//! provenance with [`classify_existing`], so the rules live in `edl-store` and match the PostgreSQL backend;
//! the rest are inserted with as many rows per statement as SQLite's 32,766-variable limit allows.
//! sqlx caches the prepared statement per SQL text, and every full chunk has the same text.
//! The `(region, status)` counts of the inserted rows are added to `region_status_counts` in the same transaction.

use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::sync::OnceLock;

use edl_domain::IssuingAuthority;
use edl_store::backend::{
    CountDelta, LicenceRow, Provenance, classify_existing, count_deltas, dedupe_batch,
};
use edl_store::{
    AuthorityId, BatchOutcome, ImportConflict, ImportRecord, ImportSourceId, StoreError,
};
use sqlx::query::Query;
use sqlx::sqlite::SqliteArguments;
use sqlx::{Row, Sqlite, SqliteConnection, SqlitePool};

use crate::codec::{date_to_text, get};
use crate::error::map_err;
use crate::store::BEGIN_WRITE;

/// The columns an insert writes, in bind order (see [`bind_licence`]).
pub(crate) const INSERT_COLUMNS: [&str; 21] = [
    "file_number",
    "region",
    "citizen_id",
    "name",
    "sex",
    "nationality",
    "birth_date",
    "address",
    "first_issue",
    "classes",
    "valid_from",
    "valid_until",
    "authority_id",
    "status",
    "points",
    "points_cycle_start",
    "phone",
    "edition",
    "import_source_id",
    "import_line",
    "import_digest",
];

/// SQLite's default `SQLITE_MAX_VARIABLE_NUMBER` since 3.32.
const MAX_VARIABLES: usize = 32_766;

/// Rows per multi-row `INSERT`: as many as the variable limit allows (1,560).
const ROWS_PER_INSERT: usize = MAX_VARIABLES / INSERT_COLUMNS.len();

/// File numbers per `SELECT … WHERE file_number IN (…)`.
const KEYS_PER_SELECT: usize = 1_000;

/// The import provenance of one row: source, line and digest.
pub(crate) type RowProvenance = (i64, i64, [u8; 16]);

/// Binds one licence row in [`INSERT_COLUMNS`] order.
pub(crate) fn bind_licence<'q>(
    query: Query<'q, Sqlite, SqliteArguments<'q>>,
    row: LicenceRow,
    authority_id: AuthorityId,
    provenance: Option<RowProvenance>,
) -> Query<'q, Sqlite, SqliteArguments<'q>> {
    let (source, line, digest) = match provenance {
        Some((source, line, digest)) => (Some(source), Some(line), Some(digest.to_vec())),
        None => (None, None, None),
    };
    query
        .bind(row.file_number)
        .bind(row.region)
        .bind(row.citizen_id)
        .bind(row.name)
        .bind(row.sex)
        .bind(row.nationality)
        .bind(date_to_text(row.birth_date))
        .bind(row.address)
        .bind(date_to_text(row.first_issue))
        .bind(row.classes)
        .bind(date_to_text(row.valid_from))
        .bind(row.valid_until.map(date_to_text))
        .bind(authority_id.0)
        .bind(row.status)
        .bind(row.points)
        .bind(date_to_text(row.points_cycle_start))
        .bind(row.phone)
        .bind(row.edition)
        .bind(source)
        .bind(line)
        .bind(digest)
}

/// `INSERT OR IGNORE INTO licences (…) VALUES (…), …` for `rows` rows.
///
/// `OR IGNORE` skips a row that violates any constraint except a foreign key (a taken file number, but also a
/// CHECK or NOT NULL), without an error; [`import_batch`] therefore requires every row to be inserted.
fn insert_sql(rows: usize) -> String {
    let placeholders = format!("({})", vec!["?"; INSERT_COLUMNS.len()].join(","));
    let mut sql = format!(
        "INSERT OR IGNORE INTO licences ({}) VALUES ",
        INSERT_COLUMNS.join(", ")
    );
    sql.reserve(rows * (placeholders.len() + 1) + 64);
    for row in 0..rows {
        if row > 0 {
            sql.push(',');
        }
        sql.push_str(&placeholders);
    }
    sql
}

/// The SQL for a full chunk of [`ROWS_PER_INSERT`] rows, built once.
fn full_insert_sql() -> &'static str {
    static SQL: OnceLock<String> = OnceLock::new();
    SQL.get_or_init(|| insert_sql(ROWS_PER_INSERT))
}

/// See [`Store::import_batch`](edl_store::Store::import_batch).
///
/// Inside one `BEGIN IMMEDIATE` transaction: read the provenance of the batch's file numbers that are already
/// stored (none, for a fresh import), insert the others, classify the stored ones, add the inserted rows to
/// `region_status_counts`.
/// Reading first means a fresh import moves no rows back from SQLite and a re-import writes nothing.
/// Holding the write lock from the start means no other writer (another batch of the same import on another
/// connection, say) can add a file number in between: it waits for this batch to commit, then finds this batch's
/// rows in its own read. So every row handed to `INSERT OR IGNORE` must be inserted; one that is not broke a
/// constraint, and the batch fails rather than miscount.
/// Foreign keys are checked at commit (`defer_foreign_keys`): an unknown import source fails the commit, which
/// rolls the whole batch back.
pub(crate) async fn import_batch(
    pool: &SqlitePool,
    source: ImportSourceId,
    records: &[ImportRecord<'_>],
) -> Result<BatchOutcome, StoreError> {
    if records.is_empty() {
        return Ok(BatchOutcome::default());
    }
    let batch = dedupe_batch(records);
    let mut tx = pool.begin_with(BEGIN_WRITE).await.map_err(map_err)?;
    sqlx::query("PRAGMA defer_foreign_keys = ON")
        .execute(&mut *tx)
        .await
        .map_err(map_err)?;
    let authorities: Vec<(AuthorityId, &IssuingAuthority)> = records
        .iter()
        .map(|record| (record.authority_id, record.licence.authority()))
        .collect();
    check_authorities(&mut tx, &authorities).await?;
    let unique: Vec<&ImportRecord<'_>> = batch.unique.iter().map(|&idx| &records[idx]).collect();
    let stored = provenance_of(&mut tx, &unique).await?;

    let mut outcome = BatchOutcome {
        inserted: 0,
        unchanged: 0,
        conflicts: batch.duplicates,
    };
    let mut new = Vec::with_capacity(unique.len() - stored.len());
    for record in unique {
        match stored.get(record.licence.file_number().as_str()) {
            None => new.push(record),
            Some(provenance) => match classify_existing(source, record, provenance) {
                None => outcome.unchanged += 1,
                Some(kind) => outcome.conflicts.push(ImportConflict {
                    line: record.line,
                    kind,
                }),
            },
        }
    }
    for chunk in new.chunks(ROWS_PER_INSERT) {
        let partial_sql;
        let sql = if chunk.len() == ROWS_PER_INSERT {
            full_insert_sql()
        } else {
            partial_sql = insert_sql(chunk.len());
            &partial_sql
        };
        let mut query = sqlx::query(sql);
        for record in chunk {
            let line = i64::try_from(record.line).map_err(|_| {
                StoreError::Other("a line number exceeds SQLite's integer range".into())
            })?;
            query = bind_licence(
                query,
                LicenceRow::from_licence(record.licence),
                record.authority_id,
                Some((source.0, line, record.digest)),
            );
        }
        let done = query.execute(&mut *tx).await.map_err(map_err)?;
        if done.rows_affected() != chunk.len() as u64 {
            // Dropping `tx` rolls the batch back. The message names no row: the row may hold personal data.
            return Err(StoreError::Other(Box::new(RowsIgnored {
                ignored: chunk.len() as u64 - done.rows_affected(),
            })));
        }
        outcome.inserted += done.rows_affected();
    }
    add_counts(
        &mut tx,
        &count_deltas(new.iter().map(|record| record.licence)),
    )
    .await?;
    tx.commit().await.map_err(map_err)?;
    outcome.conflicts.sort_by_key(|conflict| conflict.line);
    Ok(outcome)
}

/// Rows of a batch that `INSERT OR IGNORE` skipped although their file numbers were free: they broke a constraint
/// of `licences` (a CHECK or NOT NULL, or a UNIQUE index added since).
#[derive(Debug, thiserror::Error)]
#[error(
    "{ignored} licence row(s) of the batch violate a constraint of the licences table; the batch was rolled back"
)]
pub(crate) struct RowsIgnored {
    ignored: u64,
}

/// Adds each delta to its `region_status_counts` row (one upsert per `(region, status)` pair), in the order given.
pub(crate) async fn add_counts(
    conn: &mut SqliteConnection,
    deltas: &[CountDelta],
) -> Result<(), StoreError> {
    for delta in deltas {
        sqlx::query(
            "INSERT INTO region_status_counts (region, status, licences) VALUES (?, ?, ?) \
             ON CONFLICT (region, status) DO UPDATE SET licences = licences + excluded.licences",
        )
        .bind(delta.region)
        .bind(&delta.status)
        .bind(delta.delta)
        .execute(&mut *conn)
        .await
        .map_err(map_err)?;
    }
    Ok(())
}

/// Checks that every authority id names its licence's authority, so the stored `region` and the joined authority
/// can never disagree: an unknown id is [`StoreError::NotFound`] `{ what: "authority" }`, another authority's id
/// [`StoreError::Conflict`] `{ constraint: "authority_id" }`.
pub(crate) async fn check_authorities(
    conn: &mut SqliteConnection,
    authorities: &[(AuthorityId, &IssuingAuthority)],
) -> Result<(), StoreError> {
    let mut known: HashMap<AuthorityId, (String, i64)> = HashMap::new();
    for &(id, authority) in authorities {
        let (name, region) = match known.entry(id) {
            Entry::Occupied(slot) => slot.into_mut(),
            Entry::Vacant(slot) => {
                let row = sqlx::query("SELECT name, region FROM authorities WHERE id = ?")
                    .bind(slot.key().0)
                    .fetch_optional(&mut *conn)
                    .await
                    .map_err(map_err)?
                    .ok_or(StoreError::NotFound { what: "authority" })?;
                slot.insert((
                    get(&row, 0, "authorities.name")?,
                    get(&row, 1, "authorities.region")?,
                ))
            }
        };
        if name != authority.name.as_str() || *region != i64::from(authority.region.as_u32()) {
            return Err(StoreError::Conflict {
                constraint: "authority_id",
            });
        }
    }
    Ok(())
}

/// The stored provenance of the licences with the records' file numbers.
async fn provenance_of(
    conn: &mut SqliteConnection,
    records: &[&ImportRecord<'_>],
) -> Result<HashMap<String, Provenance>, StoreError> {
    let mut res = HashMap::new();
    for chunk in records.chunks(KEYS_PER_SELECT) {
        let sql = format!(
            "SELECT file_number, import_source_id, import_line, import_digest FROM licences \
             WHERE file_number IN ({})",
            vec!["?"; chunk.len()].join(",")
        );
        let mut query = sqlx::query(&sql);
        for record in chunk {
            query = query.bind(record.licence.file_number().as_str());
        }
        for row in query.fetch_all(&mut *conn).await.map_err(map_err)? {
            res.insert(
                get(&row, 0, "licences.file_number")?,
                Provenance {
                    source: get(&row, 1, "licences.import_source_id")?,
                    line: get(&row, 2, "licences.import_line")?,
                    digest: row.try_get::<Option<Vec<u8>>, _>(3).map_err(|_| {
                        StoreError::Corrupt {
                            what: "licences.import_digest",
                            source: None,
                        }
                    })?,
                },
            );
        }
    }
    Ok(res)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_insert_fits_the_variable_limit() {
        assert!(ROWS_PER_INSERT * INSERT_COLUMNS.len() <= MAX_VARIABLES);
        assert_eq!(insert_sql(2).matches('?').count(), 2 * INSERT_COLUMNS.len());
    }
}
