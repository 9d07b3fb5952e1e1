//! Bulk import of one batch: a probe for the file numbers already stored, then `COPY` of the new rows straight into
//! `licences`; a staging table when a concurrent import gets in the way.
//!
//! Per batch, in one transaction:
//! 0. [`check_authorities`]: every record's authority id must name its licence's authority.
//! 1. [`dedupe_batch`] keeps the first record of each 档案编号 (file number); later ones are `DuplicateInFile`.
//! 2. `SELECT … WHERE file_number = ANY($1)` reads the provenance of the batch's file numbers that are stored: first
//!    of a sample of them ([`SAMPLE_SIZE`]), then, only if the sample finds one, of all of them;
//!    [`classify_existing`] applies the rules of [`Store::import_batch`](edl_store::Store::import_batch) to those
//!    records, the same code edl-store-sqlite runs.
//! 3. The others go to `licences` with one binary `COPY … FROM STDIN`, in file-number order.
//! 4. The `(region, status)` counts of the inserted rows are added to `region_status_counts`, one row per pair.
//!
//! If the `COPY` meets a stored file number, it fails with a unique violation on `licences_pkey` and the transaction
//! is rolled back, with nothing written. After a sample that missed it, the batch is tried again with the full
//! probe. The probe only sees committed rows: if another transaction (a second writer of the same import, or another
//! import) inserts one of the new file numbers between the full probe and the `COPY`, the `COPY` waits for it and
//! fails the same way, and the batch is redone on the staging path, which is safe under concurrency on its own:
//! - `CREATE TEMP TABLE edl_import_staging … ON COMMIT DROP`, filled with `COPY … FROM STDIN`;
//! - one statement inserts the staged rows with `ON CONFLICT (file_number) DO NOTHING` in a data-modifying `WITH`
//!   and returns, for every staged row it did not insert, the provenance of the stored licence (all parts of the
//!   statement share one snapshot, so it is the provenance that was there before the batch; rows a concurrent
//!   import committed after the snapshot are read again in a new one);
//! - the inserted rows' counts are added to `region_status_counts`.
//!
//! Both paths insert in file-number order and upsert the summary in `(region, status)` order, so two batches
//! running at once wait for each other rather than deadlock.

use std::collections::HashMap;

use edl_domain::{IssuingAuthority, ValidityEnd};
use edl_store::backend::{
    CountDelta, DedupedBatch, Provenance, classify_existing, count_deltas, dedupe_batch,
};
use edl_store::{
    AuthorityId, BatchOutcome, ImportConflict, ImportRecord, ImportSourceId, StoreError,
};
use sqlx::PgConnection;
use sqlx::error::ErrorKind;

use crate::PgStore;
use crate::copy::CopyBinary;
use crate::store::{get, to_bigint};

/// The staging table, dropped when the batch's transaction ends (commit or rollback).
///
/// Its column order is the order [`encode_staged`] writes and `COPY_STAGING` names.
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
     status, points, points_cycle_start, phone, edition) FROM STDIN (FORMAT binary)";

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

/// The provenance of the stored licences among the file numbers `$1`: the probe of the direct path, and the
/// re-read of the staging path for rows a concurrent import committed after its statement began.
const PROVENANCE: &str = "SELECT file_number, import_source_id, import_line, import_digest FROM licences \
     WHERE file_number = ANY($1)";

/// Bytes per staged row to reserve up front (a synthetic licence encodes to about 230).
const ROW_BYTES: usize = 256;

/// Rows per `COPY` data message: big enough to amortise the round of awaits, small enough that the server parses
/// one chunk while the next is encoded.
const COPY_CHUNK_ROWS: usize = 1_000;

/// The columns the direct `COPY` writes, in [`encode_direct`] order.
const COPY_LICENCES: &str = "COPY licences (file_number, region, citizen_id, name, sex, nationality, \
     birth_date, address, first_issue, classes, valid_from, valid_until, authority_id, status, points, \
     points_cycle_start, phone, edition, import_source_id, import_line, import_digest) FROM STDIN (FORMAT binary)";

