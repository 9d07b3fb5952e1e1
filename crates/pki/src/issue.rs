//! Certificate generation for the Annex B profiles (IACA, document signer, trust-list signer) with
//! rcgen, signing through any [`Signer`]. Every certificate this module makes passes
//! [`crate::validate_document_signer`] (or the IACA / trust-list checks) by construction; the limits
//! are enforced here before anything is signed.

use std::cell::Cell;

use edl_domain::IssuingAuthority;
use pkcs8::ObjectIdentifier;
use pkcs8::der::asn1::{ContextSpecific, Ia5StringRef, OctetStringRef, SequenceOf, UintRef};
use pkcs8::der::{Encode, TagMode, TagNumber};
use rcgen::string::PrintableString;
use rcgen::{
    BasicConstraints, CertificateParams, CrlDistributionPoint, CustomExtension, DistinguishedName,
    DnType, DnValue, IsCa, Issuer, KeyIdMethod, KeyUsagePurpose, PublicKeyData, SerialNumber,
    SigningKey,
};
use time::{Duration, OffsetDateTime};

use crate::certificate::{self, CertificateDer};
use crate::key::{Curve, PublicKey};
use crate::profile::{
    Country, IssuerAltName, MAX_DOCUMENT_SIGNER_VALIDITY, MAX_IACA_VALIDITY,
    MAX_TRUST_LIST_SIGNER_VALIDITY, MDL_DOCUMENT_SIGNER_EKU, TRUST_LIST_SIGNER_EKU,
    subdivision_code,
};
use crate::signer::{SignError, Signer};
use crate::validate::COUNTRY_OID;

/// What goes into a national root (IACA) certificate.
#[derive(Debug, Clone)]
pub struct IacaParams {
    /// Subject country (C); `CN` for this platform.
    pub country: Country,
    /// Subject common name (CN), e.g. `China mDL IACA`.
    pub common_name: String,
    /// Subject organisation (O), e.g. the national traffic administration.
    pub organization: Option<String>,
    /// Issuer alternative name (an e-mail address or URI of the issuing authority).
    pub issuer_alternative_name: IssuerAltName,
    /// URI of the CRL distribution point.
    pub crl_distribution_point: String,
    /// Start of validity (truncated to whole seconds).
    pub not_before: OffsetDateTime,
    /// End of validity (truncated to whole seconds); at most [`MAX_IACA_VALIDITY`] after the start.
    pub not_after: OffsetDateTime,
}

/// What goes into a document-signer certificate, besides the issuing IACA.
#[derive(Debug, Clone)]
pub struct DocumentSignerParams {
    /// The issuing authority (发证机关): its name becomes the subject CN, its region the subject
    /// serialNumber (GB/T 2260 code), locality (region name) and stateOrProvinceName (ISO 3166-2
    /// code of the province).
    pub authority: IssuingAuthority,
    /// Issuer alternative name (an e-mail address or URI of the issuing authority).
    pub issuer_alternative_name: IssuerAltName,
    /// URI of the CRL distribution point.
    pub crl_distribution_point: String,
    /// Start of validity (truncated to whole seconds); not before the IACA's.
    pub not_before: OffsetDateTime,
    /// End of validity (truncated to whole seconds); at most [`MAX_DOCUMENT_SIGNER_VALIDITY`] after
    /// the start and not after the IACA's end.
    pub not_after: OffsetDateTime,
}

/// What goes into a trust-list signer certificate, besides the issuing IACA.
#[derive(Debug, Clone)]
pub struct TrustListSignerParams {
    /// Subject common name (CN), e.g. `China mDL trust list signer`.
    pub common_name: String,
    /// Subject organisation (O).
    pub organization: Option<String>,
    /// Issuer alternative name.
    pub issuer_alternative_name: IssuerAltName,
    /// URI of the CRL distribution point.
    pub crl_distribution_point: String,
    /// Start of validity; not before the IACA's.
    pub not_before: OffsetDateTime,
    /// End of validity; at most [`MAX_TRUST_LIST_SIGNER_VALIDITY`] after the start and not after
    /// the IACA's end.
    pub not_after: OffsetDateTime,
}

