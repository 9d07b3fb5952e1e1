//! Verification: one pure function from a presentation and everything a verifier trusts to a
//! report that lists every check with its own outcome. The validation time is a parameter.
//!
//! An online verifier that knows the registry's state of a credential verifies in two steps:
//! [`Verifier::begin`] (every check but the status, and the MSO's [`StatusReference`]) and
//! [`PendingReport::finish`] with [`StatusSource::Registry`].

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use ciborium::Value;
use coset::{Header, Label, iana};
use edl_pki::{
    CertificateDer, ChainReport, Curve, PublicKey, SignerFacts, TrustAnchor,
    validate_document_signer,
};
use edl_status_list::{CredentialStatus, VerifiedStatusList};
use time::OffsetDateTime;

use crate::document::{
    DeviceAuthRef, DeviceResponseRef, DocumentRef, ItemRef, Sign1Ref, sig_structure,
};
use crate::elements::{CN_NAMESPACE, ISO_NAMESPACE, MDL_DOC_TYPE};
use crate::mso::{MsoRef, StatusRef, StatusReference, ValidityInfo};
use crate::session::{ReaderKey, SessionTranscript, device_authentication_bytes, e_mac_key};

/// COSE header label of x5chain (RFC 9360).
const X5CHAIN: i64 = 33;

/// What came of one check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The check passed.
    Passed,
    /// The check failed, and why (never personal data).
    Failed(String),
    /// The check could not run because something it needs failed earlier.
    NotChecked(&'static str),
    /// The check does not apply to this presentation (an element not disclosed, no status
    /// reference); it does not make the presentation invalid.
    NotApplicable(&'static str),
}

impl Outcome {
    /// Whether this outcome lets the presentation be valid.
    pub fn is_ok(&self) -> bool {
        matches!(self, Outcome::Passed | Outcome::NotApplicable(_))
    }

    fn of(result: Result<(), String>) -> Outcome {
        match result {
            Ok(()) => Outcome::Passed,
            Err(why) => Outcome::Failed(why),
        }
    }
}

/// One line of the report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckResult {
    /// The check's stable name, e.g. `issuer_signature` or
    /// `element_digest.org.iso.18013.5.1.family_name`.
    pub name: String,
    /// Its outcome.
    pub outcome: Outcome,
}

/// The status the verifier established.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StatusFinding {
    /// The MSO carries no status reference.
    NotReferenced,
    /// Looked up in a current list.
    Found {
        /// The status.
        status: CredentialStatus,
        /// When the list was issued (how current the information is).
        list_issued_at: OffsetDateTime,
    },
    /// No current list for the reference: status unknown, not the same as revoked.
    Unknown {
        /// Why.
        reason: String,
    },
}

/// A disclosed element whose digest matched.
#[derive(Debug, Clone, PartialEq)]
pub struct DisclosedElement {
    /// Its namespace.
    pub namespace: String,
    /// Its identifier.
    pub identifier: String,
    /// Its value.
    pub value: Value,
}

/// The verifier's report: every check, and what was learned.
#[derive(Debug, Clone, PartialEq)]
pub struct VerificationReport {
    /// Every check in a fixed order; nothing stops at the first failure.
    pub checks: Vec<CheckResult>,
    /// The validation time used.
    pub validated_at: OffsetDateTime,
    /// The document's type, when it decoded.
    pub doc_type: Option<String>,
    /// The MSO's validity window, when the MSO decoded.
    pub validity: Option<ValidityInfo>,
    /// The elements whose digests matched (elements that failed are not listed).
    pub disclosed: Vec<DisclosedElement>,
    /// The status found.
    pub status: StatusFinding,
    /// The document signer's facts, when its certificate decoded.
    pub signer: Option<SignerFacts>,
    /// `signature` or `mac`, when device authentication was present.
    pub device_auth: Option<&'static str>,
}

impl VerificationReport {
    /// True when every check passed or did not apply.
    pub fn is_valid(&self) -> bool {
        self.checks.iter().all(|c| c.outcome.is_ok())
    }

    /// The checks that did not pass.
    pub fn failures(&self) -> impl Iterator<Item = &CheckResult> {
        self.checks.iter().filter(|c| !c.outcome.is_ok())
    }

