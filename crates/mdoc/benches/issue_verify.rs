//! Issuance and verification against the cost of their signatures, measured in the same run:
//! - `issue/credential` (prepare + ECDSA sign + complete) vs `issue/ecdsa_p256_sign`;
//! - `verify/device_response` (warm signer cache) vs `verify/ecdsa_p256_verify_x2` (the two
//!   ECDSA verifications a presentation needs: issuer signature and device signature).
//!   Run: `cargo bench -p edl-mdoc --bench issue_verify`.

#![allow(clippy::unwrap_used)]

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use edl_mdoc::verify::{Verifier, VerifyInput};
use edl_mdoc::{
    IssueRequest, Portrait, Purpose, SessionTranscript, StatusReference, issue, present,
};
use edl_pki::{DemoPki, DocumentSignerCertificate, InMemorySigner, Signer};
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
    let signer = DocumentSignerCertificate::parse(pki.document_signer.clone()).unwrap();
    let device = InMemorySigner::generate().unwrap();
    let device_key = device.public_key();
    let portrait = Portrait::new(edl_synth::demo_portrait().to_vec()).unwrap();
    let request = IssueRequest {
        device_key: &device_key,
        portrait: &portrait,
        signed_at: datetime!(2026-03-01 02:00 UTC),
        status: Some(StatusReference {
            idx: 12345,
            uri: "https://edl.example.cn/status/120100.cwt".into(),
        }),
        signer_certificate: &pki.document_signer,
        signer_not_before: signer.not_before(),
        signer_not_after: signer.not_after(),
    };

    let mut group = c.benchmark_group("issue");
    group.bench_function("credential", |b| {
        b.iter(|| issue(black_box(&licence), &request, &pki.document_signer_key).unwrap())
    });
    let message = vec![0x5a; 1100]; // about the size of a Sig_structure over an MSO
    group.bench_function("ecdsa_p256_sign", |b| {
        b.iter(|| pki.document_signer_key.sign(black_box(&message)).unwrap())
    });
    group.finish();

    let issued = issue(&licence, &request, &pki.document_signer_key).unwrap();
    let transcript = SessionTranscript::openid4vp(
        "x509_san_dns:v.example",
        "nonce",
        None,
        "https://v.example/r",
    );
    let response = present(&issued, Purpose::Roadside, &transcript, &device)
        .unwrap()
        .to_bytes();
    let verifier = Verifier::new(vec![pki.anchor.clone()]);
    let input = VerifyInput {
        device_response: &response,
        session_transcript: &transcript,
        status_lists: &[],
        at: datetime!(2026-03-02 00:00 UTC),
        reader_key: None,
    };
    // Only the status check fails (no list given): everything else runs.
    assert_eq!(verifier.verify(&input).failures().count(), 1);

    let mut group = c.benchmark_group("verify");
    group.bench_function("device_response", |b| {
        b.iter(|| verifier.verify(black_box(&input)))
    });
    let signature = device.sign(&message).unwrap();
    group.bench_function("ecdsa_p256_verify_x2", |b| {
        b.iter(|| {
            device_key.verify(black_box(&message), &signature).unwrap();
            device_key.verify(black_box(&message), &signature).unwrap();
        })
    });
    group.bench_function("device_response_cold_cache", |b| {
        b.iter(|| Verifier::new(vec![pki.anchor.clone()]).verify(black_box(&input)))
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
