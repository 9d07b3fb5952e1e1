//! Claiming and status lists over a real SQLite registry and a PKI directory on disk.

#![allow(clippy::unwrap_used)]

use edl_app::changes::{Actor, Change, Reason, apply_change};
use edl_app::credentials::{
    CredentialError, Issuer, Publication, build_status_list, claim, publish_status_lists,
    status_list_uri,
};
use edl_app::pki_dir::PkiDir;
use edl_app::{AnyStore, DatabaseUrl, FixedClock};
use edl_domain::{ClaimRefusal, Licence, RolloutEntry, StatusSet};
use edl_mdoc::Portrait;
use edl_pki::{InMemorySigner, Passphrase, ScryptCost, Signer};
use edl_status_list::{CredentialStatus, verify_token};
use edl_store::Store;
use time::macros::{date, datetime};
use time::{Duration, OffsetDateTime};

const NOW: OffsetDateTime = datetime!(2026-03-01 02:00 UTC);
const PUBLIC: &str = "https://edl.test";

struct World {
    _dir: tempfile::TempDir,
    store: AnyStore,
    pki: PkiDir,
    passphrase: Passphrase,
    licence: Licence,
}

async fn world() -> World {
    let dir = tempfile::tempdir().unwrap();
    let url = DatabaseUrl::parse(&format!(
        "sqlite://{}",
        dir.path().join("r.sqlite3").display()
    ))
    .unwrap();
    let store = AnyStore::open(&url).await.unwrap();
    let generator = edl_synth::Generator::new(3, date!(2026 - 03 - 01));
    let licence = (0..)
        .map(|i| generator.licence(i))
        .find(|l| l.claim_eligibility(date!(2026 - 03 - 01)).is_ok())
        .unwrap();
    let authority = store.ensure_authority(licence.authority()).await.unwrap();
    store.insert_licence(&licence, authority).await.unwrap();
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
    World {
        _dir: dir,
        store,
        pki,
        passphrase,
        licence,
    }
}

fn portrait() -> Portrait {
    Portrait::new(edl_synth::demo_portrait().to_vec()).unwrap()
}

#[tokio::test]
async fn claiming_needs_the_region_switched_on_and_then_records_an_index() {
    let w = world().await;
    let issuer = Issuer {
        pki: &w.pki,
        passphrase: &w.passphrase,
        public_url: PUBLIC,
        opened: None,
    };
    let device = InMemorySigner::generate().unwrap();
    let refused = claim(
        &w.store,
        &issuer,
        w.licence.file_number(),
        &device.public_key(),
        &portrait(),
        NOW,
    )
    .await;
    assert!(matches!(
        refused,
        Err(CredentialError::Refused(ClaimRefusal::RegionNotEnabled {
            since: None
        }))
    ));
    assert_eq!(
        w.store
            .status_list_len(w.licence.authority().region)
            .await
            .unwrap(),
        0,
        "a refusal spends no index"
    );

    w.store
        .set_rollout(&RolloutEntry {
            region: w.licence.authority().region,
            enabled_from: date!(2026 - 02 - 01),
            phase: "pilot".into(),
        })
        .await
        .unwrap();
    let first = claim(
        &w.store,
        &issuer,
        w.licence.file_number(),
        &device.public_key(),
        &portrait(),
        NOW,
    )
    .await
    .unwrap();
    let second = claim(
        &w.store,
        &issuer,
        w.licence.file_number(),
        &device.public_key(),
        &portrait(),
        NOW,
    )
    .await
    .unwrap();
    assert_eq!(
        (first.record.status_index, second.record.status_index),
        (0, 1)
    );
    let mso = edl_mdoc::MobileSecurityObject::from_tagged_bytes(
        first.issuer_signed.issuer_auth.payload.as_deref().unwrap(),
    )
    .unwrap();
    let reference = mso.status.unwrap();
    assert_eq!(reference.idx, 0);
    assert_eq!(
        reference.uri,
        status_list_uri(PUBLIC, w.licence.authority().region)
    );
}

#[tokio::test]
async fn status_lists_follow_the_registry_and_publish_only_when_something_changed() {
    let w = world().await;
    let region = w.licence.authority().region;
    // This one keeps its keys open, as `edl serve` does.
    let opened = edl_app::pki_dir::OpenedSigners::new(
        PkiDir::new(w.pki.root()),
        Passphrase::new("a long enough test passphrase".into()).unwrap(),
    );
    let issuer = Issuer {
        pki: &w.pki,
        passphrase: &w.passphrase,
        public_url: PUBLIC,
        opened: Some(&opened),
    };
    w.store
        .set_rollout(&RolloutEntry {
            region,
            enabled_from: date!(2026 - 02 - 01),
            phase: "pilot".into(),
        })
        .await
        .unwrap();
    let device = InMemorySigner::generate().unwrap();
    let issued = claim(
        &w.store,
        &issuer,
        w.licence.file_number(),
        &device.public_key(),
        &portrait(),
        NOW,
    )
    .await
    .unwrap();
    let other = claim(
        &w.store,
        &issuer,
        w.licence.file_number(),
        &device.public_key(),
        &portrait(),
        NOW,
    )
    .await
    .unwrap();
    w.store
        .withdraw_credential(other.record.id, NOW + Duration::minutes(1))
        .await
        .unwrap();

    let list = build_status_list(&w.store, region).await.unwrap();
    assert_eq!(list.get(0).unwrap(), CredentialStatus::Valid);
    assert_eq!(list.get(1).unwrap(), CredentialStatus::Invalid);

    let out = w._dir.path().join("published");
    let t1 = NOW + Duration::minutes(5);
    let done = publish_status_lists(&w.store, &issuer, &out, t1)
        .await
        .unwrap();
    assert!(matches!(
        done.as_slice(),
        [Publication::Written { why: "new", .. }]
    ));
    let again = publish_status_lists(&w.store, &issuer, &out, t1 + Duration::minutes(1))
        .await
        .unwrap();
    assert_eq!(again, [Publication::Unchanged { region }]);

    // An operator suspends the licence (D, 暂扣): the next publication says so.
    let clock = FixedClock(t1 + Duration::minutes(2));
    apply_change(
        &w.store,
        &clock,
        w.licence.file_number(),
        &Change::SetStatus(StatusSet::parse("D").unwrap()),
        &Actor::parse("tj-0042").unwrap(),
        &Reason::parse("暂扣 test").unwrap(),
    )
    .await
    .unwrap();
    let t2 = t1 + Duration::minutes(3);
    let done = publish_status_lists(&w.store, &issuer, &out, t2)
        .await
        .unwrap();
    assert!(
        matches!(
            done.as_slice(),
            [Publication::Written { why: "changed", .. }]
        ),
        "{done:?}"
    );
    let bytes = std::fs::read(out.join(format!("{region}.cwt"))).unwrap();
    let token = verify_token(
        &bytes,
        &[w.pki.anchor().unwrap()],
        t2,
        Some(&status_list_uri(PUBLIC, region)),
    )
    .unwrap();
    assert_eq!(
        token.list.get(issued.record.status_index).unwrap(),
        CredentialStatus::Suspended
    );
    assert_eq!(token.list.get(1).unwrap(), CredentialStatus::Invalid);

    // Close to expiry, an unchanged list is re-signed.
    let late = t2 + edl_app::credentials::STATUS_LIST_VALIDITY - Duration::hours(1);
    let done = publish_status_lists(&w.store, &issuer, &out, late)
        .await
        .unwrap();
    assert!(matches!(
        done.as_slice(),
        [Publication::Written {
            why: "expiring",
            ..
        }]
    ));
}
