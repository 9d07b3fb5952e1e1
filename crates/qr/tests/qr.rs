//! Issue → present → verify the EDL1 code with the platform's own parts (a synthetic licence, a
//! demo PKI, a device key, status lists), then every way a code can be wrong, each with its own
//! failed check and never a panic.

#![allow(clippy::unwrap_used)]

use edl_domain::{Licence, StatusSet};
use edl_mdoc::verify::StatusFinding;
use edl_mdoc::{Outcome, Purpose};
use edl_pki::{DemoPki, InMemorySigner, Signer};
use edl_qr::claims::{FieldValue, portrait_digest};
use edl_qr::{
    Colour, CompactCredential, CredentialRequest, KnownSigner, Policy, QrReport, QrVerifier,
    VerifyInput, base45, issue, present,
};
use edl_status_list::{
    CredentialStatus, StatusList, StatusListToken, VerifiedStatusList, verify_token,
};
use edl_synth::Generator;
use time::macros::{date, datetime};
use time::{Duration, OffsetDateTime};

const SIGNED: OffsetDateTime = datetime!(2026-03-01 02:00 UTC);
const SHOWN: OffsetDateTime = datetime!(2026-03-02 09:30 UTC);
const INDEX: u64 = 5;

struct World {
    pki: DemoPki,
    device: InMemorySigner,
    licence: Licence,
}

fn licence_with(status: &str) -> Licence {
    let generator = Generator::new(7, date!(2026 - 03 - 01));
    let licence = (0..)
        .map(|i| generator.licence(i))
        .find(|l| l.claim_eligibility(date!(2026 - 03 - 01)).is_ok() && l.status().is_normal())
        .unwrap();
    licence
        .with_status(StatusSet::parse(status).unwrap())
        .unwrap()
}

fn world() -> World {
    let licence = licence_with("A");
    let pki = DemoPki::new(
        licence.authority().clone(),
        datetime!(2026-01-01 00:00 UTC),
        365,
    )
    .unwrap();
    World {
        pki,
        device: InMemorySigner::generate().unwrap(),
        licence,
    }
}

fn credential(w: &World, licence: &Licence, purpose: Purpose) -> CompactCredential {
    let digest = portrait_digest(edl_synth::demo_portrait());
    let request = CredentialRequest {
        purpose,
        device_key: &w.device.public_key(),
        portrait_digest: &digest,
        valid_from: SIGNED,
        valid_until: SIGNED + Duration::days(14),
        status_index: Some(INDEX),
        signer_certificate: &w.pki.document_signer,
        signer_not_before: datetime!(2026-01-01 00:00 UTC),
        signer_not_after: datetime!(2027-01-01 00:00 UTC),
    };
    issue(licence, &request, &w.pki.document_signer_key).unwrap()
}

fn status_list(
    w: &World,
    status: CredentialStatus,
    expires_at: OffsetDateTime,
) -> VerifiedStatusList {
    let mut list = StatusList::new(2, 64).unwrap();
    list.set(INDEX, status).unwrap();
    let token = StatusListToken {
        uri: "https://edl.example.cn/status/test.cwt".into(),
        issued_at: SHOWN - Duration::hours(2),
        expires_at,
        ttl_seconds: 900,
        list,
    }
    .sign(&w.pki.document_signer, &w.pki.document_signer_key)
    .unwrap();
    verify_token(&token, std::slice::from_ref(&w.pki.anchor), SHOWN, None).unwrap()
}

fn verifier(w: &World, revoked_at: Option<OffsetDateTime>) -> QrVerifier {
    QrVerifier::new(
        vec![w.pki.anchor.clone()],
        vec![KnownSigner {
            certificate: w.pki.document_signer.clone(),
            revoked_at,
        }],
        Policy::DEFAULT,
    )
    .unwrap()
}

