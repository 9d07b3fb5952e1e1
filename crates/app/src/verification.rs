//! Online verification: what the platform's verification API and its scanner page do with a
//! presented licence (a live QR code, a share link, an ISO 18013-5 DeviceResponse), against the
//! platform's own PKI and the registry **as it is now**.
//!
//! The difference from an offline verifier (`edl verify`, [`crate::verifier_dir`]) is the status:
//! an offline verifier reads a published status list that may be up to a day old, an online one
//! reads the credential's state from the registry at the moment of the check
//! ([`Store::credential_states`] for its (region, index)), so a suspension is seen at once. Every
//! other check is the offline verifier's, with the same names (`edl_qr::QrVerifier`,
//! `edl_mdoc::Verifier`).
//!
//! The report is the offline report's JSON (`QrReport::to_json`, `VerificationReport::to_json`)
//! with `kind`, `channel`, `mode: "online"`, `status_source: "registry"` and `status.as_of` added,
//! and only the elements the verifier's purpose discloses. Decisions in
//! `docs/verification-api.md`.

use std::collections::HashMap;

use edl_domain::{CitizenId, DisplayState, FileNumber, Licence, RegionCode};
use edl_mdoc::elements::{ELEMENTS, licence_elements};
use edl_mdoc::report_json::cbor_to_json;
use edl_mdoc::verify::{StatusFinding, StatusSource as MdocStatusSource, Verifier};
use edl_mdoc::{Outcome, Portrait, Purpose, SessionTranscript};
use edl_pki::TrustAnchor;
use edl_qr::claims::FieldValue;
use edl_qr::report_json::QrReportJson;
use edl_qr::verify::TrustError;
use edl_qr::{KnownSigner, Policy, QrReport, QrVerifier, StatusSource, VerifyInput};
use edl_status_list::CredentialStatus;
use edl_store::{CredentialState, Share, Store, StoreError};
use serde_json::{Map, Value as Json, json};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::credentials::{credential_status, status_list_uri};
use crate::pki_dir::{PkiDir, PkiDirError};

/// How many credentials whose issuer signature verified the service remembers (by SHA-256 of
/// their bytes), and as many of their device keys, parsed: about 64 bytes and 560 bytes each,
/// 62 MB in all at most. A holder's wallet shows the same credential in
/// every code it re-signs for 14 days, so an online verifier that sees a holder again skips one of
/// the two ECDSA verifications (`docs/verification-api.md` has the measurement).
pub const SIGNATURE_CACHE_ENTRIES: usize = 100_000;

/// Why the service could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum VerificationSetupError {
    /// The PKI directory could not be read.
    #[error(transparent)]
    Pki(#[from] PkiDirError),
    /// A document-signer certificate was refused.
    #[error(transparent)]
    Trust(#[from] TrustError),
}

/// How the verification reached the platform (stored in the audit).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Channel {
    /// `POST /api/v1/verify` with an API key.
    Api,
    /// The scanner page of a logged-in verifier.
    Scanner,
}

impl Channel {
    /// `api` or `scanner`.
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Api => "api",
            Channel::Scanner => "scanner",
        }
    }
}

/// What was presented.
#[derive(Debug, Clone, Copy)]
pub enum Presented<'a> {
    /// The text of a live QR code (`EDL1:…`), with the challenge the verifier showed, if any.
    Qr {
        /// The text read from the code.
        text: &'a str,
        /// The challenge the code must carry.
        challenge: Option<&'a [u8]>,
    },
    /// A share link's token (32 bytes; the link holds them in hex).
    Share {
        /// The token.
        token: &'a [u8; 32],
    },
    /// An ISO 18013-5 DeviceResponse and the session transcript the verifier holds.
    DeviceResponse {
        /// The DeviceResponse bytes.
        response: &'a [u8],
        /// The session transcript.
        transcript: &'a SessionTranscript,
    },
}

impl Presented<'_> {
    /// `qr`, `share` or `device_response`.
    pub fn kind(&self) -> &'static str {
        match self {
            Presented::Qr { .. } => "qr",
            Presented::Share { .. } => "share",
            Presented::DeviceResponse { .. } => "device_response",
        }
    }
}

