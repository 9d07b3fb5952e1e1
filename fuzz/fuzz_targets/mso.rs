//! Any bytes as MobileSecurityObjectBytes, as an IssuerSigned and as a SessionTranscript: never a
//! panic; what decodes re-encodes to bytes that decode to the same structure.
#![no_main]

use edl_mdoc::mso::MobileSecurityObject;
use edl_mdoc::{IssuerSigned, SessionTranscript};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(mso) = MobileSecurityObject::from_tagged_bytes(data) {
        // Compared as bytes (a NaN is never equal to itself).
        let bytes = mso.to_tagged_bytes();
        let again = MobileSecurityObject::from_tagged_bytes(&bytes).expect("decodes");
        assert_eq!(again.to_tagged_bytes(), bytes);
    }
    if let Ok(issuer_signed) = IssuerSigned::from_bytes(data) {
        let bytes = issuer_signed.to_bytes();
        let again = IssuerSigned::from_bytes(&bytes).expect("decodes");
        assert_eq!(again.to_bytes(), bytes);
    }
    let _ = SessionTranscript::from_bytes(data);
    let _ = edl_cbor::decode(data, 1 << 20);
});
