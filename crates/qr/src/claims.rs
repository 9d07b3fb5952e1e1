//! The elements a compact credential carries: one small integer key per element, values in the
//! most compact faithful form (dates as days since 1970-01-01, 证号 and 档案编号 as integers), and
//! which elements each purpose carries (the same table as the mdoc, [`Purpose::discloses`]).
//! `docs/qr-format.md` is the specification; this file is its implementation.

use ciborium::Value;
use edl_cbor::Item;
use edl_domain::{CitizenId, DrivingClass, Licence, Sex, ValidityEnd};
use edl_mdoc::elements::{Element, element};
use edl_mdoc::latin::split_name;
use edl_mdoc::{CN_NAMESPACE, ISO_NAMESPACE, Purpose};
use std::sync::OnceLock;

use time::{Date, Duration};

/// How a value is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A text string.
    Text,
    /// A date as an integer: days since 1970-01-01 (negative before).
    Days,
    /// An expiry date as days, or null for 长期 (no end).
    DaysOrLongTerm,
    /// An unsigned integer.
    Uint,
    /// 1 male, 2 female (ISO/IEC 5218).
    Sex,
    /// A boolean.
    Bool,
    /// The first 17 digits of the 18-character 证号 as an integer; the check character is
    /// recomputed (GB 11643).
    CitizenId,
    /// The 12-digit 档案编号 as an integer, written back with leading zeros.
    FileNumber,
    /// The first 16 bytes of SHA-256 over the portrait JPEG (the photo itself does not fit).
    PortraitDigest,
}

/// One carried element: its key in the claims map, the mdoc element it stands for, its kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Field {
    /// The key in the claims' element map.
    pub key: u8,
    /// The mdoc namespace of the element.
    pub namespace: &'static str,
    /// The mdoc element identifier.
    pub identifier: &'static str,
    /// How its value is written.
    pub kind: Kind,
}

const fn field(key: u8, namespace: &'static str, identifier: &'static str, kind: Kind) -> Field {
    Field {
        key,
        namespace,
        identifier,
        kind,
    }
}

/// Every element a compact credential can carry, by key. The mdoc elements not listed are
/// derived by the verifier (Latin names, country, privileges, implied classes, jurisdiction) or
/// left to the full mdoc path and online checks (the address of the 副页), so that the roadside
/// code stays within QR version 15 at level M (see `docs/qr-format.md`).
pub const FIELDS: [Field; 18] = [
    field(
        1,
        ISO_NAMESPACE,
        "family_name_national_character",
        Kind::Text,
    ),
    field(
        2,
        ISO_NAMESPACE,
        "given_name_national_character",
        Kind::Text,
    ),
    field(3, ISO_NAMESPACE, "birth_date", Kind::Days),
    field(4, ISO_NAMESPACE, "sex", Kind::Sex),
    field(5, ISO_NAMESPACE, "nationality", Kind::Text),
    field(6, ISO_NAMESPACE, "portrait", Kind::PortraitDigest),
    field(7, ISO_NAMESPACE, "document_number", Kind::CitizenId),
    field(8, ISO_NAMESPACE, "issue_date", Kind::Days),
    field(9, ISO_NAMESPACE, "expiry_date", Kind::DaysOrLongTerm),
    field(10, CN_NAMESPACE, "driving_classes", Kind::Text),
    field(11, ISO_NAMESPACE, "age_over_18", Kind::Bool),
    field(12, ISO_NAMESPACE, "age_over_70", Kind::Bool),
    field(13, CN_NAMESPACE, "file_number", Kind::FileNumber),
    field(14, CN_NAMESPACE, "first_issue_date", Kind::Days),
    field(15, CN_NAMESPACE, "status_letters", Kind::Text),
    field(16, CN_NAMESPACE, "points", Kind::Uint),
    field(17, CN_NAMESPACE, "points_cycle_end", Kind::Days),
    field(18, CN_NAMESPACE, "issuing_authority_name", Kind::Text),
];

/// The field with this key.
pub fn by_key(key: u64) -> Option<&'static Field> {
    FIELDS.iter().find(|f| u64::from(f.key) == key)
}

impl Field {
    /// The mdoc element (label, namespace) this field stands for.
    pub fn element(&self) -> &'static Element {
        element(self.namespace, self.identifier)
            .expect("every QR field names an element of edl_mdoc::elements::ELEMENTS (a test)")
    }

    /// Whether a credential for `purpose` carries this field. `age_over_NN` is carried only when
    /// the birth date is not (a verifier derives it from the birth date otherwise).
    pub fn carried_for(&self, purpose: Purpose) -> bool {
        if !purpose.discloses(self.element()) {
            return false;
        }
        if matches!(self.identifier, "age_over_18" | "age_over_70") {
            let birth = element(ISO_NAMESPACE, "birth_date")
                .expect("birth_date is an mdoc element (a test)");
            return !purpose.discloses(birth);
        }
        true
    }
}

