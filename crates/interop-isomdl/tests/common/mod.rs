//! What both test files and the benchmark share: a DeviceResponse made by our crates (a fresh
//! demo PKI, a synthetic licence, purpose Roadside, an OpenID4VP SessionTranscript), optionally
//! under a certificate chain that follows isomdl's conventions; the whole of isomdl 0.2.0's
//! reader-side verification of a DeviceResponse; and certificates made the way isomdl's own
//! tests make them (module [`x509`]).
//!
//! The benchmark includes this file with `#[path]`, so everything here is used by some but not
//! all of the three targets.

#![allow(dead_code, unreachable_pub, clippy::unwrap_used)]

use edl_mdoc::{IssueRequest, IssuerSigned, Portrait, Purpose, SessionTranscript, StatusReference};
use edl_pki::{
    CertificateDer, DemoPki, DocumentSignerCertificate, InMemorySigner, Signer, TrustAnchor,
};
use edl_status_list::{StatusList, StatusListToken, VerifiedStatusList, verify_token};
use isomdl::definitions::x509::X5Chain;
use isomdl::definitions::x509::trust_anchor::{
    TrustAnchor as IsomdlTrustAnchor, TrustAnchorRegistry, TrustPurpose,
};
use isomdl::presentation::authentication::ResponseAuthenticationOutcome;
use serde::{Deserialize, Serialize};
use time::{Duration, OffsetDateTime};

/// Where the test credential's status is published.
pub const STATUS_URI: &str = "https://edl.example.cn/status/interop-isomdl.cwt";
/// Its index in that list.
pub const STATUS_INDEX: u64 = 5;

/// A SessionTranscript handed to isomdl as the exact CBOR value both sides agreed on.
///
/// isomdl's device and reader code is generic over `SessionTranscript` (a marker trait over
/// serde); its own `SessionTranscript180135` only knows the QR, NFC and a pre-1.0 OpenID4VP
/// handover, not OpenID4VP 1.0's `["OpenID4VPHandover", hash]`. A transparent `ciborium::Value`
/// serialises back to the same bytes (definite lengths, shortest integers, as ours are).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(transparent)]
pub struct RawTranscript(pub ciborium::Value);

impl isomdl::definitions::session::SessionTranscript for RawTranscript {}

impl RawTranscript {
    /// The transcript of ours, as isomdl will serialise it inside DeviceAuthentication.
    pub fn from_ours(transcript: &SessionTranscript) -> RawTranscript {
        let value: ciborium::Value = ciborium::from_reader(transcript.as_bytes()).unwrap();
        let round_trip = isomdl::cbor::to_vec(&RawTranscript(value.clone())).unwrap();
        assert_eq!(
            round_trip,
            transcript.as_bytes(),
            "isomdl would re-encode our SessionTranscript differently"
        );
        RawTranscript(value)
    }
}

/// A DeviceResponse made entirely by our crates, and everything needed to check it.
pub struct Ours {
    /// The demo PKI: an IACA and a document signer, both valid from yesterday (isomdl judges
    /// certificate validity against the wall clock, so the certificates must be current).
    pub pki: DemoPki,
    /// The IACA the response chains to (DER): the demo PKI's, unless [`ours_with_signer`] was
    /// given another.
    pub iaca: Vec<u8>,
    /// The document signer certificate in the response's x5chain (DER).
    pub document_signer: Vec<u8>,
    /// The holder's device key.
    pub device: InMemorySigner,
    /// The issued credential.
    pub issued: IssuerSigned,
    /// The OpenID4VP SessionTranscript the presentation is bound to.
    pub transcript: SessionTranscript,
    /// The DeviceResponse bytes (purpose Roadside: every element).
    pub response: Vec<u8>,
    /// The verified status list holding the credential's status (valid).
    pub status_list: VerifiedStatusList,
    /// When the credential was signed.
    pub signed_at: OffsetDateTime,
    /// A validation time inside every validity window.
    pub at: OffsetDateTime,
}

impl Ours {
    /// Our verifier's report on [`Ours::response`], trusting [`Ours::iaca`].
    pub fn our_report(&self) -> edl_mdoc::VerificationReport {
        edl_mdoc::verify_device_response(
            &edl_mdoc::VerifyInput {
                device_response: &self.response,
                session_transcript: &self.transcript,
                status_lists: std::slice::from_ref(&self.status_list),
                at: self.at,
                reader_key: None,
            },
            &[TrustAnchor::parse(CertificateDer::new(self.iaca.clone())).unwrap()],
        )
    }
}

/// Issues a synthetic licence with a fresh demo PKI and presents it for the roadside purpose over
/// an OpenID4VP SessionTranscript.
pub fn ours() -> Ours {
    ours_with_signer(|_| None)
}

