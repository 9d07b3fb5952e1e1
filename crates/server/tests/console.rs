//! The staff console over a real socket, on SQLite and on PostgreSQL: login and its refusals,
//! who may read and change which licence (role, authority), CSRF, a change recorded in the history
//! with who and why and reaching the published status list, the dashboard's period and CSV, and
//! the platform operator's organisations and keys. The browser flows are in
//! `web/tests/browser/console.test.mjs`.

#![allow(clippy::unwrap_used)] // Test helpers: a panic is the test failing, with its message.

use std::net::SocketAddr;
use std::sync::Arc;

use edl_app::credentials::{Issuer, claim};
use edl_app::pki_dir::PkiDir;
use edl_app::{AnyStore, Clock, DatabaseUrl, FixedClock};
use edl_domain::Licence;
use edl_mdoc::Portrait;
use edl_pki::{InMemorySigner, Signer};
use edl_server::startup::{AppState, Application, ServiceInfo, WalletIssuer};
use edl_store::Store;
use time::OffsetDateTime;
use time::macros::datetime;

#[macro_use]
mod support;
use support::{Backend, PgDatabase, Reply, request};

const NOW: OffsetDateTime = datetime!(2026-11-26 08:00 UTC);

struct TestApp {
    addr: SocketAddr,
    store: AnyStore,
    /// A licence of the first demo authority whose operator is `op-<region>`.
    licence: Licence,
    _pg: Option<PgDatabase>,
    _dir: tempfile::TempDir,
}

async fn spawn_app(backend: Backend) -> Option<TestApp> {
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
    edl_app::demo::seed_demo(&store, clock.as_ref(), 300)
        .await
        .unwrap();
    edl_server::demo::seed_console_demo(&store, NOW)
        .await
        .unwrap();
    let file_number = edl_app::demo::demo_examples(NOW.date(), 300)
        .into_iter()
        .find(|(_, state)| *state == edl_domain::DisplayState::BlackQr)
        .unwrap()
        .0;
    let licence = store.licence(&file_number).await.unwrap().unwrap().licence;
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
    );
    // The holder has claimed, so the licence has a place in its region's status list.
    let wallet = state.issuer.clone().unwrap();
    claim(
        &store,
        &Issuer {
            pki: wallet.signers.pki(),
            passphrase: wallet.signers.passphrase(),
            public_url: &wallet.public_url,
            opened: Some(&wallet.signers),
        },
        licence.file_number(),
        &InMemorySigner::generate().unwrap().public_key(),
        &Portrait::new(edl_synth::demo_portrait().to_vec()).unwrap(),
        NOW,
    )
    .await
    .unwrap();
    let app = Application::build("127.0.0.1:0".parse().unwrap(), state)
        .await
        .unwrap();
    let addr = app.local_addr().unwrap();
    tokio::spawn(app.run_until(std::future::pending()));
    Some(TestApp {
        addr,
        store,
        licence,
        _pg: pg,
        _dir: dir,
    })
}

fn form(pairs: &[(&str, &str)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| {
            let value: String = v
                .bytes()
                .map(|b| match b {
                    b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => {
                        (b as char).to_string()
                    }
                    _ => format!("%{b:02X}"),
                })
                .collect();
            format!("{k}={value}")
        })
        .collect::<Vec<_>>()
        .join("&")
}

/// A logged-in member of staff: their cookie and their session's CSRF token.
#[derive(Debug)]
struct Staff {
    cookie: String,
    csrf: String,
}

impl TestApp {
    async fn get(&self, path: &str, cookie: &str) -> Reply {
        request(
            self.addr,
            "GET",
            path,
            &[("cookie", cookie.to_owned())],
            b"",
        )
        .await
    }

    async fn post(&self, path: &str, cookie: &str, body: &str) -> Reply {
        request(
            self.addr,
            "POST",
            path,
            &[
                ("cookie", cookie.to_owned()),
                ("content-type", "application/x-www-form-urlencoded".into()),
            ],
            body.as_bytes(),
        )
        .await
    }

