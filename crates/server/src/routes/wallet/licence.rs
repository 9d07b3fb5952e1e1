//! The holder's own licence: the page with its data and whether it may be claimed, the claim API
//! (a device key made in the browser proves possession by signing a one-time challenge), the data
//! the card draws, and the card page itself.

use axum::Json;
use axum::extract::{Query, State};
use axum::http::header::LOCATION;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use edl_app::credentials::{CredentialError, Issuer, claim as claim_licence};
use edl_domain::{ClaimRefusal, DisplayState, Licence, Sex, ValidityEnd, format_date};
use edl_mdoc::Portrait;
use edl_pki::{Curve, PublicKey};
use edl_store::{Store, StoreError};
use serde::Deserialize;
use serde_json::{Value, json};
use time::Duration;

use super::{Holder, LangQuery, frame, holder, store_failure};
use crate::auth::{hex, random_token, same, token_from_hex, token_hash};
use crate::html::escape;
use crate::i18n::Lang;
use crate::startup::AppState;

/// How long a claim challenge may be answered.
pub(crate) const CHALLENGE_LIFETIME: Duration = Duration::minutes(5);
/// The domain separator of the proof of possession: the device signs
/// `"EDL1-CLAIM" ‖ nonce (32 bytes) ‖ public key (65 bytes, SEC1 uncompressed)`.
pub(crate) const CLAIM_CONTEXT: &[u8] = b"EDL1-CLAIM";

fn to_login() -> Response {
    (StatusCode::SEE_OTHER, [(LOCATION, "/wallet")]).into_response()
}

async fn own_licence(state: &AppState, holder: &Holder) -> Result<Option<Licence>, StoreError> {
    Ok(state
        .store
        .licence(&holder.account.file_number)
        .await?
        .map(|s| s.licence))
}

fn refusal_text(lang: Lang, refusal: &ClaimRefusal) -> String {
    match refusal {
        ClaimRefusal::RegionNotEnabled { since: Some(day) } => format!(
            "{} {}{}",
            lang.t(
                "您的驾驶证所在地区尚未开通电子驾驶证，将于",
                "E-licences open in your licence's region on"
            ),
            format_date(*day),
            lang.t(" 开通。", ".")
        ),
        ClaimRefusal::RegionNotEnabled { since: None } => lang
            .t(
                "您的驾驶证所在地区尚未开通电子驾驶证，开通时间尚未确定。",
                "E-licences are not yet scheduled in your licence's region.",
            )
            .to_owned(),
        ClaimRefusal::Status(letter) => format!(
            "{}{}（{}）{}",
            lang.t("驾驶证状态为", "The licence's status "),
            letter.name_zh(),
            letter.letter(),
            lang.t(
                "，不能申领电子驾驶证。",
                " does not allow claiming an e-licence."
            )
        ),
        ClaimRefusal::Expired { on } => format!(
            "{} {}{}",
            lang.t("驾驶证已于", "The licence expired on"),
            format_date(*on),
            lang.t(" 过期，请先换证。", "; renew it first.")
        ),
    }
}

fn sex_text(sex: Sex) -> &'static str {
    match sex {
        Sex::Male => "男",
        Sex::Female => "女",
    }
}

fn validity_text(licence: &Licence) -> (String, String) {
    let v = licence.validity();
    let end = match v.end() {
        ValidityEnd::Indefinite => "长期".to_owned(),
        ValidityEnd::On(d) => format_date(d),
    };
    (format_date(v.start()), end)
}

