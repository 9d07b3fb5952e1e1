//! [`Item`]: a checked CBOR item read in place, without building a [`Value`] tree.
//!
//! [`Item::decode`] applies exactly the checks of [`crate::decode`] (size cap, definite lengths,
//! shortest heads, no duplicate keys, depth, no trailing bytes, only values ciborium models) and
//! then hands out the item as a view of the input: strings are borrowed, arrays and maps are walked
//! by count, every item knows its own raw bytes. The structures of ISO 18013-5 are read this way,
//! so what is hashed is the exact input and nothing is copied that is not kept.
//!
//! An `Item` can only come from a check (its field is private), so walking it never meets a
//! malformed head; the walk still reads through `get` and stops on anything unexpected rather
//! than panicking.

use ciborium::Value;

use crate::{CborError, check};

/// One well-formed CBOR item, borrowed from the bytes it was checked in.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Item<'a> {
    raw: &'a [u8],
}

impl std::fmt::Debug for Item<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The bytes may be personal data: only their length is shown.
        write!(f, "Item({} bytes)", self.raw.len())
    }
}

/// The head of an item: major type, argument, where the content starts.
#[derive(Clone, Copy)]
struct Head {
    major: u8,
    info: u8,
    argument: u64,
    content: usize,
}

/// Reads the head at `at` of bytes already checked; `None` if they are not (never, in practice).
#[inline]
fn read_head(bytes: &[u8], at: usize) -> Option<Head> {
    let initial = *bytes.get(at)?;
    let major = initial >> 5;
    let info = initial & 0x1f;
    let start = at + 1;
    let (argument, content) = match info {
        0..=23 => (u64::from(info), start),
        24 => (u64::from(*bytes.get(start)?), start + 1),
        25 => {
            let b = bytes.get(start..start + 2)?;
            (u64::from(u16::from_be_bytes([b[0], b[1]])), start + 2)
        }
        26 => {
            let b: [u8; 4] = bytes.get(start..start + 4)?.try_into().ok()?;
            (u64::from(u32::from_be_bytes(b)), start + 4)
        }
        27 => {
            let b: [u8; 8] = bytes.get(start..start + 8)?.try_into().ok()?;
            (u64::from_be_bytes(b), start + 8)
        }
        _ => return None,
    };
    Some(Head {
        major,
        info,
        argument,
        content,
    })
}

/// The offset just after the item at `at` in bytes already checked (iterative: no recursion).
fn skip(bytes: &[u8], mut at: usize) -> Option<usize> {
    let mut pending: u64 = 1;
    while pending > 0 {
        let head = read_head(bytes, at)?;
        pending -= 1;
        at = match head.major {
            2 | 3 => head
                .content
                .checked_add(usize::try_from(head.argument).ok()?)?,
            4 => {
                pending = pending.checked_add(head.argument)?;
                head.content
            }
            5 => {
                pending = pending.checked_add(head.argument.checked_mul(2)?)?;
                head.content
            }
            6 => {
                pending = pending.checked_add(1)?;
                head.content
            }
            _ => head.content,
        };
        if at > bytes.len() {
            return None;
        }
    }
    Some(at)
}

impl<'a> Item<'a> {
    /// Checks `bytes` as [`crate::decode`] does (same errors, same order) and gives the item they
    /// hold, without decoding it.
    pub fn decode(bytes: &'a [u8], max: usize) -> Result<Item<'a>, CborError> {
        check(bytes, max)?;
        Ok(Item { raw: bytes })
    }

    /// The item's encoding, exactly as received.
    pub fn raw(&self) -> &'a [u8] {
        self.raw
    }

    #[inline]
    fn head(&self) -> Option<Head> {
        read_head(self.raw, 0)
    }