/// Why a certificate was not issued.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IssueError {
    /// The validity ends before it starts.
    #[error("the validity ends before it starts")]
    ValidityInverted,
    /// The validity is longer than the profile allows.
    #[error("a validity of {days} days exceeds the profile's {max_days}")]
    ValidityTooLong {
        /// Requested length in whole days.
        days: i64,
        /// The limit.
        max_days: i64,
    },
    /// The validity would outlast (or precede) the issuing IACA's.
    #[error("the validity lies outside the issuing IACA's validity")]
    OutsideIssuerValidity,
    /// A text field cannot be written (empty, or not ASCII where ASCII is required).
    #[error("the {field} is empty or has characters its ASN.1 type cannot hold")]
    InvalidField {
        /// Which field.
        field: &'static str,
    },
    /// The authority's region has no ISO 3166-2 subdivision code.
    #[error("the authority's region has no ISO 3166-2 subdivision")]
    UnknownSubdivision,
    /// The issuer certificate given is not an IACA this crate can issue under (does not parse, has
    /// no subject key identifier or no country).
    #[error("the issuer certificate is not a usable IACA: {reason}")]
    UnusableIssuer {
        /// What is wrong with it.
        reason: &'static str,
    },
    /// The issuer's signer does not hold the issuer certificate's key.
    #[error("the signing key is not the issuer certificate's key")]
    IssuerKeyMismatch,
    /// This crate issues P-256 keys only.
    #[error("only P-256 keys are certified")]
    UnsupportedKey,
    /// The signer failed.
    #[error(transparent)]
    Signing(#[from] SignError),
    /// Encoding failed: a bug.
    #[error("certificate encoding failed: {reason}")]
    Encoding {
        /// Which step.
        reason: &'static str,
    },
}

/// Issues a self-signed IACA certificate with `key`: CA, path length 0, keyCertSign + cRLSign
/// (critical), subject key identifier, issuer alternative name, CRL distribution point.
pub fn issue_iaca(params: &IacaParams, key: &dyn Signer) -> Result<CertificateDer, IssueError> {
    let (not_before, not_after) =
        checked_validity(params.not_before, params.not_after, MAX_IACA_VALIDITY)?;
    let spec = CertSpec {
        subject: name(
            params.country,
            None,
            None,
            params.organization.as_deref(),
            &params.common_name,
            None,
        )?,
        not_before,
        not_after,
        ca_path_length: Some(0),
        key_usages: vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign],
        extended_key_usage: None,
        issuer_alternative_name: Some(params.issuer_alternative_name.clone()),
        crl_distribution_point: Some(params.crl_distribution_point.clone()),
        extra: Vec::new(),
    };
    build_self_signed(&spec, key)
}

/// Issues a document-signer certificate for `subject_key` under the IACA `iaca` (whose key
/// `iaca_key` signs): digitalSignature (critical), EKU 1.0.18013.5.1.2 (critical), authority and
/// subject key identifiers, issuer alternative name, CRL distribution point, validity of at most
/// 457 days inside the IACA's.
pub fn issue_document_signer(
    params: &DocumentSignerParams,
    subject_key: &PublicKey,
    iaca: &CertificateDer,
    iaca_key: &dyn Signer,
) -> Result<CertificateDer, IssueError> {
    let issuer = IssuerFacts::read(iaca, iaca_key)?;
    let (not_before, not_after) = checked_validity(
        params.not_before,
        params.not_after,
        MAX_DOCUMENT_SIGNER_VALIDITY,
    )?;
    issuer.check_inside(not_before, not_after)?;
    let region = params.authority.region;
    // The province is known (the mdoc's issuing_jurisdiction comes from the same table), but the
    // subject carries no ST: Annex B as readers implement it (isomdl) wants a signer's ST equal to
    // its IACA's, and the one national IACA has none. The region is in serialNumber and L.
    subdivision_code(region).ok_or(IssueError::UnknownSubdivision)?;
    let spec = CertSpec {
        subject: name(
            issuer.country,
            None,
            Some(&region.full_name()),
            None,
            params.authority.name.as_str(),
            Some(&region.to_string()),
        )?,
        not_before,
        not_after,
        ca_path_length: None,
        key_usages: vec![KeyUsagePurpose::DigitalSignature],
        extended_key_usage: Some(MDL_DOCUMENT_SIGNER_EKU),
        issuer_alternative_name: Some(params.issuer_alternative_name.clone()),
        crl_distribution_point: Some(params.crl_distribution_point.clone()),
        extra: Vec::new(),
    };
    build_issued(&spec, subject_key, iaca, iaca_key)
}

