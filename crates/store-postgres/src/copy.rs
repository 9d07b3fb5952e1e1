//! An encoder for PostgreSQL's `COPY … FROM STDIN` text format.
//!
//! Columns are separated by a tab and rows end with a newline; `\N` is NULL. In values, backslash, tab,
//! newline and carriage return are written as `\\`, `\t`, `\n` and `\r`, so any text round-trips.
//! See <https://www.postgresql.org/docs/15/sql-copy.html#id-1.9.3.55.9.2>.

use std::io::Write as _;

use time::Date;

/// One `COPY` text-format buffer, filled row by row.
#[derive(Debug, Default)]
pub(crate) struct CopyText {
    buf: Vec<u8>,
    /// Whether the next value starts a row (so needs no tab before it).
    row_start: bool,
    /// Scratch space for [`CopyText::display`], reused across values.
    scratch: String,
}

impl CopyText {
    /// An empty buffer with room for `bytes`.
    pub(crate) fn with_capacity(bytes: usize) -> Self {
        Self {
            buf: Vec::with_capacity(bytes),
            row_start: true,
            scratch: String::new(),
        }
    }

    /// Empties the buffer (keeping its allocation) to encode the next rows.
    pub(crate) fn clear(&mut self) {
        self.buf.clear();
        self.row_start = true;
    }

    fn separate(&mut self) {
        if self.row_start {
            self.row_start = false;
        } else {
            self.buf.push(b'\t');
        }
    }

    /// Appends a text value, escaping backslash, tab, newline and carriage return.
    pub(crate) fn text(&mut self, value: &str) {
        self.separate();
        let bytes = value.as_bytes();
        let mut start = 0;
        for (idx, &byte) in bytes.iter().enumerate() {
            let escaped: &[u8] = match byte {
                b'\\' => b"\\\\",
                b'\t' => b"\\t",
                b'\n' => b"\\n",
                b'\r' => b"\\r",
                _ => continue,
            };
            self.buf.extend_from_slice(&bytes[start..idx]);
            self.buf.extend_from_slice(escaped);
            start = idx + 1;
        }
        self.buf.extend_from_slice(&bytes[start..]);
    }

    /// Appends the `Display` form of `value` as text.
    pub(crate) fn display(&mut self, value: impl std::fmt::Display) {
        use std::fmt::Write as _;
        let mut scratch = std::mem::take(&mut self.scratch);
        scratch.clear();
        // Writing to a String cannot fail.
        let _ = write!(scratch, "{value}");
        self.text(&scratch);
        self.scratch = scratch;
    }

    /// Appends a text value or NULL.
    pub(crate) fn opt_text(&mut self, value: Option<&str>) {
        match value {
            Some(value) => self.text(value),
            None => self.null(),
        }
    }

    /// Appends an integer.
    pub(crate) fn int(&mut self, value: i64) {
        self.separate();
        // Writing to a Vec cannot fail.
        let _ = write!(self.buf, "{value}");
    }

    /// Appends a date as ISO 8601 (`YYYY-MM-DD`, the `DateStyle`-independent input form).
    pub(crate) fn date(&mut self, value: Date) {
        self.separate();
        let year = value.year();
        if (0..=9999).contains(&year) {
            let _ = write!(
                self.buf,
                "{year:04}-{:02}-{:02}",
                u8::from(value.month()),
                value.day()
            );
        } else {
            // Outside four digits PostgreSQL wants a sign-less year and an era suffix; no licence date is there,
            // but keep the encoding total rather than panic.
            let (year, era) = if year < 1 {
                (1 - year, " BC")
            } else {
                (year, "")
            };
            let _ = write!(
                self.buf,
                "{year:04}-{:02}-{:02}{era}",
                u8::from(value.month()),
                value.day()
            );
        }
    }

    /// Appends a date or NULL.
    pub(crate) fn opt_date(&mut self, value: Option<Date>) {
        match value {
            Some(value) => self.date(value),
            None => self.null(),
        }
    }

    /// Appends a `bytea` in hex form: the text `\x0a1b…`, whose backslash COPY needs doubled.
    pub(crate) fn bytea(&mut self, value: &[u8]) {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        self.separate();
        self.buf.extend_from_slice(b"\\\\x");
        for &byte in value {
            self.buf.push(HEX[usize::from(byte >> 4)]);
            self.buf.push(HEX[usize::from(byte & 0xf)]);
        }
    }

    /// Appends NULL.
    pub(crate) fn null(&mut self) {
        self.separate();
        self.buf.extend_from_slice(b"\\N");
    }

    /// Ends the current row.
    pub(crate) fn end_row(&mut self) {
        self.buf.push(b'\n');
        self.row_start = true;
    }

    /// The encoded rows.
    pub(crate) fn as_bytes(&self) -> &[u8] {
        &self.buf
    }
}

#[cfg(test)]
mod tests {
    use time::macros::date;

    use super::*;

    fn encoded(fill: impl FnOnce(&mut CopyText)) -> String {
        let mut copy = CopyText::with_capacity(64);
        fill(&mut copy);
        copy.end_row();
        String::from_utf8(copy.as_bytes().to_vec()).expect("utf-8")
    }

    #[test]
    fn escapes_backslash_tab_newline_and_carriage_return() {
        let row = encoded(|c| c.text("a\\b\tc\nd\re"));

        assert_eq!(row, "a\\\\b\\tc\\nd\\re\n");
    }

    #[test]
    fn keeps_other_text_including_chinese_as_is() {
        let row = encoded(|c| c.text("天津市 和平区,\"南京路\"1号"));

        assert_eq!(row, "天津市 和平区,\"南京路\"1号\n");
    }

    #[test]
    fn separates_columns_with_tabs_and_writes_null() {
        let row = encoded(|c| {
            c.int(-12);
            c.opt_text(None);
            c.date(date!(2021 - 06 - 01));
            c.opt_date(None);
            c.bytea(&[0x00, 0xab, 0x10]);
        });

        assert_eq!(row, "-12\t\\N\t2021-06-01\t\\N\t\\\\x00ab10\n");
    }

    #[test]
    fn pads_years_and_marks_bc_dates() {
        assert_eq!(encoded(|c| c.date(date!(0987 - 01 - 02))), "0987-01-02\n");
        assert_eq!(
            encoded(|c| c.date(date!(-0001 - 01 - 02))),
            "0002-01-02 BC\n"
        );
    }

    #[test]
    fn display_values_are_escaped_too() {
        assert_eq!(
            encoded(|c| c.display(format_args!("C1{}E", '\t'))),
            "C1\\tE\n"
        );
    }

    #[test]
    fn clear_starts_a_new_row() {
        let mut copy = CopyText::with_capacity(16);
        copy.int(1);
        copy.clear();
        copy.int(2);
        copy.end_row();

        assert_eq!(copy.as_bytes(), b"2\n");
    }

    #[test]
    fn rows_are_separated_by_newlines() {
        let mut copy = CopyText::with_capacity(16);
        copy.int(1);
        copy.text("x");
        copy.end_row();
        copy.int(2);
        copy.text("");
        copy.end_row();

        assert_eq!(copy.as_bytes(), b"1\tx\n2\t\n");
    }
}
