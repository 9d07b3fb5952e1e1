//! The platform operator's pages: verifier organisations (traffic-business windows, transport
//! companies, car-rental firms, insurers, police units) with the purposes they may verify for,
//! their API keys (shown once, stored as SHA-256, revocable) and staff logins; and staff accounts
//! for issuing authorities (operators and auditors).

use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use edl_mdoc::Purpose;
use edl_mdoc::purpose::PURPOSES;
use edl_store::{
    AuthorityId, ConsoleRole, ConsoleUser, NewApiKey, NewConsoleUser, NewOrganisation, Store,
    StoreError,
};
use serde::Deserialize;

use super::{Refusal, Staff, frame, see_other, short_name, staff, store_failure};
use crate::auth::{self, MAX_PASSWORD_BYTES, MIN_PASSWORD_CHARS};
use crate::html::escape;
use crate::i18n::Lang;
use crate::startup::AppState;

/// The kinds of verifier organisation, with their names.
pub(crate) const KINDS: [(&str, &str, &str); 6] = [
    ("traffic_window", "交管业务窗口", "Traffic-business window"),
    (
        "passenger_transport",
        "客运企业",
        "Passenger transport company",
    ),
    ("freight_transport", "货运企业", "Freight transport company"),
    ("car_rental", "汽车租赁企业", "Car-rental firm"),
    ("insurer", "保险机构", "Insurer"),
    ("police", "公安交管部门", "Police unit"),
];

/// `?lang=`.
#[derive(Debug, Deserialize)]
pub(crate) struct OrgQuery {
    lang: Option<String>,
}

/// The form that registers an organisation; purposes arrive as a repeated field, which a
/// urlencoded form gives as `purposes=a&purposes=b`.
#[derive(Debug, Deserialize)]
pub(crate) struct OrganisationForm {
    csrf: String,
    name: String,
    kind: String,
    #[serde(default)]
    roadside: Option<String>,
    #[serde(default)]
    business_window: Option<String>,
    #[serde(default)]
    car_rental: Option<String>,
    #[serde(default)]
    transport_company: Option<String>,
    #[serde(default)]
    insurer: Option<String>,
}

/// The form that makes an API key.
#[derive(Debug, Deserialize)]
pub(crate) struct KeyForm {
    csrf: String,
    label: String,
}

/// A form with only the CSRF token.
#[derive(Debug, Deserialize)]
pub(crate) struct CsrfForm {
    csrf: String,
}

/// The form that makes a staff account.
#[derive(Debug, Deserialize)]
pub(crate) struct UserForm {
    csrf: String,
    username: String,
    password: String,
    role: String,
    /// For operators and auditors: the authority's id.
    #[serde(default)]
    authority_id: Option<String>,
    /// For verifier staff: the organisation's id.
    #[serde(default)]
    organisation_id: Option<String>,
}