fn verify_at(w: &World, text: &str, at: OffsetDateTime, lists: &[VerifiedStatusList]) -> QrReport {
    verifier(w, None).verify(&VerifyInput {
        text,
        at,
        status_lists: lists,
        challenge: None,
        allowed_purposes: None,
    })
}

fn code(w: &World, purpose: Purpose) -> String {
    present(&credential(w, &w.licence, purpose), SHOWN, &[], &w.device).unwrap()
}

fn reencode(p: &edl_qr::Presentation) -> String {
    use ciborium::Value;
    let payload = edl_cbor::encode(&Value::Array(vec![
        Value::Bytes(p.credential.clone()),
        Value::from(p.generated_at.unix_timestamp()),
        Value::Bytes(p.challenge.clone()),
        Value::Bytes(p.device_signature.clone()),
    ]));
    format!("EDL1:{}", base45::encode(&payload))
}

fn failed(report: &QrReport) -> Vec<&str> {
    report
        .checks
        .iter()
        .filter(|c| matches!(c.outcome, Outcome::Failed(_)))
        .map(|c| c.name.as_str())
        .collect()
}

#[test]
fn a_fresh_roadside_code_verifies_offline_and_shows_the_licence() {
    let w = world();
    let text = code(&w, Purpose::Roadside);
    assert!(text.starts_with("EDL1:"));
    let list = status_list(&w, CredentialStatus::Valid, SHOWN + Duration::hours(20));
    let report = verify_at(&w, &text, SHOWN + Duration::seconds(20), &[list]);
    assert!(
        report.is_valid(),
        "{:?}",
        report.failures().collect::<Vec<_>>()
    );
    assert_eq!(report.colour, Colour::Black);
    assert_eq!(report.purpose, Some(Purpose::Roadside));
    assert_eq!(report.generated_at, Some(SHOWN));
    assert_eq!(report.age(), Some(Duration::seconds(20)));
    assert!(matches!(
        report.status,
        StatusFinding::Found {
            status: CredentialStatus::Valid,
            ..
        }
    ));
    let l = &w.licence;
    assert_eq!(
        report.value("document_number"),
        Some(&FieldValue::CitizenId(l.citizen_id().as_str().to_owned()))
    );
    assert_eq!(
        report.value("file_number"),
        Some(&FieldValue::FileNumber(l.file_number().as_str().to_owned()))
    );
    assert_eq!(
        report.value("birth_date"),
        Some(&FieldValue::Date(l.birth_date()))
    );
    assert_eq!(
        report.value("issuing_authority_name"),
        Some(&FieldValue::Text(l.authority().name.as_str().to_owned()))
    );
    assert_eq!(
        report.value("portrait"),
        Some(&FieldValue::PortraitDigest(portrait_digest(
            edl_synth::demo_portrait()
        )))
    );
    let name = format!(
        "{}{}",
        report
            .value("family_name_national_character")
            .unwrap()
            .display(),
        report
            .value("given_name_national_character")
            .unwrap()
            .display()
    );
    assert_eq!(name, l.name().as_str());
    assert_eq!(report.signer_region, Some(l.authority().region.as_u32()));
}

#[test]
fn a_car_rental_code_carries_only_what_car_rental_may_see() {
    let w = world();
    let report = verify_at(&w, &code(&w, Purpose::CarRental), SHOWN, &[]);
    assert_eq!(report.purpose, Some(Purpose::CarRental));
    assert!(report.value("family_name_national_character").is_some());
    assert!(report.value("driving_classes").is_some());
    assert!(report.value("age_over_18").is_some());
    assert!(report.value("document_number").is_none());
    assert!(report.value("birth_date").is_none());
    // Without a status list the status is unknown, and says so: never silently valid.
    assert_eq!(failed(&report), ["status"]);
    assert!(matches!(report.status, StatusFinding::Unknown { .. }));
}

