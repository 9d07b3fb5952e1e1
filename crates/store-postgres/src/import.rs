//! Bulk import of one batch: `COPY` into a temporary staging table, one `INSERT … SELECT … ON CONFLICT DO NOTHING`,
//! then classification of the rows that were not inserted.
//!
//! Per batch, in one transaction:
//! 0. [`check_authorities`]: every record's authority id must name its licence's authority.
//! 1. [`dedupe_batch`] keeps the first record of each 档案编号 (file number); later ones are `DuplicateInFile`.
//! 2. `CREATE TEMP TABLE edl_import_staging … ON COMMIT DROP`, filled with `COPY … FROM STDIN` in text format.
//! 3. One statement inserts the staged rows with `ON CONFLICT (file_number) DO NOTHING` in a data-modifying `WITH`
//!    and returns, for every staged row it did not insert, the provenance of the stored licence. All parts of the
//!    statement share one snapshot, so the provenance read is the one that was there before the batch.
//! 4. [`classify_existing`] applies the rules of [`Store::import_batch`](edl_store::Store::import_batch) to each of
//!    those rows, the same code edl-store-sqlite runs.

use std::collections::HashMap;

use edl_domain::{IssuingAuthority, ValidityEnd};
use edl_store::backend::{Provenance, classify_existing, dedupe_batch};
use edl_store::{
    AuthorityId, BatchOutcome, ImportConflict, ImportRecord, ImportSourceId, StoreError,
};
use sqlx::PgConnection;

use crate::PgStore;
use crate::copy::CopyText;
use crate::store::{get, to_bigint};

/// The staging table, dropped when the batch's transaction ends (commit or rollback).
///
/// Its column order is the order [`encode`] writes and `COPY_STAGING` names.
const CREATE_STAGING: &str = r#"CREATE TEMP TABLE edl_import_staging (
    ord INTEGER NOT NULL,
    line BIGINT NOT NULL,
    digest BYTEA NOT NULL,
    file_number TEXT COLLATE "C" NOT NULL,
    region INTEGER NOT NULL,
    citizen_id TEXT COLLATE "C" NOT NULL,
    name TEXT NOT NULL,
    sex SMALLINT NOT NULL,
    nationality TEXT NOT NULL,
    birth_date DATE NOT NULL,
    address TEXT NOT NULL,
    first_issue DATE NOT NULL,
    classes TEXT NOT NULL,
    valid_from DATE NOT NULL,
    valid_until DATE,
    authority_id BIGINT NOT NULL,
    status TEXT COLLATE "C" NOT NULL,
    points SMALLINT NOT NULL,
    points_cycle_start DATE NOT NULL,
    phone TEXT,
    edition INTEGER NOT NULL
) ON COMMIT DROP"#;

const COPY_STAGING: &str = "COPY edl_import_staging (ord, line, digest, file_number, region, citizen_id, \
     name, sex, nationality, birth_date, address, first_issue, classes, valid_from, valid_until, authority_id, \
     status, points, points_cycle_start, phone, edition) FROM STDIN";

/// Inserts the staged rows (in file-number order, so concurrent imports lock rows in the same order) and returns
/// `(ord, found, import_source_id, import_line, import_digest)` of the stored licence for each staged row not
/// inserted (`found` is false if the statement's snapshot cannot see it).
///
/// The `LATERAL … OFFSET 0` keeps the lookup a per-row primary-key probe: as a plain join the planner may hash the
/// whole `licences` table for every batch. `$1` is the import source id.
const INSERT_AND_CLASSIFY: &str = "WITH inserted AS ( \
         INSERT INTO licences (file_number, region, citizen_id, name, sex, nationality, birth_date, address, \
             first_issue, classes, valid_from, valid_until, authority_id, status, points, points_cycle_start, \
             phone, edition, import_source_id, import_line, import_digest) \
         SELECT file_number, region, citizen_id, name, sex, nationality, birth_date, address, \
             first_issue, classes, valid_from, valid_until, authority_id, status, points, points_cycle_start, \
             phone, edition, $1, line, digest \
         FROM edl_import_staging ORDER BY file_number \
         ON CONFLICT (file_number) DO NOTHING \
         RETURNING file_number \
     ) \
     SELECT s.ord, l.found IS NOT NULL, l.import_source_id, l.import_line, l.import_digest \
     FROM edl_import_staging s \
     LEFT JOIN LATERAL ( \
         SELECT true AS found, import_source_id, import_line, import_digest FROM licences \
         WHERE licences.file_number = s.file_number \
         OFFSET 0 \
     ) l ON true \
     WHERE NOT EXISTS (SELECT 1 FROM inserted i WHERE i.file_number = s.file_number) \
     ORDER BY s.ord";

