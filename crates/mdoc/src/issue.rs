//! Issuance: from a registry licence and the holder's device key to a signed IssuerSigned,
//! through prepare → signature → complete so the signature can come from an HSM.

use aws_lc_rs::rand::{SecureRandom, SystemRandom};
use ciborium::Value;
use coset::{CoseSign1Builder, HeaderBuilder, iana};
use edl_domain::{DisplayState, Licence};
use edl_pki::{CertificateDer, PublicKey, SignError, SignatureAlgorithm, Signer};
use time::{Duration, OffsetDateTime, UtcOffset};

use crate::document::{IssuerSigned, IssuerSignedItem, IssuerSignedItemBytes, NamespaceItems};
use crate::elements::{MDL_DOC_TYPE, Portrait, licence_elements};
use crate::mso::{DigestAlgorithm, MobileSecurityObject, StatusReference, ValidityInfo};

/// How long an issued credential is valid: 14 days (`docs/decisions/mdoc.md`).
pub const CREDENTIAL_LIFETIME: Duration = Duration::days(14);
/// When the wallet should fetch a fresh credential: after 7 days (`expectedUpdate`).
pub const REFRESH_AFTER: Duration = Duration::days(7);
/// Bytes of salt per item (ISO 18013-5 asks for at least 16).
pub const SALT_BYTES: usize = 16;

/// COSE header label of x5chain (RFC 9360).
const X5CHAIN: i64 = 33;

/// Why a credential was not issued.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IssueError {
    /// The licence may not be claimed (revoked, cancelled …) or has expired on the signing day.
    #[error("the licence cannot carry a credential: {reason}")]
    NotIssuable {
        /// Why.
        reason: &'static str,
    },
    /// The document signer certificate is not valid at the signing time.
    #[error("the document signer certificate is not valid when signing")]
    SignerNotValid,
    /// The signature has the wrong length for the algorithm.
    #[error("a {algorithm:?} signature is {expected} bytes, not {found}")]
    SignatureLength {
        /// The algorithm.
        algorithm: SignatureAlgorithm,
        /// Its length.
        expected: usize,
        /// The length given.
        found: usize,
    },
    /// The random generator failed.
    #[error("the random generator failed")]
    Random,
    /// The signer failed.
    #[error(transparent)]
    Sign(#[from] SignError),
}

/// What an issuance needs besides the licence.
#[derive(Debug, Clone)]
pub struct IssueRequest<'a> {
    /// The holder's device key, proved by the claim flow.
    pub device_key: &'a PublicKey,
    /// The portrait from the registry.
    pub portrait: &'a Portrait,
    /// The signing time; the validity window starts here.
    pub signed_at: OffsetDateTime,
    /// Where this credential's status is published.
    pub status: Option<StatusReference>,
    /// The document signer's certificate (with `signer_not_after`, bounds the window).
    pub signer_certificate: &'a CertificateDer,
    /// The signer certificate's end of validity.
    pub signer_not_after: OffsetDateTime,
    /// The signer certificate's start of validity.
    pub signer_not_before: OffsetDateTime,
}

/// An MSO ready to sign: the items are fixed, salts drawn, digests computed.
#[derive(Debug)]
pub struct PreparedMso {
    namespaces: Vec<NamespaceItems>,
    mso: MobileSecurityObject,
    unsigned: coset::CoseSign1,
    tbs: Vec<u8>,
}

impl PreparedMso {
    /// The algorithm to sign with.
    pub fn algorithm(&self) -> SignatureAlgorithm {
        SignatureAlgorithm::Es256
    }

    /// The COSE `Sig_structure` bytes to sign.
    pub fn signature_payload(&self) -> &[u8] {
        &self.tbs
    }

    /// The MSO about to be signed.
    pub fn mso(&self) -> &MobileSecurityObject {
        &self.mso
    }

    /// Adds the signature (`r || s`) and gives the complete IssuerSigned.
    pub fn complete(self, signature: Vec<u8>) -> Result<IssuerSigned, IssueError> {
        let algorithm = self.algorithm();
        if signature.len() != algorithm.signature_len() {
            return Err(IssueError::SignatureLength {
                algorithm,
                expected: algorithm.signature_len(),
                found: signature.len(),
            });
        }
        let mut issuer_auth = self.unsigned;
        issuer_auth.signature = signature;
        Ok(IssuerSigned {
            namespaces: self.namespaces,
            issuer_auth,
        })
    }
}

