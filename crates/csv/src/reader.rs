//! Reading an exchange file: encoding choice, header check, then one outcome per record in constant memory.
//!
//! Records are split by the `csv` crate on raw bytes into one reused [`ByteRecord`]; the fields are then decoded
//! (a UTF-8 record checked in one pass, GBK field by field) and parsed into domain values, and the import digest is
//! computed in a reused buffer. A problem with one record rejects that record only
//! ([`RowRejected`]); only I/O failures, a bad header row and an oversized record stop the reader ([`ReadError`]).
//! No error carries a field's value: they name the column and the rule, since the values are personal data.

use std::borrow::Cow;
use std::fmt;
use std::io::{self, Read};

use csv::ByteRecord;
use edl_domain::{
    Address, AddressError, AuthorityName, AuthorityNameError, CitizenId, CitizenIdError,
    ClassError, ClassSet, DateError, FileNumber, FileNumberError, IssuingAuthority, Licence,
    LicenceError, LicenceFields, Nationality, NationalityError, PersonName, PersonNameError,
    PhoneNumber, PhoneNumberError, Points, RegionCode, RegionError, Sex, SexError, StatusError,
    StatusSet, Validity, ValidityEnd, ValidityError, parse_date,
};
use time::Date;

use crate::columns::{Column, HeaderLanguage};
use crate::encoding::{Encoding, EncodingChoice, UTF8_BOM, sniff_encoding, utf8_text};
use crate::render::Digester;

/// How many leading bytes [`EncodingChoice::Auto`] looks at.
pub const SNIFF_BYTES: usize = 64 * 1024;

/// The longest record (header row included) the reader accepts, in bytes. A real record is a few hundred bytes;
/// the limit keeps memory bounded when a file is not an exchange file at all (for example a binary file or an
/// unterminated quote).
pub const MAX_RECORD_BYTES: u64 = 64 * 1024;