/// A staff row's state and the form that switches it (disable an active account, enable a disabled one). The
/// platform operator's own row has no form: an operator cannot lock themselves out.
fn user_state_cell(lang: Lang, s: &Staff, u: &ConsoleUser) -> String {
    let (state, action, label) = match u.disabled_at {
        None => (
            lang.t("正常", "Active"),
            "disable",
            lang.t("停用", "Disable"),
        ),
        Some(_) => (
            lang.t("已停用", "Disabled"),
            "enable",
            lang.t("启用", "Enable"),
        ),
    };
    let form = if u.id == s.user.id {
        String::new()
    } else {
        format!(
            r#" <form method="post" action="/console/users/{id}/{action}" class="inline"><input type="hidden" name="csrf" value="{csrf}"><button type="submit" data-action="{action}">{label}</button></form>"#,
            id = u.id,
            csrf = escape(s.csrf()),
        )
    };
    format!(r#"<td data-state="{action}">{state}{form}</td>"#)
}

fn kind_name(lang: Lang, code: &str) -> String {
    KINDS
        .iter()
        .find(|(c, _, _)| *c == code)
        .map(|(_, zh, en)| lang.t(zh, en).to_owned())
        .unwrap_or_else(|| code.to_owned())
}

fn purpose_name(lang: Lang, p: Purpose) -> String {
    match lang {
        Lang::Zh => p.name_zh().to_owned(),
        Lang::En => p.as_str().replace('_', " "),
    }
}

/// The platform operator, or the page that refuses everyone else.
async fn platform(state: &AppState, headers: &HeaderMap, lang: Lang) -> Result<Staff, Response> {
    match staff(state, headers).await {
        Ok(Some(s)) if s.role() == ConsoleRole::Platform => Ok(s),
        Ok(Some(s)) => Err(Refusal::Role.page(lang, Some(&s))),
        Ok(None) => Err(Refusal::NotLoggedIn.page(lang, None)),
        Err(e) => Err(store_failure(lang, &e)),
    }
}

/// The platform operator posting a form with their session's CSRF token, or the refusal.
async fn platform_form(
    state: &AppState,
    headers: &HeaderMap,
    lang: Lang,
    csrf: &str,
) -> Result<Staff, Response> {
    let s = platform(state, headers, lang).await?;
    if s.csrf_ok(csrf) {
        Ok(s)
    } else {
        Err(Refusal::Csrf.page(lang, Some(&s)))
    }
}

fn error_note(code: &str, text: &str) -> String {
    format!(
        r#"<p class="error" role="alert" data-code="{code}">{}</p>"#,
        escape(text)
    )
}

/// `GET /console/organisations`.
pub(crate) async fn list(
    State(state): State<AppState>,
    Query(query): Query<OrgQuery>,
    headers: HeaderMap,
) -> Response {
    let lang = Lang::of(query.lang.as_deref(), &headers);
    let s = match platform(&state, &headers, lang).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    render_list(&state, lang, &s, "", StatusCode::OK).await
}

async fn render_list(
    state: &AppState,
    lang: Lang,
    s: &Staff,
    notice: &str,
    status: StatusCode,
) -> Response {
    let (organisations, authorities, users) = match tokio::try_join!(
        state.store.organisations(),
        state.store.list_authorities(),
        state.store.console_users()
    ) {
        Ok(x) => x,
        Err(e) => return store_failure(lang, &e),
    };
    let rows = organisations
        .iter()
        .map(|o| {
            let purposes = o
                .organisation
                .purposes
                .iter()
                .map(|p| Purpose::parse(p).map(|p| purpose_name(lang, p)).unwrap_or_else(|_| p.clone()))
                .collect::<Vec<_>>()
                .join("、");
            format!(
                r#"<tr><td><a href="/console/organisations/{id}">{name}</a></td><td>{kind}</td><td>{purposes}</td></tr>"#,
                id = o.id,
                name = escape(&o.organisation.name),
                kind = escape(&kind_name(lang, &o.organisation.kind)),
                purposes = escape(&purposes),
            )
        })
        .collect::<String>();
    let kinds = KINDS
        .iter()
        .map(|(code, zh, en)| {
            format!(
                r#"<option value="{code}">{}</option>"#,
                escape(lang.t(zh, en))
            )
        })
        .collect::<String>();
    let purpose_boxes = PURPOSES
        .iter()
        .map(|p| {
            format!(
                r#"<label class="check"><input type="checkbox" name="{code}" value="on"> {name}</label>"#,
                code = p.as_str(),
                name = escape(&purpose_name(lang, *p)),
            )
        })
        .collect::<String>();
    let authority_options = authorities
        .iter()
        .map(|a| {
            format!(
                r#"<option value="{}">{}</option>"#,
                a.id.0,
                escape(a.authority.name.as_str())
            )
        })
        .collect::<String>();
    let user_rows = users
        .iter()
        .filter(|u| {
            matches!(
                u.user.role,
                ConsoleRole::Operator | ConsoleRole::Auditor | ConsoleRole::Platform
            )
        })
        .map(|u| {
            let scope = u
                .user
                .authority_id
                .and_then(|id| authorities.iter().find(|a| a.id == id))
                .map(|a| a.authority.name.as_str().to_owned())
                .unwrap_or_else(|| lang.t("全国", "National").to_owned());
            format!(
                "<tr><td>{}</td><td>{}</td><td>{}</td>{}</tr>",
                escape(&u.user.username),
                u.user.role.as_str(),
                escape(&scope),
                user_state_cell(lang, s, u)
            )
        })
        .collect::<String>();
    let body = format!(
        r#"{notice}
<section>
  <h2>{title}</h2>
  <table id="organisations"><thead><tr><th>{h_name}</th><th>{h_kind}</th><th>{h_purposes}</th></tr></thead><tbody>{rows}</tbody></table>
</section>
<section>
  <h2>{new_title}</h2>
  <form method="post" action="/console/organisations" id="organisation-form" class="change">
    <input type="hidden" name="csrf" value="{csrf}">
    <label>{h_name} <input name="name" maxlength="64" required></label>
    <label>{h_kind} <select name="kind">{kinds}</select></label>
    <fieldset><legend>{h_purposes}</legend>{purpose_boxes}</fieldset>
    <button type="submit">{register}</button>
  </form>
</section>
<section>
  <h2>{staff_title}</h2>
  <table id="authority-staff"><thead><tr><th>{h_user}</th><th>{h_role}</th><th>{h_scope}</th><th>{h_state}</th></tr></thead><tbody>{user_rows}</tbody></table>
  <form method="post" action="/console/users" id="user-form" class="change">
    <input type="hidden" name="csrf" value="{csrf}">
    <label>{h_user} <input name="username" maxlength="64" required></label>
    <label>{h_password} <input name="password" type="password" minlength="8" maxlength="256" autocomplete="new-password" required></label>
    <label>{h_role} <select name="role"><option value="operator">{operator}</option><option value="auditor">{auditor}</option></select></label>
    <label>{h_authority} <select name="authority_id">{authority_options}</select></label>
    <button type="submit">{create}</button>
  </form>
</section>"#,
        title = lang.t("核验单位", "Verifier organisations"),
        h_name = lang.t("名称", "Name"),
        h_kind = lang.t("类型", "Kind"),
        h_purposes = lang.t("可核验用途", "Purposes it may verify for"),
        new_title = lang.t("登记核验单位", "Register an organisation"),
        csrf = escape(s.csrf()),
        register = lang.t("登记", "Register"),
        staff_title = lang.t("发证机关工作人员", "Issuing-authority staff"),
        h_user = lang.t("用户名", "Username"),
        h_password = lang.t("初始密码", "Initial password"),
        h_role = lang.t("角色", "Role"),
        h_scope = lang.t("范围", "Scope"),
        h_state = lang.t("状态", "State"),
        h_authority = lang.t("发证机关", "Issuing authority"),
        operator = lang.t("业务经办人", "Operator"),
        auditor = lang.t("审计员", "Auditor"),
        create = lang.t("创建", "Create"),
    );
    (
        status,
        Html(frame(
            lang,
            lang.t("核验单位", "Verifiers"),
            "/console/organisations",
            Some(s),
            &body,
        )),
    )
        .into_response()
}

/// `POST /console/organisations`.
pub(crate) async fn create(
    State(state): State<AppState>,
    Query(query): Query<OrgQuery>,
    headers: HeaderMap,
    Form(form): Form<OrganisationForm>,
) -> Response {
    let lang = Lang::of(query.lang.as_deref(), &headers);
    let s = match platform_form(&state, &headers, lang, &form.csrf).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let Some(name) = short_name(&form.name) else {
        let n = error_note(
            "bad_name",
            lang.t(
                "名称须为 1 至 64 个字符。",
                "The name must be 1 to 64 characters.",
            ),
        );
        return render_list(&state, lang, &s, &n, StatusCode::UNPROCESSABLE_ENTITY).await;
    };
    if !KINDS.iter().any(|(c, _, _)| *c == form.kind) {
        let n = error_note(
            "bad_kind",
            lang.t("未知的单位类型。", "Unknown kind of organisation."),
        );
        return render_list(&state, lang, &s, &n, StatusCode::UNPROCESSABLE_ENTITY).await;
    }
    let chosen = [
        (Purpose::Roadside, &form.roadside),
        (Purpose::BusinessWindow, &form.business_window),
        (Purpose::CarRental, &form.car_rental),
        (Purpose::TransportCompany, &form.transport_company),
        (Purpose::Insurer, &form.insurer),
    ];
    let purposes: Vec<String> = chosen
        .iter()
        .filter(|(_, on)| on.is_some())
        .map(|(p, _)| p.as_str().to_owned())
        .collect();
    if purposes.is_empty() {
        let n = error_note(
            "no_purpose",
            lang.t("至少选择一个用途。", "Choose at least one purpose."),
        );
        return render_list(&state, lang, &s, &n, StatusCode::UNPROCESSABLE_ENTITY).await;
    }
    let created = state
        .store
        .create_organisation(&NewOrganisation {
            name: name.to_owned(),
            kind: form.kind.clone(),
            purposes,
            created_at: state.clock.now(),
        })
        .await;
    match created {
        Ok(o) => {
            tracing::info!(
                user_id = s.user.id,
                organisation_id = o.id,
                "console: organisation registered"
            );
            see_other(&format!("/console/organisations/{}", o.id))
        }
        Err(StoreError::Conflict { .. }) => {
            let n = error_note(
                "name_taken",
                lang.t("已有同名单位。", "An organisation of that name exists."),
            );
            render_list(&state, lang, &s, &n, StatusCode::CONFLICT).await
        }
        Err(e) => store_failure(lang, &e),
    }
}

/// `GET /console/organisations/{id}`.
pub(crate) async fn page(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    Query(query): Query<OrgQuery>,
    headers: HeaderMap,
) -> Response {
    let lang = Lang::of(query.lang.as_deref(), &headers);
    let s = match platform(&state, &headers, lang).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    render_organisation(&state, lang, &s, id, "", StatusCode::OK).await
}

async fn render_organisation(
    state: &AppState,
    lang: Lang,
    s: &Staff,
    id: i64,
    notice: &str,
    status: StatusCode,
) -> Response {
    let organisation = match state.store.organisation(id).await {
        Ok(Some(o)) => o,
        Ok(None) => return Refusal::NotFound.page(lang, Some(s)),
        Err(e) => return store_failure(lang, &e),
    };
    let (keys, users) =
        match tokio::try_join!(state.store.api_keys(id), state.store.console_users()) {
            Ok(x) => x,
            Err(e) => return store_failure(lang, &e),
        };
    let key_rows = keys
        .iter()
        .map(|k| {
            let state_cell = match k.revoked_at {
                Some(at) => format!(r#"<span class="red">{} {}</span>"#, lang.t("已吊销", "revoked"), at.date()),
                None => format!(
                    r#"<form method="post" action="/console/organisations/{id}/keys/{key}/revoke" class="inline"><input type="hidden" name="csrf" value="{csrf}"><button type="submit" class="secondary">{revoke}</button></form>"#,
                    key = k.id,
                    csrf = escape(s.csrf()),
                    revoke = lang.t("吊销", "Revoke"),
                ),
            };
            format!(
                r#"<tr data-key="{kid}"><td><code>{prefix}…</code></td><td>{label}</td><td>{created}</td><td>{state_cell}</td></tr>"#,
                kid = k.id,
                prefix = escape(&k.key.prefix),
                label = escape(&k.key.label),
                created = k.key.created_at.date(),
            )
        })
        .collect::<String>();
    let staff_rows = users
        .iter()
        .filter(|u| u.user.organisation_id == Some(id))
        .map(|u| {
            format!(
                "<tr><td>{}</td>{}</tr>",
                escape(&u.user.username),
                user_state_cell(lang, s, u)
            )
        })
        .collect::<String>();
    let purposes = organisation
        .organisation
        .purposes
        .iter()
        .map(|p| {
            Purpose::parse(p)
                .map(|p| purpose_name(lang, p))
                .unwrap_or_else(|_| p.clone())
        })
        .collect::<Vec<_>>()
        .join("、");
    let body = format!(
        r#"{notice}
<section>
  <h2>{name} <small>{kind}</small></h2>
  <p>{l_purposes}: <span id="org-purposes">{purposes}</span></p>
</section>
<section>
  <h2>{l_keys} <small>{keys_hint}</small></h2>
  <table id="keys"><thead><tr><th>{l_prefix}</th><th>{l_label}</th><th>{l_created}</th><th></th></tr></thead><tbody>{key_rows}</tbody></table>
  <form method="post" action="/console/organisations/{id}/keys" id="key-form" class="change">
    <input type="hidden" name="csrf" value="{csrf}">
    <label>{l_label} <input name="label" maxlength="64" required placeholder="{label_hint}"></label>
    <button type="submit">{make_key}</button>
  </form>
</section>
<section>
  <h2>{l_staff}</h2>
  <table id="org-staff"><tbody>{staff_rows}</tbody></table>
  <form method="post" action="/console/users" id="staff-form" class="change">
    <input type="hidden" name="csrf" value="{csrf}">
    <input type="hidden" name="role" value="verifier">
    <input type="hidden" name="organisation_id" value="{id}">
    <label>{l_user} <input name="username" maxlength="64" required></label>
    <label>{l_password} <input name="password" type="password" minlength="8" maxlength="256" autocomplete="new-password" required></label>
    <button type="submit">{create}</button>
  </form>
</section>"#,
        name = escape(&organisation.organisation.name),
        kind = escape(&kind_name(lang, &organisation.organisation.kind)),
        l_purposes = lang.t("可核验用途", "May verify for"),
        purposes = escape(&purposes),
        l_keys = lang.t("API 密钥", "API keys"),
        keys_hint = lang.t(
            "密钥只在创建时显示一次，平台只保存其摘要",
            "a key is shown once, when made; the platform keeps only its digest"
        ),
        l_prefix = lang.t("前缀", "Prefix"),
        l_label = lang.t("用途说明", "Label"),
        l_created = lang.t("创建日期", "Created"),
        csrf = escape(s.csrf()),
        label_hint = lang.t("例如：门店系统", "e.g. branch system"),
        make_key = lang.t("生成密钥", "Make a key"),
        l_staff = lang.t("核验人员账户", "Staff logins"),
        l_user = lang.t("用户名", "Username"),
        l_password = lang.t("初始密码", "Initial password"),
        create = lang.t("创建", "Create"),
    );
    let path = format!("/console/organisations/{id}");
    (
        status,
        Html(frame(
            lang,
            lang.t("核验单位", "Verifier organisation"),
            &path,
            Some(s),
            &body,
        )),
    )
        .into_response()
}

/// `POST /console/organisations/{id}/keys`: makes a key and shows it once.
pub(crate) async fn create_key(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    Query(query): Query<OrgQuery>,
    headers: HeaderMap,
    Form(form): Form<KeyForm>,
) -> Response {
    let lang = Lang::of(query.lang.as_deref(), &headers);
    let s = match platform_form(&state, &headers, lang, &form.csrf).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let Some(label) = short_name(&form.label) else {
        let n = error_note(
            "bad_label",
            lang.t(
                "说明须为 1 至 64 个字符。",
                "The label must be 1 to 64 characters.",
            ),
        );
        return render_organisation(&state, lang, &s, id, &n, StatusCode::UNPROCESSABLE_ENTITY)
            .await;
    };
    let key = crate::api_key::generate();
    let created = state
        .store
        .create_api_key(&NewApiKey {
            organisation_id: id,
            key_hash: key.hash,
            prefix: key.prefix.clone(),
            label: label.to_owned(),
            created_at: state.clock.now(),
        })
        .await;
    match created {
        Ok(k) => {
            tracing::info!(
                user_id = s.user.id,
                organisation_id = id,
                key_id = k.id,
                "console: API key made"
            );
            let notice = format!(
                r#"<div class="notice" role="status" data-code="key_made"><p>{}</p><p><code id="new-key">{}</code></p></div>"#,
                lang.t(
                    "新密钥如下。它只显示这一次，请立即妥善保存；平台不保存密钥本身。",
                    "Here is the new key. It is shown this once: store it safely now; the platform does not keep it."
                ),
                escape(&key.key),
            );
            let mut response =
                render_organisation(&state, lang, &s, id, &notice, StatusCode::CREATED).await;
            response.headers_mut().insert(
                axum::http::header::CACHE_CONTROL,
                axum::http::HeaderValue::from_static("no-store"),
            );
            response
        }
        Err(StoreError::NotFound { .. }) => Refusal::NotFound.page(lang, Some(&s)),
        Err(e) => store_failure(lang, &e),
    }
}

/// `POST /console/organisations/{id}/keys/{key}/revoke`.
pub(crate) async fn revoke_key(
    State(state): State<AppState>,
    Path((id, key)): Path<(i64, i64)>,
    Query(query): Query<OrgQuery>,
    headers: HeaderMap,
    Form(form): Form<CsrfForm>,
) -> Response {
    let lang = Lang::of(query.lang.as_deref(), &headers);
    let s = match platform_form(&state, &headers, lang, &form.csrf).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    match state.store.revoke_api_key(key, id, state.clock.now()).await {
        Ok(true) => {
            tracing::info!(
                user_id = s.user.id,
                organisation_id = id,
                key_id = key,
                "console: API key revoked"
            );
            see_other(&format!("/console/organisations/{id}"))
        }
        Ok(false) => Refusal::NotFound.page(lang, Some(&s)),
        Err(e) => store_failure(lang, &e),
    }
}

/// `POST /console/users`: an operator or auditor of an authority, or a verifier organisation's
/// staff member.
pub(crate) async fn create_user(
    State(state): State<AppState>,
    Query(query): Query<OrgQuery>,
    headers: HeaderMap,
    Form(form): Form<UserForm>,
) -> Response {
    let lang = Lang::of(query.lang.as_deref(), &headers);
    let s = match platform_form(&state, &headers, lang, &form.csrf).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let back_to_org = form
        .organisation_id
        .as_deref()
        .and_then(|v| v.parse::<i64>().ok());
    let refuse = |code: &'static str, text: &'static str, status: StatusCode| {
        let state = state.clone();
        let s = &s;
        async move {
            let n = error_note(code, text);
            match back_to_org {
                Some(id) => render_organisation(&state, lang, s, id, &n, status).await,
                None => render_list(&state, lang, s, &n, status).await,
            }
        }
    };
    let Some(username) = crate::staff::login_name(&form.username) else {
        return refuse(
            "bad_username",
            lang.t(
                "用户名须为 1 至 64 个字符，不含空白。",
                "The username must be 1 to 64 characters without spaces.",
            ),
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    };
    if form.password.chars().count() < MIN_PASSWORD_CHARS
        || form.password.len() > MAX_PASSWORD_BYTES
    {
        return refuse(
            "bad_password",
            lang.t(
                "密码须为 8 至 256 个字符。",
                "The password must be 8 to 256 characters long.",
            ),
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    }
    let (role, authority_id, organisation_id) = match (
        ConsoleRole::parse(&form.role),
        form.authority_id
            .as_deref()
            .and_then(|v| v.parse::<i64>().ok()),
        back_to_org,
    ) {
        (Some(role @ (ConsoleRole::Operator | ConsoleRole::Auditor)), Some(a), _) => {
            (role, Some(AuthorityId(a)), None)
        }
        (Some(ConsoleRole::Verifier), _, Some(o)) => (ConsoleRole::Verifier, None, Some(o)),
        _ => {
            return refuse(
                "bad_role",
                lang.t("角色与其范围不符。", "The role and its scope do not fit."),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await;
        }
    };
    let password_hash = match auth::hash_password(form.password).await {
        Ok(h) => h,
        Err(why) => {
            tracing::error!(why, "console: hashing failed");
            return (StatusCode::INTERNAL_SERVER_ERROR, "internal error").into_response();
        }
    };
    let created = state
        .store
        .create_console_user(&NewConsoleUser {
            username: username.to_owned(),
            password_hash,
            role,
            authority_id,
            organisation_id,
            created_at: state.clock.now(),
        })
        .await;
    match created {
        Ok(u) => {
            tracing::info!(
                user_id = s.user.id,
                new_user_id = u.id,
                role = role.as_str(),
                "console: staff account made"
            );
            match organisation_id {
                Some(id) => see_other(&format!("/console/organisations/{id}")),
                None => see_other("/console/organisations"),
            }
        }
        Err(StoreError::Conflict {
            constraint: "console_username",
        }) => {
            refuse(
                "username_taken",
                lang.t("用户名已被使用。", "That username is taken."),
                StatusCode::CONFLICT,
            )
            .await
        }
        Err(StoreError::NotFound { .. } | StoreError::Conflict { .. }) => {
            refuse(
                "bad_role",
                lang.t("角色与其范围不符。", "The role and its scope do not fit."),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(e) => store_failure(lang, &e),
    }
}

/// `POST /console/users/{id}/disable` and `/enable`: the platform operator disables a staff account (its
/// sessions end at once; it stays in the history and the audit) or enables it again.
pub(crate) async fn set_user_disabled(
    State(state): State<AppState>,
    Path((id, action)): Path<(i64, String)>,
    Query(query): Query<OrgQuery>,
    headers: HeaderMap,
    Form(form): Form<CsrfForm>,
) -> Response {
    let lang = Lang::of(query.lang.as_deref(), &headers);
    let s = match platform_form(&state, &headers, lang, &form.csrf).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let disabled_at = match action.as_str() {
        "disable" => Some(state.clock.now()),
        "enable" => None,
        _ => return Refusal::NotFound.page(lang, Some(&s)),
    };
    let user = match state.store.console_user(id).await {
        Ok(Some(u)) => u,
        Ok(None) => return Refusal::NotFound.page(lang, Some(&s)),
        Err(e) => return store_failure(lang, &e),
    };
    if user.id == s.user.id {
        let note = error_note(
            "own_account",
            lang.t(
                "不能停用自己的账号。",
                "You cannot disable your own account.",
            ),
        );
        return render_list(&state, lang, &s, &note, StatusCode::CONFLICT).await;
    }
    match state
        .store
        .set_console_user_disabled(&user.user.username, disabled_at)
        .await
    {
        Ok(u) => {
            tracing::info!(
                user_id = s.user.id,
                target_user_id = u.id,
                disabled = u.disabled_at.is_some(),
                "console: staff account switched"
            );
            match u.user.organisation_id {
                Some(org) => see_other(&format!("/console/organisations/{org}")),
                None => see_other("/console/organisations"),
            }
        }
        Err(StoreError::NotFound { .. }) => Refusal::NotFound.page(lang, Some(&s)),
        Err(e) => store_failure(lang, &e),
    }
}
