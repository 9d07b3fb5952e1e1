//! The use cases of the e-licence platform, over any [`Store`](edl_store::Store).
//!
//! - [`import`]: bulk import of a registry CSV export ([`import::import_file`]).
//! - [`changes`]: status letters, points and renewals, with the append-only history ([`changes::apply_change`]).
//! - [`demo`]: the demo data set of `edl serve --demo`.
//! - [`credentials`]: claiming (mdoc issuance with a status-list index) and status-list publication.
//! - [`interop`]: the example `edl interop export` writes for other implementations.
//! - [`pki_dir`]: the PKI directory (IACA, trust-list signer, document signers; keys encrypted).
//! - [`wallet_dir`]: the command-line holder's wallet (device key encrypted, claimed credential).
//! - [`verification`]: online verification (the verification API): QR codes, share links and
//!   DeviceResponses against the platform's PKI, the status from the registry now.
//! - [`AnyStore`]: the store chosen at start-up from a [`DatabaseUrl`].
//!
//! Nothing here speaks HTTP or reads the terminal; the server and the CLI are thin layers on top.

mod any_store;
pub mod changes;
mod clock;
pub mod credentials;
mod database_url;
pub mod demo;
pub mod import;
pub mod interop;
pub mod pki_dir;
pub mod published_source;
pub mod verification;
pub mod verifier_dir;
pub mod wallet_dir;

pub use any_store::AnyStore;
pub use clock::{CHINA_STANDARD_TIME, Clock, FixedClock, SystemClock};
pub use database_url::{DatabaseUrl, DatabaseUrlError, redact_password};