/// Why a field's text is not a valid value for its column. Wraps the domain's parse error, which names the
/// rule but never the value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum FieldError {
    /// 档案编号.
    #[error(transparent)]
    FileNumber(#[from] FileNumberError),
    /// 证号.
    #[error(transparent)]
    CitizenId(#[from] CitizenIdError),
    /// 姓名.
    #[error(transparent)]
    Name(#[from] PersonNameError),
    /// 性别.
    #[error(transparent)]
    Sex(#[from] SexError),
    /// 国籍.
    #[error(transparent)]
    Nationality(#[from] NationalityError),
    /// A date column.
    #[error(transparent)]
    Date(#[from] DateError),
    /// 住址.
    #[error(transparent)]
    Address(#[from] AddressError),
    /// 准驾车型.
    #[error(transparent)]
    Classes(#[from] ClassError),
    /// 有效期截止日期, including an end not after the start.
    #[error(transparent)]
    Validity(#[from] ValidityError),
    /// 发证机关.
    #[error(transparent)]
    Authority(#[from] AuthorityNameError),
    /// 发证机关地区代码.
    #[error(transparent)]
    Region(#[from] RegionError),
    /// 状态.
    #[error(transparent)]
    Status(#[from] StatusError),
    /// 累积记分 is not a whole number from 0 to 255 written with 1 to 3 ASCII digits.
    #[error("expected a whole number of points from 0 to 255, digits only")]
    Points,
    /// 手机号码.
    #[error(transparent)]
    Phone(#[from] PhoneNumberError),
}

/// Why one record was rejected. Names the column and the rule, never the value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum RowError {
    /// The record does not have one field per column.
    #[error("expected {expected} fields, found {found}")]
    WrongColumnCount {
        /// Always [`Column::COUNT`].
        expected: usize,
        /// The fields in the record.
        found: usize,
    },
    /// The field is not valid UTF-8 (the file was read as UTF-8; it may be GBK).
    #[error("column {column} is not valid UTF-8; if the file is GBK, read it as GBK")]
    NotUtf8 {
        /// The column.
        column: Column,
    },
    /// The field is not valid GBK (the file was read as GBK; it may be UTF-8).
    #[error("column {column} is not valid GBK; if the file is UTF-8, read it as UTF-8")]
    NotGbk {
        /// The column.
        column: Column,
    },
    /// The field's text is not a valid value for the column.
    #[error("column {column}: {error}")]
    InvalidField {
        /// The column.
        column: Column,
        /// What is wrong with it.
        error: FieldError,
    },
    /// Every field is valid but they contradict each other (e.g. the birth date differs from the citizen ID's).
    #[error("the fields disagree: {0}")]
    Inconsistent(LicenceError),
}

/// A record that became a licence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedRow {
    /// The 1-based line on which the record starts.
    pub line: u64,
    /// The licence.
    pub licence: Licence,
    /// The import digest ([`crate::licence_digest`]): equal digests mean the same registry record.
    pub digest: [u8; 16],
}

/// A record that was rejected, and why.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {reason}")]
pub struct RowRejected {
    /// The 1-based line on which the record starts.
    pub line: u64,
    /// Why.
    pub reason: RowError,
}

/// The outcome for one record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RowOutcome {
    /// The record is a valid licence.
    Parsed(ParsedRow),
    /// The record was rejected; the reader goes on with the next one.
    Rejected(RowRejected),
}

/// One header cell as found, described without echoing unrecognised text: when a file has no header row, its
/// first line is a licence, i.e. personal data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HeaderCell {
    /// A column name of the format (Chinese header or English alias), possibly in the wrong place.
    Known(&'static str),
    /// Text that names no column; only its length in characters is kept.
    Unrecognised {
        /// Characters in the cell.
        chars: usize,
    },
}

impl fmt::Display for HeaderCell {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HeaderCell::Known(name) => f.write_str(name),
            HeaderCell::Unrecognised { chars } => write!(f, "<unrecognised, {chars} characters>"),
        }
    }
}

/// Why the header row is not acceptable. The reader stops: without the right columns no record can be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HeaderError {
    /// The file has no record at all.
    #[error("the file is empty; its first line must be the header row")]
    Missing,
    /// A header cell is not valid text in the encoding the file is read with.
    #[error(
        "header cell {position} is not valid {encoding}; the file is probably in another encoding"
    )]
    Undecodable {
        /// The encoding used.
        encoding: Encoding,
        /// 1-based position of the cell.
        position: usize,
    },
    /// The cells are not exactly the seventeen Chinese headers, or the seventeen English aliases, in order.
    #[error(
        "the header row must be {} (or the English aliases {}); found {}",
        join(Column::ALL.map(Column::header_zh)),
        join(Column::ALL.map(Column::alias)),
        join(found.iter())
    )]
    Mismatch {
        /// What the header row holds, cell by cell.
        found: Vec<HeaderCell>,
    },
}

/// Joins displayable items with commas.
fn join<T: fmt::Display>(items: impl IntoIterator<Item = T>) -> String {
    let mut out = String::new();
    for (i, item) in items.into_iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(&item.to_string());
    }
    out
}

/// A failure that stops the reader.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// Reading the underlying file failed.
    #[error("reading the file failed")]
    Io(#[source] io::Error),
    /// The header row is missing or wrong.
    #[error(transparent)]
    Header(#[from] HeaderError),
    /// A record is longer than [`MAX_RECORD_BYTES`]; the file is probably not an exchange file (or has an
    /// unterminated quote).
    #[error(
        "a record after line {after_line} is longer than {limit} bytes; is this an exchange file?"
    )]
    RecordTooLong {
        /// The last line of the previous record (the header row is line 1).
        after_line: u64,
        /// The limit, [`MAX_RECORD_BYTES`].
        limit: u64,
    },
}