/// A portrait a report refers to: the verifier may fetch it from the registry (the QR code
/// carries only its digest).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PortraitRef {
    /// The licence, when known.
    pub file_number: Option<FileNumber>,
    /// The first 16 bytes of SHA-256 over the JPEG, as the code carries it.
    pub digest: [u8; 16],
}

/// The outcome of one online verification.
#[derive(Debug, Clone)]
pub struct Verified {
    /// Whether every check passed.
    pub valid: bool,
    /// The report, limited to what the purpose discloses.
    pub report: Report,
    /// The licence checked, when the presentation names it (for the audit and the holder's
    /// "who checked my licence"). A car-rental code carries neither 档案编号 nor 证号 and the store
    /// has no lookup from a status index to its licence yet: such checks are audited without it.
    pub file_number: Option<FileNumber>,
    /// The licence's region (the signer's), when known.
    pub region: Option<RegionCode>,
    /// The portrait the verifier may fetch, when the report shows its digest.
    pub portrait: Option<PortraitRef>,
}

/// An online verification's report, written as JSON when it is answered: `kind`, `channel`,
/// `mode: "online"`, `status_source: "registry"` and `requested_purpose` beside the verifier's own
/// members, the status as read from the registry, and a `portrait_url` where the platform serves
/// the portrait. A live QR code's report is kept as the verifier made it and written straight to
/// the answer ([`QrReportJson`]): no JSON tree is built on the API's busiest path.
#[derive(Debug, Clone)]
pub struct Report(Body);

#[derive(Debug, Clone)]
enum Body {
    Qr(Box<OnlineQr>),
    Json(Json),
}

#[derive(Debug, Clone)]
struct OnlineQr {
    report: QrReport,
    /// When the registry was read.
    as_of: OffsetDateTime,
    /// `kind`, `channel`, `requested_purpose`, once [`Report::online`] set them.
    online: Option<(&'static str, Channel, Purpose)>,
    portrait_url: Option<String>,
}

impl Report {
    /// The report as a JSON tree (for tests and callers that edit it).
    pub fn to_json(&self) -> Json {
        match &self.0 {
            Body::Json(json) => json.clone(),
            Body::Qr(_) => serde_json::to_value(self).unwrap_or(Json::Null),
        }
    }

    /// Adds `portrait_url`: where the verifier fetches the portrait the report refers to.
    pub fn set_portrait_url(&mut self, url: String) {
        match &mut self.0 {
            Body::Qr(qr) => qr.portrait_url = Some(url),
            Body::Json(json) => {
                if let Some(object) = json.as_object_mut() {
                    object.insert("portrait_url".into(), Json::String(url));
                }
            }
        }
    }

    fn online(&mut self, kind: &'static str, channel: Channel, purpose: Purpose) {
        match &mut self.0 {
            Body::Qr(qr) => qr.online = Some((kind, channel, purpose)),
            Body::Json(json) => {
                if let Some(report) = json.as_object_mut() {
                    report.insert("kind".into(), json!(kind));
                    report.insert("channel".into(), json!(channel.as_str()));
                    report.insert("mode".into(), json!("online"));
                    report.insert("status_source".into(), json!("registry"));
                    report.insert("requested_purpose".into(), json!(purpose.as_str()));
                }
            }
        }
    }
}

impl serde::Serialize for Report {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let qr = match &self.0 {
            Body::Json(json) => return json.serialize(serializer),
            Body::Qr(qr) => qr,
        };
        let mut json = QrReportJson::new(&qr.report).registry_status(qr.as_of);
        if let Some((kind, channel, purpose)) = qr.online {
            json = json
                .member("kind", kind)
                .member("channel", channel.as_str())
                .member("mode", "online")
                .member("status_source", "registry")
                .member("requested_purpose", purpose.as_str());
        }
        if let Some(url) = &qr.portrait_url {
            json = json.member("portrait_url", url);
        }
        json.serialize(serializer)
    }
}

/// The portrait the registry holds for a licence. The registry keeps no photographs yet: every
/// claim is issued with the synthetic portrait (`edl_synth::demo_portrait`), so that is what the
/// platform shows; a real registry would read the licence's photo here.
pub fn registry_portrait(_licence: Option<&FileNumber>) -> &'static [u8] {
    edl_synth::demo_portrait()
}