#[test]
fn stale_and_future_codes_are_refused_with_their_age() {
    let w = world();
    let text = code(&w, Purpose::Roadside);
    let list = status_list(&w, CredentialStatus::Valid, SHOWN + Duration::hours(20));
    let old = verify_at(
        &w,
        &text,
        SHOWN + Duration::minutes(6),
        std::slice::from_ref(&list),
    );
    assert_eq!(failed(&old), ["freshness"]);
    let Some(Outcome::Failed(why)) = old.outcome("freshness") else {
        panic!("freshness not failed")
    };
    assert!(why.contains("360 s old"), "{why}");
    let early = verify_at(&w, &text, SHOWN - Duration::minutes(2), &[list]);
    assert_eq!(failed(&early), ["freshness"]);
    // Inside the skew it passes.
    let list = status_list(&w, CredentialStatus::Valid, SHOWN + Duration::hours(20));
    assert!(verify_at(&w, &text, SHOWN - Duration::seconds(50), &[list]).is_valid());
}

#[test]
fn status_lists_decide_red_and_unknown() {
    let w = world();
    let text = code(&w, Purpose::Roadside);
    let suspended = status_list(&w, CredentialStatus::Suspended, SHOWN + Duration::hours(20));
    let report = verify_at(&w, &text, SHOWN, &[suspended]);
    assert_eq!(failed(&report), ["status"]);
    assert_eq!(report.colour, Colour::Red);
    let revoked = status_list(&w, CredentialStatus::Invalid, SHOWN + Duration::hours(20));
    let report = verify_at(&w, &text, SHOWN, &[revoked]);
    assert_eq!(report.colour, Colour::None);
    // Past its exp a list says nothing: unknown, not valid.
    let expired = status_list(&w, CredentialStatus::Valid, SHOWN - Duration::minutes(1));
    let report = verify_at(&w, &text, SHOWN, &[expired]);
    assert_eq!(failed(&report), ["status"]);
    let StatusFinding::Unknown { reason } = &report.status else {
        panic!("not unknown")
    };
    assert!(reason.contains("expired"), "{reason}");
}

#[test]
fn a_red_status_on_the_licence_is_reported_red() {
    let w = world();
    let suspended = licence_with("D");
    let text = present(
        &credential(&w, &suspended, Purpose::Roadside),
        SHOWN,
        &[],
        &w.device,
    )
    .unwrap();
    let list = status_list(&w, CredentialStatus::Valid, SHOWN + Duration::hours(20));
    let report = verify_at(&w, &text, SHOWN, &[list]);
    assert_eq!(failed(&report), ["licence.status_letters"]);
    assert_eq!(report.colour, Colour::Red);
    let Some(Outcome::Failed(why)) = report.outcome("licence.status_letters") else {
        panic!()
    };
    assert!(why.contains("暂扣"), "{why}");
}

#[test]
fn challenges_and_purposes_are_enforced_when_the_verifier_asks() {
    let w = world();
    let cred = credential(&w, &w.licence, Purpose::CarRental);
    let with = present(&cred, SHOWN, b"K7Q2", &w.device).unwrap();
    let without = present(&cred, SHOWN, &[], &w.device).unwrap();
    let v = verifier(&w, None);
    let run = |text: &str, challenge: Option<&[u8]>, allowed: Option<&[Purpose]>| {
        v.verify(&VerifyInput {
            text,
            at: SHOWN,
            status_lists: &[],
            challenge,
            allowed_purposes: allowed,
        })
    };
    assert_eq!(
        run(&with, Some(b"K7Q2"), None).outcome("challenge"),
        Some(&Outcome::Passed)
    );
    assert!(matches!(
        run(&with, Some(b"ZZZZ"), None).outcome("challenge"),
        Some(Outcome::Failed(_))
    ));
    assert!(matches!(
        run(&without, Some(b"K7Q2"), None).outcome("challenge"),
        Some(Outcome::Failed(_))
    ));
    let rental = [Purpose::CarRental];
    let insurer = [Purpose::Insurer];
    assert_eq!(
        run(&with, None, Some(&rental)).outcome("purpose"),
        Some(&Outcome::Passed)
    );
    assert!(matches!(
        run(&with, None, Some(&insurer)).outcome("purpose"),
        Some(Outcome::Failed(_))
    ));
    // The challenge is signed: swapping it in the payload breaks the device signature.
    let mut p = edl_qr::decode_text(&with).unwrap();
    p.challenge = b"ZZZZ".to_vec();
    let swapped = reencode(&p);
    assert_eq!(
        failed(&run(&swapped, Some(b"ZZZZ"), None)),
        ["device.signature", "status"]
    );
    // So is the generation time: a replay re-dated by hand fails the device signature.
    let mut p = edl_qr::decode_text(&without).unwrap();
    p.generated_at += Duration::minutes(10);
    let redated = reencode(&p);
    assert_eq!(
        failed(&run(&redated, None, None)),
        ["device.signature", "freshness", "status"]
    );
}