/// The card's data: everything the front and back pages show, and how to draw the code.
pub(crate) fn display(licence: &Licence, today: time::Date) -> Value {
    let status = licence.status();
    let state = licence.display_state(today);
    let (from, until) = validity_text(licence);
    let letters: String = if status.is_empty() {
        "A".into()
    } else {
        status.iter().map(|l| l.letter()).collect()
    };
    let status_text: Vec<&str> = if status.is_empty() {
        vec!["正常"]
    } else {
        status.iter().map(|l| l.name_zh()).collect()
    };
    json!({
        "name": licence.name().as_str(),
        "sex": sex_text(licence.sex()),
        "nationality": licence.nationality().name_zh().unwrap_or(licence.nationality().code()),
        "birth_date": format_date(licence.birth_date()),
        "document_number": licence.citizen_id().as_str(),
        "classes": licence.classes().iter().map(|c| c.code()).collect::<String>(),
        "first_issue_date": format_date(licence.first_issue()),
        "valid_from": from,
        "valid_until": until,
        "file_number": licence.file_number().as_str(),
        "status_letters": letters,
        "status": status_text.join("、"),
        "points": licence.points_as_of(today),
        "address": licence.address().as_str(),
        "authority": licence.authority().name.as_str(),
        "display": match state {
            DisplayState::BlackQr => "black",
            DisplayState::RedQr | DisplayState::Invalid => "red",
            DisplayState::NotDisplayed => "none",
        },
        "portrait_jpeg_hex": hex(edl_synth::demo_portrait()),
    })
}