/// Which fields a credential for `purpose` carries, one bit per key: [`Field::carried_for`] worked
/// out once per purpose (it looks the elements up by name).
fn carried_keys(purpose: Purpose) -> u32 {
    static KEYS: OnceLock<[u32; 5]> = OnceLock::new();
    let keys = KEYS.get_or_init(|| {
        let mut keys = [0u32; 5];
        for p in edl_mdoc::purpose::PURPOSES {
            keys[usize::from(purpose_code(p) - 1)] = FIELDS
                .iter()
                .filter(|f| f.carried_for(p))
                .fold(0, |k, f| k | 1 << f.key);
        }
        keys
    });
    keys[usize::from(purpose_code(purpose) - 1)]
}

/// [`Field::carried_for`], without the look-ups.
pub(crate) fn carries(purpose: Purpose, field: &Field) -> bool {
    carried_keys(purpose) & 1 << field.key != 0
}

/// [`Field::element`]'s `label_zh`, without the look-up.
pub(crate) fn label_zh(field: &Field) -> &'static str {
    static LABELS: OnceLock<[&'static str; FIELDS.len()]> = OnceLock::new();
    LABELS.get_or_init(|| FIELDS.map(|f| f.element().label_zh))[usize::from(field.key) - 1]
}

/// The purposes and their numbers in the claims (`1` roadside … `5` insurer).
pub fn purpose_code(purpose: Purpose) -> u8 {
    match purpose {
        Purpose::Roadside => 1,
        Purpose::BusinessWindow => 2,
        Purpose::CarRental => 3,
        Purpose::TransportCompany => 4,
        Purpose::Insurer => 5,
    }
}

/// The purpose with this number.
pub fn purpose_of_code(code: u64) -> Option<Purpose> {
    edl_mdoc::purpose::PURPOSES
        .into_iter()
        .find(|p| u64::from(purpose_code(*p)) == code)
}

const EPOCH: Date = time::macros::date!(1970 - 01 - 01);

/// Days since 1970-01-01.
pub fn days(date: Date) -> i64 {
    (date - EPOCH).whole_days()
}

/// The date `days` after 1970-01-01, if representable.
pub fn date_of_days(days: i64) -> Option<Date> {
    // Bounded first: Duration::days panics past ±2^63 seconds.
    if days.abs() > 3_000_000 {
        return None;
    }
    EPOCH.checked_add(Duration::days(days))
}

fn age_on(birth: Date, day: Date) -> i32 {
    let mut age = day.year() - birth.year();
    if (day.month() as u8, day.day()) < (birth.month() as u8, birth.day()) {
        age -= 1;
    }
    age
}

fn days_value(date: Date) -> Value {
    Value::Integer(days(date).into())
}

/// The element map of a credential for `purpose`: key → value, in key order. `portrait_digest` is
/// [`portrait_digest`] of the holder's photo; `today` (Beijing) fixes points and ages.
pub fn elements_for(
    licence: &Licence,
    purpose: Purpose,
    portrait_digest: &[u8; 16],
    today: Date,
) -> Vec<(Value, Value)> {
    let name = split_name(licence.name().as_str());
    let validity = licence.validity();
    let age = age_on(licence.birth_date(), today);
    let value = |f: &Field| -> Value {
        match f.identifier {
            "family_name_national_character" => Value::Text(name.family.clone()),
            "given_name_national_character" => Value::Text(name.given.clone()),
            "birth_date" => days_value(licence.birth_date()),
            "sex" => Value::from(match licence.sex() {
                Sex::Male => 1,
                Sex::Female => 2,
            }),
            "nationality" => Value::from(licence.nationality().code()),
            "portrait" => Value::Bytes(portrait_digest.to_vec()),
            "document_number" => {
                let digits = &licence.citizen_id().as_str()[..17];
                Value::from(digits.parse::<u64>().expect("a 证号 starts with 17 digits"))
            }
            "issue_date" => days_value(validity.start()),
            "expiry_date" => match validity.end() {
                ValidityEnd::Indefinite => Value::Null,
                ValidityEnd::On(d) => days_value(d),
            },
            "driving_classes" => {
                Value::Text(licence.classes().iter().map(DrivingClass::code).collect())
            }
            "age_over_18" => Value::Bool(age >= 18),
            "age_over_70" => Value::Bool(age >= 70),
            "file_number" => Value::from(
                licence
                    .file_number()
                    .as_str()
                    .parse::<u64>()
                    .expect("a 档案编号 is 12 digits"),
            ),
            "first_issue_date" => days_value(licence.first_issue()),
            "status_letters" => Value::Text(if licence.status().is_empty() {
                "A".to_owned()
            } else {
                licence.status().iter().map(|l| l.letter()).collect()
            }),
            "points" => Value::from(licence.points_as_of(today)),
            "points_cycle_end" => {
                days_value(edl_domain::PointsCycle::containing(licence.first_issue(), today).end())
            }
            "issuing_authority_name" => Value::from(licence.authority().name.as_str()),
            other => unreachable!("FIELDS lists no other identifier ({other})"),
        }
    };
    FIELDS
        .iter()
        .filter(|f| f.carried_for(purpose))
        .map(|f| (Value::from(f.key), value(f)))
        .collect()
}

