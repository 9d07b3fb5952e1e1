//! [`QrReportJson`] against the writer it replaced, which built a `serde_json::Value` tree (kept
//! here verbatim as the reference, with the online verifier's edits of that tree): compared on
//! generated reports, as trees and as the bytes written.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use edl_domain::Sex;
use edl_mdoc::Outcome;
use edl_mdoc::verify::{CheckResult, StatusFinding};
use edl_pki::{Curve, PublicKey, SignerFacts};
use edl_status_list::CredentialStatus;
use proptest::prelude::*;
use serde_json::{Map, Value as Json, json};
use time::format_description::well_known::Rfc3339;
use time::{Date, OffsetDateTime};

use super::QrReportJson;
use crate::claims::FieldValue;
use crate::verify::{Colour, QrReport, ShownField};

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

/// `QrReport::to_json` before `QrReportJson`.
fn legacy(report: &QrReport) -> Json {
    let checks: Vec<Json> = report
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
    for f in &report.fields {
        fields.insert(f.identifier.to_owned(), value(&f.value));
        labels.insert(f.identifier.to_owned(), json!(f.label_zh));
    }
    let status = match &report.status {
        StatusFinding::NotReferenced => json!({ "state": "not_referenced" }),
        StatusFinding::Found {
            status,
            list_issued_at,
        } => json!({
            "state": status.as_str(),
            "list_issued_at": instant(*list_issued_at),
            "list_age_seconds": (report.validated_at - *list_issued_at).whole_seconds(),
        }),
        StatusFinding::Unknown { reason } => json!({ "state": "unknown", "reason": reason }),
    };
    json!({
        "valid": report.is_valid(),
        "colour": report.colour.as_str(),
        "validated_at": instant(report.validated_at),
        "purpose": report.purpose.map(|p| p.as_str()),
        "purpose_zh": report.purpose.map(|p| p.name_zh()),
        "generated_at": report.generated_at.map(instant),
        "age_seconds": report.age().map(|a| a.whole_seconds()),
        "validity": match (report.valid_from, report.valid_until) {
            (Some(from), Some(until)) => json!({ "valid_from": instant(from), "valid_until": instant(until) }),
            _ => Json::Null,
        },
        "status": status,
        "signer": report.signer.as_ref().map(|s| json!({
            "authority": s.common_name,
            "region": report.signer_region.map(|r| format!("{r:06}")),
            "not_after": instant(s.not_after),
        })),
        "fields": fields,
        "labels": labels,
        "checks": checks,
    })
}

/// What the online verifier did to that tree: the status rewritten for a registry read, then
/// its own members inserted (replacing any of the same name).
fn legacy_online(report: &QrReport, as_of: Option<OffsetDateTime>, added: &[(&str, &str)]) -> Json {
    let mut json = legacy(report);
    let object = json.as_object_mut().unwrap();
    if let (Some(at), StatusFinding::Found { status, .. }) = (as_of, &report.status) {
        object.insert(
            "status".into(),
            json!({ "state": status.as_str(), "as_of": instant(at) }),
        );
    }
    for (k, v) in added {
        object.insert((*k).to_owned(), json!(v));
    }
    json
}

fn written(json: &QrReportJson<'_>) -> (Json, String) {
    (
        serde_json::to_value(json).unwrap(),
        serde_json::to_string(json).unwrap(),
    )
}

fn instant_strategy() -> impl Strategy<Value = OffsetDateTime> {
    (0i64..4_102_444_800).prop_map(|s| OffsetDateTime::from_unix_timestamp(s).unwrap())
}

fn text_strategy() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        Just("正常".to_owned()),
        Just("a \"quoted\" \\ line\nbreak\t\u{1}".to_owned()),
        "[a-z0-9 ]{0,12}",
        any::<String>(),
    ]
}

const WHYS: [&str; 3] = ["", "the code could not be read", "引号\"和\\反斜杠"];

fn outcome_strategy() -> impl Strategy<Value = Outcome> {
    prop_oneof![
        Just(Outcome::Passed),
        text_strategy().prop_map(Outcome::Failed),
        prop::sample::select(&WHYS[..]).prop_map(Outcome::NotChecked),
        prop::sample::select(&WHYS[..]).prop_map(Outcome::NotApplicable),
    ]
}

const FIELDS: [(&str, &str); 7] = [
    ("family_name", "姓名"),
    ("portrait", "照片"),
    ("driving_privileges", "准驾车型"),
    ("document_number", "证号"),
    ("expiry_date", "有效期限"),
    ("a\"b", "x\ny"),
    ("status_letters", "状态"),
];

fn field_value_strategy() -> impl Strategy<Value = FieldValue> {
    prop_oneof![
        text_strategy().prop_map(FieldValue::Text),
        (2_000_000i32..2_600_000).prop_map(|j| FieldValue::Date(Date::from_julian_day(j).unwrap())),
        Just(FieldValue::LongTerm),
        any::<u64>().prop_map(FieldValue::Uint),
        prop_oneof![Just(Sex::Male), Just(Sex::Female)].prop_map(FieldValue::Sex),
        any::<bool>().prop_map(FieldValue::Bool),
        "[0-9]{17}[0-9X]".prop_map(FieldValue::CitizenId),
        "[0-9]{12}".prop_map(FieldValue::FileNumber),
        any::<[u8; 16]>().prop_map(FieldValue::PortraitDigest),
    ]
}

