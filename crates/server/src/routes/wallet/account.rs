//! Real-name accounts: registration binds an account to one registry licence (证号 plus a second
//! factor the registry holds: the 档案编号 or the phone number), login, logout.

use std::net::SocketAddr;

use axum::Form;
use axum::extract::{ConnectInfo, Query, State};
use axum::http::header::{LOCATION, RETRY_AFTER, SET_COOKIE};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use edl_domain::CitizenId;
use edl_store::{NewAccount, NewSession, Store, StoreError};
use serde::Deserialize;

use super::{LangQuery, frame, holder, store_failure};
use crate::auth::{
    self, FORM_COOKIE, MAX_FAILURES_PER_ACCOUNT, MAX_FAILURES_PER_ADDRESS, MAX_PASSWORD_BYTES,
    MIN_PASSWORD_CHARS, SESSION_COOKIE, SESSION_LIFETIME, hex, same, token_hash,
};
use crate::html::escape;
use crate::i18n::Lang;
use crate::startup::AppState;

/// The registration form.
#[derive(Debug, Deserialize)]
pub(crate) struct RegisterForm {
    citizen_id: String,
    second_factor: String,
    password: String,
    password_again: String,
    csrf: String,
}

/// The login form.
#[derive(Debug, Deserialize)]
pub(crate) struct LoginForm {
    citizen_id: String,
    password: String,
    csrf: String,
}

/// The logout form.
#[derive(Debug, Deserialize)]
pub(crate) struct LogoutForm {
    csrf: String,
}

fn see_other(to: &str) -> Response {
    (StatusCode::SEE_OTHER, [(LOCATION, to.to_owned())]).into_response()
}

/// The entry page: the holder's licence when logged in, else login and registration.
pub(crate) async fn entry(
    State(state): State<AppState>,
    Query(query): Query<LangQuery>,
    headers: HeaderMap,
) -> Response {
    let lang = Lang::of(query.lang.as_deref(), &headers);
    match holder(&state, &headers).await {
        Ok(Some(_)) => see_other("/wallet/licence"),
        Ok(None) => forms(&state, lang, StatusCode::OK, None),
        Err(e) => store_failure(lang, &e),
    }
}

