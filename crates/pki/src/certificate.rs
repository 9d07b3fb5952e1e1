//! Certificates as bytes ([`CertificateDer`]), PEM, and the parsed views this crate keeps: a
//! [`TrustAnchor`] (a trusted IACA, parsed once) and a [`DocumentSignerCertificate`].

use std::fmt;

use edl_domain::RegionCode;
use pkcs8::der::Decode;
use pkcs8::der::asn1::{AnyRef, BitStringRef, SequenceOf};
use pkcs8::der::pem::{self, LineEnding};
use time::OffsetDateTime;
use x509_parser::certificate::X509Certificate;
use x509_parser::extensions::ParsedExtension;
use x509_parser::prelude::{FromDer, X509Version};
use x509_parser::x509::X509Name;

use crate::key::{Curve, KeyIdentifier, PublicKey};
use crate::validate::{self, Check, Outcome};

/// The PEM label of a certificate (RFC 7468 §5.1).
const CERTIFICATE_LABEL: &str = "CERTIFICATE";

/// Object identifier of `id-ecPublicKey`.
const EC_PUBLIC_KEY_OID: &str = "1.2.840.10045.2.1";
/// Object identifier of the X.520 `serialNumber` name attribute, where a document signer carries
/// its authority's GB/T 2260 region code.
pub(crate) const SERIAL_NUMBER_ATTRIBUTE_OID: &str = "2.5.4.5";

/// The DER bytes of something said to be an X.509 certificate; not checked until parsed.
///
/// Chains arrive from untrusted input (an mdoc's x5chain), so this type accepts any bytes and the
/// validation report says whether they decode.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct CertificateDer(Vec<u8>);

impl CertificateDer {
    /// Wraps DER bytes.
    pub fn new(der: Vec<u8>) -> CertificateDer {
        CertificateDer(der)
    }

    /// The bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// The bytes, owned.
    pub fn into_vec(self) -> Vec<u8> {
        self.0
    }

    /// The certificate as PEM (`-----BEGIN CERTIFICATE-----`, LF line endings).
    pub fn to_pem(&self) -> String {
        // Encoding bytes as base64 into a string cannot fail except on absurd lengths (> 2^31).
        pem::encode_string(CERTIFICATE_LABEL, LineEnding::LF, &self.0).unwrap_or_default()
    }

    /// Reads every `CERTIFICATE` block of a PEM text (a single certificate or a bundle), in order.
    /// Text outside the blocks is ignored; a block with another label is an error.
    pub fn parse_pem_bundle(text: &str) -> Result<Vec<CertificateDer>, PemError> {
        let mut out = Vec::new();
        for (index, block) in x509_parser::pem::Pem::iter_from_buffer(text.as_bytes()).enumerate() {
            let block = block.map_err(|_| PemError::Malformed { block: index })?;
            if block.label != CERTIFICATE_LABEL {
                return Err(PemError::UnexpectedLabel { block: index });
            }
            out.push(CertificateDer(block.contents));
        }
        if out.is_empty() {
            return Err(PemError::NoCertificate);
        }
        Ok(out)
    }
}

impl From<Vec<u8>> for CertificateDer {
    fn from(der: Vec<u8>) -> CertificateDer {
        CertificateDer(der)
    }
}

impl AsRef<[u8]> for CertificateDer {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}

impl fmt::Debug for CertificateDer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CertificateDer({} bytes)", self.0.len())
    }
}

/// Why a PEM text gave no certificates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PemError {
    /// A block is not valid PEM (bad armour or base64).
    #[error("PEM block {block} is malformed")]
    Malformed {
        /// Its position, from 0.
        block: usize,
    },
    /// A block is not a certificate.
    #[error("PEM block {block} is not a CERTIFICATE")]
    UnexpectedLabel {
        /// Its position, from 0.
        block: usize,
    },
    /// The text holds no PEM block.
    #[error("no certificate in the PEM text")]
    NoCertificate,
}

/// Why bytes could not be used as a certificate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum CertificateError {
    /// Not a DER X.509 certificate.
    #[error("not a DER X.509 certificate")]
    Malformed,
    /// Bytes follow the certificate.
    #[error("bytes follow the certificate")]
    TrailingData,
    /// Not an X.509 version 3 certificate (extensions are required).
    #[error("not an X.509 v3 certificate")]
    NotVersion3,
    /// The key is not an elliptic-curve key on P-256, P-384 or P-521.
    #[error("the certificate key is not ECDSA on P-256, P-384 or P-521")]
    UnsupportedPublicKey,
    /// The outer structure is not strict DER: a BIT STRING signature with unused bits, or the outer
    /// signature algorithm differs from the signed one (RFC 5280 §4.1.1.2). Such bytes would let a
    /// certificate be altered without breaking its signature.
    #[error("the certificate's outer structure is not strict DER")]
    NotStrictDer,
    /// The certificate has no subject key identifier.
    #[error("the certificate has no subject key identifier")]
    MissingKeyIdentifier,
}