/// As [`ours`], but `replace` may give another (document signer, IACA) pair, both DER, for the
/// demo PKI's document-signer key: the credential is then issued with that certificate in its
/// x5chain. Everything else (MSO, COSE, DeviceResponse, keys) is still made by our crates.
pub fn ours_with_signer(replace: impl FnOnce(&DemoPki) -> Option<(Vec<u8>, Vec<u8>)>) -> Ours {
    let now = OffsetDateTime::now_utc().replace_nanosecond(0).unwrap();
    let today = now.date();
    let generator = edl_synth::Generator::new(18_013, today);
    let licence = (0..10_000)
        .map(|i| generator.licence(i))
        .find(|l| l.claim_eligibility(today).is_ok() && l.status().is_normal())
        .expect("a claimable synthetic licence");
    let pki = DemoPki::new(licence.authority().clone(), now - Duration::days(1), 365).unwrap();
    let (document_signer, iaca) = replace(&pki).unwrap_or_else(|| {
        (
            pki.document_signer.as_bytes().to_vec(),
            pki.iaca.as_bytes().to_vec(),
        )
    });
    let signer_certificate = CertificateDer::new(document_signer.clone());
    let signer = DocumentSignerCertificate::parse(signer_certificate.clone()).unwrap();
    let device = InMemorySigner::generate().unwrap();
    let portrait = Portrait::new(edl_synth::demo_portrait().to_vec()).unwrap();
    let signed_at = now - Duration::minutes(1);
    let issued = edl_mdoc::issue(
        &licence,
        &IssueRequest {
            device_key: &device.public_key(),
            portrait: &portrait,
            signed_at,
            status: Some(StatusReference {
                idx: STATUS_INDEX,
                uri: STATUS_URI.into(),
            }),
            signer_certificate: &signer_certificate,
            signer_not_before: signer.not_before(),
            signer_not_after: signer.not_after(),
        },
        &pki.document_signer_key,
    )
    .unwrap();
    let transcript = SessionTranscript::openid4vp(
        "x509_san_dns:roadside.example.cn",
        "isomdl-interop-0S6_WzA2Mj",
        None,
        "https://roadside.example.cn/response",
    );
    let response = edl_mdoc::present(&issued, Purpose::Roadside, &transcript, &device)
        .unwrap()
        .to_bytes();
    let token = StatusListToken {
        uri: STATUS_URI.into(),
        issued_at: signed_at,
        expires_at: signed_at + Duration::days(1),
        ttl_seconds: 900,
        list: StatusList::new(2, 64).unwrap(),
    }
    .sign(&pki.document_signer, &pki.document_signer_key)
    .unwrap();
    let at = now;
    let status_list = verify_token(
        &token,
        std::slice::from_ref(&pki.anchor),
        at,
        Some(STATUS_URI),
    )
    .unwrap();
    Ours {
        pki,
        iaca,
        document_signer,
        device,
        issued,
        transcript,
        response,
        status_list,
        signed_at,
        at,
    }
}

/// For [`ours_with_signer`]: a document-signer certificate for the demo PKI's document-signer
/// key, with our document signer's subject exactly (C, ST, L, CN, serialNumber), under a new IACA
/// that follows isomdl's reading of Annex B: key identifiers by SHA-1 (RFC 5280 method 1), and
/// the document signer's countryName and stateOrProvinceName in the IACA's subject too, encoded as
/// in the document signer (PrintableString: isomdl compares the encoded values, string type
/// included). Returns (document signer, IACA), both DER.
pub fn isomdl_conventions_chain(pki: &DemoPki) -> Option<(Vec<u8>, Vec<u8>)> {
    let ours_ds =
        <x509_cert::Certificate as der::Decode>::from_der(pki.document_signer.as_bytes()).unwrap();
    let subject = ours_ds.tbs_certificate.subject.clone();
    let mut iaca_name = subject.clone();
    iaca_name.0.retain(|rdn| {
        rdn.0
            .iter()
            .all(|a| ["2.5.4.6", "2.5.4.8"].contains(&a.oid.to_string().as_str()))
    });
    iaca_name
        .0
        .extend(x509::name("CN=China mDL IACA (isomdl conventions)").0);
    let iaca_key = p256::ecdsa::SigningKey::from(
        isomdl::definitions::session::create_p256_ephemeral_keys()
            .unwrap()
            .0,
    );
    let iaca = x509::iaca(&iaca_key, iaca_name);
    let ds = x509::document_signer(
        &iaca_key,
        &iaca,
        subject,
        x509::spki_of_sec1(pki.document_signer_key.public_key().as_sec1()),
    );
    Some((x509::der(&ds), x509::der(&iaca)))
}

