//! The QR path against the cost of its signatures, measured in the same run:
//! - `qr/verify` (text → report, signer chain cached, status list held) vs `qr/ecdsa_p256_verify_x2`
//!   (the issuer's and the device's signature);
//! - `qr/verify_signature_cached` (the same with the credential's issuer signature remembered, as
//!   the online verifier does) vs `qr/verify`;
//! - `qr/present` (the holder's code: encode, device signature, Base45) vs `qr/ecdsa_p256_sign`;
//! - `qr/issue_credential` (one purpose's compact credential) vs `qr/ecdsa_p256_sign`.
//!   Run: `cargo bench -p edl-qr --bench qr`.

#![allow(clippy::unwrap_used)]

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use edl_mdoc::Purpose;
use edl_pki::{DemoPki, InMemorySigner, Signer};
use edl_qr::claims::portrait_digest;
use edl_qr::{CredentialRequest, KnownSigner, Policy, QrVerifier, VerifyInput, issue, present};
use edl_status_list::{StatusList, StatusListToken, verify_token};
use time::Duration;
use time::macros::{date, datetime};

fn bench(c: &mut Criterion) {
    let today = date!(2026 - 03 - 01);
    let generator = edl_synth::Generator::new(11, today);
    let licence = (0..)
        .map(|i| generator.licence(i))
        .find(|l| l.claim_eligibility(today).is_ok())
        .unwrap();
    let pki = DemoPki::new(
        licence.authority().clone(),
        datetime!(2026-01-01 00:00 UTC),
        365,
    )
    .unwrap();
    let device = InMemorySigner::generate().unwrap();
    let device_key = device.public_key();
    let digest = portrait_digest(edl_synth::demo_portrait());
    let signed = datetime!(2026-03-01 02:00 UTC);
    let request = CredentialRequest {
        purpose: Purpose::Roadside,
        device_key: &device_key,
        portrait_digest: &digest,
        valid_from: signed,
        valid_until: signed + Duration::days(14),
        status_index: Some(12_345),
        signer_certificate: &pki.document_signer,
        signer_not_before: datetime!(2026-01-01 00:00 UTC),
        signer_not_after: datetime!(2027-01-01 00:00 UTC),
    };
    let credential = issue(&licence, &request, &pki.document_signer_key).unwrap();
    let shown = signed + Duration::hours(3);
    let text = present(&credential, shown, &[], &device).unwrap();
    let token = StatusListToken {
        uri: "https://edl.example.cn/status/x.cwt".into(),
        issued_at: shown - Duration::hours(1),
        expires_at: shown + Duration::hours(20),
        ttl_seconds: 900,
        list: StatusList::new(2, 100_000).unwrap(),
    }
    .sign(&pki.document_signer, &pki.document_signer_key)
    .unwrap();
    let lists = [verify_token(&token, std::slice::from_ref(&pki.anchor), shown, None).unwrap()];
    let verifier = QrVerifier::new(
        vec![pki.anchor.clone()],
        vec![KnownSigner {
            certificate: pki.document_signer.clone(),
            revoked_at: None,
        }],
        Policy::DEFAULT,
    )
    .unwrap();
    let input = VerifyInput {
        text: &text,
        at: shown + Duration::seconds(5),
        status_lists: &lists,
        challenge: None,
        allowed_purposes: None,
    };
    assert!(verifier.verify(&input).is_valid());

    let mut group = c.benchmark_group("qr");
    group.bench_function("verify", |b| b.iter(|| verifier.verify(black_box(&input))));
    let cached = QrVerifier::new(
        vec![pki.anchor.clone()],
        vec![KnownSigner {
            certificate: pki.document_signer.clone(),
            revoked_at: None,
        }],
        Policy::DEFAULT,
    )
    .unwrap()
    .with_signature_cache(1024);
    assert_eq!(cached.verify(&input), verifier.verify(&input));
    group.bench_function("verify_signature_cached", |b| {
        b.iter(|| cached.verify(black_box(&input)))
    });
    let message = vec![0x5a; 350]; // about the size of a credential's Sig_structure
    let signature = device.sign(&message).unwrap();
    group.bench_function("ecdsa_p256_verify_x2", |b| {
        b.iter(|| {
            device_key.verify(black_box(&message), &signature).unwrap();
            device_key.verify(black_box(&message), &signature).unwrap();
        })
    });
    group.bench_function("present", |b| {
        b.iter(|| present(black_box(&credential), shown, &[], &device).unwrap())
    });
    group.bench_function("issue_credential", |b| {
        b.iter(|| issue(black_box(&licence), &request, &pki.document_signer_key).unwrap())
    });
    group.bench_function("ecdsa_p256_sign", |b| {
        b.iter(|| device.sign(black_box(&message)).unwrap())
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
