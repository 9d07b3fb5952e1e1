//! The web wallet's HTTP surface on a real SQLite file and a real socket, with what a browser
//! would send and what an attacker would: registration and its refusals, the login throttle, CSRF,
//! sessions, the claim API with its proof of possession (good, forged, replayed), oversized and
//! malformed requests. The browser flows themselves are in `web/tests/browser/wallet.test.mjs`.

#![allow(clippy::unwrap_used)] // Test helpers: a panic is the test failing, with its message.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::Arc;

use edl_app::pki_dir::PkiDir;
use edl_app::{AnyStore, Clock, DatabaseUrl, FixedClock};
use edl_domain::Licence;
use edl_pki::{InMemorySigner, Signer};
use edl_server::startup::{AppState, Application, ServiceInfo, WalletIssuer};
use edl_store::{NewSession, Store};
use time::macros::datetime;

const NOW: time::OffsetDateTime = datetime!(2026-11-26 08:00 UTC);

struct TestApp {
    addr: SocketAddr,
    store: AnyStore,
    licence: Licence,
    _dir: tempfile::TempDir,
}

async fn spawn_app() -> TestApp {
    let dir = tempfile::tempdir().unwrap();
    let url = DatabaseUrl::Sqlite(dir.path().join("registry.sqlite3"));
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
    );
    let app = Application::build("127.0.0.1:0".parse().unwrap(), state)
        .await
        .unwrap();
    let addr = app.local_addr().unwrap();
    tokio::spawn(app.run_until(std::future::pending()));
    TestApp {
        addr,
        store,
        licence,
        _dir: dir,
    }
}

struct Reply {
    status: u16,
    headers: String,
    body: String,
    /// The body as sent (a PDF is not text).
    bytes: Vec<u8>,
}

impl Reply {
    fn cookie(&self, name: &str) -> Option<String> {
        self.headers
            .lines()
            .filter(|l| l.to_ascii_lowercase().starts_with("set-cookie:"))
            .find_map(|l| {
                let value = l.split_once(':')?.1.trim();
                let (pair, _) = value.split_once(';').unwrap_or((value, ""));
                let (k, v) = pair.split_once('=')?;
                (k == name).then(|| v.to_owned())
            })
    }

    fn header(&self, name: &str) -> Option<String> {
        self.headers.lines().find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.eq_ignore_ascii_case(name).then(|| v.trim().to_owned())
        })
    }
}

/// One HTTP/1.1 request over a real socket.
async fn request(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, String)],
    body: &str,
) -> Reply {
    let head: String = headers
        .iter()
        .map(|(k, v)| format!("{k}: {v}\r\n"))
        .collect();
    let text = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: {}\r\n{head}\r\n{body}",
        body.len()
    );
    tokio::task::spawn_blocking(move || {
        let mut stream = TcpStream::connect(addr).unwrap();
        stream.write_all(text.as_bytes()).unwrap();
        let mut response = Vec::new();
        let _ = stream.read_to_end(&mut response);
        let split = response
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .unwrap_or(response.len());
        let bytes = response.get(split + 4..).unwrap_or_default().to_vec();
        let headers = String::from_utf8_lossy(&response[..split]).into_owned();
        Reply {
            status: headers[9..12].parse().unwrap(),
            headers,
            body: String::from_utf8_lossy(&bytes).into_owned(),
            bytes,
        }
    })
    .await
    .unwrap()
}

fn form(pairs: &[(&str, &str)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| {
            let v: String = v
                .bytes()
                .map(|b| {
                    if b.is_ascii_alphanumeric() || b == b'-' {
                        (b as char).to_string()
                    } else {
                        format!("%{b:02X}")
                    }
                })
                .collect();
            format!("{k}={v}")
        })
        .collect::<Vec<_>>()
        .join("&")
}

const FORM: (&str, &str) = ("content-type", "application/x-www-form-urlencoded");

/// GETs /wallet for the double-submit token; posts a form with it.
async fn post_form(app: &TestApp, path: &str, fields: &[(&str, &str)]) -> Reply {
    let page = request(app.addr, "GET", "/wallet", &[], "").await;
    let token = page.cookie("edl_form").unwrap();
    let mut fields = fields.to_vec();
    fields.push(("csrf", &token));
    request(
        app.addr,
        "POST",
        path,
        &[
            (FORM.0, FORM.1.into()),
            ("cookie", format!("edl_form={token}")),
        ],
        &form(&fields),
    )
    .await
}

