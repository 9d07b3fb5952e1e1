//! An offline verifier's local copies: the trust list and the status lists it last fetched,
//! each verified before it is stored and again when it is used.
//!
//! ```text
//! DIR/iaca.pem              the national root the verifier was set up with (its trust bootstrap)
//! DIR/trust-list.cbor       the newest verified trust list (IACAs and document signers)
//! DIR/status/<region>.cwt   the newest verified status list of each issuer
//! ```
//!
//! A published directory (a copy of what the platform serves) holds `trust-list.cbor` and
//! `status/<region>.cwt`; the platform serves the same at `{base}/trust-list.cbor` and
//! `{base}/status/<region>.cwt`. `sync` takes what is newer and valid from either
//! ([`PublishedSource`]). From a URL it also keeps `DIR/http-cache.json`: the `ETag` and
//! `Last-Modified` of each copy held, sent back so an unchanged file is not downloaded again.

use std::collections::HashMap;
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
pub use crate::published_source::PublishedSource;
use crate::published_source::{Fetched, HttpClient, ValidatorCache};

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
    /// A published file could not be fetched.
    #[error("{location}: {reason}")]
    Fetch {
        /// The URL.
        location: String,
        /// What failed.
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

    /// Takes what is newer and valid from `from`, a published directory or the platform's URL.
    /// `bootstrap` (an IACA PEM file) is needed the first time.
    ///
    /// The trust list is fetched and verified first (against the bootstrap the first time, as an
    /// update of the list held after that); then the status lists: every `status/*.cwt` of a
    /// directory, or from a URL those of each region the verified trust list has document
    /// signers for (a region the server has no list for, 404, is left with the reason). Each
    /// status list must verify against the trust list and is kept only if newer than the one
    /// held. From a URL, the copies held are revalidated (`If-None-Match`, `If-Modified-Since`).
    pub fn sync(
        &self,
        from: &PublishedSource,
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
        let mut fetcher = Fetcher::new(from, &self.root);
        let held_path = self.root.join("trust-list.cbor");
        let held = self.held(&anchors, at)?;
        let trust_location = from.location("trust-list.cbor");
        let trust_error = |source| VerifierDirError::TrustList {
            path: PathBuf::from(&trust_location),
            source,
        };
        let (list, taken) = match (fetcher.fetch("trust-list.cbor", &held_path)?, held) {
            (Fetched::NotFound, _) => {
                return Err(VerifierDirError::Fetch {
                    location: trust_location,
                    reason: "the server answered 404 Not Found: no trust list is published there"
                        .into(),
                });
            }
            (Fetched::NotModified, Some(held)) => (held, None),
            (Fetched::NotModified, None) => {
                return Err(VerifierDirError::Fetch {
                    location: trust_location,
                    reason: "the server answered 304 Not Modified to an unconditional request"
                        .into(),
                });
            }
            (Fetched::Body(offered, _), None) => (
                verify_trust_list(&offered, &anchors, at).map_err(trust_error)?,
                Some(offered),
            ),
            (Fetched::Body(offered, _), Some(held)) => {
                match verify_trust_list_update(&offered, &held, at) {
                    Ok(newer) => (newer, Some(offered)),
                    Err(TrustListError::NotNewer { .. }) => {
                        if fs::read(&held_path).is_ok_and(|b| b == offered) {
                            fetcher.keep("trust-list.cbor", &offered);
                        }
                        (held, None)
                    }
                    Err(e) => return Err(trust_error(e)),
                }
            }
        };
        let updated = taken.is_some();
        if let Some(bytes) = taken {
            write_atomically(&held_path, &bytes).map_err(|e| VerifierDirError::Bootstrap {
                path: held_path.clone(),
                reason: e.to_string(),
            })?;
            fetcher.keep("trust-list.cbor", &bytes);
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
        for name in fetcher.status_names(&list)? {
            let file = format!("status/{name}");
            // From a URL the file is named after its region, as held here; from a directory the
            // region is known only once the list is read.
            let held_guess = self.root.join(&file);
            let bytes = match fetcher.fetch(&file, &held_guess)? {
                Fetched::Body(bytes, _) => bytes,
                Fetched::NotModified => {
                    summary.skipped.push((
                        name,
                        "not newer than the list held (304 Not Modified)".into(),
                    ));
                    continue;
                }
                Fetched::NotFound => {
                    summary.skipped.push((
                        name,
                        "not published there (the server answered 404 Not Found)".into(),
                    ));
                    continue;
                }
            };
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
            let same = held.as_ref().is_some_and(|held_bytes| *held_bytes == bytes);
            let older = same
                || held.as_ref().is_some_and(|held_bytes| {
                    verify_token(held_bytes, &list_anchors, at, None)
                        .is_ok_and(|held| held.issued_at > offered.issued_at)
                });
            if same && target == held_guess {
                fetcher.keep(&file, &bytes);
            }
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
            if target == held_guess {
                fetcher.keep(&file, &bytes);
            }
            summary.taken.push((
                format!("{region}.cwt"),
                offered.issued_at,
                offered.expires_at,
            ));
        }
        fetcher.save();
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

/// Fetches published files from a directory or a URL; the rest of a sync is the same for both.
struct Fetcher<'a> {
    source: &'a PublishedSource,
    http: Option<(HttpClient, ValidatorCache)>,
    /// The validators of each file downloaded in this sync, by name.
    last: HashMap<String, crate::published_source::Validators>,
}

impl<'a> Fetcher<'a> {
    fn new(source: &'a PublishedSource, root: &Path) -> Fetcher<'a> {
        let http = match source {
            PublishedSource::Dir(_) => None,
            PublishedSource::Url(_) => Some((
                HttpClient::new(),
                ValidatorCache::open(&root.join("http-cache.json")),
            )),
        };
        Fetcher {
            source,
            http,
            last: HashMap::new(),
        }
    }

    /// The file `name`; `held` is the copy held of it, if any (for a conditional request).
    fn fetch(&mut self, name: &str, held: &Path) -> Result<Fetched, VerifierDirError> {
        let Some((client, cache)) = &self.http else {
            let path = PathBuf::from(self.source.location(name));
            let bytes = fs::read(&path).map_err(io(&path, "read"))?;
            return Ok(Fetched::Body(bytes, Default::default()));
        };
        let url = self.source.location(name);
        let held = fs::read(held).ok();
        let validators = cache.get(&url, held.as_deref());
        let fetched =
            client
                .get(&url, validators.as_ref())
                .map_err(|reason| VerifierDirError::Fetch {
                    location: url.clone(),
                    reason,
                })?;
        if let Fetched::Body(_, v) = &fetched {
            self.last.insert(name.to_owned(), v.clone());
        }
        Ok(fetched)
    }

    /// Remembers that `bytes`, downloaded as `name`, are now the copy held of it.
    fn keep(&mut self, name: &str, bytes: &[u8]) {
        if let (Some((_, cache)), Some(v)) = (&mut self.http, self.last.get(name)) {
            cache.set(&self.source.location(name), Some((bytes, v)));
        }
    }

    /// The status lists to fetch, by file name: every `status/*.cwt` of a directory; from a URL,
    /// one for each region `list` has a document signer for.
    fn status_names(&self, list: &TrustList) -> Result<Vec<String>, VerifierDirError> {
        let mut names: Vec<String> = match self.source {
            PublishedSource::Dir(from) => {
                let status_dir = from.join("status");
                match fs::read_dir(&status_dir) {
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
                    Err(e) => return Err(io(&status_dir, "list")(e)),
                    Ok(entries) => entries
                        .filter_map(|e| e.ok().map(|e| e.path()))
                        .filter(|p| p.extension().is_some_and(|e| e == "cwt"))
                        .filter_map(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
                        .collect(),
                }
            }
            PublishedSource::Url(_) => list
                .document_signers()
                .iter()
                .filter_map(|s| {
                    DocumentSignerCertificate::parse(s.certificate.clone())
                        .ok()
                        .and_then(|c| c.region())
                })
                .map(|region| format!("{region}.cwt"))
                .collect(),
        };
        names.sort();
        names.dedup();
        Ok(names)
    }

    fn save(&self) {
        if let Some((_, cache)) = &self.http {
            cache.save();
        }
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
