//! Certificate chain validation against trusted IACAs, as a report of every check (not just the
//! first failure): chain, signature, validity at a given time and the Annex B profile of the signer
//! and of the root. Pure: the validation time is a parameter.

use std::fmt;

use aws_lc_rs::signature::{self, VerificationAlgorithm};
use time::{Duration, OffsetDateTime};
use x509_parser::certificate::X509Certificate;
use x509_parser::extensions::{GeneralName, ParsedExtension};

use crate::certificate::{
    self, CertificateDer, CertificateError, KeyProblem, TrustAnchor, authority_key_identifier,
    datetime, first_attribute, subject_key_identifier,
};
use crate::key::{Curve, KeyIdentifier, PublicKey};
use crate::profile::{
    self, DISALLOWED_EXTENSIONS, MAX_DOCUMENT_SIGNER_VALIDITY, MAX_IACA_VALIDITY,
    MAX_SERIAL_OCTETS, MAX_TRUST_LIST_SIGNER_VALIDITY,
};

pub(crate) const COUNTRY_OID: &str = "2.5.4.6";
pub(crate) const COMMON_NAME_OID: &str = "2.5.4.3";
pub(crate) const STATE_OR_PROVINCE_OID: &str = "2.5.4.8";

const KEY_USAGE_OID: &str = "2.5.29.15";
const BASIC_CONSTRAINTS_OID: &str = "2.5.29.19";
const EXTENDED_KEY_USAGE_OID: &str = "2.5.29.37";
const ISSUER_ALT_NAME_OID: &str = "2.5.29.18";
const CRL_DISTRIBUTION_POINTS_OID: &str = "2.5.29.31";

/// Key usage bits as x509-parser numbers them (bit 0 = digitalSignature).
const KU_DIGITAL_SIGNATURE: u16 = 1 << 0;
const KU_KEY_CERT_SIGN: u16 = 1 << 5;
const KU_CRL_SIGN: u16 = 1 << 6;

/// Which certificate of the chain a check is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    /// The document signer (the chain's first certificate, signing MSOs).
    DocumentSigner,
    /// The trust-list signer (the chain's first certificate, signing a trust list).
    TrustListSigner,
    /// The trusted IACA the chain leads to.
    Iaca,
}

impl Role {
    /// A stable snake_case name for reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::DocumentSigner => "document_signer",
            Role::TrustListSigner => "trust_list_signer",
            Role::Iaca => "iaca",
        }
    }
}

/// One check of the report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Check {
    /// The chain is not empty and its first certificate decodes as DER X.509 v3.
    Decoding,
    /// The signer was issued by a trusted IACA (issuer name and key identifier), and the chain holds
    /// nothing else but, optionally, that IACA.
    ChainToTrustedIaca,
    /// The signer's signature verifies with the IACA's key.
    Signature,
    /// The certificate is valid at the validation time.
    Validity,
    /// The validity period is within the profile's limit.
    ValidityPeriod,
    /// Key usage: present, critical, exactly the profile's bits.
    KeyUsage,
    /// Extended key usage: present, critical, with the profile's purpose.
    ExtendedKeyUsage,
    /// Basic constraints: a CA with path length 0 for the IACA; not a CA for a signer.
    BasicConstraints,
    /// The key is ECDSA on a supported curve.
    PublicKey,
    /// Subject key identifier present; a signer's authority key identifier matches its IACA.
    KeyIdentifiers,
    /// Issuer alternative name present, with e-mail or URI names only.
    IssuerAlternativeName,
    /// CRL distribution point present.
    CrlDistributionPoints,
    /// Subject country present and ISO 3166-1 alpha-2; a signer's equals its IACA's.
    Country,
    /// Serial number positive and at most 20 octets.
    SerialNumber,
    /// No extension that Annex B forbids, no unknown critical extension.
    Extensions,
}

impl Check {
    /// A stable snake_case name for reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Check::Decoding => "decoding",
            Check::ChainToTrustedIaca => "chain_to_trusted_iaca",
            Check::Signature => "signature",
            Check::Validity => "validity",
            Check::ValidityPeriod => "validity_period",
            Check::KeyUsage => "key_usage",
            Check::ExtendedKeyUsage => "extended_key_usage",
            Check::BasicConstraints => "basic_constraints",
            Check::PublicKey => "public_key",
            Check::KeyIdentifiers => "key_identifiers",
            Check::IssuerAlternativeName => "issuer_alternative_name",
            Check::CrlDistributionPoints => "crl_distribution_points",
            Check::Country => "country",
            Check::SerialNumber => "serial_number",
            Check::Extensions => "extensions",
        }
    }
}

