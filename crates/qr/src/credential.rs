//! The compact credential: what the issuer signs for one purpose at claim time, beside the mdoc. A
//! COSE_Sign1 (ES256, the signer named by an 8-byte key identifier) over the claims: purpose,
//! device key, validity window, status index and the purpose's elements. Issued in three steps
//! (prepare → signature → complete) so that an HSM can sign.

use ciborium::Value;
use edl_cbor::{Item, Writer};
use edl_domain::Licence;
use edl_mdoc::Purpose;
use edl_pki::{CertificateDer, Curve, PublicKey, SignError, Signer};
use time::OffsetDateTime;

use crate::claims::{self, purpose_code};

/// COSE header label `kid`.
const KID: i64 = 4;
/// The protected header every credential carries: `{1: -7}`.
pub const PROTECTED: [u8; 3] = [0xa1, 0x01, 0x26];
/// Length of a signer key identifier.
pub const KID_LEN: usize = 8;
/// The largest credential accepted (a roadside credential is about 330 bytes).
pub const MAX_CREDENTIAL_BYTES: usize = 2048;

/// Claim keys.
mod key {
    pub(crate) const PURPOSE: u64 = 1;
    pub(crate) const DEVICE_KEY: u64 = 2;
    pub(crate) const VALID_FROM: u64 = 3;
    pub(crate) const VALID_UNTIL: u64 = 4;
    pub(crate) const STATUS_INDEX: u64 = 5;
    pub(crate) const ELEMENTS: u64 = 6;
}

/// The signer key identifier of a document-signer certificate: the first 8 bytes of SHA-256 over
/// its DER (as the EU DCC names its signers).
pub fn signer_kid(certificate: &CertificateDer) -> [u8; KID_LEN] {
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, certificate.as_bytes());
    let mut kid = [0u8; KID_LEN];
    kid.copy_from_slice(&digest.as_ref()[..KID_LEN]);
    kid
}

/// A P-256 public key in SEC1 compressed form (`02`/`03` ‖ x): 33 bytes instead of 65.
pub fn compress_point(key: &PublicKey) -> Option<[u8; 33]> {
    if key.curve() != Curve::P256 {
        return None;
    }
    let y = key.y();
    let mut out = [0u8; 33];
    out[0] = 0x02 | (y[31] & 1);
    out[1..].copy_from_slice(key.x());
    Some(out)
}

/// Why a credential was not issued.
#[derive(Debug, thiserror::Error)]
pub enum IssueError {
    /// The device key is not a P-256 key.
    #[error("the device key is not a P-256 key")]
    DeviceKeyCurve,
    /// The signer certificate is not valid at the signing time.
    #[error("the document signer certificate is not valid at the signing time")]
    SignerNotValid,
    /// The signature is not a 64-byte ES256 signature.
    #[error("the signature is {0} bytes, not the 64 of ES256")]
    SignatureLength(usize),
    /// The signer failed.
    #[error(transparent)]
    Sign(#[from] SignError),
}

/// What issuing one compact credential needs.
#[derive(Debug, Clone, Copy)]
pub struct CredentialRequest<'a> {
    /// The purpose it is for.
    pub purpose: Purpose,
    /// The holder's device key.
    pub device_key: &'a PublicKey,
    /// [`claims::portrait_digest`] of the holder's photo.
    pub portrait_digest: &'a [u8; 16],
    /// Start of validity (the signing time; whole seconds are kept).
    pub valid_from: OffsetDateTime,
    /// End of validity (the same window as the mdoc issued beside it).
    pub valid_until: OffsetDateTime,
    /// The credential's index in its issuer's status list (shared with the mdoc of the claim).
    pub status_index: Option<u64>,
    /// The document signer certificate that will sign.
    pub signer_certificate: &'a CertificateDer,
    /// Its validity.
    pub signer_not_before: OffsetDateTime,
    /// Its validity.
    pub signer_not_after: OffsetDateTime,
}

/// A credential ready for its signature.
#[derive(Debug, Clone)]
pub struct PreparedCredential {
    purpose: Purpose,
    kid: [u8; KID_LEN],
    payload: Vec<u8>,
    to_sign: Vec<u8>,
}

/// A signed compact credential: the COSE_Sign1 bytes the wallet keeps and puts in every QR.
#[derive(Clone, PartialEq, Eq)]
pub struct CompactCredential {
    bytes: Vec<u8>,
    purpose: Purpose,
}

