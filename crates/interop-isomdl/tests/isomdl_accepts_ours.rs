//! isomdl 0.2.0, an independent ISO/IEC 18013-5 implementation, reads and verifies a
//! DeviceResponse made by our crates (fresh demo PKI, synthetic licence, purpose Roadside,
//! OpenID4VP SessionTranscript).
//!
//! What isomdl's reader verifies (`presentation::reader_utils::validate_response`, the function
//! `reader::SessionManager::handle_response` calls after decrypting a session message):
//!
//! 1. device authentication (`authentication::mdoc::device_authentication`): the `deviceSignature`
//!    COSE_Sign1 with the MSO's `deviceKey`, over DeviceAuthenticationBytes built from the
//!    SessionTranscript the reader holds, the docType and the DeviceNameSpacesBytes
//!    (`deviceMac` is `Unsupported` in isomdl);
//! 2. the x5chain against its trust anchors (`x509::validation::ValidationRuleset::Mdl`): an IACA
//!    whose subject is the signer's issuer, whose SKI equals the signer's AKI, whose key verifies
//!    the signer's signature and which is currently valid; the document signer's validity (wall
//!    clock) and Annex B extensions (SKI recomputed as SHA-1, AKI, key usage, EKU, CRL
//!    distribution points, issuer alternative name, no forbidden extension); the IACA's Annex B
//!    extensions; countryName equal in both; stateOrProvinceName equal in both when either has it;
//! 3. only if 2 found no error, the issuer signature (`authentication::mdoc::issuer_authentication`):
//!    the issuerAuth COSE_Sign1 with the document signer's key.
//!
//! What isomdl 0.2.0 does NOT verify anywhere (its source has no such code): the
//! IssuerSignedItem digests against the MSO's valueDigests, the MSO's validityInfo, the MSO's
//! docType against the document's, and status. The tests below check the digests and the
//! validity window themselves over isomdl's decoded structures (isomdl's `Tag24` keeps the bytes
//! it received), and say so where they do.

#![allow(clippy::unwrap_used)]

mod common;

use common::{
    Ours, RawTranscript, isomdl_conventions_chain, isomdl_registry, isomdl_verify, ours,
    ours_with_signer,
};
use edl_mdoc::{ISO_NAMESPACE, MDL_DOC_TYPE};
use edl_pki::Signer;
use isomdl::definitions::device_key::cose_key::EC2Y;
use isomdl::definitions::device_response::Status;
use isomdl::definitions::helpers::Tag24;
use isomdl::definitions::{CoseKey, DigestAlgorithm, Mso};
use isomdl::presentation::authentication::AuthenticationStatus;
use isomdl::presentation::authentication::mdoc::issuer_authentication;
use sha2::{Digest, Sha256};

/// Everything isomdl can tell about `o.response` that does not depend on the certificate
/// profile: decoding, the device signature, the issuer signature, and its reading of the MSO.
/// Returns isomdl's certificate errors, which the callers judge.
fn isomdl_checks_all_but_the_chain(o: &Ours) -> (AuthenticationStatus, Vec<String>) {
    let transcript = RawTranscript::from_ours(&o.transcript);
    let registry = isomdl_registry(&o.iaca);
    let verdict = isomdl_verify(&o.response, &transcript, &registry)
        .unwrap_or_else(|e| panic!("isomdl cannot read our DeviceResponse: {e}"));

    // Decoding and `reader::parse`: one document of type mDL, the x5chain, the namespaces.
    let documents = verdict.response.documents.as_ref().unwrap();
    assert_eq!(documents.len(), 1);
    let document = &documents[0];
    assert_eq!(document.doc_type, MDL_DOC_TYPE);
    assert!(matches!(verdict.response.status, Status::OK));
    assert_eq!(verdict.response.version, "1.0");
    let parsed = &verdict.outcome.response[ISO_NAMESPACE];
    for element in ["family_name", "given_name", "birth_date", "document_number"] {
        assert!(
            parsed.get(element).is_some(),
            "isomdl did not read {element}: {parsed}"
        );
    }
    assert_eq!(parsed["issuing_country"], "CN");

    // 1. Device authentication, by isomdl, over OUR SessionTranscript.
    assert_eq!(
        verdict.outcome.device_authentication,
        AuthenticationStatus::Valid,
        "isomdl rejects our device signature: {:?}",
        verdict.outcome.errors
    );

    // 3. The issuer signature, by isomdl, with the x5chain's end-entity key. validate_response
    // runs it only when the chain has no error, so it is called here directly as well.
    issuer_authentication(verdict.x5chain.clone(), &document.issuer_signed)
        .unwrap_or_else(|e| panic!("isomdl rejects our issuer signature: {e}"));

    // isomdl's decoding of our MSO (the `status` member, unknown to isomdl 0.2.0, is ignored).
    let mso_bytes = document.issuer_signed.issuer_auth.payload.as_ref().unwrap();
    let mso: Mso = isomdl::cbor::from_slice::<Tag24<Mso>>(mso_bytes)
        .unwrap()
        .into_inner();
    assert_eq!(mso.version, "1.0");
    assert_eq!(mso.doc_type, MDL_DOC_TYPE);
    assert!(matches!(mso.digest_algorithm, DigestAlgorithm::SHA256));
    let device_key = o.device.public_key();
    match &mso.device_key_info.device_key {
        CoseKey::EC2 { x, y, .. } => {
            assert_eq!(x.as_slice(), device_key.x());
            assert!(matches!(y, EC2Y::Value(y) if y.as_slice() == device_key.y()));
        }
        other => panic!("isomdl read the device key as {other:?}"),
    }
    // Not an isomdl check: isomdl parses validityInfo but never compares it with a time. The
    // test compares isomdl's reading with what we signed.
    let validity = &mso.validity_info;
    assert_eq!(validity.signed, o.signed_at);
    assert!(validity.valid_from <= o.at && o.at <= validity.valid_until);

    // Not an isomdl check either: isomdl never recomputes digests. The test recomputes every
    // disclosed item's digest over the bytes isomdl kept and looks it up in isomdl's MSO.
    let namespaces = document.issuer_signed.namespaces.as_ref().unwrap();
    let mut checked = 0;
    for (namespace, items) in namespaces.iter() {
        for item in items.iter() {
            let digest_id = item.as_ref().digest_id;
            let expected = &mso.value_digests[namespace][&digest_id];
            let actual = Sha256::digest(isomdl::cbor::to_vec(item).unwrap());
            assert_eq!(
                actual.as_slice(),
                AsRef::<[u8]>::as_ref(expected),
                "{namespace}/{}",
                item.as_ref().element_identifier
            );
            checked += 1;
        }
    }
    assert!(checked > 20, "only {checked} items disclosed");

    (
        verdict.outcome.issuer_authentication,
        verdict.certificate_errors,
    )
}

