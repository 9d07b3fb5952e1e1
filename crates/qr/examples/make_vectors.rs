//! Writes the EDL1 test vectors in `crates/qr/vectors/`: each a JSON file with the QR text, every
//! intermediate structure in hex and in CBOR diagnostic notation, the keys (TEST ONLY), what the
//! verifier is given, and the result it must reach. `crates/qr/tests/vectors.rs` checks them; a
//! compatible implementation (the browser wallet, another team's verifier) is tested against
//! them. Run once when the format changes:
//! `cargo run -p edl-qr --example make_vectors -- crates/qr/vectors`.

#![allow(clippy::unwrap_used)]

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair};
use ciborium::Value;
use edl_domain::{Licence, StatusSet};
use edl_mdoc::Purpose;
use edl_pki::{
    Country, DEFAULT_IACA_VALIDITY, DocumentSignerParams, IacaParams, InMemorySigner,
    IssuerAltName, Signer, issue_document_signer, issue_iaca,
};
use edl_qr::claims::{portrait_digest, purpose_code};
use edl_qr::credential::{
    ParsedCredential, claims_bytes, compress_point, sig_structure, signer_kid,
};
use edl_qr::presentation::holder_signed_bytes;
use edl_qr::verify::{KnownSigner, Policy, QrVerifier, VerifyInput};
use edl_qr::{CredentialRequest, issue, present};
use edl_status_list::{CredentialStatus, StatusList, StatusListToken, verify_token};
use serde_json::json;
use time::format_description::well_known::Rfc3339;
use time::macros::{date, datetime};
use time::{Duration, OffsetDateTime};

