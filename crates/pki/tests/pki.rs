//! The PKI through its public API, as the `edl pki` commands will drive it:
//! - a national root and a document signer from encrypted key files, validated;
//! - issuance that refuses out-of-profile requests;
//! - document-signer rotation;
//! - the signed trust list: round trip, tampering, untrusted signers, updates, HSM-style signing;
//! - secrets never shown.

#![allow(clippy::unwrap_used)] // Test helpers: a panic is the test failing, with its message.

use edl_domain::{AuthorityName, IssuingAuthority, RegionCode};
use edl_pki::*;
use time::macros::datetime;
use time::{Duration, OffsetDateTime};

const T0: OffsetDateTime = datetime!(2026-03-01 00:00 UTC);
const CRL: &str = "https://edl.example.cn/crl/iaca.crl";
const PROVIDER: &str = "公安部交通管理局";

fn fast() -> ScryptCost {
    ScryptCost::new(ScryptCost::MIN_LOG_N).unwrap()
}

fn passphrase(s: &str) -> Passphrase {
    Passphrase::new(s.to_owned()).unwrap()
}

fn chengdu() -> IssuingAuthority {
    IssuingAuthority {
        name: AuthorityName::parse("四川省成都市公安局交通管理局").unwrap(),
        region: RegionCode::parse("510100").unwrap(),
    }
}

fn iaca_params() -> IacaParams {
    IacaParams {
        country: Country::CHINA,
        common_name: "China mDL IACA".into(),
        organization: Some(PROVIDER.into()),
        issuer_alternative_name: IssuerAltName::Uri("https://edl.example.cn".into()),
        crl_distribution_point: CRL.into(),
        not_before: T0,
        not_after: T0 + DEFAULT_IACA_VALIDITY,
    }
}

fn ds_params(
    authority: IssuingAuthority,
    not_before: OffsetDateTime,
    days: i64,
) -> DocumentSignerParams {
    DocumentSignerParams {
        authority,
        issuer_alternative_name: IssuerAltName::Email("pki@edl.example.cn".into()),
        crl_distribution_point: CRL.into(),
        not_before,
        not_after: not_before + Duration::days(days),
    }
}

struct Root {
    key: InMemorySigner,
    cert: CertificateDer,
}

impl Root {
    fn new() -> Root {
        let key = InMemorySigner::generate().unwrap();
        let cert = issue_iaca(&iaca_params(), &key).unwrap();
        Root { key, cert }
    }

    fn anchor(&self) -> TrustAnchor {
        TrustAnchor::parse(self.cert.clone()).unwrap()
    }

    fn document_signer(&self, not_before: OffsetDateTime, days: i64) -> CertificateDer {
        let key = InMemorySigner::generate().unwrap();
        issue_document_signer(
            &ds_params(chengdu(), not_before, days),
            &key.public_key(),
            &self.cert,
            &self.key,
        )
        .unwrap()
    }

    fn trust_list_signer(&self) -> (InMemorySigner, CertificateDer) {
        let key = InMemorySigner::generate().unwrap();
        let cert = issue_trust_list_signer(
            &TrustListSignerParams {
                common_name: "China mDL trust list signer".into(),
                organization: Some(PROVIDER.into()),
                issuer_alternative_name: IssuerAltName::Uri("https://edl.example.cn".into()),
                crl_distribution_point: CRL.into(),
                not_before: T0,
                not_after: T0 + Duration::days(400),
            },
            &key.public_key(),
            &self.cert,
            &self.key,
        )
        .unwrap();
        (key, cert)
    }
}

