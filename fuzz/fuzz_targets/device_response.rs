//! Any bytes as a DeviceResponse: decoding, re-encoding and the whole verification must never panic,
//! and whatever decodes must re-encode to bytes that decode to the same structure (byte equality holds
//! for inputs in the standard's key order: the Annex D test and our own output check that).
#![no_main]

use std::sync::OnceLock;

use edl_mdoc::SessionTranscript;
use edl_mdoc::document::DeviceResponse;
use edl_mdoc::verify::{Verifier, VerifyInput};
use libfuzzer_sys::fuzz_target;

fn verifier() -> &'static (Verifier, SessionTranscript) {
    static V: OnceLock<(Verifier, SessionTranscript)> = OnceLock::new();
    V.get_or_init(|| {
        let authority = edl_domain::IssuingAuthority {
            name: edl_domain::AuthorityName::parse("天津市公安局交通警察总队").expect("name"),
            region: edl_domain::RegionCode::parse("120100").expect("region"),
        };
        let pki = edl_pki::DemoPki::new(authority, time::macros::datetime!(2026-01-01 00:00 UTC), 365)
            .expect("demo pki");
        let transcript = SessionTranscript::openid4vp("x509_san_dns:fuzz", "nonce", None, "https://fuzz/r");
        (Verifier::new(vec![pki.anchor]), transcript)
    })
}

fuzz_target!(|data: &[u8]| {
    if let Ok(response) = DeviceResponse::from_bytes(data) {
        // Compared as bytes: a NaN element value is legal CBOR and never equal to itself.
        let bytes = response.to_bytes();
        let again = DeviceResponse::from_bytes(&bytes).expect("re-encoded bytes decode");
        assert_eq!(again.to_bytes(), bytes, "decode ∘ encode is the identity on decoded responses");
    }
    let (verifier, transcript) = verifier();
    let report = verifier.verify(&VerifyInput {
        device_response: data,
        session_transcript: transcript,
        status_lists: &[],
        at: time::macros::datetime!(2026-03-01 00:00 UTC),
        reader_key: None,
    });
    assert!(!report.is_valid(), "random bytes never verify");
});
