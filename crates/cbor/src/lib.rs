//! `edl-cbor`: strict CBOR reading: every input is checked for well-formedness before anything is decoded or
//! allocated from it.
//!
//! ISO 18013-5 structures are hashed and signed as bytes, so a reader must not be lenient where
//! two readers could disagree: this module refuses indefinite lengths, duplicate map keys,
//! reserved additional-information values, lengths beyond the input, nesting deeper than
//! [`MAX_DEPTH`], inputs larger than the caller's cap and bytes after the top-level item. Only
//! then is the input handed to ciborium, which therefore never sees a length it could allocate
//! for that the input cannot back.

#![warn(missing_docs)]

mod item;
mod write;

pub use item::{Entries, Item, Items};
pub use write::{Writer, head_len};

use ciborium::Value;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// The deepest nesting read (arrays, maps and tags count one level each).
pub const MAX_DEPTH: usize = 32;

/// Why bytes are not acceptable CBOR.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum CborError {
    /// The input is larger than the cap for this structure.
    #[error("{len} bytes is more than the {max} allowed")]
    TooLarge {
        /// The input's length.
        len: usize,
        /// The cap.
        max: usize,
    },
    /// The input ends inside an item.
    #[error("truncated at byte {offset}")]
    Truncated {
        /// Where more bytes were needed.
        offset: usize,
    },
    /// A length or count says more than the rest of the input holds.
    #[error("the length at byte {offset} exceeds the input")]
    LengthExceedsInput {
        /// Where the length is.
        offset: usize,
    },
    /// An indefinite-length string, array or map (not allowed in ISO 18013-5 structures).
    #[error("indefinite length at byte {offset}")]
    IndefiniteLength {
        /// Where the item starts.
        offset: usize,
    },
    /// Additional information 28-30, a break outside an indefinite item, or a simple value or
    /// bignum the decoder does not model (a simple value other than false, true, null and
    /// undefined; a negative bignum beyond 128 bits).
    #[error("reserved or misplaced initial byte at byte {offset}")]
    Reserved {
        /// Where the byte is.
        offset: usize,
    },
    /// A map holds the same key twice.
    #[error("duplicate map key at byte {offset}")]
    DuplicateKey {
        /// Where the second occurrence starts.
        offset: usize,
    },
    /// Text that is not UTF-8.
    #[error("text at byte {offset} is not UTF-8")]
    InvalidUtf8 {
        /// Where the text item starts.
        offset: usize,
    },
    /// A length or value written in more bytes than it needs. Structures here are hashed as they
    /// are re-encoded, so only the preferred (shortest) form is accepted.
    #[error("non-shortest length or value at byte {offset}")]
    NotShortest {
        /// Where the item starts.
        offset: usize,
    },
    /// Nesting deeper than [`MAX_DEPTH`].
    #[error("nested deeper than {MAX_DEPTH} levels")]
    TooDeep,
    /// Bytes follow the top-level item.
    #[error("{count} bytes after the end of the item")]
    TrailingBytes {
        /// How many.
        count: usize,
    },
}

/// Checks that `bytes` are one acceptable item and nothing else: the checks of [`decode`] and
/// [`Item::decode`].
fn check(bytes: &[u8], max: usize) -> Result<(), CborError> {
    if bytes.len() > max {
        return Err(CborError::TooLarge {
            len: bytes.len(),
            max,
        });
    }
    let end = scan(bytes, 0, 0)?;
    if end != bytes.len() {
        return Err(CborError::TrailingBytes {
            count: bytes.len() - end,
        });
    }
    Ok(())
}

/// Checks `bytes` and decodes them into a [`Value`]. [`Item::decode`] makes the same checks and
/// reads the item in place instead.
pub fn decode(bytes: &[u8], max: usize) -> Result<Value, CborError> {
    check(bytes, max)?;
    // Well-formed, definite, duplicate-free and bounded: ciborium cannot fail on it except for
    // values it does not model (none are left after the scan), so map any error to the start.
    // A small scratch buffer: `from_reader` zeroes 4 KiB per call, which dominated the decoding of
    // the many small items of a DeviceResponse; longer strings are read in chunks instead.
    let mut scratch = [0u8; 256];
    ciborium::de::from_reader_with_buffer(bytes, &mut scratch)
        .map_err(|_| CborError::Reserved { offset: 0 })
}

/// Encodes a value. Writing to a `Vec` cannot fail.
pub fn encode(value: &Value) -> Vec<u8> {
    let mut out = Vec::new();
    // ciborium only fails on writer errors; a Vec never fails.
    let _ = ciborium::into_writer(value, &mut out);
    out
}