/// The marker inside the `io::Error` that [`Limited`] returns, recognised to report [`ReadError::RecordTooLong`].
#[derive(Debug)]
struct RecordTooLong;

impl fmt::Display for RecordTooLong {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("record too long")
    }
}

impl std::error::Error for RecordTooLong {}

/// The byte source under the CSV reader: fails once a record grows past the limit, and remembers the last chunk
/// it handed out so the reader can tell how the last record ended.
///
/// The `csv` crate grows its record buffer as long as a record lasts; the limit bounds it. The count runs slightly
/// ahead of the record (by the CSV reader's buffer), which only makes the effective limit a little smaller.
#[derive(Debug)]
struct Limited<R> {
    inner: R,
    /// Bytes handed to the CSV reader so far.
    fed: u64,
    /// Offset of the start of the current record, as reported by the CSV reader.
    record_start: u64,
    /// A copy of the last non-empty chunk handed out (at most the CSV reader's buffer size).
    last_chunk: Vec<u8>,
    /// Offset of `last_chunk[0]`.
    last_chunk_start: u64,
}

impl<R> Limited<R> {
    fn new(inner: R) -> Limited<R> {
        Limited {
            inner,
            fed: 0,
            record_start: 0,
            last_chunk: Vec::new(),
            last_chunk_start: 0,
        }
    }

    /// The byte at `offset`, if it is in the last chunk handed out.
    fn byte_at(&self, offset: u64) -> Option<u8> {
        let i = offset.checked_sub(self.last_chunk_start)?;
        self.last_chunk.get(usize::try_from(i).ok()?).copied()
    }
}

impl<R: Read> Read for Limited<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.fed.saturating_sub(self.record_start) > MAX_RECORD_BYTES {
            return Err(io::Error::new(io::ErrorKind::InvalidData, RecordTooLong));
        }
        let n = self.inner.read(buf)?;
        if n > 0 {
            // The CSV reader only consumes what its buffered reader was handed, and refills only once it has
            // consumed everything, so the last byte of a record is always in the latest non-empty chunk.
            self.last_chunk.clear();
            self.last_chunk.extend_from_slice(&buf[..n]);
            self.last_chunk_start = self.fed;
        }
        self.fed += n as u64;
        Ok(n)
    }
}

/// The byte source the CSV reader sees: the bytes read for sniffing, then the rest of the file.
type Source<R> = Limited<io::Chain<io::Cursor<Vec<u8>>, R>>;

/// Reads licences from an exchange file, one record at a time, in constant memory.
///
/// Construction reads the header row (and, with [`EncodingChoice::Auto`], sniffs the encoding from the header row
/// or the first [`SNIFF_BYTES`]). Then [`RowReader::next_row`] (or the [`Iterator`] implementation) yields one
/// [`RowOutcome`] per record until the end of the file, or a [`ReadError`] after which it yields nothing.
pub struct RowReader<R: Read> {
    csv: csv::Reader<Source<R>>,
    encoding: Encoding,
    header_language: HeaderLanguage,
    /// Bytes skipped before the CSV data (a UTF-8 byte order mark).
    skipped: u64,
    /// The last line of the previous record (the header row's, at first).
    last_line: u64,
    record: ByteRecord,
    digester: Digester,
    finished: bool,
}

impl<R: Read> fmt::Debug for RowReader<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RowReader")
            .field("encoding", &self.encoding)
            .field("header_language", &self.header_language)
            .field("byte_offset", &self.byte_offset())
            .field("finished", &self.finished)
            .finish_non_exhaustive()
    }
}