impl std::fmt::Debug for CompactCredential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "CompactCredential({} bytes)", self.bytes.len())
    }
}

fn seconds(t: OffsetDateTime) -> u64 {
    u64::try_from(t.unix_timestamp()).unwrap_or(0)
}

/// `Sig_structure` (RFC 9052 §4.4) for a credential: `["Signature1", protected, h'', payload]`.
pub fn sig_structure(payload: &[u8]) -> Vec<u8> {
    let mut w = Writer::with_capacity(payload.len() + 24);
    w.array(4)
        .text("Signature1")
        .bytes(&PROTECTED)
        .bytes(&[])
        .bytes(payload);
    w.into_bytes()
}

/// The claims of a credential for `licence` (the payload the issuer signs).
pub fn claims_bytes(
    licence: &Licence,
    request: &CredentialRequest<'_>,
) -> Result<Vec<u8>, IssueError> {
    let device = compress_point(request.device_key).ok_or(IssueError::DeviceKeyCurve)?;
    let today = request
        .valid_from
        .to_offset(time::UtcOffset::from_hms(8, 0, 0).unwrap_or(time::UtcOffset::UTC))
        .date();
    let mut map = vec![
        (
            Value::from(key::PURPOSE),
            Value::from(purpose_code(request.purpose)),
        ),
        (Value::from(key::DEVICE_KEY), Value::Bytes(device.to_vec())),
        (
            Value::from(key::VALID_FROM),
            Value::from(seconds(request.valid_from)),
        ),
        (
            Value::from(key::VALID_UNTIL),
            Value::from(seconds(request.valid_until)),
        ),
    ];
    if let Some(idx) = request.status_index {
        map.push((Value::from(key::STATUS_INDEX), Value::from(idx)));
    }
    let elements = claims::elements_for(licence, request.purpose, request.portrait_digest, today);
    map.push((Value::from(key::ELEMENTS), Value::Map(elements)));
    Ok(edl_cbor::encode(&Value::Map(map)))
}

/// Prepares the credential: claims and the bytes to sign.
pub fn prepare(
    licence: &Licence,
    request: &CredentialRequest<'_>,
) -> Result<PreparedCredential, IssueError> {
    if request.valid_from < request.signer_not_before
        || request.valid_until > request.signer_not_after
    {
        return Err(IssueError::SignerNotValid);
    }
    let payload = claims_bytes(licence, request)?;
    Ok(PreparedCredential {
        purpose: request.purpose,
        kid: signer_kid(request.signer_certificate),
        to_sign: sig_structure(&payload),
        payload,
    })
}

impl PreparedCredential {
    /// The bytes the document signer signs (ES256).
    pub fn signature_payload(&self) -> &[u8] {
        &self.to_sign
    }

    /// The credential with its signature (64 bytes, `r ‖ s`).
    pub fn complete(self, signature: Vec<u8>) -> Result<CompactCredential, IssueError> {
        let purpose = self.purpose;
        if signature.len() != 64 {
            return Err(IssueError::SignatureLength(signature.len()));
        }
        let bytes = edl_cbor::encode(&Value::Array(vec![
            Value::Bytes(PROTECTED.to_vec()),
            Value::Map(vec![(Value::from(KID), Value::Bytes(self.kid.to_vec()))]),
            Value::Bytes(self.payload),
            Value::Bytes(signature),
        ]));
        Ok(CompactCredential { bytes, purpose })
    }
}

/// Prepares, signs and completes in one step.
pub fn issue(
    licence: &Licence,
    request: &CredentialRequest<'_>,
    signer: &dyn Signer,
) -> Result<CompactCredential, IssueError> {
    let prepared = prepare(licence, request)?;
    let signature = signer.sign(prepared.signature_payload())?;
    prepared.complete(signature)
}

impl CompactCredential {
    /// The COSE_Sign1 bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// Takes stored bytes back after checking their structure (not their signature: the
    /// verifier does that).
    pub fn from_bytes(bytes: Vec<u8>) -> Result<CompactCredential, CredentialError> {
        let parsed = ParsedCredential::parse(&bytes)?;
        let purpose = parsed.claims()?.purpose;
        Ok(CompactCredential { bytes, purpose })
    }

    /// The purpose it was issued for.
    pub fn purpose(&self) -> Purpose {
        self.purpose
    }

