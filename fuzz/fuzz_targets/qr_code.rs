//! Any bytes as an e-licence QR code: as the scanned text, as the Base45 payload behind `EDL1:`,
//! as a compact credential and as its claims. Never a panic, never a hang; a text that decodes
//! re-encodes to the same text.
#![no_main]

use std::sync::OnceLock;

use edl_qr::credential::{Claims, ParsedCredential};
use edl_qr::{KnownSigner, Policy, QrVerifier, VerifyInput, base45, decode_text};
use libfuzzer_sys::fuzz_target;
use time::macros::datetime;

fn verifier() -> &'static QrVerifier {
    static VERIFIER: OnceLock<QrVerifier> = OnceLock::new();
    VERIFIER.get_or_init(|| {
        let authority = edl_domain::IssuingAuthority {
            name: edl_domain::AuthorityName::parse("天津市公安局交通警察总队").expect("a name"),
            region: edl_domain::RegionCode::parse("120100").expect("a region"),
        };
        let pki = edl_pki::DemoPki::new(authority, datetime!(2026-01-01 00:00 UTC), 365)
            .expect("a demo PKI");
        QrVerifier::new(
            vec![pki.anchor.clone()],
            vec![KnownSigner {
                certificate: pki.document_signer.clone(),
                revoked_at: None,
            }],
            Policy::DEFAULT,
        )
        .expect("a verifier")
    })
}

fuzz_target!(|data: &[u8]| {
    let at = datetime!(2026-03-02 00:00 UTC);
    let text = String::from_utf8_lossy(data);
    let payload_text = format!("EDL1:{}", base45::encode(data));
    for text in [text.as_ref(), payload_text.as_str()] {
        if let Ok(p) = decode_text(text) {
            assert!(p.device_signature.len() == 64);
        }
        let report = verifier().verify(&VerifyInput {
            text,
            at,
            status_lists: &[],
            challenge: Some(b"K7Q2"),
            allowed_purposes: None,
        });
        // Nothing this input can do makes it valid: it is not signed by the demo signer.
        assert!(!report.is_valid());
        let _ = report.to_json();
    }
    if let Ok(decoded) = base45::decode(&text) {
        assert_eq!(base45::encode(&decoded), text);
    }
    if let Ok(parsed) = ParsedCredential::parse(data) {
        let _ = parsed.claims();
    }
    let _ = Claims::parse(data);
});