/// Where an online verification reads a credential's registry record (its licence and its state
/// now) from its place in a status list: any [`Store`] itself ([`Store::credential_licence`]), or
/// a reader in front of it that answers the calls arriving together with one batched read
/// ([`Store::credential_licences`]; the service's, in `edl-server`).
pub trait CredentialLookup: Sync {
    /// The licence and state of the credential at `index` of `region`'s list, read now.
    fn lookup_credential(
        &self,
        region: RegionCode,
        index: u64,
    ) -> impl Future<Output = Result<Option<(FileNumber, CredentialState)>, StoreError>> + Send;
}

impl<S: Store> CredentialLookup for S {
    fn lookup_credential(
        &self,
        region: RegionCode,
        index: u64,
    ) -> impl Future<Output = Result<Option<(FileNumber, CredentialState)>, StoreError>> + Send
    {
        self.credential_licence(region, index)
    }
}

/// The online verifier: the platform's trust material (its IACA and every document signer,
/// revoked ones with their revocation time: what the signed trust list publishes) with the signer
/// chains and credential signatures it has already checked.
#[derive(Debug)]
pub struct VerificationService {
    qr: QrVerifier,
    mdoc: Verifier,
    signers: Vec<KnownSigner>,
    regions_by_uri: HashMap<String, RegionCode>,
    policy: Policy,
}

fn instant(t: OffsetDateTime) -> Json {
    t.format(&Rfc3339).map(Json::String).unwrap_or(Json::Null)
}

fn check(name: &str, passed: Result<(), String>) -> Json {
    match passed {
        Ok(()) => json!({ "name": name, "outcome": "passed", "reason": null }),
        Err(why) => json!({ "name": name, "outcome": "failed", "reason": why }),
    }
}

fn element_by_identifier(identifier: &str) -> Option<&'static edl_mdoc::elements::Element> {
    ELEMENTS.iter().find(|e| e.identifier == identifier)
}

impl VerificationService {
    /// The verifier of the platform whose PKI is `pki`, whose status lists are published under
    /// `public_url` (the mdoc names its list by URI), with the freshness `policy` for QR codes,
    /// remembering up to `signature_cache` credentials whose issuer signature verified (0: none;
    /// [`SIGNATURE_CACHE_ENTRIES`] is the service's default).
    pub fn from_pki(
        pki: &PkiDir,
        public_url: &str,
        policy: Policy,
        signature_cache: usize,
    ) -> Result<VerificationService, VerificationSetupError> {
        let anchors: Vec<TrustAnchor> = vec![pki.anchor()?];
        let mut signers = Vec::new();
        let mut regions_by_uri = HashMap::new();
        for region in pki.regions()? {
            regions_by_uri.insert(status_list_uri(public_url, region), region);
            for s in pki.signers(region)? {
                signers.push(KnownSigner {
                    certificate: s.certificate.certificate().clone(),
                    revoked_at: s.revoked_at,
                });
            }
        }
        let qr = QrVerifier::new(anchors.clone(), signers.clone(), policy)?
            .with_signature_cache(signature_cache);
        Ok(VerificationService {
            qr,
            mdoc: Verifier::new(anchors),
            signers,
            regions_by_uri,
            policy,
        })
    }

    /// The document signers it knows, revoked ones with their time (the scanner's offline
    /// material).
    pub fn signers(&self) -> &[KnownSigner] {
        &self.signers
    }

    /// The freshness policy for QR codes.
    pub fn policy(&self) -> Policy {
        self.policy
    }

    /// Verifies `presented` for `purpose` at `at`, the status from the registry now.
    pub async fn verify<S: Store>(
        &self,
        store: &S,
        presented: Presented<'_>,
        purpose: Purpose,
        channel: Channel,
        at: OffsetDateTime,
    ) -> Result<Verified, StoreError> {
        self.verify_with(store, store, presented, purpose, channel, at)
            .await
    }

    /// [`verify`](Self::verify), reading credentials' states through `lookup` (the service's
    /// batching reader) and everything else from `store`.
    pub async fn verify_with<S: Store, L: CredentialLookup>(
        &self,
        store: &S,
        lookup: &L,
        presented: Presented<'_>,
        purpose: Purpose,
        channel: Channel,
        at: OffsetDateTime,
    ) -> Result<Verified, StoreError> {
        let mut verified = match presented {
            Presented::Qr { text, challenge } => {
                self.verify_qr(store, lookup, text, challenge, purpose, at)
                    .await?
            }
            Presented::Share { token } => verify_share(store, token, purpose, at).await?,
            Presented::DeviceResponse {
                response,
                transcript,
            } => {
                self.verify_device_response(store, lookup, response, transcript, purpose, at)
                    .await?
            }
        };
        verified.report.online(presented.kind(), channel, purpose);
        Ok(verified)
    }

