//! Crate-level tests that need the internals: certificates built wrongly on purpose (one profile
//! violation each) to check that the report names exactly the failed check, the Annex D
//! certificates, and hostile trust lists.

use ciborium::Value;
use coset::{CoseSign1Builder, HeaderBuilder, TaggedCborSerializable, iana};
use edl_domain::{AuthorityName, IssuingAuthority, RegionCode};
use rcgen::{CustomExtension, KeyUsagePurpose};
use time::macros::datetime;
use time::{Duration, OffsetDateTime};

use crate::certificate;
use crate::issue::{self, CertSpec, name};
use crate::*;

const T0: OffsetDateTime = datetime!(2026-03-01 00:00 UTC);

fn authority() -> IssuingAuthority {
    IssuingAuthority {
        name: AuthorityName::parse("四川省成都市公安局交通管理局").unwrap(),
        region: RegionCode::parse("510100").unwrap(),
    }
}

/// A compliant IACA spec; tests change one field.
fn iaca_spec() -> CertSpec {
    CertSpec {
        subject: name(
            Country::CHINA,
            None,
            None,
            Some("公安部交通管理局"),
            "China mDL IACA",
            None,
        )
        .unwrap(),
        not_before: T0,
        not_after: T0 + DEFAULT_IACA_VALIDITY,
        ca_path_length: Some(0),
        key_usages: vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign],
        extended_key_usage: None,
        issuer_alternative_name: Some(IssuerAltName::Uri("https://edl.example.cn".into())),
        crl_distribution_point: Some("https://edl.example.cn/crl/iaca.crl".into()),
        extra: Vec::new(),
    }
}

/// A compliant document-signer spec (as `issue_document_signer` builds it); tests change one field.
fn ds_spec() -> CertSpec {
    let a = authority();
    CertSpec {
        subject: name(
            Country::CHINA,
            Some("CN-SC"),
            Some(&a.region.full_name()),
            None,
            a.name.as_str(),
            Some(&a.region.to_string()),
        )
        .unwrap(),
        not_before: T0,
        not_after: T0 + Duration::days(365),
        ca_path_length: None,
        key_usages: vec![KeyUsagePurpose::DigitalSignature],
        extended_key_usage: Some(MDL_DOCUMENT_SIGNER_EKU),
        issuer_alternative_name: Some(IssuerAltName::Email("pki@edl.example.cn".into())),
        crl_distribution_point: Some("https://edl.example.cn/crl/iaca.crl".into()),
        extra: Vec::new(),
    }
}

struct Root {
    key: InMemorySigner,
    cert: CertificateDer,
    anchor: TrustAnchor,
}

fn root(spec: &CertSpec) -> Root {
    let key = InMemorySigner::generate().unwrap();
    let cert = issue::build_self_signed(spec, &key).unwrap();
    let anchor = TrustAnchor::parse(cert.clone()).unwrap();
    Root { key, cert, anchor }
}

fn good_root() -> Root {
    root(&iaca_spec())
}

fn signer_cert(root: &Root, spec: &CertSpec) -> CertificateDer {
    let key = InMemorySigner::generate().unwrap();
    issue::build_issued(spec, &key.public_key(), &root.cert, &root.key).unwrap()
}

fn validate(root: &Root, ds: &CertificateDer, at: OffsetDateTime) -> ChainReport {
    validate_document_signer(
        std::slice::from_ref(ds),
        std::slice::from_ref(&root.anchor),
        at,
    )
}

/// The (role, check, outcome) of every check that did not pass.
fn failures(report: &ChainReport) -> Vec<(Role, Check, Outcome)> {
    report
        .failures()
        .map(|r| (r.role, r.check, r.outcome))
        .collect()
}

fn only_failure(report: &ChainReport, role: Role, check: Check, failure: Failure) {
    assert_eq!(
        failures(report),
        vec![(role, check, Outcome::Failed(failure))],
        "{report}"
    );
}

const AT: OffsetDateTime = datetime!(2026-06-01 12:00 UTC);