/// Issues a trust-list signer certificate (EKU 1.0.18013.5.1.7) under the IACA, with the same
/// extensions as a document signer.
pub fn issue_trust_list_signer(
    params: &TrustListSignerParams,
    subject_key: &PublicKey,
    iaca: &CertificateDer,
    iaca_key: &dyn Signer,
) -> Result<CertificateDer, IssueError> {
    let issuer = IssuerFacts::read(iaca, iaca_key)?;
    let (not_before, not_after) = checked_validity(
        params.not_before,
        params.not_after,
        MAX_TRUST_LIST_SIGNER_VALIDITY,
    )?;
    issuer.check_inside(not_before, not_after)?;
    let spec = CertSpec {
        subject: name(
            issuer.country,
            None,
            None,
            params.organization.as_deref(),
            &params.common_name,
            None,
        )?,
        not_before,
        not_after,
        ca_path_length: None,
        key_usages: vec![KeyUsagePurpose::DigitalSignature],
        extended_key_usage: Some(TRUST_LIST_SIGNER_EKU),
        issuer_alternative_name: Some(params.issuer_alternative_name.clone()),
        crl_distribution_point: Some(params.crl_distribution_point.clone()),
        extra: Vec::new(),
    };
    build_issued(&spec, subject_key, iaca, iaca_key)
}

/// Truncates to whole seconds and enforces order and the maximum length.
fn checked_validity(
    not_before: OffsetDateTime,
    not_after: OffsetDateTime,
    max: Duration,
) -> Result<(OffsetDateTime, OffsetDateTime), IssueError> {
    let not_before = whole_seconds(not_before);
    let not_after = whole_seconds(not_after);
    if not_after <= not_before {
        return Err(IssueError::ValidityInverted);
    }
    if not_after - not_before > max {
        return Err(IssueError::ValidityTooLong {
            days: (not_after - not_before).whole_days(),
            max_days: max.whole_days(),
        });
    }
    Ok((not_before, not_after))
}

fn whole_seconds(t: OffsetDateTime) -> OffsetDateTime {
    t.replace_nanosecond(0).unwrap_or(t)
}

/// What an issued certificate takes from its IACA.
struct IssuerFacts {
    country: Country,
    not_before: OffsetDateTime,
    not_after: OffsetDateTime,
}

impl IssuerFacts {
    fn read(iaca: &CertificateDer, iaca_key: &dyn Signer) -> Result<IssuerFacts, IssueError> {
        let cert = certificate::parse(iaca.as_bytes()).map_err(|_| IssueError::UnusableIssuer {
            reason: "it does not parse",
        })?;
        if certificate::subject_key_identifier(&cert).is_none() {
            return Err(IssueError::UnusableIssuer {
                reason: "it has no subject key identifier",
            });
        }
        if !cert.is_ca() {
            return Err(IssueError::UnusableIssuer {
                reason: "it is not a CA",
            });
        }
        let country = certificate::first_attribute(cert.subject(), COUNTRY_OID)
            .and_then(|c| Country::parse(c).ok())
            .ok_or(IssueError::UnusableIssuer {
                reason: "it has no valid country",
            })?;
        let key = certificate::public_key(&cert).map_err(|_| IssueError::UnusableIssuer {
            reason: "its key is not supported",
        })?;
        if key != iaca_key.public_key() {
            return Err(IssueError::IssuerKeyMismatch);
        }
        Ok(IssuerFacts {
            country,
            not_before: certificate::datetime(cert.validity().not_before),
            not_after: certificate::datetime(cert.validity().not_after),
        })
    }

    fn check_inside(
        &self,
        not_before: OffsetDateTime,
        not_after: OffsetDateTime,
    ) -> Result<(), IssueError> {
        if not_before < self.not_before || not_after > self.not_after {
            return Err(IssueError::OutsideIssuerValidity);
        }
        Ok(())
    }
}