    async fn verify_qr<S: Store, L: CredentialLookup>(
        &self,
        store: &S,
        lookup: &L,
        text: &str,
        challenge: Option<&[u8]>,
        purpose: Purpose,
        at: OffsetDateTime,
    ) -> Result<Verified, StoreError> {
        let allowed = [purpose];
        let pending = self.qr.begin(&VerifyInput {
            text,
            at,
            status_lists: &[],
            challenge,
            allowed_purposes: Some(&allowed),
        });
        let reference = pending.status_reference();
        let place = reference.and_then(|r| Some((RegionCode::from_u32(r.region)?, r.index)));
        // The registry's record of the credential at its place in the status list (given only once
        // the issuer signature verified): its state now and whose licence it is, in one read.
        let listed = match place {
            Some((region, index)) => lookup.lookup_credential(region, index).await?,
            None => None,
        };
        let status = listed.as_ref().map(|(_, state)| credential_status(state));
        let mut report = pending.finish(StatusSource::Registry { status, as_of: at });
        let region = report.signer_region.and_then(RegionCode::from_u32);
        // Whose licence: the registry's record of the credential, else (a code without a status
        // reference) the signed claims.
        let file_number = match (place, listed, region) {
            (Some(_), listed, _) => listed.map(|(file_number, _)| file_number),
            (None, _, Some(region)) => qr_licence(store, &report, region).await?,
            (None, _, None) => None,
        };
        // Only what the verifier's purpose discloses (a code for a wider purpose shows no more).
        report
            .fields
            .retain(|f| element_by_identifier(f.identifier).is_some_and(|e| purpose.discloses(e)));
        let portrait = match report.value("portrait") {
            Some(FieldValue::PortraitDigest(digest)) => Some(PortraitRef {
                file_number: file_number.clone(),
                digest: *digest,
            }),
            _ => None,
        };
        Ok(Verified {
            valid: report.is_valid(),
            report: Report(Body::Qr(Box::new(OnlineQr {
                report,
                as_of: at,
                online: None,
                portrait_url: None,
            }))),
            file_number,
            region,
            portrait,
        })
    }

    async fn verify_device_response<S: Store, L: CredentialLookup>(
        &self,
        store: &S,
        lookup: &L,
        response: &[u8],
        transcript: &SessionTranscript,
        purpose: Purpose,
        at: OffsetDateTime,
    ) -> Result<Verified, StoreError> {
        let pending = self.mdoc.begin(&edl_mdoc::VerifyInput {
            device_response: response,
            session_transcript: transcript,
            status_lists: &[],
            at,
            reader_key: None,
        });
        let located = pending
            .status_reference()
            .and_then(|r| Some((*self.regions_by_uri.get(&r.uri)?, r.idx)));
        let listed = match located {
            Some((region, index)) => lookup.lookup_credential(region, index).await?,
            None => None,
        };
        let status = listed.as_ref().map(|(_, state)| credential_status(state));
        let mut report = pending.finish(MdocStatusSource::Registry { status, as_of: at });
        let signed = report.outcome("issuer_signature") == Some(&Outcome::Passed);
        let region = located.map(|(region, _)| region);
        // Whose licence: only once the issuer signature verified, the registry's record of the
        // credential, else the signed elements.
        let file_number = match (signed, located) {
            (true, Some((list_region, _))) => match listed.map(|(file_number, _)| file_number) {
                Some(n) => Some(n),
                None => {
                    let text = |ns: &str, id: &str| {
                        report
                            .value(ns, id)
                            .and_then(|v| v.as_text())
                            .map(str::to_owned)
                    };
                    licence_of(
                        store,
                        text(edl_mdoc::CN_NAMESPACE, "file_number").as_deref(),
                        text(edl_mdoc::ISO_NAMESPACE, "document_number").as_deref(),
                        list_region,
                    )
                    .await?
                }
            },
            _ => None,
        };
        let withheld: Vec<String> = report
            .disclosed
            .iter()
            .filter(|d| !purpose.allows(&d.namespace, &d.identifier))
            .map(|d| format!("{}.{}", d.namespace, d.identifier))
            .collect();
        report
            .disclosed
            .retain(|d| purpose.allows(&d.namespace, &d.identifier));
        let valid = report.is_valid();
        let mut json = report.to_json();
        registry_status_json(&mut json, &report.status, at);
        if let Some(object) = json.as_object_mut() {
            object.insert("withheld".into(), json!(withheld));
        }
        Ok(Verified {
            valid,
            report: Report(Body::Json(json)),
            file_number,
            region,
            portrait: None,
        })
    }
}

