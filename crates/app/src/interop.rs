//! `edl interop export`: a complete, freshly issued example for other ISO 18013-5 implementations
//! (see `docs/interop.md`): a demo PKI, a synthetic licence issued to a fresh device key, its
//! status list, a DeviceResponse for the roadside purpose over an OpenID4VP session transcript,
//! and what a verifier must find.

use std::fs;
use std::path::{Path, PathBuf};

use aws_lc_rs::rand::{SecureRandom, SystemRandom};
use edl_mdoc::issue::IssueRequest;
use edl_mdoc::report_json::cbor_to_json;
use edl_mdoc::verify::{VerifyInput, verify_device_response};
use edl_mdoc::{Portrait, Purpose, SessionTranscript, StatusReference};
use edl_pki::{DemoPki, InMemorySigner, Signer};
use edl_status_list::{StatusList, StatusListToken, verify_token};
use serde_json::json;
use time::format_description::well_known::Rfc3339;
use time::{Duration, OffsetDateTime};

use crate::clock::CHINA_STANDARD_TIME;
use crate::credentials::{DEFAULT_PUBLIC_URL, STATUS_BITS, status_list_uri};
use crate::demo::DEMO_SEED;

/// The files `export` writes, in order.
pub const FILES: [&str; 8] = [
    "iaca.pem",
    "document-signer.pem",
    "device-response.cbor",
    "session-transcript.cbor",
    "status-list.cwt",
    "expected.json",
    "qr.txt",
    "qr.png",
];

/// The status-list index the example credential gets.
const EXAMPLE_INDEX: u64 = 3;

/// Why the example could not be written.
#[derive(Debug, thiserror::Error)]
pub enum InteropError {
    /// A step of issuance failed (a bug: everything here is generated).
    #[error("making the example failed: {0}")]
    Make(String),
    /// A file could not be written.
    #[error("{path}: cannot write: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
}

fn make<E: std::fmt::Display>(e: E) -> InteropError {
    InteropError::Make(e.to_string())
}

