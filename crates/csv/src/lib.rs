//! `edl-csv`: the registry CSV exchange format. Pure: `std::io` only.
//!
//! An exchange file is a header row naming the seventeen [`Column`]s (Chinese headers, or their English aliases)
//! followed by one record per licence, in UTF-8 or GBK ([`Encoding`]); `docs/import-format.md` is the
//! specification.
//!
//! - [`RowReader`] reads a file in constant memory: it picks the encoding ([`EncodingChoice`], [`sniff_encoding`]),
//!   checks the header ([`HeaderError`]) and yields a [`RowOutcome`] per record: a [`ParsedRow`] holding an
//!   [`edl_domain::Licence`] with its line and import digest, or a [`RowRejected`] naming the line, the column and
//!   the rule broken ([`RowError`]). Only I/O failures and unreadable files stop it ([`ReadError`]).
//! - [`RowWriter`] writes licences in either encoding ([`WriteError`] when GBK cannot hold a character).
//! - [`licence_digest`] is the canonical 16-byte digest that makes re-imports idempotent, and [`file_sha256`]
//!   identifies a whole file.
//!
//! No error produced here contains a field's value: the values are personal data.

mod columns;
mod encoding;
mod hash;
mod reader;
mod render;
mod writer;

pub use columns::{Column, HeaderLanguage};
pub use encoding::{Encoding, EncodingChoice, sniff_encoding};
pub use hash::file_sha256;
pub use reader::{
    FieldError, HeaderCell, HeaderError, MAX_RECORD_BYTES, ParsedRow, ReadError, RowError,
    RowOutcome, RowReader, RowRejected, SNIFF_BYTES,
};
pub use render::licence_digest;
pub use writer::{RowWriter, WriteError};
