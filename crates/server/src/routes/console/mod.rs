//! The issuing authority's console (`/console`): staff login, licence lookup and changes, bulk
//! import, the rollout schedule, the adoption dashboard, and (for the platform operator) verifier
//! organisations with their API keys and staff. Roles and scopes are in
//! `docs/decisions/console.md`.

pub(crate) mod chart;
pub(crate) mod dashboard;
pub(crate) mod import;
pub(crate) mod licences;
pub(crate) mod login;
pub(crate) mod organisations;
pub(crate) mod rollout;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE, LOCATION};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use edl_store::{
    AuthorityRecord, ConsoleRole, ConsoleSession, ConsoleUser, Organisation, Store, StoreError,
};

use crate::auth::{cookie, same, token_from_hex, token_hash};
use crate::html::escape;
use crate::i18n::Lang;
use crate::startup::AppState;

/// The console's session cookie (staff of authorities, the platform and verifier organisations).
pub(crate) const CONSOLE_COOKIE: &str = "edl_console";

/// The largest form the console accepts (bulk imports have their own, larger limit).
pub(crate) const MAX_FORM_BYTES: usize = 16 * 1024;

/// The console's routes.
pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/console", get(login::entry))
        .route("/console/login", post(login::login))
        .route("/console/logout", post(login::logout))
        .route("/console/licences", get(licences::search))
        .route("/console/licences/{file_number}", get(licences::page))
        .route(
            "/console/licences/{file_number}/status",
            post(licences::set_status),
        )
        .route(
            "/console/licences/{file_number}/points",
            post(licences::add_points),
        )
        .route(
            "/console/licences/{file_number}/renew",
            post(licences::renew),
        )
        .route("/console/rollout", get(rollout::page).post(rollout::set))
        .route("/console/dashboard", get(dashboard::page))
        .route("/console/dashboard.csv", get(dashboard::csv))
        .route(
            "/console/organisations",
            get(organisations::list).post(organisations::create),
        )
        .route("/console/organisations/{id}", get(organisations::page))
        .route(
            "/console/organisations/{id}/keys",
            post(organisations::create_key),
        )
        .route(
            "/console/organisations/{id}/keys/{key}/revoke",
            post(organisations::revoke_key),
        )
        .route("/console/users", post(organisations::create_user))
        .route(
            "/console/users/{id}/{action}",
            post(organisations::set_user_disabled),
        )
        .route("/console/import", get(import::page))
        .route("/console/import/{id}", get(import::progress))
        .route("/console/import/{id}/rejects.csv", get(import::rejects))
        .route("/console/assets/console.css", get(stylesheet))
        .route("/console/assets/import.js", get(import_script))
        .layer(DefaultBodyLimit::max(MAX_FORM_BYTES))
        // The upload route has its own, larger limit.
        .merge(import::upload_routes())
}

/// A logged-in member of staff, with what their role is scoped to.
#[derive(Debug)]
pub(crate) struct Staff {
    /// The user.
    pub(crate) user: ConsoleUser,
    /// The session (its CSRF token).
    pub(crate) session: ConsoleSession,
    /// The hash of the session token (to end it).
    pub(crate) token_hash: [u8; 32],
    /// The authority of an operator or auditor.
    pub(crate) authority: Option<AuthorityRecord>,
    /// The organisation of a verifier's staff member.
    pub(crate) organisation: Option<Organisation>,
}

impl Staff {
    /// The role.
    pub(crate) fn role(&self) -> ConsoleRole {
        self.user.user.role
    }

    /// The username (the actor recorded in the history).
    pub(crate) fn username(&self) -> &str {
        &self.user.user.username
    }

    /// Whether the submitted CSRF token is the session's.
    pub(crate) fn csrf_ok(&self, submitted: &str) -> bool {
        same(&self.session.csrf_token, submitted)
    }

    /// The CSRF token forms carry.
    pub(crate) fn csrf(&self) -> &str {
        &self.session.csrf_token
    }
}