    /// Logs in; `None` with the reply when refused.
    async fn login(&self, username: &str, password: &str) -> Result<Staff, Reply> {
        let page = self.get("/console", "").await;
        let form_token = page.cookie("edl_form").unwrap();
        let reply = self
            .post(
                "/console/login",
                &format!("edl_form={form_token}"),
                &form(&[
                    ("username", username),
                    ("password", password),
                    ("csrf", &form_token),
                ]),
            )
            .await;
        if reply.status != 303 {
            return Err(reply);
        }
        let cookie = format!("edl_console={}", reply.cookie("edl_console").unwrap());
        let home = self
            .get(reply.header("location").unwrap().as_str(), &cookie)
            .await;
        let text = home.text();
        let csrf = text
            .split(r#"name="csrf" value=""#)
            .nth(1)
            .and_then(|rest| rest.split('"').next())
            .unwrap_or_default()
            .to_owned();
        Ok(Staff { cookie, csrf })
    }

    async fn status_letters(&self) -> String {
        self.store
            .licence(self.licence.file_number())
            .await
            .unwrap()
            .unwrap()
            .licence
            .status()
            .to_string()
    }
}

fn code(reply: &Reply) -> String {
    let text = reply.text();
    text.split(r#"data-code=""#)
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap_or("(none)")
        .to_owned()
}

async fn logins_are_checked_and_land_where_the_role_works(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let wrong = app
        .login("platform", "not-the-password")
        .await
        .err()
        .unwrap();
    assert_eq!(
        (wrong.status, code(&wrong)),
        (401, "bad_credentials".to_owned())
    );
    let nobody = app.login("nobody", "demo-platform").await.err().unwrap();
    assert_eq!(
        nobody.status, 401,
        "an unknown name looks like a wrong password"
    );
    // The login form without its cookie's token is refused.
    let forged = app
        .post(
            "/console/login",
            "",
            &form(&[
                ("username", "platform"),
                ("password", "demo-platform"),
                ("csrf", "x"),
            ]),
        )
        .await;
    assert_eq!((forged.status, code(&forged)), (403, "csrf".to_owned()));
    assert!(app.login("platform", "demo-platform").await.is_ok());
    // A verifier's staff go to the scanner, which others may not open.
    let police = app.login("police", "demo-verifier").await.unwrap();
    assert_eq!(app.get("/scanner", &police.cookie).await.status, 200);
    assert_eq!(
        app.get("/console/licences", &police.cookie).await.status,
        403
    );
}

async fn only_the_licences_authority_reads_and_only_its_operator_changes(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let region = app.licence.authority().region.to_string();
    let path = format!("/console/licences/{}", app.licence.file_number().as_str());
    let own = app
        .login(&format!("op-{region}"), "demo-operator")
        .await
        .unwrap();
    let page = app.get(&path, &own.cookie).await;
    assert_eq!(page.status, 200);
    assert!(page.text().contains(app.licence.citizen_id().as_str()));

    let other_region = if region == "120100" {
        "510100"
    } else {
        "120100"
    };
    let other = app
        .login(&format!("op-{other_region}"), "demo-operator")
        .await
        .unwrap();
    let refused = app.get(&path, &other.cookie).await;
    assert_eq!(
        (refused.status, code(&refused)),
        (403, "outside_authority".to_owned())
    );
    assert!(
        !refused.text().contains(app.licence.citizen_id().as_str()),
        "nothing of the licence leaks"
    );
    let change = app
        .post(
            &format!("{path}/status"),
            &other.cookie,
            &form(&[
                ("csrf", &other.csrf),
                ("status", "F"),
                ("reason", "not mine"),
            ]),
        )
        .await;
    assert_eq!(
        (change.status, code(&change)),
        (403, "outside_authority".to_owned())
    );

    let auditor = app
        .login(&format!("audit-{region}"), "demo-auditor")
        .await
        .unwrap();
    assert_eq!(app.get(&path, &auditor.cookie).await.status, 200);
    let change = app
        .post(
            &format!("{path}/status"),
            &auditor.cookie,
            &form(&[
                ("csrf", &auditor.csrf),
                ("status", "F"),
                ("reason", "auditors read"),
            ]),
        )
        .await;
    assert_eq!(
        (change.status, code(&change)),
        (403, "role_not_allowed".to_owned())
    );

    let platform = app.login("platform", "demo-platform").await.unwrap();
    assert_eq!(
        app.get(&path, &platform.cookie).await.status,
        403,
        "the platform operator does not read licences"
    );

    let forged = app
        .post(
            &format!("{path}/status"),
            &own.cookie,
            &form(&[("csrf", "forged"), ("status", "F"), ("reason", "forged")]),
        )
        .await;
    assert_eq!((forged.status, code(&forged)), (403, "csrf".to_owned()));
    let bad = app
        .post(
            &format!("{path}/points"),
            &own.cookie,
            &form(&[
                ("csrf", &own.csrf),
                ("points", "2"),
                ("on", "2026-11-01"),
                ("reason", "x"),
            ]),
        )
        .await;
    assert_eq!((bad.status, code(&bad)), (422, "bad_points".to_owned()));
    let no_reason = app
        .post(
            &format!("{path}/status"),
            &own.cookie,
            &form(&[("csrf", &own.csrf), ("status", "D"), ("reason", " ")]),
        )
        .await;
    assert_eq!(
        (no_reason.status, code(&no_reason)),
        (422, "bad_reason".to_owned())
    );
    assert_eq!(
        app.status_letters().await,
        "A",
        "no refused request changed anything"
    );
    assert!(
        app.store
            .history(app.licence.file_number())
            .await
            .unwrap()
            .is_empty()
    );
}

async fn a_change_is_in_the_history_and_in_the_next_published_status_list(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let region = app.licence.authority().region.to_string();
    let path = format!("/console/licences/{}", app.licence.file_number().as_str());
    let list_path = format!("/status/{region}.cwt");
    let before = app.get(&list_path, "").await;
    assert_eq!(before.status, 200);
    let op = app
        .login(&format!("op-{region}"), "demo-operator")
        .await
        .unwrap();
    let done = app
        .post(
            &format!("{path}/status"),
            &op.cookie,
            &form(&[
                ("csrf", &op.csrf),
                ("status", "D"),
                ("reason", "暂扣 decision 118"),
            ]),
        )
        .await;
    assert_eq!(done.status, 303, "{}", done.text());
    assert_eq!(app.status_letters().await, "D");
    let history = app.store.history(app.licence.file_number()).await.unwrap();
    assert_eq!(history.len(), 1);
    assert_eq!(history[0].actor, format!("op-{region}"));
    assert_eq!(history[0].reason, "暂扣 decision 118");
    // The platform asks the registry whether a list is stale at most once a second
    // (`STATUS_CHECK_INTERVAL`): the re-signed list is served from the next check on.
    let mut after = app.get(&list_path, "").await;
    for _ in 0..30 {
        if after.header("etag") != before.header("etag") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        after = app.get(&list_path, "").await;
    }
    assert_eq!(after.status, 200);
    assert_ne!(
        after.header("etag"),
        before.header("etag"),
        "the list was re-signed after the change"
    );
    let again = app
        .post(
            &format!("{path}/status"),
            &op.cookie,
            &form(&[("csrf", &op.csrf), ("status", "D"), ("reason", "again")]),
        )
        .await;
    assert_eq!((again.status, code(&again)), (422, "no_change".to_owned()));
}

async fn the_dashboard_checks_its_period_and_exports_csv(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let platform = app.login("platform", "demo-platform").await.unwrap();
    let page = app
        .get(
            "/console/dashboard?from=2026-11-01&to=2026-11-26",
            &platform.cookie,
        )
        .await;
    assert_eq!(page.status, 200);
    assert!(page.text().contains(r#"id="claims-chart""#));
    // The national view reads the national rollup, an authority its region's rows: three checks today,
    // one of them of the operator's region, one of another region and one that named no licence.
    let region = app.licence.authority().region;
    let other = edl_domain::RegionCode::from_u32(510100).unwrap();
    let organisation_id = app.store.organisations().await.unwrap()[0].id;
    let check = |region, purpose: &str, result: &str| edl_store::NewVerification {
        at: NOW,
        organisation_id,
        api_key_id: None,
        user_id: None,
        purpose: purpose.to_owned(),
        channel: "api".to_owned(),
        result: result.to_owned(),
        file_number: None,
        region,
    };
    app.store
        .record_verifications(&[
            check(Some(region), "roadside", "valid"),
            check(Some(other), "roadside", "not_valid"),
            check(None, "car_rental", "valid"),
        ])
        .await
        .unwrap();
    let period_checks = |text: String| {
        text.split(r#"data-testid="period-verifications">"#)
            .nth(1)
            .and_then(|rest| rest.split('<').next())
            .unwrap_or_default()
            .to_owned()
    };
    let national = app.get("/console/dashboard", &platform.cookie).await;
    assert_eq!(period_checks(national.text()), "3");
    let rows = app
        .get(
            "/console/dashboard.csv?kind=verifications",
            &platform.cookie,
        )
        .await
        .text();
    assert_eq!(rows.lines().count(), 4, "one row per region: {rows}");
    for bad in [
        "from=2026-11-27&to=2026-11-01",
        "from=2024-01-01&to=2026-01-01",
        "from=yesterday",
    ] {
        let reply = app
            .get(&format!("/console/dashboard?{bad}"), &platform.cookie)
            .await;
        assert_eq!(
            (reply.status, code(&reply)),
            (422, "bad_period".to_owned()),
            "{bad}"
        );
    }
    let csv = app
        .get("/console/dashboard.csv?kind=regions", &platform.cookie)
        .await;
    assert_eq!(csv.status, 200);
    assert!(csv.header("content-type").unwrap().starts_with("text/csv"));
    let text = csv.text();
    assert!(text.starts_with("region,name,licences,claimed,"));
    assert_eq!(
        text.lines().count(),
        1 + app.store.region_counts().await.unwrap().len()
    );
    assert_eq!(
        app.get("/console/dashboard.csv?kind=nonsense", &platform.cookie)
            .await
            .status,
        400
    );
    // An authority sees its own region only.
    let op = app
        .login(&format!("op-{region}"), "demo-operator")
        .await
        .unwrap();
    let own = app
        .get("/console/dashboard.csv?kind=regions", &op.cookie)
        .await
        .text();
    assert_eq!(own.lines().count(), 2, "{own}");
    assert!(own.lines().nth(1).unwrap().starts_with(&region.to_string()));
    let own_view = app.get("/console/dashboard", &op.cookie).await;
    assert_eq!(period_checks(own_view.text()), "1");
}

async fn organisations_keys_and_staff_are_the_platform_operators(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let op = app.login("op-120100", "demo-operator").await.unwrap();
    let refused = app
        .post(
            "/console/organisations",
            &op.cookie,
            &form(&[
                ("csrf", &op.csrf),
                ("name", "X"),
                ("kind", "insurer"),
                ("insurer", "on"),
            ]),
        )
        .await;
    assert_eq!(
        (refused.status, code(&refused)),
        (403, "role_not_allowed".to_owned())
    );
    let platform = app.login("platform", "demo-platform").await.unwrap();
    let none = app
        .post(
            "/console/organisations",
            &platform.cookie,
            &form(&[
                ("csrf", &platform.csrf),
                ("name", "某保险公司"),
                ("kind", "insurer"),
            ]),
        )
        .await;
    assert_eq!((none.status, code(&none)), (422, "no_purpose".to_owned()));
    let made = app
        .post(
            "/console/organisations",
            &platform.cookie,
            &form(&[
                ("csrf", &platform.csrf),
                ("name", "某保险公司"),
                ("kind", "insurer"),
                ("insurer", "on"),
            ]),
        )
        .await;
    assert_eq!(made.status, 303);
    let org_path = made.header("location").unwrap();
    let taken = app
        .post(
            "/console/organisations",
            &platform.cookie,
            &form(&[
                ("csrf", &platform.csrf),
                ("name", "某保险公司"),
                ("kind", "insurer"),
                ("insurer", "on"),
            ]),
        )
        .await;
    assert_eq!((taken.status, code(&taken)), (409, "name_taken".to_owned()));
    let key = app
        .post(
            &format!("{org_path}/keys"),
            &platform.cookie,
            &form(&[("csrf", &platform.csrf), ("label", "claims system")]),
        )
        .await;
    assert_eq!(key.status, 201);
    assert_eq!(key.header("cache-control").as_deref(), Some("no-store"));
    let text = key.text();
    let shown = text
        .split(r#"id="new-key">"#)
        .nth(1)
        .unwrap()
        .split('<')
        .next()
        .unwrap();
    assert!(shown.starts_with("edl_") && shown.len() == 47, "{shown}");
    let later = app.get(&org_path, &platform.cookie).await.text();
    assert!(!later.contains(shown), "the key is shown once");
    assert!(later.contains(&shown[..12]), "its prefix is listed");
    let staff = app
        .post(
            "/console/users",
            &platform.cookie,
            &form(&[
                ("csrf", &platform.csrf),
                ("username", "ins-1"),
                ("password", "short"),
                ("role", "verifier"),
                ("organisation_id", org_path.rsplit('/').next().unwrap()),
            ]),
        )
        .await;
    assert_eq!(
        (staff.status, code(&staff)),
        (422, "bad_password".to_owned())
    );
}

async fn a_disabled_staff_account_is_logged_out_and_cannot_log_in(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let name = format!("op-{}", app.licence.authority().region);
    let op = app.login(&name, "demo-operator").await.unwrap();
    assert_eq!(app.get("/console/licences", &op.cookie).await.status, 200);
    let platform = app.login("platform", "demo-platform").await.unwrap();
    let op_id = app
        .store
        .console_user_by_name(&name)
        .await
        .unwrap()
        .unwrap()
        .id;
    let platform_id = app
        .store
        .console_user_by_name("platform")
        .await
        .unwrap()
        .unwrap()
        .id;
    let disable = |id: i64| format!("/console/users/{id}/disable");

    // Refused: without the session's CSRF token, by anyone but the platform operator, one's own account.
    let forged = app
        .post(&disable(op_id), &platform.cookie, &form(&[("csrf", "x")]))
        .await;
    assert_eq!((forged.status, code(&forged)), (403, "csrf".to_owned()));
    let by_operator = app
        .post(
            &disable(platform_id),
            &op.cookie,
            &form(&[("csrf", &op.csrf)]),
        )
        .await;
    assert_eq!(
        (by_operator.status, code(&by_operator)),
        (403, "role_not_allowed".to_owned())
    );
    let own = app
        .post(
            &disable(platform_id),
            &platform.cookie,
            &form(&[("csrf", &platform.csrf)]),
        )
        .await;
    assert_eq!((own.status, code(&own)), (409, "own_account".to_owned()));
    let unknown = app
        .post(
            &disable(op_id + 1000),
            &platform.cookie,
            &form(&[("csrf", &platform.csrf)]),
        )
        .await;
    assert_eq!(
        (unknown.status, code(&unknown)),
        (404, "not_found".to_owned())
    );
    assert_eq!(app.get("/console/licences", &op.cookie).await.status, 200);

    // Disabled: the open session ends at once and a new login is refused like a wrong password.
    let done = app
        .post(
            &disable(op_id),
            &platform.cookie,
            &form(&[("csrf", &platform.csrf)]),
        )
        .await;
    assert_eq!(done.status, 303);
    let ended = app.get("/console/licences", &op.cookie).await;
    assert_eq!(
        (ended.status, ended.header("location").as_deref()),
        (303, Some("/console")),
        "back to the login page"
    );
    assert_eq!(
        app.login(&name, "demo-operator")
            .await
            .err()
            .unwrap()
            .status,
        401
    );
    let list = app
        .get("/console/organisations", &platform.cookie)
        .await
        .text();
    assert!(
        list.contains(&format!(r#"action="/console/users/{op_id}/enable""#)),
        "the list offers to enable it again"
    );

    // Enabled again, it logs in.
    let enabled = app
        .post(
            &format!("/console/users/{op_id}/enable"),
            &platform.cookie,
            &form(&[("csrf", &platform.csrf)]),
        )
        .await;
    assert_eq!(enabled.status, 303);
    let again = app.login(&name, "demo-operator").await.unwrap();
    assert_eq!(
        app.get("/console/licences", &again.cookie).await.status,
        200
    );

    // The sweep deletes sessions once expired: a day later every console session of this test is gone.
    let swept =
        edl_server::housekeeping::sweep_expired_sessions(&app.store, NOW + time::Duration::days(1))
            .await
            .unwrap();
    assert_eq!(
        swept.console_sessions, 2,
        "the platform's and the operator's"
    );
    let gone = app.get("/console/licences", &again.cookie).await;
    assert_eq!(
        (gone.status, gone.header("location").as_deref()),
        (303, Some("/console"))
    );
}

on_both!(
    a_disabled_staff_account_is_logged_out_and_cannot_log_in,
    logins_are_checked_and_land_where_the_role_works,
    only_the_licences_authority_reads_and_only_its_operator_changes,
    a_change_is_in_the_history_and_in_the_next_published_status_list,
    the_dashboard_checks_its_period_and_exports_csv,
    organisations_keys_and_staff_are_the_platform_operators,
);
