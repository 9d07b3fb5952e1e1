//! The verification API and the published files over a real socket, on SQLite and on PostgreSQL
//! (a fresh database per test at `EDL_TEST_DATABASE_URL`, default
//! `postgres://postgres@127.0.0.1:5432/postgres`; skipped with a message when no server answers,
//! unless `EDL_REQUIRE_POSTGRES=1`): valid codes audited and listed for the holder, a suspension
//! red at once, purposes, keys, bodies and floods refused with their codes and nothing audited for
//! them, challenges, share links, DeviceResponses, the scanner's session and CSRF token, and the
//! trust and status lists as cacheable files.

#![allow(clippy::unwrap_used)] // Test helpers: a panic is the test failing, with its message.

use std::net::SocketAddr;
use std::sync::Arc;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use edl_app::changes::{Actor, Change, Reason, apply_change};
use edl_app::credentials::{Issued, Issuer, claim};
use edl_app::pki_dir::PkiDir;
use edl_app::{AnyStore, Clock, DatabaseUrl, FixedClock};
use edl_domain::{Licence, StatusSet};
use edl_mdoc::{Portrait, Purpose, SessionTranscript};
use edl_pki::{InMemorySigner, Signer};
use edl_server::startup::{AppState, Application, ServiceInfo, WalletIssuer};
use edl_server::verify_state::ApiLimits;
use edl_store::{
    ConsoleRole, NewAccount, NewApiKey, NewConsoleSession, NewConsoleUser, NewOrganisation,
    NewShare, Store,
};
use serde_json::{Value, json};
use time::macros::datetime;
use time::{Duration, OffsetDateTime};

const NOW: OffsetDateTime = datetime!(2026-11-26 08:00 UTC);

#[macro_use]
mod support;
use support::{Backend, PgDatabase, Reply, request};

// ------------------------------------------------------------------------------------------------
// The application under test.

struct Org {
    id: i64,
    name: String,
    key: String,
    key_id: i64,
}

struct TestApp {
    addr: SocketAddr,
    store: AnyStore,
    licence: Licence,
    device: InMemorySigner,
    issued: Issued,
    police: Org,
    rental: Org,
    _pg: Option<PgDatabase>,
    _dir: tempfile::TempDir,
}

async fn organisation(store: &AnyStore, name: &str, kind: &str, purposes: &[&str]) -> Org {
    let org = store
        .create_organisation(&NewOrganisation {
            name: name.into(),
            kind: kind.into(),
            purposes: purposes.iter().map(|p| (*p).to_owned()).collect(),
            created_at: NOW,
        })
        .await
        .unwrap();
    let key = edl_server::api_key::generate();
    let stored = store
        .create_api_key(&NewApiKey {
            organisation_id: org.id,
            key_hash: key.hash,
            prefix: key.prefix.clone(),
            label: "test".into(),
            created_at: NOW,
        })
        .await
        .unwrap();
    Org {
        id: org.id,
        name: name.into(),
        key: key.key,
        key_id: stored.id,
    }
}

async fn spawn_app(backend: Backend, limits: ApiLimits) -> Option<TestApp> {
    let dir = tempfile::tempdir().unwrap();
    let (url, pg) = match backend {
        Backend::Sqlite => (
            DatabaseUrl::Sqlite(dir.path().join("registry.sqlite3")),
            None,
        ),
        Backend::Postgres => {
            let pg = PgDatabase::create().await?;
            (DatabaseUrl::Postgres(pg.url.clone()), Some(pg))
        }
    };
    let store = AnyStore::open(&url).await.unwrap();
    let clock: Arc<dyn Clock> = Arc::new(FixedClock(NOW));
    edl_app::demo::seed_demo(&store, clock.as_ref(), 400)
        .await
        .unwrap();
    let file_number = edl_app::demo::demo_examples(NOW.date(), 400)
        .into_iter()
        .find(|(_, state)| *state == edl_domain::DisplayState::BlackQr)
        .unwrap()
        .0;
    let licence = store.licence(&file_number).await.unwrap().unwrap().licence;
    store
        .set_rollout(&edl_domain::RolloutEntry {
            region: licence.authority().region,
            enabled_from: datetime!(2021-01-01 00:00 UTC).date(),
            phase: "test".into(),
        })
        .await
        .unwrap();
    let pki = dir.path().join("edl-data").join("pki");
    let passphrase = edl_app::demo::ensure_demo_pki(&pki, NOW).unwrap();
    let state = AppState::new(
        store.clone(),
        clock,
        ServiceInfo {
            database_url: url,
            demo: true,
        },
        Some(WalletIssuer::new(
            PkiDir::new(&pki),
            passphrase,
            "https://edl.example.cn".into(),
        )),
    )
    .with_api_limits(limits);
    // The holder claims on a device, as the wallet would.
    let device = InMemorySigner::generate().unwrap();
    let wallet_issuer = state.issuer.clone().unwrap();
    let issued = claim(
        &store,
        &Issuer {
            pki: wallet_issuer.signers.pki(),
            passphrase: wallet_issuer.signers.passphrase(),
            public_url: &wallet_issuer.public_url,
            opened: Some(&wallet_issuer.signers),
        },
        licence.file_number(),
        &device.public_key(),
        &Portrait::new(edl_synth::demo_portrait().to_vec()).unwrap(),
        NOW,
    )
    .await
    .unwrap();
    let police = organisation(
        &store,
        "天津市公安局交通警察总队 路面执法",
        "police",
        &["roadside", "business_window"],
    )
    .await;
    let rental = organisation(
        &store,
        "环球汽车租赁有限公司",
        "car_rental",
        &["car_rental"],
    )
    .await;
    let app = Application::build("127.0.0.1:0".parse().unwrap(), state)
        .await
        .unwrap();
    let addr = app.local_addr().unwrap();
    tokio::spawn(app.run_until(std::future::pending()));
    Some(TestApp {
        addr,
        store,
        licence,
        device,
        issued,
        police,
        rental,
        _pg: pg,
        _dir: dir,
    })
}