/// The outcome of one check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The check passed.
    Passed,
    /// The check failed, and why.
    Failed(Failure),
    /// The check could not run because an earlier one failed.
    NotChecked(NotChecked),
}

/// Why a check could not run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum NotChecked {
    /// The signer certificate does not decode.
    #[error("the signer certificate does not decode")]
    Undecodable,
    /// No trusted IACA issued the signer.
    #[error("no trusted IACA issued the signer")]
    NoTrustedIaca,
}

/// Why a check failed. Small and copyable; never holds the input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Failure {
    /// The chain is empty.
    #[error("the certificate chain is empty")]
    EmptyChain,
    /// The first certificate does not decode.
    #[error("the certificate does not decode: {0}")]
    Undecodable(CertificateError),
    /// No trusted IACA has the signer's issuer name (and key identifier).
    #[error("no trusted IACA issued this certificate")]
    NoTrustedIaca,
    /// The chain holds a certificate that is neither the signer nor its IACA.
    #[error("certificate {position} of the chain is not the signer's IACA")]
    UnexpectedCertificate {
        /// Its position in the chain, from 0.
        position: usize,
    },
    /// The signature does not verify.
    #[error("the signature does not verify")]
    SignatureInvalid,
    /// The signature algorithm is not ECDSA with SHA-256/384/512, or the outer and inner algorithm
    /// identifiers differ.
    #[error("unsupported or inconsistent signature algorithm")]
    UnsupportedSignatureAlgorithm,
    /// The validation time is after the end of validity.
    #[error("expired at {not_after}")]
    Expired {
        /// End of validity.
        not_after: OffsetDateTime,
    },
    /// The validation time is before the start of validity.
    #[error("not valid before {not_before}")]
    NotYetValid {
        /// Start of validity.
        not_before: OffsetDateTime,
    },
    /// notAfter is not after notBefore.
    #[error("the validity period ends before it starts")]
    ValidityInverted,
    /// The validity period exceeds the profile's limit.
    #[error("valid for {days} days, more than the {max_days} allowed")]
    ValidityTooLong {
        /// Whole days of validity.
        days: i64,
        /// The profile's limit in days.
        max_days: i64,
    },
    /// No key usage extension.
    #[error("key usage is missing")]
    KeyUsageMissing,
    /// Key usage is not marked critical.
    #[error("key usage is not critical")]
    KeyUsageNotCritical,
    /// Key usage bits differ from the profile's.
    #[error("key usage bits {found:#06x} differ from the profile's {expected:#06x}")]
    KeyUsageWrong {
        /// The bits found (bit 0 = digitalSignature).
        found: u16,
        /// The bits required.
        expected: u16,
    },
    /// No extended key usage extension.
    #[error("extended key usage is missing")]
    ExtendedKeyUsageMissing,
    /// Extended key usage is not marked critical.
    #[error("extended key usage is not critical")]
    ExtendedKeyUsageNotCritical,
    /// Extended key usage lacks the profile's purpose.
    #[error("extended key usage lacks {expected}")]
    ExtendedKeyUsageWrong {
        /// The purpose required.
        expected: &'static str,
    },
    /// An IACA without basic constraints.
    #[error("basic constraints are missing")]
    BasicConstraintsMissing,
    /// Basic constraints not marked critical.
    #[error("basic constraints are not critical")]
    BasicConstraintsNotCritical,
    /// An IACA that is not a CA.
    #[error("the IACA is not a CA")]
    NotCa,
    /// An IACA whose path length constraint is not 0.
    #[error("the IACA's path length constraint is not 0")]
    PathLengthNotZero,
    /// A signer certificate that is a CA.
    #[error("a signer certificate must not be a CA")]
    SignerIsCa,
    /// The key is not an elliptic-curve key.
    #[error("the key is not an elliptic-curve key")]
    UnsupportedKeyAlgorithm,
    /// The curve is not P-256, P-384 or P-521.
    #[error("the curve is not P-256, P-384 or P-521")]
    UnsupportedCurve,
    /// The point is not on the curve.
    #[error("the public key is not a point on its curve")]
    InvalidPublicKey,
    /// No subject key identifier.
    #[error("subject key identifier is missing")]
    SubjectKeyIdentifierMissing,
    /// No authority key identifier.
    #[error("authority key identifier is missing")]
    AuthorityKeyIdentifierMissing,
    /// The authority key identifier is not the IACA's subject key identifier.
    #[error("authority key identifier does not match the IACA's subject key identifier")]
    AuthorityKeyIdentifierMismatch,
    /// No issuer alternative name.
    #[error("issuer alternative name is missing")]
    IssuerAlternativeNameMissing,
    /// The issuer alternative name is empty or holds names other than e-mail and URI.
    #[error("issuer alternative name must hold e-mail or URI names only")]
    IssuerAlternativeNameWrongType,
    /// No CRL distribution point.
    #[error("CRL distribution point is missing")]
    CrlDistributionPointMissing,
    /// No country in the subject.
    #[error("the subject has no country")]
    CountryMissing,
    /// The subject country is not two upper-case letters.
    #[error("the subject country is not ISO 3166-1 alpha-2")]
    CountryInvalid,
    /// The signer's country differs from the IACA's.
    #[error("the signer's country differs from its IACA's")]
    CountryMismatch,
    /// The serial number is zero or negative.
    #[error("the serial number is not positive")]
    SerialNumberNotPositive,
    /// The serial number is longer than 20 octets.
    #[error("the serial number is longer than 20 octets")]
    SerialNumberTooLong,
    /// An extension Annex B forbids.
    #[error("extension {name} is not allowed")]
    DisallowedExtension {
        /// Its name.
        name: &'static str,
    },
    /// A critical extension this profile does not know.
    #[error("unknown critical extension")]
    UnknownCriticalExtension,
    /// A known extension does not decode (or appears twice).
    #[error("extension {name} is malformed")]
    MalformedExtension {
        /// Its name.
        name: &'static str,
    },
}

