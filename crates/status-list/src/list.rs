//! The status bit array (draft-ietf-oauth-status-list §4): entry `i` sits in byte `i * bits / 8`,
//! starting from the least significant bits.

use std::io::{Read, Write};

use flate2::Compression;
use flate2::read::ZlibDecoder;
use flate2::write::ZlibEncoder;

/// The most entries a list may have: 2^27 (134 million), 32 MiB at 2 bits, beyond any issuer.
pub const MAX_ENTRIES: u64 = 1 << 27;

/// The status of one credential, as the platform uses the 2-bit values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CredentialStatus {
    /// 0x00: valid.
    Valid,
    /// 0x01: invalid (revoked, withdrawn or superseded; permanent).
    Invalid,
    /// 0x02: suspended (暂扣 and similar; may return to valid).
    Suspended,
    /// 0x03: application-specific; the platform does not write it, and verifiers treat it as not
    /// valid.
    ApplicationSpecific,
}

impl CredentialStatus {
    /// The 2-bit value.
    pub fn bits(self) -> u8 {
        match self {
            CredentialStatus::Valid => 0,
            CredentialStatus::Invalid => 1,
            CredentialStatus::Suspended => 2,
            CredentialStatus::ApplicationSpecific => 3,
        }
    }

    fn from_bits(bits: u8) -> CredentialStatus {
        match bits & 3 {
            0 => CredentialStatus::Valid,
            1 => CredentialStatus::Invalid,
            2 => CredentialStatus::Suspended,
            _ => CredentialStatus::ApplicationSpecific,
        }
    }

    /// A stable name for reports.
    pub fn as_str(self) -> &'static str {
        match self {
            CredentialStatus::Valid => "valid",
            CredentialStatus::Invalid => "invalid",
            CredentialStatus::Suspended => "suspended",
            CredentialStatus::ApplicationSpecific => "application_specific",
        }
    }
}

/// Why a status list cannot be made or read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum StatusListError {
    /// `bits` other than 1, 2, 4 or 8.
    #[error("{bits} bits per entry is not one of 1, 2, 4, 8")]
    UnsupportedBits {
        /// The value found.
        bits: u64,
    },
    /// More entries than [`MAX_ENTRIES`].
    #[error("{entries} entries is more than the {MAX_ENTRIES} allowed")]
    TooManyEntries {
        /// The size asked for or found.
        entries: u64,
    },
    /// An index beyond the list.
    #[error("index {index} is beyond the list's {len} entries")]
    IndexOutOfRange {
        /// The index.
        index: u64,
        /// The list's length.
        len: u64,
    },
    /// The compressed bytes are not zlib, or inflate beyond [`MAX_ENTRIES`].
    #[error("the compressed list does not inflate within {max_bytes} bytes")]
    Inflate {
        /// The cap on the inflated size.
        max_bytes: u64,
    },
}

/// A status list: `len` entries of `bits` bits each, all valid when made.
#[derive(Clone, PartialEq, Eq)]
pub struct StatusList {
    bits: u8,
    bytes: Vec<u8>,
}

impl std::fmt::Debug for StatusList {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StatusList")
            .field("bits", &self.bits)
            .field("entries", &self.len())
            .finish()
    }
}

impl StatusList {
    /// A list of at least `entries` valid entries (rounded up to whole bytes).
    pub fn new(bits: u8, entries: u64) -> Result<StatusList, StatusListError> {
        check_bits(u64::from(bits))?;
        if entries > MAX_ENTRIES {
            return Err(StatusListError::TooManyEntries { entries });
        }
        let bytes = (entries * u64::from(bits)).div_ceil(8);
        Ok(StatusList {
            bits,
            bytes: vec![0; bytes as usize],
        })
    }

    /// Bits per entry.
    pub fn bits(&self) -> u8 {
        self.bits
    }

    /// How many entries the list holds (whole bytes' worth).
    pub fn len(&self) -> u64 {
        self.bytes.len() as u64 * 8 / u64::from(self.bits)
    }

