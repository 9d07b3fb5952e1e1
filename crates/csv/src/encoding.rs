//! Text encodings of exchange files (UTF-8 and GBK), sniffing, and per-field decoding and encoding.
//!
//! Records are split on raw bytes before any decoding.
//! That is safe for GBK because a GBK (and GB 18030) trail byte is never `,`, `"`, `\n` or `\r`:
//! trail bytes are `0x40..=0xFE` (two-byte sequences) or `0x30..=0x39` (four-byte sequences).

use std::borrow::Cow;
use std::fmt;
use std::sync::OnceLock;

use encoding_rs::{EncoderResult, GBK, UTF_8};

/// The UTF-8 byte order mark, skipped at the start of a UTF-8 file.
pub(crate) const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

/// The text encoding of an exchange file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Encoding {
    /// UTF-8, with or without a byte order mark.
    Utf8,
    /// GBK, the encoding of most Windows registry exports.
    ///
    /// Reading accepts the GB 18030 superset (four-byte sequences included); writing produces GBK proper,
    /// so a character outside GBK cannot be written.
    Gbk,
}

impl Encoding {
    /// The encoding's usual name (`UTF-8`, `GBK`).
    pub const fn name(self) -> &'static str {
        match self {
            Encoding::Utf8 => "UTF-8",
            Encoding::Gbk => "GBK",
        }
    }

    /// Decodes one field; `None` if the bytes are not valid text in this encoding.
    ///
    /// ASCII-only fields (most of a record) are borrowed, not copied, in both encodings.
    pub(crate) fn decode(self, bytes: &[u8]) -> Option<Cow<'_, str>> {
        match self {
            Encoding::Utf8 => utf8_text(bytes).map(Cow::Borrowed),
            Encoding::Gbk => GBK.decode_without_bom_handling_and_without_replacement(bytes),
        }
    }

    /// Appends `text` in this encoding to `out`.
    ///
    /// Fails, leaving `out` possibly extended with a prefix of the text, if a character cannot be represented.
    pub(crate) fn encode_into(self, text: &str, out: &mut Vec<u8>) -> Result<(), Unencodable> {
        match self {
            Encoding::Utf8 => {
                out.extend_from_slice(text.as_bytes());
                Ok(())
            }
            Encoding::Gbk if text.is_ascii() => {
                out.extend_from_slice(text.as_bytes());
                Ok(())
            }
            Encoding::Gbk => {
                let table = cjk_gbk_table();
                let mut buf = [0u8; 4];
                for c in text.chars() {
                    if c.is_ascii() {
                        out.push(c as u8);
                    } else if let Some(&[lead, trail]) =
                        table.get((c as usize).wrapping_sub(CJK_FIRST))
                        && lead != 0
                    {
                        out.extend_from_slice(&[lead, trail]);
                    } else {
                        encode_gbk_slow(c.encode_utf8(&mut buf), out)?;
                    }
                }
                Ok(())
            }
        }
    }
}

/// `bytes` as text if they are valid UTF-8.
///
/// The same as `std::str::from_utf8(bytes).ok()`, with `encoding_rs`'s validator, which checks several bytes at
/// a time (SIMD where the CPU has it) and is several times faster on Chinese text.
pub(crate) fn utf8_text(bytes: &[u8]) -> Option<&str> {
    match UTF_8.decode_without_bom_handling_and_without_replacement(bytes) {
        Some(Cow::Borrowed(text)) => Some(text),
        // `encoding_rs` borrows valid UTF-8 and returns `None` for anything else; it never copies.
        Some(Cow::Owned(_)) | None => None,
    }
}

/// The first code point of the CJK Unified Ideographs block, all of which (up to [`CJK_LAST`]) GBK holds.
const CJK_FIRST: usize = 0x4E00;
/// The last CJK Unified Ideograph GBK holds.
const CJK_LAST: usize = 0x9FA5;

/// GBK bytes of the CJK Unified Ideographs U+4E00..=U+9FA5, indexed by `code point - U+4E00`; `[0, 0]` would mark
/// a character GBK lacks (none in this range).
///
/// `encoding_rs` optimises its GBK encoder for size, not speed (about 0.3 µs a character); names and addresses are
/// almost all ideographs, so writing a GBK file spends most of its time there. This 41 KiB table, built once from
/// the same encoder, makes those characters a lookup.
fn cjk_gbk_table() -> &'static [[u8; 2]] {
    static TABLE: OnceLock<Vec<[u8; 2]>> = OnceLock::new();
    TABLE.get_or_init(|| {
        let mut buf = [0u8; 4];
        let mut bytes = Vec::with_capacity(2);
        (CJK_FIRST..=CJK_LAST)
            .map(|cp| {
                bytes.clear();
                let encoded = char::from_u32(cp as u32)
                    .is_some_and(|c| encode_gbk_slow(c.encode_utf8(&mut buf), &mut bytes).is_ok());
                match bytes[..] {
                    [lead, trail] if encoded => [lead, trail],
                    _ => [0, 0],
                }
            })
            .collect()
    })
}

