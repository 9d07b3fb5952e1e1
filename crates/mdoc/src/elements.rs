//! The data elements of the e-licence mdoc: which namespace each lives in, and their values
//! computed from a registry licence. The decisions behind each mapping are in
//! `docs/decisions/mdoc.md`.

use ciborium::Value;
use edl_cbor::Writer;
use edl_domain::{DrivingClass, Licence, Sex, ValidityEnd};
use time::Date;

use crate::latin::{NameParts, latin_parts, romanise_authority, split_name};

/// The mDL doc type.
pub const MDL_DOC_TYPE: &str = "org.iso.18013.5.1.mDL";
/// The standard namespace.
pub const ISO_NAMESPACE: &str = "org.iso.18013.5.1";
/// The domestic namespace of the Chinese e-licence (named as Annex D names `org.iso.18013.5.1.US`).
pub const CN_NAMESPACE: &str = "org.iso.18013.5.1.CN";

/// The `expiry_date` written for a 长期 (no end) licence: the last representable day.
pub const LONG_TERM_EXPIRY: Date = time::macros::date!(9999 - 12 - 31);

/// One data element: its namespace, identifier and Chinese label.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Element {
    /// The namespace.
    pub namespace: &'static str,
    /// The element identifier.
    pub identifier: &'static str,
    /// The label on the card (zh-CN).
    pub label_zh: &'static str,
}

const fn iso(identifier: &'static str, label_zh: &'static str) -> Element {
    Element {
        namespace: ISO_NAMESPACE,
        identifier,
        label_zh,
    }
}

const fn cn(identifier: &'static str, label_zh: &'static str) -> Element {
    Element {
        namespace: CN_NAMESPACE,
        identifier,
        label_zh,
    }
}

/// Every element the platform issues, in the order they are written.
pub const ELEMENTS: [Element; 28] = [
    iso("family_name", "姓（拼音）"),
    iso("given_name", "名（拼音）"),
    iso("family_name_national_character", "姓"),
    iso("given_name_national_character", "名"),
    iso("birth_date", "出生日期"),
    iso("sex", "性别"),
    iso("nationality", "国籍"),
    iso("resident_address", "住址"),
    iso("portrait", "照片"),
    iso("document_number", "证号"),
    iso("issue_date", "有效期起始日期"),
    iso("expiry_date", "有效期截止日期"),
    iso("issuing_country", "签发国"),
    iso("issuing_jurisdiction", "签发省份"),
    iso("issuing_authority", "发证机关（拼音）"),
    iso("un_distinguishing_sign", "国际识别代码"),
    iso("driving_privileges", "准驾车型（国际）"),
    iso("age_over_18", "年满18周岁"),
    iso("age_over_70", "年满70周岁"),
    cn("file_number", "档案编号"),
    cn("first_issue_date", "初次领证日期"),
    cn("driving_classes", "准驾车型"),
    cn("permitted_classes", "准驾车型（含）"),
    cn("validity_end", "有效期限至"),
    cn("status_letters", "状态"),
    cn("points", "累积记分"),
    cn("points_cycle_end", "记分周期截止日期"),
    cn("issuing_authority_name", "发证机关"),
];

/// The element with this namespace and identifier, if the platform issues it.
pub fn element(namespace: &str, identifier: &str) -> Option<&'static Element> {
    ELEMENTS
        .iter()
        .find(|e| e.namespace == namespace && e.identifier == identifier)
}

/// A JPEG portrait (ISO 18013-5 `portrait`).
#[derive(Clone, PartialEq, Eq)]
pub struct Portrait(Vec<u8>);

/// Why bytes are not a portrait.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PortraitError {
    /// Not a JPEG (no SOI marker).
    #[error("the portrait is not a JPEG image")]
    NotJpeg,
    /// Larger than [`Portrait::MAX_BYTES`].
    #[error("the portrait is {len} bytes, more than the {max} allowed")]
    TooLarge {
        /// Its size.
        len: usize,
        /// The cap.
        max: usize,
    },
}