async fn register(app: &TestApp, second: &str, password: &str) -> Reply {
    let cid = app.licence.citizen_id().as_str().to_owned();
    post_form(
        app,
        "/wallet/register",
        &[
            ("citizen_id", &cid),
            ("second_factor", second),
            ("password", password),
            ("password_again", password),
        ],
    )
    .await
}

#[tokio::test]
async fn registration_binds_one_licence_and_refuses_wrong_or_repeated_requests() {
    let app = spawn_app().await;
    let file_number = app.licence.file_number().as_str().to_owned();
    // A wrong second factor: 422, the same words as an unknown licence, nothing stored.
    let wrong = register(&app, "000000000000", "holder password").await;
    assert_eq!(wrong.status, 422);
    assert!(wrong.body.contains("不匹配"), "{}", wrong.body);
    assert!(
        !wrong.body.contains(app.licence.citizen_id().as_str()),
        "no 证号 echoed"
    );
    assert!(
        app.store
            .account_by_citizen_id(app.licence.citizen_id())
            .await
            .unwrap()
            .is_none()
    );
    // Short password, mismatched passwords.
    assert_eq!(register(&app, &file_number, "short").await.status, 422);
    let cid = app.licence.citizen_id().as_str().to_owned();
    let mismatch = post_form(
        &app,
        "/wallet/register",
        &[
            ("citizen_id", &cid),
            ("second_factor", &file_number),
            ("password", "holder password"),
            ("password_again", "other password"),
        ],
    )
    .await;
    assert_eq!(mismatch.status, 422);
    // Without the form's cookie: 403, nothing stored.
    let forged = request(
        app.addr,
        "POST",
        "/wallet/register",
        &[(FORM.0, FORM.1.into())],
        &form(&[
            ("citizen_id", &cid),
            ("second_factor", &file_number),
            ("password", "holder password"),
            ("password_again", "holder password"),
            ("csrf", "x"),
        ]),
    )
    .await;
    assert_eq!(forged.status, 403);
    assert!(
        app.store
            .account_by_citizen_id(app.licence.citizen_id())
            .await
            .unwrap()
            .is_none()
    );
    // The real thing: a session cookie, HttpOnly and SameSite=Strict.
    let ok = register(&app, &file_number, "holder password").await;
    assert_eq!(ok.status, 303, "{}", ok.body);
    assert_eq!(ok.header("location").as_deref(), Some("/wallet/licence"));
    let set = ok
        .headers
        .lines()
        .find(|l| l.contains("edl_session="))
        .unwrap();
    assert!(
        set.contains("HttpOnly") && set.contains("SameSite=Strict"),
        "{set}"
    );
    // The licence is bound now.
    let again = register(&app, &file_number, "another password").await;
    assert_eq!(again.status, 409);
}

#[tokio::test]
async fn logins_are_throttled_per_account_and_wrong_ones_say_nothing_more() {
    let app = spawn_app().await;
    let file_number = app.licence.file_number().as_str().to_owned();
    assert_eq!(
        register(&app, &file_number, "holder password").await.status,
        303
    );
    let cid = app.licence.citizen_id().as_str().to_owned();
    for _ in 0..5 {
        let r = post_form(
            &app,
            "/wallet/login",
            &[("citizen_id", &cid), ("password", "wrong password")],
        )
        .await;
        assert_eq!(r.status, 401);
        assert!(r.body.contains("证号或密码错误"));
    }
    let blocked = post_form(
        &app,
        "/wallet/login",
        &[("citizen_id", &cid), ("password", "holder password")],
    )
    .await;
    assert_eq!(blocked.status, 429);
    let wait: i64 = blocked.header("retry-after").unwrap().parse().unwrap();
    assert!(wait > 0 && wait <= 900);
    // Another account from the same address is not blocked by this account's failures.
    let unknown = post_form(
        &app,
        "/wallet/login",
        &[("citizen_id", "110105194912310029"), ("password", "x")],
    )
    .await;
    assert_eq!(unknown.status, 401);
}