/// Appends `text` in GBK with `encoding_rs`'s encoder.
fn encode_gbk_slow(text: &str, out: &mut Vec<u8>) -> Result<(), Unencodable> {
    let mut encoder = GBK.new_encoder();
    let mut rest = text;
    loop {
        // GBK needs at most two bytes per character, and a character takes at least one byte of UTF-8, so twice
        // the input length always suffices; the loop only guards against a surprise.
        out.reserve(rest.len() * 2 + 2);
        let (result, read) = encoder.encode_from_utf8_to_vec_without_replacement(rest, out, true);
        rest = &rest[read..];
        match result {
            EncoderResult::InputEmpty => return Ok(()),
            EncoderResult::OutputFull => continue,
            EncoderResult::Unmappable(_) => return Err(Unencodable),
        }
    }
}

impl fmt::Display for Encoding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A character has no representation in the target encoding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Unencodable;

/// How the reader picks the encoding of a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum EncodingChoice {
    /// Decide from the file's first bytes with [`sniff_encoding`]: from the header row alone when it is Chinese
    /// (decisive in either encoding), else from the first [`crate::SNIFF_BYTES`] bytes.
    #[default]
    Auto,
    /// The file is UTF-8 (a leading byte order mark is skipped).
    Utf8,
    /// The file is GBK.
    Gbk,
}

impl EncodingChoice {
    /// The encoding this choice fixes, or `None` for [`EncodingChoice::Auto`].
    pub const fn fixed(self) -> Option<Encoding> {
        match self {
            EncodingChoice::Auto => None,
            EncodingChoice::Utf8 => Some(Encoding::Utf8),
            EncodingChoice::Gbk => Some(Encoding::Gbk),
        }
    }
}

/// Guesses the encoding of a file from its first bytes.
///
/// A UTF-8 byte order mark means UTF-8.
/// Otherwise bytes that are valid UTF-8 mean UTF-8; a multi-byte sequence cut off by the end of `first_bytes`
/// is allowed, since the sample is usually a prefix of the file.
/// Anything else means GBK: Chinese text in GBK is almost never valid UTF-8, and the exchange format's header
/// row is Chinese, so a sample that contains the header decides reliably.
pub fn sniff_encoding(first_bytes: &[u8]) -> Encoding {
    if first_bytes.starts_with(UTF8_BOM) {
        return Encoding::Utf8;
    }
    match std::str::from_utf8(first_bytes) {
        Ok(_) => Encoding::Utf8,
        // `error_len() == None` means the input ended inside a sequence that could still be valid.
        Err(e) if e.error_len().is_none() => Encoding::Utf8,
        Err(_) => Encoding::Gbk,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniffs_bom_utf8_and_gbk() {
        assert_eq!(sniff_encoding(b""), Encoding::Utf8);
        assert_eq!(sniff_encoding(b"file_number,citizen_id"), Encoding::Utf8);
        assert_eq!(sniff_encoding(b"\xEF\xBB\xBF\xFF\xFF"), Encoding::Utf8);
        assert_eq!(sniff_encoding("档案编号,证号".as_bytes()), Encoding::Utf8);
        let (gbk, _, _) = GBK.encode("档案编号,证号");
        assert_eq!(sniff_encoding(&gbk), Encoding::Gbk);
    }

    #[test]
    fn a_sequence_cut_at_the_end_still_counts_as_utf8() {
        let text = "档案编号".as_bytes();
        for cut in 1..text.len() {
            assert_eq!(sniff_encoding(&text[..cut]), Encoding::Utf8, "cut at {cut}");
        }
        // A cut sequence followed by more bytes is an error, not a cut.
        assert_eq!(sniff_encoding(b"\xE6\xA1,"), Encoding::Gbk);
    }

    #[test]
    fn the_cjk_table_agrees_with_the_encoder_for_every_ideograph() {
        let table = cjk_gbk_table();
        for (i, bytes) in table.iter().enumerate() {
            let c = char::from_u32((CJK_FIRST + i) as u32).expect("a scalar value");
            let text = c.to_string();
            let (expected, _, unmappable) = GBK.encode(&text);
            assert!(!unmappable, "{c} is in GBK");
            assert_eq!(&bytes[..], &expected[..], "{c}");
        }
        let mut out = Vec::new();
        Encoding::Gbk
            .encode_into("a中·b€𠮷", &mut out)
            .expect_err("𠮷 is not in GBK");
        let mut out = Vec::new();
        Encoding::Gbk
            .encode_into("a中·b€", &mut out)
            .expect("all in GBK");
        assert_eq!(out, GBK.encode("a中·b€").0.into_owned());
    }

    #[test]
    fn gbk_round_trips_and_rejects_what_it_cannot_hold() {
        let mut out = Vec::new();
        Encoding::Gbk
            .encode_into("王·小明 北京市朝阳区", &mut out)
            .expect("GBK holds these characters");
        assert_eq!(
            Encoding::Gbk.decode(&out).as_deref(),
            Some("王·小明 北京市朝阳区")
        );
        let mut out = Vec::new();
        assert_eq!(Encoding::Gbk.encode_into("𠮷", &mut out), Err(Unencodable));
        assert_eq!(Encoding::Gbk.decode(b"\x81"), None);
        assert_eq!(Encoding::Utf8.decode(b"\xFF"), None);
    }
}