fn signer_key() -> PublicKey {
    use aws_lc_rs::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, KeyPair};
    let pair = EcdsaKeyPair::generate(&ECDSA_P256_SHA256_FIXED_SIGNING).unwrap();
    PublicKey::from_sec1(Curve::P256, pair.public_key().as_ref()).unwrap()
}

fn report_strategy() -> impl Strategy<Value = QrReport> {
    let checks = prop::collection::vec(
        (
            prop_oneof![
                Just("code.format".to_owned()),
                Just("device.signature".to_owned()),
                text_strategy()
            ],
            outcome_strategy(),
        )
            .prop_map(|(name, outcome)| CheckResult { name, outcome }),
        0..16,
    );
    let fields = prop::collection::vec(
        (prop::sample::select(&FIELDS[..]), field_value_strategy()).prop_map(
            |((identifier, label_zh), value)| ShownField {
                identifier,
                label_zh,
                value,
            },
        ),
        0..10,
    );
    let status = prop_oneof![
        Just(StatusFinding::NotReferenced),
        (
            prop_oneof![
                Just(CredentialStatus::Valid),
                Just(CredentialStatus::Suspended),
                Just(CredentialStatus::Invalid)
            ],
            instant_strategy()
        )
            .prop_map(|(status, list_issued_at)| StatusFinding::Found {
                status,
                list_issued_at
            }),
        text_strategy().prop_map(|reason| StatusFinding::Unknown { reason }),
    ];
    let signer = prop::option::of((prop::option::of(text_strategy()), instant_strategy()))
        .prop_map(|facts| {
            facts.map(|(common_name, not_after)| SignerFacts {
                public_key: signer_key(),
                not_before: not_after,
                not_after,
                country: None,
                state_or_province: None,
                common_name,
                key_identifier: None,
            })
        });
    (
        checks,
        instant_strategy(),
        prop::option::of(instant_strategy()),
        prop::option::of(prop::sample::select(&edl_mdoc::purpose::PURPOSES[..])),
        (
            prop::option::of(instant_strategy()),
            prop::option::of(instant_strategy()),
        ),
        fields,
        status,
        prop_oneof![Just(Colour::Black), Just(Colour::Red), Just(Colour::None)],
        signer,
        prop::option::of(0u32..1_000_000),
    )
        .prop_map(
            |(
                checks,
                validated_at,
                generated_at,
                purpose,
                (valid_from, valid_until),
                fields,
                status,
                colour,
                signer,
                signer_region,
            )| QrReport {
                checks,
                validated_at,
                generated_at,
                purpose,
                valid_from,
                valid_until,
                fields,
                status,
                colour,
                signer,
                signer_region,
            },
        )
}

/// The members the online verifier adds, and a few that replace the report's own.
const ADDED: [(&str, &str); 9] = [
    ("kind", "qr"),
    ("channel", "api"),
    ("mode", "online"),
    ("status_source", "registry"),
    ("requested_purpose", "car_rental"),
    ("portrait_url", "/api/v1/portrait/00ff"),
    ("colour", "replaced"),
    ("zz_last", "after every member"),
    ("aa_first", "before every member"),
];

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2_000))]

    #[test]
    fn the_report_is_written_as_the_tree_was(report in report_strategy()) {
        let (tree, bytes) = written(&QrReportJson::new(&report));
        let expected = legacy(&report);
        prop_assert_eq!(&tree, &expected);
        prop_assert_eq!(bytes, serde_json::to_string(&expected).unwrap());
        prop_assert_eq!(report.to_json(), expected);
    }

    #[test]
    fn the_online_report_is_written_as_the_edited_tree_was(
        report in report_strategy(),
        as_of in prop::option::of(instant_strategy()),
        added in prop::sample::subsequence(&ADDED[..], 0..=ADDED.len()).prop_shuffle(),
    ) {
        let mut json = QrReportJson::new(&report);
        if let Some(at) = as_of {
            json = json.registry_status(at);
        }
        for (k, v) in &added {
            json = json.member(k, v);
        }
        let (tree, bytes) = written(&json);
        let expected = legacy_online(&report, as_of, &added);
        prop_assert_eq!(&tree, &expected);
        prop_assert_eq!(bytes, serde_json::to_string(&expected).unwrap());
    }
}

#[test]
fn a_member_added_twice_keeps_the_last_value() {
    let report = QrReport {
        checks: Vec::new(),
        validated_at: OffsetDateTime::UNIX_EPOCH,
        generated_at: None,
        purpose: None,
        valid_from: None,
        valid_until: None,
        fields: Vec::new(),
        status: StatusFinding::NotReferenced,
        colour: Colour::None,
        signer: None,
        signer_region: None,
    };
    let json = QrReportJson::new(&report)
        .member("kind", "qr")
        .member("kind", "share");
    assert_eq!(serde_json::to_value(&json).unwrap()["kind"], "share");
}
