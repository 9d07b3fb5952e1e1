//! Offline verification of an EDL1 code: one function from the text, the trust material (IACAs
//! and document-signer certificates from the trust list), the status lists held, the validation
//! time and the verifier's policy to a report that lists every check with its own outcome.
//!
//! An online verifier (the platform's verification API) knows the registry's state of a
//! credential rather than a published list: it verifies in two steps, [`QrVerifier::begin`] (every
//! check but the status, and the [`StatusReference`] to look up) and [`PendingReport::finish`]
//! with [`StatusSource::Registry`]. [`QrVerifier::verify`] is both steps with the status lists held.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use aws_lc_rs::signature::ParsedPublicKey;
use edl_domain::{DisplayState, StatusSet};
use edl_mdoc::verify::{CheckResult, StatusFinding};
use edl_mdoc::{Outcome, Purpose};
use edl_pki::{
    CertificateDer, CertificateError, ChainReport, DocumentSignerCertificate, SignerFacts,
    TrustAnchor, validate_document_signer,
};
use edl_status_list::{CredentialStatus, VerifiedStatusList};
use time::{Duration, OffsetDateTime};

use crate::claims::{FieldValue, label_zh, purpose_code};
use crate::credential::{Claims, CredentialRef, KID_LEN, sig_structure, signer_kid};
use crate::presentation::{PresentationRef, holder_signed_bytes, read_payload, text_payload};

/// How strict the verifier is about time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Policy {
    /// The oldest code accepted (its age at the validation time).
    pub freshness: Duration,
    /// How far in the future a code may be dated (the two clocks differ).
    pub future_skew: Duration,
}

impl Policy {
    /// Five minutes old at most, one minute in the future at most (`docs/qr-format.md`).
    pub const DEFAULT: Policy = Policy {
        freshness: Duration::minutes(5),
        future_skew: Duration::minutes(1),
    };
}

impl Default for Policy {
    fn default() -> Policy {
        Policy::DEFAULT
    }
}

/// A document signer the verifier knows, as the trust list lists it.
#[derive(Debug, Clone)]
pub struct KnownSigner {
    /// The certificate.
    pub certificate: CertificateDer,
    /// When the platform revoked it, if it did: codes it signed are refused from then on.
    pub revoked_at: Option<OffsetDateTime>,
}

#[derive(Debug)]
struct Signer {
    kid: [u8; KID_LEN],
    parsed: DocumentSignerCertificate,
    revoked_at: Option<OffsetDateTime>,
}

#[derive(Debug, Clone)]
struct CachedChain {
    report: Arc<ChainReport>,
    from: OffsetDateTime,
    until: OffsetDateTime,
}

/// A bounded map that keeps what is used: two generations of at most `half` entries each, the
/// older dropped whole when the newer fills, an entry found in the older moved to the newer.
#[derive(Debug)]
struct Generations<K, V> {
    half: usize,
    young: HashMap<K, V>,
    old: HashMap<K, V>,
}

impl<K: std::hash::Hash + Eq + Copy, V: Clone> Generations<K, V> {
    fn new(capacity: usize) -> Generations<K, V> {
        Generations {
            half: capacity.div_ceil(2),
            young: HashMap::new(),
            old: HashMap::new(),
        }
    }

    fn get(&mut self, key: &K) -> Option<V> {
        if let Some(hit) = self.young.get(key) {
            return Some(hit.clone());
        }
        let hit = self.old.remove(key)?;
        self.insert(*key, hit.clone());
        Some(hit)
    }

    fn insert(&mut self, key: K, value: V) {
        if self.young.len() >= self.half {
            self.old = std::mem::take(&mut self.young);
        }
        self.young.insert(key, value);
    }
}

/// Credentials whose issuer signature verified, by SHA-256 of their bytes, with the signer that
/// verified them.
type SignatureCache = Generations<[u8; 32], u32>;

/// Device keys of credentials whose issuer signature verified, parsed: by their compressed form
/// (decompressing one is a modular square root, a fifth of the cost of the signature check).
type DeviceKeyCache = Generations<[u8; 33], Arc<ParsedPublicKey>>;

