//! An offline verifier's local copies: the trust list and the status lists it last fetched,
//! each verified before it is stored and again when it is used.
//!
//! ```text
//! DIR/iaca.pem              the national root the verifier was set up with (its trust bootstrap)
//! DIR/trust-list.cbor       the newest verified trust list (IACAs and document signers)
//! DIR/status/<region>.cwt   the newest verified status list of each issuer
//! ```
//!
//! A published directory (what the platform serves, or a copy of it) holds `trust-list.cbor` and
//! `status/<region>.cwt`; `sync` takes what is newer and valid from it.

use std::fs;
use std::path::{Path, PathBuf};

use edl_pki::{
    CertificateDer, DocumentSignerCertificate, TrustAnchor, TrustList, TrustListError,
    verify_trust_list, verify_trust_list_update,
};
use edl_qr::KnownSigner;
use edl_status_list::{VerifiedStatusList, verify_token};
use time::OffsetDateTime;

use crate::credentials::write_atomically;

/// Why a sync or a load failed.
#[derive(Debug, thiserror::Error)]
pub enum VerifierDirError {
    /// A file could not be read or written.
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
    /// The verifier has no trust bootstrap yet.
    #[error("{0} is not set up; run `edl verifier sync --trust IACA.pem` once")]
    NotSetUp(PathBuf),
    /// The bootstrap certificate is not a usable IACA.
    #[error("{path}: not a usable IACA certificate: {reason}")]
    Bootstrap {
        /// The file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// The trust list offered or held is not acceptable.
    #[error("{path}: the trust list is not acceptable: {source}")]
    TrustList {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: TrustListError,
    },
}

fn io(path: &Path, operation: &'static str) -> impl FnOnce(std::io::Error) -> VerifierDirError {
    let path = path.to_owned();
    move |source| VerifierDirError::Io {
        path,
        operation,
        source,
    }
}

/// What a sync did.
#[derive(Debug, Clone)]
pub struct SyncSummary {
    /// The trust list now held: issue ID, date, next update, document signers.
    pub trust_list: (u64, OffsetDateTime, OffsetDateTime, usize),
    /// Whether the trust list changed.
    pub trust_list_updated: bool,
    /// Status lists taken: file name, issued, expires.
    pub taken: Vec<(String, OffsetDateTime, OffsetDateTime)>,
    /// Status lists left: file name and why.
    pub skipped: Vec<(String, String)>,
}

/// What a verification uses, read from the directory and checked.
#[derive(Debug)]
pub struct VerifierMaterial {
    /// The trusted IACAs.
    pub anchors: Vec<TrustAnchor>,
    /// The document signers the trust list publishes.
    pub signers: Vec<KnownSigner>,
    /// The status lists held (expired ones too: the verifier reports them as too old).
    pub status_lists: Vec<VerifiedStatusList>,
    /// The trust list's date.
    pub trust_list_issued_at: OffsetDateTime,
    /// When the trust list should have been refreshed.
    pub trust_list_next_update: OffsetDateTime,
    /// Status lists that could not be used, and why.
    pub unusable: Vec<(String, String)>,
}

/// A verifier directory.
#[derive(Debug, Clone)]
pub struct VerifierDir {
    root: PathBuf,
}

impl VerifierDir {
    /// The directory at `root`.
    pub fn new(root: impl Into<PathBuf>) -> VerifierDir {
        VerifierDir { root: root.into() }
    }

    fn bootstrap(&self) -> Result<Vec<TrustAnchor>, VerifierDirError> {
        let path = self.root.join("iaca.pem");
        if !path.exists() {
            return Err(VerifierDirError::NotSetUp(self.root.clone()));
        }
        let text = fs::read_to_string(&path).map_err(io(&path, "read"))?;
        read_anchors(&path, &text)
    }

    fn held(
        &self,
        anchors: &[TrustAnchor],
        at: OffsetDateTime,
    ) -> Result<Option<TrustList>, VerifierDirError> {
        let path = self.root.join("trust-list.cbor");
        match fs::read(&path) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(io(&path, "read")(e)),
            Ok(bytes) => verify_trust_list(&bytes, anchors, at)
                .map(Some)
                .map_err(|source| VerifierDirError::TrustList { path, source }),
        }
    }