async fn session_of(app: &TestApp) -> (String, String) {
    let file_number = app.licence.file_number().as_str().to_owned();
    let ok = register(app, &file_number, "holder password").await;
    let session = ok.cookie("edl_session").unwrap();
    let page = request(
        app.addr,
        "GET",
        "/wallet/licence",
        &[("cookie", format!("edl_session={session}"))],
        "",
    )
    .await;
    assert_eq!(page.status, 200);
    let csrf = page
        .body
        .split("data-csrf=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_owned();
    (session, csrf)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[tokio::test]
async fn the_claim_api_wants_a_session_its_token_and_a_fresh_proof_of_possession() {
    let app = spawn_app().await;
    let (session, csrf) = session_of(&app).await;
    let cookie = ("cookie", format!("edl_session={session}"));
    // No session, wrong CSRF token.
    assert_eq!(
        request(app.addr, "POST", "/wallet/api/claim/challenge", &[], "")
            .await
            .status,
        401
    );
    assert_eq!(
        request(
            app.addr,
            "POST",
            "/wallet/api/claim/challenge",
            &[cookie.clone(), ("x-csrf-token", "forged".into())],
            ""
        )
        .await
        .status,
        403
    );
    let challenge = |headers: Vec<(&'static str, String)>| async move {
        let r = request(
            app.addr,
            "POST",
            "/wallet/api/claim/challenge",
            &headers,
            "",
        )
        .await;
        assert_eq!(r.status, 200, "{}", r.body);
        let json: serde_json::Value = serde_json::from_str(&r.body).unwrap();
        json["nonce"].as_str().unwrap().to_owned()
    };
    let headers = vec![cookie.clone(), ("x-csrf-token", csrf.clone())];
    let device = InMemorySigner::generate().unwrap();
    let public = device.public_key().as_sec1().to_vec();
    let prove = |nonce: &str, signer: &InMemorySigner| {
        let mut message = b"EDL1-CLAIM".to_vec();
        message.extend_from_slice(
            &(0..32)
                .map(|i| u8::from_str_radix(&nonce[2 * i..2 * i + 2], 16).unwrap())
                .collect::<Vec<_>>(),
        );
        message.extend_from_slice(&public);
        hex(&signer.sign(&message).unwrap())
    };
    let claim = |body: String| {
        let mut h = headers.clone();
        h.push(("content-type", "application/json".into()));
        async move { request(app.addr, "POST", "/wallet/api/claim", &h, &body).await }
    };
    // A proof signed by another key: 400, and the challenge is spent.
    let nonce = challenge(headers.clone()).await;
    let other = InMemorySigner::generate().unwrap();
    let body = |nonce: &str, signature: &str| {
        serde_json::json!({ "nonce": nonce, "public_key": hex(&public), "signature": signature })
            .to_string()
    };
    let forged = claim(body(&nonce, &prove(&nonce, &other))).await;
    assert_eq!(forged.status, 400, "{}", forged.body);
    assert!(forged.body.contains("does not verify"));
    // A good proof: the credentials for this key.
    let nonce = challenge(headers.clone()).await;
    let good = body(&nonce, &prove(&nonce, &device));
    let issued = claim(good.clone()).await;
    assert_eq!(issued.status, 200, "{}", issued.body);
    let json: serde_json::Value = serde_json::from_str(&issued.body).unwrap();
    assert_eq!(json["qr"].as_object().unwrap().len(), 5);
    assert!(json["mdoc"].as_str().unwrap().len() > 1000);
    assert_eq!(
        json["display"]["file_number"],
        app.licence.file_number().as_str()
    );
    // The same proof again: the challenge was used.
    let replay = claim(good).await;
    assert_eq!(replay.status, 409, "{}", replay.body);
    // Malformed and oversized requests.
    assert_eq!(claim("{not json".into()).await.status, 400);
    assert_eq!(claim(body("abcd", "ef")).await.status, 400);
    let huge = format!("{{\"nonce\":\"{}\"}}", "a".repeat(20_000));
    assert_eq!(claim(huge).await.status, 413);
}

#[tokio::test]
async fn an_expired_session_is_a_login_page_and_logout_needs_the_token() {
    let app = spawn_app().await;
    let (session, csrf) = session_of(&app).await;
    // Logout without the token changes nothing; with it, the session ends.
    let cookie = ("cookie", format!("edl_session={session}"));
    let forged = request(
        app.addr,
        "POST",
        "/wallet/logout",
        &[cookie.clone(), (FORM.0, FORM.1.into())],
        "csrf=forged",
    )
    .await;
    assert_eq!(forged.status, 403);
    assert_eq!(
        request(
            app.addr,
            "GET",
            "/wallet/licence",
            std::slice::from_ref(&cookie),
            ""
        )
        .await
        .status,
        200
    );
    let out = request(
        app.addr,
        "POST",
        "/wallet/logout",
        &[cookie.clone(), (FORM.0, FORM.1.into())],
        &format!("csrf={csrf}"),
    )
    .await;
    assert_eq!(out.status, 303);
    let after = request(
        app.addr,
        "GET",
        "/wallet/licence",
        std::slice::from_ref(&cookie),
        "",
    )
    .await;
    assert_eq!(after.status, 303);
    assert_eq!(after.header("location").as_deref(), Some("/wallet"));
    // A session past its expiry is no session.
    let account = app
        .store
        .account_by_citizen_id(app.licence.citizen_id())
        .await
        .unwrap()
        .unwrap();
    let token = [7u8; 32];
    let hash: [u8; 32] = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, &token)
        .as_ref()
        .try_into()
        .unwrap();
    app.store
        .create_session(&NewSession {
            token_hash: hash,
            account_id: account.id,
            csrf_token: "c".repeat(64),
            created_at: NOW - time::Duration::hours(13),
            expires_at: NOW - time::Duration::hours(1),
        })
        .await
        .unwrap();
    let expired = request(
        app.addr,
        "GET",
        "/wallet/licence",
        &[("cookie", format!("edl_session={}", hex(&token)))],
        "",
    )
    .await;
    assert_eq!(expired.status, 303);
    let api = request(
        app.addr,
        "GET",
        "/wallet/api/licence",
        &[("cookie", format!("edl_session={}", hex(&token)))],
        "",
    )
    .await;
    assert_eq!(api.status, 401);
}

#[tokio::test]
async fn a_holder_withdraws_their_own_device_and_no_one_elses() {
    let app = spawn_app().await;
    let (session, csrf) = session_of(&app).await;
    let cookie = ("cookie", format!("edl_session={session}"));
    // A credential recorded for this licence (as a claim would).
    let record = app
        .store
        .insert_credential(&edl_store::NewCredential {
            file_number: app.licence.file_number().clone(),
            region: app.licence.authority().region,
            edition: app.licence.edition(),
            device_key_id: "ab".repeat(20),
            issued_at: NOW,
            valid_until: NOW + time::Duration::days(14),
        })
        .await
        .unwrap();
    let form_headers = |c: &(&'static str, String)| vec![c.clone(), (FORM.0, FORM.1.into())];
    let path = format!("/wallet/devices/{}/withdraw", record.id);
    // Without the token: refused, nothing changed.
    let forged = request(
        app.addr,
        "POST",
        &path,
        &form_headers(&cookie),
        "csrf=forged",
    )
    .await;
    assert_eq!(forged.status, 403);
    let before = app
        .store
        .credentials(app.licence.file_number())
        .await
        .unwrap();
    assert!(before[0].withdrawn_at.is_none());
    // Someone else's (or no) credential: 404.
    let missing = request(
        app.addr,
        "POST",
        "/wallet/devices/999999/withdraw",
        &form_headers(&cookie),
        &format!("csrf={csrf}"),
    )
    .await;
    assert_eq!(missing.status, 404);
    // Their own: withdrawn, and the status list will say invalid.
    let ok = request(
        app.addr,
        "POST",
        &path,
        &form_headers(&cookie),
        &format!("csrf={csrf}"),
    )
    .await;
    assert_eq!(ok.status, 303);
    let after = app
        .store
        .credentials(app.licence.file_number())
        .await
        .unwrap();
    assert_eq!(after[0].withdrawn_at, Some(NOW));
    let states = app
        .store
        .credential_states(app.licence.authority().region, 0, 10)
        .await
        .unwrap();
    let state = states
        .iter()
        .find(|s| s.status_index == record.status_index)
        .unwrap();
    assert_eq!(
        edl_app::credentials::credential_status(state),
        edl_status_list::CredentialStatus::Invalid
    );
}

#[tokio::test]
async fn a_share_link_shows_its_purpose_under_a_watermark_is_recorded_and_is_refused_when_withdrawn_or_expired()
 {
    let app = spawn_app().await;
    let (session, csrf) = session_of(&app).await;
    let cookie = ("cookie", format!("edl_session={session}"));
    let post = |path: &'static str, body: String| {
        let headers = vec![cookie.clone(), (FORM.0, FORM.1.into())];
        async move { request(app.addr, "POST", path, &headers, &body).await }
    };
    // Bad purpose or length, or no token: refused.
    assert_eq!(
        post(
            "/wallet/shares",
            format!("purpose=bogus&days=3&csrf={csrf}")
        )
        .await
        .status,
        422
    );
    assert_eq!(
        post(
            "/wallet/shares",
            format!("purpose=car_rental&days=31&csrf={csrf}")
        )
        .await
        .status,
        422
    );
    assert_eq!(
        post(
            "/wallet/shares",
            "purpose=car_rental&days=3&csrf=forged".into()
        )
        .await
        .status,
        403
    );
    let made = post(
        "/wallet/shares",
        format!("purpose=car_rental&days=3&csrf={csrf}"),
    )
    .await;
    assert_eq!(made.status, 200, "{}", made.body);
    let link = made
        .body
        .split("id=\"share-link\" href=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_owned();
    assert!(link.starts_with("/share/"));
    // Anyone with the link: the purpose, the watermark, what car rental may see and nothing else.
    let page = request(app.addr, "GET", &link, &[], "").await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("汽车租赁"), "{}", page.body);
    assert!(page.body.contains("仅供汽车租赁使用"));
    assert!(page.body.contains(app.licence.name().as_str()));
    assert!(
        !page.body.contains(app.licence.address().as_str()),
        "car rental does not see the address"
    );
    assert!(
        !page.body.contains(app.licence.citizen_id().as_str()),
        "nor the 证号"
    );
    let image = request(app.addr, "GET", &format!("{link}/card.svg"), &[], "").await;
    assert_eq!(image.status, 200);
    assert!(
        image
            .header("content-type")
            .unwrap()
            .starts_with("image/svg+xml")
    );
    assert!(image.body.contains("仅供汽车租赁使用"));
    // The holder sees who checked: two openings by share link.
    let events = app
        .store
        .check_events(app.licence.file_number(), 10)
        .await
        .unwrap();
    assert_eq!(events.len(), 2);
    assert_eq!(events[0].event.channel, "share");
    assert_eq!(events[0].event.purpose, "car_rental");
    let mine = request(
        app.addr,
        "GET",
        "/wallet/licence",
        std::slice::from_ref(&cookie),
        "",
    )
    .await;
    assert!(mine.body.contains("谁查验了我的驾驶证"));
    assert!(mine.body.contains("分享链接 share link"));
    // Withdrawn: refused, 410.
    let shares = app
        .store
        .shares(
            app.store
                .account_by_citizen_id(app.licence.citizen_id())
                .await
                .unwrap()
                .unwrap()
                .id,
        )
        .await
        .unwrap();
    let withdraw_path: &'static str =
        Box::leak(format!("/wallet/shares/{}/withdraw", shares[0].id).into_boxed_str());
    assert_eq!(
        post("/wallet/shares/999999/withdraw", format!("csrf={csrf}"))
            .await
            .status,
        404
    );
    assert_eq!(
        post(withdraw_path, format!("csrf={csrf}")).await.status,
        303
    );
    let gone = request(app.addr, "GET", &link, &[], "").await;
    assert_eq!(gone.status, 410);
    assert!(gone.body.contains("撤回"));
    // Expired: refused, 410, with the time. Unknown: 404.
    let token = [9u8; 32];
    let hash: [u8; 32] = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, &token)
        .as_ref()
        .try_into()
        .unwrap();
    app.store
        .insert_share(&edl_store::NewShare {
            token_hash: hash,
            account_id: shares[0].share.account_id,
            file_number: app.licence.file_number().clone(),
            purpose: "insurer".into(),
            created_at: NOW - time::Duration::days(3),
            expires_at: NOW - time::Duration::days(1),
        })
        .await
        .unwrap();
    let expired = request(app.addr, "GET", &format!("/share/{}", hex(&token)), &[], "").await;
    assert_eq!(expired.status, 410);
    assert!(expired.body.contains("过期"));
    assert_eq!(
        request(
            app.addr,
            "GET",
            &format!("/share/{}", hex(&[1u8; 32])),
            &[],
            ""
        )
        .await
        .status,
        404
    );
    assert_eq!(
        request(app.addr, "GET", "/share/not-hex", &[], "")
            .await
            .status,
        404
    );
}