/// Fields per row of [`COPY_LICENCES`] and of `COPY_STAGING`: the 18 licence columns and 3 more.
const COPY_FIELDS: i16 = 21;

/// Writes the licence columns of `record`, `file_number` to `edition`, as both `COPY`s have them, each with the
/// method of its column's type.
///
/// The text columns hold the same canonical forms as
/// [`LicenceRow::from_licence`](edl_store::backend::LicenceRow::from_licence) (the encoding both SQL backends share),
/// written straight from the licence to avoid allocating per row; `copy_rows_match_licence_row` checks that the two
/// agree. The caller has run [`check_encodable`].
fn encode_licence(copy: &mut CopyBinary, record: &ImportRecord<'_>) {
    let licence = record.licence;
    let validity = licence.validity();
    copy.text(licence.file_number().as_str());
    // A six-digit code always fits.
    copy.int4(i32::try_from(licence.authority().region.as_u32()).unwrap_or(i32::MAX));
    copy.text(licence.citizen_id().as_str());
    copy.text(licence.name().as_str());
    copy.int2(i16::from(licence.sex().iso5218()));
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
    copy.int8(record.authority_id.0);
    copy.display(licence.status());
    copy.int2(i16::from(licence.points().total()));
    copy.date(licence.points().cycle_start());
    copy.opt_text(licence.phone().map(|phone| phone.as_str()));
    copy.int4(i32::try_from(licence.edition()).unwrap_or(i32::MAX));
}

/// Checks the values whose column is narrower than the domain's type before a `COPY` starts, so that encoding
/// cannot fail half-way through the stream.
fn check_encodable(record: &ImportRecord<'_>) -> Result<(), StoreError> {
    to_bigint(record.line, "import line")?;
    i32::try_from(record.licence.edition())
        .map_err(|_| StoreError::Other("licences.edition exceeds INTEGER".into()))?;
    Ok(())
}

/// Writes one `licences` row for `record` from `source`, in [`COPY_LICENCES`] order.
fn encode_direct(copy: &mut CopyBinary, source: ImportSourceId, record: &ImportRecord<'_>) {
    copy.row(COPY_FIELDS);
    encode_licence(copy, record);
    copy.int8(source.0);
    copy.int8(i64::try_from(record.line).unwrap_or(i64::MAX));
    copy.bytea(&record.digest);
}

/// Writes one staging row for `record`, the `ord`-th distinct record of the batch.
fn encode_staged(copy: &mut CopyBinary, ord: usize, record: &ImportRecord<'_>) {
    copy.row(COPY_FIELDS);
    copy.int4(i32::try_from(ord).unwrap_or(i32::MAX));
    copy.int8(i64::try_from(record.line).unwrap_or(i64::MAX));
    copy.bytea(&record.digest);
    encode_licence(copy, record);
}

/// [`Store::import_batch`](edl_store::Store::import_batch) for [`PgStore`].
pub(crate) async fn import_batch(
    store: &PgStore,
    source: ImportSourceId,
    records: &[ImportRecord<'_>],
) -> Result<BatchOutcome, StoreError> {
    let deduped = dedupe_batch(records);
    if deduped.unique.is_empty() {
        return Ok(BatchOutcome {
            conflicts: deduped.duplicates,
            ..BatchOutcome::default()
        });
    }
    for &idx in &deduped.unique {
        check_encodable(&records[idx])?;
    }
    let (mut outcome, path) =
        match import_direct(store, source, records, &deduped, Probe::Sample).await? {
            Direct::Imported(outcome) => (outcome, "direct"),
            // The sample missed a stored file number: probe them all.
            Direct::Taken {
                probed: Probe::Sample,
            } => match import_direct(store, source, records, &deduped, Probe::All).await? {
                Direct::Imported(outcome) => (outcome, "direct after a full probe"),
                Direct::Taken { .. } => (
                    import_staged(store, source, records, &deduped).await?,
                    "staged",
                ),
            },
            // A concurrent import took a file number after the probe.
            Direct::Taken { probed: Probe::All } => (
                import_staged(store, source, records, &deduped).await?,
                "staged",
            ),
        };
    outcome.conflicts.extend(deduped.duplicates);
    outcome.conflicts.sort_by_key(|conflict| conflict.line);
    tracing::debug!(
        records = records.len(),
        inserted = outcome.inserted,
        unchanged = outcome.unchanged,
        conflicts = outcome.conflicts.len(),
        path,
        "imported a batch"
    );
    Ok(outcome)
}

/// How much of a batch [`import_direct`] probes for stored file numbers before its `COPY`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Probe {
    /// [`SAMPLE_SIZE`] file numbers spread over the batch; all of them if one of those is stored.
    Sample,
    /// Every file number of the batch.
    All,
}