    /// The content of a string item of major type `major`.
    #[inline]
    fn string(&self, major: u8) -> Option<&'a [u8]> {
        let head = self.head()?;
        if head.major != major {
            return None;
        }
        self.raw.get(head.content..)
    }

    /// An unsigned integer (major type 0).
    pub fn as_u64(&self) -> Option<u64> {
        self.head().filter(|h| h.major == 0).map(|h| h.argument)
    }

    /// An integer (major type 0 or 1) that fits an `i64`.
    pub fn as_i64(&self) -> Option<i64> {
        let head = self.head()?;
        let n = i64::try_from(head.argument).ok()?;
        match head.major {
            0 => Some(n),
            1 => Some(-1 - n),
            _ => None,
        }
    }

    /// An integer as [`crate::decode`] reads it into a [`Value::Integer`]: major types 0 and 1,
    /// and the bignums (tags 2 and 3) that ciborium reads as integers, those whose value fits a
    /// `u64` or an `i64` (those go through ciborium itself, so the two readers agree).
    pub fn as_integer(&self) -> Option<i128> {
        let head = self.head()?;
        match head.major {
            0 => Some(i128::from(head.argument)),
            1 => Some(-1 - i128::from(head.argument)),
            6 if head.argument == 2 || head.argument == 3 => {
                self.to_value().ok()?.as_integer().map(i128::from)
            }
            _ => None,
        }
    }

    /// A boolean (`false` or `true`).
    pub fn as_bool(&self) -> Option<bool> {
        match self.raw.first() {
            Some(0xf4) => Some(false),
            Some(0xf5) => Some(true),
            _ => None,
        }
    }

    /// A byte string's content.
    pub fn as_bytes(&self) -> Option<&'a [u8]> {
        self.string(2)
    }

    /// A text string's content.
    pub fn as_text(&self) -> Option<&'a str> {
        // Checked as UTF-8 already; checked again because no unsafe code is allowed here.
        std::str::from_utf8(self.string(3)?).ok()
    }

    /// Whether the text string equals `text` (no UTF-8 check needed to compare).
    pub fn is_text(&self, text: &str) -> bool {
        self.string(3) == Some(text.as_bytes())
    }

    /// A tag and the item it wraps.
    pub fn as_tag(&self) -> Option<(u64, Item<'a>)> {
        let head = self.head().filter(|h| h.major == 6)?;
        let raw = self.raw.get(head.content..)?;
        Some((head.argument, Item { raw }))
    }

    /// The item under tag `tag`.
    pub fn tagged(&self, tag: u64) -> Option<Item<'a>> {
        self.as_tag().filter(|(t, _)| *t == tag).map(|(_, i)| i)
    }

    /// `null` (or `undefined`, which ciborium reads as null too).
    pub fn is_null(&self) -> bool {
        matches!(self.raw.first(), Some(0xf6 | 0xf7))
    }

    /// The elements of an array.
    pub fn as_array(&self) -> Option<Items<'a>> {
        let head = self.head().filter(|h| h.major == 4)?;
        Some(Items {
            rest: self.raw.get(head.content..)?,
            remaining: head.argument,
        })
    }

    /// The entries of a map, in the order received (keys are known to be distinct).
    pub fn as_map(&self) -> Option<Entries<'a>> {
        let head = self.head().filter(|h| h.major == 5)?;
        Some(Entries(Items {
            rest: self.raw.get(head.content..)?,
            remaining: head.argument.saturating_mul(2),
        }))
    }

    /// The value under text key `key`, if this is a map that has it.
    pub fn get(&self, key: &str) -> Option<Item<'a>> {
        self.as_map()?.find(|(k, _)| k.is_text(key)).map(|(_, v)| v)
    }

    /// The value as ciborium decodes it (the same [`Value`] [`crate::decode`] gives for these
    /// bytes). Built directly; floats and bignum tags (2, 3) go through ciborium itself.
    pub fn to_value(&self) -> Result<Value, CborError> {
        let malformed = CborError::Reserved { offset: 0 };
        let head = self.head().ok_or(malformed)?;
        Ok(match head.major {
            0 => Value::from(head.argument),
            1 => Value::from(-1 - i128::from(head.argument)),
            2 => Value::Bytes(self.as_bytes().ok_or(malformed)?.to_vec()),
            3 => Value::Text(self.as_text().ok_or(malformed)?.to_owned()),
            4 => {
                let items = self.as_array().ok_or(malformed)?;
                let mut out = Vec::with_capacity(items.len());
                for item in items {
                    out.push(item.to_value()?);
                }
                Value::Array(out)
            }
            5 => {
                let entries = self.as_map().ok_or(malformed)?;
                let mut out = Vec::with_capacity(entries.len());
                for (k, v) in entries {
                    out.push((k.to_value()?, v.to_value()?));
                }
                Value::Map(out)
            }
            6 if head.argument != 2 && head.argument != 3 => {
                let (tag, inner) = self.as_tag().ok_or(malformed)?;
                Value::Tag(tag, Box::new(inner.to_value()?))
            }
            7 if head.info == 20 => Value::Bool(false),
            7 if head.info == 21 => Value::Bool(true),
            7 if head.info == 22 || head.info == 23 => Value::Null,
            _ => {
                let mut scratch = [0u8; 64];
                ciborium::de::from_reader_with_buffer(self.raw, &mut scratch)
                    .map_err(|_| malformed)?
            }
        })
    }
}

/// The elements of an array (or the keys and values of a map, alternately), in order.
#[derive(Clone, Copy, Debug)]
pub struct Items<'a> {
    rest: &'a [u8],
    remaining: u64,
}

impl<'a> Iterator for Items<'a> {
    type Item = Item<'a>;

    #[inline]
    fn next(&mut self) -> Option<Item<'a>> {
        if self.remaining == 0 {
            return None;
        }
        let end = skip(self.rest, 0);
        let Some((raw, rest)) = end.and_then(|end| self.rest.split_at_checked(end)) else {
            // Only possible for unchecked bytes: stop rather than panic.
            self.remaining = 0;
            return None;
        };
        self.remaining -= 1;
        self.rest = rest;
        Some(Item { raw })
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let n = usize::try_from(self.remaining).unwrap_or(usize::MAX);
        // Every element takes at least one byte.
        (n.min(self.rest.len()), Some(n))
    }
}