/// The first 16 bytes of SHA-256 over the portrait JPEG.
pub fn portrait_digest(jpeg: &[u8]) -> [u8; 16] {
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, jpeg);
    let mut out = [0u8; 16];
    out.copy_from_slice(&digest.as_ref()[..16]);
    out
}

/// A carried value, read back and checked against its kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FieldValue {
    /// Text.
    Text(String),
    /// A date.
    Date(Date),
    /// 长期: the licence has no end date.
    LongTerm,
    /// A number.
    Uint(u64),
    /// A sex.
    Sex(Sex),
    /// A boolean.
    Bool(bool),
    /// The 证号, with its check character recomputed.
    CitizenId(String),
    /// The 档案编号, 12 digits.
    FileNumber(String),
    /// The portrait's digest.
    PortraitDigest([u8; 16]),
}

/// What [`FieldValue`] reads of a value, the same whether it is a decoded [`Value`] or an
/// [`Item`] read in place.
trait Scalar {
    fn integer(&self) -> Option<i128>;
    fn text(&self) -> Option<&str>;
    fn bytes(&self) -> Option<&[u8]>;
    fn boolean(&self) -> Option<bool>;
    fn null(&self) -> bool;
}

impl Scalar for Value {
    fn integer(&self) -> Option<i128> {
        self.as_integer().map(i128::from)
    }
    fn text(&self) -> Option<&str> {
        self.as_text()
    }
    fn bytes(&self) -> Option<&[u8]> {
        self.as_bytes().map(Vec::as_slice)
    }
    fn boolean(&self) -> Option<bool> {
        self.as_bool()
    }
    fn null(&self) -> bool {
        self.is_null()
    }
}

impl Scalar for Item<'_> {
    fn integer(&self) -> Option<i128> {
        self.as_integer()
    }
    fn text(&self) -> Option<&str> {
        self.as_text()
    }
    fn bytes(&self) -> Option<&[u8]> {
        self.as_bytes()
    }
    fn boolean(&self) -> Option<bool> {
        self.as_bool()
    }
    fn null(&self) -> bool {
        self.is_null()
    }
}

impl FieldValue {
    /// Reads `value` as `kind`; `None` when it does not fit the kind.
    pub fn read(kind: Kind, value: &Value) -> Option<FieldValue> {
        FieldValue::read_scalar(kind, value)
    }

    /// Reads an item in place as `kind`, as [`FieldValue::read`] reads its decoded value.
    pub fn read_item(kind: Kind, item: Item<'_>) -> Option<FieldValue> {
        FieldValue::read_scalar(kind, &item)
    }

    fn read_scalar(kind: Kind, value: &impl Scalar) -> Option<FieldValue> {
        let uint = || -> Option<u64> { value.integer().and_then(|i| u64::try_from(i).ok()) };
        let day = || -> Option<Date> {
            let n = i64::try_from(value.integer()?).ok()?;
            date_of_days(n)
        };
        Some(match kind {
            Kind::Text => FieldValue::Text(value.text()?.to_owned()),
            Kind::Days => FieldValue::Date(day()?),
            Kind::DaysOrLongTerm => {
                if value.null() {
                    FieldValue::LongTerm
                } else {
                    FieldValue::Date(day()?)
                }
            }
            Kind::Uint => FieldValue::Uint(uint()?),
            Kind::Sex => FieldValue::Sex(match uint()? {
                1 => Sex::Male,
                2 => Sex::Female,
                _ => return None,
            }),
            Kind::Bool => FieldValue::Bool(value.boolean()?),
            Kind::CitizenId => {
                let n = uint()?;
                if n >= 100_000_000_000_000_000 {
                    return None;
                }
                let first17 = format!("{n:017}");
                let check = edl_domain::check_character(&first17)?;
                let id = format!("{first17}{check}");
                CitizenId::parse(&id).ok()?;
                FieldValue::CitizenId(id)
            }
            Kind::FileNumber => {
                let n = uint()?;
                if n >= 1_000_000_000_000 {
                    return None;
                }
                FieldValue::FileNumber(format!("{n:012}"))
            }
            Kind::PortraitDigest => FieldValue::PortraitDigest(value.bytes()?.try_into().ok()?),
        })
    }