/// `GET /wallet/licence`: the holder's licence, whether it may be claimed, the claim button.
pub(crate) async fn page(
    State(state): State<AppState>,
    Query(query): Query<LangQuery>,
    headers: HeaderMap,
) -> Response {
    let lang = Lang::of(query.lang.as_deref(), &headers);
    let holder = match holder(&state, &headers).await {
        Ok(Some(h)) => h,
        Ok(None) => return to_login(),
        Err(e) => return store_failure(lang, &e),
    };
    let licence = match own_licence(&state, &holder).await {
        Ok(Some(l)) => l,
        Ok(None) => {
            return (StatusCode::GONE, "the licence is no longer in the registry").into_response();
        }
        Err(e) => return store_failure(lang, &e),
    };
    let today = state.clock.today();
    let eligibility = match state.store.rollout().await {
        Ok(schedule) => licence.claim_eligibility_with(today, &schedule),
        Err(e) => return store_failure(lang, &e),
    };
    let devices = match state.store.credentials(licence.file_number()).await {
        Ok(c) => c,
        Err(e) => return store_failure(lang, &e),
    };
    let data = display(&licence, today);
    let share_sections = match super::share::holder_sections(
        &state,
        lang,
        holder.account.id,
        licence.file_number(),
        &holder.session.csrf_token,
    )
    .await
    {
        Ok(html) => html,
        Err(e) => return store_failure(lang, &e),
    };
    let row = |label: &str, value: &Value| {
        format!(
            "<tr><th>{}</th><td>{}</td></tr>",
            escape(label),
            escape(
                value
                    .as_str()
                    .map_or_else(|| value.to_string(), str::to_owned)
                    .as_str()
            )
        )
    };
    let rows = [
        ("姓名", "name"),
        ("性别", "sex"),
        ("国籍", "nationality"),
        ("出生日期", "birth_date"),
        ("证号", "document_number"),
        ("准驾车型", "classes"),
        ("初次领证日期", "first_issue_date"),
        ("有效期起始日期", "valid_from"),
        ("有效期截止日期", "valid_until"),
        ("档案编号", "file_number"),
        ("状态", "status"),
        ("累积记分", "points"),
        ("住址", "address"),
        ("发证机关", "authority"),
    ]
    .iter()
    .map(|(label, key)| row(label, &data[*key]))
    .collect::<String>();
    let claim_part = match &eligibility {
        Ok(()) if state.issuer.is_some() => format!(
            r#"<p>{}</p><button id="claim" data-csrf="{}">{}</button><p id="claim-status" role="status"></p>"#,
            lang.t(
                "申领时，本浏览器会生成一把不可导出的设备密钥，私钥始终留在本设备上。",
                "Claiming makes a non-extractable device key in this browser; the private key never leaves this device."
            ),
            escape(&holder.session.csrf_token),
            lang.t("申领电子驾驶证", "Claim the e-licence"),
        ),
        Ok(()) => format!(
            "<p class=\"error\">{}</p>",
            lang.t("本服务未配置签发密钥，暂不能申领。", "This service has no signing keys; claiming is unavailable.")
        ),
        Err(refusal) => format!(r#"<p class="error" id="refusal">{}</p>"#, escape(&refusal_text(lang, refusal))),
    };
    let device_rows: String = devices
        .iter()
        .map(|d| {
            let withdraw = if d.withdrawn_at.is_none() {
                format!(
                    r#"<form method="post" action="/wallet/devices/{id}/withdraw"><input type="hidden" name="csrf" value="{csrf}"><button type="submit" class="withdraw">{label}</button></form>"#,
                    id = d.id,
                    csrf = escape(&holder.session.csrf_token),
                    label = lang.t("撤回（设备丢失）", "Withdraw (lost device)"),
                )
            } else {
                String::new()
            };
            format!(
                "<tr><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td><td>{withdraw}</td></tr>",
                escape(&d.credential.device_key_id[..16.min(d.credential.device_key_id.len())]),
                escape(&format_date(d.credential.issued_at.date())),
                escape(&format_date(d.credential.valid_until.date())),
                match d.withdrawn_at {
                    Some(_) => lang.t("已撤回", "withdrawn"),
                    None if d.credential.edition < licence.edition() =>
                        lang.t("已换证，失效", "superseded"),
                    None => lang.t("有效", "active"),
                }
            )
        })
        .collect();
    let body = format!(
        r#"<section><h2>{mine}</h2><table class="fields">{rows}</table></section>
<section><h2>{claim_title}</h2>{claim_part}<p><a href="/wallet/card" id="to-card">{card}</a></p></section>
<section><h2>{devices_title}</h2><p class="muted">{devices_hint}</p><table><tr><th>{key}</th><th>{issued}</th><th>{until}</th><th>{state}</th><th></th></tr>{device_rows}</table></section>
{share_sections}
<form method="post" action="/wallet/logout"><input type="hidden" name="csrf" value="{csrf}"><button type="submit">{logout}</button></form>
<script type="module" src="/wallet/assets/claim.js"></script>"#,
        mine = lang.t("我的驾驶证", "My licence"),
        claim_title = lang.t("申领", "Claim"),
        card = lang.t("出示电子驾驶证（亮码）", "Show the e-licence"),
        devices_title = lang.t("已申领的设备", "Claimed devices"),
        devices_hint = lang.t(
            "撤回后，该设备上的电子驾驶证在核验方下次更新状态列表时失效。",
            "A withdrawn device's credentials stop verifying once verifiers fetch the next status list."
        ),
        key = lang.t("设备密钥", "Device key"),
        issued = lang.t("申领日期", "Claimed"),
        until = lang.t("凭证有效至", "Credential valid until"),
        state = lang.t("状态", "State"),
        csrf = escape(&holder.session.csrf_token),
        logout = lang.t("退出登录", "Log out"),
        share_sections = share_sections,
    );
    Html(frame(
        lang,
        lang.t("我的驾驶证", "My licence"),
        "/wallet/licence",
        &body,
    ))
    .into_response()
}

/// `GET /wallet/api/licence`: the card's data, fresh from the registry.
pub(crate) async fn display_data(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let holder = match holder(&state, &headers).await {
        Ok(Some(h)) => h,
        Ok(None) => return api_error(StatusCode::UNAUTHORIZED, "not logged in"),
        Err(e) => return api_store_failure(&e),
    };
    match own_licence(&state, &holder).await {
        Ok(Some(l)) => Json(display(&l, state.clock.today())).into_response(),
        Ok(None) => api_error(StatusCode::GONE, "the licence is no longer in the registry"),
        Err(e) => api_store_failure(&e),
    }
}

fn api_error(status: StatusCode, message: &str) -> Response {
    (status, Json(json!({ "error": message }))).into_response()
}

fn api_store_failure(error: &StoreError) -> Response {
    tracing::error!(%error, "wallet API: the registry failed");
    api_error(
        StatusCode::SERVICE_UNAVAILABLE,
        "the registry is unavailable",
    )
}

/// A logged-in holder whose `X-CSRF-Token` header matches the session.
async fn api_holder(state: &AppState, headers: &HeaderMap) -> Result<Holder, Response> {
    let holder = match holder(state, headers).await {
        Ok(Some(h)) => h,
        Ok(None) => {
            return Err(api_error(
                StatusCode::UNAUTHORIZED,
                "not logged in or the session expired",
            ));
        }
        Err(e) => return Err(api_store_failure(&e)),
    };
    let sent = headers
        .get("x-csrf-token")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if !same(sent, &holder.session.csrf_token) {
        return Err(api_error(
            StatusCode::FORBIDDEN,
            "CSRF token missing or wrong",
        ));
    }
    Ok(holder)
}

/// `POST /wallet/api/claim/challenge`: a one-time nonce for the proof of possession.
pub(crate) async fn challenge(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let holder = match api_holder(&state, &headers).await {
        Ok(h) => h,
        Err(r) => return r,
    };
    let nonce = random_token();
    let expires = state.clock.now() + CHALLENGE_LIFETIME;
    match state
        .store
        .create_claim_challenge(&token_hash(&nonce), holder.account.id, expires)
        .await
    {
        Ok(()) => {
            Json(json!({ "nonce": hex(&nonce), "expires_in": CHALLENGE_LIFETIME.whole_seconds() }))
                .into_response()
        }
        Err(e) => api_store_failure(&e),
    }
}

/// The claim request.
#[derive(Debug, Deserialize)]
pub(crate) struct ClaimRequest {
    /// The challenge's nonce (hex).
    nonce: String,
    /// The device's public key: SEC1 uncompressed (65 bytes, hex), what WebCrypto exports as `raw`.
    public_key: String,
    /// ECDSA P-256 / SHA-256, `r ‖ s` (hex), over [`CLAIM_CONTEXT`] ‖ nonce ‖ public key.
    signature: String,
}

fn unhex(text: &str, max: usize) -> Option<Vec<u8>> {
    if text.len() > 2 * max
        || !text.len().is_multiple_of(2)
        || !text.bytes().all(|b| b.is_ascii_hexdigit())
    {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).ok())
        .collect()
}