    /// The outcome of the check named `name`.
    pub fn outcome(&self, name: &str) -> Option<&Outcome> {
        self.checks
            .iter()
            .find(|c| c.name == name)
            .map(|c| &c.outcome)
    }

    /// The value of a disclosed element.
    pub fn value(&self, namespace: &str, identifier: &str) -> Option<&Value> {
        self.disclosed
            .iter()
            .find(|d| d.namespace == namespace && d.identifier == identifier)
            .map(|d| &d.value)
    }
}

impl std::fmt::Display for VerificationReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for c in &self.checks {
            match &c.outcome {
                Outcome::Passed => writeln!(f, "  ok    {}", c.name)?,
                Outcome::Failed(why) => writeln!(f, "  FAIL  {}: {why}", c.name)?,
                Outcome::NotChecked(why) => writeln!(f, "  --    {}: not checked ({why})", c.name)?,
                Outcome::NotApplicable(why) => writeln!(f, "  n/a   {}: {why}", c.name)?,
            }
        }
        Ok(())
    }
}

/// What a verification needs besides the presentation.
#[derive(Debug, Clone, Copy)]
pub struct VerifyInput<'a> {
    /// The DeviceResponse bytes as received.
    pub device_response: &'a [u8],
    /// The session transcript the verifier itself holds (never taken from the holder).
    pub session_transcript: &'a SessionTranscript,
    /// Verified status lists the verifier holds (from [`edl_status_list::verify_token`]).
    pub status_lists: &'a [VerifiedStatusList],
    /// The validation time.
    pub at: OffsetDateTime,
    /// The reader's ephemeral key, needed only for a `deviceMac`.
    pub reader_key: Option<&'a ReaderKey>,
}

/// Where the status of a credential comes from.
#[derive(Debug, Clone, Copy)]
pub enum StatusSource<'a> {
    /// The verified status lists the verifier holds (what [`Verifier::verify`] uses): the one
    /// whose URI is the MSO's, if held and current.
    Lists(&'a [VerifiedStatusList]),
    /// The registry's state of the credential, read now by an online verifier for the MSO's
    /// [`StatusReference`]: `None` when the registry holds no such credential (unknown, never
    /// valid). `as_of` is when it was read; the report shows it as the list's issue time.
    Registry {
        /// The credential's state.
        status: Option<CredentialStatus>,
        /// When it was read.
        as_of: OffsetDateTime,
    },
}

/// A chain judged valid, with the window during which that judgement holds.
#[derive(Debug, Clone)]
struct CachedChain {
    report: Arc<ChainReport>,
    from: OffsetDateTime,
    until: OffsetDateTime,
}

/// A verifier holding its trusted IACAs and a cache of document-signer chains already judged
/// valid, so a signer certificate seen before costs no parsing and no signature check.
#[derive(Debug)]
pub struct Verifier {
    anchors: Vec<TrustAnchor>,
    chains: Mutex<HashMap<Vec<u8>, CachedChain>>,
}

/// The most signer chains cached (one per document signer in the country is a few hundred).
const MAX_CACHED_CHAINS: usize = 4096;

impl Verifier {
    /// A verifier trusting these IACAs.
    pub fn new(anchors: Vec<TrustAnchor>) -> Verifier {
        Verifier {
            anchors,
            chains: Mutex::new(HashMap::new()),
        }
    }

    /// The trusted IACAs.
    pub fn anchors(&self) -> &[TrustAnchor] {
        &self.anchors
    }

    fn chain_report(&self, chain: &[&[u8]], at: OffsetDateTime) -> Arc<ChainReport> {
        // The cache key is the chain's certificates end to end (a one-certificate chain, the
        // usual x5chain, is its own key: nothing is copied to look it up).
        let joined: Vec<u8>;
        let key: &[u8] = match chain {
            [one] => one,
            _ => {
                joined = chain.concat();
                &joined
            }
        };
        if let Ok(cache) = self.chains.lock()
            && let Some(hit) = cache.get(key)
            && hit.from <= at
            && at <= hit.until
        {
            return Arc::clone(&hit.report);
        }
        let certificates: Vec<CertificateDer> = chain
            .iter()
            .map(|c| CertificateDer::new(c.to_vec()))
            .collect();
        let report = Arc::new(validate_document_signer(&certificates, &self.anchors, at));
        if report.is_valid()
            && let (Some(signer), Some(iaca)) = (report.signer(), report.trusted_iaca())
            && let Some(anchor) = self.anchors.get(iaca)
            && let Ok(mut cache) = self.chains.lock()
        {
            if cache.len() >= MAX_CACHED_CHAINS {
                cache.clear();
            }
            cache.insert(
                key.to_vec(),
                CachedChain {
                    report: Arc::clone(&report),
                    from: signer.not_before.max(anchor.not_before()),
                    until: signer.not_after.min(anchor.not_after()),
                },
            );
        }
        report
    }