impl Portrait {
    /// The largest portrait accepted (ISO 18013-5 suggests small JPEGs; 64 KiB is generous).
    pub const MAX_BYTES: usize = 64 * 1024;

    /// Checks that `bytes` are a JPEG within the size cap.
    pub fn new(bytes: Vec<u8>) -> Result<Portrait, PortraitError> {
        if bytes.len() > Portrait::MAX_BYTES {
            return Err(PortraitError::TooLarge {
                len: bytes.len(),
                max: Portrait::MAX_BYTES,
            });
        }
        if !bytes.starts_with(&[0xff, 0xd8, 0xff]) {
            return Err(PortraitError::NotJpeg);
        }
        Ok(Portrait(bytes))
    }

    /// The JPEG bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }
}

impl std::fmt::Debug for Portrait {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Portrait({} bytes)", self.0.len())
    }
}

/// The ISO 18013-5 vehicle category closest to a Chinese class, where one exists (see
/// `docs/decisions/mdoc.md`); the exact Chinese class is always in the domestic namespace.
pub fn iso_category(class: DrivingClass) -> Option<&'static str> {
    use DrivingClass::*;
    Some(match class {
        A1 | N => "D",
        A2 => "CE",
        A3 | B1 => "D1",
        B2 => "C",
        C1 | C2 | C5 => "B",
        C6 => "BE",
        D | E => "A",
        F => "A1",
        C3 | C4 | M | P => return None,
    })
}

/// ISO 3166-1 alpha-2 for the nationalities the registry knows by name.
fn alpha2(alpha3: &str) -> Option<&'static str> {
    Some(match alpha3 {
        "CHN" => "CN",
        "USA" => "US",
        "GBR" => "GB",
        "FRA" => "FR",
        "DEU" => "DE",
        "JPN" => "JP",
        "KOR" => "KR",
        "RUS" => "RU",
        "CAN" => "CA",
        "AUS" => "AU",
        "SGP" => "SG",
        "MYS" => "MY",
        _ => return None,
    })
}

/// Whole years of age on `day`.
fn age_on(birth: Date, day: Date) -> i32 {
    let mut age = day.year() - birth.year();
    if (day.month() as u8, day.day()) < (birth.month() as u8, birth.day()) {
        age -= 1;
    }
    age
}

/// The value of every element for `licence`, as of `today` (points, ages), in [`ELEMENTS`]
/// order. Elements without a value for this licence (a nationality outside the alpha-2 table, a
/// subdivision the table lacks) are left out. (Issuance writes the same values straight to bytes
/// with [`LicenceValues`]; these are those bytes read back.)
pub fn licence_elements(
    licence: &Licence,
    portrait: &Portrait,
    today: Date,
) -> Vec<(&'static Element, Value)> {
    let values = LicenceValues::new(licence, portrait, today);
    let mut w = Writer::default();
    ELEMENTS
        .iter()
        .filter_map(|e| {
            w.clear();
            if !values.write(e.identifier, &mut w) {
                return None;
            }
            // What the writer wrote is well-formed CBOR: it always reads back.
            edl_cbor::decode(w.as_bytes(), usize::MAX)
                .ok()
                .map(|v| (e, v))
        })
        .collect()
}

/// The element values of one licence as of a day: what is shared between elements (names,
/// expiry, age) computed once, each value written straight into CBOR on demand.
pub(crate) struct LicenceValues<'a> {
    licence: &'a Licence,
    portrait: &'a Portrait,
    today: Date,
    latin: NameParts,
    national: NameParts,
    expiry: Date,
    age: i32,
}

impl<'a> LicenceValues<'a> {
    /// The values of `licence` as of `today`.
    pub(crate) fn new(licence: &'a Licence, portrait: &'a Portrait, today: Date) -> Self {
        let national = split_name(licence.name().as_str());
        LicenceValues {
            licence,
            portrait,
            today,
            latin: latin_parts(&national),
            national,
            expiry: licence.validity().end().date().unwrap_or(LONG_TERM_EXPIRY),
            age: age_on(licence.birth_date(), today),
        }
    }