#[test]
fn a_compliant_chain_passes_every_check() {
    let root = good_root();
    let ds = signer_cert(&root, &ds_spec());
    let report = validate(&root, &ds, AT);
    assert!(report.is_valid(), "{report}");
    assert_eq!(report.results().len(), 15 + 11);
    assert_eq!(report.trusted_iaca(), Some(0));
    let signer = report.signer().unwrap();
    assert_eq!(signer.country.as_deref(), Some("CN"));
    assert_eq!(signer.state_or_province.as_deref(), Some("CN-SC"));
    assert_eq!(
        signer.common_name.as_deref(),
        Some("四川省成都市公安局交通管理局")
    );
}

#[test]
fn a_missing_extended_key_usage_fails_that_check_only() {
    let root = good_root();
    let mut spec = ds_spec();
    spec.extended_key_usage = None;
    let report = validate(&root, &signer_cert(&root, &spec), AT);
    only_failure(
        &report,
        Role::DocumentSigner,
        Check::ExtendedKeyUsage,
        Failure::ExtendedKeyUsageMissing,
    );
}

#[test]
fn a_reader_certificate_is_not_a_document_signer() {
    let root = good_root();
    let mut spec = ds_spec();
    spec.extended_key_usage = Some(MDOC_READER_EKU);
    let report = validate(&root, &signer_cert(&root, &spec), AT);
    only_failure(
        &report,
        Role::DocumentSigner,
        Check::ExtendedKeyUsage,
        Failure::ExtendedKeyUsageWrong {
            expected: MDL_DOCUMENT_SIGNER_EKU,
        },
    );
}

#[test]
fn a_non_critical_extended_key_usage_fails() {
    let root = good_root();
    let mut spec = ds_spec();
    spec.extended_key_usage = None;
    spec.extra
        .push(issue::extended_key_usage(MDL_DOCUMENT_SIGNER_EKU, false).unwrap());
    let report = validate(&root, &signer_cert(&root, &spec), AT);
    only_failure(
        &report,
        Role::DocumentSigner,
        Check::ExtendedKeyUsage,
        Failure::ExtendedKeyUsageNotCritical,
    );
}

#[test]
fn extra_key_usage_bits_fail() {
    let root = good_root();
    let mut spec = ds_spec();
    spec.key_usages = vec![
        KeyUsagePurpose::DigitalSignature,
        KeyUsagePurpose::KeyCertSign,
    ];
    let report = validate(&root, &signer_cert(&root, &spec), AT);
    only_failure(
        &report,
        Role::DocumentSigner,
        Check::KeyUsage,
        Failure::KeyUsageWrong {
            found: 0x21,
            expected: 0x01,
        },
    );
}

#[test]
fn a_missing_key_usage_fails() {
    let root = good_root();
    let mut spec = ds_spec();
    spec.key_usages = Vec::new();
    let report = validate(&root, &signer_cert(&root, &spec), AT);
    only_failure(
        &report,
        Role::DocumentSigner,
        Check::KeyUsage,
        Failure::KeyUsageMissing,
    );
}

#[test]
fn a_document_signer_that_is_a_ca_fails_basic_constraints() {
    let root = good_root();
    let mut spec = ds_spec();
    spec.ca_path_length = Some(0);
    let report = validate(&root, &signer_cert(&root, &spec), AT);
    only_failure(
        &report,
        Role::DocumentSigner,
        Check::BasicConstraints,
        Failure::SignerIsCa,
    );
}

#[test]
fn a_document_signer_valid_longer_than_457_days_fails() {
    let root = good_root();
    let mut spec = ds_spec();
    spec.not_after = T0 + Duration::days(458);
    let report = validate(&root, &signer_cert(&root, &spec), AT);
    only_failure(
        &report,
        Role::DocumentSigner,
        Check::ValidityPeriod,
        Failure::ValidityTooLong {
            days: 458,
            max_days: 457,
        },
    );
}

