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
    /// Additional information 28-30, or a break outside an indefinite item.
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

/// Checks `bytes` and decodes them into a [`Value`].
pub fn decode(bytes: &[u8], max: usize) -> Result<Value, CborError> {
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
            if major == 3 && std::str::from_utf8(&bytes[next..end]).is_err() {
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
            let mut pos = next;
            let mut keys: Vec<&[u8]> = Vec::with_capacity(argument as usize);
            for _ in 0..argument {
                let key_end = scan(bytes, pos, depth + 1)?;
                let key = &bytes[pos..key_end];
                if keys.contains(&key) {
                    return Err(CborError::DuplicateKey { offset: pos });
                }
                keys.push(key);
                pos = scan(bytes, key_end, depth + 1)?;
            }
            Ok(pos)
        }
        6 => scan(bytes, next, depth + 1),
        _ => {
            // Simple values and floats: the head already consumed the payload. One-byte simple
            // values 24-31 are reserved (RFC 8949 §3.3); below 24 the shortest-form rule refused
            // them already.
            if bytes[at] & 0x1f == 24 && argument < 32 {
                return Err(CborError::Reserved { offset: at });
            }
            Ok(next)
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
    let format = time::macros::format_description!("[year]-[month]-[day]");
    time::Date::parse(text, &format).ok()
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

    proptest::proptest! {
        #[test]
        fn random_bytes_never_panic(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..256)) {
            let _ = decode(&bytes, 1 << 20);
        }
    }
}