/// The head of `#6.24(bstr)` for a byte string of `len` bytes: the bytes that precede the content
/// in the encoding, so a digest over a tagged item can be computed without re-encoding it.
pub fn tag24_head(len: usize) -> Vec<u8> {
    let mut head = vec![0xd8, 0x18];
    let len = len as u64;
    match len {
        0..=23 => head.push(0x40 | len as u8),
        24..=0xff => head.extend([0x58, len as u8]),
        0x100..=0xffff => {
            head.push(0x59);
            head.extend((len as u16).to_be_bytes());
        }
        0x1_0000..=0xffff_ffff => {
            head.push(0x5a);
            head.extend((len as u32).to_be_bytes());
        }
        _ => {
            head.push(0x5b);
            head.extend(len.to_be_bytes());
        }
    }
    head
}

/// `#6.24(bstr .cbor value)`: the encoded item wrapped in a byte string under tag 24.
pub fn tag24(inner: Vec<u8>) -> Value {
    Value::Tag(24, Box::new(Value::Bytes(inner)))
}

/// Maps with at most this many entries check their keys for duplicates without allocating.
const SMALL_MAP: usize = 16;

/// Reads the head of the item at `at`: (major type, argument, offset after the head).
fn head(bytes: &[u8], at: usize) -> Result<(u8, u64, usize), CborError> {
    let initial = *bytes.get(at).ok_or(CborError::Truncated { offset: at })?;
    let major = initial >> 5;
    let info = initial & 0x1f;
    let len = match info {
        0..=23 => return Ok((major, u64::from(info), at + 1)),
        24 => 1,
        25 => 2,
        26 => 4,
        27 => 8,
        31 => {
            return Err(if major == 7 {
                CborError::Reserved { offset: at }
            } else if major >= 2 {
                CborError::IndefiniteLength { offset: at }
            } else {
                CborError::Reserved { offset: at }
            });
        }
        _ => return Err(CborError::Reserved { offset: at }),
    };
    let start = at + 1;
    let slice = bytes
        .get(start..start + len)
        .ok_or(CborError::Truncated { offset: start })?;
    let argument = slice.iter().fold(0u64, |acc, b| (acc << 8) | u64::from(*b));
    // Floats (major 7, info 25-27) carry their bits, not a length: any width is allowed.
    let shortest = match info {
        24 => argument >= 24,
        25 => argument > 0xff,
        26 => argument > 0xffff,
        _ => argument > 0xffff_ffff,
    };
    let is_float = major == 7 && info >= 25;
    if !shortest && !is_float {
        return Err(CborError::NotShortest { offset: at });
    }
    Ok((major, argument, start + len))
}

/// Whether `text` is UTF-8 (ASCII, the usual case, without the general check).
#[inline]
fn is_utf8(text: &[u8]) -> bool {
    text.is_ascii() || std::str::from_utf8(text).is_ok()
}

/// Checks the item at `at` and returns the offset just after it.
fn scan(bytes: &[u8], at: usize, depth: usize) -> Result<usize, CborError> {
    if depth > MAX_DEPTH {
        return Err(CborError::TooDeep);
    }
    let (major, argument, next) = head(bytes, at)?;
    let remaining = (bytes.len() - next) as u64;
    match major {
        0 | 1 => Ok(next),
        2 | 3 => {
            if argument > remaining {
                return Err(CborError::LengthExceedsInput { offset: at });
            }
            let end = next + argument as usize;
            if major == 3 && !is_utf8(&bytes[next..end]) {
                return Err(CborError::InvalidUtf8 { offset: at });
            }
            Ok(end)
        }
        4 => {
            // Every item takes at least one byte.
            if argument > remaining {
                return Err(CborError::LengthExceedsInput { offset: at });
            }
            let mut pos = next;
            for _ in 0..argument {
                pos = scan(bytes, pos, depth + 1)?;
            }
            Ok(pos)
        }
        5 => {
            if argument.saturating_mul(2) > remaining {
                return Err(CborError::LengthExceedsInput { offset: at });
            }
            let count = argument as usize;
            // The keys seen so far, compared as encoded (every head is in its shortest form, so
            // equal keys have equal bytes). Small maps keep them on the stack.
            let mut small: [&[u8]; SMALL_MAP] = [&[]; SMALL_MAP];
            let mut large: Vec<&[u8]> = Vec::new();
            if count > SMALL_MAP {
                large.reserve_exact(count);
            }
            let mut pos = next;
            for i in 0..count {
                let key_end = scan(bytes, pos, depth + 1)?;
                let key = &bytes[pos..key_end];
                let seen = if count > SMALL_MAP {
                    &large[..]
                } else {
                    &small[..i]
                };
                // The first byte and the length tell most keys apart without a call to memcmp.
                if seen
                    .iter()
                    .any(|k| k.len() == key.len() && k.first() == key.first() && *k == key)
                {
                    return Err(CborError::DuplicateKey { offset: pos });
                }
                if count > SMALL_MAP {
                    large.push(key);
                } else {
                    small[i] = key;
                }
                pos = scan(bytes, key_end, depth + 1)?;
            }
            Ok(pos)
        }
        6 => {
            let end = scan(bytes, next, depth + 1)?;
            // ciborium reads tag 3 over at most 16 bytes as a negative integer, and fails when
            // it does not fit an i128 (-1 - n with n of 128 bits): refused here, by its place.
            if argument == 3 && bytes[next] >> 5 == 2 {
                let (_, len, content) = head(bytes, next)?;
                let magnitude = &bytes[content..end];
                if len == 16 && magnitude[0] & 0x80 != 0 {
                    return Err(CborError::Reserved { offset: at });
                }
            }
            Ok(end)
        }
        _ => {
            // Simple values and floats: the head already consumed the payload. One-byte simple
            // values 24-31 are reserved (RFC 8949 §3.3); below 24 the shortest-form rule refused
            // them already. Of the others only false, true, null and undefined (20-23) are
            // modelled by the decoder; floats (25-27) carry their bits.
            match bytes[at] & 0x1f {
                20..=23 | 25..=27 => Ok(next),
                _ => Err(CborError::Reserved { offset: at }),
            }
        }
    }
}

