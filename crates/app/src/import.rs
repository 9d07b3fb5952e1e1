//! Bulk import of a registry CSV export: streaming, batched, idempotent and restartable.
//!
//! The file is read once to hash it (the hash names the import, so a re-run is recognised), then
//! parsed on a blocking thread that hands batches to the async inserter over a bounded channel:
//! memory stays flat whatever the file size. Every good row is kept, every bad row goes to the
//! reject report with its line number and reason, and each batch is one transaction, so an import
//! stopped half-way and run again ends with every record exactly once (the store recognises rows
//! it already holds from the same file and line).

use std::collections::{HashMap, VecDeque};
use std::fs::File;
use std::io::{self, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use edl_csv::{EncodingChoice, RowReader};
use edl_domain::{AuthorityName, IssuingAuthority};
use edl_store::{
    AuthorityId, BatchOutcome, ConflictKind, ImportRecord, ImportSourceId, Store, StoreError,
};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use crate::Clock;

/// How an import runs.
#[derive(Debug, Clone)]
pub struct ImportOptions {
    /// The file's text encoding, or `Auto` to sniff it.
    pub encoding: EncodingChoice,
    /// Rows per transaction.
    pub batch_size: usize,
    /// Batches written concurrently (each in its own transaction). PostgreSQL uses one server process
    /// per connection, so two writers use two cores; SQLite serialises writers, so one is enough there.
    pub writers: usize,
    /// Import only this authority's rows; the others are rejected (`other_authority`). The console
    /// sets it for an authority's operator, who may change only their own authority's licences.
    pub only_authority: Option<AuthorityName>,
}

impl Default for ImportOptions {
    fn default() -> Self {
        ImportOptions {
            encoding: EncodingChoice::Auto,
            batch_size: 10_000,
            writers: 1,
            only_authority: None,
        }
    }
}

/// Where an import stands, reported after every batch.
#[derive(Debug, Clone, Default)]
pub struct ImportProgress {
    /// Bytes of the file read so far.
    pub bytes_read: u64,
    /// The file's size.
    pub total_bytes: u64,
    /// Data rows seen so far (good and bad).
    pub rows: u64,
    /// Rows newly written to the registry.
    pub inserted: u64,
    /// Rows the registry already held (a re-run or an overlapping export).
    pub unchanged: u64,
    /// Rows refused, each listed in the reject report.
    pub rejected: u64,
}

/// The result of a finished import.
#[derive(Debug, Clone)]
pub struct ImportSummary {
    /// The final counts.
    pub progress: ImportProgress,
    /// The encoding the file was read in.
    pub encoding: edl_csv::Encoding,
    /// Issuing authorities seen for the first time in this file and registered by it.
    pub new_authorities: Vec<IssuingAuthority>,
    /// The import's identity in the store (the same file always gets the same one).
    pub source: ImportSourceId,
}

/// Why an import stopped. Rows committed before the stop stay; running it again continues.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// The input file could not be opened or read.
    #[error("cannot read {path}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: io::Error,
    },
    /// The file is not a registry exchange file (wrong header, a runaway record) or reading it failed part-way.
    #[error(
        "cannot import {path}: it is not a registry exchange file as docs/import-format.md describes"
    )]
    Format {
        /// The file.
        path: PathBuf,
        /// What the reader found.
        #[source]
        source: edl_csv::ReadError,
    },
    /// A writer task failed unexpectedly (a bug); nothing of its batch was committed.
    #[error("a batch writer failed: {0}")]
    Writer(String),
    /// The reject report could not be written.
    #[error("cannot write the reject report")]
    Rejects(#[source] io::Error),
    /// The database failed on the batch starting at `line`; batches that finished before are committed.
    #[error(
        "the database failed on the batch starting at line {line} ({source}); finished batches are committed: run the same import again to continue without duplicates"
    )]
    Store {
        /// First line of the batch that failed.
        line: u64,
        /// The cause.
        #[source]
        source: StoreError,
    },
}