    /// Verifies a DeviceResponse holding one mDL document against the status lists of `input`.
    pub fn verify(&self, input: &VerifyInput<'_>) -> VerificationReport {
        self.begin(input)
            .finish(StatusSource::Lists(input.status_lists))
    }

    /// Runs every check but the status (`input.status_lists` is not read); the caller looks the
    /// [status reference](PendingReport::status_reference) up and
    /// [finishes](PendingReport::finish) the report.
    pub fn begin(&self, input: &VerifyInput<'_>) -> PendingReport {
        let mut run = Run {
            // Room for the checks of a full mDL (about 20, the certificate's, one per element).
            checks: Vec::with_capacity(64),
            report: VerificationReport {
                checks: Vec::new(),
                validated_at: input.at,
                doc_type: None,
                validity: None,
                disclosed: Vec::with_capacity(32),
                status: StatusFinding::NotReferenced,
                signer: None,
                device_auth: None,
            },
        };
        let status = run.verify(self, input);
        PendingReport {
            run,
            status,
            at: input.at,
        }
    }
}

/// What the status check still needs.
#[derive(Debug)]
enum PendingStatus {
    /// An earlier failure already marked it not checked.
    Done,
    /// The MSO's reference, if it has one, and whether the issuer's signature verified.
    Reference(Option<StatusReference>, bool),
}

/// A verification whose status check is still to be made (see [`Verifier::begin`]).
#[derive(Debug)]
pub struct PendingReport {
    run: Run,
    status: PendingStatus,
    at: OffsetDateTime,
}

impl PendingReport {
    /// The MSO's status reference, given only when the issuer's signature over the MSO verified
    /// (an unsigned reference is never looked up).
    pub fn status_reference(&self) -> Option<&StatusReference> {
        match &self.status {
            PendingStatus::Reference(Some(reference), true) => Some(reference),
            _ => None,
        }
    }

    /// The report so far (every check but `status`).
    pub fn partial(&self) -> &VerificationReport {
        &self.run.report
    }

    /// Makes the status check from `source`.
    pub fn finish(self, source: StatusSource<'_>) -> VerificationReport {
        let PendingReport {
            mut run,
            status: pending,
            at,
        } = self;
        if let PendingStatus::Reference(reference, _) = pending {
            let (finding, outcome) = status(reference.as_ref(), source, at);
            run.report.status = finding;
            run.push("status", outcome);
        }
        let mut report = run.report;
        report.checks = run.checks;
        report
    }
}

/// Verifies with a fresh [`Verifier`] (no cache): the pure function of the issue.
pub fn verify_device_response(
    input: &VerifyInput<'_>,
    trusted_iacas: &[TrustAnchor],
) -> VerificationReport {
    Verifier::new(trusted_iacas.to_vec()).verify(input)
}

/// The checks after the structure, in report order, for marking them all not checked.
const LATER_CHECKS: [&str; 14] = [
    "response_status",
    "doc_type",
    "issuer_auth_header",
    "certificate_chain",
    "issuer_signature",
    "mso_structure",
    "mso_doc_type",
    "digest_algorithm",
    "mso_signed_within_certificate",
    "mso_validity",
    "element_digests",
    "device_key",
    "device_authentication",
    "status",
];

#[derive(Debug)]
struct Run {
    checks: Vec<CheckResult>,
    report: VerificationReport,
}

impl Run {
    fn push(&mut self, name: impl Into<String>, outcome: Outcome) {
        self.checks.push(CheckResult {
            name: name.into(),
            outcome,
        });
    }

