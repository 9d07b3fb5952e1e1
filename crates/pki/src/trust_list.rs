//! The trust list verifiers download: the IACA certificates with metadata, as a VICAL-compatible
//! CBOR map (ISO 18013-5 Annex C.1.7) signed with COSE_Sign1 by a trust-list signer certificate
//! (EKU 1.0.18013.5.1.7) issued by an IACA. The exact format is in `docs/decisions/pki.md`.
//!
//! Signing follows the prepare → signature → complete protocol, so an HSM can sign:
//! [`TrustList::prepare`] gives the `Sig_structure` bytes, [`PreparedTrustList::complete`] takes the
//! signature. Reading ([`verify_trust_list`]) bounds the input size, rejects duplicate map keys and
//! trailing bytes, validates the signer's chain to an already trusted IACA and verifies the
//! signature before anything in the list is believed.

use ciborium::Value;
use coset::{
    CborSerializable, CoseSign1, CoseSign1Builder, HeaderBuilder, Label, TaggedCborSerializable,
    iana,
};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::certificate::{
    self, CertificateDer, CertificateError, TrustAnchor, first_attribute, subject_key_identifier,
};
use crate::key::{Curve, KeyIdentifier, SignatureAlgorithm};
use crate::signer::{SignError, Signer};
use crate::validate::{ChainReport, STATE_OR_PROVINCE_OID, validate_trust_list_signer};

/// The format version written and read.
pub const TRUST_LIST_VERSION: &str = "1.0";
/// The largest trust list read: 4 MiB (an IACA certificate is under 1 KiB).
pub const MAX_TRUST_LIST_BYTES: usize = 4 << 20;
/// The mDL doc type, listed for every IACA.
pub const MDL_DOC_TYPE: &str = "org.iso.18013.5.1.mDL";
/// COSE header label of x5chain (RFC 9360).
const X5CHAIN: i64 = 33;

/// One trusted IACA with its metadata (a VICAL `CertificateInfo`).
#[derive(Debug, Clone)]
pub struct TrustListEntry {
    anchor: TrustAnchor,
    doc_types: Vec<String>,
    issuing_authority: Option<String>,
}

impl TrustListEntry {
    /// An entry for an IACA, trusted for mDLs, with the name of the authority that runs it.
    pub fn new(
        iaca: CertificateDer,
        issuing_authority: &str,
    ) -> Result<TrustListEntry, CertificateError> {
        Ok(TrustListEntry {
            anchor: TrustAnchor::parse(iaca)?,
            doc_types: vec![MDL_DOC_TYPE.to_owned()],
            issuing_authority: Some(issuing_authority.to_owned()),
        })
    }

    /// The IACA, ready to validate chains against.
    pub fn anchor(&self) -> &TrustAnchor {
        &self.anchor
    }

    /// The doc types the IACA is trusted for.
    pub fn doc_types(&self) -> &[String] {
        &self.doc_types
    }

    /// The authority that runs the IACA, if given.
    pub fn issuing_authority(&self) -> Option<&str> {
        self.issuing_authority.as_deref()
    }
}

/// The content of a trust list.
#[derive(Debug, Clone)]
pub struct TrustList {
    provider: String,
    issued_at: OffsetDateTime,
    issue_id: u64,
    next_update: OffsetDateTime,
    entries: Vec<TrustListEntry>,
    document_signers: Vec<ListedSigner>,
}

/// A document-signer certificate the list publishes, so that verifiers of the compact QR code
/// (which names its signer only by a key identifier) can check it offline; and when the platform
/// revoked it, if it did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListedSigner {
    /// The certificate (DER).
    pub certificate: CertificateDer,
    /// From when codes it signed are refused.
    pub revoked_at: Option<OffsetDateTime>,
}

/// The most document signers a list may carry.
pub const MAX_LISTED_SIGNERS: usize = 65_536;

