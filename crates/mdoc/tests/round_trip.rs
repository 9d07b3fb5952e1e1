//! Issue → present → verify with the platform's own parts: a synthetic licence, a demo PKI, a
//! device key, a status list. Then every way the presentation can be wrong, each with its own
//! failed check.

#![allow(clippy::unwrap_used)]

use ciborium::Value;
use edl_domain::StatusSet;
use edl_mdoc::document::DeviceResponse;
use edl_mdoc::verify::{Outcome, StatusFinding, Verifier, VerifyInput};
use edl_mdoc::{
    CN_NAMESPACE, ISO_NAMESPACE, IssueRequest, IssuerSigned, Portrait, Purpose, SessionTranscript,
    StatusReference, VerificationReport, issue, prepare, present,
};
use edl_pki::{DemoPki, InMemorySigner, Signer};
use edl_status_list::{
    CredentialStatus, StatusList, StatusListToken, VerifiedStatusList, verify_token,
};
use edl_synth::Generator;
use time::macros::{date, datetime};
use time::{Duration, OffsetDateTime};

const SIGNED: OffsetDateTime = datetime!(2026-03-01 02:00 UTC);
const URI: &str = "https://edl.example.cn/status/test.cwt";

struct World {
    pki: DemoPki,
    device: InMemorySigner,
    licence: edl_domain::Licence,
    issued: IssuerSigned,
    transcript: SessionTranscript,
}

fn claimable_licence() -> edl_domain::Licence {
    let generator = Generator::new(7, date!(2026 - 03 - 01));
    (0..)
        .map(|i| generator.licence(i))
        .find(|l| l.claim_eligibility(date!(2026 - 03 - 01)).is_ok() && l.status().is_normal())
        .unwrap()
}

fn world() -> World {
    let licence = claimable_licence();
    let pki = DemoPki::new(
        licence.authority().clone(),
        datetime!(2026-01-01 00:00 UTC),
        365,
    )
    .unwrap();
    let device = InMemorySigner::generate().unwrap();
    let portrait = Portrait::new(edl_synth::demo_portrait().to_vec()).unwrap();
    let request = IssueRequest {
        device_key: &device.public_key(),
        portrait: &portrait,
        signed_at: SIGNED,
        status: Some(StatusReference {
            idx: 5,
            uri: URI.into(),
        }),
        signer_certificate: &pki.document_signer,
        signer_not_before: datetime!(2026-01-01 00:00 UTC),
        signer_not_after: datetime!(2027-01-01 00:00 UTC),
    };
    let issued = issue(&licence, &request, &pki.document_signer_key).unwrap();
    let transcript = SessionTranscript::openid4vp(
        "x509_san_dns:rental.example.cn",
        "n-0S6_WzA2Mj",
        None,
        "https://rental.example.cn/response",
    );
    World {
        pki,
        device,
        licence,
        issued,
        transcript,
    }
}

fn status_list(
    w: &World,
    status: CredentialStatus,
    expires_at: OffsetDateTime,
) -> VerifiedStatusList {
    let mut list = StatusList::new(2, 64).unwrap();
    list.set(5, status).unwrap();
    let token = StatusListToken {
        uri: URI.into(),
        issued_at: SIGNED,
        expires_at,
        ttl_seconds: 3600,
        list,
    }
    .sign(&w.pki.document_signer, &w.pki.document_signer_key)
    .unwrap();
    verify_token(
        &token,
        std::slice::from_ref(&w.pki.anchor),
        SIGNED + Duration::hours(1),
        Some(URI),
    )
    .unwrap()
}

fn check(
    w: &World,
    response: &[u8],
    lists: &[VerifiedStatusList],
    at: OffsetDateTime,
) -> VerificationReport {
    Verifier::new(vec![w.pki.anchor.clone()]).verify(&VerifyInput {
        device_response: response,
        session_transcript: &w.transcript,
        status_lists: lists,
        at,
        reader_key: None,
    })
}

fn failures(report: &VerificationReport) -> Vec<String> {
    report.failures().map(|c| c.name.clone()).collect()
}

const AT: OffsetDateTime = datetime!(2026-03-02 09:00 UTC);