    fn verify(&mut self, verifier: &Verifier, input: &VerifyInput<'_>) -> PendingStatus {
        let response = match DeviceResponseRef::parse(input.device_response) {
            Ok(r) => {
                self.push("cbor_structure", Outcome::Passed);
                r
            }
            Err(e) => {
                self.push("cbor_structure", Outcome::Failed(e.to_string()));
                for name in LATER_CHECKS {
                    self.push(name, Outcome::NotChecked("the response does not decode"));
                }
                return PendingStatus::Done;
            }
        };
        let status_ok = if response.version != "1.0" {
            Err(format!("version {:?} is not 1.0", response.version))
        } else if response.status != 0 {
            Err(format!("the holder reported status {}", response.status))
        } else if response.documents.len() != 1 {
            Err(format!(
                "{} documents; exactly one is expected",
                response.documents.len()
            ))
        } else {
            Ok(())
        };
        self.push("response_status", Outcome::of(status_ok));
        let Some(document) = response.documents.first() else {
            for name in &LATER_CHECKS[1..] {
                self.push(*name, Outcome::NotChecked("the response holds no document"));
            }
            return PendingStatus::Done;
        };
        self.verify_document(verifier, input, document)
    }

    fn verify_document(
        &mut self,
        verifier: &Verifier,
        input: &VerifyInput<'_>,
        document: &DocumentRef<'_>,
    ) -> PendingStatus {
        self.report.doc_type = Some(document.doc_type.to_owned());
        self.push(
            "doc_type",
            Outcome::of(if document.doc_type == MDL_DOC_TYPE {
                Ok(())
            } else {
                Err(format!("{:?} is not {MDL_DOC_TYPE}", document.doc_type))
            }),
        );

        let issuer_auth = &document.issuer_signed.issuer_auth;
        self.push(
            "issuer_auth_header",
            Outcome::of(check_issuer_auth_header(&issuer_auth.protected.header)),
        );

        // The signer certificate and its chain.
        let chain = x5chain(issuer_auth);
        let signer = match &chain {
            None => {
                self.push(
                    "certificate_chain",
                    Outcome::Failed("issuerAuth carries no x5chain".into()),
                );
                None
            }
            Some(chain) => {
                let report = verifier.chain_report(chain, input.at);
                for r in report.results() {
                    let name = join(&["certificate.", r.role.as_str(), ".", r.check.as_str()]);
                    let outcome = match r.outcome {
                        edl_pki::Outcome::Passed => Outcome::Passed,
                        edl_pki::Outcome::Failed(why) => Outcome::Failed(why.to_string()),
                        edl_pki::Outcome::NotChecked(_) => {
                            Outcome::NotChecked("an earlier certificate check failed")
                        }
                    };
                    self.push(name, outcome);
                }
                report.signer().cloned()
            }
        };
        self.report.signer = signer.clone();

        // The issuer's signature over the MSO.
        let signature = match &signer {
            None => Outcome::NotChecked("the signer certificate does not decode"),
            Some(s) => Outcome::of(
                s.public_key
                    .verify(
                        &sig_structure(
                            issuer_auth.protected_bytes,
                            issuer_auth.payload.unwrap_or_default(),
                        ),
                        issuer_auth.signature,
                    )
                    .map_err(|_| {
                        "the issuer signature does not verify with the document signer's key"
                            .to_owned()
                    }),
            ),
        };
        let signed = signature == Outcome::Passed;
        self.push("issuer_signature", signature);

        // The MSO.
        let mso = match issuer_auth.payload.map(MsoRef::from_tagged_bytes) {
            Some(Ok(mso)) => {
                self.push("mso_structure", Outcome::Passed);
                mso
            }
            Some(Err(e)) => {
                self.push("mso_structure", Outcome::Failed(e.to_string()));
                self.mark_rest_unchecked("the MSO does not decode");
                return PendingStatus::Done;
            }
            None => {
                self.push(
                    "mso_structure",
                    Outcome::Failed("issuerAuth has no payload".into()),
                );
                self.mark_rest_unchecked("the MSO is missing");
                return PendingStatus::Done;
            }
        };
        self.report.validity = Some(mso.validity);
        self.push(
            "mso_doc_type",
            Outcome::of(if mso.doc_type == document.doc_type {
                Ok(())
            } else {
                Err("the MSO's docType differs from the document's".into())
            }),
        );
        let digest_algorithm = mso.digest_algorithm();
        self.push(
            "digest_algorithm",
            Outcome::of(digest_algorithm.map(|_| ()).ok_or_else(|| {
                format!(
                    "{:?} is not SHA-256, SHA-384 or SHA-512",
                    mso.digest_algorithm
                )
            })),
        );
        self.push(
            "mso_signed_within_certificate",
            match &signer {
                None => Outcome::NotChecked("the signer certificate does not decode"),
                Some(s) => Outcome::of(
                    if mso.validity.signed >= s.not_before && mso.validity.signed <= s.not_after {
                        Ok(())
                    } else {
                        Err(format!(
                            "signed at {} outside the certificate's validity",
                            mso.validity.signed
                        ))
                    },
                ),
            },
        );
        let v = mso.validity;
        self.push(
            "mso_validity",
            Outcome::of(if input.at < v.valid_from {
                Err(format!("not valid before {}", v.valid_from))
            } else if input.at > v.valid_until {
                Err(format!("expired at {}", v.valid_until))
            } else if v.valid_until < v.valid_from {
                Err("the validity window ends before it starts".into())
            } else {
                Ok(())
            }),
        );

        // Every disclosed element's digest.
        match digest_algorithm {
            None => self.push(
                "element_digests",
                Outcome::NotChecked("unsupported digest algorithm"),
            ),
            Some(algorithm) => {
                let mut seen: Vec<(&str, u64)> = Vec::new();
                for (namespace, items) in &document.issuer_signed.namespaces {
                    for item in items {
                        let outcome = self.check_item(&mso, algorithm, namespace, item, &mut seen);
                        let name =
                            join(&["element_digest.", namespace, ".", item.element_identifier]);
                        self.push(name, outcome);
                    }
                }
                if seen.is_empty() {
                    self.push(
                        "element_digests",
                        Outcome::Failed("no element is disclosed".into()),
                    );
                }
            }
        }

        // issuing_country / issuing_jurisdiction against the signer certificate.
        self.compare_with_certificate(
            "issuing_country",
            signer.as_ref().and_then(|s| s.country.as_deref()),
            &signer,
        );
        self.compare_with_certificate(
            "issuing_jurisdiction",
            signer.as_ref().and_then(|s| s.state_or_province.as_deref()),
            &signer,
        );

        // Device authentication.
        let device_key = match &mso.device_key {
            Ok(key) => {
                self.push("device_key", Outcome::Passed);
                Some(key)
            }
            Err(e) => {
                self.push("device_key", Outcome::Failed(e.to_string()));
                None
            }
        };
        let auth = match (&document.device_signed.device_auth, device_key) {
            (DeviceAuthRef::Signature(sign1), key) => {
                self.report.device_auth = Some("signature");
                match key {
                    None => Outcome::NotChecked("the MSO's device key is unusable"),
                    Some(key) => Outcome::of(verify_device_signature(sign1, key, input, document)),
                }
            }
            (DeviceAuthRef::Mac(mac), key) => {
                self.report.device_auth = Some("mac");
                match (key, input.reader_key) {
                    (None, _) => Outcome::NotChecked("the MSO's device key is unusable"),
                    (Some(_), None) => Outcome::Failed(
                        "deviceMac needs the reader's ephemeral private key to check".into(),
                    ),
                    (Some(key), Some(reader)) => {
                        Outcome::of(verify_device_mac(mac, key, reader, input, document))
                    }
                }
            }
        };
        self.push("device_authentication", auth);

        // Status: made by `PendingReport::finish`.
        PendingStatus::Reference(
            mso.status.map(|s: StatusRef<'_>| StatusReference {
                idx: s.idx,
                uri: s.uri.to_owned(),
            }),
            signed,
        )
    }

    fn check_item<'a>(
        &mut self,
        mso: &MsoRef<'_>,
        algorithm: crate::mso::DigestAlgorithm,
        namespace: &'a str,
        item: &ItemRef<'_>,
        seen: &mut Vec<(&'a str, u64)>,
    ) -> Outcome {
        let id = item.digest_id;
        if seen.contains(&(namespace, id)) {
            return Outcome::Failed(format!("digest ID {id} is used twice"));
        }
        seen.push((namespace, id));
        let Some(expected) = mso.digest(namespace, id) else {
            return Outcome::Failed(format!("the MSO has no digest {id} in this namespace"));
        };
        if !algorithm.matches(&[item.tagged], expected) {
            return Outcome::Failed("the element's digest does not match the MSO".into());
        }
        let Ok(value) = item.element_value.to_value() else {
            return Outcome::Failed("the element's value does not decode".into());
        };
        self.report.disclosed.push(DisclosedElement {
            namespace: namespace.to_owned(),
            identifier: item.element_identifier.to_owned(),
            value,
        });
        Outcome::Passed
    }

    fn compare_with_certificate(
        &mut self,
        identifier: &'static str,
        certificate_value: Option<&str>,
        signer: &Option<SignerFacts>,
    ) {
        let disclosed = self
            .report
            .disclosed
            .iter()
            .find(|d| d.namespace == ISO_NAMESPACE && d.identifier == identifier)
            .map(|d| &d.value);
        let outcome = match (disclosed, signer) {
            (None, _) => Outcome::NotApplicable("not disclosed"),
            (Some(_), None) => Outcome::NotChecked("the signer certificate does not decode"),
            // ISO 18013-5 compares issuing_jurisdiction only with a stateOrProvinceName the
            // certificate has (auth0-lab/mdl #26); countryName is mandatory in Annex B.
            (Some(_), Some(_))
                if certificate_value.is_none() && identifier != "issuing_country" =>
            {
                Outcome::NotApplicable("the document signer certificate has no stateOrProvinceName")
            }
            (Some(Value::Text(v)), Some(_)) if Some(v.as_str()) == certificate_value => {
                Outcome::Passed
            }
            (Some(_), Some(_)) => Outcome::Failed(format!(
                "{identifier} differs from the document signer certificate's"
            )),
        };
        let name = match identifier {
            "issuing_country" => "issuing_country_matches_certificate",
            _ => "issuing_jurisdiction_matches_certificate",
        };
        self.push(name, outcome);
    }

    fn mark_rest_unchecked(&mut self, why: &'static str) {
        for name in LATER_CHECKS.iter().skip_while(|n| **n != "mso_doc_type") {
            self.push(*name, Outcome::NotChecked(why));
        }
    }
}

