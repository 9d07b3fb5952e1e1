//! Presentation: the holder's DeviceResponse, disclosing what the purpose allows and
//! authenticated by the device key's ECDSA signature over the session transcript.

use coset::{CoseSign1Builder, HeaderBuilder, iana};
use edl_pki::{SignError, Signer};

use crate::document::{DeviceAuth, DeviceResponse, DeviceSigned, Document, IssuerSigned};
use crate::elements::MDL_DOC_TYPE;
use crate::purpose::Purpose;
use crate::session::{SessionTranscript, device_authentication_bytes};

/// Why a presentation could not be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PresentError {
    /// The device key could not sign.
    #[error("the device key could not sign: {0}")]
    Sign(#[from] SignError),
}

/// The IssuerSigned restricted to what `purpose` discloses (items keep their salts and bytes).
pub fn disclose(issuer_signed: &IssuerSigned, purpose: Purpose) -> IssuerSigned {
    let namespaces = issuer_signed
        .namespaces
        .iter()
        .map(|(ns, items)| {
            let kept = items
                .iter()
                .filter(|i| purpose.allows(ns, &i.item().element_identifier))
                .cloned()
                .collect::<Vec<_>>();
            (ns.clone(), kept)
        })
        .filter(|(_, items)| !items.is_empty())
        .collect();
    IssuerSigned {
        namespaces,
        issuer_auth: issuer_signed.issuer_auth.clone(),
    }
}

/// A DeviceResponse with one mDL document for `purpose`, signed by the device key over
/// DeviceAuthenticationBytes built from `transcript`.
pub fn present(
    issuer_signed: &IssuerSigned,
    purpose: Purpose,
    transcript: &SessionTranscript,
    device_key: &dyn Signer,
) -> Result<DeviceResponse, PresentError> {
    let payload = device_authentication_bytes(
        transcript,
        MDL_DOC_TYPE,
        &DeviceSigned::empty_namespaces_bytes(),
    );
    let unsigned = CoseSign1Builder::new()
        .protected(
            HeaderBuilder::new()
                .algorithm(iana::Algorithm::ES256)
                .build(),
        )
        .build();
    let signature = device_key.sign(&unsigned.tbs_detached_data(&payload, b""))?;
    let mut sign1 = unsigned;
    sign1.signature = signature;
    Ok(DeviceResponse::ok(vec![Document {
        doc_type: MDL_DOC_TYPE.to_owned(),
        issuer_signed: disclose(issuer_signed, purpose),
        device_signed: DeviceSigned::new(DeviceAuth::Signature(sign1)),
        errors: None,
    }]))
}
