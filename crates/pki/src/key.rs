//! Public keys, key identifiers and the signature algorithms this crate speaks.

use std::fmt;

use aws_lc_rs::digest;
use aws_lc_rs::signature::{self, ParsedPublicKey, VerificationAlgorithm};

/// A signature algorithm a [`crate::Signer`] produces, named as COSE names it.
///
/// Only ES256 (ECDSA on P-256 with SHA-256) is produced by this platform; the verification side
/// (certificates from other issuers) also accepts P-384 and P-521, see [`Curve`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SignatureAlgorithm {
    /// ECDSA with P-256 and SHA-256; COSE algorithm -7, signatures are `r || s`, 64 bytes.
    Es256,
}

impl SignatureAlgorithm {
    /// The COSE algorithm identifier (RFC 9053).
    pub fn cose_algorithm(self) -> i64 {
        match self {
            SignatureAlgorithm::Es256 => -7,
        }
    }

    /// The length of a signature in the COSE form (`r || s`).
    pub fn signature_len(self) -> usize {
        match self {
            SignatureAlgorithm::Es256 => 64,
        }
    }

    /// The curve of the keys that make this signature.
    pub fn curve(self) -> Curve {
        match self {
            SignatureAlgorithm::Es256 => Curve::P256,
        }
    }
}

/// An elliptic curve a certificate key may use (ISO 18013-5 Annex B allows the NIST curves; the
/// Brainpool curves it also allows are not supported by the crypto library and are reported as
/// unsupported).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Curve {
    /// NIST P-256 (secp256r1, prime256v1).
    P256,
    /// NIST P-384 (secp384r1).
    P384,
    /// NIST P-521 (secp521r1).
    P521,
}

impl Curve {
    /// The length of an uncompressed SEC1 point on this curve.
    pub fn point_len(self) -> usize {
        match self {
            Curve::P256 => 65,
            Curve::P384 => 97,
            Curve::P521 => 133,
        }
    }

    /// The curve's object identifier in dotted form.
    pub(crate) fn from_oid(dotted: &str) -> Option<Curve> {
        match dotted {
            "1.2.840.10045.3.1.7" => Some(Curve::P256),
            "1.3.132.0.34" => Some(Curve::P384),
            "1.3.132.0.35" => Some(Curve::P521),
            _ => None,
        }
    }

    /// The verification algorithm for COSE (`r || s`) signatures made with this curve's usual hash.
    fn fixed_algorithm(self) -> &'static signature::EcdsaVerificationAlgorithm {
        match self {
            Curve::P256 => &signature::ECDSA_P256_SHA256_FIXED,
            Curve::P384 => &signature::ECDSA_P384_SHA384_FIXED,
            Curve::P521 => &signature::ECDSA_P521_SHA512_FIXED,
        }
    }
}

/// Why bytes are not a public key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PublicKeyError {
    /// The point has the wrong length for the curve, is compressed, or is not on the curve.
    #[error("not an uncompressed point on {curve:?}")]
    InvalidPoint {
        /// The curve it was read for.
        curve: Curve,
    },
}

/// An elliptic-curve public key: the curve and its uncompressed SEC1 point (`04 || x || y`).
///
/// The point is checked to be on the curve when the key is made, so verification never meets a
/// malformed key. Cheap to clone (the parsed key is shared).
#[derive(Clone)]
pub struct PublicKey {
    curve: Curve,
    point: Box<[u8]>,
    parsed: ParsedPublicKey,
}

impl PublicKey {
    /// Reads an uncompressed SEC1 point on `curve`.
    pub fn from_sec1(curve: Curve, point: &[u8]) -> Result<PublicKey, PublicKeyError> {
        if point.len() != curve.point_len() || point.first() != Some(&0x04) {
            return Err(PublicKeyError::InvalidPoint { curve });
        }
        let parsed = ParsedPublicKey::new(curve.fixed_algorithm(), point)
            .map_err(|_| PublicKeyError::InvalidPoint { curve })?;
        Ok(PublicKey {
            curve,
            point: point.into(),
            parsed,
        })
    }