#[test]
fn unknown_revoked_and_foreign_signers_are_refused() {
    let w = world();
    let text = code(&w, Purpose::Roadside);
    // A verifier that knows another authority's signer only.
    let other = DemoPki::new(
        w.licence.authority().clone(),
        datetime!(2026-01-01 00:00 UTC),
        365,
    )
    .unwrap();
    let stranger = QrVerifier::new(
        vec![other.anchor.clone()],
        vec![KnownSigner {
            certificate: other.document_signer.clone(),
            revoked_at: None,
        }],
        Policy::DEFAULT,
    )
    .unwrap();
    let input = VerifyInput {
        text: &text,
        at: SHOWN,
        status_lists: &[],
        challenge: None,
        allowed_purposes: None,
    };
    let report = stranger.verify(&input);
    assert_eq!(failed(&report), ["issuer.signer_known"]);
    assert!(report.fields.is_empty());
    // The right certificate but an untrusted root.
    let untrusted = QrVerifier::new(
        vec![other.anchor.clone()],
        vec![KnownSigner {
            certificate: w.pki.document_signer.clone(),
            revoked_at: None,
        }],
        Policy::DEFAULT,
    )
    .unwrap();
    assert_eq!(
        failed(&untrusted.verify(&input)),
        ["issuer.certificate_chain", "status"]
    );
    // Revoked before the check.
    let revoked = verifier(&w, Some(SHOWN - Duration::days(1))).verify(&input);
    assert_eq!(failed(&revoked), ["issuer.signer_not_revoked", "status"]);
    // Revoked later than the check: still fine then.
    let later = verifier(&w, Some(SHOWN + Duration::days(1))).verify(&input);
    assert_eq!(failed(&later), ["status"]);
}

#[test]
fn a_device_signature_from_another_key_fails_only_that_check() {
    let w = world();
    let cred = credential(&w, &w.licence, Purpose::Roadside);
    let thief = InMemorySigner::generate().unwrap();
    let text = present(&cred, SHOWN, &[], &thief).unwrap();
    let list = status_list(&w, CredentialStatus::Valid, SHOWN + Duration::hours(20));
    let report = verify_at(&w, &text, SHOWN, &[list]);
    assert_eq!(failed(&report), ["device.signature"]);
}

#[test]
fn an_expired_credential_asks_for_a_refresh() {
    let w = world();
    let cred = credential(&w, &w.licence, Purpose::Roadside);
    let late = SIGNED + Duration::days(15);
    let text = present(&cred, late, &[], &w.device).unwrap();
    let report = verify_at(&w, &text, late, &[]);
    assert!(failed(&report).contains(&"credential.validity"));
}