    /// The value as a person reads it (dates ISO 8601, 长期, 男/女).
    pub fn display(&self) -> String {
        match self {
            FieldValue::Text(s) | FieldValue::CitizenId(s) | FieldValue::FileNumber(s) => s.clone(),
            FieldValue::Date(d) => d.to_string(),
            FieldValue::LongTerm => "长期".to_owned(),
            FieldValue::Uint(n) => n.to_string(),
            FieldValue::Sex(Sex::Male) => "男".to_owned(),
            FieldValue::Sex(Sex::Female) => "女".to_owned(),
            FieldValue::Bool(b) => if *b { "是" } else { "否" }.to_owned(),
            FieldValue::PortraitDigest(d) => d.iter().map(|b| format!("{b:02x}")).collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use edl_mdoc::purpose::PURPOSES;

    #[test]
    fn every_field_names_an_mdoc_element_once() {
        for (i, f) in FIELDS.iter().enumerate() {
            assert_eq!(usize::from(f.key), i + 1, "keys are 1..=18 in order");
            assert_eq!(f.element().identifier, f.identifier);
        }
    }

    #[test]
    fn purposes_carry_what_the_mdoc_table_discloses() {
        let carried = |p| -> Vec<&str> {
            FIELDS
                .iter()
                .filter(|f| f.carried_for(p))
                .map(|f| f.identifier)
                .collect()
        };
        // Roadside: every field except the ages (derived from the birth date).
        assert_eq!(carried(Purpose::Roadside).len(), FIELDS.len() - 2);
        assert!(!carried(Purpose::Roadside).contains(&"age_over_18"));
        // Car rental: no birth date, so the age flag is carried; no 证号.
        let rental = carried(Purpose::CarRental);
        assert!(rental.contains(&"age_over_18"));
        assert!(rental.contains(&"portrait"));
        assert!(!rental.contains(&"document_number"));
        for p in PURPOSES {
            for f in FIELDS.iter().filter(|f| f.carried_for(p)) {
                assert!(
                    p.discloses(f.element()),
                    "{} for {}",
                    f.identifier,
                    p.as_str()
                );
            }
        }
    }

    #[test]
    fn the_tables_worked_out_once_agree_with_the_look_ups() {
        for p in PURPOSES {
            for f in &FIELDS {
                assert_eq!(carries(p, f), f.carried_for(p), "{}", f.identifier);
                assert_eq!(label_zh(f), f.element().label_zh);
            }
        }
    }

    #[test]
    fn values_read_back_as_written() {
        assert_eq!(days(time::macros::date!(1969 - 12 - 31)), -1);
        assert_eq!(
            date_of_days(19_000),
            Some(time::macros::date!(2022 - 01 - 08))
        );
        assert_eq!(
            FieldValue::read(Kind::CitizenId, &Value::from(11010519491231002u64)),
            Some(FieldValue::CitizenId("11010519491231002X".to_owned()))
        );
        assert_eq!(
            FieldValue::read(Kind::FileNumber, &Value::from(1234u64)),
            Some(FieldValue::FileNumber("000000001234".to_owned()))
        );
        assert_eq!(
            FieldValue::read(Kind::FileNumber, &Value::from(1_000_000_000_000u64)),
            None
        );
        assert_eq!(FieldValue::read(Kind::Sex, &Value::from(3)), None);
        assert_eq!(FieldValue::read(Kind::Text, &Value::from(3)), None);
        assert_eq!(
            FieldValue::read(Kind::DaysOrLongTerm, &Value::Null),
            Some(FieldValue::LongTerm)
        );
        assert_eq!(
            FieldValue::read(Kind::Days, &Value::Integer(i64::MAX.into())),
            None
        );
        assert_eq!(
            FieldValue::read(Kind::PortraitDigest, &Value::Bytes(vec![0; 15])),
            None
        );
    }
}