#[test]
fn a_key_that_is_not_ecdsa_fails_the_public_key_check() {
    let root = good_root();
    let ed25519 = rcgen::KeyPair::generate_for(&rcgen::PKCS_ED25519).unwrap();
    let ds =
        issue::build_issued_with(&ds_spec(), &ed25519, vec![1; 20], &root.cert, &root.key).unwrap();
    let report = validate(&root, &ds, AT);
    only_failure(
        &report,
        Role::DocumentSigner,
        Check::PublicKey,
        Failure::UnsupportedKeyAlgorithm,
    );
    assert!(report.signer().is_none());
}

#[test]
fn a_p384_signer_from_another_issuer_is_accepted() {
    let root = good_root();
    let p384 = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P384_SHA384).unwrap();
    let ds =
        issue::build_issued_with(&ds_spec(), &p384, vec![2; 20], &root.cert, &root.key).unwrap();
    let report = validate(&root, &ds, AT);
    assert!(report.is_valid(), "{report}");
    assert_eq!(report.signer().unwrap().public_key.curve(), Curve::P384);
}

#[test]
fn missing_issuer_alternative_name_and_crl_point_fail_their_checks() {
    let root = good_root();
    let mut spec = ds_spec();
    spec.issuer_alternative_name = None;
    spec.crl_distribution_point = None;
    let report = validate(&root, &signer_cert(&root, &spec), AT);
    assert_eq!(
        failures(&report),
        vec![
            (
                Role::DocumentSigner,
                Check::IssuerAlternativeName,
                Outcome::Failed(Failure::IssuerAlternativeNameMissing)
            ),
            (
                Role::DocumentSigner,
                Check::CrlDistributionPoints,
                Outcome::Failed(Failure::CrlDistributionPointMissing)
            ),
        ]
    );
}

#[test]
fn forbidden_and_unknown_critical_extensions_fail() {
    let root = good_root();
    let mut spec = ds_spec();
    // nameConstraints with an empty permittedSubtrees: forbidden by Annex B B.1.1.
    spec.extra.push(CustomExtension::from_oid_content(
        &[2, 5, 29, 30],
        vec![0x30, 0x02, 0xa0, 0x00],
    ));
    let report = validate(&root, &signer_cert(&root, &spec), AT);
    only_failure(
        &report,
        Role::DocumentSigner,
        Check::Extensions,
        Failure::DisallowedExtension {
            name: "nameConstraints",
        },
    );

    let mut spec = ds_spec();
    let mut private =
        CustomExtension::from_oid_content(&[1, 3, 6, 1, 4, 1, 99999, 1], vec![0x05, 0x00]);
    private.set_criticality(true);
    spec.extra.push(private);
    let report = validate(&root, &signer_cert(&root, &spec), AT);
    only_failure(
        &report,
        Role::DocumentSigner,
        Check::Extensions,
        Failure::UnknownCriticalExtension,
    );
}

#[test]
fn a_signer_country_other_than_the_iaca_country_fails() {
    let root = good_root();
    let mut spec = ds_spec();
    spec.subject = name(
        Country::parse("US").unwrap(),
        None,
        None,
        None,
        "elsewhere",
        None,
    )
    .unwrap();
    let report = validate(&root, &signer_cert(&root, &spec), AT);
    only_failure(
        &report,
        Role::DocumentSigner,
        Check::Country,
        Failure::CountryMismatch,
    );
}

#[test]
fn iaca_profile_violations_are_reported_against_the_iaca() {
    let mut spec = iaca_spec();
    spec.ca_path_length = Some(1);
    let root = root(&spec);
    let report = validate(&root, &signer_cert(&root, &ds_spec()), AT);
    only_failure(
        &report,
        Role::Iaca,
        Check::BasicConstraints,
        Failure::PathLengthNotZero,
    );

    let mut spec = iaca_spec();
    spec.key_usages = vec![KeyUsagePurpose::KeyCertSign];
    let root = self::root(&spec);
    let report = validate(&root, &signer_cert(&root, &ds_spec()), AT);
    only_failure(
        &report,
        Role::Iaca,
        Check::KeyUsage,
        Failure::KeyUsageWrong {
            found: 0x20,
            expected: 0x60,
        },
    );

    let mut spec = iaca_spec();
    spec.not_after = T0 + Duration::days(21 * 365);
    let root = self::root(&spec);
    let report = validate(&root, &signer_cert(&root, &ds_spec()), AT);
    only_failure(
        &report,
        Role::Iaca,
        Check::ValidityPeriod,
        Failure::ValidityTooLong {
            days: 21 * 365,
            max_days: MAX_IACA_VALIDITY.whole_days(),
        },
    );
}