/// A verifier holding its trust material and a cache of signer chains already judged.
#[derive(Debug)]
pub struct QrVerifier {
    anchors: Vec<TrustAnchor>,
    signers: Vec<Signer>,
    chains: Mutex<Vec<Option<CachedChain>>>,
    signatures: Option<Mutex<SignatureCache>>,
    device_keys: Option<Mutex<DeviceKeyCache>>,
    policy: Policy,
}

/// Where the status of a credential comes from.
#[derive(Debug, Clone, Copy)]
pub enum StatusSource<'a> {
    /// The verified status lists the verifier holds (an offline verifier; what
    /// [`QrVerifier::verify`] uses): the list of the signer's region, if held and current.
    Lists(&'a [VerifiedStatusList]),
    /// The registry's state of the credential, looked up now by an online verifier for the code's
    /// [`StatusReference`]: `None` when the registry holds no credential at that index (reported
    /// as unknown, never as valid). `as_of` is when it was read; the report shows it where an
    /// offline report shows the list's issue time.
    Registry {
        /// The credential's state.
        status: Option<CredentialStatus>,
        /// When it was read.
        as_of: OffsetDateTime,
    },
}

/// Where a credential's status lives: its index in the status list of its signer's region.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StatusReference {
    /// The region (GB/T 2260) of the document signer that signed the credential.
    pub region: u32,
    /// The credential's index in that region's status list.
    pub index: u64,
}

/// What a verification needs besides the verifier's trust material.
#[derive(Debug, Clone, Copy)]
pub struct VerifyInput<'a> {
    /// The text read from the QR code.
    pub text: &'a str,
    /// The validation time (never read from a clock here).
    pub at: OffsetDateTime,
    /// Verified status lists the verifier holds.
    pub status_lists: &'a [VerifiedStatusList],
    /// The challenge the verifier showed, if it showed one: the code must carry it.
    pub challenge: Option<&'a [u8]>,
    /// The purposes the verifier may verify for, if it is limited.
    pub allowed_purposes: Option<&'a [Purpose]>,
}

/// The colour a checker sees.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Colour {
    /// 正常: black.
    Black,
    /// Shown but not valid for driving: red.
    Red,
    /// Nothing to show: the licence is no longer displayed or could not be read.
    None,
}

impl Colour {
    /// `black`, `red` or `none`.
    pub fn as_str(self) -> &'static str {
        match self {
            Colour::Black => "black",
            Colour::Red => "red",
            Colour::None => "none",
        }
    }
}

/// A carried field, for display.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShownField {
    /// The mdoc element identifier.
    pub identifier: &'static str,
    /// Its label on the card.
    pub label_zh: &'static str,
    /// Its value.
    pub value: FieldValue,
}

impl ShownField {
    /// The value as the card shows it: 中国 rather than CHN, 正常 rather than A.
    pub fn display(&self) -> String {
        match (self.identifier, &self.value) {
            ("nationality", FieldValue::Text(code)) => edl_domain::Nationality::parse(code)
                .ok()
                .and_then(|n| n.name_zh())
                .map_or_else(|| code.clone(), str::to_owned),
            ("status_letters", FieldValue::Text(letters)) => match StatusSet::parse(letters) {
                Ok(set) if set.is_empty() => "正常".to_owned(),
                Ok(set) => set
                    .iter()
                    .map(|l| l.name_zh())
                    .collect::<Vec<_>>()
                    .join("、"),
                Err(_) => letters.clone(),
            },
            (_, value) => value.display(),
        }
    }
}

/// The verifier's report.
#[derive(Debug, Clone, PartialEq)]
pub struct QrReport {
    /// Every check in a fixed order.
    pub checks: Vec<CheckResult>,
    /// The validation time.
    pub validated_at: OffsetDateTime,
    /// 生成时间, when the code decoded.
    pub generated_at: Option<OffsetDateTime>,
    /// The purpose the credential was issued for.
    pub purpose: Option<Purpose>,
    /// The credential's validity window.
    pub valid_from: Option<OffsetDateTime>,
    /// The credential's validity window.
    pub valid_until: Option<OffsetDateTime>,
    /// The fields, when the issuer's signature verified (never shown otherwise).
    pub fields: Vec<ShownField>,
    /// The status found.
    pub status: StatusFinding,
    /// Black, red or nothing.
    pub colour: Colour,
    /// The signer certificate's facts, when it is known and decodes.
    pub signer: Option<SignerFacts>,
    /// The signer's region (GB/T 2260), when known.
    pub signer_region: Option<u32>,
}