    /// Takes what is newer and valid from the published directory `from`. `bootstrap` (an IACA
    /// PEM file) is needed the first time.
    pub fn sync(
        &self,
        from: &Path,
        bootstrap: Option<&Path>,
        at: OffsetDateTime,
    ) -> Result<SyncSummary, VerifierDirError> {
        fs::create_dir_all(self.root.join("status")).map_err(io(&self.root, "create directory"))?;
        let own = self.root.join("iaca.pem");
        if let Some(pem) = bootstrap {
            let text = fs::read_to_string(pem).map_err(io(pem, "read"))?;
            read_anchors(pem, &text)?;
            if !own.exists() {
                write_atomically(&own, text.as_bytes()).map_err(|e| {
                    VerifierDirError::Bootstrap {
                        path: own.clone(),
                        reason: e.to_string(),
                    }
                })?;
            }
        }
        let anchors = self.bootstrap()?;
        let offered_path = from.join("trust-list.cbor");
        let offered = fs::read(&offered_path).map_err(io(&offered_path, "read"))?;
        let held = self.held(&anchors, at)?;
        let trust_error = |source| VerifierDirError::TrustList {
            path: offered_path.clone(),
            source,
        };
        let (list, updated) = match held {
            None => (
                verify_trust_list(&offered, &anchors, at).map_err(trust_error)?,
                true,
            ),
            Some(held) => match verify_trust_list_update(&offered, &held, at) {
                Ok(newer) => (newer, true),
                Err(TrustListError::NotNewer { .. }) => (held, false),
                Err(e) => return Err(trust_error(e)),
            },
        };
        if updated {
            write_atomically(&self.root.join("trust-list.cbor"), &offered).map_err(|e| {
                VerifierDirError::Bootstrap {
                    path: self.root.join("trust-list.cbor"),
                    reason: e.to_string(),
                }
            })?;
        }
        let list_anchors = list.anchors();
        let mut summary = SyncSummary {
            trust_list: (
                list.issue_id(),
                list.issued_at(),
                list.next_update(),
                list.document_signers().len(),
            ),
            trust_list_updated: updated,
            taken: Vec::new(),
            skipped: Vec::new(),
        };
        let status_dir = from.join("status");
        let mut names: Vec<PathBuf> = match fs::read_dir(&status_dir) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
            Err(e) => return Err(io(&status_dir, "list")(e)),
            Ok(entries) => entries
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|e| e == "cwt"))
                .collect(),
        };
        names.sort();
        for path in names {
            let name = path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let bytes = fs::read(&path).map_err(io(&path, "read"))?;
            let offered = match verify_token(&bytes, &list_anchors, at, None) {
                Ok(l) => l,
                Err(e) => {
                    summary.skipped.push((name, e.to_string()));
                    continue;
                }
            };
            let Some(region) = DocumentSignerCertificate::parse(offered.signer.clone())
                .ok()
                .and_then(|c| c.region())
            else {
                summary
                    .skipped
                    .push((name, "its signer names no region".into()));
                continue;
            };
            let target = self.root.join("status").join(format!("{region}.cwt"));
            // Not newer: issued before the held one, or the very same bytes. A list issued in
            // the same second as the held one but different was re-signed after a change.
            let held = fs::read(&target).ok();
            let older = held.as_ref().is_some_and(|held_bytes| {
                *held_bytes == bytes
                    || verify_token(held_bytes, &list_anchors, at, None)
                        .is_ok_and(|held| held.issued_at > offered.issued_at)
            });
            if older {
                summary
                    .skipped
                    .push((name, "not newer than the list held".into()));
                continue;
            }
            write_atomically(&target, &bytes).map_err(|e| VerifierDirError::Bootstrap {
                path: target.clone(),
                reason: e.to_string(),
            })?;
            summary.taken.push((
                format!("{region}.cwt"),
                offered.issued_at,
                offered.expires_at,
            ));
        }
        Ok(summary)
    }

    /// Reads and checks everything held, for verifying at `at`.
    pub fn load(&self, at: OffsetDateTime) -> Result<VerifierMaterial, VerifierDirError> {
        let bootstrap = self.bootstrap()?;
        let list = self
            .held(&bootstrap, at)?
            .ok_or_else(|| VerifierDirError::NotSetUp(self.root.clone()))?;
        let anchors = list.anchors();
        let mut status_lists = Vec::new();
        let mut unusable = Vec::new();
        let dir = self.root.join("status");
        if let Ok(entries) = fs::read_dir(&dir) {
            let mut paths: Vec<PathBuf> =
                entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
            paths.sort();
            for path in paths {
                let name = path
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default();
                match fs::read(&path)
                    .map_err(|e| e.to_string())
                    .and_then(|b| verify_token(&b, &anchors, at, None).map_err(|e| e.to_string()))
                {
                    Ok(l) => status_lists.push(l),
                    Err(why) => unusable.push((name, why)),
                }
            }
        }
        Ok(VerifierMaterial {
            signers: list
                .document_signers()
                .iter()
                .map(|s| KnownSigner {
                    certificate: s.certificate.clone(),
                    revoked_at: s.revoked_at,
                })
                .collect(),
            anchors,
            status_lists,
            trust_list_issued_at: list.issued_at(),
            trust_list_next_update: list.next_update(),
            unusable,
        })
    }
}

fn read_anchors(path: &Path, text: &str) -> Result<Vec<TrustAnchor>, VerifierDirError> {
    let bad = |reason: String| VerifierDirError::Bootstrap {
        path: path.to_owned(),
        reason,
    };
    let certificates = CertificateDer::parse_pem_bundle(text).map_err(|e| bad(e.to_string()))?;
    if certificates.is_empty() {
        return Err(bad("no certificate".into()));
    }
    certificates
        .into_iter()
        .map(|c| TrustAnchor::parse(c).map_err(|e| bad(e.to_string())))
        .collect()
}
