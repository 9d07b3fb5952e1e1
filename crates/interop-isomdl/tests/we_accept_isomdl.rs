//! Our verifier accepts a DeviceResponse produced by isomdl 0.2.0, an independent ISO/IEC
//! 18013-5 implementation, with its own keys and certificates.
//!
//! isomdl's side, all through isomdl's public API:
//! - keys: `definitions::session::create_p256_ephemeral_keys` (P-256, RustCrypto) for the IACA,
//!   the document signer and the device;
//! - certificates: made as isomdl's own tests make them (x509-cert builder, SHA-1 key
//!   identifiers, Annex B extensions; `common::x509`), since isomdl ships no certificate of its
//!   own in the published crate; isomdl's own chain validation accepts them (asserted);
//! - issuance: `issuance::Mdoc::builder()` with data elements from isomdl's typed namespaces
//!   (`OrgIso1801351` and `OrgIso1801351Aamva` from JSON), SHA-256, decoy digests on;
//! - presentation: `presentation::device`: the engagement/session state machine for the QR
//!   handover (with isomdl's reader on the other side), or the `DeviceSession` trait for an
//!   OpenID4VP session; `prepare_response` → `get_next_signature_payload` →
//!   `submit_next_signature` → `finalize_response`, always a `deviceSignature` (isomdl's session
//!   manager never produces a `deviceMac`).
//!
//! Our side: `edl_mdoc::verify::verify_device_response` with isomdl's IACA as the only trust
//! anchor and the SessionTranscript bytes isomdl used.

#![allow(clippy::unwrap_used)]

mod common;

use std::collections::BTreeMap;

use common::{RawTranscript, isomdl_registry, isomdl_verify, x509};
use edl_mdoc::verify::{Outcome, VerifyInput, verify_device_response};
use edl_mdoc::{ISO_NAMESPACE, MDL_DOC_TYPE, SessionTranscript, VerificationReport};
use edl_pki::{CertificateDer, TrustAnchor};
use isomdl::definitions::device_key::cose_key::EC2Y;
use isomdl::definitions::device_request::{DataElements, ItemsRequest, Namespaces};
use isomdl::definitions::device_signed::DeviceAuthType;
use isomdl::definitions::helpers::{NonEmptyMap, Tag24};
use isomdl::definitions::namespaces::org_iso_18013_5_1::OrgIso1801351;
use isomdl::definitions::namespaces::org_iso_18013_5_1_aamva::OrgIso1801351Aamva;
use isomdl::definitions::traits::{FromJson, ToNamespaceMap};
use isomdl::definitions::x509::X5Chain;
use isomdl::definitions::{CoseKey, DeviceKeyInfo, DigestAlgorithm, EC2Curve, ValidityInfo};
use isomdl::issuance::Mdoc;
use isomdl::presentation::authentication::AuthenticationStatus;
use isomdl::presentation::device::{
    self, DeviceSession, Documents, PermittedItems, RequestedItems,
};
use isomdl::presentation::reader;
use p256::ecdsa::{Signature, SigningKey};
use signature::Signer as _;
use time::{Duration, OffsetDateTime};

const AAMVA_NAMESPACE: &str = "org.iso.18013.5.1.aamva";

/// A P-256 key made by isomdl.
fn isomdl_key() -> SigningKey {
    SigningKey::from(
        isomdl::definitions::session::create_p256_ephemeral_keys()
            .unwrap()
            .0,
    )
}

/// isomdl's issuer: an IACA and a document signer of its own.
struct Issuer {
    iaca: x509_cert::Certificate,
    document_signer: x509_cert::Certificate,
    document_signer_key: SigningKey,
}

impl Issuer {
    /// `state`: the stateOrProvinceName of both certificates, or none.
    fn new(state: Option<&str>) -> Issuer {
        let st = state.map(|s| format!("ST={s},")).unwrap_or_default();
        let iaca_key = isomdl_key();
        let iaca = x509::iaca(
            &iaca_key,
            x509::name(&format!("CN=isomdl interop IACA,{st}C=US")),
        );
        let document_signer_key = isomdl_key();
        let document_signer = x509::document_signer(
            &iaca_key,
            &iaca,
            x509::name(&format!("CN=isomdl interop document signer,{st}C=US")),
            x509_cert::spki::SubjectPublicKeyInfoOwned::from_key(
                *document_signer_key.verifying_key(),
            )
            .unwrap(),
        );
        let issuer = Issuer {
            iaca,
            document_signer,
            document_signer_key,
        };
        // isomdl's own chain validation accepts its issuer.
        let outcome = isomdl::definitions::x509::validation::ValidationRuleset::Mdl
            .validate(&issuer.x5chain(), &isomdl_registry(&issuer.iaca_der()));
        assert!(outcome.success(), "{:?}", outcome.errors);
        issuer
    }