/// File numbers the sample probe looks up.
///
/// Probing a whole batch costs one primary-key descent per record (about 2 µs each on a million licences, a tenth of
/// a fresh import's time), and a fresh import finds nothing. A sample finds a re-imported or overlapping file at
/// once; one that misses costs a `COPY` that fails at the first stored file number, after which the batch is probed
/// in full.
const SAMPLE_SIZE: usize = 256;

/// What [`import_direct`] did.
enum Direct {
    /// The batch is imported; the outcome has no in-batch duplicates yet.
    Imported(BatchOutcome),
    /// A file number the probe did not report was taken (by a concurrent import, or stored and not in the sample);
    /// nothing was written.
    Taken {
        /// How much the probe covered.
        probed: Probe,
    },
}

/// The fast path: probe, `COPY` the new rows into `licences`, classify the stored ones, add the counts.
async fn import_direct(
    store: &PgStore,
    source: ImportSourceId,
    records: &[ImportRecord<'_>],
    deduped: &DedupedBatch,
    probe: Probe,
) -> Result<Direct, StoreError> {
    let mut tx = store.pool.begin().await.map_err(|err| store.err(err))?;
    let authorities: Vec<(AuthorityId, &IssuingAuthority)> = records
        .iter()
        .map(|record| (record.authority_id, record.licence.authority()))
        .collect();
    check_authorities(store, &mut tx, &authorities).await?;

    // In file-number order: the index probes walk the primary key in order, and two batches inserting the same
    // file numbers meet them in the same order (one waits for the other instead of a deadlock).
    let mut unique: Vec<&ImportRecord<'_>> =
        deduped.unique.iter().map(|&idx| &records[idx]).collect();
    unique.sort_unstable_by(|a, b| a.licence.file_number().cmp(b.licence.file_number()));
    let file_numbers: Vec<&str> = unique
        .iter()
        .map(|record| record.licence.file_number().as_str())
        .collect();
    let (stored, probed) = match probe {
        Probe::Sample if file_numbers.len() > SAMPLE_SIZE => {
            let step = file_numbers.len() / SAMPLE_SIZE;
            let sample: Vec<&str> = file_numbers.iter().step_by(step).copied().collect();
            if provenance_of(store, &mut tx, &sample).await?.is_empty() {
                (HashMap::new(), Probe::Sample)
            } else {
                (
                    provenance_of(store, &mut tx, &file_numbers).await?,
                    Probe::All,
                )
            }
        }
        _ => (
            provenance_of(store, &mut tx, &file_numbers).await?,
            Probe::All,
        ),
    };

    let mut outcome = BatchOutcome::default();
    let mut new: Vec<&ImportRecord<'_>> = Vec::with_capacity(unique.len() - stored.len());
    for record in unique {
        match stored.get(record.licence.file_number().as_str()) {
            None => new.push(record),
            Some(provenance) => classify(&mut outcome, source, record, provenance),
        }
    }
    if !new.is_empty() {
        match copy_direct(&mut tx, source, &new).await {
            Ok(()) => {}
            Err(err) if is_file_number_taken(&err) => {
                tx.rollback().await.map_err(|err| store.err(err))?;
                return Ok(Direct::Taken { probed });
            }
            Err(err) => return Err(store.err(err)),
        }
    }
    add_counts(
        store,
        &mut tx,
        &count_deltas(new.iter().map(|record| record.licence)),
    )
    .await?;
    tx.commit().await.map_err(|err| store.err(err))?;
    outcome.inserted = new.len() as u64;
    Ok(Direct::Imported(outcome))
}

/// Sends `records` to `licences` with one `COPY`, in chunks so the server parses one while the next is encoded.
async fn copy_direct(
    conn: &mut PgConnection,
    source: ImportSourceId,
    records: &[&ImportRecord<'_>],
) -> Result<(), sqlx::Error> {
    let mut copy_in = conn.copy_in_raw(COPY_LICENCES).await?;
    let mut copy = CopyBinary::with_capacity(COPY_CHUNK_ROWS * ROW_BYTES);
    copy.header();
    for chunk in records.chunks(COPY_CHUNK_ROWS) {
        for record in chunk {
            encode_direct(&mut copy, source, record);
        }
        copy_in.send(copy.as_bytes()).await?;
        copy.clear();
    }
    copy.trailer();
    copy_in.send(copy.as_bytes()).await?;
    // A failed row (a file number a concurrent import took, say) is reported here, once the server has read it.
    copy_in.finish().await?;
    Ok(())
}

/// Whether `err` is the unique violation of a file number already taken.
fn is_file_number_taken(err: &sqlx::Error) -> bool {
    matches!(err, sqlx::Error::Database(db)
        if db.kind() == ErrorKind::UniqueViolation && db.constraint() == Some("licences_pkey"))
}

/// The provenance of the stored licences among `file_numbers`, by file number.
async fn provenance_of(
    store: &PgStore,
    conn: &mut PgConnection,
    file_numbers: &[&str],
) -> Result<HashMap<String, Provenance>, StoreError> {
    let rows = sqlx::query(PROVENANCE)
        .bind(file_numbers)
        .fetch_all(&mut *conn)
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
    Ok(stored)
}

/// The staging path, safe when concurrent transactions insert the same file numbers (see the module comment).
///
/// The outcome has no in-batch duplicates yet.
async fn import_staged(
    store: &PgStore,
    source: ImportSourceId,
    records: &[ImportRecord<'_>],
    deduped: &DedupedBatch,
) -> Result<BatchOutcome, StoreError> {
    let mut outcome = BatchOutcome::default();
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
    let mut copy = CopyBinary::with_capacity(COPY_CHUNK_ROWS * ROW_BYTES);
    copy.header();
    for (chunk_idx, chunk) in deduped.unique.chunks(COPY_CHUNK_ROWS).enumerate() {
        for (offset, &idx) in chunk.iter().enumerate() {
            encode_staged(
                &mut copy,
                chunk_idx * COPY_CHUNK_ROWS + offset,
                &records[idx],
            );
        }
        copy_in
            .send(copy.as_bytes())
            .await
            .map_err(|err| store.err(err))?;
        copy.clear();
    }
    copy.trailer();
    copy_in
        .send(copy.as_bytes())
        .await
        .map_err(|err| store.err(err))?;
    copy_in.finish().await.map_err(|err| store.err(err))?;
    drop(copy);

    // The staging table is new in every transaction, so the statement is not kept prepared.
    let rows = sqlx::query(INSERT_AND_CLASSIFY)
        .bind(source.0)
        .persistent(false)
        .fetch_all(&mut *tx)
        .await
        .map_err(|err| store.err(err))?;

    // Which of the distinct records were inserted: all but those the statement returned.
    let mut inserted = vec![true; deduped.unique.len()];
    // Records not inserted whose stored row the statement's snapshot could not see.
    let mut unseen: Vec<&ImportRecord<'_>> = Vec::new();
    for row in &rows {
        let ord: i32 = get(row, 0, "edl_import_staging.ord")?;
        let ord = usize::try_from(ord)
            .ok()
            .filter(|&ord| ord < deduped.unique.len())
            .ok_or_else(|| corrupt("edl_import_staging.ord"))?;
        inserted[ord] = false;
        let record = &records[deduped.unique[ord]];
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
        let stored = provenance_of(store, &mut tx, &file_numbers).await?;
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
    let new: Vec<&ImportRecord<'_>> = deduped
        .unique
        .iter()
        .zip(&inserted)
        .filter(|(_, inserted)| **inserted)
        .map(|(&idx, _)| &records[idx])
        .collect();
    add_counts(
        store,
        &mut tx,
        &count_deltas(new.iter().map(|record| record.licence)),
    )
    .await?;
    tx.commit().await.map_err(|err| store.err(err))?;
    outcome.inserted = new.len() as u64;
    Ok(outcome)
}

/// Adds each delta to its `region_status_counts` row, in the order given, with one statement.
pub(crate) async fn add_counts(
    store: &PgStore,
    conn: &mut PgConnection,
    deltas: &[CountDelta],
) -> Result<(), StoreError> {
    if deltas.is_empty() {
        return Ok(());
    }
    let mut regions = Vec::with_capacity(deltas.len());
    let mut statuses = Vec::with_capacity(deltas.len());
    let mut counts = Vec::with_capacity(deltas.len());
    for delta in deltas {
        regions.push(i32::try_from(delta.region).map_err(|_| {
            StoreError::Other("region_status_counts.region exceeds INTEGER".into())
        })?);
        statuses.push(delta.status.as_str());
        counts.push(delta.delta);
    }
    sqlx::query(ADD_COUNTS)
        .bind(&regions)
        .bind(&statuses)
        .bind(&counts)
        .execute(&mut *conn)
        .await
        .map_err(|err| store.err(err))?;
    Ok(())
}

/// Adds `$3[i]` licences to the `($1[i], $2[i])` row of the summary, inserting rows in array order.
const ADD_COUNTS: &str = "INSERT INTO region_status_counts (region, status, licences) \
     SELECT region, status, licences \
     FROM unnest($1::integer[], $2::text[], $3::bigint[]) WITH ORDINALITY AS d (region, status, licences, ord) \
     ORDER BY ord \
     ON CONFLICT (region, status) DO UPDATE SET licences = region_status_counts.licences + EXCLUDED.licences";

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

    /// The licence columns as written from [`LicenceRow`], the shared encoding.
    fn licence_columns(copy: &mut CopyBinary, record: &ImportRecord<'_>) {
        let row = LicenceRow::from_licence(record.licence);
        copy.text(&row.file_number);
        copy.int4(row.region as i32);
        copy.text(&row.citizen_id);
        copy.text(&row.name);
        copy.int2(row.sex as i16);
        copy.text(&row.nationality);
        copy.date(row.birth_date);
        copy.text(&row.address);
        copy.date(row.first_issue);
        copy.text(&row.classes);
        copy.date(row.valid_from);
        copy.opt_date(row.valid_until);
        copy.int8(record.authority_id.0);
        copy.text(&row.status);
        copy.int2(row.points as i16);
        copy.date(row.points_cycle_start);
        copy.opt_text(row.phone.as_deref());
        copy.int4(row.edition as i32);
    }

    #[test]
    fn copy_rows_match_licence_row() {
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
            let mut staged = CopyBinary::with_capacity(256);
            let mut direct = CopyBinary::with_capacity(256);
            let mut expected_staged = CopyBinary::with_capacity(256);
            let mut expected_direct = CopyBinary::with_capacity(256);

            encode_staged(&mut staged, ord, &record);
            encode_direct(&mut direct, ImportSourceId(11), &record);

            expected_staged.row(21);
            expected_staged.int4(ord as i32);
            expected_staged.int8(record.line as i64);
            expected_staged.bytea(&record.digest);
            licence_columns(&mut expected_staged, &record);
            expected_direct.row(21);
            licence_columns(&mut expected_direct, &record);
            expected_direct.int8(11);
            expected_direct.int8(record.line as i64);
            expected_direct.bytea(&record.digest);
            assert_eq!(staged.as_bytes(), expected_staged.as_bytes());
            assert_eq!(direct.as_bytes(), expected_direct.as_bytes());
        }
    }
}