#[test]
fn an_issued_credential_presented_for_a_purpose_verifies_and_discloses_only_that_purpose() {
    let w = world();
    let lists = [status_list(
        &w,
        CredentialStatus::Valid,
        AT + Duration::days(1),
    )];
    for purpose in edl_mdoc::purpose::PURPOSES {
        let response = present(&w.issued, purpose, &w.transcript, &w.device)
            .unwrap()
            .to_bytes();
        let report = check(&w, &response, &lists, AT);
        assert!(report.is_valid(), "{purpose}: {report}");
        let disclosed: Vec<(&str, &str)> = report
            .disclosed
            .iter()
            .map(|d| (d.namespace.as_str(), d.identifier.as_str()))
            .collect();
        let expected: Vec<(&str, &str)> = purpose
            .elements()
            .map(|e| (e.namespace, e.identifier))
            .collect();
        let mut sorted_disclosed = disclosed.clone();
        sorted_disclosed.sort_unstable();
        let mut sorted_expected = expected.clone();
        sorted_expected
            .retain(|(_, id)| *id != "nationality" || disclosed.iter().any(|(_, d)| d == id));
        sorted_expected.sort_unstable();
        assert_eq!(sorted_disclosed, sorted_expected, "{purpose}");
        assert!(matches!(
            report.status,
            StatusFinding::Found {
                status: CredentialStatus::Valid,
                ..
            }
        ));
    }

    let response = present(&w.issued, Purpose::Roadside, &w.transcript, &w.device)
        .unwrap()
        .to_bytes();
    let report = check(&w, &response, &lists, AT);
    let name = w.licence.name().as_str();
    let family = report
        .value(ISO_NAMESPACE, "family_name_national_character")
        .unwrap()
        .as_text()
        .unwrap()
        .to_owned();
    let given = report
        .value(ISO_NAMESPACE, "given_name_national_character")
        .unwrap()
        .as_text()
        .unwrap()
        .to_owned();
    assert_eq!(format!("{family}{given}"), name.replace('·', ""));
    assert_eq!(
        report.value(ISO_NAMESPACE, "issuing_country"),
        Some(&Value::from("CN"))
    );
    assert_eq!(
        report.value(CN_NAMESPACE, "file_number"),
        Some(&Value::Text(w.licence.file_number().to_string()))
    );
    assert_eq!(
        report.outcome("issuing_country_matches_certificate"),
        Some(&Outcome::Passed)
    );
    // Our document signers carry no ST (docs/decisions/pki.md), so the comparison does not apply.
    assert_eq!(
        report.outcome("issuing_jurisdiction_matches_certificate"),
        Some(&Outcome::NotApplicable(
            "the document signer certificate has no stateOrProvinceName"
        ))
    );
    let validity = report.validity.unwrap();
    assert_eq!(validity.valid_from, SIGNED);
    assert!(validity.valid_until <= SIGNED + issue::CREDENTIAL_LIFETIME);
}

#[test]
fn the_mso_has_random_salts_shuffled_ids_and_the_status_reference() {
    let w = world();
    let response = present(&w.issued, Purpose::Roadside, &w.transcript, &w.device).unwrap();
    let mso = edl_mdoc::MobileSecurityObject::from_tagged_bytes(
        w.issued.issuer_auth.payload.as_deref().unwrap(),
    )
    .unwrap();
    assert_eq!(
        mso.status,
        Some(StatusReference {
            idx: 5,
            uri: URI.into()
        })
    );
    assert_eq!(mso.device_key.as_ref().unwrap(), &w.device.public_key());
    let items = &response.documents[0].issuer_signed.namespaces[0].1;
    let ids: Vec<u64> = items.iter().map(|i| i.item().digest_id).collect();
    assert_ne!(
        ids,
        (0..ids.len() as u64).collect::<Vec<_>>(),
        "digest IDs follow element order"
    );
    let salts: std::collections::HashSet<&[u8]> =
        items.iter().map(|i| i.item().random.as_slice()).collect();
    assert_eq!(salts.len(), items.len());
    assert!(items.iter().all(|i| i.item().random.len() == 16));
    // A second issuance of the same licence shares no salt with the first.
    let again = world();
    let again_salts: Vec<&[u8]> = again.issued.namespaces[0]
        .1
        .iter()
        .map(|i| i.item().random.as_slice())
        .collect();
    assert!(again_salts.iter().all(|s| !salts.contains(s)));
}