/// `issuerAuth`'s protected header must hold only `alg` (ES256, ES384 or ES512): strict
/// verifiers refuse anything else there (MDOC.md §5).
fn check_issuer_auth_header(header: &Header) -> Result<(), String> {
    let only_alg = header.key_id.is_empty()
        && header.content_type.is_none()
        && header.crit.is_empty()
        && header.iv.is_empty()
        && header.partial_iv.is_empty()
        && header.counter_signatures.is_empty()
        && header.rest.is_empty();
    if !only_alg {
        return Err("the protected header holds more than alg".into());
    }
    match &header.alg {
        Some(coset::Algorithm::Assigned(
            iana::Algorithm::ES256 | iana::Algorithm::ES384 | iana::Algorithm::ES512,
        )) => Ok(()),
        Some(_) => Err("the algorithm is not ES256, ES384 or ES512".into()),
        None => Err("the protected header names no algorithm".into()),
    }
}

/// The certificates of the x5chain header (unprotected, or else protected), signer first.
fn x5chain<'a>(sign1: &'a Sign1Ref<'_>) -> Option<Vec<&'a [u8]>> {
    let value = sign1
        .unprotected
        .rest
        .iter()
        .chain(sign1.protected.header.rest.iter())
        .find(|(label, _)| *label == Label::Int(X5CHAIN))
        .map(|(_, v)| v)?;
    match value {
        Value::Bytes(b) => Some(vec![b.as_slice()]),
        Value::Array(items) if !items.is_empty() => items
            .iter()
            .map(|v| v.as_bytes().map(Vec::as_slice))
            .collect(),
        _ => None,
    }
}

