//! The QR verification report as JSON, for `edl verify --json` and the verification API. Field
//! names are stable; values never include anything the purpose did not disclose.
//!
//! [`QrReportJson`] writes the report straight to its output, members in key order (the order a
//! `serde_json::Value` tree of it has): the verification API writes thousands of reports a second,
//! and building each as a tree of maps first cost more than writing it. [`QrReport::to_json`] is
//! that tree, for callers that edit it. The tests keep the tree-building writer this replaced and
//! compare the two on generated reports, byte for byte.

use edl_domain::Sex;
use edl_mdoc::Outcome;
use edl_mdoc::verify::{CheckResult, StatusFinding};
use edl_pki::SignerFacts;
use serde::ser::{Serialize, SerializeMap, SerializeSeq, Serializer};
use serde_json::Value as Json;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::claims::FieldValue;
use crate::verify::{QrReport, ShownField};

/// The members every report has, in key order.
const MEMBERS: [&str; 13] = [
    "age_seconds",
    "checks",
    "colour",
    "fields",
    "generated_at",
    "labels",
    "purpose",
    "purpose_zh",
    "signer",
    "status",
    "valid",
    "validated_at",
    "validity",
];

/// The report as JSON: `valid`, `colour`, `purpose`, `generated_at`, `age_seconds`, `validity`,
/// `status`, `signer`, `fields` (identifier → value), `labels` (identifier → label on the card),
/// `checks` (name, outcome, reason); with the status as a registry gave it and the string members
/// an online verifier adds, when asked.
#[derive(Debug, Clone)]
pub struct QrReportJson<'a> {
    report: &'a QrReport,
    registry_as_of: Option<OffsetDateTime>,
    /// Added members, in key order.
    added: Vec<(&'a str, &'a str)>,
}

impl<'a> QrReportJson<'a> {
    /// The report as an offline verifier gives it.
    pub fn new(report: &'a QrReport) -> QrReportJson<'a> {
        QrReportJson {
            report,
            registry_as_of: None,
            added: Vec::new(),
        }
    }

    /// A status found is shown as read from the registry at `as_of`: `{state, as_of}`, with no
    /// list and no age.
    pub fn registry_status(mut self, as_of: OffsetDateTime) -> QrReportJson<'a> {
        self.registry_as_of = Some(as_of);
        self
    }

    /// Adds the string member `key`; a member of the report with the same name is replaced.
    pub fn member(mut self, key: &'a str, value: &'a str) -> QrReportJson<'a> {
        match self.added.binary_search_by(|(k, _)| (*k).cmp(key)) {
            Ok(at) => self.added[at].1 = value,
            Err(at) => self.added.insert(at, (key, value)),
        }
        self
    }

    fn write_member<M: SerializeMap>(
        &self,
        map: &mut M,
        key: &'static str,
    ) -> Result<(), M::Error> {
        let r = self.report;
        match key {
            "age_seconds" => map.serialize_entry(key, &r.age().map(|a| a.whole_seconds())),
            "checks" => map.serialize_entry(key, &Checks(&r.checks)),
            "colour" => map.serialize_entry(key, r.colour.as_str()),
            "fields" => map.serialize_entry(key, &Fields(&r.fields, false)),
            "generated_at" => map.serialize_entry(key, &r.generated_at.map(Instant)),
            "labels" => map.serialize_entry(key, &Fields(&r.fields, true)),
            "purpose" => map.serialize_entry(key, &r.purpose.map(|p| p.as_str())),
            "purpose_zh" => map.serialize_entry(key, &r.purpose.map(|p| p.name_zh())),
            "signer" => {
                map.serialize_entry(key, &r.signer.as_ref().map(|s| Signer(s, r.signer_region)))
            }
            "status" => map.serialize_entry(key, &Status(r, self.registry_as_of)),
            "valid" => map.serialize_entry(key, &r.is_valid()),
            "validated_at" => map.serialize_entry(key, &Instant(r.validated_at)),
            _ => map.serialize_entry(
                key,
                &match (r.valid_from, r.valid_until) {
                    (Some(from), Some(until)) => Some(Validity(from, until)),
                    _ => None,
                },
            ),
        }
    }
}

impl Serialize for QrReportJson<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        let mut added = self.added.iter().peekable();
        for key in MEMBERS {
            while let Some((k, v)) = added.next_if(|(k, _)| *k <= key) {
                map.serialize_entry(k, v)?;
                if *k == key {
                    break;
                }
            }
            if self.added.iter().all(|(k, _)| *k != key) {
                self.write_member(&mut map, key)?;
            }
        }
        for (k, v) in added {
            map.serialize_entry(k, v)?;
        }
        map.end()
    }
}

