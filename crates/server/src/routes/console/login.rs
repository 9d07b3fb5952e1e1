//! Staff login and logout. The same Argon2id hashes, random tokens (only their SHA-256 stored) and
//! throttle as the holder's wallet, with a cookie of its own.

use std::net::SocketAddr;

use axum::Form;
use axum::extract::{ConnectInfo, Query, State};
use axum::http::header::{RETRY_AFTER, SET_COOKIE};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use edl_store::{NewConsoleSession, Store};
use serde::Deserialize;

use super::{CONSOLE_COOKIE, frame, home_of, see_other, staff, store_failure};
use crate::auth::{
    self, FORM_COOKIE, MAX_FAILURES_PER_ACCOUNT, MAX_FAILURES_PER_ADDRESS, MAX_PASSWORD_BYTES,
    SESSION_LIFETIME, hex, same, token_hash,
};
use crate::html::escape;
use crate::i18n::Lang;
use crate::routes::wallet::LangQuery;
use crate::startup::AppState;

/// The login form.
#[derive(Debug, Deserialize)]
pub(crate) struct LoginForm {
    username: String,
    password: String,
    csrf: String,
}

/// The logout form.
#[derive(Debug, Deserialize)]
pub(crate) struct LogoutForm {
    csrf: String,
}

/// `GET /console`: the login form, or the role's start page when logged in.
pub(crate) async fn entry(
    State(state): State<AppState>,
    Query(query): Query<LangQuery>,
    headers: HeaderMap,
) -> Response {
    let lang = Lang::of(query.lang.as_deref(), &headers);
    match staff(&state, &headers).await {
        Ok(Some(s)) => see_other(home_of(s.role())),
        Ok(None) => form(&state, lang, StatusCode::OK, None),
        Err(e) => store_failure(lang, &e),
    }
}

fn form(
    state: &AppState,
    lang: Lang,
    status: StatusCode,
    message: Option<(&str, &str)>,
) -> Response {
    let token = hex(&auth::random_token());
    let message = message
        .map(|(code, m)| {
            format!(
                r#"<p class="error" role="alert" data-code="{code}">{}</p>"#,
                escape(m)
            )
        })
        .unwrap_or_default();
    let body = format!(
        r#"{message}
<section class="narrow">
  <h2>{title}</h2>
  <p class="muted">{hint}</p>
  <form method="post" action="/console/login" id="login">
    <input type="hidden" name="csrf" value="{token}">
    <label>{user} <input name="username" autocomplete="username" maxlength="64" required></label>
    <label>{pw} <input name="password" type="password" autocomplete="current-password" maxlength="256" required></label>
    <button type="submit">{login}</button>
  </form>
</section>"#,
        title = lang.t("工作人员登录", "Staff login"),
        hint = lang.t(
            "发证机关、平台管理员和核验单位的工作人员在此登录。驾驶人请使用电子驾驶证钱包。",
            "Staff of issuing authorities, the platform and verifier organisations log in here. Drivers use the wallet.",
        ),
        user = lang.t("用户名", "Username"),
        pw = lang.t("密码", "Password"),
        login = lang.t("登录", "Log in"),
    );
    let mut response = (
        status,
        Html(frame(
            lang,
            lang.t("管理平台 · 登录", "Console · log in"),
            "/console",
            None,
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

/// `POST /console/login`.
pub(crate) async fn login(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Query(query): Query<LangQuery>,
    headers: HeaderMap,
    Form(login): Form<LoginForm>,
) -> Response {
    let lang = Lang::of(query.lang.as_deref(), &headers);
    let form_token_ok =
        auth::cookie(&headers, FORM_COOKIE).is_some_and(|c| !c.is_empty() && same(&c, &login.csrf));
    if !form_token_ok {
        return form(
            &state,
            lang,
            StatusCode::FORBIDDEN,
            Some((
                "csrf",
                lang.t(
                    "表单已过期或来源不明，请重新提交。",
                    "The form expired or did not come from this site; please submit it again.",
                ),
            )),
        );
    }
    let now = state.clock.now();
    let address_key = format!("console-ip:{}", peer.ip());
    let user_key = format!(
        "console-user:{}",
        hex(&token_hash(login.username.trim().as_bytes()))
    );
    for (key, max) in [
        (&address_key, MAX_FAILURES_PER_ADDRESS),
        (&user_key, MAX_FAILURES_PER_ACCOUNT),
    ] {
        if let Err(wait) = state.throttle.check(key, max, now) {
            let text = format!(
                "{} {wait} {}",
                lang.t("尝试次数过多，请在", "Too many attempts; try again in"),
                lang.t("秒后再试。", "seconds.")
            );
            let mut response = form(
                &state,
                lang,
                StatusCode::TOO_MANY_REQUESTS,
                Some(("throttled", &text)),
            );
            if let Ok(value) = wait.to_string().parse() {
                response.headers_mut().insert(RETRY_AFTER, value);
            }
            return response;
        }
    }
    let user = match state
        .store
        .console_user_by_name(login.username.trim())
        .await
    {
        Ok(u) => u.filter(|u| u.disabled_at.is_none()),
        Err(e) => return store_failure(lang, &e),
    };
    let ok = login.password.len() <= MAX_PASSWORD_BYTES
        && auth::verify_password(
            user.as_ref().map(|u| u.user.password_hash.clone()),
            login.password,
        )
        .await;
    let Some(user) = user.filter(|_| ok) else {
        state.throttle.fail(&address_key, now);
        state.throttle.fail(&user_key, now);
        return form(
            &state,
            lang,
            StatusCode::UNAUTHORIZED,
            Some((
                "bad_credentials",
                lang.t("用户名或密码错误。", "Wrong username or password."),
            )),
        );
    };
    state.throttle.clear(&user_key);
    let token = auth::random_token();
    let created = state
        .store
        .create_console_session(&NewConsoleSession {
            token_hash: token_hash(&token),
            user_id: user.id,
            csrf_token: hex(&auth::random_token()),
            created_at: now,
            expires_at: now + SESSION_LIFETIME,
        })
        .await;
    if let Err(e) = created {
        return store_failure(lang, &e);
    }
    tracing::info!(
        user_id = user.id,
        role = user.user.role.as_str(),
        "console: login"
    );
    let mut response = see_other(home_of(user.user.role));
    let cookie = auth::set_cookie(
        CONSOLE_COOKIE,
        &hex(&token),
        SESSION_LIFETIME,
        state.secure_cookies,
    );
    if let Ok(value) = cookie.parse() {
        response.headers_mut().append(SET_COOKIE, value);
    }
    response
}

/// `POST /console/logout`.
pub(crate) async fn logout(
    State(state): State<AppState>,
    Query(query): Query<LangQuery>,
    headers: HeaderMap,
    Form(form): Form<LogoutForm>,
) -> Response {
    let lang = Lang::of(query.lang.as_deref(), &headers);
    match staff(&state, &headers).await {
        Ok(Some(s)) if s.csrf_ok(&form.csrf) => {
            if let Err(e) = state.store.delete_console_session(&s.token_hash).await {
                return store_failure(lang, &e);
            }
            let mut response = see_other("/console");
            let gone = auth::set_cookie(
                CONSOLE_COOKIE,
                "",
                time::Duration::ZERO,
                state.secure_cookies,
            );
            if let Ok(value) = gone.parse() {
                response.headers_mut().append(SET_COOKIE, value);
            }
            response
        }
        Ok(Some(s)) => super::Refusal::Csrf.page(lang, Some(&s)),
        Ok(None) => see_other("/console"),
        Err(e) => store_failure(lang, &e),
    }
}