/// One batch handed from the parser thread to the inserter.
struct Batch {
    good: Vec<edl_csv::ParsedRow>,
    rejected: Vec<(u64, String, String)>,
    first_line: u64,
}

/// The reject report: a CSV file of `line,code,reason`, one row per refused input row, in line order
/// within each batch. It names the line and the column, never the value (the value may be personal data).
pub struct RejectWriter<W: Write> {
    out: W,
}

impl<W: Write> RejectWriter<W> {
    /// Starts a report with its header row.
    pub fn new(mut out: W) -> io::Result<Self> {
        writeln!(out, "line,code,reason")?;
        Ok(RejectWriter { out })
    }

    fn write(&mut self, line: u64, code: &str, reason: &str) -> io::Result<()> {
        let reason = reason.replace('"', "\"\"");
        writeln!(self.out, "{line},{code},\"{reason}\"")
    }

    /// Flushes and returns the writer.
    pub fn finish(mut self) -> io::Result<W> {
        self.out.flush()?;
        Ok(self.out)
    }
}

/// A reader that counts the bytes that pass through it, for progress and ETA.
struct CountingReader<R> {
    inner: R,
    count: Arc<AtomicU64>,
}

impl<R: Read> Read for CountingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

/// Imports the CSV file at `path` into `store`.
///
/// `progress` is called after every batch. Bad rows are written to `rejects`.
pub async fn import_file<S: Store, W: Write>(
    store: &S,
    clock: &dyn Clock,
    path: &Path,
    options: &ImportOptions,
    rejects: &mut RejectWriter<W>,
    mut progress: impl FnMut(&ImportProgress),
) -> Result<ImportSummary, ImportError> {
    let read_err = |source| ImportError::Read {
        path: path.to_owned(),
        source,
    };
    let total_bytes = std::fs::metadata(path).map_err(read_err)?.len();
    let sha256 = {
        let path = path.to_owned();
        tokio::task::spawn_blocking(move || {
            edl_csv::file_sha256(BufReader::with_capacity(1 << 20, File::open(&path)?))
        })
        .await
        .map_err(|join| read_err(io::Error::other(join)))?
        .map_err(read_err)?
    };
    let source = store
        .begin_import(sha256, clock.now())
        .await
        .map_err(|source| ImportError::Store { line: 1, source })?;

    let file = File::open(path).map_err(read_err)?;
    let bytes_read = Arc::new(AtomicU64::new(0));
    let counting = CountingReader {
        inner: BufReader::with_capacity(1 << 20, file),
        count: Arc::clone(&bytes_read),
    };
    let format_err = |source| ImportError::Format {
        path: path.to_owned(),
        source,
    };
    let reader = RowReader::new(counting, options.encoding).map_err(format_err)?;
    let encoding = reader.encoding();

    // Two batches in flight at most: the parser works on the next while the store writes this one.
    let (tx, mut rx) = mpsc::channel::<Result<Batch, edl_csv::ReadError>>(2);
    let batch_size = options.batch_size.max(1);
    let parser = tokio::task::spawn_blocking(move || parse_batches(reader, batch_size, tx));

    let mut authorities: HashMap<AuthorityName, AuthorityId> = HashMap::new();
    let mut new_authorities = Vec::new();
    let mut counts = ImportProgress {
        total_bytes,
        ..ImportProgress::default()
    };
    let known_before: HashMap<AuthorityName, AuthorityId> = store
        .list_authorities()
        .await
        .map_err(|source| ImportError::Store { line: 1, source })?
        .into_iter()
        .map(|record| (record.authority.name.clone(), record.id))
        .collect();

    // Up to `writers` batches are written concurrently, each in its own transaction; results are taken
    // in batch order so the reject report and the progress stay in file order.
    let writers = options.writers.max(1);
    let mut in_flight: VecDeque<JoinHandle<Result<Written, ImportError>>> = VecDeque::new();
    let mut finish = |written: Written, counts: &mut ImportProgress| -> Result<(), ImportError> {
        for (line, code, reason) in &written.rejected {
            rejects
                .write(*line, code, reason)
                .map_err(ImportError::Rejects)?;
        }
        counts.rows += written.rows;
        counts.inserted += written.inserted;
        counts.unchanged += written.unchanged;
        counts.rejected += written.rejected.len() as u64;
        counts.bytes_read = bytes_read.load(Ordering::Relaxed);
        progress(counts);
        Ok(())
    };
    let abort_all = |in_flight: &mut VecDeque<JoinHandle<Result<Written, ImportError>>>| {
        for handle in in_flight.drain(..) {
            handle.abort();
        }
    };

    while let Some(batch) = rx.recv().await {
        let batch = match batch {
            Ok(batch) => batch,
            Err(e) => {
                abort_all(&mut in_flight);
                return Err(format_err(e));
            }
        };
        let line = batch.first_line;

        // Resolve each row's issuing authority to its id, registering new ones (sequentially: few and cached).
        let mut authority_ids = Vec::with_capacity(batch.good.len());
        for row in &batch.good {
            let authority = row.licence.authority();
            if options
                .only_authority
                .as_ref()
                .is_some_and(|only| *only != authority.name)
            {
                authority_ids.push(Err(OTHER_AUTHORITY));
                continue;
            }
            let id = match authorities.get(&authority.name) {
                Some(id) => Ok(*id),
                None => match store.ensure_authority(authority).await {
                    Ok(id) => {
                        if !known_before.contains_key(&authority.name) {
                            new_authorities.push(authority.clone());
                        }
                        authorities.insert(authority.name.clone(), id);
                        Ok(id)
                    }
                    Err(StoreError::Conflict { .. }) => Err(AUTHORITY_REGION),
                    Err(source) => {
                        abort_all(&mut in_flight);
                        return Err(ImportError::Store { line, source });
                    }
                },
            };
            authority_ids.push(id);
        }

        if in_flight.len() >= writers {
            let oldest = in_flight
                .pop_front()
                .expect("in_flight holds `writers` >= 1 handles");
            match join_written(oldest).await {
                Ok(written) => finish(written, &mut counts)?,
                Err(e) => {
                    abort_all(&mut in_flight);
                    return Err(e);
                }
            }
        }
        let store = store.clone();
        in_flight.push_back(tokio::spawn(async move {
            write_batch(&store, source, batch, authority_ids).await
        }));
    }
    while let Some(handle) = in_flight.pop_front() {
        match join_written(handle).await {
            Ok(written) => finish(written, &mut counts)?,
            Err(e) => {
                abort_all(&mut in_flight);
                return Err(e);
            }
        }
    }
    parser
        .await
        .map_err(|join| read_err(io::Error::other(join)))?;
    counts.bytes_read = total_bytes;

    store
        .finish_import(
            source,
            clock.now(),
            counts.inserted,
            counts.unchanged,
            counts.rejected,
        )
        .await
        .map_err(|source| ImportError::Store {
            line: counts.rows + 1,
            source,
        })?;
    Ok(ImportSummary {
        progress: counts,
        encoding,
        new_authorities,
        source,
    })
}