impl QrReport {
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

    /// The age of the code at the validation time (negative when dated in the future).
    pub fn age(&self) -> Option<Duration> {
        self.generated_at.map(|g| self.validated_at - g)
    }

    /// The value of a carried field.
    pub fn value(&self, identifier: &str) -> Option<&FieldValue> {
        self.fields
            .iter()
            .find(|f| f.identifier == identifier)
            .map(|f| &f.value)
    }
}

/// The most signer certificates a verifier holds (a few per issuing authority).
const MAX_SIGNERS: usize = 65_536;

/// Why trust material was refused.
#[derive(Debug, thiserror::Error)]
pub enum TrustError {
    /// A listed signer certificate does not parse.
    #[error("document signer certificate {index} does not parse: {source}")]
    Signer {
        /// Its position in the list.
        index: usize,
        /// Why.
        #[source]
        source: CertificateError,
    },
    /// More signers than [`MAX_SIGNERS`].
    #[error("{0} document signers listed, more than the {MAX_SIGNERS} accepted")]
    TooMany(usize),
}

impl QrVerifier {
    /// A verifier trusting `anchors` and knowing `signers`.
    pub fn new(
        anchors: Vec<TrustAnchor>,
        signers: Vec<KnownSigner>,
        policy: Policy,
    ) -> Result<QrVerifier, TrustError> {
        if signers.len() > MAX_SIGNERS {
            return Err(TrustError::TooMany(signers.len()));
        }
        let signers = signers
            .into_iter()
            .enumerate()
            .map(|(index, s)| {
                Ok(Signer {
                    kid: signer_kid(&s.certificate),
                    parsed: DocumentSignerCertificate::parse(s.certificate)
                        .map_err(|source| TrustError::Signer { index, source })?,
                    revoked_at: s.revoked_at,
                })
            })
            .collect::<Result<Vec<_>, TrustError>>()?;
        let chains = Mutex::new(vec![None; signers.len()]);
        Ok(QrVerifier {
            anchors,
            signers,
            chains,
            signatures: None,
            device_keys: None,
            policy,
        })
    }

    /// Remembers up to `capacity` credentials whose issuer signature verified (by SHA-256 of their
    /// bytes), so a credential seen again costs a hash instead of an ECDSA verification, and as
    /// many of their device keys, parsed, so its device signature is checked without first
    /// decompressing the key. For an online verifier, which sees the same holder's credential in
    /// every code its wallet re-signs; the other checks (revocation, chain, claims, the device
    /// signature itself …) still run every time. `0` turns the caches off (the default).
    pub fn with_signature_cache(mut self, capacity: usize) -> QrVerifier {
        self.signatures = (capacity > 0).then(|| Mutex::new(Generations::new(capacity)));
        self.device_keys = (capacity > 0).then(|| Mutex::new(Generations::new(capacity)));
        self
    }

    /// The device key a verified credential names, from the cache when it is on.
    fn device_key(&self, compressed: &[u8; 33]) -> Option<Arc<ParsedPublicKey>> {
        let Some(cache) = &self.device_keys else {
            return device_key(compressed).map(Arc::new);
        };
        if let Ok(mut cache) = cache.lock()
            && let Some(hit) = cache.get(compressed)
        {
            return Some(hit);
        }
        let key = Arc::new(device_key(compressed)?);
        if let Ok(mut cache) = cache.lock() {
            cache.insert(*compressed, Arc::clone(&key));
        }
        Some(key)
    }

    /// The policy.
    pub fn policy(&self) -> Policy {
        self.policy
    }

    fn chain_report(&self, index: usize, at: OffsetDateTime) -> Arc<ChainReport> {
        if let Ok(cache) = self.chains.lock()
            && let Some(Some(hit)) = cache.get(index)
            && hit.from <= at
            && at <= hit.until
        {
            return Arc::clone(&hit.report);
        }
        let certificate = self.signers[index].parsed.certificate().clone();
        let report = Arc::new(validate_document_signer(&[certificate], &self.anchors, at));
        if report.is_valid()
            && let (Some(signer), Some(iaca)) = (report.signer(), report.trusted_iaca())
            && let Some(anchor) = self.anchors.get(iaca)
            && let Ok(mut cache) = self.chains.lock()
            && let Some(slot) = cache.get_mut(index)
        {
            *slot = Some(CachedChain {
                report: Arc::clone(&report),
                from: signer.not_before.max(anchor.not_before()),
                until: signer.not_after.min(anchor.not_after()),
            });
        }
        report
    }