#[test]
fn a_national_pki_from_key_files_to_a_validated_signer() {
    let dir = tempfile::tempdir().unwrap();
    let pass = passphrase("national root passphrase");
    let iaca_key_path = dir.path().join("iaca.key.pem");
    let ds_key_path = dir.path().join("ds-510100.key.pem");

    let iaca_key = FileSigner::create(&iaca_key_path, &pass, fast()).unwrap();
    let iaca = issue_iaca(&iaca_params(), &iaca_key).unwrap();
    let ds_key = FileSigner::create(&ds_key_path, &pass, fast()).unwrap();
    drop(iaca_key);

    // A later run opens the root key again to certify the authority's signer.
    let iaca_key = FileSigner::open(&iaca_key_path, &pass).unwrap();
    let ds = issue_document_signer(
        &ds_params(chengdu(), T0, 365),
        &ds_key.public_key(),
        &iaca,
        &iaca_key,
    )
    .unwrap();

    // PEM round trip, as files on disk and in a bundle.
    let bundle = format!("{}{}", ds.to_pem(), iaca.to_pem());
    let parsed = CertificateDer::parse_pem_bundle(&bundle).unwrap();
    assert_eq!(parsed, vec![ds.clone(), iaca.clone()]);

    let anchors = [TrustAnchor::parse(iaca.clone()).unwrap()];
    let report = validate_document_signer(&parsed, &anchors, T0 + Duration::days(100));
    assert!(report.is_valid(), "{report}");
    let signer = report.signer().unwrap();
    assert_eq!(signer.public_key, ds_key.public_key());

    let info = DocumentSignerCertificate::parse(ds).unwrap();
    assert_eq!(info.authority_name(), Some("四川省成都市公安局交通管理局"));
    assert_eq!(info.region(), Some(chengdu().region));
    assert_eq!(info.key_identifier(), &ds_key.public_key().key_identifier());
    assert_eq!(info.authority_key_identifier(), anchors[0].key_identifier());
    assert_eq!(info.not_after() - info.not_before(), Duration::days(365));
}

#[test]
fn issuance_refuses_out_of_profile_requests() {
    let root = Root::new();
    let key = InMemorySigner::generate().unwrap().public_key();
    let issue =
        |params: &DocumentSignerParams, issuer: &CertificateDer, issuer_key: &dyn Signer| {
            issue_document_signer(params, &key, issuer, issuer_key)
        };
    assert_eq!(
        issue(&ds_params(chengdu(), T0, 458), &root.cert, &root.key),
        Err(IssueError::ValidityTooLong {
            days: 458,
            max_days: 457
        })
    );
    let late = T0 + DEFAULT_IACA_VALIDITY - Duration::days(100);
    assert_eq!(
        issue(&ds_params(chengdu(), late, 365), &root.cert, &root.key),
        Err(IssueError::OutsideIssuerValidity)
    );
    let stranger = InMemorySigner::generate().unwrap();
    assert_eq!(
        issue(&ds_params(chengdu(), T0, 365), &root.cert, &stranger),
        Err(IssueError::IssuerKeyMismatch)
    );
    let ds = root.document_signer(T0, 365);
    assert_eq!(
        issue(&ds_params(chengdu(), T0, 30), &ds, &root.key),
        Err(IssueError::UnusableIssuer {
            reason: "it is not a CA"
        })
    );
    let mut params = ds_params(chengdu(), T0, 365);
    params.issuer_alternative_name = IssuerAltName::Email("证书@example.cn".into());
    assert_eq!(
        issue(&params, &root.cert, &root.key),
        Err(IssueError::InvalidField {
            field: "issuer alternative name e-mail"
        })
    );

    let mut params = iaca_params();
    params.not_after = T0 + Duration::days(21 * 365);
    assert_eq!(
        issue_iaca(&params, &root.key),
        Err(IssueError::ValidityTooLong {
            days: 21 * 365,
            max_days: MAX_IACA_VALIDITY.whole_days()
        })
    );
}