/// What writing one batch produced.
struct Written {
    rows: u64,
    inserted: u64,
    unchanged: u64,
    /// Every refused row of the batch, in line order.
    rejected: Vec<(u64, String, String)>,
}

/// Writes one batch in one transaction and classifies its rows.
/// The reject of a row whose authority is registered with another region.
const AUTHORITY_REGION: (&str, &str) = (
    "authority_region",
    "发证机关 is already registered with another 发证机关地区代码",
);

/// The reject of another authority's row in an import limited to one authority.
const OTHER_AUTHORITY: (&str, &str) = (
    "other_authority",
    "发证机关 is not the authority this import is limited to",
);

async fn write_batch<S: Store>(
    store: &S,
    source: ImportSourceId,
    batch: Batch,
    authority_ids: Vec<Result<AuthorityId, (&'static str, &'static str)>>,
) -> Result<Written, ImportError> {
    let line = batch.first_line;
    let rows = (batch.good.len() + batch.rejected.len()) as u64;
    let mut rejected = batch.rejected;
    let mut records = Vec::with_capacity(batch.good.len());
    for (row, id) in batch.good.iter().zip(&authority_ids) {
        match id {
            Ok(authority_id) => records.push(ImportRecord {
                line: row.line,
                licence: &row.licence,
                authority_id: *authority_id,
                digest: row.digest,
            }),
            Err((code, reason)) => {
                rejected.push((row.line, (*code).to_owned(), (*reason).to_owned()))
            }
        }
    }
    let outcome: BatchOutcome = store
        .import_batch(source, &records)
        .await
        .map_err(|source| ImportError::Store { line, source })?;
    for conflict in &outcome.conflicts {
        let (code, reason) = match conflict.kind {
            ConflictKind::DuplicateInFile { first_line } => (
                "duplicate_file_number",
                format!("档案编号 appears again in this file (first at line {first_line})"),
            ),
            ConflictKind::DifferentRecordInRegistry => (
                "file_number_in_registry",
                "档案编号 is already in the registry with different data".to_owned(),
            ),
        };
        rejected.push((conflict.line, code.to_owned(), reason));
    }
    rejected.sort_by_key(|(line, _, _)| *line);
    Ok(Written {
        rows,
        inserted: outcome.inserted,
        unchanged: outcome.unchanged,
        rejected,
    })
}