/// One line of a report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CheckResult {
    /// Which certificate.
    pub role: Role,
    /// Which check.
    pub check: Check,
    /// What came of it.
    pub outcome: Outcome,
}

impl fmt::Display for CheckResult {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}: ", self.role.as_str(), self.check.as_str())?;
        match self.outcome {
            Outcome::Passed => f.write_str("passed"),
            Outcome::Failed(why) => write!(f, "failed: {why}"),
            Outcome::NotChecked(why) => write!(f, "not checked: {why}"),
        }
    }
}

/// What a verifier needs to know about a signer certificate once its chain is judged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignerFacts {
    /// The signer's public key (to verify the MSO or trust-list signature).
    pub public_key: PublicKey,
    /// Start of validity (the MSO's `signed` must lie within the validity).
    pub not_before: OffsetDateTime,
    /// End of validity.
    pub not_after: OffsetDateTime,
    /// Subject country, to compare with the mdoc's `issuing_country`.
    pub country: Option<String>,
    /// Subject stateOrProvinceName, to compare with `issuing_jurisdiction` where present.
    pub state_or_province: Option<String>,
    /// Subject common name (for display).
    pub common_name: Option<String>,
    /// Subject key identifier.
    pub key_identifier: Option<KeyIdentifier>,
}

/// The result of validating a signer certificate chain: every check with its own outcome.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainReport {
    results: Vec<CheckResult>,
    anchor: Option<usize>,
    signer: Option<SignerFacts>,
}

impl ChainReport {
    /// Every check, in a fixed order: the signer's checks, then the IACA's.
    pub fn results(&self) -> &[CheckResult] {
        &self.results
    }

    /// True when every check passed.
    pub fn is_valid(&self) -> bool {
        self.results.iter().all(|r| r.outcome == Outcome::Passed)
    }

    /// The checks that did not pass (failed or could not run).
    pub fn failures(&self) -> impl Iterator<Item = &CheckResult> {
        self.results.iter().filter(|r| r.outcome != Outcome::Passed)
    }

    /// The outcome of one check, if the report has it.
    pub fn outcome(&self, role: Role, check: Check) -> Option<Outcome> {
        self.results
            .iter()
            .find(|r| r.role == role && r.check == check)
            .map(|r| r.outcome)
    }

