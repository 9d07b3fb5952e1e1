//! Any bytes as MobileSecurityObjectBytes, as an IssuerSigned and as a SessionTranscript: never a
//! panic; what decodes re-encodes to the same bytes.
#![no_main]

use edl_mdoc::mso::MobileSecurityObject;
use edl_mdoc::{IssuerSigned, SessionTranscript};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(mso) = MobileSecurityObject::from_tagged_bytes(data) {
        assert_eq!(mso.to_tagged_bytes(), data);
    }
    if let Ok(issuer_signed) = IssuerSigned::from_bytes(data) {
        assert_eq!(issuer_signed.to_bytes(), data);
    }
    let _ = SessionTranscript::from_bytes(data);
    let _ = edl_cbor::decode(data, 1 << 20);
});
