//! [`Writer`]: CBOR written straight into a byte vector, every head in its shortest form (the form
//! [`crate::decode`] accepts and ciborium writes), without building a [`Value`] first.

use ciborium::Value;
use time::OffsetDateTime;

/// A CBOR encoder over a `Vec<u8>`. The caller writes a container's head with its count, then
/// exactly that many items (twice as many for a map: key, value, key, value …).
#[derive(Debug, Default, Clone)]
pub struct Writer {
    out: Vec<u8>,
}

impl Writer {
    /// An empty writer with room for `capacity` bytes.
    pub fn with_capacity(capacity: usize) -> Writer {
        Writer {
            out: Vec::with_capacity(capacity),
        }
    }

    /// The bytes written.
    pub fn into_bytes(self) -> Vec<u8> {
        self.out
    }

    /// The bytes written so far.
    pub fn as_bytes(&self) -> &[u8] {
        &self.out
    }

    /// How many bytes are written.
    pub fn len(&self) -> usize {
        self.out.len()
    }

    /// Forgets what was written, keeping the room.
    pub fn clear(&mut self) {
        self.out.clear();
    }

    /// Whether nothing is written yet.
    pub fn is_empty(&self) -> bool {
        self.out.is_empty()
    }

    /// A head: major type and argument, in the fewest bytes.
    pub fn head(&mut self, major: u8, argument: u64) -> &mut Writer {
        let major = major << 5;
        match argument {
            0..=23 => self.out.push(major | argument as u8),
            24..=0xff => self.out.extend_from_slice(&[major | 24, argument as u8]),
            0x100..=0xffff => {
                self.out.push(major | 25);
                self.out.extend_from_slice(&(argument as u16).to_be_bytes());
            }
            0x1_0000..=0xffff_ffff => {
                self.out.push(major | 26);
                self.out.extend_from_slice(&(argument as u32).to_be_bytes());
            }
            _ => {
                self.out.push(major | 27);
                self.out.extend_from_slice(&argument.to_be_bytes());
            }
        }
        self
    }

    /// An unsigned integer.
    pub fn uint(&mut self, n: u64) -> &mut Writer {
        self.head(0, n)
    }

    /// A signed integer.
    pub fn int(&mut self, n: i64) -> &mut Writer {
        match u64::try_from(n) {
            Ok(n) => self.head(0, n),
            // -1 - n for negative n is in 0..=i64::MAX.
            Err(_) => self.head(1, (-1 - n) as u64),
        }
    }

    /// A byte string.
    pub fn bytes(&mut self, bytes: &[u8]) -> &mut Writer {
        self.head(2, bytes.len() as u64);
        self.out.extend_from_slice(bytes);
        self
    }

    /// A text string.
    pub fn text(&mut self, text: &str) -> &mut Writer {
        self.head(3, text.len() as u64);
        self.out.extend_from_slice(text.as_bytes());
        self
    }

    /// The head of an array of `len` items.
    pub fn array(&mut self, len: usize) -> &mut Writer {
        self.head(4, len as u64)
    }

    /// The head of a map of `len` entries.
    pub fn map(&mut self, len: usize) -> &mut Writer {
        self.head(5, len as u64)
    }

    /// A tag; the tagged item follows.
    pub fn tag(&mut self, tag: u64) -> &mut Writer {
        self.head(6, tag)
    }

    /// `false` or `true`.
    pub fn bool(&mut self, b: bool) -> &mut Writer {
        self.out.push(if b { 0xf5 } else { 0xf4 });
        self
    }

    /// `null`.
    pub fn null(&mut self) -> &mut Writer {
        self.out.push(0xf6);
        self
    }

    /// An item already encoded, copied as it is.
    pub fn raw(&mut self, encoded: &[u8]) -> &mut Writer {
        self.out.extend_from_slice(encoded);
        self
    }

    /// `#6.24(bstr)` around `encoded`.
    pub fn tag24(&mut self, encoded: &[u8]) -> &mut Writer {
        self.tag(24).bytes(encoded)
    }

    /// A [`Value`], as [`crate::encode`] writes it (floats and integers beyond 64 bits through
    /// ciborium itself, the rest directly).
    pub fn value(&mut self, value: &Value) -> &mut Writer {
        match value {
            Value::Integer(i) => {
                let n = i128::from(*i);
                match (u64::try_from(n), u64::try_from(-1 - n)) {
                    (Ok(n), _) => self.head(0, n),
                    (_, Ok(m)) => self.head(1, m),
                    _ => self.ciborium(value),
                }
            }
            Value::Bytes(b) => self.bytes(b),
            Value::Text(t) => self.text(t),
            Value::Array(items) => {
                self.array(items.len());
                for item in items {
                    self.value(item);
                }
                self
            }
            Value::Map(entries) => {
                self.map(entries.len());
                for (k, v) in entries {
                    self.value(k).value(v);
                }
                self
            }
            Value::Tag(tag, inner) => self.tag(*tag).value(inner),
            Value::Bool(b) => self.bool(*b),
            Value::Null => self.null(),
            _ => self.ciborium(value),
        }
    }

