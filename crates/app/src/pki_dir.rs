//! The platform's PKI on disk: a directory holding the national IACA, the trust-list signer and
//! every issuing authority's document signers, each key encrypted at rest with one passphrase.
//!
//! ```text
//! DIR/iaca.pem                     the national root certificate
//! DIR/iaca.key                     its key (encrypted PKCS#8)
//! DIR/trust-list-signer.pem|.key   signs the trust list (EKU 1.0.18013.5.1.7)
//! DIR/signers/<region>/<n>.pem|.key  document signers of the authority of <region>, n = 1, 2, …
//! DIR/signers/<region>/<n>.revoked   when signer n was revoked (RFC 3339), if it was
//! ```
//!
//! Rotation adds `<n+1>`; older signers stay, so credentials they signed keep verifying until
//! they expire. Nothing here prints or returns a key.

use std::collections::HashMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use edl_domain::{IssuingAuthority, RegionCode};
use edl_pki::{
    AuthoritySigners, CertificateDer, Country, DEFAULT_IACA_VALIDITY, DocumentSignerCertificate,
    DocumentSignerParams, FileSigner, IacaParams, IssuerAltName, KeyFileError, ListedSigner,
    Passphrase, RotationError, ScryptCost, SignedTrustList, TrustAnchor, TrustList, TrustListEntry,
    TrustListSignerParams, issue_document_signer, issue_iaca, issue_trust_list_signer,
};
use time::{Duration, OffsetDateTime};

/// Default validity of a new document signer: one year (Annex B allows up to 457 days).
pub const DEFAULT_SIGNER_DAYS: i64 = 365;
/// How long a published trust list is current before verifiers should fetch a new one.
pub const TRUST_LIST_NEXT_UPDATE: Duration = Duration::days(7);