/// Why a trust list could not be made, read or trusted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TrustListError {
    // Building: the caller's mistake.
    /// The content is not publishable (empty provider, no entries, next update not after issue).
    #[error("the trust list content is invalid: {reason}")]
    InvalidContent {
        /// What is wrong.
        reason: &'static str,
    },
    /// The signer chain given is empty.
    #[error("no signer certificate given")]
    NoSignerCertificate,
    /// The signature handed to `complete` has the wrong length.
    #[error("the signature has {found} bytes, {expected} expected")]
    SignatureLength {
        /// Expected length.
        expected: usize,
        /// Length given.
        found: usize,
    },
    /// The signer failed.
    #[error(transparent)]
    Signing(#[from] SignError),

    // Reading: malformed or hostile input.
    /// The input is larger than [`MAX_TRUST_LIST_BYTES`].
    #[error("the trust list has {len} bytes, more than the {max} allowed")]
    TooLarge {
        /// Input length.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// The bytes are not the expected CBOR / COSE structure.
    #[error("malformed trust list: {what}")]
    Malformed {
        /// Which structure.
        what: &'static str,
    },
    /// A map has the same key twice.
    #[error("duplicate key in {map}")]
    DuplicateKey {
        /// Which map.
        map: &'static str,
    },
    /// A required field is missing.
    #[error("missing field {field}")]
    MissingField {
        /// The field.
        field: &'static str,
    },
    /// A field has the wrong CBOR type or an unreadable value.
    #[error("field {field} has the wrong type or value")]
    WrongType {
        /// The field.
        field: &'static str,
    },
    /// The version is not [`TRUST_LIST_VERSION`].
    #[error("unsupported trust list version")]
    UnsupportedVersion,
    /// The protected header is not exactly `{1: -7}` (ES256).
    #[error("the protected header must hold only alg ES256")]
    UnsupportedAlgorithm,
    /// An entry's certificate does not decode or has an unusable key.
    #[error("entry {index}: {reason}")]
    UndecodableEntry {
        /// Entry position, from 0.
        index: usize,
        /// Why.
        reason: CertificateError,
    },
    /// An entry's metadata contradicts its certificate.
    #[error("entry {index}: {field} does not match the certificate")]
    EntryMismatch {
        /// Entry position, from 0.
        index: usize,
        /// Which field.
        field: &'static str,
    },

    // Trust.
    /// The signer certificate does not validate against the trusted IACAs (see the report).
    #[error("the trust list signer is not trusted")]
    UntrustedSigner(Box<ChainReport>),
    /// The COSE signature does not verify.
    #[error("the trust list signature does not verify")]
    SignatureInvalid,
    /// The list is not newer than the one already held.
    #[error("trust list {found} is not newer than the held {previous}")]
    NotNewer {
        /// The held list's issue ID.
        previous: u64,
        /// The downloaded list's issue ID.
        found: u64,
    },

    /// Encoding failed: a bug.
    #[error("trust list encoding failed")]
    Encoding,
}

impl TrustList {
    /// A list to publish. `issue_id` must grow with every publication (verifiers refuse to go back).
    pub fn new(
        provider: &str,
        issued_at: OffsetDateTime,
        issue_id: u64,
        next_update: OffsetDateTime,
        entries: Vec<TrustListEntry>,
    ) -> Result<TrustList, TrustListError> {
        let invalid = |reason| Err(TrustListError::InvalidContent { reason });
        if provider.trim().is_empty() {
            return invalid("the provider is empty");
        }
        if entries.is_empty() {
            return invalid("there are no entries");
        }
        let issued_at = whole_seconds_utc(issued_at);
        let next_update = whole_seconds_utc(next_update);
        if next_update <= issued_at {
            return invalid("the next update is not after the issue date");
        }
        Ok(TrustList {
            provider: provider.to_owned(),
            issued_at,
            issue_id,
            next_update,
            entries,
            document_signers: Vec::new(),
        })
    }

    /// The list with these document signers (`edlDocumentSigners`, an extension VICAL readers
    /// ignore). Their revocation times are kept to whole seconds.
    pub fn with_document_signers(mut self, signers: Vec<ListedSigner>) -> TrustList {
        self.document_signers = signers
            .into_iter()
            .map(|s| ListedSigner {
                revoked_at: s.revoked_at.map(whole_seconds_utc),
                ..s
            })
            .collect();
        self
    }

    /// The document signers it publishes.
    pub fn document_signers(&self) -> &[ListedSigner] {
        &self.document_signers
    }

    /// Who publishes the list (`vicalProvider`).
    pub fn provider(&self) -> &str {
        &self.provider
    }

    /// When the list was issued (`date`).
    pub fn issued_at(&self) -> OffsetDateTime {
        self.issued_at
    }

    /// The issue number (`vicalIssueID`), growing with each publication.
    pub fn issue_id(&self) -> u64 {
        self.issue_id
    }

    /// When the next list is due (`nextUpdate`).
    pub fn next_update(&self) -> OffsetDateTime {
        self.next_update
    }

    /// Whether a newer list should exist at `at` (the verifier should try to refresh).
    pub fn is_stale(&self, at: OffsetDateTime) -> bool {
        at > self.next_update
    }

    /// The entries.
    pub fn entries(&self) -> &[TrustListEntry] {
        &self.entries
    }

    /// The IACAs, ready to validate document-signer chains against.
    pub fn anchors(&self) -> Vec<TrustAnchor> {
        self.entries.iter().map(|e| e.anchor.clone()).collect()
    }

    /// Encodes the list and prepares the COSE_Sign1 to be signed by the holder of the first
    /// certificate of `signer_chain` (the trust-list signer, optionally followed by its IACA).
    pub fn prepare(
        &self,
        signer_chain: &[CertificateDer],
    ) -> Result<PreparedTrustList, TrustListError> {
        let x5chain = match signer_chain {
            [] => return Err(TrustListError::NoSignerCertificate),
            [one] => Value::Bytes(one.as_bytes().to_vec()),
            many => Value::Array(
                many.iter()
                    .map(|c| Value::Bytes(c.as_bytes().to_vec()))
                    .collect(),
            ),
        };
        let mut payload = Vec::new();
        ciborium::into_writer(&self.to_cbor(), &mut payload)
            .map_err(|_| TrustListError::Encoding)?;
        let sign1 = CoseSign1Builder::new()
            .protected(
                HeaderBuilder::new()
                    .algorithm(iana::Algorithm::ES256)
                    .build(),
            )
            .unprotected(HeaderBuilder::new().value(X5CHAIN, x5chain).build())
            .payload(payload)
            .build();
        let to_be_signed = sign1.tbs_data(b"");
        Ok(PreparedTrustList {
            sign1,
            to_be_signed,
        })
    }

    /// Prepares, signs with `signer` and completes in one step.
    pub fn sign(
        &self,
        signer_chain: &[CertificateDer],
        signer: &dyn Signer,
    ) -> Result<SignedTrustList, TrustListError> {
        let prepared = self.prepare(signer_chain)?;
        let signature = signer.sign(prepared.signature_payload())?;
        prepared.complete(signature)
    }

    pub(crate) fn to_cbor(&self) -> Value {
        let text = |s: &str| Value::Text(s.to_owned());
        let entries = self
            .entries
            .iter()
            .map(|e| {
                let anchor = &e.anchor;
                let cert = certificate::parse(anchor.certificate().as_bytes());
                let serial = cert
                    .as_ref()
                    .map(|c| unsigned(c.raw_serial()).to_vec())
                    .unwrap_or_default();
                let state = cert
                    .as_ref()
                    .ok()
                    .and_then(|c| first_attribute(c.subject(), STATE_OR_PROVINCE_OID))
                    .map(str::to_owned);
                let mut map = vec![
                    (
                        text("certificate"),
                        Value::Bytes(anchor.certificate().as_bytes().to_vec()),
                    ),
                    (
                        text("serialNumber"),
                        Value::Tag(2, Box::new(Value::Bytes(serial))),
                    ),
                    (
                        text("ski"),
                        Value::Bytes(
                            anchor
                                .key_identifier()
                                .map(|k| k.as_bytes().to_vec())
                                .unwrap_or_default(),
                        ),
                    ),
                    (
                        text("docType"),
                        Value::Array(e.doc_types.iter().map(|d| text(d)).collect()),
                    ),
                ];
                if let Some(authority) = &e.issuing_authority {
                    map.push((text("issuingAuthority"), text(authority)));
                }
                if let Some(country) = anchor.country() {
                    map.push((text("issuingCountry"), text(country)));
                }
                if let Some(state) = state {
                    map.push((text("stateOrProvinceName"), Value::Text(state)));
                }
                map.push((text("notBefore"), tdate(anchor.not_before())));
                map.push((text("notAfter"), tdate(anchor.not_after())));
                Value::Map(map)
            })
            .collect();
        let mut map = vec![
            (text("version"), text(TRUST_LIST_VERSION)),
            (text("vicalProvider"), text(&self.provider)),
            (text("date"), tdate(self.issued_at)),
            (text("vicalIssueID"), Value::Integer(self.issue_id.into())),
            (text("nextUpdate"), tdate(self.next_update)),
            (text("certificateInfos"), Value::Array(entries)),
        ];
        if !self.document_signers.is_empty() {
            let signers = self
                .document_signers
                .iter()
                .map(|s| {
                    let mut entry = vec![(
                        text("certificate"),
                        Value::Bytes(s.certificate.as_bytes().to_vec()),
                    )];
                    if let Some(when) = s.revoked_at {
                        entry.push((text("revokedAt"), tdate(when)));
                    }
                    Value::Map(entry)
                })
                .collect();
            map.push((text("edlDocumentSigners"), Value::Array(signers)));
        }
        Value::Map(map)
    }

    fn from_cbor(value: &Value) -> Result<TrustList, TrustListError> {
        let map = Map::read(value, "VICAL")?;
        if map.text("version")? != TRUST_LIST_VERSION {
            return Err(TrustListError::UnsupportedVersion);
        }
        let provider = map.text("vicalProvider")?.to_owned();
        let issued_at = map.tdate("date")?;
        let issue_id = map.uint("vicalIssueID")?;
        let next_update = map.tdate("nextUpdate")?;
        let infos = map.array("certificateInfos")?;
        let mut entries = Vec::with_capacity(infos.len());
        for (index, info) in infos.iter().enumerate() {
            entries.push(entry_from_cbor(index, info)?);
        }
        let document_signers = match map.get("edlDocumentSigners") {
            None => Vec::new(),
            Some(Value::Array(items)) if items.len() <= MAX_LISTED_SIGNERS => items
                .iter()
                .map(|item| {
                    let entry = Map::read(item, "edlDocumentSigners entry")?;
                    Ok(ListedSigner {
                        certificate: CertificateDer::new(entry.bytes("certificate")?.to_vec()),
                        revoked_at: entry.optional_tdate("revokedAt")?,
                    })
                })
                .collect::<Result<Vec<_>, TrustListError>>()?,
            Some(_) => {
                return Err(TrustListError::WrongType {
                    field: "edlDocumentSigners",
                });
            }
        };
        Ok(TrustList {
            provider,
            issued_at,
            issue_id,
            next_update,
            entries,
            document_signers,
        })
    }
}

fn entry_from_cbor(index: usize, value: &Value) -> Result<TrustListEntry, TrustListError> {
    let map = Map::read(value, "CertificateInfo")?;
    let der = CertificateDer::new(map.bytes("certificate")?.to_vec());
    let mismatch = |field| TrustListError::EntryMismatch { index, field };
    let cert = certificate::parse(der.as_bytes())
        .map_err(|reason| TrustListError::UndecodableEntry { index, reason })?;

    let serial = match map.required("serialNumber")? {
        Value::Tag(2, inner) => match inner.as_ref() {
            Value::Bytes(b) => b.clone(),
            _ => {
                return Err(TrustListError::WrongType {
                    field: "serialNumber",
                });
            }
        },
        Value::Integer(i) => {
            let n = u128::try_from(*i).map_err(|_| TrustListError::WrongType {
                field: "serialNumber",
            })?;
            unsigned(&n.to_be_bytes()).to_vec()
        }
        _ => {
            return Err(TrustListError::WrongType {
                field: "serialNumber",
            });
        }
    };
    if unsigned(&serial) != unsigned(cert.raw_serial()) {
        return Err(mismatch("serialNumber"));
    }
    let ski = map.bytes("ski")?;
    if subject_key_identifier(&cert)
        .as_ref()
        .map(KeyIdentifier::as_bytes)
        != Some(ski)
    {
        return Err(mismatch("ski"));
    }
    let doc_types = map
        .array("docType")?
        .iter()
        .map(|v| match v {
            Value::Text(t) => Ok(t.clone()),
            _ => Err(TrustListError::WrongType { field: "docType" }),
        })
        .collect::<Result<Vec<_>, _>>()?;
    if doc_types.is_empty() {
        return Err(TrustListError::WrongType { field: "docType" });
    }
    let issuing_authority = map.optional_text("issuingAuthority")?.map(str::to_owned);
    if let Some(country) = map.optional_text("issuingCountry")?
        && first_attribute(cert.subject(), crate::validate::COUNTRY_OID) != Some(country)
    {
        return Err(mismatch("issuingCountry"));
    }
    if let Some(not_before) = map.optional_tdate("notBefore")?
        && not_before != certificate::datetime(cert.validity().not_before)
    {
        return Err(mismatch("notBefore"));
    }
    if let Some(not_after) = map.optional_tdate("notAfter")?
        && not_after != certificate::datetime(cert.validity().not_after)
    {
        return Err(mismatch("notAfter"));
    }
    drop(cert);
    let anchor = TrustAnchor::parse(der)
        .map_err(|reason| TrustListError::UndecodableEntry { index, reason })?;
    Ok(TrustListEntry {
        anchor,
        doc_types,
        issuing_authority,
    })
}

/// A trust list encoded and waiting for its signature.
#[derive(Debug)]
pub struct PreparedTrustList {
    sign1: CoseSign1,
    to_be_signed: Vec<u8>,
}

impl PreparedTrustList {
    /// The algorithm the signature must use.
    pub fn algorithm(&self) -> SignatureAlgorithm {
        SignatureAlgorithm::Es256
    }

    /// The bytes to sign: the COSE `Sig_structure` (`["Signature1", protected, h'', payload]`).
    pub fn signature_payload(&self) -> &[u8] {
        &self.to_be_signed
    }

    /// Attaches the signature (`r || s`, 64 bytes) and encodes the tagged COSE_Sign1.
    pub fn complete(self, signature: Vec<u8>) -> Result<SignedTrustList, TrustListError> {
        let expected = SignatureAlgorithm::Es256.signature_len();
        if signature.len() != expected {
            return Err(TrustListError::SignatureLength {
                expected,
                found: signature.len(),
            });
        }
        let mut sign1 = self.sign1;
        sign1.signature = signature;
        let bytes = sign1
            .to_tagged_vec()
            .map_err(|_| TrustListError::Encoding)?;
        Ok(SignedTrustList(bytes))
    }
}

/// The published bytes of a signed trust list (a tagged COSE_Sign1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedTrustList(Vec<u8>);

impl SignedTrustList {
    /// The bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// The bytes, owned.
    pub fn into_vec(self) -> Vec<u8> {
        self.0
    }
}

/// Reads and verifies a trust list: its signer must chain to one of `trusted_iacas` at time `at`
/// (with the trust-list signer profile) and the signature must verify. A stale list (past its
/// `nextUpdate`) is returned all the same; ask [`TrustList::is_stale`].
pub fn verify_trust_list(
    bytes: &[u8],
    trusted_iacas: &[TrustAnchor],
    at: OffsetDateTime,
) -> Result<TrustList, TrustListError> {
    if bytes.len() > MAX_TRUST_LIST_BYTES {
        return Err(TrustListError::TooLarge {
            len: bytes.len(),
            max: MAX_TRUST_LIST_BYTES,
        });
    }
    let sign1 = if bytes.first() == Some(&0xd2) {
        CoseSign1::from_tagged_slice(bytes)
    } else {
        CoseSign1::from_slice(bytes)
    }
    .map_err(|e| match e {
        coset::CoseError::DuplicateMapKey => TrustListError::DuplicateKey { map: "COSE header" },
        _ => TrustListError::Malformed { what: "COSE_Sign1" },
    })?;

    let expected_protected = HeaderBuilder::new()
        .algorithm(iana::Algorithm::ES256)
        .build();
    if sign1.protected.header != expected_protected {
        return Err(TrustListError::UnsupportedAlgorithm);
    }
    let chain = x5chain(&sign1)?;
    let report = validate_trust_list_signer(&chain, trusted_iacas, at);
    if !report.is_valid() {
        return Err(TrustListError::UntrustedSigner(Box::new(report)));
    }
    let signer_key = report
        .signer()
        .map(|s| s.public_key.clone())
        .ok_or(TrustListError::UntrustedSigner(Box::new(report.clone())))?;
    if signer_key.curve() != Curve::P256 {
        return Err(TrustListError::UnsupportedAlgorithm);
    }
    sign1
        .verify_signature(b"", |signature, data| signer_key.verify(data, signature))
        .map_err(|_| TrustListError::SignatureInvalid)?;

    let payload = sign1
        .payload
        .as_deref()
        .ok_or(TrustListError::MissingField { field: "payload" })?;
    let mut rest = payload;
    let value: Value = ciborium::from_reader(&mut rest).map_err(|_| TrustListError::Malformed {
        what: "VICAL payload",
    })?;
    if !rest.is_empty() {
        return Err(TrustListError::Malformed {
            what: "bytes after the VICAL payload",
        });
    }
    TrustList::from_cbor(&value)
}

/// Verifies a downloaded list as an update of `held`: as [`verify_trust_list`], and its issue ID must
/// be greater (a replayed older list is refused). The held list's IACAs are the trust anchors.
pub fn verify_trust_list_update(
    bytes: &[u8],
    held: &TrustList,
    at: OffsetDateTime,
) -> Result<TrustList, TrustListError> {
    let list = verify_trust_list(bytes, &held.anchors(), at)?;
    if list.issue_id <= held.issue_id {
        return Err(TrustListError::NotNewer {
            previous: held.issue_id,
            found: list.issue_id,
        });
    }
    Ok(list)
}

fn x5chain(sign1: &CoseSign1) -> Result<Vec<CertificateDer>, TrustListError> {
    let value = sign1
        .unprotected
        .rest
        .iter()
        .find(|(label, _)| *label == Label::Int(X5CHAIN))
        .map(|(_, v)| v)
        .ok_or(TrustListError::MissingField { field: "x5chain" })?;
    let wrong = TrustListError::WrongType { field: "x5chain" };
    match value {
        Value::Bytes(b) => Ok(vec![CertificateDer::new(b.clone())]),
        Value::Array(items) if !items.is_empty() => items
            .iter()
            .map(|v| match v {
                Value::Bytes(b) => Ok(CertificateDer::new(b.clone())),
                _ => Err(wrong.clone()),
            })
            .collect(),
        _ => Err(wrong),
    }
}

/// A big-endian unsigned integer without its leading zero bytes.
fn unsigned(bytes: &[u8]) -> &[u8] {
    let first = bytes.iter().position(|b| *b != 0).unwrap_or(bytes.len());
    &bytes[first..]
}

fn whole_seconds_utc(t: OffsetDateTime) -> OffsetDateTime {
    let t = t.to_offset(time::UtcOffset::UTC);
    t.replace_nanosecond(0).unwrap_or(t)
}

/// An RFC 3339 `tdate` (tag 0), UTC, no fractional seconds.
fn tdate(t: OffsetDateTime) -> Value {
    let t = whole_seconds_utc(t);
    // Formatting a UTC date between years 0 and 9999 as RFC 3339 cannot fail.
    let text = t.format(&Rfc3339).unwrap_or_default();
    Value::Tag(0, Box::new(Value::Text(text)))
}

/// A CBOR map with text keys, checked for duplicates.
struct Map<'a> {
    entries: &'a [(Value, Value)],
}

