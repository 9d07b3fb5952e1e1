//! Credentials: issuing a licence's mdoc to a holder's device (recording it with its status-list
//! index) and building and publishing each issuer's status list from the registry.

use std::fs;
use std::path::{Path, PathBuf};

use edl_domain::{ClaimRefusal, DisplayState, FileNumber, Licence, RegionCode, StatusSet};
use edl_mdoc::issue::{IssueRequest, prepare, validity_window};
use edl_mdoc::purpose::PURPOSES;
use edl_mdoc::{IssuerSigned, Portrait, StatusReference};
use edl_pki::{Passphrase, PublicKey, Signer};
use edl_qr::claims::portrait_digest;
use edl_qr::{CompactCredential, CredentialRequest};
use edl_status_list::{CredentialStatus, StatusList, StatusListToken, verify_token};
use edl_store::{CredentialRecord, CredentialState, NewCredential, Store, StoreError};
use time::{Duration, OffsetDateTime};

use crate::clock::CHINA_STANDARD_TIME;
use crate::pki_dir::{OpenedSigners, PkiDir, PkiDirError};

/// The public base URL status lists are published under when none is configured.
pub const DEFAULT_PUBLIC_URL: &str = "https://edl.example.cn";
/// Bits per credential in a status list: valid, invalid, suspended.
pub const STATUS_BITS: u8 = 2;
/// How long a published status list speaks for (`exp` − `iat`): 24 hours.
pub const STATUS_LIST_VALIDITY: Duration = Duration::hours(24);
/// How long a verifier may cache a status list before fetching it again (`ttl`): 15 minutes.
pub const STATUS_LIST_TTL_SECONDS: u64 = 15 * 60;
/// Credentials read from the registry per page when a list is built.
const PAGE: u32 = 100_000;

/// Where the status list of `region` is published.
pub fn status_list_uri(public_url: &str, region: RegionCode) -> String {
    format!("{}/status/{region}.cwt", public_url.trim_end_matches('/'))
}