/// The login and registration forms, with a fresh double-submit CSRF token.
fn forms(state: &AppState, lang: Lang, status: StatusCode, message: Option<&str>) -> Response {
    let token = hex(&auth::random_token());
    let message = message
        .map(|m| format!(r#"<p class="error" role="alert">{}</p>"#, escape(m)))
        .unwrap_or_default();
    let body = format!(
        r#"{message}
<section>
  <h2>{login}</h2>
  <form method="post" action="/wallet/login" id="login">
    <input type="hidden" name="csrf" value="{token}">
    <label>{cid} <input name="citizen_id" autocomplete="username" maxlength="18" required></label>
    <label>{pw} <input name="password" type="password" autocomplete="current-password" maxlength="256" required></label>
    <button type="submit">{login}</button>
  </form>
</section>
<section>
  <h2>{register}</h2>
  <p class="muted">{register_hint}</p>
  <form method="post" action="/wallet/register" id="register">
    <input type="hidden" name="csrf" value="{token}">
    <label>{cid} <input name="citizen_id" maxlength="18" required></label>
    <label>{second} <input name="second_factor" maxlength="20" required></label>
    <label>{pw} <input name="password" type="password" autocomplete="new-password" minlength="8" maxlength="256" required></label>
    <label>{again} <input name="password_again" type="password" autocomplete="new-password" minlength="8" maxlength="256" required></label>
    <button type="submit">{register}</button>
  </form>
</section>"#,
        login = lang.t("登录", "Log in"),
        register = lang.t("实名注册", "Register with your real name"),
        register_hint = lang.t(
            "用身份证号码（驾驶证证号）和档案编号或登记的手机号码绑定您的驾驶证。",
            "Bind your licence with your citizen ID number (the licence number) and its file number or the phone number on record."
        ),
        cid = lang.t("证号（身份证号码）", "Licence number (citizen ID)"),
        second = lang.t("档案编号或手机号码", "File number or phone number"),
        pw = lang.t("密码", "Password"),
        again = lang.t("再次输入密码", "Password again"),
    );
    let mut response = (
        status,
        Html(frame(
            lang,
            lang.t("电子驾驶证 · 登录", "E-licence · log in"),
            "/wallet",
            &body,
        )),
    )
        .into_response();
    if let Ok(value) = auth::set_cookie(
        FORM_COOKIE,
        &token,
        time::Duration::hours(1),
        state.secure_cookies,
    )
    .parse()
    {
        response.headers_mut().append(SET_COOKIE, value);
    }
    response
}

/// Whether a pre-login form carries the token of its cookie.
fn form_token_ok(headers: &HeaderMap, submitted: &str) -> bool {
    auth::cookie(headers, FORM_COOKIE).is_some_and(|c| !c.is_empty() && same(&c, submitted))
}

fn forbidden(state: &AppState, lang: Lang) -> Response {
    forms(
        state,
        lang,
        StatusCode::FORBIDDEN,
        Some(lang.t(
            "表单已过期或来源不明，请重新提交。",
            "The form expired or did not come from this site; please submit it again.",
        )),
    )
}

async fn start_session(state: &AppState, account_id: i64) -> Result<Response, StoreError> {
    let token = auth::random_token();
    let now = state.clock.now();
    state
        .store
        .create_session(&NewSession {
            token_hash: token_hash(&token),
            account_id,
            csrf_token: hex(&auth::random_token()),
            created_at: now,
            expires_at: now + SESSION_LIFETIME,
        })
        .await?;
    let mut response = see_other("/wallet/licence");
    let cookie = auth::set_cookie(
        SESSION_COOKIE,
        &hex(&token),
        SESSION_LIFETIME,
        state.secure_cookies,
    );
    if let Ok(value) = cookie.parse() {
        response.headers_mut().append(SET_COOKIE, value);
    }
    Ok(response)
}

fn throttled(state: &AppState, lang: Lang, seconds: i64) -> Response {
    let mut response = forms(
        state,
        lang,
        StatusCode::TOO_MANY_REQUESTS,
        Some(&format!(
            "{} {seconds} {}",
            lang.t("尝试次数过多，请在", "Too many attempts; try again in"),
            lang.t("秒后再试。", "seconds.")
        )),
    );
    if let Ok(value) = seconds.to_string().parse() {
        response.headers_mut().insert(RETRY_AFTER, value);
    }
    response
}

/// `POST /wallet/register`.
pub(crate) async fn register(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Query(query): Query<LangQuery>,
    headers: HeaderMap,
    Form(form): Form<RegisterForm>,
) -> Response {
    let lang = Lang::of(query.lang.as_deref(), &headers);
    if !form_token_ok(&headers, &form.csrf) {
        return forbidden(&state, lang);
    }
    let now = state.clock.now();
    let address_key = format!("ip:{}", peer.ip());
    if let Err(wait) = state
        .throttle
        .check(&address_key, MAX_FAILURES_PER_ADDRESS, now)
    {
        return throttled(&state, lang, wait);
    }
    let unprocessable =
        |text: &str| forms(&state, lang, StatusCode::UNPROCESSABLE_ENTITY, Some(text));
    if form.password != form.password_again {
        return unprocessable(lang.t("两次输入的密码不一致。", "The two passwords differ."));
    }
    if form.password.chars().count() < MIN_PASSWORD_CHARS
        || form.password.len() > MAX_PASSWORD_BYTES
    {
        return unprocessable(lang.t(
            "密码须为 8 至 256 个字符。",
            "The password must be 8 to 256 characters long.",
        ));
    }
    let no_match = lang.t(
        "证号与档案编号（或手机号码）不匹配任何驾驶证。",
        "The licence number and the file number (or phone number) match no licence.",
    );
    let Ok(citizen_id) = CitizenId::parse(form.citizen_id.trim()) else {
        state.throttle.fail(&address_key, now);
        return unprocessable(no_match);
    };
    let second = form.second_factor.trim();
    let licences = match state.store.licences_by_citizen_id(&citizen_id).await {
        Ok(l) => l,
        Err(e) => return store_failure(lang, &e),
    };
    let Some(licence) = licences.into_iter().map(|s| s.licence).find(|l| {
        !second.is_empty()
            && (same(l.file_number().as_str(), second)
                || l.phone().is_some_and(|p| same(p.as_str(), second)))
    }) else {
        // The same answer for an unknown 证号 and a wrong second factor: nothing to enumerate.
        state.throttle.fail(&address_key, now);
        return unprocessable(no_match);
    };
    let password_hash = match auth::hash_password(form.password).await {
        Ok(h) => h,
        Err(why) => {
            tracing::error!(why, "registration: hashing failed");
            return (StatusCode::INTERNAL_SERVER_ERROR, "internal error").into_response();
        }
    };
    let created = state
        .store
        .create_account(&NewAccount {
            citizen_id,
            file_number: licence.file_number().clone(),
            password_hash,
            created_at: now,
        })
        .await;
    match created {
        Ok(account) => match start_session(&state, account.id).await {
            Ok(r) => r,
            Err(e) => store_failure(lang, &e),
        },
        Err(StoreError::Conflict { .. }) => forms(
            &state,
            lang,
            StatusCode::CONFLICT,
            Some(lang.t(
                "该驾驶证已绑定其他账户。如非本人操作，请到交管业务窗口办理。",
                "This licence is already bound to another account. If that was not you, visit a traffic-business window.",
            )),
        ),
        Err(e) => store_failure(lang, &e),
    }
}

/// `POST /wallet/login`.
pub(crate) async fn login(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Query(query): Query<LangQuery>,
    headers: HeaderMap,
    Form(form): Form<LoginForm>,
) -> Response {
    let lang = Lang::of(query.lang.as_deref(), &headers);
    if !form_token_ok(&headers, &form.csrf) {
        return forbidden(&state, lang);
    }
    let now = state.clock.now();
    let address_key = format!("ip:{}", peer.ip());
    // The account key is a hash: the throttle's memory holds no 证号.
    let account_key = format!("id:{}", hex(&token_hash(form.citizen_id.trim().as_bytes())));
    for (key, max) in [
        (&address_key, MAX_FAILURES_PER_ADDRESS),
        (&account_key, MAX_FAILURES_PER_ACCOUNT),
    ] {
        if let Err(wait) = state.throttle.check(key, max, now) {
            return throttled(&state, lang, wait);
        }
    }
    let account = match CitizenId::parse(form.citizen_id.trim()) {
        Ok(cid) => match state.store.account_by_citizen_id(&cid).await {
            Ok(a) => a,
            Err(e) => return store_failure(lang, &e),
        },
        Err(_) => None,
    };
    let ok = form.password.len() <= MAX_PASSWORD_BYTES
        && auth::verify_password(
            account.as_ref().map(|a| a.password_hash.clone()),
            form.password,
        )
        .await;
    match account {
        Some(account) if ok => {
            state.throttle.clear(&account_key);
            match start_session(&state, account.id).await {
                Ok(r) => r,
                Err(e) => store_failure(lang, &e),
            }
        }
        _ => {
            state.throttle.fail(&address_key, now);
            state.throttle.fail(&account_key, now);
            forms(
                &state,
                lang,
                StatusCode::UNAUTHORIZED,
                Some(lang.t("证号或密码错误。", "Wrong licence number or password.")),
            )
        }
    }
}

/// `POST /wallet/logout`.
pub(crate) async fn logout(
    State(state): State<AppState>,
    Query(query): Query<LangQuery>,
    headers: HeaderMap,
    Form(form): Form<LogoutForm>,
) -> Response {
    let lang = Lang::of(query.lang.as_deref(), &headers);
    match holder(&state, &headers).await {
        Ok(Some(h)) if same(&h.session.csrf_token, &form.csrf) => {
            if let Err(e) = state.store.delete_session(&h.token_hash).await {
                return store_failure(lang, &e);
            }
            let mut response = see_other("/wallet");
            let gone = auth::set_cookie(
                SESSION_COOKIE,
                "",
                time::Duration::ZERO,
                state.secure_cookies,
            );
            if let Ok(value) = gone.parse() {
                response.headers_mut().append(SET_COOKIE, value);
            }
            response
        }
        Ok(Some(_)) => (StatusCode::FORBIDDEN, "CSRF token missing or wrong").into_response(),
        Ok(None) => see_other("/wallet"),
        Err(e) => store_failure(lang, &e),
    }
}