impl<R: Read> RowReader<R> {
    /// Opens an exchange file: picks the encoding, skips a UTF-8 byte order mark, and checks the header row.
    pub fn new(mut reader: R, choice: EncodingChoice) -> Result<RowReader<R>, ReadError> {
        let mut prefix = vec![0u8; SNIFF_BYTES];
        let filled = read_up_to(&mut reader, &mut prefix).map_err(ReadError::Io)?;
        prefix.truncate(filled);
        let encoding = choice.fixed().unwrap_or_else(|| sniff_prefix(&prefix));
        let mut skipped = 0;
        if encoding == Encoding::Utf8 && prefix.starts_with(UTF8_BOM) {
            prefix.drain(..UTF8_BOM.len());
            skipped = UTF8_BOM.len() as u64;
        }
        let source = Limited::new(io::Cursor::new(prefix).chain(reader));
        let mut csv = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_reader(source);
        let mut record = ByteRecord::new();
        match csv.read_byte_record(&mut record) {
            Ok(true) => {}
            Ok(false) => return Err(HeaderError::Missing.into()),
            Err(e) => return Err(read_error(e, 0)),
        }
        let header_language = check_header(&record, encoding)?;
        let mut res = RowReader {
            csv,
            encoding,
            header_language,
            skipped,
            last_line: 0,
            record,
            digester: Digester::default(),
            finished: false,
        };
        res.finish_record();
        Ok(res)
    }

    /// The encoding the file is read with (chosen or sniffed).
    pub fn encoding(&self) -> Encoding {
        self.encoding
    }

    /// Whether the header row used the Chinese headers or the English aliases.
    pub fn header_language(&self) -> HeaderLanguage {
        self.header_language
    }

    /// How many bytes of the file have been consumed, for progress reporting.
    pub fn byte_offset(&self) -> u64 {
        self.skipped + self.csv.position().byte()
    }

    /// Book-keeping after a record was read: tells the length limiter that the next record starts here, and
    /// returns the 1-based line on which the record just read started.
    ///
    /// The CSV reader counts every `\n` it consumes, but a record read ends at its terminator's first byte: an LF
    /// is consumed with the record, while the `\n` of a CRLF is consumed with the next one, along with any blank
    /// lines. So the start line is worked out backwards from the count after the record: minus the newlines inside
    /// quoted fields, minus one if the record's last consumed byte was its LF terminator. (An unterminated quote
    /// that runs to the end of the file on a line break would be counted one line early; such a record is rejected
    /// anyway.)
    fn finish_record(&mut self) -> u64 {
        let end = self.csv.position().clone();
        let source = self.csv.get_mut();
        source.record_start = end.byte();
        let ended_by_lf = end
            .byte()
            .checked_sub(1)
            .and_then(|last| source.byte_at(last))
            == Some(b'\n');
        let bytes = self.record.as_slice();
        // Only a quoted field holds a newline; the word-at-a-time `contains` skips the count for the others.
        let inner_newlines = if bytes.contains(&b'\n') {
            bytes.iter().filter(|&&b| b == b'\n').count() as u64
        } else {
            0
        };
        self.last_line = end.line().saturating_sub(u64::from(ended_by_lf));
        self.last_line.saturating_sub(inner_newlines).max(1)
    }

    /// The next record's outcome; `None` at the end of the file or after a [`ReadError`].
    pub fn next_row(&mut self) -> Option<Result<RowOutcome, ReadError>> {
        if self.finished {
            return None;
        }
        match self.csv.read_byte_record(&mut self.record) {
            Ok(true) => {}
            Ok(false) => {
                self.finished = true;
                return None;
            }
            Err(e) => {
                self.finished = true;
                return Some(Err(read_error(e, self.last_line)));
            }
        }
        let line = self.finish_record();
        let outcome = match parse_record(&self.record, self.encoding) {
            Ok(licence) => RowOutcome::Parsed(ParsedRow {
                line,
                digest: self.digester.digest(&licence),
                licence,
            }),
            Err(reason) => RowOutcome::Rejected(RowRejected { line, reason }),
        };
        Some(Ok(outcome))
    }
}

impl<R: Read> Iterator for RowReader<R> {
    type Item = Result<RowOutcome, ReadError>;

    fn next(&mut self) -> Option<Self::Item> {
        self.next_row()
    }
}