/// Waits for a writer task; a panicked task becomes an error instead of a panic here.
async fn join_written(
    handle: JoinHandle<Result<Written, ImportError>>,
) -> Result<Written, ImportError> {
    handle
        .await
        .unwrap_or_else(|join| Err(ImportError::Writer(join.to_string())))
}

/// The parser thread: reads rows and sends them in batches.
fn parse_batches<R: Read>(
    mut reader: RowReader<R>,
    batch_size: usize,
    tx: mpsc::Sender<Result<Batch, edl_csv::ReadError>>,
) {
    let new_batch = || Batch {
        good: Vec::with_capacity(batch_size),
        rejected: Vec::new(),
        first_line: 0,
    };
    let mut batch = new_batch();
    loop {
        let item = reader.next_row();
        let done = item.is_none();
        match item {
            Some(Ok(edl_csv::RowOutcome::Parsed(row))) => {
                if batch.first_line == 0 {
                    batch.first_line = row.line;
                }
                batch.good.push(row);
            }
            Some(Ok(edl_csv::RowOutcome::Rejected(rejected))) => {
                if batch.first_line == 0 {
                    batch.first_line = rejected.line;
                }
                batch.rejected.push((
                    rejected.line,
                    row_error_code(&rejected.reason),
                    rejected.reason.to_string(),
                ));
            }
            Some(Err(e)) => {
                let _ = tx.blocking_send(Err(e));
                return;
            }
            None => {}
        }
        let full = batch.good.len() + batch.rejected.len() >= batch_size;
        if (full || done) && (!batch.good.is_empty() || !batch.rejected.is_empty()) {
            let ready = std::mem::replace(&mut batch, new_batch());
            if tx.blocking_send(Ok(ready)).is_err() {
                return; // The inserter stopped (database error); it reports why.
            }
        }
        if done {
            return;
        }
    }
}

/// A stable, machine-readable code for each kind of row rejection (the report's `code` column).
fn row_error_code(error: &edl_csv::RowError) -> String {
    use edl_csv::RowError;
    match error {
        RowError::WrongColumnCount { .. } => "wrong_column_count".to_owned(),
        RowError::NotUtf8 { .. } => "not_utf8".to_owned(),
        RowError::NotGbk { .. } => "not_gbk".to_owned(),
        RowError::InvalidField { column, .. } => format!("invalid_{}", column.alias()),
        RowError::Inconsistent(_) => "inconsistent_fields".to_owned(),
    }
}
