//! The verification of the bench (`benches/qr.rs`: a roadside code, warm verifier, status list
//! held) run `N` times, for counting instructions where wall-clock time is too noisy:
//!
//! ```sh
//! cargo build --release -p edl-qr --example verify_profile
//! valgrind --tool=callgrind target/release/examples/verify_profile verify 0
//! valgrind --tool=callgrind target/release/examples/verify_profile verify 1000
//! valgrind --tool=callgrind target/release/examples/verify_profile ecdsa 1000
//! ```
//!
//! (instructions at 1000 − instructions at 0) / 1000 is the cost of one verification; `ecdsa`
//! runs the two ECDSA P-256 verifications the bench compares it with.
//!
//! `cpu N` alternates blocks of 200 verifications and 200 pairs of ECDSA verifications N times and
//! prints the median CPU time of each (the thread's own time on a CPU, from
//! `/proc/thread-self/schedstat`) and their ratio: on a loaded machine, where wall-clock time
//! mostly measures waiting for a core, the two still see the same conditions.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::hint::black_box;

use edl_mdoc::Purpose;
use edl_pki::{DemoPki, InMemorySigner, Signer};
use edl_qr::claims::portrait_digest;
use edl_qr::{CredentialRequest, KnownSigner, Policy, QrVerifier, VerifyInput, issue, present};
use edl_status_list::{StatusList, StatusListToken, verify_token};
use time::Duration;
use time::macros::{date, datetime};

fn main() {
    let mut args = std::env::args().skip(1);
    let mode = args.next().unwrap_or_else(|| "verify".into());
    let n: usize = args.next().map_or(1000, |n| n.parse().expect("a count"));

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
    // Warm: the signer chain is judged once, as in the bench.
    assert!(verifier.verify(&input).is_valid());
    let message = vec![0x5a; 350];
    let signature = device.sign(&message).unwrap();

    match mode.as_str() {
        "verify" => {
            for _ in 0..n {
                black_box(verifier.verify(black_box(&input)));
            }
        }
        "ecdsa" => {
            for _ in 0..n {
                device_key.verify(black_box(&message), &signature).unwrap();
                device_key.verify(black_box(&message), &signature).unwrap();
            }
        }
        "cpu" => {
            const BLOCK: u32 = 200;
            let (mut qr, mut sigs) = (Vec::new(), Vec::new());
            for _ in 0..n {
                let start = cpu_ns();
                for _ in 0..BLOCK {
                    black_box(verifier.verify(black_box(&input)));
                }
                let middle = cpu_ns();
                for _ in 0..BLOCK {
                    device_key.verify(black_box(&message), &signature).unwrap();
                    device_key.verify(black_box(&message), &signature).unwrap();
                }
                let end = cpu_ns();
                qr.push((middle - start) as f64 / f64::from(BLOCK) / 1000.0);
                sigs.push((end - middle) as f64 / f64::from(BLOCK) / 1000.0);
            }
            let median = |v: &mut Vec<f64>| {
                v.sort_by(f64::total_cmp);
                v[v.len() / 2]
            };
            let (q, s) = (median(&mut qr), median(&mut sigs));
            println!(
                "verify {q:.1} µs, two ECDSA verifications {s:.1} µs (CPU time, median of {n} blocks): {:.3}x",
                q / s
            );
        }
        other => panic!("unknown mode {other}: verify, ecdsa or cpu"),
    }
}

/// Nanoseconds this thread has spent on a CPU.
fn cpu_ns() -> u64 {
    let stat = std::fs::read_to_string("/proc/thread-self/schedstat").expect("Linux schedstat");
    stat.split_whitespace()
        .next()
        .and_then(|n| n.parse().ok())
        .expect("schedstat starts with the time on CPU in ns")
}