const SIGNED: OffsetDateTime = datetime!(2026-03-01 02:00 UTC);
const SHOWN: OffsetDateTime = datetime!(2026-03-02 01:30:00 UTC);
const STATUS_INDEX: u64 = 42;

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// CBOR diagnostic notation (RFC 8949 §8), one line.
fn diag(value: &Value) -> String {
    match value {
        Value::Integer(i) => i128::from(*i).to_string(),
        Value::Bytes(b) => format!("h'{}'", hex(b)),
        Value::Text(t) => format!("{t:?}"),
        Value::Bool(b) => b.to_string(),
        Value::Null => "null".into(),
        Value::Float(f) => f.to_string(),
        Value::Tag(t, inner) => format!("{t}({})", diag(inner)),
        Value::Array(items) => format!(
            "[{}]",
            items.iter().map(diag).collect::<Vec<_>>().join(", ")
        ),
        Value::Map(entries) => format!(
            "{{{}}}",
            entries
                .iter()
                .map(|(k, v)| format!("{}: {}", diag(k), diag(v)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        _ => "?".into(),
    }
}

fn diag_bytes(bytes: &[u8]) -> String {
    diag(&edl_cbor::decode(bytes, 1 << 16).unwrap())
}

fn key() -> (InMemorySigner, Vec<u8>) {
    let pkcs8 =
        EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &SystemRandom::new())
            .unwrap();
    let der = pkcs8.as_ref().to_vec();
    (InMemorySigner::from_pkcs8_der(&der).unwrap(), der)
}

fn rfc(t: OffsetDateTime) -> String {
    t.format(&Rfc3339).unwrap()
}

/// The licence every vector is issued for (synthetic: seed 11, the first that may claim).
pub fn vector_licence() -> Licence {
    let today = date!(2026 - 03 - 01);
    let generator = edl_synth::Generator::new(11, today);
    (0..)
        .map(|i| generator.licence(i))
        .find(|l| l.claim_eligibility(today).is_ok() && l.status().is_normal())
        .unwrap()
}

struct Case {
    name: &'static str,
    description: &'static str,
    purpose: Purpose,
    status_letters: &'static str,
    challenge: &'static [u8],
    /// The device signs with another key than the credential names.
    other_device: bool,
    validated_at: OffsetDateTime,
    verifier_challenge: Option<&'static [u8]>,
    allowed_purposes: Option<Vec<Purpose>>,
    list_status: CredentialStatus,
    signer_known: bool,
    signer_revoked_at: Option<OffsetDateTime>,
}

impl Case {
    fn base(name: &'static str, description: &'static str) -> Case {
        Case {
            name,
            description,
            purpose: Purpose::Roadside,
            status_letters: "A",
            challenge: b"",
            other_device: false,
            validated_at: SHOWN + Duration::seconds(20),
            verifier_challenge: None,
            allowed_purposes: None,
            list_status: CredentialStatus::Valid,
            signer_known: true,
            signer_revoked_at: None,
        }
    }
}

fn main() {
    let out = std::path::PathBuf::from(
        std::env::args()
            .nth(1)
            .unwrap_or("crates/qr/vectors".into()),
    );
    std::fs::create_dir_all(&out).unwrap();
    let licence = vector_licence();
    let (iaca_key, _) = key();
    let iaca = issue_iaca(
        &IacaParams {
            country: Country::CHINA,
            common_name: "China mDL IACA (TEST VECTORS ONLY)".into(),
            organization: Some("公安部交通管理局".into()),
            issuer_alternative_name: IssuerAltName::Uri("https://edl.example.cn".into()),
            crl_distribution_point: "https://edl.example.cn/crl/iaca.crl".into(),
            not_before: datetime!(2026-01-01 00:00 UTC),
            not_after: datetime!(2026-01-01 00:00 UTC) + DEFAULT_IACA_VALIDITY,
        },
        &iaca_key,
    )
    .unwrap();
    let (ds_key, ds_der) = key();
    let ds = issue_document_signer(
        &DocumentSignerParams {
            authority: licence.authority().clone(),
            issuer_alternative_name: IssuerAltName::Email("pki@edl.example.cn".into()),
            crl_distribution_point: "https://edl.example.cn/crl/iaca.crl".into(),
            not_before: datetime!(2026-01-01 00:00 UTC),
            not_after: datetime!(2026-12-31 00:00 UTC),
        },
        &ds_key.public_key(),
        &iaca,
        &iaca_key,
    )
    .unwrap();
    let (device, device_der) = key();
    let (other, _) = key();
    let digest = portrait_digest(edl_synth::demo_portrait());
    let anchor = edl_pki::TrustAnchor::parse(iaca.clone()).unwrap();

    let mut cases = vec![
        Case::base(
            "roadside-valid",
            "A roadside code 20 s old, every check passes.",
        ),
        Case {
            purpose: Purpose::CarRental,
            challenge: b"K7Q2",
            verifier_challenge: Some(b"K7Q2"),
            allowed_purposes: Some(vec![Purpose::CarRental]),
            ..Case::base(
                "car-rental-challenge",
                "A car-rental code carrying the challenge the desk showed; the desk verifies only for car rental.",
            )
        },
        Case {
            validated_at: SHOWN + Duration::minutes(10),
            ..Case::base(
                "stale",
                "The roadside code checked 10 minutes after it was generated: a screenshot.",
            )
        },
        Case {
            other_device: true,
            ..Case::base(
                "other-device",
                "The device signature is made with a key the credential does not name.",
            )
        },
        Case {
            status_letters: "D",
            list_status: CredentialStatus::Suspended,
            ..Case::base(
                "suspended-red",
                "The licence is 暂扣 (D): the code is red and not valid for driving.",
            )
        },
        Case {
            signer_known: false,
            ..Case::base(
                "unknown-signer",
                "The verifier's trust list does not hold the document signer.",
            )
        },
        Case {
            signer_revoked_at: Some(SHOWN - Duration::days(1)),
            ..Case::base(
                "revoked-signer",
                "The trust list says the document signer was revoked the day before.",
            )
        },
    ];
    for case in cases.drain(..) {
        let licence = licence
            .with_status(StatusSet::parse(case.status_letters).unwrap())
            .unwrap();
        let request = CredentialRequest {
            purpose: case.purpose,
            device_key: &device.public_key(),
            portrait_digest: &digest,
            valid_from: SIGNED,
            valid_until: SIGNED + Duration::days(14),
            status_index: Some(STATUS_INDEX),
            signer_certificate: &ds,
            signer_not_before: datetime!(2026-01-01 00:00 UTC),
            signer_not_after: datetime!(2026-12-31 00:00 UTC),
        };
        let credential = issue(&licence, &request, &ds_key).unwrap();
        let signer: &dyn Signer = if case.other_device { &other } else { &device };
        let text = present(&credential, SHOWN, case.challenge, signer).unwrap();
        let payload = edl_qr::base45::decode(&text[5..]).unwrap();
        let parsed = ParsedCredential::parse(credential.as_bytes()).unwrap();
        let claims = claims_bytes(&licence, &request).unwrap();
        assert_eq!(claims, parsed.payload);

        let mut list = StatusList::new(2, 64).unwrap();
        list.set(STATUS_INDEX, case.list_status).unwrap();
        let token = StatusListToken {
            uri: format!(
                "https://edl.example.cn/status/{}.cwt",
                licence.authority().region
            ),
            issued_at: SHOWN - Duration::hours(3),
            expires_at: SHOWN + Duration::hours(21),
            ttl_seconds: 900,
            list,
        }
        .sign(&ds, &ds_key)
        .unwrap();

        let known: Vec<KnownSigner> = if case.signer_known {
            vec![KnownSigner {
                certificate: ds.clone(),
                revoked_at: case.signer_revoked_at,
            }]
        } else {
            Vec::new()
        };
        let verified_list = verify_token(
            &token,
            std::slice::from_ref(&anchor),
            case.validated_at,
            None,
        )
        .unwrap();
        let report = QrVerifier::new(vec![anchor.clone()], known.clone(), Policy::DEFAULT)
            .unwrap()
            .verify(&VerifyInput {
                text: &text,
                at: case.validated_at,
                status_lists: std::slice::from_ref(&verified_list),
                challenge: case.verifier_challenge,
                allowed_purposes: case.allowed_purposes.as_deref(),
            });
        let with = |pred: fn(&edl_mdoc::Outcome) -> bool| -> Vec<&str> {
            report
                .checks
                .iter()
                .filter(|c| pred(&c.outcome))
                .map(|c| c.name.as_str())
                .collect()
        };
        let failed = with(|o| matches!(o, edl_mdoc::Outcome::Failed(_)));
        let not_checked = with(|o| matches!(o, edl_mdoc::Outcome::NotChecked(_)));
        let fields: serde_json::Map<String, serde_json::Value> = report
            .fields
            .iter()
            .map(|f| (f.identifier.to_owned(), json!(f.value.display())))
            .collect();
        let vector = json!({
            "name": case.name,
            "description": case.description,
            "warning": "TEST VECTORS ONLY: every private key here is public.",
            "qr_text": text,
            "payload_hex": hex(&payload),
            "payload_diag": diag_bytes(&payload),
            "credential_hex": hex(credential.as_bytes()),
            "credential_diag": diag_bytes(credential.as_bytes()),
            "claims_hex": hex(&claims),
            "claims_diag": diag_bytes(&claims),
            "sig_structure_hex": hex(&sig_structure(&claims)),
            "holder_signed_hex": hex(&holder_signed_bytes(
                credential.as_bytes(),
                u64::try_from(SHOWN.unix_timestamp()).unwrap(),
                purpose_code(case.purpose),
                case.challenge,
            )),
            "issued": {
                "licence": "edl-synth seed 11, issued 2026-03-01, the first licence that may claim, with the status letters below",
                "status_letters": case.status_letters,
                "purpose": case.purpose.as_str(),
                "valid_from": rfc(SIGNED),
                "valid_until": rfc(SIGNED + Duration::days(14)),
                "status_index": STATUS_INDEX,
                "portrait_digest_hex": hex(&digest),
                "generated_at": rfc(SHOWN),
                "challenge_hex": hex(case.challenge),
            },
            "keys": {
                "iaca_pem": iaca.to_pem(),
                "document_signer_pem": ds.to_pem(),
                "document_signer_kid_hex": hex(&signer_kid(&ds)),
                "document_signer_pkcs8_hex": hex(&ds_der),
                "device_public_compressed_hex": hex(&compress_point(&device.public_key()).unwrap()),
                "device_pkcs8_hex": hex(&device_der),
            },
            "verifier": {
                "trusted_iaca": "keys.iaca_pem",
                "known_signers": known.iter().map(|k| json!({
                    "certificate": "keys.document_signer_pem",
                    "revoked_at": k.revoked_at.map(rfc),
                })).collect::<Vec<_>>(),
                "status_list_cwt_hex": hex(&token),
                "validation_time": rfc(case.validated_at),
                "max_age_seconds": Policy::DEFAULT.freshness.whole_seconds(),
                "future_skew_seconds": Policy::DEFAULT.future_skew.whole_seconds(),
                "challenge_hex": case.verifier_challenge.map(hex),
                "allowed_purposes": case.allowed_purposes.as_ref().map(|p| p.iter().map(|p| p.as_str()).collect::<Vec<_>>()),
            },
            "expected": {
                "valid": report.is_valid(),
                "colour": report.colour.as_str(),
                "failed_checks": failed,
                "not_checked": not_checked,
                "purpose": report.purpose.map(|p| p.as_str()),
                "age_seconds": report.age().map(|a| a.whole_seconds()),
                "fields": fields,
            },
        });
        let path = out.join(format!("{}.json", case.name));
        std::fs::write(&path, serde_json::to_string_pretty(&vector).unwrap() + "\n").unwrap();
        println!(
            "{} ({} characters): valid={} failed={:?}",
            path.display(),
            text.len(),
            report.is_valid(),
            failed
        );
    }
}