/// Parses exactly one DER certificate.
pub(crate) fn parse(der: &[u8]) -> Result<X509Certificate<'_>, CertificateError> {
    let (rest, cert) = X509Certificate::from_der(der).map_err(|_| CertificateError::Malformed)?;
    if !rest.is_empty() {
        return Err(CertificateError::TrailingData);
    }
    if cert.version() != X509Version::V3 {
        return Err(CertificateError::NotVersion3);
    }
    check_unsigned_parts(der)?;
    Ok(cert)
}

/// The parts of a certificate its signature does not cover (the outer signature algorithm and the
/// BIT STRING wrapping the signature) must have exactly one encoding, or the same certificate could
/// circulate in several byte forms. x509-parser is lenient here; the `der` crate is strict.
fn check_unsigned_parts(der: &[u8]) -> Result<(), CertificateError> {
    let strict = |_| CertificateError::NotStrictDer;
    let outer = SequenceOf::<AnyRef<'_>, 3>::from_der(der).map_err(strict)?;
    let (Some(tbs), Some(algorithm), Some(signature)) = (outer.get(0), outer.get(1), outer.get(2))
    else {
        return Err(CertificateError::NotStrictDer);
    };
    let bits = signature.decode_as::<BitStringRef<'_>>().map_err(strict)?;
    if bits.unused_bits() != 0 {
        return Err(CertificateError::NotStrictDer);
    }
    let fields = tbs
        .decode_as::<SequenceOf<AnyRef<'_>, 10>>()
        .map_err(strict)?;
    // TBSCertificate: [0] version (present in v3), serialNumber, signature, ...
    let signed_algorithm = fields.get(2).ok_or(CertificateError::NotStrictDer)?;
    if signed_algorithm != algorithm {
        return Err(CertificateError::NotStrictDer);
    }
    Ok(())
}

/// What is wrong with a certificate's key, for the report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum KeyProblem {
    NotEc,
    UnsupportedCurve,
    InvalidPoint,
}

/// The certificate's subject public key.
pub(crate) fn public_key(cert: &X509Certificate<'_>) -> Result<PublicKey, KeyProblem> {
    let spki = cert.public_key();
    if spki.algorithm.algorithm.to_id_string() != EC_PUBLIC_KEY_OID {
        return Err(KeyProblem::NotEc);
    }
    let curve = spki
        .algorithm
        .parameters
        .as_ref()
        .and_then(|p| x509_parser::der_parser::oid::Oid::try_from(p).ok())
        .and_then(|oid| Curve::from_oid(&oid.to_id_string()))
        .ok_or(KeyProblem::UnsupportedCurve)?;
    PublicKey::from_sec1(curve, &spki.subject_public_key.data).map_err(|_| KeyProblem::InvalidPoint)
}

/// The subject key identifier, if the extension is there and parses.
pub(crate) fn subject_key_identifier(cert: &X509Certificate<'_>) -> Option<KeyIdentifier> {
    cert.extensions()
        .iter()
        .find_map(|ext| match ext.parsed_extension() {
            ParsedExtension::SubjectKeyIdentifier(id) => Some(KeyIdentifier::new(id.0.to_vec())),
            _ => None,
        })
}

/// The key identifier of the authority key identifier extension, if there.
pub(crate) fn authority_key_identifier(cert: &X509Certificate<'_>) -> Option<KeyIdentifier> {
    cert.extensions()
        .iter()
        .find_map(|ext| match ext.parsed_extension() {
            ParsedExtension::AuthorityKeyIdentifier(aki) => aki
                .key_identifier
                .as_ref()
                .map(|id| KeyIdentifier::new(id.0.to_vec())),
            _ => None,
        })
}

/// The first value of a name attribute as text.
pub(crate) fn first_attribute<'a>(name: &'a X509Name<'_>, oid: &str) -> Option<&'a str> {
    name.iter_attributes()
        .find(|attr| attr.attr_type().to_id_string() == oid)
        .and_then(|attr| attr.as_str().ok())
}