impl Items<'_> {
    /// How many elements are left.
    pub fn len(&self) -> usize {
        usize::try_from(self.remaining)
            .unwrap_or(usize::MAX)
            .min(self.rest.len())
    }

    /// Whether no element is left.
    pub fn is_empty(&self) -> bool {
        self.remaining == 0
    }
}

/// The entries of a map, in order.
#[derive(Clone, Copy, Debug)]
pub struct Entries<'a>(Items<'a>);

impl<'a> Iterator for Entries<'a> {
    type Item = (Item<'a>, Item<'a>);

    #[inline]
    fn next(&mut self) -> Option<(Item<'a>, Item<'a>)> {
        let key = self.0.next()?;
        let value = self.0.next()?;
        Some((key, value))
    }
}

impl Entries<'_> {
    /// How many entries are left.
    pub fn len(&self) -> usize {
        self.0.len() / 2
    }

    /// Whether no entry is left.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{decode, encode};

    fn hex(hex: &str) -> Vec<u8> {
        (0..hex.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
            .collect()
    }

    #[test]
    fn an_item_is_read_in_place() {
        let value = Value::Map(vec![
            (
                Value::from("a"),
                Value::Array(vec![
                    Value::from(1),
                    Value::from(-2),
                    Value::Bytes(vec![1, 2]),
                ]),
            ),
            (Value::from("b"), Value::Tag(24, Box::new(Value::from("x")))),
            (Value::from("c"), Value::Null),
        ]);
        let bytes = encode(&value);
        let item = Item::decode(&bytes, 1024).unwrap();
        let a: Vec<Item<'_>> = item.get("a").unwrap().as_array().unwrap().collect();
        assert_eq!(a.len(), 3);
        assert_eq!(a[0].as_u64(), Some(1));
        assert_eq!(a[1].as_i64(), Some(-2));
        assert_eq!(a[1].as_u64(), None);
        assert_eq!(a[2].as_bytes(), Some(&[1u8, 2][..]));
        let b = item.get("b").unwrap();
        assert_eq!(b.tagged(24).unwrap().as_text(), Some("x"));
        assert_eq!(b.tagged(25), None);
        assert_eq!(
            b.raw(),
            &encode(&Value::Tag(24, Box::new(Value::from("x"))))[..]
        );
        assert!(item.get("c").unwrap().is_null());
        assert!(item.get("d").is_none());
        assert_eq!(item.as_map().unwrap().len(), 3);
        assert_eq!(item.to_value().unwrap(), value);
    }

    #[test]
    fn integers_and_booleans_match_what_ciborium_reads() {
        for h in [
            "00",
            "17",
            "1818",
            "1bffffffffffffffff",
            "20",
            "3b7fffffffffffffff",
            "3b8000000000000000",
            "3bffffffffffffffff",
            "c24101",
            "c240",
            "c2480000000000000001",
            "c248ffffffffffffffff",
            "c249010000000000000000",
            "c250000000000000000000000000000000ff",
            "c35000000000000000008000000000000000",
            "c25000000000000000010000000000000000",
            "c34101",
            "c3487fffffffffffffff",
            "c3488000000000000000",
            "c2420001",
            "c201",
            "c1187b",
            "d8184101",
            "4101",
            "6131",
            "f4",
            "f5",
            "f6",
            "f7",
            "f93c00",
            "80",
            "a0",
        ] {
            let bytes = hex(h);
            let value = decode(&bytes, 1024).unwrap();
            let item = Item::decode(&bytes, 1024).unwrap();
            assert_eq!(item.as_integer(), value.as_integer().map(i128::from), "{h}");
            assert_eq!(item.as_bool(), value.as_bool(), "{h}");
        }
    }

    #[test]
    fn values_match_what_ciborium_reads() {
        for h in [
            "00",
            "1bffffffffffffffff",
            "3bffffffffffffffff",
            "20",
            "f93c00",
            "fa3fc00000",
            "fb3ff0000000000000",
            "f4",
            "f5",
            "f6",
            "f7",
            "c24101",
            "c34101",
            "c250010000000000000000000000000000",
            "c2500000000000000000000000000000ff",
            "c3500000000000000000000000000000ff",
            "c2420001",
            "c25100000000000000000000000000000001",
            "c0781a323032302d31302d30315431333a33303a30322b30303a3030",
            "d81843010203",
            "f0",
            "f820",
            "a2616101616202",
            "8201a1616182f6f7",
        ] {
            let bytes = hex(h);
            match (decode(&bytes, 1024), Item::decode(&bytes, 1024)) {
                (Ok(value), Ok(item)) => assert_eq!(item.to_value().unwrap(), value, "{h}"),
                (Err(a), Err(b)) => assert_eq!(a, b, "{h}"),
                (a, b) => panic!("{h}: decode {a:?}, Item::decode {b:?}"),
            }
        }
    }
}