    /// Its claims (unverified: for the holder's display and for choosing a credential).
    pub fn claims(&self) -> Result<Claims, CredentialError> {
        ParsedCredential::parse(&self.bytes)?.claims()
    }
}

/// Why bytes are not a compact credential.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CredentialError {
    /// Not strict CBOR, or larger than the cap.
    #[error("the credential is not well-formed CBOR: {0}")]
    Cbor(String),
    /// The COSE_Sign1 structure is wrong.
    #[error("the credential is not a COSE_Sign1 of this format: {0}")]
    Structure(&'static str),
    /// The claims are wrong.
    #[error("the credential's claims are malformed: {0}")]
    Claims(String),
}

/// The parts of a credential's COSE_Sign1.
#[derive(Debug, Clone)]
pub struct ParsedCredential {
    /// The signer key identifier.
    pub kid: [u8; KID_LEN],
    /// The signed claims bytes.
    pub payload: Vec<u8>,
    /// The signature, `r ‖ s`.
    pub signature: Vec<u8>,
}

impl ParsedCredential {
    /// Reads the COSE_Sign1 strictly: `[h'A10126', {4: kid}, payload, signature]`.
    pub fn parse(bytes: &[u8]) -> Result<ParsedCredential, CredentialError> {
        let parsed = CredentialRef::parse(bytes)?;
        Ok(ParsedCredential {
            kid: parsed.kid,
            payload: parsed.payload.to_vec(),
            signature: parsed.signature.to_vec(),
        })
    }

    /// Reads the claims (strictly; unknown claim keys are refused, unknown element keys too).
    pub fn claims(&self) -> Result<Claims, CredentialError> {
        Claims::parse(&self.payload)
    }
}

/// The parts of a credential's COSE_Sign1, borrowed from its bytes (the verifier's view;
/// [`ParsedCredential`] owns them).
#[derive(Debug, Clone, Copy)]
pub(crate) struct CredentialRef<'a> {
    pub(crate) kid: [u8; KID_LEN],
    pub(crate) payload: &'a [u8],
    pub(crate) signature: &'a [u8],
}