#[test]
fn prepare_then_sign_elsewhere_then_complete_gives_a_verifiable_credential() {
    let w = world();
    let portrait = Portrait::new(edl_synth::demo_portrait().to_vec()).unwrap();
    let request = IssueRequest {
        device_key: &w.device.public_key(),
        portrait: &portrait,
        signed_at: SIGNED,
        status: None,
        signer_certificate: &w.pki.document_signer,
        signer_not_before: datetime!(2026-01-01 00:00 UTC),
        signer_not_after: datetime!(2027-01-01 00:00 UTC),
    };
    let prepared = prepare(&w.licence, &request).unwrap();
    // The "HSM" signs the Sig_structure bytes it is handed.
    let signature = w
        .pki
        .document_signer_key
        .sign(prepared.signature_payload())
        .unwrap();
    let issued = prepared.complete(signature).unwrap();
    let response = present(&issued, Purpose::CarRental, &w.transcript, &w.device)
        .unwrap()
        .to_bytes();
    let report = check(&w, &response, &[], AT);
    assert!(report.is_valid(), "{report}");
    assert_eq!(
        report.outcome("status"),
        Some(&Outcome::NotApplicable(
            "the MSO carries no status reference"
        ))
    );

    let prepared = prepare(&w.licence, &request).unwrap();
    assert!(matches!(
        prepared.complete(vec![0; 10]),
        Err(edl_mdoc::IssueError::SignatureLength {
            expected: 64,
            found: 10,
            ..
        })
    ));
}

#[test]
fn status_suspended_revoked_and_unknown_are_each_reported() {
    let w = world();
    let response = present(&w.issued, Purpose::Roadside, &w.transcript, &w.device)
        .unwrap()
        .to_bytes();
    for (status, expected) in [
        (CredentialStatus::Suspended, "the credential is suspended"),
        (CredentialStatus::Invalid, "the credential is invalid"),
    ] {
        let report = check(
            &w,
            &response,
            &[status_list(&w, status, AT + Duration::days(1))],
            AT,
        );
        assert_eq!(failures(&report), ["status"]);
        assert_eq!(
            report.outcome("status"),
            Some(&Outcome::Failed(expected.into()))
        );
    }
    let stale = check(
        &w,
        &response,
        &[status_list(
            &w,
            CredentialStatus::Valid,
            AT - Duration::hours(1),
        )],
        AT,
    );
    assert!(
        matches!(&stale.status, StatusFinding::Unknown { reason } if reason.contains("expired"))
    );
    assert_eq!(failures(&stale), ["status"]);
    let none = check(&w, &response, &[], AT);
    assert!(matches!(none.status, StatusFinding::Unknown { .. }));
}