/// Why a credential was not issued or a list not built.
#[derive(Debug, thiserror::Error)]
pub enum CredentialError {
    /// The registry holds no such licence.
    #[error("no licence with this file number")]
    UnknownLicence,
    /// The licence may not be claimed now.
    #[error(transparent)]
    Refused(#[from] ClaimRefusal),
    /// The registry failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The PKI directory failed (no signer for the region, wrong passphrase …).
    #[error(transparent)]
    Pki(#[from] PkiDirError),
    /// The credential could not be made.
    #[error(transparent)]
    Issue(#[from] edl_mdoc::IssueError),
    /// A compact (QR) credential could not be made.
    #[error(transparent)]
    IssueCompact(#[from] edl_qr::credential::IssueError),
    /// The status list could not be made or signed.
    #[error("status list: {0}")]
    StatusList(String),
    /// A file could not be written.
    #[error("{path}: cannot {operation}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// What was being done.
        operation: &'static str,
        /// Why.
        #[source]
        source: std::io::Error,
    },
}

/// What the platform needs to issue: the PKI and its passphrase, and where lists are published.
#[derive(Debug)]
pub struct Issuer<'a> {
    /// The PKI directory.
    pub pki: &'a PkiDir,
    /// Its passphrase.
    pub passphrase: &'a Passphrase,
    /// The public base URL (status list URIs derive from it).
    pub public_url: &'a str,
    /// Keys already opened (a long-running service); `None` opens the key file each time.
    pub opened: Option<&'a OpenedSigners>,
}

impl Issuer<'_> {
    fn signer_for(
        &self,
        region: RegionCode,
        now: OffsetDateTime,
        validity: Duration,
    ) -> Result<
        (
            edl_pki::DocumentSignerCertificate,
            std::sync::Arc<edl_pki::FileSigner>,
        ),
        PkiDirError,
    > {
        match self.opened {
            Some(opened) => opened.signer_for(region, now, validity),
            None => self.pki.signer_for(region, self.passphrase, now, validity),
        }
    }
}

/// An issued credential and its record.
#[derive(Debug)]
pub struct Issued {
    /// The IssuerSigned the wallet keeps.
    pub issuer_signed: IssuerSigned,
    /// The compact credentials for the QR code, one per purpose, issued beside the mdoc with the
    /// same validity window and status index.
    pub compact: Vec<CompactCredential>,
    /// The registry's record (status index …).
    pub record: CredentialRecord,
}

/// The hex key identifier the registry keeps for a device key.
pub fn device_key_id(key: &PublicKey) -> String {
    key.key_identifier().to_string()
}

/// Claims the licence `file_number` for a device: checks the claim rules (status, validity,
/// rollout), records the credential to allocate its status index, signs the mdoc.
pub async fn claim<S: Store>(
    store: &S,
    issuer: &Issuer<'_>,
    file_number: &FileNumber,
    device_key: &PublicKey,
    portrait: &Portrait,
    now: OffsetDateTime,
) -> Result<Issued, CredentialError> {
    let stored = store
        .licence(file_number)
        .await?
        .ok_or(CredentialError::UnknownLicence)?;
    let today = now.to_offset(CHINA_STANDARD_TIME).date();
    let schedule = store.rollout().await?;
    stored.licence.claim_eligibility_with(today, &schedule)?;
    issue_for(store, issuer, &stored.licence, device_key, portrait, now).await
}

/// Issues a fresh credential for a licence already claimed (the wallet's refresh): no rollout or
/// status rule beyond what the mdoc itself refuses (a withdrawn or invalid licence).
pub async fn issue_for<S: Store>(
    store: &S,
    issuer: &Issuer<'_>,
    licence: &Licence,
    device_key: &PublicKey,
    portrait: &Portrait,
    now: OffsetDateTime,
) -> Result<Issued, CredentialError> {
    let region = licence.authority().region;
    let (certificate, key) =
        issuer.signer_for(region, now, edl_mdoc::issue::CREDENTIAL_LIFETIME)?;
    let window = validity_window(licence, now, certificate.not_after());
    let uri = status_list_uri(issuer.public_url, region);
    // Check everything the mdoc checks before an index is spent.
    let probe = IssueRequest {
        device_key,
        portrait,
        signed_at: now,
        status: Some(StatusReference {
            idx: 0,
            uri: uri.clone(),
        }),
        signer_certificate: certificate.certificate(),
        signer_not_before: certificate.not_before(),
        signer_not_after: certificate.not_after(),
    };
    prepare(licence, &probe)?;
    let record = store
        .insert_credential(&NewCredential {
            file_number: licence.file_number().clone(),
            region,
            edition: licence.edition(),
            device_key_id: device_key_id(device_key),
            issued_at: window.signed,
            valid_until: window.valid_until,
        })
        .await?;
    let request = IssueRequest {
        status: Some(StatusReference {
            idx: record.status_index,
            uri,
        }),
        ..probe
    };
    let prepared = prepare(licence, &request)?;
    let signature = key
        .sign(prepared.signature_payload())
        .map_err(edl_mdoc::IssueError::from)?;
    let digest = portrait_digest(portrait.as_bytes());
    let compact = PURPOSES
        .into_iter()
        .map(|purpose| {
            edl_qr::issue(
                licence,
                &CredentialRequest {
                    purpose,
                    device_key,
                    portrait_digest: &digest,
                    valid_from: window.valid_from,
                    valid_until: window.valid_until,
                    status_index: Some(record.status_index),
                    signer_certificate: certificate.certificate(),
                    signer_not_before: certificate.not_before(),
                    signer_not_after: certificate.not_after(),
                },
                &*key,
            )
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Issued {
        issuer_signed: prepared.complete(signature)?,
        compact,
        record,
    })
}

/// The status a credential has in its list.
pub fn credential_status(state: &CredentialState) -> CredentialStatus {
    if state.withdrawn || state.superseded {
        return CredentialStatus::Invalid;
    }
    status_of_letters(state.licence_status)
}

/// The list value for a licence's status letters: black → valid, red → suspended, the rest
/// (invalid, no longer displayed) → invalid.
pub fn status_of_letters(status: StatusSet) -> CredentialStatus {
    match status.display_state() {
        DisplayState::BlackQr => CredentialStatus::Valid,
        DisplayState::RedQr => CredentialStatus::Suspended,
        DisplayState::Invalid | DisplayState::NotDisplayed => CredentialStatus::Invalid,
    }
}

/// Builds the status list of `region` from the registry, page by page.
pub async fn build_status_list<S: Store>(
    store: &S,
    region: RegionCode,
) -> Result<StatusList, CredentialError> {
    let len = store.status_list_len(region).await?;
    let mut list = StatusList::new(STATUS_BITS, len.max(1))
        .map_err(|e| CredentialError::StatusList(e.to_string()))?;
    let mut from = 0;
    loop {
        let page = store.credential_states(region, from, PAGE).await?;
        let Some(last) = page.last() else { break };
        from = last.status_index + 1;
        for state in &page {
            let status = credential_status(state);
            if status != CredentialStatus::Valid {
                list.set(state.status_index, status)
                    .map_err(|e| CredentialError::StatusList(e.to_string()))?;
            }
        }
    }
    Ok(list)
}

/// Builds and signs the status list of `region` as a CWT.
pub async fn sign_status_list<S: Store>(
    store: &S,
    issuer: &Issuer<'_>,
    region: RegionCode,
    now: OffsetDateTime,
) -> Result<Vec<u8>, CredentialError> {
    let list = build_status_list(store, region).await?;
    sign_built_status_list(issuer, region, list, now)
}

/// Signs a status list of `region` already built with [`build_status_list`] as a CWT.
pub fn sign_built_status_list(
    issuer: &Issuer<'_>,
    region: RegionCode,
    list: StatusList,
    now: OffsetDateTime,
) -> Result<Vec<u8>, CredentialError> {
    let (certificate, key) = issuer.signer_for(region, now, STATUS_LIST_VALIDITY)?;
    StatusListToken {
        uri: status_list_uri(issuer.public_url, region),
        issued_at: now,
        expires_at: now + STATUS_LIST_VALIDITY,
        ttl_seconds: STATUS_LIST_TTL_SECONDS,
        list,
    }
    .sign(certificate.certificate(), &*key)
    .map_err(|e| CredentialError::StatusList(e.to_string()))
}

/// What `publish` did for one region.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Publication {
    /// A new list was written.
    Written {
        /// The region.
        region: RegionCode,
        /// The file.
        path: PathBuf,
        /// Why: `changed`, `new` or `expiring`.
        why: &'static str,
    },
    /// The published list is current: nothing changed since and it is far from expiry.
    Unchanged {
        /// The region.
        region: RegionCode,
    },
}

/// Writes `bytes` to `path` atomically (a temporary file renamed over it), so a CDN or a
/// verifier never reads half a list.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), CredentialError> {
    let tmp = path.with_extension("tmp");
    let io = |operation, source| CredentialError::Io {
        path: path.to_owned(),
        operation,
        source,
    };
    fs::write(&tmp, bytes).map_err(|e| io("write", e))?;
    fs::rename(&tmp, path).map_err(|e| io("rename", e))
}