/// `POST /wallet/api/claim`: checks the proof of possession and the claim rules, issues the mdoc
/// and the QR credentials for the device key.
pub(crate) async fn claim(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Result<Json<ClaimRequest>, axum::extract::rejection::JsonRejection>,
) -> Response {
    let holder = match api_holder(&state, &headers).await {
        Ok(h) => h,
        Err(r) => return r,
    };
    let request = match body {
        Ok(Json(request)) => request,
        Err(rejection) if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE => {
            return api_error(
                StatusCode::PAYLOAD_TOO_LARGE,
                "the request is larger than 16 KiB",
            );
        }
        Err(_) => {
            return api_error(
                StatusCode::BAD_REQUEST,
                "the request is not the claim JSON {nonce, public_key, signature}",
            );
        }
    };
    let (Some(nonce), Some(point), Some(signature)) = (
        token_from_hex(&request.nonce),
        unhex(&request.public_key, 65),
        unhex(&request.signature, 64),
    ) else {
        return api_error(
            StatusCode::BAD_REQUEST,
            "nonce, public_key or signature is not hex of the right length",
        );
    };
    let Ok(key) = PublicKey::from_sec1(Curve::P256, &point) else {
        return api_error(
            StatusCode::BAD_REQUEST,
            "public_key is not an uncompressed P-256 point",
        );
    };
    let now = state.clock.now();
    match state
        .store
        .consume_claim_challenge(&token_hash(&nonce), holder.account.id, now)
        .await
    {
        Ok(true) => {}
        Ok(false) => {
            return api_error(
                StatusCode::CONFLICT,
                "the challenge is unknown, expired or already used; ask for a new one",
            );
        }
        Err(e) => return api_store_failure(&e),
    }
    let mut signed = Vec::with_capacity(CLAIM_CONTEXT.len() + 32 + 65);
    signed.extend_from_slice(CLAIM_CONTEXT);
    signed.extend_from_slice(&nonce);
    signed.extend_from_slice(&point);
    if key.verify(&signed, &signature).is_err() {
        return api_error(
            StatusCode::BAD_REQUEST,
            "the proof-of-possession signature does not verify",
        );
    }
    let Some(issuer) = &state.issuer else {
        return api_error(
            StatusCode::SERVICE_UNAVAILABLE,
            "this service has no signing keys",
        );
    };
    let Ok(portrait) = Portrait::new(edl_synth::demo_portrait().to_vec()) else {
        return api_error(StatusCode::INTERNAL_SERVER_ERROR, "portrait");
    };
    let issuer_ref = Issuer {
        pki: issuer.signers.pki(),
        passphrase: issuer.signers.passphrase(),
        public_url: &issuer.public_url,
        opened: Some(&issuer.signers),
    };
    match claim_licence(
        &state.store,
        &issuer_ref,
        &holder.account.file_number,
        &key,
        &portrait,
        now,
    )
    .await
    {
        Ok(issued) => {
            let qr: serde_json::Map<String, Value> = issued
                .compact
                .iter()
                .map(|c| (c.purpose().as_str().to_owned(), json!(hex(c.as_bytes()))))
                .collect();
            let display = match own_licence(&state, &holder).await {
                Ok(Some(l)) => display(&l, state.clock.today()),
                _ => Value::Null,
            };
            Json(json!({
                "mdoc": hex(&issued.issuer_signed.to_bytes()),
                "qr": qr,
                "status_index": issued.record.status_index,
                "valid_until": issued.record.credential.valid_until.unix_timestamp(),
                "display": display,
            }))
            .into_response()
        }
        Err(CredentialError::Refused(refusal)) => {
            api_error(StatusCode::FORBIDDEN, &refusal_text(Lang::Zh, &refusal))
        }
        Err(CredentialError::Store(e)) => api_store_failure(&e),
        Err(e) => {
            tracing::error!(error = %e, "claim failed");
            api_error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "the credentials could not be issued",
            )
        }
    }
}