/// An isomdl trust-anchor registry holding one IACA (DER).
pub fn isomdl_registry(iaca_der: &[u8]) -> TrustAnchorRegistry {
    TrustAnchorRegistry {
        anchors: vec![IsomdlTrustAnchor {
            certificate: <x509_cert::Certificate as der::Decode>::from_der(iaca_der).unwrap(),
            purpose: TrustPurpose::Iaca,
        }],
    }
}

/// What isomdl 0.2.0's reader makes of a DeviceResponse.
pub struct IsomdlVerdict {
    /// The decoded response.
    pub response: isomdl::definitions::DeviceResponse,
    /// The x5chain isomdl found in issuerAuth.
    pub x5chain: X5Chain,
    /// `reader_utils::validate_response`: device authentication, then the x5chain against the
    /// registry (ValidationRuleset::Mdl), then the issuer signature.
    pub outcome: ResponseAuthenticationOutcome,
    /// The errors of `ValidationRuleset::Mdl` alone (run again to see them even when the outcome
    /// summarises them).
    pub certificate_errors: Vec<String>,
}

/// Runs isomdl's reader-side verification on `response`, exactly as
/// `isomdl::presentation::reader::SessionManager::handle_response` does after decryption:
/// `cbor::from_slice::<DeviceResponse>`, `reader::parse` (document of type mDL, x5chain from the
/// unprotected header, namespaces to JSON), then `reader_utils::validate_response`.
pub fn isomdl_verify(
    response: &[u8],
    transcript: &RawTranscript,
    registry: &TrustAnchorRegistry,
) -> Result<IsomdlVerdict, String> {
    let decoded: isomdl::definitions::DeviceResponse =
        isomdl::cbor::from_slice(response).map_err(|e| format!("decode: {e}"))?;
    let (document, x5chain, namespaces) =
        isomdl::presentation::reader::parse(&decoded).map_err(|e| format!("parse: {e}"))?;
    let document = document.clone();
    let certificate_errors = isomdl::definitions::x509::validation::ValidationRuleset::Mdl
        .validate(&x5chain, registry)
        .errors;
    let outcome = isomdl::presentation::reader_utils::validate_response(
        transcript.clone(),
        registry.clone(),
        x5chain.clone(),
        document,
        namespaces,
    );
    Ok(IsomdlVerdict {
        response: decoded,
        x5chain,
        outcome,
        certificate_errors,
    })
}

/// The hot path of isomdl's verification for the benchmark: decode, parse, validate (the same
/// calls as [`isomdl_verify`], without the second chain validation).
pub fn isomdl_verify_once(
    response: &[u8],
    transcript: &RawTranscript,
    registry: &TrustAnchorRegistry,
) -> ResponseAuthenticationOutcome {
    let decoded: isomdl::definitions::DeviceResponse = isomdl::cbor::from_slice(response).unwrap();
    let (document, x5chain, namespaces) = isomdl::presentation::reader::parse(&decoded).unwrap();
    isomdl::presentation::reader_utils::validate_response(
        transcript.clone(),
        registry.clone(),
        x5chain,
        document.clone(),
        namespaces,
    )
}

/// A certificate chain made the way isomdl's own tests make one (`definitions::x509` tests in
/// isomdl 0.2.0): RustCrypto's x509-cert builder with `Profile::Manual`, P-256 keys, key
/// identifiers by RFC 5280 §4.2.1.2 method 1 (SHA-1 of the subjectPublicKey BIT STRING), and the
/// Annex B extensions. Independent of edl-pki (which uses rcgen and aws-lc-rs).
pub mod x509 {
    use std::str::FromStr;
    use std::time::{Duration, SystemTime};

    use der::Encode;
    use der::asn1::{Ia5String, OctetString, UtcTime};
    use p256::ecdsa::{DerSignature, SigningKey};
    use sha1::{Digest, Sha1};
    use x509_cert::Certificate;
    use x509_cert::builder::{Builder, CertificateBuilder, Profile};
    use x509_cert::ext::pkix::crl::dp::DistributionPoint;
    use x509_cert::ext::pkix::name::{DistributionPointName, GeneralName};
    use x509_cert::ext::pkix::{
        AuthorityKeyIdentifier, BasicConstraints, CrlDistributionPoints, ExtendedKeyUsage,
        IssuerAltName, KeyUsage, KeyUsages, SubjectKeyIdentifier,
    };
    use x509_cert::name::Name;
    use x509_cert::serial_number::SerialNumber;
    use x509_cert::spki::SubjectPublicKeyInfoOwned;
    use x509_cert::time::{Time, Validity};