    /// The index (into the trusted IACAs given) of the IACA the chain leads to, if any.
    pub fn trusted_iaca(&self) -> Option<usize> {
        self.anchor
    }

    /// Facts about the signer certificate, when it decoded. Use them only if [`Self::is_valid`]
    /// (or after deciding which failures to tolerate).
    pub fn signer(&self) -> Option<&SignerFacts> {
        self.signer.as_ref()
    }
}

impl fmt::Display for ChainReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for r in &self.results {
            writeln!(f, "{r}")?;
        }
        Ok(())
    }
}

/// The profile a chain's first certificate must meet.
#[derive(Debug, Clone, Copy)]
struct LeafProfile {
    role: Role,
    extended_key_usage: &'static str,
    max_validity: Duration,
}

const DOCUMENT_SIGNER: LeafProfile = LeafProfile {
    role: Role::DocumentSigner,
    extended_key_usage: profile::MDL_DOCUMENT_SIGNER_EKU,
    max_validity: MAX_DOCUMENT_SIGNER_VALIDITY,
};

const TRUST_LIST_SIGNER: LeafProfile = LeafProfile {
    role: Role::TrustListSigner,
    extended_key_usage: profile::TRUST_LIST_SIGNER_EKU,
    max_validity: MAX_TRUST_LIST_SIGNER_VALIDITY,
};

/// The checks of a signer certificate, in report order.
const LEAF_CHECKS: [Check; 15] = [
    Check::Decoding,
    Check::ChainToTrustedIaca,
    Check::Signature,
    Check::Validity,
    Check::ValidityPeriod,
    Check::KeyUsage,
    Check::ExtendedKeyUsage,
    Check::BasicConstraints,
    Check::PublicKey,
    Check::KeyIdentifiers,
    Check::IssuerAlternativeName,
    Check::CrlDistributionPoints,
    Check::Country,
    Check::SerialNumber,
    Check::Extensions,
];

/// The checks of the IACA, in report order.
const IACA_CHECKS: [Check; 11] = [
    Check::Validity,
    Check::ValidityPeriod,
    Check::KeyUsage,
    Check::BasicConstraints,
    Check::PublicKey,
    Check::KeyIdentifiers,
    Check::IssuerAlternativeName,
    Check::CrlDistributionPoints,
    Check::Country,
    Check::SerialNumber,
    Check::Extensions,
];

/// Validates a document-signer chain (an mdoc's x5chain: the signer first, optionally followed by
/// its IACA) against the trusted IACAs at time `at`, per ISO 18013-5 Annex B.
///
/// Every check appears in the report with its own outcome; nothing stops at the first failure.
pub fn validate_document_signer(
    chain: &[CertificateDer],
    trusted_iacas: &[TrustAnchor],
    at: OffsetDateTime,
) -> ChainReport {
    validate_chain(chain, trusted_iacas, at, DOCUMENT_SIGNER)
}

/// Validates a trust-list signer chain (EKU 1.0.18013.5.1.7) the same way.
pub fn validate_trust_list_signer(
    chain: &[CertificateDer],
    trusted_iacas: &[TrustAnchor],
    at: OffsetDateTime,
) -> ChainReport {
    validate_chain(chain, trusted_iacas, at, TRUST_LIST_SIGNER)
}

