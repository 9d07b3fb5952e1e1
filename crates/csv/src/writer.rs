//! Writing an exchange file in UTF-8 or GBK: the header row, then one record per licence.

use std::fmt;
use std::io::{self, Write};

use edl_domain::Licence;

use crate::columns::{Column, HeaderLanguage};
use crate::encoding::Encoding;
use crate::render::RenderedRow;

/// Why a licence could not be written.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    /// Writing to the underlying file failed.
    #[error("writing the file failed")]
    Io(#[source] io::Error),
    /// A character of the field has no representation in the target encoding (GBK lacks rare characters that
    /// UTF-8 and GB 18030 have). Nothing of the record was written.
    #[error("column {column} holds a character that {encoding} cannot represent")]
    Unencodable {
        /// The column.
        column: Column,
        /// The target encoding.
        encoding: Encoding,
    },
}

/// Converts a CSV writer error: with byte records the `csv` crate only fails on I/O.
fn write_error(error: csv::Error) -> WriteError {
    match error.into_kind() {
        csv::ErrorKind::Io(e) => WriteError::Io(e),
        _ => WriteError::Io(io::Error::other("the CSV writer failed")),
    }
}

/// Writes licences as an exchange file: the header row on creation, then one record per [`RowWriter::write`].
///
/// Fields are quoted only when needed, lines end with CRLF, and UTF-8 output has no byte order mark.
/// Call [`RowWriter::finish`] (or [`RowWriter::flush`]) at the end: records are buffered.
pub struct RowWriter<W: Write> {
    csv: csv::Writer<W>,
    encoding: Encoding,
    rendered: RenderedRow,
    /// The encoded fields of the current record, back to back (GBK only; UTF-8 fields are written as they are).
    bytes: Vec<u8>,
    /// End offsets of the encoded fields in `bytes`.
    ends: [usize; Column::COUNT],
}

impl<W: Write> fmt::Debug for RowWriter<W> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RowWriter")
            .field("encoding", &self.encoding)
            .finish_non_exhaustive()
    }
}

impl<W: Write> RowWriter<W> {
    /// A writer in `encoding` with the Chinese header row (the registry's own form).
    pub fn new(writer: W, encoding: Encoding) -> Result<RowWriter<W>, WriteError> {
        RowWriter::with_header(writer, encoding, HeaderLanguage::Chinese)
    }

    /// A writer in `encoding` with the header row in `language`.
    pub fn with_header(
        writer: W,
        encoding: Encoding,
        language: HeaderLanguage,
    ) -> Result<RowWriter<W>, WriteError> {
        let csv = csv::WriterBuilder::new()
            .terminator(csv::Terminator::CRLF)
            .quote_style(csv::QuoteStyle::Necessary)
            .flexible(false)
            .from_writer(writer);
        let mut res = RowWriter {
            csv,
            encoding,
            rendered: RenderedRow::default(),
            bytes: Vec::with_capacity(512),
            ends: [0; Column::COUNT],
        };
        res.write_fields(Column::ALL.into_iter().map(|c| (c, language.name(c))))?;
        Ok(res)
    }

    /// The output encoding.
    pub fn encoding(&self) -> Encoding {
        self.encoding
    }

    /// Writes one licence as a record. On [`WriteError::Unencodable`] nothing is written and the writer can go on.
    pub fn write(&mut self, licence: &Licence) -> Result<(), WriteError> {
        let mut rendered = std::mem::take(&mut self.rendered);
        rendered.fill(licence);
        let res = self.write_fields(Column::ALL.into_iter().zip(rendered.fields()));
        self.rendered = rendered;
        res
    }

    /// Encodes every field first, then writes the record, so a failure leaves no partial record behind.
    fn write_fields<'a>(
        &mut self,
        fields: impl Iterator<Item = (Column, &'a str)>,
    ) -> Result<(), WriteError> {
        if self.encoding == Encoding::Utf8 {
            // Nothing to encode or to fail: the text is already UTF-8.
            return self
                .csv
                .write_record(fields.map(|(_, text)| text.as_bytes()))
                .map_err(write_error);
        }
        self.bytes.clear();
        for (column, text) in fields {
            self.encoding
                .encode_into(text, &mut self.bytes)
                .map_err(|_| WriteError::Unencodable {
                    column,
                    encoding: self.encoding,
                })?;
            self.ends[column.index()] = self.bytes.len();
        }
        let bytes = &self.bytes;
        let ends = &self.ends;
        let record = (0..Column::COUNT).map(|i| {
            let start = if i == 0 { 0 } else { ends[i - 1] };
            &bytes[start..ends[i]]
        });
        self.csv.write_record(record).map_err(write_error)
    }

    /// Flushes buffered records to the underlying writer.
    pub fn flush(&mut self) -> Result<(), WriteError> {
        self.csv.flush().map_err(WriteError::Io)
    }

    /// Flushes and returns the underlying writer.
    pub fn finish(self) -> Result<W, WriteError> {
        self.csv
            .into_inner()
            .map_err(|e| WriteError::Io(e.into_error()))
    }
}
