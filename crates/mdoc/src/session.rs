//! The session a presentation is bound to: SessionTranscript, DeviceAuthenticationBytes (what the
//! device signs or MACs) and the EMacKey of ISO 18013-5 §9.1.3.5.

use aws_lc_rs::{agreement, digest, hkdf};
use ciborium::Value;
use edl_pki::{Curve, PublicKey};

use edl_cbor::{Item, Writer};

use crate::document::DecodeError;

/// The largest SessionTranscript read (Annex D's, with NFC handover messages, is 582 bytes).
pub const MAX_SESSION_TRANSCRIPT_BYTES: usize = 64 * 1024;

/// A SessionTranscript, kept as the exact bytes the two sides agreed on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionTranscript {
    /// The encoded `[DeviceEngagementBytes / null, EReaderKeyBytes / null, Handover]`.
    inner: Vec<u8>,
}

impl SessionTranscript {
    /// Reads SessionTranscriptBytes (`#6.24(bstr .cbor SessionTranscript)`) or, when the input
    /// does not start with tag 24, a bare SessionTranscript array.
    pub fn from_bytes(bytes: &[u8]) -> Result<SessionTranscript, DecodeError> {
        let value = Item::decode(bytes, MAX_SESSION_TRANSCRIPT_BYTES)?;
        let inner = match value.as_tag() {
            Some((24, tagged)) => tagged.as_bytes().ok_or(DecodeError::NotTagged {
                what: "SessionTranscriptBytes",
            })?,
            _ => bytes,
        };
        let transcript = Item::decode(inner, MAX_SESSION_TRANSCRIPT_BYTES)?;
        match transcript.as_array() {
            Some(items) if items.len() == 3 => Ok(SessionTranscript {
                inner: inner.to_vec(),
            }),
            _ => Err(DecodeError::WrongType {
                structure: "SessionTranscript",
                field: "(array of 3)",
            }),
        }
    }

    /// The transcript of an OpenID4VP 1.0 presentation (Appendix B.2.6.1):
    /// `[null, null, ["OpenID4VPHandover", SHA-256(cbor([client_id, nonce, jwk_thumbprint / null,
    /// response_uri]))]]`. The platform's own online flows use it with a verifier-chosen nonce.
    pub fn openid4vp(
        client_id: &str,
        nonce: &str,
        jwk_thumbprint: Option<&[u8]>,
        response_uri: &str,
    ) -> SessionTranscript {
        let info = Value::Array(vec![
            Value::from(client_id),
            Value::from(nonce),
            jwk_thumbprint.map_or(Value::Null, |t| Value::Bytes(t.to_vec())),
            Value::from(response_uri),
        ]);
        let hash = digest::digest(&digest::SHA256, &edl_cbor::encode(&info));
        let transcript = Value::Array(vec![
            Value::Null,
            Value::Null,
            Value::Array(vec![
                Value::from("OpenID4VPHandover"),
                Value::Bytes(hash.as_ref().to_vec()),
            ]),
        ]);
        SessionTranscript {
            inner: edl_cbor::encode(&transcript),
        }
    }

    /// The encoded SessionTranscript.
    pub fn as_bytes(&self) -> &[u8] {
        &self.inner
    }

    /// SessionTranscriptBytes: the transcript wrapped in tag 24.
    pub fn tagged_bytes(&self) -> Vec<u8> {
        edl_cbor::encode(&edl_cbor::tag24(self.inner.clone()))
    }
}

/// `DeviceAuthenticationBytes = #6.24(bstr .cbor ["DeviceAuthentication", SessionTranscript,
/// DocType, DeviceNameSpacesBytes])`, assembled from the exact transcript and namespace bytes.
pub fn device_authentication_bytes(
    transcript: &SessionTranscript,
    doc_type: &str,
    device_namespaces_bytes: &[u8],
) -> Vec<u8> {
    let mut array = Writer::with_capacity(
        32 + transcript.inner.len() + doc_type.len() + device_namespaces_bytes.len(),
    );
    array
        .array(4)
        .text("DeviceAuthentication")
        .raw(&transcript.inner)
        .text(doc_type)
        .raw(device_namespaces_bytes);
    let mut tagged = Writer::with_capacity(array.len() + 11);
    tagged.tag24(array.as_bytes());
    tagged.into_bytes()
}

/// A reader's ephemeral private key (P-256 scalar), needed to check a `deviceMac`.
pub struct ReaderKey(agreement::PrivateKey);

impl std::fmt::Debug for ReaderKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ReaderKey(..)")
    }
}

/// Why a reader key cannot be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ReaderKeyError {
    /// Not a 32-byte P-256 private scalar.
    #[error("not a P-256 private key (32 bytes, in range)")]
    Invalid,
}

impl ReaderKey {
    /// Reads a big-endian P-256 private scalar.
    pub fn from_scalar(d: &[u8]) -> Result<ReaderKey, ReaderKeyError> {
        agreement::PrivateKey::from_private_key(&agreement::ECDH_P256, d)
            .map(ReaderKey)
            .map_err(|_| ReaderKeyError::Invalid)
    }
}

/// Why the EMacKey could not be derived.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum MacKeyError {
    /// The device key is not on P-256 (cipher suite 1).
    #[error("the device key is not a P-256 key")]
    NotP256,
    /// Key agreement failed.
    #[error("ECDH with the device key failed")]
    Agreement,
}

/// `EMacKey = HKDF-SHA256(ECDH(EReaderKey, SDeviceKey), salt = SHA-256(SessionTranscriptBytes),
/// info = "EMacKey", 32 bytes)`.
pub fn e_mac_key(
    reader: &ReaderKey,
    device_key: &PublicKey,
    transcript: &SessionTranscript,
) -> Result<[u8; 32], MacKeyError> {
    if device_key.curve() != Curve::P256 {
        return Err(MacKeyError::NotP256);
    }
    let peer = agreement::UnparsedPublicKey::new(&agreement::ECDH_P256, device_key.as_sec1());
    let salt_input = digest::digest(&digest::SHA256, &transcript.tagged_bytes());
    agreement::agree(&reader.0, peer, MacKeyError::Agreement, |shared| {
        let prk = hkdf::Salt::new(hkdf::HKDF_SHA256, salt_input.as_ref()).extract(shared);
        let mut key = [0u8; 32];
        prk.expand(&[b"EMacKey"], hkdf::HKDF_SHA256)
            .and_then(|okm| okm.fill(&mut key))
            .map_err(|_| MacKeyError::Agreement)?;
        Ok(key)
    })
}
