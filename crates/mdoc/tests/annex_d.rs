//! The ISO/IEC 18013-5 Annex D vectors (from `../shared/vectors/iso18013-5-annex-d.json`, copied
//! to `tests/data/`): byte-exact round trips of every structure, and the verdicts a verifier must
//! reach.

#![allow(clippy::unwrap_used)]

use edl_mdoc::document::DeviceResponse;
use edl_mdoc::mso::MobileSecurityObject;
use edl_mdoc::session::device_authentication_bytes;
use edl_mdoc::verify::{Outcome, StatusFinding, VerifyInput, verify_device_response};
use edl_mdoc::{ReaderKey, SessionTranscript};
use edl_pki::{CertificateDer, TrustAnchor};
use time::OffsetDateTime;
use time::macros::datetime;

struct Vectors(serde_json::Value);

impl Vectors {
    fn load() -> Vectors {
        let text = include_str!("data/iso18013-5-annex-d.json");
        Vectors(serde_json::from_str(text).unwrap())
    }

    fn hex(&self, name: &str) -> Vec<u8> {
        let hex = self.0["hex"][name].as_str().unwrap();
        decode_hex(hex)
    }

    fn reader_key(&self) -> ReaderKey {
        let d = self.0["keys"]["ephemeral_reader_key"]["d"]
            .as_str()
            .unwrap();
        ReaderKey::from_scalar(&decode_hex(d)).unwrap()
    }

    fn iaca(&self) -> TrustAnchor {
        TrustAnchor::parse(CertificateDer::new(self.hex("iaca_cert"))).unwrap()
    }

    fn transcript(&self) -> SessionTranscript {
        SessionTranscript::from_bytes(&self.hex("session_transcript_bytes")).unwrap()
    }
}