#[test]
fn expired_and_not_yet_valid_signers_fail_validity_only() {
    let root = good_root();
    let ds = signer_cert(&root, &ds_spec());
    let not_after = T0 + Duration::days(365);
    let report = validate(&root, &ds, not_after + Duration::seconds(1));
    only_failure(
        &report,
        Role::DocumentSigner,
        Check::Validity,
        Failure::Expired { not_after },
    );
    // The last second of validity still passes.
    assert!(validate(&root, &ds, not_after).is_valid());
    let report = validate(&root, &ds, T0 - Duration::seconds(1));
    assert_eq!(
        failures(&report),
        vec![
            (
                Role::DocumentSigner,
                Check::Validity,
                Outcome::Failed(Failure::NotYetValid { not_before: T0 })
            ),
            (
                Role::Iaca,
                Check::Validity,
                Outcome::Failed(Failure::NotYetValid { not_before: T0 })
            ),
        ]
    );
}

#[test]
fn an_untrusted_root_fails_the_chain_and_skips_what_depends_on_it() {
    let root = good_root();
    let stranger = good_root();
    let ds = signer_cert(&stranger, &ds_spec());
    let report = validate(&root, &ds, AT);
    assert!(!report.is_valid());
    assert_eq!(report.trusted_iaca(), None);
    assert_eq!(
        report.outcome(Role::DocumentSigner, Check::ChainToTrustedIaca),
        Some(Outcome::Failed(Failure::NoTrustedIaca))
    );
    assert_eq!(
        report.outcome(Role::DocumentSigner, Check::Signature),
        Some(Outcome::NotChecked(NotChecked::NoTrustedIaca))
    );
    assert_eq!(
        report.outcome(Role::Iaca, Check::BasicConstraints),
        Some(Outcome::NotChecked(NotChecked::NoTrustedIaca))
    );
    // The signer's own profile is still judged.
    assert_eq!(
        report.outcome(Role::DocumentSigner, Check::ExtendedKeyUsage),
        Some(Outcome::Passed)
    );
}

#[test]
fn the_right_root_is_found_among_several_with_the_same_name() {
    let first = good_root();
    let second = good_root();
    let ds = signer_cert(&second, &ds_spec());
    let anchors = [first.anchor.clone(), second.anchor.clone()];
    let report = validate_document_signer(std::slice::from_ref(&ds), &anchors, AT);
    assert!(report.is_valid(), "{report}");
    assert_eq!(report.trusted_iaca(), Some(1));
}

#[test]
fn a_tampered_signature_fails_the_signature_check_only() {
    let root = good_root();
    let ds = signer_cert(&root, &ds_spec());
    let mut bytes = ds.into_vec();
    let last = bytes.len() - 1;
    bytes[last] ^= 0x01;
    let report = validate(&root, &CertificateDer::new(bytes), AT);
    only_failure(
        &report,
        Role::DocumentSigner,
        Check::Signature,
        Failure::SignatureInvalid,
    );
}

#[test]
fn the_chain_may_carry_its_iaca_but_nothing_else() {
    let root = good_root();
    let other = good_root();
    let ds = signer_cert(&root, &ds_spec());
    let with_root = [ds.clone(), root.cert.clone()];
    let anchors = [root.anchor.clone()];
    assert!(validate_document_signer(&with_root, &anchors, AT).is_valid());
    let with_other = [ds, other.cert.clone()];
    let report = validate_document_signer(&with_other, &anchors, AT);
    only_failure(
        &report,
        Role::DocumentSigner,
        Check::ChainToTrustedIaca,
        Failure::UnexpectedCertificate { position: 1 },
    );
}

