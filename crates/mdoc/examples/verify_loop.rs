//! Issues one credential, presents it, and verifies the presentation N times with a warm verifier:
//! a fixed workload for `valgrind --tool=callgrind` (instruction counts are repeatable on a busy
//! machine). `cargo run --release -p edl-mdoc --example verify_loop -- 2000`

#![allow(clippy::unwrap_used)]

use edl_mdoc::verify::{Verifier, VerifyInput};
use edl_mdoc::{IssueRequest, Portrait, Purpose, SessionTranscript, issue, present};
use edl_pki::{DemoPki, DocumentSignerCertificate, InMemorySigner, Signer};
use time::macros::{date, datetime};

fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(1000);
    // `verify_loop N issue` times issuance instead of verification.
    let issue_only = std::env::args().nth(2).as_deref() == Some("issue");
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
    let portrait = Portrait::new(edl_synth::demo_portrait().to_vec()).unwrap();
    let request = IssueRequest {
        device_key: &device.public_key(),
        portrait: &portrait,
        signed_at: datetime!(2026-03-01 02:00 UTC),
        status: None,
        signer_certificate: &pki.document_signer,
        signer_not_before: signer.not_before(),
        signer_not_after: signer.not_after(),
    };
    if issue_only {
        for _ in 0..n {
            std::hint::black_box(issue(&licence, &request, &pki.document_signer_key).unwrap());
        }
        println!("issued {n}");
        return;
    }
    let issued = issue(
        &licence,
        &IssueRequest {
            device_key: &device.public_key(),
            portrait: &portrait,
            signed_at: datetime!(2026-03-01 02:00 UTC),
            status: None,
            signer_certificate: &pki.document_signer,
            signer_not_before: signer.not_before(),
            signer_not_after: signer.not_after(),
        },
        &pki.document_signer_key,
    )
    .unwrap();
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
    let mut valid = 0;
    for _ in 0..n {
        let report = verifier.verify(&VerifyInput {
            device_response: &response,
            session_transcript: &transcript,
            status_lists: &[],
            at: datetime!(2026-03-02 00:00 UTC),
            reader_key: None,
        });
        valid += usize::from(report.is_valid());
    }
    println!("{valid} of {n} valid ({} bytes)", response.len());
}