/// Every knob of a certificate this crate can make. The public functions fill it per profile; the
/// tests fill it wrongly on purpose to exercise the validator.
#[derive(Debug, Clone)]
pub(crate) struct CertSpec {
    pub(crate) subject: DistinguishedName,
    pub(crate) not_before: OffsetDateTime,
    pub(crate) not_after: OffsetDateTime,
    /// `Some(n)`: a CA with path length n (subject key identifier written by rcgen).
    pub(crate) ca_path_length: Option<u8>,
    pub(crate) key_usages: Vec<KeyUsagePurpose>,
    /// Written critical, as Annex B requires.
    pub(crate) extended_key_usage: Option<&'static str>,
    pub(crate) issuer_alternative_name: Option<IssuerAltName>,
    pub(crate) crl_distribution_point: Option<String>,
    /// Further extensions (tests).
    pub(crate) extra: Vec<CustomExtension>,
}

/// Builds a subject name in the order C, ST, L, O, CN, serialNumber.
pub(crate) fn name(
    country: Country,
    state: Option<&str>,
    locality: Option<&str>,
    organization: Option<&str>,
    common_name: &str,
    serial_number: Option<&str>,
) -> Result<DistinguishedName, IssueError> {
    let printable = |field: &'static str, s: &str| {
        PrintableString::try_from(s).map_err(|_| IssueError::InvalidField { field })
    };
    let utf8 = |field: &'static str, s: &str| {
        if s.trim().is_empty() {
            Err(IssueError::InvalidField { field })
        } else {
            Ok(DnValue::Utf8String(s.to_owned()))
        }
    };
    let mut dn = DistinguishedName::new();
    dn.push(
        DnType::CountryName,
        DnValue::PrintableString(printable("country", country.as_str())?),
    );
    if let Some(state) = state {
        dn.push(
            DnType::StateOrProvinceName,
            DnValue::PrintableString(printable("state or province", state)?),
        );
    }
    if let Some(locality) = locality {
        dn.push(DnType::LocalityName, utf8("locality", locality)?);
    }
    if let Some(organization) = organization {
        dn.push(
            DnType::OrganizationName,
            utf8("organization", organization)?,
        );
    }
    dn.push(DnType::CommonName, utf8("common name", common_name)?);
    if let Some(serial_number) = serial_number {
        dn.push(
            DnType::CustomDnType(vec![2, 5, 4, 5]),
            DnValue::PrintableString(printable("serial number attribute", serial_number)?),
        );
    }
    Ok(dn)
}

/// A random positive serial number of 20 octets (at least 63 bits of entropy, RFC 5280 / CA/B).
fn random_serial() -> Result<SerialNumber, IssueError> {
    let mut bytes = [0u8; 20];
    aws_lc_rs::rand::fill(&mut bytes).map_err(|_| IssueError::Encoding {
        reason: "draw a serial number",
    })?;
    bytes[0] &= 0x7f;
    if bytes[0] == 0 {
        bytes[0] = 0x01;
    }
    Ok(SerialNumber::from_slice(&bytes))
}

fn params(spec: &CertSpec, ski: Vec<u8>) -> Result<CertificateParams, IssueError> {
    let mut p = CertificateParams::default();
    p.distinguished_name = spec.subject.clone();
    p.not_before = spec.not_before;
    p.not_after = spec.not_after;
    p.serial_number = Some(random_serial()?);
    p.key_usages = spec.key_usages.clone();
    p.key_identifier_method = KeyIdMethod::PreSpecified(ski.clone());
    match spec.ca_path_length {
        Some(n) => p.is_ca = IsCa::Ca(BasicConstraints::Constrained(n)),
        None => {
            // rcgen writes the subject key identifier only for CAs; write it for end entities.
            p.is_ca = IsCa::NoCa;
            p.custom_extensions.push(CustomExtension::from_oid_content(
                &[2, 5, 29, 14],
                der(
                    &OctetStringRef::new(&ski).map_err(|_| IssueError::Encoding {
                        reason: "subject key identifier",
                    })?,
                )?,
            ));
        }
    }
    if let Some(eku) = spec.extended_key_usage {
        p.custom_extensions.push(extended_key_usage(eku, true)?);
    }
    if let Some(ian) = &spec.issuer_alternative_name {
        p.custom_extensions.push(CustomExtension::from_oid_content(
            &[2, 5, 29, 18],
            issuer_alt_name_der(ian)?,
        ));
    }
    if let Some(uri) = &spec.crl_distribution_point {
        if uri.is_empty() || !uri.is_ascii() {
            return Err(IssueError::InvalidField {
                field: "CRL distribution point",
            });
        }
        p.crl_distribution_points = vec![CrlDistributionPoint {
            uris: vec![uri.clone()],
        }];
    }
    p.custom_extensions.extend(spec.extra.iter().cloned());
    Ok(p)
}