    /// A value through ciborium's encoder.
    fn ciborium(&mut self, value: &Value) -> &mut Writer {
        // ciborium only fails on writer errors; a Vec never fails.
        let _ = ciborium::into_writer(value, &mut self.out);
        self
    }

    /// A `tdate`, as [`crate::tdate`] gives it.
    pub fn tdate(&mut self, t: OffsetDateTime) -> &mut Writer {
        let t = t.to_offset(time::UtcOffset::UTC);
        let date = t.date();
        if !(0..=9999).contains(&date.year()) {
            return self.value(&crate::tdate(t));
        }
        let mut text = [0u8; 20];
        write_date(&mut text[..10], date);
        text[10] = b'T';
        write_2(&mut text[11..13], t.hour());
        text[13] = b':';
        write_2(&mut text[14..16], t.minute());
        text[16] = b':';
        write_2(&mut text[17..19], t.second());
        text[19] = b'Z';
        self.tag(0).head(3, 20);
        self.out.extend_from_slice(&text);
        self
    }

    /// A `full-date`, as [`crate::full_date`] gives it.
    pub fn full_date(&mut self, date: time::Date) -> &mut Writer {
        if !(0..=9999).contains(&date.year()) {
            return self.value(&crate::full_date(date));
        }
        let mut text = [0u8; 10];
        write_date(&mut text, date);
        self.tag(1004).head(3, 10);
        self.out.extend_from_slice(&text);
        self
    }
}

/// How many bytes the head of an item with this argument takes.
pub fn head_len(argument: u64) -> usize {
    match argument {
        0..=23 => 1,
        24..=0xff => 2,
        0x100..=0xffff => 3,
        0x1_0000..=0xffff_ffff => 5,
        _ => 9,
    }
}

/// Two decimal digits.
fn write_2(out: &mut [u8], n: u8) {
    out[0] = b'0' + n / 10 % 10;
    out[1] = b'0' + n % 10;
}

/// `YYYY-MM-DD` for a year in 0..=9999.
fn write_date(out: &mut [u8], date: time::Date) {
    let year = date.year().clamp(0, 9999) as u16;
    write_2(&mut out[0..2], (year / 100) as u8);
    write_2(&mut out[2..4], (year % 100) as u8);
    out[4] = b'-';
    write_2(&mut out[5..7], u8::from(date.month()));
    out[7] = b'-';
    write_2(&mut out[8..10], date.day());
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{encode, full_date, tdate};

    #[test]
    fn heads_are_what_ciborium_writes() {
        for n in [
            0u64,
            23,
            24,
            255,
            256,
            65535,
            65536,
            u32::MAX as u64,
            u32::MAX as u64 + 1,
            u64::MAX,
        ] {
            let mut w = Writer::default();
            w.uint(n);
            assert_eq!(w.as_bytes(), encode(&Value::from(n)), "{n}");
        }
        for n in [-1i64, -24, -25, -256, -257, i64::MIN, 0, 7, i64::MAX] {
            let mut w = Writer::default();
            w.int(n);
            assert_eq!(w.as_bytes(), encode(&Value::from(n)), "{n}");
        }
        let mut w = Writer::default();
        w.map(3)
            .text("长期")
            .bytes(&[7; 300])
            .text("a")
            .array(2)
            .bool(true)
            .null()
            .uint(1)
            .tag24(&[0xa0]);
        let value = Value::Map(vec![
            (Value::from("长期"), Value::Bytes(vec![7; 300])),
            (
                Value::from("a"),
                Value::Array(vec![Value::Bool(true), Value::Null]),
            ),
            (Value::from(1), crate::tag24(vec![0xa0])),
        ]);
        assert_eq!(w.into_bytes(), encode(&value));
    }

    #[test]
    fn dates_are_what_the_value_forms_encode_to() {
        for t in [
            time::macros::datetime!(2020-10-01 13:30:02 UTC),
            time::macros::datetime!(2026-03-01 02:00:00.75 UTC),
            time::macros::datetime!(0000-01-01 00:00 UTC),
            time::macros::datetime!(9999-12-31 23:59:59 UTC),
            time::macros::datetime!(2026-03-01 10:00 +08:00),
        ] {
            let mut w = Writer::default();
            w.tdate(t);
            assert_eq!(w.as_bytes(), encode(&tdate(t)), "{t}");
        }
        for d in [
            time::macros::date!(2019 - 10 - 20),
            time::macros::date!(0001 - 01 - 01),
            time::macros::date!(9999 - 12 - 31),
            time::Date::from_calendar_date(-5, time::Month::May, 1).unwrap(),
        ] {
            let mut w = Writer::default();
            w.full_date(d);
            assert_eq!(w.as_bytes(), encode(&full_date(d)), "{d}");
        }
    }
}