#[test]
fn undecodable_or_empty_chains_fail_decoding_and_nothing_else_runs() {
    let root = good_root();
    let report = validate_document_signer(&[], std::slice::from_ref(&root.anchor), AT);
    assert_eq!(
        report.outcome(Role::DocumentSigner, Check::Decoding),
        Some(Outcome::Failed(Failure::EmptyChain))
    );
    let report = validate(
        &root,
        &CertificateDer::new(vec![0x30, 0x03, 0x02, 0x01]),
        AT,
    );
    assert_eq!(
        report.outcome(Role::DocumentSigner, Check::Decoding),
        Some(Outcome::Failed(Failure::Undecodable(
            CertificateError::Malformed
        )))
    );
    assert_eq!(report.results().len(), 26);
    assert!(
        report.results()[1..]
            .iter()
            .all(|r| r.outcome == Outcome::NotChecked(NotChecked::Undecodable))
    );
    let mut trailing = signer_cert(&root, &ds_spec()).into_vec();
    trailing.push(0);
    let report = validate(&root, &CertificateDer::new(trailing), AT);
    assert_eq!(
        report.outcome(Role::DocumentSigner, Check::Decoding),
        Some(Outcome::Failed(Failure::Undecodable(
            CertificateError::TrailingData
        )))
    );
}

#[test]
fn bytes_outside_the_signature_have_one_encoding_only() {
    let root = good_root();
    let good = signer_cert(&root, &ds_spec()).into_vec();
    let algorithm = [
        0x30, 0x0a, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02,
    ];
    let outer = good
        .windows(algorithm.len())
        .rposition(|w| w == algorithm)
        .unwrap();
    // The outer algorithm's OID tag changed (x509-parser alone accepts this).
    let mut tag = good.clone();
    tag[outer + 2] = 0x07;
    // The signature BIT STRING claiming one unused bit.
    let mut unused = good.clone();
    assert_eq!(unused[outer + 12], 0x03);
    unused[outer + 14] = 0x01;
    let report = validate(&root, &CertificateDer::new(tag), AT);
    assert_eq!(
        report.outcome(Role::DocumentSigner, Check::Decoding),
        Some(Outcome::Failed(Failure::Undecodable(
            CertificateError::NotStrictDer
        ))),
        "{report}"
    );
    // x509-parser refuses this one itself when the last signature bit is set (DER wants unused
    // bits zero); the strict check catches the other half.
    let report = validate(&root, &CertificateDer::new(unused), AT);
    assert!(
        matches!(
            report.outcome(Role::DocumentSigner, Check::Decoding),
            Some(Outcome::Failed(Failure::Undecodable(
                CertificateError::NotStrictDer | CertificateError::Malformed
            )))
        ),
        "{report}"
    );
}

mod properties {
    use std::sync::OnceLock;

    use proptest::prelude::*;

    use super::*;

    /// One root and signer for all cases (key generation is the slow part).
    fn fixture() -> &'static (Root, CertificateDer, Vec<u8>) {
        static FIXTURE: OnceLock<(Root, CertificateDer, Vec<u8>)> = OnceLock::new();
        FIXTURE.get_or_init(|| {
            let root = good_root();
            let ds = signer_cert(&root, &ds_spec());
            let key = InMemorySigner::generate().unwrap();
            let mut spec = ds_spec();
            spec.extended_key_usage = Some(TRUST_LIST_SIGNER_EKU);
            let cert =
                issue::build_issued(&spec, &key.public_key(), &root.cert, &root.key).unwrap();
            let entry = TrustListEntry::new(root.cert.clone(), "公安部交通管理局").unwrap();
            let list = TrustList::new(
                "公安部交通管理局",
                T0,
                1,
                T0 + Duration::days(9),
                vec![entry],
            )
            .unwrap()
            .sign(&[cert], &key)
            .unwrap();
            (root, ds, list.into_vec())
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(128))]