#[test]
fn each_kind_of_bad_presentation_fails_its_own_check() {
    let w = world();
    let lists = [status_list(
        &w,
        CredentialStatus::Valid,
        AT + Duration::days(30),
    )];
    let good = present(&w.issued, Purpose::Roadside, &w.transcript, &w.device).unwrap();

    // Another session: the device signature is over a different transcript.
    let other = SessionTranscript::openid4vp(
        "x509_san_dns:evil.example",
        "replayed",
        None,
        "https://evil.example/r",
    );
    let replayed = present(&w.issued, Purpose::Roadside, &other, &w.device)
        .unwrap()
        .to_bytes();
    assert_eq!(
        failures(&check(&w, &replayed, &lists, AT)),
        ["device_authentication"]
    );

    // A device key that is not the MSO's.
    let thief = InMemorySigner::generate().unwrap();
    let stolen = present(&w.issued, Purpose::Roadside, &w.transcript, &thief)
        .unwrap()
        .to_bytes();
    assert_eq!(
        failures(&check(&w, &stolen, &lists, AT)),
        ["device_authentication"]
    );

    // After the validity window; before the signing time.
    let bytes = good.to_bytes();
    let late = check(&w, &bytes, &[], SIGNED + Duration::days(15));
    assert!(failures(&late).contains(&"mso_validity".to_owned()));
    let early = check(&w, &bytes, &lists, SIGNED - Duration::hours(1));
    assert_eq!(failures(&early), ["mso_validity"]);

    // A value swapped for another element's: the digest no longer matches.
    let mut swapped = good.clone();
    let items = &mut swapped.documents[0].issuer_signed.namespaces[0].1;
    let mut item = items[0].item().clone();
    item.element_value = Value::from("MALLORY");
    items[0] = edl_mdoc::document::IssuerSignedItemBytes::new(item);
    let name = format!(
        "element_digest.{ISO_NAMESPACE}.{}",
        items[0].item().element_identifier
    );
    assert_eq!(
        failures(&check(&w, &swapped.to_bytes(), &lists, AT)),
        [name]
    );

    // A digest ID pointing at another element's digest.
    let mut pointed = good.clone();
    let items = &mut pointed.documents[0].issuer_signed.namespaces[0].1;
    let mut item = items[0].item().clone();
    item.digest_id = items[1].item().digest_id;
    items[0] = edl_mdoc::document::IssuerSignedItemBytes::new(item);
    let report = check(&w, &pointed.to_bytes(), &lists, AT);
    assert_eq!(failures(&report).len(), 2, "{report}");

    // Another authority's PKI: the chain leads to no trusted IACA.
    let stranger = DemoPki::new(
        w.licence.authority().clone(),
        datetime!(2026-01-01 00:00 UTC),
        365,
    )
    .unwrap();
    let report = Verifier::new(vec![stranger.anchor.clone()]).verify(&VerifyInput {
        device_response: &bytes,
        session_transcript: &w.transcript,
        status_lists: &[],
        at: AT,
        reader_key: None,
    });
    assert!(
        failures(&report).contains(&"certificate.document_signer.chain_to_trusted_iaca".to_owned())
    );

    // Structure: truncated, trailing garbage, not CBOR at all.
    for broken in [
        &bytes[..bytes.len() / 2],
        &[bytes.as_slice(), &[0]].concat()[..],
        b"hello",
    ] {
        let report = check(&w, broken, &lists, AT);
        assert!(matches!(
            report.outcome("cbor_structure"),
            Some(Outcome::Failed(_))
        ));
        assert!(
            report
                .checks
                .iter()
                .skip(1)
                .all(|c| matches!(c.outcome, Outcome::NotChecked(_)))
        );
    }
}

#[test]
fn a_licence_that_may_not_claim_gets_no_credential() {
    let w = world();
    let revoked = w
        .licence
        .with_status(StatusSet::parse("C").unwrap())
        .unwrap();
    let portrait = Portrait::new(edl_synth::demo_portrait().to_vec()).unwrap();
    let request = IssueRequest {
        device_key: &w.device.public_key(),
        portrait: &portrait,
        signed_at: SIGNED,
        status: None,
        signer_certificate: &w.pki.document_signer,
        signer_not_before: datetime!(2026-01-01 00:00 UTC),
        signer_not_after: datetime!(2027-01-01 00:00 UTC),
    };
    assert!(matches!(
        prepare(&revoked, &request),
        Err(edl_mdoc::IssueError::NotIssuable { .. })
    ));
    let outside = IssueRequest {
        signed_at: datetime!(2027-02-01 00:00 UTC),
        ..request
    };
    assert_eq!(
        prepare(&w.licence, &outside).unwrap_err(),
        edl_mdoc::IssueError::SignerNotValid
    );
}

#[test]
fn a_response_decodes_and_encodes_back_to_its_bytes() {
    let w = world();
    let bytes = present(&w.issued, Purpose::Roadside, &w.transcript, &w.device)
        .unwrap()
        .to_bytes();
    assert_eq!(
        DeviceResponse::from_bytes(&bytes).unwrap().to_bytes(),
        bytes
    );
}

#[test]
fn a_field_the_standard_does_not_define_is_refused_by_name() {
    let w = world();
    let response = present(&w.issued, Purpose::Roadside, &w.transcript, &w.device).unwrap();
    let Value::Map(mut entries) = response.to_cbor() else {
        unreachable!()
    };
    entries.insert(1, (Value::from("docuients"), Value::Array(vec![])));
    let bytes = edl_cbor::encode(&Value::Map(entries));
    let err = DeviceResponse::from_bytes(&bytes).unwrap_err();
    assert_eq!(
        err.to_string(),
        "DeviceResponse has a field it does not define: \"docuients\""
    );
    let report = check(&w, &bytes, &[], AT);
    assert!(
        matches!(report.outcome("cbor_structure"), Some(Outcome::Failed(why)) if why.contains("docuients"))
    );
}