impl QrReport {
    /// The report as a JSON tree ([`QrReportJson`] writes the same without building it).
    pub fn to_json(&self) -> Json {
        serde_json::to_value(QrReportJson::new(self)).unwrap_or(Json::Null)
    }
}

/// An instant in RFC 3339 (`null` if it cannot be written so).
struct Instant(OffsetDateTime);

impl Serialize for Instant {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self.0.format(&Rfc3339) {
            Ok(text) => serializer.serialize_str(&text),
            Err(_) => serializer.serialize_none(),
        }
    }
}

struct Checks<'a>(&'a [CheckResult]);

impl Serialize for Checks<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut seq = serializer.serialize_seq(Some(self.0.len()))?;
        for check in self.0 {
            seq.serialize_element(&Check(check))?;
        }
        seq.end()
    }
}

struct Check<'a>(&'a CheckResult);

impl Serialize for Check<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let (outcome, reason) = match &self.0.outcome {
            Outcome::Passed => ("passed", None),
            Outcome::Failed(why) => ("failed", Some(why.as_str())),
            Outcome::NotChecked(why) => ("not_checked", Some(*why)),
            Outcome::NotApplicable(why) => ("not_applicable", Some(*why)),
        };
        let mut map = serializer.serialize_map(Some(3))?;
        map.serialize_entry("name", &self.0.name)?;
        map.serialize_entry("outcome", outcome)?;
        map.serialize_entry("reason", &reason)?;
        map.end()
    }
}

/// The fields by identifier (in identifier order; of a repeated identifier the last), their
/// values or (`true`) their labels on the card.
struct Fields<'a>(&'a [ShownField], bool);

impl Serialize for Fields<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut sorted: Vec<&ShownField> = self.0.iter().collect();
        sorted.sort_by_key(|f| f.identifier);
        let mut map = serializer.serialize_map(None)?;
        for (i, field) in sorted.iter().enumerate() {
            if sorted
                .get(i + 1)
                .is_some_and(|next| next.identifier == field.identifier)
            {
                continue;
            }
            if self.1 {
                map.serialize_entry(field.identifier, field.label_zh)?;
            } else {
                map.serialize_entry(field.identifier, &Value(&field.value))?;
            }
        }
        map.end()
    }
}

/// A field's value: numbers and booleans as such, everything else as the card shows it.
struct Value<'a>(&'a FieldValue);

impl Serialize for Value<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self.0 {
            FieldValue::Uint(n) => serializer.serialize_u64(*n),
            FieldValue::Bool(b) => serializer.serialize_bool(*b),
            FieldValue::Text(s) | FieldValue::CitizenId(s) | FieldValue::FileNumber(s) => {
                serializer.serialize_str(s)
            }
            FieldValue::LongTerm => serializer.serialize_str("长期"),
            FieldValue::Sex(Sex::Male) => serializer.serialize_str("男"),
            FieldValue::Sex(Sex::Female) => serializer.serialize_str("女"),
            FieldValue::Date(d) => serializer.collect_str(d),
            FieldValue::PortraitDigest(_) => serializer.serialize_str(&self.0.display()),
        }
    }
}

struct Status<'a>(&'a QrReport, Option<OffsetDateTime>);

impl Serialize for Status<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        match (&self.0.status, self.1) {
            (StatusFinding::NotReferenced, _) => map.serialize_entry("state", "not_referenced")?,
            (StatusFinding::Found { status, .. }, Some(as_of)) => {
                map.serialize_entry("as_of", &Instant(as_of))?;
                map.serialize_entry("state", status.as_str())?;
            }
            (
                StatusFinding::Found {
                    status,
                    list_issued_at,
                },
                None,
            ) => {
                map.serialize_entry(
                    "list_age_seconds",
                    &(self.0.validated_at - *list_issued_at).whole_seconds(),
                )?;
                map.serialize_entry("list_issued_at", &Instant(*list_issued_at))?;
                map.serialize_entry("state", status.as_str())?;
            }
            (StatusFinding::Unknown { reason }, _) => {
                map.serialize_entry("reason", reason)?;
                map.serialize_entry("state", "unknown")?;
            }
        }
        map.end()
    }
}

/// The signer's facts, with its region.
struct Signer<'a>(&'a SignerFacts, Option<u32>);

impl Serialize for Signer<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(3))?;
        map.serialize_entry("authority", &self.0.common_name)?;
        map.serialize_entry("not_after", &Instant(self.0.not_after))?;
        map.serialize_entry("region", &self.1.map(|r| format!("{r:06}")))?;
        map.end()
    }
}

struct Validity(OffsetDateTime, OffsetDateTime);

impl Serialize for Validity {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(2))?;
        map.serialize_entry("valid_from", &Instant(self.0))?;
        map.serialize_entry("valid_until", &Instant(self.1))?;
        map.end()
    }
}

#[cfg(test)]
#[path = "report_json_tests.rs"]
mod tests;
