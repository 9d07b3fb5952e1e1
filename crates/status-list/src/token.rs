//! The Status List Token in its CWT form (draft-ietf-oauth-status-list §6): a COSE_Sign1 with
//! protected `{alg: ES256, typ: "application/statuslist+cwt"}`, the signer's certificate in the
//! unprotected x5chain, and the claims `sub` (the list's URI), `iat`, `exp`, `ttl` and
//! `status_list` (`{"bits", "lst"}`).

use ciborium::Value;
use coset::{
    CborSerializable, CoseSign1, CoseSign1Builder, HeaderBuilder, Label, TaggedCborSerializable,
    iana,
};
use edl_cbor::Map;
use edl_pki::{
    CertificateDer, ChainReport, SignatureAlgorithm, TrustAnchor, validate_document_signer,
};
use time::OffsetDateTime;

use crate::list::{StatusList, StatusListError};

/// The media type of a Status List Token in CWT form.
pub const STATUS_LIST_CONTENT_TYPE: &str = "application/statuslist+cwt";
/// The largest token read: 8 MiB (10 million entries at 2 bits are 2.5 MiB before compression).
pub const MAX_TOKEN_BYTES: usize = 8 << 20;

const X5CHAIN: i64 = 33;
const CLAIM_SUB: i64 = 2;
const CLAIM_EXP: i64 = 4;
const CLAIM_IAT: i64 = 6;
const CLAIM_TTL: i64 = 65534;
const CLAIM_STATUS_LIST: i64 = 65533;

