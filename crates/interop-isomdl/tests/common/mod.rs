//! What both test files and the benchmark share: a DeviceResponse made by our crates (a fresh
//! demo PKI, a synthetic licence, purpose Roadside, an OpenID4VP SessionTranscript), and the
//! whole of isomdl 0.2.0's reader-side verification of a DeviceResponse.
//!
//! The benchmark includes this file with `#[path]`, so everything here is used by some but not
//! all of the three targets.

#![allow(dead_code, unreachable_pub, clippy::unwrap_used)]

use std::collections::BTreeMap;

use edl_mdoc::{IssueRequest, IssuerSigned, Portrait, Purpose, SessionTranscript, StatusReference};
use edl_pki::{DemoPki, DocumentSignerCertificate, InMemorySigner, Signer};
use edl_status_list::{StatusList, StatusListToken, VerifiedStatusList, verify_token};
use isomdl::definitions::x509::X5Chain;
use isomdl::definitions::x509::trust_anchor::{TrustAnchor, TrustAnchorRegistry, TrustPurpose};
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

/// Issues a synthetic licence with a fresh demo PKI and presents it for the roadside purpose over
/// an OpenID4VP SessionTranscript.
pub fn ours() -> Ours {
    let now = OffsetDateTime::now_utc().replace_nanosecond(0).unwrap();
    let today = now.date();
    let generator = edl_synth::Generator::new(18_013, today);
    let licence = (0..10_000)
        .map(|i| generator.licence(i))
        .find(|l| l.claim_eligibility(today).is_ok() && l.status().is_normal())
        .expect("a claimable synthetic licence");
    let pki = DemoPki::new(licence.authority().clone(), now - Duration::days(1), 365).unwrap();
    let signer = DocumentSignerCertificate::parse(pki.document_signer.clone()).unwrap();
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
            signer_certificate: &pki.document_signer,
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
    let status_list =
        verify_token(&token, std::slice::from_ref(&pki.anchor), at, Some(STATUS_URI)).unwrap();
    Ours {
        pki,
        device,
        issued,
        transcript,
        response,
        status_list,
        signed_at,
        at,
    }
}

/// An isomdl trust-anchor registry holding one IACA (DER).
pub fn isomdl_registry(iaca_der: &[u8]) -> TrustAnchorRegistry {
    TrustAnchorRegistry {
        anchors: vec![TrustAnchor {
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

/// The errors isomdl reported, as one string per category, for assertion messages.
pub fn errors(outcome: &ResponseAuthenticationOutcome) -> BTreeMap<String, String> {
    outcome
        .errors
        .iter()
        .map(|(k, v)| (k.clone(), v.to_string()))
        .collect()
}
