//! `edl-pki`: the public-key infrastructure of the electronic driving licence, after ISO/IEC 18013-5
//! Annex B. No network, no database, no async; file I/O only in [`key_file`].
//!
//! The parts and how they fit:
//! - A [`Signer`] holds a private key and signs (`r || s`, the COSE form). [`InMemorySigner`] keeps
//!   an aws-lc-rs key in memory; [`FileSigner`] opens one from an encrypted PKCS#8 file with a
//!   [`Passphrase`] read from the environment or a file. Key material is never `Debug`, `Clone` or
//!   `Serialize`.
//! - [`issue_iaca`], [`issue_document_signer`] and [`issue_trust_list_signer`] make the Annex B
//!   certificates with rcgen, signing through any `Signer`: the national root (IACA), one
//!   document signer per issuing authority ([`DocumentSignerParams`] carries the
//!   `edl_domain::IssuingAuthority`), and the signer of the trust list.
//! - [`validate_document_signer`] judges a certificate chain against trusted IACAs
//!   ([`TrustAnchor`]) at a given time and returns a [`ChainReport`] with every check's
//!   [`Outcome`], not just the first failure.
//! - [`AuthoritySigners`] keeps an authority's signer certificates through rotation: which one signs
//!   now, lookup by key identifier, expiry.
//! - [`TrustList`] is the signed list of IACAs verifiers download (VICAL-compatible CBOR in a
//!   COSE_Sign1; see `docs/decisions/pki.md`), built with prepare → signature → complete and read
//!   with [`verify_trust_list`].

#![warn(missing_docs)]

mod certificate;
mod demo;
mod issue;
mod key;
pub mod key_file;
mod profile;
mod rotation;
mod signer;
mod trust_list;
mod validate;

#[cfg(test)]
mod tests;

pub use certificate::{
    CertificateDer, CertificateError, DocumentSignerCertificate, PemError, TrustAnchor,
};
pub use demo::{DemoPki, DemoPkiError};
pub use issue::{
    DocumentSignerParams, IacaParams, IssueError, TrustListSignerParams, issue_document_signer,
    issue_iaca, issue_trust_list_signer,
};
pub use key::{
    Curve, KeyIdentifier, PublicKey, PublicKeyError, SignatureAlgorithm, SignatureInvalid,
};
pub use key_file::{FileSigner, KeyFileError, Passphrase, PassphraseError, ScryptCost};
pub use profile::{
    Country, CountryError, DEFAULT_IACA_VALIDITY, IssuerAltName, MAX_DOCUMENT_SIGNER_VALIDITY,
    MAX_IACA_VALIDITY, MAX_SERIAL_OCTETS, MAX_TRUST_LIST_SIGNER_VALIDITY, MDL_DOCUMENT_SIGNER_EKU,
    MDOC_READER_EKU, TRUST_LIST_SIGNER_EKU, subdivision_code,
};
pub use rotation::{AuthoritySigners, RotationError};
pub use signer::{InMemorySigner, KeyError, SignError, Signer};
pub use trust_list::{
    ListedSigner, MAX_LISTED_SIGNERS, MAX_TRUST_LIST_BYTES, MDL_DOC_TYPE, PreparedTrustList,
    SignedTrustList, TRUST_LIST_VERSION, TrustList, TrustListEntry, TrustListError,
    verify_trust_list, verify_trust_list_update,
};
pub use validate::{
    ChainReport, Check, CheckResult, Failure, NotChecked, Outcome, Role, SignerFacts,
    validate_document_signer, validate_trust_list_signer,
};