/// The member of staff of the request's console cookie, if it names a live session of an
/// enabled user.
pub(crate) async fn staff(
    state: &AppState,
    headers: &HeaderMap,
) -> Result<Option<Staff>, StoreError> {
    let Some(token) = cookie(headers, CONSOLE_COOKIE).and_then(|t| token_from_hex(&t)) else {
        return Ok(None);
    };
    let hash = token_hash(&token);
    let Some(session) = state
        .store
        .console_session(&hash, state.clock.now())
        .await?
    else {
        return Ok(None);
    };
    let Some(user) = state.store.console_user(session.user_id).await? else {
        return Ok(None);
    };
    if user.disabled_at.is_some() {
        return Ok(None);
    }
    let authority = match user.user.authority_id {
        Some(id) => state
            .store
            .list_authorities()
            .await?
            .into_iter()
            .find(|a| a.id == id),
        None => None,
    };
    let organisation = match user.user.organisation_id {
        Some(id) => state.store.organisation(id).await?,
        None => None,
    };
    Ok(Some(Staff {
        user,
        session,
        token_hash: hash,
        authority,
        organisation,
    }))
}

/// Why a console request was refused: each has an HTTP status and a stable code, shown on the
/// page (`data-code`) for people and scripts alike.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Refusal {
    /// No session: go to the login page.
    NotLoggedIn,
    /// The form's CSRF token is missing or wrong.
    Csrf,
    /// The role may not do this.
    Role,
    /// The licence or region belongs to another authority.
    OutsideAuthority,
    /// No such thing.
    NotFound,
}

impl Refusal {
    fn status(self) -> StatusCode {
        match self {
            Refusal::NotLoggedIn => StatusCode::SEE_OTHER,
            Refusal::Csrf | Refusal::Role | Refusal::OutsideAuthority => StatusCode::FORBIDDEN,
            Refusal::NotFound => StatusCode::NOT_FOUND,
        }
    }

    /// The stable machine-readable code.
    pub(crate) fn code(self) -> &'static str {
        match self {
            Refusal::NotLoggedIn => "not_logged_in",
            Refusal::Csrf => "csrf",
            Refusal::Role => "role_not_allowed",
            Refusal::OutsideAuthority => "outside_authority",
            Refusal::NotFound => "not_found",
        }
    }

    fn message(self, lang: Lang) -> &'static str {
        match self {
            Refusal::NotLoggedIn => lang.t("请先登录。", "Please log in."),
            Refusal::Csrf => lang.t(
                "表单已过期或来源不明，未做任何更改。",
                "The form expired or did not come from this site; nothing was changed.",
            ),
            Refusal::Role => lang.t(
                "您的角色无权进行此操作，未做任何更改。",
                "Your role may not do this; nothing was changed.",
            ),
            Refusal::OutsideAuthority => lang.t(
                "该驾驶证或地区不属于您的发证机关，未做任何更改。",
                "This licence or region belongs to another issuing authority; nothing was changed.",
            ),
            Refusal::NotFound => lang.t("未找到。", "Not found."),
        }
    }

    /// The refusal as a page (or, when not logged in, a redirect to the login page).
    pub(crate) fn page(self, lang: Lang, staff: Option<&Staff>) -> Response {
        if self == Refusal::NotLoggedIn {
            return see_other("/console");
        }
        let body = format!(
            r#"<section><p class="error" role="alert" data-code="{code}">{message}</p></section>"#,
            code = self.code(),
            message = escape(self.message(lang)),
        );
        (
            self.status(),
            Html(frame(
                lang,
                lang.t("未获准", "Refused"),
                "/console",
                staff,
                &body,
            )),
        )
            .into_response()
    }
}

/// A `303 See Other` to `to`.
/// A short name typed into a console form (an organisation's name, an API key's label, a rollout
/// phase), trimmed: 1 to 64 characters without control characters. `None` if it is not one.
pub(crate) fn short_name(text: &str) -> Option<&str> {
    let text = text.trim();
    (!text.is_empty() && text.chars().count() <= 64 && !text.chars().any(char::is_control))
        .then_some(text)
}

pub(crate) fn see_other(to: &str) -> Response {
    (StatusCode::SEE_OTHER, [(LOCATION, to.to_owned())]).into_response()
}

/// The database failed: a page that says so, without detail (the log has the error kind).
pub(crate) fn store_failure(lang: Lang, error: &StoreError) -> Response {
    tracing::error!(%error, "console: the registry failed");
    let body = format!(
        r#"<section><p class="error" role="alert" data-code="unavailable">{}</p></section>"#,
        lang.t(
            "服务暂不可用，请稍后再试。",
            "The service is unavailable; please try again later."
        )
    );
    (
        StatusCode::SERVICE_UNAVAILABLE,
        Html(frame(
            lang,
            lang.t("暂不可用", "Unavailable"),
            "/console",
            None,
            &body,
        )),
    )
        .into_response()
}

