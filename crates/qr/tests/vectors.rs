//! The EDL1 test vectors (`crates/qr/vectors/*.json`, specified in `docs/qr-format.md`) are the
//! contract: every deterministic structure re-encodes byte for byte from the vector's inputs, and
//! the verifier reaches each vector's expected result.

#![allow(clippy::unwrap_used)]

use edl_domain::{Licence, StatusSet};
use edl_mdoc::{Outcome, Purpose};
use edl_pki::{CertificateDer, InMemorySigner, Signer, TrustAnchor};
use edl_qr::claims::purpose_code;
use edl_qr::credential::{
    CompactCredential, ParsedCredential, claims_bytes, compress_point, sig_structure, signer_kid,
};
use edl_qr::presentation::holder_signed_bytes;
use edl_qr::{
    CredentialRequest, KnownSigner, Policy, QrVerifier, VerifyInput, decode_text, present,
};
use edl_status_list::verify_token;
use serde_json::Value as Json;
use time::format_description::well_known::Rfc3339;
use time::macros::date;
use time::{Duration, OffsetDateTime};

fn unhex(text: &str) -> Vec<u8> {
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap())
        .collect()
}

fn time(value: &Json) -> OffsetDateTime {
    OffsetDateTime::parse(value.as_str().unwrap(), &Rfc3339).unwrap()
}

fn vectors() -> Vec<Json> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("vectors");
    let mut paths: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    paths.sort();
    assert!(paths.len() >= 7, "the vectors are missing");
    paths
        .iter()
        .map(|p| serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap())
        .collect()
}

fn licence(letters: &str) -> Licence {
    let today = date!(2026 - 03 - 01);
    let generator = edl_synth::Generator::new(11, today);
    (0..)
        .map(|i| generator.licence(i))
        .find(|l| l.claim_eligibility(today).is_ok() && l.status().is_normal())
        .unwrap()
        .with_status(StatusSet::parse(letters).unwrap())
        .unwrap()
}

fn certificate(pem: &Json) -> CertificateDer {
    CertificateDer::parse_pem_bundle(pem.as_str().unwrap())
        .unwrap()
        .remove(0)
}

#[test]
fn every_deterministic_structure_re_encodes_byte_for_byte() {
    for v in vectors() {
        let name = v["name"].as_str().unwrap();
        let text = v["qr_text"].as_str().unwrap();
        assert_eq!(
            edl_qr::base45::decode(text.strip_prefix("EDL1:").unwrap()).unwrap(),
            unhex(v["payload_hex"].as_str().unwrap()),
            "{name}"
        );
        let p = decode_text(text).unwrap();
        assert_eq!(
            p.credential,
            unhex(v["credential_hex"].as_str().unwrap()),
            "{name}"
        );
        let issued = &v["issued"];
        assert_eq!(p.generated_at, time(&issued["generated_at"]), "{name}");
        assert_eq!(
            p.challenge,
            unhex(issued["challenge_hex"].as_str().unwrap()),
            "{name}"
        );

        let keys = &v["keys"];
        let ds = certificate(&keys["document_signer_pem"]);
        assert_eq!(
            signer_kid(&ds).to_vec(),
            unhex(keys["document_signer_kid_hex"].as_str().unwrap())
        );
        let device =
            InMemorySigner::from_pkcs8_der(&unhex(keys["device_pkcs8_hex"].as_str().unwrap()))
                .unwrap();
        assert_eq!(
            compress_point(&device.public_key()).unwrap().to_vec(),
            unhex(keys["device_public_compressed_hex"].as_str().unwrap())
        );
        let purpose = Purpose::parse(issued["purpose"].as_str().unwrap()).unwrap();
        let digest: [u8; 16] = unhex(issued["portrait_digest_hex"].as_str().unwrap())
            .try_into()
            .unwrap();
        let request = CredentialRequest {
            purpose,
            device_key: &device.public_key(),
            portrait_digest: &digest,
            valid_from: time(&issued["valid_from"]),
            valid_until: time(&issued["valid_until"]),
            status_index: issued["status_index"].as_u64(),
            signer_certificate: &ds,
            signer_not_before: time(&issued["valid_from"]),
            signer_not_after: time(&issued["valid_until"]),
        };
        let claims = claims_bytes(
            &licence(issued["status_letters"].as_str().unwrap()),
            &request,
        )
        .unwrap();
        assert_eq!(
            claims,
            unhex(v["claims_hex"].as_str().unwrap()),
            "{name}: claims"
        );
        let parsed = ParsedCredential::parse(&p.credential).unwrap();
        assert_eq!(parsed.payload, claims, "{name}");
        assert_eq!(
            sig_structure(&claims),
            unhex(v["sig_structure_hex"].as_str().unwrap()),
            "{name}: Sig_structure"
        );
        assert_eq!(
            holder_signed_bytes(
                &p.credential,
                u64::try_from(p.generated_at.unix_timestamp()).unwrap(),
                purpose_code(purpose),
                &p.challenge
            ),
            unhex(v["holder_signed_hex"].as_str().unwrap()),
            "{name}: the bytes the device signs"
        );
    }
}