fn validate_chain(
    chain: &[CertificateDer],
    anchors: &[TrustAnchor],
    at: OffsetDateTime,
    leaf_profile: LeafProfile,
) -> ChainReport {
    let role = leaf_profile.role;
    let mut results = Vec::with_capacity(LEAF_CHECKS.len() + IACA_CHECKS.len());
    let mut push = |role: Role, check: Check, outcome: Outcome| {
        results.push(CheckResult {
            role,
            check,
            outcome,
        });
    };

    let decoded = match chain.first() {
        None => Err(Failure::EmptyChain),
        Some(first) => certificate::parse(first.as_bytes()).map_err(Failure::Undecodable),
    };
    let leaf = match decoded {
        Ok(leaf) => leaf,
        Err(why) => {
            push(role, Check::Decoding, Outcome::Failed(why));
            for check in &LEAF_CHECKS[1..] {
                push(role, *check, Outcome::NotChecked(NotChecked::Undecodable));
            }
            for check in IACA_CHECKS {
                push(
                    Role::Iaca,
                    check,
                    Outcome::NotChecked(NotChecked::Undecodable),
                );
            }
            return ChainReport {
                results,
                anchor: None,
                signer: None,
            };
        }
    };
    push(role, Check::Decoding, Outcome::Passed);

    // Find the IACA: same name as the signer's issuer, the key identifier matching where both
    // exist, and (when several remain, as during a root rollover) the one whose key verifies.
    let leaf_aki = authority_key_identifier(&leaf);
    let candidates: Vec<usize> = anchors
        .iter()
        .enumerate()
        .filter(|(_, a)| a.subject_der() == leaf.issuer().as_raw())
        .filter(|(_, a)| match (&leaf_aki, a.key_identifier()) {
            (Some(aki), Some(ski)) => aki == ski,
            _ => true,
        })
        .map(|(i, _)| i)
        .collect();
    let signature_results: Vec<(usize, Outcome)> = candidates
        .iter()
        .map(|&i| (i, verify_signature(&leaf, anchors[i].public_key())))
        .collect();
    let chosen = signature_results
        .iter()
        .find(|(_, o)| *o == Outcome::Passed)
        .or_else(|| signature_results.first())
        .copied();
    let anchor_index = chosen.map(|(i, _)| i);
    let anchor = anchor_index.map(|i| &anchors[i]);

    let chain_outcome = match anchor {
        None => Outcome::Failed(Failure::NoTrustedIaca),
        Some(anchor) => chain
            .iter()
            .enumerate()
            .skip(1)
            .find(|(_, c)| *c != anchor.certificate())
            .map_or(Outcome::Passed, |(position, _)| {
                Outcome::Failed(Failure::UnexpectedCertificate { position })
            }),
    };
    push(role, Check::ChainToTrustedIaca, chain_outcome);
    push(
        role,
        Check::Signature,
        chosen.map_or(Outcome::NotChecked(NotChecked::NoTrustedIaca), |(_, o)| o),
    );
    push(role, Check::Validity, validity_at(&leaf, at));
    push(
        role,
        Check::ValidityPeriod,
        validity_period(&leaf, leaf_profile.max_validity),
    );
    push(
        role,
        Check::KeyUsage,
        key_usage(&leaf, KU_DIGITAL_SIGNATURE),
    );
    push(
        role,
        Check::ExtendedKeyUsage,
        extended_key_usage(&leaf, leaf_profile.extended_key_usage),
    );
    push(role, Check::BasicConstraints, leaf_basic_constraints(&leaf));
    push(role, Check::PublicKey, public_key_outcome(&leaf));
    push(
        role,
        Check::KeyIdentifiers,
        leaf_key_identifiers(&leaf, leaf_aki.as_ref(), anchor),
    );
    push(
        role,
        Check::IssuerAlternativeName,
        issuer_alternative_name(&leaf),
    );
    push(
        role,
        Check::CrlDistributionPoints,
        crl_distribution_points(&leaf),
    );
    push(
        role,
        Check::Country,
        country(&leaf, anchor.map(|a| a.country())),
    );
    push(role, Check::SerialNumber, serial_number(&leaf));
    push(role, Check::Extensions, extensions(&leaf));

    match anchor {
        None => {
            for check in IACA_CHECKS {
                push(
                    Role::Iaca,
                    check,
                    Outcome::NotChecked(NotChecked::NoTrustedIaca),
                );
            }
        }
        Some(anchor) => {
            let validity = if at < anchor.not_before() {
                Outcome::Failed(Failure::NotYetValid {
                    not_before: anchor.not_before(),
                })
            } else if at > anchor.not_after() {
                Outcome::Failed(Failure::Expired {
                    not_after: anchor.not_after(),
                })
            } else {
                Outcome::Passed
            };
            push(Role::Iaca, Check::Validity, validity);
            for (check, outcome) in anchor.profile() {
                push(Role::Iaca, *check, *outcome);
            }
        }
    }

    let signer = public_key(&leaf).ok().map(|public_key| SignerFacts {
        public_key,
        not_before: datetime(leaf.validity().not_before),
        not_after: datetime(leaf.validity().not_after),
        country: first_attribute(leaf.subject(), COUNTRY_OID).map(str::to_owned),
        state_or_province: first_attribute(leaf.subject(), STATE_OR_PROVINCE_OID)
            .map(str::to_owned),
        common_name: first_attribute(leaf.subject(), COMMON_NAME_OID).map(str::to_owned),
        key_identifier: subject_key_identifier(&leaf),
    });

    ChainReport {
        results,
        anchor: anchor_index,
        signer,
    }
}