/// An extended key usage extension with one purpose.
pub(crate) fn extended_key_usage(
    purpose: &str,
    critical: bool,
) -> Result<CustomExtension, IssueError> {
    let oid = ObjectIdentifier::new(purpose).map_err(|_| IssueError::Encoding {
        reason: "extended key usage OID",
    })?;
    let mut ext = CustomExtension::from_oid_content(&[2, 5, 29, 37], der(&vec![oid])?);
    ext.set_criticality(critical);
    Ok(ext)
}

/// DER-encodes a value with the `der` crate.
fn der<T: Encode>(value: &T) -> Result<Vec<u8>, IssueError> {
    value.to_der().map_err(|_| IssueError::Encoding {
        reason: "DER encoding",
    })
}

/// `GeneralNames` with one rfc822Name [1] or uniformResourceIdentifier [6] (both IA5String).
fn issuer_alt_name_der(ian: &IssuerAltName) -> Result<Vec<u8>, IssueError> {
    let (tag_number, field) = match ian {
        IssuerAltName::Email(_) => (TagNumber::N1, "issuer alternative name e-mail"),
        IssuerAltName::Uri(_) => (TagNumber::N6, "issuer alternative name URI"),
    };
    if ian.value().is_empty() {
        return Err(IssueError::InvalidField { field });
    }
    let value = Ia5StringRef::new(ian.value()).map_err(|_| IssueError::InvalidField { field })?;
    let name = ContextSpecific {
        tag_number,
        tag_mode: TagMode::Implicit,
        value,
    };
    der(&vec![name])
}

/// Converts a COSE-form ECDSA signature (`r || s`) to the DER `Ecdsa-Sig-Value` X.509 carries.
pub(crate) fn raw_signature_to_der(raw: &[u8]) -> Result<Vec<u8>, IssueError> {
    if raw.is_empty() || !raw.len().is_multiple_of(2) {
        return Err(IssueError::Encoding {
            reason: "signature length",
        });
    }
    let (r, s) = raw.split_at(raw.len() / 2);
    let bad = |_| IssueError::Encoding {
        reason: "signature integers",
    };
    let mut seq: SequenceOf<UintRef<'_>, 2> = SequenceOf::new();
    seq.add(UintRef::new(r).map_err(bad)?).map_err(bad)?;
    seq.add(UintRef::new(s).map_err(bad)?).map_err(bad)?;
    der(&seq)
}

/// A [`Signer`] seen through rcgen's key traits. A signing failure is kept aside so that the
/// caller gets the [`SignError`], not rcgen's generic error.
struct RcgenKey<'a> {
    signer: &'a dyn Signer,
    public_key: PublicKey,
    failure: Cell<Option<SignError>>,
}

impl<'a> RcgenKey<'a> {
    fn new(signer: &'a dyn Signer) -> Result<RcgenKey<'a>, IssueError> {
        let public_key = signer.public_key();
        if public_key.curve() != Curve::P256 {
            return Err(IssueError::UnsupportedKey);
        }
        Ok(RcgenKey {
            signer,
            public_key,
            failure: Cell::new(None),
        })
    }

    fn map_error(&self, error: rcgen::Error) -> IssueError {
        match self.failure.take() {
            Some(sign) => IssueError::Signing(sign),
            None => rcgen_error(error),
        }
    }
}

fn rcgen_error(_: rcgen::Error) -> IssueError {
    IssueError::Encoding {
        reason: "rcgen serialisation",
    }
}

impl PublicKeyData for RcgenKey<'_> {
    fn der_bytes(&self) -> &[u8] {
        self.public_key.as_sec1()
    }

    fn algorithm(&self) -> &'static rcgen::SignatureAlgorithm {
        &rcgen::PKCS_ECDSA_P256_SHA256
    }
}

impl SigningKey for RcgenKey<'_> {
    fn sign(&self, msg: &[u8]) -> Result<Vec<u8>, rcgen::Error> {
        let raw = self.signer.sign(msg).map_err(|e| {
            self.failure.set(Some(e));
            rcgen::Error::RemoteKeyError
        })?;
        raw_signature_to_der(&raw).map_err(|_| rcgen::Error::RemoteKeyError)
    }
}