#[test]
fn rotation_keeps_old_credentials_verifiable_until_their_signer_expires() {
    let root = Root::new();
    let anchors = [root.anchor()];
    let credential_validity = Duration::days(30);
    let mut signers = AuthoritySigners::new(chengdu());

    let old = root.document_signer(T0, 400);
    signers
        .add(DocumentSignerCertificate::parse(old.clone()).unwrap())
        .unwrap();
    let old_id = DocumentSignerCertificate::parse(old.clone())
        .unwrap()
        .key_identifier()
        .clone();

    // Early on the old certificate signs; near its end it can no longer cover a credential.
    let early = T0 + Duration::days(10);
    assert_eq!(
        signers
            .signing_certificate(early, credential_validity)
            .unwrap()
            .key_identifier(),
        &old_id
    );
    let near_end = T0 + Duration::days(380);
    assert!(
        signers
            .signing_certificate(near_end, credential_validity)
            .is_none()
    );
    assert!(signers.needs_rotation(
        T0 + Duration::days(350),
        credential_validity,
        Duration::days(30)
    ));
    assert!(!signers.needs_rotation(early, credential_validity, Duration::days(30)));

    // The new certificate is added before that, and takes over.
    let new = root.document_signer(T0 + Duration::days(340), 400);
    let new_info = DocumentSignerCertificate::parse(new.clone()).unwrap();
    let new_id = new_info.key_identifier().clone();
    signers.add(new_info).unwrap();
    assert_eq!(
        signers
            .signing_certificate(near_end, credential_validity)
            .unwrap()
            .key_identifier(),
        &new_id
    );
    assert!(signers.by_key_identifier(&old_id).is_some());
    assert!(signers.by_key_identifier(&new_id).is_some());
    assert_eq!(signers.valid_at(near_end).count(), 2);

    // A credential signed by the old certificate at day 360 (valid 30 days) still verifies at its
    // last day; once the old certificate expires, its chain reports exactly that.
    let last_day_of_credential = T0 + Duration::days(389);
    assert!(
        validate_document_signer(std::slice::from_ref(&old), &anchors, last_day_of_credential)
            .is_valid()
    );
    let after = T0 + Duration::days(401);
    let report = validate_document_signer(std::slice::from_ref(&old), &anchors, after);
    assert_eq!(
        report
            .failures()
            .map(|r| (r.role, r.check))
            .collect::<Vec<_>>(),
        vec![(Role::DocumentSigner, Check::Validity)]
    );
    assert!(validate_document_signer(std::slice::from_ref(&new), &anchors, after).is_valid());

    let removed = signers.remove_expired(after);
    assert_eq!(removed.len(), 1);
    assert_eq!(removed[0].key_identifier(), &old_id);
    assert_eq!(signers.certificates().len(), 1);

    // Only this authority's certificates, each once.
    assert_eq!(
        signers.add(DocumentSignerCertificate::parse(new).unwrap()),
        Err(RotationError::DuplicateKeyIdentifier)
    );
    let other = IssuingAuthority {
        name: AuthorityName::parse("天津市公安局交通警察总队").unwrap(),
        region: RegionCode::parse("120000").unwrap(),
    };
    let key = InMemorySigner::generate().unwrap();
    let foreign = issue_document_signer(
        &ds_params(other, T0, 100),
        &key.public_key(),
        &root.cert,
        &root.key,
    )
    .unwrap();
    assert_eq!(
        signers.add(DocumentSignerCertificate::parse(foreign).unwrap()),
        Err(RotationError::AuthorityMismatch { field: "name" })
    );
}

fn list(root: &Root, issue_id: u64, extra: Option<&Root>) -> TrustList {
    let mut entries = vec![TrustListEntry::new(root.cert.clone(), PROVIDER).unwrap()];
    if let Some(extra) = extra {
        entries.push(TrustListEntry::new(extra.cert.clone(), PROVIDER).unwrap());
    }
    TrustList::new(PROVIDER, T0, issue_id, T0 + Duration::days(7), entries).unwrap()
}

