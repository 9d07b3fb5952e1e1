//! The ISO/IEC 18013-5 Annex B certificate profiles as constants and small value types: object
//! identifiers, validity limits, country codes, issuer alternative names and the ISO 3166-2 code of
//! an authority's province.

use std::fmt;

use edl_domain::RegionCode;
use time::Duration;

/// Extended key usage of an mDL document signer (ISO 18013-5 Annex B, Table B.4).
pub const MDL_DOCUMENT_SIGNER_EKU: &str = "1.0.18013.5.1.2";
/// Extended key usage of a VICAL signer (ISO 18013-5 Annex C): the signer of our trust list.
pub const TRUST_LIST_SIGNER_EKU: &str = "1.0.18013.5.1.7";
/// Extended key usage of an mdoc reader-authentication certificate (for later use).
pub const MDOC_READER_EKU: &str = "1.0.18013.5.1.6";

/// The longest a document-signer certificate may be valid: 457 days (15 months), as verifiers
/// enforce (see `MDOC.md` §3).
pub const MAX_DOCUMENT_SIGNER_VALIDITY: Duration = Duration::days(457);
/// The longest a trust-list signer certificate may be valid; our choice, the same as a document
/// signer's (docs/decisions/pki.md).
pub const MAX_TRUST_LIST_SIGNER_VALIDITY: Duration = Duration::days(457);
/// The longest an IACA certificate may be valid: 20 years (Annex B; the 20 years serve IDL
/// document signers of up to 15 years, and 9 are enough for mDLs alone). Counted as 20 × 365 + 5
/// days so that leap days never push a 20-year certificate over.
pub const MAX_IACA_VALIDITY: Duration = Duration::days(20 * 365 + 5);
/// The IACA validity this platform chooses by default: 9 years, enough for mDLs (Annex B note).
pub const DEFAULT_IACA_VALIDITY: Duration = Duration::days(9 * 365 + 2);

/// The longest serial number allowed (RFC 5280 §4.1.2.2, Annex B).
pub const MAX_SERIAL_OCTETS: usize = 20;

/// Object identifiers of extensions that Annex B (B.1.1) forbids in its profiles.
pub(crate) const DISALLOWED_EXTENSIONS: [&str; 5] = [
    "2.5.29.33", // policyMappings
    "2.5.29.30", // nameConstraints
    "2.5.29.36", // policyConstraints
    "2.5.29.54", // inhibitAnyPolicy
    "2.5.29.46", // freshestCRL
];

/// An ISO 3166-1 alpha-2 country code (two upper-case ASCII letters).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Country([u8; 2]);

/// Why a text is not an ISO 3166-1 alpha-2 code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("a country code is two upper-case ASCII letters (ISO 3166-1 alpha-2)")]
pub struct CountryError;

impl Country {
    /// China, the issuing country of this platform.
    pub const CHINA: Country = Country(*b"CN");

    /// Parses two upper-case ASCII letters. (Whether the code is assigned is not checked.)
    pub fn parse(s: &str) -> Result<Country, CountryError> {
        match s.as_bytes() {
            &[a, b] if a.is_ascii_uppercase() && b.is_ascii_uppercase() => Ok(Country([a, b])),
            _ => Err(CountryError),
        }
    }

    /// The code.
    pub fn as_str(&self) -> &str {
        // Both bytes are ASCII upper-case letters by construction.
        std::str::from_utf8(&self.0).unwrap_or("??")
    }
}

impl fmt::Display for Country {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for Country {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Country({})", self.as_str())
    }
}

/// The issuer alternative name Annex B requires: how to reach the issuing authority, as an e-mail
/// address or a URI (the only general-name forms allowed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IssuerAltName {
    /// An RFC 822 e-mail address (ASCII).
    Email(String),
    /// A URI (ASCII), e.g. the authority's web page.
    Uri(String),
}

impl IssuerAltName {
    pub(crate) fn value(&self) -> &str {
        match self {
            IssuerAltName::Email(s) | IssuerAltName::Uri(s) => s,
        }
    }
}

/// The ISO 3166-2 subdivision code of the province containing `region` (e.g. `CN-SC` for 510100),
/// written as the document signer's stateOrProvinceName and, where an mdoc carries
/// `issuing_jurisdiction`, equal to it.
pub fn subdivision_code(region: RegionCode) -> Option<&'static str> {
    Some(match region.as_u32() / 10_000 {
        11 => "CN-BJ",
        12 => "CN-TJ",
        13 => "CN-HE",
        14 => "CN-SX",
        15 => "CN-NM",
        21 => "CN-LN",
        22 => "CN-JL",
        23 => "CN-HL",
        31 => "CN-SH",
        32 => "CN-JS",
        33 => "CN-ZJ",
        34 => "CN-AH",
        35 => "CN-FJ",
        36 => "CN-JX",
        37 => "CN-SD",
        41 => "CN-HA",
        42 => "CN-HB",
        43 => "CN-HN",
        44 => "CN-GD",
        45 => "CN-GX",
        46 => "CN-HI",
        50 => "CN-CQ",
        51 => "CN-SC",
        52 => "CN-GZ",
        53 => "CN-YN",
        54 => "CN-XZ",
        61 => "CN-SN",
        62 => "CN-GS",
        63 => "CN-QH",
        64 => "CN-NX",
        65 => "CN-XJ",
        71 => "CN-TW",
        81 => "CN-HK",
        82 => "CN-MO",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn country_codes_are_two_upper_case_letters() {
        assert_eq!(Country::parse("CN"), Ok(Country::CHINA));
        assert_eq!(Country::CHINA.to_string(), "CN");
        for bad in ["cn", "C", "CHN", "C1", "", "中国"] {
            assert_eq!(Country::parse(bad), Err(CountryError), "{bad}");
        }
    }

    #[test]
    fn every_province_in_the_table_has_a_subdivision_code() {
        for region in edl_domain::regions() {
            assert!(subdivision_code(region).is_some(), "{region}");
        }
        let chengdu = RegionCode::parse("510100").unwrap();
        assert_eq!(subdivision_code(chengdu), Some("CN-SC"));
    }
}
