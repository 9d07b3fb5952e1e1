//! Base45 (RFC 9285): bytes as the 45 characters of the QR alphanumeric mode, two bytes to three
//! characters, so a QR code holds the text in its densest text mode.

/// The alphabet, in value order.
const ALPHABET: &[u8; 45] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:";

/// Why a text is not Base45.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Base45Error {
    /// A character outside the alphabet.
    #[error("character {position} is not in the Base45 alphabet")]
    BadCharacter {
        /// Its position (0-based) in the text.
        position: usize,
    },
    /// The length leaves one character over (a valid text is 3k or 3k + 2 characters long).
    #[error("a Base45 text cannot be {len} characters long")]
    BadLength {
        /// The length.
        len: usize,
    },
    /// A group encodes a value too large for its bytes (e.g. `GGW` = 65536).
    #[error("the group at character {position} encodes more than its bytes can hold")]
    Overflow {
        /// Where the group starts.
        position: usize,
    },
}

/// Encodes `bytes`.
pub fn encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(2) * 3);
    for pair in bytes.chunks(2) {
        let (mut n, digits) = match *pair {
            [a, b] => (usize::from(a) * 256 + usize::from(b), 3),
            [a] => (usize::from(a), 2),
            _ => unreachable!("chunks(2) yields one or two bytes"),
        };
        for _ in 0..digits {
            out.push(char::from(ALPHABET[n % 45]));
            n /= 45;
        }
    }
    out
}

/// Each byte's value in the alphabet, `NONE` for the bytes outside it.
const VALUES: [u8; 256] = {
    let mut values = [NONE; 256];
    let mut i = 0;
    while i < ALPHABET.len() {
        values[ALPHABET[i] as usize] = i as u8;
        i += 1;
    }
    values
};
const NONE: u8 = 0xff;

fn value(c: u8) -> Option<usize> {
    match VALUES[usize::from(c)] {
        NONE => None,
        v => Some(usize::from(v)),
    }
}

/// Decodes a Base45 text; every character, the length and every group's range are checked.
pub fn decode(text: &str) -> Result<Vec<u8>, Base45Error> {
    let chars = text.as_bytes();
    if chars.len() % 3 == 1 {
        return Err(Base45Error::BadLength { len: chars.len() });
    }
    let mut out = Vec::with_capacity(chars.len() / 3 * 2 + 1);
    for (group, chunk) in chars.chunks(3).enumerate() {
        let start = group * 3;
        let mut n = 0usize;
        let mut weight = 1usize;
        for (i, &c) in chunk.iter().enumerate() {
            let v = value(c).ok_or(Base45Error::BadCharacter {
                position: start + i,
            })?;
            n += v * weight;
            weight *= 45;
        }
        if chunk.len() == 3 {
            let pair = u16::try_from(n).map_err(|_| Base45Error::Overflow { position: start })?;
            out.extend_from_slice(&pair.to_be_bytes());
        } else {
            let byte = u8::try_from(n).map_err(|_| Base45Error::Overflow { position: start })?;
            out.push(byte);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn rfc_9285_examples() {
        // RFC 9285 §4.3 and §4.4.
        assert_eq!(encode(b"AB"), "BB8");
        assert_eq!(encode(b"Hello!!"), "%69 VD92EX0");
        assert_eq!(encode(b"base-45"), "UJCLQE7W581");
        assert_eq!(encode(b"ietf!"), "QED8WEX0");
        assert_eq!(decode("QED8WEX0").unwrap(), b"ietf!");
        assert_eq!(decode("%69 VD92EX0").unwrap(), b"Hello!!");
        assert_eq!(encode(b""), "");
        assert_eq!(decode("").unwrap(), b"");
    }

    #[test]
    fn bad_texts_are_refused_with_where() {
        assert_eq!(decode("GGW"), Err(Base45Error::Overflow { position: 0 }));
        assert_eq!(decode("BB8:::"), Err(Base45Error::Overflow { position: 3 }));
        assert_eq!(decode("BB8a"), Err(Base45Error::BadLength { len: 4 }));
        assert_eq!(
            decode("BBa"),
            Err(Base45Error::BadCharacter { position: 2 })
        );
        assert_eq!(
            decode("中文"),
            Err(Base45Error::BadCharacter { position: 0 })
        );
        assert_eq!(
            decode("hc1"),
            Err(Base45Error::BadCharacter { position: 0 })
        );
        // A final pair above 255 is refused (":Z" would be 1619).
        assert_eq!(decode("BB8:Z"), Err(Base45Error::Overflow { position: 3 }));
    }

    proptest! {
        #[test]
        fn round_trip(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
            let text = encode(&bytes);
            prop_assert!(text.bytes().all(|c| ALPHABET.contains(&c)));
            prop_assert_eq!(text.len(), bytes.len() / 2 * 3 + (bytes.len() % 2) * 2);
            prop_assert_eq!(decode(&text).unwrap(), bytes);
        }

        #[test]
        fn any_text_decodes_or_is_refused(text in "\\PC{0,40}") {
            if let Ok(bytes) = decode(&text) {
                prop_assert_eq!(encode(&bytes), text);
            }
        }
    }
}
