//! The verification report as JSON, for `edl verify --json` and the verification API.
//!
//! Shape: `{"valid", "validated_at", "doc_type", "device_auth", "validity": {"signed",
//! "valid_from", "valid_until", "expected_update"}, "status": {"state", ...}, "signer":
//! {"common_name", "country", "not_before", "not_after"}, "disclosed": {namespace: {identifier:
//! value}}, "checks": [{"name", "outcome", "reason"}]}`. CBOR values map to JSON as text,
//! integers, booleans and arrays/maps; byte strings become `{"base16": "…"}`; `full-date` and
//! `tdate` become their text.

use ciborium::Value;
use serde_json::{Map, Value as Json, json};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::verify::{Outcome, StatusFinding, VerificationReport};

fn instant(t: OffsetDateTime) -> Json {
    Json::String(t.format(&Rfc3339).unwrap_or_default())
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A CBOR value as JSON (see the module documentation).
pub fn cbor_to_json(value: &Value) -> Json {
    match value {
        Value::Text(t) => Json::String(t.clone()),
        Value::Integer(i) => i64::try_from(*i)
            .map(Json::from)
            .or_else(|_| u64::try_from(*i).map(Json::from))
            .unwrap_or(Json::Null),
        Value::Bool(b) => Json::Bool(*b),
        Value::Null => Json::Null,
        Value::Float(f) => json!(f),
        Value::Bytes(b) => json!({ "base16": hex(b) }),
        Value::Tag(0 | 1004, inner) => cbor_to_json(inner),
        Value::Tag(tag, inner) => json!({ "tag": tag, "value": cbor_to_json(inner) }),
        Value::Array(items) => Json::Array(items.iter().map(cbor_to_json).collect()),
        Value::Map(entries) => {
            let mut map = Map::new();
            for (k, v) in entries {
                let key = match k {
                    Value::Text(t) => t.clone(),
                    other => cbor_to_json(other).to_string(),
                };
                map.insert(key, cbor_to_json(v));
            }
            Json::Object(map)
        }
        _ => Json::Null,
    }
}

impl VerificationReport {
    /// The report as JSON.
    pub fn to_json(&self) -> Json {
        let checks: Vec<Json> = self
            .checks
            .iter()
            .map(|c| {
                let (outcome, reason) = match &c.outcome {
                    Outcome::Passed => ("passed", None),
                    Outcome::Failed(why) => ("failed", Some(why.clone())),
                    Outcome::NotChecked(why) => ("not_checked", Some((*why).to_owned())),
                    Outcome::NotApplicable(why) => ("not_applicable", Some((*why).to_owned())),
                };
                json!({ "name": c.name, "outcome": outcome, "reason": reason })
            })
            .collect();
        let mut disclosed = Map::new();
        for d in &self.disclosed {
            let ns = disclosed
                .entry(d.namespace.clone())
                .or_insert_with(|| Json::Object(Map::new()));
            if let Json::Object(ns) = ns {
                ns.insert(d.identifier.clone(), cbor_to_json(&d.value));
            }
        }
        let status = match &self.status {
            StatusFinding::NotReferenced => json!({ "state": "not_referenced" }),
            StatusFinding::Found {
                status,
                list_issued_at,
            } => json!({ "state": status.as_str(), "list_issued_at": instant(*list_issued_at) }),
            StatusFinding::Unknown { reason } => json!({ "state": "unknown", "reason": reason }),
        };
        json!({
            "valid": self.is_valid(),
            "validated_at": instant(self.validated_at),
            "doc_type": self.doc_type,
            "device_auth": self.device_auth,
            "validity": self.validity.map(|v| json!({
                "signed": instant(v.signed),
                "valid_from": instant(v.valid_from),
                "valid_until": instant(v.valid_until),
                "expected_update": v.expected_update.map(instant),
            })),
            "status": status,
            "signer": self.signer.as_ref().map(|s| json!({
                "common_name": s.common_name,
                "country": s.country,
                "state_or_province": s.state_or_province,
                "not_before": instant(s.not_before),
                "not_after": instant(s.not_after),
            })),
            "disclosed": disclosed,
            "checks": checks,
        })
    }
}