        #[test]
        fn any_single_byte_change_to_a_signer_certificate_invalidates_it(
            index in any::<prop::sample::Index>(),
            flip in 1u8..=255,
        ) {
            let (root, ds, _) = fixture();
            let mut bytes = ds.as_bytes().to_vec();
            let i = index.index(bytes.len());
            bytes[i] ^= flip;
            let report = validate(root, &CertificateDer::new(bytes), AT);
            prop_assert!(!report.is_valid(), "byte {} ^ {:#x} still valid", i, flip);
        }

        #[test]
        fn any_single_byte_change_to_a_trust_list_is_refused(
            index in any::<prop::sample::Index>(),
            flip in 1u8..=255,
        ) {
            let (root, _, list) = fixture();
            let mut bytes = list.clone();
            let i = index.index(bytes.len());
            bytes[i] ^= flip;
            prop_assert!(verify_trust_list(&bytes, std::slice::from_ref(&root.anchor), AT).is_err());
        }

        #[test]
        fn random_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..2048)) {
            let (root, _, _) = fixture();
            let anchors = std::slice::from_ref(&root.anchor);
            let report = validate_document_signer(&[CertificateDer::new(bytes.clone())], anchors, AT);
            prop_assert!(!report.is_valid());
            prop_assert!(verify_trust_list(&bytes, anchors, AT).is_err());
            prop_assert!(TrustAnchor::parse(CertificateDer::new(bytes.clone())).is_err());
            prop_assert!(DocumentSignerCertificate::parse(CertificateDer::new(bytes)).is_err());
        }

        #[test]
        fn random_text_never_panics_the_pem_and_key_readers(text in ".{0,512}") {
            let _ = CertificateDer::parse_pem_bundle(&text);
            let pass = Passphrase::new("a long enough passphrase".to_owned()).unwrap();
            prop_assert!(key_file::decrypt_key(&text, &pass).is_err());
        }

        #[test]
        fn country_parse_after_display_is_identity(code in "[A-Z]{2}") {
            let country = Country::parse(&code).unwrap();
            prop_assert_eq!(Country::parse(&country.to_string()), Ok(country));
        }
    }
}