    /// Writes the value of the element `identifier`; `false`, with nothing written, when this
    /// licence has no value for it (or the platform issues no such element).
    pub(crate) fn write(&self, identifier: &str, w: &mut Writer) -> bool {
        let licence = self.licence;
        let validity = licence.validity();
        let authority = licence.authority();
        match identifier {
            "family_name" => w.text(&self.latin.family),
            "given_name" => w.text(&self.latin.given),
            "family_name_national_character" => w.text(&self.national.family),
            "given_name_national_character" => w.text(&self.national.given),
            "birth_date" => w.full_date(licence.birth_date()),
            "sex" => w.uint(match licence.sex() {
                Sex::Male => 1,
                Sex::Female => 2,
            }),
            "nationality" => match alpha2(licence.nationality().code()) {
                Some(code) => w.text(code),
                None => return false,
            },
            "resident_address" => w.text(licence.address().as_str()),
            "portrait" => w.bytes(self.portrait.as_bytes()),
            "document_number" => w.text(&licence.citizen_id().to_string()),
            "issue_date" => w.full_date(validity.start()),
            "expiry_date" => w.full_date(self.expiry),
            "issuing_country" => w.text("CN"),
            "issuing_jurisdiction" => match edl_pki::subdivision_code(authority.region) {
                Some(code) => w.text(code),
                None => return false,
            },
            "issuing_authority" => w.text(&romanise_authority(authority.name.as_str())),
            "un_distinguishing_sign" => w.text("CHN"),
            "driving_privileges" => {
                let classes = licence.classes();
                let count = classes
                    .iter()
                    .filter(|c| iso_category(*c).is_some())
                    .count();
                w.array(count);
                for class in classes.iter() {
                    let Some(category) = iso_category(class) else {
                        continue;
                    };
                    w.map(4)
                        .text("vehicle_category_code")
                        .text(category)
                        .text("issue_date")
                        .full_date(licence.first_issue())
                        .text("expiry_date")
                        .full_date(self.expiry)
                        .text("codes")
                        .array(1)
                        .map(2)
                        .text("code")
                        .text("CN")
                        .text("value")
                        .text(class.code());
                }
                w
            }
            "age_over_18" => w.bool(self.age >= 18),
            "age_over_70" => w.bool(self.age >= 70),
            "file_number" => w.text(&licence.file_number().to_string()),
            "first_issue_date" => w.full_date(licence.first_issue()),
            "driving_classes" => {
                let classes = licence.classes();
                let len: usize = classes.iter().map(|c| c.code().len()).sum();
                w.head(3, len as u64);
                for class in classes.iter() {
                    w.raw(class.code().as_bytes());
                }
                w
            }
            "permitted_classes" => {
                let implied = licence.classes().implied();
                w.array(implied.iter().count());
                for class in implied.iter() {
                    w.text(class.code());
                }
                w
            }
            "validity_end" => match validity.end() {
                ValidityEnd::Indefinite => w.text("长期"),
                ValidityEnd::On(d) => w.full_date(d),
            },
            "status_letters" => {
                let status = licence.status();
                if status.is_empty() {
                    w.text("A")
                } else {
                    // The letters are ASCII: one byte each.
                    let letters: String = status.iter().map(|l| l.letter()).collect();
                    w.text(&letters)
                }
            }
            "points" => w.uint(u64::from(licence.points_as_of(self.today))),
            "points_cycle_end" => w.full_date(
                edl_domain::PointsCycle::containing(licence.first_issue(), self.today).end(),
            ),
            "issuing_authority_name" => w.text(authority.name.as_str()),
            _ => return false,
        };
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::latin::latin_name;
    use edl_cbor::full_date;

    /// The element values as first written, through `Value`s, to compare with.
    fn reference_elements(
        licence: &Licence,
        portrait: &Portrait,
        today: Date,
    ) -> Vec<(&'static Element, Value)> {
        let name = licence.name().as_str();
        let latin = latin_name(name);
        let national = split_name(name);
        let validity = licence.validity();
        let expiry = validity.end().date().unwrap_or(LONG_TERM_EXPIRY);
        let authority = licence.authority();
        let privileges: Vec<Value> = licence
            .classes()
            .iter()
            .filter_map(|class| {
                let category = iso_category(class)?;
                Some(Value::Map(vec![
                    (Value::from("vehicle_category_code"), Value::from(category)),
                    (Value::from("issue_date"), full_date(licence.first_issue())),
                    (Value::from("expiry_date"), full_date(expiry)),
                    (
                        Value::from("codes"),
                        Value::Array(vec![Value::Map(vec![
                            (Value::from("code"), Value::from("CN")),
                            (Value::from("value"), Value::from(class.code())),
                        ])]),
                    ),
                ]))
            })
            .collect();
        let classes_text: String = licence.classes().iter().map(DrivingClass::code).collect();
        let permitted: Vec<Value> = licence
            .classes()
            .implied()
            .iter()
            .map(|c| Value::from(c.code()))
            .collect();
        let status_text: String = if licence.status().is_empty() {
            "A".to_owned()
        } else {
            licence.status().iter().map(|l| l.letter()).collect()
        };
        let cycle = edl_domain::PointsCycle::containing(licence.first_issue(), today);
        let age = age_on(licence.birth_date(), today);

        let value = |identifier: &str| -> Option<Value> {
            Some(match identifier {
                "family_name" => Value::Text(latin.family.clone()),
                "given_name" => Value::Text(latin.given.clone()),
                "family_name_national_character" => Value::Text(national.family.clone()),
                "given_name_national_character" => Value::Text(national.given.clone()),
                "birth_date" => full_date(licence.birth_date()),
                "sex" => Value::from(match licence.sex() {
                    Sex::Male => 1,
                    Sex::Female => 2,
                }),
                "nationality" => Value::from(alpha2(licence.nationality().code())?),
                "resident_address" => Value::Text(licence.address().as_str().to_owned()),
                "portrait" => Value::Bytes(portrait.as_bytes().to_vec()),
                "document_number" => Value::Text(licence.citizen_id().to_string()),
                "issue_date" => full_date(validity.start()),
                "expiry_date" => full_date(expiry),
                "issuing_country" => Value::from("CN"),
                "issuing_jurisdiction" => Value::from(edl_pki::subdivision_code(authority.region)?),
                "issuing_authority" => Value::Text(romanise_authority(authority.name.as_str())),
                "un_distinguishing_sign" => Value::from("CHN"),
                "driving_privileges" => Value::Array(privileges.clone()),
                "age_over_18" => Value::Bool(age >= 18),
                "age_over_70" => Value::Bool(age >= 70),
                "file_number" => Value::Text(licence.file_number().to_string()),
                "first_issue_date" => full_date(licence.first_issue()),
                "driving_classes" => Value::Text(classes_text.clone()),
                "permitted_classes" => Value::Array(permitted.clone()),
                "validity_end" => match validity.end() {
                    ValidityEnd::Indefinite => Value::from("长期"),
                    ValidityEnd::On(d) => full_date(d),
                },
                "status_letters" => Value::Text(status_text.clone()),
                "points" => Value::from(licence.points_as_of(today)),
                "points_cycle_end" => full_date(cycle.end()),
                "issuing_authority_name" => Value::Text(authority.name.as_str().to_owned()),
                _ => return None,
            })
        };
        ELEMENTS
            .iter()
            .filter_map(|e| value(e.identifier).map(|v| (e, v)))
            .collect()
    }

    #[test]
    fn values_written_to_bytes_are_the_values_built_before() {
        let today = time::macros::date!(2026 - 03 - 01);
        let portrait = Portrait::new(edl_synth::demo_portrait().to_vec()).unwrap();
        for seed in [1, 7, 11] {
            let generator = edl_synth::Generator::new(seed, today);
            for i in 0..300 {
                let licence = generator.licence(i);
                let expected = reference_elements(&licence, &portrait, today);
                let written = licence_elements(&licence, &portrait, today);
                assert_eq!(written, expected, "seed {seed}, licence {i}");
            }
        }
    }
}