/// Fills `buf` as far as the reader allows; returns how many bytes were read (less than `buf.len()` only at EOF).
fn read_up_to<R: Read>(reader: &mut R, buf: &mut [u8]) -> io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match reader.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

/// The encoding of a file that starts with `prefix`.
///
/// A Chinese header row decides on its own, so one badly encoded record among the first rows cannot make a whole
/// UTF-8 file read as GBK; an ASCII (English alias) header leaves the decision to the whole prefix.
fn sniff_prefix(prefix: &[u8]) -> Encoding {
    let first_line = prefix
        .iter()
        .position(|&b| b == b'\n')
        .map_or(prefix, |end| &prefix[..end]);
    let body = first_line.strip_prefix(UTF8_BOM).unwrap_or(first_line);
    if body.is_ascii() {
        sniff_encoding(prefix)
    } else {
        sniff_encoding(first_line)
    }
}

/// Turns a CSV reader error into a [`ReadError`]. With byte records and flexible field counts, the `csv` crate
/// only fails on I/O, which includes the limiter's [`RecordTooLong`].
fn read_error(error: csv::Error, after_line: u64) -> ReadError {
    match error.into_kind() {
        csv::ErrorKind::Io(e) => {
            let too_long = e
                .get_ref()
                .is_some_and(|inner| inner.downcast_ref::<RecordTooLong>().is_some());
            if too_long {
                ReadError::RecordTooLong {
                    after_line,
                    limit: MAX_RECORD_BYTES,
                }
            } else {
                ReadError::Io(e)
            }
        }
        // Not produced for byte records read with `flexible(true)`; reported as an I/O-level failure rather than
        // a panic, without the csv error's text (which could quote data).
        _ => ReadError::Io(io::Error::new(
            io::ErrorKind::InvalidData,
            "the CSV parser failed",
        )),
    }
}

/// Checks the header row: all Chinese headers or all English aliases, in column order.
fn check_header(record: &ByteRecord, encoding: Encoding) -> Result<HeaderLanguage, HeaderError> {
    let mut cells = Vec::with_capacity(record.len());
    for (i, bytes) in record.iter().enumerate() {
        let text = encoding.decode(bytes).ok_or(HeaderError::Undecodable {
            encoding,
            position: i + 1,
        })?;
        cells.push(text);
    }
    for language in [HeaderLanguage::Chinese, HeaderLanguage::English] {
        let matches = cells.len() == Column::COUNT
            && Column::ALL
                .into_iter()
                .zip(&cells)
                .all(|(column, cell)| language.name(column) == cell.as_ref());
        if matches {
            return Ok(language);
        }
    }
    let found = cells
        .iter()
        .map(|cell| match Column::from_header(cell) {
            Some(column) if column.header_zh() == cell.as_ref() => {
                HeaderCell::Known(column.header_zh())
            }
            Some(column) => HeaderCell::Known(column.alias()),
            None => HeaderCell::Unrecognised {
                chars: cell.chars().count(),
            },
        })
        .collect();
    Err(HeaderError::Mismatch { found })
}