impl<'a> Map<'a> {
    fn read(value: &'a Value, name: &'static str) -> Result<Map<'a>, TrustListError> {
        let Value::Map(entries) = value else {
            return Err(TrustListError::Malformed { what: name });
        };
        for (i, (key, _)) in entries.iter().enumerate() {
            if entries[..i].iter().any(|(k, _)| k == key) {
                return Err(TrustListError::DuplicateKey { map: name });
            }
        }
        Ok(Map { entries })
    }

    fn get(&self, field: &str) -> Option<&'a Value> {
        self.entries
            .iter()
            .find(|(k, _)| matches!(k, Value::Text(t) if t == field))
            .map(|(_, v)| v)
    }

    fn required(&self, field: &'static str) -> Result<&'a Value, TrustListError> {
        self.get(field)
            .ok_or(TrustListError::MissingField { field })
    }

    fn text(&self, field: &'static str) -> Result<&'a str, TrustListError> {
        match self.required(field)? {
            Value::Text(t) => Ok(t),
            _ => Err(TrustListError::WrongType { field }),
        }
    }

    fn optional_text(&self, field: &'static str) -> Result<Option<&'a str>, TrustListError> {
        match self.get(field) {
            None => Ok(None),
            Some(Value::Text(t)) => Ok(Some(t)),
            Some(_) => Err(TrustListError::WrongType { field }),
        }
    }

    fn bytes(&self, field: &'static str) -> Result<&'a [u8], TrustListError> {
        match self.required(field)? {
            Value::Bytes(b) => Ok(b),
            _ => Err(TrustListError::WrongType { field }),
        }
    }

    fn uint(&self, field: &'static str) -> Result<u64, TrustListError> {
        match self.required(field)? {
            Value::Integer(i) => u64::try_from(*i).map_err(|_| TrustListError::WrongType { field }),
            _ => Err(TrustListError::WrongType { field }),
        }
    }

    fn array(&self, field: &'static str) -> Result<&'a [Value], TrustListError> {
        match self.required(field)? {
            Value::Array(a) => Ok(a),
            _ => Err(TrustListError::WrongType { field }),
        }
    }

    fn tdate(&self, field: &'static str) -> Result<OffsetDateTime, TrustListError> {
        parse_tdate(self.required(field)?).ok_or(TrustListError::WrongType { field })
    }

    fn optional_tdate(
        &self,
        field: &'static str,
    ) -> Result<Option<OffsetDateTime>, TrustListError> {
        self.get(field)
            .map(|v| parse_tdate(v).ok_or(TrustListError::WrongType { field }))
            .transpose()
    }
}

fn parse_tdate(value: &Value) -> Option<OffsetDateTime> {
    match value {
        Value::Tag(0, inner) => match inner.as_ref() {
            Value::Text(t) => OffsetDateTime::parse(t, &Rfc3339)
                .ok()
                .map(|d| d.to_offset(time::UtcOffset::UTC)),
            _ => None,
        },
        _ => None,
    }
}
