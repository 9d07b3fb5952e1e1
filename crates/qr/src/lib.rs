//! `edl-qr`: the live QR code of the e-licence (亮码), format `EDL1`. Pure: no I/O, no clock.
//!
//! - [`claims`]: which elements a purpose carries and how each is written compactly.
//! - [`credential`]: the compact credential the issuer signs per purpose at claim time, beside
//!   the mdoc (prepare → signature → complete).
//! - [`presentation`]: the holder's part, re-signed every few seconds: `EDL1:` ‖ Base45(payload).
//! - [`verify`]: offline verification with a report of every check.
//! - [`base45`]: RFC 9285.
//!
//! The specification is `docs/qr-format.md`; its test vectors are in `crates/qr/vectors/`.

#![warn(missing_docs)]

pub mod base45;
pub mod claims;
pub mod credential;
pub mod presentation;
pub mod report_json;
pub mod verify;

#[cfg(test)]
mod equivalence_tests;

pub use credential::{CompactCredential, CredentialRequest, PreparedCredential, issue, prepare};
pub use presentation::{PREFIX, Presentation, TextError, decode_text, present};
pub use verify::{
    Colour, KnownSigner, PendingReport, Policy, QrReport, QrVerifier, StatusReference,
    StatusSource, VerifyInput,
};
