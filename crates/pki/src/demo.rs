//! A complete in-memory PKI for demos, examples and tests: a national IACA and one document
//! signer, both with keys in memory. Nothing here is for production keys; `edl pki init` makes
//! those, encrypted at rest.

use edl_domain::IssuingAuthority;
use time::{Duration, OffsetDateTime};

use crate::certificate::{CertificateDer, TrustAnchor};
use crate::issue::{
    DocumentSignerParams, IacaParams, IssueError, issue_document_signer, issue_iaca,
};
use crate::profile::{Country, DEFAULT_IACA_VALIDITY, IssuerAltName};
use crate::signer::{InMemorySigner, KeyError, Signer};

/// Why the demo PKI could not be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DemoPkiError {
    /// A key could not be generated.
    #[error(transparent)]
    Key(#[from] KeyError),
    /// A certificate could not be issued.
    #[error(transparent)]
    Issue(#[from] IssueError),
}

/// A national root with one document signer, keys in memory.
#[derive(Debug)]
pub struct DemoPki {
    /// The IACA certificate.
    pub iaca: CertificateDer,
    /// The IACA as a trust anchor.
    pub anchor: TrustAnchor,
    /// The IACA's key.
    pub iaca_key: InMemorySigner,
    /// The document signer's certificate.
    pub document_signer: CertificateDer,
    /// The document signer's key.
    pub document_signer_key: InMemorySigner,
}

impl DemoPki {
    /// An IACA valid from `not_before` for nine years and a document signer for `authority` valid
    /// from `not_before` for `signer_days` days.
    pub fn new(
        authority: IssuingAuthority,
        not_before: OffsetDateTime,
        signer_days: i64,
    ) -> Result<DemoPki, DemoPkiError> {
        let iaca_key = InMemorySigner::generate()?;
        let iaca = issue_iaca(
            &IacaParams {
                country: Country::CHINA,
                common_name: "China mDL IACA (demo)".into(),
                organization: Some("公安部交通管理局".into()),
                issuer_alternative_name: IssuerAltName::Uri("https://edl.example.cn".into()),
                crl_distribution_point: "https://edl.example.cn/crl/iaca.crl".into(),
                not_before,
                not_after: not_before + DEFAULT_IACA_VALIDITY,
            },
            &iaca_key,
        )?;
        let anchor = TrustAnchor::parse(iaca.clone()).map_err(|_| IssueError::Encoding {
            reason: "the new IACA does not parse",
        })?;
        let document_signer_key = InMemorySigner::generate()?;
        let document_signer = issue_document_signer(
            &DocumentSignerParams {
                authority,
                issuer_alternative_name: IssuerAltName::Email("pki@edl.example.cn".into()),
                crl_distribution_point: "https://edl.example.cn/crl/iaca.crl".into(),
                not_before,
                not_after: not_before + Duration::days(signer_days),
            },
            &document_signer_key.public_key(),
            &iaca,
            &iaca_key,
        )?;
        Ok(DemoPki {
            iaca,
            anchor,
            iaca_key,
            document_signer,
            document_signer_key,
        })
    }
}