#[test]
fn a_trust_list_round_trips_and_any_tampering_is_detected() {
    let root = Root::new();
    let (key, cert) = root.trust_list_signer();
    let signed = list(&root, 1, None)
        .sign(std::slice::from_ref(&cert), &key)
        .unwrap();
    let bytes = signed.as_bytes();
    assert_eq!(bytes[0], 0xd2, "a tagged COSE_Sign1");

    let bootstrap = [root.anchor()];
    let at = T0 + Duration::days(1);
    let verified = verify_trust_list(bytes, &bootstrap, at).unwrap();
    assert_eq!(verified.provider(), PROVIDER);
    assert_eq!(verified.issue_id(), 1);
    assert_eq!(verified.issued_at(), T0);
    assert_eq!(verified.entries().len(), 1);
    assert_eq!(verified.entries()[0].doc_types(), [MDL_DOC_TYPE]);
    assert_eq!(verified.entries()[0].issuing_authority(), Some(PROVIDER));
    assert!(!verified.is_stale(at));
    assert!(verified.is_stale(T0 + Duration::days(8)));

    // The list's anchors validate the authorities' document signers.
    let ds = root.document_signer(T0, 365);
    assert!(validate_document_signer(&[ds], &verified.anchors(), at).is_valid());

    // Flipping any single byte breaks it, with a reading or signature error, never a panic.
    let mut seen_signature_invalid = false;
    for i in 0..bytes.len() {
        let mut tampered = bytes.to_vec();
        tampered[i] ^= 0x01;
        let result = verify_trust_list(&tampered, &bootstrap, at);
        assert!(result.is_err(), "byte {i} flipped still verifies");
        seen_signature_invalid |= result.err() == Some(TrustListError::SignatureInvalid);
    }
    assert!(seen_signature_invalid);

    assert_eq!(
        verify_trust_list(&bytes[..bytes.len() - 1], &bootstrap, at).err(),
        Some(TrustListError::Malformed { what: "COSE_Sign1" })
    );
    assert_eq!(
        verify_trust_list(b"not cbor at all", &bootstrap, at).err(),
        Some(TrustListError::Malformed { what: "COSE_Sign1" })
    );
    let huge = vec![0u8; MAX_TRUST_LIST_BYTES + 1];
    assert_eq!(
        verify_trust_list(&huge, &bootstrap, at).err(),
        Some(TrustListError::TooLarge {
            len: MAX_TRUST_LIST_BYTES + 1,
            max: MAX_TRUST_LIST_BYTES
        })
    );
}

#[test]
fn a_trust_list_signer_must_chain_to_a_held_iaca_with_the_trust_list_profile() {
    let root = Root::new();
    let at = T0 + Duration::days(1);
    let bootstrap = [root.anchor()];

    // Signed by a document signer (wrong extended key usage).
    let ds_key = InMemorySigner::generate().unwrap();
    let ds = issue_document_signer(
        &ds_params(chengdu(), T0, 365),
        &ds_key.public_key(),
        &root.cert,
        &root.key,
    )
    .unwrap();
    let signed = list(&root, 1, None)
        .sign(std::slice::from_ref(&ds), &ds_key)
        .unwrap();
    match verify_trust_list(signed.as_bytes(), &bootstrap, at) {
        Err(TrustListError::UntrustedSigner(report)) => assert_eq!(
            report
                .failures()
                .map(|r| (r.role, r.check))
                .collect::<Vec<_>>(),
            vec![(Role::TrustListSigner, Check::ExtendedKeyUsage)]
        ),
        other => panic!("expected an untrusted signer, got {other:?}"),
    }

    // Signed under a root the verifier does not hold.
    let stranger = Root::new();
    let (key, cert) = stranger.trust_list_signer();
    let signed = list(&stranger, 1, None)
        .sign(std::slice::from_ref(&cert), &key)
        .unwrap();
    match verify_trust_list(signed.as_bytes(), &bootstrap, at) {
        Err(TrustListError::UntrustedSigner(report)) => assert_eq!(
            report.outcome(Role::TrustListSigner, Check::ChainToTrustedIaca),
            Some(Outcome::Failed(Failure::NoTrustedIaca))
        ),
        other => panic!("expected an untrusted signer, got {other:?}"),
    }

    // The right certificate with another key's signature.
    let (_, cert) = root.trust_list_signer();
    let impostor = InMemorySigner::generate().unwrap();
    let signed = list(&root, 1, None)
        .sign(std::slice::from_ref(&cert), &impostor)
        .unwrap();
    assert_eq!(
        verify_trust_list(signed.as_bytes(), &bootstrap, at).err(),
        Some(TrustListError::SignatureInvalid)
    );
}