/// The end of a civil day in China (UTC+8) as an instant.
fn end_of_day_cst(day: time::Date) -> OffsetDateTime {
    let offset = UtcOffset::from_hms(8, 0, 0).unwrap_or(UtcOffset::UTC);
    day.next_day()
        .unwrap_or(day)
        .midnight()
        .assume_offset(offset)
        .to_offset(UtcOffset::UTC)
}

/// Fills `buf` from the system random generator.
fn random(rng: &SystemRandom, buf: &mut [u8]) -> Result<(), IssueError> {
    rng.fill(buf).map_err(|_| IssueError::Random)
}

/// Random bytes drawn in one call to the system generator and handed out in pieces (one call per
/// salt cost more than the rest of the item's encoding).
struct RandomPool {
    bytes: Vec<u8>,
    used: usize,
}

impl RandomPool {
    fn new(rng: &SystemRandom, len: usize) -> Result<RandomPool, IssueError> {
        let mut bytes = vec![0u8; len];
        random(rng, &mut bytes)?;
        Ok(RandomPool { bytes, used: 0 })
    }

    fn take(&mut self, rng: &SystemRandom, n: usize) -> Result<&[u8], IssueError> {
        if self.used + n > self.bytes.len() {
            // Rejection sampling can ask for more than planned: draw a fresh pool.
            *self = RandomPool::new(rng, self.bytes.len().max(n))?;
        }
        let piece = &self.bytes[self.used..self.used + n];
        self.used += n;
        Ok(piece)
    }
}

/// A uniformly random permutation of `0..n` (Fisher-Yates with rejection sampling).
fn shuffled_ids(
    rng: &SystemRandom,
    pool: &mut RandomPool,
    n: usize,
) -> Result<Vec<u64>, IssueError> {
    let mut ids: Vec<u64> = (0..n as u64).collect();
    for i in (1..n).rev() {
        let bound = (i + 1) as u32;
        let zone = u32::MAX - u32::MAX % bound;
        let j = loop {
            let mut b = [0u8; 4];
            b.copy_from_slice(pool.take(rng, 4)?);
            let r = u32::from_le_bytes(b);
            if r < zone {
                break (r % bound) as usize;
            }
        };
        ids.swap(i, j);
    }
    Ok(ids)
}

/// The MSO validity of a credential signed at `signed_at`: [`CREDENTIAL_LIFETIME`], cut at the
/// signer certificate's end and at the end (Beijing time) of the licence's last valid day;
/// `expectedUpdate` after [`REFRESH_AFTER`].
pub fn validity_window(
    licence: &Licence,
    signed_at: OffsetDateTime,
    signer_not_after: OffsetDateTime,
) -> ValidityInfo {
    let signed = signed_at.to_offset(UtcOffset::UTC);
    let signed = signed.replace_nanosecond(0).unwrap_or(signed);
    let mut valid_until = (signed + CREDENTIAL_LIFETIME).min(signer_not_after);
    if let Some(end) = licence.validity().end().date() {
        valid_until = valid_until.min(end_of_day_cst(end));
    }
    ValidityInfo {
        signed,
        valid_from: signed,
        valid_until,
        expected_update: Some((signed + REFRESH_AFTER).min(valid_until)),
    }
}

