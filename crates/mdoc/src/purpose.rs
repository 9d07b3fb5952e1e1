//! Selective disclosure by purpose: the one table that says which elements a presentation for
//! each purpose discloses. The mdoc DeviceResponse and the QR code both read it.

use crate::elements::{CN_NAMESPACE, ELEMENTS, Element, ISO_NAMESPACE};

/// Why a presentation is made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Purpose {
    /// 路面执法检查: a police roadside check. Everything.
    Roadside,
    /// 交管业务窗口: a traffic-business window. Everything.
    BusinessWindow,
    /// 汽车租赁: a car-rental desk. Name, portrait, classes, validity, status.
    CarRental,
    /// 运输企业: a passenger or freight transport company checking a driver it employs.
    TransportCompany,
    /// 保险: an insurer pricing or settling a policy.
    Insurer,
}

/// Every purpose, in table order.
pub const PURPOSES: [Purpose; 5] = [
    Purpose::Roadside,
    Purpose::BusinessWindow,
    Purpose::CarRental,
    Purpose::TransportCompany,
    Purpose::Insurer,
];

/// Why a text is not a purpose.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown purpose; expected one of roadside, business_window, car_rental, transport_company, insurer"
)]
pub struct UnknownPurpose;

/// Elements every purpose discloses: what identifies the issuer and lets the verifier check it.
const ISSUER: [&str; 3] = [
    "issuing_country",
    "issuing_jurisdiction",
    "un_distinguishing_sign",
];
/// The holder's name in both scripts.
const NAME: [&str; 4] = [
    "family_name",
    "given_name",
    "family_name_national_character",
    "given_name_national_character",
];
const CLASSES: [&str; 3] = ["driving_privileges", "driving_classes", "permitted_classes"];
const VALIDITY: [&str; 3] = ["issue_date", "expiry_date", "validity_end"];

impl Purpose {
    /// The stable name used on the command line, in URLs and in QR payloads.
    pub fn as_str(self) -> &'static str {
        match self {
            Purpose::Roadside => "roadside",
            Purpose::BusinessWindow => "business_window",
            Purpose::CarRental => "car_rental",
            Purpose::TransportCompany => "transport_company",
            Purpose::Insurer => "insurer",
        }
    }

    /// The name shown to people (zh-CN).
    pub fn name_zh(self) -> &'static str {
        match self {
            Purpose::Roadside => "路面执法检查",
            Purpose::BusinessWindow => "交管业务窗口",
            Purpose::CarRental => "汽车租赁",
            Purpose::TransportCompany => "运输企业",
            Purpose::Insurer => "保险",
        }
    }

    /// Reads a name written by [`Purpose::as_str`].
    pub fn parse(s: &str) -> Result<Purpose, UnknownPurpose> {
        PURPOSES
            .into_iter()
            .find(|p| p.as_str() == s)
            .ok_or(UnknownPurpose)
    }

    /// Whether this purpose discloses the element.
    pub fn discloses(self, element: &Element) -> bool {
        let id = element.identifier;
        let common = ISSUER.contains(&id)
            || NAME.contains(&id)
            || CLASSES.contains(&id)
            || VALIDITY.contains(&id)
            || id == "status_letters";
        match self {
            Purpose::Roadside | Purpose::BusinessWindow => true,
            Purpose::CarRental => common || id == "portrait" || id == "age_over_18",
            Purpose::TransportCompany => {
                common
                    || matches!(
                        id,
                        "portrait"
                            | "document_number"
                            | "first_issue_date"
                            | "points"
                            | "points_cycle_end"
                            | "issuing_authority_name"
                    )
            }
            Purpose::Insurer => {
                common
                    || matches!(
                        id,
                        "document_number"
                            | "birth_date"
                            | "first_issue_date"
                            | "points"
                            | "points_cycle_end"
                    )
            }
        }
    }

    /// The elements this purpose discloses, in [`ELEMENTS`] order.
    pub fn elements(self) -> impl Iterator<Item = &'static Element> {
        ELEMENTS.iter().filter(move |e| self.discloses(e))
    }

    /// Whether the element `(namespace, identifier)` is one this purpose may disclose.
    pub fn allows(self, namespace: &str, identifier: &str) -> bool {
        (namespace == ISO_NAMESPACE || namespace == CN_NAMESPACE)
            && self
                .elements()
                .any(|e| e.namespace == namespace && e.identifier == identifier)
    }
}

impl std::fmt::Display for Purpose {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_unknown_names_are_refused() {
        for p in PURPOSES {
            assert_eq!(Purpose::parse(p.as_str()), Ok(p));
        }
        assert_eq!(Purpose::parse("police"), Err(UnknownPurpose));
    }

    #[test]
    fn the_table_discloses_what_each_purpose_needs_and_no_more() {
        assert_eq!(Purpose::Roadside.elements().count(), ELEMENTS.len());
        let rental: Vec<&str> = Purpose::CarRental
            .elements()
            .map(|e| e.identifier)
            .collect();
        for needed in [
            "family_name_national_character",
            "portrait",
            "driving_classes",
            "expiry_date",
            "status_letters",
        ] {
            assert!(rental.contains(&needed), "{needed}");
        }
        for withheld in [
            "resident_address",
            "document_number",
            "birth_date",
            "points",
            "file_number",
        ] {
            assert!(!rental.contains(&withheld), "{withheld}");
        }
        let insurer: Vec<&str> = Purpose::Insurer.elements().map(|e| e.identifier).collect();
        assert!(
            insurer.contains(&"points")
                && !insurer.contains(&"portrait")
                && !insurer.contains(&"resident_address")
        );
        assert!(Purpose::Insurer.allows(CN_NAMESPACE, "points"));
        assert!(!Purpose::Insurer.allows("org.example", "points"));
    }
}