#[test]
fn an_unknown_algorithm_and_a_certificate_outside_its_profile_fail_their_own_checks() {
    let w = world();
    let lists = [status_list(
        &w,
        CredentialStatus::Valid,
        AT + Duration::days(1),
    )];

    // EdDSA named in issuerAuth's protected header: the header check names it, and the signature
    // (made over the original header) no longer verifies.
    let mut response = present(&w.issued, Purpose::Roadside, &w.transcript, &w.device).unwrap();
    response.documents[0].issuer_signed.issuer_auth.protected = coset::ProtectedHeader {
        original_data: None,
        header: coset::HeaderBuilder::new()
            .algorithm(coset::iana::Algorithm::EdDSA)
            .build(),
    };
    let report = check(&w, &response.to_bytes(), &lists, AT);
    assert_eq!(
        failures(&report),
        ["issuer_auth_header", "issuer_signature"],
        "{report}"
    );

    // The IACA signing credentials itself: its signature is good, but it is no document signer.
    let portrait = Portrait::new(edl_synth::demo_portrait().to_vec()).unwrap();
    let request = IssueRequest {
        device_key: &w.device.public_key(),
        portrait: &portrait,
        signed_at: SIGNED,
        status: None,
        signer_certificate: &w.pki.iaca,
        signer_not_before: datetime!(2026-01-01 00:00 UTC),
        signer_not_after: datetime!(2027-01-01 00:00 UTC),
    };
    let by_root = issue(&w.licence, &request, &w.pki.iaca_key).unwrap();
    let bytes = present(&by_root, Purpose::Roadside, &w.transcript, &w.device)
        .unwrap()
        .to_bytes();
    let report = check(&w, &bytes, &[], AT);
    assert_eq!(report.outcome("issuer_signature"), Some(&Outcome::Passed));
    let failed = failures(&report);
    for expected in [
        "certificate.document_signer.extended_key_usage",
        "certificate.document_signer.basic_constraints",
        "certificate.document_signer.key_usage",
    ] {
        assert!(
            failed.iter().any(|f| f == expected),
            "{expected} in {failed:?}"
        );
    }
}

#[test]
fn an_online_verifier_takes_the_registry_state_for_the_status() {
    use edl_mdoc::verify::StatusSource;
    let w = world();
    let response = present(&w.issued, Purpose::CarRental, &w.transcript, &w.device)
        .unwrap()
        .to_bytes();
    let verifier = Verifier::new(vec![w.pki.anchor.clone()]);
    let input = VerifyInput {
        device_response: &response,
        session_transcript: &w.transcript,
        status_lists: &[],
        at: AT,
        reader_key: None,
    };
    let pending = verifier.begin(&input);
    assert_eq!(
        pending.status_reference(),
        Some(&StatusReference {
            idx: 5,
            uri: URI.into()
        })
    );
    let valid = pending.finish(StatusSource::Registry {
        status: Some(CredentialStatus::Valid),
        as_of: AT,
    });
    assert!(valid.is_valid(), "{valid}");
    let suspended = verifier.begin(&input).finish(StatusSource::Registry {
        status: Some(CredentialStatus::Suspended),
        as_of: AT,
    });
    assert_eq!(failures(&suspended), ["status"]);
    let unknown = verifier.begin(&input).finish(StatusSource::Registry {
        status: None,
        as_of: AT,
    });
    assert!(matches!(unknown.status, StatusFinding::Unknown { .. }));
    // The two steps with lists are `verify`.
    let lists = [status_list(
        &w,
        CredentialStatus::Suspended,
        AT + Duration::days(1),
    )];
    assert_eq!(
        verifier.begin(&input).finish(StatusSource::Lists(&lists)),
        check(&w, &response, &lists, AT)
    );
    // A response whose issuer signature fails gives no reference to look up.
    let mut forged = present(&w.issued, Purpose::CarRental, &w.transcript, &w.device).unwrap();
    forged.documents[0].issuer_signed.issuer_auth.signature[3] ^= 1;
    let forged = forged.to_bytes();
    let broken = verifier.begin(&VerifyInput {
        device_response: &forged,
        ..input
    });
    assert_eq!(broken.status_reference(), None);
    assert_eq!(
        failures(&broken.finish(StatusSource::Registry {
            status: Some(CredentialStatus::Valid),
            as_of: AT,
        })),
        ["issuer_signature"]
    );
}