/// Prepares the credential for `licence`: every element with a random salt and a random digest
/// ID, the MSO with the device key, the validity window and the status reference.
pub fn prepare(licence: &Licence, request: &IssueRequest<'_>) -> Result<PreparedMso, IssueError> {
    let signed = request.signed_at.to_offset(UtcOffset::UTC);
    let signed = signed.replace_nanosecond(0).unwrap_or(signed);
    if signed < request.signer_not_before || signed > request.signer_not_after {
        return Err(IssueError::SignerNotValid);
    }
    let today = signed
        .to_offset(UtcOffset::from_hms(8, 0, 0).unwrap_or(UtcOffset::UTC))
        .date();
    // Claiming needs a black status (checked where the holder claims); a credential is still
    // issued, and shown red, for a red status, but never for a withdrawn or invalid licence.
    if matches!(
        licence.display_state(today),
        DisplayState::NotDisplayed | DisplayState::Invalid
    ) {
        return Err(IssueError::NotIssuable {
            reason: "its status letters withdraw the electronic licence",
        });
    }
    if licence.validity().expired_on(today) {
        return Err(IssueError::NotIssuable {
            reason: "it has expired",
        });
    }
    let validity = validity_window(licence, signed, request.signer_not_after);

    let rng = SystemRandom::new();
    let elements = licence_elements(licence, request.portrait, today);
    let mut pool = RandomPool::new(&rng, elements.len() * (SALT_BYTES + 4))?;
    let mut namespaces: Vec<NamespaceItems> = Vec::new();
    let mut digests: Vec<(String, crate::mso::DigestIds)> = Vec::new();
    // Digest IDs are shuffled per namespace, so an ID says nothing about which element it is.
    let mut by_namespace: Vec<(&str, Vec<(&str, Value)>)> = Vec::new();
    for (element, value) in elements {
        match by_namespace
            .iter_mut()
            .find(|(ns, _)| *ns == element.namespace)
        {
            Some((_, items)) => items.push((element.identifier, value)),
            None => by_namespace.push((element.namespace, vec![(element.identifier, value)])),
        }
    }
    for (namespace, items) in by_namespace {
        let ids = shuffled_ids(&rng, &mut pool, items.len())?;
        let mut issued = Vec::with_capacity(items.len());
        let mut namespace_digests = Vec::with_capacity(items.len());
        for ((identifier, value), digest_id) in items.into_iter().zip(ids) {
            let salt = pool.take(&rng, SALT_BYTES)?.to_vec();
            let item = IssuerSignedItemBytes::new(IssuerSignedItem {
                digest_id,
                random: salt,
                element_identifier: identifier.to_owned(),
                element_value: value,
            });
            let inner = item.inner_bytes();
            namespace_digests.push((
                digest_id,
                DigestAlgorithm::Sha256.digest_parts(&[&edl_cbor::tag24_head(inner.len()), inner]),
            ));
            issued.push(item);
        }
        namespace_digests.sort_by_key(|(id, _)| *id);
        digests.push((namespace.to_owned(), namespace_digests));
        namespaces.push((namespace.to_owned(), issued));
    }

    let mso = MobileSecurityObject::new(
        MDL_DOC_TYPE,
        digests,
        request.device_key,
        validity,
        request.status.clone(),
    );
    let unsigned = CoseSign1Builder::new()
        .protected(
            HeaderBuilder::new()
                .algorithm(iana::Algorithm::ES256)
                .build(),
        )
        .unprotected(
            HeaderBuilder::new()
                .value(
                    X5CHAIN,
                    Value::Bytes(request.signer_certificate.as_bytes().to_vec()),
                )
                .build(),
        )
        .payload(mso.to_tagged_bytes())
        .build();
    let tbs = unsigned.tbs_data(b"");
    Ok(PreparedMso {
        namespaces,
        mso,
        unsigned,
        tbs,
    })
}

/// Prepares and signs in one step with a signer at hand.
pub fn issue(
    licence: &Licence,
    request: &IssueRequest<'_>,
    signer: &dyn Signer,
) -> Result<IssuerSigned, IssueError> {
    let prepared = prepare(licence, request)?;
    let signature = signer.sign(prepared.signature_payload())?;
    prepared.complete(signature)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shuffled_ids_are_a_permutation() {
        let rng = SystemRandom::new();
        let mut pool = RandomPool::new(&rng, 8).unwrap();
        for n in [0, 1, 2, 19] {
            let mut ids = shuffled_ids(&rng, &mut pool, n).unwrap();
            ids.sort_unstable();
            assert_eq!(ids, (0..n as u64).collect::<Vec<_>>());
        }
        // With 19 elements, the identity permutation has probability 1/19!; seeing it means a bug.
        assert_ne!(
            shuffled_ids(&rng, &mut pool, 19).unwrap(),
            (0..19).collect::<Vec<u64>>()
        );
    }

    #[test]
    fn the_day_ends_at_midnight_in_beijing() {
        let end = end_of_day_cst(time::macros::date!(2026 - 03 - 01));
        assert_eq!(end, time::macros::datetime!(2026-03-01 16:00 UTC));
    }
}