    /// The signer among `candidates` whose key verifies the credential's issuer signature.
    fn issuer_signer(
        &self,
        credential: &[u8],
        parsed: &CredentialRef<'_>,
        candidates: &[usize],
    ) -> Option<usize> {
        let key = self.signatures.as_ref().map(|_| {
            let mut key = [0u8; 32];
            key.copy_from_slice(
                aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, credential).as_ref(),
            );
            key
        });
        if let (Some(cache), Some(key)) = (&self.signatures, &key)
            && let Ok(mut cache) = cache.lock()
            && let Some(hit) = cache.get(key)
            && candidates.contains(&(hit as usize))
        {
            return Some(hit as usize);
        }
        let to_verify = sig_structure(parsed.payload);
        let found = candidates.iter().copied().find(|&i| {
            self.signers[i]
                .parsed
                .public_key()
                .verify(&to_verify, parsed.signature)
                .is_ok()
        });
        if let (Some(cache), Some(key), Some(found)) = (&self.signatures, key, found)
            && let Ok(mut cache) = cache.lock()
            && let Ok(index) = u32::try_from(found)
        {
            cache.insert(key, index);
        }
        found
    }

    /// Verifies a code against the status lists of `input`. Never panics, never stops at the
    /// first failure.
    pub fn verify(&self, input: &VerifyInput<'_>) -> QrReport {
        self.begin(input)
            .finish(StatusSource::Lists(input.status_lists))
    }

    /// Runs every check but the status (`input.status_lists` is not read): the caller learns
    /// where the status lives ([`PendingReport::status_reference`]), looks it up and
    /// [finishes](PendingReport::finish) the report.
    pub fn begin(&self, input: &VerifyInput<'_>) -> PendingReport<'_> {
        let mut run = Run {
            checks: Vec::with_capacity(48),
            report: QrReport {
                checks: Vec::new(),
                validated_at: input.at,
                generated_at: None,
                purpose: None,
                valid_from: None,
                valid_until: None,
                fields: Vec::new(),
                status: StatusFinding::NotReferenced,
                colour: Colour::None,
                signer: None,
                signer_region: None,
            },
        };
        let rest = run.verify(self, input);
        PendingReport {
            verifier: self,
            run,
            rest,
        }
    }
}

/// What the status and colour still need once the other checks ran.
#[derive(Debug)]
struct Rest {
    status_index: Option<u64>,
    letters: Option<StatusSet>,
}

/// A verification whose status check is still to be made (see [`QrVerifier::begin`]).
#[derive(Debug)]
pub struct PendingReport<'v> {
    verifier: &'v QrVerifier,
    run: Run,
    /// `None` when an earlier failure already marked the status not checked.
    rest: Option<Rest>,
}

impl PendingReport<'_> {
    /// Where the credential's status lives: known only when the issuer's signature verified and
    /// the claims were read (an unsigned index is never looked up), the credential carries an
    /// index and its signer certificate names a region.
    pub fn status_reference(&self) -> Option<StatusReference> {
        let rest = self.rest.as_ref()?;
        Some(StatusReference {
            region: self.run.report.signer_region?,
            index: rest.status_index?,
        })
    }

    /// The report so far (every check but `status` and `licence.status_letters`).
    pub fn partial(&self) -> &QrReport {
        &self.run.report
    }

    /// Makes the status check from `source`, then the status letters and the colour.
    pub fn finish(self, source: StatusSource<'_>) -> QrReport {
        let PendingReport {
            verifier,
            mut run,
            rest,
        } = self;
        if let Some(rest) = rest {
            run.finish(verifier, &rest, source);
        }
        let mut report = run.report;
        report.checks = run.checks;
        report
    }
}

#[derive(Debug)]
struct Run {
    checks: Vec<CheckResult>,
    report: QrReport,
}

