//! The `Signer` trait (a private key that signs and never leaves its home) and the in-memory
//! aws-lc-rs implementation.

use std::fmt;

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, KeyPair};
use zeroize::Zeroizing;

use crate::key::{Curve, PublicKey, SignatureAlgorithm};

/// A private key that signs on request.
///
/// The key itself stays behind the trait: an implementation may hold it in memory
/// ([`InMemorySigner`]), load it from an encrypted file ([`crate::FileSigner`]) or, later, keep it in
/// an HSM behind PKCS#11. Certificates, trust lists and (in other crates) MSOs are signed through
/// this trait only, so every one of them works with every key store.
///
/// Signatures are in the COSE form: `r || s`, each left-padded to the curve size (64 bytes for
/// ES256). Where X.509 needs the DER form this crate converts.
pub trait Signer: Send + Sync {
    /// The algorithm of the signatures [`Signer::sign`] returns.
    fn algorithm(&self) -> SignatureAlgorithm;

    /// The public half of the key.
    fn public_key(&self) -> PublicKey;

    /// Signs `message` (the hash is part of the algorithm; pass the whole message).
    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, SignError>;
}

/// Why a [`Signer`] could not sign.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SignError {
    /// The key is not reachable right now (a device is absent, a session closed); retrying later
    /// may work. Not the caller's fault.
    #[error("the signing key is unavailable: {reason}")]
    Unavailable {
        /// What is missing.
        reason: &'static str,
    },
    /// The crypto backend failed; a bug or a broken environment.
    #[error("the signing backend failed: {reason}")]
    Backend {
        /// Which operation failed.
        reason: &'static str,
    },
}

/// Why key material could not be made or read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    /// The bytes are not a PKCS#8 private key for ECDSA P-256 (another algorithm or curve, or not
    /// PKCS#8 at all).
    #[error("not a PKCS#8 ECDSA P-256 private key")]
    NotP256Pkcs8,
    /// The random generator or the crypto backend failed.
    #[error("the crypto backend failed to {operation}")]
    Backend {
        /// What it was doing.
        operation: &'static str,
    },
}

/// An ECDSA P-256 key held in process memory by aws-lc-rs.
///
/// There is deliberately no `Clone`, no `Serialize` and no `Debug` that shows the key: `Debug`
/// prints the public key's identifier only. The key leaves memory only encrypted, through
/// [`crate::FileSigner`]. aws-lc frees (and cleanses) the key when this value is dropped.
pub struct InMemorySigner {
    key_pair: EcdsaKeyPair,
    public_key: PublicKey,
}

impl InMemorySigner {
    /// Generates a new random key.
    pub fn generate() -> Result<InMemorySigner, KeyError> {
        let key_pair = EcdsaKeyPair::generate(&ECDSA_P256_SHA256_FIXED_SIGNING).map_err(|_| {
            KeyError::Backend {
                operation: "generate a key",
            }
        })?;
        InMemorySigner::from_key_pair(key_pair)
    }

    /// Reads an unencrypted PKCS#8 (RFC 5958 v1 or v2) P-256 private key.
    ///
    /// Unencrypted key bytes should exist only transiently (decrypted from a key file, or in a test);
    /// the caller should hold them in a `Zeroizing` buffer.
    pub fn from_pkcs8_der(der: &[u8]) -> Result<InMemorySigner, KeyError> {
        let key_pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, der)
            .map_err(|_| KeyError::NotP256Pkcs8)?;
        InMemorySigner::from_key_pair(key_pair)
    }

    fn from_key_pair(key_pair: EcdsaKeyPair) -> Result<InMemorySigner, KeyError> {
        let public_key = PublicKey::from_sec1(Curve::P256, key_pair.public_key().as_ref())
            .map_err(|_| KeyError::Backend {
                operation: "read its own public key",
            })?;
        Ok(InMemorySigner {
            key_pair,
            public_key,
        })
    }

    /// The key as unencrypted PKCS#8 v1, for encryption by the key file module only.
    pub(crate) fn to_pkcs8_der(&self) -> Result<Zeroizing<Vec<u8>>, KeyError> {
        let doc = self.key_pair.to_pkcs8v1().map_err(|_| KeyError::Backend {
            operation: "export the key",
        })?;
        // `doc` zeroizes itself on drop; the copy is zeroized by `Zeroizing`.
        Ok(Zeroizing::new(doc.as_ref().to_vec()))
    }
}

impl Signer for InMemorySigner {
    fn algorithm(&self) -> SignatureAlgorithm {
        SignatureAlgorithm::Es256
    }

    fn public_key(&self) -> PublicKey {
        self.public_key.clone()
    }

    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, SignError> {
        let signature = self
            .key_pair
            .sign(&SystemRandom::new(), message)
            .map_err(|_| SignError::Backend {
                reason: "ECDSA sign",
            })?;
        Ok(signature.as_ref().to_vec())
    }
}

impl fmt::Debug for InMemorySigner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("InMemorySigner")
            .field("algorithm", &SignatureAlgorithm::Es256)
            .field("public_key", &self.public_key)
            .field("private_key", &"<redacted>")
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_are_raw_r_s_and_verify_with_the_public_key() {
        let signer = InMemorySigner::generate().unwrap();
        let signature = signer.sign(b"message").unwrap();
        assert_eq!(signature.len(), SignatureAlgorithm::Es256.signature_len());
        let public_key = signer.public_key();
        assert_eq!(public_key.verify(b"message", &signature), Ok(()));
        assert!(public_key.verify(b"messagE", &signature).is_err());
    }

    #[test]
    fn pkcs8_round_trip_keeps_the_key() {
        let signer = InMemorySigner::generate().unwrap();
        let der = signer.to_pkcs8_der().unwrap();
        let again = InMemorySigner::from_pkcs8_der(&der).unwrap();
        assert_eq!(again.public_key(), signer.public_key());
        assert_eq!(
            InMemorySigner::from_pkcs8_der(b"not a key").err(),
            Some(KeyError::NotP256Pkcs8)
        );
    }

    #[test]
    fn debug_shows_no_private_key() {
        let signer = InMemorySigner::generate().unwrap();
        let der = signer.to_pkcs8_der().unwrap();
        let shown = format!("{signer:?}");
        assert!(shown.contains("<redacted>"), "{shown}");
        // The private scalar follows `02 01 01 04 20` (version 1, OCTET STRING of 32 bytes) in the
        // ECPrivateKey inside the PKCS#8; no 8-byte run of it may appear in hex.
        let at = der
            .windows(5)
            .position(|w| w == [0x02, 0x01, 0x01, 0x04, 0x20])
            .unwrap();
        let scalar = &der[at + 5..at + 5 + 32];
        let hex: String = scalar.iter().map(|b| format!("{b:02x}")).collect();
        for window in hex.as_bytes().windows(16) {
            let needle = std::str::from_utf8(window).unwrap();
            assert!(!shown.to_lowercase().contains(needle), "{shown}");
        }
    }
}