/// `GET /wallet/card`: the card (亮码). It draws from the credentials this browser keeps, so it
/// works without a network once claimed; online, it refreshes the card's data.
pub(crate) async fn card(Query(query): Query<LangQuery>, headers: HeaderMap) -> Response {
    let lang = Lang::of(query.lang.as_deref(), &headers);
    let body = format!(
        r#"<div id="card" class="card" data-lang="{code}">
  <p id="card-message" role="status">{loading}</p>
</div>
<p><label>{purpose_label} <select id="purpose">
  <option value="roadside">路面执法检查 · roadside</option>
  <option value="business_window">交管业务窗口 · business window</option>
  <option value="car_rental">汽车租赁 · car rental</option>
  <option value="transport_company">运输企业 · transport company</option>
  <option value="insurer">保险 · insurer</option>
</select></label></p>
<p><a href="/wallet/licence">{back}</a></p>
<script src="/wallet/vendor/jsbarcode/JsBarcode.code128.min.js"></script>
<script type="module" src="/wallet/assets/card.js"></script>"#,
        code = lang.code(),
        loading = lang.t("正在载入…", "Loading…"),
        purpose_label = lang.t("用途", "Purpose"),
        back = lang.t("返回我的驾驶证", "Back to my licence"),
    );
    Html(frame(
        lang,
        lang.t("电子驾驶证", "E-driving licence"),
        "/wallet/card",
        &body,
    ))
    .into_response()
}

/// The withdrawal form.
#[derive(Debug, Deserialize)]
pub(crate) struct WithdrawForm {
    csrf: String,
}

/// `POST /wallet/devices/{id}/withdraw`: the holder withdraws one of their devices (a lost
/// phone); its credentials are marked invalid in the next status list. Another holder's
/// credential is 404, as if it did not exist.
pub(crate) async fn withdraw(
    State(state): State<AppState>,
    axum::extract::Path(id): axum::extract::Path<i64>,
    Query(query): Query<LangQuery>,
    headers: HeaderMap,
    axum::Form(form): axum::Form<WithdrawForm>,
) -> Response {
    let lang = Lang::of(query.lang.as_deref(), &headers);
    let holder = match holder(&state, &headers).await {
        Ok(Some(h)) => h,
        Ok(None) => return to_login(),
        Err(e) => return store_failure(lang, &e),
    };
    if !same(&form.csrf, &holder.session.csrf_token) {
        return (StatusCode::FORBIDDEN, "CSRF token missing or wrong").into_response();
    }
    let own = match state.store.credentials(&holder.account.file_number).await {
        Ok(list) => list.into_iter().any(|c| c.id == id),
        Err(e) => return store_failure(lang, &e),
    };
    if !own {
        return (StatusCode::NOT_FOUND, "no such device").into_response();
    }
    match state.store.withdraw_credential(id, state.clock.now()).await {
        Ok(()) => (StatusCode::SEE_OTHER, [(LOCATION, "/wallet/licence")]).into_response(),
        Err(e) => store_failure(lang, &e),
    }
}