fn annex_d(name: &str) -> CertificateDer {
    let path = format!("{}/tests/data/{name}", env!("CARGO_MANIFEST_DIR"));
    let hex = std::fs::read_to_string(path).unwrap();
    let hex = hex.trim();
    CertificateDer::new(
        (0..hex.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
            .collect(),
    )
}

#[test]
fn the_annex_d_chain_verifies_at_its_date_and_is_expired_today() {
    let iaca = TrustAnchor::parse(annex_d("annex-d-iaca.hex")).unwrap();
    let ds = annex_d("annex-d-document-signer.hex");
    let chain = [ds];
    let anchors = [iaca];
    let report = validate_document_signer(&chain, &anchors, datetime!(2021-01-01 00:00 UTC));
    assert!(report.is_valid(), "{report}");
    assert_eq!(report.signer().unwrap().country.as_deref(), Some("US"));

    let report = validate_document_signer(&chain, &anchors, datetime!(2026-03-01 00:00 UTC));
    only_failure(
        &report,
        Role::DocumentSigner,
        Check::Validity,
        Failure::Expired {
            not_after: datetime!(2021-10-01 00:00 UTC),
        },
    );
}

#[test]
fn the_public_issue_functions_produce_exactly_these_profiles() {
    let key = InMemorySigner::generate().unwrap();
    let iaca = issue_iaca(
        &IacaParams {
            country: Country::CHINA,
            common_name: "China mDL IACA".into(),
            organization: Some("公安部交通管理局".into()),
            issuer_alternative_name: IssuerAltName::Uri("https://edl.example.cn".into()),
            crl_distribution_point: "https://edl.example.cn/crl/iaca.crl".into(),
            not_before: T0,
            not_after: T0 + DEFAULT_IACA_VALIDITY,
        },
        &key,
    )
    .unwrap();
    let root = Root {
        anchor: TrustAnchor::parse(iaca.clone()).unwrap(),
        cert: iaca,
        key,
    };
    let ds_key = InMemorySigner::generate().unwrap();
    let ds = issue_document_signer(
        &DocumentSignerParams {
            authority: authority(),
            issuer_alternative_name: IssuerAltName::Email("pki@edl.example.cn".into()),
            crl_distribution_point: "https://edl.example.cn/crl/iaca.crl".into(),
            not_before: T0,
            not_after: T0 + MAX_DOCUMENT_SIGNER_VALIDITY,
        },
        &ds_key.public_key(),
        &root.cert,
        &root.key,
    )
    .unwrap();
    let report = validate(&root, &ds, AT);
    assert!(report.is_valid(), "{report}");
    assert_eq!(report.signer().unwrap().public_key, ds_key.public_key());
    // The issued signer's issuer name is the IACA's subject, byte for byte.
    let parsed = certificate::parse(ds.as_bytes()).unwrap();
    assert_eq!(parsed.issuer().as_raw(), root.anchor.subject_der());
}

// Hostile trust lists: structure-level checks before and after the signature.

fn trust_list_setup() -> (Root, InMemorySigner, CertificateDer) {
    let root = good_root();
    let key = InMemorySigner::generate().unwrap();
    let mut spec = ds_spec();
    spec.extended_key_usage = Some(TRUST_LIST_SIGNER_EKU);
    let cert = issue::build_issued(&spec, &key.public_key(), &root.cert, &root.key).unwrap();
    (root, key, cert)
}

/// Signs arbitrary payload bytes as a trust list would be signed.
fn sign_payload(payload: Vec<u8>, key: &InMemorySigner, cert: &CertificateDer) -> Vec<u8> {
    let sign1 = CoseSign1Builder::new()
        .protected(
            HeaderBuilder::new()
                .algorithm(iana::Algorithm::ES256)
                .build(),
        )
        .unprotected(
            HeaderBuilder::new()
                .value(33, Value::Bytes(cert.as_bytes().to_vec()))
                .build(),
        )
        .payload(payload)
        .create_signature(b"", |data| key.sign(data).unwrap())
        .build();
    sign1.to_tagged_vec().unwrap()
}

fn cbor(value: &Value) -> Vec<u8> {
    let mut out = Vec::new();
    ciborium::into_writer(value, &mut out).unwrap();
    out
}

#[test]
fn a_validly_signed_list_with_duplicate_keys_is_refused() {
    let (root, key, cert) = trust_list_setup();
    let text = |s: &str| Value::Text(s.into());
    let payload = Value::Map(vec![
        (text("version"), text("1.0")),
        (text("version"), text("1.0")),
    ]);
    let bytes = sign_payload(cbor(&payload), &key, &cert);
    assert_eq!(
        verify_trust_list(&bytes, std::slice::from_ref(&root.anchor), AT).err(),
        Some(TrustListError::DuplicateKey { map: "VICAL" })
    );
}

#[test]
fn a_validly_signed_list_with_trailing_bytes_or_a_bad_version_is_refused() {
    let (root, key, cert) = trust_list_setup();
    let text = |s: &str| Value::Text(s.into());
    let mut payload = cbor(&Value::Map(vec![(text("version"), text("2.0"))]));
    let anchors = std::slice::from_ref(&root.anchor);
    assert_eq!(
        verify_trust_list(&sign_payload(payload.clone(), &key, &cert), anchors, AT).err(),
        Some(TrustListError::UnsupportedVersion)
    );
    payload.push(0x00);
    assert_eq!(
        verify_trust_list(&sign_payload(payload, &key, &cert), anchors, AT).err(),
        Some(TrustListError::Malformed {
            what: "bytes after the VICAL payload"
        })
    );
}

#[test]
fn an_entry_whose_metadata_contradicts_its_certificate_is_refused() {
    let (root, key, cert) = trust_list_setup();
    let entry = TrustListEntry::new(root.cert.clone(), "公安部交通管理局").unwrap();
    let list = TrustList::new(
        "公安部交通管理局",
        T0,
        1,
        T0 + Duration::days(30),
        vec![entry],
    )
    .unwrap();
    let mut value = list.to_cbor();
    // Replace the ski of the first entry.
    let Value::Map(top) = &mut value else {
        panic!("the list is a map")
    };
    let (_, Value::Array(infos)) = top
        .iter_mut()
        .find(|(k, _)| *k == Value::Text("certificateInfos".into()))
        .unwrap()
    else {
        panic!("certificateInfos is an array")
    };
    let Value::Map(info) = &mut infos[0] else {
        panic!("an entry is a map")
    };
    for (k, v) in info.iter_mut() {
        if *k == Value::Text("ski".into()) {
            *v = Value::Bytes(vec![0; 20]);
        }
    }
    let bytes = sign_payload(cbor(&value), &key, &cert);
    assert_eq!(
        verify_trust_list(&bytes, std::slice::from_ref(&root.anchor), AT).err(),
        Some(TrustListError::EntryMismatch {
            index: 0,
            field: "ski"
        })
    );
}

#[test]
fn a_protected_header_with_more_than_alg_is_refused() {
    let (root, key, cert) = trust_list_setup();
    let sign1 = CoseSign1Builder::new()
        .protected(
            HeaderBuilder::new()
                .algorithm(iana::Algorithm::ES256)
                .value(33, Value::Bytes(cert.as_bytes().to_vec()))
                .build(),
        )
        .payload(vec![0xa0])
        .create_signature(b"", |data| key.sign(data).unwrap())
        .build();
    let bytes = sign1.to_tagged_vec().unwrap();
    assert_eq!(
        verify_trust_list(&bytes, std::slice::from_ref(&root.anchor), AT).err(),
        Some(TrustListError::UnsupportedAlgorithm)
    );
}

#[test]
fn listed_document_signers_and_their_revocation_round_trip() {
    let (root, key, cert) = trust_list_setup();
    let anchors = std::slice::from_ref(&root.anchor);
    let entry = TrustListEntry::new(root.cert.clone(), "公安部交通管理局").unwrap();
    let bare = TrustList::new(
        "公安部交通管理局",
        T0,
        1,
        T0 + Duration::days(30),
        vec![entry],
    )
    .unwrap();
    let signed = bare
        .clone()
        .sign(std::slice::from_ref(&cert), &key)
        .unwrap();
    assert!(
        verify_trust_list(signed.as_bytes(), anchors, AT)
            .unwrap()
            .document_signers()
            .is_empty()
    );
    let listed = vec![
        ListedSigner {
            certificate: cert.clone(),
            revoked_at: None,
        },
        ListedSigner {
            certificate: root.cert.clone(),
            revoked_at: Some(T0 + Duration::milliseconds(1500)),
        },
    ];
    let signed = bare
        .with_document_signers(listed.clone())
        .sign(std::slice::from_ref(&cert), &key)
        .unwrap();
    let read = verify_trust_list(signed.as_bytes(), anchors, AT).unwrap();
    assert_eq!(read.document_signers()[0], listed[0]);
    assert_eq!(
        read.document_signers()[1].certificate,
        listed[1].certificate
    );
    assert_eq!(
        read.document_signers()[1].revoked_at,
        Some(T0 + Duration::seconds(1)),
        "kept to whole seconds"
    );
    // A wrong type is refused by name.
    let text = |s: &str| Value::Text(s.into());
    let mut value = TrustList::new(
        "p",
        T0,
        2,
        T0 + Duration::days(1),
        vec![TrustListEntry::new(root.cert.clone(), "x").unwrap()],
    )
    .unwrap()
    .to_cbor();
    let Value::Map(top) = &mut value else {
        panic!("a map")
    };
    top.push((text("edlDocumentSigners"), text("not an array")));
    let bytes = sign_payload(cbor(&value), &key, &cert);
    assert_eq!(
        verify_trust_list(&bytes, anchors, AT).err(),
        Some(TrustListError::WrongType {
            field: "edlDocumentSigners"
        })
    );
}