/// The time-independent Annex B checks of an IACA, in report order (validity comes first and is
/// judged at each validation).
pub(crate) fn iaca_profile(cert: &X509Certificate<'_>) -> Vec<(Check, Outcome)> {
    vec![
        (
            Check::ValidityPeriod,
            validity_period(cert, MAX_IACA_VALIDITY),
        ),
        (
            Check::KeyUsage,
            key_usage(cert, KU_KEY_CERT_SIGN | KU_CRL_SIGN),
        ),
        (Check::BasicConstraints, iaca_basic_constraints(cert)),
        (Check::PublicKey, public_key_outcome(cert)),
        (
            Check::KeyIdentifiers,
            if subject_key_identifier(cert).is_some() {
                Outcome::Passed
            } else {
                Outcome::Failed(Failure::SubjectKeyIdentifierMissing)
            },
        ),
        (Check::IssuerAlternativeName, issuer_alternative_name(cert)),
        (Check::CrlDistributionPoints, crl_distribution_points(cert)),
        (Check::Country, country(cert, None)),
        (Check::SerialNumber, serial_number(cert)),
        (Check::Extensions, extensions(cert)),
    ]
}

fn public_key(cert: &X509Certificate<'_>) -> Result<PublicKey, KeyProblem> {
    certificate::public_key(cert)
}

/// Verifies `cert`'s signature with the issuer key.
fn verify_signature(cert: &X509Certificate<'_>, issuer_key: &PublicKey) -> Outcome {
    let outer = cert.signature_algorithm.algorithm.to_id_string();
    let inner = cert.tbs_certificate.signature.algorithm.to_id_string();
    if outer != inner {
        return Outcome::Failed(Failure::UnsupportedSignatureAlgorithm);
    }
    let Some(algorithm) = asn1_algorithm(&outer, issuer_key.curve()) else {
        return Outcome::Failed(Failure::UnsupportedSignatureAlgorithm);
    };
    match issuer_key.verify_asn1(
        algorithm,
        cert.tbs_certificate.as_ref(),
        &cert.signature_value.data,
    ) {
        Ok(()) => Outcome::Passed,
        Err(_) => Outcome::Failed(Failure::SignatureInvalid),
    }
}

/// The aws-lc-rs algorithm for an X.509 ECDSA signature algorithm and an issuer curve.
fn asn1_algorithm(oid: &str, curve: Curve) -> Option<&'static dyn VerificationAlgorithm> {
    Some(match (oid, curve) {
        ("1.2.840.10045.4.3.2", Curve::P256) => &signature::ECDSA_P256_SHA256_ASN1,
        ("1.2.840.10045.4.3.3", Curve::P256) => &signature::ECDSA_P256_SHA384_ASN1,
        ("1.2.840.10045.4.3.4", Curve::P256) => &signature::ECDSA_P256_SHA512_ASN1,
        ("1.2.840.10045.4.3.2", Curve::P384) => &signature::ECDSA_P384_SHA256_ASN1,
        ("1.2.840.10045.4.3.3", Curve::P384) => &signature::ECDSA_P384_SHA384_ASN1,
        ("1.2.840.10045.4.3.4", Curve::P384) => &signature::ECDSA_P384_SHA512_ASN1,
        ("1.2.840.10045.4.3.2", Curve::P521) => &signature::ECDSA_P521_SHA256_ASN1,
        ("1.2.840.10045.4.3.3", Curve::P521) => &signature::ECDSA_P521_SHA384_ASN1,
        ("1.2.840.10045.4.3.4", Curve::P521) => &signature::ECDSA_P521_SHA512_ASN1,
        _ => return None,
    })
}