/// Re-reads provenance in a new snapshot, for rows a concurrent import committed after the statement began.
const PROVENANCE: &str = "SELECT file_number, import_source_id, import_line, import_digest FROM licences \
     WHERE file_number = ANY($1)";

/// Bytes per staged row to reserve up front (a synthetic licence encodes to about 230).
const ROW_BYTES: usize = 256;

/// Rows per `COPY` data message: big enough to amortise the round of awaits, small enough that the server parses
/// one chunk while the next is encoded.
const COPY_CHUNK_ROWS: usize = 1_000;

/// Writes one staging row for `record`, the `ord`-th distinct record of the batch.
///
/// The text columns hold the same canonical forms as
/// [`LicenceRow::from_licence`](edl_store::backend::LicenceRow::from_licence) (the encoding both SQL backends share), written straight from the licence to avoid allocating per row; `copy_row_matches_licence_row` checks
/// that the two agree. The caller has checked that `record.line` fits a `BIGINT`.
fn encode(copy: &mut CopyText, ord: usize, record: &ImportRecord<'_>) {
    let licence = record.licence;
    let validity = licence.validity();
    copy.int(i64::try_from(ord).unwrap_or(i64::MAX));
    copy.int(i64::try_from(record.line).unwrap_or(i64::MAX));
    copy.bytea(&record.digest);
    copy.text(licence.file_number().as_str());
    copy.int(i64::from(licence.authority().region.as_u32()));
    copy.text(licence.citizen_id().as_str());
    copy.text(licence.name().as_str());
    copy.int(i64::from(licence.sex().iso5218()));
    copy.text(licence.nationality().code());
    copy.date(licence.birth_date());
    copy.text(licence.address().as_str());
    copy.date(licence.first_issue());
    copy.display(licence.classes());
    copy.date(validity.start());
    copy.opt_date(match validity.end() {
        ValidityEnd::On(date) => Some(date),
        ValidityEnd::Indefinite => None,
    });
    copy.int(record.authority_id.0);
    copy.display(licence.status());
    copy.int(i64::from(licence.points().total()));
    copy.date(licence.points().cycle_start());
    copy.opt_text(licence.phone().map(|phone| phone.as_str()));
    copy.int(i64::from(licence.edition()));
    copy.end_row();
}