    fn iaca_der(&self) -> Vec<u8> {
        x509::der(&self.iaca)
    }

    fn x5chain(&self) -> X5Chain {
        X5Chain::builder()
            .with_der_certificate(&x509::der(&self.document_signer))
            .unwrap()
            .build()
            .unwrap()
    }

    /// Issues an mDL to `device` with isomdl's issuance API.
    fn issue(&self, device: &SigningKey, signed: OffsetDateTime) -> Mdoc {
        let iso = OrgIso1801351::from_json(&serde_json::json!({
            "family_name": "Interop",
            "given_name": "Isomdl",
            "birth_date": "1990-05-17",
            "issue_date": "2025-01-10",
            "expiry_date": "2031-01-10",
            "issuing_country": "US",
            "issuing_authority": "Interop DMV",
            "document_number": "ISOMDL-0001",
            "portrait": base64(edl_synth::demo_portrait()),
            "driving_privileges": [
                { "vehicle_category_code": "B", "issue_date": "2025-01-10", "expiry_date": "2031-01-10" },
                { "vehicle_category_code": "A", "issue_date": "2025-01-10", "expiry_date": "2031-01-10",
                  "codes": [{ "code": "01", "sign": "=", "value": "glasses" }] }
            ],
            "un_distinguishing_sign": "USA",
            "sex": 2,
            "height": 170,
            "portrait_capture_date": "2024-12-01T10:00:00Z",
            "age_over_18": true,
            "age_over_21": true,
            "issuing_jurisdiction": "US-NY",
            "nationality": "US",
            "resident_city": "Albany",
        }))
        .unwrap()
        .to_ns_map();
        let aamva = OrgIso1801351Aamva::from_json(&serde_json::json!({
            "domestic_driving_privileges": [{
                "domestic_vehicle_class": {
                    "domestic_vehicle_class_code": "D",
                    "domestic_vehicle_class_description": "Operator",
                    "issue_date": "2025-01-10",
                    "expiry_date": "2031-01-10"
                }
            }],
            "family_name_truncation": "N",
            "given_name_truncation": "N",
            "sex": 2,
            "DHS_compliance": "F",
            "organ_donor": 1,
        }))
        .unwrap()
        .to_ns_map();
        let point = device.verifying_key().to_encoded_point(false);
        Mdoc::builder()
            .doc_type(MDL_DOC_TYPE.into())
            .namespaces(
                [
                    (ISO_NAMESPACE.to_owned(), iso),
                    (AAMVA_NAMESPACE.to_owned(), aamva),
                ]
                .into_iter()
                .collect(),
            )
            .validity_info(ValidityInfo {
                signed,
                valid_from: signed,
                valid_until: signed + Duration::days(30),
                expected_update: None,
            })
            .digest_algorithm(DigestAlgorithm::SHA256)
            .device_key_info(DeviceKeyInfo {
                device_key: CoseKey::EC2 {
                    crv: EC2Curve::P256,
                    x: point.x().unwrap().to_vec(),
                    y: EC2Y::Value(point.y().unwrap().to_vec()),
                },
                key_authorizations: None,
                key_info: None,
            })
            .issue::<SigningKey, Signature>(self.x5chain(), self.document_signer_key.clone())
            .unwrap()
    }
}

/// Standard base64 with padding (isomdl's JSON input for byte strings).
fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[(n >> (18 - 6 * i)) as usize & 63]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Every element of `mdoc`, requested and permitted.
fn everything(mdoc: &Mdoc) -> (RequestedItems, PermittedItems, Namespaces) {
    let mut namespaces: BTreeMap<String, DataElements> = BTreeMap::new();
    let mut permitted: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (namespace, items) in mdoc.namespaces.iter() {
        for item in items.iter() {
            let id = item.as_ref().element_identifier.clone();
            match namespaces.get_mut(namespace) {
                Some(elements) => {
                    elements.insert(id.clone(), false);
                }
                None => {
                    namespaces.insert(namespace.clone(), NonEmptyMap::new(id.clone(), false));
                }
            }
            permitted.entry(namespace.clone()).or_default().push(id);
        }
    }
    let namespaces: Namespaces = namespaces.try_into().unwrap();
    let requested = vec![ItemsRequest {
        doc_type: MDL_DOC_TYPE.into(),
        namespaces: namespaces.clone(),
        request_info: None,
    }];
    let permitted = [(MDL_DOC_TYPE.to_owned(), permitted)].into_iter().collect();
    (requested, permitted, namespaces)
}