fn generous() -> ApiLimits {
    ApiLimits {
        rate: 10_000.0,
        burst: 10_000,
        ..ApiLimits::default()
    }
}

impl TestApp {
    fn code(&self, purpose: Purpose, challenge: &[u8]) -> String {
        let compact = self
            .issued
            .compact
            .iter()
            .find(|c| c.purpose() == purpose)
            .unwrap();
        edl_qr::present(compact, NOW - Duration::seconds(5), challenge, &self.device).unwrap()
    }

    async fn verify(&self, key: &str, body: Value) -> Reply {
        self.post_json("/api/v1/verify", key, &body.to_string())
            .await
    }

    async fn batch(&self, key: &str, items: Vec<Value>) -> Reply {
        self.post_json(
            "/api/v1/verify/batch",
            key,
            &json!({ "items": items }).to_string(),
        )
        .await
    }

    async fn post_json(&self, path: &str, key: &str, body: &str) -> Reply {
        request(
            self.addr,
            "POST",
            path,
            &[
                ("authorization", format!("Bearer {key}")),
                ("content-type", "application/json".into()),
            ],
            body.as_bytes(),
        )
        .await
    }

    async fn audited(&self, org: &Org) -> usize {
        self.store.verifications(org.id, 1000).await.unwrap().len()
    }

