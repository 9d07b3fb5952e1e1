//! `edl-mdoc`: the e-licence as an ISO/IEC 18013-5 mdoc. Pure: no I/O, no clock.
//!
//! - [`elements`]: the data elements (standard namespace and the domestic
//!   `org.iso.18013.5.1.CN`) computed from a registry [`edl_domain::Licence`].
//! - [`purpose`]: the one table of purposes → disclosed elements.
//! - [`issue`]: MSO issuance, prepare → signature → complete ([`issue::PreparedMso`]).
//! - [`present`]: the holder's DeviceResponse for a purpose, device-signed over the session.
//! - [`verify`]: one function from a presentation, trusted IACAs, status lists and a validation
//!   time to a [`verify::VerificationReport`] listing every check.
//! - [`document`], [`mso`], [`session`]: the CBOR structures, read strictly and written back byte
//!   for byte.

#![warn(missing_docs)]

pub mod device_key;
pub mod document;
pub mod elements;
mod fields;
pub mod issue;
pub mod latin;
pub mod mso;
pub mod present;
pub mod purpose;
pub mod report_json;
pub mod session;
pub mod verify;

pub use document::{DecodeError, DeviceResponse, IssuerSigned};
pub use elements::{CN_NAMESPACE, ISO_NAMESPACE, MDL_DOC_TYPE, Portrait};
pub use issue::{IssueError, IssueRequest, PreparedMso, issue, prepare};
pub use mso::{MobileSecurityObject, StatusReference};
pub use present::present;
pub use purpose::Purpose;
pub use session::{ReaderKey, SessionTranscript};
pub use verify::{Outcome, VerificationReport, Verifier, VerifyInput, verify_device_response};