/// [`Store::import_batch`](edl_store::Store::import_batch) for [`PgStore`].
pub(crate) async fn import_batch(
    store: &PgStore,
    source: ImportSourceId,
    records: &[ImportRecord<'_>],
) -> Result<BatchOutcome, StoreError> {
    let deduped = dedupe_batch(records);
    let mut outcome = BatchOutcome {
        inserted: 0,
        unchanged: 0,
        conflicts: deduped.duplicates,
    };
    if deduped.unique.is_empty() {
        return Ok(outcome);
    }
    // Checked up front so that encoding cannot fail half-way through the COPY.
    for &idx in &deduped.unique {
        to_bigint(records[idx].line, "import line")?;
    }

    let mut tx = store.pool.begin().await.map_err(|err| store.err(err))?;
    let authorities: Vec<(AuthorityId, &IssuingAuthority)> = records
        .iter()
        .map(|record| (record.authority_id, record.licence.authority()))
        .collect();
    check_authorities(store, &mut tx, &authorities).await?;
    sqlx::query(CREATE_STAGING)
        .execute(&mut *tx)
        .await
        .map_err(|err| store.err(err))?;
    let mut copy_in = tx
        .copy_in_raw(COPY_STAGING)
        .await
        .map_err(|err| store.err(err))?;
    // Sent in chunks, so the server parses one chunk while the next is encoded.
    let mut copy = CopyText::with_capacity(COPY_CHUNK_ROWS * ROW_BYTES);
    for (chunk_idx, chunk) in deduped.unique.chunks(COPY_CHUNK_ROWS).enumerate() {
        copy.clear();
        for (offset, &idx) in chunk.iter().enumerate() {
            encode(
                &mut copy,
                chunk_idx * COPY_CHUNK_ROWS + offset,
                &records[idx],
            );
        }
        copy_in
            .send(copy.as_bytes())
            .await
            .map_err(|err| store.err(err))?;
    }
    copy_in.finish().await.map_err(|err| store.err(err))?;
    drop(copy);

    // The staging table is new in every transaction, so the statement is not kept prepared.
    let rows = sqlx::query(INSERT_AND_CLASSIFY)
        .bind(source.0)
        .persistent(false)
        .fetch_all(&mut *tx)
        .await
        .map_err(|err| store.err(err))?;

    let not_inserted = rows.len();
    // Records not inserted whose stored row the statement's snapshot could not see.
    let mut unseen: Vec<&ImportRecord<'_>> = Vec::new();
    for row in &rows {
        let ord: i32 = get(row, 0, "edl_import_staging.ord")?;
        let record = usize::try_from(ord)
            .ok()
            .and_then(|ord| deduped.unique.get(ord))
            .map(|&idx| &records[idx])
            .ok_or_else(|| corrupt("edl_import_staging.ord"))?;
        let visible: bool = get(row, 1, "licences (found)")?;
        if !visible {
            unseen.push(record);
            continue;
        }
        let provenance = Provenance {
            source: get(row, 2, "licences.import_source_id")?,
            line: get(row, 3, "licences.import_line")?,
            digest: get(row, 4, "licences.import_digest")?,
        };
        classify(&mut outcome, source, record, &provenance);
    }
    if !unseen.is_empty() {
        // A concurrent import inserted these file numbers after the statement's snapshot was taken, and
        // ON CONFLICT waited for it to commit; a new statement (a new snapshot, in READ COMMITTED) sees them.
        let file_numbers: Vec<&str> = unseen
            .iter()
            .map(|record| record.licence.file_number().as_str())
            .collect();
        let rows = sqlx::query(PROVENANCE)
            .bind(&file_numbers)
            .fetch_all(&mut *tx)
            .await
            .map_err(|err| store.err(err))?;
        let mut stored = HashMap::with_capacity(rows.len());
        for row in &rows {
            let file_number: String = get(row, 0, "licences.file_number")?;
            let provenance = Provenance {
                source: get(row, 1, "licences.import_source_id")?,
                line: get(row, 2, "licences.import_line")?,
                digest: get(row, 3, "licences.import_digest")?,
            };
            stored.insert(file_number, provenance);
        }
        for record in unseen {
            let provenance = stored
                .get(record.licence.file_number().as_str())
                // Inserted and deleted again meanwhile: treat it as a stored licence of unknown origin.
                .unwrap_or(&Provenance {
                    source: None,
                    line: None,
                    digest: None,
                });
            classify(&mut outcome, source, record, provenance);
        }
    }
    tx.commit().await.map_err(|err| store.err(err))?;

    outcome.inserted = (deduped.unique.len() - not_inserted) as u64;
    outcome.conflicts.sort_by_key(|conflict| conflict.line);
    tracing::debug!(
        records = records.len(),
        inserted = outcome.inserted,
        unchanged = outcome.unchanged,
        conflicts = outcome.conflicts.len(),
        "imported a batch"
    );
    Ok(outcome)
}

/// Checks that each authority id names its licence's authority, so the stored `region` and the joined authority
/// can never disagree: an unknown id is [`StoreError::NotFound`] `{ what: "authority" }`, another authority's id
/// [`StoreError::Conflict`] `{ constraint: "authority_id" }`.
pub(crate) async fn check_authorities(
    store: &PgStore,
    conn: &mut PgConnection,
    authorities: &[(AuthorityId, &IssuingAuthority)],
) -> Result<(), StoreError> {
    let mut ids: Vec<i64> = authorities.iter().map(|(id, _)| id.0).collect();
    ids.sort_unstable();
    ids.dedup();
    let rows = sqlx::query("SELECT id, name, region FROM authorities WHERE id = ANY($1)")
        .bind(&ids)
        .fetch_all(&mut *conn)
        .await
        .map_err(|err| store.err(err))?;
    let mut known: HashMap<i64, (String, u32)> = HashMap::with_capacity(rows.len());
    for row in &rows {
        let region: i32 = get(row, 2, "authorities.region")?;
        known.insert(
            get(row, 0, "authorities.id")?,
            (
                get(row, 1, "authorities.name")?,
                u32::try_from(region).map_err(|_| corrupt("authorities.region"))?,
            ),
        );
    }
    for (id, authority) in authorities {
        let (name, region) = known
            .get(&id.0)
            .ok_or(StoreError::NotFound { what: "authority" })?;
        if name != authority.name.as_str() || *region != authority.region.as_u32() {
            return Err(StoreError::Conflict {
                constraint: "authority_id",
            });
        }
    }
    Ok(())
}

/// Counts `record` as unchanged or adds its conflict, given the stored licence's provenance.
fn classify(
    outcome: &mut BatchOutcome,
    source: ImportSourceId,
    record: &ImportRecord<'_>,
    stored: &Provenance,
) {
    match classify_existing(source, record, stored) {
        None => outcome.unchanged += 1,
        Some(kind) => outcome.conflicts.push(ImportConflict {
            line: record.line,
            kind,
        }),
    }
}

fn corrupt(what: &'static str) -> StoreError {
    StoreError::Corrupt { what, source: None }
}

#[cfg(test)]
mod tests {
    use edl_domain::{Licence, Validity, ValidityEnd};
    use edl_store::AuthorityId;
    use edl_store::backend::LicenceRow;
    use edl_store::conformance::{licence, tianjin, with_status};
    use time::macros::date;

    use super::*;

    /// The staging row as written from [`LicenceRow`], the shared encoding.
    fn via_licence_row(ord: usize, record: &ImportRecord<'_>) -> Vec<u8> {
        let row = LicenceRow::from_licence(record.licence);
        let mut copy = CopyText::with_capacity(256);
        copy.int(ord as i64);
        copy.int(record.line as i64);
        copy.bytea(&record.digest);
        copy.text(&row.file_number);
        copy.int(row.region);
        copy.text(&row.citizen_id);
        copy.text(&row.name);
        copy.int(row.sex);
        copy.text(&row.nationality);
        copy.date(row.birth_date);
        copy.text(&row.address);
        copy.date(row.first_issue);
        copy.text(&row.classes);
        copy.date(row.valid_from);
        copy.opt_date(row.valid_until);
        copy.int(record.authority_id.0);
        copy.text(&row.status);
        copy.int(row.points);
        copy.date(row.points_cycle_start);
        copy.opt_text(row.phone.as_deref());
        copy.int(row.edition);
        copy.end_row();
        copy.as_bytes().to_vec()
    }

    #[test]
    fn copy_row_matches_licence_row() {
        let mut indefinite = licence(2, 2, &tianjin()).into_fields();
        indefinite.validity =
            Validity::new(date!(2019 - 08 - 01), ValidityEnd::Indefinite).expect("validity");
        indefinite.phone = None;
        let licences = [
            licence(1, 1, &tianjin()),
            Licence::new(indefinite).expect("consistent"),
            with_status(&licence(3, 3, &tianjin()), "HI"),
        ];
        for (ord, licence) in licences.iter().enumerate() {
            let record = ImportRecord {
                line: 7 + ord as u64,
                licence,
                authority_id: AuthorityId(3),
                digest: [0xa5; 16],
            };
            let mut copy = CopyText::with_capacity(256);

            encode(&mut copy, ord, &record);

            assert_eq!(
                String::from_utf8_lossy(copy.as_bytes()),
                String::from_utf8_lossy(&via_licence_row(ord, &record))
            );
        }
    }
}