fn verify(v: &Json, text: &str) -> edl_qr::QrReport {
    let keys = &v["keys"];
    let input = &v["verifier"];
    let anchor = TrustAnchor::parse(certificate(&keys["iaca_pem"])).unwrap();
    let at = time(&input["validation_time"]);
    let known = input["known_signers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| KnownSigner {
            certificate: certificate(&keys["document_signer_pem"]),
            revoked_at: k["revoked_at"].as_str().map(|_| time(&k["revoked_at"])),
        })
        .collect();
    let list = verify_token(
        &unhex(input["status_list_cwt_hex"].as_str().unwrap()),
        std::slice::from_ref(&anchor),
        at,
        None,
    )
    .unwrap();
    let challenge = input["challenge_hex"].as_str().map(unhex);
    let allowed: Option<Vec<Purpose>> = input["allowed_purposes"].as_array().map(|a| {
        a.iter()
            .map(|p| Purpose::parse(p.as_str().unwrap()).unwrap())
            .collect()
    });
    let policy = Policy {
        freshness: Duration::seconds(input["max_age_seconds"].as_i64().unwrap()),
        future_skew: Duration::seconds(input["future_skew_seconds"].as_i64().unwrap()),
    };
    QrVerifier::new(vec![anchor], known, policy)
        .unwrap()
        .verify(&VerifyInput {
            text,
            at,
            status_lists: &[list],
            challenge: challenge.as_deref(),
            allowed_purposes: allowed.as_deref(),
        })
}

fn names(report: &edl_qr::QrReport, pred: fn(&Outcome) -> bool) -> Vec<String> {
    report
        .checks
        .iter()
        .filter(|c| pred(&c.outcome))
        .map(|c| c.name.clone())
        .collect()
}

#[test]
fn the_verifier_reaches_every_expected_result() {
    for v in vectors() {
        let name = v["name"].as_str().unwrap();
        let report = verify(&v, v["qr_text"].as_str().unwrap());
        let expected = &v["expected"];
        assert_eq!(
            report.is_valid(),
            expected["valid"].as_bool().unwrap(),
            "{name}"
        );
        assert_eq!(report.colour.as_str(), expected["colour"], "{name}");
        let strings = |key: &str| -> Vec<String> {
            expected[key]
                .as_array()
                .unwrap()
                .iter()
                .map(|s| s.as_str().unwrap().to_owned())
                .collect()
        };
        assert_eq!(
            names(&report, |o| matches!(o, Outcome::Failed(_))),
            strings("failed_checks"),
            "{name}"
        );
        assert_eq!(
            names(&report, |o| matches!(o, Outcome::NotChecked(_))),
            strings("not_checked"),
            "{name}"
        );
        let fields = expected["fields"].as_object().unwrap();
        assert_eq!(report.fields.len(), fields.len(), "{name}");
        for f in &report.fields {
            assert_eq!(
                fields[f.identifier],
                f.value.display(),
                "{name}: {}",
                f.identifier
            );
        }
    }
}

#[test]
fn a_fresh_holder_signature_over_a_vector_credential_verifies_the_same() {
    // What the browser wallet does: keep the credential bytes, sign anew with the device key.
    for v in vectors().iter().filter(|v| v["expected"]["valid"] == true) {
        let keys = &v["keys"];
        let device =
            InMemorySigner::from_pkcs8_der(&unhex(keys["device_pkcs8_hex"].as_str().unwrap()))
                .unwrap();
        let credential =
            CompactCredential::from_bytes(unhex(v["credential_hex"].as_str().unwrap())).unwrap();
        let issued = &v["issued"];
        let challenge = unhex(issued["challenge_hex"].as_str().unwrap());
        let text = present(
            &credential,
            time(&issued["generated_at"]),
            &challenge,
            &device,
        )
        .unwrap();
        assert_ne!(
            text,
            v["qr_text"].as_str().unwrap(),
            "ECDSA signatures are randomised"
        );
        assert!(verify(v, &text).is_valid(), "{}", v["name"]);
    }
}

#[test]
fn a_fresh_code_over_a_vector_credential_has_the_vector_payload_but_for_the_signature() {
    // The wallet's payload bytes are the contract (the browser's encoder is tested against the same
    // vectors): only the randomised device signature, the last 64 bytes, may differ.
    for v in vectors() {
        let device =
            InMemorySigner::from_pkcs8_der(&unhex(v["keys"]["device_pkcs8_hex"].as_str().unwrap()))
                .unwrap();
        let credential =
            CompactCredential::from_bytes(unhex(v["credential_hex"].as_str().unwrap())).unwrap();
        let issued = &v["issued"];
        let text = present(
            &credential,
            time(&issued["generated_at"]),
            &unhex(issued["challenge_hex"].as_str().unwrap()),
            &device,
        )
        .unwrap();
        let payload = edl_qr::base45::decode(text.strip_prefix("EDL1:").unwrap()).unwrap();
        let expected = unhex(v["payload_hex"].as_str().unwrap());
        assert_eq!(payload.len(), expected.len(), "{}", v["name"]);
        let unsigned = expected.len() - 64;
        assert_eq!(payload[..unsigned], expected[..unsigned], "{}", v["name"]);
        assert_ne!(payload[unsigned..], expected[unsigned..], "{}", v["name"]);
    }
}