/// An RFC 3339 `tdate` (tag 0): UTC, whole seconds, `Z`.
pub fn tdate(t: OffsetDateTime) -> Value {
    let t = t.to_offset(time::UtcOffset::UTC);
    let t = t.replace_nanosecond(0).unwrap_or(t);
    // Formatting a UTC instant between years 0 and 9999 cannot fail.
    let text = t.format(&Rfc3339).unwrap_or_default();
    Value::Tag(0, Box::new(Value::Text(text)))
}

/// Reads a `tdate`: tag 0 over RFC 3339 text with no fractional seconds and a `Z` offset (the
/// forms other issuers were caught sending are refused, MDOC.md §5).
pub fn parse_tdate(value: &Value) -> Option<OffsetDateTime> {
    let Value::Tag(0, inner) = value else {
        return None;
    };
    let Value::Text(text) = inner.as_ref() else {
        return None;
    };
    tdate_text(text)
}

/// The instant of a `tdate`'s text, in the strict form [`parse_tdate`] accepts.
fn tdate_text(text: &str) -> Option<OffsetDateTime> {
    if !text.ends_with('Z') || text.contains('.') {
        return None;
    }
    OffsetDateTime::parse(text, &Rfc3339).ok()
}

/// A `full-date` (tag 1004, "YYYY-MM-DD").
pub fn full_date(date: time::Date) -> Value {
    Value::Tag(
        1004,
        Box::new(Value::Text(format!(
            "{:04}-{:02}-{:02}",
            date.year(),
            u8::from(date.month()),
            date.day()
        ))),
    )
}

/// Reads a `full-date` (tag 1004).
pub fn parse_full_date(value: &Value) -> Option<time::Date> {
    let Value::Tag(1004, inner) = value else {
        return None;
    };
    let Value::Text(text) = inner.as_ref() else {
        return None;
    };
    full_date_text(text)
}

/// The date of a `full-date`'s text.
fn full_date_text(text: &str) -> Option<time::Date> {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    time::Date::parse(text, &format).ok()
}

impl Item<'_> {
    /// A `tdate`, read as [`parse_tdate`] reads its value.
    pub fn as_tdate(&self) -> Option<OffsetDateTime> {
        tdate_text(self.tagged(0)?.as_text()?)
    }

    /// A `full-date`, read as [`parse_full_date`] reads its value.
    pub fn as_full_date(&self) -> Option<time::Date> {
        full_date_text(self.tagged(1004)?.as_text()?)
    }
}

/// A CBOR map read field by field by text key. Keys are known unique (the scan refused
/// duplicates).
#[derive(Debug, Clone, Copy)]
pub struct Map<'a> {
    entries: &'a [(Value, Value)],
}

impl<'a> Map<'a> {
    /// The map, if `value` is one.
    pub fn of(value: &'a Value) -> Option<Map<'a>> {
        match value {
            Value::Map(entries) => Some(Map { entries }),
            _ => None,
        }
    }

    /// The value under text key `field`.
    pub fn get(&self, field: &str) -> Option<&'a Value> {
        self.entries
            .iter()
            .find(|(k, _)| matches!(k, Value::Text(t) if t == field))
            .map(|(_, v)| v)
    }