/// The names of the checks after the format, in order, for marking them not checked.
const AFTER_FORMAT: [&str; 12] = [
    "credential.structure",
    "issuer.signer_known",
    "issuer.signer_not_revoked",
    "issuer.certificate_chain",
    "issuer.signature",
    "credential.claims",
    "credential.validity",
    "device.signature",
    "freshness",
    "challenge",
    "purpose",
    "status",
];

impl Run {
    fn push(&mut self, name: impl Into<String>, outcome: Outcome) {
        self.checks.push(CheckResult {
            name: name.into(),
            outcome,
        });
    }

    fn rest_not_checked(&mut self, from: usize, why: &'static str) {
        for name in &AFTER_FORMAT[from..] {
            self.push(*name, Outcome::NotChecked(why));
        }
        self.push("licence.status_letters", Outcome::NotChecked(why));
    }

    fn verify(&mut self, verifier: &QrVerifier, input: &VerifyInput<'_>) -> Option<Rest> {
        // The payload is read in place: the presentation and the credential borrow from it.
        let payload = text_payload(input.text);
        let read = match &payload {
            Ok(bytes) => read_payload(bytes),
            Err(e) => Err(e.clone()),
        };
        let presentation = match read {
            Ok(p) => {
                self.push("code.format", Outcome::Passed);
                p
            }
            Err(e) => {
                self.push("code.format", Outcome::Failed(e.to_string()));
                self.rest_not_checked(0, "the code could not be read");
                return None;
            }
        };
        self.report.generated_at = Some(presentation.generated_at);
        let parsed = match CredentialRef::parse(presentation.credential) {
            Ok(p) => {
                self.push("credential.structure", Outcome::Passed);
                p
            }
            Err(e) => {
                self.push("credential.structure", Outcome::Failed(e.to_string()));
                self.rest_not_checked(1, "the credential could not be read");
                return None;
            }
        };

        // Which signer: every known certificate with this kid is tried (kids may collide).
        let candidates: Vec<usize> = verifier
            .signers
            .iter()
            .enumerate()
            .filter(|(_, s)| s.kid == parsed.kid)
            .map(|(i, _)| i)
            .collect();
        if candidates.is_empty() {
            self.push(
                "issuer.signer_known",
                Outcome::Failed(format!(
                    "no document signer with key identifier {} is in the trust list",
                    hex(&parsed.kid)
                )),
            );
            self.rest_not_checked(2, "the signer is unknown");
            return None;
        }
        self.push("issuer.signer_known", Outcome::Passed);
        let signer = verifier.issuer_signer(presentation.credential, &parsed, &candidates);
        let chosen = signer.unwrap_or(candidates[0]);
        let known = &verifier.signers[chosen];
        self.report.signer_region = known.parsed.region().map(|r| r.as_u32());
        self.push(
            "issuer.signer_not_revoked",
            match known.revoked_at {
                Some(when) if when <= input.at => Outcome::Failed(format!(
                    "the document signer was revoked at {when}; codes it signed are no longer accepted"
                )),
                _ => Outcome::Passed,
            },
        );
        let chain = verifier.chain_report(chosen, input.at);
        self.report.signer = chain.signer().cloned();
        self.push(
            "issuer.certificate_chain",
            if chain.is_valid() {
                Outcome::Passed
            } else {
                let failed: Vec<String> = chain
                    .failures()
                    .filter(|r| matches!(r.outcome, edl_pki::Outcome::Failed(_)))
                    .map(|r| match &r.outcome {
                        edl_pki::Outcome::Failed(why) => {
                            format!("{}.{}: {why}", r.role.as_str(), r.check.as_str())
                        }
                        _ => String::new(),
                    })
                    .collect();
                Outcome::Failed(failed.join("; "))
            },
        );
        let signature_ok = signer.is_some();
        self.push(
            "issuer.signature",
            if signature_ok {
                Outcome::Passed
            } else {
                Outcome::Failed("the issuer's signature does not verify".into())
            },
        );
        if !signature_ok {
            // Unsigned claims are never read, let alone shown.
            self.rest_not_checked(5, "the issuer's signature does not verify");
            return None;
        }

        let claims = match Claims::parse(parsed.payload) {
            Ok(c) => {
                self.push("credential.claims", Outcome::Passed);
                c
            }
            Err(e) => {
                self.push("credential.claims", Outcome::Failed(e.to_string()));
                self.rest_not_checked(6, "the claims could not be read");
                return None;
            }
        };
        self.report.purpose = Some(claims.purpose);
        self.report.valid_from = Some(claims.valid_from);
        self.report.valid_until = Some(claims.valid_until);
        self.push(
            "credential.validity",
            if input.at < claims.valid_from {
                Outcome::Failed(format!(
                    "the credential is valid only from {}",
                    claims.valid_from
                ))
            } else if input.at > claims.valid_until {
                Outcome::Failed(format!(
                    "the credential expired at {}; the holder's wallet must refresh it",
                    claims.valid_until
                ))
            } else {
                Outcome::Passed
            },
        );
        self.push(
            "device.signature",
            device_signature(
                verifier.device_key(&claims.device_key).as_deref(),
                &presentation,
                &claims,
            ),
        );
        self.push(
            "freshness",
            freshness(&presentation, input.at, verifier.policy),
        );
        self.push(
            "challenge",
            match input.challenge {
                None => Outcome::NotApplicable("the verifier showed no challenge"),
                Some(expected) if expected == presentation.challenge => Outcome::Passed,
                Some(_) if presentation.challenge.is_empty() => {
                    Outcome::Failed("the code does not carry the challenge shown".into())
                }
                Some(_) => Outcome::Failed("the code carries another challenge".into()),
            },
        );
        self.push(
            "purpose",
            match input.allowed_purposes {
                None => Outcome::NotApplicable("the verifier is not limited to purposes"),
                Some(allowed) if allowed.contains(&claims.purpose) => Outcome::Passed,
                Some(_) => Outcome::Failed(format!(
                    "this verifier may not verify for the purpose {}",
                    claims.purpose.as_str()
                )),
            },
        );
        let letters = match claims.value("status_letters") {
            Some(FieldValue::Text(t)) => StatusSet::parse(t).ok(),
            _ => None,
        };
        let status_index = claims.status_index;
        self.report.fields = claims
            .elements
            .into_iter()
            .map(|(f, value)| ShownField {
                identifier: f.identifier,
                label_zh: label_zh(f),
                value,
            })
            .collect();
        Some(Rest {
            status_index,
            letters,
        })
    }