    async fn set_status(&self, letters: &str) {
        apply_change(
            &self.store,
            &FixedClock(NOW),
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

on_both!(
    a_valid_code_is_answered_audited_and_listed_for_the_holder,
    a_suspension_is_red_at_once_and_a_restore_valid_again,
    purposes_keys_and_bodies_are_refused_with_their_codes_and_nothing_is_audited,
    a_flood_beyond_the_bucket_is_429_and_refused_calls_are_not_audited,
    a_challenge_the_code_does_not_carry_is_not_valid,
    share_links_verify_and_expired_ones_are_refused,
    device_responses_verify_with_their_transcript,
    the_published_files_are_cacheable_files_with_their_types,
    the_scanner_needs_a_verifier_session_and_its_csrf_token,
    a_registry_that_cannot_be_read_answers_503_and_the_next_call_is_answered,
    a_batch_answers_each_item_in_its_place_and_audits_each_verification,
    bodies_that_are_not_batches_are_refused_whole_and_nothing_is_audited,
    a_batch_takes_a_token_per_item_and_is_refused_whole_beyond_the_bucket,
);

// ------------------------------------------------------------------------------------------------
// The tests.

async fn a_valid_code_is_answered_audited_and_listed_for_the_holder(backend: Backend) {
    let Some(app) = spawn_app(backend, generous()).await else {
        return;
    };
    let reply = app
        .verify(
            &app.police.key,
            json!({ "purpose": "roadside", "qr_text": app.code(Purpose::Roadside, &[]) }),
        )
        .await;
    assert_eq!(
        reply.status,
        200,
        "{}",
        String::from_utf8_lossy(&reply.body)
    );
    assert_eq!(reply.header("cache-control").as_deref(), Some("no-store"));
    let report = reply.json();
    assert_eq!(report["valid"], true, "{report}");
    assert_eq!(report["colour"], "black");
    assert_eq!(report["mode"], "online");
    assert_eq!(report["status_source"], "registry");
    assert_eq!(report["channel"], "api");
    assert_eq!(report["status"]["state"], "valid");
    assert_eq!(
        report["fields"]["file_number"],
        app.licence.file_number().as_str()
    );
    // Audited: organisation, key, purpose, result, licence; and the holder sees who checked.
    let audit = app.store.verifications(app.police.id, 10).await.unwrap();
    assert_eq!(audit.len(), 1);
    let row = &audit[0].verification;
    assert_eq!(row.api_key_id, Some(app.police.key_id));
    assert_eq!(row.purpose, "roadside");
    assert_eq!(row.channel, "api");
    assert_eq!(row.result, "valid");
    assert_eq!(row.at, NOW);
    assert_eq!(row.file_number.as_ref(), Some(app.licence.file_number()));
    let events = app
        .store
        .check_events(app.licence.file_number(), 10)
        .await
        .unwrap();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].event.verifier, app.police.name);
    assert_eq!(events[0].event.purpose, "roadside");
    // The portrait behind the digest: for this organisation, not for another.
    let url = report["portrait_url"].as_str().unwrap().to_owned();
    assert!(url.starts_with("/api/v1/portrait/"), "{url}");
    let auth = |key: &str| vec![("authorization", format!("Bearer {key}"))];
    let photo = request(app.addr, "GET", &url, &auth(&app.police.key), b"").await;
    assert_eq!(photo.status, 200);
    assert_eq!(photo.header("content-type").as_deref(), Some("image/jpeg"));
    assert_eq!(photo.body, edl_synth::demo_portrait());
    let other = request(app.addr, "GET", &url, &auth(&app.rental.key), b"").await;
    assert_eq!(other.status, 404);
    assert_eq!(other.code(), "not_found");
    assert_eq!(
        request(app.addr, "GET", &url, &[], b"").await.status,
        401,
        "no key, no portrait"
    );
    // A car-rental desk verifies a car-rental code: valid, no 证号 shown. The code names no
    // licence, so its audit row has none (no store lookup from a status index to a licence).
    let rental = app
        .verify(
            &app.rental.key,
            json!({ "purpose": "car_rental", "qr_text": app.code(Purpose::CarRental, &[]) }),
        )
        .await;
    let report = rental.json();
    assert_eq!(report["valid"], true, "{report}");
    assert!(report["fields"].get("document_number").is_none());
    let audit = app.store.verifications(app.rental.id, 10).await.unwrap();
    assert_eq!(audit.len(), 1);
    assert_eq!(
        audit[0].verification.region,
        Some(app.licence.authority().region)
    );
    // The description of the API is served.
    let doc = request(app.addr, "GET", "/api/v1/openapi.json", &[], b"").await;
    assert_eq!(doc.status, 200);
    assert_eq!(doc.json()["openapi"], "3.1.0");
}

/// Runs `sql` on the test's database, around the service.
async fn raw(store: &AnyStore, sql: &'static str) {
    match store {
        AnyStore::Sqlite(s) => {
            sqlx::query(sql).execute(s.pool()).await.unwrap();
        }
        AnyStore::Postgres(s) => {
            sqlx::query(sql).execute(s.pool()).await.unwrap();
        }
    }
}

async fn a_registry_that_cannot_be_read_answers_503_and_the_next_call_is_answered(
    backend: Backend,
) {
    let Some(app) = spawn_app(backend, generous()).await else {
        return;
    };
    let body = || json!({ "purpose": "roadside", "qr_text": app.code(Purpose::Roadside, &[]) });
    // The credentials cannot be read: the batched read fails, so does each single read after it.
    raw(
        &app.store,
        "ALTER TABLE credentials RENAME TO credentials_away",
    )
    .await;
    for _ in 0..2 {
        let reply = app.verify(&app.police.key, body()).await;
        assert_eq!(reply.status, 503);
        let text = String::from_utf8_lossy(&reply.body);
        assert_eq!(reply.json()["error"]["code"], "unavailable", "{text}");
        assert!(!text.contains(app.licence.file_number().as_str()));
        assert!(!text.contains("credentials"), "no database detail: {text}");
    }
    raw(
        &app.store,
        "ALTER TABLE credentials_away RENAME TO credentials",
    )
    .await;
    // The reader is still there: the next call is answered, and only it is audited.
    let ok = app.verify(&app.police.key, body()).await;
    assert_eq!(ok.json()["valid"], true);
    let audit = app.store.verifications(app.police.id, 10).await.unwrap();
    assert_eq!(audit.len(), 1);
}

async fn a_suspension_is_red_at_once_and_a_restore_valid_again(backend: Backend) {
    let Some(app) = spawn_app(backend, generous()).await else {
        return;
    };
    let body = || json!({ "purpose": "roadside", "qr_text": app.code(Purpose::Roadside, &[]) });
    assert_eq!(
        app.verify(&app.police.key, body()).await.json()["valid"],
        true
    );
    app.set_status("D").await;
    let red = app.verify(&app.police.key, body()).await;
    assert_eq!(red.status, 200, "not valid is not an error");
    let report = red.json();
    assert_eq!(report["valid"], false);
    assert_eq!(report["colour"], "red");
    assert_eq!(report["status"]["state"], "suspended");
    assert_eq!(failed(&report), ["status"]);
    app.set_status("A").await;
    assert_eq!(
        app.verify(&app.police.key, body()).await.json()["valid"],
        true
    );
    let results: Vec<String> = app
        .store
        .verifications(app.police.id, 10)
        .await
        .unwrap()
        .into_iter()
        .map(|v| v.verification.result)
        .collect();
    assert_eq!(results.len(), 3);
    assert_eq!(
        results.iter().filter(|r| *r == "not_valid").count(),
        1,
        "{results:?}"
    );
}

async fn purposes_keys_and_bodies_are_refused_with_their_codes_and_nothing_is_audited(
    backend: Backend,
) {
    let Some(app) = spawn_app(backend, generous()).await else {
        return;
    };
    let good = json!({ "purpose": "car_rental", "qr_text": app.code(Purpose::CarRental, &[]) });
    // The police unit is not registered for car rental.
    let refused = app.verify(&app.police.key, good.clone()).await;
    assert_eq!(refused.status, 403);
    assert_eq!(refused.code(), "purpose_not_allowed");
    // No key, a key of another form, a key never issued.
    let none = request(
        app.addr,
        "POST",
        "/api/v1/verify",
        &[("content-type", "application/json".into())],
        good.to_string().as_bytes(),
    )
    .await;
    assert_eq!(
        (none.status, none.code().as_str()),
        (401, "missing_api_key")
    );
    let basic = request(
        app.addr,
        "POST",
        "/api/v1/verify",
        &[("authorization", "Basic dXNlcjpwYXNz".into())],
        b"{}",
    )
    .await;
    assert_eq!(basic.code(), "missing_api_key");
    let odd = app.verify("not-a-key", good.clone()).await;
    assert_eq!((odd.status, odd.code().as_str()), (401, "invalid_api_key"));
    let unknown = app
        .verify(&edl_server::api_key::generate().key, good.clone())
        .await;
    assert_eq!(
        (unknown.status, unknown.code().as_str()),
        (401, "invalid_api_key")
    );
    // Malformed JSON, a wrong shape, an unknown purpose, a wrong type, an oversized body.
    for body in [
        "{not json".to_owned(),
        json!({ "purpose": "car_rental" }).to_string(),
        json!({ "purpose": "police", "qr_text": "EDL1:X" }).to_string(),
        json!({ "purpose": "car_rental", "qr_text": 7 }).to_string(),
    ] {
        let r = app
            .post_json("/api/v1/verify", &app.rental.key, &body)
            .await;
        assert_eq!(
            (r.status, r.code().as_str()),
            (400, "malformed_request"),
            "{body}"
        );
        assert!(
            !String::from_utf8_lossy(&r.body).contains("EDL1"),
            "nothing sent is echoed"
        );
    }
    let huge = json!({ "purpose": "car_rental", "qr_text": "A".repeat(300 * 1024) }).to_string();
    let r = app
        .post_json("/api/v1/verify", &app.rental.key, &huge)
        .await;
    assert_eq!((r.status, r.code().as_str()), (413, "body_too_large"));
    let form = request(
        app.addr,
        "POST",
        "/api/v1/verify",
        &[
            ("authorization", format!("Bearer {}", app.rental.key)),
            ("content-type", "application/x-www-form-urlencoded".into()),
        ],
        b"purpose=car_rental",
    )
    .await;
    assert_eq!(
        (form.status, form.code().as_str()),
        (415, "unsupported_media_type")
    );
    // Nothing of that was audited.
    assert_eq!(app.audited(&app.police).await, 0);
    assert_eq!(app.audited(&app.rental).await, 0);
    // A revoked key: refused within the key cache's few seconds.
    assert_eq!(app.verify(&app.rental.key, good.clone()).await.status, 200);
    assert!(
        app.store
            .revoke_api_key(app.rental.key_id, app.rental.id, NOW)
            .await
            .unwrap()
    );
    tokio::time::sleep(
        edl_server::verify_state::KEY_CACHE_TTL + std::time::Duration::from_millis(200),
    )
    .await;
    let revoked = app.verify(&app.rental.key, good).await;
    assert_eq!(
        (revoked.status, revoked.code().as_str()),
        (401, "revoked_api_key")
    );
    assert_eq!(app.audited(&app.rental).await, 1, "only the call before");
}

async fn a_flood_beyond_the_bucket_is_429_and_refused_calls_are_not_audited(backend: Backend) {
    let Some(app) = spawn_app(
        backend,
        ApiLimits {
            rate: 0.01,
            burst: 5,
            ..ApiLimits::default()
        },
    )
    .await
    else {
        return;
    };
    let body = json!({ "purpose": "roadside", "qr_text": app.code(Purpose::Roadside, &[]) });
    let mut statuses = Vec::new();
    for _ in 0..8 {
        statuses.push(app.verify(&app.police.key, body.clone()).await);
    }
    let codes: Vec<u16> = statuses.iter().map(|r| r.status).collect();
    assert_eq!(codes, [200, 200, 200, 200, 200, 429, 429, 429]);
    let limited = &statuses[5];
    assert_eq!(limited.code(), "rate_limited");
    let wait: u64 = limited.header("retry-after").unwrap().parse().unwrap();
    assert!(wait >= 1, "{wait}");
    assert_eq!(app.audited(&app.police).await, 5);
    // Another organisation's key has its own bucket.
    let other = app
        .verify(
            &app.rental.key,
            json!({ "purpose": "car_rental", "qr_text": app.code(Purpose::CarRental, &[]) }),
        )
        .await;
    assert_eq!(other.status, 200);
}

async fn a_challenge_the_code_does_not_carry_is_not_valid(backend: Backend) {
    let Some(app) = spawn_app(backend, generous()).await else {
        return;
    };
    let with = app.code(Purpose::CarRental, b"K7Q2");
    let ok = app
        .verify(
            &app.rental.key,
            json!({ "purpose": "car_rental", "qr_text": with, "challenge_hex": "4b375132" }),
        )
        .await
        .json();
    assert_eq!(ok["valid"], true, "{ok}");
    // The same code against another challenge (a replay), and a code without one.
    let replay = app
        .verify(
            &app.rental.key,
            json!({ "purpose": "car_rental", "qr_text": with, "challenge_hex": "00112233" }),
        )
        .await
        .json();
    assert_eq!(failed(&replay), ["challenge"]);
    let without = app
        .verify(
            &app.rental.key,
            json!({ "purpose": "car_rental", "qr_text": app.code(Purpose::CarRental, &[]), "challenge_hex": "4b375132" }),
        )
        .await
        .json();
    assert_eq!(failed(&without), ["challenge"]);
    assert_eq!(without["valid"], false);
}

async fn share_links_verify_and_expired_ones_are_refused(backend: Backend) {
    let Some(app) = spawn_app(backend, generous()).await else {
        return;
    };
    let account = app
        .store
        .create_account(&NewAccount {
            citizen_id: app.licence.citizen_id().clone(),
            file_number: app.licence.file_number().clone(),
            password_hash: "$argon2id$v=19$m=19456,t=2,p=1$c29tZQ$aGFzaA".into(),
            created_at: NOW,
        })
        .await
        .unwrap();
    let share = |token: [u8; 32], expires_at: OffsetDateTime| NewShare {
        token_hash: edl_app::verification::sha256(&token),
        account_id: account.id,
        file_number: app.licence.file_number().clone(),
        purpose: "car_rental".into(),
        created_at: NOW - Duration::days(5),
        expires_at,
    };
    let live = [3u8; 32];
    let expired = [4u8; 32];
    app.store
        .insert_share(&share(live, NOW + Duration::days(2)))
        .await
        .unwrap();
    app.store
        .insert_share(&share(expired, NOW - Duration::days(1)))
        .await
        .unwrap();
    let hex = |t: &[u8]| t.iter().map(|b| format!("{b:02x}")).collect::<String>();
    let ok = app
        .verify(
            &app.rental.key,
            json!({ "purpose": "car_rental", "share_token": format!("https://edl.example.cn/share/{}", hex(&live)) }),
        )
        .await;
    assert_eq!(ok.status, 200);
    let report = ok.json();
    assert_eq!(report["valid"], true, "{report}");
    assert_eq!(report["kind"], "share");
    assert!(
        report["fields"]
            .get("family_name_national_character")
            .is_some()
    );
    assert!(report["fields"].get("resident_address").is_none());
    assert!(report["portrait_url"].is_string());
    let gone = app
        .verify(
            &app.rental.key,
            json!({ "purpose": "car_rental", "share_token": hex(&expired) }),
        )
        .await
        .json();
    assert_eq!(gone["valid"], false);
    assert_eq!(failed(&gone), ["share.not_expired"]);
    assert_eq!(gone["fields"], json!({}));
    // Both audited, with the licence; the holder sees the rental company's checks.
    assert_eq!(app.audited(&app.rental).await, 2);
    let events = app
        .store
        .check_events(app.licence.file_number(), 10)
        .await
        .unwrap();
    assert_eq!(events.len(), 2);
    assert!(events.iter().all(|e| e.event.verifier == app.rental.name));
}

async fn device_responses_verify_with_their_transcript(backend: Backend) {
    let Some(app) = spawn_app(backend, generous()).await else {
        return;
    };
    let transcript = SessionTranscript::openid4vp(
        "x509_san_dns:police.example.cn",
        "n-0S6_WzA2Mj",
        None,
        "https://police.example.cn/response",
    );
    let response = edl_mdoc::present(
        &app.issued.issuer_signed,
        Purpose::Roadside,
        &transcript,
        &app.device,
    )
    .unwrap()
    .to_bytes();
    let body = |transcript: &[u8]| {
        json!({
            "purpose": "roadside",
            "device_response": B64.encode(&response),
            "session_transcript": B64.encode(transcript),
        })
    };
    let ok = app
        .verify(&app.police.key, body(transcript.as_bytes()))
        .await
        .json();
    assert_eq!(ok["valid"], true, "{ok}");
    assert_eq!(ok["kind"], "device_response");
    assert_eq!(ok["status"]["state"], "valid");
    // Another session's transcript: the device signature is over another session.
    let other = SessionTranscript::openid4vp("x509_san_dns:evil.example", "n", None, "https://e/r");
    let replayed = app
        .verify(&app.police.key, body(other.as_bytes()))
        .await
        .json();
    assert_eq!(failed(&replayed), ["device_authentication"]);
    let audit = app.store.verifications(app.police.id, 10).await.unwrap();
    assert_eq!(audit.len(), 2);
    assert!(
        audit
            .iter()
            .all(|v| v.verification.file_number.as_ref() == Some(app.licence.file_number()))
    );
    // Not base64, not a transcript: malformed.
    let bad = app
        .post_json(
            "/api/v1/verify",
            &app.police.key,
            &json!({ "purpose": "roadside", "device_response": "!!", "session_transcript": "AA" })
                .to_string(),
        )
        .await;
    assert_eq!(bad.code(), "malformed_request");
}

async fn the_published_files_are_cacheable_files_with_their_types(backend: Backend) {
    let Some(app) = spawn_app(backend, generous()).await else {
        return;
    };
    let region = app.licence.authority().region;
    let trust = request(app.addr, "GET", "/trust-list.cbor", &[], b"").await;
    assert_eq!(trust.status, 200);
    assert_eq!(
        trust.header("content-type").as_deref(),
        Some("application/cbor")
    );
    assert_eq!(
        trust.header("cache-control").as_deref(),
        Some("public, max-age=3600")
    );
    assert!(trust.header("last-modified").unwrap().ends_with(" GMT"));
    let anchor = PkiDir::new(app._dir.path().join("edl-data").join("pki"))
        .anchor()
        .unwrap();
    let list = edl_pki::verify_trust_list(&trust.body, std::slice::from_ref(&anchor), NOW).unwrap();
    assert!(!list.document_signers().is_empty());
    let etag = trust.header("etag").unwrap();
    let again = request(
        app.addr,
        "GET",
        "/trust-list.cbor",
        &[("if-none-match", etag.clone())],
        b"",
    )
    .await;
    assert_eq!(again.status, 304);
    assert!(again.body.is_empty());
    assert_eq!(again.header("etag"), Some(etag));

    let path = format!("/status/{region}.cwt");
    let status = request(app.addr, "GET", &path, &[], b"").await;
    assert_eq!(status.status, 200);
    assert_eq!(
        status.header("content-type").as_deref(),
        Some("application/statuslist+cwt")
    );
    assert_eq!(
        status.header("cache-control").as_deref(),
        Some("public, max-age=60")
    );
    let token =
        edl_status_list::verify_token(&status.body, std::slice::from_ref(&anchor), NOW, None)
            .unwrap();
    let index = app.issued.record.status_index;
    assert_eq!(
        token.list.get(index).unwrap(),
        edl_status_list::CredentialStatus::Valid
    );
    let etag = status.header("etag").unwrap();
    let last_modified = status.header("last-modified").unwrap();
    let cached = request(
        app.addr,
        "GET",
        &path,
        &[("if-none-match", etag.clone())],
        b"",
    )
    .await;
    assert_eq!(cached.status, 304);
    let by_date = request(
        app.addr,
        "GET",
        &path,
        &[("if-modified-since", last_modified)],
        b"",
    )
    .await;
    assert_eq!(by_date.status, 304);
    // A suspension: the next list (after the registry is asked again) says so, with a new ETag.
    app.set_status("D").await;
    tokio::time::sleep(std::time::Duration::from_millis(1200)).await;
    let changed = request(
        app.addr,
        "GET",
        &path,
        &[("if-none-match", etag.clone())],
        b"",
    )
    .await;
    assert_eq!(changed.status, 200);
    assert_ne!(changed.header("etag"), Some(etag));
    let token =
        edl_status_list::verify_token(&changed.body, std::slice::from_ref(&anchor), NOW, None)
            .unwrap();
    assert_eq!(
        token.list.get(index).unwrap(),
        edl_status_list::CredentialStatus::Suspended
    );
    // Unknown or malformed regions: 404 with a code.
    for path in [
        "/status/999999.cwt",
        "/status/110101.cwt",
        "/status/x.cwt",
        "/status/120100",
    ] {
        let r = request(app.addr, "GET", path, &[], b"").await;
        assert_eq!(
            (r.status, r.code().as_str()),
            (404, "unknown_region"),
            "{path}"
        );
    }
}

async fn the_scanner_needs_a_verifier_session_and_its_csrf_token(backend: Backend) {
    let Some(app) = spawn_app(backend, generous()).await else {
        return;
    };
    let user = app
        .store
        .create_console_user(&NewConsoleUser {
            username: "rental-desk-1".into(),
            password_hash: "$argon2id$v=19$m=19456,t=2,p=1$c29tZQ$aGFzaA".into(),
            role: ConsoleRole::Verifier,
            authority_id: None,
            organisation_id: Some(app.rental.id),
            created_at: NOW,
        })
        .await
        .unwrap();
    let token = [8u8; 32];
    let csrf = "c".repeat(32);
    app.store
        .create_console_session(&NewConsoleSession {
            token_hash: edl_app::verification::sha256(&token),
            user_id: user.id,
            csrf_token: csrf.clone(),
            created_at: NOW,
            expires_at: NOW + Duration::hours(8),
        })
        .await
        .unwrap();
    let cookie = (
        "cookie",
        format!(
            "edl_console={}",
            token.iter().map(|b| format!("{b:02x}")).collect::<String>()
        ),
    );
    let body = json!({ "purpose": "car_rental", "qr_text": app.code(Purpose::CarRental, &[]) })
        .to_string();
    let post = |headers: Vec<(&'static str, String)>| {
        let body = body.clone();
        async move {
            let mut headers = headers;
            headers.push(("content-type", "application/json".into()));
            request(
                app.addr,
                "POST",
                "/scanner/api/verify",
                &headers,
                body.as_bytes(),
            )
            .await
        }
    };
    let anonymous = post(vec![]).await;
    assert_eq!(
        (anonymous.status, anonymous.code().as_str()),
        (401, "not_logged_in")
    );
    let forged = post(vec![cookie.clone(), ("x-csrf-token", "forged".into())]).await;
    assert_eq!(
        (forged.status, forged.code().as_str()),
        (403, "csrf_mismatch")
    );
    assert_eq!(app.audited(&app.rental).await, 0);
    let ok = post(vec![cookie.clone(), ("x-csrf-token", csrf.clone())]).await;
    assert_eq!(ok.status, 200, "{}", String::from_utf8_lossy(&ok.body));
    let report = ok.json();
    assert_eq!(report["valid"], true, "{report}");
    assert_eq!(report["channel"], "scanner");
    assert!(
        report["portrait_url"]
            .as_str()
            .unwrap()
            .starts_with("/scanner/api/portrait/")
    );
    let audit = app.store.verifications(app.rental.id, 10).await.unwrap();
    assert_eq!(audit.len(), 1);
    assert_eq!(audit[0].verification.channel, "scanner");
    assert_eq!(audit[0].verification.user_id, Some(user.id));
    assert_eq!(audit[0].verification.api_key_id, None);
    // The offline material: signers and every region's status list.
    let material = request(
        app.addr,
        "GET",
        "/scanner/api/material",
        std::slice::from_ref(&cookie),
        b"",
    )
    .await;
    assert_eq!(material.status, 200);
    let m = material.json();
    assert!(!m["signers"].as_array().unwrap().is_empty());
    let region = app.licence.authority().region.as_u32();
    assert!(
        m["status_lists"]
            .as_array()
            .unwrap()
            .iter()
            .any(|l| l["region"] == region)
    );
    assert_eq!(m["policy"]["max_age_seconds"], 300);
    assert!(m["use_until"].as_str().unwrap() > m["generated_at"].as_str().unwrap());
    let refused = request(app.addr, "GET", "/scanner/api/material", &[], b"").await;
    assert_eq!(refused.status, 401);
}

async fn a_batch_answers_each_item_in_its_place_and_audits_each_verification(backend: Backend) {
    let Some(app) = spawn_app(backend, generous()).await else {
        return;
    };
    let items = vec![
        json!({ "purpose": "roadside", "qr_text": app.code(Purpose::Roadside, &[]) }),
        // The police unit is not registered for car rental: refused, this item only.
        json!({ "purpose": "car_rental", "qr_text": app.code(Purpose::CarRental, &[]) }),
        json!({ "purpose": "police", "qr_text": "EDL1:X" }),
        // A code that does not decode is verified and not valid, as alone.
        json!({ "purpose": "roadside", "qr_text": "EDL1:NOT-A-CODE" }),
        json!({ "purpose": "business_window", "qr_text": app.code(Purpose::BusinessWindow, &[]) }),
        // A challenge the code does not carry.
        json!({
            "purpose": "roadside",
            "qr_text": app.code(Purpose::Roadside, &[]),
            "challenge_hex": "4b375132",
        }),
        // Items of the wrong form: refused alone, as they would be alone.
        json!({ "purpose": "roadside", "qr_text": 7 }),
        json!({ "purpose": "roadside", "qr_text": "EDL1:X", "extra": 1 }),
        json!("EDL1:X"),
    ];
    let reply = app.batch(&app.police.key, items).await;
    assert_eq!(
        reply.status,
        200,
        "{}",
        String::from_utf8_lossy(&reply.body)
    );
    assert_eq!(reply.header("cache-control").as_deref(), Some("no-store"));
    let answer = reply.json();
    let results = answer["results"].as_array().unwrap();
    let statuses: Vec<u64> = results
        .iter()
        .map(|r| r["status"].as_u64().unwrap())
        .collect();
    assert_eq!(statuses, [200, 403, 400, 200, 200, 200, 400, 400, 400]);
    assert_eq!(results[1]["error"]["code"], "purpose_not_allowed");
    for refused in [2, 6, 7, 8] {
        assert_eq!(results[refused]["error"]["code"], "malformed_request");
    }
    assert!(
        !String::from_utf8_lossy(&reply.body).contains("EDL1:X"),
        "nothing sent is echoed"
    );
    assert!(results[1].get("report").is_none());
    let valid: Vec<&Value> = results.iter().map(|r| &r["report"]["valid"]).collect();
    assert_eq!(valid[0], true, "{}", results[0]);
    assert_eq!(valid[3], false);
    assert_eq!(valid[4], true);
    assert_eq!(valid[5], false);
    assert_eq!(failed(&results[5]["report"]), ["challenge"]);
    // Each report is the one of its item: its purpose, the fields the purpose discloses.
    let first = &results[0]["report"];
    assert_eq!(first["requested_purpose"], "roadside");
    assert_eq!(first["channel"], "api");
    assert_eq!(
        first["fields"]["file_number"],
        app.licence.file_number().as_str()
    );
    assert_eq!(results[4]["report"]["requested_purpose"], "business_window");
    let url = first["portrait_url"].as_str().unwrap().to_owned();
    let photo = request(
        app.addr,
        "GET",
        &url,
        &[("authorization", format!("Bearer {}", app.police.key))],
        b"",
    )
    .await;
    assert_eq!(photo.status, 200);
    // Every item that reached verification is audited, and no other; the holder sees the three
    // checks of the licence the codes name.
    let audit = app.store.verifications(app.police.id, 10).await.unwrap();
    let mut results: Vec<&str> = audit
        .iter()
        .map(|a| a.verification.result.as_str())
        .collect();
    results.sort_unstable();
    assert_eq!(results, ["not_valid", "not_valid", "valid", "valid"]);
    assert!(
        audit.iter().all(|a| a.verification.channel == "api"
            && a.verification.api_key_id == Some(app.police.key_id))
    );
    let events = app
        .store
        .check_events(app.licence.file_number(), 10)
        .await
        .unwrap();
    assert_eq!(events.len(), 3, "{events:?}");
}

async fn bodies_that_are_not_batches_are_refused_whole_and_nothing_is_audited(backend: Backend) {
    let Some(app) = spawn_app(backend, generous()).await else {
        return;
    };
    let item = json!({ "purpose": "roadside", "qr_text": app.code(Purpose::Roadside, &[]) });
    for body in [
        "{not json".to_owned(),
        json!({ "items": [] }).to_string(),
        json!({ "items": vec![item.clone(); 101] }).to_string(),
        json!({ "items": item.clone() }).to_string(),
        json!({ "items": [item.clone()], "extra": 1 }).to_string(),
        json!([item.clone()]).to_string(),
        json!({ "items": "EDL1:X" }).to_string(),
    ] {
        let r = app
            .post_json("/api/v1/verify/batch", &app.police.key, &body)
            .await;
        assert_eq!(
            (r.status, r.code().as_str()),
            (400, "malformed_request"),
            "{}",
            &body[..body.len().min(80)]
        );
        assert!(
            !String::from_utf8_lossy(&r.body).contains("EDL1"),
            "nothing sent is echoed"
        );
    }
    let huge = json!({ "items": [{ "purpose": "roadside", "qr_text": "A".repeat(1100 * 1024) }] })
        .to_string();
    let r = app
        .post_json("/api/v1/verify/batch", &app.police.key, &huge)
        .await;
    assert_eq!((r.status, r.code().as_str()), (413, "body_too_large"));
    let items = json!({ "items": [item] }).to_string();
    let none = request(
        app.addr,
        "POST",
        "/api/v1/verify/batch",
        &[("content-type", "application/json".into())],
        items.as_bytes(),
    )
    .await;
    assert_eq!(
        (none.status, none.code().as_str()),
        (401, "missing_api_key")
    );
    let form = request(
        app.addr,
        "POST",
        "/api/v1/verify/batch",
        &[
            ("authorization", format!("Bearer {}", app.police.key)),
            ("content-type", "text/plain".into()),
        ],
        items.as_bytes(),
    )
    .await;
    assert_eq!(
        (form.status, form.code().as_str()),
        (415, "unsupported_media_type")
    );
    assert_eq!(app.audited(&app.police).await, 0);
    // The 100 the description promises are taken.
    let hundred =
        vec![json!({ "purpose": "roadside", "qr_text": app.code(Purpose::Roadside, &[]) }); 100];
    let r = app.batch(&app.police.key, hundred).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["results"].as_array().unwrap().len(), 100);
    assert_eq!(app.audited(&app.police).await, 100);
}