/// Publishes the status list of every region that has a document signer into `out`
/// (`<region>.cwt`): a region whose registry history changed since its published list was
/// issued, that has no list yet, or whose list expires within half its validity gets a new one.
pub async fn publish_status_lists<S: Store>(
    store: &S,
    issuer: &Issuer<'_>,
    out: &Path,
    now: OffsetDateTime,
) -> Result<Vec<Publication>, CredentialError> {
    fs::create_dir_all(out).map_err(|source| CredentialError::Io {
        path: out.to_owned(),
        operation: "create directory",
        source,
    })?;
    let anchor = issuer.pki.anchor()?;
    let mut done = Vec::new();
    for region in issuer.pki.regions()? {
        let path = out.join(format!("{region}.cwt"));
        let why = match fs::read(&path) {
            Err(_) => Some("new"),
            Ok(bytes) => match verify_token(&bytes, std::slice::from_ref(&anchor), now, None) {
                Err(_) => Some("new"),
                Ok(published) => {
                    let changed = store
                        .last_status_change(region)
                        .await?
                        .is_some_and(|at| at >= published.issued_at);
                    if changed {
                        Some("changed")
                    } else if published.expires_at - now < STATUS_LIST_VALIDITY / 2 {
                        Some("expiring")
                    } else {
                        None
                    }
                }
            },
        };
        match why {
            None => done.push(Publication::Unchanged { region }),
            Some(why) => {
                let token = sign_status_list(store, issuer, region, now).await?;
                write_atomically(&path, &token)?;
                done.push(Publication::Written { region, path, why });
            }
        }
    }
    Ok(done)
}

/// The credentials of a licence (for listing devices).
pub async fn credentials_of<S: Store>(
    store: &S,
    file_number: &FileNumber,
) -> Result<Vec<CredentialRecord>, CredentialError> {
    Ok(store.credentials(file_number).await?)
}