/// Writes the example into `out` (created if missing) as of `now`; returns the validation time
/// written into `expected.json`.
pub fn export(out: &Path, now: OffsetDateTime) -> Result<OffsetDateTime, InteropError> {
    let today = now.to_offset(CHINA_STANDARD_TIME).date();
    let generator = edl_synth::Generator::new(DEMO_SEED, today);
    let licence = (0..10_000)
        .map(|i| generator.licence(i))
        .find(|l| l.claim_eligibility(today).is_ok())
        .ok_or_else(|| InteropError::Make("no claimable synthetic licence".into()))?;
    let signed_at = now.replace_nanosecond(0).map_err(make)?;
    let pki = DemoPki::new(
        licence.authority().clone(),
        signed_at - Duration::days(1),
        365,
    )
    .map_err(make)?;
    let device = InMemorySigner::generate().map_err(make)?;
    let portrait = Portrait::new(edl_synth::demo_portrait().to_vec()).map_err(make)?;
    let uri = status_list_uri(DEFAULT_PUBLIC_URL, licence.authority().region);
    let signer =
        edl_pki::DocumentSignerCertificate::parse(pki.document_signer.clone()).map_err(make)?;
    let issued = edl_mdoc::issue(
        &licence,
        &IssueRequest {
            device_key: &device.public_key(),
            portrait: &portrait,
            signed_at,
            status: Some(StatusReference {
                idx: EXAMPLE_INDEX,
                uri: uri.clone(),
            }),
            signer_certificate: &pki.document_signer,
            signer_not_before: signer.not_before(),
            signer_not_after: signer.not_after(),
        },
        &pki.document_signer_key,
    )
    .map_err(make)?;

    let status_list = StatusListToken {
        uri: uri.clone(),
        issued_at: signed_at,
        expires_at: signed_at + Duration::days(1),
        ttl_seconds: 900,
        list: StatusList::new(STATUS_BITS, 16).map_err(make)?,
    }
    .sign(&pki.document_signer, &pki.document_signer_key)
    .map_err(make)?;

    let mut nonce = [0u8; 16];
    SystemRandom::new().fill(&mut nonce).map_err(make)?;
    let nonce: String = nonce.iter().map(|b| format!("{b:02x}")).collect();
    let transcript = SessionTranscript::openid4vp(
        "x509_san_dns:verifier.example.cn",
        &nonce,
        None,
        "https://verifier.example.cn/response",
    );
    let purpose = Purpose::Roadside;
    let response = edl_mdoc::present(&issued, purpose, &transcript, &device).map_err(make)?;
    let response_bytes = response.to_bytes();

    // The example must verify with our own verifier before anyone else sees it.
    let validation_time = signed_at + Duration::minutes(5);
    let list = verify_token(
        &status_list,
        std::slice::from_ref(&pki.anchor),
        validation_time,
        Some(&uri),
    )
    .map_err(make)?;
    let report = verify_device_response(
        &VerifyInput {
            device_response: &response_bytes,
            session_transcript: &transcript,
            status_lists: &[list],
            at: validation_time,
            reader_key: None,
        },
        std::slice::from_ref(&pki.anchor),
    );
    if !report.is_valid() {
        return Err(InteropError::Make(format!(
            "the example does not verify:\n{report}"
        )));
    }
    let validity = report
        .validity
        .ok_or_else(|| InteropError::Make("no validity".into()))?;

    // The live QR code for the default purpose, issued beside the mdoc and shown 30 s before
    // the validation time (docs/qr-format.md).
    let compact = edl_qr::issue(
        &licence,
        &edl_qr::CredentialRequest {
            purpose,
            device_key: &device.public_key(),
            portrait_digest: &edl_qr::claims::portrait_digest(portrait.as_bytes()),
            valid_from: validity.valid_from,
            valid_until: validity.valid_until,
            status_index: Some(EXAMPLE_INDEX),
            signer_certificate: &pki.document_signer,
            signer_not_before: signer.not_before(),
            signer_not_after: signer.not_after(),
        },
        &pki.document_signer_key,
    )
    .map_err(make)?;
    let qr_generated = validation_time - Duration::seconds(30);
    let qr_text = edl_qr::present(&compact, qr_generated, &[], &device).map_err(make)?;
    let qr_report = edl_qr::QrVerifier::new(
        vec![pki.anchor.clone()],
        vec![edl_qr::KnownSigner {
            certificate: pki.document_signer.clone(),
            revoked_at: None,
        }],
        edl_qr::Policy::DEFAULT,
    )
    .map_err(make)?
    .verify(&edl_qr::VerifyInput {
        text: &qr_text,
        at: validation_time,
        status_lists: std::slice::from_ref(
            &verify_token(
                &status_list,
                std::slice::from_ref(&pki.anchor),
                validation_time,
                Some(&uri),
            )
            .map_err(make)?,
        ),
        challenge: None,
        allowed_purposes: None,
    });
    if !qr_report.is_valid() {
        return Err(InteropError::Make(
            "the example QR code does not verify".into(),
        ));
    }
    let qr_png = edl_qr_image::Symbol::new(&qr_text)
        .map_err(make)?
        .to_png(8, edl_qr_image::Ink::Black);
    let mut disclosed = serde_json::Map::new();
    for d in &report.disclosed {
        let ns = disclosed
            .entry(d.namespace.clone())
            .or_insert_with(|| json!({}));
        if let serde_json::Value::Object(ns) = ns {
            ns.insert(d.identifier.clone(), cbor_to_json(&d.value));
        }
    }
    let time = |t: OffsetDateTime| t.format(&Rfc3339).unwrap_or_default();
    let expected = json!({
        "doc_type": edl_mdoc::MDL_DOC_TYPE,
        "purpose": purpose.as_str(),
        "device_auth": "signature (ES256) over SessionTranscriptBytes in session-transcript.cbor",
        "validation_time": time(validation_time),
        "valid_from": time(validity.valid_from),
        "valid_until": time(validity.valid_until),
        "status": { "uri": uri, "idx": EXAMPLE_INDEX, "state": "valid", "list_file": "status-list.cwt" },
        "disclosed": disclosed,
        "qr": {
            "text_file": "qr.txt",
            "image_file": "qr.png",
            "format": "EDL1 (docs/qr-format.md)",
            "generated_at": time(qr_generated),
            "validation_time": time(validation_time),
            "fields": qr_report.to_json()["fields"],
        },
        "note": "Synthetic data from a demo PKI; byte strings are given as {\"base16\": ...}, full-date and tdate as text.",
    });

    fs::create_dir_all(out).map_err(|source| InteropError::Io {
        path: out.to_owned(),
        source,
    })?;
    let contents: [Vec<u8>; 8] = [
        pki.iaca.to_pem().into_bytes(),
        pki.document_signer.to_pem().into_bytes(),
        response_bytes,
        transcript.tagged_bytes(),
        status_list,
        serde_json::to_vec_pretty(&expected).map_err(make)?,
        format!("{qr_text}\n").into_bytes(),
        qr_png,
    ];
    for (name, bytes) in FILES.iter().zip(contents) {
        let path = out.join(name);
        fs::write(&path, bytes).map_err(|source| InteropError::Io { path, source })?;
    }
    Ok(validation_time)
}