impl<'a> CredentialRef<'a> {
    /// Reads the COSE_Sign1 in place, with the checks and errors of [`ParsedCredential::parse`].
    pub(crate) fn parse(bytes: &'a [u8]) -> Result<CredentialRef<'a>, CredentialError> {
        let item = Item::decode(bytes, MAX_CREDENTIAL_BYTES)
            .map_err(|e| CredentialError::Cbor(e.to_string()))?;
        let mut parts = item
            .as_array()
            .ok_or(CredentialError::Structure("not an array"))?;
        let (Some(protected), Some(unprotected), Some(payload), Some(signature), None) = (
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
        ) else {
            return Err(CredentialError::Structure("not an array of four"));
        };
        if protected.as_bytes() != Some(&PROTECTED[..]) {
            return Err(CredentialError::Structure(
                "the protected header is not exactly {1: -7} (ES256)",
            ));
        }
        let not_kid = CredentialError::Structure("the unprotected header is not {4: kid}");
        let mut entries = unprotected.as_map().ok_or(not_kid.clone())?;
        let (Some((k, v)), None) = (entries.next(), entries.next()) else {
            return Err(not_kid);
        };
        let kid = match v.as_bytes() {
            Some(kid) if k.as_integer() == Some(KID.into()) => kid
                .try_into()
                .map_err(|_| CredentialError::Structure("the kid is not 8 bytes"))?,
            _ => return Err(not_kid),
        };
        let payload = payload.as_bytes().ok_or(CredentialError::Structure(
            "the payload is not a byte string",
        ))?;
        let signature = signature.as_bytes().ok_or(CredentialError::Structure(
            "the signature is not a byte string",
        ))?;
        if signature.len() != 64 {
            return Err(CredentialError::Structure("the signature is not 64 bytes"));
        }
        Ok(CredentialRef {
            kid,
            payload,
            signature,
        })
    }
}

/// The claims of a compact credential, read and checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claims {
    /// The purpose it was issued for.
    pub purpose: Purpose,
    /// The device key (compressed SEC1).
    pub device_key: [u8; 33],
    /// Start of validity.
    pub valid_from: OffsetDateTime,
    /// End of validity.
    pub valid_until: OffsetDateTime,
    /// Index in the issuer's status list.
    pub status_index: Option<u64>,
    /// The elements, in key order.
    pub elements: Vec<(&'static claims::Field, claims::FieldValue)>,
}

fn claim_error(what: impl Into<String>) -> CredentialError {
    CredentialError::Claims(what.into())
}

fn time_of(value: Item<'_>, what: &str) -> Result<OffsetDateTime, CredentialError> {
    value
        .as_integer()
        .and_then(|i| i64::try_from(i).ok())
        .and_then(|s| OffsetDateTime::from_unix_timestamp(s).ok())
        .ok_or_else(|| claim_error(format!("{what} is not a time in seconds")))
}

/// An unsigned integer as the claims take it (a bignum that fits counts too, as before).
fn uint_of(value: Item<'_>) -> Option<u64> {
    value.as_integer().and_then(|i| u64::try_from(i).ok())
}

impl Claims {
    /// Reads claims bytes.
    pub fn parse(bytes: &[u8]) -> Result<Claims, CredentialError> {
        let item =
            Item::decode(bytes, MAX_CREDENTIAL_BYTES).map_err(|e| claim_error(e.to_string()))?;
        let entries = item.as_map().ok_or_else(|| claim_error("not a map"))?;
        let mut purpose = None;
        let mut device_key = None;
        let mut valid_from = None;
        let mut valid_until = None;
        let mut status_index = None;
        let mut elements = None;
        for (k, v) in entries {
            let k =
                uint_of(k).ok_or_else(|| claim_error("a claim key is not an unsigned integer"))?;
            match k {
                key::PURPOSE => {
                    let code = uint_of(v);
                    purpose = Some(
                        code.and_then(claims::purpose_of_code)
                            .ok_or_else(|| claim_error("unknown purpose"))?,
                    );
                }
                key::DEVICE_KEY => {
                    let bytes: [u8; 33] = v
                        .as_bytes()
                        .and_then(|b| b.try_into().ok())
                        .filter(|b: &[u8; 33]| matches!(b[0], 2 | 3))
                        .ok_or_else(|| {
                            claim_error("the device key is not a compressed P-256 point")
                        })?;
                    device_key = Some(bytes);
                }
                key::VALID_FROM => valid_from = Some(time_of(v, "valid_from")?),
                key::VALID_UNTIL => valid_until = Some(time_of(v, "valid_until")?),
                key::STATUS_INDEX => {
                    status_index = Some(uint_of(v).ok_or_else(|| {
                        claim_error("the status index is not an unsigned integer")
                    })?);
                }
                key::ELEMENTS => elements = Some(read_elements(v)?),
                other => return Err(claim_error(format!("unknown claim {other}"))),
            }
        }
        let purpose = purpose.ok_or_else(|| claim_error("no purpose"))?;
        let elements = elements.ok_or_else(|| claim_error("no elements"))?;
        for (field, _) in &elements {
            if !claims::carries(purpose, field) {
                return Err(claim_error(format!(
                    "element {} is not carried for the purpose {}",
                    field.identifier,
                    purpose.as_str()
                )));
            }
        }
        let claims = Claims {
            purpose,
            device_key: device_key.ok_or_else(|| claim_error("no device key"))?,
            valid_from: valid_from.ok_or_else(|| claim_error("no valid_from"))?,
            valid_until: valid_until.ok_or_else(|| claim_error("no valid_until"))?,
            status_index,
            elements,
        };
        if claims.valid_until < claims.valid_from {
            return Err(claim_error("valid_until is before valid_from"));
        }
        Ok(claims)
    }

    /// The value of the element `identifier`, if carried.
    pub fn value(&self, identifier: &str) -> Option<&claims::FieldValue> {
        self.elements
            .iter()
            .find(|(f, _)| f.identifier == identifier)
            .map(|(_, v)| v)
    }
}

fn read_elements(
    value: Item<'_>,
) -> Result<Vec<(&'static claims::Field, claims::FieldValue)>, CredentialError> {
    let entries = value
        .as_map()
        .ok_or_else(|| claim_error("the elements are not a map"))?;
    let mut out = Vec::with_capacity(entries.len());
    for (k, v) in entries {
        let key =
            uint_of(k).ok_or_else(|| claim_error("an element key is not an unsigned integer"))?;
        let field =
            claims::by_key(key).ok_or_else(|| claim_error(format!("unknown element {key}")))?;
        let value = claims::FieldValue::read_item(field.kind, v).ok_or_else(|| {
            claim_error(format!(
                "element {} has the wrong type or range",
                field.identifier
            ))
        })?;
        out.push((field, value));
    }
    Ok(out)
}
