//! `edl-status-list`: the IETF Token Status List (draft-ietf-oauth-status-list) as the e-licence
//! platform publishes it: one list per document signer, 2 bits per credential, compressed with
//! zlib, signed as a CWT (COSE_Sign1) by the issuing authority's document signer, so a verifier
//! that trusts the IACA trusts the list without any other key. Pure: no I/O.
//!
//! - [`StatusList`]: the bit array, built in memory and compressed.
//! - [`StatusListToken`]: the claims (`sub` = the list's URI, `iat`, `exp`, `ttl`, `status_list`);
//!   [`StatusListToken::prepare`] → [`PreparedToken::complete`] signs it (an HSM can sign between).
//! - [`verify_token`]: reads a token strictly (size cap, decompression cap, chain to a trusted
//!   IACA, signature) and gives a [`VerifiedStatusList`] to look credentials up in.

#![warn(missing_docs)]

mod list;
mod token;

pub use list::{CredentialStatus, MAX_ENTRIES, StatusList, StatusListError};
pub use token::{
    MAX_TOKEN_BYTES, PreparedToken, STATUS_LIST_CONTENT_TYPE, StatusListToken, TokenError,
    VerifiedStatusList, verify_token,
};