/// Converts a certificate time.
pub(crate) fn datetime(time: x509_parser::time::ASN1Time) -> OffsetDateTime {
    // Every ASN1Time holds an OffsetDateTime already; the timestamp round trip cannot fail.
    OffsetDateTime::from_unix_timestamp(time.timestamp()).unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

/// A trusted IACA certificate, parsed once so that each validation only compares and verifies.
///
/// Made from the verifier's configured roots or from a verified trust list. Its Annex B profile is
/// checked when it is made and reported with every validation that chains to it (a root that
/// breaks the profile is still used, and every report says so).
#[derive(Debug, Clone)]
pub struct TrustAnchor {
    certificate: CertificateDer,
    subject: Vec<u8>,
    key_identifier: Option<KeyIdentifier>,
    public_key: PublicKey,
    not_before: OffsetDateTime,
    not_after: OffsetDateTime,
    country: Option<String>,
    common_name: Option<String>,
    profile: Vec<(Check, Outcome)>,
}

impl TrustAnchor {
    /// Parses a trusted root. Fails only when the bytes cannot serve as a root at all (not a
    /// certificate, or a key this crate cannot verify with).
    pub fn parse(certificate: CertificateDer) -> Result<TrustAnchor, CertificateError> {
        let cert = parse(certificate.as_bytes())?;
        let public_key = public_key(&cert).map_err(|_| CertificateError::UnsupportedPublicKey)?;
        let profile = validate::iaca_profile(&cert);
        Ok(TrustAnchor {
            subject: cert.subject().as_raw().to_vec(),
            key_identifier: subject_key_identifier(&cert),
            public_key,
            not_before: datetime(cert.validity().not_before),
            not_after: datetime(cert.validity().not_after),
            country: first_attribute(cert.subject(), validate::COUNTRY_OID).map(str::to_owned),
            common_name: first_attribute(cert.subject(), validate::COMMON_NAME_OID)
                .map(str::to_owned),
            profile,
            certificate,
        })
    }

    /// The certificate.
    pub fn certificate(&self) -> &CertificateDer {
        &self.certificate
    }

    /// The DER of the subject name (what a signer's issuer name must equal).
    pub fn subject_der(&self) -> &[u8] {
        &self.subject
    }

    /// The subject key identifier, if the certificate has one.
    pub fn key_identifier(&self) -> Option<&KeyIdentifier> {
        self.key_identifier.as_ref()
    }

    /// The root's public key.
    pub fn public_key(&self) -> &PublicKey {
        &self.public_key
    }

    /// Start of validity.
    pub fn not_before(&self) -> OffsetDateTime {
        self.not_before
    }

    /// End of validity.
    pub fn not_after(&self) -> OffsetDateTime {
        self.not_after
    }

    /// The subject's country (C), if present.
    pub fn country(&self) -> Option<&str> {
        self.country.as_deref()
    }

    /// The subject's common name (CN), if present.
    pub fn common_name(&self) -> Option<&str> {
        self.common_name.as_deref()
    }

    pub(crate) fn profile(&self) -> &[(Check, Outcome)] {
        &self.profile
    }
}

/// A document-signer certificate as the issuing side keeps it: parsed, with its key identifier,
/// its authority (CN and the GB/T 2260 region in the `serialNumber` attribute) and its validity.
#[derive(Debug, Clone)]
pub struct DocumentSignerCertificate {
    certificate: CertificateDer,
    key_identifier: KeyIdentifier,
    authority_key_identifier: Option<KeyIdentifier>,
    authority_name: Option<String>,
    region: Option<RegionCode>,
    not_before: OffsetDateTime,
    not_after: OffsetDateTime,
    public_key: PublicKey,
}

impl DocumentSignerCertificate {
    /// Parses a document-signer certificate. Its profile is not judged here (that is
    /// [`crate::validate_document_signer`]'s job); it must parse, carry a subject key identifier and
    /// an elliptic-curve key.
    pub fn parse(
        certificate: CertificateDer,
    ) -> Result<DocumentSignerCertificate, CertificateError> {
        let cert = parse(certificate.as_bytes())?;
        let public_key = public_key(&cert).map_err(|_| CertificateError::UnsupportedPublicKey)?;
        let key_identifier =
            subject_key_identifier(&cert).ok_or(CertificateError::MissingKeyIdentifier)?;
        Ok(DocumentSignerCertificate {
            key_identifier,
            authority_key_identifier: authority_key_identifier(&cert),
            authority_name: first_attribute(cert.subject(), validate::COMMON_NAME_OID)
                .map(str::to_owned),
            region: first_attribute(cert.subject(), SERIAL_NUMBER_ATTRIBUTE_OID)
                .and_then(|s| RegionCode::parse(s).ok()),
            not_before: datetime(cert.validity().not_before),
            not_after: datetime(cert.validity().not_after),
            public_key,
            certificate,
        })
    }

    /// The certificate.
    pub fn certificate(&self) -> &CertificateDer {
        &self.certificate
    }

    /// The subject key identifier: how an mdoc's signer is found among an authority's signers.
    pub fn key_identifier(&self) -> &KeyIdentifier {
        &self.key_identifier
    }

    /// The issuing IACA's key identifier, if present.
    pub fn authority_key_identifier(&self) -> Option<&KeyIdentifier> {
        self.authority_key_identifier.as_ref()
    }

    /// The issuing authority's name (the subject CN), if present.
    pub fn authority_name(&self) -> Option<&str> {
        self.authority_name.as_deref()
    }

    /// The issuing authority's region (the subject serialNumber attribute), if present and known.
    pub fn region(&self) -> Option<RegionCode> {
        self.region
    }

    /// Start of validity.
    pub fn not_before(&self) -> OffsetDateTime {
        self.not_before
    }

    /// End of validity.
    pub fn not_after(&self) -> OffsetDateTime {
        self.not_after
    }

    /// Whether `at` lies within the validity (both ends inclusive, as RFC 5280 says).
    pub fn is_valid_at(&self, at: OffsetDateTime) -> bool {
        self.not_before <= at && at <= self.not_after
    }

    /// The signer's public key.
    pub fn public_key(&self) -> &PublicKey {
        &self.public_key
    }
}