/// Runs isomdl's holder-side response preparation and signs it with the device key: the
/// plaintext DeviceResponse bytes.
fn respond(
    session: &impl DeviceSession,
    requested: &RequestedItems,
    permitted: PermittedItems,
    device: &SigningKey,
) -> Vec<u8> {
    let mut prepared = DeviceSession::prepare_response(session, requested, permitted);
    while let Some((_, payload)) = prepared.get_next_signature_payload() {
        let signature: Signature = device.sign(payload);
        prepared.submit_next_signature(signature.to_vec());
    }
    isomdl::cbor::to_vec(&prepared.finalize_response()).unwrap()
}

/// An OpenID4VP presentation session on isomdl's holder side: isomdl's `DeviceSession` trait
/// with our transcript (isomdl 0.2.0's own `Handover::OID4VP` is a pre-1.0 draft form).
struct Oid4vpSession {
    documents: Documents,
    transcript: RawTranscript,
}

impl DeviceSession for Oid4vpSession {
    type ST = RawTranscript;

    fn documents(&self) -> &Documents {
        &self.documents
    }

    fn session_transcript(&self) -> RawTranscript {
        self.transcript.clone()
    }

    fn device_auth_type(&self) -> DeviceAuthType {
        DeviceAuthType::Sign1
    }
}

fn our_report(response: &[u8], transcript: &SessionTranscript, iaca: &[u8]) -> VerificationReport {
    verify_device_response(
        &VerifyInput {
            device_response: response,
            session_transcript: transcript,
            status_lists: &[],
            at: OffsetDateTime::now_utc(),
            reader_key: None,
        },
        &[TrustAnchor::parse(CertificateDer::new(iaca.to_vec())).unwrap()],
    )
}

fn now() -> OffsetDateTime {
    OffsetDateTime::now_utc().replace_nanosecond(0).unwrap() - Duration::minutes(1)
}

/// QR engagement → isomdl reader establishes the session → isomdl device answers. isomdl's
/// reader accepts the encrypted answer; we accept the same DeviceResponse with the
/// SessionTranscript isomdl built (DeviceEngagementBytes, EReaderKeyBytes, QR handover null).
#[test]
fn we_accept_an_isomdl_device_response_over_an_isomdl_qr_session() {
    let issuer = Issuer::new(Some("US-NY"));
    let device_key = isomdl_key();
    let mdoc = issuer.issue(&device_key, now());
    let (_, permitted, namespaces) = everything(&mdoc);
    let documents = Documents::new(MDL_DOC_TYPE.to_owned(), mdoc.into());

    let (engaged, qr) = device::SessionManagerInit::initialise(documents, None, None)
        .unwrap()
        .qr_engagement()
        .unwrap();
    let (mut reader_session, request, _) = reader::SessionManager::establish_session(
        qr,
        namespaces,
        isomdl_registry(&issuer.iaca_der()),
    )
    .unwrap();
    let (mut device_session, request_outcome) = engaged
        .process_session_establishment(
            isomdl::cbor::from_slice(&request).unwrap(),
            Default::default(),
        )
        .unwrap();
    let requested = request_outcome.items_request;

    // The plaintext DeviceResponse (ECDSA in p256 is deterministic, RFC 6979: the same bytes as
    // the encrypted one below).
    let response = respond(&device_session, &requested, permitted.clone(), &device_key);
    let transcript_bytes = isomdl::cbor::to_vec(
        &Tag24::new(DeviceSession::session_transcript(&device_session)).unwrap(),
    )
    .unwrap();

    // isomdl's own reader accepts it over the encrypted session.
    // (Named in full: with `DeviceSession` in scope, method syntax would pick the trait's
    // `&self` method, which returns the prepared response instead of storing it.)
    device::SessionManager::prepare_response(&mut device_session, &requested, permitted);
    let (_, payload) = device_session.get_next_signature_payload().unwrap();
    let signature: Signature = device_key.sign(payload);
    device_session
        .submit_next_signature(signature.to_vec())
        .unwrap();
    let session_data = device_session.retrieve_response().unwrap();
    let isomdl_outcome = reader_session.handle_response(&session_data);
    assert_eq!(
        isomdl_outcome.issuer_authentication,
        AuthenticationStatus::Valid,
        "{:?}",
        isomdl_outcome.errors
    );
    assert_eq!(
        isomdl_outcome.device_authentication,
        AuthenticationStatus::Valid,
        "{:?}",
        isomdl_outcome.errors
    );

    // We accept it.
    let transcript = SessionTranscript::from_bytes(&transcript_bytes).unwrap();
    let report = our_report(&response, &transcript, &issuer.iaca_der());
    assert!(report.is_valid(), "{report}");
    assert_eq!(report.device_auth, Some("signature"));
    assert_eq!(
        report.value(ISO_NAMESPACE, "family_name"),
        Some(&ciborium::Value::from("Interop"))
    );
    assert!(
        report
            .disclosed
            .iter()
            .any(|d| d.namespace == AAMVA_NAMESPACE)
    );
    assert_eq!(
        report.outcome("issuing_jurisdiction_matches_certificate"),
        Some(&Outcome::Passed)
    );
    assert_eq!(
        report.outcome("status"),
        Some(&Outcome::NotApplicable(
            "the MSO carries no status reference"
        ))
    );
}