/// The pieces end to end, in one allocation.
fn join(parts: &[&str]) -> String {
    let mut out = String::with_capacity(parts.iter().map(|p| p.len()).sum());
    for part in parts {
        out.push_str(part);
    }
    out
}

fn verify_device_signature(
    sign1: &Sign1Ref<'_>,
    key: &PublicKey,
    input: &VerifyInput<'_>,
    document: &DocumentRef<'_>,
) -> Result<(), String> {
    let alg = &sign1.protected.header.alg;
    let expected = match key.curve() {
        Curve::P256 => iana::Algorithm::ES256,
        Curve::P384 => iana::Algorithm::ES384,
        Curve::P521 => iana::Algorithm::ES512,
    };
    if *alg != Some(coset::Algorithm::Assigned(expected)) {
        return Err("the device signature's algorithm does not fit the device key".into());
    }
    if sign1.payload.is_some() {
        return Err("the device signature's payload is not detached".into());
    }
    let payload = device_authentication_bytes(
        input.session_transcript,
        document.doc_type,
        document.device_signed.namespaces_tagged,
    );
    key.verify(
        &sig_structure(sign1.protected_bytes, &payload),
        sign1.signature,
    )
    .map_err(|_| {
        "the device signature does not verify with the MSO's device key over this session".into()
    })
}