fn validity_at(cert: &X509Certificate<'_>, at: OffsetDateTime) -> Outcome {
    let not_before = datetime(cert.validity().not_before);
    let not_after = datetime(cert.validity().not_after);
    if at < not_before {
        Outcome::Failed(Failure::NotYetValid { not_before })
    } else if at > not_after {
        Outcome::Failed(Failure::Expired { not_after })
    } else {
        Outcome::Passed
    }
}

fn validity_period(cert: &X509Certificate<'_>, max: Duration) -> Outcome {
    let not_before = datetime(cert.validity().not_before);
    let not_after = datetime(cert.validity().not_after);
    if not_after <= not_before {
        return Outcome::Failed(Failure::ValidityInverted);
    }
    let length = not_after - not_before;
    if length > max {
        Outcome::Failed(Failure::ValidityTooLong {
            days: length.whole_days(),
            max_days: max.whole_days(),
        })
    } else {
        Outcome::Passed
    }
}

fn key_usage(cert: &X509Certificate<'_>, expected: u16) -> Outcome {
    match cert.key_usage() {
        Err(_) => Outcome::Failed(Failure::MalformedExtension { name: "keyUsage" }),
        Ok(None) => Outcome::Failed(Failure::KeyUsageMissing),
        Ok(Some(ext)) if !ext.critical => Outcome::Failed(Failure::KeyUsageNotCritical),
        Ok(Some(ext)) if ext.value.flags != expected => Outcome::Failed(Failure::KeyUsageWrong {
            found: ext.value.flags,
            expected,
        }),
        Ok(Some(_)) => Outcome::Passed,
    }
}

fn extended_key_usage(cert: &X509Certificate<'_>, expected: &'static str) -> Outcome {
    match cert.extended_key_usage() {
        Err(_) => Outcome::Failed(Failure::MalformedExtension {
            name: "extendedKeyUsage",
        }),
        Ok(None) => Outcome::Failed(Failure::ExtendedKeyUsageMissing),
        Ok(Some(ext)) if !ext.critical => Outcome::Failed(Failure::ExtendedKeyUsageNotCritical),
        Ok(Some(ext)) if !ext.value.other.iter().any(|o| o.to_id_string() == expected) => {
            Outcome::Failed(Failure::ExtendedKeyUsageWrong { expected })
        }
        Ok(Some(_)) => Outcome::Passed,
    }
}

fn iaca_basic_constraints(cert: &X509Certificate<'_>) -> Outcome {
    match cert.basic_constraints() {
        Err(_) => Outcome::Failed(Failure::MalformedExtension {
            name: "basicConstraints",
        }),
        Ok(None) => Outcome::Failed(Failure::BasicConstraintsMissing),
        Ok(Some(ext)) if !ext.critical => Outcome::Failed(Failure::BasicConstraintsNotCritical),
        Ok(Some(ext)) if !ext.value.ca => Outcome::Failed(Failure::NotCa),
        Ok(Some(ext)) if ext.value.path_len_constraint != Some(0) => {
            Outcome::Failed(Failure::PathLengthNotZero)
        }
        Ok(Some(_)) => Outcome::Passed,
    }
}

fn leaf_basic_constraints(cert: &X509Certificate<'_>) -> Outcome {
    match cert.basic_constraints() {
        Err(_) => Outcome::Failed(Failure::MalformedExtension {
            name: "basicConstraints",
        }),
        Ok(Some(ext)) if ext.value.ca => Outcome::Failed(Failure::SignerIsCa),
        Ok(_) => Outcome::Passed,
    }
}

fn public_key_outcome(cert: &X509Certificate<'_>) -> Outcome {
    match public_key(cert) {
        Ok(_) => Outcome::Passed,
        Err(KeyProblem::NotEc) => Outcome::Failed(Failure::UnsupportedKeyAlgorithm),
        Err(KeyProblem::UnsupportedCurve) => Outcome::Failed(Failure::UnsupportedCurve),
        Err(KeyProblem::InvalidPoint) => Outcome::Failed(Failure::InvalidPublicKey),
    }
}

fn leaf_key_identifiers(
    cert: &X509Certificate<'_>,
    aki: Option<&KeyIdentifier>,
    anchor: Option<&TrustAnchor>,
) -> Outcome {
    if subject_key_identifier(cert).is_none() {
        return Outcome::Failed(Failure::SubjectKeyIdentifierMissing);
    }
    let Some(aki) = aki else {
        return Outcome::Failed(Failure::AuthorityKeyIdentifierMissing);
    };
    match anchor.and_then(TrustAnchor::key_identifier) {
        Some(ski) if ski != aki => Outcome::Failed(Failure::AuthorityKeyIdentifierMismatch),
        _ => Outcome::Passed,
    }
}