/// Why a token cannot be made or is not accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    /// Larger than [`MAX_TOKEN_BYTES`].
    #[error("{len} bytes is more than the {max} a status list token may have")]
    TooLarge {
        /// The input's length.
        len: usize,
        /// The cap.
        max: usize,
    },
    /// Not a COSE_Sign1, or its payload is not acceptable CBOR.
    #[error("the token is malformed: {what}")]
    Malformed {
        /// What was wrong.
        what: &'static str,
    },
    /// The protected header is not exactly `{alg: ES256, typ: application/statuslist+cwt}`.
    #[error("the protected header is not ES256 with typ application/statuslist+cwt")]
    WrongHeader,
    /// A claim is missing or of the wrong type.
    #[error("claim {claim} is missing or of the wrong type")]
    Claim {
        /// The claim's name.
        claim: &'static str,
    },
    /// The signer's chain does not lead to a trusted IACA, or breaks its profile.
    #[error("the token's signer is not trusted:\n{0}")]
    UntrustedSigner(Box<ChainReport>),
    /// The signature does not verify.
    #[error("the token's signature does not verify")]
    SignatureInvalid,
    /// The token is for another list than the one asked for.
    #[error("the token is for another list than the one referenced")]
    WrongSubject,
    /// The list inside is unusable.
    #[error("the list is unusable: {0}")]
    List(#[from] StatusListError),
    /// `exp` is not after `iat`.
    #[error("the token expires before it is issued")]
    Inverted,
    /// The signer failed.
    #[error("signing failed: {0}")]
    Sign(#[from] edl_pki::SignError),
}

/// A status list with its claims, ready to sign.
#[derive(Debug, Clone)]
pub struct StatusListToken {
    /// `sub`: the URI the list is published at (equal to the MSO's `status.status_list.uri`).
    pub uri: String,
    /// `iat`.
    pub issued_at: OffsetDateTime,
    /// `exp`: after this the list says nothing and verifiers report status as unknown.
    pub expires_at: OffsetDateTime,
    /// `ttl` in seconds: how long a verifier may cache it before fetching again.
    pub ttl_seconds: u64,
    /// The list.
    pub list: StatusList,
}

/// A token whose bytes to be signed are ready ([`PreparedToken::signature_payload`]).
#[derive(Debug)]
pub struct PreparedToken {
    sign1: CoseSign1,
    tbs: Vec<u8>,
}

impl StatusListToken {
    /// Builds the COSE_Sign1 to be signed by the document signer holding `certificate`.
    pub fn prepare(&self, certificate: &CertificateDer) -> Result<PreparedToken, TokenError> {
        if self.expires_at <= self.issued_at {
            return Err(TokenError::Inverted);
        }
        let claims = Value::Map(vec![
            (Value::from(CLAIM_SUB), Value::Text(self.uri.clone())),
            (
                Value::from(CLAIM_IAT),
                Value::from(self.issued_at.unix_timestamp()),
            ),
            (
                Value::from(CLAIM_EXP),
                Value::from(self.expires_at.unix_timestamp()),
            ),
            (Value::from(CLAIM_TTL), Value::from(self.ttl_seconds)),
            (
                Value::from(CLAIM_STATUS_LIST),
                Value::Map(vec![
                    (Value::from("bits"), Value::from(self.list.bits())),
                    (Value::from("lst"), Value::Bytes(self.list.compress())),
                ]),
            ),
        ]);
        let protected = HeaderBuilder::new()
            .algorithm(iana::Algorithm::ES256)
            .value(16, Value::Text(STATUS_LIST_CONTENT_TYPE.to_owned()))
            .build();
        let unprotected = HeaderBuilder::new()
            .value(X5CHAIN, Value::Bytes(certificate.as_bytes().to_vec()))
            .build();
        let sign1 = CoseSign1Builder::new()
            .protected(protected)
            .unprotected(unprotected)
            .payload(edl_cbor::encode(&claims))
            .build();
        let tbs = sign1.tbs_data(b"");
        Ok(PreparedToken { sign1, tbs })
    }

    /// Prepares and signs with `signer` (the document signer's key).
    pub fn sign(
        &self,
        certificate: &CertificateDer,
        signer: &dyn edl_pki::Signer,
    ) -> Result<Vec<u8>, TokenError> {
        let prepared = self.prepare(certificate)?;
        let signature = signer.sign(prepared.signature_payload())?;
        prepared.complete(signature)
    }
}

impl PreparedToken {
    /// The algorithm the signature must be made with.
    pub fn algorithm(&self) -> SignatureAlgorithm {
        SignatureAlgorithm::Es256
    }

    /// The `Sig_structure` bytes to sign.
    pub fn signature_payload(&self) -> &[u8] {
        &self.tbs
    }

    /// Adds the signature (`r || s`) and encodes the token (tag 18).
    pub fn complete(mut self, signature: Vec<u8>) -> Result<Vec<u8>, TokenError> {
        if signature.len() != self.algorithm().signature_len() {
            return Err(TokenError::SignatureInvalid);
        }
        self.sign1.signature = signature;
        self.sign1
            .to_tagged_vec()
            .map_err(|_| TokenError::Malformed { what: "encoding" })
    }
}

/// A token that verified: its claims and its list.
#[derive(Debug, Clone)]
pub struct VerifiedStatusList {
    /// `sub`.
    pub uri: String,
    /// `iat`.
    pub issued_at: OffsetDateTime,
    /// `exp`.
    pub expires_at: OffsetDateTime,
    /// `ttl` in seconds, if given.
    pub ttl_seconds: Option<u64>,
    /// The list.
    pub list: StatusList,
    /// The document signer certificate that signed it (the first of its x5chain): whose
    /// credentials the list speaks for.
    pub signer: CertificateDer,
}

impl VerifiedStatusList {
    /// True when the list still speaks at `at` (not past `exp`).
    pub fn is_current(&self, at: OffsetDateTime) -> bool {
        at <= self.expires_at
    }
}

/// Reads and verifies a token: size cap, strict CBOR, header, signer chain to one of
/// `trusted_iacas` at `at`, signature, claims, decompression cap. `expected_uri`, when given, must
/// equal `sub`.
pub fn verify_token(
    bytes: &[u8],
    trusted_iacas: &[TrustAnchor],
    at: OffsetDateTime,
    expected_uri: Option<&str>,
) -> Result<VerifiedStatusList, TokenError> {
    if bytes.len() > MAX_TOKEN_BYTES {
        return Err(TokenError::TooLarge {
            len: bytes.len(),
            max: MAX_TOKEN_BYTES,
        });
    }
    edl_cbor::decode(bytes, MAX_TOKEN_BYTES).map_err(|_| TokenError::Malformed {
        what: "not well-formed CBOR",
    })?;
    let sign1 = if bytes.first() == Some(&0xd2) {
        CoseSign1::from_tagged_slice(bytes)
    } else {
        CoseSign1::from_slice(bytes)
    }
    .map_err(|_| TokenError::Malformed {
        what: "not a COSE_Sign1",
    })?;

    let expected = HeaderBuilder::new()
        .algorithm(iana::Algorithm::ES256)
        .value(16, Value::Text(STATUS_LIST_CONTENT_TYPE.to_owned()))
        .build();
    if sign1.protected.header != expected {
        return Err(TokenError::WrongHeader);
    }
    let mut certificate = sign1
        .unprotected
        .rest
        .iter()
        .find(|(label, _)| *label == Label::Int(X5CHAIN))
        .and_then(|(_, v)| match v {
            Value::Bytes(b) => Some(vec![CertificateDer::new(b.clone())]),
            Value::Array(items) => items
                .iter()
                .map(|i| i.as_bytes().map(|b| CertificateDer::new(b.clone())))
                .collect(),
            _ => None,
        })
        .filter(|chain: &Vec<CertificateDer>| !chain.is_empty())
        .ok_or(TokenError::Malformed { what: "no x5chain" })?;
    let report = validate_document_signer(&certificate, trusted_iacas, at);
    let key = match report.signer() {
        Some(facts) if report.is_valid() => facts.public_key.clone(),
        _ => return Err(TokenError::UntrustedSigner(Box::new(report))),
    };
    sign1
        .verify_signature(b"", |signature, data| key.verify(data, signature))
        .map_err(|_| TokenError::SignatureInvalid)?;

    let payload = sign1
        .payload
        .as_deref()
        .ok_or(TokenError::Malformed { what: "no payload" })?;
    let claims = edl_cbor::decode(payload, MAX_TOKEN_BYTES).map_err(|_| TokenError::Malformed {
        what: "claims are not well-formed CBOR",
    })?;
    let Value::Map(entries) = &claims else {
        return Err(TokenError::Malformed {
            what: "claims are not a map",
        });
    };
    let claim = |label: i64| {
        entries
            .iter()
            .find(|(k, _)| k.as_integer().and_then(|i| i64::try_from(i).ok()) == Some(label))
            .map(|(_, v)| v)
    };
    let uint = |label: i64, name: &'static str| {
        claim(label)
            .and_then(Value::as_integer)
            .and_then(|i| u64::try_from(i).ok())
            .ok_or(TokenError::Claim { claim: name })
    };
    let time = |label: i64, name: &'static str| {
        let seconds = uint(label, name)?;
        i64::try_from(seconds)
            .ok()
            .and_then(|s| OffsetDateTime::from_unix_timestamp(s).ok())
            .ok_or(TokenError::Claim { claim: name })
    };
    let uri = claim(CLAIM_SUB)
        .and_then(Value::as_text)
        .ok_or(TokenError::Claim { claim: "sub" })?
        .to_owned();
    if expected_uri.is_some_and(|e| e != uri) {
        return Err(TokenError::WrongSubject);
    }
    let issued_at = time(CLAIM_IAT, "iat")?;
    let expires_at = time(CLAIM_EXP, "exp")?;
    if expires_at <= issued_at {
        return Err(TokenError::Inverted);
    }
    let ttl_seconds = match claim(CLAIM_TTL) {
        None => None,
        Some(_) => Some(uint(CLAIM_TTL, "ttl")?),
    };
    let status_list = claim(CLAIM_STATUS_LIST)
        .and_then(Map::of)
        .ok_or(TokenError::Claim {
            claim: "status_list",
        })?;
    let bits = status_list
        .get("bits")
        .and_then(Value::as_integer)
        .and_then(|i| u64::try_from(i).ok())
        .ok_or(TokenError::Claim {
            claim: "status_list.bits",
        })?;
    let lst = status_list
        .get("lst")
        .and_then(Value::as_bytes)
        .ok_or(TokenError::Claim {
            claim: "status_list.lst",
        })?;
    let list = StatusList::decompress(bits, lst)?;
    Ok(VerifiedStatusList {
        uri,
        issued_at,
        expires_at,
        ttl_seconds,
        list,
        signer: certificate.swap_remove(0),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::list::CredentialStatus;
    use edl_domain::{AuthorityName, IssuingAuthority, RegionCode};
    use edl_pki::DemoPki;
    use time::macros::datetime;

    const T0: OffsetDateTime = datetime!(2026-01-01 00:00 UTC);
    const URI: &str = "https://edl.example.cn/status/120000/1";

    fn pki() -> DemoPki {
        let authority = IssuingAuthority {
            name: AuthorityName::parse("天津市公安局交通警察总队").unwrap(),
            region: RegionCode::parse("120000").unwrap(),
        };
        DemoPki::new(authority, T0, 365).unwrap()
    }

    fn token(list: StatusList) -> StatusListToken {
        StatusListToken {
            uri: URI.into(),
            issued_at: T0 + time::Duration::days(1),
            expires_at: T0 + time::Duration::days(2),
            ttl_seconds: 3600,
            list,
        }
    }

    #[test]
    fn a_signed_list_verifies_and_answers_lookups() {
        let pki = pki();
        let mut list = StatusList::new(2, 1024).unwrap();
        list.set(7, CredentialStatus::Suspended).unwrap();
        list.set(8, CredentialStatus::Invalid).unwrap();
        let bytes = token(list)
            .sign(&pki.document_signer, &pki.document_signer_key)
            .unwrap();
        let at = T0 + time::Duration::hours(30);
        let verified =
            verify_token(&bytes, std::slice::from_ref(&pki.anchor), at, Some(URI)).unwrap();
        assert_eq!(verified.list.get(7).unwrap(), CredentialStatus::Suspended);
        assert_eq!(verified.list.get(8).unwrap(), CredentialStatus::Invalid);
        assert_eq!(verified.list.get(9).unwrap(), CredentialStatus::Valid);
        assert_eq!(verified.ttl_seconds, Some(3600));
        assert!(verified.is_current(at));
        assert!(!verified.is_current(T0 + time::Duration::days(3)));
    }

    #[test]
    fn wrong_tokens_fail_with_their_own_reason() {
        let pki = pki();
        let other = pki_other();
        let bytes = token(StatusList::new(2, 64).unwrap())
            .sign(&pki.document_signer, &pki.document_signer_key)
            .unwrap();
        let at = T0 + time::Duration::hours(30);
        let anchors = [pki.anchor.clone()];
        assert_eq!(
            verify_token(&bytes, &anchors, at, Some("https://elsewhere")).unwrap_err(),
            TokenError::WrongSubject
        );
        assert!(matches!(
            verify_token(&bytes, std::slice::from_ref(&other.anchor), at, None),
            Err(TokenError::UntrustedSigner(_))
        ));
        let mut tampered = bytes.clone();
        let last = tampered.len() - 1;
        tampered[last] ^= 1;
        assert_eq!(
            verify_token(&tampered, &anchors, at, None).unwrap_err(),
            TokenError::SignatureInvalid
        );
        assert!(matches!(
            verify_token(&bytes[..bytes.len() - 3], &anchors, at, None),
            Err(TokenError::Malformed { .. })
        ));
        // Signed by a key that is not the certificate's.
        let forged = token(StatusList::new(2, 64).unwrap())
            .sign(&pki.document_signer, &other.document_signer_key)
            .unwrap();
        assert_eq!(
            verify_token(&forged, &anchors, at, None).unwrap_err(),
            TokenError::SignatureInvalid
        );
    }

    fn pki_other() -> DemoPki {
        pki()
    }

    proptest::proptest! {
        #[test]
        fn random_bytes_never_panic(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..300)) {
            let _ = verify_token(&bytes, &[], T0, None);
        }
    }
}