async fn a_batch_takes_a_token_per_item_and_is_refused_whole_beyond_the_bucket(backend: Backend) {
    let Some(app) = spawn_app(
        backend,
        ApiLimits {
            rate: 0.01,
            burst: 6,
            ..ApiLimits::default()
        },
    )
    .await
    else {
        return;
    };
    let item = json!({ "purpose": "roadside", "qr_text": app.code(Purpose::Roadside, &[]) });
    // Three items, one refused for its purpose: three tokens all the same, two audit rows.
    let refused = json!({ "purpose": "car_rental", "qr_text": app.code(Purpose::CarRental, &[]) });
    let first = app
        .batch(&app.police.key, vec![item.clone(), item.clone(), refused])
        .await;
    assert_eq!(first.status, 200);
    assert_eq!(app.audited(&app.police).await, 2);
    // Three tokens are left. A batch of four takes the one its body costs before it is read,
    // then is refused whole: none of it verified or audited.
    let limited = app.batch(&app.police.key, vec![item.clone(); 4]).await;
    assert_eq!(
        (limited.status, limited.code().as_str()),
        (429, "rate_limited")
    );
    assert!(limited.header("retry-after").is_some());
    assert_eq!(app.audited(&app.police).await, 2);
    // Two are left: a batch of two takes them.
    assert_eq!(
        app.batch(&app.police.key, vec![item.clone(); 2])
            .await
            .status,
        200
    );
    assert_eq!(app.audited(&app.police).await, 4);
    assert_eq!(
        app.batch(&app.police.key, vec![item.clone()]).await.status,
        429
    );
    // More items than the bucket ever holds could never be taken: refused as such.
    let larger = app.batch(&app.rental.key, vec![item; 7]).await;
    assert_eq!(
        (larger.status, larger.code().as_str()),
        (400, "malformed_request")
    );
    assert_eq!(app.audited(&app.rental).await, 0);
}