/// A public key to certify, seen through rcgen's trait.
pub(crate) struct SubjectKey<'a>(pub(crate) &'a PublicKey);

impl PublicKeyData for SubjectKey<'_> {
    fn der_bytes(&self) -> &[u8] {
        self.0.as_sec1()
    }

    fn algorithm(&self) -> &'static rcgen::SignatureAlgorithm {
        &rcgen::PKCS_ECDSA_P256_SHA256
    }
}

/// Builds a self-signed certificate.
pub(crate) fn build_self_signed(
    spec: &CertSpec,
    key: &dyn Signer,
) -> Result<CertificateDer, IssueError> {
    let key = RcgenKey::new(key)?;
    let ski = key.public_key.key_identifier().as_bytes().to_vec();
    let p = params(spec, ski)?;
    let cert = p.self_signed(&key).map_err(|e| key.map_error(e))?;
    Ok(CertificateDer::new(cert.der().to_vec()))
}

/// Builds a certificate for `subject_key` issued by `issuer` (certificate and key).
pub(crate) fn build_issued(
    spec: &CertSpec,
    subject_key: &PublicKey,
    issuer: &CertificateDer,
    issuer_key: &dyn Signer,
) -> Result<CertificateDer, IssueError> {
    if subject_key.curve() != Curve::P256 {
        return Err(IssueError::UnsupportedKey);
    }
    build_issued_with(
        spec,
        &SubjectKey(subject_key),
        subject_key.key_identifier().as_bytes().to_vec(),
        issuer,
        issuer_key,
    )
}

/// Builds a certificate for any rcgen public key (tests use foreign key types).
pub(crate) fn build_issued_with(
    spec: &CertSpec,
    subject_key: &dyn PublicKeyData,
    ski: Vec<u8>,
    issuer: &CertificateDer,
    issuer_key: &dyn Signer,
) -> Result<CertificateDer, IssueError> {
    let key = RcgenKey::new(issuer_key)?;
    let mut p = params(spec, ski)?;
    p.use_authority_key_identifier_extension = true;
    // The issuer's name is copied from its certificate with the original string types, so the
    // issued certificate's issuer field equals the IACA's subject byte for byte.
    let rcgen_issuer =
        Issuer::from_ca_cert_der(&issuer.as_bytes().into(), &key).map_err(rcgen_error)?;
    let cert = p
        .signed_by(&DynPublicKey(subject_key), &rcgen_issuer)
        .map_err(|e| key.map_error(e))?;
    Ok(CertificateDer::new(cert.der().to_vec()))
}

/// `&dyn PublicKeyData` as a sized type for rcgen's generic API.
struct DynPublicKey<'a>(&'a dyn PublicKeyData);

impl PublicKeyData for DynPublicKey<'_> {
    fn der_bytes(&self) -> &[u8] {
        self.0.der_bytes()
    }

    fn algorithm(&self) -> &'static rcgen::SignatureAlgorithm {
        self.0.algorithm()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raw_signatures_become_der_integers() {
        // r with the high bit set gets a leading zero; s with leading zeros loses them.
        let mut raw = [0u8; 64];
        raw[0] = 0x80;
        raw[63] = 0x01;
        let der = raw_signature_to_der(&raw).unwrap();
        assert_eq!(&der[..5], &[0x30, 0x26, 0x02, 0x21, 0x00]);
        assert_eq!(&der[der.len() - 3..], &[0x02, 0x01, 0x01]);
        assert!(raw_signature_to_der(&raw[..63]).is_err());
    }

    #[test]
    fn validity_limits_are_enforced_before_signing() {
        let start = time::macros::datetime!(2026-01-01 0:00 UTC);
        assert_eq!(
            checked_validity(start, start, Duration::days(1)),
            Err(IssueError::ValidityInverted)
        );
        assert_eq!(
            checked_validity(
                start,
                start + Duration::days(458),
                MAX_DOCUMENT_SIGNER_VALIDITY
            ),
            Err(IssueError::ValidityTooLong {
                days: 458,
                max_days: 457
            })
        );
        assert!(
            checked_validity(
                start,
                start + Duration::days(457),
                MAX_DOCUMENT_SIGNER_VALIDITY
            )
            .is_ok()
        );
    }
}
