//! Online verification over a real SQLite registry and a PKI directory on disk: the status is the
//! registry's now (a suspension is red at once, a restore valid again), the report shows only what
//! the purpose discloses, the licence is named for the audit when the code names it, share links
//! and DeviceResponses, and the credential-signature cache changes no outcome.

#![allow(clippy::unwrap_used)]

use edl_app::changes::{Actor, Change, Reason, apply_change};
use edl_app::credentials::{Issued, Issuer, claim};
use edl_app::pki_dir::PkiDir;
use edl_app::verification::{Channel, Presented, SIGNATURE_CACHE_ENTRIES, VerificationService};
use edl_app::{AnyStore, DatabaseUrl, FixedClock};
use edl_domain::{Licence, RolloutEntry, StatusSet};
use edl_mdoc::{Portrait, Purpose, SessionTranscript};
use edl_pki::{InMemorySigner, Passphrase, ScryptCost, Signer};
use edl_qr::{CompactCredential, Policy};
use edl_store::{NewAccount, NewShare, Store};
use serde_json::Value;
use time::macros::{date, datetime};
use time::{Duration, OffsetDateTime};

const NOW: OffsetDateTime = datetime!(2026-03-01 02:00 UTC);
const PUBLIC: &str = "https://edl.test";

struct World {
    _dir: tempfile::TempDir,
    store: AnyStore,
    pki: PkiDir,
    licence: Licence,
    device: InMemorySigner,
    issued: Issued,
}

async fn world() -> World {
    let dir = tempfile::tempdir().unwrap();
    let url = DatabaseUrl::Sqlite(dir.path().join("r.sqlite3"));
    let store = AnyStore::open(&url).await.unwrap();
    let generator = edl_synth::Generator::new(3, date!(2026 - 03 - 01));
    let licence = (0..)
        .map(|i| generator.licence(i))
        .find(|l| l.claim_eligibility(date!(2026 - 03 - 01)).is_ok() && l.status().is_normal())
        .unwrap();
    let authority = store.ensure_authority(licence.authority()).await.unwrap();
    store.insert_licence(&licence, authority).await.unwrap();
    store
        .set_rollout(&RolloutEntry {
            region: licence.authority().region,
            enabled_from: date!(2026 - 02 - 01),
            phase: "pilot".into(),
        })
        .await
        .unwrap();
    let passphrase = Passphrase::new("a long enough test passphrase".into()).unwrap();
    let cost = ScryptCost::new(ScryptCost::MIN_LOG_N).unwrap();
    let pki = PkiDir::new(dir.path().join("pki"));
    pki.init(&passphrase, cost, datetime!(2026-01-01 00:00 UTC))
        .unwrap();
    pki.add_authority(
        licence.authority(),
        &passphrase,
        cost,
        datetime!(2026-01-01 00:00 UTC),
        365,
    )
    .unwrap();
    let device = InMemorySigner::generate().unwrap();
    let issued = claim(
        &store,
        &Issuer {
            pki: &pki,
            passphrase: &passphrase,
            public_url: PUBLIC,
            opened: None,
        },
        licence.file_number(),
        &device.public_key(),
        &Portrait::new(edl_synth::demo_portrait().to_vec()).unwrap(),
        NOW,
    )
    .await
    .unwrap();
    World {
        _dir: dir,
        store,
        pki,
        licence,
        device,
        issued,
    }
}

impl World {
    fn service(&self) -> VerificationService {
        VerificationService::from_pki(&self.pki, PUBLIC, Policy::DEFAULT, SIGNATURE_CACHE_ENTRIES)
            .unwrap()
    }

    fn compact(&self, purpose: Purpose) -> &CompactCredential {
        self.issued
            .compact
            .iter()
            .find(|c| c.purpose() == purpose)
            .unwrap()
    }

    fn code(&self, purpose: Purpose, at: OffsetDateTime, challenge: &[u8]) -> String {
        edl_qr::present(self.compact(purpose), at, challenge, &self.device).unwrap()
    }