fn verify_device_mac(
    mac: &coset::CoseMac0,
    key: &PublicKey,
    reader: &ReaderKey,
    input: &VerifyInput<'_>,
    document: &DocumentRef<'_>,
) -> Result<(), String> {
    if mac.protected.header.alg != Some(coset::Algorithm::Assigned(iana::Algorithm::HMAC_256_256)) {
        return Err("the device MAC's algorithm is not HMAC 256/256".into());
    }
    if mac.payload.is_some() {
        return Err("the device MAC's payload is not detached".into());
    }
    let mac_key = e_mac_key(reader, key, input.session_transcript).map_err(|e| e.to_string())?;
    let payload = device_authentication_bytes(
        input.session_transcript,
        document.doc_type,
        document.device_signed.namespaces_tagged,
    );
    let data = coset::mac_structure_data(
        coset::MacContext::CoseMac0,
        mac.protected.clone(),
        b"",
        &payload,
    );
    let key = aws_lc_rs::hmac::Key::new(aws_lc_rs::hmac::HMAC_SHA256, &mac_key);
    aws_lc_rs::hmac::verify(&key, &data, &mac.tag)
        .map_err(|_| "the device MAC does not verify with the key agreed for this session".into())
}

fn status(
    reference: Option<&StatusReference>,
    source: StatusSource<'_>,
    at: OffsetDateTime,
) -> (StatusFinding, Outcome) {
    let Some(reference) = reference else {
        return (
            StatusFinding::NotReferenced,
            Outcome::NotApplicable("the MSO carries no status reference"),
        );
    };
    let unknown = |reason: String| {
        (
            StatusFinding::Unknown {
                reason: reason.clone(),
            },
            Outcome::Failed(format!("unknown: {reason}")),
        )
    };
    let found = |status: CredentialStatus, list_issued_at: OffsetDateTime| {
        let outcome = match status {
            CredentialStatus::Valid => Outcome::Passed,
            other => Outcome::Failed(format!("the credential is {}", other.as_str())),
        };
        (
            StatusFinding::Found {
                status,
                list_issued_at,
            },
            outcome,
        )
    };
    let lists = match source {
        StatusSource::Registry { status: None, .. } => {
            return unknown("the registry holds no credential at this status index".into());
        }
        StatusSource::Registry {
            status: Some(status),
            as_of,
        } => return found(status, as_of),
        StatusSource::Lists(lists) => lists,
    };
    let Some(list) = lists.iter().find(|l| l.uri == reference.uri) else {
        return unknown("no status list for this credential's issuer is held".to_owned());
    };
    if !list.is_current(at) {
        return unknown(format!("the status list expired at {}", list.expires_at));
    }
    match list.list.get(reference.idx) {
        Err(e) => unknown(e.to_string()),
        Ok(status) => found(status, list.issued_at),
    }
}

/// Whether a namespace is one this platform issues (for display ordering in reports).
pub fn is_platform_namespace(namespace: &str) -> bool {
    namespace == ISO_NAMESPACE || namespace == CN_NAMESPACE
}
