//! Issuance: from a registry licence and the holder's device key to a signed IssuerSigned,
//! through prepare → signature → complete so the signature can come from an HSM.

use aws_lc_rs::rand::{SecureRandom, SystemRandom};
use ciborium::Value;
use coset::{CoseSign1Builder, HeaderBuilder, iana};
use edl_cbor::Writer;
use edl_domain::{DisplayState, Licence};
use edl_pki::{CertificateDer, PublicKey, SignError, SignatureAlgorithm, Signer};
use time::{Duration, OffsetDateTime, UtcOffset};

use crate::document::{
    ES256_PROTECTED, IssuerSigned, IssuerSignedItemBytes, NamespaceItems, sig_structure,
};
use crate::elements::{ELEMENTS, Element, LicenceValues, MDL_DOC_TYPE, Portrait};
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

/// An element's identifier and its value as written.
type WrittenElement<'a> = (&'static str, &'a [u8]);

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
    // Every element's value written once, end to end in one buffer: (element, span).
    let values = LicenceValues::new(licence, request.portrait, today);
    let mut written = Writer::with_capacity(request.portrait.as_bytes().len() + 1024);
    let mut elements: Vec<(&'static Element, usize, usize)> = Vec::with_capacity(ELEMENTS.len());
    for element in &ELEMENTS {
        let start = written.len();
        if values.write(element.identifier, &mut written) {
            elements.push((element, start, written.len()));
        }
    }
    let written = written.into_bytes();
    let mut pool = RandomPool::new(&rng, elements.len() * (SALT_BYTES + 4))?;
    let mut namespaces: Vec<NamespaceItems> = Vec::with_capacity(2);
    let mut digests: Vec<(String, crate::mso::DigestIds)> = Vec::with_capacity(2);
    // Digest IDs are shuffled per namespace, so an ID says nothing about which element it is.
    let mut by_namespace: Vec<(&str, Vec<WrittenElement<'_>>)> = Vec::with_capacity(2);
    for (element, start, end) in elements {
        let value = &written[start..end];
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
            let salt = pool.take(&rng, SALT_BYTES)?;
            let item = IssuerSignedItemBytes::write(digest_id, salt, identifier, value);
            namespace_digests.push((digest_id, DigestAlgorithm::Sha256.digest(item.tagged())));
            issued.push(item);
        }
        namespace_digests.sort_unstable_by_key(|(id, _)| *id);
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
    let payload = mso.to_tagged_bytes();
    // The Sig_structure coset would write for this COSE_Sign1, written directly.
    let tbs = sig_structure(&ES256_PROTECTED, &payload);
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
        .payload(payload)
        .build();
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
    fn the_signature_payload_is_the_sig_structure_coset_writes() {
        let today = time::macros::date!(2026 - 03 - 01);
        let licence = (0..)
            .map(|i| edl_synth::Generator::new(3, today).licence(i))
            .find(|l| l.claim_eligibility(today).is_ok())
            .unwrap();
        let pki = edl_pki::DemoPki::new(
            licence.authority().clone(),
            time::macros::datetime!(2026-01-01 00:00 UTC),
            365,
        )
        .unwrap();
        let device = edl_pki::InMemorySigner::generate().unwrap().public_key();
        let portrait = Portrait::new(edl_synth::demo_portrait().to_vec()).unwrap();
        for status in [
            None,
            Some(StatusReference {
                idx: 70000,
                uri: "https://edl.example.cn/status/120100.cwt".into(),
            }),
        ] {
            let prepared = prepare(
                &licence,
                &IssueRequest {
                    device_key: &device,
                    portrait: &portrait,
                    signed_at: time::macros::datetime!(2026-03-01 02:00 UTC),
                    status,
                    signer_certificate: &pki.document_signer,
                    signer_not_before: time::macros::datetime!(2026-01-01 00:00 UTC),
                    signer_not_after: time::macros::datetime!(2027-01-01 00:00 UTC),
                },
            )
            .unwrap();
            assert_eq!(
                prepared.signature_payload(),
                prepared.unsigned.tbs_data(b"")
            );
            let payload = prepared.unsigned.payload.clone().unwrap();
            assert_eq!(
                payload,
                edl_cbor::encode(&edl_cbor::tag24(edl_cbor::encode(&prepared.mso.to_cbor())))
            );
            // Every item written directly is the item the encoder writes from its value.
            for (_, items) in &prepared.namespaces {
                for item in items {
                    let again = IssuerSignedItemBytes::new(item.item().clone());
                    assert_eq!(again.tagged_bytes(), item.tagged_bytes());
                    assert_eq!(
                        item.tagged_bytes(),
                        edl_cbor::encode(&edl_cbor::tag24(item.inner_bytes().to_vec()))
                    );
                }
            }
        }
    }

    #[test]
    fn the_day_ends_at_midnight_in_beijing() {
        let end = end_of_day_cst(time::macros::date!(2026 - 03 - 01));
        assert_eq!(end, time::macros::datetime!(2026-03-01 16:00 UTC));
    }
}