    /// True when the list holds no entry.
    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }

    fn position(&self, index: u64) -> Result<(usize, u32, u8), StatusListError> {
        if index >= self.len() {
            return Err(StatusListError::IndexOutOfRange {
                index,
                len: self.len(),
            });
        }
        let bit = index * u64::from(self.bits);
        let mask = if self.bits == 8 {
            0xff
        } else {
            (1u8 << self.bits) - 1
        };
        Ok(((bit / 8) as usize, (bit % 8) as u32, mask))
    }

    /// The raw value of entry `index`.
    pub fn value(&self, index: u64) -> Result<u8, StatusListError> {
        let (byte, shift, mask) = self.position(index)?;
        Ok((self.bytes[byte] >> shift) & mask)
    }

    /// The status of entry `index` (values above 3 in a wider list read as application-specific).
    pub fn get(&self, index: u64) -> Result<CredentialStatus, StatusListError> {
        let value = self.value(index)?;
        Ok(if value > 3 {
            CredentialStatus::ApplicationSpecific
        } else {
            CredentialStatus::from_bits(value)
        })
    }

    /// Sets entry `index`.
    pub fn set(&mut self, index: u64, status: CredentialStatus) -> Result<(), StatusListError> {
        let (byte, shift, mask) = self.position(index)?;
        let value = status.bits() & mask;
        self.bytes[byte] = (self.bytes[byte] & !(mask << shift)) | (value << shift);
        Ok(())
    }

    /// The zlib-compressed bytes (`lst`), at the best compression level.
    pub fn compress(&self) -> Vec<u8> {
        let mut encoder = ZlibEncoder::new(Vec::new(), Compression::best());
        // Writing into a Vec cannot fail.
        let _ = encoder.write_all(&self.bytes);
        encoder.finish().unwrap_or_default()
    }

    /// Reads `lst`: inflates at most [`MAX_ENTRIES`] entries' worth, never more.
    pub fn decompress(bits: u64, lst: &[u8]) -> Result<StatusList, StatusListError> {
        let bits = check_bits(bits)?;
        let max_bytes = MAX_ENTRIES * u64::from(bits) / 8;
        let mut bytes = Vec::new();
        ZlibDecoder::new(lst)
            .take(max_bytes + 1)
            .read_to_end(&mut bytes)
            .map_err(|_| StatusListError::Inflate { max_bytes })?;
        if bytes.len() as u64 > max_bytes {
            return Err(StatusListError::Inflate { max_bytes });
        }
        Ok(StatusList { bits, bytes })
    }
}

fn check_bits(bits: u64) -> Result<u8, StatusListError> {
    match bits {
        1 | 2 | 4 | 8 => Ok(bits as u8),
        _ => Err(StatusListError::UnsupportedBits { bits }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn entries_pack_from_the_least_significant_bits() {
        let mut list = StatusList::new(2, 8).unwrap();
        list.set(0, CredentialStatus::Invalid).unwrap();
        list.set(1, CredentialStatus::Suspended).unwrap();
        list.set(3, CredentialStatus::ApplicationSpecific).unwrap();
        list.set(5, CredentialStatus::Invalid).unwrap();
        // Byte 0: entries 0..4 = 01, 10, 00, 11 → 0b11_00_10_01.
        assert_eq!(list.bytes, vec![0b1100_1001, 0b0000_0100]);
        assert_eq!(list.get(1).unwrap(), CredentialStatus::Suspended);
        list.set(1, CredentialStatus::Valid).unwrap();
        assert_eq!(list.get(1).unwrap(), CredentialStatus::Valid);
        assert_eq!(list.get(0).unwrap(), CredentialStatus::Invalid);
        assert_eq!(
            list.get(8),
            Err(StatusListError::IndexOutOfRange { index: 8, len: 8 })
        );
    }

    #[test]
    fn the_draft_example_inflates_to_its_statuses() {
        // draft-ietf-oauth-status-list, the 1-bit example of the CWT section: lst h'78dadbb918000217015d'.
        let lst = [0x78, 0xda, 0xdb, 0xb9, 0x18, 0x00, 0x02, 0x17, 0x01, 0x5d];
        let list = StatusList::decompress(1, &lst).unwrap();
        assert_eq!(list.bytes, vec![0xb9, 0xa3]);
        let values: Vec<u8> = (0..16).map(|i| list.value(i).unwrap()).collect();
        assert_eq!(values, [1, 0, 0, 1, 1, 1, 0, 1, 1, 1, 0, 0, 0, 1, 0, 1]);
    }

    #[test]
    fn bad_lists_are_refused_with_their_reason() {
        assert_eq!(
            StatusList::new(3, 8),
            Err(StatusListError::UnsupportedBits { bits: 3 })
        );
        assert_eq!(
            StatusList::new(2, MAX_ENTRIES + 1),
            Err(StatusListError::TooManyEntries {
                entries: MAX_ENTRIES + 1
            })
        );
        assert!(matches!(
            StatusList::decompress(2, b"not zlib"),
            Err(StatusListError::Inflate { .. })
        ));
        // A zlib bomb: 40 MiB of zeros is more than 2^27 entries of 2 bits.
        let bomb = StatusList {
            bits: 8,
            bytes: vec![0; 40 << 20],
        }
        .compress();
        assert!(bomb.len() < 100_000);
        assert_eq!(
            StatusList::decompress(2, &bomb),
            Err(StatusListError::Inflate {
                max_bytes: 32 << 20
            })
        );
    }

    proptest! {
        #[test]
        fn set_then_get_and_compress_round_trip(
            sets in proptest::collection::vec((0u64..1000, 0u8..3), 0..64)
        ) {
            let mut list = StatusList::new(2, 1000).unwrap();
            let mut expected = vec![CredentialStatus::Valid; 1000];
            for (i, s) in sets {
                let s = CredentialStatus::from_bits(s);
                list.set(i, s).unwrap();
                expected[i as usize] = s;
            }
            let back = StatusList::decompress(2, &list.compress()).unwrap();
            for (i, s) in expected.iter().enumerate() {
                prop_assert_eq!(back.get(i as u64).unwrap(), *s);
            }
        }

        #[test]
        fn random_input_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
            let _ = StatusList::decompress(2, &bytes);
        }
    }
}