fn decode_hex(hex: &str) -> Vec<u8> {
    (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
        .collect()
}

const VALIDATION_TIME: OffsetDateTime = datetime!(2021-01-01 00:00 UTC);
const TODAY: OffsetDateTime = datetime!(2026-11-26 00:00 UTC);

fn verify(
    v: &Vectors,
    response: &[u8],
    at: OffsetDateTime,
    reader: Option<&ReaderKey>,
) -> edl_mdoc::VerificationReport {
    let transcript = v.transcript();
    verify_device_response(
        &VerifyInput {
            device_response: response,
            session_transcript: &transcript,
            status_lists: &[],
            at,
            reader_key: reader,
        },
        &[v.iaca()],
    )
}

#[test]
fn every_structure_decodes_and_encodes_back_to_the_same_bytes() {
    let v = Vectors::load();
    let response = v.hex("device_response");
    let decoded = DeviceResponse::from_bytes(&response).unwrap();
    assert_eq!(decoded.to_bytes(), response);

    let document = &decoded.documents[0];
    let issuer_signed = edl_cbor::encode(&document.issuer_signed.to_cbor());
    assert_eq!(issuer_signed, v.hex("issuer_signed"));

    let mso_bytes = v.hex("mobile_security_object_bytes");
    assert_eq!(document.issuer_auth_payload(), Some(mso_bytes.as_slice()));
    let mso = MobileSecurityObject::from_tagged_bytes(&mso_bytes).unwrap();
    assert_eq!(mso.to_tagged_bytes(), mso_bytes);
    assert_eq!(mso.value_digests[0].1.len(), 13);
    assert_eq!(mso.value_digests[1].0, "org.iso.18013.5.1.US");
    assert!(mso.status.is_none());

    let items = &document.issuer_signed.namespaces[0].1;
    let by_name = |name: &str| {
        items
            .iter()
            .find(|i| i.item().element_identifier == name)
            .unwrap()
            .tagged_bytes()
    };
    for (name, vector) in [
        ("family_name", "issuer_signed_item_family_name"),
        ("issue_date", "issuer_signed_item_issue_date"),
        ("expiry_date", "issuer_signed_item_expiry_date"),
        ("document_number", "issuer_signed_item_document_number"),
        (
            "driving_privileges",
            "issuer_signed_item_driving_privileges",
        ),
    ] {
        assert_eq!(by_name(name), v.hex(vector), "{name}");
    }

    let transcript = v.transcript();
    assert_eq!(transcript.tagged_bytes(), v.hex("session_transcript_bytes"));
    assert_eq!(
        device_authentication_bytes(
            &transcript,
            &document.doc_type,
            &document.device_signed.namespaces_bytes()
        ),
        v.hex("device_authentication_bytes")
    );
}

#[test]
fn the_annex_d_response_verifies_at_its_date_with_the_reader_key() {
    let v = Vectors::load();
    let reader = v.reader_key();
    let report = verify(
        &v,
        &v.hex("device_response"),
        VALIDATION_TIME,
        Some(&reader),
    );
    assert!(report.is_valid(), "{report}");
    assert_eq!(report.device_auth, Some("mac"));
    assert_eq!(report.status, StatusFinding::NotReferenced);
    let disclosed: Vec<&str> = report
        .disclosed
        .iter()
        .map(|d| d.identifier.as_str())
        .collect();
    let expected: Vec<&str> = v.0["expected"]["device_response"]["disclosed"]["org.iso.18013.5.1"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap())
        .collect();
    assert_eq!(disclosed, expected);
    assert_eq!(
        report.value("org.iso.18013.5.1", "family_name"),
        Some(&ciborium::Value::Text("Doe".into()))
    );
    let validity = report.validity.unwrap();
    assert_eq!(validity.valid_from, datetime!(2020-10-01 13:30:02 UTC));
    assert_eq!(validity.valid_until, datetime!(2021-10-01 13:30:02 UTC));
}

#[test]
fn today_the_mso_and_the_signer_certificate_are_expired_and_nothing_else_fails() {
    let v = Vectors::load();
    let reader = v.reader_key();
    let report = verify(&v, &v.hex("device_response"), TODAY, Some(&reader));
    let failed: Vec<&str> = report.failures().map(|c| c.name.as_str()).collect();
    assert_eq!(
        failed,
        ["certificate.document_signer.validity", "mso_validity"],
        "{report}"
    );
    assert!(
        matches!(report.outcome("mso_validity"), Some(Outcome::Failed(why)) if why.contains("expired"))
    );
}

#[test]
fn flipping_byte_200_fails_the_family_name_digest_only() {
    let v = Vectors::load();
    let reader = v.reader_key();
    let mut response = v.hex("device_response");
    response[200] ^= 0x02; // 'D' (0x44) → 'F' (0x46): "Doe" → "Foe"
    let report = verify(&v, &response, VALIDATION_TIME, Some(&reader));
    let failed: Vec<&str> = report.failures().map(|c| c.name.as_str()).collect();
    assert_eq!(
        failed,
        ["element_digest.org.iso.18013.5.1.family_name"],
        "{report}"
    );
    assert_eq!(report.outcome("issuer_signature"), Some(&Outcome::Passed));
    assert!(report.value("org.iso.18013.5.1", "family_name").is_none());
}

#[test]
fn a_device_mac_without_the_reader_key_is_reported_not_assumed() {
    let v = Vectors::load();
    let report = verify(&v, &v.hex("device_response"), VALIDATION_TIME, None);
    let failed: Vec<&str> = report.failures().map(|c| c.name.as_str()).collect();
    assert_eq!(failed, ["device_authentication"]);
    // A wrong reader key gives a MAC that does not verify.
    let wrong = ReaderKey::from_scalar(&decode_hex(
        v.0["keys"]["ephemeral_device_key"]["d"].as_str().unwrap(),
    ))
    .unwrap();
    let report = verify(&v, &v.hex("device_response"), VALIDATION_TIME, Some(&wrong));
    assert!(matches!(
        report.outcome("device_authentication"),
        Some(Outcome::Failed(_))
    ));
}

#[test]
fn an_untrusted_root_fails_the_chain_but_every_other_check_still_runs() {
    let v = Vectors::load();
    let reader = v.reader_key();
    let transcript = v.transcript();
    let response = v.hex("device_response");
    let report = verify_device_response(
        &VerifyInput {
            device_response: &response,
            session_transcript: &transcript,
            status_lists: &[],
            at: VALIDATION_TIME,
            reader_key: Some(&reader),
        },
        &[],
    );
    assert!(!report.is_valid());
    assert!(matches!(
        report.outcome("certificate.document_signer.chain_to_trusted_iaca"),
        Some(Outcome::Failed(_))
    ));
    assert_eq!(report.outcome("issuer_signature"), Some(&Outcome::Passed));
    assert_eq!(
        report.outcome("device_authentication"),
        Some(&Outcome::Passed)
    );
}