    /// The first key that is not one of `known` (a key that is not text counts as unknown),
    /// shortened to 40 characters: closed structures refuse fields they do not define.
    pub fn unknown_key(&self, known: &[&str]) -> Option<String> {
        self.entries.iter().find_map(|(k, _)| match k {
            Value::Text(t) if known.contains(&t.as_str()) => None,
            Value::Text(t) => Some(t.chars().take(40).collect()),
            _ => Some("(a key that is not text)".to_owned()),
        })
    }

    /// Every entry, in order.
    pub fn entries(&self) -> &'a [(Value, Value)] {
        self.entries
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(hex: &str) -> Result<Value, CborError> {
        decode(&hex_bytes(hex), 1 << 20)
    }

    fn hex_bytes(hex: &str) -> Vec<u8> {
        (0..hex.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
            .collect()
    }

    #[test]
    fn accepts_definite_well_formed_items() {
        assert_eq!(
            check("a16161f5").unwrap(),
            Value::Map(vec![(Value::Text("a".into()), Value::Bool(true))])
        );
        assert!(check("d818430102ff").is_ok());
    }

    #[test]
    fn refuses_each_kind_of_malformed_input() {
        assert_eq!(
            check("5f4101ff"),
            Err(CborError::IndefiniteLength { offset: 0 })
        );
        assert_eq!(
            check("9f01ff"),
            Err(CborError::IndefiniteLength { offset: 0 })
        );
        assert_eq!(
            check("a2616101616102"),
            Err(CborError::DuplicateKey { offset: 4 })
        );
        assert_eq!(
            check("5a7fffffff00"),
            Err(CborError::LengthExceedsInput { offset: 0 })
        );
        assert_eq!(
            check("9b0000000100000000"),
            Err(CborError::LengthExceedsInput { offset: 0 })
        );
        assert_eq!(
            check("a2"),
            Err(CborError::LengthExceedsInput { offset: 0 })
        );
        assert_eq!(check("19"), Err(CborError::Truncated { offset: 1 }));
        assert_eq!(check(""), Err(CborError::Truncated { offset: 0 }));
        assert_eq!(check("1c"), Err(CborError::Reserved { offset: 0 }));
        assert_eq!(check("ff"), Err(CborError::Reserved { offset: 0 }));
        assert_eq!(check("f818"), Err(CborError::Reserved { offset: 0 }));
        assert_eq!(check("f810"), Err(CborError::NotShortest { offset: 0 }));
        assert_eq!(check("1817"), Err(CborError::NotShortest { offset: 0 }));
        assert_eq!(check("590001ff"), Err(CborError::NotShortest { offset: 0 }));
        assert!(
            check("fa3fc00000").is_ok(),
            "a single-precision float is allowed"
        );
        assert_eq!(check("6280ff"), Err(CborError::InvalidUtf8 { offset: 0 }));
        assert_eq!(check("0101"), Err(CborError::TrailingBytes { count: 1 }));
        assert_eq!(
            decode(&[0; 10], 4),
            Err(CborError::TooLarge { len: 10, max: 4 })
        );
        let deep = "81".repeat(MAX_DEPTH + 2) + "00";
        assert_eq!(check(&deep), Err(CborError::TooDeep));
    }

    #[test]
    fn the_tag24_head_is_what_the_encoder_writes() {
        for len in [0usize, 23, 24, 255, 256, 65535, 65536] {
            let whole = encode(&tag24(vec![7; len]));
            assert_eq!(tag24_head(len), whole[..whole.len() - len], "{len}");
        }
    }

    #[test]
    fn long_strings_decode_past_the_scratch_buffer() {
        let value = Value::Array(vec![
            Value::Text("长".repeat(400)),
            Value::Bytes(vec![9; 5000]),
        ]);
        assert_eq!(decode(&encode(&value), 1 << 20).unwrap(), value);
    }

    #[test]
    fn dates_round_trip_in_their_strict_forms() {
        let t = time::macros::datetime!(2020-10-01 13:30:02 UTC);
        assert_eq!(parse_tdate(&tdate(t)), Some(t));
        let fractional = Value::Tag(0, Box::new(Value::Text("2020-10-01T13:30:02.5Z".into())));
        assert_eq!(parse_tdate(&fractional), None);
        let offset = Value::Tag(0, Box::new(Value::Text("2020-10-01T13:30:02+08:00".into())));
        assert_eq!(parse_tdate(&offset), None);
        let d = time::macros::date!(2019 - 10 - 20);
        assert_eq!(parse_full_date(&full_date(d)), Some(d));
        assert_eq!(parse_full_date(&Value::Text("2019-10-20".into())), None);
    }

    #[test]
    fn simple_values_and_bignums_the_decoder_does_not_model_are_refused_by_place() {
        assert_eq!(check("f0"), Err(CborError::Reserved { offset: 0 }));
        assert_eq!(check("8201f820"), Err(CborError::Reserved { offset: 2 }));
        assert_eq!(
            check("82c35080000000000000000000000000000000"),
            Err(CborError::Reserved { offset: 1 })
        );
        assert!(check("c3507fffffffffffffffffffffffffffffff").is_ok());
        assert!(check("c2508fffffffffffffffffffffffffffffff").is_ok());
        assert!(check("f7").is_ok());
    }

    /// Every item under `item`, read through every accessor; its value must be what `decode`
    /// gives for its bytes.
    fn walk(item: Item<'_>) {
        let _ = (
            item.as_u64(),
            item.as_i64(),
            item.as_bytes(),
            item.as_text(),
        );
        let _ = item.is_null();
        // Compared encoded: a NaN is never equal to itself.
        assert_eq!(
            item.to_value().ok().map(|v| encode(&v)),
            decode(item.raw(), usize::MAX).ok().map(|v| encode(&v)),
            "to_value agrees with decode"
        );
        if let Some(items) = item.as_array() {
            let n = items.len();
            assert_eq!(items.count(), n);
            items.for_each(walk);
        }
        if let Some(entries) = item.as_map() {
            let n = entries.len();
            let mut seen = 0;
            for (k, v) in entries {
                walk(k);
                walk(v);
                seen += 1;
            }
            assert_eq!(seen, n);
        }
        if let Some((_, inner)) = item.as_tag() {
            walk(inner);
        }
    }

    fn arb_value() -> impl proptest::strategy::Strategy<Value = Value> {
        use proptest::prelude::*;
        let leaf = prop_oneof![
            any::<u64>().prop_map(Value::from),
            any::<i64>().prop_map(Value::from),
            any::<i128>().prop_map(Value::from),
            proptest::collection::vec(any::<u8>(), 0..40).prop_map(Value::Bytes),
            ".{0,12}".prop_map(Value::Text),
            any::<bool>().prop_map(Value::Bool),
            Just(Value::Null),
            any::<f64>().prop_map(Value::Float),
        ];
        leaf.prop_recursive(6, 64, 8, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..8).prop_map(Value::Array),
                proptest::collection::vec((inner.clone(), inner.clone()), 0..6)
                    .prop_map(Value::Map),
                ((0u64..40), inner).prop_map(|(t, v)| Value::Tag(t, Box::new(v))),
            ]
        })
    }

    proptest::proptest! {
        #[test]
        fn random_bytes_never_panic(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..256)) {
            let _ = decode(&bytes, 1 << 20);
            let checked = Item::decode(&bytes, 1 << 20);
            proptest::prop_assert_eq!(checked.err(), decode(&bytes, 1 << 20).err());
            if let Ok(item) = checked {
                walk(item);
            }
        }

        #[test]
        fn the_writer_writes_values_as_the_encoder_does(value in arb_value()) {
            let mut w = Writer::default();
            w.value(&value);
            proptest::prop_assert_eq!(w.as_bytes(), &encode(&value)[..]);
            for n in [0u64, 23, 24, 255, 256, 65535, 65536, 1 << 32, u64::MAX] {
                let mut w = Writer::default();
                w.uint(n);
                proptest::prop_assert_eq!(head_len(n), w.len());
            }
        }

        #[test]
        fn items_agree_with_decode_on_encoded_values(value in arb_value()) {
            let bytes = encode(&value);
            let checked = Item::decode(&bytes, 1 << 20);
            proptest::prop_assert_eq!(checked.err(), decode(&bytes, 1 << 20).err());
            if let Ok(item) = checked {
                walk(item);
            }
        }

        #[test]
        fn items_agree_with_decode_on_damaged_values(
            value in arb_value(),
            at in proptest::num::usize::ANY,
            byte in proptest::num::u8::ANY,
            cut in proptest::num::usize::ANY,
        ) {
            let mut bytes = encode(&value);
            if !bytes.is_empty() {
                let at = at % bytes.len();
                bytes[at] = byte;
                bytes.truncate(bytes.len() - cut % 2);
            }
            let checked = Item::decode(&bytes, 1 << 20);
            proptest::prop_assert_eq!(checked.err(), decode(&bytes, 1 << 20).err());
            if let Ok(item) = checked {
                walk(item);
            }
        }
    }
}
