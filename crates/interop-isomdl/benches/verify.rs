//! Our verifier and isomdl's on the same DeviceResponse, in the same run, with one ECDSA P-256
//! verification as the unit.
//!
//! The input is our DeviceResponse (synthetic licence, purpose Roadside, OpenID4VP transcript,
//! 30-odd elements with the portrait) issued under a certificate chain that follows isomdl's
//! conventions (`common::isomdl_conventions_chain`): with our demo PKI as it is, isomdl's chain
//! validation fails and it then skips the issuer signature, which would time less work than
//! ours. With this chain both verifiers pass every check they have.
//!
//! - `ours/warm`: `Verifier::verify`, the signer chain already in the verifier's cache (the
//!   steady state of a reader): CBOR decode, issuer signature, MSO, every digest, device
//!   signature, status lookup. Two ECDSA verifications.
//! - `ours/cold`: `verify_device_response` (a fresh verifier): the same plus the chain's 26
//!   checks, one more ECDSA verification.
//! - `isomdl`: decode, `reader::parse`, `reader_utils::validate_response`: device signature,
//!   chain (one ECDSA verification of the signer certificate, SHA-1 key identifiers,
//!   extensions), issuer signature. Three ECDSA verifications (RustCrypto p256); no digests.
//! - `ecdsa_p256_verify/aws-lc-rs`: `edl_pki::PublicKey::verify` on a 1 KiB message, the unit.
//! - `ecdsa_p256_verify/rustcrypto-p256`: the same with the p256 crate isomdl uses, to read
//!   isomdl's figure.
//!
//! Run: `cargo bench -p edl-interop-isomdl -- --warm-up-time 1 --measurement-time 3`.

#![allow(clippy::unwrap_used, missing_docs)]

#[path = "../tests/common/mod.rs"]
mod common;

use std::hint::black_box;

use common::{RawTranscript, isomdl_conventions_chain, isomdl_registry, ours_with_signer};
use criterion::{Criterion, criterion_group, criterion_main};
use edl_mdoc::verify::{Verifier, VerifyInput, verify_device_response};
use edl_pki::{CertificateDer, InMemorySigner, Signer, TrustAnchor};
use isomdl::presentation::authentication::AuthenticationStatus;
use p256::ecdsa::signature::Verifier as _;

fn verify(c: &mut Criterion) {
    let o = ours_with_signer(isomdl_conventions_chain);
    let anchor = TrustAnchor::parse(CertificateDer::new(o.iaca.clone())).unwrap();
    let lists = [o.status_list.clone()];
    let input = VerifyInput {
        device_response: &o.response,
        session_transcript: &o.transcript,
        status_lists: &lists,
        at: o.at,
        reader_key: None,
    };
    let verifier = Verifier::new(vec![anchor.clone()]);
    let report = verifier.verify(&input);
    assert!(report.is_valid(), "{report}");

    let transcript = RawTranscript::from_ours(&o.transcript);
    let registry = isomdl_registry(&o.iaca);
    let outcome = common::isomdl_verify_once(&o.response, &transcript, &registry);
    assert_eq!(outcome.issuer_authentication, AuthenticationStatus::Valid);
    assert_eq!(outcome.device_authentication, AuthenticationStatus::Valid);
    assert!(outcome.errors.is_empty(), "{:?}", outcome.errors);
    println!(
        "input: DeviceResponse of {} bytes, {} disclosed elements",
        o.response.len(),
        report.disclosed.len()
    );

    let mut group = c.benchmark_group("verify_device_response");
    group.bench_function("ours/warm", |b| {
        b.iter(|| black_box(verifier.verify(black_box(&input))))
    });
    group.bench_function("ours/cold", |b| {
        b.iter(|| {
            black_box(verify_device_response(
                black_box(&input),
                std::slice::from_ref(&anchor),
            ))
        })
    });
    group.bench_function("isomdl", |b| {
        b.iter(|| {
            black_box(common::isomdl_verify_once(
                black_box(&o.response),
                &transcript,
                &registry,
            ))
        })
    });
    group.finish();

    let key = InMemorySigner::generate().unwrap();
    let message = vec![0x5a_u8; 1024];
    let signature = key.sign(&message).unwrap();
    let public = key.public_key();
    public.verify(&message, &signature).unwrap();
    let rustcrypto_key = p256::ecdsa::VerifyingKey::from_sec1_bytes(public.as_sec1()).unwrap();
    let rustcrypto_signature = p256::ecdsa::Signature::from_slice(&signature).unwrap();
    rustcrypto_key
        .verify(&message, &rustcrypto_signature)
        .unwrap();

    let mut group = c.benchmark_group("ecdsa_p256_verify");
    group.bench_function("aws-lc-rs", |b| {
        b.iter(|| black_box(public.verify(black_box(&message), black_box(&signature))))
    });
    group.bench_function("rustcrypto-p256", |b| {
        b.iter(|| {
            black_box(rustcrypto_key.verify(black_box(&message), black_box(&rustcrypto_signature)))
        })
    });
    group.finish();
}

criterion_group!(benches, verify);
criterion_main!(benches);