/// Where a role starts after login.
pub(crate) fn home_of(role: ConsoleRole) -> &'static str {
    match role {
        ConsoleRole::Platform => "/console/dashboard",
        ConsoleRole::Operator | ConsoleRole::Auditor => "/console/licences",
        ConsoleRole::Verifier => "/scanner",
    }
}

/// The role's name for the header.
fn role_name(lang: Lang, role: ConsoleRole) -> &'static str {
    match role {
        ConsoleRole::Platform => lang.t("平台管理员", "Platform operator"),
        ConsoleRole::Operator => lang.t("业务经办人", "Operator"),
        ConsoleRole::Auditor => lang.t("审计员", "Auditor"),
        ConsoleRole::Verifier => lang.t("核验人员", "Verifier staff"),
    }
}

/// The console's page frame: header with who is logged in, the role's navigation, the body.
pub(crate) fn frame(
    lang: Lang,
    title: &str,
    path: &str,
    staff: Option<&Staff>,
    body: &str,
) -> String {
    let (who, nav) = match staff {
        None => (String::new(), String::new()),
        Some(s) => {
            let scope = match (&s.authority, &s.organisation) {
                (Some(a), _) => a.authority.name.as_str().to_owned(),
                (None, Some(o)) => o.organisation.name.clone(),
                (None, None) => lang.t("全国", "National").to_owned(),
            };
            let mut links: Vec<(&str, &str)> = Vec::new();
            match s.role() {
                ConsoleRole::Operator => {
                    links.push(("/console/licences", lang.t("驾驶证", "Licences")));
                    links.push(("/console/import", lang.t("批量导入", "Bulk import")));
                    links.push(("/console/rollout", lang.t("开通地区", "Rollout")));
                    links.push(("/console/dashboard", lang.t("应用统计", "Dashboard")));
                }
                ConsoleRole::Auditor => {
                    links.push(("/console/licences", lang.t("驾驶证", "Licences")));
                    links.push(("/console/dashboard", lang.t("应用统计", "Dashboard")));
                }
                ConsoleRole::Platform => {
                    links.push(("/console/dashboard", lang.t("应用统计", "Dashboard")));
                    links.push(("/console/rollout", lang.t("开通地区", "Rollout")));
                    links.push(("/console/organisations", lang.t("核验单位", "Verifiers")));
                }
                ConsoleRole::Verifier => {
                    links.push(("/scanner", lang.t("扫码核验", "Scanner")));
                }
            }
            let nav = links
                .iter()
                .map(|(href, text)| {
                    let current = if *href == path {
                        r#" aria-current="page""#
                    } else {
                        ""
                    };
                    format!(r#"<a href="{href}"{current}>{}</a>"#, escape(text))
                })
                .collect::<String>();
            (
                format!(
                    r#"<div class="who"><span data-testid="who">{user}</span> · {role} · {scope}
<form method="post" action="/console/logout" class="inline"><input type="hidden" name="csrf" value="{csrf}"><button type="submit" class="link">{logout}</button></form></div>"#,
                    user = escape(s.username()),
                    role = escape(role_name(lang, s.role())),
                    scope = escape(&scope),
                    csrf = escape(s.csrf()),
                    logout = lang.t("退出", "Log out"),
                ),
                format!("<nav>{nav}</nav>"),
            )
        }
    };
    format!(
        r#"<!doctype html>
<html lang="{code}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<link rel="stylesheet" href="/console/assets/console.css">
</head>
<body>
<header><h1>{brand}</h1>{who}{switch}</header>
{nav}
<main>
{body}
</main>
</body>
</html>
"#,
        code = lang.code(),
        title = escape(title),
        brand = lang.t("电子驾驶证 · 管理平台", "E-driving licence · console"),
        switch = lang.switch_link(path),
    )
}

/// `GET /console/assets/console.css`.
async fn stylesheet() -> Response {
    (
        [
            (CONTENT_TYPE, "text/css; charset=utf-8"),
            (CACHE_CONTROL, "no-cache"),
        ],
        include_str!("../../../../../web/console/console.css"),
    )
        .into_response()
}

/// `GET /console/assets/import.js`: the upload with progress.
async fn import_script() -> Response {
    (
        [
            (CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (CACHE_CONTROL, "no-cache"),
        ],
        include_str!("../../../../../web/console/import.js"),
    )
        .into_response()
}