#[test]
fn trust_list_updates_must_be_newer_and_can_bring_a_new_root() {
    let root = Root::new();
    let next_root = Root::new();
    let (key, cert) = root.trust_list_signer();
    let at = T0 + Duration::days(1);
    let first = list(&root, 1, None)
        .sign(std::slice::from_ref(&cert), &key)
        .unwrap();
    let held = verify_trust_list(first.as_bytes(), &[root.anchor()], at).unwrap();

    // Issue 2 adds the next national root, signed under the current one.
    let second = list(&root, 2, Some(&next_root))
        .sign(std::slice::from_ref(&cert), &key)
        .unwrap();
    let updated = verify_trust_list_update(second.as_bytes(), &held, at).unwrap();
    assert_eq!(updated.anchors().len(), 2);
    let ds = next_root.document_signer(T0, 365);
    let report = validate_document_signer(&[ds], &updated.anchors(), at);
    assert!(report.is_valid(), "{report}");
    assert_eq!(report.trusted_iaca(), Some(1));

    // Replaying the older list is refused.
    assert_eq!(
        verify_trust_list_update(first.as_bytes(), &updated, at).err(),
        Some(TrustListError::NotNewer {
            previous: 2,
            found: 1
        })
    );
}

#[test]
fn a_trust_list_is_signed_in_three_steps_so_an_hsm_can_sign() {
    let root = Root::new();
    let (key, cert) = root.trust_list_signer();
    let content = list(&root, 5, None);
    let prepared = content.prepare(std::slice::from_ref(&cert)).unwrap();
    assert_eq!(prepared.algorithm(), SignatureAlgorithm::Es256);
    // The Sig_structure starts with the array header and "Signature1".
    assert_eq!(&prepared.signature_payload()[..12], b"\x84\x6aSignature1");
    let signature = key.sign(prepared.signature_payload()).unwrap();
    let signed = prepared.complete(signature).unwrap();
    assert!(verify_trust_list(signed.as_bytes(), &[root.anchor()], T0).is_ok());

    let prepared = content.prepare(std::slice::from_ref(&cert)).unwrap();
    assert_eq!(
        prepared.complete(vec![0; 63]).err(),
        Some(TrustListError::SignatureLength {
            expected: 64,
            found: 63
        })
    );
    assert_eq!(
        content.prepare(&[]).err(),
        Some(TrustListError::NoSignerCertificate)
    );
    assert_eq!(
        TrustList::new(PROVIDER, T0, 1, T0, vec![]).err(),
        Some(TrustListError::InvalidContent {
            reason: "there are no entries"
        })
    );
}

#[test]
fn secrets_never_show_in_debug_or_errors() {
    let secret = "do not print me, ever";
    let pass = passphrase(secret);
    assert!(!format!("{pass:?}").contains("print"));

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("k.pem");
    let signer = FileSigner::create(&path, &pass, fast()).unwrap();
    let shown = format!("{signer:?}");
    assert!(shown.contains("<redacted>"), "{shown}");

    let error = FileSigner::open(&path, &passphrase("guess-7Q2x-attempt")).unwrap_err();
    assert!(matches!(error, KeyFileError::WrongPassphrase));
    let shown = format!("{error} {error:?}");
    assert!(
        !shown.contains("7Q2x") && !shown.contains("print"),
        "{shown}"
    );

    let in_memory = InMemorySigner::generate().unwrap();
    let shown = format!("{in_memory:?}");
    assert!(
        shown.contains("<redacted>") && shown.contains("key_identifier"),
        "{shown}"
    );
}