/// Parses one record into a licence (edition 1: the edition counter is not part of the exchange format).
fn parse_record(record: &ByteRecord, encoding: Encoding) -> Result<Licence, RowError> {
    if record.len() != Column::COUNT {
        return Err(RowError::WrongColumnCount {
            expected: Column::COUNT,
            found: record.len(),
        });
    }
    // A UTF-8 record is usually checked and split once; otherwise each field is decoded when it is parsed, so the
    // first bad field in column order is the one reported, whether its text or its value is wrong.
    let utf8 = match encoding {
        Encoding::Utf8 => utf8_fields(record),
        Encoding::Gbk => None,
    };
    let text = |column: Column| -> Result<Cow<'_, str>, RowError> {
        if let Some(fields) = &utf8 {
            return Ok(Cow::Borrowed(fields[column.index()]));
        }
        let bytes = &record[column.index()];
        encoding.decode(bytes).ok_or(match encoding {
            Encoding::Utf8 => RowError::NotUtf8 { column },
            Encoding::Gbk => RowError::NotGbk { column },
        })
    };
    let file_number = field(Column::FileNumber, &text, FileNumber::parse)?;
    let citizen_id = field(Column::CitizenId, &text, CitizenId::parse)?;
    let name = field(Column::Name, &text, PersonName::parse)?;
    let sex = field(Column::Sex, &text, Sex::parse)?;
    let nationality = field(Column::Nationality, &text, Nationality::parse)?;
    let birth_date = field(Column::BirthDate, &text, parse_date)?;
    let address = field(Column::Address, &text, Address::parse)?;
    let first_issue = field(Column::FirstIssueDate, &text, parse_date)?;
    let classes = field(Column::Classes, &text, ClassSet::parse)?;
    let valid_from = field(Column::ValidFrom, &text, parse_date)?;
    let valid_until = field(Column::ValidUntil, &text, ValidityEnd::parse)?;
    let validity = Validity::new(valid_from, valid_until).map_err(|e| RowError::InvalidField {
        column: Column::ValidUntil,
        error: e.into(),
    })?;
    let authority_name = field(Column::Authority, &text, AuthorityName::parse)?;
    let authority_region = field(Column::AuthorityRegion, &text, RegionCode::parse)?;
    let status = field(Column::Status, &text, StatusSet::parse)?;
    let points_total = field(Column::Points, &text, parse_points)?;
    let cycle_start: Date = field(Column::PointsCycleStart, &text, parse_date)?;
    let phone = field(Column::Phone, &text, |s| {
        (!s.is_empty()).then(|| PhoneNumber::parse(s)).transpose()
    })?;
    Licence::new(LicenceFields {
        file_number,
        citizen_id,
        name,
        sex,
        nationality,
        birth_date,
        address,
        first_issue,
        classes,
        validity,
        authority: IssuingAuthority {
            name: authority_name,
            region: authority_region,
        },
        status,
        points: Points::new(cycle_start, points_total),
        phone,
        edition: 1,
    })
    .map_err(RowError::Inconsistent)
}

/// The fields of a record of [`Column::COUNT`] fields as text, if every field is valid UTF-8.
///
/// The record is checked in one pass; a split that does not fall between two characters means the field before
/// it is not UTF-8 on its own (nor, then, the one after it).
fn utf8_fields(record: &ByteRecord) -> Option<[&str; Column::COUNT]> {
    let mut rest = utf8_text(record.as_slice())?;
    let mut fields = [""; Column::COUNT];
    for (text, bytes) in fields.iter_mut().zip(record) {
        let (field, after) = rest.split_at_checked(bytes.len())?;
        *text = field;
        rest = after;
    }
    Some(fields)
}

/// Decodes `column` with `text` and parses it with `parse`, naming the column in any error.
fn field<'r, T, E: Into<FieldError>>(
    column: Column,
    text: &impl Fn(Column) -> Result<Cow<'r, str>, RowError>,
    parse: impl FnOnce(&str) -> Result<T, E>,
) -> Result<T, RowError> {
    let text = text(column)?;
    parse(&text).map_err(|e| RowError::InvalidField {
        column,
        error: e.into(),
    })
}

/// The points marker error: [`parse_points`] only says the text is not a small whole number.
#[derive(Debug)]
struct BadPoints;

impl From<BadPoints> for FieldError {
    fn from(_: BadPoints) -> FieldError {
        FieldError::Points
    }
}

/// Parses 1 to 3 ASCII digits with a value up to 255.
fn parse_points(s: &str) -> Result<u8, BadPoints> {
    if s.is_empty() || s.len() > 3 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(BadPoints);
    }
    s.parse().map_err(|_| BadPoints)
}