/// Rewrites the report's `status` for a registry lookup: `{state, as_of}` (no list, no age).
fn registry_status_json(json: &mut Json, status: &StatusFinding, at: OffsetDateTime) {
    if let (Some(object), StatusFinding::Found { status, .. }) = (json.as_object_mut(), status) {
        object.insert(
            "status".into(),
            json!({ "state": status.as_str(), "as_of": instant(at) }),
        );
    }
}

/// The licence a verified code names: its 档案编号 when it carries one, else the licence of its
/// 证号 in the signer's region.
async fn qr_licence<S: Store>(
    store: &S,
    report: &QrReport,
    region: RegionCode,
) -> Result<Option<FileNumber>, StoreError> {
    let file_number = match report.value("file_number") {
        Some(FieldValue::FileNumber(n)) => Some(n.as_str()),
        _ => None,
    };
    let citizen_id = match report.value("document_number") {
        Some(FieldValue::CitizenId(id)) => Some(id.as_str()),
        _ => None,
    };
    licence_of(store, file_number, citizen_id, region).await
}

async fn licence_of<S: Store>(
    store: &S,
    file_number: Option<&str>,
    citizen_id: Option<&str>,
    region: RegionCode,
) -> Result<Option<FileNumber>, StoreError> {
    if let Some(n) = file_number.and_then(|n| FileNumber::parse(n).ok()) {
        return Ok(Some(n));
    }
    let Some(id) = citizen_id.and_then(|id| CitizenId::parse(id).ok()) else {
        return Ok(None);
    };
    let mut found = store
        .licences_by_citizen_id(&id)
        .await?
        .into_iter()
        .filter(|l| l.licence.authority().region == region);
    match (found.next(), found.next()) {
        (Some(one), None) => Ok(Some(one.licence.file_number().clone())),
        _ => Ok(None),
    }
}

/// Why a share is not honoured (the share page's reasons).
fn share_refusal(share: Option<&Share>, at: OffsetDateTime) -> Vec<Json> {
    let Some(share) = share else {
        return vec![check(
            "share.known",
            Err("there is no share with this token".into()),
        )];
    };
    vec![
        check("share.known", Ok(())),
        check(
            "share.not_withdrawn",
            match share.withdrawn_at {
                Some(when) => Err(format!("the holder withdrew the share at {when}")),
                None => Ok(()),
            },
        ),
        check(
            "share.not_expired",
            if share.share.expires_at <= at {
                Err(format!("the share expired at {}", share.share.expires_at))
            } else {
                Ok(())
            },
        ),
    ]
}

