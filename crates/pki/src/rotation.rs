//! Document-signer rotation: an authority's several signer certificates, the one to sign with now,
//! and lookup by key identifier.
//!
//! A certificate signs new credentials only while it can cover a credential's whole validity
//! (verifiers want the signer valid whenever they check), so a credential signed by an old
//! certificate keeps verifying until it expires. A new certificate is added before the current one
//! runs short; the old one stays for lookup until it expires.

use edl_domain::IssuingAuthority;
use time::{Duration, OffsetDateTime};

use crate::certificate::DocumentSignerCertificate;
use crate::key::KeyIdentifier;

/// Why a certificate was not added.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum RotationError {
    /// The certificate names another authority (its CN or its region).
    #[error("the certificate's {field} is not this authority's")]
    AuthorityMismatch {
        /// `"name"` or `"region"`.
        field: &'static str,
    },
    /// A certificate with the same key identifier is already there.
    #[error("a certificate with this key identifier is already registered")]
    DuplicateKeyIdentifier,
}

/// One issuing authority's document-signer certificates, oldest first.
#[derive(Debug, Clone)]
pub struct AuthoritySigners {
    authority: IssuingAuthority,
    certificates: Vec<DocumentSignerCertificate>,
}

impl AuthoritySigners {
    /// No certificates yet.
    pub fn new(authority: IssuingAuthority) -> AuthoritySigners {
        AuthoritySigners {
            authority,
            certificates: Vec::new(),
        }
    }

    /// The authority.
    pub fn authority(&self) -> &IssuingAuthority {
        &self.authority
    }

    /// Every certificate, ordered by start of validity.
    pub fn certificates(&self) -> &[DocumentSignerCertificate] {
        &self.certificates
    }

    /// Adds a certificate of this authority (the subject CN and serialNumber must name it).
    pub fn add(&mut self, certificate: DocumentSignerCertificate) -> Result<(), RotationError> {
        if certificate.authority_name() != Some(self.authority.name.as_str()) {
            return Err(RotationError::AuthorityMismatch { field: "name" });
        }
        if certificate.region() != Some(self.authority.region) {
            return Err(RotationError::AuthorityMismatch { field: "region" });
        }
        if self
            .by_key_identifier(certificate.key_identifier())
            .is_some()
        {
            return Err(RotationError::DuplicateKeyIdentifier);
        }
        let at = self
            .certificates
            .partition_point(|c| c.not_before() <= certificate.not_before());
        self.certificates.insert(at, certificate);
        Ok(())
    }

    /// The certificate with this subject key identifier.
    pub fn by_key_identifier(&self, id: &KeyIdentifier) -> Option<&DocumentSignerCertificate> {
        self.certificates.iter().find(|c| c.key_identifier() == id)
    }

    /// The certificate to sign a credential with at `at`: among those valid from `at` until
    /// `at + credential_validity`, the newest. `None` means a new certificate is overdue.
    pub fn signing_certificate(
        &self,
        at: OffsetDateTime,
        credential_validity: Duration,
    ) -> Option<&DocumentSignerCertificate> {
        let until = at + credential_validity;
        self.certificates
            .iter()
            .rev()
            .find(|c| c.not_before() <= at && until <= c.not_after())
    }

    /// Whether a new certificate should be added now: true when, `lead_time` from now, no
    /// certificate could sign a credential valid for `credential_validity`.
    pub fn needs_rotation(
        &self,
        at: OffsetDateTime,
        credential_validity: Duration,
        lead_time: Duration,
    ) -> bool {
        self.signing_certificate(at + lead_time, credential_validity)
            .is_none()
    }

    /// The certificates valid at `at`: those whose credentials still verify.
    pub fn valid_at(&self, at: OffsetDateTime) -> impl Iterator<Item = &DocumentSignerCertificate> {
        self.certificates.iter().filter(move |c| c.is_valid_at(at))
    }

    /// Removes and returns the certificates expired at `at`.
    pub fn remove_expired(&mut self, at: OffsetDateTime) -> Vec<DocumentSignerCertificate> {
        let (expired, kept) = std::mem::take(&mut self.certificates)
            .into_iter()
            .partition(|c| c.not_after() < at);
        self.certificates = kept;
        expired
    }
}