/// isomdl's holder answers in an OpenID4VP session (our transcript, through isomdl's
/// `DeviceSession` trait); we accept, and so does isomdl's reader code on the same bytes.
#[test]
fn we_accept_an_isomdl_device_response_over_an_openid4vp_session() {
    let issuer = Issuer::new(Some("US-NY"));
    let device_key = isomdl_key();
    let mdoc = issuer.issue(&device_key, now());
    let (requested, permitted, _) = everything(&mdoc);
    let transcript = SessionTranscript::openid4vp(
        "x509_san_dns:verifier.example.com",
        "isomdl-holder-nonce-7f3a",
        None,
        "https://verifier.example.com/response",
    );
    let session = Oid4vpSession {
        documents: Documents::new(MDL_DOC_TYPE.to_owned(), mdoc.into()),
        transcript: RawTranscript::from_ours(&transcript),
    };
    let response = respond(&session, &requested, permitted, &device_key);

    let report = our_report(&response, &transcript, &issuer.iaca_der());
    assert!(report.is_valid(), "{report}");
    let disclosed = report.disclosed.len();
    assert!(disclosed >= 20, "{disclosed} elements");

    let verdict = isomdl_verify(
        &response,
        &session.transcript,
        &isomdl_registry(&issuer.iaca_der()),
    )
    .unwrap();
    assert!(
        verdict.outcome.errors.is_empty(),
        "{:?}",
        verdict.outcome.errors
    );

    // Bound to the session: another transcript fails our device check, and only it.
    let other = SessionTranscript::openid4vp(
        "x509_san_dns:verifier.example.com",
        "another-nonce",
        None,
        "https://verifier.example.com/response",
    );
    let report = our_report(&response, &other, &issuer.iaca_der());
    let failures: Vec<&str> = report.failures().map(|c| c.name.as_str()).collect();
    assert_eq!(failures, ["device_authentication"]);
}

/// A document signer without stateOrProvinceName (allowed by Annex B; isomdl accepts it) and an
/// mDL that discloses issuing_jurisdiction. ISO 18013-5 requires comparing issuing_jurisdiction
/// with the signer's stateOrProvinceName only when the certificate has one, so the comparison
/// does not apply and the response is valid (see docs/interop.md, F3: our verifier used to fail it).
#[test]
fn a_signer_without_state_makes_the_issuing_jurisdiction_comparison_not_applicable() {
    let issuer = Issuer::new(None);
    let device_key = isomdl_key();
    let mdoc = issuer.issue(&device_key, now());
    let (requested, permitted, _) = everything(&mdoc);
    let transcript = SessionTranscript::openid4vp(
        "x509_san_dns:verifier.example.com",
        "isomdl-holder-nonce-no-state",
        None,
        "https://verifier.example.com/response",
    );
    let session = Oid4vpSession {
        documents: Documents::new(MDL_DOC_TYPE.to_owned(), mdoc.into()),
        transcript: RawTranscript::from_ours(&transcript),
    };
    let response = respond(&session, &requested, permitted, &device_key);

    let verdict = isomdl_verify(
        &response,
        &session.transcript,
        &isomdl_registry(&issuer.iaca_der()),
    )
    .unwrap();
    assert!(
        verdict.outcome.errors.is_empty(),
        "{:?}",
        verdict.outcome.errors
    );

    let report = our_report(&response, &transcript, &issuer.iaca_der());
    assert!(report.is_valid(), "{report}");
    assert!(matches!(
        report.outcome("issuing_jurisdiction_matches_certificate"),
        Some(Outcome::NotApplicable(_))
    ));
    assert_eq!(
        report.outcome("issuing_country_matches_certificate"),
        Some(&Outcome::Passed)
    );
}