    async fn set_status(&self, letters: &str, at: OffsetDateTime) {
        apply_change(
            &self.store,
            &FixedClock(at),
            self.licence.file_number(),
            &Change::SetStatus(StatusSet::parse(letters).unwrap()),
            &Actor::parse("tj-0042").unwrap(),
            &Reason::parse("test").unwrap(),
        )
        .await
        .unwrap();
    }
}

fn failed(report: &Value) -> Vec<String> {
    report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["outcome"] == "failed")
        .map(|c| c["name"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn a_code_is_checked_against_the_registry_now_suspension_and_restore_included() {
    let w = world().await;
    let service = w.service();
    let at = NOW + Duration::hours(1);
    let verify = |text: String, at: OffsetDateTime| {
        let service = &service;
        let store = &w.store;
        async move {
            service
                .verify(
                    store,
                    Presented::Qr {
                        text: &text,
                        challenge: None,
                    },
                    Purpose::Roadside,
                    Channel::Api,
                    at,
                )
                .await
                .unwrap()
        }
    };
    let ok = verify(w.code(Purpose::Roadside, at, &[]), at).await;
    assert!(ok.valid, "{}", ok.report.to_json());
    assert_eq!(ok.report.to_json()["status"]["state"], "valid");
    assert_eq!(ok.report.to_json()["status_source"], "registry");
    assert_eq!(ok.report.to_json()["mode"], "online");
    assert_eq!(ok.report.to_json()["channel"], "api");
    assert_eq!(ok.report.to_json()["kind"], "qr");
    assert_eq!(ok.report.to_json()["colour"], "black");
    assert_eq!(ok.file_number.as_ref(), Some(w.licence.file_number()));
    assert_eq!(ok.region, Some(w.licence.authority().region));
    assert!(
        ok.portrait.is_some(),
        "a roadside code carries the portrait digest"
    );

    // 暂扣 in the registry: red at the very next check, no list to wait for.
    w.set_status("D", at + Duration::seconds(10)).await;
    let later = at + Duration::seconds(20);
    let red = verify(w.code(Purpose::Roadside, later, &[]), later).await;
    assert!(!red.valid);
    assert_eq!(failed(&red.report.to_json()), ["status"]);
    assert_eq!(red.report.to_json()["colour"], "red");
    assert_eq!(red.report.to_json()["status"]["state"], "suspended");
    // Restored: valid again.
    w.set_status("A", later + Duration::seconds(10)).await;
    let again = later + Duration::seconds(20);
    assert!(
        verify(w.code(Purpose::Roadside, again, &[]), again)
            .await
            .valid
    );
}

#[tokio::test]
async fn the_report_shows_only_what_the_declared_purpose_discloses() {
    let w = world().await;
    let service = w.service();
    let at = NOW + Duration::hours(1);
    let run = |purpose_code: Purpose, declared: Purpose, challenge: Option<&'static [u8]>| {
        let text = w.code(purpose_code, at, b"K7Q2");
        let service = &service;
        let store = &w.store;
        async move {
            service
                .verify(
                    store,
                    Presented::Qr {
                        text: &text,
                        challenge,
                    },
                    declared,
                    Channel::Scanner,
                    at,
                )
                .await
                .unwrap()
        }
    };
    // A car-rental code for a car-rental desk with its challenge: valid, no 证号, no file number.
    let rental = run(Purpose::CarRental, Purpose::CarRental, Some(b"K7Q2")).await;
    assert!(rental.valid, "{}", rental.report.to_json());
    let fields = rental.report.to_json()["fields"]
        .as_object()
        .unwrap()
        .clone();
    assert!(fields.contains_key("family_name_national_character"));
    assert!(!fields.contains_key("document_number"));
    assert!(!fields.contains_key("file_number"));
    // The code names no licence; the registry knows whose credential holds that place in the
    // status list, so the check is the holder's to see.
    assert_eq!(rental.file_number.as_ref(), Some(w.licence.file_number()));
    // Another challenge: a replay, not valid.
    let replay = run(Purpose::CarRental, Purpose::CarRental, Some(b"ZZZZ")).await;
    assert_eq!(failed(&replay.report.to_json()), ["challenge"]);
    // A roadside code shown to a car-rental desk: not valid, and the desk still sees only what
    // car rental may see.
    let wider = run(Purpose::Roadside, Purpose::CarRental, None).await;
    assert_eq!(failed(&wider.report.to_json()), ["purpose"]);
    let fields = wider.report.to_json()["fields"]
        .as_object()
        .unwrap()
        .clone();
    assert!(!fields.contains_key("document_number"));
    assert!(!fields.contains_key("birth_date"));
    assert!(fields.contains_key("driving_classes"));
    // …but the licence is known for the audit (the code names it).
    assert_eq!(wider.file_number.as_ref(), Some(w.licence.file_number()));
    // An insurer's code names the 证号: the licence is found through it.
    let insurer = run(Purpose::Insurer, Purpose::Insurer, None).await;
    assert!(insurer.valid, "{}", insurer.report.to_json());
    assert_eq!(insurer.file_number.as_ref(), Some(w.licence.file_number()));
}

#[tokio::test]
async fn unreadable_and_stolen_codes_are_not_valid() {
    let w = world().await;
    let service = w.service();
    let at = NOW + Duration::hours(1);
    // A credential signed by the platform's signer whose index the registry never allocated.
    let other = InMemorySigner::generate().unwrap();
    let garbage = service
        .verify(
            &w.store,
            Presented::Qr {
                text: "EDL1:NOT A CODE",
                challenge: None,
            },
            Purpose::Roadside,
            Channel::Api,
            at,
        )
        .await
        .unwrap();
    assert!(!garbage.valid);
    assert_eq!(garbage.file_number, None);
    assert_eq!(garbage.report.to_json()["valid"], false);
    // The same credential signed by a thief's key: the device signature fails.
    let stolen = edl_qr::present(w.compact(Purpose::Roadside), at, &[], &other).unwrap();
    let report = service
        .verify(
            &w.store,
            Presented::Qr {
                text: &stolen,
                challenge: None,
            },
            Purpose::Roadside,
            Channel::Api,
            at,
        )
        .await
        .unwrap();
    assert_eq!(failed(&report.report.to_json()), ["device.signature"]);
}

#[tokio::test]
async fn share_links_are_checked_live_and_for_their_purpose() {
    let w = world().await;
    let service = w.service();
    let account = w
        .store
        .create_account(&NewAccount {
            citizen_id: w.licence.citizen_id().clone(),
            file_number: w.licence.file_number().clone(),
            password_hash: "$argon2id$v=19$m=19456,t=2,p=1$c29tZQ$aGFzaA".into(),
            created_at: NOW,
        })
        .await
        .unwrap();
    let token = [5u8; 32];
    w.store
        .insert_share(&NewShare {
            token_hash: edl_app::verification::sha256(&token),
            account_id: account.id,
            file_number: w.licence.file_number().clone(),
            purpose: "car_rental".into(),
            created_at: NOW,
            expires_at: NOW + Duration::days(3),
        })
        .await
        .unwrap();
    let verify = |token: [u8; 32], purpose: Purpose, at: OffsetDateTime| {
        let service = &service;
        let store = &w.store;
        async move {
            service
                .verify(
                    store,
                    Presented::Share { token: &token },
                    purpose,
                    Channel::Api,
                    at,
                )
                .await
                .unwrap()
        }
    };
    let at = NOW + Duration::hours(1);
    let ok = verify(token, Purpose::CarRental, at).await;
    assert!(ok.valid, "{}", ok.report.to_json());
    assert_eq!(ok.report.to_json()["kind"], "share");
    assert_eq!(ok.file_number.as_ref(), Some(w.licence.file_number()));
    let fields = ok.report.to_json()["fields"].as_object().unwrap().clone();
    assert!(fields.contains_key("family_name_national_character"));
    assert!(!fields.contains_key("resident_address"));
    assert!(!fields.contains_key("document_number"));
    assert!(ok.portrait.is_some());
    // For another purpose than the holder shared it for: not valid, and nothing more shown.
    let insurer = verify(token, Purpose::Insurer, at).await;
    assert_eq!(failed(&insurer.report.to_json()), ["purpose"]);
    assert!(
        !insurer.report.to_json()["fields"]
            .as_object()
            .unwrap()
            .contains_key("birth_date")
    );
    // Suspended now: not valid.
    w.set_status("D", at).await;
    let red = verify(token, Purpose::CarRental, at + Duration::seconds(1)).await;
    assert_eq!(failed(&red.report.to_json()), ["licence.status"]);
    assert_eq!(red.report.to_json()["colour"], "red");
    // Expired, unknown: refused, no fields.
    let expired = verify(token, Purpose::CarRental, NOW + Duration::days(4)).await;
    assert_eq!(failed(&expired.report.to_json()), ["share.not_expired"]);
    assert_eq!(expired.report.to_json()["fields"], serde_json::json!({}));
    let unknown = verify([6u8; 32], Purpose::CarRental, at).await;
    assert_eq!(failed(&unknown.report.to_json()), ["share.known"]);
    assert_eq!(unknown.file_number, None);
}

#[tokio::test]
async fn a_device_response_is_checked_against_the_registry_and_limited_to_the_purpose() {
    let w = world().await;
    let service = w.service();
    let at = NOW + Duration::hours(1);
    let transcript = SessionTranscript::openid4vp(
        "x509_san_dns:rental.example.cn",
        "n-0S6_WzA2Mj",
        None,
        "https://rental.example.cn/response",
    );
    let response = edl_mdoc::present(
        &w.issued.issuer_signed,
        Purpose::Roadside,
        &transcript,
        &w.device,
    )
    .unwrap()
    .to_bytes();
    let verify = |purpose: Purpose, at: OffsetDateTime| {
        let service = &service;
        let store = &w.store;
        let response = &response;
        let transcript = &transcript;
        async move {
            service
                .verify(
                    store,
                    Presented::DeviceResponse {
                        response,
                        transcript,
                    },
                    purpose,
                    Channel::Api,
                    at,
                )
                .await
                .unwrap()
        }
    };
    let roadside = verify(Purpose::Roadside, at).await;
    assert!(roadside.valid, "{}", roadside.report.to_json());
    assert_eq!(roadside.report.to_json()["status"]["state"], "valid");
    assert_eq!(roadside.file_number.as_ref(), Some(w.licence.file_number()));
    // A car-rental desk gets what car rental may see; the rest is named as withheld.
    let rental = verify(Purpose::CarRental, at).await;
    let disclosed = &rental.report.to_json()["disclosed"][edl_mdoc::ISO_NAMESPACE];
    assert!(disclosed.get("resident_address").is_none());
    assert!(disclosed.get("family_name").is_some());
    assert!(
        rental.report.to_json()["withheld"]
            .as_array()
            .unwrap()
            .iter()
            .any(|w| w == "org.iso.18013.5.1.resident_address")
    );
    // 吊销 now: invalid at once.
    w.set_status("F", at).await;
    let revoked = verify(Purpose::Roadside, at + Duration::seconds(1)).await;
    assert_eq!(failed(&revoked.report.to_json()), ["status"]);
    assert_eq!(revoked.report.to_json()["status"]["state"], "invalid");
}

#[tokio::test]
async fn the_signature_cache_changes_no_outcome() {
    let w = world().await;
    let cached = w.service();
    let plain = VerificationService::from_pki(&w.pki, PUBLIC, Policy::DEFAULT, 0).unwrap();
    for second in 0..5 {
        let at = NOW + Duration::hours(1) + Duration::seconds(second * 30);
        for purpose in edl_mdoc::purpose::PURPOSES {
            let text = w.code(purpose, at, &[]);
            let presented = Presented::Qr {
                text: &text,
                challenge: None,
            };
            let a = cached
                .verify(&w.store, presented, purpose, Channel::Api, at)
                .await
                .unwrap();
            let b = plain
                .verify(&w.store, presented, purpose, Channel::Api, at)
                .await
                .unwrap();
            assert!(a.valid);
            assert_eq!(a.report.to_json(), b.report.to_json());
        }
    }
}