/// Our response under the PKI edl-pki issues: isomdl decodes it, finds no error in our certificate
/// chain (ValidationRuleset::Mdl: IACA as trust anchor, names and key identifiers, signatures,
/// validity, Annex B extensions of both certificates, countryName), and verifies the issuer
/// signature and the device signature over our OpenID4VP transcript.
///
/// Until this session isomdl refused our chain on two points (docs/interop.md F1, F2: SHA-256 key
/// identifiers, ST in the document signer only); edl-pki now writes SHA-1 key identifiers and no ST.
#[test]
fn isomdl_accepts_our_device_response_under_our_own_pki() {
    let o = ours();
    assert!(o.our_report().is_valid(), "{}", o.our_report());

    let (issuer_authentication, certificate_errors) = isomdl_checks_all_but_the_chain(&o);
    assert!(certificate_errors.is_empty(), "{certificate_errors:?}");
    assert_eq!(issuer_authentication, AuthenticationStatus::Valid);

    let transcript = RawTranscript::from_ours(&o.transcript);
    let verdict = isomdl_verify(&o.response, &transcript, &isomdl_registry(&o.iaca)).unwrap();
    assert!(
        verdict.certificate_errors.is_empty(),
        "{:?}",
        verdict.certificate_errors
    );
    assert_eq!(
        verdict.outcome.issuer_authentication,
        AuthenticationStatus::Valid
    );
    assert_eq!(
        verdict.outcome.device_authentication,
        AuthenticationStatus::Valid
    );
    assert!(
        verdict.outcome.errors.is_empty(),
        "{:?}",
        verdict.outcome.errors
    );
}

/// The same kind of response, but with a document-signer certificate (for the same demo key)
/// under an IACA, both following isomdl's reading of Annex B: SHA-1 key identifiers, and the
/// document signer's stateOrProvinceName also in the IACA. Everything isomdl verifies passes: our MSO,
/// COSE structures, DeviceResponse and device signature are accepted as they are.
#[test]
fn isomdl_accepts_our_device_response_in_full_under_a_certificate_chain_it_accepts() {
    let o = ours_with_signer(isomdl_conventions_chain);

    let transcript = RawTranscript::from_ours(&o.transcript);
    let verdict = isomdl_verify(&o.response, &transcript, &isomdl_registry(&o.iaca)).unwrap();
    assert!(
        verdict.certificate_errors.is_empty(),
        "{:?}",
        verdict.certificate_errors
    );
    assert_eq!(
        verdict.outcome.issuer_authentication,
        AuthenticationStatus::Valid
    );
    assert_eq!(
        verdict.outcome.device_authentication,
        AuthenticationStatus::Valid
    );
    assert!(
        verdict.outcome.errors.is_empty(),
        "{:?}",
        verdict.outcome.errors
    );
    let (issuer_authentication, certificate_errors) = isomdl_checks_all_but_the_chain(&o);
    assert_eq!(issuer_authentication, AuthenticationStatus::Valid);
    assert!(certificate_errors.is_empty());

    // Our own verifier accepts this chain too.
    let report = o.our_report();
    assert!(report.is_valid(), "{report}");
}

/// isomdl refuses a response whose device signature is over another session: its device check
/// is real, not a formality.
#[test]
fn isomdl_refuses_our_response_for_another_session() {
    let o = ours();
    let other = edl_mdoc::SessionTranscript::openid4vp(
        "x509_san_dns:roadside.example.cn",
        "another-nonce",
        None,
        "https://roadside.example.cn/response",
    );
    let verdict = isomdl_verify(
        &o.response,
        &RawTranscript::from_ours(&other),
        &isomdl_registry(&o.iaca),
    )
    .unwrap();
    assert_eq!(
        verdict.outcome.device_authentication,
        AuthenticationStatus::Invalid
    );
}