/// A share link: live (known, not withdrawn, not expired), its purpose the verifier's, and the
/// licence's state in the registry now; what both purposes disclose, read from the registry now.
async fn verify_share<S: Store>(
    store: &S,
    token: &[u8; 32],
    purpose: Purpose,
    at: OffsetDateTime,
) -> Result<Verified, StoreError> {
    let hash = sha256(token);
    let share = store.share_by_token(&hash).await?;
    let mut checks = share_refusal(share.as_ref(), at);
    let live = checks.iter().all(|c| c["outcome"] == "passed");
    let Some(share) = share else {
        return Ok(not_valid_share(checks, None, None, at));
    };
    let file_number = share.share.file_number.clone();
    if !live {
        return Ok(not_valid_share(checks, Some(&share), None, at));
    }
    let Some(stored) = store.licence(&file_number).await? else {
        checks.push(check(
            "licence.known",
            Err("the registry no longer holds the shared licence".into()),
        ));
        return Ok(not_valid_share(checks, Some(&share), None, at));
    };
    let licence = stored.licence;
    let region = licence.authority().region;
    let shared_for = Purpose::parse(&share.share.purpose).ok();
    checks.push(check(
        "purpose",
        match shared_for {
            Some(p) if p == purpose => Ok(()),
            Some(p) => Err(format!(
                "the holder shared the licence for {}, not for {}",
                p.as_str(),
                purpose.as_str()
            )),
            None => Err("the share names an unknown purpose".into()),
        },
    ));
    let today = at.to_offset(crate::CHINA_STANDARD_TIME).date();
    let state = licence.display_state(today);
    checks.push(check(
        "licence.status",
        match state {
            DisplayState::BlackQr => Ok(()),
            _ => Err(format!(
                "the licence is not valid for driving ({})",
                letters_zh(&licence)
            )),
        },
    ));
    let valid = checks.iter().all(|c| c["outcome"] == "passed");
    // What both the share's purpose and the verifier's disclose.
    let portrait_bytes = registry_portrait(Some(&file_number));
    let portrait = Portrait::new(portrait_bytes.to_vec()).ok();
    let mut fields = Map::new();
    let mut labels = Map::new();
    let mut portrait_ref = None;
    if let (Some(shared_for), Some(portrait)) = (shared_for, portrait.as_ref()) {
        for (element, value) in licence_elements(&licence, portrait, today) {
            if !(shared_for.discloses(element) && purpose.discloses(element)) {
                continue;
            }
            let shown = if element.identifier == "portrait" {
                let digest = edl_qr::claims::portrait_digest(portrait_bytes);
                portrait_ref = Some(PortraitRef {
                    file_number: Some(file_number.clone()),
                    digest,
                });
                json!(hex(&digest))
            } else {
                cbor_to_json(&value)
            };
            fields.insert(element.identifier.to_owned(), shown);
            labels.insert(element.identifier.to_owned(), json!(element.label_zh));
        }
    }
    let colour = match state {
        DisplayState::BlackQr => "black",
        DisplayState::RedQr | DisplayState::Invalid => "red",
        DisplayState::NotDisplayed => "none",
    };
    let report = json!({
        "valid": valid,
        "colour": colour,
        "validated_at": instant(at),
        "purpose": share.share.purpose,
        "share": { "created_at": instant(share.share.created_at), "expires_at": instant(share.share.expires_at) },
        "status": {
            "state": credential_status_of(&licence, today).as_str(),
            "as_of": instant(at),
        },
        "signer": null,
        "fields": fields,
        "labels": labels,
        "checks": checks,
    });
    Ok(Verified {
        valid,
        report: Report(Body::Json(report)),
        file_number: Some(file_number),
        region: Some(region),
        portrait: portrait_ref,
    })
}

fn credential_status_of(licence: &Licence, today: time::Date) -> CredentialStatus {
    match licence.display_state(today) {
        DisplayState::BlackQr => CredentialStatus::Valid,
        DisplayState::RedQr => CredentialStatus::Suspended,
        DisplayState::Invalid | DisplayState::NotDisplayed => CredentialStatus::Invalid,
    }
}

fn letters_zh(licence: &Licence) -> String {
    let status = licence.status();
    if status.is_empty() {
        return "逾期".to_owned();
    }
    status
        .iter()
        .map(|l| l.name_zh())
        .collect::<Vec<_>>()
        .join("、")
}

fn not_valid_share(
    checks: Vec<Json>,
    share: Option<&Share>,
    region: Option<RegionCode>,
    at: OffsetDateTime,
) -> Verified {
    let report = json!({
        "valid": false,
        "colour": "none",
        "validated_at": instant(at),
        "purpose": share.map(|s| s.share.purpose.clone()),
        "share": share.map(|s| json!({ "created_at": instant(s.share.created_at), "expires_at": instant(s.share.expires_at) })),
        "status": { "state": "not_checked" },
        "signer": null,
        "fields": {},
        "labels": {},
        "checks": checks,
    });
    Verified {
        valid: false,
        report: Report(Body::Json(report)),
        file_number: share.map(|s| s.share.file_number.clone()),
        region,
        portrait: None,
    }
}

/// SHA-256.
pub fn sha256(bytes: &[u8]) -> [u8; 32] {
    let mut out = [0u8; 32];
    out.copy_from_slice(aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, bytes).as_ref());
    out
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
