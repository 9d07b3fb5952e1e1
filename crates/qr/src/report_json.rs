//! The QR verification report as JSON, for `edl verify --json` and the verification API. Field
//! names are stable; values never include anything the purpose did not disclose.

use edl_mdoc::Outcome;
use edl_mdoc::verify::StatusFinding;
use serde_json::{Map, Value as Json, json};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::claims::FieldValue;
use crate::verify::QrReport;

fn instant(t: OffsetDateTime) -> Json {
    t.format(&Rfc3339).map(Json::String).unwrap_or(Json::Null)
}

fn value(v: &FieldValue) -> Json {
    match v {
        FieldValue::Uint(n) => json!(n),
        FieldValue::Bool(b) => json!(b),
        FieldValue::LongTerm => json!("长期"),
        FieldValue::Sex(_)
        | FieldValue::Text(_)
        | FieldValue::CitizenId(_)
        | FieldValue::FileNumber(_) => {
            json!(v.display())
        }
        FieldValue::Date(d) => json!(d.to_string()),
        FieldValue::PortraitDigest(_) => json!(v.display()),
    }
}

impl QrReport {
    /// The report as JSON: `valid`, `colour`, `purpose`, `generated_at`, `age_seconds`,
    /// `validity`, `status`, `signer`, `fields` (identifier → value), `labels` (identifier →
    /// label on the card), `checks` (name, outcome, reason).
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
        let mut fields = Map::new();
        let mut labels = Map::new();
        for f in &self.fields {
            fields.insert(f.identifier.to_owned(), value(&f.value));
            labels.insert(f.identifier.to_owned(), json!(f.label_zh));
        }
        let status = match &self.status {
            StatusFinding::NotReferenced => json!({ "state": "not_referenced" }),
            StatusFinding::Found {
                status,
                list_issued_at,
            } => json!({
                "state": status.as_str(),
                "list_issued_at": instant(*list_issued_at),
                "list_age_seconds": (self.validated_at - *list_issued_at).whole_seconds(),
            }),
            StatusFinding::Unknown { reason } => json!({ "state": "unknown", "reason": reason }),
        };
        json!({
            "valid": self.is_valid(),
            "colour": self.colour.as_str(),
            "validated_at": instant(self.validated_at),
            "purpose": self.purpose.map(|p| p.as_str()),
            "purpose_zh": self.purpose.map(|p| p.name_zh()),
            "generated_at": self.generated_at.map(instant),
            "age_seconds": self.age().map(|a| a.whole_seconds()),
            "validity": match (self.valid_from, self.valid_until) {
                (Some(from), Some(until)) => json!({ "valid_from": instant(from), "valid_until": instant(until) }),
                _ => Json::Null,
            },
            "status": status,
            "signer": self.signer.as_ref().map(|s| json!({
                "authority": s.common_name,
                "region": self.signer_region.map(|r| format!("{r:06}")),
                "not_after": instant(s.not_after),
            })),
            "fields": fields,
            "labels": labels,
            "checks": checks,
        })
    }
}