    /// The mDL document signer extended key usage (ISO 18013-5 Annex B).
    const DS_EKU: &str = "1.0.18013.5.1.2";

    fn key_id(spki: &SubjectPublicKeyInfoOwned) -> OctetString {
        OctetString::new(Sha1::digest(spki.subject_public_key.raw_bytes()).to_vec()).unwrap()
    }

    fn validity(days: u64) -> Validity {
        let now = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .unwrap();
        let from = Duration::from_secs(now.as_secs() - 86_400);
        Validity {
            not_before: Time::UtcTime(UtcTime::from_unix_duration(from).unwrap()),
            not_after: Time::UtcTime(
                UtcTime::from_unix_duration(from + Duration::from_secs(days * 86_400)).unwrap(),
            ),
        }
    }

    fn common_extensions<S>(builder: &mut CertificateBuilder<'_, S>)
    where
        S: signature::Keypair + x509_cert::spki::DynSignatureAlgorithmIdentifier,
        S::VerifyingKey: x509_cert::spki::EncodePublicKey,
    {
        builder
            .add_extension(&IssuerAltName(vec![
                GeneralName::UniformResourceIdentifier(
                    Ia5String::new("https://isomdl.example.com").unwrap(),
                ),
            ]))
            .unwrap();
        builder
            .add_extension(&CrlDistributionPoints(vec![DistributionPoint {
                distribution_point: Some(DistributionPointName::FullName(vec![
                    GeneralName::UniformResourceIdentifier(
                        Ia5String::new("https://isomdl.example.com/crl").unwrap(),
                    ),
                ])),
                reasons: None,
                crl_issuer: None,
            }]))
            .unwrap();
    }

    /// An IACA: self-signed, CA with path length 0, keyCertSign + cRLSign.
    pub fn iaca(key: &SigningKey, subject: Name) -> Certificate {
        let spki = SubjectPublicKeyInfoOwned::from_key(*key.verifying_key()).unwrap();
        let ski = key_id(&spki);
        let mut builder = CertificateBuilder::new(
            Profile::Manual { issuer: None },
            SerialNumber::from(0x1801_3501u32),
            validity(5 * 365),
            subject,
            spki,
            key,
        )
        .unwrap();
        builder.add_extension(&SubjectKeyIdentifier(ski)).unwrap();
        builder
            .add_extension(&KeyUsage(KeyUsages::KeyCertSign | KeyUsages::CRLSign))
            .unwrap();
        builder
            .add_extension(&BasicConstraints {
                ca: true,
                path_len_constraint: Some(0),
            })
            .unwrap();
        common_extensions(&mut builder);
        builder.build::<DerSignature>().unwrap()
    }

    /// A document signer for `public_key`, issued by `iaca` (whose key is `iaca_key`).
    pub fn document_signer(
        iaca_key: &SigningKey,
        iaca: &Certificate,
        subject: Name,
        public_key: SubjectPublicKeyInfoOwned,
    ) -> Certificate {
        let ski = key_id(&public_key);
        let aki = key_id(&iaca.tbs_certificate.subject_public_key_info);
        let mut builder = CertificateBuilder::new(
            Profile::Manual {
                issuer: Some(iaca.tbs_certificate.subject.clone()),
            },
            SerialNumber::from(0x1801_3502u32),
            validity(365),
            subject,
            public_key,
            iaca_key,
        )
        .unwrap();
        builder.add_extension(&SubjectKeyIdentifier(ski)).unwrap();
        builder
            .add_extension(&AuthorityKeyIdentifier {
                key_identifier: Some(aki),
                ..Default::default()
            })
            .unwrap();
        builder
            .add_extension(&KeyUsage(KeyUsages::DigitalSignature.into()))
            .unwrap();
        builder
            .add_extension(&ExtendedKeyUsage(vec![DS_EKU.parse().unwrap()]))
            .unwrap();
        common_extensions(&mut builder);
        builder.build::<DerSignature>().unwrap()
    }

    /// A name from its RFC 4514 string.
    pub fn name(s: &str) -> Name {
        Name::from_str(s).unwrap()
    }

    /// A certificate's DER.
    pub fn der(certificate: &Certificate) -> Vec<u8> {
        certificate.to_der().unwrap()
    }

    /// The SubjectPublicKeyInfo of a SEC1 P-256 point (e.g. one of our keys).
    pub fn spki_of_sec1(point: &[u8]) -> SubjectPublicKeyInfoOwned {
        SubjectPublicKeyInfoOwned::from_key(p256::PublicKey::from_sec1_bytes(point).unwrap())
            .unwrap()
    }
}