fn issuer_alternative_name(cert: &X509Certificate<'_>) -> Outcome {
    let Some(ext) = cert
        .extensions()
        .iter()
        .find(|e| e.oid.to_id_string() == ISSUER_ALT_NAME_OID)
    else {
        return Outcome::Failed(Failure::IssuerAlternativeNameMissing);
    };
    match ext.parsed_extension() {
        ParsedExtension::IssuerAlternativeName(ian) => {
            let ok = !ian.general_names.is_empty()
                && ian
                    .general_names
                    .iter()
                    .all(|n| matches!(n, GeneralName::RFC822Name(_) | GeneralName::URI(_)));
            if ok {
                Outcome::Passed
            } else {
                Outcome::Failed(Failure::IssuerAlternativeNameWrongType)
            }
        }
        _ => Outcome::Failed(Failure::MalformedExtension {
            name: "issuerAltName",
        }),
    }
}

fn crl_distribution_points(cert: &X509Certificate<'_>) -> Outcome {
    match cert
        .extensions()
        .iter()
        .find(|e| e.oid.to_id_string() == CRL_DISTRIBUTION_POINTS_OID)
    {
        None => Outcome::Failed(Failure::CrlDistributionPointMissing),
        Some(ext) => match ext.parsed_extension() {
            ParsedExtension::CRLDistributionPoints(points) if !points.is_empty() => Outcome::Passed,
            ParsedExtension::CRLDistributionPoints(_) => {
                Outcome::Failed(Failure::CrlDistributionPointMissing)
            }
            _ => Outcome::Failed(Failure::MalformedExtension {
                name: "cRLDistributionPoints",
            }),
        },
    }
}

/// `issuer_country` is `None` when there is no IACA to compare with, `Some(None)` when the IACA has
/// no country (its own check reports that).
fn country(cert: &X509Certificate<'_>, issuer_country: Option<Option<&str>>) -> Outcome {
    let Some(attr) = cert
        .subject()
        .iter_attributes()
        .find(|a| a.attr_type().to_id_string() == COUNTRY_OID)
    else {
        return Outcome::Failed(Failure::CountryMissing);
    };
    let Ok(value) = attr.as_str() else {
        return Outcome::Failed(Failure::CountryInvalid);
    };
    if profile::Country::parse(value).is_err() {
        return Outcome::Failed(Failure::CountryInvalid);
    }
    match issuer_country {
        Some(Some(issuer)) if issuer != value => Outcome::Failed(Failure::CountryMismatch),
        _ => Outcome::Passed,
    }
}

fn serial_number(cert: &X509Certificate<'_>) -> Outcome {
    let raw = cert.raw_serial();
    let negative = raw.first().is_some_and(|b| b & 0x80 != 0);
    if raw.is_empty() || negative || raw.iter().all(|b| *b == 0) {
        Outcome::Failed(Failure::SerialNumberNotPositive)
    } else if raw.len() > MAX_SERIAL_OCTETS {
        Outcome::Failed(Failure::SerialNumberTooLong)
    } else {
        Outcome::Passed
    }
}

fn extensions(cert: &X509Certificate<'_>) -> Outcome {
    const NAMES: [&str; 5] = [
        "policyMappings",
        "nameConstraints",
        "policyConstraints",
        "inhibitAnyPolicy",
        "freshestCRL",
    ];
    const KNOWN_CRITICAL: [&str; 3] =
        [KEY_USAGE_OID, BASIC_CONSTRAINTS_OID, EXTENDED_KEY_USAGE_OID];
    for ext in cert.extensions() {
        let oid = ext.oid.to_id_string();
        if let Some(i) = DISALLOWED_EXTENSIONS.iter().position(|d| *d == oid) {
            return Outcome::Failed(Failure::DisallowedExtension { name: NAMES[i] });
        }
        if ext.critical && !KNOWN_CRITICAL.contains(&oid.as_str()) {
            return Outcome::Failed(Failure::UnknownCriticalExtension);
        }
    }
    Outcome::Passed
}