/// Makes a share for `purpose` as the logged-in holder; its link (`/share/…`).
async fn make_share(app: &TestApp, session: &str, csrf: &str, purpose: &str) -> String {
    let made = request(
        app.addr,
        "POST",
        "/wallet/shares",
        &[
            ("cookie", format!("edl_session={session}")),
            (FORM.0, FORM.1.into()),
        ],
        &format!("purpose={purpose}&days=3&csrf={csrf}"),
    )
    .await;
    assert_eq!(made.status, 200, "{}", made.body);
    made.body
        .split("id=\"share-link\" href=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_owned()
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

#[tokio::test]
async fn a_share_pdf_is_offered_served_recorded_and_refused_like_the_image() {
    let app = spawn_app().await;
    let (session, csrf) = session_of(&app).await;
    let link = make_share(&app, &session, &csrf, "car_rental").await;
    // The share page offers the PDF beside the image.
    let page = request(app.addr, "GET", &link, &[], "").await;
    assert_eq!(page.status, 200);
    assert!(
        page.body
            .contains(&format!(r#"id="share-pdf" href="{link}/card.pdf""#)),
        "{}",
        page.body
    );
    let pdf = request(app.addr, "GET", &format!("{link}/card.pdf"), &[], "").await;
    assert_eq!(pdf.status, 200, "{}", pdf.body);
    assert_eq!(pdf.header("content-type").unwrap(), "application/pdf");
    assert_eq!(pdf.header("cache-control").unwrap(), "no-store");
    assert_eq!(
        pdf.header("content-disposition").unwrap(),
        r#"attachment; filename="licence-share.pdf""#
    );
    assert!(pdf.bytes.starts_with(b"%PDF-"));
    // Car rental sees the portrait: the registry's JPEG, embedded as it is.
    assert!(contains(&pdf.bytes, b"/Filter /DCTDecode"));
    assert!(contains(&pdf.bytes, edl_synth::demo_portrait()));
    // The service knows its public URL: a QR code of the share page, drawn as rectangles.
    assert!(contains(&pdf.bytes, b" re\n"));
    // Both the page and the download are checks the holder sees.
    let events = app
        .store
        .check_events(app.licence.file_number(), 10)
        .await
        .unwrap();
    assert_eq!(events.len(), 2);
    assert!(
        events
            .iter()
            .all(|e| e.event.channel == "share" && e.event.purpose == "car_rental")
    );
    // An insurer does not see the portrait: none in its PDF.
    let insurer = make_share(&app, &session, &csrf, "insurer").await;
    let pdf = request(app.addr, "GET", &format!("{insurer}/card.pdf"), &[], "").await;
    assert_eq!(pdf.status, 200);
    assert!(!contains(&pdf.bytes, b"/DCTDecode"));
    assert!(!contains(&pdf.bytes, edl_synth::demo_portrait()));
    // Withdrawn: 410, like the image.
    let account = app
        .store
        .account_by_citizen_id(app.licence.citizen_id())
        .await
        .unwrap()
        .unwrap()
        .id;
    let shares = app.store.shares(account).await.unwrap();
    let car_rental = shares
        .iter()
        .find(|s| s.share.purpose == "car_rental")
        .unwrap();
    let withdrawn = request(
        app.addr,
        "POST",
        &format!("/wallet/shares/{}/withdraw", car_rental.id),
        &[
            ("cookie", format!("edl_session={session}")),
            (FORM.0, FORM.1.into()),
        ],
        &format!("csrf={csrf}"),
    )
    .await;
    assert_eq!(withdrawn.status, 303);
    let gone = request(app.addr, "GET", &format!("{link}/card.pdf"), &[], "").await;
    assert_eq!(gone.status, 410);
    assert!(gone.body.contains("撤回"));
    assert!(!gone.bytes.starts_with(b"%PDF-"));
    let svg_gone = request(app.addr, "GET", &format!("{link}/card.svg"), &[], "").await;
    assert_eq!(svg_gone.status, 410);
    // Expired: 410. Unknown: 404.
    let token = [7u8; 32];
    let hash: [u8; 32] = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, &token)
        .as_ref()
        .try_into()
        .unwrap();
    app.store
        .insert_share(&edl_store::NewShare {
            token_hash: hash,
            account_id: account,
            file_number: app.licence.file_number().clone(),
            purpose: "car_rental".into(),
            created_at: NOW - time::Duration::days(3),
            expires_at: NOW - time::Duration::days(1),
        })
        .await
        .unwrap();
    let expired = request(
        app.addr,
        "GET",
        &format!("/share/{}/card.pdf", hex(&token)),
        &[],
        "",
    )
    .await;
    assert_eq!(expired.status, 410);
    assert!(expired.body.contains("过期"));
    for unknown in [
        format!("/share/{}/card.pdf", hex(&[1u8; 32])),
        "/share/not-hex/card.pdf".to_owned(),
    ] {
        assert_eq!(
            request(app.addr, "GET", &unknown, &[], "").await.status,
            404
        );
    }
    // Refusals are not checks: page, PDF and the insurer's PDF only.
    let events = app
        .store
        .check_events(app.licence.file_number(), 10)
        .await
        .unwrap();
    assert_eq!(events.len(), 3);
}

/// Runs a poppler tool on `path`; `None` when it is not installed (a failure on CI, which installs
/// poppler-utils in `.ci/test`).
fn poppler(tool: &str, args: &[&std::ffi::OsStr]) -> Option<std::process::Output> {
    match std::process::Command::new(tool).args(args).output() {
        Ok(output) => Some(output),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
            assert!(
                std::env::var("CI").as_deref() != Ok("true"),
                "{tool} (poppler-utils) is required on CI but not installed"
            );
            eprintln!("SKIPPED: {tool} not installed (apt-get install poppler-utils)");
            None
        }
        Err(error) => panic!("{tool}: {error}"),
    }
}

#[tokio::test]
async fn a_share_pdf_reads_back_in_a_real_pdf_reader() {
    let app = spawn_app().await;
    let (session, csrf) = session_of(&app).await;
    let link = make_share(&app, &session, &csrf, "car_rental").await;
    let pdf = request(app.addr, "GET", &format!("{link}/card.pdf"), &[], "").await;
    assert_eq!(pdf.status, 200);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("licence-share.pdf");
    std::fs::write(&path, &pdf.bytes).unwrap();
    let Some(info) = poppler("pdfinfo", &[path.as_os_str()]) else {
        return;
    };
    let info_text = String::from_utf8_lossy(&info.stdout);
    assert!(
        info.status.success(),
        "{}",
        String::from_utf8_lossy(&info.stderr)
    );
    assert!(info_text.contains("Pages:"), "{info_text}");
    assert!(
        info_text
            .lines()
            .any(|l| l.starts_with("Pages:") && l.ends_with(" 1"))
    );
    // -raw: in the order drawn, so the diagonal watermark does not interleave with the lines.
    let Some(text) = poppler(
        "pdftotext",
        &["-raw".as_ref(), path.as_os_str(), "-".as_ref()],
    ) else {
        return;
    };
    assert!(
        text.status.success(),
        "{}",
        String::from_utf8_lossy(&text.stderr)
    );
    let text = String::from_utf8(text.stdout).unwrap();
    // The purpose, the watermark with the expiry, a field car rental may see, and not one it may
    // not. (The text is not printed on failure: it holds the holder's name.)
    assert!(text.contains("电子驾驶证（分享件）· 汽车租赁"));
    assert!(text.contains("仅供汽车租赁使用 有效期至2026-11-29 16:00"));
    assert!(text.contains("驾驶证状态"));
    assert!(
        text.contains(app.licence.name().as_str()),
        "the holder's name"
    );
    assert!(!text.contains(app.licence.address().as_str()), "no address");
}