/// Why a PKI operation failed.
#[derive(Debug, thiserror::Error)]
pub enum PkiDirError {
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
    /// The directory already holds a PKI.
    #[error("{0} already holds a PKI (iaca.pem exists); keys are never overwritten")]
    AlreadyInitialised(PathBuf),
    /// The directory holds no PKI.
    #[error("{0} holds no PKI; run `edl pki init` first")]
    NotInitialised(PathBuf),
    /// The authority has no document signer yet.
    #[error("region {0} has no document signer; run `edl pki add-authority` first")]
    NoSigner(RegionCode),
    /// The authority already has a signer (use rotate).
    #[error("region {0} already has a document signer; use `edl pki rotate` to add a new one")]
    SignerExists(RegionCode),
    /// No signer certificate is valid for a credential issued now.
    #[error("no document signer of region {0} is valid for a new credential; run `edl pki rotate`")]
    NoValidSigner(RegionCode),
    /// A certificate file does not parse.
    #[error("{path}: not a usable certificate: {reason}")]
    Certificate {
        /// The file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// A key file problem (wrong passphrase, unreadable …).
    #[error(transparent)]
    Key(#[from] KeyFileError),
    /// Issuing a certificate failed.
    #[error("issuing a certificate failed: {0}")]
    Issue(#[from] edl_pki::IssueError),
    /// Rotation bookkeeping refused the certificate.
    #[error(transparent)]
    Rotation(#[from] RotationError),
    /// The trust list could not be made.
    #[error("the trust list could not be made: {0}")]
    TrustList(#[from] edl_pki::TrustListError),
    /// The signer was revoked already.
    #[error("document signer {number} of region {region} is already revoked")]
    AlreadyRevoked {
        /// The region.
        region: RegionCode,
        /// The signer's number.
        number: u32,
    },
}

/// A PKI directory.
#[derive(Debug, Clone)]
pub struct PkiDir {
    root: PathBuf,
}

fn read(path: &Path) -> Result<Vec<u8>, PkiDirError> {
    fs::read(path).map_err(|source| PkiDirError::Io {
        path: path.to_owned(),
        operation: "read",
        source,
    })
}

fn write_new(path: &Path, bytes: &[u8]) -> Result<(), PkiDirError> {
    use std::io::Write;
    let mut file = fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
        .map_err(|source| PkiDirError::Io {
            path: path.to_owned(),
            operation: "create",
            source,
        })?;
    file.write_all(bytes)
        .and_then(|()| file.sync_all())
        .map_err(|source| PkiDirError::Io {
            path: path.to_owned(),
            operation: "write",
            source,
        })
}

fn create_dir(path: &Path) -> Result<(), PkiDirError> {
    fs::create_dir_all(path).map_err(|source| PkiDirError::Io {
        path: path.to_owned(),
        operation: "create directory",
        source,
    })
}

fn read_certificate(path: &Path) -> Result<CertificateDer, PkiDirError> {
    let text = String::from_utf8(read(path)?).map_err(|_| PkiDirError::Certificate {
        path: path.to_owned(),
        reason: "not PEM text".into(),
    })?;
    CertificateDer::parse_pem_bundle(&text)
        .ok()
        .and_then(|mut certs| (certs.len() == 1).then(|| certs.remove(0)))
        .ok_or_else(|| PkiDirError::Certificate {
            path: path.to_owned(),
            reason: "expected exactly one PEM certificate".into(),
        })
}

/// What `init` made.
#[derive(Debug, Clone)]
pub struct InitSummary {
    /// The IACA certificate.
    pub iaca: CertificateDer,
    /// Its validity.
    pub not_after: OffsetDateTime,
}

/// A document signer on disk.
#[derive(Debug, Clone)]
pub struct SignerFile {
    /// Its number (1 for the first, growing with rotation).
    pub number: u32,
    /// The certificate file.
    pub path: PathBuf,
    /// The parsed certificate.
    pub certificate: DocumentSignerCertificate,
    /// When it was revoked, if it was: it signs nothing more, and verifiers refuse what it
    /// signed from then on.
    pub revoked_at: Option<OffsetDateTime>,
}

impl PkiDir {
    /// The PKI at `root` (not checked until used).
    pub fn new(root: impl Into<PathBuf>) -> PkiDir {
        PkiDir { root: root.into() }
    }

    /// The directory.
    pub fn root(&self) -> &Path {
        &self.root
    }

    fn iaca_path(&self) -> PathBuf {
        self.root.join("iaca.pem")
    }

    fn region_dir(&self, region: RegionCode) -> PathBuf {
        self.root.join("signers").join(region.to_string())
    }

    /// Creates the national IACA (nine years) and the trust-list signer (one year).
    pub fn init(
        &self,
        passphrase: &Passphrase,
        cost: ScryptCost,
        now: OffsetDateTime,
    ) -> Result<InitSummary, PkiDirError> {
        if self.iaca_path().exists() {
            return Err(PkiDirError::AlreadyInitialised(self.root.clone()));
        }
        create_dir(&self.root)?;
        let iaca_key = FileSigner::create(&self.root.join("iaca.key"), passphrase, cost)?;
        let not_after = now + DEFAULT_IACA_VALIDITY;
        let iaca = issue_iaca(
            &IacaParams {
                country: Country::CHINA,
                common_name: "China mDL IACA".into(),
                organization: Some("公安部交通管理局".into()),
                issuer_alternative_name: IssuerAltName::Uri("https://edl.example.cn".into()),
                crl_distribution_point: "https://edl.example.cn/crl/iaca.crl".into(),
                not_before: now,
                not_after,
            },
            &iaca_key,
        )?;
        let tl_key =
            FileSigner::create(&self.root.join("trust-list-signer.key"), passphrase, cost)?;
        let tl = issue_trust_list_signer(
            &TrustListSignerParams {
                common_name: "China mDL trust list signer".into(),
                organization: Some("公安部交通管理局".into()),
                issuer_alternative_name: IssuerAltName::Uri("https://edl.example.cn".into()),
                crl_distribution_point: "https://edl.example.cn/crl/iaca.crl".into(),
                not_before: now,
                not_after: now + Duration::days(DEFAULT_SIGNER_DAYS),
            },
            &edl_pki::Signer::public_key(&tl_key),
            &iaca,
            &iaca_key,
        )?;
        write_new(
            &self.root.join("trust-list-signer.pem"),
            tl.to_pem().as_bytes(),
        )?;
        // The IACA certificate is written last: its presence marks a complete PKI.
        write_new(&self.iaca_path(), iaca.to_pem().as_bytes())?;
        Ok(InitSummary { iaca, not_after })
    }

    /// The IACA certificate.
    pub fn iaca(&self) -> Result<CertificateDer, PkiDirError> {
        if !self.iaca_path().exists() {
            return Err(PkiDirError::NotInitialised(self.root.clone()));
        }
        read_certificate(&self.iaca_path())
    }

    /// The IACA as a trust anchor.
    pub fn anchor(&self) -> Result<TrustAnchor, PkiDirError> {
        let path = self.iaca_path();
        TrustAnchor::parse(self.iaca()?).map_err(|e| PkiDirError::Certificate {
            path,
            reason: e.to_string(),
        })
    }

    /// The document signers of `region`, oldest first.
    pub fn signers(&self, region: RegionCode) -> Result<Vec<SignerFile>, PkiDirError> {
        let dir = self.region_dir(region);
        if !dir.exists() {
            return Ok(Vec::new());
        }
        let entries = fs::read_dir(&dir).map_err(|source| PkiDirError::Io {
            path: dir.clone(),
            operation: "list",
            source,
        })?;
        let mut signers = Vec::new();
        for entry in entries {
            let entry = entry.map_err(|source| PkiDirError::Io {
                path: dir.clone(),
                operation: "list",
                source,
            })?;
            let path = entry.path();
            let number = path
                .extension()
                .filter(|e| *e == "pem")
                .and_then(|_| path.file_stem())
                .and_then(|s| s.to_str())
                .and_then(|s| s.parse::<u32>().ok());
            let Some(number) = number else { continue };
            let certificate =
                DocumentSignerCertificate::parse(read_certificate(&path)?).map_err(|e| {
                    PkiDirError::Certificate {
                        path: path.clone(),
                        reason: e.to_string(),
                    }
                })?;
            let revoked_path = dir.join(format!("{number}.revoked"));
            let revoked_at = match fs::read_to_string(&revoked_path) {
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
                Err(source) => {
                    return Err(PkiDirError::Io {
                        path: revoked_path,
                        operation: "read",
                        source,
                    });
                }
                Ok(text) => Some(
                    OffsetDateTime::parse(
                        text.trim(),
                        &time::format_description::well_known::Rfc3339,
                    )
                    .map_err(|_| PkiDirError::Certificate {
                        path: revoked_path.clone(),
                        reason: "the revocation time is not RFC 3339".into(),
                    })?,
                ),
            };
            signers.push(SignerFile {
                number,
                path,
                certificate,
                revoked_at,
            });
        }
        signers.sort_by_key(|s| s.number);
        Ok(signers)
    }

    /// A fingerprint of the public part of the directory: the names, sizes and modification times
    /// of the IACA, the trust-list signer and every document-signer certificate and revocation
    /// file. It changes when a signer is added, rotated or revoked, so a long-running service
    /// knows when to read the PKI again (cheap: a directory listing, no file is read).
    pub fn fingerprint(&self) -> u64 {
        use std::hash::{Hash, Hasher};
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        let mut note = |path: &Path| {
            path.hash(&mut hasher);
            if let Ok(meta) = fs::metadata(path) {
                meta.len().hash(&mut hasher);
                meta.modified().ok().hash(&mut hasher);
            }
        };
        note(&self.iaca_path());
        note(&self.root.join("trust-list-signer.pem"));
        let signers = self.root.join("signers");
        let mut files: Vec<PathBuf> = fs::read_dir(&signers)
            .into_iter()
            .flatten()
            .filter_map(|e| e.ok())
            .flat_map(|region| fs::read_dir(region.path()).into_iter().flatten())
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|e| e == "pem" || e == "revoked"))
            .collect();
        files.sort();
        for file in &files {
            note(file);
        }
        hasher.finish()
    }

    /// Every region with at least one document signer.
    pub fn regions(&self) -> Result<Vec<RegionCode>, PkiDirError> {
        let dir = self.root.join("signers");
        if !dir.exists() {
            return Ok(Vec::new());
        }
        let mut regions: Vec<RegionCode> = fs::read_dir(&dir)
            .map_err(|source| PkiDirError::Io {
                path: dir.clone(),
                operation: "list",
                source,
            })?
            .filter_map(|e| e.ok())
            .filter_map(|e| RegionCode::parse(e.file_name().to_str()?).ok())
            .collect();
        regions.sort_unstable();
        Ok(regions)
    }

    fn issue_signer(
        &self,
        authority: &IssuingAuthority,
        passphrase: &Passphrase,
        cost: ScryptCost,
        now: OffsetDateTime,
        days: i64,
        number: u32,
    ) -> Result<SignerFile, PkiDirError> {
        let iaca = self.iaca()?;
        let iaca_key = FileSigner::open(&self.root.join("iaca.key"), passphrase)?;
        let dir = self.region_dir(authority.region);
        create_dir(&dir)?;
        let key_path = dir.join(format!("{number}.key"));
        let key = FileSigner::create(&key_path, passphrase, cost)?;
        let issued = issue_document_signer(
            &DocumentSignerParams {
                authority: authority.clone(),
                issuer_alternative_name: IssuerAltName::Email("pki@edl.example.cn".into()),
                crl_distribution_point: "https://edl.example.cn/crl/iaca.crl".into(),
                not_before: now,
                not_after: now + Duration::days(days),
            },
            &edl_pki::Signer::public_key(&key),
            &iaca,
            &iaca_key,
        );
        let certificate = match issued {
            Ok(c) => c,
            Err(e) => {
                // Leave no key without a certificate behind.
                let _ = fs::remove_file(&key_path);
                return Err(e.into());
            }
        };
        let path = dir.join(format!("{number}.pem"));
        write_new(&path, certificate.to_pem().as_bytes())?;
        let certificate = DocumentSignerCertificate::parse(certificate).map_err(|e| {
            PkiDirError::Certificate {
                path: path.clone(),
                reason: e.to_string(),
            }
        })?;
        Ok(SignerFile {
            number,
            path,
            certificate,
            revoked_at: None,
        })
    }

    /// Revokes document signer `number` of `region` from `at`: it signs nothing more, and the
    /// next trust list tells verifiers to refuse what it signed.
    pub fn revoke(
        &self,
        region: RegionCode,
        number: u32,
        at: OffsetDateTime,
    ) -> Result<SignerFile, PkiDirError> {
        let signer = self
            .signers(region)?
            .into_iter()
            .find(|s| s.number == number)
            .ok_or(PkiDirError::NoSigner(region))?;
        if signer.revoked_at.is_some() {
            return Err(PkiDirError::AlreadyRevoked { region, number });
        }
        let at = at
            .to_offset(time::UtcOffset::UTC)
            .replace_nanosecond(0)
            .unwrap_or(at);
        let text = at
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap_or_default();
        write_new(
            &self.region_dir(region).join(format!("{number}.revoked")),
            text.as_bytes(),
        )?;
        Ok(SignerFile {
            revoked_at: Some(at),
            ..signer
        })
    }

    /// The first document signer of an authority.
    pub fn add_authority(
        &self,
        authority: &IssuingAuthority,
        passphrase: &Passphrase,
        cost: ScryptCost,
        now: OffsetDateTime,
        days: i64,
    ) -> Result<SignerFile, PkiDirError> {
        if !self.signers(authority.region)?.is_empty() {
            return Err(PkiDirError::SignerExists(authority.region));
        }
        self.issue_signer(authority, passphrase, cost, now, days, 1)
    }

    /// A new document signer for the authority of `region`; the older ones stay.
    pub fn rotate(
        &self,
        region: RegionCode,
        passphrase: &Passphrase,
        cost: ScryptCost,
        now: OffsetDateTime,
        days: i64,
    ) -> Result<SignerFile, PkiDirError> {
        let signers = self.signers(region)?;
        let last = signers.last().ok_or(PkiDirError::NoSigner(region))?;
        let authority =
            authority_of(&last.certificate).ok_or_else(|| PkiDirError::Certificate {
                path: last.path.clone(),
                reason: "the certificate does not name its authority and region".into(),
            })?;
        self.issue_signer(&authority, passphrase, cost, now, days, last.number + 1)
    }

    /// The rotation view of an authority's signers.
    pub fn authority_signers(&self, region: RegionCode) -> Result<AuthoritySigners, PkiDirError> {
        let signers = self.signers(region)?;
        let first = signers.first().ok_or(PkiDirError::NoSigner(region))?;
        let authority =
            authority_of(&first.certificate).ok_or_else(|| PkiDirError::Certificate {
                path: first.path.clone(),
                reason: "the certificate does not name its authority and region".into(),
            })?;
        let mut view = AuthoritySigners::new(authority);
        for s in signers.into_iter().filter(|s| s.revoked_at.is_none()) {
            view.add(s.certificate)?;
        }
        Ok(view)
    }

    /// The signer to issue with at `now` for credentials valid `validity`: its certificate and
    /// the path of its key file.
    pub fn choose_signer(
        &self,
        region: RegionCode,
        now: OffsetDateTime,
        validity: Duration,
    ) -> Result<(DocumentSignerCertificate, PathBuf), PkiDirError> {
        let view = self.authority_signers(region)?;
        // A signer valid for the whole credential lifetime; failing that, any signer valid now
        // (the credential's window is then cut at the certificate's end).
        let chosen = view
            .signing_certificate(now, validity)
            .or_else(|| view.valid_at(now).last())
            .ok_or(PkiDirError::NoValidSigner(region))?
            .clone();
        let number = self
            .signers(region)?
            .into_iter()
            .find(|s| s.certificate.key_identifier() == chosen.key_identifier())
            .map(|s| s.number)
            .ok_or(PkiDirError::NoValidSigner(region))?;
        Ok((
            chosen,
            self.region_dir(region).join(format!("{number}.key")),
        ))
    }

    /// The signer to issue with at `now` for credentials valid `validity`: its certificate and
    /// its opened key.
    pub fn signer_for(
        &self,
        region: RegionCode,
        passphrase: &Passphrase,
        now: OffsetDateTime,
        validity: Duration,
    ) -> Result<(DocumentSignerCertificate, Arc<FileSigner>), PkiDirError> {
        let (certificate, path) = self.choose_signer(region, now, validity)?;
        Ok((certificate, Arc::new(FileSigner::open(&path, passphrase)?)))
    }

    /// Signs the trust list: the IACA with its metadata, issue ID from the time.
    pub fn trust_list(
        &self,
        passphrase: &Passphrase,
        now: OffsetDateTime,
    ) -> Result<SignedTrustList, PkiDirError> {
        let iaca = self.iaca()?;
        let entry = TrustListEntry::new(iaca.clone(), "公安部交通管理局").map_err(|e| {
            PkiDirError::Certificate {
                path: self.iaca_path(),
                reason: e.to_string(),
            }
        })?;
        let issue_id = u64::try_from(now.unix_timestamp()).unwrap_or(0);
        let mut signers = Vec::new();
        for region in self.regions()? {
            for s in self.signers(region)? {
                // Expired signers have nothing left to vouch for.
                if s.certificate.not_after() >= now {
                    signers.push(ListedSigner {
                        certificate: s.certificate.certificate().clone(),
                        revoked_at: s.revoked_at,
                    });
                }
            }
        }
        let list = TrustList::new(
            "China e-driving licence platform",
            now,
            issue_id,
            now + TRUST_LIST_NEXT_UPDATE,
            vec![entry],
        )?
        .with_document_signers(signers);
        let signer_cert = read_certificate(&self.root.join("trust-list-signer.pem"))?;
        let key = FileSigner::open(&self.root.join("trust-list-signer.key"), passphrase)?;
        Ok(list.sign(&[signer_cert, iaca], &key)?)
    }
}

/// The authority a document-signer certificate names (CN and region).
fn authority_of(certificate: &DocumentSignerCertificate) -> Option<IssuingAuthority> {
    Some(IssuingAuthority {
        name: edl_domain::AuthorityName::parse(certificate.authority_name()?).ok()?,
        region: certificate.region()?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    fn passphrase() -> Passphrase {
        Passphrase::new("correct horse battery staple".into()).unwrap()
    }

    fn cost() -> ScryptCost {
        ScryptCost::new(ScryptCost::MIN_LOG_N).unwrap()
    }

    #[test]
    fn init_add_rotate_and_sign_a_trust_list() {
        let dir = tempfile::tempdir().unwrap();
        let pki = PkiDir::new(dir.path().join("pki"));
        let t0 = datetime!(2026-01-01 00:00 UTC);
        pki.init(&passphrase(), cost(), t0).unwrap();
        assert!(matches!(
            pki.init(&passphrase(), cost(), t0),
            Err(PkiDirError::AlreadyInitialised(_))
        ));
        let authority = IssuingAuthority {
            name: edl_domain::AuthorityName::parse("天津市公安局交通警察总队").unwrap(),
            region: RegionCode::parse("120000").unwrap(),
        };
        pki.add_authority(&authority, &passphrase(), cost(), t0, 365)
            .unwrap();
        assert!(matches!(
            pki.add_authority(&authority, &passphrase(), cost(), t0, 365),
            Err(PkiDirError::SignerExists(_))
        ));
        let t1 = t0 + Duration::days(300);
        let second = pki
            .rotate(authority.region, &passphrase(), cost(), t1, 365)
            .unwrap();
        assert_eq!(second.number, 2);
        assert_eq!(pki.signers(authority.region).unwrap().len(), 2);
        assert_eq!(pki.regions().unwrap(), [authority.region]);
        // Before rotation day the first signs; after, the second.
        let (early, _) = pki
            .signer_for(
                authority.region,
                &passphrase(),
                t0 + Duration::days(10),
                Duration::days(14),
            )
            .unwrap();
        let (late, _) = pki
            .signer_for(
                authority.region,
                &passphrase(),
                t1 + Duration::days(1),
                Duration::days(14),
            )
            .unwrap();
        assert_ne!(early.key_identifier(), late.key_identifier());
        assert_eq!(late.key_identifier(), second.certificate.key_identifier());

        let list = pki
            .trust_list(&passphrase(), t0 + Duration::days(1))
            .unwrap();
        let verified = edl_pki::verify_trust_list(
            list.as_bytes(),
            &[pki.anchor().unwrap()],
            t0 + Duration::days(2),
        )
        .unwrap();
        assert_eq!(verified.entries().len(), 1);

        let wrong = Passphrase::new("not the right passphrase".into()).unwrap();
        assert!(matches!(
            pki.rotate(authority.region, &wrong, cost(), t1, 365),
            Err(PkiDirError::Key(KeyFileError::WrongPassphrase))
        ));
    }
}

/// A PKI directory with its passphrase, keeping each document-signer key it has opened: for a
/// long-running service, where decrypting a key file (scrypt, deliberately slow) on every claim
/// would cost more than the claim. The keys stay in memory as long as this value lives, as they
/// would in an HSM session; nothing here prints or returns them.
#[derive(Debug)]
pub struct OpenedSigners {
    pki: PkiDir,
    passphrase: Passphrase,
    keys: Mutex<HashMap<PathBuf, Arc<FileSigner>>>,
}

impl OpenedSigners {
    /// The signers of `pki`, opened with `passphrase` on first use.
    pub fn new(pki: PkiDir, passphrase: Passphrase) -> OpenedSigners {
        OpenedSigners {
            pki,
            passphrase,
            keys: Mutex::new(HashMap::new()),
        }
    }

    /// The directory.
    pub fn pki(&self) -> &PkiDir {
        &self.pki
    }

    /// The passphrase the keys are opened with.
    pub fn passphrase(&self) -> &Passphrase {
        &self.passphrase
    }

    /// As [`PkiDir::signer_for`], opening each key file once.
    pub fn signer_for(
        &self,
        region: RegionCode,
        now: OffsetDateTime,
        validity: Duration,
    ) -> Result<(DocumentSignerCertificate, Arc<FileSigner>), PkiDirError> {
        let (certificate, path) = self.pki.choose_signer(region, now, validity)?;
        if let Ok(keys) = self.keys.lock()
            && let Some(key) = keys.get(&path)
        {
            return Ok((certificate, Arc::clone(key)));
        }
        let key = Arc::new(FileSigner::open(&path, &self.passphrase)?);
        if let Ok(mut keys) = self.keys.lock() {
            keys.insert(path, Arc::clone(&key));
        }
        Ok((certificate, key))
    }
}