    /// The curve.
    pub fn curve(&self) -> Curve {
        self.curve
    }

    /// The uncompressed SEC1 point, `04 || x || y`.
    pub fn as_sec1(&self) -> &[u8] {
        &self.point
    }

    /// The affine x coordinate (big-endian), as a COSE_Key carries it.
    pub fn x(&self) -> &[u8] {
        let n = (self.point.len() - 1) / 2;
        &self.point[1..=n]
    }

    /// The affine y coordinate (big-endian), as a COSE_Key carries it.
    pub fn y(&self) -> &[u8] {
        let n = (self.point.len() - 1) / 2;
        &self.point[1 + n..]
    }

    /// The key identifier this platform writes in certificates for this key: the leftmost 160 bits
    /// of SHA-256 over the point (RFC 7093 §2 method 1).
    pub fn key_identifier(&self) -> KeyIdentifier {
        // RFC 5280 §4.2.1.2 method 1: SHA-1 over the subjectPublicKey bit string's content (the
        // point). SHA-1 serves only as an identifier here; readers built on isomdl recompute the
        // identifier this way and refuse any other (docs/interop.md).
        let d = digest::digest(&digest::SHA1_FOR_LEGACY_USE_ONLY, &self.point);
        KeyIdentifier(d.as_ref().to_vec())
    }

    /// Verifies a COSE-form signature (`r || s`) over `message`, with the hash that goes with the
    /// curve (ES256 / ES384 / ES512).
    pub fn verify(&self, message: &[u8], signature: &[u8]) -> Result<(), SignatureInvalid> {
        self.parsed
            .verify_sig(message, signature)
            .map_err(|_| SignatureInvalid)
    }

    /// Verifies an ASN.1 DER signature with an explicit algorithm (certificate signatures).
    pub(crate) fn verify_asn1(
        &self,
        algorithm: &'static dyn VerificationAlgorithm,
        message: &[u8],
        signature: &[u8],
    ) -> Result<(), SignatureInvalid> {
        signature::UnparsedPublicKey::new(algorithm, &self.point[..])
            .verify(message, signature)
            .map_err(|_| SignatureInvalid)
    }
}

impl PartialEq for PublicKey {
    fn eq(&self, other: &PublicKey) -> bool {
        self.curve == other.curve && self.point == other.point
    }
}

impl Eq for PublicKey {}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PublicKey")
            .field("curve", &self.curve)
            .field("key_identifier", &self.key_identifier())
            .finish()
    }
}

/// A signature did not verify.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the signature does not verify")]
pub struct SignatureInvalid;

/// A key identifier as certificates carry it (subject / authority key identifier).
///
/// Certificates from other issuers may use any length or method, so this is just bytes; the ones
/// this platform makes are 20 bytes (see [`PublicKey::key_identifier`]).
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct KeyIdentifier(Vec<u8>);

impl KeyIdentifier {
    /// Wraps identifier bytes.
    pub fn new(bytes: Vec<u8>) -> KeyIdentifier {
        KeyIdentifier(bytes)
    }

    /// The bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }
}

impl fmt::Display for KeyIdentifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for b in &self.0 {
            write!(f, "{b:02x}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for KeyIdentifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "KeyIdentifier({self})")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn points_off_the_curve_or_of_the_wrong_shape_are_refused() {
        let mut point = [0u8; 65];
        point[0] = 4;
        assert_eq!(
            PublicKey::from_sec1(Curve::P256, &point),
            Err(PublicKeyError::InvalidPoint { curve: Curve::P256 })
        );
        assert!(PublicKey::from_sec1(Curve::P256, &point[..33]).is_err());
        assert!(PublicKey::from_sec1(Curve::P384, &point).is_err());
    }

    #[test]
    fn key_identifiers_print_as_hex() {
        let id = KeyIdentifier::new(vec![0x01, 0xab]);
        assert_eq!(id.to_string(), "01ab");
        assert_eq!(format!("{id:?}"), "KeyIdentifier(01ab)");
    }
}