    fn finish(&mut self, verifier: &QrVerifier, rest: &Rest, source: StatusSource<'_>) {
        let (finding, outcome) = match source {
            StatusSource::Lists(lists) => status(
                rest.status_index,
                self.report.signer_region,
                verifier,
                lists,
                self.report.validated_at,
            ),
            StatusSource::Registry { status, as_of } => {
                registry_status(rest.status_index, status, as_of)
            }
        };
        self.report.status = finding;
        self.push("status", outcome);

        let letters = rest.letters;
        let shown = letters.map_or(DisplayState::BlackQr, |l| l.display_state());
        self.push(
            "licence.status_letters",
            match letters {
                None => {
                    Outcome::Failed("the status letters are not valid GA/T 16.25 letters".into())
                }
                Some(l) => match l.display_state() {
                    DisplayState::BlackQr => Outcome::Passed,
                    _ => Outcome::Failed(format!(
                        "the licence's status ({}) does not allow driving",
                        l.iter().map(|x| x.name_zh()).collect::<Vec<_>>().join("、")
                    )),
                },
            },
        );
        let listed = match &self.report.status {
            StatusFinding::Found {
                status: CredentialStatus::Suspended,
                ..
            } => DisplayState::RedQr,
            StatusFinding::Found {
                status: CredentialStatus::Invalid,
                ..
            } => DisplayState::NotDisplayed,
            _ => DisplayState::BlackQr,
        };
        self.report.colour = match shown.most_severe(listed) {
            DisplayState::BlackQr => Colour::Black,
            DisplayState::RedQr | DisplayState::Invalid => Colour::Red,
            DisplayState::NotDisplayed => Colour::None,
        };
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The holder's signature with `key`, the device key `claims` name (`None`: not on the curve).
fn device_signature(
    key: Option<&ParsedPublicKey>,
    presentation: &PresentationRef<'_>,
    claims: &Claims,
) -> Outcome {
    let Some(key) = key else {
        return Outcome::Failed("the device key is not a point on P-256".into());
    };
    let generated = u64::try_from(presentation.generated_at.unix_timestamp()).unwrap_or(0);
    let signed = holder_signed_bytes(
        presentation.credential,
        generated,
        purpose_code(claims.purpose),
        presentation.challenge,
    );
    match key.verify_sig(&signed, presentation.device_signature) {
        Ok(()) => Outcome::Passed,
        Err(_) => Outcome::Failed(
            "the device signature does not verify with the device key the credential names".into(),
        ),
    }
}

/// The device key from its compressed form; the crypto library checks that it is on the curve.
fn device_key(compressed: &[u8; 33]) -> Option<ParsedPublicKey> {
    ParsedPublicKey::new(&aws_lc_rs::signature::ECDSA_P256_SHA256_FIXED, compressed).ok()
}

fn freshness(presentation: &PresentationRef<'_>, at: OffsetDateTime, policy: Policy) -> Outcome {
    let age = at - presentation.generated_at;
    if age < -policy.future_skew {
        Outcome::Failed(format!(
            "the code is dated {} s in the future (more than the {} s allowed for clock differences)",
            -age.whole_seconds(),
            policy.future_skew.whole_seconds()
        ))
    } else if age > policy.freshness {
        Outcome::Failed(format!(
            "the code is {} s old, older than the {} s accepted: a screenshot or a replay",
            age.whole_seconds(),
            policy.freshness.whole_seconds()
        ))
    } else {
        Outcome::Passed
    }
}

fn status(
    status_index: Option<u64>,
    region: Option<u32>,
    verifier: &QrVerifier,
    status_lists: &[VerifiedStatusList],
    at: OffsetDateTime,
) -> (StatusFinding, Outcome) {
    let unknown = |reason: String| {
        (
            StatusFinding::Unknown {
                reason: reason.clone(),
            },
            Outcome::Failed(format!("unknown: {reason}")),
        )
    };
    let Some(idx) = status_index else {
        return (
            StatusFinding::NotReferenced,
            Outcome::NotApplicable("the credential carries no status index"),
        );
    };
    let Some(region) = region else {
        return unknown("the signer certificate names no region".into());
    };
    // Whose list: a signer the verifier knows is looked up (a byte comparison), any other parsed.
    let region_of = |l: &VerifiedStatusList| -> Option<u32> {
        match verifier
            .signers
            .iter()
            .find(|s| s.parsed.certificate().as_bytes() == l.signer.as_bytes())
        {
            Some(known) => known.parsed.region().map(|r| r.as_u32()),
            None => DocumentSignerCertificate::parse(l.signer.clone())
                .ok()
                .and_then(|c| c.region())
                .map(|r| r.as_u32()),
        }
    };
    let list = status_lists
        .iter()
        .filter(|l| region_of(l) == Some(region))
        .max_by_key(|l| l.issued_at);
    let Some(list) = list else {
        return unknown(format!("no status list of region {region:06} is held"));
    };
    if !list.is_current(at) {
        return unknown(format!(
            "the status list of region {region:06} expired at {}",
            list.expires_at
        ));
    }
    match list.list.get(idx) {
        Err(e) => unknown(e.to_string()),
        Ok(status) => (
            StatusFinding::Found {
                status,
                list_issued_at: list.issued_at,
            },
            match status {
                CredentialStatus::Valid => Outcome::Passed,
                other => Outcome::Failed(format!("the credential is {}", other.as_str())),
            },
        ),
    }
}

/// The status check from the registry's state of the credential (an online verifier).
fn registry_status(
    status_index: Option<u64>,
    status: Option<CredentialStatus>,
    as_of: OffsetDateTime,
) -> (StatusFinding, Outcome) {
    if status_index.is_none() {
        return (
            StatusFinding::NotReferenced,
            Outcome::NotApplicable("the credential carries no status index"),
        );
    }
    match status {
        None => {
            let reason = "the registry holds no credential at this status index".to_owned();
            (
                StatusFinding::Unknown {
                    reason: reason.clone(),
                },
                Outcome::Failed(format!("unknown: {reason}")),
            )
        }
        Some(status) => (
            StatusFinding::Found {
                status,
                list_issued_at: as_of,
            },
            match status {
                CredentialStatus::Valid => Outcome::Passed,
                other => Outcome::Failed(format!("the credential is {}", other.as_str())),
            },
        ),
    }
}