#[test]
fn damaged_codes_fail_specifically_and_never_panic() {
    let w = world();
    let text = code(&w, Purpose::Roadside);
    let report = |t: &str| verify_at(&w, t, SHOWN, &[]);
    // Truncated anywhere.
    for cut in [5, 6, 40, text.len() / 2, text.len() - 1] {
        let r = report(&text[..cut]);
        assert!(!r.is_valid());
        assert_eq!(failed(&r)[0], "code.format", "cut at {cut}");
    }
    // Every single-character change in the Base45 body is caught by some check.
    let alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:";
    for (i, step) in (5..text.len()).step_by(7).zip(1..) {
        let mut chars: Vec<char> = text.chars().collect();
        let current = alphabet.find(chars[i]).unwrap();
        // A step of 1..=44 always changes the character.
        chars[i] = alphabet
            .chars()
            .nth((current + step % 44 + 1) % 45)
            .unwrap();
        let changed: String = chars.into_iter().collect();
        assert_ne!(changed, text);
        let r = report(&changed);
        assert!(!r.is_valid(), "change at {i} went unnoticed");
        assert!(
            failed(&r).iter().any(|c| *c != "status"),
            "change at {i} only failed the status"
        );
    }
    // Other codes are named.
    let r = report("HC1:NCFOXN%TS3DH3ZSUZK+.V0ET");
    let Some(Outcome::Failed(why)) = r.outcome("code.format") else {
        panic!()
    };
    assert!(why.contains("EU Digital COVID"), "{why}");
    // An oversized payload.
    let huge = format!("EDL1:{}", base45::encode(&vec![0u8; 3000]));
    assert!(matches!(
        report(&huge).outcome("code.format"),
        Some(Outcome::Failed(_))
    ));
}

#[test]
fn a_decompression_bomb_is_never_inflated() {
    // EDL1 has no compressed part (docs/qr-format.md: zlib made the claims larger), so a zlib
    // stream anywhere is refused as what it is not, without being inflated.
    use std::io::Write;
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
    z.write_all(&vec![0u8; 50 << 20]).unwrap();
    let bomb = z.finish().unwrap();
    assert!(bomb.len() < 60_000);
    let w = world();
    let r = verify_at(&w, &format!("EDL1:{}", base45::encode(&bomb)), SHOWN, &[]);
    assert_eq!(failed(&r), ["code.format"]);
    let Some(Outcome::Failed(why)) = r.outcome("code.format") else {
        panic!()
    };
    assert!(why.contains("more than any QR code holds"), "{why}");
    // A small bomb fits the text limit and is still only "not CBOR".
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
    z.write_all(&vec![0u8; 1 << 20]).unwrap();
    let small = z.finish().unwrap();
    let r = verify_at(&w, &format!("EDL1:{}", base45::encode(&small)), SHOWN, &[]);
    assert_eq!(failed(&r), ["code.format"]);
    assert!(edl_qr::credential::Claims::parse(&small).is_err());
}

#[test]
fn an_online_verifier_takes_the_registry_state_for_the_status() {
    use edl_qr::{StatusReference, StatusSource};
    let w = world();
    let text = code(&w, Purpose::Roadside);
    let v = verifier(&w, None);
    let input = VerifyInput {
        text: &text,
        at: SHOWN,
        status_lists: &[],
        challenge: None,
        allowed_purposes: None,
    };
    let region = w.licence.authority().region.as_u32();
    let pending = v.begin(&input);
    assert_eq!(
        pending.status_reference(),
        Some(StatusReference {
            region,
            index: INDEX
        })
    );
    assert!(
        pending.partial().outcome("status").is_none(),
        "not yet made"
    );
    let as_of = SHOWN + Duration::seconds(1);
    let valid = pending.finish(StatusSource::Registry {
        status: Some(CredentialStatus::Valid),
        as_of,
    });
    assert!(valid.is_valid(), "{:?}", failed(&valid));
    assert_eq!(valid.colour, Colour::Black);
    assert_eq!(
        valid.status,
        StatusFinding::Found {
            status: CredentialStatus::Valid,
            list_issued_at: as_of
        }
    );
    // A suspension in the registry is red at once, whatever the lists say.
    let suspended = v.begin(&input).finish(StatusSource::Registry {
        status: Some(CredentialStatus::Suspended),
        as_of,
    });
    assert_eq!(failed(&suspended), ["status"]);
    assert_eq!(suspended.colour, Colour::Red);
    // No such credential in the registry: unknown, never valid.
    let unknown = v.begin(&input).finish(StatusSource::Registry {
        status: None,
        as_of,
    });
    assert_eq!(failed(&unknown), ["status"]);
    assert!(matches!(unknown.status, StatusFinding::Unknown { .. }));
    // The two steps with the lists are `verify`.
    let list = status_list(&w, CredentialStatus::Suspended, SHOWN + Duration::hours(20));
    assert_eq!(
        v.begin(&input)
            .finish(StatusSource::Lists(std::slice::from_ref(&list))),
        v.verify(&VerifyInput {
            status_lists: std::slice::from_ref(&list),
            ..input
        })
    );
    // A code that does not verify gives no index to look up.
    let broken = v.begin(&VerifyInput {
        text: "EDL1:0000",
        ..input
    });
    assert_eq!(broken.status_reference(), None);
}

