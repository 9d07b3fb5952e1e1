//! Streaming SHA-256 of a whole file, used to recognise a file that was already imported.

use std::io::{self, Read};

use sha2::{Digest, Sha256};

/// The SHA-256 of everything `reader` yields, read in fixed-size chunks (constant memory).
pub fn file_sha256<R: Read>(mut reader: R) -> io::Result<[u8; 32]> {
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        match reader.read(&mut buf) {
            Ok(0) => return Ok(hasher.finalize().into()),
            Ok(n) => hasher.update(&buf[..n]),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_known_digests() {
        let empty = file_sha256(io::empty()).expect("reading nothing cannot fail");
        assert_eq!(
            empty[..4],
            [0xe3, 0xb0, 0xc4, 0x42],
            "SHA-256 of the empty string starts e3b0c442"
        );
        let abc = file_sha256(&b"abc"[..]).expect("reading a slice cannot fail");
        assert_eq!(abc[..4], [0xba, 0x78, 0x16, 0xbf]);
    }

    #[test]
    fn chunking_does_not_change_the_digest() {
        let data: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
        let whole = Sha256::digest(&data);
        let streamed = file_sha256(&data[..]).expect("reading a slice cannot fail");
        assert_eq!(streamed[..], whole[..]);
    }
}