#[test]
fn the_signature_and_device_key_caches_change_no_outcome_and_never_remember_a_forgery() {
    let w = world();
    let cached = verifier(&w, None).with_signature_cache(4);
    let plain = verifier(&w, None);
    let list = status_list(&w, CredentialStatus::Valid, SHOWN + Duration::hours(20));
    let run = |v: &QrVerifier, text: &str| {
        v.verify(&VerifyInput {
            text,
            at: SHOWN,
            status_lists: std::slice::from_ref(&list),
            challenge: None,
            allowed_purposes: None,
        })
    };
    let cred = credential(&w, &w.licence, Purpose::Roadside);
    for second in 0..3 {
        let text = present(&cred, SHOWN - Duration::seconds(second), &[], &w.device).unwrap();
        let report = run(&cached, &text);
        assert!(report.is_valid());
        assert_eq!(report, run(&plain, &text));
    }
    // Its device key is now cached: a code of the same credential signed by another key is
    // still refused, every time.
    let thief = InMemorySigner::generate().unwrap();
    let stolen = present(&cred, SHOWN, &[], &thief).unwrap();
    for _ in 0..2 {
        assert_eq!(failed(&run(&cached, &stolen)), ["device.signature"]);
    }
    assert_eq!(run(&cached, &stolen), run(&plain, &stolen));
    // The same credential with its issuer signature altered: refused every time.
    let mut forged = cred.as_bytes().to_vec();
    let last = forged.len() - 1;
    forged[last] ^= 1;
    let forged = CompactCredential::from_bytes(forged).unwrap();
    let text = present(&forged, SHOWN, &[], &w.device).unwrap();
    for _ in 0..2 {
        assert_eq!(failed(&run(&cached, &text)), ["issuer.signature"]);
    }
    // More credentials than the cache holds: still the same outcomes.
    for purpose in edl_mdoc::purpose::PURPOSES {
        let text = code(&w, purpose);
        assert_eq!(run(&cached, &text), run(&plain, &text));
    }
    // A signer revoked later is refused even for a credential whose signature is cached.
    let revoking = verifier(&w, Some(SHOWN + Duration::days(1))).with_signature_cache(16);
    let at = |v: &QrVerifier, when: OffsetDateTime| {
        let text = present(&cred, when, &[], &w.device).unwrap();
        v.verify(&VerifyInput {
            text: &text,
            at: when,
            status_lists: &[],
            challenge: None,
            allowed_purposes: None,
        })
    };
    assert_eq!(failed(&at(&revoking, SHOWN)), ["status"], "no list held");
    assert_eq!(
        failed(&at(&revoking, SHOWN + Duration::days(2))),
        ["issuer.signer_not_revoked", "status"]
    );
}
